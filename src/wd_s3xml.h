/*
 * wd_s3xml.h: reading S3's answers (issue #11): the text of one XML
 * element, a ListObjectsV2 page, a ListMultipartUploads page, a
 * LastModified time and a ranged GET's Content-Range. Kept apart from
 * wd_s3.c's transfers so that each is reached by a libFuzzer target
 * (tests/fuzz/fuzz_s3xml.c): an S3-compatible server, or whatever answers
 * at its address, is input like any other.
 *
 * Not an XML parser: S3's answers are flat and only the elements named
 * are read, by their literal tags. What Warden stores there (blob names
 * in hex, upload ids) never holds markup, so entities are not decoded:
 * a key with "&amp;" in it is passed on as those bytes, and the caller
 * (which only knows hex names) ignores it.
 */
#ifndef WD_S3XML_H
#define WD_S3XML_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wd_err.h"

#define WD_S3_MAX_KEY		1024
#define WD_S3_MAX_UPLOAD_ID	1024

/*
 * The text between the first <tag> in [p, end) and the next </tag>,
 * which must also lie wholly before end; its length in *len. NULL when
 * there is none. Only bytes in [p, end) are read (no NUL needed); the
 * text is borrowed from them. tag: at most 28 bytes.
 */
const char	*wd_s3_xml_in(const char *p, const char *end, const char *tag,
		    size_t *len);

/*
 * The text of the first <tag> in the NUL-terminated body, up to the next
 * '<', into out (sz bytes, NUL added): WD_OK, or WD_E_INTERNAL when the
 * element is missing, empty or does not fit.
 */
enum wd_err	wd_s3_xml_field(const char *body, const char *tag, char *out,
		    size_t sz);

/* "2026-11-28T04:55:28.000Z" (n bytes) to Unix seconds; -1 when
 * malformed. */
time_t		wd_s3_iso_time(const char *s, size_t n);

/*
 * 1 when a 206's Content-Range crange ("bytes A-B/T") and Content-Length
 * clen ("" when the answer had none: chunked) carry the len bytes from
 * off that were asked for (len >= 1): A is off and B - A + 1 at least
 * len (a server may send more; the caller passes on no more than
 * asked), and clen, when given, is B - A + 1. 0 otherwise.
 */
int		wd_s3_range_ok(const char *crange, const char *clen,
		    uint64_t off, uint64_t len);

/* Called for each key of a listing with its LastModified. */
typedef enum wd_err (*wd_s3_list_fn)(void *arg, const char *key,
		    time_t mtime);

/*
 * One ListObjectsV2 page (xml: len bytes, NUL bytes included as any):
 * calls fn with each <Contents>'s <Key> (keys over WD_S3_MAX_KEY bytes
 * or with a NUL byte are skipped) and its LastModified, or now when that
 * is missing or malformed (nothing unknown looks old); stops at fn's
 * first error and returns it. *more: the page says it is truncated, and
 * next (nextsz bytes) then holds its NextContinuationToken; a truncated
 * page without one that fits (non-empty, no NUL) is WD_E_INTERNAL (the
 * listing cannot go on).
 */
enum wd_err	wd_s3_list_page(const char *xml, size_t len, time_t now,
		    wd_s3_list_fn fn, void *arg, char *next, size_t nextsz,
		    int *more);

/* Called with each upload id of a key. */
typedef enum wd_err (*wd_s3_upload_fn)(void *arg, const char *id);

/*
 * One ListMultipartUploads page (xml: len bytes, NUL bytes included as
 * any) asked with prefix=name: calls fn with the UploadId of each
 * <Upload> whose <Key> is exactly name, stopping at fn's first error and
 * returning it. WD_E_INTERNAL when the page is not that answer or an id
 * of name's is empty, holds a NUL or is over WD_S3_MAX_UPLOAD_ID - 1
 * bytes; WD_E_TOOBIG
 * when the page says it is truncated (the caller must not think it saw
 * them all).
 */
enum wd_err	wd_s3_uploads_page(const char *xml, size_t len,
		    const char *name, wd_s3_upload_fn fn, void *arg);

#endif
