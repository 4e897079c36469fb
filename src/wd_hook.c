/*
 * wd_hook.c: the webhook. Runs for every Hasura request, so the hot path
 * does no database query and reuses the request's buffers. Deny by
 * default: only a verified token or the explicit "no credentials at all"
 * case yields 200; Hasura reads any status but 200/401 as a server error
 * (hasura.md §1.5), so every refusal of a caller is 401.
 */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "wd_auth.h"
#include "wd_hook.h"
#include "wd_json.h"
#include "wd_log.h"
#include "wd_util.h"

/* Printable ASCII only: the value may end up in an HTTP header
 * (authorizer Variable-*), where CR/LF would split the response. */
static int
header_safe(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Appends "key":"value" with a leading comma when not first. Like all
 * the builders here it leaves an overflow in json for the end to see. */
static void
add_pair(struct wd_buf *b, const char *k, const char *v, size_t vlen)
{
	if (b->len > 1)
		wd_buf_add(b, ",", 1);
	wd_json_add_str(b, k, strlen(k));
	wd_buf_add(b, ":", 1);
	wd_json_add_str(b, v, vlen);
}

/* x-hasura-allowed-roles as a Postgres array literal in a string, the
 * only way a list can travel in a webhook answer (hasura.md §1.6). */
static void
add_roles(struct wd_buf *b, const char *k, struct json_object *arr)
{
	struct wd_buf	 lit;
	size_t		 i, n = json_object_array_length(arr);

	wd_buf_init(&lit, WD_MAX_HOOK_RESP);
	wd_buf_add(&lit, "{", 1);
	for (i = 0; i < n; i++) {
		const char	*r;

		r = json_object_get_string(json_object_array_get_idx(arr, i));
		wd_buf_adds(&lit, i > 0 ? ",\"" : "\"");
		for (; *r != '\0'; r++) {
			if (*r == '"' || *r == '\\')
				wd_buf_add(&lit, "\\", 1);
			wd_buf_add(&lit, r, 1);
		}
		wd_buf_add(&lit, "\"", 1);
	}
	wd_buf_add(&lit, "}", 1);
	if (wd_buf_status(&lit) == WD_OK)
		add_pair(b, k, lit.p, lit.len);
	else
		wd_buf_fail(b, wd_buf_status(&lit));
	wd_buf_cleanup(&lit);
}

static enum wd_err
anon(const struct wd_hook *h, int no_anon, struct wd_hook_out *o,
    struct wd_buf *json)
{
	if (no_anon || h->anon_role == NULL || h->anon_role[0] == '\0')
		return WD_E_UNAUTH;
	o->anonymous = 1;
	o->max_age = -1;
	snprintf(o->role, sizeof(o->role), "%s", h->anon_role);
	wd_buf_add(json, "{", 1);
	add_pair(json, "X-Hasura-Role", o->role, strlen(o->role));
	wd_buf_add(json, "}", 1);
	return wd_buf_status(json);
}

/* The answer up to, not including, its tail: what the cache keeps. */
static void
session_json(const struct wd_claims *c, struct wd_hook_out *o,
    struct wd_buf *json)
{
	wd_buf_add(json, "{", 1);
	add_pair(json, "X-Hasura-Role", o->role, strlen(o->role));
	add_pair(json, "X-Hasura-User-Id", o->user_id, strlen(o->user_id));
	json_object_object_foreach(c->ns, name, val) {
		if (strncasecmp(name, "x-hasura-", 9) != 0 ||
		    strcasecmp(name, "x-hasura-role") == 0 ||
		    strcasecmp(name, "x-hasura-user-id") == 0)
			continue;
		if (json_object_is_type(val, json_type_array))
			add_roles(json, name, val);
		else
			add_pair(json, name, json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
	}
}

/* Closes the answer: Cache-Control from the time left, then "}". */
static void
session_tail(long max_age, struct wd_buf *json)
{
	char		 ma[32];

	snprintf(ma, sizeof(ma), "max-age=%ld", max_age);
	add_pair(json, "Cache-Control", ma, strlen(ma));
	wd_buf_add(json, "}", 1);
}

/*
 * A per-process cache of verified answers. The webhook sees the same
 * token again and again (every request of a client); a hit skips the
 * signature check and JSON work. The key is sha256 over the verification
 * settings' fingerprint, the requested role and the token bytes, so the
 * cached answer is exactly what a full check would give; only the time
 * (exp) and revocation (sid) can change it, and both are re-checked on
 * every hit. Failures are never cached. Digests, not tokens, are
 * compared, so the comparison leaks nothing about other users' tokens.
 */
#define CACHE_N		128
#define CACHE_JSON	1536
#define CACHE_SID	64

struct centry {
	unsigned char	 key[32];
	int64_t		 exp;		/* 0: empty */
	long		 skew;		/* wd_jwt_hit_skew */
	char		 sid[CACHE_SID + 1];
	int		 has_sid;
	char		 role[WD_MAX_ROLE + 1];
	char		 user_id[WD_MAX_ID + 1];
	size_t		 len;
	char		 json[CACHE_JSON];	/* answer without the tail */
};

static struct centry	cache[CACHE_N];

/* sha256 over the settings, the requested role and the token. */
static int
cache_key(const struct wd_hook *h, const char *tok, size_t toklen,
    const struct wd_hook_in *in, unsigned char *key)
{
	return wd_jwt_cache_digest(h->key, in->role != NULL ? in->role : "",
	    in->role != NULL ? in->role_len : 0, tok, toklen, key);
}

static struct centry *
cache_slot(const unsigned char *key)
{
	return &cache[wd_jwt_cache_slot(key, CACHE_N)];
}

static void
cache_put(const unsigned char *key, long skew, const struct wd_claims *c,
    const struct wd_hook_out *o, const struct wd_buf *json)
{
	struct centry	*e = cache_slot(key);

	/* only a complete answer: never one cut short by an overflow */
	if (wd_buf_status(json) != WD_OK || json->len > CACHE_JSON ||
	    (c->sid != NULL && strlen(c->sid) > CACHE_SID))
		return;
	memcpy(e->key, key, 32);
	e->exp = c->exp;
	e->skew = skew;
	e->has_sid = c->sid != NULL;
	snprintf(e->sid, sizeof(e->sid), "%s", c->sid != NULL ? c->sid : "");
	memcpy(e->role, o->role, sizeof(e->role));
	memcpy(e->user_id, o->user_id, sizeof(e->user_id));
	memcpy(e->json, json->p, json->len);
	e->len = json->len;
}

/*
 * Cache-Control's max-age: the seconds until exp, and for a token that
 * names a session at most h->max_age, so a revoked session's WebSocket
 * (closed by Hasura when the answer expires, hasura.md §1.7) does not
 * outlive the revocation by a whole token lifetime.
 */
static long
max_age(const struct wd_hook *h, int64_t exp, int has_sid, time_t now)
{
	long	 ma = exp > (int64_t)now ? (long)(exp - (int64_t)now) : 0;

	if (has_sid && h->max_age > 0 && ma > h->max_age)
		ma = h->max_age;
	return ma;
}

/* The revocation check for sid: WD_OK, WD_E_REVOKED or
 * WD_E_REVOKEUNAVAIL (anything else the callback says counts as that:
 * fail closed, but never a logout for not knowing). */
static enum wd_err
session_ok(const struct wd_hook *h, const char *sid)
{
	enum wd_err	 rc;

	if (sid == NULL || h->revoked == NULL)
		return WD_OK;
	rc = h->revoked(h->revoked_arg, sid);
	if (rc == WD_OK || rc == WD_E_REVOKED)
		return rc;
	return WD_E_REVOKEUNAVAIL;
}

/* WD_OK on a usable hit (o and json filled), WD_E_REVOKED or
 * WD_E_REVOKEUNAVAIL from the revocation check, WD_E_NOTFOUND
 * otherwise. */
static enum wd_err
cache_get(const struct wd_hook *h, const unsigned char *key, time_t now,
    struct wd_hook_out *o, struct wd_buf *json)
{
	struct centry	*e = cache_slot(key);
	enum wd_err	 rc;

	if (e->exp == 0 || memcmp(e->key, key, 32) != 0)
		return WD_E_NOTFOUND;
	/* exp as the full check decides it, with the verifying key's skew;
	 * nbf needs no check: it held at now + that skew when the answer
	 * was kept, and now only grows */
	if (wd_jwt_times_ok(e->exp, 0, 0, e->skew, now) != WD_OK) {
		e->exp = 0;
		return WD_E_NOTFOUND;	/* the full check says why */
	}
	rc = session_ok(h, e->has_sid ? e->sid : NULL);
	if (rc != WD_OK)
		return rc;
	memcpy(o->role, e->role, sizeof(o->role));
	memcpy(o->user_id, e->user_id, sizeof(o->user_id));
	o->max_age = max_age(h, e->exp, e->has_sid, now);
	wd_buf_add(json, e->json, e->len);
	session_tail(o->max_age, json);
	return wd_buf_status(json);
}

enum wd_err
wd_hook_eval(const struct wd_hook *h, const struct wd_hook_in *in,
    time_t now, int no_anon, struct wd_hook_out *o, struct wd_buf *json)
{
	enum wd_err		 rc;
	struct wd_claims	 c = { 0 };
	const char		*tok = NULL, *role;
	size_t			 toklen = 0, rlen;
	unsigned char		 key[32];
	const struct wd_jwt_key	*used;
	int			 cacheable;

	memset(o, 0, sizeof(*o));
	wd_buf_reset(json);
	rc = wd_auth_find(in->authz, in->authz_len, in->cookie,
	    in->cookie_len, h->cookie_name, &tok, &toklen);
	if (rc == WD_E_NOTFOUND) {
		rc = anon(h, no_anon, o, json);
		goto out;
	}
	if (rc != WD_OK)
		goto out;
	cacheable = cache_key(h, tok, toklen, in, key);
	if (cacheable) {
		rc = cache_get(h, key, now, o, json);
		if (rc != WD_E_NOTFOUND)
			goto out;
	}
	rc = wd_jwt_verify_by(h->key, tok, toklen, now, &c, &used);
	if (rc != WD_OK)
		goto out;
	rc = session_ok(h, c.sid);
	if (rc != WD_OK)
		goto out;
	/* the role: the client's request if allowed, else the default
	 * (API.md §4); never one outside allowed-roles, never admin */
	role = c.default_role;
	rlen = strlen(role);
	if (in->role != NULL && in->role_len > 0) {
		rc = WD_E_ROLE;
		if (!wd_claims_role_allowed(&c, in->role, in->role_len))
			goto out;
		role = in->role;
		rlen = in->role_len;
	}
	rc = WD_E_ROLE;
	if (wd_strcaseeq(role, rlen, "admin") || rlen > WD_MAX_ROLE ||
	    !header_safe(role, rlen))
		goto out;
	rc = WD_E_CLAIMS;
	if (!header_safe(c.user_id, strlen(c.user_id)))
		goto out;
	memcpy(o->role, role, rlen);
	o->role[rlen] = '\0';
	snprintf(o->user_id, sizeof(o->user_id), "%s", c.user_id);
	o->max_age = max_age(h, c.exp, c.sid != NULL, now);
	session_json(&c, o, json);
	if (cacheable)
		cache_put(key, wd_jwt_hit_skew(h->key, used), &c, o, json);
	session_tail(o->max_age, json);
	rc = wd_buf_status(json);
out:
	wd_claims_cleanup(&c);
	if (rc != WD_OK)
		wd_buf_reset(json);
	return rc;
}

enum wd_err
wd_hook_post_in(struct json_object *body, struct wd_hook_in *in)
{
	struct json_object	*hdrs;

	memset(in, 0, sizeof(*in));
	if (!json_object_is_type(body, json_type_object) ||
	    !json_object_object_get_ex(body, "headers", &hdrs) ||
	    !json_object_is_type(hdrs, json_type_object))
		return WD_E_BADREQ;
	/* Only the three headers read here are checked: Hasura forwards
	 * every client header (hasura.md §1.4), and one it would have
	 * passed in GET mode (a large Cookie of another app, many
	 * headers) must not turn into a 400, which Hasura reports as its
	 * own 500. The body's size and value caps bound the rest. */
	json_object_object_foreach(hdrs, name, val) {
		const char	**pp = NULL;
		size_t		 *lp = NULL;
		size_t		  vlen;

		if (strcasecmp(name, "authorization") == 0) {
			pp = &in->authz;
			lp = &in->authz_len;
		} else if (strcasecmp(name, "cookie") == 0) {
			pp = &in->cookie;
			lp = &in->cookie_len;
		} else if (strcasecmp(name, "x-hasura-role") == 0) {
			pp = &in->role;
			lp = &in->role_len;
		} else
			continue;
		if (!json_object_is_type(val, json_type_string))
			return WD_E_BADHEADER;	/* not what Hasura sends */
		vlen = (size_t)json_object_get_string_len(val);
		/* a credential repeated in another case (Hasura keeps the
		 * client's spelling, so both can come): which one counts?
		 * Refuse rather than pick (STYLE §6), as a bad credential:
		 * 401, which Hasura reports as such (a 400 becomes its 500);
		 * so is one too long or holding a NUL. A Cookie carries other
		 * apps' cookies too: as in GET mode it may be long, and the
		 * token taken from it has its own cap (WD_MAX_TOKEN) */
		if (*pp != NULL || (pp != &in->cookie && vlen >
		    WD_MAX_HEADER) || memchr(json_object_get_string(val),
		    '\0', vlen) != NULL)
			return WD_E_BADTOKEN;
		*pp = json_object_get_string(val);
		*lp = vlen;
	}
	return WD_OK;
}

static void
param_in(const struct wd_req *rq, const char *name, const char **p,
    size_t *len)
{
	*p = wd_http_param(rq, name);
	*len = *p == NULL ? 0 : strlen(*p);
}

static void
respond(const struct wd_hook *h, struct wd_req *rq,
    const struct wd_hook_in *in, struct wd_buf *json)
{
	struct wd_hook_out	 o;
	struct wd_hdrs		 hdr;
	enum wd_err		 rc;

	rc = wd_hook_eval(h, in, time(NULL), rq->authorizer, &o, json);
	if (rc != WD_OK) {
		wd_http_error(rq, rc == WD_E_TOOBIG ? WD_E_BADTOKEN : rc,
		    NULL);
		return;
	}
	if (rq->authorizer) {
		/* lighttpd copies Variable-* into the environment of the
		 * request it then serves (mod_fastcgi authorizer mode) */
		wd_hdrs_init(&hdr);
		wd_hdrs_add(&hdr, "Variable-X-Hasura-User-Id", o.user_id);
		wd_hdrs_add(&hdr, "Variable-X-Hasura-Role", o.role);
		wd_http_send(rq, 200, &hdr, NULL, NULL, 0);
		return;
	}
	wd_http_send(rq, 200, NULL, "application/json", json->p, json->len);
}

enum wd_err
wd_hook_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	const struct wd_hook	*h = ctx;
	struct wd_hook_in	 in;
	struct wd_hdrs		 allow;
	struct json_object	*body = NULL;
	enum wd_err		 rc;

	(void)arg;
	/* the answer is built in rq->out, reused across requests, so the
	 * hot path allocates nothing but what libjwt and json-c do */
	if (rq->authorizer || strcmp(rq->method, "GET") == 0) {
		/* GET mode: the client's headers arrive as our own */
		if (!rq->authorizer && !wd_http_path_is(rq, "/hook")) {
			wd_http_error(rq, WD_E_NOTFOUND, NULL);
			goto out;
		}
		param_in(rq, "HTTP_AUTHORIZATION", &in.authz, &in.authz_len);
		param_in(rq, "HTTP_COOKIE", &in.cookie, &in.cookie_len);
		param_in(rq, "HTTP_X_HASURA_ROLE", &in.role, &in.role_len);
		respond(h, rq, &in, &rq->out);
		goto out;
	}
	if (!wd_http_path_is(rq, "/hook")) {
		wd_http_error(rq, WD_E_NOTFOUND, NULL);
		goto out;
	}
	if (strcmp(rq->method, "POST") != 0) {
		wd_hdrs_init(&allow);
		wd_hdrs_add(&allow, "Allow", "GET, POST");
		wd_http_error_hdrs(rq, WD_E_METHOD, NULL, &allow);
		goto out;
	}
	rc = wd_http_read_body(rq, WD_MAX_BODY);
	if (rc == WD_OK)
		rc = wd_json_parse_max(rq->body.p, rq->body.len,
		    WD_MAX_HOOK_JSON_DEPTH, WD_MAX_HOOK_JSON_VALUES, &body);
	if (rc == WD_OK)
		rc = wd_hook_post_in(body, &in);
	if (rc != WD_OK) {
		wd_http_error(rq, rc, NULL);
		goto out;
	}
	respond(h, rq, &in, &rq->out);
out:
	json_object_put(body);
	return WD_OK;
}
