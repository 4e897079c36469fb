/*
 * fuzz_mail.c: the mail renderer (wd_mail.h) on arbitrary templates and
 * values. The input is: flags byte, link, NUL, ticket, NUL, email, NUL,
 * template (the rest, NULs included); the template is an exact-size heap
 * copy so ASan catches a read past its end. Flag bit 0 passes the ticket
 * variable, bit 1 renders into a small buffer (the size cap).
 *
 * Invariants on WD_OK: the message fits the buffer's max; the header
 * block is printable ASCII in CRLF-ended lines, exactly the expected
 * headers in order (X-Ticket iff a ticket was given), with From and To
 * as given, and continuation lines only under Subject; so nothing a
 * value holds can add a header. The body's line ends are all CRLF, no
 * line is over 998 bytes, it is UTF-8 and it ends in CRLF. A template
 * without placeholders comes out as written: the body with its line
 * ends made CRLF, the subject (RFC 2047 words decoded here) as it was.
 * Otherwise the answer is WD_E_BADREQ with a reason, or WD_E_TOOBIG.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_limits.h"
#include "wd_mail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);					\
		abort();						\
	}								\
} while (0)

#define FROM	"warden@example.com"
#define TO	"user@example.org"

/* Takes the next NUL-ended piece of (*p, *n) into a fresh string. */
static char *
piece(const uint8_t **p, size_t *n)
{
	const uint8_t	*e = memchr(*p, '\0', *n);
	size_t		 len = e == NULL ? *n : (size_t)(e - *p);
	char		*s = malloc(len + 1);

	CHECK(s != NULL);
	memcpy(s, *p, len);
	s[len] = '\0';
	*p += e == NULL ? len : len + 1;
	*n -= e == NULL ? len : len + 1;
	return s;
}

/* A UTF-8 check written from RFC 3629's table, independent of wd_util. */
static int
utf8(const uint8_t *s, size_t n)
{
	size_t	 i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 1;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 2;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 3;
		else
			return 0;
		if (n - i < k + 1)
			return 0;
		cp = s[i] & (0x3f >> k);
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int
b64val(char c)
{
	const char	*a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	*p = c == '\0' ? NULL : strchr(a, c);

	return p == NULL ? -1 : (int)(p - a);
}

/*
 * The Subject header's value (after "Subject: ", lines joined) decoded:
 * "=?utf-8?B?...?=" words are base64-decoded, anything else copied.
 * Returns the decoded length.
 */
static size_t
decode_subject(const char *v, size_t n, char *out)
{
	size_t	 i = 0, o = 0, e;
	int	 acc, bits, c;

	if (n < 12 || memcmp(v, "=?utf-8?B?", 10) != 0) {
		/* plain text never holds what reads as an encoded word */
		for (i = 0; i + 1 < n; i++)
			CHECK(!(v[i] == '=' && v[i + 1] == '?'));
		memcpy(out, v, n);
		return n;
	}
	while (i < n) {
		CHECK(n - i >= 12 && memcmp(v + i, "=?utf-8?B?", 10) == 0);
		i += 10;
		for (e = i; e + 1 < n && !(v[e] == '?' && v[e + 1] == '=');)
			e++;
		CHECK(e + 1 < n);
		CHECK(e - i <= 60 && (e - i) % 4 == 0);
		acc = 0;
		bits = 0;
		for (; i < e; i++) {
			if (v[i] == '=')
				continue;
			c = b64val(v[i]);
			CHECK(c >= 0);
			acc = (acc << 6 | c) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)(acc >> bits & 0xff);
			}
		}
		i = e + 2;
		if (i < n) {
			CHECK(v[i] == ' ');	/* the fold, joined */
			i++;
		}
	}
	return o;
}

static void
check_message(const char *m, size_t len, const char *tpl, size_t tlen,
    int has_ticket, const char *ticket)
{
	static const char *const order[] = { "Date: ", "From: " FROM "\r\n",
	    "To: " TO "\r\n", "Subject: ", "Message-ID: <", "MIME-Version: ",
	    "Content-Type: ", "Content-Transfer-Encoding: ", "X-Ticket: " };
	const char	*end = NULL, *l, *nl, *b;
	size_t		 i, h = 0, hl, bl, slen = 0;
	char		*subj, *dec, *want;
	size_t		 dn, wn;
	int		 in_subject = 0;

	for (i = 0; i + 3 < len; i++)
		if (memcmp(m + i, "\r\n\r\n", 4) == 0) {
			end = m + i + 2;
			break;
		}
	CHECK(end != NULL);
	hl = (size_t)(end - m);
	subj = malloc(hl + 1);
	CHECK(subj != NULL);
	/* the header block: printable ASCII lines ended by CRLF */
	for (i = 0; i < hl; i++) {
		unsigned char	 c = (unsigned char)m[i];

		if (c == '\r') {
			CHECK(i + 1 < hl && m[i + 1] == '\n');
			i++;
			continue;
		}
		CHECK(c >= 0x20 && c <= 0x7e);
	}
	for (l = m; l < end; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(end - l));
		CHECK(nl != NULL);
		if (*l == ' ') {
			CHECK(in_subject);	/* folds only the subject */
			memcpy(subj + slen, l, (size_t)(nl - 1 - l));
			slen += (size_t)(nl - 1 - l);
			continue;
		}
		CHECK(h < sizeof(order) / sizeof(order[0]));
		CHECK(strncmp(l, order[h], strlen(order[h])) == 0);
		in_subject = h == 3;
		if (in_subject) {
			memcpy(subj, l + 9, (size_t)(nl - 1 - l - 9));
			slen = (size_t)(nl - 1 - l - 9);
		}
		if (h == 8)
			CHECK((size_t)(nl - 1 - l - 10) == strlen(ticket) &&
			    memcmp(l + 10, ticket, strlen(ticket)) == 0);
		h++;
	}
	CHECK(h == (has_ticket ? 9u : 8u));

	/* the body */
	b = end + 2;
	bl = len - (size_t)(b - m);
	CHECK(bl >= 2 && memcmp(b + bl - 2, "\r\n", 2) == 0);
	for (i = 0, l = b; i < bl; i++) {
		if (b[i] == '\r')
			CHECK(i + 1 < bl && b[i + 1] == '\n');
		if (b[i] == '\n') {
			CHECK(i > 0 && b[i - 1] == '\r');
			CHECK((size_t)(b + i - 1 - l) <= WD_MAX_MAIL_LINE);
			l = b + i + 1;
		}
	}
	CHECK(utf8((const uint8_t *)b, bl));

	/* no placeholder: subject and body as written */
	if (memchr(tpl, '{', tlen) == NULL) {
		const char	*s = tpl + 8, *se = memchr(tpl, '\n', tlen);
		const char	*tb;
		size_t		 k;

		while (*s == ' ' || *s == '\t')
			s++;
		dec = malloc(slen + 1);
		CHECK(dec != NULL);
		dn = decode_subject(subj, slen, dec);
		k = (size_t)(se - s);
		if (k > 0 && s[k - 1] == '\r')
			k--;
		CHECK(dn == k && memcmp(dec, s, k) == 0);
		free(dec);
		/* the body: after "\n" then "\n" or "\r\n" */
		tb = se + 1;
		tb += *tb == '\r' ? 2 : 1;
		want = malloc(2 * tlen + 3);
		CHECK(want != NULL);
		for (wn = 0; tb < tpl + tlen; tb++) {
			if (*tb == '\r')
				continue;	/* only before LF: checked */
			if (*tb == '\n')
				want[wn++] = '\r';
			want[wn++] = *tb;
		}
		if (wn < 2 || memcmp(want + wn - 2, "\r\n", 2) != 0) {
			want[wn++] = '\r';
			want[wn++] = '\n';
		}
		CHECK(wn == bl && memcmp(want, b, bl) == 0);
		free(want);
	}
	free(subj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*names[3] = { "link", "email", "ticket" };
	const char	*values[3], *why = NULL;
	const uint8_t	*p = data + 1;
	size_t		 n = size > 0 ? size - 1 : 0;
	char		*link, *ticket, *addr, *tpl;
	struct wd_mail	 m;
	struct wd_buf	 out;
	enum wd_err	 rc;
	int		 flags = size > 0 ? data[0] : 0;
	size_t		 max = flags & 2 ? 512 : WD_MAX_MAIL;

	if (size == 0)
		return 0;
	link = piece(&p, &n);
	ticket = piece(&p, &n);
	addr = piece(&p, &n);
	tpl = malloc(n > 0 ? n : 1);
	CHECK(tpl != NULL);
	if (n > 0)
		memcpy(tpl, p, n);
	values[0] = link;
	values[1] = addr;
	values[2] = ticket;
	memset(&m, 0, sizeof(m));
	m.tpl = tpl;
	m.tpllen = n;
	m.from = FROM;
	m.to = TO;
	m.msgid = "outbox.1.2@example.com";
	m.date = 1700000000;
	m.names = names;
	m.values = values;
	m.n = flags & 1 ? 3 : 2;
	wd_buf_init(&out, max);
	rc = wd_mail_render(&m, &out, &why);
	CHECK(rc == WD_OK || rc == WD_E_BADREQ || rc == WD_E_TOOBIG);
	CHECK(out.len <= max);
	if (rc == WD_E_BADREQ)
		CHECK(why != NULL);
	if (rc == WD_OK)
		check_message(out.p, out.len, tpl, n, flags & 1, ticket);
	wd_buf_cleanup(&out);
	free(link);
	free(ticket);
	free(addr);
	free(tpl);
	return 0;
}
