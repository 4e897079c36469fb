/*
 * wd_buf.h: a growable byte buffer with a hard maximum (after curl's
 * dynbuf). Reset keeps the memory, so a buffer reused per request does
 * not churn.
 *
 * Overflow is sticky (as lighttpd's buffer_append_* leave the check to
 * the end): the first append that would pass the maximum fails, leaves
 * the contents as they were, and is remembered; every later append is a
 * no-op returning the same error. A builder therefore appends straight
 * down and asks wd_buf_status() once at the end:
 *
 *	wd_buf_add(b, "{", 1);
 *	wd_json_add_str(b, v, vlen);
 *	wd_buf_add(b, "}", 1);
 *	return wd_buf_status(b);
 */
#ifndef WD_BUF_H
#define WD_BUF_H

#include <stddef.h>

#include "wd_err.h"

struct wd_buf {
	char		*p;	/* owned; NUL-terminated when len > 0 */
	size_t		 len;
	size_t		 cap;
	size_t		 max;	/* appends making len > max fail */
	enum wd_err	 err;	/* first failed append since init */
};

/* Caller-owned struct; max is the largest content length allowed. */
void		wd_buf_init(struct wd_buf *b, size_t max);
/* Frees the memory and forgets a failure; b may be zeroed. Safe to call
 * twice. */
void		wd_buf_cleanup(struct wd_buf *b);
/* Empties b and forgets a failure, keeping its memory. */
void		wd_buf_reset(struct wd_buf *b);
/* Appends len bytes. WD_E_TOOBIG past max (b unchanged, failure kept);
 * after a failure, does nothing and returns it again. */
enum wd_err	wd_buf_add(struct wd_buf *b, const void *p, size_t len);
/* Appends a NUL-terminated string; as wd_buf_add. */
enum wd_err	wd_buf_adds(struct wd_buf *b, const char *s);
/* Appends printf output; as wd_buf_add (WD_E_INTERNAL if the format
 * itself fails, also kept). */
enum wd_err	wd_buf_addf(struct wd_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* WD_OK, or the first failure of an append (WD_E_TOOBIG: past max) since
 * the last init or reset. */
enum wd_err	wd_buf_status(const struct wd_buf *b);
/* Records err as b's failure unless one is already kept (WD_OK does
 * nothing): for a builder whose part was made in a buffer of its own. */
void		wd_buf_fail(struct wd_buf *b, enum wd_err err);
/* The contents as a C string ("" when empty); borrowed from b. */
const char	*wd_buf_str(const struct wd_buf *b);

#endif
