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
#include <unistd.h>

#include "wd_mem.h"
#include "wd_s3.h"

/* Connect and stall limits: a dead S3 must turn into a 503 quickly, a
 * slow client download must not be cut. */
#define S3_CONNECT_TIMEOUT	5L
#define S3_LOW_SPEED_TIME	30L

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

/* Maps a finished transfer to our codes. */
static enum wd_err
result(struct wd_s3 *s3, CURLcode cc)
{
	long	 st = 0;

	if (cc != CURLE_OK)
		return WD_E_STOREDOWN;
	curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, &st);
	if (st >= 200 && st < 300)
		return WD_OK;
	if (st == 404)
		return WD_E_NOTFOUND;
	if (st >= 500 || st == 0)
		return WD_E_STOREDOWN;
	return WD_E_INTERNAL;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static size_t
read_fd(char *p, size_t sz, size_t n, void *arg)
{
	int	 fd = *(int *)arg;
	ssize_t	 r;

	do
		r = read(fd, p, sz * n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

enum wd_err
wd_s3_put(struct wd_s3 *s3, const char *name, int fd, uint64_t size)
{
	struct curl_slist	*h = NULL;
	char			 url[1024];
	enum wd_err		 rc;

	rc = wd_s3_url(s3, name, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	h = wd_s3_headers(s3, NULL);
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)size);
	curl_easy_setopt(s3->curl, CURLOPT_READFUNCTION, read_fd);
	curl_easy_setopt(s3->curl, CURLOPT_READDATA, &fd);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, discard);
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	return rc;
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
 * The answer carries exactly the bytes asked for: 206 with
 * "bytes off-last/..." and Content-Length len. Anything else (a 200
 * with the whole object, another range, a proxy's page) is refused
 * before a byte reaches the client.
 */
static int
answer_matches(const struct getctx *g, long st)
{
	char	 want[64];
	int	 n;

	if (st != 206)
		return 0;
	n = snprintf(want, sizeof(want), "bytes %llu-%llu/",
	    (unsigned long long)g->off,
	    (unsigned long long)(g->off + g->len - 1));
	if (n < 0 || (size_t)n >= sizeof(want) ||
	    strncmp(g->crange, want, (size_t)n) != 0)
		return 0;
	n = snprintf(want, sizeof(want), "%llu", (unsigned long long)g->len);
	return g->clen[0] == '\0' || strcmp(g->clen, want) == 0;
}

static size_t
write_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct getctx	*g = arg;
	long		 st = 0;

	/* an error answer's body is S3's XML, not the object */
	curl_easy_getinfo(g->s3->curl, CURLINFO_RESPONSE_CODE, &st);
	if (st < 200 || st >= 300)
		return sz * n;
	if (!*g->started && !answer_matches(g, st)) {
		g->stop = WD_E_STOREDOWN;
		return 0;
	}
	/* never more than asked, whatever the server sends */
	if (sz * n > g->len - g->got) {
		g->stop = WD_E_STOREDOWN;
		return 0;
	}
	*g->started = 1;
	g->got += sz * n;
	g->stop = g->fn(g->arg, p, sz * n);
	return g->stop == WD_OK ? sz * n : 0;
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
	rc = result(s3, cc);
	/* a 2xx with fewer bytes than asked (connection cut, a lying
	 * server): the caller must not finish the answer as complete */
	if (rc == WD_OK && g.got != len)
		rc = WD_E_STOREDOWN;
	return rc;
}

enum wd_err
wd_s3_delete(struct wd_s3 *s3, const char *name)
{
	struct curl_slist	*h = NULL;
	char			 url[1024];
	enum wd_err		 rc;

	rc = wd_s3_url(s3, name, url, sizeof(url));
	if (rc != WD_OK)
		return rc;
	h = wd_s3_headers(s3, NULL);
	setup(s3, url, h);
	curl_easy_setopt(s3->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(s3->curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, discard);
	rc = result(s3, curl_easy_perform(s3->curl));
	curl_slist_free_all(h);
	return rc;
}
