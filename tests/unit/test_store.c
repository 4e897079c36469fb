/*
 * test_store.c: the fs backend (src/wd_store.c): blob ids, an upload
 * that commits, one that aborts (nothing left), reads with offsets,
 * removal, and configuration errors.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wd_buf.h"
#include "wd_store.h"
#include "wd_test.h"

#define M	"store"

static int
count_files(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	char		 p[1024];
	struct stat	 sb;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			n += count_files(p);
		else
			n++;
	}
	closedir(d);
	return n;
}

static enum wd_err
sink(void *arg, const char *p, size_t len)
{
	return wd_buf_add(arg, p, len);
}

/* A body source for wd_store_put_from: gives at most 7 bytes a call,
 * then fails with WD_E_BADREQ (the client gone) past fail_at bytes. */
struct src {
	const char	*p;
	size_t		 off, fail_at;
};

static enum wd_err
src_read(void *arg, char *p, size_t n, size_t *got)
{
	struct src	*s = arg;

	if (s->off >= s->fail_at)
		return WD_E_BADREQ;
	*got = n < 7 ? n : 7;
	memcpy(p, s->p + s->off, *got);
	s->off += *got;
	return WD_OK;
}

static void
test_put_from(struct wd_store *st, const char *dir)
{
	static const char	 body[] = "a body read in pieces of seven";
	struct src		 s = { body, 0, sizeof(body) };
	struct wd_store_put	 p;
	struct wd_buf		 out;
	int			 started, n0 = count_files(dir);

	wd_buf_init(&out, 1024);
	CHECK(M, "put_from", wd_store_put_begin(st, &p) == WD_OK &&
	    wd_store_put_from(&p, sizeof(body) - 1, src_read, &s) == WD_OK &&
	    p.size == sizeof(body) - 1 && s.off == sizeof(body) - 1);
	CHECK(M, "put_from commit", wd_store_put_commit(&p) == WD_OK &&
	    wd_store_read(st, p.blob, 0, sizeof(body) - 1, sink, &out,
	    &started) == WD_OK && out.len == sizeof(body) - 1 &&
	    memcmp(out.p, body, out.len) == 0);
	CHECK(M, "put_from remove", wd_store_remove(st, p.blob) == WD_OK);
	s.off = 0;
	s.fail_at = 14;
	CHECK(M, "put_from: the source's error as it is",
	    wd_store_put_begin(st, &p) == WD_OK &&
	    wd_store_put_from(&p, sizeof(body) - 1, src_read, &s) ==
	    WD_E_BADREQ);
	wd_store_put_abort(&p);
	CHECK(M, "put_from: a cut body leaves nothing",
	    count_files(dir) == n0);
	wd_buf_cleanup(&out);
}

/* A claim that records the id it saw and whether the store had made
 * anything yet, then answers as told. */
struct claim {
	const char	*dir;
	char		 blob[WD_BLOB_LEN + 1];
	int		 files;
	enum wd_err	 answer;
};

static enum wd_err
claim_fn(void *arg, const char *blob)
{
	struct claim	*c = arg;

	snprintf(c->blob, sizeof(c->blob), "%s", blob);
	c->files = count_files(c->dir);
	return c->answer;
}

static void
test_claim(struct wd_store *st, const char *dir)
{
	struct claim		 c = { dir, "", -1, WD_E_CONFLICT };
	struct wd_store_put	 p;
	int			 n0 = count_files(dir);

	CHECK(M, "claim refused: its error, nothing made",
	    wd_store_put_begin_as(st, &p, claim_fn, &c) == WD_E_CONFLICT &&
	    c.files == n0 && count_files(dir) == n0 &&
	    strcmp(c.blob, p.blob) == 0 && wd_store_blob_valid(c.blob));
	wd_store_put_abort(&p);
	c.answer = WD_OK;
	CHECK(M, "claim granted: called before anything exists",
	    wd_store_put_begin_as(st, &p, claim_fn, &c) == WD_OK &&
	    c.files == n0 && strcmp(c.blob, p.blob) == 0);
	wd_store_put_abort(&p);
	CHECK(M, "claim granted, aborted: nothing left",
	    count_files(dir) == n0);
}

static void
test_fs(const char *dir)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_store		 st;
	struct wd_store_put	 p, q;
	struct wd_buf		 out;
	char			 err[256], path[1024];
	int			 started;
	enum wd_err		 rc;

	wd_buf_init(&out, 1 << 20);
	cfg.val[WD_CFG_STORAGE_DIR] = (char *)(uintptr_t)dir;
	rc = wd_store_init(&st, &cfg, err, sizeof(err));
	cfg.val[WD_CFG_STORAGE_DIR] = NULL;
	CHECK(M, "fs init", rc == WD_OK && st.kind == WD_STORE_FS);
	if (rc != WD_OK)
		return;
	CHECK(M, "put begin", wd_store_put_begin(&st, &p) == WD_OK &&
	    wd_store_blob_valid(p.blob));
	CHECK(M, "put write", wd_store_put_write(&p, "hello ", 6) == WD_OK &&
	    wd_store_put_write(&p, "world", 5) == WD_OK && p.size == 11);
	CHECK(M, "nothing visible before commit", count_files(dir) == 0);
	CHECK(M, "commit", wd_store_put_commit(&p) == WD_OK);
	CHECK(M, "one file after commit", count_files(dir) == 1);
	CHECK(M, "path", wd_store_path(&st, p.blob, path, sizeof(path)) ==
	    WD_OK && access(path, R_OK) == 0);
	rc = wd_store_read(&st, p.blob, 0, 11, sink, &out, &started);
	CHECK(M, "read all", rc == WD_OK && started && out.len == 11 &&
	    memcmp(out.p, "hello world", 11) == 0);
	wd_buf_reset(&out);
	rc = wd_store_read(&st, p.blob, 6, 3, sink, &out, &started);
	CHECK(M, "read a range", rc == WD_OK && out.len == 3 &&
	    memcmp(out.p, "wor", 3) == 0);
	rc = wd_store_read(&st, p.blob, 6, 100, sink, &out, &started);
	CHECK(M, "read past the end fails", rc != WD_OK);
	CHECK(M, "aborted upload", wd_store_put_begin(&st, &q) == WD_OK &&
	    wd_store_put_write(&q, "x", 1) == WD_OK);
	wd_store_put_abort(&q);
	CHECK(M, "abort leaves nothing", count_files(dir) == 1);
	CHECK(M, "distinct blob ids", strcmp(p.blob, q.blob) != 0);
	CHECK(M, "remove", wd_store_remove(&st, p.blob) == WD_OK &&
	    count_files(dir) == 0);
	test_put_from(&st, dir);
	test_claim(&st, dir);
	CHECK(M, "remove again is fine", wd_store_remove(&st, p.blob) ==
	    WD_OK);
	CHECK(M, "no path to a removed blob (no X-Sendfile to nothing)",
	    wd_store_path(&st, p.blob, path, sizeof(path)) == WD_E_NOTFOUND);
	rc = wd_store_read(&st, p.blob, 0, 1, sink, &out, &started);
	CHECK(M, "read removed -> not found", rc == WD_E_NOTFOUND &&
	    !started);
	CHECK(M, "bad blob id refused", wd_store_remove(&st, "../../x") ==
	    WD_E_INTERNAL && wd_store_read(&st, "ABC", 0, 1, sink, &out,
	    &started) == WD_E_INTERNAL);
	wd_store_cleanup(&st);
	wd_buf_cleanup(&out);
}

static void
test_config(void)
{
	struct wd_cfg	 cfg = { 0 };
	struct wd_store	 st;
	char		 err[256];

	cfg.val[WD_CFG_STORAGE_BACKEND] = (char *)(uintptr_t)"fs";
	CHECK(M, "fs without a dir refused", wd_store_init(&st, &cfg, err,
	    sizeof(err)) == WD_E_CONFIG && strstr(err,
	    "WARDEN_STORAGE_DIR") != NULL);
	cfg.val[WD_CFG_STORAGE_DIR] = (char *)(uintptr_t)"relative/dir";
	CHECK(M, "relative dir refused", wd_store_init(&st, &cfg, err,
	    sizeof(err)) == WD_E_CONFIG);
	cfg.val[WD_CFG_STORAGE_DIR] = (char *)(uintptr_t)"/nonexistent/x";
	CHECK(M, "missing dir refused", wd_store_init(&st, &cfg, err,
	    sizeof(err)) == WD_E_CONFIG);
	cfg.val[WD_CFG_STORAGE_BACKEND] = (char *)(uintptr_t)"gcs";
	CHECK(M, "unknown backend refused", wd_store_init(&st, &cfg, err,
	    sizeof(err)) == WD_E_CONFIG && strstr(err,
	    "WARDEN_STORAGE_BACKEND") != NULL);
	cfg.val[WD_CFG_STORAGE_BACKEND] = (char *)(uintptr_t)"s3";
	CHECK(M, "s3 without endpoint refused", wd_store_init(&st, &cfg,
	    err, sizeof(err)) == WD_E_CONFIG && strstr(err,
	    "WARDEN_S3_ENDPOINT") != NULL);
}

int
main(void)
{
	char	 dir[] = "/tmp/wd-test-store-XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	test_fs(dir);
	test_config();
	rmdir(dir);
	{
		char	 cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return WD_TEST_RESULT();
}
