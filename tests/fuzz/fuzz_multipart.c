/*
 * fuzz_multipart.c: the streaming multipart/form-data parser
 * (wd_multipart.h), boundary "XyZ".
 *
 * The first byte picks a chunk size (1..256); the rest is the body.
 * Invariants: feeding the body whole and in chunks gives the same result
 * and the same file bytes; on success the file is a contiguous substring
 * of the body (the parser never invents or reorders bytes), is shorter
 * than the body, and its Content-Type is valid for a response header;
 * the Content-Type parser agrees with itself on the body used as a
 * header value.
 */
#define _GNU_SOURCE	/* memmem */

#include "wd_buf.h"
#include "wd_fuzz.h"
#include "wd_multipart.h"

static enum wd_err
sink(void *arg, const char *p, size_t len)
{
	return wd_buf_add(arg, p, len);
}

static enum wd_err
run(const char *body, size_t len, size_t step, struct wd_buf *out,
    struct wd_mp *mp)
{
	enum wd_err	 rc = WD_OK;
	size_t		 i;

	wd_mp_init(mp, "XyZ", 3, sink, out);
	for (i = 0; rc == WD_OK && i < len; i += step)
		rc = wd_mp_feed(mp, body + i, len - i < step ? len - i :
		    step);
	return rc == WD_OK ? wd_mp_finish(mp) : rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wd_mp	 mp1, mp2;
	struct wd_buf		 a, b;
	char			*body, bnd[WD_MAX_MP_BOUNDARY + 1];
	size_t			 len, step, blen;
	enum wd_err		 r1, r2;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	len = size - 1;
	body = fz_copy(data + 1, len);
	wd_buf_init(&a, 1 << 20);
	wd_buf_init(&b, 1 << 20);
	r1 = run(body, len, len ? len : 1, &a, &mp1);
	r2 = run(body, len, step, &b, &mp2);
	CHECK(r1 == r2);
	if (r1 == WD_OK) {
		CHECK(a.len == b.len);
		CHECK(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
		CHECK(a.len < len);
		CHECK(a.len == 0 || memmem(body, len, a.p, a.len) != NULL);
		CHECK(strcmp(mp1.ctype, mp2.ctype) == 0);
		CHECK(wd_mp_ctype_valid(mp1.ctype, strlen(mp1.ctype)));
	}
	if (wd_mp_boundary(body, len, bnd, sizeof(bnd), &blen) == WD_OK)
		CHECK(blen >= 1 && blen <= WD_MAX_MP_BOUNDARY &&
		    strlen(bnd) == blen);
	wd_buf_cleanup(&a);
	wd_buf_cleanup(&b);
	free(body);
	return 0;
}
