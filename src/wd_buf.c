/*
 * wd_buf.c: bounded growable buffer. Sizes are checked before growing so
 * an attacker-chosen length can never drive an allocation past max. The
 * first failed append is kept in b->err and turns every later append
 * into a no-op, so a builder checks once, at the end.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_buf.h"
#include "wd_mem.h"

void
wd_buf_init(struct wd_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = WD_OK;
	/* grow() needs max + 1 for the NUL */
	b->max = max > SIZE_MAX / 2 ? SIZE_MAX / 2 : max;
}

void
wd_buf_cleanup(struct wd_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = WD_OK;
}

void
wd_buf_reset(struct wd_buf *b)
{
	b->len = 0;
	b->err = WD_OK;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
wd_buf_fail(struct wd_buf *b, enum wd_err err)
{
	if (b->err == WD_OK)
		b->err = err;
}

enum wd_err
wd_buf_status(const struct wd_buf *b)
{
	return b->err;
}

/* Makes room for need content bytes and the NUL; need <= max, which
 * wd_buf_init() keeps below SIZE_MAX / 2, so nothing here wraps. */
static void
grow(struct wd_buf *b, size_t need)
{
	size_t	 ncap;

	if (need + 1 <= b->cap)
		return;
	ncap = b->cap == 0 ? 256 : b->cap;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->p = wd_xrealloc(b->p, ncap);
	b->cap = ncap;
}

enum wd_err
wd_buf_add(struct wd_buf *b, const void *p, size_t len)
{
	/* len is checked before any arithmetic: it may be huge */
	if (len > b->max - b->len)
		wd_buf_fail(b, WD_E_TOOBIG);
	if (b->err != WD_OK)
		return b->err;
	grow(b, b->len + len);
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return WD_OK;
}

enum wd_err
wd_buf_adds(struct wd_buf *b, const char *s)
{
	return wd_buf_add(b, s, strlen(s));
}

enum wd_err
wd_buf_addf(struct wd_buf *b, const char *fmt, ...)
{
	char		 tmp[512];
	va_list		 ap;
	int		 n;
	enum wd_err	 rc;
	char		*big = NULL;

	if (b->err != WD_OK)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		wd_buf_fail(b, WD_E_INTERNAL);
	/* refused before the allocation a long output would need */
	else if ((size_t)n > b->max - b->len)
		wd_buf_fail(b, WD_E_TOOBIG);
	if (b->err != WD_OK)
		return b->err;
	if ((size_t)n < sizeof(tmp))
		return wd_buf_add(b, tmp, (size_t)n);
	big = wd_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = wd_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

const char *
wd_buf_str(const struct wd_buf *b)
{
	return b->p == NULL ? "" : b->p;
}
