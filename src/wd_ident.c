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

/* The account of an identity, its active flag. WD_E_NOTFOUND if none. */
static enum wd_err
find_identity(struct wd_svc *s, const char *prov, const char *sub,
    char *acct, int *active)
{
	const char	*p[2] = { prov, sub };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT i.account_id, a.active FROM "
	    "auth.identities i JOIN auth.accounts a ON a.id = i.account_id "
	    "WHERE i.provider = $1 AND i.subject = $2 FOR UPDATE OF a", 2, p,
	    &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_NOTFOUND;
	if (rc == WD_OK) {
		snprintf(acct, WD_UUID_LEN + 1, "%s", wd_db_val(res, 0, 0));
		*active = wd_db_bool(res, 0, 1);
	}
	wd_db_free(res);
	return rc;
}

static enum wd_err
find_email(struct wd_svc *s, const char *email, char *acct, int *active)
{
	const char	*p[1] = { email };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT id, active FROM auth.accounts WHERE "
	    "lower(email::text) = $1 FOR UPDATE", 1, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_NOTFOUND;
	if (rc == WD_OK) {
		snprintf(acct, WD_UUID_LEN + 1, "%s", wd_db_val(res, 0, 0));
		*active = wd_db_bool(res, 0, 1);
	}
	wd_db_free(res);
	return rc;
}

/* A new, active account with no password: the default role and the
 * allowed roles, display name and avatar from the profile. */
static enum wd_err
create(struct wd_svc *s, const struct wd_oidc_profile *prof,
    const char *email, char *acct)
{
	const char	*p[3];
	struct wd_dbres	*res = NULL;
	char		 uid[WD_UUID_LEN + 1];
	struct wd_buf	 arr;
	enum wd_err	 rc;
	size_t		 i;

	wd_buf_init(&arr, 4096);
	p[0] = prof->name != NULL && prof->name[0] != '\0' ? prof->name :
	    email;
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
	rc = wd_db_exec(&s->db, "INSERT INTO auth.accounts (user_id, email, "
	    "active, default_role) VALUES ($1, $2, true, $3) RETURNING id", 3,
	    p, &res);
	if (rc != WD_OK)
		goto out;
	snprintf(acct, WD_UUID_LEN + 1, "%s", wd_db_val(res, 0, 0));
	/* roles are [A-Za-z0-9_-] (wd_cfg): a plain array literal */
	(void)wd_buf_add(&arr, "{", 1);
	for (i = 0; i < s->nroles; i++)
		(void)wd_buf_addf(&arr, "%s%s", i > 0 ? "," : "", s->roles[i]);
	rc = wd_buf_add(&arr, "}", 1);
	if (rc != WD_OK)
		goto out;
	p[0] = acct;
	p[1] = arr.p;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.account_roles (account_id, "
	    "role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING", 2, p,
	    NULL);
out:
	wd_db_free(res);
	wd_buf_cleanup(&arr);
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
	char		 acct[WD_UUID_LEN + 1];
	char		 email[WD_EMAIL_MAX + 1] = "";
	char		 secs[16];
	const char	*p[4];
	int		 active = 0, has_email = 0;
	enum wd_err	 rc;

	*how = WD_IDENT_FOUND;
	if (prof->email != NULL && wd_email_normalize(prof->email,
	    strlen(prof->email), email) == WD_OK)
		has_email = 1;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = find_identity(s, provider, prof->sub, acct, &active);
	if (rc == WD_E_NOTFOUND && has_email) {
		rc = find_email(s, email, acct, &active);
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
		    NULL, acct);
		active = 1;
		*how = WD_IDENT_CREATED;
	}
	if (rc != WD_OK)
		goto out;
	if (!active) {
		rc = WD_E_FORBIDDEN;
		goto out;
	}
	if (*how != WD_IDENT_FOUND) {
		p[0] = acct;
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
	rc = wd_acct_issue(s, acct, NULL, o);
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
