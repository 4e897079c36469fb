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
	char	 bucket[64];		/* what throttles count for ip
					 * (wd_addr_bucket) */
	char	 ua[WD_MAX_UA + 1];	/* printable ASCII only */
	int	 via_hasura;		/* a Hasura Action whose client is not
					 * known: the address is Hasura's,
					 * shared by every user, so no limit
					 * per address applies */
};

/* The caller of request rq: its address (behind WARDEN_TRUSTED_PROXIES),
 * the address's throttle bucket and its user agent. */
void		wd_acct_client(const struct wd_svc *s, struct wd_req *rq,
		    struct wd_client *cl);

/* 1 when cookies set for rq must be Secure: WARDEN_COOKIE_SECURE (an
 * https public URL), or a trusted proxy's X-Forwarded-Proto: https. */
int		wd_acct_https(const struct wd_svc *s, struct wd_req *rq);

/*
 * The throttle of a route that counts like login, per address bucket:
 * WARDEN_RATE_LIMIT requests per minute per (route, bucket), then
 * WD_E_RATELIMIT (*retry_after seconds) while the bucket's failures are
 * at WARDEN_LOGIN_MAX_FAILURES_IP. wd_acct_failed counts a failure.
 */
enum wd_err	wd_acct_throttle(struct wd_svc *s, const char *route,
		    const char *bucket, long *retry_after);
void		wd_acct_failed(struct wd_svc *s, const char *bucket);

/* A freshly issued session, or for an account awaiting activation just
 * the user. */
struct wd_sess {
	char	*jwt;				/* owned; NULL if inactive */
	long	 expires_ms;			/* jwt_expires_in */
	char	 refresh[WD_UUID_LEN + 1];	/* "" if inactive */
	char	 user_id[WD_UUID_LEN + 1];
	char	 email[WD_EMAIL_MAX + 1];
	char	*display_name;			/* owned; may be NULL */
	char	 mfa_ticket[WD_UUID_LEN + 1];	/* login: "" or the ticket
						 * that /auth/mfa/totp needs
						 * (then no jwt) */
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
/* Ends token's session (all: every session of its account). A token
 * that names no live session is WD_OK (signed out already), but
 * WD_E_UNAUTH with all (which account's sessions cannot be known). */
enum wd_err	wd_acct_logout(struct wd_svc *s, const struct wd_client *cl,
		    const char *token, int all, const char **msg);
/* Every session of the account of user uid (HBP v2's POST
 * /auth/token/revoke): its refresh tokens go, its access tokens are
 * refused by the webhook and storage within a second. */
enum wd_err	wd_acct_revoke_all(struct wd_svc *s,
		    const struct wd_client *cl, const char *uid);
enum wd_err	wd_acct_activate(struct wd_svc *s, const struct wd_client *cl,
		    const char *ticket, const char **msg);
/* Where a new refresh token comes from: NULL fields for a new session. */
struct wd_origin {
	const char	*family;	/* the session (sid) */
	const char	*parent;	/* the token it replaces (clear) */
	const char	*started;	/* the session's start (timestamptz) */
	const char	*token;		/* the new refresh token, or NULL for a
					 * random one */
	int		 stored;	/* token is stored already: mint the
					 * access token only */
};

/*
 * Building blocks for the lifecycle (wd_life.c); each runs inside the
 * transaction the caller opened (wd_db_begin).
 * wd_acct_issue: mints the access token for account_id and stores a new
 * refresh token, of a new session (from NULL) or from's.
 * wd_acct_audit: one audit row (event, user, the caller's address).
 * wd_acct_revoke: revokes the session families that where (SQL over
 * auth.refresh_tokens with the n <= 3 parameters p as $1..$n) selects;
 * the webhook and storage see it within a second. A whole account's:
 * only with the account's row held (UPDATE, or SELECT ... FOR UPDATE)
 * since before the call, or a refresh in flight keeps its successor.
 * wd_acct_mail: queues template tmpl to rcpt with the ticket and, when
 * path is not NULL, the link WARDEN_SERVER_URL + path + "?ticket=".
 * wd_acct_user_reset: public.users of uid as a new registration of
 * email leaves it (display_name the address, every
 * WARDEN_REGISTRATION_CUSTOM_FIELDS column its default): for an account
 * its registrant never activated, whose user_data was the registrant's
 * choice, and may be a claim (WARDEN_JWT_CUSTOM_FIELDS).
 */
enum wd_err	wd_acct_issue(struct wd_svc *s, const char *account_id,
		    const struct wd_origin *from, struct wd_sess *o);
enum wd_err	wd_acct_audit(struct wd_svc *s, const struct wd_client *cl,
		    const char *event, const char *uid);
enum wd_err	wd_acct_revoke(struct wd_svc *s, const char *where,
		    const char *const *p, int n);
enum wd_err	wd_acct_mail(struct wd_svc *s, const char *tmpl,
		    const char *rcpt, const char *path, const char *ticket);
enum wd_err	wd_acct_user_reset(struct wd_svc *s, const char *uid,
		    const char *email);

#define WD_TICKET_MINUTES	60	/* emailed tickets (API.md §5) */
#define WD_MFA_TICKET_MINUTES	5	/* between password and TOTP code */

/* A spent ticket: whose it was. */
struct wd_ticket {
	char	 acct[WD_UUID_LEN + 1];
	char	 uid[WD_UUID_LEN + 1];
	char	 email[WD_EMAIL_MAX + 1];
	char	 new_email[WD_EMAIL_MAX + 1];	/* purpose "email": the new
						 * address; "revert": the one
						 * to restore; else "" */
	char	 created[64];			/* created_at, as text */
	int	 mfa;				/* "revert": a second factor
						 * was on when it was made */
};

/* The longest emailed link (WARDEN_SERVER_URL + path + ?ticket=). */
#define WD_ACCT_MAX_LINK	2048

/* The link of an emailed ticket into out: WARDEN_SERVER_URL (or
 * WARDEN_URL) + path + "?ticket=" + ticket. WD_E_INTERNAL if too long. */
enum wd_err	wd_acct_link(const struct wd_svc *s, const char *path,
		    const char *ticket, char *out, size_t outsz);

/*
 * A new ticket of purpose for account_id (valid minutes; new_email for
 * an email change, else NULL) into out (WD_UUID_LEN + 1), stored only as
 * its sha256; an earlier one of the same purpose ends (but for purpose
 * "revert": see sql/013). In the caller's transaction.
 */
enum wd_err	wd_acct_ticket_new(struct wd_svc *s, const char *account_id,
		    const char *purpose, long minutes, const char *new_email,
		    char *out);
/* Spends ticket if it is live and of purpose (in the caller's
 * transaction); WD_E_UNAUTH otherwise (malformed, unknown, expired,
 * spent, another purpose). */
enum wd_err	wd_acct_ticket_take(struct wd_svc *s, const char *ticket,
		    const char *purpose, struct wd_ticket *t);

/* WD_OK if user_id's account exists and is active and session sid (""
 * for none) is not revoked; WD_E_UNAUTH otherwise. */
enum wd_err	wd_acct_alive(struct wd_svc *s, const char *user_id,
		    const char *sid);
/* The profile of user_id for GET /auth/user; *out caller-owned. Also
 * refuses a revoked sid (a database query is fine here). */
enum wd_err	wd_acct_user(struct wd_svc *s, const char *user_id,
		    const char *sid, struct json_object **out);

#endif
