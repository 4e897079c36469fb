/*
 * wd_provider.h: the routes of sign-in with an identity provider (issue
 * 12, API.md §5.2): GET /auth/providers/<p> redirects to the provider
 * with state (bound to an HttpOnly cookie), PKCE S256 and, for OpenID
 * Connect, a nonce; GET /auth/providers/<p>/callback checks all of it,
 * signs in (wd_ident) and redirects with a single-use refresh token, or
 * to the failure URL with ?error=<code>.
 */
#ifndef WD_PROVIDER_H
#define WD_PROVIDER_H

#include <stddef.h>

#include "wd_cfg.h"
#include "wd_err.h"
#include "wd_http.h"

#define WD_PROVIDER_STATE_SECS	600	/* from redirect to callback */
#define WD_PROVIDER_MAX_CODE	2048	/* an authorization code */
#define WD_PROVIDER_MAX_REDIRECT 2048	/* redirect_to */
#define WD_PROVIDER_COOKIE	"wd_oauth_state"

/*
 * Checks the providers' configuration at start. A built-in provider
 * (github, google) is on when its client id is set; a generic OpenID
 * Connect provider (wd_cfg_oidc) when any of its variables is, and then
 * needs a client id. For each provider on: an http(s) issuer for OpenID
 * Connect (Google has a default), http(s) endpoint overrides, a client
 * secret for GitHub and Google. WARDEN_PROVIDER_GITHUB_ISSUER is refused
 * (an OpenID Connect provider under GitHub's name). With any provider
 * on, a public URL (WARDEN_SERVER_URL or WARDEN_URL) and an http(s)
 * WARDEN_PROVIDER_SUCCESS_REDIRECT; entries of
 * WARDEN_ALLOWED_REDIRECT_URLS that are http(s) URLs with a host. On
 * error one line in err naming the variable; WD_E_CONFIG.
 */
enum wd_err	wd_provider_check(const struct wd_cfg *c, char *err,
		    size_t errsz);

/* The wd_route handler of the prefix /auth/providers/ (ctx: wd_svc). */
enum wd_err	wd_provider_serve(void *ctx, struct wd_req *rq,
		    const void *arg);

/*
 * 1 if url may be redirected to: it starts with one entry of list (comma
 * separated, blanks trimmed) with the origin (scheme, host, port) equal
 * and the path a prefix ending at a '/' boundary (or the entry's path
 * ends in '/'). URLs with userinfo, backslashes, blanks, control bytes,
 * a dot segment in the path or a refresh_token, mfa or ticket parameter
 * (the ones the redirect adds) never match.
 */
int		wd_provider_redirect_ok(const char *list, const char *url);

/*
 * The value of cookie name in a Cookie header (may be NULL) into out
 * (outsz, NUL added). WD_E_NOTFOUND when absent, WD_E_BADREQ when
 * repeated or too long.
 */
enum wd_err	wd_provider_cookie(const char *hdr, const char *name,
		    char *out, size_t outsz);

/*
 * Parses the path after "/auth/providers/" ((p, n) bytes): a provider
 * name of [a-z0-9] 1..32 bytes into name (33 bytes), *callback set when
 * "/callback" follows. WD_E_NOTFOUND otherwise.
 */
enum wd_err	wd_provider_path(const char *p, size_t n, char *name,
		    int *callback);

#endif
