/*
 * test_s3xml.c: reading S3's answers (src/wd_s3xml.c): element text,
 * ListObjectsV2 and ListMultipartUploads pages as AWS and s3rver write
 * them, and as a broken or hostile server might; LastModified times;
 * Content-Range. The transfers themselves are tested against s3rver
 * (tests/e2e/test_storage_s3.py).
 */
#include <stdio.h>
#include <string.h>

#include "wd_s3xml.h"
#include "wd_test.h"

#define M	"s3xml"

#define HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/" \
		"2006-03-01/\"><Name>b</Name><KeyCount>2</KeyCount>"
#define ENTRY(k, t) "<Contents><Key>" k "</Key><LastModified>" t \
		"</LastModified><ETag>&quot;e&quot;</ETag><Size>3</Size>" \
		"</Contents>"
#define T1	"2026-11-28T04:55:28.000Z"	/* 1795841728 */
#define NOW	((time_t)1800000000)

struct seen {
	char	 keys[8][64];
	time_t	 t[8];
	int	 n;
	int	 fail_at;	/* fn answers WD_E_STOREDOWN at this call */
};

static enum wd_err
on_key(void *arg, const char *key, time_t t)
{
	struct seen	*s = arg;

	if (s->n == s->fail_at)
		return WD_E_STOREDOWN;
	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
		s->t[s->n] = t;
	}
	s->n++;
	return WD_OK;
}

static enum wd_err
on_id(void *arg, const char *id)
{
	return on_key(arg, id, 0);
}

static enum wd_err
page(const char *xml, struct seen *s, char *next, size_t nextsz,
    int *more)
{
	memset(s->keys, 0, sizeof(s->keys));
	s->n = 0;
	return wd_s3_list_page(xml, strlen(xml), NOW, on_key, s, next, nextsz,
	    more);
}

static void
test_list(void)
{
	struct seen	 s = { .fail_at = -1 };
	char		 next[16], longkey[WD_S3_MAX_KEY + 2 + 64];
	char		 xml[4096];
	int		 more = -1;

	CHECK(M, "list: two entries, not truncated",
	    page(HEAD "<IsTruncated>false</IsTruncated>" ENTRY("aa", T1)
	    ENTRY("bb", T1) "</ListBucketResult>", &s, next, sizeof(next),
	    &more) == WD_OK && s.n == 2 && strcmp(s.keys[0], "aa") == 0 &&
	    strcmp(s.keys[1], "bb") == 0 && s.t[0] == 1795841728 &&
	    more == 0);
	CHECK(M, "list: truncated, the continuation token kept",
	    page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>"
	    "tok/1=</NextContinuationToken>" ENTRY("aa", T1)
	    "</ListBucketResult>", &s, next, sizeof(next), &more) == WD_OK &&
	    more == 1 && strcmp(next, "tok/1=") == 0 && s.n == 1);
	CHECK(M, "list: truncated without a token cannot go on",
	    page(HEAD "<IsTruncated>true</IsTruncated>" ENTRY("aa", T1)
	    "</ListBucketResult>", &s, next, sizeof(next), &more) ==
	    WD_E_INTERNAL);
	CHECK(M, "list: a token that does not fit cannot go on",
	    page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>"
	    "0123456789abcdef</NextContinuationToken></ListBucketResult>", &s,
	    next, sizeof(next), &more) == WD_E_INTERNAL);
	CHECK(M, "list: an empty token cannot go on",
	    page(HEAD "<IsTruncated>true</IsTruncated><NextContinuationToken>"
	    "</NextContinuationToken></ListBucketResult>", &s, next,
	    sizeof(next), &more) == WD_E_INTERNAL);
	CHECK(M, "list: no time or a bad one reads as now (never old)",
	    page(HEAD "<Contents><Key>aa</Key></Contents>" ENTRY("bb",
	    "2026-13-28T04:55:28.000Z") ENTRY("cc", "yesterday")
	    "</ListBucketResult>", &s, next, sizeof(next), &more) == WD_OK &&
	    s.n == 3 && s.t[0] == NOW && s.t[1] == NOW && s.t[2] == NOW);
	memset(longkey, 'k', WD_S3_MAX_KEY + 1);
	longkey[WD_S3_MAX_KEY + 1] = '\0';
	snprintf(xml, sizeof(xml), HEAD "<Contents><Key>%s</Key></Contents>"
	    ENTRY("aa", T1) "</ListBucketResult>", longkey);
	CHECK(M, "list: a key over WD_S3_MAX_KEY is skipped",
	    page(xml, &s, next, sizeof(next), &more) == WD_OK && s.n == 1 &&
	    strcmp(s.keys[0], "aa") == 0);
	longkey[WD_S3_MAX_KEY] = '\0';
	snprintf(xml, sizeof(xml), HEAD "<Contents><Key>%s</Key></Contents>"
	    "</ListBucketResult>", longkey);
	CHECK(M, "list: a key of exactly WD_S3_MAX_KEY is passed",
	    page(xml, &s, next, sizeof(next), &more) == WD_OK && s.n == 1);
	CHECK(M, "list: a 200 that is no listing (an HTML page) is an "
	    "error, not an empty bucket", page("<html><body>captive portal"
	    "</body></html>", &s, next, sizeof(next), &more) ==
	    WD_E_INTERNAL);
	CHECK(M, "list: a Key outside its Contents is not a key",
	    page(HEAD "<Contents><Size>1</Size></Contents><Key>zz</Key>"
	    "</ListBucketResult>", &s, next, sizeof(next), &more) == WD_OK &&
	    s.n == 0);
	CHECK(M, "list: an unclosed Contents ends the walk",
	    page(HEAD ENTRY("aa", T1) "<Contents><Key>bb</Key>", &s, next,
	    sizeof(next), &more) == WD_OK && s.n == 1);
	{
		static const char	 nul[] = HEAD ENTRY("aa", T1)
		    "<Contents><Key>b\0c</Key></Contents>" ENTRY("dd", T1);
		static const char	 cut[] = HEAD ENTRY("aa", T1)
		    ENTRY("bb", T1);

		s.n = 0;
		CHECK(M, "list: NULs are bytes: the entry after one is read, "
		    "a key holding one is skipped", wd_s3_list_page(nul,
		    sizeof(nul) - 1, NOW, on_key, &s, next, sizeof(next),
		    &more) == WD_OK && s.n == 2 && strcmp(s.keys[1], "dd") ==
		    0);
		s.n = 0;
		CHECK(M, "list: nothing past len is read (a closing tag "
		    "beyond it closes nothing)", wd_s3_list_page(cut,
		    sizeof(cut) - 1 - strlen("</Contents>"), NOW, on_key, &s,
		    next, sizeof(next), &more) == WD_OK && s.n == 1 &&
		    strcmp(s.keys[0], "aa") == 0);
	}
	s.fail_at = 1;
	CHECK(M, "list: the callback's error stops the walk",
	    page(HEAD ENTRY("aa", T1) ENTRY("bb", T1) ENTRY("cc", T1), &s,
	    next, sizeof(next), &more) == WD_E_STOREDOWN && s.n == 1);
}

#define UHEAD	"<?xml version=\"1.0\"?><ListMultipartUploadsResult>" \
		"<Bucket>b</Bucket>"
#define UPLOAD(k, id) "<Upload><Key>" k "</Key><UploadId>" id \
		"</UploadId></Upload>"

static enum wd_err
uploads(const char *xml, struct seen *s)
{
	s->n = 0;
	return wd_s3_uploads_page(xml, strlen(xml), "ab12", on_id, s);
}

static void
test_uploads(void)
{
	struct seen	 s = { .fail_at = -1 };

	CHECK(M, "uploads: only the key's own, not a longer one's",
	    uploads(UHEAD UPLOAD("ab12", "id-1") UPLOAD("ab123", "id-2")
	    UPLOAD("ab12", "id-3") "</ListMultipartUploadsResult>", &s) ==
	    WD_OK && s.n == 2 && strcmp(s.keys[0], "id-1") == 0 &&
	    strcmp(s.keys[1], "id-3") == 0);
	CHECK(M, "uploads: none", uploads(UHEAD
	    "</ListMultipartUploadsResult>", &s) == WD_OK && s.n == 0);
	CHECK(M, "uploads: another answer (a proxy's page) is refused",
	    uploads("<html>" UPLOAD("ab12", "id-1") "</html>", &s) ==
	    WD_E_INTERNAL && s.n == 0);
	CHECK(M, "uploads: an empty id of the key is refused",
	    uploads(UHEAD UPLOAD("ab12", "") "</ListMultipartUploadsResult>",
	    &s) == WD_E_INTERNAL);
	CHECK(M, "uploads: an id without its element is refused",
	    uploads(UHEAD "<Upload><Key>ab12</Key></Upload>", &s) ==
	    WD_E_INTERNAL);
	CHECK(M, "uploads: truncated is WD_E_TOOBIG (not all seen)",
	    uploads(UHEAD "<IsTruncated>true</IsTruncated>" UPLOAD("ab12",
	    "id-1") "</ListMultipartUploadsResult>", &s) == WD_E_TOOBIG);
}

static void
test_time(void)
{
	static const char *const bad[] = {
		"2026-11-28T04:55:28.000", "2026-11-28 04:55:28.000Z",
		"2026-11-28T24:00:00.000Z", "2026-00-28T04:55:28.000Z",
		"2026-11-28T04:60:28.000Z", "+026-11-28T04:55:28.000Z",
		"2026-11-28T04:55:2", "", "2026-1-28T04:55:28.0000Z",
		"2026-11-00T04:55:28.000Z",
	};
	size_t	 i;
	int	 ok = 1;

	CHECK(M, "time: AWS's form", wd_s3_iso_time(T1, strlen(T1)) ==
	    1795841728);
	CHECK(M, "time: without fraction", wd_s3_iso_time(
	    "1970-01-01T00:00:01Z", 20) == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wd_s3_iso_time(bad[i], strlen(bad[i])) != (time_t)-1)
			ok = 0;
	CHECK(M, "time: malformed ones are -1", ok);
}

static void
test_field(void)
{
	char	 out[8];

	CHECK(M, "field: UploadId", wd_s3_xml_field("<r><UploadId>abc"
	    "</UploadId></r>", "UploadId", out, sizeof(out)) == WD_OK &&
	    strcmp(out, "abc") == 0);
	CHECK(M, "field: missing", wd_s3_xml_field("<r></r>", "UploadId",
	    out, sizeof(out)) == WD_E_INTERNAL);
	CHECK(M, "field: empty", wd_s3_xml_field("<UploadId></UploadId>",
	    "UploadId", out, sizeof(out)) == WD_E_INTERNAL);
	CHECK(M, "field: too long for out", wd_s3_xml_field("<UploadId>"
	    "12345678</UploadId>", "UploadId", out, sizeof(out)) ==
	    WD_E_INTERNAL);
	CHECK(M, "field: unclosed", wd_s3_xml_field("<UploadId>1234",
	    "UploadId", out, sizeof(out)) == WD_E_INTERNAL);
}

static void
test_range(void)
{
	CHECK(M, "range: the bytes asked", wd_s3_range_ok("bytes 5-14/100",
	    "10", 5, 10));
	CHECK(M, "range: a length that would wrap is refused",
	    !wd_s3_range_ok("bytes 0-18446744073709551615/*", "0", 0, 1));
	CHECK(M, "range: nothing asked is never a match",
	    !wd_s3_range_ok("bytes 0-0/1", "1", 0, 0));
}

int
main(void)
{
	test_list();
	test_uploads();
	test_time();
	test_field();
	test_range();
	return WD_TEST_RESULT();
}
