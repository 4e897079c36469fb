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
#include "wd_err.h"
#include "wd_log.h"

struct wd_req {
	FCGX_Request	 f;
	const char	*method;	/* borrowed from params; never NULL */
	const char	*uri;		/* REQUEST_URI, raw; never NULL */
	size_t		 path_len;	/* bytes of uri before '?' */
	const char	*query;		/* after '?', or "" */
	int		 authorizer;	/* FCGI_ROLE=AUTHORIZER */
	struct wd_buf	 body;		/* request body once read */
	struct wd_buf	 out;		/* scratch for the response body */
	int		 responded;
};

/* Initialises libfcgi and rq (reading from fd 0, as spawned). */
enum wd_err	wd_http_init(struct wd_req *rq);
void		wd_http_cleanup(struct wd_req *rq);

/*
 * Waits for the next request. WD_OK with rq's fields set; any other value
 * means the listening socket is gone and the process should exit.
 */
enum wd_err	wd_http_accept(struct wd_req *rq);

/* Ends the current request (flushes, frees its params). */
void		wd_http_finish(struct wd_req *rq);

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
 * Sends status, the extra header lines (each ending "\r\n", may be NULL),
 * Content-Type ctype (may be NULL when there is no body) and len bytes of
 * body. Adds Cache-Control: no-store unless extra sets Cache-Control.
 */
void		wd_http_send(struct wd_req *rq, int status, const char *extra,
		    const char *ctype, const char *body, size_t len);

/*
 * Sends the JSON error for e: {"statusCode","error","message","code"}
 * (API.md §5). msg NULL uses the table's default message.
 */
void		wd_http_error(struct wd_req *rq, enum wd_err e,
		    const char *msg);

struct wd_db;
/*
 * Serves GET/HEAD /healthz: "200 ok" (text/plain) when db answers, else
 * 503 database-unavailable; other methods 405, other paths 404.
 */
void		wd_health_handle(struct wd_db *db, struct wd_req *rq);

/* Logs one line for this request to the FastCGI error stream. */
#define wd_http_log(rq, lvl, mod, ...) \
	wd_log((rq)->f.err, (lvl), (mod), __VA_ARGS__)

/* ---- streaming (storage, issue #4) ---- */

/*
 * Reads CONTENT_LENGTH for a body that will be streamed, not buffered:
 * WD_OK with *len; WD_E_BADREQ when missing or not digits; WD_E_TOOBIG
 * when over max (nothing has been read).
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
 * Sends the status line and the header lines hdrs (each ending "\r\n";
 * may be NULL) and the blank line, adding nothing else: the caller owns
 * Content-Length and Cache-Control. Then the body goes through
 * wd_http_write (not for HEAD).
 */
void		wd_http_head(struct wd_req *rq, int status, const char *hdrs);

/* Writes body bytes; WD_E_INTERNAL when the connection is gone. */
enum wd_err	wd_http_write(struct wd_req *rq, const void *p, size_t len);

#endif
