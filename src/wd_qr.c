/*
 * wd_qr.c: QR symbol (libqrencode) to SVG to data: URL (wd_qr.h).
 *
 * Trust boundary: the text is ours (an otpauth:// URL built by
 * wd_totp_url) but carries the account's e-mail address, so its length
 * is capped before libqrencode sees it, and every output buffer is sized
 * from the symbol's width before anything is written into it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <qrencode.h>

#include "wd_mem.h"
#include "wd_buf.h"
#include "wd_qr.h"
#include "wd_totp.h"

#define SVG_HEAD1	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\""
#define SVG_HEAD2	"\" height=\""
#define SVG_HEAD3	"\" viewBox=\"0 0 "
#define SVG_HEAD4	"\" shape-rendering=\"crispEdges\"><rect width=\""
#define SVG_HEAD5	"\" height=\""
#define SVG_HEAD6	"\" fill=\"#fff\"/><path stroke=\"#000\" d=\""
#define SVG_TAIL	"\"/></svg>"

/* the fixed markup, with six numbers of at most 4 digits (N * SCALE <=
 * 185 * 4 = 740), fits the 512 bytes WD_QR_MAX_SVG allows for it */
_Static_assert(sizeof(SVG_HEAD1 SVG_HEAD2 SVG_HEAD3 SVG_HEAD4 SVG_HEAD5
    SVG_HEAD6 SVG_TAIL) + 6 * 4 + 1 <= 512, "SVG markup budget");
_Static_assert((WD_QR_MAX_WIDTH + 2 * WD_QR_QUIET) * WD_QR_SCALE <= 9999,
    "4-digit sizes");
_Static_assert(WD_TOTP_URL_MAX <= WD_QR_MAX_TEXT, "otpauth URL fits");

/* Bytes of SVG for a symbol w modules wide; see WD_QR_MAX_SVG. */
static size_t
svg_bound(size_t w)
{
	return 512 + w * (14 + ((w + 1) / 2 - 1) * 10);
}

/* A bounded builder that remembers its first overflow (as wd_totp.c). */
static int
dark(const QRcode *qr, size_t row, size_t col)
{
	return qr->data[row * (size_t)qr->width + col] & 1;
}

/* Renders qr into a heap string; see wd_qr_svg. */
static enum wd_err
render(const QRcode *qr, char **svg, size_t *svglen)
{
	enum wd_err	 rc = WD_E_INTERNAL;
	struct wd_buf	 b = { 0 };
	size_t		 w, n, row, col, end, pen;
	int		 first;

	if (qr->width <= 0 || qr->width > WD_QR_MAX_WIDTH)
		goto out;
	w = (size_t)qr->width;
	n = w + 2 * WD_QR_QUIET;
	wd_buf_init(&b, svg_bound(w));
	wd_buf_adds(&b, SVG_HEAD1);
	wd_buf_addf(&b, "%zu", (size_t)(n * WD_QR_SCALE));
	wd_buf_adds(&b, SVG_HEAD2);
	wd_buf_addf(&b, "%zu", (size_t)(n * WD_QR_SCALE));
	wd_buf_adds(&b, SVG_HEAD3);
	wd_buf_addf(&b, "%zu", (size_t)(n));
	wd_buf_adds(&b, " ");
	wd_buf_addf(&b, "%zu", (size_t)(n));
	wd_buf_adds(&b, SVG_HEAD4);
	wd_buf_addf(&b, "%zu", (size_t)(n));
	wd_buf_adds(&b, SVG_HEAD5);
	wd_buf_addf(&b, "%zu", (size_t)(n));
	wd_buf_adds(&b, SVG_HEAD6);
	/*
	 * One horizontal stroke, 1 module thick, per run of dark modules,
	 * along the row's centre line: the row's first run moves there
	 * absolutely, later ones relatively from the end of the previous.
	 */
	for (row = 0; row < w; row++) {
		first = 1;
		pen = 0;
		for (col = 0; col < w; col = end) {
			if (!dark(qr, row, col)) {
				end = col + 1;
				continue;
			}
			for (end = col; end < w && dark(qr, row, end); end++)
				continue;
			if (first) {
				wd_buf_adds(&b, "M");
				wd_buf_addf(&b, "%zu",
				    (size_t)(col + WD_QR_QUIET));
				wd_buf_adds(&b, " ");
				wd_buf_addf(&b, "%zu",
				    (size_t)(row + WD_QR_QUIET));
				wd_buf_adds(&b, ".5h");
			} else {
				wd_buf_adds(&b, "m");
				wd_buf_addf(&b, "%zu", (size_t)(col - pen));
				wd_buf_adds(&b, " 0h");
			}
			wd_buf_addf(&b, "%zu", (size_t)(end - col));
			pen = end;
			first = 0;
		}
	}
	wd_buf_adds(&b, SVG_TAIL);
	if (wd_buf_status(&b) != WD_OK)
		goto out;
	/* the buffer's memory becomes the caller's */
	*svg = b.p;
	*svglen = b.len;
	b.p = NULL;
	rc = WD_OK;
out:
	wd_buf_cleanup(&b);
	return rc;
}

enum wd_err
wd_qr_svg(const char *text, size_t len, char **svg, size_t *svglen)
{
	enum wd_err	 rc = WD_E_BADREQ;
	char		*z = NULL;
	QRcode		*qr = NULL;

	*svg = NULL;
	*svglen = 0;
	if (len == 0 || memchr(text, '\0', len) != NULL)
		goto out;
	if (len > WD_QR_MAX_TEXT) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	z = wd_xstrndup(text, len);	/* libqrencode wants a C string */
	/* version 0: the smallest that holds it; 8-bit by default, with
	 * numeric and alphanumeric segments where they are shorter */
	errno = 0;
	qr = QRcode_encodeString(z, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		rc = errno == ERANGE ? WD_E_TOOBIG : WD_E_INTERNAL;
		goto out;
	}
	rc = render(qr, svg, svglen);
out:
	QRcode_free(qr);
	free(z);
	return rc;
}

enum wd_err
wd_qr_data_url(const char *text, size_t len, char **url, size_t *urllen)
{
	enum wd_err	 rc;
	char		*svg = NULL, *u = NULL;
	size_t		 svglen = 0, pre, cap;
	int		 m;

	*url = NULL;
	*urllen = 0;
	rc = wd_qr_svg(text, len, &svg, &svglen);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_INTERNAL;
	pre = strlen(WD_QR_DATA_PREFIX);
	cap = pre + 4 * ((svglen + 2) / 3) + 1;
	if (svglen > WD_QR_MAX_SVG || cap > WD_QR_MAX_DATA_URL + 1)
		goto out;
	u = wd_xmalloc(cap);
	memcpy(u, WD_QR_DATA_PREFIX, pre);
	/* EVP_EncodeBlock: padded base64 without line breaks, plus NUL;
	 * svglen <= WD_QR_MAX_SVG fits an int */
	m = EVP_EncodeBlock((unsigned char *)u + pre,
	    (const unsigned char *)svg, (int)svglen);
	if (m < 0 || pre + (size_t)m + 1 != cap)
		goto out;
	*url = u;
	*urllen = pre + (size_t)m;
	u = NULL;
	rc = WD_OK;
out:
	free(u);
	free(svg);
	return rc;
}
