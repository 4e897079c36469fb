/*
 * test_http.c: the serve loop's routing (path and method matching,
 * 404/405), the bounded response header builder, and checks before the
 * body (nginx auth_request) with their refusals (src/wd_http.c, included
 * for its statics).
 */
#include <string.h>

#include "../../src/wd_http.c"
#include "wd_test.h"

#define M	"http"

static const char	*called;	/* the arg of the route that ran */

static enum wd_err
note(void *ctx, struct wd_req *rq, const void *arg)
{
	(void)ctx;
	(void)rq;
	called = arg;
	return WD_OK;
}

static const struct wd_route table[] = {
	{ "/auth/login", "POST", note, "login-post" },
	{ "/auth/login", "GET", note, "login-get" },
	{ "/storage/o/", NULL, note, "storage" },
	{ "/x", "GET HEAD", note, "x" },
};

static const struct wd_route catchall[] = {
	{ "/only", "GET", note, "only" },
	{ NULL, NULL, note, "any" },
};

struct route_case {
	const char	*name;
	const char	*method;
	const char	*uri;
	enum wd_err	 want;
	const char	*arg;		/* the route expected to run */
};

static void
run(const struct route_case *c, const struct wd_route *t, size_t n)
{
	struct wd_req	 rq;
	const char	*q;
	char		 allow[64];
	enum wd_err	 rc;

	memset(&rq, 0, sizeof(rq));
	rq.method = c->method;
	rq.uri = c->uri;
	q = strchr(c->uri, '?');
	rq.path_len = q == NULL ? strlen(c->uri) : (size_t)(q - c->uri);
	rq.query = q == NULL ? "" : q + 1;
	called = NULL;
	rc = dispatch(t, n, NULL, &rq, allow, sizeof(allow));
	CHECK(M, c->name, rc == c->want && (c->arg == NULL ? called == NULL :
	    called != NULL && strcmp(called, c->arg) == 0));
}

/* A 405's Allow: the methods of every row with the path, once each. */
static void
test_allow(void)
{
	static const struct wd_route dup[] = {
		{ "/a", "GET HEAD", note, "a1" },
		{ "/a", "HEAD  POST", note, "a2" },
		{ "/b", "GET", note, "b" },
	};
	struct wd_req	 rq;
	char		 allow[64];
	enum wd_err	 rc;

	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.uri = "/auth/login";
	rq.path_len = strlen(rq.uri);
	rc = dispatch(table, sizeof(table) / sizeof(table[0]), NULL, &rq,
	    allow, sizeof(allow));
	CHECK(M, "allow: a 405 names the path's methods", rc == WD_E_METHOD &&
	    strcmp(allow, "POST GET") == 0);
	rq.uri = "/a";
	rq.path_len = 2;
	rc = dispatch(dup, 3, NULL, &rq, allow, sizeof(allow));
	CHECK(M, "allow: each method once, other paths' not",
	    rc == WD_E_METHOD && strcmp(allow, "GET HEAD POST") == 0);
	rq.uri = "/nothing";
	rq.path_len = 8;
	rc = dispatch(dup, 3, NULL, &rq, allow, sizeof(allow));
	CHECK(M, "allow: empty on a 404", rc == WD_E_NOTFOUND &&
	    allow[0] == '\0');
	rq.method = "GET";
	rq.uri = "/a";
	rq.path_len = 2;
	rc = dispatch(dup, 3, NULL, &rq, allow, sizeof(allow));
	CHECK(M, "allow: a route that runs", rc == WD_OK && called != NULL &&
	    strcmp(called, "a1") == 0);
	{
		struct wd_hdrs	 h;

		wd_hdrs_init(&h);
		allow_hdr(&h, "GET HEAD POST");
		CHECK(M, "allow: the header separates by commas",
		    strcmp(h.p, "Allow: GET, HEAD, POST\r\n") == 0);
		wd_hdrs_init(&h);
		allow_hdr(&h, "");
		CHECK(M, "allow: no line without methods", h.len == 0);
	}
}

static void
test_routes(void)
{
	static const struct route_case cases[] = {
		{ "route: exact path and method", "POST", "/auth/login",
		    WD_OK, "login-post" },
		{ "route: same path, other method row", "GET",
		    "/auth/login?a=1", WD_OK, "login-get" },
		{ "route: no method matches: 405", "PUT", "/auth/login",
		    WD_E_METHOD, NULL },
		{ "route: method is case-sensitive", "post", "/auth/login",
		    WD_E_METHOD, NULL },
		{ "route: empty method", "", "/auth/login", WD_E_METHOD,
		    NULL },
		{ "route: longer path is not the route", "POST",
		    "/auth/loginx", WD_E_NOTFOUND, NULL },
		{ "route: path with a trailing slash is not exact", "POST",
		    "/auth/login/", WD_E_NOTFOUND, NULL },
		{ "route: shorter path", "POST", "/auth/logi", WD_E_NOTFOUND,
		    NULL },
		{ "route: query does not count as path", "POST",
		    "/auth?/login", WD_E_NOTFOUND, NULL },
		{ "route: prefix row matches below it", "DELETE",
		    "/storage/o/a/b", WD_OK, "storage" },
		{ "route: prefix row matches itself", "GET", "/storage/o/",
		    WD_OK, "storage" },
		{ "route: prefix without its slash", "GET", "/storage/o",
		    WD_E_NOTFOUND, NULL },
		{ "route: prefix only in the query", "GET",
		    "/s?/storage/o/x", WD_E_NOTFOUND, NULL },
		{ "route: second word of the method list", "HEAD", "/x",
		    WD_OK, "x" },
		{ "route: part of a listed method", "EAD", "/x",
		    WD_E_METHOD, NULL },
		{ "route: listed method plus more", "HEADX", "/x",
		    WD_E_METHOD, NULL },
		{ "route: method list's own space", " ", "/x", WD_E_METHOD,
		    NULL },
		{ "route: unknown path", "GET", "/", WD_E_NOTFOUND, NULL },
		{ "route: empty path", "GET", "", WD_E_NOTFOUND, NULL },
	};
	static const struct route_case any[] = {
		{ "route: catch-all after a miss", "GET", "/other", WD_OK,
		    "any" },
		{ "route: earlier row first", "GET", "/only", WD_OK, "only" },
		{ "route: catch-all takes a method the row refused", "POST",
		    "/only", WD_OK, "any" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i], table, sizeof(table) / sizeof(table[0]));
	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		run(&any[i], catchall, 2);
	test_allow();
}

static void
test_hdrs(void)
{
	struct wd_hdrs	 h;
	char		 big[WD_MAX_RESP_HEADERS];
	size_t		 len;

	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "ETag", "\"abc\"");
	wd_hdrs_add(&h, "Location", "/x?a=b");
	CHECK(M, "hdrs: lines in order, CRLF each", !h.bad &&
	    strcmp(h.p, "ETag: \"abc\"\r\nLocation: /x?a=b\r\n") == 0 &&
	    h.len == strlen(h.p) && !h.cache);
	wd_hdrs_add(&h, "cache-control", "no-cache");
	CHECK(M, "hdrs: Cache-Control seen in any case", h.cache && !h.bad);

	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "Location", "/a\r\nSet-Cookie: x=1");
	CHECK(M, "hdrs: CR LF in a value refused", h.bad && h.len == 0);
	wd_hdrs_add(&h, "ETag", "x");
	CHECK(M, "hdrs: refusal is sticky", h.bad && h.len == 0);
	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "Location", "/a\nb");
	CHECK(M, "hdrs: bare LF refused", h.bad);
	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "X-A: b\r\nX-B", "c");
	CHECK(M, "hdrs: CR LF in a name refused", h.bad);
	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "X-A: b", "c");
	CHECK(M, "hdrs: colon in a name refused", h.bad);

	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "ETag", "x");
	len = h.len;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wd_hdrs_add(&h, "X-Big", big);
	CHECK(M, "hdrs: a line that does not fit is refused, not cut",
	    h.bad && h.len == len && strcmp(h.p, "ETag: x\r\n") == 0);
	wd_hdrs_add(&h, "X-Small", "y");
	CHECK(M, "hdrs: nothing after an overflow", h.len == len);

	wd_hdrs_init(&h);
	/* exactly full: "X" ": " value CRLF NUL, 1 + 2 + v + 2 + 1 bytes */
	big[sizeof(big) - 6] = '\0';
	wd_hdrs_add(&h, "X", big);
	CHECK(M, "hdrs: a line that fits exactly", !h.bad &&
	    h.len == sizeof(h.p) - 1);
	wd_hdrs_add(&h, "Y", "");
	CHECK(M, "hdrs: full buffer refuses the next line", h.bad &&
	    h.len == sizeof(h.p) - 1);
}

/* ---- checks: a request over params, its answer in memory ---- */

static unsigned char	 outbuf[16384], errbuf[4096];

/* A memory stream that is full for good once its buffer is. */
static void
mem_full(FCGX_Stream *st, int doclose)
{
	(void)doclose;
	st->isClosed = 1;
}

static void
mem_stream(FCGX_Stream *st, unsigned char *buf, size_t sz)
{
	memset(st, 0, sizeof(*st));
	st->wrNext = buf;
	st->stop = buf + sz - 1;	/* room for a NUL */
	st->rdNext = st->stop;
	st->emptyBuffProc = mem_full;
}

struct memreq {
	struct wd_req	 rq;
	FCGX_Stream	 out, err, in;
};

static void
memreq(struct memreq *m, char **env, const char *method)
{
	memset(m, 0, sizeof(*m));
	memset(outbuf, 0, sizeof(outbuf));
	mem_stream(&m->out, outbuf, sizeof(outbuf));
	mem_stream(&m->err, errbuf, sizeof(errbuf));
	/* a reader with nothing in it: at its end, never refilled */
	m->in.isReader = 1;
	m->in.isClosed = 1;
	m->rq.f.out = &m->out;
	m->rq.f.err = &m->err;
	m->rq.f.in = &m->in;
	m->rq.f.envp = env;
	m->rq.method = method;
	m->rq.uri = "/storage/o/x";
	m->rq.query = "";
	wd_buf_init(&m->rq.body, 4096);
	wd_buf_init(&m->rq.out, 4096);
}

static void
memreq_free(struct memreq *m)
{
	wd_buf_cleanup(&m->rq.body);
	wd_buf_cleanup(&m->rq.out);
}

static void
test_check_mode(void)
{
	char		*on[] = { "WARDEN_CHECK_ONLY=1",
			    "CONTENT_LENGTH=52428800", NULL };
	char		*chunked[] = { "WARDEN_CHECK_ONLY=1",
			    "HTTP_TRANSFER_ENCODING=chunked", NULL };
	char		*posing[] = { "HTTP_WARDEN_CHECK_ONLY=1",
			    "CONTENT_LENGTH=5", NULL };
	char		*other[] = { "WARDEN_CHECK_ONLY=yes", NULL };
	struct memreq	 m;
	char		 buf[16];
	size_t		 got = 1;
	uint64_t	 len = 1;

	memreq(&m, on, "POST");
	CHECK(M, "check: WARDEN_CHECK_ONLY=1 is a check",
	    wd_http_check(&m.rq) && m.rq.check);
	CHECK(M, "check: the announced length is read", wd_http_body_len(
	    &m.rq, 1ULL << 30, &len) == WD_OK && len == 52428800);
	CHECK(M, "check: and held against the cap",
	    wd_http_body_len(&m.rq, 1000, &len) == WD_E_TOOBIG);
	CHECK(M, "check: the body is never read",
	    wd_http_read_body(&m.rq, 4096) == WD_E_INTERNAL &&
	    wd_http_read_some(&m.rq, buf, sizeof(buf), &got) ==
	    WD_E_INTERNAL && got == 0);
	CHECK(M, "check: a body is announced", wd_http_has_body(&m.rq));
	memreq_free(&m);

	memreq(&m, chunked, "PUT");
	CHECK(M, "check: chunked, length unknown: 0 until the real request",
	    wd_http_check(&m.rq) && wd_http_body_len(&m.rq, 1000, &len) ==
	    WD_OK && len == 0 && wd_http_has_body(&m.rq));
	m.rq.check = 0;
	CHECK(M, "check: outside a check a missing length is still 400",
	    wd_http_body_len(&m.rq, 1000, &len) == WD_E_BADREQ);
	memreq_free(&m);

	memreq(&m, posing, "POST");
	CHECK(M, "check: a client's Warden-Check-Only header is no check",
	    !wd_http_check(&m.rq) && !m.rq.check);
	memreq_free(&m);
	memreq(&m, other, "POST");
	CHECK(M, "check: only the value 1 makes one", !wd_http_check(&m.rq) &&
	    !wd_http_has_body(&m.rq));
	memreq_free(&m);
}

static void
test_has_body(void)
{
	char		*zero[] = { "CONTENT_LENGTH=0", NULL };
	char		*empty[] = { "CONTENT_LENGTH=", NULL };
	char		*one[] = { "CONTENT_LENGTH=1", NULL };
	char		*none[] = { NULL };
	struct memreq	 m;

	memreq(&m, zero, "GET");
	CHECK(M, "has_body: Content-Length 0: none", !wd_http_has_body(&m.rq));
	m.rq.f.envp = empty;
	CHECK(M, "has_body: empty Content-Length: none",
	    !wd_http_has_body(&m.rq));
	m.rq.f.envp = none;
	CHECK(M, "has_body: no length, no Transfer-Encoding: none",
	    !wd_http_has_body(&m.rq));
	m.rq.f.envp = one;
	CHECK(M, "has_body: Content-Length 1", wd_http_has_body(&m.rq));
	memreq_free(&m);
}

static void
test_wants_json(void)
{
	static const struct {
		const char	*accept;	/* NULL: no header */
		int		 want;
	} cases[] = {
		{ "application/json, text/plain, */*", 1 },	/* axios */
		{ "application/json", 1 },
		{ "Application/JSON;charset=utf-8", 1 },
		{ "text/plain, application/json;q=0.5", 1 },
		{ "text/html,application/xhtml+xml,application/xml;q=0.9,"
		    "*/*;q=0.8", 0 },				/* browser */
		{ "*/*", 0 },
		{ "application/json, text/html", 0 },
		{ "application/json;q=0, */*", 0 },
		{ "application/json; q=0.0", 0 },
		{ "application/json;q=0.5, text/html;q=0", 1 },
		{ "application/json-seq", 0 },
		{ "x-application/jsonfoo", 0 },
		{ "", 0 },
		{ NULL, 0 },
	};
	char		 hdr[256];
	char		*env[2];
	struct memreq	 m;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(hdr, sizeof(hdr), "HTTP_ACCEPT=%s",
		    cases[i].accept == NULL ? "" : cases[i].accept);
		env[0] = cases[i].accept == NULL ? NULL : hdr;
		env[1] = NULL;
		memreq(&m, env, "GET");
		CHECK(M, cases[i].accept == NULL ? "wants_json: no Accept" :
		    cases[i].accept, wd_http_wants_json(&m.rq) ==
		    cases[i].want);
		memreq_free(&m);
	}
}

static void
test_check_refusal(void)
{
	char		*on[] = { "WARDEN_CHECK_ONLY=1", NULL };
	struct memreq	 m;
	struct wd_hdrs	 h;
	const char	*a;

	memreq(&m, on, "POST");
	(void)wd_http_check(&m.rq);
	wd_http_error(&m.rq, WD_E_TOOBIG, NULL);
	a = (const char *)outbuf;
	CHECK(M, "refusal: 413 goes out as 403 (auth_request passes it)",
	    strncmp(a, "Status: 403 ", 12) == 0);
	CHECK(M, "refusal: the real status in X-Warden-Status",
	    strstr(a, "\r\nX-Warden-Status: 413\r\n") != NULL);
	CHECK(M, "refusal: the JSON error in X-Warden-Error", strstr(a,
	    "\r\nX-Warden-Error: {\"statusCode\":413,\"error\":\"Payload Too "
	    "Large\",") != NULL && strstr(a, "\"code\":\"payload-too-large\"}"
	    "\r\n") != NULL);
	CHECK(M, "refusal: no body, not JSON itself",
	    strstr(a, "Content-Type") == NULL &&
	    strstr(a, "\r\nContent-Length: 0\r\n") != NULL &&
	    strcmp(a + strlen(a) - 4, "\r\n\r\n") == 0);
	CHECK(M, "refusal: logged as a check",
	    strstr((const char *)errbuf, "status=413 code=payload-too-large "
	    "method=POST check") != NULL);
	memreq_free(&m);

	memreq(&m, on, "POST");
	(void)wd_http_check(&m.rq);
	wd_http_error(&m.rq, WD_E_BADTOKEN, NULL);
	a = (const char *)outbuf;
	CHECK(M, "refusal: 401 stays 401 (auth_request passes it too)",
	    strncmp(a, "Status: 401 ", 12) == 0 &&
	    strstr(a, "\r\nX-Warden-Status: 401\r\n") != NULL &&
	    strstr(a, "\"code\":\"invalid-jwt\"") != NULL);
	memreq_free(&m);

	memreq(&m, on, "POST");
	(void)wd_http_check(&m.rq);
	wd_hdrs_init(&h);
	wd_hdrs_add(&h, "Retry-After", "7");
	wd_http_error_hdrs(&m.rq, WD_E_RATELIMIT, "line\r\nX-Evil: 1", &h);
	a = (const char *)outbuf;
	CHECK(M, "refusal: the caller's headers kept (Retry-After)",
	    strncmp(a, "Status: 403 ", 12) == 0 &&
	    strstr(a, "\r\nRetry-After: 7\r\n") != NULL &&
	    strstr(a, "\r\nX-Warden-Status: 429\r\n") != NULL);
	CHECK(M, "refusal: CR LF in a message stay escaped in the header",
	    strstr(a, "\r\nX-Evil") == NULL &&
	    strstr(a, "line\\u000d\\u000aX-Evil: 1") != NULL);
	memreq_free(&m);

	memreq(&m, on, "POST");
	wd_http_error(&m.rq, WD_E_TOOBIG, NULL);
	a = (const char *)outbuf;
	CHECK(M, "refusal: without wd_http_check, an ordinary JSON error",
	    strncmp(a, "Status: 413 ", 12) == 0 &&
	    strstr(a, "X-Warden") == NULL &&
	    strstr(a, "Content-Type: application/json\r\n") != NULL);
	memreq_free(&m);
}

int
main(void)
{
	test_routes();
	test_hdrs();
	test_check_mode();
	test_has_body();
	test_wants_json();
	test_check_refusal();
	return WD_TEST_RESULT();
}
