/*
 * wd_seal.c: AES-256-GCM sealing of small secrets at rest (wd_seal.h).
 *
 * Trust boundary: sealed text comes back from the database, which an
 * attacker may have written to (that is what sealing is for), so
 * wd_open parses it strictly, checks every length before decrypting, and
 * releases plaintext only after the tag verified. The key, plaintext and
 * intermediate buffers are wiped before every return.
 */
#include <string.h>

#include <openssl/evp.h>

#include "wd_rand.h"
#include "wd_seal.h"
#include "wd_util.h"

/* Authenticated ahead of the caller's associated data: names the scheme
 * and its version, so that no other use of the key or format can yield
 * a text that opens here. The NUL separates it from the caller's bytes. */
#define SEAL_CONTEXT	"warden seal v1"
#define RAW_MAX		(WD_SEAL_NONCE_LEN + WD_SEAL_MAX_PLAIN + \
			    WD_SEAL_TAG_LEN)

enum wd_err
wd_seal_key_parse(const char *s, size_t n, struct wd_seal_key *key,
    const char **why)
{
	enum wd_err	 rc = WD_E_CONFIG;
	const char	*w;
	unsigned char	 same = 0;
	size_t		 i;
	int		 hi, lo;

	explicit_bzero(key, sizeof(*key));
	w = "need 64 hex digits (32 bytes): openssl rand -hex 32";
	if (n != WD_SEAL_KEY_HEX)
		goto out;
	for (i = 0; i < WD_SEAL_KEY_LEN; i++) {
		hi = wd_hexval(s[2 * i]);
		lo = wd_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			w = "not hexadecimal: openssl rand -hex 32";
			goto out;
		}
		key->k[i] = (unsigned char)(hi << 4 | lo);
		same |= (unsigned char)(key->k[i] ^ key->k[0]);
	}
	if (same == 0) {
		w = "all bytes equal: a placeholder, not a random key";
		goto out;
	}
	w = NULL;
	rc = WD_OK;
out:
	if (rc != WD_OK)
		explicit_bzero(key, sizeof(*key));
	if (why != NULL)
		*why = w;
	hi = lo = 0;
	same = 0;
	explicit_bzero(&hi, sizeof(hi));
	explicit_bzero(&lo, sizeof(lo));
	explicit_bzero(&same, sizeof(same));
	return rc;
}

void
wd_seal_key_cleanup(struct wd_seal_key *key)
{
	if (key != NULL)
		explicit_bzero(key, sizeof(*key));
}

/* Feeds SEAL_CONTEXT, its NUL and (ad, adlen) to ctx as associated data. */
static int
put_ad(EVP_CIPHER_CTX *ctx, int enc, const void *ad, size_t adlen)
{
	int	 l;

	if (enc) {
		if (!EVP_EncryptUpdate(ctx, NULL, &l,
		    (const unsigned char *)SEAL_CONTEXT,
		    (int)sizeof(SEAL_CONTEXT)))
			return 0;
		return adlen == 0 || EVP_EncryptUpdate(ctx, NULL, &l, ad,
		    (int)adlen);
	}
	if (!EVP_DecryptUpdate(ctx, NULL, &l,
	    (const unsigned char *)SEAL_CONTEXT, (int)sizeof(SEAL_CONTEXT)))
		return 0;
	return adlen == 0 || EVP_DecryptUpdate(ctx, NULL, &l, ad,
	    (int)adlen);
}

enum wd_err
wd_seal(const struct wd_seal_key *key, const void *plain, size_t plen,
    const void *ad, size_t adlen, char *out, size_t cap, size_t *olen)
{
	enum wd_err	 rc = WD_E_BADREQ;
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	 raw[RAW_MAX];
	char		 txt[(RAW_MAX + 2) / 3 * 4 + 1];
	unsigned char	*nonce = raw, *ct = raw + WD_SEAL_NONCE_LEN;
	size_t		 pre = strlen(WD_SEAL_PREFIX), m;
	int		 l = 0, fl = 0;

	if (cap > 0)
		out[0] = '\0';
	if (olen != NULL)
		*olen = 0;
	if (plen == 0 || plen > WD_SEAL_MAX_PLAIN || adlen > WD_SEAL_MAX_AD ||
	    (ad == NULL && adlen > 0))
		goto out;
	if (cap < WD_SEAL_TEXT_LEN(plen) + 1) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	rc = wd_rand_bytes(nonce, WD_SEAL_NONCE_LEN);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_INTERNAL;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    !EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    WD_SEAL_NONCE_LEN, NULL) ||
	    !EVP_EncryptInit_ex(ctx, NULL, NULL, key->k, nonce) ||
	    !put_ad(ctx, 1, ad, adlen) ||
	    !EVP_EncryptUpdate(ctx, ct, &l, plain, (int)plen) ||
	    l < 0 || (size_t)l != plen ||
	    !EVP_EncryptFinal_ex(ctx, ct + l, &fl) || fl != 0 ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, WD_SEAL_TAG_LEN,
	    ct + plen))
		goto out;
	memcpy(out, WD_SEAL_PREFIX, pre);
	/* encoded aside: the encoder asks room for whole quanta, cap is
	 * exact */
	if (wd_b64u_encode(raw, WD_SEAL_NONCE_LEN + plen + WD_SEAL_TAG_LEN,
	    txt, sizeof(txt)) != WD_OK)
		goto out;
	m = strlen(txt);
	if (pre + m + 1 > cap)
		goto out;
	memcpy(out + pre, txt, m + 1);
	if (pre + m != WD_SEAL_TEXT_LEN(plen))
		goto out;
	if (olen != NULL)
		*olen = pre + m;
	rc = WD_OK;
out:
	if (rc != WD_OK && cap > 0)
		explicit_bzero(out, cap);
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

enum wd_err
wd_open(const struct wd_seal_key *key, const char *s, size_t n,
    const void *ad, size_t adlen, unsigned char *out, size_t cap,
    size_t *olen)
{
	enum wd_err	 rc = WD_E_BADREQ;
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	 raw[RAW_MAX];
	unsigned char	*nonce = raw, *ct = raw + WD_SEAL_NONCE_LEN;
	size_t		 pre = strlen(WD_SEAL_PREFIX), m, plen;
	int		 l = 0, fl = 0;

	*olen = 0;
	if (n < pre || n > WD_SEAL_MAX_TEXT || adlen > WD_SEAL_MAX_AD ||
	    (ad == NULL && adlen > 0) || memcmp(s, WD_SEAL_PREFIX, pre) != 0)
		goto out;
	if (wd_b64u_decode(s + pre, n - pre, raw, sizeof(raw), &m) != WD_OK ||
	    m < WD_SEAL_NONCE_LEN + 1 + WD_SEAL_TAG_LEN)
		goto out;
	plen = m - WD_SEAL_NONCE_LEN - WD_SEAL_TAG_LEN;
	if (plen > cap) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	rc = WD_E_INTERNAL;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    !EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    WD_SEAL_NONCE_LEN, NULL) ||
	    !EVP_DecryptInit_ex(ctx, NULL, NULL, key->k, nonce) ||
	    !put_ad(ctx, 0, ad, adlen) ||
	    !EVP_DecryptUpdate(ctx, out, &l, ct, (int)plen) ||
	    l < 0 || (size_t)l != plen ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, WD_SEAL_TAG_LEN,
	    ct + plen))
		goto out;
	/* SP 800-38D §7.2: no plaintext is released unless the tag verifies;
	 * out already holds it, so the error path wipes it */
	if (EVP_DecryptFinal_ex(ctx, out + l, &fl) <= 0 || fl != 0) {
		rc = WD_E_UNAUTH;
		goto out;
	}
	*olen = plen;
	rc = WD_OK;
out:
	if (rc != WD_OK && cap > 0)
		explicit_bzero(out, cap);
	EVP_CIPHER_CTX_free(ctx);
	explicit_bzero(raw, sizeof(raw));
	return rc;
}
