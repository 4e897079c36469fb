/*
 * wd_util.c: helpers with no dependencies beyond libc.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "wd_util.h"

int
wd_ct_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char	*pa = a, *pb = b;
	unsigned char			 diff;
	size_t				 n, i, ia = 0, ib = 0;

	/* an empty side reads the NUL of "" instead of its pointer */
	if (alen == 0)
		pa = (const unsigned char *)"";
	if (blen == 0)
		pb = (const unsigned char *)"";

	/*
	 * Walk the longer length rounded up to a multiple of 64 (lighttpd
	 * ck_memeq_const_time): the time tells at most which 64-byte band
	 * the longer side falls in, never the secret's exact length, the
	 * first difference or whether the lengths matched. Past its end
	 * each side re-reads its last byte, so nothing is read out of
	 * bounds; a length mismatch is folded in, not returned early.
	 */
	n = alen > blen ? alen : blen;
	if (n <= SIZE_MAX - 63)
		n = (n + 63) & ~(size_t)63;
	diff = (unsigned char)(alen != blen);
	for (i = 0; i < n; i++) {
		diff |= (unsigned char)(pa[ia] ^ pb[ib]);
		ia += ia + 1 < alen;
		ib += ib + 1 < blen;
	}
	return diff == 0;
}

enum wd_err
wd_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0)
		return WD_E_BADREQ;
	for (i = 0; i < len; i++) {
		unsigned	 d;

		if (s[i] < '0' || s[i] > '9')
			return WD_E_BADREQ;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return WD_E_TOOBIG;
		v = v * 10 + d;
	}
	*out = v;
	return WD_OK;
}

int
wd_has_ctl(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
wd_strcaseeq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

int
wd_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
wd_utf8_len(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t		 need, i;
	unsigned long	 c;

	if (s[0] < 0x80) {
		if (cp != NULL)
			*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogate, beyond Unicode */
	if ((need == 3 && c < 0x800) || (need == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	if (cp != NULL)
		*cp = c;
	return need;
}

enum wd_err
wd_pct_decode(const char *s, size_t n, int plus, char *out, size_t cap,
    size_t *olen)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (o >= cap)
			return WD_E_TOOBIG;
		if (c == '+' && plus)
			c = ' ';
		else if (c == '%') {
			int	 hi, lo;

			if (n - i < 3)
				return WD_E_BADREQ;
			hi = wd_hexval(s[i + 1]);
			lo = wd_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return WD_E_BADREQ;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		out[o++] = c;
	}
	*olen = o;
	return WD_OK;
}

enum wd_err
wd_query_get(const char *q, const char *name, char *out, size_t outsz)
{
	const char	*p, *e, *v;
	size_t		 nlen = strlen(name), o;
	int		 found = 0;

	if (outsz == 0)
		return WD_E_BADREQ;
	for (p = q; *p != '\0'; p = *e == '&' ? e + 1 : e) {
		e = strchr(p, '&');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    p[nlen] != '=')
			continue;
		if (found++)
			return WD_E_BADREQ;	/* repeated: ambiguous */
		v = p + nlen + 1;
		/* room for the NUL; a decoded NUL would cut the value */
		if (wd_pct_decode(v, (size_t)(e - v), 1, out, outsz - 1, &o) !=
		    WD_OK || memchr(out, '\0', o) != NULL)
			return WD_E_BADREQ;
		out[o] = '\0';
	}
	return found ? WD_OK : WD_E_NOTFOUND;
}

/* ---- base64url (RFC 4648 §5), unpadded ---- */

static const char b64u_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum wd_err
wd_b64u_encode(const void *vp, size_t n, char *out, size_t outsz)
{
	const unsigned char	*p = vp;
	size_t			 i, o = 0;
	unsigned long		 v;

	/* 4 characters per 3 bytes, 2 or 3 for a last 1 or 2 */
	if (n > (SIZE_MAX - 3) / 4 ||
	    outsz < n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1) + 1)
		return WD_E_TOOBIG;
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		out[o++] = b64u_alpha[(v >> 18) & 63];
		out[o++] = b64u_alpha[(v >> 12) & 63];
		out[o++] = b64u_alpha[(v >> 6) & 63];
		out[o++] = b64u_alpha[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		out[o++] = b64u_alpha[(v >> 18) & 63];
		out[o++] = b64u_alpha[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		out[o++] = b64u_alpha[(v >> 18) & 63];
		out[o++] = b64u_alpha[(v >> 12) & 63];
		out[o++] = b64u_alpha[(v >> 6) & 63];
	}
	out[o] = '\0';
	return WD_OK;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

enum wd_err
wd_b64u_decode(const char *s, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	unsigned long	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	*outlen = 0;
	if (n % 4 == 1)
		return WD_E_BADREQ;
	if (n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1) > outsz)
		return WD_E_TOOBIG;
	for (i = 0; i < n; i++) {
		v = b64val(s[i]);
		if (v < 0)
			return WD_E_BADREQ;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* the bits left over must be zero (a canonical encoding) */
	if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
		return WD_E_BADREQ;
	*outlen = o;
	return WD_OK;
}
