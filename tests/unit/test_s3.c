/*
 * test_s3.c: the S3 client's inputs (src/wd_s3.c): configuration checks,
 * object URLs, the headers added, and the request libcurl signs. s3rver
 * (tests/e2e/test_storage_s3.py) verifies signatures end to end; here
 * one signed request is captured by a local listener and its
 * Authorization header compared with a SigV4 signature computed
 * independently by a few lines of Python (hmac, the AWS SigV4
 * documentation's steps) from the captured request and the same key.
 * ListMultipartUploads and AbortMultipartUpload are run against canned
 * answers shaped as in the S3 API reference (s3rver has neither).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wd_s3.h"
#include "wd_test.h"

#define M	"s3"

struct icase {
	const char	*name;
	const char	*ep, *bucket, *region, *key, *secret;
	const char	*var;		/* NULL: accepted */
};

static void
test_init(void)
{
	static const struct icase cases[] = {
		{ "good", "http://127.0.0.1:9000", "warden", "us-east-1",
		    "AK", "SECRETVALUE", NULL },
		{ "https", "https://s3.example.com/", "a.b-c", "eu-west-3",
		    "AK", "SECRETVALUE", NULL },
		{ "no endpoint", NULL, "warden", "us-east-1", "AK",
		    "SECRETVALUE", "WARDEN_S3_ENDPOINT" },
		{ "ftp endpoint", "ftp://x", "warden", "us-east-1", "AK",
		    "SECRETVALUE", "WARDEN_S3_ENDPOINT" },
		{ "endpoint with query", "http://x/?a", "warden", "us-east-1",
		    "AK", "SECRETVALUE", "WARDEN_S3_ENDPOINT" },
		{ "upper-case bucket", "http://x", "Warden", "us-east-1",
		    "AK", "SECRETVALUE", "WARDEN_S3_BUCKET" },
		{ "bucket with /", "http://x", "a/b", "us-east-1", "AK",
		    "SECRETVALUE", "WARDEN_S3_BUCKET" },
		{ "short bucket", "http://x", "ab", "us-east-1", "AK",
		    "SECRETVALUE", "WARDEN_S3_BUCKET" },
		{ "bad region", "http://x", "warden", "us east", "AK",
		    "SECRETVALUE", "WARDEN_S3_REGION" },
		{ "key with colon", "http://x", "warden", "us-east-1", "A:K",
		    "SECRETVALUE", "WARDEN_S3_ACCESS_KEY_ID" },
		{ "no secret", "http://x", "warden", "us-east-1", "AK", "",
		    "WARDEN_S3_SECRET_ACCESS_KEY" },
	};
	struct wd_s3	 s3;
	char		 err[256], name[128];
	size_t		 i;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct icase	*c = &cases[i];

		err[0] = '\0';
		rc = wd_s3_init(&s3, c->ep, c->bucket, c->region, c->key,
		    c->secret, err, sizeof(err));
		snprintf(name, sizeof(name), "init %s", c->name);
		if (c->var == NULL)
			CHECK(M, name, rc == WD_OK);
		else
			CHECK(M, name, rc == WD_E_CONFIG &&
			    strncmp(err, c->var, strlen(c->var)) == 0 &&
			    strstr(err, "SECRETVALUE") == NULL);
		wd_s3_cleanup(&s3);
	}
}

static void
test_url_headers(void)
{
	struct wd_s3		 s3;
	struct curl_slist	*h, *p;
	char			 err[128], url[256];
	int			 unsigned_ = 0, range = 0;

	wd_s3_init(&s3, "http://127.0.0.1:9000//", "bkt", "us-east-1", "AK",
	    "SK", err, sizeof(err));
	CHECK(M, "url path-style, trailing / dropped", wd_s3_url(&s3,
	    "0123abcd", url, sizeof(url)) == WD_OK &&
	    strcmp(url, "http://127.0.0.1:9000/bkt/0123abcd") == 0);
	CHECK(M, "url refuses a non-hex name", wd_s3_url(&s3, "../x", url,
	    sizeof(url)) == WD_E_BADREQ);
	CHECK(M, "url refuses an empty name", wd_s3_url(&s3, "", url,
	    sizeof(url)) == WD_E_BADREQ);
	CHECK(M, "url too small a buffer", wd_s3_url(&s3, "ab", url, 8) ==
	    WD_E_TOOBIG);
	h = wd_s3_headers(&s3, "bytes=1-2");
	for (p = h; p != NULL; p = p->next) {
		unsigned_ |= strcmp(p->data,
		    "x-amz-content-sha256: UNSIGNED-PAYLOAD") == 0;
		range |= strcmp(p->data, "Range: bytes=1-2") == 0;
	}
	CHECK(M, "headers: unsigned payload", unsigned_);
	CHECK(M, "headers: range", range);
	curl_slist_free_all(h);
	wd_s3_cleanup(&s3);
}

/* Accepts conns connections on lfd, one after the other; of each,
 * copies the request head to out and sends answer (a whole HTTP
 * response, "Connection: close"). Runs in a child process. */
static void
serve_canned(int lfd, int out, const char *answer, int conns)
{
	char	 buf[8192];
	size_t	 n;
	ssize_t	 r;
	int	 c;

	while (conns-- > 0) {
		if ((c = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		for (n = 0; n < sizeof(buf) - 1; ) {
			r = read(c, buf + n, sizeof(buf) - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			buf[n] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		if (write(out, buf, n) < 0 ||
		    write(c, answer, strlen(answer)) < 0)
			_exit(1);
		close(c);
	}
	_exit(0);
}

/* An S3 stand-in on 127.0.0.1: a child that answers each of a few
 * requests with a canned response and hands back the request heads it
 * read. */
struct fake {
	int	 lfd, rfd;	/* listener (the child's once forked);
				 * the pipe's read end */
	pid_t	 pid;
	char	 ep[64];	/* its endpoint URL */
};

/* Starts f answering answer, conns connections; -1 when no listener
 * could be made. */
static int
fake_start_n(struct fake *f, const char *answer, int conns)
{
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	int			 pfd[2];

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0 || listen(f->lfd, 1) != 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&sa, &sl) != 0 ||
	    pipe(pfd) != 0) {
		if (f->lfd >= 0)
			close(f->lfd);
		return -1;
	}
	f->pid = fork();
	if (f->pid == 0)
		serve_canned(f->lfd, pfd[1], answer, conns);
	/* the child's alone: a request past its conns is refused once it
	 * exits, rather than left waiting for an answer */
	close(f->lfd);
	close(pfd[1]);
	f->rfd = pfd[0];
	snprintf(f->ep, sizeof(f->ep), "http://127.0.0.1:%d",
	    ntohs(sa.sin_port));
	return 0;
}

static int
fake_start(struct fake *f, const char *answer)
{
	return fake_start_n(f, answer, 1);
}

/* The request heads f received (NUL-terminated in head); ends f. The
 * child wrote each head before its answer, so by now every head is in
 * the pipe; killed, not awaited: fewer requests than it expected must
 * fail a check, not hang the test. */
static void
fake_finish(struct fake *f, char *head, size_t sz)
{
	ssize_t	 n;
	int	 st;

	kill(f->pid, SIGKILL);
	waitpid(f->pid, &st, 0);
	n = read(f->rfd, head, sz - 1);
	head[n > 0 ? n : 0] = '\0';
	close(f->rfd);
}

/* The reference: AWS SigV4 for the captured request (host from the
 * Host header; the signed headers curl chose), in Python's hmac. */
static const char sigv4_py[] =
"import hashlib,hmac,sys\n"
"h=sys.stdin.read().split('\\r\\n')\n"
"m,p,_=h[0].split(' ')\n"
"hd={}\n"
"for l in h[1:]:\n"
"  if ':' in l:\n"
"    k,v=l.split(':',1);hd.setdefault(k.strip().lower(),v.strip())\n"
"a=hd['authorization'];sh=a.split('SignedHeaders=')[1].split(',')[0]\n"
"got=a.split('Signature=')[1].strip()\n"
"ch=''.join('%s:%s\\n'%(k,hd[k]) for k in sh.split(';'))\n"
"cr='\\n'.join([m,p,'',ch,sh,'UNSIGNED-PAYLOAD'])\n"
"d=hd['x-amz-date'];sc=d[:8]+'/us-east-1/s3/aws4_request'\n"
"sts='\\n'.join(['AWS4-HMAC-SHA256',d,sc,"
"hashlib.sha256(cr.encode()).hexdigest()])\n"
"k=('AWS4'+sys.argv[1]).encode()\n"
"for x in (d[:8],'us-east-1','s3','aws4_request'):\n"
"  k=hmac.new(k,x.encode(),hashlib.sha256).digest()\n"
"w=hmac.new(k,sts.encode(),hashlib.sha256).hexdigest()\n"
"sys.exit(0 if w==got and sh=='host;x-amz-content-sha256;x-amz-date'"
" else 1)\n";

static int
sigv4_ok(const char *head)
{
	char	 cmd[4096];
	FILE	*f;
	int	 n;

	n = snprintf(cmd, sizeof(cmd), "python3 -c \"$(cat <<'EOF'\n%s"
	    "EOF\n)\" 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'", sigv4_py);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return 0;
	f = popen(cmd, "w");
	if (f == NULL)
		return 0;
	fputs(head, f);
	return pclose(f) == 0;
}

static void
test_signature(void)
{
	struct fake	 f;
	struct wd_s3	 s3;
	char		 err[128], head[8192] = "";
	enum wd_err	 rc;

	if (fake_start(&f, "HTTP/1.1 204 No Content\r\n\r\n") != 0) {
		CHECK(M, "signature: listener", 0);
		return;
	}
	wd_s3_init(&s3, f.ep, "bkt", "us-east-1", "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", err, sizeof(err));
	s3.amz_date = strdup("20240101T000000Z");
	rc = wd_s3_delete(&s3, "0123456789abcdef0123456789abcdef");
	CHECK(M, "signature: request answered 204", rc == WD_OK);
	fake_finish(&f, head, sizeof(head));
	CHECK(M, "signature: path-style DELETE", strncmp(head, "DELETE "
	    "/bkt/0123456789abcdef0123456789abcdef HTTP/1.1\r\n", 52) == 0);
	CHECK(M, "signature: unsigned payload sent", strstr(head,
	    "\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n") != NULL);
	CHECK(M, "signature: fixed date sent", strstr(head,
	    "\r\nX-Amz-Date: 20240101T000000Z\r\n") != NULL);
	CHECK(M, "signature: credential scope and signed headers",
	    strstr(head, "Authorization: AWS4-HMAC-SHA256 Credential="
	    "AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders="
	    "host;x-amz-content-sha256;x-amz-date, Signature=") != NULL);
	CHECK(M, "signature: matches an independent SigV4",
	    sigv4_ok(head));
	if (getenv("WD_TEST_VERBOSE") != NULL)
		fputs(head, stderr);
	wd_s3_cleanup(&s3);
}

#define BLOB	"0123456789abcdef0123456789abcdef"

/* A ListMultipartUploads answer shaped as in the S3 API reference. */
#define LIST_HEAD	"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n" \
	"Connection: close\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
	"<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/" \
	"2006-03-01/\"><Bucket>bkt</Bucket><KeyMarker></KeyMarker>" \
	"<UploadIdMarker></UploadIdMarker><NextKeyMarker>" BLOB \
	"</NextKeyMarker><Prefix>" BLOB "</Prefix><MaxUploads>1000" \
	"</MaxUploads>"
#define UPLOAD(k, id)	"<Upload><Key>" k "</Key><UploadId>" id \
	"</UploadId><Initiator><ID>x</ID><DisplayName>x</DisplayName>" \
	"</Initiator><StorageClass>STANDARD</StorageClass><Initiated>" \
	"2024-01-01T00:00:00.000Z</Initiated></Upload>"

struct lcase {
	const char	*name;
	const char	*answer;
	enum wd_err	 want;
	const char	*ids;		/* the ids passed on, ";" after each */
};

static enum wd_err
collect(void *arg, const char *id)
{
	char	*ids = arg;
	size_t	 n = strlen(ids);

	snprintf(ids + n, 512 - n, "%s;", id);
	return WD_OK;
}

/* One request of the multipart calls against a canned answer: the
 * request line sent, the result, and (list) the ids passed on. */
static enum wd_err
canned(const char *answer, int list, char *line, size_t lsz, char *ids)
{
	struct fake	 f;
	struct wd_s3	 s3;
	char		 err[128], head[8192] = "", *e;
	enum wd_err	 rc;

	if (fake_start(&f, answer) != 0)
		return WD_E__MAX;
	wd_s3_init(&s3, f.ep, "bkt", "us-east-1", "AKIDEXAMPLE", "secret",
	    err, sizeof(err));
	ids[0] = '\0';
	rc = list ? wd_s3_mpu_list(&s3, BLOB, collect, ids) :
	    wd_s3_mpu_abort(&s3, BLOB, "up/id+1");
	fake_finish(&f, head, sizeof(head));
	e = strstr(head, "\r\n");
	snprintf(line, lsz, "%.*s", e == NULL ? 0 : (int)(e - head), head);
	wd_s3_cleanup(&s3);
	return rc;
}

/* ListMultipartUploads (the sweep's way to an upload whose id was never
 * learned) and AbortMultipartUpload's answers. */
static void
test_mpu_list(void)
{
	static const struct lcase cases[] = {
		{ "list: this key's uploads only, not a longer key's",
		    LIST_HEAD "<IsTruncated>false</IsTruncated>"
		    UPLOAD(BLOB, "id-1") UPLOAD(BLOB "x", "id-2")
		    UPLOAD(BLOB, "id-3") "</ListMultipartUploadsResult>",
		    WD_OK, "id-1;id-3;" },
		{ "list: none",
		    LIST_HEAD "<IsTruncated>false</IsTruncated>"
		    "</ListMultipartUploadsResult>", WD_OK, "" },
		{ "list: more than a page is refused",
		    LIST_HEAD "<IsTruncated>true</IsTruncated>"
		    UPLOAD(BLOB, "id-1") "</ListMultipartUploadsResult>",
		    WD_E_TOOBIG, "id-1;" },
		{ "list: an upload without an id is refused",
		    LIST_HEAD "<IsTruncated>false</IsTruncated><Upload><Key>"
		    BLOB "</Key></Upload></ListMultipartUploadsResult>",
		    WD_E_INTERNAL, "" },
		{ "list: a 200 that is not the listing is refused",
		    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<html>"
		    "<Upload><Key>" BLOB "</Key><UploadId>x</UploadId>"
		    "</Upload></html>", WD_E_INTERNAL, "" },
		{ "list: 503 is storage down",
		    "HTTP/1.1 503 Slow Down\r\nConnection: close\r\n\r\n",
		    WD_E_STOREDOWN, "" },
	};
	char	 line[512], ids[512], name[128];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum wd_err	 rc = canned(cases[i].answer, 1, line,
		    sizeof(line), ids);

		CHECK(M, cases[i].name, rc == cases[i].want &&
		    strcmp(ids, cases[i].ids) == 0);
		snprintf(name, sizeof(name), "%s: request", cases[i].name);
		CHECK(M, name, strcmp(line, "GET /bkt?prefix=" BLOB
		    "&uploads= HTTP/1.1") == 0);
	}
	CHECK(M, "abort: 204 is done", canned("HTTP/1.1 204 No Content\r\n"
	    "\r\n", 0, line, sizeof(line), ids) == WD_OK &&
	    strcmp(line, "DELETE /bkt/" BLOB "?uploadId=up%2Fid%2B1 "
	    "HTTP/1.1") == 0);
	CHECK(M, "abort: 404 NoSuchUpload is done (nothing left)",
	    canned("HTTP/1.1 404 Not Found\r\nContent-Length: 66\r\n\r\n"
	    "<Error><Code>NoSuchUpload</Code><Message>x</Message></Error>"
	    "      ", 0, line, sizeof(line), ids) == WD_OK);
	CHECK(M, "abort: a 404 without NoSuchUpload proves nothing (a "
	    "proxy's page): storage down, the upload stays on record",
	    canned("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
	    "Not Found", 0, line, sizeof(line), ids) == WD_E_STOREDOWN);
	CHECK(M, "abort: 405 (s3rver) is a failure", canned("HTTP/1.1 405 "
	    "Method Not Allowed\r\nContent-Length: 0\r\n\r\n", 0, line,
	    sizeof(line), ids) == WD_E_INTERNAL);
	CHECK(M, "abort: 503 is storage down", canned("HTTP/1.1 503 Slow "
	    "Down\r\nContent-Length: 0\r\n\r\n", 0, line, sizeof(line),
	    ids) == WD_E_STOREDOWN);
}

static enum wd_err
count_key(void *arg, const char *key, time_t mtime)
{
	(void)key;
	(void)mtime;
	(*(int *)arg)++;
	return WD_OK;
}

#define BUCKET_PAGE(more) "HTTP/1.1 200 OK\r\nContent-Type: " \
	"application/xml\r\nConnection: close\r\n\r\n<?xml version=\"1.0\"" \
	" encoding=\"UTF-8\"?><ListBucketResult><Name>bkt</Name><Contents>" \
	"<Key>" BLOB "</Key><LastModified>2024-01-01T00:00:00.000Z" \
	"</LastModified></Contents><IsTruncated>" more "</IsTruncated>" \
	"<NextContinuationToken>t/1+</NextContinuationToken>" \
	"</ListBucketResult>"

/* ListObjectsV2 (the sweep's listing) over pages, against a server that
 * says every page is truncated: past wd_s3.max_pages the listing must
 * fail, not report a bucket it did not finish as swept. */
static void
test_list_pages(void)
{
	static const struct {
		const char	*name, *answer;
		int		 conns;
		enum wd_err	 want;
	} cases[] = {
		{ "list: one page, not truncated: done", BUCKET_PAGE("false"),
		    1, WD_OK },
		{ "list: still truncated after the last page allowed: "
		    "WD_E_TOOBIG, not done", BUCKET_PAGE("true"), 3,
		    WD_E_TOOBIG },
	};
	struct fake	 f;
	struct wd_s3	 s3;
	char		 err[128], head[8192], name[160];
	size_t		 i;
	int		 keys;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (fake_start_n(&f, cases[i].answer, cases[i].conns) != 0) {
			CHECK(M, "list: listener", 0);
			return;
		}
		if (wd_s3_init(&s3, f.ep, "bkt", "us-east-1", "AKIDEXAMPLE",
		    "secret", err, sizeof(err)) != WD_OK) {
			fake_finish(&f, head, sizeof(head));
			CHECK(M, "list: init", 0);
			return;
		}
		s3.max_pages = 3;
		keys = 0;
		rc = wd_s3_list(&s3, count_key, &keys);
		fake_finish(&f, head, sizeof(head));
		CHECK(M, cases[i].name, rc == cases[i].want &&
		    keys == cases[i].conns);
		snprintf(name, sizeof(name), "%s: the token passed on",
		    cases[i].name);
		CHECK(M, name, cases[i].conns == 1 ||
		    strstr(head, "continuation-token=t%2F1%2B&") != NULL);
		wd_s3_cleanup(&s3);
	}
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_init();
	test_url_headers();
	test_signature();
	test_mpu_list();
	test_list_pages();
	curl_global_cleanup();
	return WD_TEST_RESULT();
}
