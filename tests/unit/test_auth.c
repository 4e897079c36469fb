/*
 * test_auth.c: the Authorization and Cookie parsers (src/wd_auth.c).
 */
#include <string.h>

#include "wd_auth.h"
#include "wd_test.h"

#define M	"auth"

struct bearer_case {
	const char	*name;
	const char	*hdr;
	size_t		 len;	/* 0: strlen(hdr) */
	enum wd_err	 want;
	const char	*tok;	/* expected token on WD_OK */
};

static void
test_bearer(void)
{
	static const struct bearer_case cases[] = {
		{ "bearer empty", "", 0, WD_E_BADTOKEN, NULL },
		{ "bearer scheme only", "Bearer", 0, WD_E_BADTOKEN, NULL },
		{ "bearer scheme and space", "Bearer ", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer three words", "Bearer a b", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer basic scheme", "Basic abc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer double space", "Bearer  abc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer tab separator", "Bearer\tabc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer tab in token", "Bearer ab\tc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer trailing comma", "Bearer abc,", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer comma list", "Bearer abc, Bearer def", 0,
		    WD_E_BADTOKEN, NULL },
		{ "bearer trailing space", "Bearer abc ", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer leading space", " Bearer abc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer no separator", "Bearerabc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer CRLF in token", "Bearer ab\r\nc", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer NUL in token", "Bearer ab\0c", 11, WD_E_BADTOKEN,
		    NULL },
		{ "bearer DEL in token", "Bearer ab\x7f", 0, WD_E_BADTOKEN,
		    NULL },
		{ "bearer other scheme prefix", "Bearers abc", 0,
		    WD_E_BADTOKEN, NULL },
		{ "bearer token scheme", "Token abc", 0, WD_E_BADTOKEN, NULL },
		{ "bearer ok", "Bearer abc", 0, WD_OK, "abc" },
		{ "bearer lower-case scheme", "bearer abc", 0, WD_OK, "abc" },
		{ "bearer upper-case scheme", "BEARER abc", 0, WD_OK, "abc" },
		{ "bearer jwt-shaped", "Bearer aa.bb.cc", 0, WD_OK,
		    "aa.bb.cc" },
		{ "bearer length-limited", "Bearer abcXYZ", 10, WD_OK,
		    "abc" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bearer_case	*c = &cases[i];
		const char			*tok = NULL;
		size_t				 toklen = 4242, len;
		enum wd_err			 rc;

		len = c->len != 0 ? c->len : strlen(c->hdr);
		rc = wd_auth_bearer(c->hdr, len, &tok, &toklen);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && tok != NULL &&
			    toklen == strlen(c->tok) &&
			    memcmp(tok, c->tok, toklen) == 0 &&
			    tok >= c->hdr && tok + toklen <= c->hdr + len);
		else
			CHECK(M, c->name, rc == c->want);
	}
}

struct cookie_case {
	const char	*name;
	const char	*hdr;
	const char	*cname;
	enum wd_err	 want;
	const char	*val;
};

static void
test_cookie(void)
{
	static const struct cookie_case cases[] = {
		{ "cookie empty header", "", "access_token", WD_E_NOTFOUND,
		    NULL },
		{ "cookie absent", "a=1; b=2", "access_token", WD_E_NOTFOUND,
		    NULL },
		{ "cookie name as suffix of another",
		    "xaccess_token=1", "access_token", WD_E_NOTFOUND, NULL },
		{ "cookie name as prefix of another",
		    "access_token_x=1", "access_token", WD_E_NOTFOUND, NULL },
		{ "cookie name in a value", "a=access_token=1",
		    "access_token", WD_E_NOTFOUND, NULL },
		{ "cookie names are case-sensitive", "ACCESS_TOKEN=1",
		    "access_token", WD_E_NOTFOUND, NULL },
		{ "cookie pair without '='", "access_token",
		    "access_token", WD_E_NOTFOUND, NULL },
		{ "cookie only separators", " ; ;; ", "access_token",
		    WD_E_NOTFOUND, NULL },
		{ "cookie duplicate", "access_token=a; access_token=b",
		    "access_token", WD_E_BADHEADER, NULL },
		{ "cookie duplicate same value",
		    "access_token=a;access_token=a",
		    "access_token", WD_E_BADHEADER, NULL },
		{ "cookie duplicate with others",
		    "x=1; access_token=a; y=2; access_token=b; z=3",
		    "access_token", WD_E_BADHEADER, NULL },
		{ "cookie duplicate second empty",
		    "access_token=a; access_token=", "access_token",
		    WD_E_BADHEADER, NULL },
		{ "cookie duplicate with space before '='",
		    "access_token=a; access_token =b", "access_token",
		    WD_E_BADHEADER, NULL },
		{ "cookie single", "access_token=abc", "access_token", WD_OK,
		    "abc" },
		{ "cookie among others", "a=1; access_token=abc; b=2",
		    "access_token", WD_OK, "abc" },
		{ "cookie last", "a=1;access_token=abc", "access_token",
		    WD_OK, "abc" },
		{ "cookie quoted value", "access_token=\"abc\"",
		    "access_token", WD_OK, "abc" },
		{ "cookie lone quote kept", "access_token=\"", "access_token",
		    WD_OK, "\"" },
		{ "cookie empty value", "access_token=", "access_token",
		    WD_OK, "" },
		{ "cookie empty value among others", "access_token=; a=1",
		    "access_token", WD_OK, "" },
		{ "cookie pair without '=' before it",
		    "junk; access_token=abc", "access_token", WD_OK, "abc" },
		{ "cookie pair without '=' after it",
		    "access_token=abc; junk", "access_token", WD_OK, "abc" },
		{ "cookie spaces around", "  access_token = abc  ; b=2",
		    "access_token", WD_OK, "abc" },
		{ "cookie tabs around", "\taccess_token=abc\t", "access_token",
		    WD_OK, "abc" },
		{ "cookie '=' in value", "access_token=a=b", "access_token",
		    WD_OK, "a=b" },
		{ "cookie trailing semicolon", "access_token=abc;",
		    "access_token", WD_OK, "abc" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cookie_case	*c = &cases[i];
		const char			*val = NULL;
		size_t				 vlen = 4242;
		size_t				 len = strlen(c->hdr);
		enum wd_err			 rc;

		rc = wd_auth_cookie(c->hdr, len, c->cname, &val, &vlen);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && val != NULL &&
			    vlen == strlen(c->val) &&
			    memcmp(val, c->val, vlen) == 0 &&
			    val >= c->hdr && val + vlen <= c->hdr + len);
		else
			CHECK(M, c->name, rc == c->want);
	}
	/* length-limited: the second cookie lies beyond len */
	{
		const char	*h = "access_token=a; access_token=b";
		const char	*val = NULL;
		size_t		 vlen = 0;

		CHECK(M, "cookie length-limited (duplicate beyond len)",
		    wd_auth_cookie(h, 14, "access_token", &val, &vlen) ==
		    WD_OK && vlen == 1 && val[0] == 'a');
	}
}

int
main(void)
{
	test_bearer();
	test_cookie();
	return WD_TEST_RESULT();
}
