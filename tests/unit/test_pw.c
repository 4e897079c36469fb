/*
 * test_pw.c: password hashing (src/wd_pw.c). Each yescrypt hash costs
 * ~50 ms, so the cases share hashes where they can (about a dozen in all).
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_pw.h"
#include "wd_test.h"

#define M	"pw"

#define PW	"correct horse battery staple"

/* wd_pw_verify on an exact-size heap copy of pw; *ok starts at -1 so a
 * case sees whether it was written */
static enum wd_err
verify_pw(const char *pw, size_t len, const char *hash, int *ok)
{
	char		*cp = malloc(len > 0 ? len : 1);
	enum wd_err	 rc;

	*ok = -1;
	if (cp == NULL)
		return WD_E_INTERNAL;
	if (len > 0)
		memcpy(cp, pw, len);
	rc = wd_pw_verify(cp, len, hash, ok);
	free(cp);
	return rc;
}

static enum wd_err
hash_pw(const char *pw, size_t len, char *out)
{
	char		*cp = malloc(len > 0 ? len : 1);
	enum wd_err	 rc;

	if (cp == NULL)
		return WD_E_INTERNAL;
	if (len > 0)
		memcpy(cp, pw, len);
	memset(out, 'X', WD_PW_HASH_MAX);
	rc = wd_pw_hash(cp, len, out);
	free(cp);
	return rc;
}

static int
well_formed(const char *h)
{
	return memchr(h, '\0', WD_PW_HASH_MAX) != NULL &&
	    strlen(h) < WD_PW_HASH_MAX;
}

/* a hash of pw under setting prefix/cost, made with libxcrypt directly */
static int
legacy_hash(const char *prefix, unsigned long cost, const char *pw,
    char *out, size_t outsz)
{
	struct crypt_data	*cd = calloc(1, sizeof(*cd));
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*h;
	int			 ok = 0;

	if (cd == NULL)
		return 0;
	if (crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)) !=
	    NULL) {
		h = crypt_rn(pw, salt, cd, sizeof(*cd));
		if (h != NULL && h[0] != '*' && strlen(h) < outsz &&
		    strncmp(h, prefix, strlen(prefix)) == 0) {
			memcpy(out, h, strlen(h) + 1);
			ok = 1;
		}
	}
	free(cd);
	return ok;
}

static void
test_yescrypt(void)
{
	char		 h[WD_PW_HASH_MAX], h2[WD_PW_HASH_MAX];
	enum wd_err	 rc;
	int		 ok;

	rc = hash_pw(PW, strlen(PW), h);
	CHECK(M, "hash ok", rc == WD_OK);
	CHECK(M, "hash well-formed yescrypt",
	    rc == WD_OK && well_formed(h) && strncmp(h, "$y$", 3) == 0);

	rc = verify_pw(PW, strlen(PW), h, &ok);
	CHECK(M, "verify round trip", rc == WD_OK && ok == 1);
	rc = verify_pw("correct horse battery stapl", strlen(PW) - 1, h, &ok);
	CHECK(M, "verify prefix of the password", rc == WD_OK && ok == 0);
	rc = verify_pw(PW "!", strlen(PW) + 1, h, &ok);
	CHECK(M, "verify password plus one byte", rc == WD_OK && ok == 0);
	rc = verify_pw("Correct horse battery staple", strlen(PW), h, &ok);
	CHECK(M, "verify wrong password (case)", rc == WD_OK && ok == 0);
	rc = verify_pw("", 0, h, &ok);
	CHECK(M, "verify empty password", rc == WD_OK && ok == 0);
	CHECK(M, "needs_rehash current yescrypt 0",
	    wd_pw_needs_rehash(h) == 0);

	rc = hash_pw(PW, strlen(PW), h2);
	CHECK(M, "hash salted (two hashes differ)",
	    rc == WD_OK && well_formed(h2) && strcmp(h, h2) != 0);

	/* a stored hash with bytes appended is not the same hash */
	{
		char	 longer[WD_PW_HASH_MAX + 1];
		size_t	 n = strlen(h);

		memcpy(longer, h, n);
		longer[n] = 'A';
		longer[n + 1] = '\0';
		rc = verify_pw(PW, strlen(PW), longer, &ok);
		CHECK(M, "verify hash with a byte appended",
		    rc == WD_OK && ok == 0);
	}
}

static void
test_bad_passwords(void)
{
	static char	 big[WD_PW_MAX + 2];
	char		 h[WD_PW_HASH_MAX];
	enum wd_err	 rc;
	int		 ok;

	rc = hash_pw("ab\0cd", 5, h);
	CHECK(M, "hash NUL inside", rc == WD_E_BADREQ);
	rc = hash_pw("abcd\0", 5, h);
	CHECK(M, "hash NUL at end", rc == WD_E_BADREQ);
	rc = hash_pw("\0", 1, h);
	CHECK(M, "hash only NUL", rc == WD_E_BADREQ);
	rc = verify_pw("ab\0cd", 5, "$6$x$y", &ok);
	CHECK(M, "verify NUL inside", rc == WD_E_BADREQ && ok == 0);

	memset(big, 'p', sizeof(big));
	rc = hash_pw(big, WD_PW_MAX + 1, h);
	CHECK(M, "hash WD_PW_MAX + 1", rc == WD_E_BADREQ);
	rc = verify_pw(big, WD_PW_MAX + 1, "$6$x$y", &ok);
	CHECK(M, "verify WD_PW_MAX + 1", rc == WD_E_BADREQ && ok == 0);
	rc = wd_pw_hash(big, (size_t)-1 / 2, h);	/* len checked first */
	CHECK(M, "hash huge len", rc == WD_E_BADREQ);

	/* libxcrypt's own limit is CRYPT_MAX_PASSPHRASE_SIZE - 1 bytes */
	rc = hash_pw(big, CRYPT_MAX_PASSPHRASE_SIZE - 1, h);
	CHECK(M, "hash CRYPT_MAX_PASSPHRASE_SIZE - 1 (511)",
	    rc == WD_OK && well_formed(h));
	rc = hash_pw(big, WD_PW_MAX, h);
	CHECK(M, "hash exactly WD_PW_MAX",
	    rc == WD_OK && well_formed(h) && strncmp(h, "$y$", 3) == 0);
	rc = verify_pw(big, WD_PW_MAX, h, &ok);
	CHECK(M, "verify exactly WD_PW_MAX", rc == WD_OK && ok == 1);
	rc = verify_pw(big, WD_PW_MAX - 1, h, &ok);
	CHECK(M, "verify WD_PW_MAX - 1 prefix", rc == WD_OK && ok == 0);
}

static void
test_legacy(void)
{
	char		 h[WD_PW_HASH_MAX];
	enum wd_err	 rc;
	int		 ok, made;
	char		 name[96];
	static const char *const bcrypts[] = { "$2b$", "$2a$", "$2y$" };
	size_t		 i;

	for (i = 0; i < sizeof(bcrypts) / sizeof(bcrypts[0]); i++) {
		made = legacy_hash(bcrypts[i], 5, "hunter2", h, sizeof(h));
		snprintf(name, sizeof(name), "bcrypt %s hash made", bcrypts[i]);
		CHECK(M, name, made);
		if (!made)
			continue;
		rc = verify_pw("hunter2", 7, h, &ok);
		snprintf(name, sizeof(name), "bcrypt %s verifies", bcrypts[i]);
		CHECK(M, name, rc == WD_OK && ok == 1);
		rc = verify_pw("hunter3", 7, h, &ok);
		snprintf(name, sizeof(name), "bcrypt %s wrong password",
		    bcrypts[i]);
		CHECK(M, name, rc == WD_OK && ok == 0);
		snprintf(name, sizeof(name), "bcrypt %s needs_rehash 1",
		    bcrypts[i]);
		CHECK(M, name, wd_pw_needs_rehash(h) == 1);
	}

	made = legacy_hash("$6$", 0, "hunter2", h, sizeof(h));
	CHECK(M, "sha512crypt hash made", made);
	if (made) {
		rc = verify_pw("hunter2", 7, h, &ok);
		CHECK(M, "sha512crypt verifies", rc == WD_OK && ok == 1);
		rc = verify_pw("hunter", 6, h, &ok);
		CHECK(M, "sha512crypt wrong password", rc == WD_OK && ok == 0);
		CHECK(M, "sha512crypt needs_rehash 1",
		    wd_pw_needs_rehash(h) == 1);
	}

	/* yescrypt at a lower cost: verifies, but is migrated */
	made = legacy_hash("$y$", 3, "hunter2", h, sizeof(h));
	CHECK(M, "yescrypt cost 3 hash made", made);
	if (made) {
		rc = verify_pw("hunter2", 7, h, &ok);
		CHECK(M, "yescrypt cost 3 verifies", rc == WD_OK && ok == 1);
		CHECK(M, "yescrypt cost 3 needs_rehash 1",
		    wd_pw_needs_rehash(h) == 1);
	}
}

struct garbage_case {
	const char	*name;
	const char	*hash;
};

static void
test_garbage(void)
{
	static const struct garbage_case cases[] = {
		{ "garbage *0", "*0" },
		{ "garbage abc", "abc" },
		{ "garbage empty", "" },
		{ "garbage lone $", "$" },
		{ "garbage $y$ only", "$y$" },
		{ "garbage unknown prefix", "$zz$abc$def" },
		{ "garbage truncated bcrypt", "$2b$05$short" },
		/* a setting without its hash: crypt() output is longer */
		{ "garbage sha512crypt setting only", "$6$saltsalt" },
		{ "garbage locked account", "!$6$saltsalt$abc" },
	};
	size_t	 i;
	char	 name[96];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct garbage_case	*c = &cases[i];
		enum wd_err			 rc;
		int				 ok;

		rc = verify_pw("hunter2", 7, c->hash, &ok);
		snprintf(name, sizeof(name), "%s: verify ok 0", c->name);
		CHECK(M, name, rc == WD_OK && ok == 0);
		snprintf(name, sizeof(name), "%s: needs_rehash 1", c->name);
		CHECK(M, name, wd_pw_needs_rehash(c->hash) == 1);
	}
}

static void
test_null_hash(void)
{
	enum wd_err	 rc;
	int		 ok;

	CHECK(M, "init", wd_pw_init() == WD_OK);
	rc = verify_pw("hunter2", 7, NULL, &ok);
	CHECK(M, "verify NULL hash ok 0", rc == WD_OK && ok == 0);
	/* the dummy's own password does not log in to "no account" */
	rc = verify_pw("warden-dummy-password", 21, NULL, &ok);
	CHECK(M, "verify NULL hash with the dummy password ok 0",
	    rc == WD_OK && ok == 0);
	CHECK(M, "needs_rehash NULL 1", wd_pw_needs_rehash(NULL) == 1);
}

static void
test_rehash_params(void)
{
	/*
	 * yescrypt with the current N and r but extra parameters (the
	 * field after "j9T" before '$'): crypt("pw") with libxcrypt, not
	 * the hash at the current cost, so it must be migrated.
	 */
	CHECK(M, "needs_rehash yescrypt j9T with extra parameters 1",
	    wd_pw_needs_rehash("$y$j9T//$abcdefghijklmnop$"
	    "ZTOeOUFvckRTufxptzMCgaAYqmBmgQGHsW16nDSkgA.") == 1);
	CHECK(M, "needs_rehash yescrypt other cost 1",
	    wd_pw_needs_rehash("$y$jAT$riDB8USD7AsCf6r8q6JTV0$"
	    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG") == 1);
	CHECK(M, "needs_rehash upper-case prefix 1",
	    wd_pw_needs_rehash("$Y$j9T$abcdefghijklmnop$"
	    "wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED") == 1);
	CHECK(M, "needs_rehash yescrypt j9T 0",
	    wd_pw_needs_rehash("$y$j9T$abcdefghijklmnop$"
	    "wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED") == 0);
}

int
main(void)
{
	test_yescrypt();
	test_bad_passwords();
	test_legacy();
	test_garbage();
	test_null_hash();
	test_rehash_params();
	return WD_TEST_RESULT();
}
