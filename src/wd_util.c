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
