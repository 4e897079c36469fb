/*
 * test_s3range.c: which S3 download answers are passed on (issue #11,
 * src/wd_s3.c answer_matches): only a 206 whose Content-Range starts at
 * the offset asked and covers the range, with a consistent
 * Content-Length. Includes the .c to reach the static.
 */
#include "../../src/wd_s3.c"
#include "wd_test.h"

#define M	"s3range"

struct rcase {
	uint64_t	 off, len;
	long		 st;
	const char	*crange, *clen;
	int		 want;
};

int
main(void)
{
	static const struct rcase cases[] = {
		{ 0, 10, 206, "bytes 0-9/100", "10", 1 },
		{ 0, 10, 206, "bytes 0-9/100", "", 1 },	/* chunked */
		{ 5, 1, 206, "bytes 5-5/6", "1", 1 },
		{ 0, 1, 206, "bytes 0-99/100", "100", 1 },	/* s3rver 0-0 */
		{ 90, 10, 206, "bytes 90-99/*", "10", 1 },
		/* refused */
		{ 0, 10, 200, "", "100", 0 },			/* whole */
		{ 0, 10, 200, "bytes 0-9/100", "10", 0 },
		{ 0, 10, 206, "", "10", 0 },
		{ 0, 10, 206, "bytes 1-10/100", "10", 0 },	/* offset */
		{ 5, 10, 206, "bytes 0-14/100", "15", 0 },
		{ 0, 10, 206, "bytes 0-8/100", "9", 0 },	/* short */
		{ 0, 10, 206, "bytes 0-9/100", "9", 0 },	/* length */
		{ 0, 10, 206, "bytes 0-9/100", "11", 0 },
		{ 0, 10, 206, "bytes 0-9/100", "x", 0 },
		{ 0, 10, 206, "bytes 9-0/100", "10", 0 },
		{ 0, 10, 206, "bytes -9/100", "10", 0 },
		{ 0, 10, 206, "bytes 0-/100", "10", 0 },
		{ 0, 10, 206, "bytes 0-9", "10", 0 },
		{ 0, 10, 206, "items 0-9/100", "10", 0 },
		{ 0, 10, 206, "bytes +0-9/100", "10", 0 },
		{ 0, 10, 206, "bytes 0-99999999999999999999/1", "10", 0 },
	};
	struct getctx	 g;
	char		 name[64];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g, 0, sizeof(g));
		g.off = cases[i].off;
		g.len = cases[i].len;
		snprintf(g.crange, sizeof(g.crange), "%s", cases[i].crange);
		snprintf(g.clen, sizeof(g.clen), "%s", cases[i].clen);
		snprintf(name, sizeof(name), "case %zu %s", i,
		    cases[i].want ? "passed on" : "refused");
		CHECK(M, name, answer_matches(&g, cases[i].st) ==
		    cases[i].want);
	}
	return WD_TEST_RESULT();
}
