/*
 * wd_acct.h: the account lifecycle against PostgreSQL: register, login,
 * refresh (rotation with reuse detection), logout, activation, profile.
 * Every write runs in one transaction; any failure rolls it back, so a
 * rejected request leaves no row behind. Secrets (passwords, refresh
 * tokens, tickets) are never stored or logged in clear: tokens and
 * tickets are kept as sha256 (PostgreSQL's sha256()).
 */
#ifndef WD_ACCT_H
#define WD_ACCT_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_email.h"
#include "wd_err.h"
#include "wd_rand.h"
#include "wd_svc.h"

#define WD_MAX_UA	512	/* audit_log.user_agent */

/* Who is calling, for audit rows and throttles. */
struct wd_client {
	char	 ip[64];		/* REMOTE_ADDR; "" when unknown */
	char	 ua[WD_MAX_UA + 1];	/* printable ASCII only */
	int	 via_hasura;		/* a Hasura Action: the peer is Hasura,
					 * shared by every user, so no limit
					 * per address applies */
};

/* A freshly issued session, or for an account awaiting activation just
 * the user. */
struct wd_sess {
	char	*jwt;				/* owned; NULL if inactive */
	long	 expires_ms;			/* jwt_expires_in */
	char	 refresh[WD_UUID_LEN + 1];	/* "" if inactive */
	char	 user_id[WD_UUID_LEN + 1];
	char	 email[WD_EMAIL_MAX + 1];
	char	*display_name;			/* owned; may be NULL */
};

void		wd_sess_cleanup(struct wd_sess *o);

/* Registration arguments, already type-checked by the handler. */
struct wd_reg {
	const char		*email;		/* normalised */
	const char		*pw;
	size_t			 pwlen;
	struct json_object	*user_data;	/* object or NULL */
	const char		*default_role;	/* NULL = configured */
	struct json_object	*allowed_roles;	/* array or NULL */
};

/*
 * Each returns WD_OK or an error with *msg a static user-facing message
 * (or NULL for the error table's default). cl names the caller.
 */
enum wd_err	wd_acct_register(struct wd_svc *s, const struct wd_client *cl,
		    const struct wd_reg *r, struct wd_sess *o,
		    const char **msg);
enum wd_err	wd_acct_login(struct wd_svc *s, const struct wd_client *cl,
		    const char *email, const char *pw, size_t pwlen,
		    struct wd_sess *o, const char **msg);
enum wd_err	wd_acct_refresh(struct wd_svc *s, const struct wd_client *cl,
		    const char *token, struct wd_sess *o, const char **msg);
enum wd_err	wd_acct_logout(struct wd_svc *s, const struct wd_client *cl,
		    const char *token, int all, const char **msg);
enum wd_err	wd_acct_activate(struct wd_svc *s, const struct wd_client *cl,
		    const char *ticket, const char **msg);
/* WD_OK if user_id's account exists and is active and session sid (""
 * for none) is not revoked; WD_E_UNAUTH otherwise. */
enum wd_err	wd_acct_alive(struct wd_svc *s, const char *user_id,
		    const char *sid);
/* The profile of user_id for GET /auth/user; *out caller-owned. Also
 * refuses a revoked sid (a database query is fine here). */
enum wd_err	wd_acct_user(struct wd_svc *s, const char *user_id,
		    const char *sid, struct json_object **out);

#endif
