/*
 * test_util.c: wd_ct_eq, wd_parse_u64, wd_strcaseeq (src/wd_util.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wd_test.h"
#include "wd_util.h"

#define M	"util"

struct ct_case {
	const char	*name;
	const char	*a;
	size_t		 alen;
	const char	*b;
	size_t		 blen;
	int		 want;
};

static void
test_ct_eq(void)
{
	static const struct ct_case cases[] = {
		{ "ct_eq equal", "secret", 6, "secret", 6, 1 },
		{ "ct_eq empty vs empty", "", 0, "", 0, 1 },
		{ "ct_eq binary equal", "a\0b", 3, "a\0b", 3, 1 },
		{ "ct_eq differ in last byte", "secret", 6, "secreu", 6, 0 },
		{ "ct_eq differ in first byte", "secret", 6, "Secret", 6, 0 },
		{ "ct_eq shorter prefix", "secre", 5, "secret", 6, 0 },
		{ "ct_eq longer", "secrett", 7, "secret", 6, 0 },
		{ "ct_eq empty vs non-empty", "", 0, "x", 1, 0 },
		{ "ct_eq non-empty vs empty", "x", 1, "", 0, 0 },
		{ "ct_eq repeat is not equal (modulo read)", "abab", 4,
		    "ab", 2, 0 },
		{ "ct_eq NUL differs", "a\0b", 3, "a\0c", 3, 0 },
		{ "ct_eq high bit", "\x80", 1, "\x00", 1, 0 },
		{ "ct_eq last byte repeated is not equal", "secrettt", 8,
		    "secret", 6, 0 },
		{ "ct_eq prefix padded with its last byte", "secret", 6,
		    "secrettttt", 10, 0 },
		{ "ct_eq NUL-padded is not equal", "x\0", 2, "x", 1, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(M, cases[i].name, wd_ct_eq(cases[i].a, cases[i].alen,
		    cases[i].b, cases[i].blen) == cases[i].want);
	/* NULL pointers with zero length are never dereferenced */
	CHECK(M, "ct_eq NULL/0 vs NULL/0", wd_ct_eq(NULL, 0, NULL, 0) == 1);
	CHECK(M, "ct_eq NULL/0 vs x", wd_ct_eq(NULL, 0, "x", 1) == 0);
	CHECK(M, "ct_eq x vs NULL/0", wd_ct_eq("x", 1, NULL, 0) == 0);
}

/* Copies of s (len bytes) in blocks of exactly len bytes, so ASan sees
 * a read past either end, at lengths around the 64-byte rounding. */
static void
test_ct_eq_lengths(void)
{
	static const size_t	 lens[] = { 1, 2, 63, 64, 65, 127, 128, 129,
				    200 };
	char			 name[96];
	size_t			 i, j, k;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t	 n = lens[i];
		char	*a = malloc(n), *b = malloc(n);
		char	*p = malloc(n > 1 ? n - 1 : 1);	/* prefix */
		int	 ok;

		if (a == NULL || b == NULL || p == NULL) {
			CHECK(M, "ct_eq lengths: malloc", 0);
			free(a);
			free(b);
			free(p);
			return;
		}
		for (k = 0; k < n; k++)
			a[k] = (char)('a' + k % 26);
		memcpy(b, a, n);
		if (n > 1)
			memcpy(p, a, n - 1);
		ok = wd_ct_eq(a, n, b, n) == 1;
		/* every single-byte difference is seen, the last included */
		for (j = 0; j < n; j++) {
			b[j] ^= 1;
			ok = ok && wd_ct_eq(a, n, b, n) == 0 &&
			    wd_ct_eq(b, n, a, n) == 0;
			b[j] ^= 1;
		}
		/* a proper prefix, either way round, and the empty string */
		ok = ok && wd_ct_eq(p, n - 1, a, n) == 0 &&
		    wd_ct_eq(a, n, p, n - 1) == 0 &&
		    wd_ct_eq("", 0, a, n) == 0 && wd_ct_eq(a, n, "", 0) == 0;
		snprintf(name, sizeof(name), "ct_eq length %zu: equal, every "
		    "byte flipped, prefix, empty", n);
		CHECK(M, name, ok);
		free(a);
		free(b);
		free(p);
	}
}

struct u64_case {
	const char	*name;
	const char	*s;
	size_t		 len;	/* (size_t)-1: strlen */
	uint64_t	 max;
	enum wd_err	 want;
	uint64_t	 val;
};

static void
test_parse_u64(void)
{
	static const struct u64_case cases[] = {
		/* bad input */
		{ "u64 empty", "", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 leading +", "+1", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 leading -", "-1", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 minus zero", "-0", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 leading space", " 1", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 trailing space", "1 ", (size_t)-1, 100, WD_E_BADREQ,
		    0 },
		{ "u64 trailing newline", "1\n", (size_t)-1, 100, WD_E_BADREQ,
		    0 },
		{ "u64 hex", "0x10", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 hex digits", "1f", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 decimal point", "1.0", (size_t)-1, 100, WD_E_BADREQ,
		    0 },
		{ "u64 exponent", "1e3", (size_t)-1, 10000, WD_E_BADREQ, 0 },
		{ "u64 embedded NUL", "1\0" "2", 3, 100, WD_E_BADREQ, 0 },
		{ "u64 letters", "abc", (size_t)-1, 100, WD_E_BADREQ, 0 },
		{ "u64 over max", "101", (size_t)-1, 100, WD_E_TOOBIG, 0 },
		{ "u64 max 0 and 1", "1", (size_t)-1, 0, WD_E_TOOBIG, 0 },
		{ "u64 max < 10, digit > max", "7", (size_t)-1, 5,
		    WD_E_TOOBIG, 0 },
		{ "u64 max < 10, two digits", "10", (size_t)-1, 9,
		    WD_E_TOOBIG, 0 },
		{ "u64 20-digit overflow", "18446744073709551616",
		    (size_t)-1, UINT64_MAX, WD_E_TOOBIG, 0 },
		{ "u64 far overflow", "99999999999999999999999",
		    (size_t)-1, UINT64_MAX, WD_E_TOOBIG, 0 },
		{ "u64 max+1 at 10^n-ish", "1000000", (size_t)-1, 999999,
		    WD_E_TOOBIG, 0 },
		/* good input */
		{ "u64 zero", "0", (size_t)-1, 100, WD_OK, 0 },
		{ "u64 zero with max 0", "0", (size_t)-1, 0, WD_OK, 0 },
		{ "u64 12", "12", (size_t)-1, 100, WD_OK, 12 },
		{ "u64 leading zeros", "007", (size_t)-1, 100, WD_OK, 7 },
		{ "u64 exactly max", "100", (size_t)-1, 100, WD_OK, 100 },
		{ "u64 max < 10, digit == max", "5", (size_t)-1, 5, WD_OK, 5 },
		{ "u64 UINT64_MAX exactly", "18446744073709551615",
		    (size_t)-1, UINT64_MAX, WD_OK, UINT64_MAX },
		{ "u64 length-limited", "123456", 3, 1000, WD_OK, 123 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct u64_case	*c = &cases[i];
		size_t			 len;
		uint64_t		 out = 4242;
		enum wd_err		 rc;

		len = c->len == (size_t)-1 ? strlen(c->s) : c->len;
		rc = wd_parse_u64(c->s, len, c->max, &out);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && out == c->val);
		else
			CHECK(M, c->name, rc == c->want && out == 4242);
	}
}

struct case_case {
	const char	*name;
	const char	*a;
	size_t		 alen;
	const char	*b;
	int		 want;
};

static void
test_strcaseeq(void)
{
	static const struct case_case cases[] = {
		{ "caseeq same", "admin", 5, "admin", 1 },
		{ "caseeq upper", "ADMIN", 5, "admin", 1 },
		{ "caseeq mixed", "AdMiN", 5, "aDmIn", 1 },
		{ "caseeq empty", "", 0, "", 1 },
		{ "caseeq length-limited a", "adminx", 5, "admin", 1 },
		{ "caseeq prefix", "adm", 3, "admin", 0 },
		{ "caseeq longer", "admins", 6, "admin", 0 },
		{ "caseeq differ", "admio", 5, "admin", 0 },
		{ "caseeq empty vs x", "", 0, "x", 0 },
		{ "caseeq embedded NUL", "adm\0n", 5, "admin", 0 },
		{ "caseeq not letters folded", "[", 1, "{", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(M, cases[i].name, wd_strcaseeq(cases[i].a,
		    cases[i].alen, cases[i].b) == cases[i].want);
}

static void
test_has_ctl(void)
{
	static const struct {
		const char	*name;
		const char	*s;
		int		 want;
	} cases[] = {
		{ "has_ctl plain", "Olga OIDC", 0 },
		{ "has_ctl empty", "", 0 },
		{ "has_ctl NULL", NULL, 0 },
		{ "has_ctl UTF-8", "R\xc3\xa9mi \xe2\x80\x94 ok", 0 },
		{ "has_ctl tab", "a\tb", 1 },
		{ "has_ctl CR LF", "x\r\nX-Injected: 1", 1 },
		{ "has_ctl 0x1f", "a\x1f", 1 },
		{ "has_ctl DEL", "a\x7f", 1 },
		{ "has_ctl space and tilde", " ~", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(M, cases[i].name, wd_has_ctl(cases[i].s) ==
		    cases[i].want);
}

int
main(void)
{
	test_ct_eq();
	test_ct_eq_lengths();
	test_parse_u64();
	test_strcaseeq();
	test_has_ctl();
	return WD_TEST_RESULT();
}
