/*
 * wd_life.c: the account lifecycle (wd_life.h). Passwords are verified
 * and hashed outside any transaction (50 ms of CPU holds no lock), and
 * the write that follows is conditioned on the hash it verified, so a
 * concurrent change is not overwritten. Wrong passwords and TOTP codes
 * count against (account, address) like failed sign-ins (wd_throttle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wd_email.h"
#include "wd_ident.h"
#include "wd_life.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_outbox.h"
#include "wd_pw.h"
#include "wd_qr.h"
#include "wd_throttle.h"
#include "wd_totp.h"

#define MSG_BADPW	"Incorrect password."
#define MSG_BADCODE	"Invalid two-factor code."
#define MSG_BADTICKET	"Invalid or expired ticket."
#define MSG_SHORTPW	"Password is too short."
#define MSG_THROTTLED	"Too many failed attempts; try again later."
#define REVERT		"/auth/change-email/revert"
/* how recent a session must be, in minutes, to give an account its
 * first address (a query parameter) */
#define FIRST_EMAIL_MINUTES	"10"
#define WD_LIFE_MAIL_MAX 5	/* reset or email-change mails an hour, per
				 * (address, client) or account */
#define WD_LIFE_MAIL_MAX_ADDR 20	/* reset mails an hour to one
					 * address, whoever asks */

/* The caller's account, as the lifecycle needs it. */
struct acc {
	char	 id[WD_UUID_LEN + 1];
	char	 email[WD_EMAIL_MAX + 1];
	char	*hash;			/* owned; NULL: no password */
	int	 mfa;			/* enabled */
	char	*sealed;		/* owned; the TOTP secret or NULL */
	uint64_t last_step;
	int	 active;
	int	 verified;		/* email_verified */
};

static void
acc_cleanup(struct acc *a)
{
	if (a->hash != NULL)
		wd_freezero(a->hash, strlen(a->hash));
	free(a->sealed);
	explicit_bzero(a, sizeof(*a));
}

/* Reads the account of user (by user id) or, with by_acct, of account
 * id; FOR UPDATE inside a transaction. WD_E_UNAUTH when gone. */
static enum wd_err
load(struct wd_svc *s, const char *who, int by_acct, int lock, struct acc *a)
{
	const char	*p[1] = { who };
	struct wd_dbres	*res = NULL;
	char		 sql[320];
	enum wd_err	 rc;

	memset(a, 0, sizeof(*a));
	snprintf(sql, sizeof(sql), "SELECT id, email, password_hash, "
	    "mfa_enabled, otp_secret, otp_last_step, active, email_verified "
	    "FROM auth.accounts WHERE %s = $1::uuid%s",
	    by_acct ? "id" : "user_id", lock ? " FOR UPDATE" : "");
	rc = lock ? wd_db_exec(&s->db, sql, 1, p, &res) :
	    wd_db_read(&s->db, sql, 1, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_UNAUTH;
	if (rc != WD_OK)
		goto out;
	snprintf(a->id, sizeof(a->id), "%s", wd_db_val(res, 0, 0));
	snprintf(a->email, sizeof(a->email), "%s", wd_db_val(res, 0, 1));
	a->hash = wd_db_null(res, 0, 2) ? NULL :
	    wd_xstrdup(wd_db_val(res, 0, 2));
	a->mfa = wd_db_bool(res, 0, 3);
	a->sealed = wd_db_null(res, 0, 4) ? NULL :
	    wd_xstrdup(wd_db_val(res, 0, 4));
	a->last_step = strtoull(wd_db_val(res, 0, 5), NULL, 10);
	a->active = wd_db_bool(res, 0, 6);
	a->verified = wd_db_bool(res, 0, 7);
out:
	wd_db_free(res);
	return rc;
}

/* The throttle bucket of what (a password, a code) for account id. */
static void
bucket(char *key, size_t n, const char *what, const char *id,
    const struct wd_client *cl)
{
	snprintf(key, n, "%s|%s|%s", what, id, cl->via_hasura ? "" :
	    cl->bucket);
}

/* Verifies the caller's password, throttled per (account, address). */
static enum wd_err
check_pw(struct wd_svc *s, const struct wd_client *cl, const struct acc *a,
    const char *pw, size_t len, const char **msg, long *retry)
{
	char		 key[WD_THROTTLE_MAX_KEY];
	long		 left;
	enum wd_err	 rc;
	int		 ok = 0;

	bucket(key, sizeof(key), "password", a->id, cl);
	rc = wd_throttle_over(&s->db, key, WD_THROTTLE_FAIL_WINDOW,
	    s->max_fail, &left);
	if (rc == WD_E_RATELIMIT) {
		*msg = MSG_THROTTLED;
		*retry = left;
	}
	if (rc != WD_OK)
		return rc;
	rc = wd_pw_verify(pw, len, a->hash, &ok);
	if (rc == WD_OK && !ok) {
		(void)wd_throttle_hit(&s->db, key, WD_THROTTLE_FAIL_WINDOW, 0,
		    &left);
		*msg = MSG_BADPW;
		rc = WD_E_UNAUTH;
	}
	return rc;
}

/*
 * Ends the account's pending tickets of other purposes: after a password
 * or address change, a reset or email-change ticket (possibly asked for
 * by whoever held the old credentials) must not outlive it.
 */
static enum wd_err
end_tickets(struct wd_svc *s, const char *acct)
{
	const char	*p[1] = { acct };

	return wd_db_exec(&s->db, "DELETE FROM auth.tickets WHERE account_id "
	    "= $1::uuid AND purpose IN ('reset', 'email', 'mfa')", 1, p, NULL);
}

/* Counts one more mail of kind for subject (an address or an account)
 * asked by client cl (NULL: the subject alone, an account asking for
 * itself); WD_E_RATELIMIT past WD_LIFE_MAIL_MAX an hour, so nobody can
 * make us mail an inbox at will. Outside any transaction. */
static enum wd_err
mail_quota(struct wd_svc *s, const char *kind, const char *subject,
    const struct wd_client *cl, const char **msg, long *retry)
{
	char		 key[WD_THROTTLE_MAX_KEY];
	long		 left;
	enum wd_err	 rc;

	snprintf(key, sizeof(key), "mail|%s|%s|%s", kind, subject,
	    cl == NULL ? "" : cl->bucket);
	rc = wd_throttle_hit(&s->db, key, 3600, WD_LIFE_MAIL_MAX, &left);
	if (rc == WD_E_RATELIMIT) {
		*msg = "Too many requests for this address; try again later.";
		*retry = left;
	}
	return rc;
}

/*
 * Reset mails to one address, whoever asks: past WD_LIFE_MAIL_MAX_ADDR
 * an hour *flood is set and nothing more is mailed there, but the answer
 * stays 204. A 429 would let strangers, each under its own per-client
 * limit, hold the owner's reset from any address (API.md §5.1: no
 * lock-out); this way they can at most delay the mail, and never make
 * us mail an inbox at will.
 */
static enum wd_err
reset_flood(struct wd_svc *s, const char *email, int *flood)
{
	char		 key[WD_THROTTLE_MAX_KEY];
	long		 left;
	enum wd_err	 rc;

	*flood = 0;
	snprintf(key, sizeof(key), "mail|reset-any|%s", email);
	rc = wd_throttle_hit(&s->db, key, 3600, WD_LIFE_MAIL_MAX_ADDR, &left);
	if (rc == WD_E_RATELIMIT) {
		wd_log(NULL, WD_LOG_WARN, "life", "reset mails to one address "
		    "capped for the hour");
		*flood = 1;
		rc = WD_OK;
	}
	return rc;
}

/* Hashes a new password after the length policy. */
static enum wd_err
new_hash(struct wd_svc *s, const char *pw, size_t len, char *hash,
    const char **msg)
{
	if (pw == NULL || len < (size_t)s->min_pw) {
		*msg = MSG_SHORTPW;
		return WD_E_BADREQ;
	}
	return wd_pw_hash(pw, len, hash);
}

enum wd_err
wd_life_password_change(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, const char *sid, const char *old, size_t oldlen,
    const char *pw, size_t pwlen, const char **msg, long *retry)
{
	struct acc	 a;
	char		 hash[WD_PW_HASH_MAX] = "";
	const char	*p[3];
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	*msg = NULL;
	rc = load(s, uid, 0, 0, &a);
	if (rc == WD_OK)
		rc = check_pw(s, cl, &a, old, oldlen, msg, retry);
	if (rc == WD_OK)
		rc = new_hash(s, pw, pwlen, hash, msg);
	if (rc != WD_OK)
		goto out;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		goto out;
	p[0] = a.id;
	p[1] = hash;
	p[2] = a.hash;
	/* only over the hash that was verified */
	rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET password_hash = $2 "
	    "WHERE id = $1 AND password_hash = $3", 3, p, &res);
	if (rc == WD_OK && wd_db_affected(res) != 1)
		rc = WD_E_CONFLICT;
	p[1] = sid[0] == '\0' ? NULL : sid;
	/* every other session: a thief's ends with the change */
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = $1::uuid AND family_id IS "
		    "DISTINCT FROM $2::uuid", p, 2);
	if (rc == WD_OK)
		rc = end_tickets(s, a.id);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "password_change", uid);
	rc = wd_db_end(&s->db, rc);
out:
	wd_db_free(res);
	explicit_bzero(hash, sizeof(hash));
	acc_cleanup(&a);
	return rc;
}

enum wd_err
wd_life_reset_request(struct wd_svc *s, const struct wd_client *cl,
    const char *email, const char **msg, long *retry)
{
	const char	*p[1] = { email };
	struct wd_dbres	*res = NULL;
	char		 ticket[WD_UUID_LEN + 1] = "", acct[WD_UUID_LEN + 1];
	char		 uid[WD_UUID_LEN + 1];
	enum wd_err	 rc;
	int		 flood = 0;

	*msg = NULL;
	/* an action whose client is unknown comes from Hasura's address,
	 * every user's: a count per client would be one for all, and a
	 * stranger's five would get the owner a 429; the cap per address
	 * below still holds */
	rc = cl->via_hasura ? WD_OK : mail_quota(s, "reset", email, cl, msg,
	    retry);
	if (rc == WD_OK)
		rc = reset_flood(s, email, &flood);
	if (rc != WD_OK)
		return rc;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	/* locked: an address change that commits first leaves no match
	 * (no ticket mailed to an address the account no longer has, which
	 * would then vouch for the new one); one that commits after ends
	 * the ticket made here */
	/* an account never activated too (sql/014): the reset proves the
	 * address, so whoever registered it and never proved it does not
	 * keep it from its owner; one an operator deactivated, not */
	rc = wd_db_exec(&s->db, "SELECT id, user_id FROM auth.accounts WHERE "
	    "lower(email::text) = $1 AND (active OR activated_at IS NULL) FOR "
	    "UPDATE", 1, p, &res);
	/* nothing to do, and nothing said, for an unknown address (or one
	 * mailed enough this hour); but a write either way, so the commit
	 * takes as long */
	if (rc == WD_OK && (wd_db_rows(res) != 1 || flood)) {
		rc = wd_acct_audit(s, cl, "password_reset_request", NULL);
		goto out;
	}
	if (rc != WD_OK)
		goto out;
	snprintf(acct, sizeof(acct), "%s", wd_db_val(res, 0, 0));
	snprintf(uid, sizeof(uid), "%s", wd_db_val(res, 0, 1));
	rc = wd_acct_ticket_new(s, acct, "reset", WD_TICKET_MINUTES, NULL,
	    ticket);
	if (rc == WD_OK)
		rc = wd_acct_mail(s, "reset-password", email,
		    "/auth/change-password/change", ticket);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "password_reset_request", uid);
out:
	wd_db_free(res);
	explicit_bzero(ticket, sizeof(ticket));
	return wd_db_end(&s->db, rc);
}

/*
 * A reset proves the address. When nobody had proven it before
 * (email_verified false: registered by anyone with
 * WARDEN_AUTO_ACTIVATE=true, or changed directly with
 * WARDEN_VERIFY_EMAILS=false), whoever set the account up may be someone
 * else, and keeps no foothold the new password does not replace: the
 * identities they linked, pending tickets (wd_ident_disown) and new
 * address. Not the second factor: a mailbox never stands in for it
 * (this may be the mailbox's thief), and not the roles, which an
 * administrator may have given. The account row is locked
 * (wd_acct_ticket_take).
 */
static enum wd_err
reset_disown(struct wd_svc *s, const struct wd_client *cl,
    const struct wd_ticket *t)
{
	const char	*p[1] = { t->acct };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;
	int		 unproven, never;

	/* the pending new address goes with the rest (the reset's own
	 * UPDATE marks the address proven); no row: it was proven */
	rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET new_email = NULL "
	    "WHERE id = $1 AND NOT email_verified RETURNING activated_at IS "
	    "NULL, email", 1, p, &res);
	unproven = rc == WD_OK && wd_db_rows(res) == 1;
	/* never activated: the roles and user_data too were its
	 * registrant's choice (register_options), nobody else's */
	never = unproven && wd_db_bool(res, 0, 0);
	if (never)
		rc = wd_acct_user_reset(s, t->uid, wd_db_val(res, 0, 1));
	wd_db_free(res);
	if (rc != WD_OK || !unproven)
		return rc;
	rc = wd_ident_disown(s, t->acct, NULL, NULL, never ?
	    WD_DISOWN_ROLES : 0);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "password_reset_reclaim", t->uid);
	return rc;
}

enum wd_err
wd_life_reset_confirm(struct wd_svc *s, const struct wd_client *cl,
    const char *ticket, const char *pw, size_t pwlen, const char **msg)
{
	struct wd_ticket	 t;
	char			 hash[WD_PW_HASH_MAX] = "";
	const char		*p[2];
	enum wd_err		 rc;

	*msg = NULL;
	rc = new_hash(s, pw, pwlen, hash, msg);
	if (rc != WD_OK)
		goto out;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		goto out;
	rc = wd_acct_ticket_take(s, ticket, "reset", &t);
	if (rc == WD_E_UNAUTH)
		*msg = MSG_BADTICKET;
	p[0] = t.acct;
	p[1] = hash;
	/* the ticket was mailed to the account's address, which cannot have
	 * changed since (a change ends reset tickets): it is proven, and an
	 * account nobody had proven it for becomes this person's alone */
	if (rc == WD_OK)
		rc = reset_disown(s, cl, &t);
	/* a never-activated account becomes active for the prover; one an
	 * operator deactivated since the ticket was made stays so */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET "
		    "password_hash = $2, email_verified = true, active = "
		    "(active OR activated_at IS NULL) WHERE id = $1", 2, p,
		    NULL);
	/* whoever knew the old password is signed out everywhere */
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = $1::uuid", p, 1);
	if (rc == WD_OK)
		rc = end_tickets(s, t.acct);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "password_reset", t.uid);
	rc = wd_db_end(&s->db, rc);
out:
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

/* The new address, normalised into out; WD_E_BADREQ with *msg. */
static enum wd_err
new_email(const char *e, const struct acc *a, char *out, const char **msg)
{
	if (e == NULL || wd_email_normalize(e, strlen(e), out) != WD_OK) {
		*msg = "\"new_email\" must be a valid email";
		return WD_E_BADREQ;
	}
	if (strcmp(out, a->email) == 0) {
		*msg = "That is the account's email address already.";
		return WD_E_BADREQ;
	}
	return WD_OK;
}

/* The caller's session id, or NULL when unknown (an action). */
static const char *
known(const char *sid)
{
	return sid != NULL && sid[0] != '\0' ? sid : NULL;
}

/*
 * The notice to the account's address a->email that a move to ne was
 * asked for. When that address was proven, it carries the link that
 * undoes the change (a revert ticket holding a->email, WD_REVERT_DAYS):
 * whoever asked may hold a stolen token, and the owner must have a way
 * back even after a confirmed change and a reset by the new address.
 * An address nobody proved is sent the notice alone: its mailbox may not
 * be the account holder's (a mistyped registration), and the link would
 * hand it the account. sid: the asking session (NULL: unknown).
 */
static enum wd_err
notify_change(struct wd_svc *s, const struct acc *a, const char *sid,
    const char *ne)
{
	static const char *const names[] = { "email", "new_email", "ticket",
	    "link" };
	char		 ticket[WD_UUID_LEN + 1] = "", link[WD_ACCT_MAX_LINK];
	const char	*values[4] = { a->email, ne, ticket, link };
	const char	*p[3] = { ticket, a->id, sid };
	enum wd_err	 rc;

	if (a->email[0] == '\0')	/* an account a provider made without
					 * one: nobody to tell */
		return WD_OK;
	if (!a->verified)
		return wd_outbox_add(&s->db, "notify-email-change-plain",
		    a->email, names, values, 2);
	rc = wd_acct_ticket_new(s, a->id, "revert", WD_REVERT_DAYS * 24L * 60,
	    a->email, ticket);
	/* whether a second factor was on before the asking session began
	 * (unknown, as for an action: no): one enrolled since, maybe by
	 * whoever holds this session's token, goes with a revert */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.tickets SET mfa = "
		    "(SELECT a.mfa_enabled AND COALESCE(a.mfa_enabled_at, "
		    "'-infinity') < COALESCE((SELECT min(r.session_started_at) "
		    "FROM auth.refresh_tokens r WHERE r.family_id = $3::uuid), "
		    "'-infinity') FROM auth.accounts a WHERE a.id = $2::uuid) "
		    "WHERE ticket_hash = sha256(convert_to($1, 'UTF8'))", 3, p,
		    NULL);
	if (rc == WD_OK)
		rc = wd_acct_link(s, REVERT, ticket, link, sizeof(link));
	if (rc == WD_OK)
		rc = wd_outbox_add(&s->db, "notify-email-change", a->email,
		    names, values, 4);
	explicit_bzero(ticket, sizeof(ticket));
	explicit_bzero(link, sizeof(link));
	return rc;
}

/*
 * An account without an address (a provider made it) has no notice to
 * send: whoever holds a token could give it one, prove it and reset a
 * password its owner never sees. Only a session that began in the last
 * FIRST_EMAIL_MINUTES may (sid NULL, unknown: no).
 */
static enum wd_err
first_email(struct wd_svc *s, const struct acc *a, const char *sid,
    const char **msg)
{
	const char	*p[2] = { sid, FIRST_EMAIL_MINUTES };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	if (a->email[0] != '\0')
		return WD_OK;
	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.refresh_tokens WHERE "
	    "family_id = $1::uuid AND session_started_at > now() - "
	    "make_interval(mins => $2::int) LIMIT 1", 2, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1) {
		*msg = "Sign in again to add an email address.";
		rc = WD_E_FORBIDDEN;
	}
	wd_db_free(res);
	return rc;
}

/* The account's email-change ticket (one at most) belongs to session
 * sid: ending that session ends it (wd_acct_revoke, sql/015). */
static enum wd_err
bind_ticket(struct wd_svc *s, const char *acct, const char *sid)
{
	const char	*p[2] = { acct, sid };

	return wd_db_exec(&s->db, "UPDATE auth.tickets SET family_id = "
	    "$2::uuid WHERE account_id = $1::uuid AND purpose = 'email'", 2,
	    p, NULL);
}

enum wd_err
wd_life_email_request(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, const char *sid, const char *email, const char **msg,
    long *retry)
{
	struct acc	 a;
	char		 ne[WD_EMAIL_MAX + 1], ticket[WD_UUID_LEN + 1] = "";
	enum wd_err	 rc;

	*msg = NULL;
	sid = known(sid);
	rc = mail_quota(s, "email", uid, NULL, msg, retry);
	if (rc != WD_OK)
		return rc;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = load(s, uid, 0, 1, &a);
	if (rc == WD_OK)
		rc = new_email(email, &a, ne, msg);
	if (rc == WD_OK)
		rc = first_email(s, &a, sid, msg);
	/* the notice first: mails go out in the order they were queued, so
	 * the newest mail of a request is still the one to confirm with */
	if (rc == WD_OK)
		rc = notify_change(s, &a, sid, ne);
	/* whether the new address is free is checked when it is confirmed
	 * (it must be free then): asking reveals nothing about it */
	if (rc == WD_OK)
		rc = wd_acct_ticket_new(s, a.id, "email", WD_TICKET_MINUTES, ne,
		    ticket);
	if (rc == WD_OK && sid != NULL)
		rc = bind_ticket(s, a.id, sid);
	if (rc == WD_OK)
		rc = wd_acct_mail(s, "change-email", ne,
		    "/auth/change-email/change", ticket);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "email_change_request", uid);
	explicit_bzero(ticket, sizeof(ticket));
	acc_cleanup(&a);
	return wd_db_end(&s->db, rc);
}

/* Sets the address of account id, proven (a ticket mailed to it) or
 * not (sql/010); WD_E_CONFLICT when it is taken. */
static enum wd_err
set_email(struct wd_svc *s, const char *id, const char *email,
    int verified, const char **msg)
{
	const char	*p[3] = { id, email, verified ? "true" : "false" };
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET email = $2, "
	    "new_email = NULL, email_verified = $3::boolean WHERE id = $1", 3,
	    p, NULL);
	if (rc == WD_E_CONFLICT)
		*msg = "That email address is taken.";
	return rc;
}

enum wd_err
wd_life_email_confirm(struct wd_svc *s, const struct wd_client *cl,
    const char *ticket, const char **msg)
{
	struct wd_ticket	 t;
	enum wd_err		 rc;

	*msg = NULL;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = wd_acct_ticket_take(s, ticket, "email", &t);
	if (rc == WD_E_UNAUTH)
		*msg = MSG_BADTICKET;
	if (rc == WD_OK && t.new_email[0] == '\0')
		rc = WD_E_INTERNAL;
	if (rc == WD_OK)
		rc = set_email(s, t.acct, t.new_email, 1, msg);
	if (rc == WD_OK)
		rc = end_tickets(s, t.acct);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "email_change", t.uid);
	return wd_db_end(&s->db, rc);
}

enum wd_err
wd_life_email_revert(struct wd_svc *s, const struct wd_client *cl,
    const char *ticket, const char **msg)
{
	struct wd_ticket	 t;
	const char		*p[2];
	enum wd_err		 rc;

	*msg = NULL;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = wd_acct_ticket_take(s, ticket, "revert", &t);
	if (rc == WD_E_UNAUTH)
		*msg = MSG_BADTICKET;
	if (rc == WD_OK && t.new_email[0] == '\0')
		rc = WD_E_INTERNAL;
	p[0] = t.acct;
	p[1] = t.created;
	/* the changes asked for after this one are undone with it: their
	 * revert tickets (mailed to addresses this one takes back from)
	 * end; older ones stay, so the first owner's link always wins */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.tickets WHERE "
		    "account_id = $1 AND purpose = 'revert' AND created_at >= "
		    "$2::timestamptz", 2, p, NULL);
	/* the address back, proven (the ticket was mailed to it); an
	 * account that registered it meanwhile without proving it (the
	 * mover, blocking the way back) loses it */
	p[1] = t.new_email;
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET email = "
		    "NULL, new_email = NULL WHERE lower(email::text) = "
		    "lower($2) AND NOT email_verified AND id <> $1", 2, p,
		    NULL);
	if (rc == WD_OK)
		rc = set_email(s, t.acct, t.new_email, 1, msg);
	/* whoever moved it may have set a password by reset, linked a
	 * provider, enrolled a second factor: all go (a second factor from
	 * before the request stays: the mover could not have touched it),
	 * every session and pending ticket too (not the revert tickets of
	 * earlier changes); the owner sets a new password by reset. Roles
	 * are not the mover's choice and stay. */
	p[1] = t.mfa ? "true" : "false";
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET "
		    "password_hash = NULL, mfa_enabled = mfa_enabled AND "
		    "$2::boolean, otp_secret = CASE WHEN $2::boolean THEN "
		    "otp_secret END WHERE id = $1", 2, p, NULL);
	if (rc == WD_OK)
		rc = wd_ident_disown(s, t.acct, NULL, NULL,
		    WD_DISOWN_KEEP_REVERT);
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = $1::uuid", p, 1);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "email_change_revert", t.uid);
	return wd_db_end(&s->db, rc);
}

enum wd_err
wd_life_email_direct(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, const char *sid, const char *email, const char **msg,
    long *retry)
{
	struct acc	 a;
	char		 ne[WD_EMAIL_MAX + 1];
	enum wd_err	 rc;

	*msg = NULL;
	if (s->verify_emails) {
		*msg = "Email changes need confirmation: use "
		    "/auth/change-email/request.";
		return WD_E_FORBIDDEN;
	}
	sid = known(sid);
	/* it mails the old address as a request does: counted the same */
	rc = mail_quota(s, "email", uid, NULL, msg, retry);
	if (rc != WD_OK)
		return rc;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = load(s, uid, 0, 1, &a);
	/* a token alone must not move an account with a second factor to
	 * an address whose reset would then need only the token's thief */
	if (rc == WD_OK && a.mfa) {
		*msg = "With two-factor on, email changes need confirmation: "
		    "use /auth/change-email/request.";
		rc = WD_E_FORBIDDEN;
	}
	if (rc == WD_OK)
		rc = new_email(email, &a, ne, msg);
	if (rc == WD_OK)
		rc = first_email(s, &a, sid, msg);
	/* the old address is told, with the way back when it was proven */
	if (rc == WD_OK)
		rc = notify_change(s, &a, sid, ne);
	if (rc == WD_OK)
		rc = set_email(s, a.id, ne, 0, msg);
	/* as after a confirmed change: a reset ticket mailed to the old
	 * address must neither outlive it nor prove the new one */
	if (rc == WD_OK)
		rc = end_tickets(s, a.id);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "email_change", uid);
	acc_cleanup(&a);
	return wd_db_end(&s->db, rc);
}

/*
 * WD_E_CONFLICT with *msg while account acct has a live revert ticket
 * that would change something: one holding the address the account has
 * now belongs to a change asked and never confirmed (the ticket is made
 * with the request), or one undone already, and holds nothing up.
 */
static enum wd_err
revert_pending(struct wd_svc *s, const char *acct, const char **msg)
{
	const char	*p[1] = { acct };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.tickets t JOIN "
	    "auth.accounts a ON a.id = t.account_id WHERE t.account_id = "
	    "$1::uuid AND t.purpose = 'revert' AND t.expires_at > now() AND "
	    "t.new_email IS DISTINCT FROM a.email LIMIT 1", 1, p, &res);
	if (rc == WD_OK && wd_db_rows(res) == 1) {
		*msg = "A recent email change can still be undone from the old "
		    "address; the account can be deleted once that link has "
		    "expired (7 days).";
		rc = WD_E_CONFLICT;
	}
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_life_delete(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, const char *pw, size_t pwlen, const char **msg,
    long *retry)
{
	struct acc	 a;
	const char	*p[1];
	enum wd_err	 rc;

	*msg = NULL;
	rc = load(s, uid, 0, 0, &a);
	if (rc == WD_OK)
		rc = check_pw(s, cl, &a, pw, pwlen, msg, retry);
	if (rc != WD_OK)
		goto out;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		goto out;
	p[0] = a.id;
	/* sessions first: the revocation needs the refresh tokens' rows;
	 * the account held before them (wd_acct_revoke) */
	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.accounts WHERE id = "
	    "$1::uuid FOR UPDATE", 1, p, NULL);
	/* not while an email change can still be undone: whoever moved the
	 * account (a stolen token, a reset by the new address) would take
	 * the owner's way back with it */
	if (rc == WD_OK)
		rc = revert_pending(s, a.id, msg);
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = $1::uuid", p, 1);
	p[0] = uid;
	/* the user row cascades to the account, its roles, tickets, MFA
	 * secret and refresh tokens; audit_log keeps its rows */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM public.users WHERE id = "
		    "$1::uuid", 1, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "account_delete", uid);
	rc = wd_db_end(&s->db, rc);
out:
	acc_cleanup(&a);
	return rc;
}

/* ---- TOTP two-factor ---- */

/* Opens the transaction of an MFA operation; refused (503) without the
 * key that seals the secrets. */
static enum wd_err
mfa_begin(struct wd_svc *s, const char **msg)
{
	if (!s->has_mfa_key) {
		*msg = "Two-factor sign-in is not configured (WARDEN_MFA_KEY).";
		return WD_E_UNAVAILABLE;
	}
	return wd_db_begin(&s->db);
}

enum wd_err
wd_life_mfa_generate(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, struct json_object **out, const char **msg)
{
	struct acc	 a;
	char		 b32[WD_TOTP_SECRET_B32_LEN + 1] = "";
	unsigned char	 key[WD_TOTP_MAX_KEY];
	char		 sealed[WD_SEAL_MAX_TEXT + 1], url[WD_TOTP_URL_MAX + 1];
	char		*img = NULL;
	const char	*p[2];
	size_t		 klen = 0, n;
	enum wd_err	 rc;

	*msg = NULL;
	*out = NULL;
	rc = mfa_begin(s, msg);
	if (rc != WD_OK)
		return rc;
	rc = load(s, uid, 0, 1, &a);
	/* a new secret would silently break the one in use */
	if (rc == WD_OK && a.mfa) {
		*msg = "MFA is already enabled.";
		rc = WD_E_CONFLICT;
	}
	if (rc == WD_OK)
		rc = wd_totp_secret_new(b32);
	if (rc == WD_OK)
		rc = wd_totp_b32_decode(b32, strlen(b32), key, sizeof(key),
		    &klen);
	/* bound to the account: a sealed secret copied to another row
	 * does not open there */
	if (rc == WD_OK)
		rc = wd_seal(&s->mfa_key, key, klen, a.id, strlen(a.id), sealed,
		    sizeof(sealed), &n);
	/* an account a provider made without an address (wd_ident) is
	 * named in the authenticator app by its user id */
	if (rc == WD_OK)
		rc = wd_totp_url(s->mfa_issuer, a.email[0] != '\0' ? a.email :
		    uid, b32, url, sizeof(url), &n);
	if (rc == WD_OK)
		rc = wd_qr_data_url(url, n, &img, &n);
	p[0] = a.id;
	p[1] = sealed;
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET otp_secret = "
		    "$2, otp_last_step = 0 WHERE id = $1", 2, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "mfa_generate", uid);
	if (rc == WD_OK) {
		*out = json_object_new_object();
		json_object_object_add(*out, "image_url",
		    json_object_new_string(img));
		json_object_object_add(*out, "otp_secret",
		    json_object_new_string(b32));
		json_object_object_add(*out, "otpauth_url",
		    json_object_new_string(url));
	}
	rc = wd_db_end(&s->db, rc);
	if (rc != WD_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	free(img);
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(url, sizeof(url));
	acc_cleanup(&a);
	return rc;
}

/*
 * Checks code against a's secret (in the caller's transaction, a locked
 * row) and records its step, so it is accepted once. Throttled per
 * account; a wrong code is counted by code_failed after the transaction
 * (which rolls back) has ended.
 */
static enum wd_err
check_code(struct wd_svc *s, const struct acc *a, const char *code,
    size_t codelen, const char **msg, long *retry)
{
	unsigned char	 key[WD_TOTP_MAX_KEY];
	char		 step[24], thr[WD_THROTTLE_MAX_KEY];
	const char	*p[2];
	size_t		 klen = 0;
	uint64_t	 matched = 0;
	long		 left;
	enum wd_err	 rc;

	/* per account, whatever the address: whoever is guessing knows the
	 * password already (or holds a session), so a lock-out of the
	 * second factor is the lesser harm (a million codes, three valid) */
	snprintf(thr, sizeof(thr), "totp|%s", a->id);
	rc = wd_throttle_over(&s->db, thr, WD_THROTTLE_FAIL_WINDOW,
	    s->max_fail, &left);
	if (rc == WD_E_RATELIMIT) {
		*msg = MSG_THROTTLED;
		*retry = left;
	}
	if (rc != WD_OK)
		return rc;
	if (a->sealed == NULL) {
		*msg = "OTP secret is not set.";
		return WD_E_BADREQ;
	}
	rc = wd_open(&s->mfa_key, a->sealed, strlen(a->sealed), a->id,
	    strlen(a->id), key, sizeof(key), &klen);
	if (rc != WD_OK) {
		wd_log(NULL, WD_LOG_ERR, "life", "TOTP secret does not open "
		    "(WARDEN_MFA_KEY changed?)");
		rc = WD_E_INTERNAL;
		goto out;
	}
	rc = wd_totp_check(key, klen, code, codelen, (int64_t)time(NULL),
	    a->last_step, &matched);
	if (rc != WD_OK) {
		*msg = MSG_BADCODE;
		rc = WD_E_UNAUTH;
		goto out;
	}
	snprintf(step, sizeof(step), "%llu", (unsigned long long)matched);
	p[0] = a->id;
	p[1] = step;
	rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET otp_last_step = "
	    "$2::bigint WHERE id = $1", 2, p, NULL);
out:
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* Counts a wrong code of account id, outside any transaction. */
static void
code_failed(struct wd_svc *s, const char *id, enum wd_err rc,
    const char *msg)
{
	char	 thr[WD_THROTTLE_MAX_KEY];
	long	 left;

	if (rc != WD_E_UNAUTH || msg == NULL || strcmp(msg, MSG_BADCODE) != 0)
		return;
	snprintf(thr, sizeof(thr), "totp|%s", id);
	(void)wd_throttle_hit(&s->db, thr, WD_THROTTLE_FAIL_WINDOW, 0, &left);
}

enum wd_err
wd_life_mfa_set(struct wd_svc *s, const struct wd_client *cl,
    const char *uid, const char *sid, const char *code, size_t codelen,
    int enable, const char **msg, long *retry)
{
	struct acc	 a;
	const char	*p[2];
	enum wd_err	 rc;

	*msg = NULL;
	rc = mfa_begin(s, msg);
	if (rc != WD_OK)
		return rc;
	rc = load(s, uid, 0, 1, &a);
	if (rc == WD_OK && a.mfa == enable) {
		*msg = enable ? "MFA is already enabled." :
		    "MFA is already disabled.";
		rc = WD_E_BADREQ;
	}
	if (rc == WD_OK)
		rc = check_code(s, &a, code, codelen, msg, retry);
	p[0] = a.id;
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, enable ? "UPDATE auth.accounts SET "
		    "mfa_enabled = true, mfa_enabled_at = now() WHERE id = $1" :
		    "UPDATE auth.accounts SET mfa_enabled = false, otp_secret "
		    "= NULL WHERE id = $1", 1, p, NULL);
	/* a second factor is often turned on for fear of a thief: the
	 * sessions signed in without it end, as on a password change */
	p[1] = known(sid);
	if (rc == WD_OK && enable)
		rc = wd_acct_revoke(s, "account_id = $1::uuid AND family_id IS "
		    "DISTINCT FROM $2::uuid", p, 2);
	if (rc == WD_OK && enable)
		rc = end_tickets(s, a.id);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, enable ? "mfa_enable" :
		    "mfa_disable", uid);
	rc = wd_db_end(&s->db, rc);
	code_failed(s, a.id, rc, *msg);
	acc_cleanup(&a);
	return rc;
}

enum wd_err
wd_life_mfa_login(struct wd_svc *s, const struct wd_client *cl,
    const char *ticket, const char *code, size_t codelen, struct wd_sess *o,
    const char **msg, long *retry)
{
	struct wd_ticket	 t;
	struct acc		 a;
	enum wd_err		 rc;

	*msg = NULL;
	memset(&a, 0, sizeof(a));
	rc = mfa_begin(s, msg);
	if (rc != WD_OK)
		return rc;
	/* spent only if the code checks out: a wrong code rolls back */
	rc = wd_acct_ticket_take(s, ticket, "mfa", &t);
	if (rc == WD_E_UNAUTH)
		*msg = MSG_BADTICKET;
	if (rc == WD_OK)
		rc = load(s, t.acct, 1, 1, &a);
	if (rc == WD_OK && !a.mfa) {
		*msg = "MFA is not enabled.";
		rc = WD_E_BADREQ;
	}
	/* deactivated since the password step */
	if (rc == WD_OK && !a.active)
		rc = WD_E_FORBIDDEN;
	if (rc == WD_OK)
		rc = check_code(s, &a, code, codelen, msg, retry);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "login", t.uid);
	if (rc == WD_OK)
		rc = wd_acct_issue(s, t.acct, NULL, o);
	rc = wd_db_end(&s->db, rc);
	code_failed(s, a.id, rc, *msg);
	acc_cleanup(&a);
	return rc;
}
