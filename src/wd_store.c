/*
 * wd_store.c: the fs and s3 backends. Trust boundary: blob ids are ours
 * (getrandom), checked again before any path is built; the bytes stored
 * are the client's and are never interpreted.
 */
#define _GNU_SOURCE		/* O_TMPFILE (open(2)) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wd_limits.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_store.h"
#include "wd_util.h"

/* the named temporary file of an upload, where O_TMPFILE is missing */
#define TMP_PREFIX	".tmp-"

int
wd_store_blob_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < WD_BLOB_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[WD_BLOB_LEN] == '\0';
}

enum wd_err
wd_store_init(struct wd_store *st, const struct wd_cfg *cfg, char *err,
    size_t errsz)
{
	const char	*be = wd_cfg_str(cfg, WD_CFG_STORAGE_BACKEND);
	const char	*dir = wd_cfg_str(cfg, WD_CFG_STORAGE_DIR);
	struct stat	 sb;
	enum wd_err	 rc;

	memset(st, 0, sizeof(*st));
	if (be != NULL && strcmp(be, "s3") == 0) {
		st->kind = WD_STORE_S3;
		rc = wd_s3_init(&st->s3, wd_cfg_str(cfg, WD_CFG_S3_ENDPOINT),
		    wd_cfg_str(cfg, WD_CFG_S3_BUCKET),
		    wd_cfg_str(cfg, WD_CFG_S3_REGION),
		    wd_cfg_str(cfg, WD_CFG_S3_ACCESS_KEY_ID),
		    wd_cfg_str(cfg, WD_CFG_S3_SECRET_ACCESS_KEY), err, errsz);
		if (rc != WD_OK)
			return rc;
		st->part_size = (size_t)wd_cfg_int(cfg,
		    WD_CFG_S3_PART_SIZE);
		/* S3 takes at most 10000 parts */
		if ((uint64_t)wd_cfg_int(cfg, WD_CFG_STORAGE_MAX_SIZE) /
		    st->part_size + 1 > WD_S3_MAX_PARTS) {
			snprintf(err, errsz, "WARDEN_S3_PART_SIZE: too small "
			    "for WARDEN_STORAGE_MAX_SIZE (10000 parts)");
			wd_s3_cleanup(&st->s3);
			return WD_E_CONFIG;
		}
		return WD_OK;	/* nothing on disk: parts stream to S3 */
	}
	if (be != NULL && strcmp(be, "fs") != 0) {
		snprintf(err, errsz, "WARDEN_STORAGE_BACKEND: fs or s3");
		return WD_E_CONFIG;
	}
	st->kind = WD_STORE_FS;
	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errsz, "WARDEN_STORAGE_DIR: required for the fs "
		    "backend");
		return WD_E_CONFIG;
	}
	if (dir[0] != '/' || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errsz, "WARDEN_STORAGE_DIR: not an absolute, "
		    "writable directory");
		return WD_E_CONFIG;
	}
	st->dir = wd_xstrdup(dir);
	return WD_OK;
}

void
wd_store_cleanup(struct wd_store *st)
{
	if (st == NULL)
		return;
	if (st->kind == WD_STORE_S3)
		wd_s3_cleanup(&st->s3);
	free(st->dir);
	st->dir = NULL;
}

/* fs paths of a blob: its shard, the blob, its upload's named
 * temporary file */
enum path_of {
	PATH_SHARD,	/* "<dir>/<xx>" */
	PATH_BLOB,	/* "<dir>/<xx>/<blob>" */
	PATH_TMP	/* "<dir>/<xx>/.tmp-<blob>" */
};

static enum wd_err
blob_path(const struct wd_store *st, const char *blob, enum path_of what,
    char *buf, size_t sz)
{
	int	 n;

	if (!wd_store_blob_valid(blob))
		return WD_E_INTERNAL;
	n = snprintf(buf, sz, "%s/%.2s%s%s%s", st->dir, blob,
	    what == PATH_SHARD ? "" : "/", what == PATH_TMP ? TMP_PREFIX : "",
	    what == PATH_SHARD ? "" : blob);
	if (n < 0 || (size_t)n >= sz)
		return WD_E_TOOBIG;
	return WD_OK;
}

enum wd_err
wd_store_path(const struct wd_store *st, const char *blob, char *buf,
    size_t sz)
{
	enum wd_err	 rc;

	if (st->kind != WD_STORE_FS)
		return WD_E_NOTFOUND;
	rc = blob_path(st, blob, PATH_BLOB, buf, sz);
	/* a blob gone (replaced, lost) is the reader's to tell from its
	 * row: lighttpd would answer its own 404 */
	if (rc == WD_OK && access(buf, F_OK) != 0)
		rc = WD_E_NOTFOUND;
	return rc;
}

static void
new_blob(char *blob)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[WD_BLOB_LEN / 2];
	size_t			 i, got = 0;
	ssize_t			 n;

	while (got < sizeof(r)) {
		n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();	/* no entropy: nothing safe to do */
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(r); i++) {
		blob[2 * i] = hex[r[i] >> 4];
		blob[2 * i + 1] = hex[r[i] & 15];
	}
	blob[WD_BLOB_LEN] = '\0';
}

enum wd_err
wd_store_put_begin(struct wd_store *st, struct wd_store_put *p)
{
	return wd_store_put_begin_as(st, p, NULL, NULL);
}

enum wd_err
wd_store_put_begin_as(struct wd_store *st, struct wd_store_put *p,
    wd_store_claim_fn claim, void *arg)
{
	char		 dir[1024], path[1200];
	enum wd_err	 rc;

	memset(p, 0, sizeof(*p));
	p->st = st;
	p->fd = -1;
	new_blob(p->blob);
	if (claim != NULL && (rc = claim(arg, p->blob)) != WD_OK)
		return rc;
	if (st->kind == WD_STORE_S3)
		return WD_OK;	/* nothing on disk: parts go to S3 */
	if (blob_path(st, p->blob, PATH_SHARD, dir, sizeof(dir)) != WD_OK)
		return WD_E_INTERNAL;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return WD_E_INTERNAL;
	/* unnamed: nothing to clean up if we die mid-upload */
	p->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
	if (p->fd >= 0)
		return WD_OK;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return WD_E_INTERNAL;
	if (blob_path(st, p->blob, PATH_TMP, path, sizeof(path)) != WD_OK)
		return WD_E_INTERNAL;
	p->fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
	if (p->fd < 0)
		return WD_E_INTERNAL;
	p->named = 1;
	return WD_OK;
}

/*
 * s3: starts the multipart upload. The record hook hears of it before
 * CreateMultipartUpload is sent and again with its id: an upload whose
 * answer is lost, or whose process dies right after, is still on record
 * (without an id, the sweep finds it by listing the blob's uploads).
 */
static enum wd_err
start_mpu(struct wd_store_put *p)
{
	char		 id[WD_S3_MAX_UPLOAD_ID];
	enum wd_err	 rc;

	if (p->record != NULL) {
		rc = p->record(p->record_arg, p->blob, NULL);
		if (rc != WD_OK)
			return rc;
	}
	p->mpu = WD_STORE_MPU_UNKNOWN;
	rc = wd_s3_mpu_begin(&p->st->s3, p->blob, id, sizeof(id));
	if (rc != WD_OK)
		return rc;
	p->upload_id = wd_xstrdup(id);
	p->mpu = WD_STORE_MPU_OPEN;
	return p->record == NULL ? WD_OK :
	    p->record(p->record_arg, p->blob, id);
}

/* s3: sends the next part, body b, starting the multipart upload
 * first. */
static enum wd_err
send_part(struct wd_store_put *p, const struct wd_s3_body *b)
{
	struct wd_s3	*s3 = &p->st->s3;
	const size_t	 es = WD_S3_MAX_ETAG + 1;
	enum wd_err	 rc;

	if (p->mpu == WD_STORE_MPU_NONE) {
		rc = start_mpu(p);
		if (rc != WD_OK)
			return rc;
	}
	if (p->mpu != WD_STORE_MPU_OPEN)
		return WD_E_INTERNAL;
	if (p->nparts >= WD_S3_MAX_PARTS)
		return WD_E_TOOBIG;
	p->etags = wd_xrealloc(p->etags, (p->nparts + 1) * es);
	rc = wd_s3_mpu_part(s3, p->blob, p->upload_id, p->nparts + 1, b,
	    p->etags + p->nparts * es, es);
	if (rc != WD_OK)
		return rc;
	p->nparts++;
	return WD_OK;
}

/* s3: sends the part filled in memory. */
static enum wd_err
flush_part(struct wd_store_put *p)
{
	struct wd_s3_body	 b = { p->part, p->plen, NULL, NULL };
	enum wd_err		 rc;

	rc = send_part(p, &b);
	if (rc == WD_OK)
		p->plen = 0;
	return rc;
}

enum wd_err
wd_store_put_write(struct wd_store_put *p, const void *buf, size_t len)
{
	const char	*c = buf;
	ssize_t		 n;
	enum wd_err	 rc;

	if (p->st->kind == WD_STORE_S3 && p->part == NULL && len > 0)
		p->part = wd_xmalloc(p->st->part_size);
	while (p->st->kind == WD_STORE_S3 && len > 0) {
		size_t	 k = p->st->part_size - p->plen;

		if (k > len)
			k = len;
		memcpy(p->part + p->plen, c, k);
		p->plen += k;
		p->size += k;
		c += k;
		len -= k;
		/* a full part goes out only when more bytes follow, so
		 * the last part is never empty */
		if (p->plen == p->st->part_size && len > 0) {
			rc = flush_part(p);
			if (rc != WD_OK)
				return rc;
		}
	}
	if (p->st->kind == WD_STORE_S3)
		return WD_OK;

	while (len > 0) {
		n = write(p->fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WD_E_INTERNAL;	/* ENOSPC and friends */
		c += n;
		len -= (size_t)n;
		p->size += (uint64_t)n;
	}
	return WD_OK;
}

/*
 * s3, a body longer than one part: each part goes to S3 as curl reads
 * it from fn, none is held in memory. Only the last part is shorter.
 */
static enum wd_err
stream_parts(struct wd_store_put *p, uint64_t size, wd_store_read_fn fn,
    void *arg)
{
	struct wd_s3_body	 b = { NULL, 0, fn, arg };
	enum wd_err		 rc;

	while (size > 0) {
		b.len = size < p->st->part_size ? size : p->st->part_size;
		rc = send_part(p, &b);
		if (rc != WD_OK)
			return rc;
		size -= b.len;
		p->size += b.len;
	}
	return WD_OK;
}

enum wd_err
wd_store_put_from(struct wd_store_put *p, uint64_t size, wd_store_read_fn fn,
    void *arg)
{
	char		*buf;
	size_t		 got;
	enum wd_err	 rc = WD_OK;

	if (p->st->kind == WD_STORE_S3 && p->plen == 0 &&
	    size > p->st->part_size)
		return stream_parts(p, size, fn, arg);
	buf = wd_xmalloc(WD_STORE_CHUNK);
	while (size > 0 && rc == WD_OK) {
		rc = fn(arg, buf, size < WD_STORE_CHUNK ? (size_t)size :
		    WD_STORE_CHUNK, &got);
		if (rc == WD_OK && (got == 0 || got > size))
			rc = WD_E_INTERNAL;
		if (rc == WD_OK)
			rc = wd_store_put_write(p, buf, got);
		if (rc == WD_OK)
			size -= got;
	}
	free(buf);
	return rc;
}

/* Frees what p holds; aborts nothing. */
static void
put_close(struct wd_store_put *p)
{
	char	 path[1200];

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->named) {
		if (blob_path(p->st, p->blob, PATH_TMP, path, sizeof(path)) ==
		    WD_OK)
			unlink(path);
		p->named = 0;
	}
	free(p->upload_id);
	p->upload_id = NULL;
	p->mpu = WD_STORE_MPU_NONE;
	free(p->part);
	p->part = NULL;
	free(p->etags);
	p->etags = NULL;
}

struct abort_all {
	struct wd_s3	*s3;
	const char	*blob;
};

static enum wd_err
abort_one(void *arg, const char *id)
{
	struct abort_all	*a = arg;

	return wd_s3_mpu_abort(a->s3, a->blob, id);
}

enum wd_err
wd_store_upload_abort(struct wd_store *st, const char *blob, const char *id)
{
	struct abort_all	 a = { &st->s3, blob };

	if (st->kind != WD_STORE_S3)
		return WD_OK;
	if (!wd_store_blob_valid(blob))
		return WD_E_INTERNAL;
	if (id != NULL)
		return wd_s3_mpu_abort(&st->s3, blob, id);
	/* the id was never learned: whatever S3 lists under the blob */
	return wd_s3_mpu_list(&st->s3, blob, abort_one, &a);
}

enum wd_err
wd_store_put_abort(struct wd_store_put *p)
{
	enum wd_err	 rc = WD_OK;

	/* an unfinished multipart upload: its parts must not linger (S3
	 * bills them); if S3 cannot be told now, the caller's record of
	 * the upload lets the sweep retry */
	if (p->mpu == WD_STORE_MPU_OPEN)
		rc = wd_store_upload_abort(p->st, p->blob, p->upload_id);
	else if (p->mpu == WD_STORE_MPU_UNKNOWN)
		rc = wd_store_upload_abort(p->st, p->blob, NULL);
	if (rc != WD_OK)
		wd_log(NULL, WD_LOG_WARN, "storage", "multipart abort failed "
		    "blob=%s", p->blob);
	put_close(p);
	return rc;
}

static enum wd_err
commit_fs(struct wd_store_put *p)
{
	char	 dir[1024], path[1024], proc[64];
	int	 dfd;

	if (blob_path(p->st, p->blob, PATH_SHARD, dir, sizeof(dir)) !=
	    WD_OK || blob_path(p->st, p->blob, PATH_BLOB, path,
	    sizeof(path)) != WD_OK)
		return WD_E_INTERNAL;
	if (fsync(p->fd) != 0)
		return WD_E_INTERNAL;
	if (p->named) {
		char	 tmp[1200];

		if (blob_path(p->st, p->blob, PATH_TMP, tmp, sizeof(tmp)) !=
		    WD_OK || rename(tmp, path) != 0)
			return WD_E_INTERNAL;
		p->named = 0;
	} else {
		/* linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the
		 * /proc/self/fd route is the documented alternative
		 * (open(2), O_TMPFILE) */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path,
		    AT_SYMLINK_FOLLOW) != 0)
			return WD_E_INTERNAL;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return WD_OK;
}

enum wd_err
wd_store_put_commit(struct wd_store_put *p)
{
	enum wd_err	 rc;

	if (p->st->kind == WD_STORE_FS)
		rc = commit_fs(p);
	else if (p->mpu == WD_STORE_MPU_NONE) {	/* one part: one PUT */
		struct wd_s3_body	 b = { p->part, p->plen, NULL, NULL };

		rc = wd_s3_put(&p->st->s3, p->blob, &b);
	} else {
		/* parts streamed by wd_store_put_from left none in memory */
		rc = p->plen > 0 ? flush_part(p) : WD_OK;
		if (rc == WD_OK)
			rc = wd_s3_mpu_complete(&p->st->s3, p->blob,
			    p->upload_id, p->etags, WD_S3_MAX_ETAG + 1,
			    p->nparts);
	}
	/* done: nothing to abort; on error the caller aborts */
	if (rc == WD_OK)
		put_close(p);
	return rc;
}

static enum wd_err
read_fs(struct wd_store *st, const char *blob, uint64_t off, uint64_t len,
    wd_store_data_fn fn, void *arg, int *started)
{
	char		 path[1024];
	char		*buf = NULL;
	enum wd_err	 rc;
	ssize_t		 n;
	int		 fd;

	rc = blob_path(st, blob, PATH_BLOB, path, sizeof(path));
	if (rc != WD_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? WD_E_NOTFOUND : WD_E_INTERNAL;
	buf = wd_xmalloc(WD_STORE_CHUNK);
	rc = WD_OK;
	while (rc == WD_OK && len > 0) {
		size_t	 want = len < WD_STORE_CHUNK ? (size_t)len :
		    WD_STORE_CHUNK;

		n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* shorter than the row says: the file was
			 * replaced or truncated under us */
			rc = WD_E_INTERNAL;
			break;
		}
		*started = 1;
		rc = fn(arg, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	close(fd);
	return rc;
}

enum wd_err
wd_store_read(struct wd_store *st, const char *blob, uint64_t off,
    uint64_t len, wd_store_data_fn fn, void *arg, int *started)
{
	*started = 0;
	if (!wd_store_blob_valid(blob))
		return WD_E_INTERNAL;
	if (st->kind == WD_STORE_FS)
		return read_fs(st, blob, off, len, fn, arg, started);
	return wd_s3_get(&st->s3, blob, off, len, fn, arg, started);
}

enum wd_err
wd_store_remove(struct wd_store *st, const char *blob)
{
	char	 path[1024];

	if (!wd_store_blob_valid(blob))
		return WD_E_INTERNAL;
	if (st->kind == WD_STORE_S3)
		return wd_s3_delete(&st->s3, blob);
	if (blob_path(st, blob, PATH_BLOB, path, sizeof(path)) != WD_OK)
		return WD_E_INTERNAL;
	if (unlink(path) != 0 && errno != ENOENT)
		return WD_E_INTERNAL;
	return WD_OK;
}

enum wd_err
wd_store_remove_tmp(struct wd_store *st, const char *blob)
{
	char	 path[1200];

	if (st->kind != WD_STORE_FS ||
	    blob_path(st, blob, PATH_TMP, path, sizeof(path)) != WD_OK)
		return WD_E_INTERNAL;
	if (unlink(path) != 0 && errno != ENOENT)
		return WD_E_INTERNAL;
	return WD_OK;
}

/* 1 if s is exactly two lower-case hex digits (an fs shard). */
static int
shard_valid(const char *s)
{
	return strlen(s) == 2 && wd_hexval(s[0]) >= 0 &&
	    wd_hexval(s[1]) >= 0 && (s[0] < 'A' || s[0] > 'F') &&
	    (s[1] < 'A' || s[1] > 'F');
}

struct s3list {
	wd_store_blob_fn	 fn;
	void			*arg;
};

/* s3: only names we make are blobs; other keys are not ours to touch */
static enum wd_err
s3_entry(void *arg, const char *key, time_t mtime)
{
	struct s3list	*l = arg;

	if (!wd_store_blob_valid(key))
		return WD_OK;
	return l->fn(l->arg, key, mtime, 0);
}

enum wd_err
wd_store_list(struct wd_store *st, wd_store_blob_fn fn, void *arg)
{
	DIR		*top, *sub;
	struct dirent	*d, *e;
	struct stat	 sb;
	char		 path[1200];
	enum wd_err	 rc = WD_OK;

	if (st->kind == WD_STORE_S3) {
		struct s3list	 l = { fn, arg };

		return wd_s3_list(&st->s3, s3_entry, &l);
	}
	top = opendir(st->dir);
	if (top == NULL)
		return WD_E_INTERNAL;
	while (rc == WD_OK && (d = readdir(top)) != NULL) {
		if (!shard_valid(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->dir, d->d_name);
		sub = opendir(path);
		if (sub == NULL)
			continue;
		while (rc == WD_OK && (e = readdir(sub)) != NULL) {
			/* only names we make, in the shard they belong to */
			int		 tmp = strncmp(e->d_name, TMP_PREFIX,
			    sizeof(TMP_PREFIX) - 1) == 0;
			const char	*blob = e->d_name + (tmp ?
			    sizeof(TMP_PREFIX) - 1 : 0);

			if (!wd_store_blob_valid(blob) ||
			    strncmp(blob, d->d_name, 2) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", st->dir,
			    d->d_name, e->d_name);
			if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			rc = fn(arg, blob, sb.st_mtime, tmp);
		}
		closedir(sub);
	}
	closedir(top);
	return rc;
}
