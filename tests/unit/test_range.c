/*
 * test_range.c: Range header parsing (src/wd_range.c), RFC 9110 §14.
 */
#include <stdint.h>
#include <string.h>

#include "wd_range.h"
#include "wd_test.h"

#define M	"range"

/* result kinds */
#define FULL	0	/* WD_OK, partial = 0 */
#define PART	1	/* WD_OK, partial = 1 */
#define UNSAT	2	/* WD_E_RANGE */

struct case_ {
	const char	*h;
	uint64_t	 size;
	int		 kind;
	uint64_t	 start, end;
};

static void
test_table(void)
{
	static const struct case_ cases[] = {
		{ "bytes=0-0", 10, PART, 0, 0 },
		{ "bytes=0-9", 10, PART, 0, 9 },
		{ "bytes=0-99", 10, PART, 0, 9 },
		{ "bytes=3-", 10, PART, 3, 9 },
		{ "bytes=9-", 10, PART, 9, 9 },
		{ "bytes=-1", 10, PART, 9, 9 },
		{ "bytes=-4", 10, PART, 6, 9 },
		{ "bytes=-10", 10, PART, 0, 9 },
		{ "bytes=-100", 10, PART, 0, 9 },
		{ "BYTES=2-3", 10, PART, 2, 3 },
		{ "bytes= 2-3 ", 10, PART, 2, 3 },
		{ "bytes=2-3,", 10, PART, 2, 3 },
		{ "bytes=,2-3", 10, PART, 2, 3 },
		{ "bytes=5-99999999999999999999999", 10, PART, 5, 9 },
		{ "bytes=-99999999999999999999999", 10, PART, 0, 9 },
		{ "bytes=0-0", 1, PART, 0, 0 },
		/* unsatisfiable: 416 */
		{ "bytes=10-", 10, UNSAT, 0, 0 },
		{ "bytes=10-20", 10, UNSAT, 0, 0 },
		{ "bytes=99999999999999999999999-", 10, UNSAT, 0, 0 },
		{ "bytes=-0", 10, UNSAT, 0, 0 },
		{ "bytes=0-0", 0, UNSAT, 0, 0 },
		{ "bytes=-5", 0, UNSAT, 0, 0 },
		{ "bytes=10-,20-", 10, UNSAT, 0, 0 },
		/* ignored: 200 */
		{ "", 10, FULL, 0, 0 },
		{ "bytes=", 10, FULL, 0, 0 },
		{ "bytes=,", 10, FULL, 0, 0 },
		{ "bytes", 10, FULL, 0, 0 },
		{ "bits=0-1", 10, FULL, 0, 0 },
		{ "bytes 0-1", 10, FULL, 0, 0 },
		{ "bytes=5-4", 10, FULL, 0, 0 },
		{ "bytes=a-b", 10, FULL, 0, 0 },
		{ "bytes=-", 10, FULL, 0, 0 },
		{ "bytes=1", 10, FULL, 0, 0 },
		{ "bytes=1-2-3", 10, FULL, 0, 0 },
		{ "bytes=+1-2", 10, FULL, 0, 0 },
		{ "bytes=0x1-2", 10, FULL, 0, 0 },
		{ "bytes=1 -2", 10, FULL, 0, 0 },
		{ "bytes=-1-2", 10, FULL, 0, 0 },
		{ "bytes=0-1;2-3", 10, FULL, 0, 0 },
		{ "bytes=0-1,2-3", 10, FULL, 0, 0 },	/* several */
		{ "bytes=0-1,20-30", 10, FULL, 0, 0 },
		{ "bytes=0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,"
		    "0-1,0-1,0-1,0-1,0-1", 10, FULL, 0, 0 },
	};
	size_t		 i;
	char		 name[160];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_	*c = &cases[i];
		struct wd_range		 r = { 77, 77 };
		int			 partial = -1, ok;
		enum wd_err		 rc;

		rc = wd_range_parse(c->h, strlen(c->h), c->size, &partial,
		    &r);
		switch (c->kind) {
		case PART:
			ok = rc == WD_OK && partial == 1 &&
			    r.start == c->start && r.end == c->end;
			break;
		case UNSAT:
			ok = rc == WD_E_RANGE;
			break;
		default:
			ok = rc == WD_OK && partial == 0;
			break;
		}
		snprintf(name, sizeof(name), "\"%.60s\" size %llu", c->h,
		    (unsigned long long)c->size);
		CHECK(M, name, ok);
	}
}

int
main(void)
{
	test_table();
	return WD_TEST_RESULT();
}
