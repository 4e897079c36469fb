/*
 * wd_buf.h: a growable byte buffer with a hard maximum (after curl's
 * dynbuf). Appends past the maximum fail and leave the buffer unchanged.
 * Reset keeps the memory, so a buffer reused per request does not churn.
 */
#ifndef WD_BUF_H
#define WD_BUF_H

#include <stddef.h>

#include "wd_err.h"

struct wd_buf {
	char	*p;	/* owned; NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* appends making len > max fail */
};

/* Caller-owned struct; max is the largest content length allowed. */
void		wd_buf_init(struct wd_buf *b, size_t max);
/* Frees the memory; b may be zeroed. Safe to call twice. */
void		wd_buf_cleanup(struct wd_buf *b);
/* Empties b, keeping its memory. */
void		wd_buf_reset(struct wd_buf *b);
/* Appends len bytes; WD_E_TOOBIG past max (b unchanged). */
enum wd_err	wd_buf_add(struct wd_buf *b, const void *p, size_t len);
/* Appends a NUL-terminated string. */
enum wd_err	wd_buf_adds(struct wd_buf *b, const char *s);
/* Appends printf output; WD_E_TOOBIG past max. */
enum wd_err	wd_buf_addf(struct wd_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The contents as a C string ("" when empty); borrowed from b. */
const char	*wd_buf_str(const struct wd_buf *b);

#endif
