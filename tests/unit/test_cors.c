/*
 * test_cors.c: the allowed browser origins (src/wd_cors.c): what a URL's
 * origin is, and that a request's Origin matches one byte for byte.
 */
#include <string.h>

#include "wd_cors.h"
#include "wd_test.h"

#define M	"cors"

static void
test_origin_of(void)
{
	static const struct {
		const char	*url;
		int		 path_ok;
		const char	*want;	/* NULL: refused */
	} cases[] = {
		{ "https://App.Example.COM/x?y#z", 1,
		    "https://app.example.com" },
		{ "HTTPS://a.example:443/", 1, "https://a.example" },
		{ "http://a.example:80", 0, "http://a.example" },
		{ "http://localhost:3000/", 0, "http://localhost:3000" },
		{ "http://[::1]:8080", 0, "http://[::1]:8080" },
		{ "https://a.example/path", 0, NULL },
		{ "https://user@a.example", 1, NULL },
		{ "https://a b.example", 1, NULL },
		{ "https://a.example\\@b", 1, NULL },
		{ "https://", 1, NULL },
		{ "ftp://a.example", 1, NULL },
		{ "null", 1, NULL },
		{ "", 1, NULL },
	};
	char	 out[WD_CORS_ORIGIN];
	size_t	 i;
	int	 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = wd_cors_origin_of(cases[i].url, strlen(cases[i].url),
		    cases[i].path_ok, out) == WD_OK;
		CHECK(M, cases[i].url, cases[i].want == NULL ? !ok :
		    ok && strcmp(out, cases[i].want) == 0);
	}
}

static void
test_allowed(void)
{
	struct wd_cors	 c;

	memset(&c, 0, sizeof(c));
	strcpy(c.origins[c.n++], "https://app.example");
	strcpy(c.origins[c.n++], "http://localhost:3000");
	CHECK(M, "allowed: exact", wd_cors_allowed(&c, "https://app.example",
	    19));
	CHECK(M, "allowed: the second",
	    wd_cors_allowed(&c, "http://localhost:3000", 21));
	CHECK(M, "refused: a longer look-alike",
	    !wd_cors_allowed(&c, "https://app.example.evil", 24));
	CHECK(M, "refused: a prefix", !wd_cors_allowed(&c, "https://app", 11));
	CHECK(M, "refused: another case (browsers send lower case)",
	    !wd_cors_allowed(&c, "https://APP.example", 19));
	CHECK(M, "refused: null", !wd_cors_allowed(&c, "null", 4));
	CHECK(M, "refused: no list", !wd_cors_allowed(NULL,
	    "https://app.example", 19));
}

int
main(void)
{
	test_origin_of();
	test_allowed();
	return WD_TEST_RESULT();
}
