/*
 * fuzz_oidc.c: everything wd_oidc parses from a provider (wd_oidc.h).
 * The first byte picks the parser, the rest is its input:
 *
 * 0 an ID token, verified against a JWKS of a key made at start that the
 *   fuzzer never sees: WD_OK is impossible (it would be a forgery).
 * 1 the same input as the payload of a token that key signs: on WD_OK
 *   the claims held what was expected (sub non-empty and at most 255
 *   bytes; the nonce, issuer and audience appear in the payload).
 * 2 a JWKS: at most WD_OIDC_MAX_KEYS keys, each with a key and RS256 or
 *   ES256; a token never verifies against them (as 0).
 * 3 a discovery document: on WD_OK the endpoints are http(s) URLs with
 *   no blank or control byte.
 * 4 a token answer: on WD_OK a non-empty access token.
 * 5 GitHub's /user and /user/emails: on WD_OK a decimal subject; an
 *   email marked verified is one that is present.
 * 6 base64url: decode then encode gives the input back (canonical).
 */
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "wd_oidc.h"
#include "wd_util.h"
#include "wd_fuzz.h"

#define ISS	"https://id.example"
#define AUD	"client-1"
#define NONCE	"nonce-1"

static EVP_PKEY			*key;
static struct wd_oidc_jwks	 ks;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIGNUM		*bn = NULL;
	unsigned char	 b[512];
	char		 n[400], e[16], jw[1024];
	int		 len;

	(void)argc;
	(void)argv;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	CHECK(key != NULL);
	EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn);
	len = BN_bn2bin(bn, b);
	CHECK(wd_b64u_encode(b, (size_t)len, n, sizeof(n)) == WD_OK);
	BN_free(bn);
	bn = NULL;
	EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &bn);
	len = BN_bn2bin(bn, b);
	CHECK(wd_b64u_encode(b, (size_t)len, e, sizeof(e)) == WD_OK);
	BN_free(bn);
	snprintf(jw, sizeof(jw), "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\","
	    "\"n\":\"%s\",\"e\":\"%s\"}]}", n, e);
	CHECK(wd_oidc_jwks_parse(jw, strlen(jw), &ks) == WD_OK && ks.n == 1);
	return 0;
}

static const struct wd_oidc_expect	 expect = { ISS, NULL, AUD, NONCE,
    (time_t)1700000000 };

/* 1 if needle stands in (p, n). */
static int
has(const char *p, size_t n, const char *needle)
{
	size_t	 l = strlen(needle), i;

	for (i = 0; i + l <= n; i++)
		if (memcmp(p + i, needle, l) == 0)
			return 1;
	return 0;
}

static void
forged(const struct wd_oidc_jwks *k, const char *p, size_t n)
{
	struct wd_oidc_profile	 prof;

	CHECK(wd_oidc_idtoken_verify(k, p, n, &expect, &prof) != WD_OK);
	CHECK(prof.email == NULL && prof.name == NULL && prof.sub[0] == 0);
}

static void
signed_payload(const char *p, size_t n)
{
	static const char	 hdr[] = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0";
	struct wd_oidc_profile	 prof;
	EVP_MD_CTX		*md;
	unsigned char		 sig[256];
	size_t			 sl = sizeof(sig), tl, m;
	char			*t;

	if (n > 4096)
		return;
	tl = sizeof(hdr) + (n + 2) / 3 * 4 + 1 + 344 + 1;
	t = malloc(tl);
	CHECK(t != NULL);
	memcpy(t, hdr, sizeof(hdr) - 1);
	t[sizeof(hdr) - 1] = '.';
	CHECK(wd_b64u_encode(p, n, t + sizeof(hdr), tl - sizeof(hdr)) ==
	    WD_OK);
	md = EVP_MD_CTX_new();
	CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	CHECK(EVP_DigestSign(md, sig, &sl, (unsigned char *)t, strlen(t)) ==
	    1);
	EVP_MD_CTX_free(md);
	m = strlen(t);
	t[m++] = '.';
	t[m] = '\0';
	CHECK(wd_b64u_encode(sig, sl, t + m, tl - m) == WD_OK);
	if (wd_oidc_idtoken_verify(&ks, t, strlen(t), &expect, &prof) ==
	    WD_OK) {
		CHECK(prof.sub[0] != '\0' && strlen(prof.sub) <= 255);
		CHECK(has(p, n, NONCE));
		CHECK(has(p, n, AUD));
		CHECK(has(p, n, "id.example"));
	}
	wd_oidc_profile_cleanup(&prof);
	free(t);
}

static int
url_ok(const char *u)
{
	size_t	 i;

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= 0x20)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_oidc_jwks	 k = { 0 };
	struct wd_oidc_disc	 d;
	struct wd_oidc_profile	 prof = { 0 };
	char			*p, *a = NULL, *it = NULL, *e;
	unsigned char		*o;
	size_t			 n, i, ol;

	if (size == 0)
		return 0;
	n = size - 1;
	p = fz_copy(data + 1, n);
	switch (data[0] % 7) {
	case 0:
		forged(&ks, p, n);
		break;
	case 1:
		signed_payload(p, n);
		break;
	case 2:
		if (wd_oidc_jwks_parse(p, n, &k) == WD_OK) {
			CHECK(k.n > 0 && k.n <= WD_OIDC_MAX_KEYS);
			for (i = 0; i < k.n; i++)
				CHECK(k.k[i].pk != NULL &&
				    (k.k[i].alg == WD_OIDC_ALG_RS256 ||
				    k.k[i].alg == WD_OIDC_ALG_ES256));
			forged(&k, "eyJhbGciOiJSUzI1NiJ9.e30.AAAA", 29);
		} else
			CHECK(k.n == 0);
		wd_oidc_jwks_cleanup(&k);
		break;
	case 3:
		if (wd_oidc_disc_parse(p, n, ISS, &d) == WD_OK)
			CHECK(url_ok(d.authorize) && url_ok(d.token) &&
			    url_ok(d.jwks) && (d.userinfo[0] == '\0' ||
			    url_ok(d.userinfo)));
		break;
	case 4:
		if (wd_oidc_token_parse(p, n, &a, &it) == WD_OK)
			CHECK(a != NULL && a[0] != '\0');
		else
			CHECK(a == NULL && it == NULL);
		free(a);
		free(it);
		break;
	case 5:
		if (wd_oidc_github_user(p, n, &prof) == WD_OK)
			CHECK(prof.sub[0] != '\0' && strspn(prof.sub,
			    "0123456789") == strlen(prof.sub));
		if (wd_oidc_github_emails(p, n, &prof) == WD_OK)
			CHECK(!prof.email_verified || prof.email != NULL);
		wd_oidc_profile_cleanup(&prof);
		if (wd_oidc_userinfo(p, n, &prof) == WD_OK)
			CHECK(prof.sub[0] != '\0' && (prof.email == NULL ||
			    (prof.email[0] != '\0' && strlen(prof.email) <=
			    254)));
		else
			CHECK(prof.sub[0] == '\0' && prof.email == NULL &&
			    prof.name == NULL && prof.picture == NULL);
		wd_oidc_profile_cleanup(&prof);
		break;
	default:
		o = malloc(n + 1);
		e = malloc(n + 2);
		CHECK(o != NULL && e != NULL);
		if (wd_b64u_decode(p, n, o, n, &ol) == WD_OK) {
			CHECK(ol <= n);
			CHECK(wd_b64u_encode(o, ol, e, n + 2) == WD_OK);
			CHECK(strlen(e) == n && memcmp(e, p, n) == 0);
		}
		free(o);
		free(e);
		break;
	}
	free(p);
	return 0;
}
