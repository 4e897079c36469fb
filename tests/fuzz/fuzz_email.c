/*
 * fuzz_email.c: e-mail normalisation (wd_email.h).
 *
 * Each input is used twice, and neither use re-implements the validator:
 *
 * 1. As raw bytes (an exact-size heap copy, so ASan catches a read past
 *    len; the output buffer is exactly WD_EMAIL_MAX + 1). The answer is
 *    WD_OK or WD_E_BADREQ. On WD_OK the output has the shape the
 *    contract promises: NUL-terminated, at most WD_EMAIL_MAX bytes of
 *    0x21..0x7e, no upper-case letter, no quote, comma or angle bracket,
 *    exactly one '@' after a local part of 1..64 bytes, a domain with a
 *    dot, no dot at either end and no empty label; it is the input with
 *    blanks trimmed, equal up to case (strncasecmp); normalising it again
 *    gives the same string.
 * 2. As a recipe for an address that is valid by construction: a local
 *    part of 1..64 bytes and 2..4 domain labels drawn from letters (either
 *    case), digits and a few safe marks, blanks around. Its normal form
 *    is built beside it from the lower-case alphabet, so the expected
 *    answer is known, not computed. It must be accepted as exactly that;
 *    then one defect the contract names, picked by the recipe (two '@',
 *    a local part of 65 bytes, 255 bytes in all, no local part, no
 *    domain, one label, a dot at either end of the domain, an empty
 *    label, a control byte, space, quote, comma or angle bracket inside),
 *    must make it refused.
 */
#include <strings.h>

#include "wd_email.h"
#include "wd_fuzz.h"

/* Same index, two cases: the generator's input and its normal form. */
static const char	 lo_local[] = "abcdefghijklmnopqrstuvwxyz"
			    "0123456789-_+";
static const char	 up_local[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_+";
#define N_LOCAL		(sizeof(lo_local) - 1)
#define N_LABEL		37	/* letters, digits, '-' */

/* Refused by the contract in wd_email.h anywhere inside an address. */
static const char	 bad_bytes[] = "\x01\x09\x0a\x0d\x1f\x7f \",<>";

enum defect {
	D_TWO_AT, D_LOCAL_65, D_TOO_LONG, D_NO_LOCAL, D_NO_DOMAIN,
	D_ONE_LABEL, D_LEAD_DOT, D_TRAIL_DOT, D_EMPTY_LABEL, D_BAD_BYTE,
	D__MAX
};

#define PART_MAX	320

/* A part of the address: what is fed in, and its normal form. */
struct part {
	char	 in[PART_MAX];
	char	 want[PART_MAX];
	size_t	 len;
};

static void
put(struct part *p, char in, char want)
{
	CHECK(p->len < PART_MAX);
	p->in[p->len] = in;
	p->want[p->len] = want;
	p->len++;
}

static void
put_from(struct part *p, struct fz_src *src, size_t n)
{
	uint8_t	 b = fz_byte(src);
	size_t	 i = b % n;

	if (b / n % 2)
		put(p, up_local[i], lo_local[i]);
	else
		put(p, lo_local[i], lo_local[i]);
}

/* Inserts c at position at of p (both forms). */
static void
insert(struct part *p, size_t at, char c)
{
	CHECK(p->len < PART_MAX && at <= p->len);
	memmove(p->in + at + 1, p->in + at, p->len - at);
	memmove(p->want + at + 1, p->want + at, p->len - at);
	p->in[at] = c;
	p->want[at] = c;
	p->len++;
}

static int
blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* normalize(in, len) into a fresh exact-size copy; out is
 * WD_EMAIL_MAX + 1 bytes. */
static enum wd_err
normalize(const char *in, size_t len, char *out)
{
	char		*cp = fz_copy(in, len);
	enum wd_err	 rc;

	memset(out, 0xAA, WD_EMAIL_MAX + 1);
	rc = wd_email_normalize(cp, len, out);
	free(cp);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ);
	return rc;
}

/* Use 1: the input as it is. */
static void
raw(const uint8_t *data, size_t size)
{
	char		 out[WD_EMAIL_MAX + 1], again[WD_EMAIL_MAX + 1];
	const char	*dom;
	size_t		 n, i, at = 0, ats = 0, dl, s = 0, e = size;

	if (normalize((const char *)data, size, out) != WD_OK)
		return;
	CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	n = strlen(out);
	CHECK(n >= 1 && n <= WD_EMAIL_MAX);
	for (i = 0; i < n; i++) {
		uint8_t	 c = (uint8_t)out[i];

		CHECK(c >= 0x21 && c <= 0x7e);
		CHECK(!(c >= 'A' && c <= 'Z'));
		CHECK(strchr("\",<>", c) == NULL);
		if (c == '@') {
			ats++;
			at = i;
		}
	}
	CHECK(ats == 1 && at >= 1 && at <= 64);
	dom = out + at + 1;
	dl = n - at - 1;
	CHECK(dl >= 3 && memchr(dom, '.', dl) != NULL);
	CHECK(dom[0] != '.' && dom[dl - 1] != '.' &&
	    strstr(dom, "..") == NULL);

	/* the trimmed input, equal up to case */
	while (s < e && blank(data[s]))
		s++;
	while (e > s && blank(data[e - 1]))
		e--;
	CHECK(e - s == n);
	CHECK(strncasecmp(out, (const char *)data + s, n) == 0);

	/* idempotent */
	CHECK(normalize(out, n, again) == WD_OK);
	CHECK(strcmp(again, out) == 0);
}

/* Assembles blanks, local, '@', domain, blanks into in
 * and the normal form into want (NUL-terminated); returns in's length. */
static size_t
assemble(const struct part *local, const struct part *dom, size_t lead,
    size_t trail, char *in, char *want)
{
	size_t	 n = 0;

	memset(in, ' ', lead);
	n = lead;
	memcpy(in + n, local->in, local->len);
	memcpy(want, local->want, local->len);
	n += local->len;
	in[n++] = '@';
	want[local->len] = '@';
	memcpy(in + n, dom->in, dom->len);
	memcpy(want + local->len + 1, dom->want, dom->len);
	n += dom->len;
	want[local->len + 1 + dom->len] = '\0';
	memset(in + n, '\t', trail);
	return n + trail;
}

/* Use 2: a valid address built from the recipe, then one defect. */
static void
generated(const uint8_t *data, size_t size)
{
	struct fz_src	 src = { data, size, 0 };
	struct part	 local, dom, first;
	char		 in[2 * PART_MAX + 8], want[2 * PART_MAX + 8];
	char		 out[WD_EMAIL_MAX + 1];
	size_t		 i, j, n, labels, lead, trail;
	enum defect	 d;

	memset(&local, 0, sizeof(local));
	memset(&dom, 0, sizeof(dom));
	memset(&first, 0, sizeof(first));
	n = 1 + fz_byte(&src) % 64;
	for (i = 0; i < n; i++)
		put_from(&local, &src, N_LOCAL);
	labels = 2 + fz_byte(&src) % 3;
	for (i = 0; i < labels; i++) {
		if (i > 0)
			put(&dom, '.', '.');
		n = 1 + fz_byte(&src) % 10;
		for (j = 0; j < n; j++)
			put_from(&dom, &src, N_LABEL);
		if (i == 0)
			first = dom;
	}
	lead = fz_byte(&src) % 3;
	trail = fz_byte(&src) % 3;
	n = assemble(&local, &dom, lead, trail, in, want);
	CHECK(normalize(in, n, out) == WD_OK);
	CHECK(strcmp(out, want) == 0);

	d = (enum defect)(fz_byte(&src) % D__MAX);
	switch (d) {
	case D_TWO_AT:
		insert(&local, 1, '@');
		break;
	case D_LOCAL_65:
		while (local.len < 65)
			put(&local, 'a', 'a');
		break;
	case D_TOO_LONG:
		while (local.len + 1 + dom.len < WD_EMAIL_MAX + 1)
			put(&dom, 'x', 'x');
		break;
	case D_NO_LOCAL:
		local.len = 0;
		break;
	case D_NO_DOMAIN:
		dom.len = 0;
		break;
	case D_ONE_LABEL:
		dom = first;
		break;
	case D_LEAD_DOT:
		insert(&dom, 0, '.');
		break;
	case D_TRAIL_DOT:
		put(&dom, '.', '.');
		break;
	case D_EMPTY_LABEL:
		insert(&dom, (size_t)((char *)memchr(dom.in, '.', dom.len) -
		    dom.in), '.');
		break;
	default:
		i = fz_byte(&src) % (sizeof(bad_bytes) - 1);
		/* after the first byte: a blank at either end would be
		 * trimmed, not refused */
		if (fz_byte(&src) % 2)
			insert(&local, 1, bad_bytes[i]);
		else
			insert(&dom, 1, bad_bytes[i]);
		break;
	}
	n = assemble(&local, &dom, lead, trail, in, want);
	CHECK(normalize(in, n, out) == WD_E_BADREQ);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	raw(data, size);
	generated(data, size);
	return 0;
}
