/*
 * test_buf.c: the bounded buffer (src/wd_buf.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wd_buf.h"
#include "wd_test.h"

#define M	"buf"

/* Runs fn in a child so a memory error there (caught by ASan, or not)
 * cannot take the rest of this binary with it. 1 if fn returned 1. */
static int
isolated(int (*fn)(void))
{
	pid_t	 pid;
	int	 st = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

struct add_case {
	const char	*name;
	size_t		 max;
	size_t		 first;		/* bytes added first (must fit) */
	size_t		 second;	/* then this many */
	enum wd_err	 want;
};

static void
test_add(void)
{
	static const struct add_case cases[] = {
		{ "add one past max from empty", 10, 0, 11, WD_E_TOOBIG },
		{ "add one past max after fill", 10, 10, 1, WD_E_TOOBIG },
		{ "add one past max midway", 10, 4, 7, WD_E_TOOBIG },
		{ "add huge length", 10, 4, SIZE_MAX, WD_E_TOOBIG },
		{ "add huge length - len", 10, 4, SIZE_MAX - 3, WD_E_TOOBIG },
		{ "add to max 0", 0, 0, 1, WD_E_TOOBIG },
		{ "add past 256 default cap", 300, 0, 301, WD_E_TOOBIG },
		{ "add up to max exactly", 10, 0, 10, WD_OK },
		{ "add up to max exactly in two", 10, 4, 6, WD_OK },
		{ "add zero to full", 10, 10, 0, WD_OK },
		{ "add zero to max 0", 0, 0, 0, WD_OK },
		{ "add beyond first cap", 5000, 100, 4900, WD_OK },
	};
	char	*src;
	size_t	 i;

	src = malloc(5000);
	if (src == NULL)
		return;
	for (i = 0; i < 5000; i++)
		src[i] = (char)('a' + i % 26);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct add_case	*c = &cases[i];
		struct wd_buf		 b;
		enum wd_err		 rc;
		int			 ok;

		wd_buf_init(&b, c->max);
		ok = wd_buf_add(&b, src, c->first) == WD_OK;
		/* a huge length must be refused before a byte is read */
		rc = wd_buf_add(&b, src + c->first, c->second);
		ok = ok && wd_buf_status(&b) == c->want;
		if (c->want == WD_OK)
			ok = ok && rc == WD_OK &&
			    b.len == c->first + c->second &&
			    memcmp(wd_buf_str(&b), src, b.len) == 0 &&
			    wd_buf_str(&b)[b.len] == '\0' && b.cap > b.len;
		else
			ok = ok && rc == c->want && b.len == c->first &&
			    memcmp(wd_buf_str(&b), src, b.len) == 0 &&
			    wd_buf_str(&b)[b.len] == '\0';
		CHECK(M, c->name, ok);
		wd_buf_cleanup(&b);
	}
	free(src);
}

static void
test_adds_addf(void)
{
	struct wd_buf	 b;
	char		*big, *want;
	size_t		 i;
	int		 ok;

	wd_buf_init(&b, 64);
	CHECK(M, "fresh buffer str is empty", strcmp(wd_buf_str(&b), "") == 0);
	CHECK(M, "adds", wd_buf_adds(&b, "abc") == WD_OK &&
	    strcmp(wd_buf_str(&b), "abc") == 0 && b.len == 3);
	CHECK(M, "addf small", wd_buf_addf(&b, "-%d-%s", 42, "x") == WD_OK &&
	    strcmp(wd_buf_str(&b), "abc-42-x") == 0);
	CHECK(M, "addf past max unchanged",
	    wd_buf_addf(&b, "%070d", 1) == WD_E_TOOBIG &&
	    strcmp(wd_buf_str(&b), "abc-42-x") == 0 && b.len == 8);
	wd_buf_cleanup(&b);

	/* output longer than the 512-byte stack buffer in wd_buf_addf */
	big = malloc(3001);
	want = malloc(3010);
	if (big == NULL || want == NULL) {
		free(big);
		free(want);
		return;
	}
	for (i = 0; i < 3000; i++)
		big[i] = (char)('A' + i % 26);
	big[3000] = '\0';
	wd_buf_init(&b, 4000);
	ok = wd_buf_adds(&b, "<") == WD_OK &&
	    wd_buf_addf(&b, "%s|%d", big, 7) == WD_OK;
	/* the expected text laid out by hand, not by printf again */
	want[0] = '<';
	memcpy(want + 1, big, 3000);
	memcpy(want + 3001, "|7", 3);
	CHECK(M, "addf big string", ok && b.len == strlen(want) &&
	    strcmp(wd_buf_str(&b), want) == 0);
	CHECK(M, "addf big string past max unchanged",
	    wd_buf_addf(&b, "%s", big) == WD_E_TOOBIG &&
	    strcmp(wd_buf_str(&b), want) == 0);
	wd_buf_cleanup(&b);

	wd_buf_init(&b, 3000);
	CHECK(M, "addf big exactly max",
	    wd_buf_addf(&b, "%s", big) == WD_OK && b.len == 3000 &&
	    strcmp(wd_buf_str(&b), big) == 0);
	wd_buf_cleanup(&b);

	wd_buf_init(&b, 2999);
	CHECK(M, "addf big one past max",
	    wd_buf_addf(&b, "%s", big) == WD_E_TOOBIG && b.len == 0 &&
	    strcmp(wd_buf_str(&b), "") == 0);
	wd_buf_cleanup(&b);

	/* exactly 512 and 511 bytes: the boundary of the stack buffer */
	wd_buf_init(&b, 1024);
	CHECK(M, "addf 511 bytes", wd_buf_addf(&b, "%.511s", big) == WD_OK &&
	    b.len == 511 && memcmp(b.p, big, 511) == 0);
	wd_buf_reset(&b);
	CHECK(M, "addf 512 bytes", wd_buf_addf(&b, "%.512s", big) == WD_OK &&
	    b.len == 512 && memcmp(b.p, big, 512) == 0 && b.p[512] == '\0');
	wd_buf_cleanup(&b);
	free(big);
	free(want);
}

static void
test_reset_cleanup(void)
{
	struct wd_buf	 b;
	char		*p;
	size_t		 cap;

	wd_buf_init(&b, 1000);
	wd_buf_reset(&b);
	CHECK(M, "reset on fresh buffer", b.len == 0 &&
	    strcmp(wd_buf_str(&b), "") == 0);
	(void)wd_buf_adds(&b, "hello world");
	p = b.p;
	cap = b.cap;
	wd_buf_reset(&b);
	CHECK(M, "reset keeps memory", b.p == p && b.cap == cap &&
	    b.len == 0 && strcmp(wd_buf_str(&b), "") == 0);
	CHECK(M, "reset keeps max", b.max == 1000);
	CHECK(M, "add after reset", wd_buf_adds(&b, "x") == WD_OK &&
	    b.p == p && strcmp(wd_buf_str(&b), "x") == 0);
	wd_buf_cleanup(&b);
	CHECK(M, "cleanup zeroes", b.p == NULL && b.len == 0 && b.cap == 0);
	wd_buf_cleanup(&b);
	CHECK(M, "cleanup twice safe", b.p == NULL);
	CHECK(M, "str after cleanup", strcmp(wd_buf_str(&b), "") == 0);
	CHECK(M, "reuse after cleanup", wd_buf_adds(&b, "again") == WD_OK &&
	    strcmp(wd_buf_str(&b), "again") == 0);
	wd_buf_cleanup(&b);
	wd_buf_cleanup(NULL);
	CHECK(M, "cleanup NULL safe", 1);
	{
		struct wd_buf	 z = { 0 };

		wd_buf_cleanup(&z);
		CHECK(M, "cleanup zeroed struct safe", z.p == NULL);
	}
}

/* The first failed append is kept: later appends, even ones that would
 * fit, change nothing and report it again, until a reset. */
static void
test_sticky(void)
{
	struct wd_buf	 b;
	int		 ok;

	wd_buf_init(&b, 10);
	CHECK(M, "fresh buffer status ok", wd_buf_status(&b) == WD_OK);
	ok = wd_buf_adds(&b, "abcd") == WD_OK && wd_buf_status(&b) == WD_OK;
	CHECK(M, "status ok after appends that fit", ok);
	CHECK(M, "overflow fails",
	    wd_buf_adds(&b, "0123456") == WD_E_TOOBIG);
	CHECK(M, "overflow kept in status", wd_buf_status(&b) == WD_E_TOOBIG);
	CHECK(M, "add that fits after overflow is refused",
	    wd_buf_add(&b, "x", 1) == WD_E_TOOBIG);
	CHECK(M, "adds after overflow is refused",
	    wd_buf_adds(&b, "y") == WD_E_TOOBIG);
	CHECK(M, "addf after overflow is refused",
	    wd_buf_addf(&b, "%d", 7) == WD_E_TOOBIG);
	CHECK(M, "empty add after overflow is refused",
	    wd_buf_add(&b, "", 0) == WD_E_TOOBIG);
	CHECK(M, "contents stay as before the overflow", b.len == 4 &&
	    strcmp(wd_buf_str(&b), "abcd") == 0);
	wd_buf_fail(&b, WD_E_INTERNAL);
	CHECK(M, "first failure stays reported",
	    wd_buf_status(&b) == WD_E_TOOBIG &&
	    wd_buf_add(&b, "z", 1) == WD_E_TOOBIG);
	wd_buf_reset(&b);
	CHECK(M, "reset clears the failure", wd_buf_status(&b) == WD_OK &&
	    wd_buf_adds(&b, "0123456789") == WD_OK &&
	    strcmp(wd_buf_str(&b), "0123456789") == 0);
	CHECK(M, "addf overflow is kept too",
	    wd_buf_addf(&b, "%s", "!") == WD_E_TOOBIG &&
	    wd_buf_status(&b) == WD_E_TOOBIG && b.len == 10);
	wd_buf_cleanup(&b);
	CHECK(M, "cleanup clears the failure", wd_buf_status(&b) == WD_OK);
	wd_buf_cleanup(&b);

	wd_buf_init(&b, 10);
	wd_buf_fail(&b, WD_OK);
	CHECK(M, "fail with WD_OK records nothing",
	    wd_buf_status(&b) == WD_OK && wd_buf_adds(&b, "a") == WD_OK);
	wd_buf_fail(&b, WD_E_INTERNAL);
	CHECK(M, "fail records a failure from elsewhere",
	    wd_buf_status(&b) == WD_E_INTERNAL &&
	    wd_buf_add(&b, "b", 1) == WD_E_INTERNAL &&
	    strcmp(wd_buf_str(&b), "a") == 0);
	wd_buf_cleanup(&b);
	{
		struct wd_buf	 z = { 0 };

		CHECK(M, "zeroed struct status ok", wd_buf_status(&z) == WD_OK);
	}
}

/* max = SIZE_MAX ("no limit") must not wrap the capacity arithmetic. */
static int
unbounded_add(void)
{
	struct wd_buf	 b;
	int		 ok;

	wd_buf_init(&b, SIZE_MAX);
	ok = wd_buf_add(&b, "xy", 2) == WD_OK && b.cap >= 3 &&
	    strcmp(wd_buf_str(&b), "xy") == 0;
	wd_buf_cleanup(&b);
	return ok;
}

int
main(void)
{
	test_add();
	test_adds_addf();
	test_reset_cleanup();
	test_sticky();
	CHECK(M, "max SIZE_MAX: cap holds len + NUL (isolated)",
	    isolated(unbounded_add));
	return WD_TEST_RESULT();
}
