/*
 * null_responder: the ceiling for `make bench`. A FastCGI responder that
 * does no work at all: it answers every request with the smallest valid
 * webhook reply, so lighttpd + libfcgi + the socket round trip are all
 * that is measured. Not part of Warden; built by tests/bench/run.sh.
 */
#include <fcgiapp.h>
#include <stdio.h>

static const char reply[] =
	"Status: 200\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"X-Hasura-Role\":\"anonymous\"}";

int
main(void)
{
	FCGX_Request	 rq;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
		fprintf(stderr, "null_responder: cannot initialise FastCGI\n");
		return 1;
	}
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(reply, (int)(sizeof(reply) - 1), rq.out);
		/* as wd_http's finish(): the request read to its end, close
		 * at once instead of waiting for lighttpd to hang up */
		(void)FCGX_FFlush(rq.out);
		if (FCGX_HasSeenEOF(rq.in) != EOF)
			(void)FCGX_GetChar(rq.in);
		if (FCGX_HasSeenEOF(rq.in) == EOF)
			(void)FCGX_Detach(&rq);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return 0;
}
