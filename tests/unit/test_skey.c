/*
 * test_skey.c: storage key decoding and validation (src/wd_skey.c).
 */
#include <string.h>

#include "wd_skey.h"
#include "wd_test.h"

#define M	"skey"

struct case_ {
	const char	*raw;
	size_t		 len;		/* 0: strlen */
	enum wd_err	 want;
	const char	*decoded;	/* NULL: same as raw */
	int		 dir;
};

static void
test_table(void)
{
	static const struct case_ cases[] = {
		{ "user/u1/a.txt", 0, WD_OK, NULL, 0 },
		{ "a", 0, WD_OK, NULL, 0 },
		{ "user/u1/", 0, WD_OK, NULL, 1 },
		{ "public/", 0, WD_OK, NULL, 1 },
		{ "a%20b", 0, WD_OK, "a b", 0 },
		{ "a%2Fb", 0, WD_OK, "a/b", 0 },
		{ "caf%C3%A9", 0, WD_OK, "caf\xc3\xa9", 0 },
		{ "caf\xc3\xa9", 0, WD_OK, NULL, 0 },
		{ "emoji\xf0\x9f\x98\x80", 0, WD_OK, NULL, 0 },
		{ "%252e%252e/x", 0, WD_OK, "%2e%2e/x", 0 },	/* once */
		{ "...", 0, WD_OK, NULL, 0 },
		{ "a/.b/c..", 0, WD_OK, NULL, 0 },
		{ "a+b", 0, WD_OK, NULL, 0 },
		{ "a\\b", 0, WD_OK, NULL, 0 },
		/* bad */
		{ "", 0, WD_E_BADKEY, NULL, 0 },
		{ "/a", 0, WD_E_BADKEY, NULL, 0 },
		{ "%2Fa", 0, WD_E_BADKEY, NULL, 0 },
		{ "/", 0, WD_E_BADKEY, NULL, 0 },
		{ "a//b", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%2F%2Fb", 0, WD_E_BADKEY, NULL, 0 },
		{ "a//", 0, WD_E_BADKEY, NULL, 0 },
		{ "..", 0, WD_E_BADKEY, NULL, 0 },
		{ "../etc/passwd", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/../b", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/..", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/../", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/%2e%2e/b", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/%2E%2e", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/./b", 0, WD_E_BADKEY, NULL, 0 },
		{ ".", 0, WD_E_BADKEY, NULL, 0 },
		{ "a/.", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%00b", 0, WD_E_BADKEY, NULL, 0 },
		{ "a\0b", 3, WD_E_BADKEY, NULL, 0 },
		{ "a%0Ab", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%0db", 0, WD_E_BADKEY, NULL, 0 },
		{ "a\tb", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%7Fb", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%C2%85b", 0, WD_E_BADKEY, NULL, 0 },	/* C1 NEL */
		{ "a%", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%4", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%zz", 0, WD_E_BADKEY, NULL, 0 },
		{ "a%g0", 0, WD_E_BADKEY, NULL, 0 },
		{ "%FF", 0, WD_E_BADKEY, NULL, 0 },
		{ "\xc0\xaf", 0, WD_E_BADKEY, NULL, 0 },	/* overlong / */
		{ "%C0%AE%C0%AE/x", 0, WD_E_BADKEY, NULL, 0 },
		{ "\xe0\x80\xaf", 0, WD_E_BADKEY, NULL, 0 },
		{ "\xed\xa0\x80", 0, WD_E_BADKEY, NULL, 0 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 0, WD_E_BADKEY, NULL, 0 },
		{ "\xc3", 0, WD_E_BADKEY, NULL, 0 },		/* truncated */
		{ "\x80", 0, WD_E_BADKEY, NULL, 0 },
		/* format and bidi characters (issue #11) */
		{ "evil%E2%80%AEtxt.exe", 0, WD_E_BADKEY, NULL, 0 },
		{ "evil\xe2\x80\xaetxt.exe", 0, WD_E_BADKEY, NULL, 0 },
		{ "a\xe2\x80\xaa" "b", 0, WD_E_BADKEY, NULL, 0 },	/* LRE */
		{ "a\xe2\x80\x8b" "b", 0, WD_E_BADKEY, NULL, 0 },	/* ZWSP */
		{ "a\xe2\x80\x8c" "b", 0, WD_E_BADKEY, NULL, 0 },	/* ZWNJ */
		{ "a\xe2\x80\x8d" "b", 0, WD_E_BADKEY, NULL, 0 },	/* ZWJ */
		{ "a\xe2\x80\x8e" "b", 0, WD_E_BADKEY, NULL, 0 },	/* LRM */
		{ "a\xe2\x80\x8f" "b", 0, WD_E_BADKEY, NULL, 0 },	/* RLM */
		{ "a\xe2\x80\xa8" "b", 0, WD_E_BADKEY, NULL, 0 },	/* LS */
		{ "a\xe2\x80\xa9" "b", 0, WD_E_BADKEY, NULL, 0 },	/* PS */
		{ "a\xe2\x81\xa0" "b", 0, WD_E_BADKEY, NULL, 0 },	/* WJ */
		{ "a\xe2\x81\xa6" "b", 0, WD_E_BADKEY, NULL, 0 },	/* LRI */
		{ "a\xe2\x81\xa7" "b", 0, WD_E_BADKEY, NULL, 0 },	/* RLI */
		{ "a\xe2\x81\xa8" "b", 0, WD_E_BADKEY, NULL, 0 },	/* FSI */
		{ "a\xe2\x81\xa9" "b", 0, WD_E_BADKEY, NULL, 0 },	/* PDI */
		{ "%EF%BB%BFa", 0, WD_E_BADKEY, NULL, 0 },		/* BOM */
		{ "a\xc2\xad" "b", 0, WD_E_BADKEY, NULL, 0 },	/* SHY */
		{ "a\xd8\x9c" "b", 0, WD_E_BADKEY, NULL, 0 },	/* ALM */
		{ "a\xf3\xa0\x80\x81" "b", 0, WD_E_BADKEY, NULL, 0 },	/* tag */
		{ "a\xf3\xa0\x81\xbf" "b", 0, WD_E_BADKEY, NULL, 0 },	/* tag */
		/* other default-ignorable code points */
		{ "a\xcd\x8f" "b", 0, WD_E_BADKEY, NULL, 0 },	/* CGJ */
		{ "a\xe1\x85\x9f" "b", 0, WD_E_BADKEY, NULL, 0 },	/* filler */
		{ "a\xe1\x9e\xb4" "b", 0, WD_E_BADKEY, NULL, 0 },	/* Khmer */
		{ "a\xe2\x81\xa5" "b", 0, WD_E_BADKEY, NULL, 0 },	/* 2065 */
		{ "a\xe3\x85\xa4" "b", 0, WD_E_BADKEY, NULL, 0 },	/* filler */
		{ "a\xef\xbe\xa0" "b", 0, WD_E_BADKEY, NULL, 0 },	/* filler */
		{ "a\xf3\xa0\xbf\xbf" "b", 0, WD_E_BADKEY, NULL, 0 }, /* E0FFF */
		/* variation selectors stay valid: emoji, CJK, Mongolian */
		{ "\xe2\x9d\xa4\xef\xb8\x8f.png", 0, WD_OK, NULL, 0 }, /* VS16 */
		{ "a%EF%B8%80b", 0, WD_OK, "a\xef\xb8\x80" "b", 0 },	/* VS1 */
		{ "a\xf3\xa0\x84\x80" "b", 0, WD_OK, NULL, 0 },	/* VS17 */
		{ "a\xe1\xa0\x8b" "b", 0, WD_OK, NULL, 0 },	/* FVS1 */
		{ "a\xf3\xa0\x87\xaf" "b", 0, WD_OK, NULL, 0 },	/* VS256 */
		{ "a\xf3\xa0\x87\xb0" "b", 0, WD_E_BADKEY, NULL, 0 }, /* E01F0 */
		/* neighbours stay valid */
		{ "a\xe2\x80\x8a" "b", 0, WD_OK, NULL, 0 },	/* hair space */
		{ "a\xe2\x80\xaf" "b", 0, WD_OK, NULL, 0 },	/* NNBSP */
		{ "a\xcd\x8e" "b", 0, WD_OK, NULL, 0 },	/* U+034E */
		{ "a\xe3\x85\xa5" "b", 0, WD_OK, NULL, 0 },	/* U+3165 */
		{ "a\xef\xb8\x90" "b", 0, WD_OK, NULL, 0 },	/* U+FE10 */
		{ "a\xf3\xa1\x80\x80" "b", 0, WD_OK, NULL, 0 }, /* E1000 */
		{ "a\xef\xbb\xbe", 0, WD_OK, NULL, 0 },		/* U+FEFE */
		{ "\xd8\xa7\xd9\x84", 0, WD_OK, NULL, 0 },	/* Arabic */
		{ "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 0, WD_OK, NULL, 0 },
	};
	char	 out[WD_MAX_SKEY + 1], name[128];
	size_t	 i, olen;
	int	 dir;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_	*c = &cases[i];
		size_t			 len = c->len ? c->len :
		    strlen(c->raw);
		const char		*want = c->decoded ? c->decoded :
		    c->raw;
		enum wd_err		 rc;

		rc = wd_skey_decode(c->raw, len, out, sizeof(out), &olen,
		    &dir);
		snprintf(name, sizeof(name), "case %zu %s", i,
		    c->want == WD_OK ? "accepted" : "rejected");
		CHECK(M, name, rc == c->want);
		if (c->want != WD_OK || rc != WD_OK)
			continue;
		snprintf(name, sizeof(name), "case %zu decoded once", i);
		CHECK(M, name, olen == strlen(want) &&
		    memcmp(out, want, olen) == 0 && out[olen] == '\0');
		snprintf(name, sizeof(name), "case %zu directory flag", i);
		CHECK(M, name, dir == c->dir);
	}
}

static void
test_lengths(void)
{
	char	 raw[3 * WD_MAX_SKEY + 8], out[WD_MAX_SKEY + 1];
	size_t	 olen;
	int	 dir;

	memset(raw, 'a', sizeof(raw));
	CHECK(M, "1024 bytes accepted", wd_skey_decode(raw, WD_MAX_SKEY,
	    out, sizeof(out), &olen, &dir) == WD_OK && olen == WD_MAX_SKEY);
	CHECK(M, "1025 bytes rejected", wd_skey_decode(raw, WD_MAX_SKEY + 1,
	    out, sizeof(out), &olen, &dir) == WD_E_BADKEY);
	CHECK(M, "small out buffer rejected", wd_skey_decode("a", 1, out,
	    16, &olen, &dir) == WD_E_BADKEY);
	/* 1024 decoded bytes from 3072 encoded ones */
	for (olen = 0; olen < 3 * WD_MAX_SKEY; olen += 3)
		memcpy(raw + olen, "%41", 3);
	CHECK(M, "1024 encoded bytes accepted", wd_skey_decode(raw,
	    3 * WD_MAX_SKEY, out, sizeof(out), &olen, &dir) == WD_OK &&
	    olen == WD_MAX_SKEY && out[0] == 'A');
	memcpy(raw + 3 * WD_MAX_SKEY, "%41", 3);
	CHECK(M, "1025 encoded bytes rejected", wd_skey_decode(raw,
	    3 * WD_MAX_SKEY + 3, out, sizeof(out), &olen, &dir) ==
	    WD_E_BADKEY);
}

int
main(void)
{
	test_table();
	test_lengths();
	return WD_TEST_RESULT();
}
