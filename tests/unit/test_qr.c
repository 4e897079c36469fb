/*
 * test_qr.c: QR code SVG and data: URL (src/wd_qr.c, included to reach
 * the static renderer with made-up symbols).
 *
 * Oracles: the SVG's path is read back by a small interpreter here into
 * a module grid and compared with libqrencode's own symbol; the data:
 * URL is decoded with OpenSSL's base64 decoder. When rsvg-convert
 * (librsvg2-bin) and zbarimg (zbar-tools) are installed, the SVG is
 * rendered and scanned, an independent decoder end to end; without
 * them that case prints SKIP (not counted as passed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wd_test.h"
#include "wd_qr.c"

#define Q	"qr"

#define URL1	"otpauth://totp/Warden:a%40b.co?secret="		\
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Warden"	\
		"&algorithm=SHA1&digits=6&period=30"

/* Reads an unsigned decimal at *p, advancing it; -1 if none. */
static long
num(const char **p)
{
	long	 v = 0;
	int	 any = 0;

	while (**p >= '0' && **p <= '9' && v < 100000) {
		v = v * 10 + (**p - '0');
		(*p)++;
		any = 1;
	}
	return any ? v : -1;
}

/*
 * Interprets the path data d (up to the closing quote) as the renderer
 * documents it: "M{x} {y}.5" and "m{dx} 0" move, "h{n}" strokes n
 * modules of row y. Sets grid[y * n + x] for each; returns 0 on any
 * other syntax, a stroke outside the n x n grid, or a module painted
 * twice.
 */
static int
paint(const char *d, unsigned char *grid, long n)
{
	long	 x = -1, y = -1, dx, len, i;

	while (*d != '"') {
		switch (*d++) {
		case 'M':
			x = num(&d);
			if (x < 0 || *d++ != ' ')
				return 0;
			y = num(&d);
			if (y < 0 || d[0] != '.' || d[1] != '5')
				return 0;
			d += 2;
			break;
		case 'm':
			dx = num(&d);
			if (dx <= 0 || x < 0 || d[0] != ' ' || d[1] != '0')
				return 0;
			d += 2;
			x += dx;
			break;
		case 'h':
			len = num(&d);
			if (len <= 0 || x < 0 || y < 0 || y >= n ||
			    x + len > n)
				return 0;
			for (i = x; i < x + len; i++) {
				if (grid[y * n + i])
					return 0;
				grid[y * n + i] = 1;
			}
			x += len;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static size_t
count(const char *s, const char *needle)
{
	size_t	 c = 0;

	while ((s = strstr(s, needle)) != NULL) {
		c++;
		s++;
	}
	return c;
}

/* Checks the SVG of text against libqrencode's symbol of it. */
static void
check_svg(const char *name, const char *text)
{
	char		 nm[128], want[160];
	char		*svg = NULL;
	const char	*p;
	unsigned char	*grid = NULL;
	size_t		 len = 4242, i;
	long		 n, w, r, c;
	QRcode		*qr;
	int		 same = 1, dk;

	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	snprintf(nm, sizeof(nm), "%s: svg made", name);
	CHECK(Q, nm, qr != NULL &&
	    wd_qr_svg(text, strlen(text), &svg, &len) == WD_OK &&
	    svg != NULL && strlen(svg) == len && len <= WD_QR_MAX_SVG);
	if (qr == NULL || svg == NULL)
		goto out;
	w = qr->width;
	n = w + 2 * WD_QR_QUIET;

	/* XML-ish: one svg element holding one rect and one path */
	snprintf(want, sizeof(want), "<svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%ld\" height=\"%ld\" viewBox=\"0 0 %ld %ld\"",
	    n * WD_QR_SCALE, n * WD_QR_SCALE, n, n);
	snprintf(nm, sizeof(nm), "%s: svg element, size and viewBox", name);
	CHECK(Q, nm, strncmp(svg, want, strlen(want)) == 0);
	snprintf(nm, sizeof(nm), "%s: one rect, one path, closed", name);
	CHECK(Q, nm, count(svg, "<") == 4 && count(svg, ">") == 4 &&
	    count(svg, "<rect ") == 1 && count(svg, "<path ") == 1 &&
	    count(svg, "/>") == 2 && count(svg, "\"") % 2 == 0 &&
	    len > 6 && strcmp(svg + len - 6, "</svg>") == 0 &&
	    strchr(svg, '&') == NULL);
	snprintf(want, sizeof(want), "<rect width=\"%ld\" height=\"%ld\" "
	    "fill=\"#fff\"/>", n, n);
	snprintf(nm, sizeof(nm), "%s: white background over the viewBox",
	    name);
	CHECK(Q, nm, strstr(svg, want) != NULL);

	/* the path, read back, is the symbol inside a 4-module quiet zone */
	grid = calloc((size_t)(n * n), 1);
	p = strstr(svg, "<path stroke=\"#000\" d=\"");
	snprintf(nm, sizeof(nm), "%s: path parses", name);
	CHECK(Q, nm, grid != NULL && p != NULL &&
	    paint(p + strlen("<path stroke=\"#000\" d=\""), grid, n));
	if (grid == NULL || p == NULL)
		goto out;
	for (r = 0; r < n; r++)
		for (c = 0; c < n; c++) {
			dk = 0;
			if (r >= WD_QR_QUIET && r < WD_QR_QUIET + w &&
			    c >= WD_QR_QUIET && c < WD_QR_QUIET + w)
				dk = qr->data[(r - WD_QR_QUIET) * w +
				    (c - WD_QR_QUIET)] & 1;
			if (grid[r * n + c] != dk)
				same = 0;
		}
	snprintf(nm, sizeof(nm), "%s: modules match libqrencode's %ldx%ld",
	    name, w, w);
	CHECK(Q, nm, same);
	for (i = 0; i < (size_t)n; i++)	/* quiet zone corners stay light */
		same &= !grid[i] && !grid[(size_t)(n * n) - 1 - i];
	snprintf(nm, sizeof(nm), "%s: quiet zone light", name);
	CHECK(Q, nm, same);
out:
	QRcode_free(qr);
	free(svg);
	free(grid);
}

/* The data: URL decodes (OpenSSL's decoder) to exactly the SVG. */
static void
check_data_url(const char *name, const char *text)
{
	char		 nm[128];
	char		*svg = NULL, *url = NULL;
	unsigned char	*dec = NULL;
	size_t		 sl = 0, ul = 0, pre = strlen(WD_QR_DATA_PREFIX), bl;
	int		 m = -1, pad = 0;

	snprintf(nm, sizeof(nm), "%s: data url made", name);
	CHECK(Q, nm, wd_qr_svg(text, strlen(text), &svg, &sl) == WD_OK &&
	    wd_qr_data_url(text, strlen(text), &url, &ul) == WD_OK &&
	    strlen(url) == ul && ul <= WD_QR_MAX_DATA_URL);
	if (svg == NULL || url == NULL)
		goto out;
	snprintf(nm, sizeof(nm), "%s: data url prefix and length", name);
	CHECK(Q, nm, strncmp(url, "data:image/svg+xml;base64,", 26) == 0 &&
	    ul == 26 + 4 * ((sl + 2) / 3));
	bl = ul - pre;
	dec = malloc(bl / 4 * 3 + 1);
	if (dec != NULL)
		m = EVP_DecodeBlock(dec, (unsigned char *)url + pre, (int)bl);
	if (bl >= 1 && url[ul - 1] == '=')
		pad++;
	if (bl >= 2 && url[ul - 2] == '=')
		pad++;
	snprintf(nm, sizeof(nm), "%s: base64 round-trips to the svg", name);
	CHECK(Q, nm, m >= 0 && (size_t)m - (size_t)pad == sl &&
	    memcmp(dec, svg, sl) == 0);
out:
	free(svg);
	free(url);
	free(dec);
}

static int
have(const char *tool)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Renders the SVG with librsvg and scans it with zbar. */
static void
check_scan(const char *name, const char *text)
{
	char	 nm[128], svgf[] = "/tmp/wd_qr_XXXXXX", png[64], cmd[256];
	char	 got[WD_QR_MAX_TEXT + 2];
	char	*svg = NULL;
	size_t	 sl = 0, gl = 0;
	FILE	*f = NULL;
	int	 fd, ok = 0;

	snprintf(nm, sizeof(nm), "%s: rendered and scanned by zbarimg",
	    name);
	if (!have("rsvg-convert") || !have("zbarimg")) {
		printf("SKIP %s: %s (no rsvg-convert or zbarimg)\n", Q, nm);
		return;
	}
	fd = mkstemp(svgf);
	if (fd < 0 || wd_qr_svg(text, strlen(text), &svg, &sl) != WD_OK ||
	    write(fd, svg, sl) != (ssize_t)sl)
		goto out;
	snprintf(png, sizeof(png), "%s.png", svgf);
	snprintf(cmd, sizeof(cmd), "rsvg-convert -f png -o %s %s && "
	    "zbarimg --raw -q %s 2>/dev/null", png, svgf, png);
	f = popen(cmd, "r");
	if (f == NULL)
		goto out;
	gl = fread(got, 1, sizeof(got) - 1, f);
	got[gl] = '\0';
	/* zbarimg ends each symbol with a newline */
	ok = gl == strlen(text) + 1 && got[gl - 1] == '\n' &&
	    memcmp(got, text, gl - 1) == 0;
out:
	if (f != NULL)
		pclose(f);
	CHECK(Q, nm, ok);
	if (fd >= 0) {
		close(fd);
		unlink(svgf);
		unlink(png);
	}
	free(svg);
}

struct bad_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum wd_err	 want;
};

static void
test_bad(void)
{
	static const struct bad_case cases[] = {
		{ "empty text", "", 0, WD_E_BADREQ },
		{ "NUL first", "\0abc", 4, WD_E_BADREQ },
		{ "NUL inside", "otpauth://\0x", 12, WD_E_BADREQ },
		{ "NUL last", "abc\0", 4, WD_E_BADREQ },
	};
	char	*big, *svg, *url;
	size_t	 i, sl, ul;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svg = url = (char *)1;
		sl = ul = 4242;
		CHECK(Q, cases[i].name,
		    wd_qr_svg(cases[i].in, cases[i].len, &svg, &sl) ==
		    cases[i].want && svg == NULL && sl == 0 &&
		    wd_qr_data_url(cases[i].in, cases[i].len, &url, &ul) ==
		    cases[i].want && url == NULL && ul == 0);
	}
	big = malloc(WD_QR_MAX_TEXT + 1);
	if (big == NULL)
		return;
	memset(big, 'a', WD_QR_MAX_TEXT + 1);
	CHECK(Q, "text over WD_QR_MAX_TEXT",
	    wd_qr_svg(big, WD_QR_MAX_TEXT + 1, &svg, &sl) == WD_E_TOOBIG &&
	    svg == NULL &&
	    wd_qr_data_url(big, WD_QR_MAX_TEXT + 1, &url, &ul) ==
	    WD_E_TOOBIG && url == NULL);
	/* the largest text allowed, in 8-bit mode (lower case), fits */
	CHECK(Q, "text of WD_QR_MAX_TEXT bytes",
	    wd_qr_data_url(big, WD_QR_MAX_TEXT, &url, &ul) == WD_OK &&
	    ul <= WD_QR_MAX_DATA_URL);
	free(url);
	free(big);
}

/* The renderer's bounds, on symbols libqrencode would not make. */
static void
test_render_bounds(void)
{
	QRcode		 qr;
	unsigned char	*data;
	char		*svg = NULL;
	size_t		 sl = 0, i;

	data = malloc(WD_QR_MAX_WIDTH * WD_QR_MAX_WIDTH);
	if (data == NULL)
		return;
	qr.version = 40;
	qr.data = data;
	qr.width = WD_QR_MAX_WIDTH;
	/* a checkerboard has the most runs a row can have */
	for (i = 0; i < WD_QR_MAX_WIDTH * WD_QR_MAX_WIDTH; i++)
		data[i] = (unsigned char)((i / WD_QR_MAX_WIDTH +
		    i % WD_QR_MAX_WIDTH + 1) % 2);
	CHECK(Q, "render worst case within WD_QR_MAX_SVG",
	    render(&qr, &svg, &sl) == WD_OK && sl <= WD_QR_MAX_SVG &&
	    svg_bound(WD_QR_MAX_WIDTH) == WD_QR_MAX_SVG);
	free(svg);
	svg = NULL;
	memset(data, 1, WD_QR_MAX_WIDTH * WD_QR_MAX_WIDTH);
	CHECK(Q, "render all dark: one run per row",
	    render(&qr, &svg, &sl) == WD_OK &&
	    count(svg, "h177") == WD_QR_MAX_WIDTH);
	free(svg);
	svg = NULL;
	qr.width = WD_QR_MAX_WIDTH + 1;
	CHECK(Q, "render width 178 refused",
	    render(&qr, &svg, &sl) == WD_E_INTERNAL && svg == NULL);
	qr.width = 0;
	CHECK(Q, "render width 0 refused",
	    render(&qr, &svg, &sl) == WD_E_INTERNAL && svg == NULL);
	qr.width = -1;
	CHECK(Q, "render negative width refused",
	    render(&qr, &svg, &sl) == WD_E_INTERNAL && svg == NULL);
	free(data);
}

int
main(void)
{
	static const struct {
		const char	*name;
		const char	*text;
	} good[] = {
		{ "one char", "A" },
		{ "otpauth url", URL1 },
		{ "utf-8 issuer", "otpauth://totp/Caf%C3%A9:a%40b.co?secret="
		    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Caf%C3%A9" },
		{ "digits only", "12345678901234567890" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		check_svg(good[i].name, good[i].text);
		check_data_url(good[i].name, good[i].text);
		check_scan(good[i].name, good[i].text);
	}
	test_bad();
	test_render_bounds();
	return WD_TEST_RESULT();
}
