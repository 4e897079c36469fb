/*
 * fuzz_jwt.c: token verification and the claim rules (wd_jwt.h).
 *
 * 1. The input as a token (exact-size copy, not NUL-terminated) against
 *    three keys: plain HS256, HS256 with issuer, audience and skew, and
 *    HS384 with the plain key's secret (the algorithm pin).
 * 2. The input as a JWT payload: if it parses to an object it is signed
 *    with each HS256 key and verified at several times, so exp, nbf,
 *    iss, aud and Hasura's claim rules are reached with fuzzed claims.
 *
 * Invariants: on WD_OK the token is strict (issue 10): each segment is
 * the one canonical base64url text of its bytes (decoding and encoding
 * again gives it back), the header and payload hold no NUL byte and
 * parse as JSON objects with unique names, the header's "alg" is the
 * key's algorithm byte for byte, there is no "crit", and the claims are
 * equal to the decoded payload; the claims are complete (user_id non-empty and
 * short, default_role allowed, 1..WD_MAX_ROLES allowed roles, exp set and
 * equal to the payload's) and consistent with the key (now within
 * [nbf - skew, exp + skew], iss and aud match); on error c is zeroed; a
 * token signed for one key never verifies under another; expiry is
 * monotonic: at now = 0 only a positive nbf can reject, at now = exp + 1
 * and at now = INT64_MAX (when exp is smaller) the token is WD_E_EXPIRED.
 * Every verification is also made through a cache of verified tokens
 * (wd_jwt_verify_cached), which must answer the same.
 *
 * The payload's dates are read as RFC 7519 §2 NumericDates, not as the
 * verifier reads them: an integer is that second, a fraction is within
 * one second of it (the verifier may truncate or round), so a case that
 * hangs on the fraction's rounding is not asserted. The issuer and the
 * audiences are the harness's own (FZ_ISS, FZ_AUD*), and an accepted
 * "aud" names one of them (§4.1.3).
 */
#include <strings.h>

#include "wd_fuzz.h"
#include "wd_json.h"
#include "wd_jwt.h"
#include "wd_limits.h"

#define FZ_ISS		"https://auth.example.test"
#define FZ_AUD1		"warden"
#define FZ_AUD2		"hasura"
#define FZ_SKEW		30
/* plain: no iss/aud, no skew; the same secret as hs384 */
#define FZ_KEY0		"{\"type\":\"HS256\",\"key\":" \
			"\"warden-fuzz-hs256-key-0123456789abcdef\"}"
#define FZ_KEY1		"{\"type\":\"HS256\",\"key\":" \
			"\"warden-fuzz-hs256-key-issuer-aud-0123456789\"," \
			"\"issuer\":\"" FZ_ISS "\"," \
			"\"audience\":[\"" FZ_AUD1 "\",\"" FZ_AUD2 "\"]," \
			"\"allowed_skew\":30}"
#define FZ_KEY2		"{\"type\":\"HS384\",\"key\":" \
			"\"warden-fuzz-hs256-key-0123456789abcdef\"}"

/* a rotation pair on key 0's secret: the current key requires the
 * issuer (skew 0), the previous one does not (skew 30), so a token
 * without the issuer is the previous key's and the current key's exp
 * check still comes first */
#define FZ_CUR		"{\"type\":\"HS256\",\"key\":" \
			"\"warden-fuzz-hs256-key-0123456789abcdef\"," \
			"\"issuer\":\"" FZ_ISS "\"}"
#define FZ_PREV		"{\"type\":\"HS256\",\"key\":" \
			"\"warden-fuzz-hs256-key-0123456789abcdef\"," \
			"\"allowed_skew\":30}"

#define NKEYS	3
static struct wd_jwt_key	fz_keys[NKEYS];
static struct wd_jwt_key	fz_cur, fz_prev, fz_rot;

static void
fz_atexit(void)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		wd_jwt_key_cleanup(&fz_keys[i]);
	wd_jwt_key_cleanup(&fz_cur);
	wd_jwt_key_cleanup(&fz_prev);
}

/* fz_rot: a shallow copy of fz_cur paired with fz_prev as
 * wd_jwt_keys_load pairs keys (never cleaned up itself) */
static void
rotation_setup(void)
{
	char		 err[256];

	if (wd_jwt_key_parse(FZ_CUR, &fz_cur, err, sizeof(err)) != WD_OK ||
	    wd_jwt_key_parse(FZ_PREV, &fz_prev, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "fuzz_jwt: rotation keys: %s\n", err);
		abort();
	}
	fz_rot = fz_cur;
	wd_jwt_key_set_prev(&fz_rot, &fz_prev);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const json[NKEYS] = { FZ_KEY0, FZ_KEY1, FZ_KEY2 };
	char	 err[256];
	size_t	 i;

	(void)argc;
	(void)argv;
	for (i = 0; i < NKEYS; i++)
		if (wd_jwt_key_parse(json[i], &fz_keys[i], err, sizeof(err)) !=
		    WD_OK) {
			fprintf(stderr, "fuzz_jwt: key %zu: %s\n", i, err);
			abort();
		}
	rotation_setup();
	atexit(fz_atexit);
	return 0;
}

static int
is_zero(const struct wd_claims *c)
{
	static const struct wd_claims	 z;

	return memcmp(c, &z, sizeof(z)) == 0;
}

/*
 * The payload's NumericDate name (RFC 7519 §2) against a second t as the
 * verifier took it: 1 if it is an integer equal to t or a fraction within
 * one second of t, 0 if not, -1 if absent, -2 if not a number.
 */
static int
date_is(struct json_object *o, const char *name, int64_t t)
{
	struct json_object	*v;
	double			 d;

	if (!json_object_object_get_ex(o, name, &v))
		return -1;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) == t;
	if (!json_object_is_type(v, json_type_double))
		return -2;
	d = json_object_get_double(v);
	return d > (double)t - 1 && d < (double)t + 1;
}

/* Whether the payload's nbf is after second 0, from the payload alone:
 * 1 yes, 0 no (absent, or at most 0), -1 a fraction in (0, 1), which
 * rounding could put either side. */
static int
nbf_positive(struct json_object *o)
{
	struct json_object	*v;
	double			 d;

	if (!json_object_object_get_ex(o, "nbf", &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) > 0;
	d = json_object_get_double(v);
	return d >= 1 ? 1 : d <= 0 ? 0 : -1;
}

/* 1 if the "aud" claim v names s: the string s, or an array holding it. */
static int
aud_names(struct json_object *v, const char *s)
{
	size_t	 i, n;

	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), s) == 0;
	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct json_object	*e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), s) == 0)
			return 1;
	}
	return 0;
}

static const char	fz_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Decodes n base64url characters at s leniently (stray low bits are
 * dropped) into a heap block of *outlen bytes, then encodes that again:
 * the segment was canonical iff the text comes back. Returns the bytes
 * (caller frees) or NULL when s has a character outside the alphabet or
 * is not canonical.
 */
static unsigned char *
fz_b64u(const char *s, size_t n, size_t *outlen)
{
	unsigned char	*out = malloc(n / 4 * 3 + 3);
	uint32_t	 acc = 0;
	size_t		 i, o = 0, e = 0;
	int		 bits = 0;
	const char	*q;

	CHECK(out != NULL);
	for (i = 0; i < n; i++) {
		q = memchr(fz_b64, s[i], 64);
		if (q == NULL || s[i] == '\0') {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(q - fz_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* encode again and compare */
	for (i = 0; i + 3 <= o; i += 3) {
		uint32_t	 v = (uint32_t)out[i] << 16 |
		    (uint32_t)out[i + 1] << 8 | out[i + 2];

		if (e + 4 > n || s[e] != fz_b64[v >> 18] ||
		    s[e + 1] != fz_b64[(v >> 12) & 63] ||
		    s[e + 2] != fz_b64[(v >> 6) & 63] ||
		    s[e + 3] != fz_b64[v & 63])
			goto bad;
		e += 4;
	}
	if (o - i == 1) {
		if (e + 2 != n || s[e] != fz_b64[out[i] >> 2] ||
		    s[e + 1] != fz_b64[(out[i] & 3) << 4])
			goto bad;
	} else if (o - i == 2) {
		if (e + 3 != n || s[e] != fz_b64[out[i] >> 2] ||
		    s[e + 1] != fz_b64[((out[i] & 3) << 4) |
		    (out[i + 1] >> 4)] ||
		    s[e + 2] != fz_b64[(out[i + 1] & 15) << 2])
			goto bad;
	} else if (e != n)
		goto bad;
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* The JSON object in a decoded segment, by the strict parser; NULL if
 * it is not one. Repeated names are refused by wd_json_parse. */
static struct json_object *
fz_segment(const unsigned char *p, size_t n)
{
	struct json_object	*o = NULL;

	if (memchr(p, '\0', n) != NULL || wd_json_parse((const char *)p, n,
	    WD_MAX_JSON_DEPTH, &o) != WD_OK)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A token k accepted, seen from the outside (issue 10). */
static void
check_strict(const struct wd_jwt_key *k, const char *tok, size_t len,
    const struct wd_claims *c)
{
	const char		*d1, *d2, *alg;
	unsigned char		*h, *p, *sg;
	size_t			 hl = 0, pl = 0, sl = 0;
	struct json_object	*ho, *po, *v;

	alg = k->alg == JWT_ALG_HS256 ? "HS256" :
	    k->alg == JWT_ALG_HS384 ? "HS384" : NULL;
	CHECK(alg != NULL);
	d1 = memchr(tok, '.', len);
	CHECK(d1 != NULL);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	CHECK(d2 != NULL);
	CHECK(memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) == NULL);
	h = fz_b64u(tok, (size_t)(d1 - tok), &hl);
	p = fz_b64u(d1 + 1, (size_t)(d2 - d1 - 1), &pl);
	sg = fz_b64u(d2 + 1, len - (size_t)(d2 + 1 - tok), &sl);
	CHECK(h != NULL && p != NULL && sg != NULL);
	ho = fz_segment(h, hl);
	po = fz_segment(p, pl);
	CHECK(ho != NULL && po != NULL);
	CHECK(json_object_object_get_ex(ho, "alg", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == strlen(alg) &&
	    memcmp(json_object_get_string(v), alg, strlen(alg)) == 0);
	CHECK(!json_object_object_get_ex(ho, "crit", NULL));
	/* the claims are the payload, not some other parser's reading */
	CHECK(json_object_equal(po, c->root));
	json_object_put(ho);
	json_object_put(po);
	free(h);
	free(p);
	free(sg);
}

/* Checks a WD_OK result of verifying under k at now. */
static void
check_ok(const struct wd_jwt_key *k, const struct wd_claims *c, time_t now)
{
	struct json_object	*v;
	size_t			 i, n;

	CHECK(json_object_is_type(c->root, json_type_object));
	CHECK(json_object_object_get_ex(c->root, k->ns, &v) && v == c->ns);
	CHECK(json_object_is_type(c->ns, json_type_object));
	CHECK(c->user_id != NULL && c->user_id[0] != '\0');
	CHECK(strlen(c->user_id) <= WD_MAX_ID);
	CHECK(c->default_role != NULL);
	CHECK(wd_claims_role_allowed(c, c->default_role,
	    strlen(c->default_role)) == 1);
	CHECK(json_object_is_type(c->allowed, json_type_array));
	n = json_object_array_length(c->allowed);
	CHECK(n >= 1 && n <= WD_MAX_ROLES);
	for (i = 0; i < n; i++) {
		struct json_object	*e;

		e = json_object_array_get_idx(c->allowed, i);
		CHECK(json_object_is_type(e, json_type_string));
		CHECK(json_object_get_string_len(e) >= 1 &&
		    json_object_get_string_len(e) <= WD_MAX_ROLE);
		CHECK(wd_claims_role_allowed(c, json_object_get_string(e),
		    (size_t)json_object_get_string_len(e)) == 1);
	}
	/* exp is required and is what the payload says */
	CHECK(date_is(c->root, "exp", c->exp) == 1);
	/* within [nbf - skew, exp + skew], without overflowing here */
	CHECK((__int128)now <= (__int128)c->exp + k->skew);
	if (json_object_object_get_ex(c->root, "nbf", &v)) {
		CHECK(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double));
		CHECK(json_object_is_type(v, json_type_int) ?
		    (__int128)now + k->skew >= json_object_get_int64(v) :
		    (double)now + k->skew + 1 > json_object_get_double(v));
	}
	if (k->issuer != NULL)
		CHECK(json_object_object_get_ex(c->root, "iss", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), FZ_ISS) == 0);
	if (k->naud > 0)
		CHECK(json_object_object_get_ex(c->root, "aud", &v) &&
		    (aud_names(v, FZ_AUD1) || aud_names(v, FZ_AUD2)));
	if (json_object_object_get_ex(c->root, "sid", &v))
		CHECK(c->sid != NULL &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(c->sid, json_object_get_string(v)) == 0);
	else
		CHECK(c->sid == NULL);
}

/*
 * The cache (wd_jwt_verify_cached) answers as the full check: the same
 * code and the same claims. It lives across inputs, so its slots hold
 * earlier inputs' tokens, asked again at other times and under other
 * keys.
 */
static struct wd_jwt_cache	fz_cache;

static void
check_cached(const struct wd_jwt_key *k, const char *tok, size_t len,
    time_t now, enum wd_err want, const struct wd_claims *full)
{
	struct wd_claims	 c;
	enum wd_err		 rc;

	memset(&c, 0xa5, sizeof(c));
	rc = wd_jwt_verify_cached(&fz_cache, k, tok, len, now, &c);
	CHECK(rc == want);
	if (rc != WD_OK) {
		CHECK(is_zero(&c));
		return;
	}
	CHECK(c.exp == full->exp && strcmp(c.user_id, full->user_id) == 0 &&
	    strcmp(c.default_role, full->default_role) == 0 &&
	    (c.sid == NULL) == (full->sid == NULL) &&
	    (c.sid == NULL || strcmp(c.sid, full->sid) == 0) &&
	    json_object_equal(c.root, full->root));
	wd_claims_cleanup(&c);
}

/* The rotation pair through the cache and without, at now and at the
 * edges of both skews: the same answers. */
static void
check_rotation(const char *tok, size_t len, time_t now)
{
	static const int64_t	 dt[] = { 0, -31, -30, -1, 1, 30, 31 };
	struct wd_claims	 c;
	enum wd_err		 rc;
	int64_t			 t;
	size_t			 i;

	for (i = 0; i < sizeof(dt) / sizeof(dt[0]); i++) {
		/* real clocks: now + skew (at most 3600) cannot overflow */
		if (__builtin_add_overflow((int64_t)now, dt[i], &t) || t < 0 ||
		    t > INT64_MAX - 3600)
			continue;
		memset(&c, 0, sizeof(c));
		rc = wd_jwt_verify(&fz_rot, tok, len, (time_t)t, &c);
		check_cached(&fz_rot, tok, len, (time_t)t, rc, &c);
		wd_claims_cleanup(&c);
	}
}

/* Verifies tok under k at now, checks the result, returns the code and
 * (if out is not NULL) exp and nbf_positive() of the payload. */
static enum wd_err
verify(const struct wd_jwt_key *k, const char *tok, size_t len, time_t now,
    int64_t *exp, int *nbf_pos)
{
	struct wd_claims	 c;
	enum wd_err		 rc;

	memset(&c, 0xa5, sizeof(c));
	rc = wd_jwt_verify(k, tok, len, now, &c);
	CHECK(rc == WD_OK || rc == WD_E_BADTOKEN || rc == WD_E_EXPIRED ||
	    rc == WD_E_CLAIMS);
	check_cached(k, tok, len, now, rc, &c);
	if (k == &fz_keys[0])
		check_rotation(tok, len, now);
	if (rc != WD_OK) {
		CHECK(is_zero(&c));
		return rc;
	}
	check_ok(k, &c, now);
	check_strict(k, tok, len, &c);
	if (exp != NULL)
		*exp = c.exp;
	if (nbf_pos != NULL)
		*nbf_pos = nbf_positive(c.root);
	wd_claims_cleanup(&c);
	CHECK(is_zero(&c));
	return rc;
}

/* Time behaviour of a token that verified under k (skew 0) at FZ_NOW. */
static void
check_times(const struct wd_jwt_key *k, const char *tok, size_t len,
    int64_t exp, int nbf_pos)
{
	enum wd_err	 rc;

	CHECK(k->skew == 0);
	CHECK(exp >= (int64_t)FZ_NOW);
	/* at 0 only a positive nbf can object (either way for a fraction
	 * in (0, 1)) */
	rc = verify(k, tok, len, 0, NULL, NULL);
	if (nbf_pos >= 0)
		CHECK(rc == (nbf_pos ? WD_E_EXPIRED : WD_OK));
	else
		CHECK(rc == WD_OK || rc == WD_E_EXPIRED);
	/* the last valid second, and the first invalid one */
	CHECK(verify(k, tok, len, (time_t)exp, NULL, NULL) == WD_OK);
	if (exp < INT64_MAX)
		CHECK(verify(k, tok, len, (time_t)exp + 1, NULL, NULL) ==
		    WD_E_EXPIRED);
	/* the end of time */
	rc = verify(k, tok, len, (time_t)INT64_MAX, NULL, NULL);
	CHECK(rc == (exp < INT64_MAX ? WD_E_EXPIRED : WD_OK));
}

/* The input as a token, under every key. */
static void
fuzz_token(const uint8_t *data, size_t size)
{
	char		*tok;
	int64_t		 exp = 0;
	int		 nbf_pos = 0, ok0;

	tok = fz_copy(data, size);
	ok0 = verify(&fz_keys[0], tok, size, FZ_NOW, &exp, &nbf_pos) ==
	    WD_OK;
	if (ok0) {
		check_times(&fz_keys[0], tok, size, exp, nbf_pos);
		/* another secret, and another algorithm with this secret */
		CHECK(verify(&fz_keys[1], tok, size, FZ_NOW, NULL, NULL) ==
		    WD_E_BADTOKEN);
		CHECK(verify(&fz_keys[2], tok, size, FZ_NOW, NULL, NULL) ==
		    WD_E_BADTOKEN);
	} else {
		(void)verify(&fz_keys[1], tok, size, FZ_NOW, NULL, NULL);
		(void)verify(&fz_keys[2], tok, size, FZ_NOW, NULL, NULL);
	}
	free(tok);
}

/* The input as claims, signed with key ki and verified. */
static void
fuzz_claims(struct json_object *payload, size_t ki)
{
	const struct wd_jwt_key	*k = &fz_keys[ki];
	char			*tok = NULL;
	size_t			 len;
	int64_t			 exp = 0;
	int			 nbf_pos = 0;
	enum wd_err		 rc;

	rc = wd_jwt_sign(k, payload, &tok);
	if (rc != WD_OK) {
		/* libjwt/jansson may refuse what json-c accepted */
		CHECK(rc == WD_E_INTERNAL && tok == NULL);
		return;
	}
	CHECK(tok != NULL);
	len = strlen(tok);
	rc = verify(k, tok, len, FZ_NOW, &exp, &nbf_pos);
	if (len > WD_MAX_TOKEN)
		CHECK(rc == WD_E_BADTOKEN);
	if (rc == WD_OK) {
		size_t	 o;

		/* exp survived the signing round trip unchanged */
		CHECK(date_is(payload, "exp", exp) == 1);

		/* a token is only good for the key that signed it */
		for (o = 0; o < NKEYS; o++)
			if (o != ki)
				CHECK(verify(&fz_keys[o], tok, len, FZ_NOW,
				    NULL, NULL) == WD_E_BADTOKEN);
		if (k->skew == 0)
			check_times(k, tok, len, exp, nbf_pos);
		else {
			/* the skew extends validity both ways */
			CHECK(verify(k, tok, len, (time_t)exp, NULL, NULL) ==
			    WD_OK || nbf_pos != 0);
			if (exp < INT64_MAX - 2 * FZ_SKEW)
				CHECK(verify(k, tok, len,
				    (time_t)(exp + FZ_SKEW + 1), NULL, NULL) ==
				    WD_E_EXPIRED);
		}
	}
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*payload = NULL;

	fuzz_token(data, size);
	if (wd_json_parse((const char *)data, size, WD_MAX_JSON_DEPTH,
	    &payload) == WD_OK &&
	    json_object_is_type(payload, json_type_object)) {
		fuzz_claims(payload, 0);
		fuzz_claims(payload, 1);
	}
	json_object_put(payload);
	return 0;
}
