/*
 * test_http.c: the serve loop's routing (path and method matching,
 * 404/405) and the bounded response header builder (src/wd_http.c,
 * included for its statics).
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
	enum wd_err	 rc;

	memset(&rq, 0, sizeof(rq));
	rq.method = c->method;
	rq.uri = c->uri;
	q = strchr(c->uri, '?');
	rq.path_len = q == NULL ? strlen(c->uri) : (size_t)(q - c->uri);
	rq.query = q == NULL ? "" : q + 1;
	called = NULL;
	rc = dispatch(t, n, NULL, &rq);
	CHECK(M, c->name, rc == c->want && (c->arg == NULL ? called == NULL :
	    called != NULL && strcmp(called, c->arg) == 0));
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

int
main(void)
{
	test_routes();
	test_hdrs();
	return WD_TEST_RESULT();
}
