/*
 * wd_op.h: the account operations in neutral form (issue #8). A handler
 * sees a wd_areq, whatever the shape the request came in (HBP v2 REST,
 * Hasura Action, later GoTrue /auth/v1 and HBP v1), and fills a wd_ares;
 * a dialect (wd_dialect.h) parses the shape into the one and renders the
 * other. Adding an operation is one struct wd_op and one handler;
 * adding a route is one row in a binary's table.
 */
#ifndef WD_OP_H
#define WD_OP_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_acct.h"
#include "wd_err.h"
#include "wd_svc.h"

/* Every argument any operation takes, by meaning, not by wire name. */
enum wd_fld {
	WD_FLD_EMAIL,
	WD_FLD_PASSWORD,
	WD_FLD_COOKIE,		/* REST: refresh token in a cookie */
	WD_FLD_USER_DATA,
	WD_FLD_REGISTER_OPTIONS,
	WD_FLD_ALL,		/* logout of every session */
	WD_FLD_REFRESH_TOKEN,
	WD_FLD_TICKET,
	WD_FLD_OLD_PASSWORD,
	WD_FLD_NEW_PASSWORD,
	WD_FLD_NEW_EMAIL,
	WD_FLD_CODE,		/* a TOTP code */
	WD_FLD__MAX
};

/* What an operation takes in one field. type json_type_null (the zero
 * value) means the field is not taken: a dialect leaves it NULL. */
struct wd_fldspec {
	enum json_type	 type;
	size_t		 max;		/* strings: bytes */
	int		 required;
};

/* The neutral request. */
struct wd_areq {
	/* borrowed, type-checked against the op's wd_fldspec; NULL when
	 * absent (or JSON null) */
	struct json_object	*f[WD_FLD__MAX];
	struct json_object	*root;		/* owned: the parsed body */
	struct json_object	*own;		/* owned: values the dialect
						 * made (query, cookie) */
	int			 cookie;	/* cookie mode: the refresh
						 * token came in, or goes out
						 * in, a cookie (REST only) */
	int			 secure;	/* the client reached us over
						 * https: Secure cookies */
	const char		*bearer;	/* the Bearer token or NULL;
						 * borrowed from the request */
	size_t			 bearer_len;
	const char		*session_uid;	/* an action's caller
						 * (session_variables
						 * x-hasura-user-id) or NULL */
	const char		*session_sid;	/* its session
						 * (x-hasura-session-id) or
						 * NULL */
	/* WD_OP_USER: the signed-in caller, set by wd_op_run */
	char			 uid[WD_UUID_LEN + 1];
	char			 sid[WD_UUID_LEN + 1];	/* "" unknown */
	int			 form;		/* the body was an HTML form
						 * (WD_OP_LINK) */
	struct wd_client	 who;
	char			 msgbuf[128];	/* a field error's message */
};

enum wd_reskind {
	WD_RES_EMPTY,		/* done, nothing to say (REST 204) */
	WD_RES_SESSION,		/* sess */
	WD_RES_JSON,		/* json */
	WD_RES_MFA,		/* sign-in needs a TOTP code:
				 * sess.mfa_ticket */
	WD_RES__MAX
};

/* The neutral result. */
struct wd_ares {
	enum wd_reskind		 kind;
	struct wd_sess		 sess;
	struct json_object	*json;		/* owned */
	const char		*note;		/* EMPTY: REST says this in
						 * a 200 {"ok","message"} */
	const char		*cache;		/* JSON: Cache-Control value
						 * (default no-store) */
	const char		*msg;		/* on error: the message, or
						 * NULL for the table's */
	long			 retry_after;	/* WD_E_RATELIMIT: seconds */
};

#define WD_OP_CLEARS_COOKIE	0x1u	/* REST success clears the refresh
					 * cookie (logout) */
#define WD_OP_REDIRECTS		0x2u	/* REST answers with a redirect to
					 * the configured success or error
					 * URL when there is one (activate) */
#define WD_OP_THROTTLED		0x4u	/* takes no credential: requests
					 * and failures are throttled per
					 * address (API.md §5.1) */
#define WD_OP_USER		0x8u	/* for the signed-in caller: a
					 * Bearer token (REST) or the
					 * action's session; sets in->uid */
#define WD_OP_LINK		0x10u	/* an emailed link: REST GET only
					 * shows a page whose form POSTs
					 * the ticket (prefetch-safe); the
					 * POST may be that form */

struct wd_op {
	const char		*name;		/* for log lines */
	enum wd_err		(*fn)(struct wd_svc *s,
				    const struct wd_areq *in,
				    struct wd_ares *out);
	struct wd_fldspec	 in[WD_FLD__MAX];
	unsigned		 flags;
};

extern const struct wd_op wd_op_register;
extern const struct wd_op wd_op_login;
extern const struct wd_op wd_op_refresh;
extern const struct wd_op wd_op_logout;
extern const struct wd_op wd_op_revoke_tokens;
extern const struct wd_op wd_op_activate;
extern const struct wd_op wd_op_user;
extern const struct wd_op wd_op_jwks;
/* the account lifecycle (issue #9) */
extern const struct wd_op wd_op_change_password;
extern const struct wd_op wd_op_reset_request;
extern const struct wd_op wd_op_reset_confirm;
extern const struct wd_op wd_op_email_request;
extern const struct wd_op wd_op_email_confirm;
extern const struct wd_op wd_op_email_revert;
extern const struct wd_op wd_op_email_direct;
extern const struct wd_op wd_op_delete_user;
extern const struct wd_op wd_op_mfa_generate;
extern const struct wd_op wd_op_mfa_enable;
extern const struct wd_op wd_op_mfa_disable;
extern const struct wd_op wd_op_mfa_totp;

/*
 * Runs op on in: the throttles first for a WD_OP_THROTTLED op (429 with
 * out->retry_after), then op->fn, then counts a failure against the
 * caller's address. Returns op->fn's result.
 */
enum wd_err	wd_op_run(struct wd_svc *s, const struct wd_op *op,
		    struct wd_areq *in, struct wd_ares *out);

/* A string field (borrowed) and its length, or NULL when absent. */
const char	*wd_areq_str(const struct wd_areq *in, enum wd_fld f,
		    size_t *len);
/* A boolean field, or def when absent. */
int		wd_areq_bool(const struct wd_areq *in, enum wd_fld f,
		    int def);
void		wd_areq_cleanup(struct wd_areq *in);
void		wd_ares_cleanup(struct wd_ares *out);

#endif
