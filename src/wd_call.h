/*
 * wd_call.h: one account request in either of its two shapes (API.md §5,
 * §6): an HBP-style REST call (/auth/...) or a Hasura Action
 * (/actions/<name>, POST {"action","input","session_variables"} with the
 * X-Warden-Action-Secret header). Handlers read arguments from c->in and
 * answer through wd_call_reply/wd_call_fail, which pick the shape.
 */
#ifndef WD_CALL_H
#define WD_CALL_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_err.h"
#include "wd_http.h"
#include "wd_limits.h"
#include "wd_svc.h"

#define WD_MAX_AUTH_BODY	(16 * 1024)	/* no credential route needs
						 * more; smaller than the hook's
						 * (routes without credentials,
						 * STYLE.md §6) */
#define WD_MAX_UA		512		/* audit_log.user_agent */

struct wd_call {
	struct wd_svc		*s;
	struct wd_req		*rq;
	int			 action;	/* Hasura Actions shape */
	struct json_object	*root;		/* owned: parsed body */
	struct json_object	*in;		/* borrowed: args or NULL */
	char			 ip[64];	/* REMOTE_ADDR */
	char			 ua[WD_MAX_UA + 1];
};

/*
 * Recognises the request: REST at rest_path with rest_method, or the
 * action action_name at /actions/<action_name> (POST, secret checked in
 * constant time). Reads and parses a JSON body when there is one. On
 * error it has already answered (404, 405, 401, 400, 413): the caller
 * just returns. Caller calls wd_call_cleanup() in every case.
 */
enum wd_err	wd_call_begin(struct wd_svc *s, struct wd_req *rq,
		    const char *rest_path, const char *rest_method,
		    const char *action_name, struct wd_call *c);
void		wd_call_cleanup(struct wd_call *c);

/* Sends status and obj (not consumed) as JSON; extra header lines may be
 * NULL. */
void		wd_call_reply(struct wd_call *c, int status,
		    struct json_object *obj, const char *extra);

/*
 * Sends the error in the call's shape: REST {"statusCode","error",
 * "message","code"}; action 4xx {"message","extensions":{"code"}} (a 5xx
 * becomes 400 with its code: Hasura hides 5xx bodies). msg NULL = default.
 */
void		wd_call_fail(struct wd_call *c, enum wd_err e,
		    const char *msg);

/*
 * Percent-decodes query parameter name into out (size outsz). WD_OK,
 * WD_E_NOTFOUND when absent, WD_E_BADREQ when repeated, malformed or too
 * long.
 */
enum wd_err	wd_call_query(const struct wd_call *c, const char *name,
		    char *out, size_t outsz);

/* The refresh_token cookie (borrowed) or NULL; repeated cookie: NULL and
 * *bad set. */
const char	*wd_call_rt_cookie(const struct wd_call *c, size_t *len,
		    int *bad);

#endif
