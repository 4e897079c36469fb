/*
 * wd_s3xml.c: reading S3's answers. Trust boundary: every byte here came
 * from the S3 endpoint (or whatever answers at its address) and is read
 * as hostile: lengths are checked before a copy, numbers go through
 * wd_parse_u64, and every search is bounded by the answer's length
 * (memmem, not strstr: an element without its closing tag or its child
 * must not send each step to the end of a 4 MiB page, which made a page
 * of empty elements cost quadratic time).
 */
#define _GNU_SOURCE		/* memmem */
#include <stdio.h>
#include <string.h>

#include "wd_s3xml.h"
#include "wd_util.h"

const char *
wd_s3_xml_in(const char *p, const char *end, const char *tag, size_t *len)
{
	char		 o[32], c[32];
	const char	*a, *e;
	size_t		 ol, cl;

	ol = (size_t)snprintf(o, sizeof(o), "<%s>", tag);
	cl = (size_t)snprintf(c, sizeof(c), "</%s>", tag);
	if (p >= end)
		return NULL;
	a = memmem(p, (size_t)(end - p), o, ol);
	if (a == NULL)
		return NULL;
	a += ol;
	e = memmem(a, (size_t)(end - a), c, cl);
	if (e == NULL)
		return NULL;
	*len = (size_t)(e - a);
	return a;
}

enum wd_err
wd_s3_xml_field(const char *body, const char *tag, char *out, size_t sz)
{
	char		 open_[64];
	const char	*a, *e;

	snprintf(open_, sizeof(open_), "<%s>", tag);
	a = strstr(body, open_);
	if (a == NULL)
		return WD_E_INTERNAL;
	a += strlen(open_);
	e = strchr(a, '<');
	if (e == NULL || e == a || (size_t)(e - a) >= sz)
		return WD_E_INTERNAL;
	memcpy(out, a, (size_t)(e - a));
	out[e - a] = '\0';
	return WD_OK;
}

time_t
wd_s3_iso_time(const char *s, size_t n)
{
	/* month and day from 1: timegm would take a 0 for the month or
	 * day before, an older time than the server meant */
	static const struct {
		size_t	 at, len;
		uint64_t min, max;
	} f[6] = {
		{ 0, 4, 0, 9999 }, { 5, 2, 1, 12 }, { 8, 2, 1, 31 },
		{ 11, 2, 0, 23 }, { 14, 2, 0, 59 }, { 17, 2, 0, 60 },
	};
	struct tm	 tm;
	uint64_t	 v[6];
	size_t		 i;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
		return (time_t)-1;
	for (i = 0; i < 6; i++)
		if (wd_parse_u64(s + f[i].at, f[i].len, f[i].max, &v[i]) !=
		    WD_OK || v[i] < f[i].min)
			return (time_t)-1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	return timegm(&tm);
}

int
wd_s3_range_ok(const char *crange, const char *clen, uint64_t off,
    uint64_t len)
{
	const char	*p = crange, *e;
	uint64_t	 a, b, cl;

	if (len == 0 || strncmp(p, "bytes ", 6) != 0)
		return 0;
	p += 6;
	e = strchr(p, '-');
	if (e == NULL || wd_parse_u64(p, (size_t)(e - p), UINT64_MAX, &a) !=
	    WD_OK)
		return 0;
	p = e + 1;
	e = strchr(p, '/');
	if (e == NULL || wd_parse_u64(p, (size_t)(e - p), UINT64_MAX, &b) !=
	    WD_OK)
		return 0;
	if (a != off || b < a || b - a < len - 1)
		return 0;
	/* "0-18446744073709551615" would make b - a + 1 wrap to 0 */
	if (clen[0] != '\0' && (wd_parse_u64(clen, strlen(clen), UINT64_MAX,
	    &cl) != WD_OK || b - a == UINT64_MAX || cl != b - a + 1))
		return 0;
	return 1;
}

/* The next <tag>...</tag> at or after *p, before end: 1 with its text in
 * [*a, *e) and *p moved to its end, 0 when there is none. */
static int
next_elem(const char **p, const char *end, const char *tag, const char **a,
    const char **e)
{
	size_t	 n;

	*a = wd_s3_xml_in(*p, end, tag, &n);
	if (*a == NULL)
		return 0;
	*e = *a + n;
	*p = *e;
	return 1;
}

enum wd_err
wd_s3_list_page(const char *xml, size_t len, time_t now, wd_s3_list_fn fn,
    void *arg, char *next, size_t nextsz, int *more)
{
	const char	*p = xml, *end = xml + len, *v, *c, *ce;
	char		 key[WD_S3_MAX_KEY + 1];
	enum wd_err	 rc = WD_OK;
	size_t		 n;
	time_t		 t;

	*more = 0;
	/* a 200 that is no listing (a captive portal, a proxy's page)
	 * would read as an empty bucket: the sweep must say it failed */
	if (memmem(xml, len, "<ListBucketResult",
	    sizeof("<ListBucketResult") - 1) == NULL)
		return WD_E_INTERNAL;
	while (rc == WD_OK && next_elem(&p, end, "Contents", &c, &ce)) {
		/* a NUL would cut the key the caller reads: not ours */
		v = wd_s3_xml_in(c, ce, "Key", &n);
		if (v == NULL || n > WD_S3_MAX_KEY || memchr(v, '\0', n) !=
		    NULL)
			continue;
		memcpy(key, v, n);
		key[n] = '\0';
		v = wd_s3_xml_in(c, ce, "LastModified", &n);
		t = v == NULL ? (time_t)-1 : wd_s3_iso_time(v, n);
		/* no time: treat as new, never removed */
		rc = fn(arg, key, t == (time_t)-1 ? now : t);
	}
	if (rc != WD_OK)
		return rc;
	v = wd_s3_xml_in(xml, end, "IsTruncated", &n);
	*more = v != NULL && n == 4 && strncmp(v, "true", 4) == 0;
	if (!*more)
		return WD_OK;
	v = wd_s3_xml_in(xml, end, "NextContinuationToken", &n);
	if (v == NULL || n == 0 || n >= nextsz || memchr(v, '\0', n) != NULL)
		return WD_E_INTERNAL;	/* cannot go on */
	memcpy(next, v, n);
	next[n] = '\0';
	return WD_OK;
}

enum wd_err
wd_s3_uploads_page(const char *xml, size_t len, const char *name,
    wd_s3_upload_fn fn, void *arg)
{
	const char	*p = xml, *end = xml + len, *v, *u, *ue;
	char		 id[WD_S3_MAX_UPLOAD_ID];
	enum wd_err	 rc = WD_OK;
	size_t		 n, ul;

	if (memmem(xml, len, "<ListMultipartUploadsResult",
	    sizeof("<ListMultipartUploadsResult") - 1) == NULL)
		return WD_E_INTERNAL;	/* not the answer asked for */
	while (rc == WD_OK && next_elem(&p, end, "Upload", &u, &ue)) {
		/* a prefix also matches longer keys: only this one's */
		v = wd_s3_xml_in(u, ue, "Key", &n);
		if (v == NULL || n != strlen(name) || memcmp(v, name, n) != 0)
			continue;
		v = wd_s3_xml_in(u, ue, "UploadId", &ul);
		if (v == NULL || ul == 0 || ul >= sizeof(id) ||
		    memchr(v, '\0', ul) != NULL)
			return WD_E_INTERNAL;
		memcpy(id, v, ul);
		id[ul] = '\0';
		rc = fn(arg, id);
	}
	if (rc != WD_OK)
		return rc;
	/* more than a page of uploads of one key: never made by us, and
	 * the caller must not think it saw them all */
	v = wd_s3_xml_in(xml, end, "IsTruncated", &n);
	if (v != NULL && n == 4 && strncmp(v, "true", 4) == 0)
		return WD_E_TOOBIG;
	return WD_OK;
}
