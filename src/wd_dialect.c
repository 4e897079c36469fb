/*
 * wd_dialect.c: the HBP v2 REST and Hasura Action shapes of the account
 * routes. Trust boundary: everything here is the client's (or, for
 * actions, Hasura's on the client's behalf): the body is size-checked
 * before it is read and parsed strictly, every field an operation takes
 * is type- and size-checked here, and the action secret is checked
 * before a byte of an action body is read, since it is the only thing
 * that tells Hasura from a client calling /actions/ directly.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wd_auth.h"
#include "wd_dialect.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_page.h"
#include "wd_pw.h"
#include "wd_util.h"

#define WD_MAX_AUTH_BODY	(16 * 1024)	/* no credential route needs
						 * more; smaller than the hook's
						 * (routes without credentials,
						 * STYLE.md §6) */
#define RT_COOKIE		"refresh_token"
#define BIT(f)			(1u << (f))

/* Wire names: HBP v2 bodies and the input fields of
 * metadata/actions.graphql use the same ones. */
static const char *const names[WD_FLD__MAX] = {
	[WD_FLD_EMAIL]			= "email",
	[WD_FLD_PASSWORD]		= "password",
	[WD_FLD_COOKIE]			= "cookie",
	[WD_FLD_USER_DATA]		= "user_data",
	[WD_FLD_REGISTER_OPTIONS]	= "register_options",
	[WD_FLD_ALL]			= "all",
	[WD_FLD_REFRESH_TOKEN]		= "refresh_token",
	[WD_FLD_TICKET]			= "ticket",
	[WD_FLD_OLD_PASSWORD]		= "old_password",
	[WD_FLD_NEW_PASSWORD]		= "new_password",
	[WD_FLD_NEW_EMAIL]		= "new_email",
	[WD_FLD_CODE]			= "code",
};
_Static_assert(sizeof(names) / sizeof(names[0]) == WD_FLD__MAX,
    "field names");

static const char *
type_name(enum json_type t)
{
	switch (t) {
	case json_type_boolean:
		return "a boolean";
	case json_type_string:
		return "a string";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	default:
		return "a number";
	}
}

/*
 * The caller, for audit rows and throttles: REMOTE_ADDR, or behind a
 * trusted proxy the address it reports (wd_addr); and whether the client
 * reached us over https (X-Forwarded-Proto from a trusted proxy).
 *
 * An action's peer is Hasura, whose address every user shares, so no
 * per-address limit applies to it; but with WARDEN_ACTIONS_FORWARDED_FOR
 * (Hasura forwards the client's headers, forward_client_headers, and a
 * proxy in front of it reports the client in X-Forwarded-For) the
 * address found there past WARDEN_TRUSTED_PROXIES, Hasura's included, is
 * the caller's, and the per-address limits apply to the action as to the
 * REST route (README, "Throttles"). Only then: a proxy in front of Warden
 * that the REST routes trust would otherwise name Hasura, one address
 * for every action caller, and make those limits one for the whole site.
 */
static void
client(const struct wd_svc *s, struct wd_req *rq, struct wd_areq *in,
    int via_hasura)
{
	struct wd_client	*who = &in->who;
	const char		*ip = wd_http_param(rq, "REMOTE_ADDR");
	const char		*xff;
	int			 trusted;

	xff = wd_http_param(rq, "HTTP_X_FORWARDED_FOR");
	trusted = ip != NULL && wd_cidr_match(s->proxies, s->nproxies, ip,
	    strlen(ip));
	wd_acct_client(s, rq, who);
	in->secure = wd_acct_https(s, rq);
	who->via_hasura = via_hasura && !(s->actions_xff && trusted &&
	    xff != NULL && xff[0] != '\0');
	/* nor does the audit log take an action's X-Forwarded-For then:
	 * through forward_client_headers a client writes it */
	if (who->via_hasura && ip != NULL) {
		wd_addr_client(ip, NULL, NULL, 0, who->ip);
		wd_addr_bucket(who->ip, who->bucket);
	}
}

/* 1 if the Content-Type is JSON (application/json, parameters allowed). */
static int
is_json(const char *ct)
{
	size_t	 n = sizeof("application/json") - 1;

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/*
 * Reads and parses a JSON object body; no body is WD_OK with *out NULL
 * unless required. A body of another type is WD_E_MEDIATYPE before a
 * byte is read: an HTML form (text/plain, urlencoded, multipart) can
 * post cross-site without a preflight, JSON cannot (login CSRF).
 */
static enum wd_err
read_json(struct wd_req *rq, int required, struct json_object **out)
{
	const char	*cl = wd_http_param(rq, "CONTENT_LENGTH");
	enum wd_err	 rc;

	*out = NULL;
	if (!required && (cl == NULL || cl[0] == '\0' ||
	    strcmp(cl, "0") == 0))
		return WD_OK;
	if (!is_json(wd_http_param(rq, "CONTENT_TYPE")))
		return WD_E_MEDIATYPE;
	rc = wd_http_read_body(rq, WD_MAX_AUTH_BODY);
	if (rc != WD_OK)
		return rc;
	if (!required && rq->body.len == 0)
		return WD_OK;
	rc = wd_json_parse(rq->body.p, rq->body.len, WD_MAX_JSON_DEPTH, out);
	if (rc != WD_OK)
		return rc;
	return json_object_is_type(*out, json_type_object) ? WD_OK :
	    WD_E_BADJSON;
}

/* 1 if the Content-Type is an HTML form's default encoding. */
static int
is_form(const char *ct)
{
	size_t	 n = sizeof("application/x-www-form-urlencoded") - 1;

	return ct != NULL && strncasecmp(ct,
	    "application/x-www-form-urlencoded", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';');
}

/*
 * The body of the form a link page posts (WD_OP_LINK), as a JSON object
 * of the string fields op takes; other names are ignored, a repeated or
 * malformed one is WD_E_BADREQ (wd_query_get).
 */
static enum wd_err
read_form(struct wd_req *rq, const struct wd_op *op, struct json_object **out)
{
	char		 v[WD_PW_MAX + 1];
	enum wd_err	 rc;
	int		 f;

	*out = NULL;
	rc = wd_http_read_body(rq, WD_MAX_AUTH_BODY);
	if (rc != WD_OK)
		return rc;
	*out = json_object_new_object();
	for (f = 0; f < WD_FLD__MAX; f++) {
		if (op->in[f].type != json_type_string)
			continue;
		rc = wd_query_get(wd_buf_str(&rq->body), names[f], v,
		    sizeof(v));
		if (rc == WD_E_NOTFOUND)
			continue;
		if (rc != WD_OK)
			break;
		json_object_object_add(*out, names[f],
		    json_object_new_string(v));
		rc = WD_OK;
	}
	explicit_bzero(v, sizeof(v));
	return rc == WD_E_NOTFOUND ? WD_OK : rc;
}

/* Checks v (may be NULL) against field f of op and stores it. */
static enum wd_err
check(const struct wd_op *op, enum wd_fld f, struct json_object *v,
    struct wd_areq *in, const char **msg)
{
	const struct wd_fldspec	*sp = &op->in[f];

	if (v == NULL || json_object_is_type(v, json_type_null)) {
		if (!sp->required)
			return WD_OK;
		snprintf(in->msgbuf, sizeof(in->msgbuf), "\"%s\" is required",
		    names[f]);
	} else if (!json_object_is_type(v, sp->type))
		snprintf(in->msgbuf, sizeof(in->msgbuf), "\"%s\" must be %s",
		    names[f], type_name(sp->type));
	else if (sp->type == json_type_string &&
	    (size_t)json_object_get_string_len(v) > sp->max)
		snprintf(in->msgbuf, sizeof(in->msgbuf), "\"%s\" is longer "
		    "than %zu bytes", names[f], sp->max);
	/* "\u0000" would cut the C string a handler reads */
	else if (sp->type == json_type_string &&
	    memchr(json_object_get_string(v), '\0',
	    (size_t)json_object_get_string_len(v)) != NULL)
		snprintf(in->msgbuf, sizeof(in->msgbuf), "\"%s\" must not "
		    "contain NUL", names[f]);
	else {
		in->f[f] = v;
		return WD_OK;
	}
	*msg = in->msgbuf;
	return WD_E_BADREQ;
}

/* Takes every field op takes from obj (may be NULL), except skip's. */
static enum wd_err
take(const struct wd_op *op, struct json_object *obj, unsigned skip,
    struct wd_areq *in, const char **msg)
{
	struct json_object	*v;
	enum wd_err		 rc;
	int			 f;

	for (f = 0; f < WD_FLD__MAX; f++) {
		if (op->in[f].type == json_type_null || (skip & BIT(f)))
			continue;
		v = NULL;
		if (obj != NULL)
			json_object_object_get_ex(obj, names[f], &v);
		rc = check(op, f, v, in, msg);
		if (rc != WD_OK)
			return rc;
	}
	return WD_OK;
}

/* A value from outside the body (query, cookie) as field f. */
static enum wd_err
put_str(const struct wd_op *op, enum wd_fld f, const char *v, size_t len,
    struct wd_areq *in, const char **msg)
{
	struct json_object	*o = json_object_new_string_len(v, (int)len);

	if (in->own == NULL)
		in->own = json_object_new_object();
	json_object_object_add(in->own, names[f], o);
	return check(op, f, o, in, msg);
}

/* ---- HBP v2 REST (API.md §5) ---- */

/*
 * The refresh token: ?refresh_token= first (nhost-js-sdk), else the
 * cookie. One from the query is answered in the body (HBP).
 */
static enum wd_err
rest_token(struct wd_req *rq, const struct wd_op *op, struct wd_areq *in,
    const char **msg)
{
	char		 tok[WD_MAX_QUERY_VALUE];
	const char	*h, *v = NULL;
	size_t		 len = 0;
	enum wd_err	 rc;

	rc = wd_http_query(rq, names[WD_FLD_REFRESH_TOKEN], tok, sizeof(tok));
	if (rc == WD_OK) {
		in->cookie = 0;
		rc = put_str(op, WD_FLD_REFRESH_TOKEN, tok, strlen(tok), in,
		    msg);
		explicit_bzero(tok, sizeof(tok));
		return rc;
	}
	if (rc != WD_E_NOTFOUND)
		return rc;
	h = wd_http_param(rq, "HTTP_COOKIE");
	if (h == NULL)
		return WD_OK;
	rc = wd_auth_cookie(h, strlen(h), RT_COOKIE, &v, &len);
	if (rc == WD_E_BADHEADER)	/* repeated: ambiguous */
		return WD_E_BADREQ;
	if (rc != WD_OK)
		return WD_OK;
	return put_str(op, WD_FLD_REFRESH_TOKEN, v, len, in, msg);
}

/* Cookie mode: the refresh token comes in, or will go out in, the
 * cookie (API.md §5.1). A logout without ?refresh_token= is one (it
 * ends the cookie's session), so a cross-site form cannot sign a victim
 * out; one that names its token does not touch the cookie. */
static int
uses_cookie(const struct wd_op *op, const struct wd_areq *in)
{
	return in->cookie && ((op->flags & WD_OP_CLEARS_COOKIE) ||
	    op->in[WD_FLD_COOKIE].type != json_type_null ||
	    op->in[WD_FLD_REFRESH_TOKEN].type != json_type_null);
}

/* The request comes from a browser page on an origin that may not use
 * the session cookie. */
static int
foreign(const struct wd_svc *s, struct wd_req *rq)
{
	const char	*h = wd_http_param(rq, "HTTP_ORIGIN");

	return h != NULL && !wd_cors_allowed(&s->cors, h, strlen(h));
}

static enum wd_err
hbp2_parse(struct wd_svc *s, struct wd_req *rq, const struct wd_op *op,
    struct wd_areq *in, const char **msg)
{
	char		 t[WD_MAX_QUERY_VALUE];
	const char	*h;
	enum wd_err	 rc;

	unsigned	 skip = BIT(WD_FLD_REFRESH_TOKEN);

	client(s, rq, in, 0);
	if (strcmp(rq->method, "GET") != 0) {
		/* an emailed link's page posts a form; everything else JSON */
		if ((op->flags & WD_OP_LINK) &&
		    is_form(wd_http_param(rq, "CONTENT_TYPE"))) {
			in->form = 1;
			rc = read_form(rq, op, &in->root);
		} else
			rc = read_json(rq, 0, &in->root);
		if (rc != WD_OK)
			return rc;
	} else
		skip |= BIT(WD_FLD_TICKET);	/* ?ticket= */
	rc = take(op, in->root, skip, in, msg);
	if (rc != WD_OK)
		return rc;
	/* cookie: absent = true (HBP) */
	in->cookie = wd_areq_bool(in, WD_FLD_COOKIE, 1);
	if (op->in[WD_FLD_REFRESH_TOKEN].type != json_type_null) {
		rc = rest_token(rq, op, in, msg);
		if (rc != WD_OK)
			return rc;
	}
	if ((skip & BIT(WD_FLD_TICKET)) &&
	    op->in[WD_FLD_TICKET].type != json_type_null) {
		rc = wd_http_query(rq, names[WD_FLD_TICKET], t, sizeof(t));
		if (rc == WD_OK)
			rc = put_str(op, WD_FLD_TICKET, t, strlen(t), in, msg);
		if (rc != WD_OK && rc != WD_E_NOTFOUND)
			return rc;
	}
	h = wd_http_param(rq, "HTTP_AUTHORIZATION");
	if (h != NULL && wd_auth_bearer(h, strlen(h), &in->bearer,
	    &in->bearer_len) != WD_OK)
		in->bearer = NULL;
	/* a browser sends Origin with cross-site requests: only the
	 * configured origins may use (or plant) the session cookie */
	if (uses_cookie(op, in) && foreign(s, rq))
		return WD_E_ORIGIN;
	return WD_OK;
}

/* Set-Cookie for the refresh token (value "" clears it). */
static void
rt_cookie(const struct wd_svc *s, const struct wd_areq *in,
    struct wd_hdrs *h, const char *val)
{
	char	 c[256];

	snprintf(c, sizeof(c), RT_COOKIE "=%s; Path=/auth; Max-Age=%ld; "
	    "HttpOnly; SameSite=Lax%s", val, val[0] == '\0' ? 0 :
	    s->refresh_min * 60, in->secure ? "; Secure" : "");
	wd_hdrs_add(h, "Set-Cookie", c);
}

/* Retry-After (RFC 9110 §10.2.3) on a throttled answer. */
static void
retry_after(struct wd_hdrs *h, enum wd_err rc, const struct wd_ares *out)
{
	char	 v[24];

	if (rc != WD_E_RATELIMIT || out->retry_after <= 0)
		return;
	snprintf(v, sizeof(v), "%ld", out->retry_after);
	wd_hdrs_add(h, "Retry-After", v);
}

static void
send_json(struct wd_req *rq, int status, struct json_object *o,
    const struct wd_hdrs *h)
{
	const char	*js = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN);

	wd_http_send(rq, status, h, "application/json", js, strlen(js));
}

static struct json_object *
str_or_null(const char *s)
{
	return s == NULL ? NULL : json_object_new_string(s);
}

/* HBP's session object; the refresh token in a cookie, or in the body
 * when the caller asked for no cookie. */
static void
hbp2_session(const struct wd_svc *s, struct wd_req *rq,
    const struct wd_areq *in, const struct wd_sess *o)
{
	struct json_object	*r = json_object_new_object(), *u;
	struct wd_hdrs		 h;
	int			 active = o->jwt != NULL;

	wd_hdrs_init(&h);
	json_object_object_add(r, "jwt_token", str_or_null(o->jwt));
	json_object_object_add(r, "jwt_expires_in", active ?
	    json_object_new_int64(o->expires_ms) : NULL);
	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(o->user_id));
	json_object_object_add(u, "email", json_object_new_string(o->email));
	json_object_object_add(u, "display_name", str_or_null(o->display_name));
	json_object_object_add(r, "user", u);
	if (active && !in->cookie)
		json_object_object_add(r, "refresh_token",
		    json_object_new_string(o->refresh));
	/* HBP: a body token clears the cookie; but not a GET's (a refresh
	 * by ?refresh_token=): a cross-site link to one, with a token of
	 * the linker's own, would otherwise sign the victim out */
	if (active && (in->cookie || strcmp(rq->method, "GET") != 0))
		rt_cookie(s, in, &h, in->cookie ? o->refresh : "");
	send_json(rq, 200, r, &h);
	json_object_put(r);
}

static void
hbp2_answer(struct wd_svc *s, struct wd_req *rq, const struct wd_op *op,
    const struct wd_areq *in, enum wd_err rc, const struct wd_ares *out)
{
	struct wd_hdrs		 h;
	struct json_object	*r;
	const char		*url;

	wd_hdrs_init(&h);
	/* activation only: the other links' forms (reset, email change)
	 * are not where WARDEN_REDIRECT_URL_* point, and a reset that
	 * failed on a weak password keeps its ticket for another try */
	if (op->flags & WD_OP_REDIRECTS) {
		url = wd_cfg_str(&s->cfg, rc == WD_OK ?
		    WD_CFG_REDIRECT_URL_SUCCESS : WD_CFG_REDIRECT_URL_ERROR);
		if (url != NULL && url[0] != '\0' && rc != WD_E_DBDOWN) {
			wd_hdrs_add(&h, "Location", url);
			wd_http_send(rq, 302, &h, NULL, NULL, 0);
			return;
		}
	}
	if (in->form) {
		/* a person submitted the link's page: answer a page */
		wd_page_result(rq, rc, out->msg);
		return;
	}
	if (rc != WD_OK) {
		retry_after(&h, rc, out);
		wd_http_error_hdrs(rq, rc, out->msg, &h);
		return;
	}
	switch (out->kind) {
	case WD_RES_SESSION:
		hbp2_session(s, rq, in, &out->sess);
		break;
	case WD_RES_JSON:
		if (out->cache != NULL)
			wd_hdrs_add(&h, "Cache-Control", out->cache);
		send_json(rq, 200, out->json, &h);
		break;
	case WD_RES_MFA:
		r = json_object_new_object();
		json_object_object_add(r, "mfa", json_object_new_boolean(1));
		json_object_object_add(r, "ticket",
		    json_object_new_string(out->sess.mfa_ticket));
		send_json(rq, 200, r, &h);
		json_object_put(r);
		break;
	default:
		/* a logout by ?refresh_token= from a foreign page leaves
		 * the cookie (another session, maybe) alone */
		if ((op->flags & WD_OP_CLEARS_COOKIE) && !foreign(s, rq))
			rt_cookie(s, in, &h, "");
		if (out->note == NULL) {
			wd_http_send(rq, 204, &h, NULL, NULL, 0);
			break;
		}
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(1));
		json_object_object_add(r, "message",
		    json_object_new_string(out->note));
		send_json(rq, 200, r, &h);
		json_object_put(r);
		break;
	}
}

const struct wd_dialect wd_dialect_hbp2 = {
	"hbp2", hbp2_parse, hbp2_answer
};

/* ---- Hasura Actions (API.md §6, hasura.md §2) ---- */

/* Session variable name of sv (an object) if it is a string, else
 * NULL. */
static const char *
session_var(struct json_object *sv, const char *name)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(sv, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static enum wd_err
action_parse(struct wd_svc *s, struct wd_req *rq, const struct wd_op *op,
    struct wd_areq *in, const char **msg)
{
	struct json_object	*input = NULL, *sv = NULL;
	const char		*sec;
	enum wd_err		 rc;

	client(s, rq, in, 1);
	/* before reading anything else: only Hasura knows it */
	sec = wd_http_param(rq, "HTTP_X_WARDEN_ACTION_SECRET");
	if (sec == NULL || !wd_ct_eq(sec, strlen(sec), s->action_secret,
	    strlen(s->action_secret)))
		return WD_E_UNAUTH;
	rc = read_json(rq, 1, &in->root);
	if (rc != WD_OK)
		return rc;
	if (!json_object_object_get_ex(in->root, "input", &input) ||
	    !json_object_is_type(input, json_type_object)) {
		*msg = "\"input\" must be an object";
		return WD_E_BADREQ;
	}
	in->cookie = 0;		/* actions answer in the body only */
	/* the caller Hasura vouches for (lower-case keys, hasura.md §2) */
	if (json_object_object_get_ex(in->root, "session_variables", &sv) &&
	    json_object_is_type(sv, json_type_object)) {
		in->session_uid = session_var(sv, "x-hasura-user-id");
		/* Warden's tokens carry it (wd_jwt_mint): a revoked
		 * session's calls are refused */
		in->session_sid = session_var(sv, "x-hasura-session-id");
	}
	return take(op, input, 0, in, msg);
}

static void
action_answer(struct wd_svc *s, struct wd_req *rq, const struct wd_op *op,
    const struct wd_areq *in, enum wd_err rc, const struct wd_ares *out)
{
	const struct wd_errinfo	*ei = wd_err_info(rc);
	const struct wd_sess	*o = &out->sess;
	struct json_object	*r, *ext;
	struct wd_hdrs		 h;
	int			 status = ei->status, active = o->jwt != NULL;

	(void)s;
	(void)op;
	(void)in;
	wd_hdrs_init(&h);
	retry_after(&h, rc, out);
	r = json_object_new_object();
	if (rc != WD_OK) {
		/* Hasura reads only 4xx bodies of action handlers (hasura.md
		 * §2.2); a 5xx would turn into an opaque "internal error" */
		if (status >= 500)
			status = 400;
		ext = json_object_new_object();
		json_object_object_add(r, "message", json_object_new_string(
		    out->msg != NULL ? out->msg : ei->message));
		json_object_object_add(ext, "code",
		    json_object_new_string(ei->code));
		json_object_object_add(r, "extensions", ext);
		wd_http_log(rq, ei->status >= 500 ? WD_LOG_ERR : WD_LOG_INFO,
		    "action", "status=%d code=%s", ei->status, ei->code);
	} else if (out->kind == WD_RES_SESSION) {
		/* the flat AuthSession output type */
		status = 200;
		json_object_object_add(r, "id",
		    json_object_new_string(o->user_id));
		json_object_object_add(r, "email",
		    json_object_new_string(o->email));
		json_object_object_add(r, "display_name",
		    str_or_null(o->display_name));
		json_object_object_add(r, "jwt_token", str_or_null(o->jwt));
		json_object_object_add(r, "jwt_expires_in", active ?
		    json_object_new_int64(o->expires_ms) : NULL);
		json_object_object_add(r, "refresh_token", active ?
		    json_object_new_string(o->refresh) : NULL);
	} else if (out->kind == WD_RES_JSON) {
		status = 200;
		json_object_put(r);
		r = json_object_get(out->json);
	} else if (out->kind == WD_RES_MFA) {
		/* AuthSession has no place for it: the sign-in is not done,
		 * the client answers with mfa_totp(ticket, code) */
		status = 401;
		ext = json_object_new_object();
		json_object_object_add(r, "message", json_object_new_string(
		    "A two-factor code is required."));
		json_object_object_add(ext, "code",
		    json_object_new_string("mfa-required"));
		json_object_object_add(ext, "ticket",
		    json_object_new_string(out->sess.mfa_ticket));
		json_object_object_add(r, "extensions", ext);
	} else {
		status = 200;
		json_object_object_add(r, "ok", json_object_new_boolean(1));
	}
	send_json(rq, status, r, &h);
	json_object_put(r);
}

const struct wd_dialect wd_dialect_action = {
	"action", action_parse, action_answer
};

enum wd_err
wd_dialect_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	const struct wd_bind	*b = arg;
	struct wd_svc		*s = ctx;
	struct wd_areq		 in;
	struct wd_ares		 out;
	const char		*msg = NULL;
	enum wd_err		 rc;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	rc = b->dialect->parse(s, rq, b->op, &in, &msg);
	if (rc == WD_OK)
		rc = wd_op_run(s, b->op, &in, &out);
	else
		out.msg = msg;
	b->dialect->answer(s, rq, b->op, &in, rc, &out);
	wd_ares_cleanup(&out);
	wd_areq_cleanup(&in);
	return WD_OK;
}
