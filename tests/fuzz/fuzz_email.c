/*
 * fuzz_email.c: e-mail normalisation (wd_email.h) on arbitrary bytes.
 *
 * The input is an exact-size heap copy, not NUL-terminated, so ASan
 * catches any read past len; the output buffer is exactly WD_EMAIL_MAX + 1.
 *
 * Invariants on WD_OK: the output is NUL-terminated, at most WD_EMAIL_MAX
 * bytes, holds exactly one '@', only bytes 0x21..0x7e and no upper-case
 * letter; it is the input with blanks trimmed and letters lower-cased;
 * normalising it again gives WD_OK and the same string. Otherwise the
 * answer is WD_E_BADREQ. Acceptance agrees with a small reference written
 * from the contract in wd_email.h.
 */

#include "wd_email.h"
#include "wd_fuzz.h"

static int
blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/*
 * Reference: trim blanks; 1..WD_EMAIL_MAX bytes of visible ASCII without
 * the specials; exactly one '@'; local part 1..64 bytes; domain non-empty,
 * with a dot, no dot at either end and no empty label.
 */
static int
ref_valid(const uint8_t *p, size_t len)
{
	size_t	 s = 0, e = len, i, at = 0, ats = 0, d;

	while (s < e && blank(p[s]))
		s++;
	while (e > s && blank(p[e - 1]))
		e--;
	if (e == s || e - s > WD_EMAIL_MAX)
		return 0;
	for (i = s; i < e; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
		if (memchr("\"(),:;<>[\\]", p[i], 12) != NULL)
			return 0;
		if (p[i] == '@') {
			ats++;
			at = i;
		}
	}
	if (ats != 1 || at - s < 1 || at - s > 64 || at + 1 == e)
		return 0;
	d = at + 1;
	if (p[d] == '.' || p[e - 1] == '.' || memchr(p + d, '.', e - d) ==
	    NULL)
		return 0;
	for (i = d; i + 1 < e; i++)
		if (p[i] == '.' && p[i + 1] == '.')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in, *out, *again, *in2;
	enum wd_err	 rc;
	size_t		 n, i, ats = 0, s = 0, e = size;

	in = fz_copy(data, size);
	out = malloc(WD_EMAIL_MAX + 1);
	again = malloc(WD_EMAIL_MAX + 1);
	CHECK(out != NULL && again != NULL);
	memset(out, 0xAA, WD_EMAIL_MAX + 1);
	rc = wd_email_normalize(in, size, out);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ);
	CHECK((rc == WD_OK) == ref_valid(data, size));
	if (rc != WD_OK)
		goto done;

	CHECK(memchr(out, '\0', WD_EMAIL_MAX + 1) != NULL);
	n = strlen(out);
	CHECK(n >= 3 && n <= WD_EMAIL_MAX);
	for (i = 0; i < n; i++) {
		uint8_t	 c = (uint8_t)out[i];

		CHECK(c >= 0x21 && c <= 0x7e);
		CHECK(!(c >= 'A' && c <= 'Z'));
		if (c == '@')
			ats++;
	}
	CHECK(ats == 1);

	/* the output is the trimmed input, lower-cased */
	while (s < e && blank(data[s]))
		s++;
	while (e > s && blank(data[e - 1]))
		e--;
	CHECK(e - s == n);
	for (i = 0; i < n; i++)
		CHECK((uint8_t)out[i] == lower(data[s + i]));

	/* idempotent, on an exact-size copy of the output */
	in2 = fz_copy(out, n);
	memset(again, 0x55, WD_EMAIL_MAX + 1);
	CHECK(wd_email_normalize(in2, n, again) == WD_OK);
	CHECK(memchr(again, '\0', WD_EMAIL_MAX + 1) != NULL);
	CHECK(strcmp(again, out) == 0);
	free(in2);
done:
	free(in);
	free(out);
	free(again);
	return 0;
}
