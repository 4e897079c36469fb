/*
 * wd_oidc.h: the client side of OAuth 2.0 (RFC 6749, PKCE RFC 7636) and
 * OpenID Connect Core 1.0: HTTP fetches with libcurl (size caps,
 * timeouts), the discovery document, JWKS (RSA and P-256 keys only),
 * ID token verification, and the GitHub profile documents. Everything a
 * provider sends is hostile until parsed here against a named limit. No
 * database, no FastCGI: wd_provider.c drives it.
 */
#ifndef WD_OIDC_H
#define WD_OIDC_H

#include <stddef.h>
#include <time.h>

#include "wd_buf.h"
#include "wd_err.h"

/* a provider's JSON answer: Google's discovery is 1.3 KiB, its JWKS 1.5 */
#define WD_OIDC_MAX_DOC		65536
#define WD_OIDC_MAX_TOKEN	16384	/* an ID token: a few claims and a
					 * signature of <= 512 bytes */
#define WD_OIDC_MAX_KEYS	16	/* keys kept from one JWKS */
#define WD_OIDC_MAX_URL		1024	/* an endpoint URL */
#define WD_OIDC_MAX_KID		128
#define WD_OIDC_MAX_SUB		255	/* OIDC Core §2: <= 255 ASCII */
#define WD_OIDC_TIMEOUT		10	/* seconds for a whole fetch */
#define WD_OIDC_SKEW		60	/* seconds of clock skew */
#define WD_OIDC_B64_RAND	43	/* base64url of 32 random bytes */

enum wd_oidc_alg {
	WD_OIDC_ALG_NONE,	/* never accepted */
	WD_OIDC_ALG_RS256,
	WD_OIDC_ALG_ES256,
	WD_OIDC_ALG__MAX
};

struct wd_oidc_jwk {
	char		 kid[WD_OIDC_MAX_KID + 1];	/* "" if none */
	enum wd_oidc_alg alg;	/* from kty/crv, checked against "alg" */
	void		*pk;	/* EVP_PKEY, owned */
};

struct wd_oidc_jwks {
	struct wd_oidc_jwk	 k[WD_OIDC_MAX_KEYS];
	size_t			 n;
	time_t			 fetched;	/* 0: never */
};

struct wd_oidc_disc {
	char	 authorize[WD_OIDC_MAX_URL + 1];
	char	 token[WD_OIDC_MAX_URL + 1];
	char	 userinfo[WD_OIDC_MAX_URL + 1];	/* "" if absent */
	char	 jwks[WD_OIDC_MAX_URL + 1];
};

/* What a sign-in learnt about the user; strings owned (free with
 * wd_oidc_profile_cleanup). */
struct wd_oidc_profile {
	char	 sub[WD_OIDC_MAX_SUB + 1];
	char	*email;		/* NULL if none */
	int	 email_verified;
	char	*name;		/* NULL if none */
	char	*picture;	/* NULL if none */
};

void		wd_oidc_profile_cleanup(struct wd_oidc_profile *p);

/* What an ID token must say (OIDC Core §3.1.3.7). */
struct wd_oidc_expect {
	const char	*iss;
	const char	*iss2;	/* another spelling accepted, or NULL
				 * (Google: "accounts.google.com") */
	const char	*aud;		/* our client_id */
	const char	*nonce;
	time_t		 now;
};

/* 32 random bytes as base64url (state, nonce, PKCE verifier); out holds
 * WD_OIDC_B64_RAND + 1 bytes. */
enum wd_err	wd_oidc_random(char *out);

/* The PKCE S256 challenge of verifier (RFC 7636 §4.2) into out
 * (WD_OIDC_B64_RAND + 1 bytes). */
enum wd_err	wd_oidc_pkce_s256(const char *verifier, char *out);

/*
 * One HTTP request with libcurl: GET, or POST of form when form is not
 * NULL; Accept: application/json; Authorization: Bearer bearer when not
 * NULL. http and https only, no redirects followed, WD_OIDC_TIMEOUT. The
 * body goes into out (capped at WD_OIDC_MAX_DOC: WD_E_TOOBIG beyond).
 * WD_E_UNAUTH when it answers 4xx, WD_E_UNAVAILABLE when it cannot be
 * reached or answers anything else but 200.
 */
enum wd_err	wd_oidc_fetch(const char *url, const char *form,
		    const char *bearer, struct wd_buf *out);

/*
 * 1 if u is https://, or http:// to this host (127.0.0.0/8, localhost,
 * [::1]): a URL whose traffic nobody on the way can read or forge. The
 * endpoints the server itself calls carry the client secret, the code
 * and the tokens.
 */
int		wd_oidc_url_trusted(const char *u);

/* The discovery document (OIDC Discovery §4.3): issuer must equal iss
 * exactly; the authorization, token and JWKS endpoints must be
 * wd_oidc_url_trusted. WD_E_BADREQ otherwise. A userinfo endpoint that
 * is not is left out (d->userinfo empty). */
enum wd_err	wd_oidc_disc_parse(const char *p, size_t len,
		    const char *iss, struct wd_oidc_disc *d);

/* A JWKS (RFC 7517 §5): keeps up to WD_OIDC_MAX_KEYS usable keys (RSA of
 * 2048 to 8192 bits, EC P-256; "use" absent or "sig"); others are
 * skipped. WD_E_BADREQ on malformed JSON or no usable key. ks is
 * replaced; clean up with wd_oidc_jwks_cleanup. */
enum wd_err	wd_oidc_jwks_parse(const char *p, size_t len,
		    struct wd_oidc_jwks *ks);
void		wd_oidc_jwks_cleanup(struct wd_oidc_jwks *ks);

/* The token endpoint's answer (RFC 6749 §5.1): *access (owned) and, for
 * OIDC, *idtok (owned; NULL when absent). WD_E_BADREQ when malformed or
 * an error answer. */
enum wd_err	wd_oidc_token_parse(const char *p, size_t len, char **access,
		    char **idtok);

/*
 * Verifies an ID token: compact JWS of three parts, header alg RS256 or
 * ES256 and equal to the key's (none, HS* and everything else refused),
 * the key by kid (or the only key of that type when the token has no
 * kid), the signature, then iss, aud (a string, or an array holding our
 * client id; azp then must be ours), exp, iat, nonce and sub. Fills prof.
 * WD_E_NOTFOUND when no key matches (the caller may refresh the JWKS
 * once), WD_E_BADTOKEN on signature or form, WD_E_EXPIRED, WD_E_CLAIMS.
 */
enum wd_err	wd_oidc_idtoken_verify(const struct wd_oidc_jwks *ks,
		    const char *tok, size_t len, const struct wd_oidc_expect *e,
		    struct wd_oidc_profile *prof);

/*
 * An OpenID Connect userinfo answer (OIDC Core §5.3: sub, email,
 * email_verified, name, picture) into prof, for Google signed in through
 * its userinfo endpoint; the fields of Google's older v2 userinfo (id,
 * verified_email) are read too. sub (or id) is required, WD_E_CLAIMS
 * without; only a JSON true verifies the email.
 */
enum wd_err	wd_oidc_userinfo(const char *p, size_t len,
		    struct wd_oidc_profile *prof);

/* GitHub's GET /user (id, login, name, avatar_url, email) and GET
 * /user/emails (the primary, verified address), into prof. */
enum wd_err	wd_oidc_github_user(const char *p, size_t len,
		    struct wd_oidc_profile *prof);
enum wd_err	wd_oidc_github_emails(const char *p, size_t len,
		    struct wd_oidc_profile *prof);

#endif
