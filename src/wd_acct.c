/*
 * wd_acct.c: account operations: SQL only (the claims and the signing are
 * wd_jwt_mint's). SQL is always parameterised (wd_db) with
 * parameters; the only identifiers spliced into SQL are the configured
 * custom-field column names, checked at start (wd_svc.c) and quoted.
 * Login answers the same status, code and message, in about the same
 * time, for an unknown email and a wrong password (no enumeration).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "wd_acct.h"
#include "wd_buf.h"
#include "wd_json.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_outbox.h"
#include "wd_pw.h"
#include "wd_throttle.h"
#include "wd_util.h"

#define MSG_BADLOGIN	"Username and password do not match"
#define MSG_BADREFRESH	"Invalid or expired refresh token."
#define MSG_BADTICKET	"Invalid or expired ticket."
#define TOKEN_HASH	"sha256(convert_to($1, 'UTF8'))"

void
wd_sess_cleanup(struct wd_sess *o)
{
	if (o == NULL)
		return;
	if (o->jwt != NULL)
		wd_freezero(o->jwt, strlen(o->jwt));
	free(o->display_name);
	explicit_bzero(o, sizeof(*o));
}

void
wd_acct_client(const struct wd_svc *s, struct wd_req *rq,
    struct wd_client *cl)
{
	const char	*ua = wd_http_param(rq, "HTTP_USER_AGENT");
	char		*u;

	memset(cl, 0, sizeof(*cl));
	wd_addr_client(wd_http_param(rq, "REMOTE_ADDR"),
	    wd_http_param(rq, "HTTP_X_FORWARDED_FOR"), s->proxies,
	    s->nproxies, cl->ip);
	wd_addr_bucket(cl->ip, cl->bucket);
	snprintf(cl->ua, sizeof(cl->ua), "%s", ua == NULL ? "" : ua);
	/* printable ASCII only: the audit row must not fail (or a login
	 * with it) on bytes that are not UTF-8 */
	for (u = cl->ua; *u != '\0'; u++)
		if ((unsigned char)*u < 0x20 || (unsigned char)*u > 0x7e)
			*u = '?';
}

int
wd_acct_https(const struct wd_svc *s, struct wd_req *rq)
{
	const char	*ip = wd_http_param(rq, "REMOTE_ADDR");
	const char	*xp = wd_http_param(rq, "HTTP_X_FORWARDED_PROTO");

	return s->cookie_secure || (xp != NULL && strcasecmp(xp, "https") ==
	    0 && ip != NULL && wd_cidr_match(s->proxies, s->nproxies, ip,
	    strlen(ip)));
}

enum wd_err
wd_acct_throttle(struct wd_svc *s, const char *route, const char *bucket,
    long *retry_after)
{
	char		 key[WD_THROTTLE_MAX_KEY];
	enum wd_err	 rc;

	snprintf(key, sizeof(key), "rate|%s|%s", route, bucket);
	rc = wd_throttle_hit(&s->db, key, WD_THROTTLE_RATE_WINDOW,
	    s->rate_limit, retry_after);
	snprintf(key, sizeof(key), "fail|%s", bucket);
	if (rc == WD_OK)
		rc = wd_throttle_over(&s->db, key, WD_THROTTLE_FAIL_WINDOW,
		    s->max_fail_ip, retry_after);
	return rc;
}

void
wd_acct_failed(struct wd_svc *s, const char *bucket)
{
	char	 key[WD_THROTTLE_MAX_KEY];
	long	 left;

	snprintf(key, sizeof(key), "fail|%s", bucket);
	(void)wd_throttle_hit(&s->db, key, WD_THROTTLE_FAIL_WINDOW, 0, &left);
}

enum wd_err
wd_acct_audit(struct wd_svc *s, const struct wd_client *cl, const char *event,
    const char *uid)
{
	const char	*p[4] = { event, uid, cl->ip, cl->ua };

	return wd_db_exec(&s->db, "INSERT INTO auth.audit_log (event, user_id, "
	    "ip, user_agent) VALUES ($1, $2, NULLIF($3, '')::inet, "
	    "NULLIF($4, ''))", 4, p, NULL);
}

/*
 * An audit row outside any transaction (a failed attempt leaves only
 * this). subject, when not NULL, is an email stored as its sha256: the
 * login throttle counts failures per subject.
 */
static void
audit1(struct wd_svc *s, const struct wd_client *cl, const char *event,
    const char *subject)
{
	const char	*p[4] = { event, subject, cl->ip, cl->ua };

	/* never replayed (wd_db): a lost answer must not count twice */
	(void)wd_db_exec(&s->db, "INSERT INTO auth.audit_log (event, "
	    "subject, ip, user_agent) VALUES ($1, sha256(convert_to($2, "
	    "'UTF8')), NULLIF($3, '')::inet, NULLIF($4, ''))", 4, p, NULL);
}


/*
 * Mints the access token for account_id inside the open transaction and
 * stores a new refresh token: of a new session, or of from's session as
 * the successor of from->parent. The claims are wd_jwt_mint's business;
 * this reads what goes in them.
 */
enum wd_err
wd_acct_issue(struct wd_svc *s, const char *account_id,
    const struct wd_origin *from, struct wd_sess *o)
{
	const char		*family = from == NULL ? NULL : from->family;
	enum wd_err		 rc;
	struct wd_buf		 sql;
	struct wd_dbres		*r = NULL;
	struct json_object	*roles = NULL;
	struct wd_jwt_mint	 m = { 0 };
	/* the allowed roles and the default one (wd_svc_init) */
	const char		*rv[WD_SVC_MAX_LIST + 1], *cv[WD_SVC_MAX_LIST];
	char			 fam[WD_UUID_LEN + 1], mins[24];
	const char		*p[6];
	size_t			 i, nr;

	wd_buf_init(&sql, 8192);
	rc = wd_buf_adds(&sql, "SELECT a.user_id, a.email, u.display_name, "
	    "a.default_role, array_to_json(ARRAY(SELECT role FROM "
	    "auth.account_roles r WHERE r.account_id = a.id ORDER BY "
	    "role))::text");
	for (i = 0; rc == WD_OK && i < s->njwt_fields; i++)
		rc = wd_buf_addf(&sql, ", u.\"%s\"::text", s->jwt_fields[i]);
	if (rc == WD_OK)
		rc = wd_buf_adds(&sql, " FROM auth.accounts a JOIN "
		    "public.users u ON u.id = a.user_id WHERE a.id = $1");
	if (rc != WD_OK)
		goto out;
	p[0] = account_id;
	rc = wd_db_exec(&s->db, sql.p, 1, p, &r);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_UNAUTH;
	if (wd_db_rows(r) != 1)
		goto out;
	snprintf(o->user_id, sizeof(o->user_id), "%s", wd_db_val(r, 0, 0));
	snprintf(o->email, sizeof(o->email), "%s", wd_db_val(r, 0, 1));
	free(o->display_name);
	o->display_name = wd_db_null(r, 0, 2) ? NULL :
	    wd_xstrdup(wd_db_val(r, 0, 2));
	rc = WD_E_INTERNAL;
	if (wd_json_parse(wd_db_val(r, 0, 4), strlen(wd_db_val(r, 0, 4)), 4,
	    &roles) != WD_OK || !json_object_is_type(roles, json_type_array))
		goto out;
	nr = json_object_array_length(roles);
	if (nr > WD_SVC_MAX_LIST + 1)
		goto out;
	for (i = 0; i < nr; i++)
		rv[i] = json_object_get_string(json_object_array_get_idx(roles,
		    i));
	for (i = 0; i < s->njwt_fields; i++)
		cv[i] = wd_db_null(r, 0, 5 + (int)i) ? NULL :
		    wd_db_val(r, 0, 5 + (int)i);
	if (family == NULL) {
		if (wd_rand_uuid(fam) != WD_OK)
			goto out;
		family = fam;
	}
	m.user_id = o->user_id;
	m.default_role = wd_db_val(r, 0, 3);
	m.roles = rv;
	m.nroles = nr;
	m.claim_names = s->jwt_fields;
	m.claim_values = cv;
	m.nclaims = s->njwt_fields;
	m.sid = family;
	m.lifetime = s->jwt_min * 60;
	rc = wd_jwt_mint(&s->key, &m, time(NULL), &o->jwt);
	if (rc != WD_OK)
		goto out;
	o->expires_ms = s->jwt_min * 60 * 1000;
	if (from != NULL && from->token != NULL)
		snprintf(o->refresh, sizeof(o->refresh), "%s", from->token);
	else
		rc = wd_rand_uuid(o->refresh);
	if (rc != WD_OK || (from != NULL && from->stored))
		goto out;
	snprintf(mins, sizeof(mins), "%ld", s->refresh_min);
	p[0] = o->refresh;
	p[1] = family;
	p[2] = account_id;
	p[3] = mins;
	p[4] = from == NULL ? NULL : from->parent;
	p[5] = from == NULL ? NULL : from->started;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.refresh_tokens (token_hash, "
	    "family_id, account_id, expires_at, parent_hash, "
	    "session_started_at) VALUES (" TOKEN_HASH ", $2, $3, now() + "
	    "make_interval(mins => $4::int), sha256(convert_to($5, 'UTF8')), "
	    "COALESCE($6::timestamptz, now()))", 6, p, NULL);
out:
	json_object_put(roles);
	wd_db_free(r);
	wd_buf_cleanup(&sql);
	return rc;
}

/* PG array literal of role names (validated to [A-Za-z0-9_-]). */
static enum wd_err
role_array(struct wd_buf *b, const char *const *roles, size_t n)
{
	enum wd_err	 rc;
	size_t		 i;

	rc = wd_buf_add(b, "{", 1);
	for (i = 0; rc == WD_OK && i < n; i++) {
		if (i > 0)
			rc = wd_buf_add(b, ",", 1);
		if (rc == WD_OK)
			rc = wd_buf_adds(b, roles[i]);
	}
	if (rc == WD_OK)
		rc = wd_buf_add(b, "}", 1);
	return rc;
}

/* The roles a registration asks for, checked against the configuration
 * (HBP: default must be part of allowed; allowed a subset of ALLOWED). */
static enum wd_err
reg_roles(const struct wd_svc *s, const struct wd_reg *r, const char **def,
    const char **roles, size_t *n, const char **msg)
{
	size_t		 i, i2, k;
	int		 found = 0;

	*def = r->default_role != NULL ? r->default_role : s->default_role;
	*n = 0;
	if (r->allowed_roles == NULL) {
		for (i = 0; i < s->nroles; i++)
			roles[(*n)++] = s->roles[i];
	} else {
		k = json_object_array_length(r->allowed_roles);
		if (k == 0 || k > WD_SVC_MAX_LIST)
			goto bad;
		for (i = 0; i < k; i++) {
			struct json_object *e =
			    json_object_array_get_idx(r->allowed_roles, i);

			if (!json_object_is_type(e, json_type_string) ||
			    !wd_svc_role_ok(s, json_object_get_string(e))) {
				*msg = "allowed roles must be a subset of "
				    "WARDEN_ALLOWED_ROLES";
				return WD_E_BADREQ;
			}
			roles[*n] = json_object_get_string(e);
			/* a repeat is the client's mistake, not a conflict
			 * with another account (it was a 409) */
			for (i2 = 0; i2 < *n; i2++)
				if (strcmp(roles[i2], roles[*n]) == 0) {
					*msg = "allowed roles must not repeat "
					    "a role";
					return WD_E_BADREQ;
				}
			(*n)++;
		}
	}
	for (i = 0; i < *n; i++)
		if (strcmp(roles[i], *def) == 0)
			found = 1;
	if (found && wd_svc_role_ok(s, *def))
		return WD_OK;
bad:
	*msg = "Default role must be part of allowed roles.";
	return WD_E_BADREQ;
}

/* 1 if column name is one of WARDEN_JWT_CUSTOM_FIELDS. */
static int
claim_field(const struct wd_svc *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->njwt_fields; i++)
		if (strcmp(name, s->jwt_fields[i]) == 0)
			return 1;
	return 0;
}

enum wd_err
wd_acct_user_reset(struct wd_svc *s, const char *uid, const char *email)
{
	struct wd_buf	 sql;
	const char	*p[2] = { uid, email };
	enum wd_err	 rc;
	size_t		 i;

	wd_buf_init(&sql, 8192);
	(void)wd_buf_adds(&sql, "UPDATE public.users SET display_name = $2");
	/* names checked at start (wd_cfg: [a-z_][a-z0-9_]*) */
	for (i = 0; i < s->nreg_fields; i++)
		if (strcmp(s->reg_fields[i], "display_name") != 0)
			(void)wd_buf_addf(&sql, ", \"%s\" = DEFAULT",
			    s->reg_fields[i]);
	(void)wd_buf_adds(&sql, " WHERE id = $1");
	rc = wd_buf_status(&sql);
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, sql.p, 2, p, NULL);
	wd_buf_cleanup(&sql);
	return rc;
}

/*
 * INSERT INTO public.users with display_name = email plus the custom
 * registration fields present in user_data. A field that is also a
 * claim (WARDEN_JWT_CUSTOM_FIELDS) becomes an X-Hasura-* session
 * variable, which Hasura may send on as a header: no control
 * characters in it.
 */
static enum wd_err
insert_user(struct wd_svc *s, const struct wd_reg *r, char *uid,
    const char **msg)
{
	struct wd_buf	 sql, vals;
	const char	*p[WD_SVC_MAX_LIST + 1];
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;
	size_t		 i;
	int		 n = 1;

	wd_buf_init(&sql, 8192);
	wd_buf_init(&vals, 1024);
	p[0] = r->email;
	rc = wd_buf_adds(&sql, "INSERT INTO public.users (display_name");
	if (rc == WD_OK)
		rc = wd_buf_adds(&vals, ") VALUES ($1");
	if (r->user_data != NULL) {
		json_object_object_foreach(r->user_data, key, val) {
			int	 ok = 0;

			for (i = 0; i < s->nreg_fields; i++)
				if (strcmp(key, s->reg_fields[i]) == 0)
					ok = 1;
			if (!ok || n > WD_SVC_MAX_LIST) {
				*msg = "user_data field is not allowed";
				rc = WD_E_BADREQ;
				goto out;
			}
			if (claim_field(s, key) &&
			    wd_has_ctl(json_object_get_string(val))) {
				*msg = "user_data: a claim's value may not "
				    "hold control characters";
				rc = WD_E_BADREQ;
				goto out;
			}
			/* in place of the address, not a second column */
			if (strcmp(key, "display_name") == 0) {
				p[0] = json_object_get_string(val);
				continue;
			}
			if (rc == WD_OK)
				rc = wd_buf_addf(&sql, ", \"%s\"", key);
			if (rc == WD_OK)
				rc = wd_buf_addf(&vals, ", $%d", n + 1);
			/* strings as themselves, the rest as JSON text:
			 * PostgreSQL casts to the column's type */
			p[n++] = json_object_get_string(val);
		}
	}
	if (rc == WD_OK)
		rc = wd_buf_add(&sql, vals.p, vals.len);
	if (rc == WD_OK)
		rc = wd_buf_adds(&sql, ") RETURNING id");
	if (rc != WD_OK)
		goto out;
	rc = wd_db_exec(&s->db, sql.p, n, p, &res);
	if (rc == WD_E_BADREQ)
		*msg = "user_data has a value of the wrong type";
	if (rc != WD_OK)
		goto out;
	snprintf(uid, WD_UUID_LEN + 1, "%s", wd_db_val(res, 0, 0));
out:
	wd_db_free(res);
	wd_buf_cleanup(&sql);
	wd_buf_cleanup(&vals);
	return rc;
}

enum wd_err
wd_acct_link(const struct wd_svc *s, const char *path, const char *ticket,
    char *out, size_t outsz)
{
	const char	*base = wd_cfg_str(&s->cfg, WD_CFG_SERVER_URL);
	int		 n;

	if (base == NULL || base[0] == '\0')
		base = wd_cfg_str(&s->cfg, WD_CFG_URL);
	n = snprintf(out, outsz, "%s%s?ticket=%s", base == NULL ? "" : base,
	    path == NULL ? "" : path, ticket);
	return n < 0 || (size_t)n >= outsz ? WD_E_INTERNAL : WD_OK;
}

enum wd_err
wd_acct_mail(struct wd_svc *s, const char *tmpl, const char *rcpt,
    const char *path, const char *ticket)
{
	static const char *const names[] = { "ticket", "email", "link" };
	const char	*values[3];
	char		 link[WD_ACCT_MAX_LINK];
	enum wd_err	 rc;

	if (wd_acct_link(s, path, ticket, link, sizeof(link)) != WD_OK)
		return WD_E_INTERNAL;
	values[0] = ticket;
	values[1] = rcpt;
	values[2] = link;
	rc = wd_outbox_add(&s->db, tmpl, rcpt, names, values,
	    path == NULL ? 2 : 3);
	explicit_bzero(link, sizeof(link));
	return rc;
}

enum wd_err
wd_acct_ticket_new(struct wd_svc *s, const char *account_id,
    const char *purpose, long minutes, const char *new_email, char *out)
{
	char		 mins[24];
	const char	*p[5];
	enum wd_err	 rc;

	rc = wd_rand_uuid(out);
	if (rc != WD_OK)
		return rc;
	snprintf(mins, sizeof(mins), "%ld", minutes);
	p[0] = out;
	p[1] = account_id;
	p[2] = purpose;
	p[3] = mins;
	p[4] = new_email;
	/* one live ticket per purpose: a new request ends the old one; but
	 * never a revert ticket, whose holder a newer change (and its own
	 * revert ticket, mailed elsewhere) must not lock out */
	if (strcmp(purpose, "revert") != 0)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.tickets WHERE "
		    "account_id = $1::uuid AND purpose = $2", 2, p + 1, NULL);
	/* and the account's expired ones, so that none piles up */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.tickets WHERE "
		    "account_id = $1::uuid AND expires_at <= now()", 1, p + 1,
		    NULL);
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "INSERT INTO auth.tickets "
		    "(ticket_hash, account_id, purpose, expires_at, new_email) "
		    "VALUES (" TOKEN_HASH ", $2, $3, now() + make_interval("
		    "mins => $4::int), $5)", 5, p, NULL);
	return rc;
}

enum wd_err
wd_acct_ticket_take(struct wd_svc *s, const char *ticket,
    const char *purpose, struct wd_ticket *t)
{
	const char	*p[2] = { ticket, purpose };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	memset(t, 0, sizeof(*t));
	if (ticket == NULL || !wd_is_uuid(ticket, strlen(ticket)))
		return WD_E_UNAUTH;
	/* the account's row before the ticket's, the order of everyone who
	 * locks both (a password change ends the account's tickets after
	 * its UPDATE): the other order could deadlock with it */
	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.accounts a JOIN "
	    "auth.tickets t ON t.account_id = a.id WHERE t.ticket_hash = "
	    TOKEN_HASH " AND t.purpose = $2 FOR UPDATE OF a", 2, p, NULL);
	/* single use and purpose-bound: gone as it is spent; a ticket of
	 * another purpose is not touched */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "DELETE FROM auth.tickets t USING "
		    "auth.accounts a WHERE t.ticket_hash = " TOKEN_HASH " AND "
		    "t.purpose = $2 AND t.expires_at > now() AND a.id = "
		    "t.account_id RETURNING a.id, a.user_id, a.email, "
		    "t.new_email, t.created_at::text, t.mfa", 2, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_UNAUTH;
	if (rc == WD_OK) {
		snprintf(t->acct, sizeof(t->acct), "%s", wd_db_val(res, 0, 0));
		snprintf(t->uid, sizeof(t->uid), "%s", wd_db_val(res, 0, 1));
		snprintf(t->email, sizeof(t->email), "%s",
		    wd_db_val(res, 0, 2));
		snprintf(t->new_email, sizeof(t->new_email), "%s",
		    wd_db_val(res, 0, 3));
		snprintf(t->created, sizeof(t->created), "%s",
		    wd_db_val(res, 0, 4));
		t->mfa = wd_db_bool(res, 0, 5);
	}
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_acct_register(struct wd_svc *s, const struct wd_client *cl,
    const struct wd_reg *r, struct wd_sess *o, const char **msg)
{
	enum wd_err	 rc;
	struct wd_dbres	*res = NULL;
	char		 hash[WD_PW_HASH_MAX] = "", uid[WD_UUID_LEN + 1];
	char		 acct[WD_UUID_LEN + 1], ticket[WD_UUID_LEN + 1] = "";
	const char	*def, *roles[WD_SVC_MAX_LIST + 1], *p[6];
	struct wd_buf	 arr;

	wd_buf_init(&arr, 4096);
	*msg = NULL;
	rc = reg_roles(s, r, &def, roles, &arr.len, msg);
	if (rc != WD_OK)
		goto out;
	{
		size_t	 n = arr.len;

		arr.len = 0;
		rc = role_array(&arr, roles, n);
	}
	if (rc != WD_OK)
		goto out;
	if (r->pwlen < (size_t)s->min_pw) {
		*msg = "Password is too short.";
		rc = WD_E_BADREQ;
		goto out;
	}
	/* hash before the transaction: 50 ms of CPU holds no lock */
	rc = wd_pw_hash(r->pw, r->pwlen, hash);
	if (rc != WD_OK)
		goto out;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		goto out;
	p[0] = arr.p;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.roles (role) SELECT "
	    "unnest($1::text[]) ON CONFLICT DO NOTHING", 1, p, NULL);
	if (rc == WD_OK)
		rc = insert_user(s, r, uid, msg);
	if (rc != WD_OK)
		goto out;
	p[0] = uid;
	p[1] = r->email;
	p[2] = hash;
	p[3] = s->auto_activate ? "true" : "false";
	p[4] = def;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.accounts (user_id, email, "
	    "password_hash, active, default_role) VALUES ($1, $2, $3, $4, $5) "
	    "RETURNING id", 5, p, &res);
	if (rc == WD_E_CONFLICT) {
		/* no more than HBP's message: that the address is taken */
		*msg = "Account already exists.";
		goto out;
	}
	if (rc != WD_OK)
		goto out;
	snprintf(acct, sizeof(acct), "%s", wd_db_val(res, 0, 0));
	p[0] = acct;
	p[1] = arr.p;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.account_roles (account_id, "
	    "role) SELECT $1, unnest($2::text[])", 2, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "register", uid);
	if (rc != WD_OK)
		goto out;
	if (s->auto_activate)
		rc = wd_acct_issue(s, acct, NULL, o);
	else {
		snprintf(o->user_id, sizeof(o->user_id), "%s", uid);
		snprintf(o->email, sizeof(o->email), "%s", r->email);
		o->display_name = wd_xstrdup(r->email);
		/* queued in this transaction: the mailer sends it after
		 * COMMIT, and retries while the relay is down */
		rc = wd_acct_ticket_new(s, acct, "activate", WD_TICKET_MINUTES,
		    NULL, ticket);
		if (rc == WD_OK)
			rc = wd_acct_mail(s, "activate", r->email,
			    "/auth/activate", ticket);
	}
out:
	rc = wd_db_end(&s->db, rc);
	wd_db_free(res);
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(ticket, sizeof(ticket));
	wd_buf_cleanup(&arr);
	return rc;
}

/*
 * Locks the account of a login whose password checked out against hash,
 * read before the (slow, unlocked) hash, and makes sure it still holds:
 * a password change, a reset or a provider's reclaim (wd_ident) that
 * committed meanwhile voids the login (401, as a wrong password), so no
 * session is issued on a password the account no longer has. Under the
 * lock, a revocation that comes later also sees this session.
 */
static enum wd_err
still_same(struct wd_svc *s, const char *acct, const char *hash,
    const char **msg)
{
	const char	*p[2] = { acct, hash };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.accounts WHERE id = $1 "
	    "AND password_hash = $2 AND active FOR UPDATE", 2, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1) {
		rc = WD_E_UNAUTH;
		*msg = MSG_BADLOGIN;
	}
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_acct_login(struct wd_svc *s, const struct wd_client *cl,
    const char *email, const char *pw, size_t pwlen, struct wd_sess *o,
    const char **msg)
{
	enum wd_err	 rc;
	struct wd_dbres	*res = NULL;
	const char	*p[3], *hash = NULL;
	char		 acct[WD_UUID_LEN + 1], uid[WD_UUID_LEN + 1];
	char		 nh[WD_PW_HASH_MAX];
	int		 ok = 0, found;

	*msg = NULL;
	p[0] = email;
	/* read without a lock, and hash outside any transaction: a row
	 * lock held through the hash would serialise logins to one account,
	 * which both slows them and tells an observer the email exists */
	rc = wd_db_read(&s->db, "SELECT id, user_id, password_hash, active, "
	    "mfa_enabled FROM auth.accounts WHERE lower(email::text) = $1", 1,
	    p, &res);
	if (rc != WD_OK)
		goto out;
	found = wd_db_rows(res) == 1;
	if (found && !wd_db_null(res, 0, 2))
		hash = wd_db_val(res, 0, 2);
	/* unknown email and wrong password: same work, same answer */
	rc = wd_pw_verify(pw, pwlen, hash, &ok);
	if (rc != WD_OK)
		goto out;
	if (!found || !ok) {
		rc = WD_E_UNAUTH;
		*msg = MSG_BADLOGIN;
		goto out;
	}
	snprintf(acct, sizeof(acct), "%s", wd_db_val(res, 0, 0));
	snprintf(uid, sizeof(uid), "%s", wd_db_val(res, 0, 1));
	/* refused only after the password checked out */
	if (!wd_db_bool(res, 0, 3)) {
		rc = WD_E_FORBIDDEN;
		*msg = "Account is not activated.";
		goto out;
	}
	nh[0] = '\0';
	if (wd_pw_needs_rehash(hash) && (rc = wd_pw_hash(pw, pwlen, nh)) !=
	    WD_OK)
		goto out;
	rc = wd_db_begin(&s->db);
	if (rc == WD_OK)
		rc = still_same(s, acct, hash, msg);
	if (rc != WD_OK)
		goto out;
	if (nh[0] != '\0') {
		/* migrate an HBP bcrypt (or older) hash in place, unless the
		 * password changed meanwhile */
		p[0] = acct;
		p[1] = nh;
		p[2] = hash;
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET "
		    "password_hash = $2 WHERE id = $1 AND password_hash = $3",
		    3, p, NULL);
		explicit_bzero(nh, sizeof(nh));
		if (rc != WD_OK)
			goto out;
	}
	if (wd_db_bool(res, 0, 4)) {
		/* two-factor: no session yet, a short single-use ticket for
		 * POST /auth/mfa/totp with the code */
		rc = wd_acct_ticket_new(s, acct, "mfa", WD_MFA_TICKET_MINUTES,
		    NULL, o->mfa_ticket);
		if (rc == WD_OK)
			rc = wd_acct_audit(s, cl, "login_password", uid);
		goto out;
	}
	rc = wd_acct_audit(s, cl, "login", uid);
	if (rc == WD_OK)
		rc = wd_acct_issue(s, acct, NULL, o);
out:
	rc = wd_db_end(&s->db, rc);
	/* after wd_db_end: hash points into res */
	wd_db_free(res);
	if (rc == WD_E_UNAUTH)
		audit1(s, cl, "login_failed", email);
	else if (rc == WD_E_FORBIDDEN)
		audit1(s, cl, "login_inactive", NULL);
	return rc;
}

/*
 * Revokes session families: their refresh tokens go, and their sids are
 * published for the webhook (trigger NOTIFY, sql/002). where selects the
 * families from auth.refresh_tokens with the n parameters p ($1..$n).
 * To revoke a whole account the caller holds the account's row first
 * (see lock_token: otherwise a refresh in flight keeps its successor).
 */
enum wd_err
wd_acct_revoke(struct wd_svc *s, const char *where, const char *const *p,
    int n)
{
	char		 mins[24], sql[640];
	const char	*q[4];
	enum wd_err	 rc;
	long		 skew = s->key.skew;
	int		 i;

	if (n < 0 || n > 3)
		return WD_E_INTERNAL;
	for (i = 0; i < n; i++)
		q[i] = p[i];
	/* a revoked sid must outlive every access token of the session:
	 * one the previous key signed is accepted for that key's skew */
	if (s->key.prev != NULL && s->key.prev->skew > skew)
		skew = s->key.prev->skew;
	snprintf(mins, sizeof(mins), "%ld", s->jwt_min + (skew + 59) / 60 +
	    1);
	q[n] = mins;
	snprintf(sql, sizeof(sql), "INSERT INTO auth.revoked_sessions "
	    "(family_id, expires_at) SELECT DISTINCT family_id, now() + "
	    "make_interval(mins => $%d::int) FROM auth.refresh_tokens WHERE %s "
	    "ON CONFLICT (family_id) DO UPDATE SET expires_at = "
	    "EXCLUDED.expires_at", n + 1, where);
	rc = wd_db_exec(&s->db, sql, n + 1, q, NULL);
	if (rc != WD_OK)
		return rc;
	/* the email changes these sessions asked for, mailed to an address
	 * the asker chose, end with them (sql/015); one asked by no known
	 * session ends with any of the account's */
	snprintf(sql, sizeof(sql), "DELETE FROM auth.tickets t USING (SELECT "
	    "DISTINCT account_id, family_id FROM auth.refresh_tokens WHERE %s) "
	    "r WHERE t.purpose = 'email' AND t.account_id = r.account_id AND "
	    "(t.family_id IS NULL OR t.family_id = r.family_id)", where);
	rc = wd_db_exec(&s->db, sql, n, q, NULL);
	if (rc != WD_OK)
		return rc;
	snprintf(sql, sizeof(sql), "DELETE FROM auth.refresh_tokens WHERE "
	    "family_id IN (SELECT family_id FROM auth.refresh_tokens WHERE "
	    "%s)", where);
	rc = wd_db_exec(&s->db, sql, n, q, NULL);
	if (rc != WD_OK)
		return rc;
	/* expired entries go as new ones come, a few at a time (nothing
	 * reads them: the webhook's feed loads and keeps live ones only).
	 * Any token left in such a family goes with it, so no pruning can
	 * revive one (a successor kept by the race lock_token describes,
	 * from before it was closed). SKIP LOCKED: two sweeps take
	 * disjoint entries, never each other's rows in another order. */
	return wd_db_exec(&s->db, "WITH gone AS (DELETE FROM "
	    "auth.revoked_sessions WHERE family_id IN (SELECT family_id FROM "
	    "auth.revoked_sessions WHERE expires_at < now() ORDER BY "
	    "expires_at LIMIT 64 FOR UPDATE SKIP LOCKED) RETURNING family_id) "
	    "DELETE FROM auth.refresh_tokens WHERE family_id IN (SELECT "
	    "family_id FROM gone)", 0, NULL, NULL);
}

/*
 * Reuse of a rotated refresh token: revokes the whole family, commits
 * that (ending the caller's transaction either way) and answers 401.
 */
static enum wd_err
reused(struct wd_svc *s, const struct wd_client *cl, const char *fam,
    const char *uid)
{
	enum wd_err	 rc;

	rc = wd_acct_revoke(s, "family_id = $1::uuid", &fam, 1);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "refresh_reuse", uid);
	rc = wd_db_end(&s->db, rc);	/* commits only a complete revoke */
	return rc == WD_OK ? WD_E_UNAUTH : rc;
}

/* A refresh token's row, as refresh and logout need it. */
struct rtok {
	char	 fam[WD_UUID_LEN + 1];	/* the session (sid) */
	char	 acct[WD_UUID_LEN + 1];
	char	 uid[WD_UUID_LEN + 1];
	char	 started[64];	/* the session's start (timestamptz) */
	char	 salt[33];	/* successor_salt once rotated */
	int	 used;		/* rotated already */
	int	 live;		/* not expired */
	int	 active;	/* the account is active */
	int	 revoked;	/* the session was revoked */
	int	 grace;		/* rotated within the reuse interval, and no
				 * successor used yet: a race, not a theft */
	int	 young;		/* the session is younger than its maximum */
};

/* the account of the token $1, to lock before the token (lock_token) */
#define TOKEN_ACCOUNT	"SELECT 1 FROM auth.accounts a JOIN " \
			"auth.refresh_tokens r ON r.account_id = a.id " \
			"WHERE r.token_hash = " TOKEN_HASH

/*
 * Checks the token's form, opens the transaction (*db; the caller ends
 * it) and locks the token's row into t. FOR UPDATE: two uses of one
 * token serialise here, and the second sees it used. WD_E_UNAUTH when
 * malformed or unknown.
 *
 * The account's row is locked first (always before the token: one order
 * for everyone, no deadlock): FOR SHARE to use the token (refresh),
 * FOR UPDATE to revoke (logout). Every revocation of a whole account
 * holds that row exclusively before it reads the account's tokens (an
 * UPDATE of the account, or SELECT ... FOR UPDATE), so a refresh in
 * flight either commits its successor before the revocation reads the
 * tokens, and it is revoked with them, or finds its token gone. Without
 * it the successor of a refresh racing "logout all" or a password change
 * outlived the revocation as a row, refused only by the session's
 * revoked_sessions entry.
 */
static enum wd_err
lock_token(struct wd_svc *s, const char *token, int revoke, struct rtok *t)
{
	enum wd_err	 rc;
	struct wd_dbres	*res = NULL;
	char		 grace[24], age[24];
	const char	*p[3] = { token, grace, age };

	if (token == NULL || !wd_is_uuid(token, strlen(token)))
		return WD_E_UNAUTH;
	snprintf(grace, sizeof(grace), "%ld", s->reuse_interval);
	snprintf(age, sizeof(age), "%ld", s->session_max_age);
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = wd_db_exec(&s->db, revoke ? TOKEN_ACCOUNT " FOR UPDATE OF a" :
	    TOKEN_ACCOUNT " FOR SHARE OF a", 1, p, NULL);
	if (rc != WD_OK)
		return rc;
	/* grace (GoTrue's reuse interval): the token was rotated less than
	 * $2 seconds ago and none of its successors has been used since;
	 * a single-use token (a provider sign-in's, issue 12) has none */
	rc = wd_db_exec(&s->db, "SELECT r.family_id, r.account_id, a.user_id, "
	    "r.used_at IS NOT NULL, r.expires_at > now(), a.active, EXISTS "
	    "(SELECT 1 FROM auth.revoked_sessions v WHERE v.family_id = "
	    "r.family_id), r.used_at > now() - make_interval(secs => "
	    "$2::int) AND NOT r.single_use AND NOT EXISTS (SELECT 1 FROM "
	    "auth.refresh_tokens c WHERE c.parent_hash = r.token_hash AND "
	    "c.used_at IS NOT NULL), "
	    "r.session_started_at > now() - make_interval(secs => $3::int), "
	    "r.session_started_at::text, COALESCE(r.successor_salt, '') "
	    "FROM auth.refresh_tokens r JOIN "
	    "auth.accounts a ON a.id = r.account_id WHERE r.token_hash = "
	    TOKEN_HASH " FOR UPDATE OF r", 3, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_UNAUTH;
	if (rc != WD_OK)
		goto out;
	snprintf(t->fam, sizeof(t->fam), "%s", wd_db_val(res, 0, 0));
	snprintf(t->acct, sizeof(t->acct), "%s", wd_db_val(res, 0, 1));
	snprintf(t->uid, sizeof(t->uid), "%s", wd_db_val(res, 0, 2));
	t->used = wd_db_bool(res, 0, 3);
	t->live = wd_db_bool(res, 0, 4);
	t->active = wd_db_bool(res, 0, 5);
	t->revoked = wd_db_bool(res, 0, 6);
	t->grace = wd_db_bool(res, 0, 7);
	t->young = wd_db_bool(res, 0, 8);
	snprintf(t->started, sizeof(t->started), "%s", wd_db_val(res, 0, 9));
	snprintf(t->salt, sizeof(t->salt), "%s", wd_db_val(res, 0, 10));
out:
	wd_db_free(res);
	return rc;
}

/*
 * The successor of a refresh token: derived from the token itself and
 * the salt drawn when it was rotated, so the same successor can be given
 * again within the reuse interval (GoTrue's semantics) although only
 * hashes are stored. Without the token the salt derives nothing.
 */
static void
successor(const char *token, const char *salt, char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, "warden successor|", 17) ||
	    !EVP_DigestUpdate(ctx, token, strlen(token)) ||
	    !EVP_DigestUpdate(ctx, "|", 1) ||
	    !EVP_DigestUpdate(ctx, salt, strlen(salt)) ||
	    !EVP_DigestFinal_ex(ctx, md, &n) || n < 16)
		abort();	/* libcrypto out of memory */
	EVP_MD_CTX_free(ctx);
	wd_uuid_format(md, out);
	explicit_bzero(md, sizeof(md));
}

enum wd_err
wd_acct_refresh(struct wd_svc *s, const struct wd_client *cl,
    const char *token, struct wd_sess *o, const char **msg)
{
	enum wd_err	 rc;
	struct rtok	 t;
	struct wd_origin from;
	unsigned char	 raw[16];
	char		 salt[33], next[WD_UUID_LEN + 1];
	const char	*p[2] = { token, salt };
	int		 i;

	*msg = MSG_BADREFRESH;
	memset(&from, 0, sizeof(from));
	rc = lock_token(s, token, 0, &t);
	if (rc != WD_OK)
		goto out;
	if (t.used && (!t.grace || t.salt[0] == '\0')) {
		/* a rotated token came back after its successor was used, or
		 * long after its rotation: someone holds a copy. The family
		 * goes under the account's row held exclusively, as logout
		 * takes it (under FOR SHARE a rotation of the family in
		 * flight would keep its successor): taken afresh in a new
		 * transaction, never upgraded (two holders upgrading would
		 * deadlock). Once used, a token stays used: the decision
		 * holds. */
		(void)wd_db_end(&s->db, WD_E_UNAUTH);
		rc = lock_token(s, token, 1, &t);
		if (rc != WD_OK)
			goto out;
		return reused(s, cl, t.fam, t.uid);
	}
	rc = WD_E_UNAUTH;
	if (!t.live || !t.active || t.revoked || !t.young)
		goto out;
	if (t.used) {
		/* within the interval, before the successor was used (two
		 * tabs racing, a retried request): the same successor again,
		 * so both holders share one token and a later copy collides */
		snprintf(salt, sizeof(salt), "%s", t.salt);
		from.stored = 1;
		rc = WD_OK;
	} else {
		rc = wd_rand_bytes(raw, sizeof(raw));
		for (i = 0; rc == WD_OK && i < 16; i++)
			snprintf(salt + 2 * i, 3, "%02x", raw[i]);
		if (rc == WD_OK)
			rc = wd_db_exec(&s->db, "UPDATE auth.refresh_tokens "
			    "SET used_at = now(), successor_salt = $2 WHERE "
			    "token_hash = " TOKEN_HASH, 2, p, NULL);
	}
	if (rc != WD_OK)
		goto out;
	successor(token, salt, next);
	rc = wd_acct_audit(s, cl, t.used ? "refresh_again" : "refresh", t.uid);
	from.family = t.fam;
	from.parent = token;
	from.started = t.started;
	from.token = next;
	if (rc == WD_OK)
		rc = wd_acct_issue(s, t.acct, &from, o);
	if (rc == WD_OK)
		*msg = NULL;
out:
	explicit_bzero(next, sizeof(next));
	return wd_db_end(&s->db, rc);
}

enum wd_err
wd_acct_logout(struct wd_svc *s, const struct wd_client *cl,
    const char *token, int all, const char **msg)
{
	enum wd_err	 rc;
	struct rtok	 t;
	const char	*which;

	*msg = MSG_BADREFRESH;
	rc = lock_token(s, token, 1, &t);
	if (rc != WD_OK)
		goto out;
	if (t.used && !t.grace) {
		/* a rotated token, expired or not: a copy is in other hands
		 * (as in refresh); its session ends, as the logout asks */
		rc = reused(s, cl, t.fam, t.uid);	/* ends the tx */
		goto ended;
	}
	if (!t.live) {
		rc = WD_E_UNAUTH;
		goto out;
	}
	which = all ? t.acct : t.fam;
	if (all)
		rc = wd_acct_revoke(s, "account_id = $1::uuid", &which, 1);
	else
		rc = wd_acct_revoke(s, "family_id = $1::uuid", &which, 1);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, all ? "logout_all" : "logout", t.uid);
out:
	rc = wd_db_end(&s->db, rc);
ended:
	/* a token that names no live session (unknown, expired, spent,
	 * signed out before) is signed out already: 204, as HBP answers
	 * and RFC 7009 §2.2 has it for an invalid token. Not for "all":
	 * such a token cannot say which account's other sessions to end,
	 * and a 204 would tell a user who fears a thief that they ended */
	if (rc == WD_E_UNAUTH && !all)
		rc = WD_OK;
	if (rc == WD_OK)
		*msg = NULL;
	return rc;
}

enum wd_err
wd_acct_revoke_all(struct wd_svc *s, const struct wd_client *cl,
    const char *uid)
{
	const char	*p[1] = { uid };
	enum wd_err	 rc;

	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	/* the account first, as lock_token takes it */
	rc = wd_db_exec(&s->db, "SELECT 1 FROM auth.accounts WHERE user_id = "
	    "$1::uuid FOR UPDATE", 1, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_revoke(s, "account_id = (SELECT id FROM "
		    "auth.accounts WHERE user_id = $1::uuid)", p, 1);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "logout_all", uid);
	return wd_db_end(&s->db, rc);
}

enum wd_err
wd_acct_activate(struct wd_svc *s, const struct wd_client *cl,
    const char *ticket, const char **msg)
{
	struct wd_ticket	 t;
	const char		*p[1];
	enum wd_err		 rc;

	*msg = MSG_BADTICKET;
	rc = wd_db_begin(&s->db);
	if (rc != WD_OK)
		return rc;
	rc = wd_acct_ticket_take(s, ticket, "activate", &t);
	p[0] = t.acct;
	/* the ticket went to the address: it is proven (sql/010) */
	if (rc == WD_OK)
		rc = wd_db_exec(&s->db, "UPDATE auth.accounts SET active = "
		    "true, email_verified = true WHERE id = $1", 1, p, NULL);
	if (rc == WD_OK)
		rc = wd_acct_audit(s, cl, "activate", t.uid);
	if (rc == WD_OK)
		*msg = NULL;
	return wd_db_end(&s->db, rc);
}

enum wd_err
wd_acct_alive(struct wd_svc *s, const char *user_id, const char *sid)
{
	const char	*p[2] = { user_id, sid[0] == '\0' ? NULL : sid };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_read(&s->db, "SELECT a.active AND NOT EXISTS (SELECT 1 "
	    "FROM auth.revoked_sessions v WHERE v.family_id = $2::uuid) FROM "
	    "auth.accounts a WHERE a.user_id = $1::uuid", 2, p, &res);
	if (rc == WD_OK && (wd_db_rows(res) != 1 || !wd_db_bool(res, 0, 0)))
		rc = WD_E_UNAUTH;
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_acct_user(struct wd_svc *s, const char *user_id, const char *sid,
    struct json_object **out)
{
	enum wd_err		 rc;
	struct wd_dbres		*res = NULL;
	const char		*p[2] = { user_id, sid };
	struct json_object	*o = NULL, *roles = NULL;

	*out = NULL;
	rc = WD_E_UNAUTH;
	if (!wd_is_uuid(user_id, strlen(user_id)) ||
	    (sid != NULL && !wd_is_uuid(sid, strlen(sid))))
		goto out;
	rc = wd_db_read(&s->db, "SELECT u.id, a.email, u.display_name, "
	    "u.avatar_url, a.default_role, array_to_json(ARRAY(SELECT role "
	    "FROM auth.account_roles r WHERE r.account_id = a.id ORDER BY "
	    "role))::text, EXISTS (SELECT 1 FROM auth.revoked_sessions v "
	    "WHERE v.family_id = $2::uuid), a.active FROM public.users u JOIN "
	    "auth.accounts a ON a.user_id = u.id WHERE u.id = $1::uuid", 2, p,
	    &res);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_UNAUTH;
	if (wd_db_rows(res) != 1 || wd_db_bool(res, 0, 6) ||
	    !wd_db_bool(res, 0, 7))
		goto out;
	rc = WD_E_INTERNAL;
	if (wd_json_parse(wd_db_val(res, 0, 5), strlen(wd_db_val(res, 0, 5)),
	    4, &roles) != WD_OK)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "id",
	    json_object_new_string(wd_db_val(res, 0, 0)));
	json_object_object_add(o, "email",
	    json_object_new_string(wd_db_val(res, 0, 1)));
	json_object_object_add(o, "display_name", wd_db_null(res, 0, 2) ?
	    NULL : json_object_new_string(wd_db_val(res, 0, 2)));
	json_object_object_add(o, "avatar_url", wd_db_null(res, 0, 3) ?
	    NULL : json_object_new_string(wd_db_val(res, 0, 3)));
	json_object_object_add(o, "default_role",
	    json_object_new_string(wd_db_val(res, 0, 4)));
	json_object_object_add(o, "roles", roles);
	roles = NULL;
	*out = o;
	rc = WD_OK;
out:
	json_object_put(roles);
	wd_db_free(res);
	return rc;
}
