/*
 * wd_oidc.c: OAuth 2.0 / OpenID Connect client pieces (wd_oidc.h). Trust
 * boundary: every byte from a provider (discovery, JWKS, token answer,
 * ID token, profile) is parsed strictly under a cap before it is used.
 * ID token signatures are verified here with libcrypto, not libjwt:
 * libjwt 1.10 trusts the alg it is handed and takes only PEM keys. The
 * algorithm is pinned by the key (RSA: RS256, P-256: ES256); none and
 * HMAC never verify.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "wd_json.h"
#include "wd_mem.h"
#include "wd_oidc.h"
#include "wd_util.h"
#include "wd_rand.h"

#define JSON_DEPTH	8

void
wd_oidc_profile_cleanup(struct wd_oidc_profile *p)
{
	if (p == NULL)
		return;
	free(p->email);
	free(p->name);
	free(p->picture);
	memset(p, 0, sizeof(*p));
}

enum wd_err
wd_oidc_random(char *out)
{
	unsigned char	 r[32];
	enum wd_err	 rc;

	rc = wd_rand_bytes(r, sizeof(r));
	if (rc == WD_OK)
		rc = wd_b64u_encode(r, sizeof(r), out, WD_OIDC_B64_RAND + 1);
	explicit_bzero(r, sizeof(r));
	return rc;
}

enum wd_err
wd_oidc_pkce_s256(const char *verifier, char *out)
{
	unsigned char	 d[32];
	unsigned int	 dl = 0;

	if (EVP_Digest(verifier, strlen(verifier), d, &dl, EVP_sha256(),
	    NULL) != 1 || dl != sizeof(d))
		return WD_E_INTERNAL;
	return wd_b64u_encode(d, sizeof(d), out, WD_OIDC_B64_RAND + 1);
}

/* ---- HTTP ---- */

static size_t
write_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct wd_buf	*b = arg;

	if (wd_buf_add(b, p, sz * nm) != WD_OK)
		return 0;	/* curl stops: CURLE_WRITE_ERROR */
	return sz * nm;
}

enum wd_err
wd_oidc_fetch(const char *url, const char *form, const char *bearer,
    struct wd_buf *out)
{
	CURL			*c = NULL;
	struct curl_slist	*h = NULL, *h2;
	char			 auth[WD_OIDC_MAX_TOKEN + 32];
	long			 status = 0;
	CURLcode		 cc;
	enum wd_err		 rc = WD_E_INTERNAL;
	int			 n;

	wd_buf_reset(out);
	c = curl_easy_init();
	if (c == NULL)
		goto out;
	h2 = curl_slist_append(h, "Accept: application/json");
	if (h2 == NULL)
		goto out;
	h = h2;
	if (bearer != NULL) {
		n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    bearer);
		if (n < 0 || (size_t)n >= sizeof(auth))
			goto out;
		h2 = curl_slist_append(h, auth);
		if (h2 == NULL)
			goto out;
		h = h2;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "warden");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WD_OIDC_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)WD_OIDC_MAX_DOC);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (form != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	cc = curl_easy_perform(c);
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	rc = WD_E_UNAVAILABLE;
	if (cc != CURLE_OK)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	/* 4xx: the server refused us (a spent code, a bad token); 5xx and
	 * the rest: it is not working */
	if (status >= 400 && status < 500)
		rc = WD_E_UNAUTH;
	if (status != 200)
		goto out;
	rc = wd_buf_status(out);
out:
	explicit_bzero(auth, sizeof(auth));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

/* ---- JSON documents ---- */

/* A string member of o, or NULL (absent, null or another type). */
static const char *
jstr(struct json_object *o, const char *name, size_t max)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if ((size_t)json_object_get_string_len(v) > max ||
	    strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return NULL;	/* too long, or a NUL inside */
	return json_object_get_string(v);
}

static enum wd_err
parse_obj(const char *p, size_t len, struct json_object **o)
{
	enum wd_err	 rc;

	*o = NULL;
	if (len > WD_OIDC_MAX_DOC)
		return WD_E_TOOBIG;
	rc = wd_json_parse(p, len, JSON_DEPTH, o);
	if (rc == WD_OK && !json_object_is_type(*o, json_type_object))
		rc = WD_E_BADREQ;
	if (rc != WD_OK) {
		json_object_put(*o);
		*o = NULL;
		return WD_E_BADREQ;
	}
	return WD_OK;
}

static int
is_http_url(const char *u)
{
	return u != NULL && (strncmp(u, "https://", 8) == 0 ||
	    strncmp(u, "http://", 7) == 0) && strlen(u) <= WD_OIDC_MAX_URL &&
	    strpbrk(u, " \t\r\n") == NULL;
}

int
wd_oidc_url_trusted(const char *u)
{
	static const char *const local[] = { "127.", "localhost", "[::1]" };
	size_t	 i, n;

	if (strncmp(u, "https://", 8) == 0)
		return 1;
	if (strncmp(u, "http://", 7) != 0)
		return 0;
	u += 7;
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		n = strlen(local[i]);
		if (strncmp(u, local[i], n) != 0)
			continue;
		if (i == 0)	/* 127.<digits and dots> */
			n += strspn(u + n, "0123456789.");
		/* the host ends there: not "localhost.evil.example" */
		return u[n] == ':' || u[n] == '/' || u[n] == '\0';
	}
	return 0;
}

/* An endpoint of the discovery document: an http(s) URL, trusted. */
static int
endpoint_ok(const char *u)
{
	return is_http_url(u) && wd_oidc_url_trusted(u);
}

enum wd_err
wd_oidc_disc_parse(const char *p, size_t len, const char *iss,
    struct wd_oidc_disc *d)
{
	struct json_object	*o = NULL;
	const char		*v[4], *is;
	enum wd_err		 rc;

	memset(d, 0, sizeof(*d));
	rc = parse_obj(p, len, &o);
	if (rc != WD_OK)
		return rc;
	rc = WD_E_BADREQ;
	is = jstr(o, "issuer", WD_OIDC_MAX_URL);
	/* OIDC Discovery §4.3: issuer identical to the one asked for */
	if (is == NULL || strcmp(is, iss) != 0)
		goto out;
	v[0] = jstr(o, "authorization_endpoint", WD_OIDC_MAX_URL);
	v[1] = jstr(o, "token_endpoint", WD_OIDC_MAX_URL);
	v[2] = jstr(o, "jwks_uri", WD_OIDC_MAX_URL);
	v[3] = jstr(o, "userinfo_endpoint", WD_OIDC_MAX_URL);
	if (!endpoint_ok(v[0]) || !endpoint_ok(v[1]) || !endpoint_ok(v[2]))
		goto out;
	snprintf(d->authorize, sizeof(d->authorize), "%s", v[0]);
	snprintf(d->token, sizeof(d->token), "%s", v[1]);
	snprintf(d->jwks, sizeof(d->jwks), "%s", v[2]);
	if (endpoint_ok(v[3]))
		snprintf(d->userinfo, sizeof(d->userinfo), "%s", v[3]);
	rc = WD_OK;
out:
	json_object_put(o);
	return rc;
}

/* A big-endian integer member (base64url) into bn; NULL on error. */
static BIGNUM *
jbn(struct json_object *o, const char *name, size_t max, size_t exact)
{
	const char	*s = jstr(o, name, (max + 2) / 3 * 4);
	unsigned char	 b[1024];
	size_t		 n;

	if (s == NULL || max > sizeof(b) ||
	    wd_b64u_decode(s, strlen(s), b, max, &n) != WD_OK || n == 0 ||
	    (exact != 0 && n != exact))
		return NULL;
	return BN_bin2bn(b, (int)n, NULL);
}

static EVP_PKEY *
rsa_key(struct json_object *o)
{
	BIGNUM		*n = jbn(o, "n", 1024, 0), *e = jbn(o, "e", 8, 0);
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*par = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;

	if (n == NULL || e == NULL || BN_num_bits(n) < 2048 ||
	    BN_num_bits(n) > 8192)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	par = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (par == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, par) != 1)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(par);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

static EVP_PKEY *
ec_key(struct json_object *o)
{
	const char	*crv = jstr(o, "crv", 16), *xs, *ys;
	unsigned char	 pt[65];
	size_t		 nx = 0, ny = 0;
	OSSL_PARAM	 par[3];
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;
	char		 grp[] = "prime256v1";

	xs = jstr(o, "x", 43);
	ys = jstr(o, "y", 43);
	if (crv == NULL || strcmp(crv, "P-256") != 0 || xs == NULL ||
	    ys == NULL ||
	    wd_b64u_decode(xs, strlen(xs), pt + 1, 32, &nx) != WD_OK ||
	    wd_b64u_decode(ys, strlen(ys), pt + 33, 32, &ny) != WD_OK ||
	    nx != 32 || ny != 32)
		return NULL;
	pt[0] = 0x04;	/* SEC 1 §2.3.3: uncompressed point */
	par[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    grp, 0);
	par[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    pt, sizeof(pt));
	par[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, par) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

void
wd_oidc_jwks_cleanup(struct wd_oidc_jwks *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n && i < WD_OIDC_MAX_KEYS; i++)
		EVP_PKEY_free(ks->k[i].pk);
	memset(ks, 0, sizeof(*ks));
}

enum wd_err
wd_oidc_jwks_parse(const char *p, size_t len, struct wd_oidc_jwks *ks)
{
	struct json_object	*o = NULL, *keys, *k;
	const char		*kty, *use, *alg, *kid;
	struct wd_oidc_jwk	*j;
	enum wd_oidc_alg	 a;
	size_t			 i, n;
	enum wd_err		 rc;

	wd_oidc_jwks_cleanup(ks);
	rc = parse_obj(p, len, &o);
	if (rc != WD_OK)
		return rc;
	rc = WD_E_BADREQ;
	if (!json_object_object_get_ex(o, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array))
		goto out;
	n = json_object_array_length(keys);
	for (i = 0; i < n && ks->n < WD_OIDC_MAX_KEYS; i++) {
		k = json_object_array_get_idx(keys, i);
		if (!json_object_is_type(k, json_type_object))
			continue;
		kty = jstr(k, "kty", 8);
		use = jstr(k, "use", 8);
		alg = jstr(k, "alg", 16);
		kid = jstr(k, "kid", WD_OIDC_MAX_KID);
		if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
			continue;
		if (strcmp(kty, "RSA") == 0)
			a = WD_OIDC_ALG_RS256;
		else if (strcmp(kty, "EC") == 0)
			a = WD_OIDC_ALG_ES256;
		else
			continue;
		/* a key published for another algorithm is not ours to use */
		if (alg != NULL && strcmp(alg, a == WD_OIDC_ALG_RS256 ?
		    "RS256" : "ES256") != 0)
			continue;
		j = &ks->k[ks->n];
		j->pk = a == WD_OIDC_ALG_RS256 ? rsa_key(k) : ec_key(k);
		if (j->pk == NULL)
			continue;
		j->alg = a;
		snprintf(j->kid, sizeof(j->kid), "%s", kid == NULL ? "" : kid);
		ks->n++;
	}
	if (ks->n > 0)
		rc = WD_OK;
out:
	json_object_put(o);
	return rc;
}

enum wd_err
wd_oidc_token_parse(const char *p, size_t len, char **access, char **idtok)
{
	struct json_object	*o = NULL;
	const char		*at, *it, *tt;
	enum wd_err		 rc;

	*access = NULL;
	*idtok = NULL;
	rc = parse_obj(p, len, &o);
	if (rc != WD_OK)
		return rc;
	rc = WD_E_BADREQ;
	at = jstr(o, "access_token", WD_OIDC_MAX_TOKEN);
	it = jstr(o, "id_token", WD_OIDC_MAX_TOKEN);
	tt = jstr(o, "token_type", 32);
	/* RFC 6749 §5.1: Bearer, in any case */
	if (at == NULL || at[0] == '\0' || tt == NULL ||
	    strcasecmp(tt, "bearer") != 0)
		goto out;
	*access = wd_xstrdup(at);
	if (it != NULL)
		*idtok = wd_xstrdup(it);
	rc = WD_OK;
out:
	json_object_put(o);
	return rc;
}

/* ---- the ID token ---- */

static int
verify_sig(const struct wd_oidc_jwk *k, const char *si, size_t silen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r = NULL, *s = NULL;
	unsigned char	*der = NULL;
	int		 derlen, ok = 0;

	if (md == NULL)
		return 0;
	if (k->alg == WD_OIDC_ALG_ES256) {
		/* RFC 7518 §3.4: R || S, 32 bytes each; libcrypto wants DER */
		if (siglen != 64)
			goto out;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, 32, NULL);
		s = BN_bin2bn(sig + 32, 32, NULL);
		if (es == NULL || r == NULL || s == NULL ||
		    ECDSA_SIG_set0(es, r, s) != 1)
			goto out;
		r = s = NULL;	/* es owns them */
		derlen = i2d_ECDSA_SIG(es, &der);
		if (derlen <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pk) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, (const unsigned char *)si,
	    silen) == 1)
		ok = 1;
out:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok;
}

/* Decodes a base64url part holding a JSON object. */
static enum wd_err
part_obj(const char *s, size_t n, struct json_object **o)
{
	unsigned char	*b;
	size_t		 bl;
	enum wd_err	 rc;

	*o = NULL;
	b = wd_xmalloc(n / 4 * 3 + 3);
	rc = wd_b64u_decode(s, n, b, n / 4 * 3 + 3, &bl);
	if (rc == WD_OK)
		rc = parse_obj((const char *)b, bl, o);
	free(b);
	return rc == WD_OK ? WD_OK : WD_E_BADTOKEN;
}

/* An integer NumericDate claim (RFC 7519 §2). */
static int
jtime(struct json_object *o, const char *name, int64_t *t)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	*t = json_object_get_int64(v);
	return *t > 0;
}

/* 1 if member name of o is the JSON true. */
static int
jtrue(struct json_object *o, const char *name)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, name, &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
}

/* Who the claims (an ID token's, or userinfo's) name, into prof; v2: also
 * Google's v2 userinfo names (id, verified_email). */
static enum wd_err
take_profile(struct json_object *c, int v2, struct wd_oidc_profile *prof)
{
	const char	*s;

	s = jstr(c, "sub", WD_OIDC_MAX_SUB);
	if (s == NULL && v2)
		s = jstr(c, "id", WD_OIDC_MAX_SUB);
	if (s == NULL || s[0] == '\0')
		return WD_E_CLAIMS;
	snprintf(prof->sub, sizeof(prof->sub), "%s", s);
	s = jstr(c, "email", 254);
	if (s != NULL && s[0] != '\0')
		prof->email = wd_xstrdup(s);
	prof->email_verified = jtrue(c, "email_verified") ||
	    (v2 && jtrue(c, "verified_email"));
	s = jstr(c, "name", 256);
	if (s != NULL)
		prof->name = wd_xstrdup(s);
	s = jstr(c, "picture", 2048);
	if (s != NULL && is_http_url(s))
		prof->picture = wd_xstrdup(s);
	return WD_OK;
}

static enum wd_err
check_claims(struct json_object *c, const struct wd_oidc_expect *e,
    struct wd_oidc_profile *prof)
{
	struct json_object	*aud, *v;
	const char		*s, *azp;
	int64_t			 exp, iat;
	size_t			 i, n;
	int			 found = 0;

	s = jstr(c, "iss", WD_OIDC_MAX_URL);
	if (s == NULL || (strcmp(s, e->iss) != 0 && (e->iss2 == NULL ||
	    strcmp(s, e->iss2) != 0)))
		return WD_E_CLAIMS;
	if (!json_object_object_get_ex(c, "aud", &aud))
		return WD_E_CLAIMS;
	if (json_object_is_type(aud, json_type_string))
		found = strcmp(json_object_get_string(aud), e->aud) == 0;
	else if (json_object_is_type(aud, json_type_array)) {
		n = json_object_array_length(aud);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(aud, i);
			if (json_object_is_type(v, json_type_string) &&
			    strcmp(json_object_get_string(v), e->aud) == 0)
				found = 1;
		}
		/* OIDC Core §3.1.3.7 (4, 5): several audiences, then azp is
		 * present and ours */
		azp = jstr(c, "azp", 1024);
		if (n > 1 && (azp == NULL || strcmp(azp, e->aud) != 0))
			found = 0;
	}
	if (!found)
		return WD_E_CLAIMS;
	if (!jtime(c, "exp", &exp) || !jtime(c, "iat", &iat))
		return WD_E_CLAIMS;
	/* the skew moves now, not the claim: exp may be INT64_MAX (json-c
	 * clamps larger numbers to it) and must not overflow */
	if (exp <= (int64_t)e->now - WD_OIDC_SKEW)
		return WD_E_EXPIRED;
	if (iat > (int64_t)e->now + WD_OIDC_SKEW)
		return WD_E_EXPIRED;
	s = jstr(c, "nonce", 256);
	if (e->nonce == NULL || s == NULL || strcmp(s, e->nonce) != 0)
		return WD_E_CLAIMS;
	return take_profile(c, 0, prof);
}

enum wd_err
wd_oidc_idtoken_verify(const struct wd_oidc_jwks *ks, const char *tok,
    size_t len, const struct wd_oidc_expect *e, struct wd_oidc_profile *prof)
{
	struct json_object	*h = NULL, *c = NULL;
	const char		*d1, *d2, *alg, *kid;
	const struct wd_oidc_jwk *k = NULL;
	enum wd_oidc_alg	 a;
	unsigned char		 sig[1024];
	size_t			 siglen, i, nmatch = 0;
	enum wd_err		 rc = WD_E_BADTOKEN;

	memset(prof, 0, sizeof(*prof));
	if (len == 0 || len > WD_OIDC_MAX_TOKEN || memchr(tok, '\0', len))
		return WD_E_BADTOKEN;
	d1 = memchr(tok, '.', len);
	d2 = d1 == NULL ? NULL : memchr(d1 + 1, '.', len - (size_t)(d1 + 1 -
	    tok));
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
		return WD_E_BADTOKEN;
	if (part_obj(tok, (size_t)(d1 - tok), &h) != WD_OK)
		goto out;
	alg = jstr(h, "alg", 16);
	kid = jstr(h, "kid", WD_OIDC_MAX_KID);
	if (alg == NULL)
		goto out;
	if (strcmp(alg, "RS256") == 0)
		a = WD_OIDC_ALG_RS256;
	else if (strcmp(alg, "ES256") == 0)
		a = WD_OIDC_ALG_ES256;
	else
		goto out;	/* none, HS*, anything else */
	/* a JWS with "crit" names extensions we do not implement (RFC 7515
	 * §4.1.11) */
	if (json_object_object_get_ex(h, "crit", NULL))
		goto out;
	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].alg != a)
			continue;
		if (kid != NULL ? strcmp(ks->k[i].kid, kid) == 0 : 1) {
			k = &ks->k[i];
			nmatch++;
		}
	}
	if (nmatch != 1) {
		rc = WD_E_NOTFOUND;
		goto out;
	}
	if (wd_b64u_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), sig,
	    sizeof(sig), &siglen) != WD_OK || siglen == 0)
		goto out;
	if (!verify_sig(k, tok, (size_t)(d2 - tok), sig, siglen))
		goto out;
	if (part_obj(d1 + 1, (size_t)(d2 - d1 - 1), &c) != WD_OK)
		goto out;
	rc = check_claims(c, e, prof);
out:
	if (rc != WD_OK)
		wd_oidc_profile_cleanup(prof);
	json_object_put(h);
	json_object_put(c);
	return rc;
}

enum wd_err
wd_oidc_userinfo(const char *p, size_t len, struct wd_oidc_profile *prof)
{
	struct json_object	*o = NULL;
	enum wd_err		 rc;

	memset(prof, 0, sizeof(*prof));
	rc = parse_obj(p, len, &o);
	if (rc == WD_OK)
		rc = take_profile(o, 1, prof);
	if (rc != WD_OK)
		wd_oidc_profile_cleanup(prof);
	json_object_put(o);
	return rc;
}

/* ---- GitHub (plain OAuth 2.0) ---- */

enum wd_err
wd_oidc_github_user(const char *p, size_t len, struct wd_oidc_profile *prof)
{
	struct json_object	*o = NULL, *id;
	const char		*s;
	enum wd_err		 rc;
	int64_t			 n;

	rc = parse_obj(p, len, &o);
	if (rc != WD_OK)
		return rc;
	rc = WD_E_BADREQ;
	/* the numeric id is the stable subject; the login can change */
	if (!json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_int))
		goto out;
	n = json_object_get_int64(id);
	if (n <= 0)
		goto out;
	snprintf(prof->sub, sizeof(prof->sub), "%lld", (long long)n);
	s = jstr(o, "name", 256);
	if (s == NULL || s[0] == '\0')
		s = jstr(o, "login", 256);
	free(prof->name);
	prof->name = s == NULL ? NULL : wd_xstrdup(s);
	s = jstr(o, "avatar_url", 2048);
	free(prof->picture);
	prof->picture = s != NULL && is_http_url(s) ? wd_xstrdup(s) : NULL;
	rc = WD_OK;
out:
	json_object_put(o);
	return rc;
}

enum wd_err
wd_oidc_github_emails(const char *p, size_t len,
    struct wd_oidc_profile *prof)
{
	struct json_object	*o = NULL, *e, *v;
	const char		*s, *pick = NULL;
	int			 verified = 0, prim, ver;
	size_t			 i, n;

	if (len > WD_OIDC_MAX_DOC || wd_json_parse(p, len, JSON_DEPTH, &o) !=
	    WD_OK || !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return WD_E_BADREQ;
	}
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(o, i);
		if (!json_object_is_type(e, json_type_object))
			continue;
		s = jstr(e, "email", 254);
		prim = json_object_object_get_ex(e, "primary", &v) &&
		    json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v);
		ver = json_object_object_get_ex(e, "verified", &v) &&
		    json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v);
		if (s != NULL && prim) {
			pick = s;
			verified = ver;
		}
	}
	free(prof->email);
	prof->email = pick == NULL ? NULL : wd_xstrdup(pick);
	prof->email_verified = pick != NULL && verified;
	json_object_put(o);
	return WD_OK;
}
