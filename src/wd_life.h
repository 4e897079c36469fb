/*
 * wd_life.h: the account lifecycle against PostgreSQL (API.md §5, issue
 * #9): password change and reset, email change, TOTP two-factor, account
 * deletion. Like wd_acct: every write in one transaction, so a refused
 * request leaves nothing behind; tickets single-use, purpose-bound and
 * stored hashed; mail queued in the same transaction (wd_outbox).
 *
 * Each returns WD_OK or an error with *msg a static user-facing message
 * (or NULL for the error table's default). uid is the signed-in caller
 * (checked by wd_op_run), sid its session ("" when unknown: an action).
 * Passwords are (ptr, len), already type- and size-checked. Those that
 * throttle set *retry on WD_E_RATELIMIT: the seconds until another try
 * may pass (the answer's Retry-After, API.md §5.1).
 */
#ifndef WD_LIFE_H
#define WD_LIFE_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_acct.h"
#include "wd_svc.h"

/* Old password checked; the new one stored; every other session of the
 * account revoked. */
enum wd_err	wd_life_password_change(struct wd_svc *s,
		    const struct wd_client *cl, const char *uid,
		    const char *sid, const char *old, size_t oldlen,
		    const char *pw, size_t pwlen, const char **msg,
		    long *retry);

/* A reset ticket mailed when email is an active account; WD_OK either
 * way (the answer says nothing about the address). */
enum wd_err	wd_life_reset_request(struct wd_svc *s,
		    const struct wd_client *cl, const char *email,
		    const char **msg,
		    long *retry);

/* The reset ticket spent, the new password stored, every session of the
 * account revoked. */
enum wd_err	wd_life_reset_confirm(struct wd_svc *s,
		    const struct wd_client *cl, const char *ticket,
		    const char *pw, size_t pwlen, const char **msg);

/* A ticket mailed to new_email (normalised), a notice to the current
 * address (with the link that undoes the change when it was proven). An
 * account without an address may ask only from a session that began
 * minutes ago (sid; WD_E_FORBIDDEN otherwise). */
enum wd_err	wd_life_email_request(struct wd_svc *s,
		    const struct wd_client *cl, const char *uid,
		    const char *sid, const char *new_email, const char **msg,
		    long *retry);

/* The email-change ticket spent and the address changed (WD_E_CONFLICT
 * when another account took it meanwhile: nothing changes, the ticket
 * stays). */
enum wd_err	wd_life_email_confirm(struct wd_svc *s,
		    const struct wd_client *cl, const char *ticket,
		    const char **msg);

/* How long the link that undoes an email change lives, in days. */
#define WD_REVERT_DAYS	7

/*
 * "This was not me": the revert ticket mailed with the notice of an
 * email change spent. The address it was mailed to comes back (proven;
 * WD_E_CONFLICT when another account took it meanwhile: nothing
 * changes), and the account is secured: no password (set a new one by
 * reset), no second factor, no linked identity, no pending ticket,
 * every session revoked. Revert tickets of later changes end; earlier
 * ones stay.
 */
enum wd_err	wd_life_email_revert(struct wd_svc *s,
		    const struct wd_client *cl, const char *ticket,
		    const char **msg);

/* The address changed at once (only with WARDEN_VERIFY_EMAILS=false and
 * no second factor; WD_E_FORBIDDEN otherwise), the old one told as by a
 * request. */
enum wd_err	wd_life_email_direct(struct wd_svc *s,
		    const struct wd_client *cl, const char *uid,
		    const char *sid, const char *new_email, const char **msg,
		    long *retry);

/* Password checked; the account, its roles, tickets, MFA secret and
 * sessions gone in one transaction (sessions revoked for the webhook);
 * an audit row stays. WD_E_CONFLICT while an email change can still be
 * undone (a live revert ticket). */
enum wd_err	wd_life_delete(struct wd_svc *s, const struct wd_client *cl,
		    const char *uid, const char *pw, size_t pwlen,
		    const char **msg,
		    long *retry);

/*
 * A new TOTP secret for uid (not yet enabled; refused while MFA is
 * enabled), sealed at rest. *out (caller-owned): {"image_url",
 * "otp_secret", "otpauth_url"}.
 */
enum wd_err	wd_life_mfa_generate(struct wd_svc *s,
		    const struct wd_client *cl, const char *uid,
		    struct json_object **out, const char **msg);

/*
 * Turns MFA on (enable) or off with a valid code, accepted once. Turning
 * it on ends every session of the account but sid (the caller's; NULL or
 * "" when unknown: all of them), and its pending tickets.
 */
enum wd_err	wd_life_mfa_set(struct wd_svc *s, const struct wd_client *cl,
		    const char *uid, const char *sid, const char *code,
		    size_t codelen, int enable, const char **msg,
		    long *retry);

/* Finishes a sign-in: the MFA ticket from login and a valid code give
 * the session o. Failures per account are throttled like passwords. */
enum wd_err	wd_life_mfa_login(struct wd_svc *s, const struct wd_client *cl,
		    const char *ticket, const char *code, size_t codelen,
		    struct wd_sess *o, const char **msg,
		    long *retry);

#endif
