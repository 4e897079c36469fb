/*
 * wd_http.h: the FastCGI request/response wrapper (libfcgi, one
 * FCGX_Request reused per process). Everything a handler reads from the
 * network comes through here with its size checked first.
 */
#ifndef WD_HTTP_H
#define WD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <fcgiapp.h>

#include "wd_buf.h"
#include "wd_cors.h"
#include "wd_err.h"
#include "wd_log.h"

struct wd_req {
	FCGX_Request	 f;
	const char	*method;	/* borrowed from params; never NULL */
	const char	*uri;		/* REQUEST_URI, raw; never NULL */
	size_t		 path_len;	/* bytes of uri before '?' */
	const char	*query;		/* after '?', or "" */
	int		 authorizer;	/* FCGI_ROLE=AUTHORIZER */
	int		 check;		/* a check only, set by a handler
					 * that takes them (wd_http_check) */
	struct wd_buf	 body;		/* request body once read */
	struct wd_buf	 out;		/* scratch for the response body */
	int		 responded;
	const struct wd_cors *cors;	/* the binary's allowed origins, or
					 * NULL: no CORS (wd_http_serve) */
	const char	*origin;	/* Origin when one of those; else
					 * NULL */
	int		 cross;		/* an Origin to answer came: an
					 * allowed one, or any while "*" is
					 * on (WARDEN_CORS_ANY_ORIGIN) */
	long		 retry_after;	/* seconds, for the Retry-After of
					 * a 429 sent by wd_http_error; 0:
					 * none */
};

/* A CGI/FastCGI parameter (e.g. "HTTP_AUTHORIZATION") or NULL;
 * borrowed until wd_http_finish(). */
const char	*wd_http_param(const struct wd_req *rq, const char *name);

/* 1 if the path (before '?') equals p exactly. */
int		wd_http_path_is(const struct wd_req *rq, const char *p);

/*
 * Reads the body into rq->body. CONTENT_LENGTH is checked against max
 * before a byte is read (WD_E_TOOBIG); missing or non-numeric is
 * WD_E_BADREQ; a short body is WD_E_BADREQ and nothing is parsed.
 */
enum wd_err	wd_http_read_body(struct wd_req *rq, size_t max);

/*
 * Response header lines built in a bounded buffer. A line that does not
 * fit, or a value with CR or LF, marks the set bad (sticky): the send
 * functions then answer 500 instead of a response missing a header.
 */
#define WD_MAX_RESP_HEADERS	4096	/* our headers: a path < 1024, the
					 * rest short values we made */
struct wd_hdrs {
	char	 p[WD_MAX_RESP_HEADERS];
	size_t	 len;
	int	 bad;		/* a line was refused */
	int	 cache;		/* a Cache-Control line is present */
};

void		wd_hdrs_init(struct wd_hdrs *h);
/* Appends "name: value\r\n". */
void		wd_hdrs_add(struct wd_hdrs *h, const char *name,
		    const char *value);

/*
 * Sends status, the extra header lines (may be NULL), Content-Type ctype
 * (may be NULL when there is no body) and len bytes of body. Adds
 * Cache-Control: no-store unless extra has a Cache-Control line.
 */
void		wd_http_send(struct wd_req *rq, int status,
		    const struct wd_hdrs *extra, const char *ctype,
		    const char *body, size_t len);

/*
 * Sends the JSON error for e: {"statusCode","error","message","code"}
 * (API.md §5). msg NULL uses the table's default message.
 */
void		wd_http_error(struct wd_req *rq, enum wd_err e,
		    const char *msg);
/* Same, with extra header lines (Retry-After, Set-Cookie); may be NULL. */
void		wd_http_error_hdrs(struct wd_req *rq, enum wd_err e,
		    const char *msg, const struct wd_hdrs *h);

/*
 * Percent-decodes query parameter name into out (size outsz, NUL added).
 * WD_OK, WD_E_NOTFOUND when absent, WD_E_BADREQ when repeated,
 * malformed, holding a NUL or too long.
 */
enum wd_err	wd_http_query(const struct wd_req *rq, const char *name,
		    char *out, size_t outsz);

/* ---- checks before the body (nginx auth_request, issue #11) ---- */

/*
 * 1 when the web server asks only whether this request would be let in,
 * before it reads the body (nginx's auth_request subrequest; the
 * WARDEN_CHECK_ONLY parameter, which only the server's configuration can
 * set: client headers arrive as HTTP_*), and marks rq so. From then on
 * the body is never read (wd_http_read_body and wd_http_read_some fail)
 * and CONTENT_LENGTH is the length the client announced. The handler
 * decides as for the real request and answers 204 to let it in; an error
 * (wd_http_error) goes out as 401 (a 401) or 403 (anything else: the
 * only refusals auth_request passes on), the real status in
 * X-Warden-Status and the JSON error in X-Warden-Error, for the server
 * to answer with. Only a handler that calls this takes checks; the
 * others ignore the parameter (the serve loop calls it only to shape the
 * 404 or 405 of a request no handler took).
 */
int		wd_http_check(struct wd_req *rq);

/* 1 when the request announces a body: a CONTENT_LENGTH other than 0, or
 * a Transfer-Encoding (chunked, length unknown until it is read). */
int		wd_http_has_body(const struct wd_req *rq);

/* 1 when the request's Accept names application/json and not text/html
 * (each exactly, q not 0): an API client (axios sends
 * "application/json, text/plain" and any type), not a browser or a link
 * previewer (text/html, or no preference). */
int		wd_http_wants_json(const struct wd_req *rq);

/* ---- the serve loop ---- */

/*
 * One row of a binary's route table. path is matched exactly, or as a
 * prefix when it ends in '/'; NULL matches every path. methods lists the
 * accepted methods separated by spaces ("GET HEAD"); NULL accepts any
 * (the handler decides). fn is called with the binary's context and the
 * row's arg. It answers through wd_http_send/error/head, or returns an
 * error that the loop answers for it when it has sent nothing.
 */
struct wd_route {
	const char	*path;
	const char	*methods;
	enum wd_err	(*fn)(void *ctx, struct wd_req *rq, const void *arg);
	const void	*arg;
};

/*
 * The whole life of a FastCGI binary after start-up: accept, find the
 * route (404 when no path matches, 405 when no method does), call it,
 * answer its error if it sent nothing, finish, clean up. Returns the
 * process exit status: 0 when the listening socket goes away, 1 when
 * FastCGI cannot start (with one line on stderr naming prog).
 *
 * cors (borrowed, may be NULL) makes the binary answer browsers across
 * sites: a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered 204 before any route. An
 * answer to one of those origins names it, with credentials (cookies);
 * to any other origin, while cors->any, it says "*" without them: such a
 * page reads only what its own Authorization header obtains, as it could
 * without a browser, and the browser sends it no cookie of ours. Every
 * answer says Vary: Origin.
 */
int		wd_http_serve(const char *prog, const struct wd_route *routes,
		    size_t n, void *ctx, const struct wd_cors *cors);

/* Logs one line for this request to the FastCGI error stream. */
#define wd_http_log(rq, lvl, mod, ...) \
	wd_log((rq)->f.err, (lvl), (mod), __VA_ARGS__)

/* ---- streaming (storage, issue #4) ---- */

/*
 * Reads CONTENT_LENGTH for a body that will be streamed, not buffered:
 * WD_OK with *len; WD_E_BADREQ when missing or not digits; WD_E_TOOBIG
 * when over max (nothing has been read). In a check, a chunked body's
 * length is not known yet: WD_OK with 0 (the real request checks it).
 */
enum wd_err	wd_http_body_len(const struct wd_req *rq, uint64_t max,
		    uint64_t *len);

/*
 * Reads up to cap bytes of the body into buf (*got bytes; 0 only when
 * cap is 0). WD_E_BADREQ when the stream ends first: the client went
 * away or sent less than it announced.
 */
enum wd_err	wd_http_read_some(struct wd_req *rq, void *buf, size_t cap,
		    size_t *got);

/*
 * Sends the status line, the header lines hdrs (may be NULL; a bad set
 * is answered 500 instead) and the blank line, adding nothing else: the
 * caller owns Content-Length and Cache-Control. Then the body goes
 * through wd_http_write (not for HEAD).
 */
void		wd_http_head(struct wd_req *rq, int status,
		    const struct wd_hdrs *hdrs);

/* Writes body bytes; WD_E_INTERNAL when the connection is gone. */
enum wd_err	wd_http_write(struct wd_req *rq, const void *p, size_t len);

#endif
