/*
 * wd_s3.c: S3 over libcurl. Trust boundary: the S3 server is trusted to
 * return our objects but not to be up; every failure maps to an error
 * code and never leaves a transfer half-reported. Object names are our
 * own blob ids (hex), so no URL encoding is involved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "wd_buf.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_s3.h"
#include "wd_util.h"

/* Connect and stall limits: a dead S3 must turn into a 503 quickly, a
 * slow client download must not be cut. */
#define S3_CONNECT_TIMEOUT	5L
#define S3_LOW_SPEED_TIME	30L
/* CompleteMultipartUpload: the server assembles the parts before it
 * answers. AWS keeps the connection busy with whitespace meanwhile, but
 * other S3 servers (s3rver, measured at 110-150 MB/s) send nothing for
 * as long as the copy takes: allow 1 s per 8 parts on top (a part is at
 * least 5 MiB), up to 15 minutes. */
#define S3_COMPLETE_PARTS_PER_S	8U
#define S3_COMPLETE_MAX_TIME	900L

static int
all_of(const char *s, const char *set)
{
	for (; *s != '\0'; s++)
		if (strchr(set, *s) == NULL)
			return 0;
	return 1;
}

enum wd_err
wd_s3_init(struct wd_s3 *s3, const char *endpoint, const char *bucket,
    const char *region, const char *key, const char *secret, char *err,
    size_t errsz)
{
	size_t	 n;

	memset(s3, 0, sizeof(*s3));
	s3->max_pages = WD_S3_MAX_LIST_PAGES;
	if (endpoint == NULL || (strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0) ||
	    strpbrk(endpoint, " ?#\r\n") != NULL) {
		snprintf(err, errsz, "WARDEN_S3_ENDPOINT: an http(s) URL is "
		    "required");
		return WD_E_CONFIG;
	}
	if (bucket == NULL || strlen(bucket) < 3 || strlen(bucket) > 63 ||
	    !all_of(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-")) {
		snprintf(err, errsz, "WARDEN_S3_BUCKET: 3-63 of a-z 0-9 . -");
		return WD_E_CONFIG;
	}
	if (region == NULL || region[0] == '\0' || strlen(region) > 32 ||
	    !all_of(region, "abcdefghijklmnopqrstuvwxyz0123456789-")) {
		snprintf(err, errsz, "WARDEN_S3_REGION: like us-east-1");
		return WD_E_CONFIG;
	}
	if (key == NULL || key[0] == '\0' || strchr(key, ':') != NULL) {
		snprintf(err, errsz, "WARDEN_S3_ACCESS_KEY_ID: required, "
		    "without ':'");
		return WD_E_CONFIG;
	}
	if (secret == NULL || secret[0] == '\0') {
		snprintf(err, errsz, "WARDEN_S3_SECRET_ACCESS_KEY: required");
		return WD_E_CONFIG;
	}
	s3->curl = curl_easy_init();
	if (s3->curl == NULL) {
		snprintf(err, errsz, "cannot initialise libcurl");
		return WD_E_CONFIG;
	}
	s3->base = wd_xstrdup(endpoint);
	n = strlen(s3->base);
	while (n > 0 && s3->base[n - 1] == '/')
		s3->base[--n] = '\0';
	s3->bucket = wd_xstrdup(bucket);
	n = strlen(region) + 16;
	s3->sigv4 = wd_xmalloc(n);
	snprintf(s3->sigv4, n, "aws:amz:%s:s3", region);
	n = strlen(key) + strlen(secret) + 2;
	s3->userpwd = wd_xmalloc(n);
	snprintf(s3->userpwd, n, "%s:%s", key, secret);
	return WD_OK;
}

void
wd_s3_cleanup(struct wd_s3 *s3)
{
	if (s3 == NULL)
		return;
	if (s3->curl != NULL)
		curl_easy_cleanup(s3->curl);
	free(s3->base);
	free(s3->bucket);
	free(s3->sigv4);
	free(s3->amz_date);
	if (s3->userpwd != NULL)
		wd_freezero(s3->userpwd, strlen(s3->userpwd));
	memset(s3, 0, sizeof(*s3));
}

enum wd_err
wd_s3_url(const struct wd_s3 *s3, const char *name, char *buf, size_t sz)
{
	int	 n;

	if (name[0] == '\0' || !all_of(name, "0123456789abcdef"))
		return WD_E_BADREQ;
	n = snprintf(buf, sz, "%s/%s/%s", s3->base, s3->bucket, name);
	if (n < 0 || (size_t)n >= sz)
		return WD_E_TOOBIG;
	return WD_OK;
}

struct curl_slist *
wd_s3_headers(const struct wd_s3 *s3, const char *range)
{
	struct curl_slist	*h = NULL, *t;
	char			 line[128];

	/* the payload is not hashed: streaming needs no second pass
	 * (AWS SigV4 "unsigned payload" option) */
	h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	/* no "Expect:" override here: curl would sign it as an empty
	 * header it then does not send, which real S3 refuses */
	if (h != NULL && range != NULL) {
		snprintf(line, sizeof(line), "Range: %s", range);
		if ((t = curl_slist_append(h, line)) != NULL)
			h = t;
	}
	if (h != NULL && s3->amz_date != NULL) {
		snprintf(line, sizeof(line), "X-Amz-Date: %s", s3->amz_date);
		if ((t = curl_slist_append(h, line)) != NULL)
			h = t;
	}
	return h;
}

static void
setup(struct wd_s3 *s3, const char *url, struct curl_slist *h)
{
	CURL	*c = s3->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s3->sigv4);
	curl_easy_setopt(c, CURLOPT_USERPWD, s3->userpwd);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, S3_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, S3_LOW_SPEED_TIME);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
}

/* Which S3 call the last transfer was, for the log: the method and the
 * kind of query (never the key or the upload id: user data). */
static const char *
step(CURL *c, const char **method)
{
	const char	*u = NULL;

	*method = NULL;
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_METHOD, method);
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &u);
	if (*method == NULL)
		*method = "?";
	if (u == NULL || (u = strchr(u, '?')) == NULL)
		return "object";
	if (strstr(u, "partNumber=") != NULL)
		return "part";
	if (strstr(u, "uploadId=") != NULL)
		return strcmp(*method, "DELETE") == 0 ? "abort" : "complete";
	if (strstr(u, "uploads") != NULL)
		return strcmp(*method, "POST") == 0 ? "create" : "list uploads";
	return "list";
}

/* Maps a finished transfer to our codes; a failure is logged with the
 * step and what went wrong, so an operator can tell S3 down from S3
 * refusing. A 404 is "not found" only to what reads or deletes: to a
 * write it says the bucket or the upload is gone (NoSuchBucket,
 * NoSuchUpload), the store's failure, never that of the caller's key. */
static enum wd_err
result(struct wd_s3 *s3, CURLcode cc)
{
	const char	*m, *what;
	long		 st = 0;
	enum wd_err	 rc;

	if (cc == CURLE_OK)
		curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, &st);
	if (cc == CURLE_OK && st >= 200 && st < 300)
		return WD_OK;
	what = step(s3->curl, &m);
	if (cc == CURLE_OK && st == 404 && (strcmp(m, "GET") == 0 ||
	    strcmp(m, "HEAD") == 0 || strcmp(m, "DELETE") == 0))
		return WD_E_NOTFOUND;
	rc = cc != CURLE_OK || st >= 500 || st == 0 || st == 404 ?
	    WD_E_STOREDOWN : WD_E_INTERNAL;
	if (cc != CURLE_OK)
		wd_log(NULL, WD_LOG_WARN, "s3", "%s %s failed: %s", m, what,
		    curl_easy_strerror(cc));
	else
		wd_log(NULL, WD_LOG_WARN, "s3", "%s %s answered %ld", m, what,
		    st);
	return rc;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* A PUT of size bytes, read by fn from arg; the answer's body is not
 * wanted. The caller adds what else it needs, then performs. */
static void
setup_put(struct wd_s3 *s3, const char *url, struct curl_slist *h,
    uint64_t size, curl_read_callback fn, void *arg)
{
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)size);
	curl_easy_setopt(s3->curl, CURLOPT_READFUNCTION, fn);
	curl_easy_setopt(s3->curl, CURLOPT_READDATA, arg);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, discard);
}

struct getctx {
	struct wd_s3	*s3;
	wd_s3_data_fn	 fn;
	void		*arg;
	int		*started;
	enum wd_err	 stop;
	uint64_t	 off, len;	/* what was asked */
	uint64_t	 got;		/* object bytes passed to fn */
	char		 crange[96];	/* Content-Range of the answer */
	char		 clen[32];	/* Content-Length of the answer */
	int		 done;		/* stopped after the last byte */
};

/* Keeps the Content-Range and Content-Length of the last answer. */
static size_t
header_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct getctx	*g = arg;
	size_t		 len = sz * n, k, v;
	char		*dst = NULL;
	size_t		 dsz = 0;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		g->crange[0] = g->clen[0] = '\0';	/* a new answer */
		return len;
	}
	if (len > 14 && strncasecmp(p, "Content-Range:", 14) == 0) {
		k = 14;
		dst = g->crange;
		dsz = sizeof(g->crange);
	} else if (len > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
		k = 15;
		dst = g->clen;
		dsz = sizeof(g->clen);
	}
	if (dst == NULL)
		return len;
	while (k < len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	v = len;
	while (v > k && (p[v - 1] == '\r' || p[v - 1] == '\n' ||
	    p[v - 1] == ' '))
		v--;
	if (v - k < dsz) {
		memcpy(dst, p + k, v - k);
		dst[v - k] = '\0';
	}
	return len;
}

/*
 * The answer carries the bytes asked for: 206 with "bytes A-B/T" where A
 * is the offset asked and B at least the last byte asked (a server may
 * send more: s3rver answers "bytes=0-0" with the whole object; the
 * surplus is never passed on), and a Content-Length of B - A + 1. A 200
 * with the whole object, another offset, a shorter range or a proxy's
 * page is refused before a byte reaches the client.
 */
static int
answer_matches(const struct getctx *g, long st)
{
	return st == 206 && wd_s3_range_ok(g->crange, g->clen, g->off,
	    g->len);
}

static size_t
write_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct getctx	*g = arg;
	long		 st = 0;
	size_t		 k = sz * n;

	/* an error answer's body is S3's XML, not the object */
	curl_easy_getinfo(g->s3->curl, CURLINFO_RESPONSE_CODE, &st);
	if (st < 200 || st >= 300)
		return sz * n;
	if (!*g->started && !answer_matches(g, st)) {
		g->stop = WD_E_STOREDOWN;
		return 0;
	}
	/* never more than asked, whatever the server sends: once the
	 * range is complete the transfer is stopped (g->done) */
	if (k > g->len - g->got)
		k = (size_t)(g->len - g->got);
	*g->started = 1;
	g->got += k;
	if (k > 0)
		g->stop = g->fn(g->arg, p, k);
	if (g->stop != WD_OK)
		return 0;
	if (g->got == g->len && k < sz * n) {
		g->done = 1;
		return 0;
	}
	return sz * n;
}

enum wd_err
wd_s3_get(struct wd_s3 *s3, const char *name, uint64_t off, uint64_t len,
    wd_s3_data_fn fn, void *arg, int *started)
{
	struct curl_slist	*h = NULL;
	struct getctx		 g;
	char			 url[1024], range[64];
	enum wd_err		 rc;
	CURLcode		 cc;

	*started = 0;
	memset(&g, 0, sizeof(g));
	g.s3 = s3;
	g.fn = fn;
	g.arg = arg;
	g.started = started;
	g.off = off;
	g.len = len;
	rc = wd_s3_url(s3, name, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	if (len == 0)
		return WD_OK;
	/* always a range: the answer can then be checked against it */
	if (len == UINT64_MAX || off > UINT64_MAX - len)
		return WD_E_INTERNAL;
	snprintf(range, sizeof(range), "bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	h = wd_s3_headers(s3, range);
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, &g);
	curl_easy_setopt(s3->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(s3->curl, CURLOPT_HEADERDATA, &g);
	cc = curl_easy_perform(s3->curl);
	curl_slist_free_all(h);
	if (g.stop != WD_OK)
		return g.stop;
	rc = g.done ? WD_OK : result(s3, cc);
	/* a 2xx with fewer bytes than asked (connection cut, a lying
	 * server): the caller must not finish the answer as complete */
	if (rc == WD_OK && g.got != len)
		rc = WD_E_STOREDOWN;
	return rc;
}

/* An answer body kept for its few fields (UploadId, <Error>). */
struct small {
	char	 p[4096];
	size_t	 len;
	char	 etag[WD_S3_MAX_ETAG + 1];
};

/* Keeps the first 4 KiB of an answer, past the whitespace S3 sends to
 * keep a long CompleteMultipartUpload's connection alive before its
 * result (which could otherwise fill the buffer and hide it). */
static size_t
small_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct small	*b = arg;
	size_t		 len = sz * n, i = 0, k;

	while (b->len == 0 && i < len && (p[i] == ' ' || p[i] == '\t' ||
	    p[i] == '\r' || p[i] == '\n'))
		i++;
	k = len - i < sizeof(b->p) - 1 - b->len ? len - i :
	    sizeof(b->p) - 1 - b->len;
	memcpy(b->p + b->len, p + i, k);
	b->len += k;
	b->p[b->len] = '\0';
	return len;
}

/* DELETE of url (an object, or a multipart upload to abort); the
 * answer's body into b when b is not NULL. */
static enum wd_err
delete_url(struct wd_s3 *s3, const char *url, struct small *b)
{
	struct curl_slist	*h;
	enum wd_err		 rc;

	h = wd_s3_headers(s3, NULL);
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (b == NULL) {
		curl_easy_setopt(s3->curl, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, discard);
	} else {
		curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, small_cb);
		curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, b);
	}
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	return rc;
}

enum wd_err
wd_s3_delete(struct wd_s3 *s3, const char *name)
{
	char		 url[1024];
	enum wd_err	 rc;

	rc = wd_s3_url(s3, name, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	return delete_url(s3, url, NULL);
}

/* ---- multipart upload (issue #11): parts of a bounded size ---- */

static size_t
etag_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct small	*b = arg;
	size_t		 len = sz * n, k = 5, v;

	if (len <= 5 || strncasecmp(p, "ETag:", 5) != 0)
		return len;
	while (k < len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	v = len;
	while (v > k && (p[v - 1] == '\r' || p[v - 1] == '\n' ||
	    p[v - 1] == ' '))
		v--;
	if (v - k <= WD_S3_MAX_ETAG && memchr(p + k, '<', v - k) == NULL &&
	    memchr(p + k, '&', v - k) == NULL) {
		memcpy(b->etag, p + k, v - k);
		b->etag[v - k] = '\0';
	}
	return len;
}

/* A PUT's body as curl reads it (struct wd_s3_body). */
struct bodyctx {
	const struct wd_s3_body	*b;
	uint64_t		 done;
	enum wd_err		 err;	/* what stopped the source */
};

static size_t
read_body(char *p, size_t sz, size_t n, void *arg)
{
	struct bodyctx	*c = arg;
	uint64_t	 left = c->b->len - c->done;
	size_t		 k = sz * n < left ? sz * n : (size_t)left;
	size_t		 got = 0;

	if (k == 0)
		return 0;
	if (c->b->buf != NULL) {
		memcpy(p, c->b->buf + c->done, k);
		got = k;
	} else if (c->b->fn == NULL ||
	    (c->err = c->b->fn(c->b->arg, p, k, &got)) != WD_OK || got == 0 ||
	    got > k) {
		if (c->err == WD_OK)
			c->err = WD_E_INTERNAL;
		return CURL_READFUNC_ABORT;
	}
	c->done += got;
	return got;
}

/* Performs the PUT set up with c; the source's own failure (a client
 * gone mid-body) is returned as it is, not as S3 being down. */
static enum wd_err
put_perform(struct wd_s3 *s3, struct bodyctx *c)
{
	CURLcode	 cc = curl_easy_perform(s3->curl);
	enum wd_err	 rc;

	if (c->err != WD_OK)
		return c->err;
	rc = result(s3, cc);
	/* a server that answers before it has the whole body did not
	 * store it */
	if (rc == WD_OK && c->done != c->b->len) {
		wd_log(NULL, WD_LOG_WARN, "s3", "PUT answered before its body "
		    "was sent");
		rc = WD_E_STOREDOWN;
	}
	return rc;
}

/* url + "?" + query (the upload id escaped). */
static enum wd_err
mpu_url(struct wd_s3 *s3, const char *name, const char *q1,
    const char *id, char *buf, size_t sz)
{
	char	*esc = NULL;
	int	 n;
	size_t	 ul;

	if (wd_s3_url(s3, name, buf, sz) != WD_OK)
		return WD_E_INTERNAL;
	ul = strlen(buf);
	if (id != NULL) {
		esc = curl_easy_escape(s3->curl, id, 0);
		if (esc == NULL)
			return WD_E_INTERNAL;
	}
	n = snprintf(buf + ul, sz - ul, "?%s%s", q1, esc == NULL ? "" : esc);
	curl_free(esc);
	return n < 0 || (size_t)n >= sz - ul ? WD_E_TOOBIG : WD_OK;
}

enum wd_err
wd_s3_mpu_begin(struct wd_s3 *s3, const char *name, char *id, size_t idsz)
{
	struct curl_slist	*h;
	struct small		 b;
	char			 url[1100];
	enum wd_err		 rc;

	memset(&b, 0, sizeof(b));
	id[0] = '\0';
	rc = mpu_url(s3, name, "uploads=", NULL, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	h = wd_s3_headers(s3, NULL);
	setup(s3, url, h);
	/* libcurl sends a request again, unasked, when a reused connection
	 * dies before any answer; a CreateMultipartUpload that S3 did carry
	 * out would then leave an upload whose id nobody learns. A fresh
	 * connection is never retried (one per multipart upload). */
	curl_easy_setopt(s3->curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, small_cb);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, &b);
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	if (rc == WD_OK)
		rc = wd_s3_xml_field(b.p, "UploadId", id, idsz);
	return rc;
}

enum wd_err
wd_s3_mpu_part(struct wd_s3 *s3, const char *name, const char *id,
    unsigned part, const struct wd_s3_body *body, char *etag, size_t etsz)
{
	struct curl_slist	*h;
	struct small		 b;
	struct bodyctx		 c = { body, 0, WD_OK };
	char			 url[1400], q[48];
	enum wd_err		 rc;

	memset(&b, 0, sizeof(b));
	snprintf(q, sizeof(q), "partNumber=%u&uploadId=", part);
	rc = mpu_url(s3, name, q, id, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	h = wd_s3_headers(s3, NULL);
	setup_put(s3, url, h, body->len, read_body, &c);
	curl_easy_setopt(s3->curl, CURLOPT_HEADERFUNCTION, etag_cb);
	curl_easy_setopt(s3->curl, CURLOPT_HEADERDATA, &b);
	rc = put_perform(s3, &c);
	curl_slist_free_all(h);
	if (rc == WD_OK && (b.etag[0] == '\0' || strlen(b.etag) >= etsz))
		rc = WD_E_INTERNAL;	/* no ETag: cannot complete */
	if (rc == WD_OK)
		snprintf(etag, etsz, "%s", b.etag);
	return rc;
}

/* The stall limit of completing an upload of n parts. */
static long
complete_time(unsigned n)
{
	long	 t = S3_LOW_SPEED_TIME + (long)(n / S3_COMPLETE_PARTS_PER_S);

	return t > S3_COMPLETE_MAX_TIME ? S3_COMPLETE_MAX_TIME : t;
}

enum wd_err
wd_s3_mpu_complete(struct wd_s3 *s3, const char *name, const char *id,
    const char *etags, size_t stride, unsigned n)
{
	struct curl_slist	*h, *t;
	struct small		 b;
	char			 url[1400], *xml;
	size_t			 cap, len = 0;
	unsigned		 i;
	enum wd_err		 rc;
	int			 k;

	memset(&b, 0, sizeof(b));
	rc = mpu_url(s3, name, "uploadId=", id, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	/* <Part><PartNumber>N</PartNumber><ETag>E</ETag></Part>: 64 bytes
	 * of markup and digits per part, plus the etag */
	cap = 128 + (size_t)n * (64 + stride);
	xml = wd_xmalloc(cap);
	k = snprintf(xml, cap, "<CompleteMultipartUpload>");
	len = (size_t)k;
	for (i = 0; i < n; i++) {
		k = snprintf(xml + len, cap - len, "<Part><PartNumber>%u"
		    "</PartNumber><ETag>%s</ETag></Part>", i + 1,
		    etags + (size_t)i * stride);
		if (k < 0 || (size_t)k >= cap - len) {
			free(xml);
			return WD_E_INTERNAL;
		}
		len += (size_t)k;
	}
	k = snprintf(xml + len, cap - len, "</CompleteMultipartUpload>");
	if (k < 0 || (size_t)k >= cap - len) {
		free(xml);
		return WD_E_INTERNAL;
	}
	len += (size_t)k;
	h = wd_s3_headers(s3, NULL);
	if (h != NULL && (t = curl_slist_append(h, "Content-Type: "
	    "application/xml")) != NULL)
		h = t;
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_LOW_SPEED_TIME, complete_time(n));
	curl_easy_setopt(s3->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDS, xml);
	curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, small_cb);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, &b);
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	free(xml);
	/* S3 may answer 200 and then report a failure in the body */
	if (rc == WD_OK && (strstr(b.p, "<Error>") != NULL ||
	    strstr(b.p, "CompleteMultipartUploadResult") == NULL))
		rc = WD_E_STOREDOWN;
	return rc;
}

enum wd_err
wd_s3_mpu_abort(struct wd_s3 *s3, const char *name, const char *id)
{
	struct small	 b;
	char		 url[1400];
	enum wd_err	 rc;

	memset(&b, 0, sizeof(b));
	rc = mpu_url(s3, name, "uploadId=", id, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	rc = delete_url(s3, url, &b);
	/* S3's 404 NoSuchUpload: aborted or completed already; either way
	 * no part of it is left. Any other 404 (a proxy's page, no bucket)
	 * tells nothing, and the upload stays on record for gc. */
	if (rc == WD_E_NOTFOUND && strstr(b.p, "<Code>NoSuchUpload</Code>") ==
	    NULL) {
		wd_log(NULL, WD_LOG_WARN, "s3", "DELETE abort answered 404 "
		    "without NoSuchUpload");
		rc = WD_E_STOREDOWN;
	}
	return rc == WD_E_NOTFOUND ? WD_OK : rc;
}

enum wd_err
wd_s3_put(struct wd_s3 *s3, const char *name, const struct wd_s3_body *b)
{
	struct curl_slist	*h;
	struct bodyctx		 c = { b, 0, WD_OK };
	char			 url[1024];
	enum wd_err		 rc;

	rc = wd_s3_url(s3, name, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	h = wd_s3_headers(s3, NULL);
	setup_put(s3, url, h, b->len, read_body, &c);
	rc = put_perform(s3, &c);
	curl_slist_free_all(h);
	return rc;
}

/* ---- listing, for the sweep (issue #11) ---- */

static size_t
buf_cb(char *p, size_t sz, size_t n, void *arg)
{
	/* a page past the cap marks the buffer failed: the page is
	 * refused as a whole, never half-read */
	(void)wd_buf_add(arg, p, sz * n);
	return sz * n;
}

/* GET of url (a listing) into b, reset first and NUL-terminated; a page
 * larger than b's bound is an error (wd_buf_status). */
static enum wd_err
get_text(struct wd_s3 *s3, const char *url, struct wd_buf *b)
{
	struct curl_slist	*h;
	enum wd_err		 rc;

	wd_buf_reset(b);
	h = wd_s3_headers(s3, NULL);
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, buf_cb);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, b);
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	if (rc == WD_OK)
		rc = wd_buf_add(b, "", 1);	/* NUL */
	if (rc == WD_OK)
		rc = wd_buf_status(b);
	return rc;
}

enum wd_err
wd_s3_list(struct wd_s3 *s3, wd_s3_list_fn fn, void *arg)
{
	struct wd_buf		 b;
	char			 url[2048], tok[1024];
	char			*esc;
	enum wd_err		 rc = WD_OK;
	size_t			 pages = 0;
	int			 more = 1, k;

	tok[0] = '\0';
	wd_buf_init(&b, WD_S3_MAX_LIST_PAGE);
	while (rc == WD_OK && more && pages++ < s3->max_pages) {
		/* parameters in SigV4's canonical (sorted) order */
		esc = tok[0] == '\0' ? NULL :
		    curl_easy_escape(s3->curl, tok, 0);
		k = snprintf(url, sizeof(url), "%s/%s?%s%s%slist-type=2&"
		    "max-keys=1000", s3->base, s3->bucket,
		    esc != NULL ? "continuation-token=" : "",
		    esc != NULL ? esc : "", esc != NULL ? "&" : "");
		curl_free(esc);
		if (k < 0 || (size_t)k >= sizeof(url)) {
			rc = WD_E_TOOBIG;
			break;
		}
		rc = get_text(s3, url, &b);
		if (rc == WD_OK)	/* b.len counts the NUL */
			rc = wd_s3_list_page(b.p, b.len - 1, time(NULL), fn,
			    arg, tok, sizeof(tok), &more);
	}
	if (rc == WD_OK && more) {	/* the cap, with pages left */
		wd_log(NULL, WD_LOG_WARN, "s3", "bucket listing still "
		    "truncated after %zu pages: not finished", s3->max_pages);
		rc = WD_E_TOOBIG;
	}
	wd_buf_cleanup(&b);
	return rc;
}

/* ListMultipartUploads for one key: its uploads' ids. */
enum wd_err
wd_s3_mpu_list(struct wd_s3 *s3, const char *name, wd_s3_upload_fn fn,
    void *arg)
{
	struct wd_buf		 b;
	char			 url[1400];
	enum wd_err		 rc;
	int			 k;

	if (wd_s3_url(s3, name, url, sizeof(url)) != WD_OK)
		return WD_E_INTERNAL;
	/* name is hex (wd_s3_url checked it): no escaping; parameters in
	 * SigV4's canonical (sorted) order */
	k = snprintf(url, sizeof(url), "%s/%s?prefix=%s&uploads=", s3->base,
	    s3->bucket, name);
	if (k < 0 || (size_t)k >= sizeof(url))
		return WD_E_TOOBIG;
	wd_buf_init(&b, WD_S3_MAX_LIST_PAGE);
	rc = get_text(s3, url, &b);
	if (rc == WD_OK)	/* b.len counts the NUL */
		rc = wd_s3_uploads_page(b.p, b.len - 1, name, fn, arg);
	wd_buf_cleanup(&b);
	return rc;
}
