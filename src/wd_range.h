/*
 * wd_range.h: the HTTP Range request header (RFC 9110 §14.1-14.2), for
 * storage downloads. One byte range is served as 206; a header that does
 * not parse is ignored (200 with the whole object, as §14.2 allows); so
 * are several ranges (no multipart/byteranges answers).
 */
#ifndef WD_RANGE_H
#define WD_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"

/* Ranges looked at in one header; more make the header ignored. */
#define WD_RANGE_MAX_SPECS	16

struct wd_range {
	uint64_t	 start;		/* first byte */
	uint64_t	 end;		/* last byte, inclusive (< size) */
};

/*
 * Parses hdr (len bytes, not NUL-terminated) against a representation of
 * size bytes.
 *   WD_OK, *partial = 1: exactly one satisfiable range, in *r (206).
 *   WD_OK, *partial = 0: ignore the header and send everything (200):
 *     bad syntax, a unit other than "bytes", last < first, or several
 *     ranges of which at least one is satisfiable.
 *   WD_E_RANGE: valid, but no range is satisfiable (416; also any range
 *     of an empty representation, §14.1.3).
 * Numbers too large for 64 bits saturate (a huge first-pos is simply
 * past the end).
 */
enum wd_err	wd_range_parse(const char *hdr, size_t len, uint64_t size,
		    int *partial, struct wd_range *r);

#endif
