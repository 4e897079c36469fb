/*
 * test_totp.c: base32, HOTP/TOTP, the code parser, the window and replay
 * rules, and the otpauth:// URL (src/wd_totp.c).
 *
 * Oracles: the RFC 4226 Appendix D and RFC 6238 Appendix B vectors, the
 * RFC 4648 §10 base32 vectors, a pair of adjacent steps with equal codes
 * found by an independent search (Python's hmac), round trips, and
 * wd_pct_decode for the URL. Untrusted input is passed as an exact-size
 * heap copy, so ASan catches a read past its length.
 */
#include <stdlib.h>
#include <string.h>

#include "wd_test.h"
#include "wd_totp.h"
#include "wd_util.h"

#define M	"totp"

/* RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1): the ASCII seed */
static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KLEN	20

static char *
dup_exact(const char *s, size_t n)
{
	char	*p = malloc(n > 0 ? n : 1);

	if (p != NULL && n > 0)
		memcpy(p, s, n);
	return p;
}

static void
test_hotp_rfc4226(void)
{
	/* Appendix D: the 31-bit truncated value and the 6-digit HOTP */
	static const struct {
		uint32_t	 trunc;
		const char	*hotp;
	} v[] = {
		{ 1284755224, "755224" }, { 1094287082, "287082" },
		{ 137359152, "359152" }, { 1726969429, "969429" },
		{ 1640338314, "338314" }, { 868254676, "254676" },
		{ 1918287922, "287922" }, { 82162583, "162583" },
		{ 673399871, "399871" }, { 645520489, "520489" },
	};
	char		 name[64], code[WD_TOTP_DIGITS + 1];
	uint32_t	 c6, c8;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "hotp rfc4226 count %zu", i);
		c6 = c8 = 0;
		CHECK(M, name,
		    wd_totp_hotp(rfc_key, RFC_KLEN, i, 6, &c6) == WD_OK &&
		    c6 == v[i].trunc % 1000000 &&
		    wd_totp_hotp(rfc_key, RFC_KLEN, i, 8, &c8) == WD_OK &&
		    c8 == v[i].trunc % 100000000 &&
		    wd_totp_code(rfc_key, RFC_KLEN, i, code) == WD_OK &&
		    strcmp(code, v[i].hotp) == 0);
	}
}

static void
test_totp_rfc6238(void)
{
	/* Appendix B, SHA-1 rows: 8-digit codes; ours are the last 6 */
	static const struct {
		int64_t		 t;
		uint64_t	 step;
		const char	*totp8;
	} v[] = {
		{ 59, 0x1, "94287082" },
		{ 1111111109, 0x23523EC, "07081804" },
		{ 1111111111, 0x23523ED, "14050471" },
		{ 1234567890, 0x273EF07, "89005924" },
		{ 2000000000, 0x3F940AA, "69279037" },
		{ 20000000000LL, 0x27BC86AA, "65353130" },
	};
	char		 name[64], code[WD_TOTP_DIGITS + 1], c8s[16];
	uint64_t	 step;
	uint32_t	 c8;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "totp rfc6238 T=%lld",
		    (long long)v[i].t);
		step = 0;
		c8 = 0;
		if (wd_totp_step(v[i].t, &step) != WD_OK ||
		    wd_totp_hotp(rfc_key, RFC_KLEN, step, 8, &c8) != WD_OK ||
		    wd_totp_code(rfc_key, RFC_KLEN, step, code) != WD_OK) {
			CHECK(M, name, 0);
			continue;
		}
		snprintf(c8s, sizeof(c8s), "%08u", (unsigned)c8);
		CHECK(M, name, step == v[i].step &&
		    strcmp(c8s, v[i].totp8) == 0 &&
		    strcmp(code, v[i].totp8 + 2) == 0);
	}
}

static void
test_hotp_bad(void)
{
	unsigned char	 k[WD_TOTP_MAX_KEY + 1];
	char		 code[WD_TOTP_DIGITS + 1];
	uint32_t	 c = 4242;
	uint64_t	 st = 4242;

	memset(k, 0x5a, sizeof(k));
	CHECK(M, "hotp key 15 bytes refused",
	    wd_totp_hotp(k, WD_TOTP_MIN_KEY - 1, 0, 6, &c) == WD_E_INTERNAL &&
	    c == 4242);
	CHECK(M, "hotp key 65 bytes refused",
	    wd_totp_hotp(k, WD_TOTP_MAX_KEY + 1, 0, 6, &c) == WD_E_INTERNAL);
	CHECK(M, "hotp key 0 bytes refused",
	    wd_totp_hotp(k, 0, 0, 6, &c) == WD_E_INTERNAL);
	CHECK(M, "hotp 5 digits refused",
	    wd_totp_hotp(k, 20, 0, 5, &c) == WD_E_INTERNAL);
	CHECK(M, "hotp 9 digits refused",
	    wd_totp_hotp(k, 20, 0, 9, &c) == WD_E_INTERNAL);
	CHECK(M, "hotp key 16 and 64 bytes accepted",
	    wd_totp_hotp(k, 16, 0, 6, &c) == WD_OK && c < 1000000 &&
	    wd_totp_hotp(k, 64, 0, 6, &c) == WD_OK && c < 1000000);
	memset(code, 'x', sizeof(code));
	CHECK(M, "totp code bad key leaves \"\"",
	    wd_totp_code(k, 8, 0, code) == WD_E_INTERNAL && code[0] == '\0');
	CHECK(M, "step of negative time refused",
	    wd_totp_step(-1, &st) == WD_E_INTERNAL && st == 4242);
	CHECK(M, "step of 0 and 29 is 0, of 30 is 1",
	    wd_totp_step(0, &st) == WD_OK && st == 0 &&
	    wd_totp_step(29, &st) == WD_OK && st == 0 &&
	    wd_totp_step(30, &st) == WD_OK && st == 1);
}

struct b32_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	enum wd_err	 want;
	const char	*out;	/* decoded bytes on WD_OK */
};

static void
test_b32_decode(void)
{
	static const struct b32_case cases[] = {
		/* bad */
		{ "b32 1 char", "M", 0, WD_E_BADREQ, NULL },
		{ "b32 3 chars", "MZX", 0, WD_E_BADREQ, NULL },
		{ "b32 6 chars", "MZXW6Y", 0, WD_E_BADREQ, NULL },
		{ "b32 9 chars", "MZXW6YTBM", 0, WD_E_BADREQ, NULL },
		{ "b32 1 char padded", "M=======", 0, WD_E_BADREQ, NULL },
		{ "b32 too little padding", "MY=====", 0, WD_E_BADREQ, NULL },
		{ "b32 too much padding", "MY=======", 0, WD_E_BADREQ, NULL },
		{ "b32 padding not to 8", "MY==", 0, WD_E_BADREQ, NULL },
		{ "b32 only padding", "========", 0, WD_E_BADREQ, NULL },
		{ "b32 padding after full group", "MZXW6YTB========", 0,
		    WD_E_BADREQ, NULL },
		{ "b32 padding first", "=MY", 0, WD_E_BADREQ, NULL },
		{ "b32 padding inside", "M=Y=====", 0, WD_E_BADREQ, NULL },
		{ "b32 two padded groups", "MY======MY======", 0,
		    WD_E_BADREQ, NULL },
		{ "b32 unused bits set (2 chars)", "MZ", 0, WD_E_BADREQ,
		    NULL },
		{ "b32 unused bits set (4 chars)", "MZXR", 0, WD_E_BADREQ,
		    NULL },
		{ "b32 unused bits set (7 chars)", "MZXW6YR", 0,
		    WD_E_BADREQ, NULL },
		{ "b32 digit 0", "MZXW6YT0", 0, WD_E_BADREQ, NULL },
		{ "b32 digit 1", "MZXW6YT1", 0, WD_E_BADREQ, NULL },
		{ "b32 digit 8", "MZXW6YT8", 0, WD_E_BADREQ, NULL },
		{ "b32 digit 9", "MZXW6YT9", 0, WD_E_BADREQ, NULL },
		{ "b32 space inside", "MZXW 6YTB", 0, WD_E_BADREQ, NULL },
		{ "b32 leading space", " MZXW6YTB", 0, WD_E_BADREQ, NULL },
		{ "b32 trailing newline", "MZXW6YTB\n", 0, WD_E_BADREQ,
		    NULL },
		{ "b32 hyphen", "MZXW-6YTB", 0, WD_E_BADREQ, NULL },
		{ "b32 NUL inside", "MZXW\0" "6YTB", 9, WD_E_BADREQ, NULL },
		{ "b32 base64 chars", "MZXW6YT+", 0, WD_E_BADREQ, NULL },
		{ "b32 UTF-8", "MZXW6Y\xc3\x89", 0, WD_E_BADREQ, NULL },
		{ "b32 high byte", "MZXW6YT\xff", 0, WD_E_BADREQ, NULL },
		/* good: RFC 4648 §10, padded, unpadded, lower case */
		{ "b32 empty", "", 0, WD_OK, "" },
		{ "b32 rfc f", "MY======", 0, WD_OK, "f" },
		{ "b32 rfc fo", "MZXQ====", 0, WD_OK, "fo" },
		{ "b32 rfc foo", "MZXW6===", 0, WD_OK, "foo" },
		{ "b32 rfc foob", "MZXW6YQ=", 0, WD_OK, "foob" },
		{ "b32 rfc fooba", "MZXW6YTB", 0, WD_OK, "fooba" },
		{ "b32 rfc foobar", "MZXW6YTBOI======", 0, WD_OK, "foobar" },
		{ "b32 unpadded foobar", "MZXW6YTBOI", 0, WD_OK, "foobar" },
		{ "b32 unpadded f", "MY", 0, WD_OK, "f" },
		{ "b32 lower case foobar", "mzxw6ytboi", 0, WD_OK, "foobar" },
		{ "b32 mixed case", "MzXw6YtB", 0, WD_OK, "fooba" },
	};
	unsigned char	 out[16];
	size_t		 i, len, olen;
	char		*in;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct b32_case	*c = &cases[i];

		len = c->len ? c->len : strlen(c->in);
		in = dup_exact(c->in, len);
		memset(out, 0xAA, sizeof(out));
		olen = 4242;
		rc = wd_totp_b32_decode(in, len, out, sizeof(out), &olen);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK &&
			    olen == strlen(c->out) &&
			    memcmp(out, c->out, olen) == 0);
		else	/* refused: out wiped, no length */
			CHECK(M, c->name, rc == c->want && olen == 0 &&
			    out[0] == 0 && out[sizeof(out) - 1] == 0);
		free(in);
	}
	/* the output cap is checked before anything is written */
	olen = 4242;
	CHECK(M, "b32 decode cap too small",
	    wd_totp_b32_decode("MZXW6YTBOI", 10, out, 5, &olen) ==
	    WD_E_TOOBIG && olen == 0);
	CHECK(M, "b32 decode cap exact",
	    wd_totp_b32_decode("MZXW6YTBOI", 10, out, 6, &olen) == WD_OK &&
	    olen == 6);
	CHECK(M, "b32 decode zero cap, empty text",
	    wd_totp_b32_decode("", 0, NULL, 0, &olen) == WD_OK && olen == 0);
}

static void
test_b32_encode(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} v[] = {	/* RFC 4648 §10 without the padding */
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	unsigned char	 raw[WD_TOTP_MAX_KEY], back[WD_TOTP_MAX_KEY];
	char		 txt[WD_TOTP_MAX_B32 + 1], name[64];
	size_t		 i, n, tl, bl;
	int		 ok = 1;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "b32 encode rfc \"%s\"", v[i].in);
		tl = 4242;
		CHECK(M, name, wd_totp_b32_encode(v[i].in, strlen(v[i].in),
		    txt, sizeof(txt), &tl) == WD_OK &&
		    strcmp(txt, v[i].out) == 0 && tl == strlen(v[i].out));
	}
	/* every length 0..64, each byte value somewhere: decode(encode) */
	for (n = 0; n <= WD_TOTP_MAX_KEY; n++) {
		for (i = 0; i < n; i++)
			raw[i] = (unsigned char)(n * 37 + i * 101 + 7);
		if (wd_totp_b32_encode(raw, n, txt, sizeof(txt), &tl) !=
		    WD_OK || tl != WD_TOTP_B32_LEN(n) ||
		    wd_totp_b32_decode(txt, tl, back, sizeof(back), &bl) !=
		    WD_OK || bl != n || memcmp(raw, back, n) != 0)
			ok = 0;
	}
	CHECK(M, "b32 round trip 0..64 bytes", ok);
	memset(txt, 'x', sizeof(txt));
	tl = 4242;
	CHECK(M, "b32 encode cap too small (no room for NUL)",
	    wd_totp_b32_encode("foobar", 6, txt, 10, &tl) == WD_E_TOOBIG &&
	    txt[0] == '\0' && tl == 0);
	CHECK(M, "b32 encode cap exact",
	    wd_totp_b32_encode("foobar", 6, txt, 11, &tl) == WD_OK &&
	    tl == 10);
	CHECK(M, "b32 encode zero cap",
	    wd_totp_b32_encode("f", 1, NULL, 0, NULL) == WD_E_TOOBIG);
}

static void
test_secret_new(void)
{
	char		 a[WD_TOTP_SECRET_B32_LEN + 1];
	char		 b[WD_TOTP_SECRET_B32_LEN + 1];
	unsigned char	 raw[WD_TOTP_MAX_KEY];
	size_t		 rl = 0, i;
	int		 alpha = 1;

	CHECK(M, "secret_new ok",
	    wd_totp_secret_new(a) == WD_OK && wd_totp_secret_new(b) == WD_OK);
	CHECK(M, "secret_new is 32 chars", strlen(a) == 32);
	for (i = 0; i < strlen(a); i++)
		if (!((a[i] >= 'A' && a[i] <= 'Z') ||
		    (a[i] >= '2' && a[i] <= '7')))
			alpha = 0;
	CHECK(M, "secret_new upper-case base32 alphabet", alpha);
	CHECK(M, "secret_new decodes to 20 bytes",
	    wd_totp_b32_decode(a, strlen(a), raw, sizeof(raw), &rl) ==
	    WD_OK && rl == WD_TOTP_SECRET_LEN);
	CHECK(M, "secret_new twice differs", strcmp(a, b) != 0);
}

struct code_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	enum wd_err	 want;
};

static void
test_code_parse(void)
{
	static const struct code_case cases[] = {
		/* bad */
		{ "code empty", "", 0, WD_E_BADREQ },
		{ "code 5 digits", "12345", 0, WD_E_BADREQ },
		{ "code 7 digits", "1234567", 0, WD_E_BADREQ },
		{ "code 8 digits", "12345678", 0, WD_E_BADREQ },
		{ "code 1 digit", "1", 0, WD_E_BADREQ },
		{ "code letter last", "12345a", 0, WD_E_BADREQ },
		{ "code letter first", "a23456", 0, WD_E_BADREQ },
		{ "code letters", "abcdef", 0, WD_E_BADREQ },
		{ "code leading space", " 123456", 0, WD_E_BADREQ },
		{ "code trailing space", "123456 ", 0, WD_E_BADREQ },
		{ "code space inside", "123 456", 0, WD_E_BADREQ },
		{ "code space in 6", "12 456", 0, WD_E_BADREQ },
		{ "code tab", "\t12345", 0, WD_E_BADREQ },
		{ "code trailing newline", "123456\n", 0, WD_E_BADREQ },
		{ "code newline in 6", "12345\n", 0, WD_E_BADREQ },
		{ "code plus sign", "+12345", 0, WD_E_BADREQ },
		{ "code minus sign", "-12345", 0, WD_E_BADREQ },
		{ "code plus, 6 digits", "+123456", 0, WD_E_BADREQ },
		{ "code decimal point", "123.45", 0, WD_E_BADREQ },
		{ "code exponent", "1234e5", 0, WD_E_BADREQ },
		{ "code hex", "0x1234", 0, WD_E_BADREQ },
		{ "code NUL last of 6", "12345\0", 6, WD_E_BADREQ },
		{ "code NUL after 6", "123456\0", 7, WD_E_BADREQ },
		{ "code NUL first", "\0" "12345", 6, WD_E_BADREQ },
		{ "code all NUL", "\0\0\0\0\0\0", 6, WD_E_BADREQ },
		{ "code arabic-indic digits",
		    "\xd9\xa1\xd9\xa2\xd9\xa3", 0, WD_E_BADREQ },
		{ "code full-width digits (6 chars)",
		    "\xef\xbc\x91\xef\xbc\x92", 0, WD_E_BADREQ },
		{ "code one full-width digit", "12345\xef\xbc\x96", 0,
		    WD_E_BADREQ },
		{ "code superscript one", "\xc2\xb9" "2345", 0, WD_E_BADREQ },
		{ "code digit with high bit", "12345\xb6", 0, WD_E_BADREQ },
		{ "code slash ('0' - 1)", "/12345", 0,
		    WD_E_BADREQ },
		{ "code colon ('9' + 1)", "12345:", 0, WD_E_BADREQ },
		{ "code quoted", "\"1234\"", 0, WD_E_BADREQ },
		/* good */
		{ "code 123456", "123456", 0, WD_OK },
		{ "code leading zeros", "000042", 0, WD_OK },
		{ "code 999999", "999999", 0, WD_OK },
	};
	char		 out[WD_TOTP_DIGITS + 1], *in;
	size_t		 i, len;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct code_case	*c = &cases[i];

		len = c->len ? c->len : strlen(c->in);
		in = dup_exact(c->in, len);
		memset(out, 'x', sizeof(out));
		rc = wd_totp_code_parse(in, len, out);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && strlen(out) == 6 &&
			    memcmp(out, c->in, 6) == 0);
		else
			CHECK(M, c->name, rc == c->want && out[0] == '\0');
		free(in);
	}
}

struct check_case {
	const char	*name;
	const char	*code;
	int64_t		 now;
	uint64_t	 last;
	enum wd_err	 want;
	uint64_t	 matched;
};

/*
 * RFC 6238 Appendix B gives the codes of two adjacent steps: 081804 for
 * step 37037036 (T = 1111111109) and 050471 for 37037037 (T =
 * 1111111111). An independent search found steps 37079356 and 37079357
 * sharing the code 186519 under the same key.
 */
#define S0	37037036ULL	/* code "081804" */
#define S1	37037037ULL	/* code "050471" */
#define T(s)	((int64_t)(s) * 30)
#define SC	37079356ULL	/* code(SC) == code(SC + 1) == "186519" */

static void
test_check(void)
{
	static const struct check_case cases[] = {
		/* refused */
		{ "check 2 steps late", "050471", T(S1 + 2), 0,
		    WD_E_UNAUTH, 0 },
		{ "check 2 steps early", "050471", T(S1 - 2), 0,
		    WD_E_UNAUTH, 0 },
		{ "check 2 steps late, last second", "050471",
		    T(S1 + 3) - 1, 0, WD_E_UNAUTH, 0 },
		{ "check same step twice", "050471", T(S1), S1,
		    WD_E_UNAUTH, 0 },
		{ "check older step after newer", "081804", T(S1), S1,
		    WD_E_UNAUTH, 0 },
		{ "check prev step after a later one", "081804", T(S1),
		    S1 + 1, WD_E_UNAUTH, 0 },
		{ "check wrong code", "000000", T(S1), 0, WD_E_UNAUTH, 0 },
		{ "check code of 8 digits' first 6", "140504", T(S1), 0,
		    WD_E_UNAUTH, 0 },
		{ "check collision, larger step used", "186519", T(SC),
		    SC + 1, WD_E_UNAUTH, 0 },
		{ "check 5 digits", "05047", T(S1), 0, WD_E_BADREQ, 0 },
		{ "check 7 digits", "0504710", T(S1), 0, WD_E_BADREQ, 0 },
		{ "check space", " 050471", T(S1), 0, WD_E_BADREQ, 0 },
		{ "check empty", "", T(S1), 0, WD_E_BADREQ, 0 },
		{ "check negative time", "050471", -1, 0, WD_E_INTERNAL, 0 },
		/* accepted */
		{ "check current step", "050471", T(S1), 0, WD_OK, S1 },
		{ "check current step, last second", "050471",
		    T(S1) + 29, 0, WD_OK, S1 },
		{ "check previous step", "081804", T(S1), 0, WD_OK, S0 },
		{ "check next step", "050471", T(S0), 0, WD_OK, S1 },
		{ "check next step after current used", "050471", T(S0), S0,
		    WD_OK, S1 },
		{ "check current after previous used", "050471", T(S1), S0,
		    WD_OK, S1 },
		{ "check collision takes the larger step", "186519", T(SC),
		    0, WD_OK, SC + 1 },
		{ "check collision after the smaller step used", "186519",
		    T(SC), SC, WD_OK, SC + 1 },
	};
	size_t		 i, len;
	uint64_t	 m;
	enum wd_err	 rc;
	char		*in;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case	*c = &cases[i];

		len = strlen(c->code);
		in = dup_exact(c->code, len);
		m = 4242;
		rc = wd_totp_check(rfc_key, RFC_KLEN, in, len, c->now,
		    c->last, &m);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && m == c->matched);
		else	/* *matched untouched */
			CHECK(M, c->name, rc == c->want && m == 4242);
		free(in);
	}
}

/* The sequence a caller runs: it stores each matched step as last. */
static void
test_check_sequence(void)
{
	char		 c[WD_TOTP_DIGITS + 1];
	uint64_t	 last = 0, m = 0, s;
	int		 ok = 1;

	/* step 0 has no predecessor; its code is refused with last 0
	 * (documented), step 1's is accepted at time 0 */
	CHECK(M, "check at time 0, next step",
	    wd_totp_code(rfc_key, RFC_KLEN, 1, c) == WD_OK &&
	    wd_totp_check(rfc_key, RFC_KLEN, c, 6, 0, 0, &m) == WD_OK &&
	    m == 1);
	for (s = S1; s < S1 + 20; s++) {
		if (wd_totp_code(rfc_key, RFC_KLEN, s, c) != WD_OK ||
		    wd_totp_check(rfc_key, RFC_KLEN, c, 6, T(s) + 7, last,
		    &m) != WD_OK || m != s)
			ok = 0;
		last = m;
		/* the same code again, within its window: refused */
		if (wd_totp_check(rfc_key, RFC_KLEN, c, 6, T(s) + 31, last,
		    &m) != WD_E_UNAUTH)
			ok = 0;
	}
	CHECK(M, "check 20 steps in a row, each once", ok);
	CHECK(M, "check bad key length",
	    wd_totp_check(rfc_key, 10, "050471", 6, T(S1), 0, &m) ==
	    WD_E_INTERNAL);
}

struct url_case {
	const char	*name;
	const char	*issuer;
	const char	*label;
	const char	*secret;
	enum wd_err	 want;
	const char	*url;
};

#define SEC	"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"	/* 20 bytes */
#define TAIL	"&algorithm=SHA1&digits=6&period=30"

static void
test_url(void)
{
	static const struct url_case cases[] = {
		/* bad */
		{ "url empty issuer", "", "a@b.co", SEC, WD_E_BADREQ, NULL },
		{ "url empty label", "Warden", "", SEC, WD_E_BADREQ, NULL },
		{ "url colon in issuer", "War:den", "a@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url colon in label", "Warden", "a:b@c.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url newline in label", "Warden", "a@b.co\n", SEC,
		    WD_E_BADREQ, NULL },
		{ "url tab in issuer", "War\tden", "a@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url DEL in label", "Warden", "a\x7f@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url lone UTF-8 lead byte", "Caf\xc3", "a@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url overlong UTF-8 '/'", "Warden", "a\xc0\xaf@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url UTF-8 surrogate", "Warden", "\xed\xa0\x80@b.co", SEC,
		    WD_E_BADREQ, NULL },
		{ "url secret lower case", "Warden", "a@b.co",
		    "jbswy3dpehpk3pxpjbswy3dpehpk3pxp", WD_E_BADREQ, NULL },
		{ "url secret padded", "Warden", "a@b.co",
		    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPMY======", WD_E_BADREQ,
		    NULL },
		{ "url secret 10 bytes (too short)", "Warden", "a@b.co",
		    "JBSWY3DPEHPK3PXP", WD_E_BADREQ, NULL },
		{ "url secret empty", "Warden", "a@b.co", "", WD_E_BADREQ,
		    NULL },
		{ "url secret bad char", "Warden", "a@b.co",
		    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX1", WD_E_BADREQ, NULL },
		{ "url secret with space", "Warden", "a@b.co",
		    "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP", WD_E_BADREQ,
		    NULL },
		{ "url secret & injection", "Warden", "a@b.co",
		    SEC "&secret=AAAA", WD_E_BADREQ, NULL },
		{ "url secret unused bits set", "Warden", "a@b.co",
		    SEC "ZZ", WD_E_BADREQ, NULL },
		{ "url secret of 1 char past a group", "Warden", "a@b.co",
		    SEC "M", WD_E_BADREQ, NULL },
		/* good */
		{ "url plain", "Warden", "a@b.co", SEC, WD_OK,
		    "otpauth://totp/Warden:a%40b.co?secret=" SEC
		    "&issuer=Warden" TAIL },
		{ "url space is %20, '+' and '&' escaped", "My App",
		    "x+y&z=1@b.co", SEC, WD_OK,
		    "otpauth://totp/My%20App:x%2By%26z%3D1%40b.co?secret="
		    SEC "&issuer=My%20App" TAIL },
		{ "url UTF-8 escaped bytewise", "Caf\xc3\xa9", "a@b.co", SEC,
		    WD_OK, "otpauth://totp/Caf%C3%A9:a%40b.co?secret=" SEC
		    "&issuer=Caf%C3%A9" TAIL },
		{ "url unreserved kept", "A-b.c_d~9", "a@b.co", SEC, WD_OK,
		    "otpauth://totp/A-b.c_d~9:a%40b.co?secret=" SEC
		    "&issuer=A-b.c_d~9" TAIL },
	};
	char		 out[WD_TOTP_URL_MAX + 1];
	size_t		 i, ol;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct url_case	*c = &cases[i];

		memset(out, 'x', sizeof(out));
		ol = 4242;
		rc = wd_totp_url(c->issuer, c->label, c->secret, out,
		    sizeof(out), &ol);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK &&
			    strcmp(out, c->url) == 0 && ol == strlen(c->url));
		else
			CHECK(M, c->name, rc == c->want && out[0] == '\0' &&
			    ol == 0);
	}
}

/* The limits: the longest inputs fit WD_TOTP_URL_MAX; one more is out. */
static void
test_url_limits(void)
{
	char		 iss[WD_TOTP_MAX_ISSUER + 2];
	char		 lab[WD_TOTP_MAX_LABEL + 2];
	char		 sec[WD_TOTP_MAX_B32 + 1], url[WD_TOTP_URL_MAX + 1];
	char		 dec[WD_TOTP_MAX_LABEL + 1];
	unsigned char	 key[WD_TOTP_MAX_KEY + 1];
	const char	*p, *q;
	size_t		 ul = 0, dl = 0;

	memset(iss, '/', WD_TOTP_MAX_ISSUER);	/* each '/' becomes %2F */
	iss[WD_TOTP_MAX_ISSUER] = '\0';
	memset(lab, '@', WD_TOTP_MAX_LABEL);
	lab[WD_TOTP_MAX_LABEL] = '\0';
	memset(key, 0xa5, sizeof(key));
	wd_totp_b32_encode(key, WD_TOTP_MAX_KEY, sec, sizeof(sec), NULL);
	CHECK(M, "url longest inputs fill WD_TOTP_URL_MAX exactly",
	    wd_totp_url(iss, lab, sec, url, sizeof(url), &ul) == WD_OK &&
	    ul == WD_TOTP_URL_MAX);
	CHECK(M, "url one byte short of room",
	    wd_totp_url(iss, lab, sec, url, WD_TOTP_URL_MAX, &ul) ==
	    WD_E_TOOBIG && url[0] == '\0' && ul == 0);
	CHECK(M, "url zero cap",
	    wd_totp_url(iss, lab, sec, NULL, 0, NULL) == WD_E_TOOBIG);
	/* the label comes back from the URL with an ordinary decoder */
	wd_totp_url(iss, lab, sec, url, sizeof(url), &ul);
	p = strchr(url + strlen("otpauth://totp/"), ':');
	q = p != NULL ? strchr(p, '?') : NULL;
	CHECK(M, "url label percent-decodes to the input",
	    q != NULL && wd_pct_decode(p + 1, (size_t)(q - p - 1), 0, dec,
	    sizeof(dec) - 1, &dl) == WD_OK && dl == WD_TOTP_MAX_LABEL &&
	    memcmp(dec, lab, dl) == 0);
	iss[WD_TOTP_MAX_ISSUER] = 'x';
	iss[WD_TOTP_MAX_ISSUER + 1] = '\0';
	CHECK(M, "url issuer of 65 bytes",
	    wd_totp_url(iss, "a@b.co", SEC, url, sizeof(url), &ul) ==
	    WD_E_BADREQ);
	lab[WD_TOTP_MAX_LABEL] = 'x';
	lab[WD_TOTP_MAX_LABEL + 1] = '\0';
	CHECK(M, "url label of 255 bytes",
	    wd_totp_url("W", lab, SEC, url, sizeof(url), &ul) ==
	    WD_E_BADREQ);
	wd_totp_b32_encode(key, WD_TOTP_MAX_KEY + 1, sec, sizeof(sec), NULL);
	CHECK(M, "url secret of 65 bytes",
	    wd_totp_url("W", "a@b.co", sec, url, sizeof(url), &ul) ==
	    WD_E_BADREQ);
}

int
main(void)
{
	test_hotp_rfc4226();
	test_totp_rfc6238();
	test_hotp_bad();
	test_b32_decode();
	test_b32_encode();
	test_secret_new();
	test_code_parse();
	test_check();
	test_check_sequence();
	test_url();
	test_url_limits();
	return WD_TEST_RESULT();
}
