/*
 * wd_totp.c: base32, HOTP/TOTP and the otpauth:// URL (wd_totp.h).
 *
 * Trust boundary: the code a client sends (wd_totp_code_parse,
 * wd_totp_check) and base32 text (wd_totp_b32_decode) are untrusted and
 * checked byte by byte against a length known before reading. Keys and
 * codes derived from them are secrets: compared with wd_ct_eq and wiped
 * (explicit_bzero) before every return.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wd_rand.h"
#include "wd_buf.h"
#include "wd_totp.h"
#include "wd_util.h"

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* wd_totp_url writes these parameters literally */
_Static_assert(WD_TOTP_DIGITS == 6 && WD_TOTP_PERIOD == 30,
    "otpauth URL parameters");

/* Value of base32 character c (either case), or -1. */
static int
b32_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

enum wd_err
wd_totp_b32_encode(const void *in, size_t n, char *out, size_t cap,
    size_t *olen)
{
	const unsigned char	*p = in;
	enum wd_err		 rc = WD_E_TOOBIG;
	unsigned		 acc = 0, bits = 0;
	size_t			 i, o = 0, need;

	if (cap > 0)
		out[0] = '\0';
	if (olen != NULL)
		*olen = 0;
	/* n > SIZE_MAX / 8 cannot be in memory beside its encoding */
	if (n > (SIZE_MAX - 4) / 8)
		goto out;
	need = WD_TOTP_B32_LEN(n);
	if (cap < need + 1)
		goto out;
	for (i = 0; i < n; i++) {
		acc = (acc << 8 | p[i]) & 0xfff;	/* <= 12 bits live */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alpha[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)	/* RFC 4648 §6: pad the last group with zero bits */
		out[o++] = b32_alpha[(acc << (5 - bits)) & 0x1f];
	out[o] = '\0';
	if (olen != NULL)
		*olen = o;
	rc = WD_OK;
out:
	acc = 0;
	explicit_bzero(&acc, sizeof(acc));
	return rc;
}

enum wd_err
wd_totp_b32_decode(const char *s, size_t n, unsigned char *out, size_t cap,
    size_t *olen)
{
	enum wd_err	 rc = WD_E_BADREQ;
	unsigned	 acc = 0, bits = 0;
	size_t		 i, d, pad = 0, o = 0, nbytes;
	int		 v;

	*olen = 0;
	/* trailing '=': only to the next multiple of 8 (RFC 4648 §6) */
	while (pad < n && s[n - 1 - pad] == '=')
		pad++;
	d = n - pad;
	/* 8 characters carry 5 bytes; a final group of 1, 3 or 6 chars
	 * holds no whole byte that a shorter group could not */
	if (d % 8 == 1 || d % 8 == 3 || d % 8 == 6)
		goto out;
	if (pad > 0 && (n % 8 != 0 || pad >= 8))
		goto out;
	nbytes = d / 8 * 5 + (d % 8) * 5 / 8;
	if (nbytes > cap) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < d; i++) {
		v = b32_val((unsigned char)s[i]);
		if (v < 0)
			goto out;
		acc = (acc << 5 | (unsigned)v) & 0xfff;	/* <= 12 bits */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* RFC 4648 §3.5: the unused bits of the last character are zero */
	if ((acc & ((1u << bits) - 1)) != 0)
		goto out;
	*olen = o;
	rc = WD_OK;
out:
	if (rc != WD_OK && cap > 0)
		explicit_bzero(out, cap);
	explicit_bzero(&acc, sizeof(acc));
	return rc;
}

enum wd_err
wd_totp_secret_new(char *out)
{
	unsigned char	 raw[WD_TOTP_SECRET_LEN];
	enum wd_err	 rc;

	out[0] = '\0';
	rc = wd_rand_bytes(raw, sizeof(raw));
	if (rc != WD_OK)
		goto out;
	rc = wd_totp_b32_encode(raw, sizeof(raw), out,
	    WD_TOTP_SECRET_B32_LEN + 1, NULL);
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

enum wd_err
wd_totp_hotp(const unsigned char *key, size_t klen, uint64_t counter,
    unsigned digits, uint32_t *code)
{
	static const uint32_t	 pow10[] = { 1000000, 10000000, 100000000 };
	enum wd_err		 rc = WD_E_INTERNAL;
	unsigned char		 msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	uint32_t		 bin = 0;
	unsigned		 off;
	int			 i;

	if (klen < WD_TOTP_MIN_KEY || klen > WD_TOTP_MAX_KEY ||
	    digits < 6 || digits > 8)
		goto out;
	/* RFC 4226 §5.2: the counter is an 8-byte big-endian integer */
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)klen, msg, sizeof(msg), mac,
	    &maclen) == NULL || maclen != 20)
		goto out;
	/* RFC 4226 §5.3: dynamic truncation to 31 bits */
	off = mac[19] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 |
	    (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 |
	    (uint32_t)mac[off + 3];
	*code = bin % pow10[digits - 6];
	bin = 0;
	rc = WD_OK;
out:
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(msg, sizeof(msg));
	explicit_bzero(&bin, sizeof(bin));
	return rc;
}

enum wd_err
wd_totp_step(int64_t now, uint64_t *step)
{
	if (now < 0)
		return WD_E_INTERNAL;
	*step = (uint64_t)now / WD_TOTP_PERIOD;
	return WD_OK;
}

enum wd_err
wd_totp_code(const unsigned char *key, size_t klen, uint64_t step,
    char *out)
{
	enum wd_err	 rc;
	uint32_t	 v = 0;
	int		 i;

	out[0] = '\0';
	rc = wd_totp_hotp(key, klen, step, WD_TOTP_DIGITS, &v);
	if (rc != WD_OK)
		goto out;
	for (i = WD_TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[WD_TOTP_DIGITS] = '\0';
out:
	explicit_bzero(&v, sizeof(v));
	return rc;
}

enum wd_err
wd_totp_code_parse(const char *s, size_t n, char *out)
{
	size_t	 i;

	out[0] = '\0';
	if (n != WD_TOTP_DIGITS)
		return WD_E_BADREQ;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return WD_E_BADREQ;
	memcpy(out, s, n);
	out[n] = '\0';
	return WD_OK;
}

enum wd_err
wd_totp_check(const unsigned char *key, size_t klen, const char *s,
    size_t n, int64_t now, uint64_t last_step, uint64_t *matched)
{
	enum wd_err	 rc;
	char		 got[WD_TOTP_DIGITS + 1], want[WD_TOTP_DIGITS + 1];
	uint64_t	 step, st, best = 0;
	int		 i, found = 0;

	rc = wd_totp_code_parse(s, n, got);
	if (rc != WD_OK)
		goto out;
	rc = wd_totp_step(now, &step);
	if (rc != WD_OK)
		goto out;
	/*
	 * Every step of the window is computed and compared, in ascending
	 * order, without stopping at a match: the time taken does not tell
	 * which step matched, and the last match is the largest.
	 */
	for (i = -WD_TOTP_WINDOW; i <= WD_TOTP_WINDOW; i++) {
		if (i < 0 && step < (uint64_t)-i)
			continue;	/* no step before the epoch */
		st = step + (uint64_t)(int64_t)i;
		rc = wd_totp_code(key, klen, st, want);
		if (rc != WD_OK)
			goto out;
		if (wd_ct_eq(got, WD_TOTP_DIGITS, want, WD_TOTP_DIGITS)) {
			best = st;
			found = 1;
		}
	}
	/* RFC 6238 §5.2: a code is accepted once; older ones never after */
	if (!found || best <= last_step) {
		rc = WD_E_UNAUTH;
		goto out;
	}
	*matched = best;
	rc = WD_OK;
out:
	explicit_bzero(got, sizeof(got));
	explicit_bzero(want, sizeof(want));
	return rc;
}

/*
 * A bounded string builder that remembers its first overflow: appends
 * after it do nothing, and the caller checks once at the end.
 */
/* RFC 3986 §2.3 unreserved characters stay; every other byte is %XX. */
static void
pct(struct wd_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[3];
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			wd_buf_add(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0x0f];
		wd_buf_add(b, e, 3);
	}
}

/* 1 if s is 1..max bytes of UTF-8 with no control character or ':'. */
static int
url_part_ok(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i, l;

	n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i += l) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == ':')
			return 0;
		l = wd_utf8_len(p + i, n - i, NULL);
		if (l == 0)
			return 0;
	}
	return 1;
}

/* 1 if s is upper-case unpadded base32 of an acceptable key length. */
static int
url_secret_ok(const char *s)
{
	unsigned char	 key[WD_TOTP_MAX_KEY];
	size_t		 n, i, klen = 0;
	int		 ok = 0;

	n = strnlen(s, WD_TOTP_MAX_B32 + 1);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '2' && s[i] <= '7')))
			goto out;
	if (wd_totp_b32_decode(s, n, key, sizeof(key), &klen) != WD_OK)
		goto out;
	ok = klen >= WD_TOTP_MIN_KEY;
out:
	explicit_bzero(key, sizeof(key));
	return ok;
}

enum wd_err
wd_totp_url(const char *issuer, const char *label, const char *secret,
    char *out, size_t cap, size_t *olen)
{
	enum wd_err	 rc = WD_E_BADREQ;
	struct wd_buf	 b;

	wd_buf_init(&b, cap > 0 ? cap - 1 : 0);
	if (cap > 0)
		out[0] = '\0';
	if (olen != NULL)
		*olen = 0;
	if (!url_part_ok(issuer, WD_TOTP_MAX_ISSUER) ||
	    !url_part_ok(label, WD_TOTP_MAX_LABEL) || !url_secret_ok(secret))
		goto out;
	if (cap == 0) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	/* Google Authenticator Key Uri Format: the label is issuer ':'
	 * account, and the issuer parameter repeats the issuer */
	wd_buf_adds(&b, "otpauth://totp/");
	pct(&b, issuer);
	wd_buf_adds(&b, ":");
	pct(&b, label);
	wd_buf_adds(&b, "?secret=");
	wd_buf_adds(&b, secret);
	wd_buf_adds(&b, "&issuer=");
	pct(&b, issuer);
	wd_buf_adds(&b, "&algorithm=SHA1&digits=6&period=30");
	if (wd_buf_status(&b) != WD_OK) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	if (olen != NULL)
		*olen = b.len;
	rc = WD_OK;
out:
	if (rc != WD_OK && cap > 0)
		explicit_bzero(out, cap);	/* it held the secret */
	if (b.p != NULL)
		explicit_bzero(b.p, b.cap);
	wd_buf_cleanup(&b);
	return rc;
}
