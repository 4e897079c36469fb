/*
 * test_call.c: query parameters of REST calls (wd_http_query,
 * src/wd_http.c), and UUIDs (wd_rand_uuid, wd_is_uuid, src/wd_rand.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_http.h"
#include "wd_rand.h"
#include "wd_test.h"

#define M	"call"

#define QOUT	256	/* output buffer size unless a case says otherwise */

/*
 * Runs wd_http_query on a call whose request has only .query set (all
 * wd_http_query reads), with an exact-size heap output buffer so ASan
 * sees a write past outsz.
 */
static enum wd_err
run_query(const char *query, const char *pname, size_t outsz, char **out)
{
	struct wd_req	 rq;
	enum wd_err	 rc;

	memset(&rq, 0, sizeof(rq));
	rq.query = query;
	*out = malloc(outsz > 0 ? outsz : 1);
	if (*out == NULL)
		return WD_E_INTERNAL;
	memset(*out, 'X', outsz > 0 ? outsz : 1);
	rc = wd_http_query(&rq, pname, *out, outsz);
	return rc;
}

static void
check_query(const char *name, const char *query, const char *pname,
    size_t outsz, enum wd_err want, const char *exp)
{
	char		*out = NULL;
	enum wd_err	 rc;

	rc = run_query(query, pname, outsz, &out);
	if (want == WD_OK)
		CHECK(M, name, rc == WD_OK && out != NULL &&
		    memchr(out, '\0', outsz) != NULL &&
		    strcmp(out, exp) == 0);
	else
		CHECK(M, name, rc == want);
	free(out);
}

struct query_case {
	const char	*name;
	const char	*query;
	const char	*pname;
	size_t		 outsz;	/* 0: QOUT */
	enum wd_err	 want;
	const char	*out;	/* expected value on WD_OK */
};

#define RT	"refresh_token"
#define TK	"ticket"

static void
test_query_table(void)
{
	static const struct query_case cases[] = {
		/* present */
		{ "query only parameter", "ticket=abc", TK, 0, WD_OK, "abc" },
		{ "query among others", "a=1&ticket=abc&b=2", TK, 0, WD_OK,
		    "abc" },
		{ "query first of several", "ticket=abc&a=1", TK, 0, WD_OK,
		    "abc" },
		{ "query last of several", "a=1&b=2&ticket=xyz", TK, 0, WD_OK,
		    "xyz" },
		{ "query refresh_token", "refresh_token=r.t-1", RT, 0, WD_OK,
		    "r.t-1" },
		{ "query empty segments around", "&&ticket=1&&", TK, 0, WD_OK,
		    "1" },
		{ "query '=' in value", "ticket=a=b", TK, 0, WD_OK, "a=b" },
		{ "query empty value", "ticket=", TK, 0, WD_OK, "" },
		{ "query empty value among others", "ticket=&a=1", TK, 0,
		    WD_OK, "" },
		{ "query prefix then real", "refresh_token_x=1&refresh_token=t",
		    RT, 0, WD_OK, "t" },
		{ "query bad escape elsewhere ignored", "a=%zz&ticket=1", TK,
		    0, WD_OK, "1" },
		/* percent-decoding and '+' */
		{ "query %41", "ticket=%41", TK, 0, WD_OK, "A" },
		{ "query %41%42c", "ticket=%41%42c", TK, 0, WD_OK, "ABc" },
		{ "query %2f lower-case hex", "ticket=a%2fb", TK, 0, WD_OK,
		    "a/b" },
		{ "query %2F upper-case hex", "ticket=a%2Fb", TK, 0, WD_OK,
		    "a/b" },
		{ "query %26 is not a separator", "ticket=a%26b", TK, 0,
		    WD_OK, "a&b" },
		{ "query %3D", "ticket=a%3Db", TK, 0, WD_OK, "a=b" },
		{ "query %25 then hex digits", "ticket=%2541", TK, 0, WD_OK,
		    "%41" },
		{ "query '+' as space", "ticket=a+b", TK, 0, WD_OK, "a b" },
		{ "query only '+'", "ticket=++", TK, 0, WD_OK, "  " },
		{ "query %2B is a plus", "ticket=a%2Bb", TK, 0, WD_OK, "a+b" },
		{ "query %20", "ticket=a%20b", TK, 0, WD_OK, "a b" },
		{ "query %ff byte", "ticket=%ff", TK, 0, WD_OK, "\xff" },
		/* small buffers */
		{ "query fits outsz 4", "ticket=abc", TK, 4, WD_OK, "abc" },
		{ "query one over outsz 3", "ticket=abc", TK, 3, WD_E_BADREQ,
		    NULL },
		{ "query empty value outsz 1", "ticket=", TK, 1, WD_OK, "" },
		{ "query one byte outsz 1", "ticket=a", TK, 1, WD_E_BADREQ,
		    NULL },
		{ "query escape fits outsz 2", "ticket=%41", TK, 2, WD_OK,
		    "A" },

		/* absent */
		{ "query empty", "", TK, 0, WD_E_NOTFOUND, NULL },
		{ "query absent", "a=1&b=2", TK, 0, WD_E_NOTFOUND, NULL },
		{ "query name without '='", "ticket", TK, 0, WD_E_NOTFOUND,
		    NULL },
		{ "query name without '=' then other", "ticket&a=1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query name as prefix of another", "refresh_token_x=1", RT,
		    0, WD_E_NOTFOUND, NULL },
		{ "query name longer by one", "tickets=1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query name as suffix of another", "xrefresh_token=1", RT,
		    0, WD_E_NOTFOUND, NULL },
		{ "query name in a value", "a=ticket=1", TK, 0, WD_E_NOTFOUND,
		    NULL },
		{ "query names are case-sensitive", "TICKET=1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query encoded name not decoded", "tick%65t=1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query space before '='", "ticket =1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query ';' is not a separator", "a=1;ticket=2", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query leading '?' is not stripped", "?ticket=1", TK, 0,
		    WD_E_NOTFOUND, NULL },
		{ "query other name only", "refresh_token=1", TK, 0,
		    WD_E_NOTFOUND, NULL },

		/* repeated */
		{ "query repeated", "ticket=a&ticket=b", TK, 0, WD_E_BADREQ,
		    NULL },
		{ "query repeated same value", "ticket=a&ticket=a", TK, 0,
		    WD_E_BADREQ, NULL },
		{ "query repeated second empty", "ticket=a&ticket=", TK, 0,
		    WD_E_BADREQ, NULL },
		{ "query repeated first empty", "ticket=&ticket=a", TK, 0,
		    WD_E_BADREQ, NULL },
		{ "query repeated with others between",
		    "x=1&refresh_token=a&y=2&refresh_token=b&z=3", RT, 0,
		    WD_E_BADREQ, NULL },
		{ "query repeated after bad escape", "ticket=%zz&ticket=a", TK,
		    0, WD_E_BADREQ, NULL },

		/* bad escapes */
		{ "query %4 at end", "ticket=%4", TK, 0, WD_E_BADREQ, NULL },
		{ "query %4 before '&'", "ticket=%4&a=1", TK, 0, WD_E_BADREQ,
		    NULL },
		{ "query %zz", "ticket=%zz", TK, 0, WD_E_BADREQ, NULL },
		{ "query %g0", "ticket=%g0", TK, 0, WD_E_BADREQ, NULL },
		{ "query %0g", "ticket=%0g", TK, 0, WD_E_BADREQ, NULL },
		{ "query trailing %", "ticket=abc%", TK, 0, WD_E_BADREQ, NULL },
		{ "query lone %", "ticket=%", TK, 0, WD_E_BADREQ, NULL },
		{ "query % before '&'", "ticket=ab%&c=1", TK, 0, WD_E_BADREQ,
		    NULL },
		{ "query %%41", "ticket=%%41", TK, 0, WD_E_BADREQ, NULL },
		{ "query % space", "ticket=% 1", TK, 0, WD_E_BADREQ, NULL },
		{ "query %-1", "ticket=%-1", TK, 0, WD_E_BADREQ, NULL },
		{ "query %\\xc3\\xa9", "ticket=%\xc3\xa9", TK, 0, WD_E_BADREQ,
		    NULL },
		/* NUL */
		{ "query %00", "ticket=%00", TK, 0, WD_E_BADREQ, NULL },
		{ "query %00 inside", "ticket=a%00b", TK, 0, WD_E_BADREQ,
		    NULL },
		{ "query %00 at end", "refresh_token=abc%00", RT, 0,
		    WD_E_BADREQ, NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct query_case	*c = &cases[i];

		check_query(c->name, c->query, c->pname,
		    c->outsz != 0 ? c->outsz : QOUT, c->want, c->out);
	}
}

static void
test_query_lengths(void)
{
	char	 q[16 + 3 * 300], exp[300];
	size_t	 i, n;

	/* a literal value of QOUT - 1 bytes fits exactly */
	n = (size_t)snprintf(q, sizeof(q), "ticket=");
	for (i = 0; i < QOUT - 1; i++) {
		q[n + i] = (char)('a' + i % 26);
		exp[i] = q[n + i];
	}
	q[n + i] = '\0';
	exp[i] = '\0';
	check_query("query value exactly fitting", q, TK, QOUT, WD_OK, exp);

	/* one more does not */
	q[n + i] = 'z';
	q[n + i + 1] = '\0';
	check_query("query value one too long", q, TK, QOUT, WD_E_BADREQ,
	    NULL);

	/* far too long */
	for (i = 0; i < 299; i++)
		q[n + i] = 'q';
	q[n + i] = '\0';
	check_query("query value far too long", q, TK, QOUT, WD_E_BADREQ,
	    NULL);

	/* escapes count decoded bytes: QOUT - 1 "%41" fit, QOUT do not */
	n = (size_t)snprintf(q, sizeof(q), "refresh_token=");
	for (i = 0; i < QOUT - 1; i++) {
		memcpy(q + n + 3 * i, "%41", 3);
		exp[i] = 'A';
	}
	q[n + 3 * i] = '\0';
	exp[i] = '\0';
	check_query("query escaped value exactly fitting", q, RT, QOUT, WD_OK,
	    exp);
	memcpy(q + n + 3 * i, "%41", 4);
	check_query("query escaped value one too long", q, RT, QOUT,
	    WD_E_BADREQ, NULL);

	/* a too-long value of another parameter does not matter */
	n = (size_t)snprintf(q, sizeof(q), "x=");
	for (i = 0; i < 400; i++)
		q[n + i] = 'x';
	snprintf(q + n + i, sizeof(q) - n - i, "&ticket=ok");
	check_query("query long other parameter", q, TK, QOUT, WD_OK, "ok");
}

static int
cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, WD_UUID_LEN + 1);
}

static int
popcount(unsigned int v)
{
	int	 n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

static int
lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

#define NDRAW	1000

static void
test_rand_uuid(void)
{
	static char	 u[NDRAW][WD_UUID_LEN + 1];
	unsigned int	 seen[WD_UUID_LEN];	/* bitmask of nibbles seen */
	int		 all_ok = 1, shape = 1, version = 1, variant = 1;
	int		 distinct = 1, varies = 1;
	unsigned int	 variants = 0;
	size_t		 i, j;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < NDRAW; i++) {
		memset(u[i], 'X', sizeof(u[i]));
		if (wd_rand_uuid(u[i]) != WD_OK) {
			all_ok = 0;
			continue;
		}
		if (memchr(u[i], '\0', sizeof(u[i])) == NULL ||
		    strlen(u[i]) != WD_UUID_LEN ||
		    !wd_is_uuid(u[i], WD_UUID_LEN))
			shape = 0;
		for (j = 0; j < WD_UUID_LEN; j++) {
			char	 c = u[i][j];

			if (j == 8 || j == 13 || j == 18 || j == 23) {
				if (c != '-')
					shape = 0;
				continue;
			}
			if (!lower_hex(c)) {
				shape = 0;
				continue;
			}
			seen[j] |= 1u << (c <= '9' ? c - '0' : c - 'a' + 10);
		}
		if (u[i][14] != '4')
			version = 0;
		if (strchr("89ab", u[i][19]) == NULL)
			variant = 0;
	}
	CHECK(M, "uuid draws succeed", all_ok);
	CHECK(M, "uuid canonical lower-case shape", shape);
	CHECK(M, "uuid version nibble is 4", version);
	CHECK(M, "uuid variant nibble is 8, 9, a or b", variant);
	/* the 30 random nibbles each take several values; the variant
	 * nibble takes all four of its values */
	for (j = 0; j < WD_UUID_LEN; j++) {
		if (j == 8 || j == 13 || j == 18 || j == 23 || j == 14)
			continue;
		if (j == 19) {
			variants = seen[j];
			continue;
		}
		if (popcount(seen[j]) < 8)
			varies = 0;
	}
	CHECK(M, "uuid random nibbles vary", varies);
	CHECK(M, "uuid variant nibble takes all four values",
	    variants == ((1u << 8) | (1u << 9) | (1u << 10) | (1u << 11)));
	qsort(u, NDRAW, sizeof(u[0]), cmp_uuid);
	for (i = 1; i < NDRAW; i++)
		if (memcmp(u[i - 1], u[i], sizeof(u[0])) == 0)
			distinct = 0;
	CHECK(M, "uuid 1000 draws distinct", distinct);
}

struct uuid_case {
	const char	*name;
	const char	*s;
	size_t		 len;	/* 0: strlen(s) */
	int		 want;
};

static void
test_is_uuid(void)
{
	static const struct uuid_case cases[] = {
		{ "is_uuid lower-case", "123e4567-e89b-42d3-a456-426614174000",
		    0, 1 },
		{ "is_uuid upper-case", "123E4567-E89B-42D3-A456-426614174000",
		    0, 1 },
		{ "is_uuid nil", "00000000-0000-0000-0000-000000000000", 0,
		    1 },
		{ "is_uuid max", "ffffffff-ffff-ffff-ffff-ffffffffffff", 0,
		    1 },
		{ "is_uuid v1", "c232ab00-9414-11ec-b3c8-9f6bdeced846", 0, 1 },
		{ "is_uuid len stops before trailing junk",
		    "123e4567-e89b-42d3-a456-426614174000xyz", 36, 1 },

		{ "is_uuid empty", "", 0, 0 },
		{ "is_uuid one short", "123e4567-e89b-42d3-a456-42661417400",
		    0, 0 },
		{ "is_uuid one long", "123e4567-e89b-42d3-a456-4266141740000",
		    0, 0 },
		{ "is_uuid len one short of a good one",
		    "123e4567-e89b-42d3-a456-426614174000", 35, 0 },
		{ "is_uuid trailing newline",
		    "123e4567-e89b-42d3-a456-426614174000\n", 0, 0 },
		{ "is_uuid braces",
		    "{123e4567-e89b-42d3-a456-426614174000}", 0, 0 },
		{ "is_uuid urn prefix",
		    "urn:uuid:123e4567-e89b-42d3-a456-426614174000", 0, 0 },
		{ "is_uuid no hyphens", "123e4567e89b42d3a456426614174000", 0,
		    0 },
		{ "is_uuid no hyphens padded to 36",
		    "123e4567e89b42d3a4564266141740000000", 0, 0 },
		{ "is_uuid hyphen moved left",
		    "123e456-7e89b-42d3-a456-426614174000", 0, 0 },
		{ "is_uuid hyphen moved right",
		    "123e4567-e89b4-2d3-a456-426614174000", 0, 0 },
		{ "is_uuid hyphen replaced by underscore",
		    "123e4567_e89b-42d3-a456-426614174000", 0, 0 },
		{ "is_uuid all hyphens",
		    "------------------------------------", 0, 0 },
		{ "is_uuid non-hex g", "123e4567-e89b-42d3-a456-42661417400g",
		    0, 0 },
		{ "is_uuid non-hex G", "G23e4567-e89b-42d3-a456-426614174000",
		    0, 0 },
		{ "is_uuid space inside",
		    "123e4567-e89b-42d3-a456-4266141 4000", 0, 0 },
		{ "is_uuid leading space",
		    " 23e4567-e89b-42d3-a456-426614174000", 0, 0 },
		{ "is_uuid plus sign", "+23e4567-e89b-42d3-a456-426614174000",
		    0, 0 },
		{ "is_uuid NUL inside",
		    "123e4567-e89b-42d3-a456-42661417\000400", 36, 0 },
		{ "is_uuid non-ASCII byte",
		    "123e4567-e89b-42d3-a456-42661417400\xe9", 0, 0 },
		{ "is_uuid hyphen in hex position",
		    "123e4567-e89b-42d3-a456--26614174000", 0, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct uuid_case	*c = &cases[i];
		size_t			 len = c->len != 0 ? c->len :
					    strlen(c->s);
		char			*cp = malloc(len > 0 ? len : 1);

		if (cp == NULL) {
			CHECK(M, c->name, 0);
			continue;
		}
		/* exact-size copy: no terminator for the parser to rely on */
		if (len > 0)
			memcpy(cp, c->s, len);
		CHECK(M, c->name, wd_is_uuid(cp, len) == c->want);
		free(cp);
	}
}

int
main(void)
{
	test_query_table();
	test_query_lengths();
	test_rand_uuid();
	test_is_uuid();
	return WD_TEST_RESULT();
}
