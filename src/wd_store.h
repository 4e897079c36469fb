/*
 * wd_store.h: where object bytes live (issue #4, "Backends"). Objects are
 * stored under random blob ids, never under their keys: a key maps to a
 * blob in storage.objects, an overwrite writes a new blob and switches
 * the row, so a failed upload never damages the previous version and no
 * client byte ever reaches a file name.
 *
 *   fs: WARDEN_STORAGE_DIR/<2 hex>/<32 hex>. The upload is written to an
 *       unnamed O_TMPFILE in that directory (a named temporary file where
 *       the filesystem lacks O_TMPFILE), fsync'd, linked in and the
 *       directory fsync'd: an aborted or failed upload leaves nothing.
 *   s3: <bucket>/<32 hex>. The upload streams as an S3 multipart upload
 *       in parts of WARDEN_S3_PART_SIZE bytes, completed at commit and
 *       aborted on any failure; an object smaller than one part is one
 *       PUT. Bytes pushed by wd_store_put_write are gathered one part at
 *       a time in memory (a part's length must be known before it is
 *       sent); a body of known length given to wd_store_put_from goes to
 *       S3 as curl reads it, with no part in memory. Downloads stream
 *       from S3 to the client, checked against the range asked.
 *
 * Nothing exists under a blob id until the upload makes it: fs at
 * commit (the link), s3 at the first full part (the multipart upload,
 * announced to the caller's record hook before and after it is created,
 * so it can be recorded durably and swept) or at commit (one PUT).
 */
#ifndef WD_STORE_H
#define WD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wd_cfg.h"
#include "wd_err.h"
#include "wd_s3.h"

#define WD_BLOB_LEN	32	/* hex chars of a blob id (128 bits) */

enum wd_store_kind {
	WD_STORE_FS,
	WD_STORE_S3,
	WD_STORE__MAX
};

struct wd_store {
	enum wd_store_kind	 kind;
	char			*dir;	/* fs: objects; s3: NULL; owned */
	struct wd_s3		 s3;
	size_t			 part_size;	/* s3: bytes per part */
};

/*
 * Called by an s3 upload around CreateMultipartUpload: with id NULL
 * before it is sent, then with the upload id it answered. A non-WD_OK
 * return fails the upload (which the caller then aborts).
 */
typedef enum wd_err (*wd_store_record_fn)(void *arg, const char *blob,
		    const char *id);

enum wd_store_mpu {
	WD_STORE_MPU_NONE,	/* no multipart upload started */
	WD_STORE_MPU_UNKNOWN,	/* CreateMultipartUpload sent, no id back */
	WD_STORE_MPU_OPEN,	/* upload_id open: parts may be stored */
	WD_STORE_MPU__MAX
};

struct wd_store_put {
	struct wd_store	*st;
	wd_store_record_fn record;	/* s3 only; may be NULL */
	void		*record_arg;
	int		 fd;		/* fs: -1 when closed */
	int		 named;		/* fallback: tmp has a name */
	uint64_t	 size;
	char		 blob[WD_BLOB_LEN + 1];
	/* s3: the part being filled (part_size bytes, allocated at the
	 * first write), the multipart upload once a first part is sent,
	 * and the parts' ETags
	 * (nparts * (WD_S3_MAX_ETAG + 1) bytes); all owned */
	char		*part;
	size_t		 plen;
	char		*upload_id;	/* NULL: no multipart upload */
	enum wd_store_mpu mpu;
	char		*etags;
	unsigned	 nparts;
};

/* Receives object bytes; a non-WD_OK return stops the read. */
typedef enum wd_err (*wd_store_data_fn)(void *arg, const char *p,
		    size_t len);

/*
 * From WARDEN_STORAGE_BACKEND (fs or s3), WARDEN_STORAGE_DIR (fs: must be
 * a writable directory; s3: unused) and WARDEN_S3_*. WD_E_CONFIG with
 * one line in err. Caller cleans up with wd_store_cleanup().
 */
enum wd_err	wd_store_init(struct wd_store *st, const struct wd_cfg *cfg,
		    char *err, size_t errsz);
void		wd_store_cleanup(struct wd_store *st);

/*
 * Starts an upload under a fresh random blob id (p->blob); nothing is
 * stored under it yet. WD_E_INTERNAL when the directory cannot be
 * written. The caller may then set p->record. Ends with
 * wd_store_put_abort, after a wd_store_put_commit or instead of it.
 */
enum wd_err	wd_store_put_begin(struct wd_store *st,
		    struct wd_store_put *p);
/*
 * The same, with claim(arg, blob) called once the blob id is drawn and
 * before anything is made under it (the fs fallback's named temporary
 * file included): an upload takes the blob's lock there, so no file of
 * it exists unlocked. claim's error is returned as it is, nothing made.
 */
typedef enum wd_err (*wd_store_claim_fn)(void *arg, const char *blob);
enum wd_err	wd_store_put_begin_as(struct wd_store *st,
		    struct wd_store_put *p, wd_store_claim_fn claim,
		    void *arg);
enum wd_err	wd_store_put_write(struct wd_store_put *p, const void *buf,
		    size_t len);
/*
 * Reads exactly size more bytes from fn (wd_s3_read_fn: at most n at a
 * time) into the upload. On s3, when nothing was written before and
 * size is over one part, every part streams from fn to S3 (memory: no
 * part); otherwise as wd_store_put_write in chunks. fn's error is
 * returned as it is.
 */
typedef wd_s3_read_fn wd_store_read_fn;
enum wd_err	wd_store_put_from(struct wd_store_put *p, uint64_t size,
		    wd_store_read_fn fn, void *arg);
/*
 * Makes the blob durable and visible (fs: fsync, link, fsync dir; s3:
 * CompleteMultipartUpload, or one PUT). WD_OK closes p. On error p stays
 * open for wd_store_put_abort; WD_E_STOREDOWN when S3 is unreachable. A
 * PUT or completion whose answer was lost may have made the blob anyway
 * (the sweep finds it: no row points at it).
 */
enum wd_err	wd_store_put_commit(struct wd_store_put *p);
/*
 * Drops an unfinished upload and closes p (a no-op after a successful
 * commit). WD_OK when nothing of it is left; otherwise the multipart
 * upload could not be aborted (WD_E_STOREDOWN: S3 unreachable; others:
 * S3 refused) and its parts remain until wd_store_upload_abort succeeds.
 */
enum wd_err	wd_store_put_abort(struct wd_store_put *p);

/*
 * Aborts the s3 multipart upload id of blob, or with id NULL every
 * upload S3 lists for blob (one whose id was never learned). WD_OK when
 * none of its parts is left, also when it was completed or aborted
 * before; errors as wd_store_put_abort. fs: WD_OK (nothing to abort).
 */
enum wd_err	wd_store_upload_abort(struct wd_store *st, const char *blob,
		    const char *id);

/*
 * Streams bytes [off, off + len) of blob to fn. *started as in
 * wd_s3_get. WD_E_NOTFOUND when the blob is missing.
 */
enum wd_err	wd_store_read(struct wd_store *st, const char *blob,
		    uint64_t off, uint64_t len, wd_store_data_fn fn, void *arg,
		    int *started);

/* Removes blob; WD_OK also when it did not exist. */
enum wd_err	wd_store_remove(struct wd_store *st, const char *blob);

/*
 * fs only: the blob's absolute path, for X-Sendfile. WD_E_NOTFOUND for
 * other backends and when the file is not there (wd_store_read then
 * says why), WD_E_TOOBIG when sz is short.
 */
enum wd_err	wd_store_path(const struct wd_store *st, const char *blob,
		    char *buf, size_t sz);

/* Receives one stored blob and its modification time (wd_store_list);
 * tmp: not the blob but the named temporary file of its upload (fs
 * without O_TMPFILE), which wd_store_remove_tmp removes. */
typedef enum wd_err (*wd_store_blob_fn)(void *arg, const char *blob,
		    time_t mtime, int tmp);

/*
 * Calls fn for every blob: fs, every blob file under the storage
 * directory (names we make, in their own shard) and every named
 * temporary file of an upload (".tmp-<blob>", tmp = 1); s3, every key of
 * the bucket that is a blob id (ListObjectsV2). Nothing else is
 * reported. Stops at fn's first error and returns it.
 */
enum wd_err	wd_store_list(struct wd_store *st, wd_store_blob_fn fn,
		    void *arg);

/* fs: removes the named temporary file of blob's upload (one that
 * died before commit or abort); WD_OK if there is none. */
enum wd_err	wd_store_remove_tmp(struct wd_store *st, const char *blob);

/* 1 if s is exactly WD_BLOB_LEN lower-case hex digits. */
int		wd_store_blob_valid(const char *s);

#endif
