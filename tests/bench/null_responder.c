/*
 * null_responder: the ceilings for `make bench`. A FastCGI responder that
 * does no work at all, so lighttpd + libfcgi + the socket round trip are
 * all that is measured. Not part of Warden; built by tests/bench/run.sh.
 *
 * - by default (the webhook's ceiling) it answers every request with the
 *   smallest valid webhook reply;
 * - with NULL_SENDFILE_DIR set (the fs download's ceiling) it answers
 *   /nullsf/<name> as cgi-bin/storage answers an fs object (the same
 *   headers, X-Sendfile for the whole file, X-Sendfile2 and 206 for a
 *   "Range: bytes=a-b"), naming <NULL_SENDFILE_DIR>/<name>: no token, no
 *   rules, no database.
 */
#include <sys/stat.h>

#include <fcgiapp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char reply[] =
	"Status: 200\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"X-Hasura-Role\":\"anonymous\"}";

#define PREFIX	"/nullsf/"

static const char common[] =
	"ETag: \"00000000000000000000000000000000\"\r\n"
	"Last-Modified: Sat, 28 Nov 2026 00:00:00 GMT\r\n"
	"Cache-Control: private, no-cache\r\n"
	"Accept-Ranges: bytes\r\n"
	"Content-Type: application/octet-stream\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Content-Security-Policy: sandbox; default-src 'none'\r\n";

/* "bytes=<first>-<last>" into *first, *last; 0 if it is not that. */
static int
range(const char *h, uint64_t *first, uint64_t *last)
{
	char	*end;

	if (strncmp(h, "bytes=", 6) != 0)
		return 0;
	*first = strtoull(h + 6, &end, 10);
	if (*end != '-')
		return 0;
	*last = strtoull(end + 1, &end, 10);
	return *end == '\0' && *first <= *last;
}

static void
sendfile_answer(FCGX_Request *rq, const char *dir)
{
	const char	*uri = FCGX_GetParam("REQUEST_URI", rq->envp);
	const char	*rh = FCGX_GetParam("HTTP_RANGE", rq->envp);
	char		 path[4096];
	struct stat	 st;
	uint64_t	 a, b;

	if (uri == NULL || strncmp(uri, PREFIX, strlen(PREFIX)) != 0 ||
	    strchr(uri + strlen(PREFIX), '/') != NULL ||
	    uri[strlen(PREFIX)] == '.' ||
	    snprintf(path, sizeof(path), "%s/%s", dir, uri + strlen(PREFIX)) >=
	    (int)sizeof(path)) {
		FCGX_PutS("Status: 404\r\n\r\n", rq->out);
		return;
	}
	if (rh == NULL) {
		FCGX_FPrintF(rq->out,
		    "Status: 200 OK\r\n%sX-Sendfile: %s\r\n\r\n", common, path);
		return;
	}
	if (!range(rh, &a, &b) || stat(path, &st) != 0 ||
	    b >= (uint64_t)st.st_size) {
		FCGX_PutS("Status: 416\r\n\r\n", rq->out);
		return;
	}
	/* the path holds no character that needs encoding (bench names) */
	FCGX_FPrintF(rq->out, "Status: 206 Partial Content\r\n%s"
	    "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%lld\r\n"
	    "X-Sendfile2: %s %" PRIu64 "-%" PRIu64 "\r\n\r\n", common, a, b,
	    (long long)st.st_size, path, a, b);
}

int
main(void)
{
	FCGX_Request	 rq;
	const char	*dir = getenv("NULL_SENDFILE_DIR");

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
		fprintf(stderr, "null_responder: cannot initialise FastCGI\n");
		return 1;
	}
	while (FCGX_Accept_r(&rq) >= 0) {
		if (dir != NULL)
			sendfile_answer(&rq, dir);
		else
			FCGX_PutStr(reply, (int)(sizeof(reply) - 1), rq.out);
		/* as wd_http's finish() for a request without a body: the
		 * end of the input read first, then one write of the answer
		 * and the closing records, and a close at once instead of
		 * waiting for lighttpd to hang up */
		if (FCGX_HasSeenEOF(rq.in) != EOF)
			(void)FCGX_GetChar(rq.in);
		if (FCGX_HasSeenEOF(rq.in) == EOF)
			(void)FCGX_Detach(&rq);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return 0;
}
