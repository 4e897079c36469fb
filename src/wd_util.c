/*
 * wd_util.c: helpers with no dependencies beyond libc.
 */
#include <string.h>
#include <strings.h>

#include "wd_util.h"

int
wd_ct_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char	*pa = a;
	const volatile unsigned char	*pb = b;
	volatile unsigned char		 diff = 0;
	size_t				 i, n;

	/*
	 * Walk b's length (b is the secret by convention), reading a modulo
	 * its own length: the time depends on the secret's length only,
	 * never on the attacker's input, and nothing is read out of bounds.
	 */
	n = blen;
	diff = (unsigned char)(alen != blen);
	for (i = 0; i < n; i++) {
		unsigned char	 ca = alen ? pa[i % alen] : 0;
		unsigned char	 cb = blen ? pb[i % blen] : 0;

		diff |= (unsigned char)(ca ^ cb);
	}
	return diff == 0;
}

enum wd_err
wd_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0)
		return WD_E_BADREQ;
	for (i = 0; i < len; i++) {
		unsigned	 d;

		if (s[i] < '0' || s[i] > '9')
			return WD_E_BADREQ;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return WD_E_TOOBIG;
		v = v * 10 + d;
	}
	*out = v;
	return WD_OK;
}

int
wd_strcaseeq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

int
wd_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
wd_utf8_len(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t		 need, i;
	unsigned long	 c;

	if (s[0] < 0x80) {
		if (cp != NULL)
			*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogate, beyond Unicode */
	if ((need == 3 && c < 0x800) || (need == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	if (cp != NULL)
		*cp = c;
	return need;
}

enum wd_err
wd_pct_decode(const char *s, size_t n, int plus, char *out, size_t cap,
    size_t *olen)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (o >= cap)
			return WD_E_TOOBIG;
		if (c == '+' && plus)
			c = ' ';
		else if (c == '%') {
			int	 hi, lo;

			if (n - i < 3)
				return WD_E_BADREQ;
			hi = wd_hexval(s[i + 1]);
			lo = wd_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return WD_E_BADREQ;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		out[o++] = c;
	}
	*olen = o;
	return WD_OK;
}
