/*
 * wd_qr.h: a QR code (libqrencode) of a short text, rendered as a compact
 * SVG and as a data: URL, for the image_url of POST /auth/mfa/generate
 * (API.md §5; HBP answered data:image/png, we answer
 * data:image/svg+xml;base64,...).
 *
 * Every output has a named maximum derived below from the largest symbol
 * (version 40), so no input can make it grow past a known size.
 */
#ifndef WD_QR_H
#define WD_QR_H

#include <stddef.h>

#include "wd_err.h"

/* The text we encode is an otpauth:// URL (WD_TOTP_URL_MAX = 1315, a
 * static assertion in wd_qr.c checks it fits); 1536 bytes at error
 * correction M is about version 32, still scannable from a screen. */
#define WD_QR_MAX_TEXT		1536

#define WD_QR_QUIET		4	/* ISO/IEC 18004 quiet zone, modules */
#define WD_QR_SCALE		4	/* px per module in width/height */
#define WD_QR_MAX_WIDTH		177	/* modules across, version 40 */

/*
 * The longest SVG: 512 bytes of fixed markup (wd_qr.c checks it at
 * compile time) plus, per row, its first dark run "M{x} {y}.5h{n}"
 * (1+3+1+3+2+1+3 = 14 bytes) and at most (177 + 1) / 2 - 1 = 88 more runs
 * "m{gap} 0h{n}" (1+3+3+3 = 10 bytes): 512 + 177 * (14 + 88 * 10) =
 * 158750 bytes, plus the NUL.
 */
#define WD_QR_MAX_SVG							\
	(512 + WD_QR_MAX_WIDTH * (14 + ((WD_QR_MAX_WIDTH + 1) / 2 - 1) * 10))

/* "data:image/svg+xml;base64," is 26 bytes; base64 is 4 per 3 bytes,
 * padded: 26 + 4 * ceil(158750 / 3) = 211694, plus the NUL. */
#define WD_QR_DATA_PREFIX	"data:image/svg+xml;base64,"
#define WD_QR_MAX_DATA_URL	(26 + 4 * ((WD_QR_MAX_SVG + 2) / 3))

/*
 * The QR symbol of (text, len) (error correction level M, the smallest
 * version that holds it, segments chosen by libqrencode) as an SVG
 * document: a white background and one black path of horizontal runs,
 * with WD_QR_QUIET modules of quiet zone on each side, so its viewBox is
 * "0 0 N N" with N = symbol width + 2 * WD_QR_QUIET.
 *
 * text is 1..WD_QR_MAX_TEXT bytes without NUL. On WD_OK *svg is a
 * NUL-terminated heap string of *svglen <= WD_QR_MAX_SVG bytes that the
 * caller free()s. WD_E_BADREQ for empty text or text holding NUL,
 * WD_E_TOOBIG for text over WD_QR_MAX_TEXT or beyond any QR version,
 * WD_E_INTERNAL when libqrencode fails otherwise. On error *svg is NULL
 * and *svglen 0.
 */
enum wd_err	wd_qr_svg(const char *text, size_t len, char **svg,
		    size_t *svglen);

/*
 * As wd_qr_svg, then as "data:image/svg+xml;base64,<base64 of the SVG>"
 * (RFC 2397; standard base64 with padding, RFC 4648 §4): *url is a
 * NUL-terminated heap string of *urllen <= WD_QR_MAX_DATA_URL bytes
 * that the caller free()s. Same errors; on error *url is NULL and
 * *urllen 0.
 */
enum wd_err	wd_qr_data_url(const char *text, size_t len, char **url,
		    size_t *urllen);

#endif
