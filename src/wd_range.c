/*
 * wd_range.c: Range header parsing. Trust boundary: hdr is the client's
 * header; nothing is allocated and every number saturates instead of
 * wrapping, so a hostile value can at worst be ignored or refused.
 */
#include <string.h>
#include <strings.h>

#include "wd_range.h"

/* Reads digits at *i into *v, saturating at UINT64_MAX. Returns the
 * number of digits read. */
static size_t
digits(const char *s, size_t len, size_t *i, uint64_t *v)
{
	size_t	 n = 0;

	*v = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned	 d = (unsigned)(s[*i] - '0');

		if (*v > (UINT64_MAX - d) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + d;
		(*i)++;
		n++;
	}
	return n;
}

static void
ows(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

enum wd_err
wd_range_parse(const char *hdr, size_t len, uint64_t size, int *partial,
    struct wd_range *r)
{
	struct wd_range	 one = { 0, 0 };
	size_t		 i = 6, nspec = 0, nsat = 0;

	*partial = 0;
	/* ranges-specifier = range-unit "=" range-set (§14.1.1) */
	if (len < 7 || strncasecmp(hdr, "bytes=", 6) != 0)
		return WD_OK;
	for (;;) {
		uint64_t	 a, b;
		struct wd_range	 cur;
		int		 sat = 0;

		ows(hdr, len, &i);
		if (i < len && hdr[i] == ',') {	/* empty list element */
			i++;
			continue;
		}
		if (i >= len)
			break;
		if (++nspec > WD_RANGE_MAX_SPECS)
			return WD_OK;
		if (hdr[i] == '-') {		/* suffix-range */
			i++;
			if (digits(hdr, len, &i, &b) == 0)
				return WD_OK;
			if (b > 0 && size > 0) {
				sat = 1;
				cur.start = b >= size ? 0 : size - b;
				cur.end = size - 1;
			}
		} else {			/* int-range */
			if (digits(hdr, len, &i, &a) == 0)
				return WD_OK;
			if (i >= len || hdr[i] != '-')
				return WD_OK;
			i++;
			b = UINT64_MAX;
			if (i < len && hdr[i] >= '0' && hdr[i] <= '9') {
				digits(hdr, len, &i, &b);
				if (b < a)
					return WD_OK;
			}
			if (a < size) {
				sat = 1;
				cur.start = a;
				cur.end = b >= size ? size - 1 : b;
			}
		}
		if (sat && nsat++ == 0)
			one = cur;
		ows(hdr, len, &i);
		if (i >= len)
			break;
		if (hdr[i] != ',')
			return WD_OK;
		i++;
	}
	if (nspec == 0)
		return WD_OK;
	if (nsat == 0)
		return WD_E_RANGE;
	if (nspec > 1)
		return WD_OK;
	*r = one;
	*partial = 1;
	return WD_OK;
}
