/*
 * fuzz_s3xml.c: reading S3's answers (wd_s3xml.h), which come from the
 * network like any request. The first byte picks the reader, the rest is
 * the answer:
 *   0  a ListObjectsV2 page (wd_s3_list_page)
 *   1  a ListMultipartUploads page for the key "ab12"
 *      (wd_s3_uploads_page)
 *   2  a ranged GET's answer: 8 bytes offset and 8 bytes length (little
 *      endian, kept small mostly), then "Content-Range\nContent-Length"
 *      (wd_s3_range_ok)
 *   3  a LastModified (wd_s3_iso_time)
 * Pages are exact-size copies without a NUL after them (an over-read is
 * an ASan report). Invariants: every key, id and continuation token
 * handed out is
 * non-empty where required, NUL-terminated within its bound and a run of
 * bytes of the answer itself; times are those of the page or "now"; a
 * range is accepted only if the Content-Range, read again here, starts
 * at the offset and covers the length, with a Content-Length of exactly
 * its size when one is given; a time that is not -1 has the layout
 * YYYY-MM-DDThh:mm:ss...Z and, for an unambiguous date, the same fields.
 */
#define _GNU_SOURCE	/* memmem */
#include <inttypes.h>
#include <time.h>

#include "wd_fuzz.h"
#include "wd_s3xml.h"

#define FZ_NAME		"ab12"

struct seen {
	const char	*xml;
	size_t		 len;
	unsigned	 n;
};

/* 1 if s (NUL-terminated) is a run of bytes of the answer. */
static int
in_answer(const struct seen *s, const char *v)
{
	return memmem(s->xml, s->len, v, strlen(v)) != NULL;
}

static enum wd_err
on_key(void *arg, const char *key, time_t t)
{
	struct seen	*s = arg;

	CHECK(strlen(key) <= WD_S3_MAX_KEY);
	CHECK(in_answer(s, key));
	CHECK(t == FZ_NOW || t >= (time_t)-62167219200LL);	/* >= year 0 */
	/* a stop now and then, so the early returns are reached */
	return ++s->n % 7 == 0 ? WD_E_STOREDOWN : WD_OK;
}

static enum wd_err
on_id(void *arg, const char *id)
{
	struct seen	*s = arg;

	CHECK(id[0] != '\0' && strlen(id) < WD_S3_MAX_UPLOAD_ID);
	CHECK(in_answer(s, id));
	return ++s->n % 7 == 0 ? WD_E_STOREDOWN : WD_OK;
}

static void
fuzz_list(const uint8_t *data, size_t size)
{
	struct seen	 s = { 0 };
	char		*xml = fz_copy(data, size), next[64];
	enum wd_err	 rc;
	int		 more = -1;

	/* exact size, no NUL after it, NULs inside read as any byte: as
	 * wd_s3_list passes a page */
	s.xml = xml;
	s.len = size;
	rc = wd_s3_list_page(xml, size, FZ_NOW, on_key, &s, next,
	    sizeof(next), &more);
	CHECK(rc == WD_OK || rc == WD_E_INTERNAL || rc == WD_E_STOREDOWN);
	if (rc == WD_OK && more) {
		CHECK(next[0] != '\0' && strlen(next) < sizeof(next));
		CHECK(in_answer(&s, next));
	}
	if (rc == WD_OK)
		CHECK(more == 0 || more == 1);
	free(xml);
}

static void
fuzz_uploads(const uint8_t *data, size_t size)
{
	struct seen	 s = { 0 };
	char		*xml = fz_copy(data, size);
	enum wd_err	 rc;

	s.xml = xml;
	s.len = size;
	rc = wd_s3_uploads_page(xml, size, FZ_NAME, on_id, &s);
	CHECK(rc == WD_OK || rc == WD_E_INTERNAL || rc == WD_E_TOOBIG ||
	    rc == WD_E_STOREDOWN);
	if (s.n > 0)
		CHECK(in_answer(&s, "<ListMultipartUploadsResult"));
	free(xml);
}

static uint64_t
u64le(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return p[7] < 0xf0 ? v % 1000 : v;
}

/* digits only (leading zeros too), no sign or space, no overflow: as
 * wd_parse_u64 reads */
static int
num(const char *p, size_t n, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 1;
}

static void
fuzz_range(const uint8_t *data, size_t size)
{
	uint64_t	 off, len, a, b, cl;
	const char	*nl, *dash, *slash;
	char		*cr, *clen;
	size_t		 n;

	if (size < 16)
		return;
	off = u64le(data);
	len = u64le(data + 8);
	data += 16;
	size -= 16;
	nl = memchr(data, '\n', size);
	n = nl == NULL ? size : (size_t)((const uint8_t *)nl - data);
	cr = fz_cstr(data, n);
	clen = nl == NULL ? fz_cstr("", 0) : fz_cstr(nl + 1, size - n - 1);
	if (wd_s3_range_ok(cr, clen, off, len)) {
		CHECK(len >= 1 && strncmp(cr, "bytes ", 6) == 0);
		dash = strchr(cr + 6, '-');
		CHECK(dash != NULL);
		slash = strchr(dash + 1, '/');
		CHECK(slash != NULL);
		CHECK(num(cr + 6, (size_t)(dash - cr - 6), &a) && a == off);
		CHECK(num(dash + 1, (size_t)(slash - dash - 1), &b) && b >= a &&
		    b - a >= len - 1);
		if (clen[0] != '\0')
			CHECK(num(clen, strlen(clen), &cl) && b - a <
			    UINT64_MAX && cl == b - a + 1);
	}
	free(cr);
	free(clen);
}

static void
fuzz_time(const uint8_t *data, size_t size)
{
	char		*s = fz_copy(data, size);
	time_t		 t = wd_s3_iso_time(s, size);
	struct tm	 tm;
	uint64_t	 d;

	if (t != (time_t)-1) {
		CHECK(size >= 20 && s[4] == '-' && s[7] == '-' &&
		    s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
		    s[size - 1] == 'Z');
		/* a day every month has and no leap second: no rollover */
		CHECK(num(s + 8, 2, &d));
		if (d <= 28 && (s[17] != '6' || s[18] != '0')) {
			CHECK(gmtime_r(&t, &tm) != NULL);
			CHECK(tm.tm_mday == (int)d);
			CHECK(num(s + 5, 2, &d) && tm.tm_mon + 1 == (int)d);
			CHECK(num(s, 4, &d) && tm.tm_year + 1900 == (int)d);
		}
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_list(data + 1, size - 1);
		break;
	case 1:
		fuzz_uploads(data + 1, size - 1);
		break;
	case 2:
		fuzz_range(data + 1, size - 1);
		break;
	default:
		fuzz_time(data + 1, size - 1);
		break;
	}
	return 0;
}
