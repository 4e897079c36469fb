/*
 * fuzz_authz.c: the Authorization and Cookie header parsers (wd_auth.h).
 *
 * The input is split at its first 0x00 byte: the bytes before it are the
 * Authorization header, the bytes after it the Cookie header; without a
 * 0x00 the whole input is used for both. Each part is an exact-size heap
 * copy, not NUL-terminated, so ASan catches any read past len.
 *
 * Invariants: returned pointers lie inside the header and lengths are in
 * range; a bearer token is non-empty and holds no space, tab, comma or
 * control byte; both parsers agree with a small independent reference
 * (RFC 6750 §2.1 as Hasura reads it; RFC 6265 §4.2.1 pairs split on ';').
 */
#include <strings.h>

#include "wd_auth.h"
#include "wd_fuzz.h"

/* cookie names looked up: the default one, and short ones the fuzzer
 * reaches easily (including one with a space inside) */
static const char *const fz_names[] = { "access_token", "a", "t", "a b" };

static int
tok_byte_ok(unsigned char ch)
{
	return ch > 0x20 && ch != 0x7f && ch != ',';
}

static void
check_bearer(const char *h, size_t len)
{
	const char	*tok = NULL;
	size_t		 tl = (size_t)-1, i;
	enum wd_err	 rc;
	int		 want;

	rc = wd_auth_bearer(h, len, &tok, &tl);
	CHECK(rc == WD_OK || rc == WD_E_BADTOKEN);
	/* reference: "bearer" (any case), one space, then >= 1 byte that
	 * is visible ASCII or non-ASCII, but not ',' */
	want = len >= 8 && strncasecmp(h, "bearer ", 7) == 0;
	for (i = 7; want && i < len; i++)
		if (!tok_byte_ok((unsigned char)h[i]))
			want = 0;
	CHECK(want == (rc == WD_OK));
	if (rc != WD_OK)
		return;
	CHECK(tok >= h && tok <= h + len);
	CHECK(tl >= 1 && tl <= len && (size_t)(tok - h) + tl <= len);
	CHECK(tok == h + 7 && tl == len - 7);
	CHECK(memchr(tok, ' ', tl) == NULL);
	for (i = 0; i < tl; i++)
		CHECK(tok_byte_ok((unsigned char)tok[i]));
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Reference cookie lookup: split on ';'; in each piece the name is the
 * part before the first '=' with blanks trimmed; pieces without '=' are
 * ignored; the value is the rest, blanks trimmed, one pair of enclosing
 * DQUOTEs removed. Returns how many pieces named name, the first's value
 * in (*off, *vl).
 */
static int
ref_cookie(const char *h, size_t len, const char *name, size_t *off,
    size_t *vl)
{
	size_t	 s = 0, e, nl = strlen(name);
	int	 n = 0;

	while (s <= len) {
		size_t	 eq, ks, ke, vs, ve;

		for (e = s; e < len && h[e] != ';'; e++)
			;
		for (eq = s; eq < e && h[eq] != '='; eq++)
			;
		if (eq < e) {
			ks = s;
			ke = eq;
			while (ks < ke && blank(h[ks]))
				ks++;
			while (ke > ks && blank(h[ke - 1]))
				ke--;
			vs = eq + 1;
			ve = e;
			while (vs < ve && blank(h[vs]))
				vs++;
			while (ve > vs && blank(h[ve - 1]))
				ve--;
			if (ke - ks == nl && memcmp(h + ks, name, nl) == 0) {
				if (ve - vs >= 2 && h[vs] == '"' &&
				    h[ve - 1] == '"') {
					vs++;
					ve--;
				}
				if (n++ == 0) {
					*off = vs;
					*vl = ve - vs;
				}
			}
		}
		s = e + 1;
	}
	return n;
}

static void
check_cookie(const char *h, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(fz_names) / sizeof(fz_names[0]); i++) {
		const char	*val = NULL;
		size_t		 vl = (size_t)-1, roff = 0, rvl = 0;
		enum wd_err	 rc;
		int		 n;

		rc = wd_auth_cookie(h, len, fz_names[i], &val, &vl);
		n = ref_cookie(h, len, fz_names[i], &roff, &rvl);
		CHECK(rc == WD_OK || rc == WD_E_NOTFOUND ||
		    rc == WD_E_BADHEADER);
		CHECK((n == 0) == (rc == WD_E_NOTFOUND));
		CHECK((n == 1) == (rc == WD_OK));
		CHECK((n > 1) == (rc == WD_E_BADHEADER));
		if (rc != WD_OK)
			continue;
		CHECK(val >= h && val <= h + len);
		CHECK(vl <= len && (size_t)(val - h) + vl <= len);
		CHECK(memchr(val, ';', vl) == NULL);
		/* an empty value may point anywhere in its pair */
		CHECK(vl == rvl && (vl == 0 || val == h + roff));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul = memchr(data, 0, size);
	size_t		 alen = size, clen = size;
	const uint8_t	*cp = data;
	char		*a, *c;

	if (nul != NULL) {
		alen = (size_t)(nul - data);
		cp = nul + 1;
		clen = size - alen - 1;
	}
	a = fz_copy(data, alen);
	c = fz_copy(cp, clen);
	check_bearer(a, alen);
	check_cookie(c, clen);
	free(a);
	free(c);
	return 0;
}
