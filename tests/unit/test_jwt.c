/*
 * test_jwt.c: key configuration, verification, signing and minting
 * (src/wd_jwt.c). Valid tokens come from wd_jwt_sign; hostile ones (alg
 * none, HS/RS confusion, tampering, bad shapes) are built here byte by
 * byte, with OpenSSL for HMAC and RSA keys, so the test does not trust
 * libjwt to make the attacks it is meant to stop. Minted access tokens
 * are read back by wd_jwt_verify and by a decoder of their own here.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "wd_buf.h"
#include "wd_json.h"
#include "wd_jwt.h"
#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_test.h"

#define M	"jwt"

#define NOW	((time_t)1700000000)
#define SECRET	"0123456789abcdef0123456789abcdefSECRET"
#define SECRET2	"fedcba9876543210fedcba9876543210OTHER!"
#define NS	"\"https://hasura.io/jwt/claims\""
#define EXP	"\"exp\":1700003600"
#define ROLES	"\"x-hasura-allowed-roles\":[\"user\",\"editor\"]"
#define DEFR	"\"x-hasura-default-role\":\"user\""
#define UID	"\"x-hasura-user-id\":\"u1\""
#define ORG	"\"x-hasura-org-id\":\"o1\""
#define GOODNS	NS ":{" ROLES "," DEFR "," UID "," ORG "}"
#define GOOD	"{\"sub\":\"u1\"," EXP "," GOODNS "}"

/* ---- helpers ---------------------------------------------------------- */

static char *
b64url(const void *p, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*s = p;
	char			*out = malloc(len / 3 * 4 + 5), *o = out;
	size_t			 i;

	if (out == NULL)
		abort();
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = a[s[i] >> 2];
		*o++ = a[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = a[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = a[s[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = a[s[i] >> 2];
		*o++ = a[(s[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = a[s[i] >> 2];
		*o++ = a[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = a[(s[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t	 la = strlen(a), lb = strlen(b), lc = strlen(c);
	char	*o = malloc(la + lb + lc + 3);

	if (o == NULL)
		abort();
	memcpy(o, a, la);
	o[la] = '.';
	memcpy(o + la + 1, b, lb);
	o[la + 1 + lb] = '.';
	memcpy(o + la + lb + 2, c, lc);
	o[la + lb + lc + 2] = '\0';
	return o;
}

/*
 * Builds header.payload.signature from JSON texts. With md != NULL the
 * signature is HMAC(md, hkey) over "header.payload"; else it is rawsig
 * (already base64url, may be "").
 */
static char *
craft(const char *hdr, const char *payload, const EVP_MD *md,
    const void *hkey, size_t hklen, const char *rawsig)
{
	char		*h = b64url(hdr, strlen(hdr));
	char		*p = b64url(payload, strlen(payload));
	char		*in, *sig, *tok;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;

	if (md == NULL) {
		tok = cat3(h, p, rawsig);
		free(h);
		free(p);
		return tok;
	}
	in = malloc(strlen(h) + strlen(p) + 2);
	if (in == NULL)
		abort();
	memcpy(in, h, strlen(h));
	in[strlen(h)] = '.';
	memcpy(in + strlen(h) + 1, p, strlen(p) + 1);
	if (HMAC(md, hkey, (int)hklen, (const unsigned char *)in, strlen(in),
	    mac, &maclen) == NULL)
		abort();
	sig = b64url(mac, maclen);
	tok = cat3(h, p, sig);
	free(in);
	free(sig);
	free(h);
	free(p);
	return tok;
}

/* The key configuration JSON: {"type":t,"key":k<extra>}. */
static char *
key_json(const char *type, const char *key, const char *extra)
{
	struct wd_buf	 b;
	char		*s;

	wd_buf_init(&b, 65536);
	if (wd_buf_adds(&b, "{\"type\":") != WD_OK ||
	    wd_json_add_str(&b, type, strlen(type)) != WD_OK ||
	    wd_buf_adds(&b, ",\"key\":") != WD_OK ||
	    wd_json_add_str(&b, key, strlen(key)) != WD_OK ||
	    wd_buf_adds(&b, extra) != WD_OK || wd_buf_adds(&b, "}") != WD_OK)
		abort();
	s = strdup(b.p);
	wd_buf_cleanup(&b);
	if (s == NULL)
		abort();
	return s;
}

static enum wd_err
key_parse(const char *type, const char *key, const char *extra,
    struct wd_jwt_key *k, char *err, size_t errsz)
{
	char		*js = key_json(type, key, extra);
	enum wd_err	 rc;

	rc = wd_jwt_key_parse(js, k, err, errsz);
	free(js);
	return rc;
}

/* Signs the payload JSON text with k; caller frees. NULL on failure. */
static char *
sign_text(const struct wd_jwt_key *k, const char *payload)
{
	struct json_object	*o = NULL;
	char			*tok = NULL;

	if (wd_json_parse(payload, strlen(payload), 16, &o) != WD_OK)
		return NULL;
	if (wd_jwt_sign(k, o, &tok) != WD_OK)
		tok = NULL;
	json_object_put(o);
	return tok;
}

static enum wd_err
verify_str(const struct wd_jwt_key *k, const char *tok, time_t now)
{
	struct wd_claims	 c;
	enum wd_err		 rc;

	if (tok == NULL)
		return WD_E__MAX;
	rc = wd_jwt_verify(k, tok, strlen(tok), now, &c);
	wd_claims_cleanup(&c);
	return rc;
}

/* The decoded header of a token, as text; caller frees. */
static char *
header_of(const char *tok)
{
	const char		*dot = strchr(tok, '.');
	struct wd_buf		 b;
	char			*out;
	size_t			 n, i;
	unsigned int		 acc = 0;
	int			 bits = 0;

	if (dot == NULL)
		return NULL;
	n = (size_t)(dot - tok);
	wd_buf_init(&b, 4096);
	for (i = 0; i < n; i++) {
		const char	*al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		const char	*q = strchr(al, tok[i]);
		char		 ch;

		if (q == NULL)
			break;
		acc = (acc << 6) | (unsigned int)(q - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ch = (char)((acc >> bits) & 0xff);
			(void)wd_buf_add(&b, &ch, 1);
		}
	}
	out = strdup(wd_buf_str(&b));
	wd_buf_cleanup(&b);
	return out;
}

/* PEM text of a key; caller frees. */
static char *
pem_of(EVP_PKEY *pk, int priv)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data = NULL, *s;
	long	 n;

	if (bio == NULL)
		abort();
	if (priv ? !PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL) : !PEM_write_bio_PUBKEY(bio, pk))
		abort();
	n = BIO_get_mem_data(bio, &data);
	s = malloc((size_t)n + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(bio);
	return s;
}

/* Runs fn in a child so undefined behaviour caught by UBSan (which
 * aborts) or a crash cannot take the rest of this binary with it. */
static int
isolated(int (*fn)(void))
{
	pid_t	 pid;
	int	 st = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- the keys used by the tables ---------------------------------------- */

enum kid {
	K_HS,		/* HS256, SECRET, skew 0 */
	K_SKEW,		/* HS256, SECRET, skew 30 */
	K_ISS,		/* issuer "https://issuer.example" */
	K_AUD1,		/* audience "app" */
	K_AUDN,		/* audience ["app","web"] */
	K_NSC,		/* claims_namespace "https://example.com/c" */
	K__MAX
};

static struct wd_jwt_key	 keys[K__MAX];

static int
setup_keys(void)
{
	static const char *const extra[K__MAX] = {
		[K_HS] = "",
		[K_SKEW] = ",\"allowed_skew\":30",
		[K_ISS] = ",\"issuer\":\"https://issuer.example\"",
		[K_AUD1] = ",\"audience\":\"app\"",
		[K_AUDN] = ",\"audience\":[\"app\",\"web\"]",
		[K_NSC] = ",\"claims_namespace\":\"https://example.com/c\"",
	};
	char	 err[256];
	int	 i, ok = 1;

	for (i = 0; i < K__MAX; i++)
		if (key_parse("HS256", SECRET, extra[i], &keys[i], err,
		    sizeof(err)) != WD_OK)
			ok = 0;
	return ok;
}

/* ---- claims: one signed token per row ----------------------------------- */

struct claims_case {
	const char	*name;
	enum kid	 key;
	const char	*payload;
	enum wd_err	 want;
};

static const struct claims_case claims_cases[] = {
	/* exp / nbf */
	{ "exp in the past", K_HS, "{\"exp\":1699999999," GOODNS "}",
	    WD_E_EXPIRED },
	{ "exp long past", K_HS, "{\"exp\":1," GOODNS "}", WD_E_EXPIRED },
	{ "exp negative", K_HS, "{\"exp\":-5," GOODNS "}", WD_E_EXPIRED },
	{ "exp past beyond skew", K_SKEW, "{\"exp\":1699999969," GOODNS "}",
	    WD_E_EXPIRED },
	{ "exp missing", K_HS, "{" GOODNS "}", WD_E_CLAIMS },
	{ "exp as string", K_HS, "{\"exp\":\"1700003600\"," GOODNS "}",
	    WD_E_CLAIMS },
	{ "exp null", K_HS, "{\"exp\":null," GOODNS "}", WD_E_CLAIMS },
	{ "exp boolean", K_HS, "{\"exp\":true," GOODNS "}", WD_E_CLAIMS },
	{ "exp array", K_HS, "{\"exp\":[1700003600]," GOODNS "}",
	    WD_E_CLAIMS },
	{ "exp huge double", K_HS, "{\"exp\":1e300," GOODNS "}",
	    WD_E_CLAIMS },
	{ "nbf in the future", K_HS, "{" EXP ",\"nbf\":1700000010," GOODNS
	    "}", WD_E_EXPIRED },
	{ "nbf beyond skew", K_SKEW, "{" EXP ",\"nbf\":1700000031," GOODNS
	    "}", WD_E_EXPIRED },
	{ "nbf as string", K_HS, "{" EXP ",\"nbf\":\"1\"," GOODNS "}",
	    WD_E_CLAIMS },
	{ "exp now exactly ok", K_HS, "{\"exp\":1700000000," GOODNS "}",
	    WD_OK },
	{ "exp within skew ok", K_SKEW, "{\"exp\":1699999975," GOODNS "}",
	    WD_OK },
	{ "exp at skew edge ok", K_SKEW, "{\"exp\":1699999970," GOODNS "}",
	    WD_OK },
	{ "exp fractional ok", K_HS, "{\"exp\":1700003600.5," GOODNS "}",
	    WD_OK },
	{ "nbf within skew ok", K_SKEW, "{" EXP ",\"nbf\":1700000020,"
	    GOODNS "}", WD_OK },
	{ "nbf now ok", K_HS, "{" EXP ",\"nbf\":1700000000," GOODNS "}",
	    WD_OK },
	{ "nbf past ok", K_HS, "{" EXP ",\"nbf\":1600000000," GOODNS "}",
	    WD_OK },
	/* iss */
	{ "iss missing", K_ISS, GOOD, WD_E_BADTOKEN },
	{ "iss wrong", K_ISS, "{\"iss\":\"https://evil.example\"," EXP ","
	    GOODNS "}", WD_E_BADTOKEN },
	{ "iss wrong case", K_ISS, "{\"iss\":\"HTTPS://ISSUER.EXAMPLE\","
	    EXP "," GOODNS "}", WD_E_BADTOKEN },
	{ "iss prefix", K_ISS, "{\"iss\":\"https://issuer.exampl\"," EXP ","
	    GOODNS "}", WD_E_BADTOKEN },
	{ "iss number", K_ISS, "{\"iss\":5," EXP "," GOODNS "}",
	    WD_E_BADTOKEN },
	{ "iss list", K_ISS, "{\"iss\":[\"https://issuer.example\"]," EXP
	    "," GOODNS "}", WD_E_BADTOKEN },
	{ "iss right", K_ISS, "{\"iss\":\"https://issuer.example\"," EXP ","
	    GOODNS "}", WD_OK },
	{ "iss unchecked when not configured", K_HS,
	    "{\"iss\":\"whoever\"," EXP "," GOODNS "}", WD_OK },
	/* aud */
	{ "aud missing (string conf)", K_AUD1, GOOD, WD_E_BADTOKEN },
	{ "aud wrong (string conf)", K_AUD1, "{\"aud\":\"other\"," EXP ","
	    GOODNS "}", WD_E_BADTOKEN },
	{ "aud list without it (string conf)", K_AUD1,
	    "{\"aud\":[\"other\",\"apps\"]," EXP "," GOODNS "}",
	    WD_E_BADTOKEN },
	{ "aud empty list", K_AUD1, "{\"aud\":[]," EXP "," GOODNS "}",
	    WD_E_BADTOKEN },
	{ "aud number", K_AUD1, "{\"aud\":1," EXP "," GOODNS "}",
	    WD_E_BADTOKEN },
	{ "aud list with a number", K_AUD1, "{\"aud\":[1,\"app\"]," EXP ","
	    GOODNS "}", WD_E_BADTOKEN },
	{ "aud missing (list conf)", K_AUDN, GOOD, WD_E_BADTOKEN },
	{ "aud wrong (list conf)", K_AUDN, "{\"aud\":\"mobile\"," EXP ","
	    GOODNS "}", WD_E_BADTOKEN },
	{ "aud string ok (string conf)", K_AUD1, "{\"aud\":\"app\"," EXP ","
	    GOODNS "}", WD_OK },
	{ "aud list containing it (string conf)", K_AUD1,
	    "{\"aud\":[\"x\",\"app\"]," EXP "," GOODNS "}", WD_OK },
	{ "aud second of list conf", K_AUDN, "{\"aud\":\"web\"," EXP ","
	    GOODNS "}", WD_OK },
	{ "aud list vs list conf", K_AUDN, "{\"aud\":[\"z\",\"web\"]," EXP
	    "," GOODNS "}", WD_OK },
	{ "aud unchecked when not configured", K_HS,
	    "{\"aud\":\"whatever\"," EXP "," GOODNS "}", WD_OK },
	/* namespace */
	{ "namespace missing", K_HS, "{" EXP ",\"sub\":\"x\"}",
	    WD_E_CLAIMS },
	{ "namespace a string", K_HS, "{" EXP "," NS ":\"x\"}", WD_E_CLAIMS },
	{ "namespace stringified json", K_HS, "{" EXP "," NS ":\"{\\\""
	    "x-hasura-user-id\\\":\\\"u1\\\"}\"}", WD_E_CLAIMS },
	{ "namespace an array", K_HS, "{" EXP "," NS ":[]}", WD_E_CLAIMS },
	{ "hasura claims at top level", K_HS, "{" EXP "," ROLES "," DEFR ","
	    UID "}", WD_E_CLAIMS },
	{ "custom namespace: default one absent", K_NSC, GOOD,
	    WD_E_CLAIMS },
	{ "custom namespace ok", K_NSC, "{" EXP ",\"https://example.com/c\":"
	    "{" ROLES "," DEFR "," UID "}}", WD_OK },
	/* allowed-roles */
	{ "allowed-roles missing", K_HS, "{" EXP "," NS ":{" DEFR "," UID
	    "}}", WD_E_CLAIMS },
	{ "allowed-roles not a list", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":\"user\"," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	{ "allowed-roles pg literal string", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":\"{user}\"," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	{ "allowed-roles contains a number", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[\"user\",1]," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	{ "allowed-roles contains null", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[\"user\",null]," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	{ "allowed-roles contains a list", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[\"user\",[\"x\"]]," DEFR "," UID
	    "}}", WD_E_CLAIMS },
	{ "allowed-roles contains empty string", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[\"user\",\"\"]," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	{ "allowed-roles empty", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[]," DEFR "," UID "}}", WD_E_CLAIMS },
	{ "allowed-roles role over WD_MAX_ROLE", K_HS, "{" EXP "," NS ":{"
	    "\"x-hasura-allowed-roles\":[\"user\",\"rrrrrrrrrrrrrrrrrrrrrrrr"
	    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"]," DEFR "," UID "}}",
	    WD_E_CLAIMS },
	/* default-role */
	{ "default-role missing", K_HS, "{" EXP "," NS ":{" ROLES "," UID
	    "}}", WD_E_CLAIMS },
	{ "default-role not in allowed", K_HS, "{" EXP "," NS ":{" ROLES ","
	    "\"x-hasura-default-role\":\"admin\"," UID "}}", WD_E_CLAIMS },
	{ "default-role differs in case", K_HS, "{" EXP "," NS ":{" ROLES ","
	    "\"x-hasura-default-role\":\"User\"," UID "}}", WD_E_CLAIMS },
	{ "default-role a number", K_HS, "{" EXP "," NS ":{" ROLES ","
	    "\"x-hasura-default-role\":1," UID "}}", WD_E_CLAIMS },
	{ "default-role a list", K_HS, "{" EXP "," NS ":{" ROLES ","
	    "\"x-hasura-default-role\":[\"user\"]," UID "}}", WD_E_CLAIMS },
	{ "default-role null", K_HS, "{" EXP "," NS ":{" ROLES ","
	    "\"x-hasura-default-role\":null," UID "}}", WD_E_CLAIMS },
	/* user-id */
	{ "user-id missing", K_HS, "{" EXP "," NS ":{" ROLES "," DEFR "}}",
	    WD_E_CLAIMS },
	{ "user-id a number", K_HS, "{" EXP "," NS ":{" ROLES "," DEFR ","
	    "\"x-hasura-user-id\":1}}", WD_E_CLAIMS },
	{ "user-id empty", K_HS, "{" EXP "," NS ":{" ROLES "," DEFR ","
	    "\"x-hasura-user-id\":\"\"}}", WD_E_CLAIMS },
	{ "user-id over WD_MAX_ID", K_HS, "{" EXP "," NS ":{" ROLES "," DEFR
	    ",\"x-hasura-user-id\":\"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"
	    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"
	    "iiiiiiiiiiiiiiiiiiiiiiiiiii\"}}", WD_E_CLAIMS },
	/* other x-hasura-* */
	{ "other x-hasura claim a number", K_HS, "{" EXP "," NS ":{" ROLES
	    "," DEFR "," UID ",\"x-hasura-org-id\":5}}", WD_E_CLAIMS },
	{ "other x-hasura claim null", K_HS, "{" EXP "," NS ":{" ROLES ","
	    DEFR "," UID ",\"x-hasura-org-id\":null}}", WD_E_CLAIMS },
	{ "other x-hasura claim boolean", K_HS, "{" EXP "," NS ":{" ROLES ","
	    DEFR "," UID ",\"X-Hasura-Org-Id\":true}}", WD_E_CLAIMS },
	{ "other x-hasura claim an object", K_HS, "{" EXP "," NS ":{" ROLES
	    "," DEFR "," UID ",\"x-hasura-org-id\":{}}}", WD_E_CLAIMS },
	{ "other x-hasura claim a list", K_HS, "{" EXP "," NS ":{" ROLES ","
	    DEFR "," UID ",\"x-hasura-org-ids\":[\"a\"]}}", WD_E_CLAIMS },
	{ "two keys equal but for case (user-id)", K_HS, "{" EXP "," NS ":{"
	    ROLES "," DEFR "," UID ",\"X-Hasura-User-Id\":\"u2\"}}",
	    WD_E_CLAIMS },
	{ "two keys equal but for case (roles)", K_HS, "{" EXP "," NS ":{"
	    ROLES "," DEFR "," UID ",\"X-HASURA-ALLOWED-ROLES\":[\"admin\"]}}",
	    WD_E_CLAIMS },
	{ "two keys equal but for case (org-id)", K_HS, "{" EXP "," NS ":{"
	    ROLES "," DEFR "," UID "," ORG ",\"x-hasura-ORG-id\":\"o2\"}}",
	    WD_E_CLAIMS },
	{ "mixed-case keys accepted", K_HS, "{" EXP "," NS ":{"
	    "\"X-Hasura-Allowed-Roles\":[\"user\"],"
	    "\"X-Hasura-Default-Role\":\"user\","
	    "\"X-HASURA-USER-ID\":\"u1\",\"X-Hasura-Org-Id\":\"o1\"}}",
	    WD_OK },
	{ "non-hasura claims of any type ignored", K_HS, "{" EXP "," NS ":{"
	    ROLES "," DEFR "," UID ",\"foo\":1,\"bar\":[1],\"baz\":null}}",
	    WD_OK },
	/* sid */
	{ "sid a number", K_HS, "{" EXP ",\"sid\":5," GOODNS "}",
	    WD_E_CLAIMS },
	{ "sid a list", K_HS, "{" EXP ",\"sid\":[\"s\"]," GOODNS "}",
	    WD_E_CLAIMS },
	{ "sid a string", K_HS, "{" EXP ",\"sid\":\"s1\"," GOODNS "}",
	    WD_OK },
	{ "good token", K_HS, GOOD, WD_OK },
};

static void
test_claims_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(claims_cases) / sizeof(claims_cases[0]); i++) {
		const struct claims_case	*c = &claims_cases[i];
		char				*tok;

		tok = sign_text(&keys[K_HS], c->payload);
		CHECK(M, c->name, tok != NULL &&
		    verify_str(&keys[c->key], tok, NOW) == c->want);
		free(tok);
	}
}

/* ---- the cache of verified tokens (wd_jwt_verify_cached) -------------- */

/*
 * 1 if tok through cache at now gives what wd_jwt_verify gives: the same
 * code and, on success, the same claims. *hit: answered from the cache.
 */
static int
same_as_uncached(struct wd_jwt_cache *cache, const struct wd_jwt_key *k,
    const char *tok, time_t now, int *hit)
{
	struct wd_claims	 a, b;
	enum wd_err		 ra, rb;
	unsigned long		 before = cache->hits;
	int			 same;

	ra = wd_jwt_verify_cached(cache, k, tok, strlen(tok), now, &a);
	rb = wd_jwt_verify(k, tok, strlen(tok), now, &b);
	*hit = cache->hits != before;
	same = ra == rb;
	if (same && ra == WD_OK)
		same = strcmp(a.user_id, b.user_id) == 0 &&
		    strcmp(a.default_role, b.default_role) == 0 &&
		    (a.sid == NULL) == (b.sid == NULL) &&
		    (a.sid == NULL || strcmp(a.sid, b.sid) == 0) &&
		    a.exp == b.exp && strcmp(json_object_to_json_string(a.root),
		    json_object_to_json_string(b.root)) == 0;
	wd_claims_cleanup(&a);
	wd_claims_cleanup(&b);
	return same;
}

/* Every row of the claims table, twice: the second time from the cache
 * when the first passed, never when it failed. */
static void
test_cache_table(void)
{
	struct wd_jwt_cache	 cache = { 0 };
	size_t			 i;
	int			 ok = 1, hits_ok = 1, h1, h2;

	for (i = 0; i < sizeof(claims_cases) / sizeof(claims_cases[0]); i++) {
		const struct claims_case	*c = &claims_cases[i];
		char				*tok;

		tok = sign_text(&keys[K_HS], c->payload);
		if (tok == NULL || !same_as_uncached(&cache, &keys[c->key],
		    tok, NOW, &h1) || !same_as_uncached(&cache,
		    &keys[c->key], tok, NOW, &h2))
			ok = 0;
		else if (h1 || h2 != (c->want == WD_OK))
			hits_ok = 0;
		free(tok);
	}
	CHECK(M, "cache: every claims row answers as wd_jwt_verify", ok);
	CHECK(M, "cache: a passed token is a hit the second time, a failed "
	    "one never", hits_ok);
	wd_jwt_cache_cleanup(&cache);
}

/* exp and nbf are decided again on every hit, with the skew of the key
 * that verified: second by second around both edges. */
static void
test_cache_time(void)
{
	struct wd_jwt_cache	 cache = { 0 };
	char			*tok;
	time_t			 t;
	int			 ok = 1, h, hits = 0, misses = 0;

	tok = sign_text(&keys[K_SKEW], "{\"exp\":1700003600,\"nbf\":"
	    "1700000100," GOODNS "}");
	CHECK(M, "cache: token with nbf signed", tok != NULL);
	if (tok == NULL)
		return;
	/* warmed once inside the window, then asked across both edges */
	ok = same_as_uncached(&cache, &keys[K_SKEW], tok, NOW + 1000, &h);
	for (t = NOW + 100 - 30 - 3; t <= NOW + 100 - 30 + 3; t++) {
		ok &= same_as_uncached(&cache, &keys[K_SKEW], tok, t, &h);
		hits += h;
	}
	for (t = NOW + 3600 + 30 - 3; t <= NOW + 3600 + 30 + 3; t++) {
		ok &= same_as_uncached(&cache, &keys[K_SKEW], tok, t, &h);
		hits += h;
		misses += !h;
	}
	CHECK(M, "cache: nbf and exp with allowed_skew decided as uncached",
	    ok);
	/* hits from nbf - skew on (4 of the first 7 seconds) and up to
	 * exp + skew (4 of the last 7); the 3 seconds past it miss */
	CHECK(M, "cache: hits within the window only", hits == 8 &&
	    misses == 3);
	CHECK(M, "cache: past exp + skew the answer is expired",
	    wd_jwt_verify_cached(&cache, &keys[K_SKEW], tok, strlen(tok),
	    NOW + 3600 + 31, &(struct wd_claims){ 0 }) == WD_E_EXPIRED);
	free(tok);
	wd_jwt_cache_cleanup(&cache);
}

/* The settings are part of the key: a token verified under one key is
 * no hit under another (here the same secret, an issuer required). */
static void
test_cache_settings(void)
{
	struct wd_jwt_cache	 cache = { 0 };
	char			*tok, *bad;
	int			 h1 = 1, h2 = 1, ok;

	tok = sign_text(&keys[K_HS], GOOD);
	ok = tok != NULL && same_as_uncached(&cache, &keys[K_HS], tok, NOW,
	    &h1) && same_as_uncached(&cache, &keys[K_ISS], tok, NOW, &h2);
	CHECK(M, "cache: another key's settings miss (issuer now required)",
	    ok && !h1 && !h2 && verify_str(&keys[K_ISS], tok, NOW) ==
	    WD_E_BADTOKEN);
	/* a failure is never kept: the tampered token fails each time */
	bad = tok == NULL ? NULL : strdup(tok);
	if (bad != NULL)
		bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	ok = bad != NULL && same_as_uncached(&cache, &keys[K_HS], bad, NOW,
	    &h1) && same_as_uncached(&cache, &keys[K_HS], bad, NOW, &h2);
	CHECK(M, "cache: a bad signature fails twice, never a hit",
	    ok && !h1 && !h2 && verify_str(&keys[K_HS], bad, NOW) ==
	    WD_E_BADTOKEN);
	free(bad);
	free(tok);

	wd_jwt_cache_cleanup(&cache);
}

/* k and prev, paired as wd_jwt_keys_load pairs them; rot is a shallow
 * copy of k, never cleaned up itself. */
static void
rotation_pair(struct wd_jwt_key *rot, const struct wd_jwt_key *k,
    struct wd_jwt_key *prev)
{
	*rot = *k;
	wd_jwt_key_set_prev(rot, prev);
}

/*
 * Rotation: a token only the previous key verifies. Hits stay within the
 * smaller of the two skews; past it the full check decides, which under
 * a shared secret is the current key's "expired" (its exp check comes
 * before its issuer check), and otherwise the previous key's own skew.
 */
static void
test_cache_rotation(void)
{
	struct wd_jwt_cache	 cache = { 0 };
	struct wd_jwt_key	 rot, prev, cur;
	char			*tok = NULL, err[256];
	int			 h1 = 1, h2 = 0, h3 = 1, ok;

	/* another secret: the previous key's skew (30) applies in full */
	ok = key_parse("HS256", SECRET2, ",\"allowed_skew\":30", &prev, err,
	    sizeof(err)) == WD_OK;
	if (ok)
		rotation_pair(&rot, &keys[K_HS], &prev);
	tok = ok ? sign_text(&prev, GOOD) : NULL;
	ok = tok != NULL && same_as_uncached(&cache, &rot, tok, NOW, &h1) &&
	    same_as_uncached(&cache, &rot, tok, NOW + 3600, &h2) &&
	    same_as_uncached(&cache, &rot, tok, NOW + 3600 + 30, &h3) &&
	    verify_str(&rot, tok, NOW + 3600 + 30) == WD_OK;
	CHECK(M, "cache: previous key's token: a hit up to exp, the full "
	    "check (ok) within prev's skew", ok && !h1 && h2 && !h3);
	ok = tok != NULL && same_as_uncached(&cache, &rot, tok,
	    NOW + 3600 + 31, &h1) && verify_str(&rot, tok, NOW + 3600 + 31)
	    == WD_E_EXPIRED;
	CHECK(M, "cache: previous key's token past its skew: expired", ok &&
	    !h1);
	free(tok);
	tok = NULL;
	wd_jwt_key_cleanup(&prev);

	/* the same secret, the current key requiring an issuer the token
	 * lacks (found in review): the current key's skew (0) decides */
	ok = key_parse("HS256", SECRET, ",\"allowed_skew\":30", &prev, err,
	    sizeof(err)) == WD_OK && key_parse("HS256", SECRET,
	    ",\"issuer\":\"https://new.example\"", &cur, err, sizeof(err)) ==
	    WD_OK;
	if (ok)
		rotation_pair(&rot, &cur, &prev);
	tok = ok ? sign_text(&prev, GOOD) : NULL;
	ok = tok != NULL && same_as_uncached(&cache, &rot, tok, NOW, &h1) &&
	    same_as_uncached(&cache, &rot, tok, NOW + 3600, &h2) &&
	    same_as_uncached(&cache, &rot, tok, NOW + 3600 + 10, &h3) &&
	    verify_str(&rot, tok, NOW) == WD_OK &&
	    verify_str(&rot, tok, NOW + 3600 + 10) == WD_E_EXPIRED;
	CHECK(M, "cache: shared secret, past the current key's skew: "
	    "expired, never a hit", ok && !h1 && h2 && !h3);
	free(tok);
	wd_jwt_key_cleanup(&cur);
	wd_jwt_key_cleanup(&prev);
	wd_jwt_cache_cleanup(&cache);
}

/* More tokens than slots: every answer is its own token's claims, and
 * claims handed out outlive an eviction and the cache itself. */
static void
test_cache_many(void)
{
	struct wd_jwt_cache	 cache = { 0 };
	struct wd_claims	 held = { 0 }, c;
	char			 payload[512], want[32], wsid[32];
	char			*toks[3 * WD_JWT_CACHE_N];
	size_t			 i, n = sizeof(toks) / sizeof(toks[0]);
	int			 ok = 1, round;

	for (i = 0; i < n; i++) {
		snprintf(payload, sizeof(payload), "{" EXP ",\"sid\":\"s%zu\","
		    NS ":{" ROLES "," DEFR ",\"x-hasura-user-id\":\"u%zu\"}}",
		    i, i);
		toks[i] = sign_text(&keys[K_HS], payload);
		if (toks[i] == NULL)
			abort();
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < n; i++) {
			snprintf(want, sizeof(want), "u%zu", i);
			snprintf(wsid, sizeof(wsid), "s%zu", i);
			if (wd_jwt_verify_cached(&cache, &keys[K_HS], toks[i],
			    strlen(toks[i]), NOW, &c) != WD_OK ||
			    strcmp(c.user_id, want) != 0 ||
			    c.sid == NULL || strcmp(c.sid, wsid) != 0)
				ok = 0;
			if (round == 0 && i == 0)
				held = c;	/* kept past evictions */
			else
				wd_claims_cleanup(&c);
		}
	CHECK(M, "cache: 3x its slots, each token answers its own claims",
	    ok);
	CHECK(M, "cache: some hits among colliding tokens", cache.hits > 0);
	wd_jwt_cache_cleanup(&cache);
	CHECK(M, "cache: claims handed out outlive the cache",
	    held.user_id != NULL && strcmp(held.user_id, "u0") == 0 &&
	    strcmp(held.sid, "s0") == 0);
	wd_claims_cleanup(&held);
	for (i = 0; i < n; i++)
		free(toks[i]);
}

/* Many x-hasura-* claims or roles. */
static void
test_claims_counts(void)
{
	struct wd_buf	 b;
	char		*tok;
	int		 i;

	wd_buf_init(&b, 8192);
	(void)wd_buf_adds(&b, "{" EXP "," NS ":{" ROLES "," DEFR "," UID);
	for (i = 0; i < WD_MAX_CLAIMS; i++)
		(void)wd_buf_addf(&b, ",\"x-hasura-c%d\":\"v\"", i);
	(void)wd_buf_adds(&b, "}}");
	tok = sign_text(&keys[K_HS], b.p);
	CHECK(M, "more than WD_MAX_CLAIMS x-hasura claims", tok != NULL &&
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_CLAIMS);
	free(tok);

	wd_buf_reset(&b);
	(void)wd_buf_adds(&b, "{" EXP "," NS ":{" DEFR "," UID
	    ",\"x-hasura-allowed-roles\":[\"user\"");
	for (i = 0; i < WD_MAX_ROLES; i++)
		(void)wd_buf_addf(&b, ",\"r%d\"", i);
	(void)wd_buf_adds(&b, "]}}");
	tok = sign_text(&keys[K_HS], b.p);
	CHECK(M, "more than WD_MAX_ROLES roles", tok != NULL &&
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_CLAIMS);
	free(tok);
	wd_buf_cleanup(&b);
}

/* What a verified token exposes, and wd_claims_role_allowed. */
static void
test_claims_view(void)
{
	static const struct {
		const char	*name;
		const char	*role;
		size_t		 len;
		int		 want;
	} roles[] = {
		{ "role_allowed empty", "", 0, 0 },
		{ "role_allowed prefix", "use", 3, 0 },
		{ "role_allowed longer", "users", 5, 0 },
		{ "role_allowed other case", "USER", 4, 0 },
		{ "role_allowed length-limited prefix", "user", 3, 0 },
		{ "role_allowed not listed", "admin", 5, 0 },
		{ "role_allowed with NUL", "user\0", 5, 0 },
		{ "role_allowed user", "user", 4, 1 },
		{ "role_allowed editor", "editor", 6, 1 },
		{ "role_allowed length-limited", "editorial", 6, 1 },
	};
	struct wd_claims	 c, z;
	char			*tok;
	size_t			 i;
	int			 ok;

	tok = sign_text(&keys[K_HS], "{" EXP ",\"sid\":\"s-42\"," GOODNS "}");
	ok = tok != NULL && wd_jwt_verify(&keys[K_HS], tok, strlen(tok), NOW,
	    &c) == WD_OK;
	CHECK(M, "view: verify", ok);
	if (!ok) {
		free(tok);
		return;
	}
	CHECK(M, "view: user_id", c.user_id != NULL &&
	    strcmp(c.user_id, "u1") == 0);
	CHECK(M, "view: default_role", c.default_role != NULL &&
	    strcmp(c.default_role, "user") == 0);
	CHECK(M, "view: sid captured", c.sid != NULL &&
	    strcmp(c.sid, "s-42") == 0);
	CHECK(M, "view: exp", c.exp == 1700003600);
	CHECK(M, "view: ns and allowed", c.ns != NULL && c.allowed != NULL &&
	    json_object_array_length(c.allowed) == 2);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		CHECK(M, roles[i].name, wd_claims_role_allowed(&c,
		    roles[i].role, roles[i].len) == roles[i].want);
	wd_claims_cleanup(&c);
	CHECK(M, "view: cleanup zeroes", c.root == NULL && c.sid == NULL);
	wd_claims_cleanup(&c);
	wd_claims_cleanup(NULL);
	memset(&z, 0, sizeof(z));
	CHECK(M, "role_allowed on zeroed claims",
	    wd_claims_role_allowed(&z, "user", 4) == 0);
	free(tok);

	tok = sign_text(&keys[K_HS], GOOD);
	ok = tok != NULL && wd_jwt_verify(&keys[K_HS], tok, strlen(tok), NOW,
	    &c) == WD_OK;
	CHECK(M, "view: sid NULL when absent", ok && c.sid == NULL);
	if (ok)
		wd_claims_cleanup(&c);
	free(tok);

	/* c is zeroed on error */
	tok = sign_text(&keys[K_HS], "{\"exp\":1," GOODNS "}");
	memset(&c, 0x5a, sizeof(c));
	CHECK(M, "view: claims zeroed on error", tok != NULL &&
	    wd_jwt_verify(&keys[K_HS], tok, strlen(tok), NOW, &c) ==
	    WD_E_EXPIRED && c.root == NULL && c.ns == NULL &&
	    c.user_id == NULL && c.allowed == NULL && c.sid == NULL);
	free(tok);
}

/* ---- shape and algorithm ------------------------------------------------ */

static void
test_shape(void)
{
	char		*good, *h, *p, *s, *tok, *big;
	const char	*d1, *d2;
	struct wd_claims c;
	size_t		 n;

	good = sign_text(&keys[K_HS], GOOD);
	if (good == NULL) {
		CHECK(M, "shape: sign", 0);
		return;
	}
	d1 = strchr(good, '.');
	d2 = strchr(d1 + 1, '.');
	h = strndup(good, (size_t)(d1 - good));
	p = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	s = strdup(d2 + 1);
	{
		struct {
			const char	*name;
			char		*tok;
		} cases[] = {
			{ "shape 2 segments", cat3(h, p, "") },
			{ "shape 4 segments", NULL },
			{ "shape empty header", cat3("", p, s) },
			{ "shape empty payload", cat3(h, "", s) },
			{ "shape empty signature", cat3(h, p, "") },
			{ "shape all empty", strdup("..") },
			{ "shape single segment", strdup(h) },
			{ "shape empty", strdup("") },
			{ "shape leading space", NULL },
			{ "shape trailing space", NULL },
			{ "shape space inside", NULL },
			{ "shape padding '='", NULL },
			{ "shape standard base64 '+/'", NULL },
			{ "shape Bearer prefix", NULL },
			{ "shape trailing newline", NULL },
		};
		size_t	 i, hl = strlen(h), gl = strlen(good);
		char	*t;

		/* "a.b" with no third dot at all */
		free(cases[0].tok);
		cases[0].tok = malloc(hl + strlen(p) + 2);
		memcpy(cases[0].tok, good, hl + 1 + strlen(p));
		cases[0].tok[hl + 1 + strlen(p)] = '\0';
		t = malloc(gl + 8);
		memcpy(t, good, gl);
		memcpy(t + gl, ".AAAA", 6);
		cases[1].tok = t;
		t = malloc(gl + 2);
		t[0] = ' ';
		memcpy(t + 1, good, gl + 1);
		cases[8].tok = t;
		t = malloc(gl + 2);
		memcpy(t, good, gl);
		memcpy(t + gl, " ", 2);
		cases[9].tok = t;
		t = strdup(good);
		t[hl + 3] = ' ';
		cases[10].tok = t;
		t = malloc(gl + 2);
		memcpy(t, good, gl);
		memcpy(t + gl, "=", 2);
		cases[11].tok = t;
		t = strdup(good);
		t[hl + 3] = '+';
		t[hl + 4] = '/';
		cases[12].tok = t;
		t = malloc(gl + 8);
		memcpy(t, "Bearer ", 7);
		memcpy(t + 7, good, gl + 1);
		cases[13].tok = t;
		t = malloc(gl + 2);
		memcpy(t, good, gl);
		memcpy(t + gl, "\n", 2);
		cases[14].tok = t;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			CHECK(M, cases[i].name, cases[i].tok != NULL &&
			    verify_str(&keys[K_HS], cases[i].tok, NOW) ==
			    WD_E_BADTOKEN);
			free(cases[i].tok);
		}
	}
	/* NUL inside: len covers it */
	tok = strdup(good);
	tok[strlen(h) + 2] = '\0';
	CHECK(M, "shape NUL inside", wd_jwt_verify(&keys[K_HS], tok,
	    strlen(good), NOW, &c) == WD_E_BADTOKEN);
	wd_claims_cleanup(&c);
	free(tok);

	/* the good one, and not NUL-terminated */
	CHECK(M, "shape good", verify_str(&keys[K_HS], good, NOW) == WD_OK);
	n = strlen(good);
	tok = malloc(n + 16);
	memcpy(tok, good, n);
	memcpy(tok + n, "GARBAGE.x y\0", 12);
	CHECK(M, "shape good, not NUL-terminated", wd_jwt_verify(&keys[K_HS],
	    tok, n, NOW, &c) == WD_OK);
	wd_claims_cleanup(&c);
	free(tok);
	CHECK(M, "shape length 0", wd_jwt_verify(&keys[K_HS], good, 0, NOW,
	    &c) == WD_E_BADTOKEN);

	/* tampered payload: same header and signature, other claims */
	{
		const char	*evil = "{" EXP "," NS ":{\"x-hasura-allowed-"
		    "roles\":[\"user\",\"admin2\"],\"x-hasura-default-role\":"
		    "\"admin2\"," UID "}}";
		char		*ep = b64url(evil, strlen(evil));

		tok = cat3(h, ep, s);
		CHECK(M, "tampered payload", verify_str(&keys[K_HS], tok,
		    NOW) == WD_E_BADTOKEN);
		free(tok);
		free(ep);
	}
	/* tampered signature: first character changed */
	tok = strdup(good);
	tok[d2 - good + 1] = tok[d2 - good + 1] == 'A' ? 'B' : 'A';
	CHECK(M, "tampered signature", verify_str(&keys[K_HS], tok, NOW) ==
	    WD_E_BADTOKEN);
	free(tok);
	/* signature from another token */
	{
		char	*other = sign_text(&keys[K_HS], "{" EXP ",\"x\":1,"
		    GOODNS "}");
		const char *od = other == NULL ? NULL : strrchr(other, '.');

		tok = od == NULL ? NULL : cat3(h, p, od + 1);
		CHECK(M, "signature of another token", tok != NULL &&
		    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
		free(tok);
		free(other);
	}
	/* truncated signature */
	tok = strdup(good);
	tok[strlen(tok) - 4] = '\0';
	CHECK(M, "truncated signature", verify_str(&keys[K_HS], tok, NOW) ==
	    WD_E_BADTOKEN);
	free(tok);

	/* oversized: a validly signed token longer than WD_MAX_TOKEN */
	big = malloc(WD_MAX_TOKEN);
	memset(big, 'z', WD_MAX_TOKEN - 1);
	big[WD_MAX_TOKEN - 1] = '\0';
	{
		struct wd_buf	 b;
		size_t		 pad;
		int		 exact = 0, over = 0;

		wd_buf_init(&b, 3 * WD_MAX_TOKEN);
		(void)wd_buf_addf(&b, "{" EXP ",\"pad\":\"%s\"," GOODNS "}",
		    big);
		tok = sign_text(&keys[K_HS], b.p);
		CHECK(M, "oversized token", tok != NULL &&
		    strlen(tok) > WD_MAX_TOKEN &&
		    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
		free(tok);
		/* exactly WD_MAX_TOKEN is allowed, one more is not */
		for (pad = 5900; pad < 6300 && (!exact || !over); pad++) {
			size_t	 l;

			wd_buf_reset(&b);
			(void)wd_buf_addf(&b, "{" EXP ",\"pad\":\"%.*s\","
			    GOODNS "}", (int)pad, big);
			tok = sign_text(&keys[K_HS], b.p);
			l = tok == NULL ? 0 : strlen(tok);
			if (l == WD_MAX_TOKEN && !exact) {
				exact = 1;
				CHECK(M, "token of exactly WD_MAX_TOKEN ok",
				    verify_str(&keys[K_HS], tok, NOW) ==
				    WD_OK);
			}
			if (l == WD_MAX_TOKEN + 1 && !over) {
				over = 1;
				CHECK(M, "token of WD_MAX_TOKEN + 1 refused",
				    verify_str(&keys[K_HS], tok, NOW) ==
				    WD_E_BADTOKEN);
			}
			free(tok);
		}
		CHECK(M, "found tokens at the size limit", exact && over);
		wd_buf_cleanup(&b);
	}
	free(big);
	free(h);
	free(p);
	free(s);
	free(good);
}

static void
test_hs_algs(void)
{
	static const struct {
		const char	*type;
		const char	*hdr_alg;
	} algs[] = {
		{ "HS256", "\"alg\":\"HS256\"" },
		{ "HS384", "\"alg\":\"HS384\"" },
		{ "HS512", "\"alg\":\"HS512\"" },
	};
	struct wd_jwt_key	 k[3];
	char			 name[96], err[256];
	size_t			 i, j;

	memset(k, 0, sizeof(k));
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s key parses", algs[i].type);
		CHECK(M, name, key_parse(algs[i].type, SECRET, "", &k[i], err,
		    sizeof(err)) == WD_OK);
	}
	for (i = 0; i < 3; i++) {
		char	*tok = sign_text(&k[i], GOOD), *hd;

		hd = tok == NULL ? NULL : header_of(tok);
		snprintf(name, sizeof(name), "%s sign and verify",
		    algs[i].type);
		CHECK(M, name, tok != NULL &&
		    verify_str(&k[i], tok, NOW) == WD_OK);
		snprintf(name, sizeof(name), "%s header names it",
		    algs[i].type);
		CHECK(M, name, hd != NULL &&
		    strstr(hd, algs[i].hdr_alg) != NULL);
		for (j = 0; j < 3; j++) {
			if (j == i)
				continue;
			snprintf(name, sizeof(name), "%s token, %s key "
			    "(same secret)", algs[i].type, algs[j].type);
			CHECK(M, name, tok != NULL &&
			    verify_str(&k[j], tok, NOW) == WD_E_BADTOKEN);
		}
		free(hd);
		free(tok);
	}
	for (i = 0; i < 3; i++)
		wd_jwt_key_cleanup(&k[i]);

	/* hand-made HMAC tokens: the verifier is not just libjwt's mirror */
	{
		const EVP_MD	*md[3];
		const char	*hdrs[3] = {
			"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
			"{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
			"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		};
		struct wd_jwt_key	 kk;
		char			*tok;

		md[0] = EVP_sha256();
		md[1] = EVP_sha384();
		md[2] = EVP_sha512();
		for (i = 0; i < 3; i++) {
			memset(&kk, 0, sizeof(kk));
			(void)key_parse(algs[i].type, SECRET, "", &kk, err,
			    sizeof(err));
			tok = craft(hdrs[i], GOOD, md[i], SECRET,
			    strlen(SECRET), NULL);
			snprintf(name, sizeof(name), "hand-made %s token ok",
			    algs[i].type);
			CHECK(M, name, verify_str(&kk, tok, NOW) == WD_OK);
			free(tok);
			tok = craft(hdrs[i], GOOD, md[i], SECRET2,
			    strlen(SECRET2), NULL);
			snprintf(name, sizeof(name), "hand-made %s token, "
			    "wrong secret", algs[i].type);
			CHECK(M, name, verify_str(&kk, tok, NOW) ==
			    WD_E_BADTOKEN);
			free(tok);
			wd_jwt_key_cleanup(&kk);
		}
	}
}

static void
test_none_and_wrong_key(void)
{
	struct wd_jwt_key	 other = { 0 };
	char			 err[256];
	char			*tok;
	static const char *const none_hdrs[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"none\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"NONE\"}",
		"{\"typ\":\"JWT\"}",
		"{\"alg\":\"\"}",
		"{\"alg\":null}",
		"{\"alg\":\"HS257\"}",
	};
	size_t			 i;
	char			 name[96];

	for (i = 0; i < sizeof(none_hdrs) / sizeof(none_hdrs[0]); i++) {
		tok = craft(none_hdrs[i], GOOD, NULL, NULL, 0, "");
		snprintf(name, sizeof(name), "alg header %s, no signature",
		    none_hdrs[i]);
		CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) ==
		    WD_E_BADTOKEN);
		free(tok);
		tok = craft(none_hdrs[i], GOOD, NULL, NULL, 0, "AAAA");
		snprintf(name, sizeof(name), "alg header %s, junk signature",
		    none_hdrs[i]);
		CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) ==
		    WD_E_BADTOKEN);
		free(tok);
		/* even with a correct HMAC over it */
		tok = craft(none_hdrs[i], GOOD, EVP_sha256(), SECRET,
		    strlen(SECRET), NULL);
		snprintf(name, sizeof(name), "alg header %s, valid HS256 mac",
		    none_hdrs[i]);
		CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) ==
		    WD_E_BADTOKEN);
		free(tok);
	}
	/* header or payload not JSON / not an object, validly signed */
	tok = craft("not json", GOOD, EVP_sha256(), SECRET, strlen(SECRET),
	    NULL);
	CHECK(M, "header not JSON", verify_str(&keys[K_HS], tok, NOW) ==
	    WD_E_BADTOKEN);
	free(tok);
	tok = craft("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "not json",
	    EVP_sha256(), SECRET, strlen(SECRET), NULL);
	CHECK(M, "payload not JSON", verify_str(&keys[K_HS], tok, NOW) ==
	    WD_E_BADTOKEN);
	free(tok);
	tok = craft("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "[1,2]",
	    EVP_sha256(), SECRET, strlen(SECRET), NULL);
	CHECK(M, "payload an array", verify_str(&keys[K_HS], tok, NOW) !=
	    WD_OK);
	free(tok);

	/* wrong key */
	(void)key_parse("HS256", SECRET2, "", &other, err, sizeof(err));
	tok = sign_text(&other, GOOD);
	CHECK(M, "HS256 signed with another secret", tok != NULL &&
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
	free(tok);
	wd_jwt_key_cleanup(&other);
}

/* ---- strict tokens (issue 10) ------------------------------------------- */

/*
 * header.payload.HMAC-SHA256(SECRET) over two segment texts as given
 * (base64url or not): the oracle is libcrypto's HMAC over exactly the
 * bytes in the token, so only the property under test can fail it.
 */
static char *
sign_segs(const char *h, const char *p)
{
	struct wd_buf	 b;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*sig, *tok;

	wd_buf_init(&b, 65536);
	(void)wd_buf_addf(&b, "%s.%s", h, p);
	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)b.p, b.len, mac, &maclen) == NULL)
		abort();
	sig = b64url(mac, maclen);
	(void)wd_buf_addf(&b, ".%s", sig);
	tok = strdup(wd_buf_str(&b));
	wd_buf_cleanup(&b);
	free(sig);
	if (tok == NULL)
		abort();
	return tok;
}

/* The same from JSON texts of given lengths (NUL bytes allowed). */
static char *
sign_texts(const char *hdr, size_t hlen, const char *pl, size_t plen)
{
	char	*h = b64url(hdr, hlen), *p = b64url(pl, plen), *tok;

	tok = sign_segs(h, p);
	free(h);
	free(p);
	return tok;
}

#define HS	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define T(s)	(s), sizeof(s) - 1	/* a literal with its NULs */

struct strict_case {
	const char	*name;
	const char	*hdr;
	size_t		 hlen;
	const char	*pl;
	size_t		 plen;
	enum wd_err	 want;
};

static const struct strict_case strict_cases[] = {
	/* controls: the parsers agree, the token is good */
	{ "strict: alg HS256, typ JWT", T(HS), T(GOOD), WD_OK },
	{ "strict: alg HS256 alone", T("{\"alg\":\"HS256\"}"), T(GOOD),
	    WD_OK },
	{ "strict: kid and an unknown member are ignored",
	    T("{\"alg\":\"HS256\",\"kid\":\"k1\",\"x5t\":\"q\"}"), T(GOOD),
	    WD_OK },
	{ "strict: alg spelled with \\u escapes is the same string",
	    T("{\"alg\":\"HS\\u0032\\u0035\\u0036\"}"), T(GOOD), WD_OK },
	{ "strict: payload with blanks around", T(HS), T(" \n" GOOD "\t"),
	    WD_OK },
	/* alg: byte for byte, not libjwt's case-insensitive enum */
	{ "strict: alg hs256", T("{\"alg\":\"hs256\",\"typ\":\"JWT\"}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: alg Hs256", T("{\"alg\":\"Hs256\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: alg hS256", T("{\"alg\":\"hS256\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: alg with a trailing blank", T("{\"alg\":\"HS256 \"}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: alg with an escaped NUL",
	    T("{\"alg\":\"HS256\\u0000\"}"), T(GOOD), WD_E_BADTOKEN },
	{ "strict: alg a list", T("{\"alg\":[\"HS256\"]}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: member ALG, no alg", T("{\"ALG\":\"HS256\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	/* crit: none understood, so any is refused (RFC 7515 §4.1.11) */
	{ "strict: crit [exp]", T("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: crit empty list", T("{\"alg\":\"HS256\",\"crit\":[]}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: crit naming a present extension",
	    T("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: crit null", T("{\"alg\":\"HS256\",\"crit\":null}"),
	    T(GOOD), WD_E_BADTOKEN },
	/* repeated header members */
	{ "strict: alg twice, same value",
	    T("{\"alg\":\"HS256\",\"alg\":\"HS256\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: alg twice, none then HS256",
	    T("{\"alg\":\"none\",\"alg\":\"HS256\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: typ twice", T("{\"alg\":\"HS256\",\"typ\":\"JWT\","
	    "\"typ\":\"JWT\"}"), T(GOOD), WD_E_BADTOKEN },
	/* typ and kid types */
	{ "strict: typ jwt", T("{\"alg\":\"HS256\",\"typ\":\"jwt\"}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: typ a number", T("{\"alg\":\"HS256\",\"typ\":5}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: kid a number", T("{\"alg\":\"HS256\",\"kid\":5}"),
	    T(GOOD), WD_E_BADTOKEN },
	/* what the strict parser refuses, in the header */
	{ "strict: header, bytes after a NUL",
	    T("{\"alg\":\"HS256\"}\0{\"crit\":[\"x\"]}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: header, a NUL inside",
	    T("{\"alg\":\"HS256\"\0,\"crit\":[\"x\"]}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: header, trailing bytes", T("{\"alg\":\"HS256\"} x"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: header, two objects", T("{\"alg\":\"HS256\"}{}"),
	    T(GOOD), WD_E_BADTOKEN },
	{ "strict: header, bad UTF-8",
	    T("{\"alg\":\"HS256\",\"x\":\"\xff\"}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: header, byte order mark",
	    T("\xef\xbb\xbf{\"alg\":\"HS256\"}"), T(GOOD), WD_E_BADTOKEN },
	{ "strict: header, single quotes", T("{'alg':'HS256'}"), T(GOOD),
	    WD_E_BADTOKEN },
	{ "strict: header an array", T("[\"HS256\"]"), T(GOOD),
	    WD_E_BADTOKEN },
	/* repeated payload claims: last-wins would differ between parsers */
	{ "strict: exp twice", T(HS), T("{\"exp\":1700003600,\"exp\":1,"
	    GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: exp twice, same value", T(HS), T("{" EXP "," EXP ","
	    GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: x-hasura-user-id twice", T(HS), T("{" EXP "," NS ":{"
	    ROLES "," DEFR "," UID ",\"x-hasura-user-id\":\"u2\"}}"),
	    WD_E_BADTOKEN },
	{ "strict: claims namespace twice", T(HS), T("{" EXP "," GOODNS
	    "," NS ":{" ROLES "," DEFR ",\"x-hasura-user-id\":\"u2\"}}"),
	    WD_E_BADTOKEN },
	{ "strict: sid twice", T(HS), T("{" EXP ",\"sid\":\"a\","
	    "\"sid\":\"b\"," GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: nested repeat inside an unused claim", T(HS),
	    T("{" EXP ",\"x\":{\"a\":1,\"a\":2}," GOODNS "}"),
	    WD_E_BADTOKEN },
	/* NULs in the payload */
	{ "strict: payload, bytes after a NUL", T(HS),
	    T(GOOD "\0{\"exp\":1}"), WD_E_BADTOKEN },
	{ "strict: payload, a NUL inside a value", T(HS), T("{" EXP ","
	    NS ":{" ROLES "," DEFR ",\"x-hasura-user-id\":\"u1\0x\"}}"),
	    WD_E_BADTOKEN },
	{ "strict: payload, escaped NUL in the user id", T(HS), T("{" EXP
	    "," NS ":{" ROLES "," DEFR ",\"x-hasura-user-id\":"
	    "\"u1\\u0000x\"}}"), WD_E_BADTOKEN },
	{ "strict: payload, escaped NUL in a claim name", T(HS),
	    T("{" EXP ",\"exp\\u0000x\":1," GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: payload, escaped NUL in an unused claim", T(HS),
	    T("{" EXP ",\"note\":\"\\u0000\"," GOODNS "}"), WD_E_BADTOKEN },
	/* and everything else the strict parser refuses */
	{ "strict: payload, trailing bytes", T(HS), T(GOOD " x"),
	    WD_E_BADTOKEN },
	{ "strict: payload, bad UTF-8", T(HS), T("{" EXP ",\"n\":\"\xc3\","
	    GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: payload, overlong UTF-8", T(HS), T("{" EXP ",\"n\":"
	    "\"\xc0\xaf\"," GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: payload, lone surrogate escape", T(HS), T("{" EXP
	    ",\"n\":\"\\ud800\"," GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: payload, NaN", T(HS), T("{" EXP ",\"n\":NaN," GOODNS
	    "}"), WD_E_BADTOKEN },
	{ "strict: payload, leading zero", T(HS), T("{\"exp\":01700003600,"
	    GOODNS "}"), WD_E_BADTOKEN },
	{ "strict: payload, raw control character", T(HS), T("{" EXP
	    ",\"n\":\"a\tb\"," GOODNS "}"), WD_E_BADTOKEN },
};

/* Segments: base64url exactly as RFC 7515 §2 spells it, one text each. */
static void
test_strict_segments(void)
{
	char		*h = b64url(HS, strlen(HS)), *p, *tok, *bad;
	char		 pl[256], name[96];
	size_t		 n, lead;
	int		 seen[3] = { 0, 0, 0 };
	const char	*al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	/* leading blanks move the payload's length through n % 3 == 0,
	 * 1 and 2 (encoded lengths 4k, 4k + 2, 4k + 3) */
	for (lead = 0; lead < 3; lead++) {
		snprintf(pl, sizeof(pl), "%.*s%s", (int)lead, "   ", GOOD);
		p = b64url(pl, strlen(pl));
		n = strlen(p);
		tok = sign_segs(h, p);
		snprintf(name, sizeof(name), "strict: canonical segment of "
		    "%zu characters (n %% 4 = %zu)", n, n % 4);
		CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) == WD_OK);
		free(tok);
		seen[n % 4 == 0 ? 0 : n % 4 - 1] = 1;
		if (n % 4 != 0) {
			/* the next character keeps every data bit and sets
			 * an unused one: same bytes, another text */
			bad = strdup(p);
			bad[n - 1] = al[strchr(al, p[n - 1]) - al + 1];
			tok = sign_segs(h, bad);
			snprintf(name, sizeof(name), "strict: unused low bits "
			    "set in a %zu-character segment", n);
			CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) ==
			    WD_E_BADTOKEN);
			free(tok);
			/* RFC 4648 padding, signed as sent */
			snprintf(pl, sizeof(pl), "%s%s", p, n % 4 == 2 ? "==" :
			    "=");
			tok = sign_segs(h, pl);
			snprintf(name, sizeof(name), "strict: '=' padding on "
			    "a %zu-character segment", n);
			CHECK(M, name, verify_str(&keys[K_HS], tok, NOW) ==
			    WD_E_BADTOKEN);
			free(tok);
			free(bad);
		}
		/* 4k + 1 characters encode no whole byte */
		snprintf(pl, sizeof(pl), "%sA%s", p, n % 4 == 0 ? "" :
		    n % 4 == 2 ? "AA" : "A");
		tok = sign_segs(h, pl);
		snprintf(name, sizeof(name), "strict: a segment of 4k + 1 "
		    "characters (%zu)", strlen(pl));
		CHECK(M, name, strlen(pl) % 4 == 1 &&
		    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
		free(tok);
		free(p);
	}
	CHECK(M, "strict: lengths 4k, 4k + 2 and 4k + 3 all tried",
	    seen[0] && seen[1] && seen[2]);
	/* the signature's text: 32 bytes are 43 characters, the last one
	 * with two unused bits */
	p = b64url(GOOD, strlen(GOOD));
	tok = sign_segs(h, p);
	n = strlen(tok);
	tok[n - 1] = al[(strchr(al, tok[n - 1]) - al) | 1];
	CHECK(M, "strict: signature with unused low bits set",
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
	free(tok);
	free(p);
	/* the header in standard base64: '+' and '/' are not base64url */
	{
		const char	*hh = "{\"alg\":\"HS256\",\"k\":\"\xfb\xff\"}";

		p = b64url(GOOD, strlen(GOOD));
		bad = b64url(hh, strlen(hh));
		CHECK(M, "strict: header fixture has '-' or '_'",
		    strpbrk(bad, "-_") != NULL);
		for (n = 0; bad[n] != '\0'; n++)
			bad[n] = bad[n] == '-' ? '+' : bad[n] == '_' ? '/' :
			    bad[n];
		tok = sign_segs(bad, p);
		CHECK(M, "strict: header in standard base64 ('+', '/')",
		    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
		free(tok);
		free(bad);
		free(p);
	}
	free(h);
}

static void
test_strict(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]);
	    i++) {
		const struct strict_case *sc = &strict_cases[i];
		char	*tok = sign_texts(sc->hdr, sc->hlen, sc->pl, sc->plen);

		CHECK(M, sc->name, verify_str(&keys[K_HS], tok, NOW) ==
		    sc->want);
		free(tok);
	}
	test_strict_segments();
}

/* ---- RSA ---------------------------------------------------------------- */

struct rsa_ctx {
	char	*priv;		/* PEM */
	char	*pub;
	char	*priv2;		/* another key pair */
	char	*pub2;
	char	*small_priv;	/* 1024 bits */
	char	*ec_pub;
};

static void
rsa_setup(struct rsa_ctx *r)
{
	EVP_PKEY	*a = EVP_RSA_gen(2048);
	EVP_PKEY	*b = EVP_RSA_gen(2048);
	EVP_PKEY	*s = EVP_RSA_gen(1024);
	EVP_PKEY	*e = EVP_EC_gen("P-256");

	if (a == NULL || b == NULL || s == NULL || e == NULL)
		abort();
	r->priv = pem_of(a, 1);
	r->pub = pem_of(a, 0);
	r->priv2 = pem_of(b, 1);
	r->pub2 = pem_of(b, 0);
	r->small_priv = pem_of(s, 1);
	r->ec_pub = pem_of(e, 0);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(s);
	EVP_PKEY_free(e);
}

static void
rsa_cleanup(struct rsa_ctx *r)
{
	free(r->priv);
	free(r->pub);
	free(r->priv2);
	free(r->pub2);
	free(r->small_priv);
	free(r->ec_pub);
}

static void
test_rsa(const struct rsa_ctx *r)
{
	struct wd_jwt_key	 kpriv = { 0 }, kpub = { 0 }, kpub2 = { 0 };
	struct wd_jwt_key	 k384 = { 0 }, k512 = { 0 }, kconf = { 0 };
	char			 err[256] = "";
	char			*tok = NULL, *out = (char *)&tok, *hd;
	struct json_object	*pl = NULL;
	const char		*hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

	CHECK(M, "RS256 private key parses", key_parse("RS256", r->priv, "",
	    &kpriv, err, sizeof(err)) == WD_OK && kpriv.sign != NULL &&
	    kpriv.verify != NULL);
	CHECK(M, "RS256 public key parses (verify only)", key_parse("RS256",
	    r->pub, "", &kpub, err, sizeof(err)) == WD_OK &&
	    kpub.sign == NULL && kpub.verify != NULL);
	CHECK(M, "RS256 derived public half equals the public PEM",
	    kpriv.verify != NULL && kpriv.verify_len == strlen(r->pub) &&
	    memcmp(kpriv.verify, r->pub, kpriv.verify_len) == 0);
	(void)key_parse("RS256", r->pub2, "", &kpub2, err, sizeof(err));

	tok = sign_text(&kpriv, GOOD);
	CHECK(M, "RS256 sign and verify (private config)", tok != NULL &&
	    verify_str(&kpriv, tok, NOW) == WD_OK);
	CHECK(M, "RS256 verify with public-only config", tok != NULL &&
	    verify_str(&kpub, tok, NOW) == WD_OK);
	CHECK(M, "RS256 verify with another key pair", tok != NULL &&
	    verify_str(&kpub2, tok, NOW) == WD_E_BADTOKEN);
	CHECK(M, "RS256 token when HS256 configured", tok != NULL &&
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
	CHECK(M, "RS256 expired", verify_str(&kpub, tok, 1700003601) ==
	    WD_E_EXPIRED);
	free(tok);

	pl = json_tokener_parse(GOOD);
	CHECK(M, "RS256 sign with public-only config is WD_E_CONFIG",
	    pl != NULL && wd_jwt_sign(&kpub, pl, &out) == WD_E_CONFIG &&
	    out == NULL);
	json_object_put(pl);

	/* RS384/RS512, and a token of one RS alg against another */
	CHECK(M, "RS384 key parses", key_parse("RS384", r->priv, "", &k384,
	    err, sizeof(err)) == WD_OK);
	CHECK(M, "RS512 key parses", key_parse("RS512", r->priv, "", &k512,
	    err, sizeof(err)) == WD_OK);
	tok = sign_text(&k384, GOOD);
	CHECK(M, "RS384 sign and verify", tok != NULL &&
	    verify_str(&k384, tok, NOW) == WD_OK);
	CHECK(M, "RS384 token, RS256 key (same pair)", tok != NULL &&
	    verify_str(&kpriv, tok, NOW) == WD_E_BADTOKEN);
	free(tok);
	tok = sign_text(&k512, GOOD);
	CHECK(M, "RS512 sign and verify", tok != NULL &&
	    verify_str(&k512, tok, NOW) == WD_OK);
	CHECK(M, "RS512 token, RS256 key (same pair)", tok != NULL &&
	    verify_str(&kpub, tok, NOW) == WD_E_BADTOKEN);
	free(tok);

	/*
	 * HS/RS confusion: HS256 over "header.payload" with the RSA public
	 * PEM as the HMAC secret. libjwt alone would accept it.
	 */
	tok = craft(hdr, GOOD, EVP_sha256(), r->pub, strlen(r->pub), NULL);
	CHECK(M, "HS256 forged with public PEM, RS256 (public) configured",
	    verify_str(&kpub, tok, NOW) == WD_E_BADTOKEN);
	CHECK(M, "HS256 forged with public PEM, RS256 (private) configured",
	    verify_str(&kpriv, tok, NOW) == WD_E_BADTOKEN);
	/* control: the forgery is otherwise a perfect HS256 token */
	CHECK(M, "control: HS256 key = the PEM accepts the forgery",
	    key_parse("HS256", r->pub, "", &kconf, err, sizeof(err)) ==
	    WD_OK && verify_str(&kconf, tok, NOW) == WD_OK);
	wd_jwt_key_cleanup(&kconf);
	free(tok);
	/* with the exact bytes the verifier holds */
	tok = craft(hdr, GOOD, EVP_sha256(), kpub.verify, kpub.verify_len,
	    NULL);
	CHECK(M, "HS256 forged with the verifier's own key bytes",
	    verify_str(&kpub, tok, NOW) == WD_E_BADTOKEN);
	free(tok);
	tok = craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", GOOD, EVP_sha512(),
	    r->pub, strlen(r->pub), NULL);
	CHECK(M, "HS512 forged with public PEM", verify_str(&kpub, tok,
	    NOW) == WD_E_BADTOKEN);
	free(tok);
	tok = craft("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", GOOD, NULL, NULL,
	    0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CHECK(M, "RS256 header, junk signature", verify_str(&kpub, tok,
	    NOW) == WD_E_BADTOKEN);
	CHECK(M, "RS256 header, junk signature, HS configured",
	    verify_str(&keys[K_HS], tok, NOW) == WD_E_BADTOKEN);
	free(tok);
	tok = craft("{\"alg\":\"none\"}", GOOD, NULL, NULL, 0, "");
	CHECK(M, "alg none, RS256 configured", verify_str(&kpub, tok, NOW) ==
	    WD_E_BADTOKEN);
	free(tok);

	/* kid lands in the header */
	{
		struct wd_jwt_key	 kk = { 0 };

		CHECK(M, "RS256 with kid parses", key_parse("RS256", r->priv,
		    ",\"kid\":\"key-1\"", &kk, err, sizeof(err)) == WD_OK);
		tok = sign_text(&kk, GOOD);
		hd = tok == NULL ? NULL : header_of(tok);
		CHECK(M, "kid in header", hd != NULL &&
		    strstr(hd, "\"kid\":\"key-1\"") != NULL &&
		    strstr(hd, "\"alg\":\"RS256\"") != NULL);
		CHECK(M, "kid token verifies", tok != NULL &&
		    verify_str(&kk, tok, NOW) == WD_OK);
		free(hd);
		free(tok);
		wd_jwt_key_cleanup(&kk);
	}

	wd_jwt_key_cleanup(&kpriv);
	wd_jwt_key_cleanup(&kpub);
	wd_jwt_key_cleanup(&kpub2);
	wd_jwt_key_cleanup(&k384);
	wd_jwt_key_cleanup(&k512);
}

/* ---- key configuration errors ------------------------------------------- */

static void
test_key_parse(const struct rsa_ctx *r)
{
	static const char	 k31[] = "K31k31k31k31k31k31k31k31k31k31k";
	static const char	 k32[] = "K32k32k32k32k32k32k32k32k32k32k3";
	struct {
		const char	*name;
		const char	*json;	/* NULL: use type/key/extra */
		const char	*type;
		const char	*key;
		const char	*extra;
		enum wd_err	 want;
		const char	*secret;	/* must not be in err */
	} cases[] = {
		{ "conf NULL", NULL, NULL, NULL, NULL, WD_E_CONFIG, NULL },
		{ "conf not JSON", "HS256:" SECRET, NULL, NULL, NULL,
		    WD_E_CONFIG, "0123456789abcdef" },
		{ "conf empty", "", NULL, NULL, NULL, WD_E_CONFIG, NULL },
		{ "conf JSON array", "[\"HS256\"]", NULL, NULL, NULL,
		    WD_E_CONFIG, NULL },
		{ "conf JSON string", "\"" SECRET "\"", NULL, NULL, NULL,
		    WD_E_CONFIG, "0123456789abcdef" },
		{ "conf trailing garbage", "{\"type\":\"HS256\",\"key\":\""
		    SECRET "\"} x", NULL, NULL, NULL, WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf missing type", "{\"key\":\"" SECRET "\"}", NULL,
		    NULL, NULL, WD_E_CONFIG, "0123456789abcdef" },
		{ "conf type a number", "{\"type\":256,\"key\":\"" SECRET
		    "\"}", NULL, NULL, NULL, WD_E_CONFIG, "0123456789abcdef" },
		{ "conf missing key", "{\"type\":\"HS256\"}", NULL, NULL,
		    NULL, WD_E_CONFIG, NULL },
		{ "conf key a number", "{\"type\":\"HS256\",\"key\":123}",
		    NULL, NULL, NULL, WD_E_CONFIG, NULL },
		{ "conf type ES256", NULL, "ES256", SECRET, "", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf type none", NULL, "none", SECRET, "", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf type lower-case", NULL, "hs256", SECRET, "",
		    WD_E_CONFIG, "0123456789abcdef" },
		{ "conf HS256 key of 31 bytes", NULL, "HS256", k31, "",
		    WD_E_CONFIG, "K31k31" },
		{ "conf HS512 key of 31 bytes", NULL, "HS512", k31, "",
		    WD_E_CONFIG, "K31k31" },
		{ "conf HS256 empty key", NULL, "HS256", "", "", WD_E_CONFIG,
		    NULL },
		{ "conf unknown field jwk_url", NULL, "HS256", SECRET,
		    ",\"jwk_url\":\"https://x/jwks\"", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf claims_format stringified_json", NULL, "HS256", SECRET,
		    ",\"claims_format\":\"stringified_json\"", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf claims_format a number", NULL, "HS256", SECRET,
		    ",\"claims_format\":1", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf claims_namespace empty", NULL, "HS256", SECRET,
		    ",\"claims_namespace\":\"\"", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf claims_namespace a number", NULL, "HS256", SECRET,
		    ",\"claims_namespace\":1", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf allowed_skew negative", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":-1", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf allowed_skew string", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":\"30\"", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf allowed_skew fractional", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":1.5", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf allowed_skew too large", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":3601", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf allowed_skew huge", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":99999999999999999999", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf audience list of numbers", NULL, "HS256", SECRET,
		    ",\"audience\":[1,2]", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf audience mixed list", NULL, "HS256", SECRET,
		    ",\"audience\":[\"a\",2]", WD_E_CONFIG,
		    "0123456789abcdef" },
		{ "conf audience empty list", NULL, "HS256", SECRET,
		    ",\"audience\":[]", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf audience a number", NULL, "HS256", SECRET,
		    ",\"audience\":5", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf audience over WD_JWT_MAX_AUD", NULL, "HS256", SECRET,
		    ",\"audience\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
		    "\"8\",\"9\"]", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf issuer a number", NULL, "HS256", SECRET,
		    ",\"issuer\":5", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf kid a number", NULL, "HS256", SECRET, ",\"kid\":5",
		    WD_E_CONFIG, "0123456789abcdef" },
		{ "conf RSA key garbage", NULL, "RS256", "garbage-" SECRET,
		    "", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf RSA key garbage PEM", NULL, "RS256",
		    "-----BEGIN PUBLIC KEY-----\nMIIBgarbage" SECRET
		    "\n-----END PUBLIC KEY-----\n", "", WD_E_CONFIG,
		    "MIIBgarbage" },
		{ "conf RSA private key garbage PEM", NULL, "RS256",
		    "-----BEGIN PRIVATE KEY-----\nMIIEgarbage" SECRET
		    "\n-----END PRIVATE KEY-----\n", "", WD_E_CONFIG,
		    "MIIEgarbage" },
		{ "conf RSA type with an HMAC secret", NULL, "RS256", SECRET,
		    "", WD_E_CONFIG, "0123456789abcdef" },
		{ "conf RSA key of 1024 bits", NULL, "RS256", r->small_priv,
		    "", WD_E_CONFIG, "MII" },
		{ "conf EC key for RS256", NULL, "RS256", r->ec_pub, "",
		    WD_E_CONFIG, "MF" },
		{ "conf RSA key, later field bad", NULL, "RS256", r->priv,
		    ",\"allowed_skew\":-1", WD_E_CONFIG, "MII" },
		/* good */
		{ "conf HS256 key of 32 bytes", NULL, "HS256", k32, "", WD_OK,
		    NULL },
		{ "conf claims_format json", NULL, "HS256", SECRET,
		    ",\"claims_format\":\"json\"", WD_OK, NULL },
		{ "conf everything", NULL, "HS384", SECRET,
		    ",\"claims_namespace\":\"ns\",\"issuer\":\"i\","
		    "\"audience\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
		    "\"h\"],\"allowed_skew\":3600,\"kid\":\"k\"", WD_OK,
		    NULL },
		{ "conf allowed_skew 0", NULL, "HS256", SECRET,
		    ",\"allowed_skew\":0", WD_OK, NULL },
		{ "conf RSA private", NULL, "RS512", r->priv, "", WD_OK,
		    NULL },
	};
	size_t	 i;
	char	 name[128];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wd_jwt_key	 k;
		char			 err[512];
		char			*js = NULL;
		enum wd_err		 rc;

		memset(err, 0, sizeof(err));
		memset(&k, 0x5a, sizeof(k));
		if (cases[i].json == NULL && cases[i].type != NULL)
			js = key_json(cases[i].type, cases[i].key,
			    cases[i].extra);
		rc = wd_jwt_key_parse(js != NULL ? js : cases[i].json, &k,
		    err, sizeof(err));
		CHECK(M, cases[i].name, rc == cases[i].want);
		if (cases[i].want != WD_OK) {
			snprintf(name, sizeof(name), "%s: one line in err",
			    cases[i].name);
			CHECK(M, name, err[0] != '\0' &&
			    strchr(err, '\n') == NULL &&
			    strncmp(err, "WARDEN_JWT_SECRET", 17) == 0);
			snprintf(name, sizeof(name), "%s: err has no key",
			    cases[i].name);
			CHECK(M, name, (cases[i].secret == NULL ||
			    strstr(err, cases[i].secret) == NULL) &&
			    strstr(err, "BEGIN") == NULL);
			snprintf(name, sizeof(name), "%s: key left zeroed",
			    cases[i].name);
			CHECK(M, name, k.sign == NULL && k.verify == NULL &&
			    k.ns == NULL && k.naud == 0);
		} else {
			snprintf(name, sizeof(name), "%s: default namespace",
			    cases[i].name);
			CHECK(M, name, k.ns != NULL && (strstr(cases[i].extra,
			    "claims_namespace") != NULL ||
			    strcmp(k.ns, "https://hasura.io/jwt/claims") == 0));
		}
		if (rc == WD_OK)
			wd_jwt_key_cleanup(&k);
		free(js);
	}
	/* cleanup twice, and on a zeroed struct */
	{
		struct wd_jwt_key	 k = { 0 };

		wd_jwt_key_cleanup(&k);
		(void)key_parse("HS256", SECRET, ",\"audience\":[\"a\",\"b\"]",
		    &k, NULL, 0);
		wd_jwt_key_cleanup(&k);
		wd_jwt_key_cleanup(&k);
		wd_jwt_key_cleanup(NULL);
		CHECK(M, "key cleanup twice safe", k.sign == NULL &&
		    k.naud == 0);
	}
}

/* ---- minting (wd_jwt_mint) ---------------------------------------------- */

/*
 * Oracles: a token wd_jwt_mint makes is read back twice, by wd_jwt_verify
 * and by an independent decoder here (split on '.', base64url to base64,
 * OpenSSL's EVP_DecodeBlock, json-c), and compared with claims written
 * out literally in the tables, never recomputed the way wd_jwt.c does.
 */

#define LIFE	900

/* Segment idx (0 header, 1 payload) of tok as JSON; NULL unless tok has
 * exactly three non-empty base64url segments and the segment is JSON. */
static struct json_object *
seg_json(const char *tok, int idx)
{
	const char		*s[3], *e;
	struct json_tokener	*jt = NULL;
	struct json_object	*o = NULL;
	unsigned char		*in = NULL, *bin = NULL;
	size_t			 n, pad, i;
	int			 d;

	s[0] = tok;
	s[1] = strchr(s[0], '.');
	s[2] = s[1] == NULL ? NULL : strchr(s[1] + 1, '.');
	if (s[2] == NULL || strchr(s[2] + 1, '.') != NULL || s[2][1] == '\0')
		return NULL;
	s[1]++;
	s[2]++;
	e = idx == 0 ? s[1] - 1 : s[2] - 1;
	n = (size_t)(e - s[idx]);
	if (n == 0 || n % 4 == 1)
		return NULL;
	pad = (4 - n % 4) % 4;
	in = calloc(1, n + pad + 1);
	bin = calloc(1, (n + pad) / 4 * 3 + 1);
	if (in == NULL || bin == NULL)
		abort();
	for (i = 0; i < n; i++) {
		char	 c = s[idx][i];

		if (c == '+' || c == '/' || c == '=')
			goto out;	/* base64url has none of these */
		in[i] = (unsigned char)(c == '-' ? '+' : c == '_' ? '/' : c);
	}
	for (i = 0; i < pad; i++)
		in[n + i] = '=';
	d = EVP_DecodeBlock(bin, in, (int)(n + pad));
	if (d < 0 || (size_t)d < pad)
		goto out;
	d -= (int)pad;	/* EVP_DecodeBlock counts the padding as zeros */
	jt = json_tokener_new();
	if (jt == NULL)
		abort();
	o = json_tokener_parse_ex(jt, (const char *)bin, d);
	if (o != NULL && json_tokener_get_parse_end(jt) != (size_t)d) {
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(jt);
	free(in);
	free(bin);
	return o;
}

/* The string member name of o, or NULL when absent or not a string. */
static const char *
str_of(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* 1 if member name of o is an integer (not a double), into *out. */
static int
int_of(struct json_object *o, const char *name, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

/* A signing key and what it was configured with, spelled out. */
struct mint_key {
	const char		*name;
	struct wd_jwt_key	 k;		/* signs */
	struct wd_jwt_key	 v;		/* verifies: public-only for
						 * RS, the same config for HS */
	const char		*alg;
	const char		*ns;
	const char		*iss;		/* NULL: none configured */
	const char		*aud;		/* first audience or NULL */
	const char		*kid;
};

static const char *const R_UE[] = { "user", "editor" };
static const char *const R_EU[] = { "editor", "user" };
static const char *const R_E[] = { "editor" };
static const char *const R_MEU[] = { "me", "user", "editor" };
static const char *const CN_C[] = { "company_id" };
static const char *const CV_C[] = { "c1" };
static const char *const CN_3[] = { "company_id", "org_unit_id", "region" };
static const char *const CV_3N[] = { "c1", NULL, "eu" };
static const char *const CN_U[] = { "city", "a_b_c", "x9", "_lead" };
static const char *const CV_U[] = { "Z\xc3\xbcrich", "", "\"q\"\\", "l" };
static const char *const CV_NN[] = { NULL, NULL, NULL };

#define MINT(u, d, r, nr, cn, cv, nc, s, l) { .user_id = (u),		\
	.default_role = (d), .roles = (r), .nroles = (nr),		\
	.claim_names = (cn), .claim_values = (cv), .nclaims = (nc),	\
	.sid = (s), .lifetime = (l) }
#define NSUE	"\"x-hasura-user-id\":\"u1\",\"x-hasura-session-id\":" \
		"\"s1\",\"x-hasura-default-role\":\"user\"," \
		"\"x-hasura-allowed-roles\":"

/* What each good input must come out as, under the key's namespace. */
static const struct {
	const char		*name;
	struct wd_jwt_mint	 m;
	const char		*ns;	/* the namespace object, literally */
} mint_good[] = {
	{ "default listed first", MINT("u1", "user", R_UE, 2, NULL, NULL, 0,
	    "s1", LIFE), "{" NSUE "[\"user\",\"editor\"]}" },
	{ "default listed last, not repeated", MINT("u1", "user", R_EU, 2,
	    NULL, NULL, 0, "s1", LIFE), "{" NSUE "[\"editor\",\"user\"]}" },
	{ "default listed in the middle", MINT("u1", "user", R_MEU, 3, NULL,
	    NULL, 0, "s1", LIFE), "{" NSUE "[\"me\",\"user\",\"editor\"]}" },
	{ "default missing, appended", MINT("u1", "user", R_E, 1, NULL, NULL,
	    0, "s1", LIFE), "{" NSUE "[\"editor\",\"user\"]}" },
	{ "no roles, default alone", MINT("u1", "user", NULL, 0, NULL, NULL,
	    0, "s1", LIFE), "{" NSUE "[\"user\"]}" },
	{ "one custom claim", MINT("u1", "user", R_UE, 2, CN_C, CV_C, 1,
	    "s1", LIFE), "{" NSUE "[\"user\",\"editor\"],"
	    "\"x-hasura-company-id\":\"c1\"}" },
	{ "NULL claim value omitted", MINT("u1", "user", R_UE, 2, CN_3,
	    CV_3N, 3, "s1", LIFE), "{" NSUE "[\"user\",\"editor\"],"
	    "\"x-hasura-company-id\":\"c1\",\"x-hasura-region\":\"eu\"}" },
	{ "all claim values NULL", MINT("u1", "user", R_UE, 2, CN_3, CV_NN,
	    3, "s1", LIFE), "{" NSUE "[\"user\",\"editor\"]}" },
	{ "names kebab-cased, values kept", MINT("u1", "user", R_UE, 2, CN_U,
	    CV_U, 4, "s1", LIFE), "{" NSUE "[\"user\",\"editor\"],"
	    "\"x-hasura-city\":\"Z\\u00fcrich\",\"x-hasura-a-b-c\":\"\","
	    "\"x-hasura-x9\":\"\\\"q\\\"\\\\\",\"x-hasura--lead\":\"l\"}" },
	{ "short lifetime", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, "s1",
	    1), "{" NSUE "[\"user\",\"editor\"]}" },
};

/* Round trip through wd_jwt_verify, then the independent decode. */
static void
mint_check(const struct mint_key *mk, const struct wd_jwt_mint *m,
    const char *want_ns, const char *tok, const char *cname)
{
	struct wd_claims	 c;
	struct json_object	*h = NULL, *p = NULL, *ns;
	struct json_object	*want = json_tokener_parse(want_ns);
	struct json_object	*wroles = NULL;
	char			 name[256];
	int64_t			 iat = 0, exp = 0;
	size_t			 nkeys;
	int			 ok;

	if (want == NULL ||
	    !json_object_object_get_ex(want, "x-hasura-allowed-roles",
	    &wroles))
		abort();
#define C(what, cond) do {						\
	snprintf(name, sizeof(name), "mint %s, %s: %s", mk->name,	\
	    cname, (what));						\
	CHECK(M, name, (cond));						\
} while (0)
	ok = wd_jwt_verify(&mk->v, tok, strlen(tok), NOW, &c) == WD_OK;
	C("verifies", ok);
	if (ok) {
		C("verified user id", c.user_id != NULL &&
		    strcmp(c.user_id, m->user_id) == 0);
		C("verified default role", c.default_role != NULL &&
		    strcmp(c.default_role, m->default_role) == 0);
		C("verified roles", c.allowed != NULL &&
		    json_object_equal(c.allowed, wroles));
		C("verified namespace", json_object_equal(c.ns, want));
		C("verified sid", c.sid != NULL &&
		    strcmp(c.sid, m->sid) == 0);
		C("verified exp", c.exp == (int64_t)NOW + m->lifetime);
		wd_claims_cleanup(&c);
	}
	C("still valid at exp", verify_str(&mk->v, tok, NOW + m->lifetime) ==
	    WD_OK);
	C("expired after exp", verify_str(&mk->v, tok, NOW + m->lifetime +
	    1) == WD_E_EXPIRED);

	h = seg_json(tok, 0);
	p = seg_json(tok, 1);
	C("decodes", h != NULL && p != NULL &&
	    json_object_is_type(p, json_type_object));
	if (h == NULL || p == NULL || !json_object_is_type(p,
	    json_type_object))
		goto out;
	C("header alg", str_of(h, "alg") != NULL &&
	    strcmp(str_of(h, "alg"), mk->alg) == 0);
	C("header kid", mk->kid == NULL ? !json_object_object_get_ex(h,
	    "kid", NULL) : str_of(h, "kid") != NULL &&
	    strcmp(str_of(h, "kid"), mk->kid) == 0);
	C("namespace object exactly", json_object_object_get_ex(p, mk->ns,
	    &ns) && json_object_is_type(ns, json_type_object) &&
	    json_object_equal(ns, want));
	C("sub is the user id", str_of(p, "sub") != NULL &&
	    strcmp(str_of(p, "sub"), m->user_id) == 0);
	C("iat an integer, now", int_of(p, "iat", &iat) && iat == NOW);
	C("exp an integer", int_of(p, "exp", &exp));
	C("exp - iat is the lifetime", exp - iat == m->lifetime);
	C("sid", str_of(p, "sid") != NULL &&
	    strcmp(str_of(p, "sid"), m->sid) == 0);
	C("iss when configured", mk->iss == NULL ?
	    !json_object_object_get_ex(p, "iss", NULL) : str_of(p, "iss") !=
	    NULL && strcmp(str_of(p, "iss"), mk->iss) == 0);
	C("aud (first) when configured", mk->aud == NULL ?
	    !json_object_object_get_ex(p, "aud", NULL) : str_of(p, "aud") !=
	    NULL && strcmp(str_of(p, "aud"), mk->aud) == 0);
	C("no nbf", !json_object_object_get_ex(p, "nbf", NULL));
	/* ns, sub, iat, exp, sid, and iss/aud when configured: nothing else */
	nkeys = 5 + (mk->iss != NULL) + (mk->aud != NULL);
	C("top-level claims exactly", (size_t)json_object_object_length(p) ==
	    nkeys);
out:
#undef C
	json_object_put(h);
	json_object_put(p);
	json_object_put(want);
}

/* Inputs that must be refused, with limits at and past each edge. */
static char	 id_max[WD_MAX_ID + 1], id_long[WD_MAX_ID + 2];
static char	 role_max[WD_MAX_ROLE + 1], role_long[WD_MAX_ROLE + 2];
static char	 name_max[WD_JWT_MAX_CLAIM_NAME + 1];
static char	 name_long[WD_JWT_MAX_CLAIM_NAME + 2];
static char	 val_big[6400], val_huge[WD_MAX_TOKEN + 2];
/* "c0".."c64": role names and claim names, one past either cap */
#define NMANY	(WD_MAX_ROLES + 1)
_Static_assert(WD_MAX_CLAIMS < NMANY, "many[] covers both caps");
static char	 many_buf[NMANY][8];
static const char *many[NMANY];
static const char *vals_v[NMANY];
static const char *r_long[] = { "user", role_long };
static const char *r_max[] = { "user", role_max };
static const char *cn_max[] = { name_max };
static const char *cn_long[] = { name_long };
static const char *cv_big[] = { val_big };
static const char *cv_huge[] = { val_huge };

static void
mint_fill(void)
{
	size_t	 i;

	memset(id_max, 'i', sizeof(id_max) - 1);
	memset(id_long, 'i', sizeof(id_long) - 1);
	memset(role_max, 'r', sizeof(role_max) - 1);
	memset(role_long, 'r', sizeof(role_long) - 1);
	memset(name_max, 'n', sizeof(name_max) - 1);
	memset(name_long, 'n', sizeof(name_long) - 1);
	memset(val_big, 'v', sizeof(val_big) - 1);
	memset(val_huge, 'v', sizeof(val_huge) - 1);
	for (i = 0; i < NMANY; i++) {
		snprintf(many_buf[i], sizeof(many_buf[i]), "c%zu", i);
		many[i] = many_buf[i];
		vals_v[i] = "v";
	}
}

static const char *const R_NULL[] = { "user", NULL };
static const char *const R_EMPTY[] = { "user", "" };
static const char *const R_BADU[] = { "user", "\xff" };
static const char *const CN_NULL[] = { NULL };
static const char *const CN_DUP[] = { "company_id", "company_id" };
static const char *const CV_DUP[] = { "c1", NULL };
static const char *const CV_BADU[] = { "\xed\xa0\x80" };	/* surrogate */

#define MAX_EXTRA	(WD_MAX_CLAIMS - 4)	/* wd_jwt.h: extra claims */
#define BADNAME(s)	MINT("u1", "user", R_UE, 2, (const char *[]){ (s) }, \
			    CV_C, 1, "s1", LIFE)

static const struct {
	const char		*name;
	struct wd_jwt_mint	 m;
	time_t			 now;
	enum wd_err		 want;
} mint_edges[] = {
	/* user id */
	{ "user_id NULL", MINT(NULL, "user", R_UE, 2, NULL, NULL, 0, "s1",
	    LIFE), NOW, WD_E_INTERNAL },
	{ "user_id empty", MINT("", "user", R_UE, 2, NULL, NULL, 0, "s1",
	    LIFE), NOW, WD_E_INTERNAL },
	{ "user_id over WD_MAX_ID", MINT(id_long, "user", R_UE, 2, NULL,
	    NULL, 0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "user_id not UTF-8", MINT("u\xff", "user", R_UE, 2, NULL, NULL, 0,
	    "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "user_id overlong UTF-8", MINT("\xc0\xaf", "user", R_UE, 2, NULL,
	    NULL, 0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "user_id at WD_MAX_ID ok", MINT(id_max, "user", R_UE, 2, NULL,
	    NULL, 0, "s1", LIFE), NOW, WD_OK },
	{ "user_id UTF-8 ok", MINT("\xc3\xbc-1", "user", R_UE, 2, NULL, NULL,
	    0, "s1", LIFE), NOW, WD_OK },
	/* roles */
	{ "default_role NULL", MINT("u1", NULL, R_UE, 2, NULL, NULL, 0,
	    "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "default_role empty", MINT("u1", "", R_UE, 2, NULL, NULL, 0, "s1",
	    LIFE), NOW, WD_E_INTERNAL },
	{ "default_role over WD_MAX_ROLE", MINT("u1", role_long, R_UE, 2,
	    NULL, NULL, 0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "default_role not UTF-8", MINT("u1", "\x80", R_UE, 2, NULL, NULL,
	    0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "roles NULL but nroles 1", MINT("u1", "user", NULL, 1, NULL, NULL,
	    0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "a role NULL", MINT("u1", "user", R_NULL, 2, NULL, NULL, 0, "s1",
	    LIFE), NOW, WD_E_INTERNAL },
	{ "a role empty", MINT("u1", "user", R_EMPTY, 2, NULL, NULL, 0, "s1",
	    LIFE), NOW, WD_E_INTERNAL },
	{ "a role over WD_MAX_ROLE", MINT("u1", "user", r_long, 2, NULL,
	    NULL, 0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "a role not UTF-8", MINT("u1", "user", R_BADU, 2, NULL, NULL, 0,
	    "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "roles over WD_MAX_ROLES", MINT("u1", "c0", many, WD_MAX_ROLES + 1,
	    NULL, NULL, 0, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "WD_MAX_ROLES roles, default appended beyond", MINT("u1", "user",
	    many, WD_MAX_ROLES, NULL, NULL, 0, "s1", LIFE), NOW,
	    WD_E_INTERNAL },
	{ "WD_MAX_ROLES roles, default among them ok", MINT("u1", "c5", many,
	    WD_MAX_ROLES, NULL, NULL, 0, "s1", LIFE), NOW, WD_OK },
	{ "WD_MAX_ROLES - 1 roles plus default ok", MINT("u1", "user", many,
	    WD_MAX_ROLES - 1, NULL, NULL, 0, "s1", LIFE), NOW, WD_OK },
	{ "role at WD_MAX_ROLE ok", MINT("u1", role_max, r_max, 2, NULL,
	    NULL, 0, "s1", LIFE), NOW, WD_OK },
	/* sid */
	{ "sid NULL", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, NULL, LIFE),
	    NOW, WD_E_INTERNAL },
	{ "sid empty", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, "", LIFE),
	    NOW, WD_E_INTERNAL },
	{ "sid over WD_MAX_ID", MINT("u1", "user", R_UE, 2, NULL, NULL, 0,
	    id_long, LIFE), NOW, WD_E_INTERNAL },
	{ "sid not UTF-8", MINT("u1", "user", R_UE, 2, NULL, NULL, 0,
	    "s\xfe", LIFE), NOW, WD_E_INTERNAL },
	/* lifetime and time */
	{ "lifetime 0", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, "s1", 0),
	    NOW, WD_E_INTERNAL },
	{ "lifetime -1", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, "s1",
	    -1), NOW, WD_E_INTERNAL },
	{ "lifetime LONG_MIN", MINT("u1", "user", R_UE, 2, NULL, NULL, 0,
	    "s1", LONG_MIN), NOW, WD_E_INTERNAL },
	{ "lifetime LONG_MAX overflows exp", MINT("u1", "user", R_UE, 2,
	    NULL, NULL, 0, "s1", LONG_MAX), NOW, WD_E_INTERNAL },
	{ "now near INT64_MAX overflows exp", MINT("u1", "user", R_UE, 2,
	    NULL, NULL, 0, "s1", LIFE), (time_t)(INT64_MAX - LIFE + 1),
	    WD_E_INTERNAL },
	{ "exp exactly INT64_MAX ok", MINT("u1", "user", R_UE, 2, NULL, NULL,
	    0, "s1", LIFE), (time_t)(INT64_MAX - LIFE), WD_OK },
	{ "now 0 ok", MINT("u1", "user", R_UE, 2, NULL, NULL, 0, "s1", LIFE),
	    (time_t)0, WD_OK },
	/* claim names */
	{ "claim name NULL", MINT("u1", "user", R_UE, 2, CN_NULL, CV_C, 1,
	    "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claim name empty", BADNAME(""), NOW, WD_E_INTERNAL },
	{ "claim name upper case", BADNAME("Company_id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name with dash", BADNAME("company-id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name leading digit", BADNAME("1company"), NOW,
	    WD_E_INTERNAL },
	{ "claim name with space", BADNAME("company id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name with dot", BADNAME("company.id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name with quote", BADNAME("a\"b"), NOW, WD_E_INTERNAL },
	{ "claim name non-ASCII", BADNAME("caf\xc3\xa9"), NOW,
	    WD_E_INTERNAL },
	{ "claim name already prefixed", BADNAME("x-hasura-org-id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name user_id (identity)", BADNAME("user_id"), NOW,
	    WD_E_INTERNAL },
	{ "claim name default_role (identity)", BADNAME("default_role"), NOW,
	    WD_E_INTERNAL },
	{ "claim name allowed_roles (identity)", BADNAME("allowed_roles"),
	    NOW, WD_E_INTERNAL },
	{ "claim name role (identity)", BADNAME("role"), NOW,
	    WD_E_INTERNAL },
	{ "claim name over WD_JWT_MAX_CLAIM_NAME", MINT("u1", "user", R_UE,
	    2, cn_long, CV_C, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claim name at WD_JWT_MAX_CLAIM_NAME ok", MINT("u1", "user", R_UE,
	    2, cn_max, CV_C, 1, "s1", LIFE), NOW, WD_OK },
	{ "claim name repeated (one value NULL)", MINT("u1", "user", R_UE, 2,
	    CN_DUP, CV_DUP, 2, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claim names NULL but nclaims 1", MINT("u1", "user", R_UE, 2, NULL,
	    CV_C, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claim values NULL but nclaims 1", MINT("u1", "user", R_UE, 2,
	    CN_C, NULL, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claims over WD_MAX_CLAIMS - 4", MINT("u1", "user", R_UE, 2, many,
	    vals_v, MAX_EXTRA + 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claims at WD_MAX_CLAIMS - 4 ok", MINT("u1", "user", R_UE, 2, many,
	    vals_v, MAX_EXTRA, "s1", LIFE), NOW, WD_OK },
	/* claim values and size */
	{ "claim value not UTF-8 (surrogate)", MINT("u1", "user", R_UE, 2,
	    CN_C, CV_BADU, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "claim value over WD_MAX_TOKEN", MINT("u1", "user", R_UE, 2, CN_C,
	    cv_huge, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
	{ "token would exceed WD_MAX_TOKEN", MINT("u1", "user", R_UE, 2,
	    CN_C, cv_big, 1, "s1", LIFE), NOW, WD_E_INTERNAL },
};

static void
test_mint(const struct rsa_ctx *r)
{
	struct mint_key		 mk[3] = {
		{ .name = "HS256", .alg = "HS256",
		    .ns = "https://hasura.io/jwt/claims" },
		{ .name = "HS512 iss aud ns kid", .alg = "HS512",
		    .ns = "https://example.com/c",
		    .iss = "https://issuer.example", .aud = "app",
		    .kid = "k1" },
		{ .name = "RS256 iss aud", .alg = "RS256",
		    .ns = "https://hasura.io/jwt/claims",
		    .iss = "https://issuer.example", .aud = "web" },
	};
	static const char	 hs_extra[] = ",\"issuer\":"
	    "\"https://issuer.example\",\"audience\":[\"app\",\"web\"],"
	    "\"claims_namespace\":\"https://example.com/c\",\"kid\":\"k1\"";
	static const char	 rs_extra[] = ",\"issuer\":"
	    "\"https://issuer.example\",\"audience\":\"web\"";
	struct wd_jwt_key	 zero = { 0 }, pub = { 0 }, other = { 0 };
	struct wd_jwt_mint	 m = MINT("u1", "user", R_UE, 2, NULL, NULL,
	    0, "s1", LIFE);
	char			 err[256], name[256];
	char			*tok = NULL;
	size_t			 i, j;
	enum wd_err		 rc;
	int			 ok = 1;

	ok &= key_parse("HS256", SECRET, "", &mk[0].k, err, sizeof(err)) ==
	    WD_OK;
	ok &= key_parse("HS256", SECRET, "", &mk[0].v, err, sizeof(err)) ==
	    WD_OK;
	ok &= key_parse("HS512", SECRET, hs_extra, &mk[1].k, err,
	    sizeof(err)) == WD_OK;
	ok &= key_parse("HS512", SECRET, hs_extra, &mk[1].v, err,
	    sizeof(err)) == WD_OK;
	ok &= key_parse("RS256", r->priv, rs_extra, &mk[2].k, err,
	    sizeof(err)) == WD_OK;
	/* the RS token is checked by a verifier that holds no private key */
	ok &= key_parse("RS256", r->pub, rs_extra, &mk[2].v, err,
	    sizeof(err)) == WD_OK;
	CHECK(M, "mint: keys parse", ok);
	if (!ok)
		goto out;
	mint_fill();

	for (i = 0; i < sizeof(mk) / sizeof(mk[0]); i++)
		for (j = 0; j < sizeof(mint_good) / sizeof(mint_good[0]); j++) {
			tok = (char *)&tok;	/* must be replaced */
			rc = wd_jwt_mint(&mk[i].k, &mint_good[j].m, NOW, &tok);
			snprintf(name, sizeof(name), "mint %s, %s: WD_OK",
			    mk[i].name, mint_good[j].name);
			CHECK(M, name, rc == WD_OK && tok != NULL &&
			    tok != (char *)&tok);
			if (rc != WD_OK)
				continue;
			mint_check(&mk[i], &mint_good[j].m, mint_good[j].ns,
			    tok, mint_good[j].name);
			wd_freezero(tok, strlen(tok));
		}

	/* refusals, and boundaries that must still round-trip */
	for (i = 0; i < sizeof(mint_edges) / sizeof(mint_edges[0]); i++) {
		tok = (char *)&tok;
		rc = wd_jwt_mint(&mk[0].k, &mint_edges[i].m, mint_edges[i].now,
		    &tok);
		snprintf(name, sizeof(name), "mint: %s", mint_edges[i].name);
		if (mint_edges[i].want != WD_OK) {
			CHECK(M, name, rc == mint_edges[i].want &&
			    tok == NULL);
			continue;
		}
		CHECK(M, name, rc == WD_OK && tok != NULL &&
		    tok != (char *)&tok && strlen(tok) <= WD_MAX_TOKEN &&
		    verify_str(&mk[0].v, tok, mint_edges[i].now) == WD_OK);
		if (rc == WD_OK)
			wd_freezero(tok, strlen(tok));
	}

	/* the key: must be able to sign */
	tok = (char *)&tok;
	CHECK(M, "mint: NULL key is WD_E_CONFIG", wd_jwt_mint(NULL, &m, NOW,
	    &tok) == WD_E_CONFIG && tok == NULL);
	tok = (char *)&tok;
	CHECK(M, "mint: zeroed key is WD_E_CONFIG", wd_jwt_mint(&zero, &m,
	    NOW, &tok) == WD_E_CONFIG && tok == NULL);
	tok = (char *)&tok;
	CHECK(M, "mint: RS256 public-only key is WD_E_CONFIG",
	    wd_jwt_mint(&mk[2].v, &m, NOW, &tok) == WD_E_CONFIG &&
	    tok == NULL);
	tok = (char *)&tok;
	CHECK(M, "mint: NULL input is WD_E_INTERNAL", wd_jwt_mint(&mk[0].k,
	    NULL, NOW, &tok) == WD_E_INTERNAL && tok == NULL);
	CHECK(M, "mint: NULL out is WD_E_INTERNAL", wd_jwt_mint(&mk[0].k, &m,
	    NOW, NULL) == WD_E_INTERNAL);

	/* signed by the key's own secret only, never the previous one */
	(void)key_parse("RS256", r->priv2, "", &other, err, sizeof(err));
	(void)key_parse("RS256", r->pub2, "", &pub, err, sizeof(err));
	mk[0].k.prev = calloc(1, sizeof(*mk[0].k.prev));
	if (mk[0].k.prev == NULL)
		abort();
	(void)key_parse("HS256", SECRET2, "", mk[0].k.prev, err,
	    sizeof(err));
	tok = NULL;
	CHECK(M, "mint: with a previous key, signs with the current one",
	    wd_jwt_mint(&mk[0].k, &m, NOW, &tok) == WD_OK &&
	    verify_str(&mk[0].v, tok, NOW) == WD_OK &&
	    verify_str(mk[0].k.prev, tok, NOW) == WD_E_BADTOKEN);
	if (tok != NULL)
		wd_freezero(tok, strlen(tok));
	tok = NULL;
	CHECK(M, "mint: RS256 token verifies with its own pair only",
	    wd_jwt_mint(&other, &m, NOW, &tok) == WD_OK &&
	    verify_str(&pub, tok, NOW) == WD_OK &&
	    verify_str(&mk[2].v, tok, NOW) == WD_E_BADTOKEN);
	if (tok != NULL)
		wd_freezero(tok, strlen(tok));
out:
	for (i = 0; i < sizeof(mk) / sizeof(mk[0]); i++) {
		wd_jwt_key_cleanup(&mk[i].k);
		wd_jwt_key_cleanup(&mk[i].v);
	}
	wd_jwt_key_cleanup(&other);
	wd_jwt_key_cleanup(&pub);
}

/* exp near INT64_MAX must not overflow exp + allowed_skew (UB). */
static int
exp_int64_max(void)
{
	char		*tok;
	enum wd_err	 rc;

	tok = sign_text(&keys[K_SKEW], "{\"exp\":9223372036854775807,"
	    GOODNS "}");
	rc = verify_str(&keys[K_SKEW], tok, NOW);
	free(tok);
	return rc == WD_OK || rc == WD_E_CLAIMS;
}

int
main(void)
{
	struct rsa_ctx	 r;
	int		 i;

	CHECK(M, "setup keys", setup_keys());
	test_claims_table();
	test_cache_table();
	test_cache_time();
	test_cache_settings();
	test_cache_rotation();
	test_cache_many();
	test_claims_counts();
	test_claims_view();
	test_shape();
	test_hs_algs();
	test_none_and_wrong_key();
	test_strict();
	CHECK(M, "exp INT64_MAX with allowed_skew: no overflow (isolated)",
	    isolated(exp_int64_max));
	rsa_setup(&r);
	test_rsa(&r);
	test_key_parse(&r);
	test_mint(&r);
	rsa_cleanup(&r);
	for (i = 0; i < K__MAX; i++)
		wd_jwt_key_cleanup(&keys[i]);
	return WD_TEST_RESULT();
}
