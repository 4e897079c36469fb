/*
 * wd_http.c: FastCGI plumbing. Trust boundary: every parameter and body
 * byte is client-controlled (lighttpd passes headers as HTTP_*); sizes are
 * checked before reading, and responses never echo request bytes into
 * headers.
 */
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wd_http.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_util.h"

static enum wd_err
init(struct wd_req *rq)
{
	memset(rq, 0, sizeof(*rq));
	if (FCGX_Init() != 0)
		return WD_E_INTERNAL;
	if (FCGX_InitRequest(&rq->f, 0, 0) != 0)
		return WD_E_INTERNAL;
	wd_buf_init(&rq->body, WD_MAX_BODY);
	wd_buf_init(&rq->out, WD_MAX_HOOK_RESP + 1024);
	return WD_OK;
}

static void
cleanup(struct wd_req *rq)
{
	wd_buf_cleanup(&rq->body);
	wd_buf_cleanup(&rq->out);
	FCGX_Free(&rq->f, 1);
}

static enum wd_err
accept_one(struct wd_req *rq)
{
	const char	*q, *role, *o;

	if (FCGX_Accept_r(&rq->f) < 0)
		return WD_E_INTERNAL;
	wd_buf_reset(&rq->body);
	wd_buf_reset(&rq->out);
	rq->responded = 0;
	rq->check = 0;
	rq->retry_after = 0;
	rq->method = wd_http_param(rq, "REQUEST_METHOD");
	if (rq->method == NULL)
		rq->method = "";
	rq->uri = wd_http_param(rq, "REQUEST_URI");
	if (rq->uri == NULL)
		rq->uri = "";
	q = strchr(rq->uri, '?');
	rq->path_len = q == NULL ? strlen(rq->uri) : (size_t)(q - rq->uri);
	rq->query = q == NULL ? "" : q + 1;
	role = wd_http_param(rq, "FCGI_ROLE");
	rq->authorizer = role != NULL && strcmp(role, "AUTHORIZER") == 0;
	/* (the webhook answers no CORS: no lookup on its hot path) */
	o = rq->cors == NULL ? NULL : wd_http_param(rq, "HTTP_ORIGIN");
	rq->origin = o != NULL && wd_cors_allowed(rq->cors, o, strlen(o)) ?
	    o : NULL;
	/* another origin is answered only when "*" is on */
	rq->cross = rq->origin != NULL || (o != NULL && rq->cors->any);
	return WD_OK;
}

/*
 * A CORS preflight: what the browser may send (with cookies only from an
 * allowed origin: cors_headers). The request headers are those of
 * Warden's clients (nhost-js-sdk sends Authorization and Content-Type;
 * storage reads take Range and the conditional ones).
 */
static void
preflight(struct wd_req *rq)
{
	struct wd_hdrs	 h;

	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "Access-Control-Allow-Methods",
	    "GET, HEAD, POST, PUT, DELETE");
	wd_hdrs_add(&h, "Access-Control-Allow-Headers", "Authorization, "
	    "Content-Type, Range, If-Match, If-None-Match, "
	    "If-Modified-Since, If-Range");
	wd_hdrs_add(&h, "Access-Control-Max-Age", "600");
	wd_hdrs_add(&h, "Vary", "Access-Control-Request-Method, "
	    "Access-Control-Request-Headers");
	wd_http_send(rq, 204, &h, NULL, NULL, 0);
}

/* 1 if method is a word of the space-separated list ms. */
static int
method_in(const char *ms, const char *method)
{
	size_t		 n = strlen(method);
	const char	*p;

	if (n == 0)
		return 0;
	for (p = ms; (p = strstr(p, method)) != NULL; p += n)
		if ((p == ms || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

static int
path_matches(const struct wd_req *rq, const char *path)
{
	size_t	 n;

	if (path == NULL)
		return 1;
	n = strlen(path);
	if (n > 0 && path[n - 1] == '/')
		return rq->path_len >= n && memcmp(rq->uri, path, n) == 0;
	return wd_http_path_is(rq, path);
}

/* Adds each method of ms (space-separated) not yet in allow. */
static void
allow_add(char *allow, size_t sz, const char *ms)
{
	char		 m[16];
	size_t		 k, len;

	while (*ms != '\0') {
		k = strcspn(ms, " ");
		if (k > 0 && k < sizeof(m)) {
			memcpy(m, ms, k);
			m[k] = '\0';
			len = strlen(allow);
			if (!method_in(allow, m) && len + k + 2 < sz)
				snprintf(allow + len, sz - len, "%s%s",
				    len > 0 ? " " : "", m);
		}
		ms += k;
		ms += strspn(ms, " ");
	}
}

/* The route for rq's path and method. WD_E_METHOD when only the method
 * is wrong: allow (sz bytes) then lists the path's methods, separated
 * by spaces, which a 405 must name (RFC 9110 §15.5.6; allow_hdr). */
static enum wd_err
dispatch(const struct wd_route *routes, size_t n, void *ctx,
    struct wd_req *rq, char *allow, size_t sz)
{
	enum wd_err	 rc = WD_E_NOTFOUND;
	size_t		 i;

	allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!path_matches(rq, routes[i].path))
			continue;
		rc = WD_E_METHOD;
		if (routes[i].methods != NULL &&
		    !method_in(routes[i].methods, rq->method)) {
			allow_add(allow, sz, routes[i].methods);
			continue;
		}
		return routes[i].fn(ctx, rq, routes[i].arg);
	}
	return rc;
}

/*
 * Ends the request. libfcgi's close first waits (up to 2 s) for the web
 * server to hang up, so that request bytes left unread cannot turn into
 * a reset that loses the answer; lighttpd hangs up only after it has
 * started sending the answer, which for an X-Sendfile reply held the
 * process about as long as the file took to go out. Once the request
 * has been read to its end there is nothing left to reset: close at
 * once. One more read finds the end when the handler stopped exactly at
 * CONTENT_LENGTH; a body left unread keeps the careful close.
 */
static void
finish(struct wd_req *rq)
{
	/* With a body the answer goes out first, the request's log lines
	 * before it (as FCGX_Finish_r orders them): the read may wait on the
	 * client. Without one the server sends the end of the input with
	 * the parameters, so the read cannot wait, and the answer leaves
	 * with the closing records in one write: the server wakes once. An
	 * authorizer is sent no input at all by the FastCGI specification
	 * (lighttpd sends its end anyway): answered first too. */
	if (rq->authorizer || wd_http_has_body(rq)) {
		(void)FCGX_FFlush(rq->f.err);
		(void)FCGX_FFlush(rq->f.out);
	}
	if (FCGX_HasSeenEOF(rq->f.in) != EOF)
		(void)FCGX_GetChar(rq->f.in);
	if (FCGX_HasSeenEOF(rq->f.in) == EOF)
		(void)FCGX_Detach(&rq->f);
	FCGX_Finish_r(&rq->f);
}

/*
 * After a large body (the webhook's, up to WD_MAX_BODY): the buffer, and
 * the heap its parse left free, go back to the system before the process
 * waits for the next request, which is likely small.
 */
static void
give_back(struct wd_req *rq)
{
	if (rq->body.cap <= WD_KEEP_BODY)
		return;
	wd_buf_cleanup(&rq->body);
	wd_buf_init(&rq->body, WD_MAX_BODY);
	(void)malloc_trim(0);
}

/* A 405's Allow line from dispatch's list: "GET, HEAD" (RFC 9110
 * §10.2.1 separates the methods by commas). */
static void
allow_hdr(struct wd_hdrs *h, const char *allow)
{
	char	 v[128];
	size_t	 i, k = 0;

	for (i = 0; allow[i] != '\0' && k + 3 < sizeof(v); i++) {
		if (allow[i] == ' ')
			v[k++] = ',';
		v[k++] = allow[i];
	}
	v[k] = '\0';
	if (k > 0)
		wd_hdrs_add(h, "Allow", v);
}

int
wd_http_serve(const char *prog, const struct wd_route *routes, size_t n,
    void *ctx, const struct wd_cors *cors)
{
	struct wd_req	 rq;
	struct wd_hdrs	 h;
	char		 allow[64];
	enum wd_err	 rc = WD_OK;

	if (init(&rq) != WD_OK) {
		fprintf(stderr, "%s: cannot initialise FastCGI\n", prog);
		return 1;
	}
	rq.cors = cors;
	while (accept_one(&rq) == WD_OK) {
		/* modules below (wd_db) log with the request */
		wd_log_bind(rq.f.err);
		if (rq.cross && strcmp(rq.method, "OPTIONS") == 0 &&
		    wd_http_param(&rq, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") !=
		    NULL)
			preflight(&rq);
		else
			rc = dispatch(routes, n, ctx, &rq, allow,
			    sizeof(allow));
		if (!rq.responded) {
			/* no route or method (404, 405) for a check: a
			 * refusal the server can pass on */
			(void)wd_http_check(&rq);
			wd_hdrs_init(&h);
			if (rc == WD_E_METHOD)
				allow_hdr(&h, allow);
			wd_http_error_hdrs(&rq, rc == WD_OK ? WD_E_INTERNAL :
			    rc, NULL, &h);
		}
		wd_log_bind(NULL);
		finish(&rq);
		give_back(&rq);
	}
	cleanup(&rq);
	return 0;
}

const char *
wd_http_param(const struct wd_req *rq, const char *name)
{
	return FCGX_GetParam(name, rq->f.envp);
}

int
wd_http_path_is(const struct wd_req *rq, const char *p)
{
	return strlen(p) == rq->path_len &&
	    memcmp(rq->uri, p, rq->path_len) == 0;
}

enum wd_err
wd_http_query(const struct wd_req *rq, const char *name, char *out,
    size_t outsz)
{
	return wd_query_get(rq->query, name, out, outsz);
}

enum wd_err
wd_http_read_body(struct wd_req *rq, size_t max)
{
	const char	*cl = wd_http_param(rq, "CONTENT_LENGTH");
	uint64_t	 n;
	enum wd_err	 rc;
	char		 chunk[4096];
	size_t		 got = 0;

	wd_buf_reset(&rq->body);
	if (rq->check)
		return WD_E_INTERNAL;	/* a check has no body to read */
	if (cl == NULL || cl[0] == '\0')
		return WD_E_BADREQ;
	rc = wd_parse_u64(cl, strlen(cl), max, &n);
	if (rc != WD_OK)
		return rc;
	if (max > rq->body.max)
		return WD_E_INTERNAL;	/* caller bug: buffer cap too small */
	while (got < n) {
		size_t	 want = n - got > sizeof(chunk) ? sizeof(chunk) :
		    n - got;
		int	 r = FCGX_GetStr(chunk, (int)want, rq->f.in);

		if (r <= 0)
			return WD_E_BADREQ;
		rc = wd_buf_add(&rq->body, chunk, (size_t)r);
		if (rc != WD_OK)
			return rc;
		got += (size_t)r;
	}
	return WD_OK;
}

void
wd_hdrs_init(struct wd_hdrs *h)
{
	h->len = 0;
	h->bad = 0;
	h->cache = 0;
	h->p[0] = '\0';
}

void
wd_hdrs_add(struct wd_hdrs *h, const char *name, const char *value)
{
	int	 n;

	if (h->bad)
		return;
	/* a CR or LF would end our header and start the client's */
	if (strpbrk(name, "\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL) {
		h->bad = 1;
		return;
	}
	n = snprintf(h->p + h->len, sizeof(h->p) - h->len, "%s: %s\r\n",
	    name, value);
	if (n < 0 || (size_t)n >= sizeof(h->p) - h->len) {
		h->p[h->len] = '\0';
		h->bad = 1;
		return;
	}
	h->len += (size_t)n;
	if (strcasecmp(name, "Cache-Control") == 0)
		h->cache = 1;
}

/* A header set that could not be built is a bug of ours: 500, logged,
 * rather than a response missing a line (a cookie, a Location). */
static int
hdrs_refused(struct wd_req *rq, const struct wd_hdrs *h)
{
	if (h == NULL || !h->bad)
		return 0;
	wd_http_log(rq, WD_LOG_ERR, "http", "response header too long or "
	    "not printable");
	wd_http_error(rq, WD_E_INTERNAL, NULL);
	return 1;
}

/* The CORS lines of an answer (wd_http_serve): an answer that differs
 * by Origin says so, for caches; an allowed origin may read it with
 * cookies, any other without ("*" never goes with credentials). */
static void
cors_headers(struct wd_req *rq)
{
	char	 hdr[128 + WD_CORS_ORIGIN];

	if (rq->cors == NULL)
		return;
	FCGX_PutS("Vary: Origin\r\n", rq->f.out);
	if (!rq->cross)
		return;
	if (rq->origin != NULL) {
		snprintf(hdr, sizeof(hdr), "Access-Control-Allow-Origin: "
		    "%s\r\nAccess-Control-Allow-Credentials: true\r\n",
		    rq->origin);
		FCGX_PutS(hdr, rq->f.out);
	} else
		FCGX_PutS("Access-Control-Allow-Origin: *\r\n", rq->f.out);
	FCGX_PutS("Access-Control-Expose-Headers: ETag, Content-Range, "
	    "Content-Disposition, Accept-Ranges, Retry-After\r\n", rq->f.out);
}

void
wd_http_send(struct wd_req *rq, int status, const struct wd_hdrs *extra,
    const char *ctype, const char *body, size_t len)
{
	char	 hdr[256];

	if (hdrs_refused(rq, extra))
		return;
	/* libfcgi's FCGX_FPrintF has its own printf without %zu: format
	 * with the C library and write the bytes */
	rq->responded = 1;
	snprintf(hdr, sizeof(hdr), "Status: %d %s\r\n", status,
	    wd_err_reason(status));
	FCGX_PutS(hdr, rq->f.out);
	if (ctype != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n", ctype);
		FCGX_PutS(hdr, rq->f.out);
	}
	/* no body, no length: 204 and 304 must not carry one (RFC 9110) */
	if ((!rq->authorizer || status != 200) && status != 204 &&
	    status != 304) {
		snprintf(hdr, sizeof(hdr), "Content-Length: %zu\r\n", len);
		FCGX_PutS(hdr, rq->f.out);
	}
	if (extra == NULL || !extra->cache)
		FCGX_PutS("Cache-Control: no-store\r\n", rq->f.out);
	cors_headers(rq);
	if (extra != NULL)
		FCGX_PutStr(extra->p, (int)extra->len, rq->f.out);
	FCGX_PutS("\r\n", rq->f.out);
	if (len > 0 && strcmp(rq->method, "HEAD") != 0)
		FCGX_PutStr(body, (int)len, rq->f.out);
}

/*
 * A check's refusal: nginx's auth_request passes 401 and 403 on (any
 * other status becomes its own 500) and keeps only the headers it is
 * told to, so the real status and the error body travel as headers
 * (the JSON has no CR or LF: wd_json escapes them).
 */
static void
check_refusal(struct wd_req *rq, int status, const struct wd_buf *json,
    const struct wd_hdrs *h)
{
	struct wd_hdrs	 hh;
	char		 st[16];

	if (h != NULL)
		hh = *h;
	else
		wd_hdrs_init(&hh);
	snprintf(st, sizeof(st), "%d", status);
	wd_hdrs_add(&hh, "X-Warden-Status", st);
	wd_hdrs_add(&hh, "X-Warden-Error", json->p);
	wd_http_send(rq, status == 401 ? 401 : 403, &hh, NULL, NULL, 0);
}

void
wd_http_error(struct wd_req *rq, enum wd_err e, const char *msg)
{
	wd_http_error_hdrs(rq, e, msg, NULL);
}

void
wd_http_error_hdrs(struct wd_req *rq, enum wd_err e, const char *msg,
    const struct wd_hdrs *h)
{
	const struct wd_errinfo	*ei = wd_err_info(e);
	struct wd_buf		*b = &rq->out;
	struct wd_hdrs		 ra;
	char			 v[24];

	if (msg == NULL)
		msg = ei->message;
	/* a throttle's wait, on the answer or on a check's refusal (nginx
	 * passes it on: $warden_retry) */
	if (ei->status == 429 && rq->retry_after > 0) {
		if (h != NULL)
			ra = *h;
		else
			wd_hdrs_init(&ra);
		snprintf(v, sizeof(v), "%ld", rq->retry_after);
		wd_hdrs_add(&ra, "Retry-After", v);
		h = &ra;
	}
	/* straight down: the buffer keeps its first overflow */
	wd_buf_reset(b);
	wd_buf_addf(b, "{\"statusCode\":%d,\"error\":", ei->status);
	wd_json_add_str(b, ei->reason, strlen(ei->reason));
	wd_buf_adds(b, ",\"message\":");
	wd_json_add_str(b, msg, strlen(msg));
	wd_buf_adds(b, ",\"code\":");
	wd_json_add_str(b, ei->code, strlen(ei->code));
	wd_buf_adds(b, "}");
	if (wd_buf_status(b) != WD_OK) {
		wd_buf_reset(b);
		wd_buf_adds(b, "{\"code\":\"internal-error\"}");
	}
	wd_http_log(rq, ei->status >= 500 ? WD_LOG_ERR : WD_LOG_INFO, "http",
	    "status=%d code=%s method=%s%s", ei->status, ei->code, rq->method,
	    rq->check ? " check" : "");
	if (rq->check)
		check_refusal(rq, ei->status, b, h);
	else
		wd_http_send(rq, ei->status, h, "application/json", b->p,
		    b->len);
}

/* ---- streaming (storage, issue #4) ---- */

enum wd_err
wd_http_body_len(const struct wd_req *rq, uint64_t max, uint64_t *len)
{
	const char	*cl = wd_http_param(rq, "CONTENT_LENGTH");

	*len = 0;
	if ((cl == NULL || cl[0] == '\0') && rq->check &&
	    wd_http_has_body(rq))
		return WD_OK;	/* chunked: known once nginx has it all */
	if (cl == NULL || cl[0] == '\0')
		return WD_E_BADREQ;
	return wd_parse_u64(cl, strlen(cl), max, len);
}

int
wd_http_check(struct wd_req *rq)
{
	const char	*v = wd_http_param(rq, "WARDEN_CHECK_ONLY");

	rq->check = v != NULL && strcmp(v, "1") == 0;
	return rq->check;
}

/*
 * 1 if the Accept value a names media type t (exactly, any case) in a
 * range whose q is not 0 (RFC 9110 §12.5.1: "q=0" refuses it).
 */
static int
accepts(const char *a, const char *t)
{
	const char	*e, *p;
	size_t		 n = strlen(t), len;

	for (; *a != '\0'; a = *e == ',' ? e + 1 : e) {
		a += strspn(a, " \t");
		e = a + strcspn(a, ",");
		len = strcspn(a, ";, \t");
		if (len != n || strncasecmp(a, t, n) != 0)
			continue;
		/* a parameter q=0, 0.0, 0.00 or 0.000 refuses it */
		for (p = a + len; p < e; p++)
			if (*p == ';') {
				p += 1 + strspn(p + 1, " \t");
				if ((p[0] == 'q' || p[0] == 'Q') &&
				    p[1] == '=' && p[2] == '0' &&
				    strspn(p + 3, ".0") == strcspn(p + 3,
				    ";, \t"))
					break;
			}
		if (p >= e)
			return 1;
	}
	return 0;
}

int
wd_http_wants_json(const struct wd_req *rq)
{
	const char	*a = wd_http_param(rq, "HTTP_ACCEPT");

	return a != NULL && accepts(a, "application/json") &&
	    !accepts(a, "text/html");
}

int
wd_http_has_body(const struct wd_req *rq)
{
	const char	*cl = wd_http_param(rq, "CONTENT_LENGTH");

	return (cl != NULL && cl[0] != '\0' && strcmp(cl, "0") != 0) ||
	    wd_http_param(rq, "HTTP_TRANSFER_ENCODING") != NULL;
}

enum wd_err
wd_http_read_some(struct wd_req *rq, void *buf, size_t cap, size_t *got)
{
	int	 r;

	*got = 0;
	if (rq->check)
		return WD_E_INTERNAL;	/* a check has no body to read */
	if (cap == 0)
		return WD_OK;
	if (cap > INT_MAX)
		cap = INT_MAX;
	r = FCGX_GetStr(buf, (int)cap, rq->f.in);
	if (r <= 0)
		return WD_E_BADREQ;
	*got = (size_t)r;
	return WD_OK;
}

void
wd_http_head(struct wd_req *rq, int status, const struct wd_hdrs *hdrs)
{
	char	 line[64];

	if (hdrs_refused(rq, hdrs))
		return;
	rq->responded = 1;
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
	    wd_err_reason(status));
	FCGX_PutS(line, rq->f.out);
	if (hdrs != NULL)
		FCGX_PutStr(hdrs->p, (int)hdrs->len, rq->f.out);
	cors_headers(rq);
	FCGX_PutS("\r\n", rq->f.out);
}

enum wd_err
wd_http_write(struct wd_req *rq, const void *p, size_t len)
{
	const char	*c = p;

	while (len > 0) {
		int	 n = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(c, n, rq->f.out) != n)
			return WD_E_INTERNAL;
		c += n;
		len -= (size_t)n;
	}
	return WD_OK;
}
