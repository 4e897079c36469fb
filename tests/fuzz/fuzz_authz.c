/*
 * fuzz_authz.c: the Authorization and Cookie header parsers (wd_auth.h).
 *
 * Each input is used twice, and neither use re-implements the parsers:
 *
 * 1. As raw headers: split at the first 0x00 byte, the bytes before it
 *    are the Authorization header and those after it the Cookie header
 *    (without a 0x00 the whole input is both); each is an exact-size heap
 *    copy, not NUL-terminated, so ASan catches a read past len. What
 *    holds for any header: answers are from the documented set; returned
 *    pointers lie inside the header; an accepted bearer header starts
 *    with "bearer " in any case and its token is the rest, non-empty,
 *    with no space, tab, comma or control byte, and a third word or a
 *    comma list appended to it is refused; a cookie value holds no ';'
 *    and, unless it was in DQUOTEs, no blank at either end; and
 *    appending "; name=x" turns absent into "x" and found into
 *    "repeated" (RFC 6265: ';' always ends a pair).
 * 2. As a recipe for headers built from known parts, so the answer is
 *    known by construction: "Bearer" in mixed case, one space and an RFC
 *    6750 §2.1 b64token is accepted as exactly that token, and refused
 *    after one defect (two spaces, a tab, an empty token, a space, comma
 *    or control byte in the token, another scheme); a Cookie header of
 *    pairs (names from a few, RFC 6265 §4.1.1 cookie-octets as values,
 *    some in DQUOTEs, blanks around names and values, pieces without
 *    '=' and empty pieces between) gives each name's value when it is
 *    there once, WD_E_BADHEADER when twice, WD_E_NOTFOUND when not.
 */
#include <strings.h>

#include "wd_auth.h"
#include "wd_buf.h"
#include "wd_fuzz.h"

/* cookie names looked up: the default one, and short ones the fuzzer
 * reaches easily (including one with a space inside) */
static const char *const fz_names[] = { "access_token", "a", "t", "a b" };
#define NNAMES	(sizeof(fz_names) / sizeof(fz_names[0]))

/* A token byte as wd_auth.h promises (a word: no blank, no comma, no
 * control byte); only ever asserted of an accepted token. */
static int
tok_byte_ok(unsigned char ch)
{
	return ch > 0x20 && ch != 0x7f && ch != ',';
}

static enum wd_err
bearer(const char *h, size_t len, const char **tok, size_t *tl)
{
	char		*cp = fz_copy(h, len);
	enum wd_err	 rc;

	*tok = NULL;
	*tl = (size_t)-1;
	rc = wd_auth_bearer(cp, len, tok, tl);
	CHECK(rc == WD_OK || rc == WD_E_BADTOKEN);
	if (rc == WD_OK) {
		CHECK(*tok >= cp && *tl <= len &&
		    (size_t)(*tok - cp) + *tl <= len);
		*tok = h + (*tok - cp);	/* the same place in h */
	}
	free(cp);
	return rc;
}

static enum wd_err
cookie(const char *h, size_t len, const char *name, const char **val,
    size_t *vl)
{
	char		*cp = fz_copy(h, len);
	enum wd_err	 rc;

	*val = NULL;
	*vl = (size_t)-1;
	rc = wd_auth_cookie(cp, len, name, val, vl);
	CHECK(rc == WD_OK || rc == WD_E_NOTFOUND || rc == WD_E_BADHEADER);
	if (rc == WD_OK) {
		CHECK(*val >= cp && *vl <= len &&
		    (size_t)(*val - cp) + *vl <= len);
		*val = h + (*val - cp);
	}
	free(cp);
	return rc;
}

/* Use 1: the Authorization header as it is. */
static void
raw_bearer(const char *h, size_t len)
{
	const char	*tok;
	size_t		 tl, i;
	struct wd_buf	 more;

	if (bearer(h, len, &tok, &tl) != WD_OK)
		return;
	CHECK(len >= 8 && strncasecmp(h, "bearer ", 7) == 0);
	CHECK(tok == h + 7 && tl == len - 7);
	for (i = 0; i < tl; i++)
		CHECK(tok_byte_ok((unsigned char)tok[i]));
	/* exactly two words: a third one, or a list, is refused */
	wd_buf_init(&more, len + 16);
	wd_buf_add(&more, h, len);
	wd_buf_adds(&more, " x");
	CHECK(wd_buf_status(&more) == WD_OK);
	CHECK(bearer(more.p, more.len, &tok, &tl) == WD_E_BADTOKEN);
	wd_buf_reset(&more);
	wd_buf_add(&more, h, len);
	wd_buf_adds(&more, ", Bearer x");
	CHECK(wd_buf_status(&more) == WD_OK);
	CHECK(bearer(more.p, more.len, &tok, &tl) == WD_E_BADTOKEN);
	wd_buf_cleanup(&more);
}

/* Use 1: the Cookie header as it is. */
static void
raw_cookie(const char *h, size_t len)
{
	struct wd_buf	 more;
	const char	*val, *v2;
	size_t		 i, vl, vl2;
	enum wd_err	 rc;

	wd_buf_init(&more, len + 64);
	for (i = 0; i < NNAMES; i++) {
		rc = cookie(h, len, fz_names[i], &val, &vl);
		if (rc == WD_OK) {
			CHECK(memchr(val, ';', vl) == NULL);
			/* blanks around a value are trimmed (inside DQUOTEs
			 * they are the value's) */
			CHECK(vl == 0 || (val > h && val[-1] == '"' &&
			    (size_t)(val - h) + vl < len && val[vl] == '"') ||
			    (val[0] != ' ' && val[0] != '\t' &&
			    val[vl - 1] != ' ' && val[vl - 1] != '\t'));
		}
		wd_buf_reset(&more);
		wd_buf_add(&more, h, len);
		wd_buf_addf(&more, "; %s=x", fz_names[i]);
		CHECK(wd_buf_status(&more) == WD_OK);
		if (rc == WD_E_NOTFOUND)
			CHECK(cookie(more.p, more.len, fz_names[i], &v2,
			    &vl2) == WD_OK && vl2 == 1 &&
			    v2 == more.p + more.len - 1);
		else
			CHECK(cookie(more.p, more.len, fz_names[i], &v2,
			    &vl2) == WD_E_BADHEADER);
	}
	wd_buf_cleanup(&more);
}

/* RFC 6750 §2.1 b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=" */
static const char	 b64tok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
			    "opqrstuvwxyz0123456789-._~+/";

/* Use 2: a bearer header built from the recipe, then one defect. */
static void
gen_bearer(struct fz_src *src)
{
	static const char	 lo[] = "bearer", up[] = "BEARER";
	static const char *const other[] = { "Basic", "Bearerx", "Beare",
	    "Token", "Bearer:" };
	static const char	 bad[] = " \t,\r\n\x01\x7f";
	struct wd_buf		 h;
	const char		*tok;
	size_t			 i, n, tl, at;
	uint8_t			 b = fz_byte(src), d;

	wd_buf_init(&h, 1024);
	for (i = 0; i < 6; i++)
		wd_buf_add(&h, (b >> i) & 1 ? &up[i] : &lo[i], 1);
	wd_buf_add(&h, " ", 1);
	n = 1 + fz_byte(src) % 64;
	for (i = 0; i < n; i++)
		wd_buf_add(&h, &b64tok[fz_byte(src) % (sizeof(b64tok) - 1)],
		    1);
	wd_buf_adds(&h, &"=="[2 - fz_byte(src) % 3]);
	CHECK(wd_buf_status(&h) == WD_OK);
	CHECK(bearer(h.p, h.len, &tok, &tl) == WD_OK);
	CHECK(tok == h.p + 7 && tl == h.len - 7);

	d = fz_byte(src);
	at = 7 + fz_byte(src) % (h.len - 7 + 1);	/* in or after token */
	switch (d % 5) {
	case 0:		/* two spaces */
		h.p[6] = ' ';
		memmove(h.p + 7, h.p + 6, h.len - 6);
		h.len++;
		break;
	case 1:		/* a tab for the space */
		h.p[6] = '\t';
		break;
	case 2:		/* no token */
		h.len = 7;
		break;
	case 3:		/* a byte no word holds, in or after the token */
		memmove(h.p + at + 1, h.p + at, h.len - at);
		h.p[at] = bad[d / 5 % (sizeof(bad) - 1)];
		h.len++;
		break;
	default:	/* another scheme */
		n = strlen(other[d / 5 % 5]);
		memmove(h.p + n, h.p + 6, h.len - 6);
		memcpy(h.p, other[d / 5 % 5], n);
		h.len = h.len - 6 + n;
		break;
	}
	CHECK(h.len < h.cap);
	CHECK(bearer(h.p, h.len, &tok, &tl) == WD_E_BADTOKEN);
	wd_buf_cleanup(&h);
}

/* RFC 6265 §4.1.1 cookie-octet: visible ASCII but DQUOTE , ; \ */
static const char	 octets[] = "!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJ"
			    "KLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz"
			    "{|}~";

/* Names a cookie may have here: the ones looked up and near misses. */
static const char *const gen_names[] = { "access_token", "a", "t", "a b",
    "access_tokenx", "xaccess_token", "ACCESS_TOKEN", "b" };
#define NGEN	(sizeof(gen_names) / sizeof(gen_names[0]))

static void
blanks(struct wd_buf *h, uint8_t b)
{
	static const char *const bl[] = { "", "", " ", "\t", "  ", " \t" };

	wd_buf_adds(h, bl[b % 6]);
}

/* Use 2: a Cookie header built from known pairs. */
static void
gen_cookie(struct fz_src *src)
{
	struct wd_buf	 h;
	int		 count[NGEN] = { 0 };
	size_t		 off[NGEN] = { 0 }, len[NGEN] = { 0 };
	size_t		 i, j, n, npairs = fz_byte(src) % 8;
	const char	*val;
	size_t		 vl;
	enum wd_err	 rc;

	wd_buf_init(&h, 4096);
	for (i = 0; i < npairs; i++) {
		uint8_t	 b = fz_byte(src), k = b % NGEN;

		if (i > 0)
			wd_buf_adds(&h, b & 0x80 ? ";" : "; ");
		if ((b & 0x60) == 0x60) {	/* a piece without '=' */
			wd_buf_adds(&h, b & 0x10 ? gen_names[k] : "");
			continue;
		}
		blanks(&h, fz_byte(src));
		wd_buf_adds(&h, gen_names[k]);
		blanks(&h, fz_byte(src));
		wd_buf_add(&h, "=", 1);
		blanks(&h, fz_byte(src));
		if (b & 0x10)
			wd_buf_add(&h, "\"", 1);
		off[k] = h.len;
		n = fz_byte(src) % 40;
		for (j = 0; j < n; j++)
			wd_buf_add(&h, &octets[fz_byte(src) %
			    (sizeof(octets) - 1)], 1);
		len[k] = n;
		if (b & 0x10)
			wd_buf_add(&h, "\"", 1);
		blanks(&h, fz_byte(src));
		count[k]++;
	}
	CHECK(wd_buf_status(&h) == WD_OK);
	for (i = 0; i < NNAMES; i++) {
		rc = cookie(wd_buf_str(&h), h.len, gen_names[i], &val, &vl);
		if (count[i] == 0)
			CHECK(rc == WD_E_NOTFOUND);
		else if (count[i] > 1)
			CHECK(rc == WD_E_BADHEADER);
		else	/* an empty value may point anywhere in its pair */
			CHECK(rc == WD_OK && vl == len[i] &&
			    (vl == 0 || val == h.p + off[i]));
	}
	wd_buf_cleanup(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul = memchr(data, 0, size);
	size_t		 alen = size, clen = size;
	const uint8_t	*cp = data;
	struct fz_src	 src = { data, size, 0 };

	if (nul != NULL) {
		alen = (size_t)(nul - data);
		cp = nul + 1;
		clen = size - alen - 1;
	}
	raw_bearer((const char *)data, alen);
	raw_cookie((const char *)cp, clen);
	gen_bearer(&src);
	gen_cookie(&src);
	return 0;
}
