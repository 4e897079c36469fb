/*
 * test_multipart.c: the streaming multipart/form-data parser
 * (src/wd_multipart.c). Every good body is also fed split at every
 * position and one byte at a time: the file bytes must not depend on
 * how the stream was chunked.
 */
#include <stdlib.h>
#include <string.h>

#include "wd_buf.h"
#include "wd_multipart.h"
#include "wd_test.h"

#define M	"multipart"

static enum wd_err
sink(void *arg, const char *p, size_t len)
{
	return wd_buf_add(arg, p, len);
}

/* Feeds body in chunks of step bytes (0: whole, then split at split). */
static enum wd_err
run(const char *b, size_t blen, const char *body, size_t len, size_t step,
    size_t split, struct wd_buf *out, char *ctype)
{
	struct wd_mp	*mp = malloc(sizeof(*mp));
	enum wd_err	 rc = WD_OK;
	size_t		 i;

	wd_buf_reset(out);
	wd_mp_init(mp, b, blen, sink, out);
	if (step == 0) {
		rc = wd_mp_feed(mp, body, split);
		if (rc == WD_OK)
			rc = wd_mp_feed(mp, body + split, len - split);
	} else
		for (i = 0; rc == WD_OK && i < len; i += step)
			rc = wd_mp_feed(mp, body + i, len - i < step ?
			    len - i : step);
	if (rc == WD_OK)
		rc = wd_mp_finish(mp);
	if (ctype != NULL)
		memcpy(ctype, mp->ctype, sizeof(mp->ctype));
	free(mp);
	return rc;
}

struct bcase {
	const char	*name;
	const char	*body;
	enum wd_err	 want;
	const char	*file;
	const char	*ctype;
};

#define D	"--XyZ"
#define CD	"Content-Disposition: form-data; name=\"file\"; " \
		"filename=\"a.txt\"\r\n"

static void
test_bodies(void)
{
	static const struct bcase cases[] = {
		{ "simple", D "\r\n" CD "Content-Type: text/plain\r\n\r\n"
		    "hello\r\n" D "--\r\n", WD_OK, "hello", "text/plain" },
		{ "empty file", D "\r\n" CD "\r\n\r\n" D "--", WD_OK, "",
		    "application/octet-stream" },
		{ "CR LF and dashes inside", D "\r\n" CD "\r\n"
		    "a\r\nb\r\n--\r\n--Xy\r\n--XyY\r\r\n\r\n" D "--", WD_OK,
		    "a\r\nb\r\n--\r\n--Xy\r\n--XyY\r\r\n", NULL },
		{ "preamble and epilogue", "junk\r\nmore\r\n" D "\r\n" CD
		    "\r\nx\r\n" D "--\r\nepilogue " D "\r\n", WD_OK, "x",
		    NULL },
		{ "other fields skipped", D "\r\nContent-Disposition: "
		    "form-data; name=\"meta\"\r\n\r\nvalue\r\n" D "\r\n" CD
		    "Content-Type: image/png\r\n\r\nPNG\r\n" D "\r\n"
		    "Content-Disposition: form-data; name=x\r\n\r\n\r\n" D
		    "--", WD_OK, "PNG", "image/png" },
		{ "type before disposition", D "\r\nContent-Type: a/b; x=1"
		    "\r\n" CD "\r\nq\r\n" D "--", WD_OK, "q", "a/b; x=1" },
		{ "case-insensitive names", D "\r\ncontent-disposition: "
		    "FORM-DATA; NAME=file\r\n\r\nq\r\n" D "--", WD_OK, "q",
		    NULL },
		{ "transport padding", D "  \r\n" CD "\r\nq\r\n" D "--",
		    WD_OK, "q", NULL },
		{ "binary", D "\r\n" CD "\r\n\x00\xff\r\x00\n\r\n" D "--",
		    WD_OK, "\x00\xff\r\x00\n", NULL },
		/* refused */
		{ "no file", D "\r\nContent-Disposition: form-data; "
		    "name=\"x\"\r\n\r\nv\r\n" D "--", WD_E_BADREQ, NULL,
		    NULL },
		{ "file named differently", D "\r\nContent-Disposition: "
		    "form-data; name=\"files\"\r\n\r\nv\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "two files", D "\r\n" CD "\r\na\r\n" D "\r\n" CD
		    "\r\nb\r\n" D "--", WD_E_BADREQ, NULL, NULL },
		{ "truncated body", D "\r\n" CD "\r\nhello", WD_E_BADREQ,
		    NULL, NULL },
		{ "no closing delimiter", D "\r\n" CD "\r\nhello\r\n" D,
		    WD_E_BADREQ, NULL, NULL },
		{ "empty body", "", WD_E_BADREQ, NULL, NULL },
		{ "only close", D "--", WD_E_BADREQ, NULL, NULL },
		{ "no disposition", D "\r\nContent-Type: a/b\r\n\r\nx\r\n"
		    D "--", WD_E_BADREQ, NULL, NULL },
		{ "no headers", D "\r\n\r\nx\r\n" D "--", WD_E_BADREQ, NULL,
		    NULL },
		{ "attachment disposition", D "\r\nContent-Disposition: "
		    "attachment; name=file\r\n\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "two dispositions", D "\r\n" CD CD "\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "obs-fold", D "\r\n" CD " folded\r\n\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "header without colon", D "\r\n" CD "junk\r\n\r\nx\r\n"
		    D "--", WD_E_BADREQ, NULL, NULL },
		{ "bare LF header", D "\r\n" "Content-Disposition: "
		    "form-data; name=file\n\r\n\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "CRLF injection in type", D "\r\n" CD "Content-Type: a/b"
		    "\x01x\r\n\r\nx\r\n" D "--", WD_E_BADREQ, NULL, NULL },
		{ "bad type", D "\r\n" CD "Content-Type: text\r\n\r\nx\r\n"
		    D "--", WD_E_BADREQ, NULL, NULL },
		{ "garbage after delimiter", D "x\r\n" CD "\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
		{ "single dash close", D "\r\n" CD "\r\nx\r\n" D "-",
		    WD_E_BADREQ, NULL, NULL },
		{ "unterminated quote", D "\r\nContent-Disposition: "
		    "form-data; name=\"file\r\n\r\nx\r\n" D "--",
		    WD_E_BADREQ, NULL, NULL },
	};
	struct wd_buf	 out, ref;
	char		 name[200], ct[WD_MAX_CTYPE + 1];
	size_t		 i, len, s, flen;
	enum wd_err	 rc;
	int		 same;

	wd_buf_init(&out, 1 << 20);
	wd_buf_init(&ref, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase	*c = &cases[i];

		/* bodies hold NULs: their length is up to the last "--" */
		len = strlen(c->body);
		if (strcmp(c->name, "binary") == 0)
			len = sizeof(D "\r\n" CD "\r\n\x00\xff\r\x00\n\r\n" D
			    "--") - 1;
		flen = c->file == NULL ? 0 : strcmp(c->name, "binary") == 0 ?
		    5 : strlen(c->file);
		rc = run("XyZ", 3, c->body, len, 0, len, &ref, ct);
		snprintf(name, sizeof(name), "%s: result", c->name);
		CHECK(M, name, rc == c->want);
		if (c->want != WD_OK)
			continue;
		snprintf(name, sizeof(name), "%s: file bytes", c->name);
		CHECK(M, name, ref.len == flen &&
		    memcmp(ref.p ? ref.p : "", c->file, flen) == 0);
		if (c->ctype != NULL) {
			snprintf(name, sizeof(name), "%s: content type",
			    c->name);
			CHECK(M, name, strcmp(ct, c->ctype) == 0);
		}
		same = 1;
		for (s = 0; s <= len; s++) {
			rc = run("XyZ", 3, c->body, len, 0, s, &out, NULL);
			if (rc != WD_OK || out.len != ref.len ||
			    memcmp(out.p ? out.p : "", ref.p ? ref.p : "",
			    ref.len) != 0)
				same = 0;
		}
		rc = run("XyZ", 3, c->body, len, 1, 0, &out, NULL);
		if (rc != WD_OK || out.len != ref.len || memcmp(out.p ?
		    out.p : "", ref.p ? ref.p : "", ref.len) != 0)
			same = 0;
		snprintf(name, sizeof(name), "%s: same at every split and "
		    "byte by byte", c->name);
		CHECK(M, name, same);
	}
	wd_buf_cleanup(&out);
	wd_buf_cleanup(&ref);
}

static void
test_limits(void)
{
	struct wd_buf	 out, body;
	size_t		 i;
	enum wd_err	 rc;

	wd_buf_init(&out, 1 << 20);
	wd_buf_init(&body, 1 << 20);
	/* a header block one byte over the cap */
	wd_buf_adds(&body, D "\r\n" CD "X-Pad: ");
	while (body.len < 6 + WD_MAX_MP_HEADER)
		wd_buf_add(&body, "a", 1);
	wd_buf_adds(&body, "\r\n\r\nx\r\n" D "--");
	rc = run("XyZ", 3, body.p, body.len, 0, body.len, &out, NULL);
	CHECK(M, "part header over WD_MAX_MP_HEADER refused",
	    rc == WD_E_BADREQ);
	/* too many parts */
	wd_buf_reset(&body);
	for (i = 0; i <= WD_MAX_MP_PARTS; i++)
		wd_buf_adds(&body, D "\r\nContent-Disposition: form-data; "
		    "name=x\r\n\r\nv\r\n");
	wd_buf_adds(&body, D "\r\n" CD "\r\nx\r\n" D "--");
	rc = run("XyZ", 3, body.p, body.len, 0, body.len, &out, NULL);
	CHECK(M, "more than WD_MAX_MP_PARTS parts refused",
	    rc == WD_E_BADREQ);
	/* a large file streams through in constant memory */
	wd_buf_reset(&body);
	wd_buf_adds(&body, D "\r\n" CD "\r\n");
	for (i = 0; i < 100000; i++)
		wd_buf_add(&body, i % 7 ? "a" : "\r", 1);
	wd_buf_adds(&body, "\r\n" D "--");
	rc = run("XyZ", 3, body.p, body.len, 4096, 0, &out, NULL);
	CHECK(M, "100000-byte file", rc == WD_OK && out.len == 100000);
	wd_buf_cleanup(&out);
	wd_buf_cleanup(&body);
}

static enum wd_err
refuse(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return WD_E_TOOBIG;
}

static void
test_callback_error(void)
{
	static const char body[] = D "\r\n" CD "\r\nhello\r\n" D "--";
	struct wd_mp	*mp = malloc(sizeof(*mp));

	wd_mp_init(mp, "XyZ", 3, refuse, NULL);
	CHECK(M, "callback error returned", wd_mp_feed(mp, body,
	    sizeof(body) - 1) == WD_E_TOOBIG);
	CHECK(M, "callback error is sticky", wd_mp_feed(mp, "x", 1) ==
	    WD_E_TOOBIG && wd_mp_finish(mp) == WD_E_TOOBIG);
	free(mp);
}

struct ctcase {
	const char	*ct;
	enum wd_err	 want;
	const char	*b;
};

static void
test_boundary(void)
{
	static const struct ctcase cases[] = {
		{ "multipart/form-data; boundary=abc", WD_OK, "abc" },
		{ "Multipart/Form-Data;boundary=\"a b:c\"", WD_OK, "a b:c" },
		{ "multipart/form-data; charset=utf-8; BOUNDARY=x", WD_OK,
		    "x" },
		{ "multipart/form-data; boundary=----WebKitFormBoundary7MA4"
		    "YWxkTrZu0gW", WD_OK,
		    "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
		{ "application/octet-stream", WD_E_NOTFOUND, NULL },
		{ "multipart/mixed; boundary=x", WD_E_NOTFOUND, NULL },
		{ "multipart/form-dataX; boundary=x", WD_E_NOTFOUND, NULL },
		{ "", WD_E_NOTFOUND, NULL },
		{ "multipart/form-data", WD_E_BADREQ, NULL },
		{ "multipart/form-data; boundary=", WD_E_BADREQ, NULL },
		{ "multipart/form-data; boundary=\"\"", WD_E_BADREQ, NULL },
		{ "multipart/form-data; boundary=\"a \"", WD_E_BADREQ, NULL },
		{ "multipart/form-data; boundary=a; boundary=b", WD_E_BADREQ,
		    NULL },
		{ "multipart/form-data; boundary=\"a\rb\"", WD_E_BADREQ,
		    NULL },
		{ "multipart/form-data; boundary=\"unterminated",
		    WD_E_BADREQ, NULL },
		{ "multipart/form-data; boundary=12345678901234567890123456"
		    "789012345678901234567890123456789012345678901",
		    WD_E_BADREQ, NULL },	/* 71 */
		{ "multipart/form-data; boundary=12345678901234567890123456"
		    "78901234567890123456789012345678901234567890", WD_OK,
		    "1234567890123456789012345678901234567890123456789012345"
		    "678901234567890" },	/* 70 */
	};
	char	 b[WD_MAX_MP_BOUNDARY + 1], name[200];
	size_t	 i, blen;
	enum wd_err rc;

	/* found by fuzz_multipart: a NUL inside a quoted boundary */
	rc = wd_mp_boundary("multipart/form-data; boundary=\"a\0b\"", 35, b,
	    sizeof(b), &blen);
	CHECK(M, "NUL in quoted boundary refused", rc == WD_E_BADREQ);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = wd_mp_boundary(cases[i].ct, strlen(cases[i].ct), b,
		    sizeof(b), &blen);
		snprintf(name, sizeof(name), "boundary of \"%.60s\"",
		    cases[i].ct);
		CHECK(M, name, rc == cases[i].want && (rc != WD_OK ||
		    (blen == strlen(cases[i].b) &&
		    strcmp(b, cases[i].b) == 0)));
	}
}

static void
test_ctype(void)
{
	static const char *const good[] = { "text/plain", "image/png",
	    "application/vnd.api+json", "text/plain; charset=utf-8",
	    "a/b;x" };
	static const char *const bad[] = { "", "text", "/plain", "text/",
	    "text/plain\r\nX-Injected: 1", "text/pl ain", "té/x",
	    "text/plain\x7f", "(a)/b" };
	char	 name[128];
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "ctype \"%s\" valid", good[i]);
		CHECK(M, name, wd_mp_ctype_valid(good[i], strlen(good[i])));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "ctype %zu invalid", i);
		CHECK(M, name, !wd_mp_ctype_valid(bad[i], strlen(bad[i])));
	}
}

/*
 * WD_MP_MIN_FRAMING is a floor: the shortest body we can build is
 * accepted and is exactly that much longer than its file, and no body
 * one byte shorter (any single byte of it deleted) still yields the
 * whole file. The quota reserves Content-Length minus this floor, so a
 * body that beat it could store more than was reserved.
 */
static void
test_min_framing(void)
{
	static const char	 bnd[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
	static const size_t	 blens[] = { 1, 2, 16, 70 };
	struct wd_buf		 out, body, cut;
	char			 name[96];
	size_t			 i, k, beat;
	enum wd_err		 rc;

	wd_buf_init(&out, 1 << 16);
	wd_buf_init(&body, 1 << 16);
	wd_buf_init(&cut, 1 << 16);
	for (k = 0; k < sizeof(blens) / sizeof(blens[0]); k++) {
		size_t	 bl = blens[k];

		wd_buf_reset(&body);
		wd_buf_addf(&body, "--%.*s\r\nContent-Disposition:form-data;"
		    "name=file\r\n\r\nabc\r\n--%.*s--", (int)bl, bnd,
		    (int)bl, bnd);
		snprintf(name, sizeof(name), "boundary of %zu: the shortest "
		    "body is file + WD_MP_MIN_FRAMING", bl);
		CHECK(M, name, wd_buf_status(&body) == WD_OK &&
		    body.len == 3 + WD_MP_MIN_FRAMING(bl));
		rc = run(bnd, bl, body.p, body.len, 0, body.len, &out, NULL);
		snprintf(name, sizeof(name), "boundary of %zu: the shortest "
		    "body is accepted", bl);
		CHECK(M, name, rc == WD_OK && out.len == 3 &&
		    memcmp(out.p, "abc", 3) == 0);
		beat = 0;
		for (i = 0; i < body.len; i++) {
			wd_buf_reset(&cut);
			wd_buf_add(&cut, body.p, i);
			wd_buf_add(&cut, body.p + i + 1, body.len - i - 1);
			rc = run(bnd, bl, cut.p, cut.len, 0, cut.len, &out,
			    NULL);
			if (rc == WD_OK && out.len >= 3)
				beat++;
		}
		snprintf(name, sizeof(name), "boundary of %zu: no byte of it "
		    "can go", bl);
		CHECK(M, name, beat == 0);
	}
	wd_buf_cleanup(&out);
	wd_buf_cleanup(&body);
	wd_buf_cleanup(&cut);
}

int
main(void)
{
	test_bodies();
	test_limits();
	test_callback_error();
	test_boundary();
	test_ctype();
	test_min_framing();
	return WD_TEST_RESULT();
}
