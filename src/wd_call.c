/*
 * wd_call.c: request shapes for the account routes. Trust boundary: the
 * action secret is the only thing that distinguishes Hasura from a client
 * calling an action route directly, so it is checked before the body is read.
 */
#include <string.h>

#include "wd_auth.h"
#include "wd_call.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_util.h"

static void
copy_param(const struct wd_req *rq, const char *name, char *out, size_t n)
{
	const char	*v = wd_http_param(rq, name);

	snprintf(out, n, "%s", v == NULL ? "" : v);
}

static enum wd_err
read_json(struct wd_call *c, int required)
{
	const char	*cl = wd_http_param(c->rq, "CONTENT_LENGTH");
	enum wd_err	 rc;

	if (!required && (cl == NULL || strcmp(cl, "0") == 0 ||
	    cl[0] == '\0'))
		return WD_OK;
	rc = wd_http_read_body(c->rq, WD_MAX_AUTH_BODY);
	if (rc != WD_OK)
		return rc;
	if (!required && c->rq->body.len == 0)
		return WD_OK;
	rc = wd_json_parse(c->rq->body.p, c->rq->body.len, WD_MAX_JSON_DEPTH,
	    &c->root);
	if (rc != WD_OK)
		return rc;
	if (!json_object_is_type(c->root, json_type_object))
		return WD_E_BADJSON;
	return WD_OK;
}

enum wd_err
wd_call_begin(struct wd_svc *s, struct wd_req *rq, const char *rest_path,
    const char *rest_method, const char *action_name, struct wd_call *c)
{
	char		 apath[128];
	const char	*sec;
	enum wd_err	 rc = WD_E_NOTFOUND;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->rq = rq;
	copy_param(rq, "REMOTE_ADDR", c->ip, sizeof(c->ip));
	copy_param(rq, "HTTP_USER_AGENT", c->ua, sizeof(c->ua));
	{
		/* printable ASCII only: the audit row must not fail (or a
		 * login with it) on bytes that are not UTF-8 */
		char	*u;

		for (u = c->ua; *u != '\0'; u++)
			if ((unsigned char)*u < 0x20 || (unsigned char)*u > 0x7e)
				*u = '?';
	}
	snprintf(apath, sizeof(apath), "/actions/%s",
	    action_name != NULL ? action_name : "");
	if (action_name != NULL && wd_http_path_is(rq, apath)) {
		c->action = 1;
		rc = WD_E_METHOD;
		if (strcmp(rq->method, "POST") != 0)
			goto fail;
		/* before reading anything else: only Hasura knows it */
		sec = wd_http_param(rq, "HTTP_X_WARDEN_ACTION_SECRET");
		rc = WD_E_UNAUTH;
		if (sec == NULL || !wd_ct_eq(sec, strlen(sec),
		    s->action_secret, strlen(s->action_secret)))
			goto fail;
		rc = read_json(c, 1);
		if (rc != WD_OK)
			goto fail;
		rc = WD_E_BADREQ;
		if (!json_object_object_get_ex(c->root, "input", &c->in) ||
		    !json_object_is_type(c->in, json_type_object))
			goto fail;
		return WD_OK;
	}
	if (rest_path == NULL || !wd_http_path_is(rq, rest_path))
		goto fail;
	rc = WD_E_METHOD;
	if (strcmp(rq->method, rest_method) != 0)
		goto fail;
	if (strcmp(rest_method, "POST") == 0) {
		rc = read_json(c, 0);
		if (rc != WD_OK)
			goto fail;
		c->in = c->root;
	}
	return WD_OK;
fail:
	wd_call_fail(c, rc, NULL);
	return rc;
}

void
wd_call_cleanup(struct wd_call *c)
{
	json_object_put(c->root);
	c->root = NULL;
	c->in = NULL;
}

void
wd_call_reply(struct wd_call *c, int status, struct json_object *obj,
    const char *extra)
{
	const char	*js;

	if (obj == NULL) {
		wd_http_send(c->rq, status, extra, NULL, NULL, 0);
		return;
	}
	js = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	wd_http_send(c->rq, status, extra, "application/json", js,
	    strlen(js));
}

void
wd_call_fail(struct wd_call *c, enum wd_err e, const char *msg)
{
	const struct wd_errinfo	*ei = wd_err_info(e);
	struct json_object	*o, *ext;
	int			 status = ei->status;

	if (!c->action) {
		wd_http_error(c->rq, e, msg);
		return;
	}
	/* Hasura reads only 4xx bodies of action handlers (hasura.md
	 * §2.2); a 5xx would turn into an opaque "internal error" */
	if (status >= 500)
		status = 400;
	o = json_object_new_object();
	ext = json_object_new_object();
	json_object_object_add(o, "message",
	    json_object_new_string(msg != NULL ? msg : ei->message));
	json_object_object_add(ext, "code", json_object_new_string(ei->code));
	json_object_object_add(o, "extensions", ext);
	wd_http_log(c->rq, ei->status >= 500 ? WD_LOG_ERR : WD_LOG_INFO,
	    "action", "status=%d code=%s", ei->status, ei->code);
	wd_call_reply(c, status, o, NULL);
	json_object_put(o);
}

enum wd_err
wd_call_query(const struct wd_call *c, const char *name, char *out,
    size_t outsz)
{
	const char	*q = c->rq->query, *p, *e, *v;
	size_t		 nlen = strlen(name), o;
	int		 found = 0;

	if (outsz == 0)
		return WD_E_BADREQ;

	for (p = q; *p != '\0'; p = *e == '&' ? e + 1 : e) {
		e = strchr(p, '&');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    p[nlen] != '=')
			continue;
		if (found++)
			return WD_E_BADREQ;	/* repeated: ambiguous */
		v = p + nlen + 1;
		/* room for the NUL; a decoded NUL would cut the value */
		if (wd_pct_decode(v, (size_t)(e - v), 1, out, outsz - 1, &o) !=
		    WD_OK || memchr(out, '\0', o) != NULL)
			return WD_E_BADREQ;
		out[o] = '\0';
	}
	return found ? WD_OK : WD_E_NOTFOUND;
}

const char *
wd_call_rt_cookie(const struct wd_call *c, size_t *len, int *bad)
{
	const char	*h = wd_http_param(c->rq, "HTTP_COOKIE"), *v = NULL;
	enum wd_err	 rc;

	*bad = 0;
	if (h == NULL)
		return NULL;
	rc = wd_auth_cookie(h, strlen(h), "refresh_token", &v, len);
	if (rc == WD_E_BADHEADER)
		*bad = 1;
	return rc == WD_OK ? v : NULL;
}
