/*
 * wd_jwt.c: token verification and minting. Trust boundary: everything
 * in a token is attacker-controlled until the pinned-algorithm signature
 * check passed; even then claims are type-checked before use, since a
 * signer bug must not turn into an array where Hasura wants a string.
 * Minting holds itself to the same rules: what it signs (account data
 * from the database) is checked first, so it never issues a token the
 * verifier or Hasura would read differently.
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wd_cfg.h"
#include "wd_json.h"
#include "wd_jwt.h"
#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_util.h"

#define DEFAULT_NS	"https://hasura.io/jwt/claims"

#define ERRF(...) do {						\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

static const struct {
	const char	*name;
	jwt_alg_t	 alg;
	int		 hmac;
} algs[] = {
	{ "HS256", JWT_ALG_HS256, 1 },
	{ "HS384", JWT_ALG_HS384, 1 },
	{ "HS512", JWT_ALG_HS512, 1 },
	{ "RS256", JWT_ALG_RS256, 0 },
	{ "RS384", JWT_ALG_RS384, 0 },
	{ "RS512", JWT_ALG_RS512, 0 },
};

void
wd_jwt_key_cleanup(struct wd_jwt_key *k)
{
	size_t	 i;

	if (k == NULL)
		return;
	wd_freezero(k->sign, k->sign_len);
	wd_freezero(k->verify, k->verify_len);
	free(k->ns);
	free(k->issuer);
	for (i = 0; i < k->naud; i++)
		free(k->aud[i]);
	free(k->kid);
	if (k->prev != NULL) {
		wd_jwt_key_cleanup(k->prev);
		free(k->prev);
	}
	memset(k, 0, sizeof(*k));
}

/* An encrypted key would make OpenSSL prompt on the terminal: refuse. */
static int
nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/*
 * From a private PEM, derives the public PEM libjwt needs to verify
 * (libjwt 1.10 reads verification keys with PEM_read_bio_PUBKEY only).
 */
static enum wd_err
rsa_keys(struct wd_jwt_key *k, const char *pem, char *err, size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	BIO		*in = NULL, *out = NULL;
	EVP_PKEY	*pk = NULL;
	char		*data = NULL;
	long		 n;
	int		 priv = 0;

	in = BIO_new_mem_buf(pem, (int)strlen(pem));
	if (in == NULL)
		goto out;
	if (strstr(pem, "PRIVATE KEY-----") != NULL) {
		pk = PEM_read_bio_PrivateKey(in, NULL, nopass, NULL);
		priv = 1;
	} else
		pk = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		ERRF("WARDEN_JWT_SECRET: key is not an RSA PEM key");
		goto out;
	}
	if (EVP_PKEY_get_bits(pk) < 2048) {
		ERRF("WARDEN_JWT_SECRET: RSA key must have >= 2048 bits");
		goto out;
	}
	out = BIO_new(BIO_s_mem());
	if (out == NULL || !PEM_write_bio_PUBKEY(out, pk))
		goto out;
	n = BIO_get_mem_data(out, &data);
	if (n <= 0)
		goto out;
	k->verify = (unsigned char *)wd_xstrndup(data, (size_t)n);
	k->verify_len = (size_t)n;
	if (priv) {
		k->sign = (unsigned char *)wd_xstrdup(pem);
		k->sign_len = strlen(pem);
	}
	rc = WD_OK;
out:
	if (rc != WD_OK && err != NULL && err[0] == '\0')
		ERRF("WARDEN_JWT_SECRET: cannot read the RSA key");
	EVP_PKEY_free(pk);
	BIO_free(in);
	BIO_free(out);
	return rc;
}

static enum wd_err
parse_aud(struct wd_jwt_key *k, struct json_object *v, char *err,
    size_t errsz)
{
	size_t	 i, n;

	if (json_object_is_type(v, json_type_string)) {
		k->aud[k->naud++] = wd_xstrdup(json_object_get_string(v));
		return WD_OK;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0 || n > WD_JWT_MAX_AUD) {
		ERRF("WARDEN_JWT_SECRET: audience must be a string or a "
		    "list of 1..%d strings", WD_JWT_MAX_AUD);
		return WD_E_CONFIG;
	}
	for (i = 0; i < n; i++) {
		struct json_object	*e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string)) {
			ERRF("WARDEN_JWT_SECRET: audience entries must be "
			    "strings");
			return WD_E_CONFIG;
		}
		k->aud[k->naud++] = wd_xstrdup(json_object_get_string(e));
	}
	return WD_OK;
}

/* sha256 over the verification settings, NUL-separated. */
static void
fingerprint(struct wd_jwt_key *k)
{
	char		 num[48];
	size_t		 i;

	snprintf(num, sizeof(num), "%d:%ld", (int)k->alg, k->skew);
	memset(k->fp, 0, sizeof(k->fp));
	{
		EVP_MD_CTX	*md = EVP_MD_CTX_new();
		unsigned int	 n = 0;

		if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
			goto out;
		EVP_DigestUpdate(md, num, strlen(num) + 1);
		EVP_DigestUpdate(md, k->verify, k->verify_len);
		EVP_DigestUpdate(md, "", 1);
		EVP_DigestUpdate(md, k->ns, strlen(k->ns) + 1);
		if (k->issuer != NULL)
			EVP_DigestUpdate(md, k->issuer, strlen(k->issuer) + 1);
		EVP_DigestUpdate(md, "", 1);
		for (i = 0; i < k->naud; i++)
			EVP_DigestUpdate(md, k->aud[i], strlen(k->aud[i]) + 1);
		EVP_DigestFinal_ex(md, k->fp, &n);
out:
		EVP_MD_CTX_free(md);
	}
}

enum wd_err
wd_jwt_key_parse(const char *json, struct wd_jwt_key *k, char *err,
    size_t errsz)
{
	static const char *const known[] = { "type", "key", "claims_namespace",
	    "claims_format", "issuer", "audience", "allowed_skew", "kid" };
	enum wd_err		 rc = WD_E_CONFIG;
	struct json_object	*o = NULL, *v = NULL;
	const char		*type, *key;
	size_t			 i;
	int			 hmac = 0, found = 0;

	memset(k, 0, sizeof(*k));
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (json == NULL || wd_json_parse(json, strlen(json), 4, &o) !=
	    WD_OK || !json_object_is_type(o, json_type_object)) {
		ERRF("WARDEN_JWT_SECRET: must be a JSON object like "
		    "{\"type\":\"HS256\",\"key\":\"...\"}");
		goto out;
	}
	json_object_object_foreach(o, name, val) {
		int	 ok = 0;

		(void)val;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(name, known[i]) == 0)
				ok = 1;
		if (!ok) {
			ERRF("WARDEN_JWT_SECRET: \"%.40s\" is not supported",
			    name);
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, "type", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		ERRF("WARDEN_JWT_SECRET: \"type\" is required");
		goto out;
	}
	type = json_object_get_string(v);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(type, algs[i].name) == 0) {
			k->alg = algs[i].alg;
			hmac = algs[i].hmac;
			found = 1;
		}
	if (!found) {
		ERRF("WARDEN_JWT_SECRET: type must be HS256, HS384, HS512, "
		    "RS256, RS384 or RS512");
		goto out;
	}
	if (!json_object_object_get_ex(o, "key", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		ERRF("WARDEN_JWT_SECRET: \"key\" is required");
		goto out;
	}
	key = json_object_get_string(v);
	if (hmac) {
		if (strlen(key) < 32) {
			ERRF("WARDEN_JWT_SECRET: %s key needs >= 32 bytes",
			    type);
			goto out;
		}
		k->sign = (unsigned char *)wd_xstrdup(key);
		k->sign_len = strlen(key);
		k->verify = (unsigned char *)wd_xstrdup(key);
		k->verify_len = k->sign_len;
	} else if (rsa_keys(k, key, err, errsz) != WD_OK)
		goto out;
	k->ns = wd_xstrdup(DEFAULT_NS);
	if (json_object_object_get_ex(o, "claims_namespace", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0) {
			ERRF("WARDEN_JWT_SECRET: claims_namespace must be a "
			    "non-empty string");
			goto out;
		}
		free(k->ns);
		k->ns = wd_xstrdup(json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "claims_format", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "json") != 0)) {
		ERRF("WARDEN_JWT_SECRET: only claims_format \"json\" is "
		    "supported");
		goto out;
	}
	if (json_object_object_get_ex(o, "issuer", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			ERRF("WARDEN_JWT_SECRET: issuer must be a string");
			goto out;
		}
		k->issuer = wd_xstrdup(json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "audience", &v) &&
	    parse_aud(k, v, err, errsz) != WD_OK)
		goto out;
	if (json_object_object_get_ex(o, "allowed_skew", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 3600) {
			ERRF("WARDEN_JWT_SECRET: allowed_skew must be an "
			    "integer in [0, 3600]");
			goto out;
		}
		k->skew = (long)json_object_get_int64(v);
	}
	if (json_object_object_get_ex(o, "kid", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			ERRF("WARDEN_JWT_SECRET: kid must be a string");
			goto out;
		}
		k->kid = wd_xstrdup(json_object_get_string(v));
	}
	fingerprint(k);
	rc = WD_OK;
out:
	json_object_put(o);
	if (rc != WD_OK)
		wd_jwt_key_cleanup(k);
	return rc;
}

void
wd_claims_cleanup(struct wd_claims *c)
{
	if (c == NULL)
		return;
	json_object_put(c->root);
	memset(c, 0, sizeof(*c));
}

/* base64url alphabet plus exactly two dots, both parts non-empty. */
static int
token_shape_ok(const char *t, size_t len)
{
	size_t	 i, dots = 0, seg = 0;

	for (i = 0; i < len; i++) {
		char	 ch = t[i];

		if (ch == '.') {
			if (seg == 0)
				return 0;
			dots++;
			seg = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
		seg++;
	}
	/* the signature segment must be present: rejects alg "none" */
	return dots == 2 && seg > 0;
}

/*
 * 1 if the JSON text p (already accepted by wd_json_parse) has a "\u0000"
 * escape in a string or a name. json-c keeps such a string whole but a
 * name only up to the NUL, and C strings end there: "exp\u0000x" would
 * be our "exp" and another parser's "exp\0x".
 */
static int
escaped_nul(const unsigned char *p, size_t n)
{
	size_t	 i;
	int	 in = 0;

	for (i = 0; i < n; i++) {
		if (!in) {
			in = p[i] == '"';
			continue;
		}
		if (p[i] == '"')
			in = 0;
		else if (p[i] == '\\') {
			if (i + 6 <= n && p[i + 1] == 'u' &&
			    memcmp(p + i + 2, "0000", 4) == 0)
				return 1;
			i++;	/* the escaped character */
		}
	}
	return 0;
}

/*
 * Decodes segment (n characters) and parses it with the strict parser:
 * one JSON object, no repeated member, valid UTF-8, no NUL (raw or
 * escaped), no trailing bytes. *out is owned by the caller. Returns 1,
 * or 0 with *out NULL.
 */
static int
segment_json(const char *seg, size_t n, struct json_object **out)
{
	unsigned char	 buf[WD_MAX_TOKEN / 4 * 3 + 2];
	size_t		 len = 0;
	int		 ok = 0;

	*out = NULL;
	/* strict (wd_b64u_decode): each segment has exactly one text, so
	 * what we parse is exactly what was signed (RFC 7515 §2) */
	if (wd_b64u_decode(seg, n, buf, sizeof(buf), &len) == WD_OK &&
	    !escaped_nul(buf, len) && wd_json_parse((const char *)buf, len,
	    WD_MAX_JSON_DEPTH, out) == WD_OK &&
	    json_object_is_type(*out, json_type_object))
		ok = 1;
	explicit_bzero(buf, sizeof(buf));
	if (!ok) {
		json_object_put(*out);
		*out = NULL;
	}
	return ok;
}

/* The name of alg as RFC 7518 §3.1 spells it ("HS256"), or NULL. */
static const char *
alg_name(jwt_alg_t alg)
{
	size_t	 i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return NULL;
}

/*
 * The JOSE header (RFC 7515 §4), read by us, not through libjwt (whose
 * enum compares "alg" case-insensitively and ignores "crit"):
 * - "alg" a string equal byte for byte to the configured algorithm's
 *   name ("hs256" is not HS256 to every verifier);
 * - no "crit" at all: we implement no extension, and §4.1.11 says a
 *   recipient that does not understand one must refuse the token;
 * - "typ" absent or exactly "JWT", "kid" absent or a string (libjwt
 *   would take "jwt" and a number).
 * Other members are ignored, as §4 requires. Returns 1 if hdr passes.
 */
static int
header_ok(const struct wd_jwt_key *k, struct json_object *hdr)
{
	struct json_object	*v;
	const char		*want = alg_name(k->alg);

	if (want == NULL ||
	    !json_object_object_get_ex(hdr, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) != strlen(want) ||
	    memcmp(json_object_get_string(v), want, strlen(want)) != 0)
		return 0;
	if (json_object_object_get_ex(hdr, "crit", NULL))
		return 0;
	if (json_object_object_get_ex(hdr, "typ", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "JWT") != 0))
		return 0;
	if (json_object_object_get_ex(hdr, "kid", &v) &&
	    !json_object_is_type(v, json_type_string))
		return 0;
	return 1;
}

/* NumericDate (RFC 7519 §2): integer or fractional seconds. */
static int
numeric_date(struct json_object *o, const char *name, int64_t *out)
{
	struct json_object	*v;
	double			 d;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (d > -1e15 && d < 1e15) {
			*out = (int64_t)d;
			return 1;
		}
	}
	return -1;
}

/* The skew moves now, not the claim (a claim near INT64_MAX must not
 * overflow). check_registered and every cache hit decide by this. */
enum wd_err
wd_jwt_times_ok(int64_t exp, int has_nbf, int64_t nbf, long skew, time_t now)
{
	if (exp < (int64_t)now - skew)
		return WD_E_EXPIRED;
	if (has_nbf && (int64_t)now + skew < nbf)
		return WD_E_EXPIRED;
	return WD_OK;
}

static enum wd_err
check_registered(const struct wd_jwt_key *k, struct json_object *p,
    time_t now, struct wd_claims *c)
{
	struct json_object	*v;
	int64_t			 nbf;
	size_t			 i, j, n;
	int			 r, match = 0;

	/* exp is required: a token that never expires cannot be revoked by
	 * waiting, and the webhook derives Cache-Control from it */
	if (numeric_date(p, "exp", &c->exp) != 1)
		return WD_E_CLAIMS;
	/* exp is checked before nbf is read, as always: an expired token
	 * with a malformed nbf is "expired" */
	if (wd_jwt_times_ok(c->exp, 0, 0, k->skew, now) != WD_OK)
		return WD_E_EXPIRED;
	r = numeric_date(p, "nbf", &nbf);
	if (r < 0)
		return WD_E_CLAIMS;
	if (wd_jwt_times_ok(c->exp, r == 1, nbf, k->skew, now) != WD_OK)
		return WD_E_EXPIRED;
	if (k->issuer != NULL) {
		if (!json_object_object_get_ex(p, "iss", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), k->issuer) != 0)
			return WD_E_BADTOKEN;
	}
	if (k->naud == 0)
		return WD_OK;
	if (!json_object_object_get_ex(p, "aud", &v))
		return WD_E_BADTOKEN;
	if (json_object_is_type(v, json_type_string)) {
		for (j = 0; j < k->naud; j++)
			if (strcmp(json_object_get_string(v), k->aud[j]) == 0)
				match = 1;
	} else if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string))
				return WD_E_BADTOKEN;
			for (j = 0; j < k->naud; j++)
				if (strcmp(json_object_get_string(e),
				    k->aud[j]) == 0)
					match = 1;
		}
	}
	return match ? WD_OK : WD_E_BADTOKEN;
}

/*
 * Hasura's claim rules (hasura.md §3): names case-insensitive; allowed-
 * roles a non-empty list of strings; default-role a string in it; every
 * other x-hasura-* claim a string. Two names equal but for case are
 * ambiguous and rejected. We also require x-hasura-user-id.
 */
static enum wd_err
check_hasura(struct json_object *ns, struct wd_claims *c)
{
	size_t	 n = 0, i, nroles;

	json_object_object_foreach(ns, name, val) {
		struct json_object_iter	 it2;
		size_t			 seen = 0;

		if (strncasecmp(name, "x-hasura-", 9) != 0)
			continue;
		if (++n > WD_MAX_CLAIMS)
			return WD_E_CLAIMS;
		json_object_object_foreachC(ns, it2)
			if (strcasecmp(it2.key, name) == 0)
				seen++;
		if (seen != 1)
			return WD_E_CLAIMS;
		if (strcasecmp(name, "x-hasura-allowed-roles") == 0) {
			if (!json_object_is_type(val, json_type_array))
				return WD_E_CLAIMS;
			c->allowed = val;
			continue;
		}
		if (!json_object_is_type(val, json_type_string))
			return WD_E_CLAIMS;
		if (strcasecmp(name, "x-hasura-default-role") == 0)
			c->default_role = json_object_get_string(val);
		else if (strcasecmp(name, "x-hasura-user-id") == 0)
			c->user_id = json_object_get_string(val);
	}
	if (c->allowed == NULL || c->default_role == NULL ||
	    c->user_id == NULL || c->user_id[0] == '\0' ||
	    strlen(c->user_id) > WD_MAX_ID)
		return WD_E_CLAIMS;
	nroles = json_object_array_length(c->allowed);
	if (nroles == 0 || nroles > WD_MAX_ROLES)
		return WD_E_CLAIMS;
	for (i = 0; i < nroles; i++) {
		struct json_object	*e;

		e = json_object_array_get_idx(c->allowed, i);
		if (!json_object_is_type(e, json_type_string) ||
		    json_object_get_string_len(e) == 0 ||
		    json_object_get_string_len(e) > WD_MAX_ROLE)
			return WD_E_CLAIMS;
	}
	if (!wd_claims_role_allowed(c, c->default_role,
	    strlen(c->default_role)))
		return WD_E_CLAIMS;
	return WD_OK;
}

static enum wd_err	verify1(const struct wd_jwt_key *, const char *,
			    size_t, time_t, struct wd_claims *);

void
wd_jwt_key_set_prev(struct wd_jwt_key *k, struct wd_jwt_key *prev)
{
	unsigned char	 both[64];
	unsigned int	 n = 0;

	k->prev = prev;
	/* the cache fingerprint covers both keys */
	memcpy(both, k->fp, 32);
	memcpy(both + 32, prev->fp, 32);
	EVP_Digest(both, sizeof(both), k->fp, &n, EVP_sha256(), NULL);
}

enum wd_err
wd_jwt_keys_load(const struct wd_cfg *c, struct wd_jwt_key *k, char *err,
    size_t errsz)
{
	const char	*prev = wd_cfg_str(c, WD_CFG_JWT_PREVIOUS_SECRET);
	char		 tmp[256];

	/* presence is wd_cfg_check's (WARDEN_JWT_SECRET is required by
	 * every binary that loads keys) */
	if (wd_jwt_key_parse(wd_cfg_str(c, WD_CFG_JWT_SECRET), k, err,
	    errsz) != WD_OK)
		return WD_E_CONFIG;
	if (prev == NULL || prev[0] == '\0')
		return WD_OK;
	k->prev = wd_xcalloc(1, sizeof(*k->prev));
	if (wd_jwt_key_parse(prev, k->prev, tmp, sizeof(tmp)) != WD_OK) {
		/* "WARDEN_JWT_SECRET: ..." -> name the variable we read */
		ERRF("WARDEN_JWT_PREVIOUS_SECRET%s", strchr(tmp, ':') != NULL ?
		    strchr(tmp, ':') : ": invalid");
		wd_jwt_key_cleanup(k);
		return WD_E_CONFIG;
	}
	wd_jwt_key_set_prev(k, k->prev);
	return WD_OK;
}

enum wd_err
wd_jwt_verify_by(const struct wd_jwt_key *k, const char *tok, size_t len,
    time_t now, struct wd_claims *c, const struct wd_jwt_key **used)
{
	enum wd_err	 rc;

	*used = k;
	rc = verify1(k, tok, len, now, c);
	/* rotation: a token the current key cannot verify may carry the
	 * previous key's signature; that key's own pin and checks apply */
	if (rc == WD_E_BADTOKEN && k->prev != NULL) {
		*used = k->prev;
		rc = verify1(k->prev, tok, len, now, c);
	}
	return rc;
}

enum wd_err
wd_jwt_verify(const struct wd_jwt_key *k, const char *tok, size_t len,
    time_t now, struct wd_claims *c)
{
	const struct wd_jwt_key	*used;

	return wd_jwt_verify_by(k, tok, len, now, c, &used);
}

/* ---- the cache of verified tokens ------------------------------------ */

/*
 * SHA-256 fetched once per process: EVP_sha256() makes OpenSSL 3 look
 * the implementation up again on every digest (locks, name lookups),
 * which on storage's download path, where each request digests its
 * token, cost more than the digest. Kept for the process's life.
 */
static EVP_MD		*sha256;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_md(void)
{
	(void)pthread_once(&sha256_once, sha256_fetch);
	return sha256 != NULL ? sha256 : EVP_sha256();
}

int
wd_jwt_cache_digest(const struct wd_jwt_key *k, const void *extra,
    size_t elen, const char *tok, size_t len, unsigned char *key)
{
	unsigned char	 buf[32 + WD_JWT_DIGEST_EXTRA + 1 + WD_MAX_TOKEN];
	unsigned int	 kl = 0;
	size_t		 n = 32;

	if (elen > WD_JWT_DIGEST_EXTRA || len > WD_MAX_TOKEN)
		return 0;
	memcpy(buf, k->fp, 32);
	if (extra != NULL) {
		/* the NUL keeps extra "ab" + token "c" apart from "a" +
		 * "bc" */
		memcpy(buf + n, extra, elen);
		n += elen;
		buf[n++] = '\0';
	}
	memcpy(buf + n, tok, len);
	return EVP_Digest(buf, n + len, key, &kl, sha256_md(), NULL) &&
	    kl == 32;
}

size_t
wd_jwt_cache_slot(const unsigned char *key, size_t n)
{
	return ((size_t)key[0] | (size_t)key[1] << 8) % n;
}

long
wd_jwt_hit_skew(const struct wd_jwt_key *k, const struct wd_jwt_key *used)
{
	/* under rotation the full check tries k first, and k's exp and
	 * nbf checks come before its issuer, audience and signature
	 * checks: with a shared secret, k's smaller skew can answer
	 * "expired" for a token only prev verifies; with another secret,
	 * k's larger skew lets the token on to prev, whose own skew
	 * decides. The smaller skew of the two keeps every hit within what
	 * the full check accepts (near an edge a hit becomes a miss, and
	 * the full check decides) */
	if (k->prev != NULL && k->skew < used->skew)
		return k->skew;
	return used->skew;
}

static void
cache_put(struct wd_jwt_centry *e, const unsigned char *key,
    const struct wd_jwt_key *k, const struct wd_jwt_key *used,
    const struct wd_claims *c)
{
	int64_t	 nbf = 0;

	wd_claims_cleanup(&e->c);
	memcpy(e->key, key, 32);
	e->skew = wd_jwt_hit_skew(k, used);
	/* verify1 accepted nbf: absent (0) or a NumericDate (1) */
	e->has_nbf = numeric_date(c->root, "nbf", &nbf) == 1;
	e->nbf = nbf;
	e->c = *c;
	e->c.root = json_object_get(c->root);
}

enum wd_err
wd_jwt_verify_cached(struct wd_jwt_cache *cache, const struct wd_jwt_key *k,
    const char *tok, size_t len, time_t now, struct wd_claims *c)
{
	const struct wd_jwt_key	*used;
	struct wd_jwt_centry	*e = NULL;
	unsigned char		 key[32];
	enum wd_err		 rc;

	if (wd_jwt_cache_digest(k, NULL, 0, tok, len, key)) {
		e = &cache->e[wd_jwt_cache_slot(key, WD_JWT_CACHE_N)];
		if (e->c.root != NULL && memcmp(e->key, key, 32) == 0 &&
		    wd_jwt_times_ok(e->c.exp, e->has_nbf, e->nbf, e->skew,
		    now) == WD_OK) {
			cache->hits++;
			*c = e->c;
			c->root = json_object_get(e->c.root);
			return WD_OK;
		}
	}
	/* a miss, or a hit no longer current: the full check decides (and
	 * says why) */
	rc = wd_jwt_verify_by(k, tok, len, now, c, &used);
	if (rc == WD_OK && e != NULL)
		cache_put(e, key, k, used, c);
	return rc;
}

void
wd_jwt_cache_cleanup(struct wd_jwt_cache *cache)
{
	size_t	 i;

	if (cache == NULL)
		return;
	for (i = 0; i < WD_JWT_CACHE_N; i++)
		wd_claims_cleanup(&cache->e[i].c);
	explicit_bzero(cache, sizeof(*cache));
}

/*
 * One key. Both parsers must accept the token: ours reads the header and
 * the payload (strictly, from the signed bytes themselves), libjwt
 * checks the signature. The claims come from our parse, so no token
 * means one thing to libjwt's parser and another to ours.
 */
static enum wd_err
verify1(const struct wd_jwt_key *k, const char *tok, size_t len,
    time_t now, struct wd_claims *c)
{
	enum wd_err		 rc = WD_E_BADTOKEN;
	char			 copy[WD_MAX_TOKEN + 1];
	unsigned char		 sig[WD_MAX_TOKEN / 4 * 3 + 2];
	jwt_t			*j = NULL;
	struct json_object	*hdr = NULL, *v;
	const char		*d1, *d2;
	size_t			 siglen;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len > WD_MAX_TOKEN || !token_shape_ok(tok, len))
		goto out;
	d1 = memchr(tok, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	if (!segment_json(tok, (size_t)(d1 - tok), &hdr) ||
	    !header_ok(k, hdr))
		goto out;
	if (!segment_json(d1 + 1, (size_t)(d2 - d1 - 1), &c->root))
		goto out;
	/* the signature's text must be canonical too (libjwt's RS decoder
	 * would take stray low bits) */
	if (wd_b64u_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), sig,
	    sizeof(sig), &siglen) != WD_OK)
		goto out;
	memcpy(copy, tok, len);
	copy[len] = '\0';
	if (jwt_decode(&j, copy, k->verify, (int)k->verify_len) != 0)
		goto out;
	/* the pin, again through libjwt: a token naming another algorithm
	 * (none, HS with an RS public key as secret) is rejected whatever
	 * libjwt concluded */
	if (jwt_get_alg(j) != k->alg)
		goto out;
	rc = check_registered(k, c->root, now, c);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_CLAIMS;
	if (!json_object_object_get_ex(c->root, k->ns, &c->ns) ||
	    !json_object_is_type(c->ns, json_type_object))
		goto out;
	rc = check_hasura(c->ns, c);
	if (rc != WD_OK)
		goto out;
	if (json_object_object_get_ex(c->root, "sid", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			rc = WD_E_CLAIMS;
			goto out;
		}
		c->sid = json_object_get_string(v);
	}
	rc = WD_OK;
out:
	explicit_bzero(copy, sizeof(copy));
	json_object_put(hdr);
	jwt_free(j);
	if (rc != WD_OK)
		wd_claims_cleanup(c);
	return rc;
}

int
wd_claims_role_allowed(const struct wd_claims *c, const char *role,
    size_t len)
{
	size_t	 i, n;

	if (c->allowed == NULL)
		return 0;
	n = json_object_array_length(c->allowed);
	for (i = 0; i < n; i++) {
		struct json_object *e;

		e = json_object_array_get_idx(c->allowed, i);
		if ((size_t)json_object_get_string_len(e) == len &&
		    memcmp(json_object_get_string(e), role, len) == 0)
			return 1;
	}
	return 0;
}

enum wd_err
wd_jwt_sign(const struct wd_jwt_key *k, struct json_object *payload,
    char **out)
{
	enum wd_err	 rc = WD_E_INTERNAL;
	jwt_t		*j = NULL;
	const char	*js;

	*out = NULL;
	if (k->sign == NULL) {
		rc = WD_E_CONFIG;
		goto out;
	}
	if (jwt_new(&j) != 0)
		goto out;
	js = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
	if (js == NULL || jwt_add_grants_json(j, js) != 0)
		goto out;
	if (jwt_set_alg(j, k->alg, k->sign, (int)k->sign_len) != 0)
		goto out;
	if (k->kid != NULL && jwt_add_header(j, "kid", k->kid) != 0)
		goto out;
	*out = jwt_encode_str(j);
	if (*out == NULL)
		goto out;
	rc = WD_OK;
out:
	jwt_free(j);
	return rc;
}

/* ---- minting ---------------------------------------------------------- */

#define CLAIM_PREFIX	"x-hasura-"
#define CLAIM_NAME_SZ	(sizeof(CLAIM_PREFIX) + WD_JWT_MAX_CLAIM_NAME)
/* x-hasura-user-id, -session-id, -default-role and -allowed-roles count
 * towards the verifier's WD_MAX_CLAIMS too */
#define MAX_EXTRA	(WD_MAX_CLAIMS - 4)

/* Custom claims must not replace an identity claim (json-c's add
 * replaces a key silently); wd_svc.c refuses them in the configuration
 * as well (wd_jwt_claim_reserved), this keeps a caller's mistake out of
 * a signed token. */
static const char *const reserved_claims[] = { "user_id", "default_role",
    "allowed_roles", "role", "session_id" };

int
wd_jwt_claim_reserved(const char *col)
{
	size_t	 i;

	for (i = 0; i < sizeof(reserved_claims) / sizeof(reserved_claims[0]);
	    i++)
		if (strcmp(col, reserved_claims[i]) == 0)
			return 1;
	return 0;
}

/*
 * company_id -> x-hasura-company-id: each '_' becomes '-'. HBP runs
 * lodash kebabCase, which agrees for letters joined by single '_' but
 * also splits digits off ("address1" -> "address-1") and drops leading
 * or doubled '_'; we keep the simple rule the tokens have always had.
 * col must be [a-z_][a-z0-9_]*, at most WD_JWT_MAX_CLAIM_NAME bytes, and
 * not reserved; out holds CLAIM_NAME_SZ bytes. Returns 1, or 0 when col
 * is refused.
 */
static int
claim_name(const char *col, char *out)
{
	size_t	 i, n;

	if (col == NULL)
		return 0;
	n = strnlen(col, WD_JWT_MAX_CLAIM_NAME + 1);
	if (n == 0 || n > WD_JWT_MAX_CLAIM_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		char	 c = col[i];

		if (!((c >= 'a' && c <= 'z') || c == '_' ||
		    (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	if (wd_jwt_claim_reserved(col))
		return 0;
	memcpy(out, CLAIM_PREFIX, sizeof(CLAIM_PREFIX) - 1);
	for (i = 0; i < n; i++)
		out[sizeof(CLAIM_PREFIX) - 1 + i] = col[i] == '_' ? '-' :
		    col[i];
	out[sizeof(CLAIM_PREFIX) - 1 + n] = '\0';
	return 1;
}

/* 1 if s is lo..hi bytes of valid UTF-8 (what the verifier's strict JSON
 * parser takes back), else 0. Reads at most hi + 1 bytes of s. */
static int
text_ok(const char *s, size_t lo, size_t hi)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, len;

	if (s == NULL)
		return 0;
	len = strnlen(s, hi + 1);
	if (len < lo || len > hi)
		return 0;
	for (i = 0; i < len; i += n) {
		n = wd_utf8_len(p + i, len - i, NULL);
		if (n == 0)
			return 0;
	}
	return 1;
}

/* 1 if role is among the n roles. */
static int
listed(const char *const *roles, size_t n, const char *role)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(roles[i], role) == 0)
			return 1;
	return 0;
}

/*
 * Everything the verifier's check_hasura and check_registered will ask
 * of the token, checked on the input; *exp is now + lifetime. Counts are
 * checked before any string is read.
 */
static int
mint_ok(const struct wd_jwt_mint *m, time_t now, int64_t *exp)
{
	char	 name[CLAIM_NAME_SZ];
	size_t	 i, j, nroles;

	if (m == NULL || m->lifetime <= 0 ||
	    (int64_t)now > INT64_MAX - (int64_t)m->lifetime)
		return 0;
	*exp = (int64_t)now + (int64_t)m->lifetime;
	if (m->nroles > WD_MAX_ROLES || m->nclaims > MAX_EXTRA ||
	    (m->nroles > 0 && m->roles == NULL) || (m->nclaims > 0 &&
	    (m->claim_names == NULL || m->claim_values == NULL)))
		return 0;
	if (!text_ok(m->user_id, 1, WD_MAX_ID) ||
	    !text_ok(m->sid, 1, WD_MAX_ID) ||
	    !text_ok(m->default_role, 1, WD_MAX_ROLE))
		return 0;
	for (i = 0; i < m->nroles; i++)
		if (!text_ok(m->roles[i], 1, WD_MAX_ROLE))
			return 0;
	/* the default role appended must still fit */
	nroles = m->nroles;
	if (!listed(m->roles, m->nroles, m->default_role))
		nroles++;
	if (nroles > WD_MAX_ROLES)
		return 0;
	for (i = 0; i < m->nclaims; i++) {
		if (!claim_name(m->claim_names[i], name))
			return 0;
		/* two columns, one claim: the later would win silently
		 * ('_' -> '-' is one-to-one on the names allowed) */
		for (j = 0; j < i; j++)
			if (strcmp(m->claim_names[i], m->claim_names[j]) == 0)
				return 0;
		/* a value may be empty; the token cap bounds the sum */
		if (m->claim_values[i] != NULL &&
		    !text_ok(m->claim_values[i], 0, WD_MAX_TOKEN))
			return 0;
	}
	return 1;
}

/*
 * Adds v to o under key (or to the array o when key is NULL), taking v.
 * json-c returns NULL or -1 on allocation failure instead of aborting;
 * *bad remembers that once so the builder below reads straight down.
 */
static void
put(struct json_object *o, const char *key, struct json_object *v, int *bad)
{
	int	 r = -1;

	if (o != NULL && v != NULL)
		r = key == NULL ? json_object_array_add(o, v) :
		    json_object_object_add(o, key, v);
	if (r != 0) {
		json_object_put(v);
		*bad = 1;
	}
}

enum wd_err
wd_jwt_mint(const struct wd_jwt_key *k, const struct wd_jwt_mint *m,
    time_t now, char **out)
{
	enum wd_err		 rc = WD_E_INTERNAL;
	struct json_object	*pl = NULL, *ns = NULL, *roles = NULL;
	char			 name[CLAIM_NAME_SZ];
	char			*tok = NULL;
	int64_t			 exp = 0;
	size_t			 i;
	int			 bad = 0;

	if (out == NULL)
		goto out;
	*out = NULL;
	if (k == NULL || k->sign == NULL || k->ns == NULL) {
		rc = WD_E_CONFIG;
		goto out;
	}
	if (!mint_ok(m, now, &exp))
		goto out;

	/* allowed roles: the account's, the default appended (HBP) */
	roles = json_object_new_array();
	for (i = 0; i < m->nroles; i++)
		put(roles, NULL, json_object_new_string(m->roles[i]), &bad);
	if (!listed(m->roles, m->nroles, m->default_role))
		put(roles, NULL, json_object_new_string(m->default_role),
		    &bad);

	ns = json_object_new_object();
	put(ns, "x-hasura-user-id", json_object_new_string(m->user_id), &bad);
	put(ns, "x-hasura-default-role",
	    json_object_new_string(m->default_role), &bad);
	put(ns, "x-hasura-allowed-roles", roles, &bad);
	roles = NULL;
	/* the session as a session variable too: Hasura passes it to
	 * Actions, which then refuse a revoked session's calls (an action
	 * call carries no token, only what Hasura vouches for) */
	put(ns, "x-hasura-session-id", json_object_new_string(m->sid), &bad);
	for (i = 0; i < m->nclaims; i++) {
		if (m->claim_values[i] == NULL)
			continue;	/* absent rather than null */
		(void)claim_name(m->claim_names[i], name);	/* checked */
		put(ns, name, json_object_new_string(m->claim_values[i]),
		    &bad);
	}

	pl = json_object_new_object();
	put(pl, k->ns, ns, &bad);
	ns = NULL;
	put(pl, "sub", json_object_new_string(m->user_id), &bad);
	put(pl, "iat", json_object_new_int64((int64_t)now), &bad);
	put(pl, "exp", json_object_new_int64(exp), &bad);
	put(pl, "sid", json_object_new_string(m->sid), &bad);
	if (k->issuer != NULL)
		put(pl, "iss", json_object_new_string(k->issuer), &bad);
	if (k->naud > 0)
		put(pl, "aud", json_object_new_string(k->aud[0]), &bad);
	if (bad)
		goto out;

	rc = wd_jwt_sign(k, pl, &tok);
	if (rc != WD_OK)
		goto out;
	/* the webhook would refuse a longer one (WD_MAX_TOKEN) */
	rc = WD_E_INTERNAL;
	if (strnlen(tok, WD_MAX_TOKEN + 1) > WD_MAX_TOKEN)
		goto out;
	*out = tok;
	tok = NULL;
	rc = WD_OK;
out:
	if (tok != NULL)
		wd_freezero(tok, strlen(tok));
	json_object_put(roles);
	json_object_put(ns);
	json_object_put(pl);
	return rc;
}
