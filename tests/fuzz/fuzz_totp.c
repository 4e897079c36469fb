/*
 * fuzz_totp.c: the TOTP code parser and check, base32 and the otpauth://
 * URL (wd_totp.h) on arbitrary bytes.
 *
 * The first byte picks the target (modulo 4), the rest is its input, an
 * exact-size heap copy (not NUL-terminated, so ASan catches any read
 * past len). Invariants:
 *   0 code: wd_totp_code_parse accepts exactly 6 ASCII digits and copies
 *     them; wd_totp_check answers WD_E_BADREQ exactly when the parser
 *     refuses, and on WD_OK the step lies in the window, is above
 *     last_step and its code is the input.
 *   1 base32 decode: acceptance agrees with a reference written from the
 *     rules in wd_totp.h; the byte count is floor(5 d / 8) for the d
 *     characters before any padding;
 *     re-encoding gives the input upper-cased without its padding; a
 *     refusal leaves the output wiped.
 *   2 base32 encode: decode(encode(x)) == x, the text has the predicted
 *     length and alphabet, and its lower-case and padded spellings
 *     decode to x too.
 *   3 URL: the input split at its first 0x00 is issuer and label (up
 *     to any further 0x00), with the whole input as both if none; on
 *     WD_OK the URL is bounded, made of unreserved bytes, %XX and the
 *     URL's own delimiters, and its issuer and label percent-decode back
 *     to the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_totp.h"
#include "wd_util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

static const unsigned char	 fz_key[] = "12345678901234567890";
#define FZ_NOW		((int64_t)1111111111)	/* step 37037037 */
#define FZ_STEP		37037037ULL
#define SECRET		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static int
is_b32(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '2' && c <= '7');
}

static uint8_t
upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
}

static void
fz_code(const char *in, size_t n)
{
	char		 out[WD_TOTP_DIGITS + 1];
	size_t		 i;
	uint64_t	 m = 0, last;
	enum wd_err	 rc, rc2;
	int		 want = n == 6;

	for (i = 0; i < n && want; i++)
		if (in[i] < '0' || in[i] > '9')
			want = 0;
	memset(out, 'x', sizeof(out));
	rc = wd_totp_code_parse(in, n, out);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ);
	CHECK((rc == WD_OK) == want);
	if (rc == WD_OK)
		CHECK(strlen(out) == 6 && memcmp(out, in, 6) == 0);
	else
		CHECK(out[0] == '\0');

	/* last_step varies with the input, around the window */
	last = FZ_STEP - 2 + (n > 0 ? (uint8_t)in[0] % 4 : 0);
	rc2 = wd_totp_check(fz_key, 20, in, n, FZ_NOW, last, &m);
	CHECK(rc2 == WD_OK || rc2 == WD_E_BADREQ || rc2 == WD_E_UNAUTH);
	CHECK((rc2 == WD_E_BADREQ) == (rc != WD_OK));
	if (rc2 == WD_OK) {
		CHECK(m + 1 >= FZ_STEP && m <= FZ_STEP + 1 && m > last);
		CHECK(wd_totp_code(fz_key, 20, m, out) == WD_OK &&
		    memcmp(out, in, 6) == 0);
	}
}

/* Reference for wd_totp_b32_decode's acceptance, from its contract. */
static int
ref_b32(const uint8_t *p, size_t n)
{
	size_t	 pad = 0, d, i;
	uint8_t	 v, last;

	while (pad < n && p[n - 1 - pad] == '=')
		pad++;
	d = n - pad;
	if (pad > 0 && (d % 8 == 0 || pad + d % 8 != 8))
		return 0;
	if (d % 8 == 1 || d % 8 == 3 || d % 8 == 6)
		return 0;
	for (i = 0; i < d; i++)
		if (!is_b32(p[i]))
			return 0;
	if (d == 0 || d * 5 % 8 == 0)
		return 1;
	/* the last character's low (5 d mod 8) bits are unused: zero */
	last = upper(p[d - 1]);
	v = (uint8_t)(last >= 'A' ? last - 'A' : last - '2' + 26);
	return (v & ((1u << (d * 5 % 8)) - 1)) == 0;
}

static void
fz_b32_decode(const char *in, size_t n)
{
	unsigned char	*out;
	char		*txt;
	size_t		 cap = n, ol = 4242, tl = 0, i, d;
	enum wd_err	 rc;

	out = malloc(cap > 0 ? cap : 1);
	txt = malloc(n + 2);
	CHECK(out != NULL && txt != NULL);
	memset(out, 0xAA, cap > 0 ? cap : 1);
	rc = wd_totp_b32_decode(in, n, out, cap, &ol);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ);
	CHECK((rc == WD_OK) == ref_b32((const uint8_t *)in, n));
	if (rc != WD_OK) {
		CHECK(ol == 0);
		for (i = 0; i < cap; i++)
			CHECK(out[i] == 0);
		goto done;
	}
	for (d = n; d > 0 && in[d - 1] == '='; d--)
		continue;
	CHECK(ol == d * 5 / 8);
	CHECK(wd_totp_b32_encode(out, ol, txt, n + 2, &tl) == WD_OK);
	CHECK(tl == d);
	for (i = 0; i < d; i++)
		CHECK((uint8_t)txt[i] == upper((uint8_t)in[i]));
	/* one byte less room is refused before anything is written */
	if (ol > 0)
		CHECK(wd_totp_b32_decode(in, n, out, ol - 1, &tl) ==
		    WD_E_TOOBIG && tl == 0);
done:
	free(out);
	free(txt);
}

static void
fz_b32_encode(const char *in, size_t n)
{
	size_t		 cap = WD_TOTP_B32_LEN(n) + 8, tl = 0, bl = 0, i, pl;
	char		*txt;
	unsigned char	*back;

	txt = malloc(cap);
	back = malloc(n > 0 ? n : 1);
	CHECK(txt != NULL && back != NULL);
	CHECK(wd_totp_b32_encode(in, n, txt, cap, &tl) == WD_OK);
	CHECK(tl == WD_TOTP_B32_LEN(n) && strlen(txt) == tl);
	for (i = 0; i < tl; i++)
		CHECK((txt[i] >= 'A' && txt[i] <= 'Z') ||
		    (txt[i] >= '2' && txt[i] <= '7'));
	CHECK(wd_totp_b32_decode(txt, tl, back, n, &bl) == WD_OK);
	CHECK(bl == n && memcmp(back, in, n) == 0);
	/* the lower-case spelling */
	for (i = 0; i < tl; i++)
		if (txt[i] >= 'A' && txt[i] <= 'Z')
			txt[i] = (char)(txt[i] + 32);
	CHECK(wd_totp_b32_decode(txt, tl, back, n, &bl) == WD_OK);
	CHECK(bl == n && memcmp(back, in, n) == 0);
	/* the padded spelling */
	for (pl = tl; pl % 8 != 0; pl++)
		txt[pl] = '=';
	CHECK(wd_totp_b32_decode(txt, pl, back, n, &bl) == WD_OK);
	CHECK(bl == n && memcmp(back, in, n) == 0);
	/* the encoder refuses one byte less room */
	CHECK(wd_totp_b32_encode(in, n, txt, tl, &bl) == WD_E_TOOBIG);
	free(txt);
	free(back);
}

static int
url_byte_ok(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("-._~%:/?&=", c) != NULL;
}

static void
fz_url(const char *in, size_t n)
{
	const char	*z, *p, *q, *r;
	char		*iss, *lab, *url, *dec;
	size_t		 il, ll, ul = 0, dl = 0, i;
	enum wd_err	 rc;

	z = memchr(in, '\0', n);
	il = z != NULL ? (size_t)(z - in) : n;
	ll = z != NULL ? n - il - 1 : n;
	iss = malloc(il + 1);
	lab = malloc(ll + 1);
	url = malloc(WD_TOTP_URL_MAX + 1);
	dec = malloc(WD_TOTP_URL_MAX + 1);
	CHECK(iss != NULL && lab != NULL && url != NULL && dec != NULL);
	memcpy(iss, in, il);
	iss[il] = '\0';
	memcpy(lab, z != NULL ? z + 1 : in, ll);
	lab[ll] = '\0';
	ll = strlen(lab);	/* a C string: up to a second 0x00 */
	rc = wd_totp_url(iss, lab, SECRET, url, WD_TOTP_URL_MAX + 1, &ul);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ);
	if (rc != WD_OK) {
		CHECK(url[0] == '\0' && ul == 0);
		goto done;
	}
	CHECK(il >= 1 && il <= WD_TOTP_MAX_ISSUER);
	CHECK(ll >= 1 && ll <= WD_TOTP_MAX_LABEL);
	CHECK(ul == strlen(url) && ul <= WD_TOTP_URL_MAX);
	for (i = 0; i < ul; i++)
		CHECK(url_byte_ok((uint8_t)url[i]));
	CHECK(strncmp(url, "otpauth://totp/", 15) == 0);
	/* <issuer>:<label>?secret=...&issuer=<issuer>&algorithm=... */
	p = strchr(url + 15, ':');
	q = strchr(url, '?');
	CHECK(p != NULL && q != NULL && p < q);
	CHECK(wd_pct_decode(url + 15, (size_t)(p - url - 15), 0, dec,
	    WD_TOTP_URL_MAX, &dl) == WD_OK && dl == il &&
	    memcmp(dec, iss, il) == 0);
	CHECK(wd_pct_decode(p + 1, (size_t)(q - p - 1), 0, dec,
	    WD_TOTP_URL_MAX, &dl) == WD_OK && dl == ll &&
	    memcmp(dec, lab, ll) == 0);
	CHECK(strncmp(q, "?secret=" SECRET "&issuer=", 8 + 32 + 8) == 0);
	r = strchr(q + 48, '&');
	CHECK(r != NULL && strcmp(r, "&algorithm=SHA1&digits=6&period=30")
	    == 0);
	CHECK(wd_pct_decode(q + 48, (size_t)(r - q - 48), 0, dec,
	    WD_TOTP_URL_MAX, &dl) == WD_OK && dl == il &&
	    memcmp(dec, iss, il) == 0);
done:
	free(iss);
	free(lab);
	free(url);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in;
	size_t	 n;

	if (size == 0)
		return 0;
	n = size - 1;
	in = malloc(n > 0 ? n : 1);
	CHECK(in != NULL);
	if (n > 0)
		memcpy(in, data + 1, n);
	switch (data[0] % 4) {
	case 0:
		fz_code(in, n);
		break;
	case 1:
		fz_b32_decode(in, n);
		break;
	case 2:
		if (n <= 4096)
			fz_b32_encode(in, n);
		break;
	default:
		fz_url(in, n);
		break;
	}
	free(in);
	return 0;
}
