/*
 * wd_pw.c: password hashing. Passwords are secrets: never logged, and the
 * crypt work area holding derived state is wiped after use.
 */
#include <crypt.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "wd_mem.h"
#include "wd_pw.h"
#include "wd_util.h"

/* struct crypt_data is 32 KiB: one per process, reused */
static struct crypt_data	*cd;
static char			 dummy[WD_PW_HASH_MAX];

static struct crypt_data *
work(void)
{
	if (cd == NULL)
		cd = wd_xcalloc(1, sizeof(*cd));
	return cd;
}

static enum wd_err
checkpw(const char *pw, size_t len)
{
	if (len > WD_PW_MAX || memchr(pw, '\0', len) != NULL)
		return WD_E_BADREQ;
	return WD_OK;
}

static enum wd_err
hash_with(const char *pw, size_t len, const char *setting, char *out)
{
	enum wd_err	 rc = WD_E_INTERNAL;
	char		*copy = NULL;
	const char	*h;
	unsigned char	 md[64];
	unsigned int	 mdlen = 0;

	if (len >= CRYPT_MAX_PASSPHRASE_SIZE) {
		/* libxcrypt's limit: hash what only this password produces,
		 * 88 base64 characters, instead. Deterministic, so verify
		 * does the same; such passwords could never be set before. */
		if (!EVP_Digest(pw, len, md, &mdlen, EVP_sha512(), NULL))
			return WD_E_INTERNAL;
		copy = wd_xmalloc(4 * ((sizeof(md) + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)copy, md, (int)mdlen);
		explicit_bzero(md, sizeof(md));
		len = strlen(copy);
	} else
		copy = wd_xstrndup(pw, len);
	h = crypt_rn(copy, setting, work(), sizeof(*cd));
	if (h == NULL || h[0] == '*' || strlen(h) >= WD_PW_HASH_MAX)
		goto out;
	memcpy(out, h, strlen(h) + 1);
	rc = WD_OK;
out:
	wd_freezero(copy, len);
	explicit_bzero(cd, sizeof(*cd));
	return rc;
}

enum wd_err
wd_pw_hash(const char *pw, size_t len, char *out)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	enum wd_err	 rc;

	rc = checkpw(pw, len);
	if (rc != WD_OK)
		return rc;
	/* NULL rbytes: libxcrypt draws the salt from the OS (getrandom) */
	if (crypt_gensalt_rn("$y$", WD_PW_COST, NULL, 0, salt,
	    sizeof(salt)) == NULL)
		return WD_E_INTERNAL;
	return hash_with(pw, len, salt, out);
}

enum wd_err
wd_pw_verify(const char *pw, size_t len, const char *hash, int *ok)
{
	char		 out[WD_PW_HASH_MAX];
	enum wd_err	 rc;
	int		 real = hash != NULL && hash[0] == '$';

	*ok = 0;
	rc = checkpw(pw, len);
	if (rc != WD_OK)
		return rc;
	if (!real) {
		if (wd_pw_init() != WD_OK)
			return WD_E_INTERNAL;
		hash = dummy;
	}
	rc = hash_with(pw, len, hash, out);
	if (rc != WD_OK) {
		/* an unreadable stored hash is a failed login, not a 500 */
		explicit_bzero(out, sizeof(out));
		return WD_OK;
	}
	*ok = real && wd_ct_eq(out, strlen(out), hash, strlen(hash));
	explicit_bzero(out, sizeof(out));
	return WD_OK;
}

enum wd_err
wd_pw_init(void)
{
	if (dummy[0] != '\0')
		return WD_OK;
	return wd_pw_hash("warden-dummy-password", 21, dummy);
}

int
wd_pw_needs_rehash(const char *hash)
{
	size_t	 n;

	if (hash == NULL || strncmp(hash, "$y$", 3) != 0)
		return 1;
	/* same algorithm and cost as the dummy hash, made with the current
	 * setting: the parameter field up to and including its closing '$'
	 * matches ("$y$j9T$"; a hash with extra parameters, "$y$j9T//$",
	 * does not) */
	if (wd_pw_init() != WD_OK)
		return 0;
	n = (size_t)(strchr(dummy + 3, '$') - dummy) + 1;
	return strncmp(hash, dummy, n) != 0;
}
