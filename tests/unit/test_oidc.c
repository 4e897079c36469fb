/*
 * test_oidc.c: the OAuth/OIDC client pieces (src/wd_oidc.c) and the
 * provider routes' small parsers (src/wd_provider.c).
 *
 * Oracles: RFC 7636 Appendix B (the S256 challenge of its verifier) and
 * RFC 4648 §10 (base64 vectors, in the url alphabet without padding);
 * ID tokens signed here by libcrypto with freshly made RSA and P-256
 * keys whose JWKS is written out from the key's own parameters, then
 * tampered with one claim or header field at a time; redirect allow-list
 * and cookie tables with more bad inputs than good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "wd_oidc.h"
#include "wd_util.h"
#include "wd_provider.h"
#include "wd_test.h"

#define M	"oidc"
#define L(lit)	(lit), strlen(lit)

static void
test_pkce(void)
{
	char	 out[WD_OIDC_B64_RAND + 1], r1[WD_OIDC_B64_RAND + 1];
	char	 r2[WD_OIDC_B64_RAND + 1];

	/* RFC 7636 Appendix B */
	CHECK(M, "pkce: RFC 7636 appendix B vector", wd_oidc_pkce_s256(
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out) == WD_OK &&
	    strcmp(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") == 0);
	CHECK(M, "random: 43 base64url characters, two differ",
	    wd_oidc_random(r1) == WD_OK && wd_oidc_random(r2) == WD_OK &&
	    strlen(r1) == 43 && strspn(r1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
	    "ghijklmnopqrstuvwxyz0123456789-_") == 43 && strcmp(r1, r2) != 0);
}

static const struct {
	const char	*raw, *enc;
} b64v[] = {	/* RFC 4648 §10 */
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
};

static const char *const b64bad[] = {
	"Zg=", "Zm9v=", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zh", "Zm9", "Z m8",
	"Zm8\n", "-_9",
};

static void
test_b64(void)
{
	char		 e[32];
	unsigned char	 d[32];
	size_t		 i, n;

	for (i = 0; i < sizeof(b64v) / sizeof(b64v[0]); i++) {
		CHECK(M, "b64u: RFC 4648 vector encodes", wd_b64u_encode(
		    b64v[i].raw, strlen(b64v[i].raw), e, sizeof(e)) == WD_OK &&
		    strcmp(e, b64v[i].enc) == 0);
		CHECK(M, "b64u: RFC 4648 vector decodes", wd_b64u_decode(
		    b64v[i].enc, strlen(b64v[i].enc), d, sizeof(d), &n) ==
		    WD_OK && n == strlen(b64v[i].raw) &&
		    memcmp(d, b64v[i].raw, n) == 0);
	}
	for (i = 0; i < sizeof(b64bad) / sizeof(b64bad[0]); i++)
		CHECK(M, "b64u: malformed or non-canonical refused",
		    wd_b64u_decode(b64bad[i], strlen(b64bad[i]), d,
		    sizeof(d), &n) != WD_OK);
	CHECK(M, "b64u: output too small refused",
	    wd_b64u_decode("Zm9vYmFy", 8, d, 5, &n) == WD_E_TOOBIG);
	CHECK(M, "b64u: encode buffer too small refused",
	    wd_b64u_encode("foo", 3, e, 4) == WD_E_TOOBIG &&
	    wd_b64u_encode("foo", 3, e, 5) == WD_OK);
}

/* ---- ID tokens ---- */

static EVP_PKEY	*rsa, *rsa2, *ecp;
static char	 jwks[8192];

static void
b64bn(EVP_PKEY *k, const char *name, size_t pad, char *out, size_t outsz)
{
	BIGNUM		*bn = NULL;
	unsigned char	 b[600];
	int		 n;

	EVP_PKEY_get_bn_param(k, name, &bn);
	n = pad ? BN_bn2binpad(bn, b, (int)pad) : BN_bn2bin(bn, b);
	wd_b64u_encode(b, (size_t)n, out, outsz);
	BN_free(bn);
}

static void
make_keys(void)
{
	char	 n[400], e[16], x[64], y[64];

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ecp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	b64bn(rsa, OSSL_PKEY_PARAM_RSA_N, 0, n, sizeof(n));
	b64bn(rsa, OSSL_PKEY_PARAM_RSA_E, 0, e, sizeof(e));
	b64bn(ecp, OSSL_PKEY_PARAM_EC_PUB_X, 32, x, sizeof(x));
	b64bn(ecp, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y, sizeof(y));
	snprintf(jwks, sizeof(jwks), "{\"keys\":["
	    "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\","
	    "\"n\":\"%s\",\"e\":\"%s\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\","
	    "\"n\":\"%s\",\"e\":\"%s\"},"
	    "{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"}]}", n, e, n, e, x, y);
}

/* header.payload.signature, signed with k (alg from its type; "none"
 * gives an empty signature, "HS256" an HMAC with "secret"). */
static char *
sign(EVP_PKEY *k, const char *hdr, const char *pay)
{
	char		 h[1024], p[2048], *out;
	unsigned char	 sig[600], raw[64];
	size_t		 sl = sizeof(sig), n;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	ECDSA_SIG	*es;
	const unsigned char *q;
	char		 s[1024] = "";

	wd_b64u_encode(hdr, strlen(hdr), h, sizeof(h));
	wd_b64u_encode(pay, strlen(pay), p, sizeof(p));
	n = strlen(h) + strlen(p) + 2;
	out = malloc(n + sizeof(s));
	snprintf(out, n, "%s.%s", h, p);
	if (k != NULL) {
		EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k);
		EVP_DigestSign(md, sig, &sl, (unsigned char *)out, n - 1);
		if (EVP_PKEY_is_a(k, "EC")) {
			q = sig;
			es = d2i_ECDSA_SIG(NULL, &q, (long)sl);
			BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
			ECDSA_SIG_free(es);
			memcpy(sig, raw, 64);
			sl = 64;
		}
		wd_b64u_encode(sig, sl, s, sizeof(s));
	}
	EVP_MD_CTX_free(md);
	snprintf(out + n - 1, sizeof(s) + 1, ".%s", s);
	return out;
}

#define ISS	"https://id.example"
#define AUD	"client-1"
#define NONCE	"n-0S6_WzA2Mj"
#define NOW	1700000000

static const struct tok_case {
	const char	*name;
	int		 key;	/* 0 rsa, 1 rsa2, 2 ec, 3 none */
	const char	*hdr;
	const char	*pay;	/* %s: nothing; fixed texts */
	enum wd_err	 want;
} toks[] = {
	{ "RS256 good", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\","
	    "\"email\":\"A@Example.com\",\"email_verified\":true}", WD_OK },
	{ "ES256 good, no kid", 2, "{\"alg\":\"ES256\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":[\"" AUD "\"],\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_OK },
	{ "another key, same kid", 1, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_BADTOKEN },
	{ "unknown kid", 0, "{\"alg\":\"RS256\",\"kid\":\"r9\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_NOTFOUND },
	{ "the enc key's kid", 0, "{\"alg\":\"RS256\",\"kid\":\"enc\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_NOTFOUND },
	{ "alg none", 3, "{\"alg\":\"none\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_BADTOKEN },
	{ "HS256 with the oct key's kid", 3,
	    "{\"alg\":\"HS256\",\"kid\":\"h\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_BADTOKEN },
	{ "ES256 header on the RSA key", 0,
	    "{\"alg\":\"ES256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_NOTFOUND },
	{ "crit header", 0,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"x\"],\"x\":1}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_BADTOKEN },
	{ "expired", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1699999900,\"iat\":1699999000,\"nonce\":\"" NONCE "\"}",
	    WD_E_EXPIRED },
	{ "issued in the future", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700009000,\"iat\":1700008000,\"nonce\":\"" NONCE "\"}",
	    WD_E_EXPIRED },
	{ "another audience", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"client-2\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_CLAIMS },
	{ "two audiences, azp another", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":[\"" AUD "\",\"c2\"],\"azp\":\"c2\","
	    "\"sub\":\"u1\",\"exp\":1700000300,\"iat\":1700000000,"
	    "\"nonce\":\"" NONCE "\"}", WD_E_CLAIMS },
	{ "the other spelling, not configured", 0,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"id.example\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_CLAIMS },
	{ "another issuer", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"https://id.example/\",\"aud\":\"" AUD "\","
	    "\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_CLAIMS },
	{ "wrong nonce", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"x\"}",
	    WD_E_CLAIMS },
	{ "no nonce", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000}", WD_E_CLAIMS },
	{ "no sub", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}",
	    WD_E_CLAIMS },
	{ "exp as a string", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":\"1700000300\",\"iat\":1700000000,\"nonce\":\"" NONCE
	    "\"}", WD_E_CLAIMS },
	{ "payload not JSON", 0, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":", WD_E_BADTOKEN },
};

static void
test_idtoken(void)
{
	struct wd_oidc_jwks	 ks = { 0 };
	struct wd_oidc_expect	 e = { ISS, NULL, AUD, NONCE, NOW };
	struct wd_oidc_profile	 p;
	EVP_PKEY		*keys[4];
	char			*t;
	size_t			 i, n;
	enum wd_err		 rc;

	make_keys();
	keys[0] = rsa;
	keys[1] = rsa2;
	keys[2] = ecp;
	keys[3] = NULL;
	CHECK(M, "jwks: RSA and EC sig keys kept, oct and enc skipped",
	    wd_oidc_jwks_parse(jwks, strlen(jwks), &ks) == WD_OK &&
	    ks.n == 2 && ks.k[0].alg == WD_OIDC_ALG_RS256 &&
	    ks.k[1].alg == WD_OIDC_ALG_ES256);
	for (i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		t = sign(keys[toks[i].key], toks[i].hdr, toks[i].pay);
		rc = wd_oidc_idtoken_verify(&ks, t, strlen(t), &e, &p);
		CHECK(M, toks[i].name, rc == toks[i].want);
		if (rc == WD_OK && i == 0)
			CHECK(M, "profile: sub, email, verified", strcmp(p.sub,
			    "u1") == 0 && p.email != NULL &&
			    strcmp(p.email, "A@Example.com") == 0 &&
			    p.email_verified);
		wd_oidc_profile_cleanup(&p);
		/* a flipped bit in the signature never verifies */
		if (toks[i].want == WD_OK) {
			n = strlen(t);
			t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
			CHECK(M, "signature altered: refused",
			    wd_oidc_idtoken_verify(&ks, t, n, &e, &p) ==
			    WD_E_BADTOKEN);
			wd_oidc_profile_cleanup(&p);
		}
		free(t);
	}
	e.iss2 = "id.example";
	t = sign(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"id.example\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
	    "\"exp\":1700000300,\"iat\":1700000000,\"nonce\":\"" NONCE "\"}");
	CHECK(M, "the issuer's other spelling when configured (Google)",
	    wd_oidc_idtoken_verify(&ks, t, strlen(t), &e, &p) == WD_OK);
	wd_oidc_profile_cleanup(&p);
	free(t);
	e.iss2 = NULL;
	CHECK(M, "four parts refused", wd_oidc_idtoken_verify(&ks,
	    "a.b.c.d", 7, &e, &p) == WD_E_BADTOKEN);
	CHECK(M, "empty refused", wd_oidc_idtoken_verify(&ks, "", 0, &e, &p)
	    == WD_E_BADTOKEN);
	CHECK(M, "jwks: no usable key refused", wd_oidc_jwks_parse(
	    L("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}"), &ks) ==
	    WD_E_BADREQ && ks.n == 0);
	CHECK(M, "jwks: not an object refused",
	    wd_oidc_jwks_parse("[]", 2, &ks) == WD_E_BADREQ);
	wd_oidc_jwks_cleanup(&ks);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ecp);
}

static void
test_docs(void)
{
	struct wd_oidc_disc	 d;
	struct wd_oidc_profile	 p = { 0 };
	char			*a, *it;
	const char		*ok = "{\"issuer\":\"" ISS "\","
	    "\"authorization_endpoint\":\"https://id.example/a\","
	    "\"token_endpoint\":\"https://id.example/t\","
	    "\"jwks_uri\":\"https://id.example/k\"}";

	CHECK(M, "discovery: good", wd_oidc_disc_parse(ok, strlen(ok), ISS,
	    &d) == WD_OK && strcmp(d.token, "https://id.example/t") == 0 &&
	    d.userinfo[0] == '\0');
	CHECK(M, "discovery: issuer mismatch refused", wd_oidc_disc_parse(ok,
	    strlen(ok), "https://id.example/", &d) == WD_E_BADREQ);
	CHECK(M, "discovery: a token endpoint over http to another host "
	    "refused", wd_oidc_disc_parse(L("{\"issuer\":\"i\","
	    "\"authorization_endpoint\":\"https://id.example/a\","
	    "\"token_endpoint\":\"http://id.example/t\","
	    "\"jwks_uri\":\"https://id.example/k\"}"), "i", &d) ==
	    WD_E_BADREQ);
	CHECK(M, "discovery: a JWKS over http to another host refused",
	    wd_oidc_disc_parse(L("{\"issuer\":\"i\","
	    "\"authorization_endpoint\":\"https://id.example/a\","
	    "\"token_endpoint\":\"https://id.example/t\","
	    "\"jwks_uri\":\"http://127.0.0.1.evil.example/k\"}"), "i", &d) ==
	    WD_E_BADREQ);
	CHECK(M, "discovery: http to this host taken, a userinfo endpoint "
	    "over http elsewhere left out", wd_oidc_disc_parse(L("{\"issuer\":"
	    "\"i\",\"authorization_endpoint\":\"http://127.0.0.1:9/a\","
	    "\"token_endpoint\":\"http://localhost/t\","
	    "\"jwks_uri\":\"http://[::1]:9/k\","
	    "\"userinfo_endpoint\":\"http://id.example/u\"}"), "i", &d) ==
	    WD_OK && strcmp(d.token, "http://localhost/t") == 0 &&
	    d.userinfo[0] == '\0');
	CHECK(M, "discovery: javascript: endpoint refused", wd_oidc_disc_parse(
	    L("{\"issuer\":\"i\",\"authorization_endpoint\":\"javascript:x\","
	    "\"token_endpoint\":\"https://t\",\"jwks_uri\":\"https://k\"}"),
	    "i", &d) == WD_E_BADREQ);
	CHECK(M, "token answer: bearer", wd_oidc_token_parse(
	    L("{\"access_token\":\"at\",\"token_type\":\"bearer\","
	    "\"id_token\":\"x.y.z\"}"), &a, &it) == WD_OK &&
	    strcmp(a, "at") == 0 && strcmp(it, "x.y.z") == 0);
	free(a);
	free(it);
	CHECK(M, "token answer: error refused", wd_oidc_token_parse(
	    L("{\"error\":\"invalid_grant\"}"), &a, &it) == WD_E_BADREQ &&
	    a == NULL && it == NULL);
	CHECK(M, "token answer: mac type refused", wd_oidc_token_parse(
	    L("{\"access_token\":\"at\",\"token_type\":\"mac\"}"), &a, &it)
	    == WD_E_BADREQ);
	CHECK(M, "github user: numeric id, name", wd_oidc_github_user(
	    L("{\"id\":42,\"login\":\"octo\",\"name\":null}"), &p) == WD_OK &&
	    strcmp(p.sub, "42") == 0 && strcmp(p.name, "octo") == 0);
	CHECK(M, "github user: string id refused", wd_oidc_github_user(
	    L("{\"id\":\"42\"}"), &p) == WD_E_BADREQ);
	wd_oidc_profile_cleanup(&p);	/* userinfo fills a fresh one */
	CHECK(M, "userinfo: OIDC fields", wd_oidc_userinfo(
	    L("{\"sub\":\"1\",\"email\":\"a@x.io\",\"email_verified\":true,"
	    "\"name\":\"A\",\"picture\":\"https://p/a.png\"}"), &p) == WD_OK &&
	    strcmp(p.sub, "1") == 0 && strcmp(p.email, "a@x.io") == 0 &&
	    p.email_verified && strcmp(p.name, "A") == 0 &&
	    strcmp(p.picture, "https://p/a.png") == 0);
	wd_oidc_profile_cleanup(&p);
	CHECK(M, "userinfo: Google v2 fields (id, verified_email)",
	    wd_oidc_userinfo(L("{\"id\":\"2\",\"email\":\"b@x.io\","
	    "\"verified_email\":true}"), &p) == WD_OK &&
	    strcmp(p.sub, "2") == 0 && p.email_verified);
	wd_oidc_profile_cleanup(&p);
	CHECK(M, "userinfo: \"true\" as a string verifies nothing",
	    wd_oidc_userinfo(L("{\"sub\":\"3\",\"email\":\"c@x.io\","
	    "\"email_verified\":\"true\"}"), &p) == WD_OK &&
	    !p.email_verified);
	wd_oidc_profile_cleanup(&p);
	CHECK(M, "userinfo: no sub refused, nothing kept", wd_oidc_userinfo(
	    L("{\"email\":\"d@x.io\",\"email_verified\":true}"), &p) ==
	    WD_E_CLAIMS && p.email == NULL);
	CHECK(M, "userinfo: a numeric id refused", wd_oidc_userinfo(
	    L("{\"id\":4}"), &p) == WD_E_CLAIMS);
	CHECK(M, "userinfo: not an object refused", wd_oidc_userinfo(
	    L("[1]"), &p) != WD_OK && p.sub[0] == '\0');
	CHECK(M, "github emails: the primary, unverified",
	    wd_oidc_github_emails(
	    L("[{\"email\":\"a@x.io\",\"primary\":false,\"verified\":true},"
	    "{\"email\":\"b@x.io\",\"primary\":true,\"verified\":false}]"),
	    &p) == WD_OK && strcmp(p.email, "b@x.io") == 0 &&
	    !p.email_verified);
	wd_oidc_profile_cleanup(&p);
}

static const struct {
	const char	*url;
	int		 ok;
} redirs[] = {
	{ "https://app.example/cb", 1 },
	{ "https://app.example/cb/x?y=1", 1 },
	{ "https://app.example/cb?y=1", 1 },
	{ "http://localhost:3000/", 1 },
	{ "https://app.example/cbx", 0 },
	{ "https://app.example/", 0 },
	{ "https://app.example.evil/cb", 0 },
	{ "https://app.example:444/cb", 0 },
	{ "http://app.example/cb", 0 },
	{ "https://user@app.example/cb", 0 },
	{ "https://evil@app.example/cb", 0 },
	{ "//app.example/cb", 0 },
	{ "https://app.example/cb\\evil", 0 },
	{ "https://app.example/cb x", 0 },
	{ "https://app.example/cb\r\nX: y", 0 },
	{ "javascript:alert(1)//https://app.example/cb", 0 },
	{ "", 0 },
	/* dot segments: browsers resolve them out of the allowed path */
	{ "https://app.example/cb/../../other", 0 },
	{ "https://app.example/cb/..", 0 },
	{ "https://app.example/cb/./x", 0 },
	{ "https://app.example/cb/%2e%2E/other", 0 },
	{ "https://app.example/cb/.%2e?x=1", 0 },
	{ "https://app.example/cb/..#x", 0 },
	{ "https://app.example/cb/.well-known/x", 1 },
	{ "https://app.example/cb/.../x", 1 },
	{ "https://app.example/cb/a..b", 1 },
	{ "https://app.example/cb?next=/../x", 1 },
	/* parameters the redirect adds: the first one would be the link's */
	{ "https://app.example/cb?refresh_token=x", 0 },
	{ "https://app.example/cb?a=1&mfa=true", 0 },
	{ "https://app.example/cb?ticket", 0 },
	{ "https://app.example/cb?refresh%5Ftoken=x", 0 },
	{ "https://app.example/cb#refresh_token=x", 0 },
	{ "https://app.example/cb?a=refresh_token&b=ticket", 1 },
	{ "https://app.example/cb?my_ticket=1&mfa_hint=x", 1 },
	{ "https://app.example/cb?refresh_tokens=1", 1 },
};

static const struct {
	const char	*hdr;
	enum wd_err	 want;
	const char	*val;
} cookies[] = {
	{ "wd_oauth_state=abc", WD_OK, "abc" },
	{ "a=1; wd_oauth_state=abc ; b=2", WD_OK, "abc" },
	{ "xwd_oauth_state=abc", WD_E_NOTFOUND, NULL },
	{ "wd_oauth_state=a; wd_oauth_state=b", WD_E_BADREQ, NULL },
	{ "wd_oauth_state=0123456789abcdef", WD_E_BADREQ, NULL },
	{ "", WD_E_NOTFOUND, NULL },
};

static void
test_provider_parsers(void)
{
	const char	*list =
	    " https://app.example/cb , http://localhost:3000";
	char		 v[16], name[33];
	size_t		 i;
	int		 cb;

	for (i = 0; i < sizeof(redirs) / sizeof(redirs[0]); i++)
		CHECK(M, redirs[i].ok ? "redirect allowed" : "redirect refused",
		    wd_provider_redirect_ok(list, redirs[i].url) ==
		    redirs[i].ok);
	CHECK(M, "redirect: empty list allows nothing",
	    !wd_provider_redirect_ok("", "https://app.example/cb"));
	for (i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++)
		CHECK(M, "cookie table", wd_provider_cookie(cookies[i].hdr,
		    WD_PROVIDER_COOKIE, v, sizeof(v)) == cookies[i].want &&
		    (cookies[i].val == NULL || strcmp(v, cookies[i].val) == 0));
	CHECK(M, "path: provider", wd_provider_path("github", 6, name, &cb) ==
	    WD_OK && !cb && strcmp(name, "github") == 0);
	CHECK(M, "path: callback", wd_provider_path("oidc/callback", 13, name,
	    &cb) == WD_OK && cb && strcmp(name, "oidc") == 0);
	CHECK(M, "path: trailing slash refused",
	    wd_provider_path("oidc/", 5, name, &cb) == WD_E_NOTFOUND);
	CHECK(M, "path: upper case refused",
	    wd_provider_path("GitHub", 6, name, &cb) == WD_E_NOTFOUND);
	CHECK(M, "path: empty refused",
	    wd_provider_path("", 0, name, &cb) == WD_E_NOTFOUND);
	CHECK(M, "path: 33 bytes refused", wd_provider_path(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33, name, &cb) ==
	    WD_E_NOTFOUND);
	CHECK(M, "path: callback with more refused",
	    wd_provider_path("oidc/callbackx", 14, name, &cb) == WD_E_NOTFOUND);
}

/* ---- the providers' configuration, checked at start ---- */

#define PBASE	"WARDEN_URL=https://auth.example\n" \
		"WARDEN_PROVIDER_SUCCESS_REDIRECT=https://app.example/in\n"
#define KC	"WARDEN_PROVIDER_KEYCLOAK_"
#define CORP	"WARDEN_PROVIDER_CORP_"

struct pcheck {
	const char	*name;
	const char	*text;
	const char	*err;	/* NULL: WD_OK; else the exact line */
};

static const struct pcheck pchecks[] = {
	{ "no provider at all", "", NULL },
	{ "no provider needs no URLs", "WARDEN_PROVIDER_CORP_ISSUER=\n", NULL },
	{ "two generic providers", PBASE
	    KC "ISSUER=https://id.example/realms/a\n" KC "CLIENT_ID=w\n"
	    CORP "ISSUER=http://127.0.0.1:9/\n" CORP "CLIENT_ID=w2\n"
	    CORP "CLIENT_SECRET=s\n", NULL },
	{ "a generic provider with endpoint overrides", PBASE
	    CORP "ISSUER=https://c.example\n" CORP "CLIENT_ID=w\n"
	    CORP "TOKEN_URL=https://c.example/t\n", NULL },
	{ "an issuer without a client id", PBASE
	    CORP "ISSUER=https://c.example\n",
	    CORP "CLIENT_ID: required with " CORP "ISSUER" },
	{ "a secret alone (a misspelt <P>?)", PBASE
	    "WARDEN_PROVIDER_CROP_CLIENT_SECRET=s\n",
	    "WARDEN_PROVIDER_CROP_CLIENT_ID: required with "
	    "WARDEN_PROVIDER_CROP_CLIENT_SECRET" },
	{ "a client id without an issuer", PBASE CORP "CLIENT_ID=w\n",
	    CORP "ISSUER: required with " CORP "CLIENT_ID" },
	{ "an issuer that is no URL", PBASE CORP "CLIENT_ID=w\n"
	    CORP "ISSUER=id.example\n",
	    CORP "ISSUER: must be an http:// or https:// URL with a host" },
	{ "an issuer with userinfo", PBASE CORP "CLIENT_ID=w\n"
	    CORP "ISSUER=https://a@id.example\n",
	    CORP "ISSUER: must be an http:// or https:// URL with a host" },
	{ "an override that is no URL", PBASE CORP "CLIENT_ID=w\n"
	    CORP "ISSUER=https://c.example\n"
	    CORP "USERINFO_URL=file:///etc/passwd\n",
	    CORP "USERINFO_URL: must be an http:// or https:// URL with a "
	    "host" },
	{ "a token URL over http to another host", PBASE
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=https://c.example\n"
	    CORP "TOKEN_URL=http://c.example/t\n",
	    CORP "TOKEN_URL: must be https:// (http:// only to this host: "
	    "127.x, localhost, [::1])" },
	{ "an issuer over http to another host", PBASE
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=http://c.example\n",
	    CORP "ISSUER: must be https:// (http:// only to this host: "
	    "127.x, localhost, [::1])" },
	{ "a sign-in page over http to a host named like this one", PBASE
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=https://c.example\n"
	    CORP "AUTHORIZE_URL=http://localhost.evil.example/a\n",
	    CORP "AUTHORIZE_URL: must be https:// (http:// only to this "
	    "host: 127.x, localhost, [::1])" },
	{ "http to this host", PBASE
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=http://localhost:8080/r\n"
	    CORP "CLIENT_SECRET=s\n"
	    CORP "USERINFO_URL=http://[::1]/u\n"
	    CORP "TOKEN_URL=http://127.0.0.1/t\n", NULL },
	{ "GitHub given an issuer: a provider named github",
	    "WARDEN_PROVIDER_GITHUB_ISSUER=https://id.example\n",
	    "WARDEN_PROVIDER_GITHUB_ISSUER: github is built in (OAuth 2.0, "
	    "no issuer); name an OpenID Connect provider otherwise" },
	{ "GitHub without a secret", PBASE
	    "WARDEN_PROVIDER_GITHUB_CLIENT_ID=x\n",
	    "WARDEN_PROVIDER_GITHUB_CLIENT_SECRET: required with "
	    "WARDEN_PROVIDER_GITHUB_CLIENT_ID" },
	{ "Google with its default issuer", PBASE
	    "WARDEN_PROVIDER_GOOGLE_CLIENT_ID=x\n"
	    "WARDEN_PROVIDER_GOOGLE_CLIENT_SECRET=y\n", NULL },
	{ "a generic provider and no success URL",
	    "WARDEN_URL=https://auth.example\n"
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=https://c.example\n",
	    "WARDEN_PROVIDER_SUCCESS_REDIRECT: must be an http:// or "
	    "https:// URL with a host" },
	{ "a generic provider and no public URL",
	    "WARDEN_PROVIDER_SUCCESS_REDIRECT=https://app.example/in\n"
	    CORP "CLIENT_ID=w\n" CORP "ISSUER=https://c.example\n",
	    "WARDEN_SERVER_URL: must be an http:// or https:// URL with a "
	    "host" },
};

static void
test_provider_check(void)
{
	struct wd_cfg	 c;
	char		 err[256], name[300];
	enum wd_err	 rc;
	size_t		 i;

	for (i = 0; i < sizeof(pchecks) / sizeof(pchecks[0]); i++) {
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		rc = wd_cfg_parse(&c, pchecks[i].text, strlen(pchecks[i].text),
		    err, sizeof(err));
		if (rc == WD_OK)
			rc = wd_provider_check(&c, err, sizeof(err));
		snprintf(name, sizeof(name), "provider check: %s",
		    pchecks[i].name);
		if (pchecks[i].err == NULL)
			CHECK(M, name, rc == WD_OK);
		else
			CHECK(M, name, rc == WD_E_CONFIG &&
			    strcmp(err, pchecks[i].err) == 0);
		if (rc != (pchecks[i].err == NULL ? WD_OK : WD_E_CONFIG) ||
		    (pchecks[i].err != NULL && strcmp(err, pchecks[i].err)))
			printf("  err: %s\n", err);
		wd_cfg_cleanup(&c);
	}
}

int
main(void)
{
	test_pkce();
	test_b64();
	test_idtoken();
	test_docs();
	test_provider_parsers();
	test_provider_check();
	return WD_TEST_RESULT();
}
