/*
 * wd_util.h: small pure helpers shared by every module: constant-time
 * comparison, bounded number parsing, case-insensitive matching.
 */
#ifndef WD_UTIL_H
#define WD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"

/*
 * Compares a with b (either may be the secret) in time that depends only
 * on the longer length rounded up to a multiple of 64: not on content,
 * the first difference, or the exact length of either side; a length
 * difference is folded in without an early return (lighttpd ck.c).
 * Reads no byte outside either; a pointer with length 0 is never read.
 * Returns 1 if equal (same length and bytes), else 0.
 */
int		wd_ct_eq(const void *a, size_t alen, const void *b,
		    size_t blen);

/*
 * Parses exactly len decimal digits (no sign, no space, no empty input)
 * into *out. WD_E_BADREQ when not all digits, WD_E_TOOBIG when > max.
 */
enum wd_err	wd_parse_u64(const char *s, size_t len, uint64_t max,
		    uint64_t *out);

/* Value of hex digit c (0..15), or -1. */
int		wd_hexval(char c);

/*
 * Percent-decodes (s, n) into out, at most cap bytes, decoding once;
 * with plus, '+' is a space (form encoding: query strings). Does not
 * NUL-terminate and lets %00 through: callers that need a C string
 * check for NUL. *olen is the decoded length. WD_E_BADREQ for a
 * malformed escape, WD_E_TOOBIG when the result exceeds cap.
 */
enum wd_err	wd_pct_decode(const char *s, size_t n, int plus, char *out,
		    size_t cap, size_t *olen);

/*
 * Length of the UTF-8 sequence at s (n > 0 bytes available) if it is a
 * valid shortest-form encoding of a scalar value (RFC 3629 §4: no
 * overlongs, no surrogates, nothing above U+10FFFF), else 0. *cp (may be
 * NULL) receives the code point.
 */
size_t		wd_utf8_len(const unsigned char *s, size_t n,
		    unsigned long *cp);

/* ASCII case-insensitive equality of (a, alen) and NUL-terminated b. */
int		wd_strcaseeq(const char *a, size_t alen, const char *b);

/* 1 if NUL-terminated s (NULL: none) holds a C0 control character or
 * DEL: not for a value that may end up in a header (a session variable,
 * a claim). */
int		wd_has_ctl(const char *s);

/*
 * Percent-decodes parameter name of the query string q (application/
 * x-www-form-urlencoded: '+' is a space) into out (size outsz, NUL
 * added). WD_OK, WD_E_NOTFOUND when absent, WD_E_BADREQ when repeated,
 * malformed, holding a NUL or too long.
 */
enum wd_err	wd_query_get(const char *q, const char *name, char *out,
		    size_t outsz);

/*
 * base64url without padding (RFC 4648 §5), as JWS segments, PKCE and
 * sealed secrets use it. encode: out holds 4 * ceil(n / 3) + 1 bytes at
 * least (the text and a NUL), else WD_E_TOOBIG. decode: strict, so each
 * byte string has exactly one text (no padding, no other byte, not a
 * length of 4k + 1, zero unused bits: RFC 4648 §3.5), WD_E_BADREQ
 * otherwise; at most outsz bytes, else WD_E_TOOBIG.
 */
enum wd_err	wd_b64u_encode(const void *p, size_t n, char *out,
		    size_t outsz);
enum wd_err	wd_b64u_decode(const char *s, size_t n, unsigned char *out,
		    size_t outsz, size_t *outlen);

#endif
