/*
 * wd_sign.c: HMAC-SHA256 signatures of storage URLs (wd_sign.h). Trust
 * boundary: the signature and the expiry come from the URL; the key,
 * the object key and its blob id are ours (the key already validated by
 * wd_skey, the blob read from PostgreSQL).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wd_limits.h"
#include "wd_sign.h"
#include "wd_util.h"

/* "warden-sign-v1\n" op "\n" key "\n" blob "\n" exp: the longest key,
 * a blob id, 20 digits and the separators */
#define MSG_MAX	(WD_MAX_SKEY + 128)

enum wd_err
wd_sign_mac(const void *sk, size_t sklen, const char *op, const char *key,
    size_t klen, const char *blob, uint64_t exp, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	char			 msg[MSG_MAX];
	unsigned int		 mlen = 0;
	size_t			 n, i;
	int			 k;

	out[0] = '\0';
	if (klen > WD_MAX_SKEY)
		return WD_E_TOOBIG;
	k = snprintf(msg, sizeof(msg), "warden-sign-v1\n%s\n", op);
	if (k < 0 || (size_t)k + klen >= sizeof(msg))
		return WD_E_TOOBIG;
	n = (size_t)k;
	memcpy(msg + n, key, klen);
	n += klen;
	k = snprintf(msg + n, sizeof(msg) - n, "\n%s\n%llu", blob,
	    (unsigned long long)exp);
	if (k < 0 || (size_t)k >= sizeof(msg) - n)
		return WD_E_TOOBIG;
	n += (size_t)k;
	if (HMAC(EVP_sha256(), sk, (int)sklen, (const unsigned char *)msg, n,
	    mac, &mlen) == NULL || mlen != WD_SIGN_HEX / 2)
		return WD_E_INTERNAL;
	for (i = 0; i < mlen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[WD_SIGN_HEX] = '\0';
	return WD_OK;
}

enum wd_err
wd_sign_check(const void *sk, size_t sklen, const char *op, const char *key,
    size_t klen, const char *blob, uint64_t exp, const char *sig,
    uint64_t now)
{
	char	 want[WD_SIGN_HEX + 1];
	int	 ok;

	if (exp < now || wd_sign_mac(sk, sklen, op, key, klen, blob, exp,
	    want) != WD_OK)
		return WD_E_FORBIDDEN;
	ok = wd_ct_eq(sig, strlen(sig), want, WD_SIGN_HEX);
	return ok ? WD_OK : WD_E_FORBIDDEN;
}
