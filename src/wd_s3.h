/*
 * wd_s3.h: the few S3 calls storage needs (PutObject, GetObject with an
 * optional byte range, DeleteObject), path-style, over libcurl with its
 * own AWS SigV4 signing (CURLOPT_AWS_SIGV4) and an unsigned payload
 * (x-amz-content-sha256: UNSIGNED-PAYLOAD), so bodies stream both ways
 * and are never hashed or held in memory. One easy handle per process,
 * reused so connections stay open.
 */
#ifndef WD_S3_H
#define WD_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <curl/curl.h>

#include "wd_err.h"
#include "wd_s3xml.h"

struct wd_s3 {
	char	*base;		/* endpoint without trailing '/'; owned */
	char	*bucket;	/* owned */
	char	*sigv4;		/* "aws:amz:<region>:s3"; owned */
	char	*userpwd;	/* "key:secret"; owned, wiped */
	CURL	*curl;		/* owned */
	char	*amz_date;	/* tests only: fixed X-Amz-Date; owned */
	size_t	 max_pages;	/* wd_s3_list's cap: WD_S3_MAX_LIST_PAGES,
				 * which tests lower */
};

/* Receives object bytes; a non-WD_OK return stops the transfer. */
typedef enum wd_err (*wd_s3_data_fn)(void *arg, const char *p, size_t len);

/*
 * Checks and stores the settings: endpoint an http(s) URL, bucket 3..63
 * of [a-z0-9.-] (path-style URL safe), region [a-z0-9-]. On error
 * WD_E_CONFIG with one line in err naming the variable (never the
 * secret). Caller cleans up with wd_s3_cleanup().
 */
enum wd_err	wd_s3_init(struct wd_s3 *s3, const char *endpoint,
		    const char *bucket, const char *region, const char *key,
		    const char *secret, char *err, size_t errsz);
void		wd_s3_cleanup(struct wd_s3 *s3);

/* The object URL for name ([0-9a-f] blob ids only): base/bucket/name.
 * WD_E_BADREQ for any other name, WD_E_TOOBIG when sz is short. */
enum wd_err	wd_s3_url(const struct wd_s3 *s3, const char *name, char *buf,
		    size_t sz);

/*
 * The request headers storage adds (a curl_slist the caller frees with
 * curl_slist_free_all); range "bytes=a-b" or NULL. Exposed so the
 * signing inputs can be unit-tested.
 */
struct curl_slist *wd_s3_headers(const struct wd_s3 *s3, const char *range);

/*
 * What a PUT sends: len bytes at buf, or, when buf is NULL, len bytes
 * that fn reads as curl asks for them (at most n at p, *got > 0 on
 * WD_OK), so a body can stream from its source with no copy in memory.
 * An error from fn stops the transfer and is what the PUT returns.
 */
typedef enum wd_err (*wd_s3_read_fn)(void *arg, char *p, size_t n,
		    size_t *got);
struct wd_s3_body {
	const char	*buf;
	uint64_t	 len;
	wd_s3_read_fn	 fn;
	void		*arg;
};

/*
 * PUT name with body b (an object of one part). WD_E_STOREDOWN when S3
 * cannot be reached or answers 5xx; WD_E_INTERNAL for other failures
 * (4xx: credentials, bucket).
 */
enum wd_err	wd_s3_put(struct wd_s3 *s3, const char *name,
		    const struct wd_s3_body *b);

/*
 * GET name, bytes [off, off + len) (the whole object when len is
 * UINT64_MAX), calling fn for each piece. *started is set once fn has
 * been called, so the caller knows whether it can still answer with an
 * error status. WD_E_NOTFOUND on 404; WD_E_STOREDOWN as for put; what
 * fn returned if it stopped the transfer.
 */
enum wd_err	wd_s3_get(struct wd_s3 *s3, const char *name, uint64_t off,
		    uint64_t len, wd_s3_data_fn fn, void *arg, int *started);

/* DELETE name (S3 answers 204 whether or not it existed). */
enum wd_err	wd_s3_delete(struct wd_s3 *s3, const char *name);

/*
 * Multipart upload (CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload, AbortMultipartUpload). begin writes the
 * upload id to id (idsz bytes); part sends part number part (1..10000)
 * with body b and writes its ETag to etag; complete sends the n ETags,
 * etags[i * stride] for part i + 1, and checks the answer's body (S3 can
 * report a failure with 200); abort drops the parts (WD_OK also on 404
 * NoSuchUpload: an upload completed or aborted before has none left).
 * Errors as wd_s3_put.
 */
/*
 * Lists the bucket (ListObjectsV2, pages of 1000), calling fn with each
 * key and its LastModified (now when S3 gives none, so nothing unknown
 * looks old); stops at fn's first error and returns it. A page over
 * WD_S3_MAX_LIST_PAGE bytes, or a truncated page without a continuation
 * token, is WD_E_TOOBIG / WD_E_INTERNAL. So is a listing still
 * truncated after max_pages pages (WD_E_TOOBIG; fn saw those): a sweep
 * must not report a bucket it did not finish.
 */
#define WD_S3_MAX_LIST_PAGE	(4 * 1024 * 1024)	/* 1000 entries */
#define WD_S3_MAX_LIST_PAGES	100000			/* 10^8 objects */
enum wd_err	wd_s3_list(struct wd_s3 *s3, wd_s3_list_fn fn, void *arg);

#define WD_S3_MAX_ETAG		128
#define WD_S3_MAX_PARTS		10000
enum wd_err	wd_s3_mpu_begin(struct wd_s3 *s3, const char *name, char *id,
		    size_t idsz);
enum wd_err	wd_s3_mpu_part(struct wd_s3 *s3, const char *name,
		    const char *id, unsigned part, const struct wd_s3_body *b,
		    char *etag, size_t etsz);
enum wd_err	wd_s3_mpu_complete(struct wd_s3 *s3, const char *name,
		    const char *id, const char *etags, size_t stride,
		    unsigned n);
enum wd_err	wd_s3_mpu_abort(struct wd_s3 *s3, const char *name,
		    const char *id);

/*
 * ListMultipartUploads for exactly the key name (prefix=name, then the
 * keys compared whole): calls fn with each upload id, stopping at fn's
 * first error and returning it. For an upload whose id was never
 * learned (the answer to CreateMultipartUpload lost). WD_E_TOOBIG when
 * S3 reports more than one page.
 */
enum wd_err	wd_s3_mpu_list(struct wd_s3 *s3, const char *name,
		    wd_s3_upload_fn fn, void *arg);

#endif
