/*
 * wd_ident.c: provider identities against PostgreSQL (wd_ident.h). The
 * profile comes from a verified ID token or the provider's API over TLS;
 * still, its strings are bounded (wd_oidc) and go into SQL only as
 * parameters. The email is normalised (wd_email) before it is compared:
 * auth.accounts matches it case-insensitively.
 */
#include <stdio.h>
#include <string.h>

#include "wd_email.h"
#include "wd_ident.h"
#include "wd_log.h"
#include "wd_util.h"

/* The account a sign-in lands on, as wd_ident_signin needs it. */
struct acct {
	char	 id[WD_UUID_LEN + 1];
	char	 uid[WD_UUID_LEN + 1];		/* its user */
	char	 email[WD_EMAIL_MAX + 1];	/* "" when none */
	int	 active;
	int	 verified;	/* email_verified (sql/010) */
	int	 mfa;		/* mfa_enabled */
	int	 never;		/* never activated (sql/014) */
};

#define ACCT_COLS	"a.id, a.user_id, a.email, a.active, " \
	"a.email_verified, a.mfa_enabled, a.activated_at IS NULL"

/* Reads the account of the one row of res (ACCT_COLS) into a.
 * WD_E_NOTFOUND when there is none. */
static enum wd_err
acct_row(const struct wd_dbres *res, struct acct *a)
{
	if (wd_db_rows(res) != 1)
		return WD_E_NOTFOUND;
	snprintf(a->id, sizeof(a->id), "%s", wd_db_val(res, 0, 0));
	snprintf(a->uid, sizeof(a->uid), "%s", wd_db_val(res, 0, 1));
	snprintf(a->email, sizeof(a->email), "%s", wd_db_null(res, 0, 2) ?
	    "" : wd_db_val(res, 0, 2));
	a->active = wd_db_bool(res, 0, 3);
	a->verified = wd_db_bool(res, 0, 4);
	a->mfa = wd_db_bool(res, 0, 5);
	a->never = wd_db_bool(res, 0, 6);
	return WD_OK;
}

/* The account of an identity, locked. WD_E_NOTFOUND if none. */
static enum wd_err
find_identity(struct wd_svc *s, const char *prov, const char *sub,
    struct acct *a)
{
	const char	*p[2] = { prov, sub };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT " ACCT_COLS " FROM auth.identities i "
	    "JOIN auth.accounts a ON a.id = i.account_id WHERE i.provider = $1 "
	    "AND i.subject = $2 FOR UPDATE OF a, i", 2, p, &res);
	if (rc == WD_OK)
		rc = acct_row(res, a);
	wd_db_free(res);
	return rc;
}

static enum wd_err
find_email(struct wd_svc *s, const char *email, struct acct *a)
{
	const char	*p[1] = { email };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT " ACCT_COLS " FROM auth.accounts a "
	    "WHERE lower(a.email::text) = $1 FOR UPDATE", 1, p, &res);
	if (rc == WD_OK)
		rc = acct_row(res, a);
	wd_db_free(res);
	return rc;
}

/* The configured roles and default role for account acct, replacing any
 * it had. In the caller's transaction. */
static enum wd_err
default_roles(struct wd_svc *s, const char *acct)
{
	const char	*p[2] = { acct, NULL };
	struct wd_buf	 arr;
	enum wd_err	 rc;
	size_t		 i;

	wd_buf_init(&arr, 4096);
	/* roles are [A-Za-z0-9_-] (wd_cfg): a plain array literal */
	(void)wd_buf_add(&arr, "{", 1);
	for (i = 0; i < s->nroles; i++)
		(void)wd_buf_addf(&arr, "%s%s", i > 0 ? "," : "", s->roles[i]);
	rc = wd_buf_add(&arr, "}", 1);
	p[1] = arr.p;
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.account_roles WHERE "
		    "account_id = $1", 1, p, NULL);
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "INSERT INTO auth.account_roles "
		    "(account_id, role) SELECT $1, unnest($2::text[]) ON "
		    "CONFLICT DO NOTHING", 2, p, NULL);
	p[1] = s->default_role;
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET default_role "
		    "= $2 WHERE id = $1 AND default_role <> $2", 2, p, NULL);
	wd_buf_cleanup(&arr);
	return rc;
}

/* (wd_ident.h) In the caller's transaction. */
enum wd_err
wd_ident_disown(struct wd_svc *s, const char *acct, const char *prov,
    const char *sub, unsigned flags)
{
	const char	*p[3] = { acct, prov, sub };
	enum wd_err	 rc;

	/* revert tickets too, unless kept: one kept by whoever set the
	 * account up would take it back from its address's owner */
	rc = wd_db_exec(&s->db, flags & WD_DISOWN_KEEP_REVERT ? "DELETE FROM "
	    "auth.tickets WHERE account_id = $1 AND purpose <> 'revert'" :
	    "DELETE FROM auth.tickets WHERE account_id = $1", 1, p, NULL);
	/* (prov, sub) NULL: every identity goes */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.identities WHERE "
		    "account_id = $1 AND NOT (provider IS NOT DISTINCT FROM $2 "
		    "AND subject IS NOT DISTINCT FROM $3)", 3, p, NULL);
	/* roles the registration chose (within WARDEN_ALLOWED_ROLES) are
	 * the squatter's choice, not the owner's: back to the defaults */
	if (rc == WD_OK && (flags & WD_DISOWN_ROLES))
		rc = default_roles(s, acct);
	return rc;
}

/*
 * The provider has just proven that the signing-in person controls the
 * address of account a, which nobody had proven before: whoever set the
 * account up may be someone else (the address registered first by an
 * attacker, with WARDEN_AUTO_ACTIVATE=true). Every credential and
 * foothold not tied to this proof goes, as GoTrue does, so the account
 * is the address owner's alone from now on: the password; every session
 * (refresh tokens revoked, sids published to the webhook); pending
 * tickets (an email change to another address, a reset, a revert); a
 * pending new address; every other identity (an attacker's own provider
 * account on the same account); the roles it chose. The signing-in
 * identity (prov, sub) stays when it is known. The address is proven
 * from now on. An account with a second factor is never reclaimed: the
 * provider proves the address, not the factor (a legitimate owner who
 * never proved the address keeps it against a thief of the mailbox; a
 * squatter's enrolment keeps the address blocked until an operator
 * acts). The account row and the sessions are done here, the rest in
 * wd_ident_disown. In the caller's transaction.
 */
static enum wd_err
reclaim(struct wd_svc *s, const struct wd_client *cl, const struct acct *a,
    const char *prov, const char *sub)
{
	const char	*p[1] = { a->id };
	enum wd_err	 rc;

	/* one never activated (sql/014) becomes active for the prover */
	rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET password_hash = "
	    "NULL, email_verified = true, new_email = NULL, active = (active "
	    "OR activated_at IS NULL) WHERE id = $1", 1, p, NULL);
	if (rc == WD_OK)
		rc = wd_ident_disown(s, a->id, prov, sub, WD_DISOWN_ROLES);
	/* never activated: its user_data was the registrant's choice */
	if (rc == WD_OK && a->never)
		rc = wd_acct_user_reset(s, a->uid, a->email);
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = $1::uuid", p, 1);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "provider_reclaim", a->uid);
	return rc;
}

/* A new, active account with no password: the default role and the
 * allowed roles, display name and avatar from the profile; email is
 * NULL or verified by the provider (so proven). */
static enum wd_err
create(struct wd_svc *s, const struct wd_oidc_profile *prof,
    const char *email, char *acct)
{
	const char	*p[4];
	struct wd_dbres	*res = NULL;
	char		 uid[WD_UUID_LEN + 1];
	enum wd_err	 rc;

	/* a name with control characters is not taken: display_name may be
	 * a claim (WARDEN_JWT_CUSTOM_FIELDS), and so a session variable */
	p[0] = prof->name != NULL && prof->name[0] != '\0' &&
	    !wd_has_ctl(prof->name) ? prof->name : email;
	p[1] = prof->picture;
	rc = wd_db_exec(&s->db, "INSERT INTO public.users (display_name, "
	    "avatar_url) VALUES (left($1, 256), $2) RETURNING id", 2, p, &res);
	if (rc != WD_OK)
		goto out;
	snprintf(uid, sizeof(uid), "%s", wd_db_val(res, 0, 0));
	wd_db_free(res);
	res = NULL;
	p[0] = uid;
	p[1] = email;
	p[2] = s->default_role;
	p[3] = email != NULL ? "true" : "false";
	rc = wd_db_exec(&s->db, "INSERT INTO auth.accounts (user_id, email, "
	    "active, default_role, email_verified) VALUES ($1, $2, true, $3, "
	    "$4::boolean) RETURNING id", 4, p, &res);
	if (rc != WD_OK)
		goto out;
	snprintf(acct, WD_UUID_LEN + 1, "%s", wd_db_val(res, 0, 0));
	rc = default_roles(s, acct);
out:
	wd_db_free(res);
	return rc;
}

static const char *const events[] = {
	[WD_IDENT_FOUND] = "provider_signin",
	[WD_IDENT_LINKED] = "provider_link",
	[WD_IDENT_CREATED] = "provider_register",
};
_Static_assert(sizeof(events) / sizeof(events[0]) == WD_IDENT__MAX,
    "ident events");

enum wd_err
wd_ident_signin(struct wd_svc *s, const struct wd_client *cl,
    const char *provider, const struct wd_oidc_profile *prof,
    struct wd_sess *o, enum wd_ident_how *how)
{
	struct acct	 a;
	char		 email[WD_EMAIL_MAX + 1] = "";
	char		 secs[16];
	const char	*p[4];
	int		 has_email = 0, reclaims;
	enum wd_err	 rc;

	*how = WD_IDENT_FOUND;
	memset(&a, 0, sizeof(a));
	if (prof->email != NULL && wd_email_normalize(prof->email,
	    strlen(prof->email), email) == WD_OK)
		has_email = 1;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = find_identity(s, provider, prof->sub, &a);
	if (rc == WD_E_NOTFOUND && has_email) {
		rc = find_email(s, email, &a);
		if (rc == WD_OK && !prof->email_verified) {
			/* the provider did not check the address: whoever
			 * controls this identity may not own the account */
			rc = WD_E_CONFLICT;
			goto out;
		}
		if (rc == WD_OK)
			*how = WD_IDENT_LINKED;
	}
	if (rc == WD_E_NOTFOUND) {
		/* an address the provider did not verify is not stored: it
		 * would block its owner's own registration */
		rc = create(s, prof, has_email && prof->email_verified ? email :
		    NULL, a.id);
		a.active = 1;
		a.verified = 1;
		*how = WD_IDENT_CREATED;
	}
	if (rc != WD_OK)
		goto out;
	/* a verified address of an account nobody had proven it for: the
	 * account becomes the address owner's alone (reclaim), on a new link
	 * as on a known identity (one linked before sql/010 came); not one
	 * with a second factor, which the provider cannot stand in for (it
	 * signs in with the code below, as before) */
	reclaims = !a.mfa && has_email && prof->email_verified &&
	    !a.verified && strcmp(a.email, email) == 0;
	/* inactive: refused, unless nobody ever activated it (sql/014) and
	 * this sign-in proves its address; an operator's deactivation
	 * stands */
	if (!a.active && !(a.never && reclaims)) {
		rc = WD_E_FORBIDDEN;
		goto out;
	}
	/* a provider proves an address, never the second factor: a new
	 * identity is not linked to an account that has one (whoever
	 * controls the mailbox would hold a way in that skips the code) */
	if (a.mfa && *how == WD_IDENT_LINKED) {
		rc = WD_E_UNPROCESSABLE;
		goto out;
	}
	if (reclaims) {
		rc = reclaim(s, cl, &a, provider, prof->sub);
		if (rc != WD_OK)
			goto out;
	}
	if (*how != WD_IDENT_FOUND) {
		p[0] = a.id;
		p[1] = provider;
		p[2] = prof->sub;
		p[3] = has_email ? email : NULL;
		rc = wd_db_exec(&s->db, "INSERT INTO auth.identities "
		    "(account_id, provider, subject, email) VALUES ($1, $2, "
		    "$3, $4)", 4, p, NULL);
		/* the same identity signing in twice at once: not an email
		 * conflict; the user tries again */
		if (rc == WD_E_CONFLICT)
			rc = WD_E_INTERNAL;
		if (rc != WD_OK)
			goto out;
	}
	if (a.mfa) {
		/* no session yet: the ticket that POST /auth/mfa/totp takes
		 * with the code, as after a password */
		snprintf(o->user_id, sizeof(o->user_id), "%s", a.uid);
		rc = wd_acct_ticket_new(s, a.id, "mfa", WD_MFA_TICKET_MINUTES,
		    NULL, o->mfa_ticket);
		if (rc == WD_OK)
			rc = wd_acct_audit(s, cl, events[*how], a.uid);
		goto out;
	}
	rc = wd_acct_issue(s, a.id, NULL, o);
	if (rc != WD_OK)
		goto out;
	/* this token travels in a URL: once, and for a minute */
	snprintf(secs, sizeof(secs), "%d", WD_IDENT_URL_TOKEN_SECS);
	p[0] = o->refresh;
	p[1] = secs;
	rc = wd_db_exec(&s->db, "UPDATE auth.refresh_tokens SET single_use = "
	    "true, expires_at = now() + make_interval(secs => $2::int) WHERE "
	    "token_hash = sha256(convert_to($1, 'UTF8'))", 2, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, events[*how], o->user_id);
out:
	return wd_db_end(&s->db, rc);
}
