/*
 * wd_hook.h: the Hasura auth webhook (API.md §4, hasura.md §1) and the
 * lighttpd FastCGI authorizer built on the same evaluation.
 */
#ifndef WD_HOOK_H
#define WD_HOOK_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "wd_buf.h"
#include "wd_err.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_limits.h"

struct wd_hook {
	const struct wd_jwt_key	*key;		/* borrowed */
	const char		*anon_role;	/* "" = no anonymous access */
	const char		*cookie_name;	/* "" = no cookie credential */
	/* revocation check (wd_revoke_check): WD_OK, WD_E_REVOKED (401)
	 * or WD_E_REVOKEUNAVAIL (503: cannot tell); may be NULL */
	enum wd_err		(*revoked)(void *arg, const char *sid);
	void			*revoked_arg;
	/* WARDEN_HOOK_MAX_AGE: the largest Cache-Control max-age given to
	 * a token that names a session (bounds how long Hasura keeps a
	 * revoked session's WebSocket, and EE's answer cache); 0 = no cap */
	long			 max_age;
};

/* The three headers that matter, as (ptr, len); ptr NULL when absent. */
struct wd_hook_in {
	const char	*authz;
	size_t		 authz_len;
	const char	*cookie;
	size_t		 cookie_len;
	const char	*role;
	size_t		 role_len;
};

struct wd_hook_out {
	int	 anonymous;
	char	 role[WD_MAX_ROLE + 1];
	char	 user_id[WD_MAX_ID + 1];
	long	 max_age;		/* seconds until exp, capped by
					 * wd_hook.max_age for a token with
					 * a sid; -1 anonymous */
};

/*
 * Decides the session for in at time now. On WD_OK fills o and writes
 * the webhook's JSON answer (a flat object of strings) into json.
 * no_anon (authorizer mode) turns "no credentials" into WD_E_UNAUTH.
 * Every refusal of the caller is a 401 kind: a bad token never falls
 * back to anonymous. The exceptions are not about the caller:
 * WD_E_REVOKEUNAVAIL (503) when the token names a session and the
 * revocation feed cannot vouch for it (a database outage is not a
 * logout), and WD_E_TOOBIG when the answer does not fit json.
 */
enum wd_err	wd_hook_eval(const struct wd_hook *h,
		    const struct wd_hook_in *in, time_t now, int no_anon,
		    struct wd_hook_out *o, struct wd_buf *json);

/*
 * Extracts in from a POST-mode body {"headers":{...},"request":...}:
 * names case-insensitive. Only Authorization, Cookie and X-Hasura-Role
 * are read and checked: a non-string value is WD_E_BADHEADER; one
 * repeated in another case, holding a NUL or (but Cookie, bounded by
 * the body only) over WD_MAX_HEADER bytes is WD_E_BADTOKEN; every other
 * header is passed over, whatever its value. A body that is not an
 * object with an object "headers" is WD_E_BADREQ. "request" is
 * ignored. in borrows from body.
 */
enum wd_err	wd_hook_post_in(struct json_object *body,
		    struct wd_hook_in *in);

/*
 * The wd_route handler (ctx: the struct wd_hook): GET/POST /hook, or an
 * authorizer check for any path. Always answers.
 */
enum wd_err	wd_hook_serve(void *ctx, struct wd_req *rq, const void *arg);

#endif
