/*
 * wd_mail.c: templates to RFC 5322 messages. The template is the
 * operator's (trusted, but a typo must not send a broken mail); values
 * come from users (an address) or from us (a link, a ticket). The trust
 * boundary is the header block: a value reaches a header only without
 * control characters, addresses and the Message-ID are checked against
 * a small alphabet, and a non-ASCII subject is encoded (RFC 2047), so
 * every header line is printable ASCII ended by CRLF. The body is UTF-8
 * text whose line breaks are all CRLF (a bare LF or CR in a value would
 * otherwise reach the SMTP server as a line end of its own).
 */
#include <string.h>
#include <time.h>

#include "wd_limits.h"
#include "wd_mail.h"
#include "wd_util.h"

#define BAD(s) do {							\
	if (why != NULL)						\
		*why = (s);						\
	rc = WD_E_BADREQ;						\
	goto out;							\
} while (0)

int
wd_mail_addr_ok(const char *s)
{
	size_t	 i, at = 0, ats = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 254 || s[i] < 0x21 || s[i] > 0x7e ||
		    strchr("\"<>(),;:\\[]", s[i]) != NULL)
			return 0;
		if (s[i] == '@') {
			ats++;
			at = i;
		}
	}
	return ats == 1 && at > 0 && s[at + 1] != '\0';
}

int
wd_mail_tmpl_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0;
}

/* A Message-ID's id-left@id-right (RFC 5322 §3.6.4, dot-atom text). */
static int
msgid_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 200 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr(".-_@", s[i]) != NULL))
			return 0;
	return wd_mail_addr_ok(s);
}

static int
name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > WD_MAX_MAIL_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* The value of the variable named (s, n), or NULL. */
static const char *
lookup(const struct wd_mail *m, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		if (strlen(m->names[i]) == n && memcmp(m->names[i], s, n) == 0)
			return m->values[i];
	return NULL;
}

/*
 * Appends (s, n), a run of template text or a value, to b. In the body
 * (hdr == 0) every line break (CRLF, LF, or in a value a lone CR)
 * becomes CRLF; in the template a lone CR is refused. In the subject
 * (hdr == 1) any control character is refused.
 */
static enum wd_err
put(struct wd_buf *b, const char *s, size_t n, int hdr, int value,
    const char **why)
{
	enum wd_err	 rc = WD_OK;
	size_t		 i, run = 0;

	for (i = 0; i < n && rc == WD_OK; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '\0')
			BAD("NUL byte");
		if (hdr && (c < 0x20 || c == 0x7f))
			BAD("control character in the subject");
		if (c != '\r' && c != '\n')
			continue;
		if (c == '\r' && !value && (i + 1 == n || s[i + 1] != '\n'))
			BAD("bare CR in the template");
		rc = wd_buf_add(b, s + run, i - run);
		if (rc == WD_OK)
			rc = wd_buf_add(b, "\r\n", 2);
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			i++;
		run = i + 1;
	}
	if (rc == WD_OK)
		rc = wd_buf_add(b, s + run, n - run);
out:
	return rc;
}

/* The first "cc" in (s, n), or NULL (memmem is a GNU extension). */
static const char *
find2(const char *s, size_t n, char c)
{
	size_t	 i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == c && s[i + 1] == c)
			return s + i;
	return NULL;
}

/* (s, n) with each {{name}} replaced, into b (see put). */
static enum wd_err
expand(const struct wd_mail *m, const char *s, size_t n, int hdr,
    struct wd_buf *b, const char **why)
{
	enum wd_err	 rc = WD_OK;
	const char	*p, *end, *v;
	size_t		 i = 0;

	while (i < n && rc == WD_OK) {
		p = find2(s + i, n - i, '{');
		if (p == NULL) {
			rc = put(b, s + i, n - i, hdr, 0, why);
			break;
		}
		rc = put(b, s + i, (size_t)(p - (s + i)), hdr, 0, why);
		if (rc != WD_OK)
			break;
		p += 2;
		end = find2(p, n - (size_t)(p - s), '}');
		if (end == NULL || !name_ok(p, (size_t)(end - p)))
			BAD("malformed placeholder");
		v = lookup(m, p, (size_t)(end - p));
		if (v == NULL)
			BAD("unknown placeholder");
		rc = put(b, v, strlen(v), hdr, 1, why);
		i = (size_t)(end + 2 - s);
	}
out:
	return rc;
}

/* 1 if (s, n) is UTF-8 (RFC 3629). */
static int
utf8_ok(const char *s, size_t n)
{
	size_t	 i = 0, k;

	while (i < n) {
		k = wd_utf8_len((const unsigned char *)s + i, n - i, NULL);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* 1 if no line of (s, n), CRLF-separated, is over the RFC 5322 cap. */
static int
lines_ok(const char *s, size_t n)
{
	size_t	 i, start = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n') {
			if (i - start > WD_MAX_MAIL_LINE + 1)
				return 0;
			start = i + 1;
		}
	return n - start <= WD_MAX_MAIL_LINE;
}

/*
 * The subject as a header: as it is when it is printable ASCII (without
 * "=?"), else as
 * RFC 2047 "B" encoded words of at most 45 bytes (60 base64 characters,
 * 72 with the wrapper: under the 75 of §2), cut between UTF-8
 * sequences, one per folded line.
 */
static enum wd_err
subject(struct wd_buf *out, const char *s, size_t n)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	enum wd_err		 rc;
	size_t			 i, j, k, w;
	char			 enc[64];
	int			 ascii = 1;

	/* "=?" would be read as the start of an encoded word: encode it */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			ascii = 0;
	rc = wd_buf_adds(out, "Subject: ");
	if (ascii || rc != WD_OK) {
		if (rc == WD_OK)
			rc = wd_buf_add(out, s, n);
		return rc == WD_OK ? wd_buf_add(out, "\r\n", 2) : rc;
	}
	for (i = 0; i < n && rc == WD_OK; i += w) {
		for (w = 0; i + w < n; w += k) {
			k = wd_utf8_len((const unsigned char *)s + i + w,
			    n - i - w, NULL);
			if (k == 0 || w + k > 45)
				break;
		}
		if (w == 0)
			return WD_E_BADREQ;	/* not UTF-8: checked before */
		for (j = 0, k = 0; j < w; j += 3) {
			const unsigned char	*u = (const unsigned char *)s +
						    i + j;
			unsigned long		 v = (unsigned long)u[0] << 16;

			if (j + 1 < w)
				v |= (unsigned long)u[1] << 8;
			if (j + 2 < w)
				v |= u[2];
			enc[k++] = b64[v >> 18 & 63];
			enc[k++] = b64[v >> 12 & 63];
			enc[k++] = j + 1 < w ? b64[v >> 6 & 63] : '=';
			enc[k++] = j + 2 < w ? b64[v & 63] : '=';
		}
		rc = wd_buf_addf(out, "%s=?utf-8?B?%.*s?=\r\n", i > 0 ? " " :
		    "", (int)k, enc);
	}
	return rc;
}

enum wd_err
wd_mail_render(const struct wd_mail *m, struct wd_buf *out,
    const char **why)
{
	enum wd_err	 rc = WD_E_BADREQ;
	struct wd_buf	 subj;
	const char	*t = m->tpl, *nl, *ticket;
	size_t		 n = m->tpllen, i, j, off, body;
	char		 date[64];
	struct tm	 tm;

	wd_buf_init(&subj, WD_MAX_MAIL_SUBJECT);
	if (why != NULL)
		*why = NULL;
	if (!wd_mail_addr_ok(m->from) || !wd_mail_addr_ok(m->to))
		BAD("invalid address");
	if (!msgid_ok(m->msgid))
		BAD("invalid Message-ID");
	if (m->n > WD_MAX_MAIL_VARS)
		BAD("too many variables");
	for (i = 0; i < m->n; i++) {
		if (!name_ok(m->names[i], strlen(m->names[i])))
			BAD("invalid variable name");
		if (strlen(m->values[i]) > WD_MAX_MAIL_VALUE)
			BAD("variable value too long");
		for (j = 0; j < i; j++)
			if (strcmp(m->names[i], m->names[j]) == 0)
				BAD("repeated variable");
	}
	ticket = lookup(m, "ticket", 6);
	for (i = 0; ticket != NULL && ticket[i] != '\0'; i++)
		if (ticket[i] < 0x21 || ticket[i] > 0x7e || i >= 128)
			BAD("ticket not printable ASCII");
	if (n > WD_MAX_MAIL_TEMPLATE)
		BAD("template too long");

	/* "Subject: text" LF, then an empty line */
	nl = memchr(t, '\n', n);
	if (n < 8 || memcmp(t, "Subject:", 8) != 0 || nl == NULL)
		BAD("no Subject line");
	off = 8;
	while (off < (size_t)(nl - t) && (t[off] == ' ' || t[off] == '\t'))
		off++;
	j = (size_t)(nl - t);		/* end of the subject text */
	if (j > off && t[j - 1] == '\r')
		j--;
	body = (size_t)(nl - t) + 1;
	if (body < n && t[body] == '\r')
		body++;
	if (body >= n || t[body] != '\n')
		BAD("no empty line after the Subject line");
	body++;
	rc = expand(m, t + off, j - off, 1, &subj, why);
	if (rc == WD_E_TOOBIG)
		BAD("subject too long");
	if (rc != WD_OK)
		goto out;
	if (!utf8_ok(subj.p, subj.len))
		BAD("subject not UTF-8");

	gmtime_r(&m->date, &tm);
	if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		BAD("date out of range");
	rc = wd_buf_addf(out, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date,
	    m->from, m->to);
	if (rc == WD_OK)
		rc = subject(out, wd_buf_str(&subj), subj.len);
	if (rc == WD_OK)
		rc = wd_buf_addf(out, "Message-ID: <%s>\r\nMIME-Version: 1.0"
		    "\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n", m->msgid);
	if (rc == WD_OK && ticket != NULL)
		rc = wd_buf_addf(out, "X-Ticket: %s\r\n", ticket);
	if (rc == WD_OK)
		rc = wd_buf_add(out, "\r\n", 2);
	if (rc != WD_OK)
		goto out;
	off = out->len;
	rc = expand(m, t + body, n - body, 0, out, why);
	if (rc == WD_OK && (out->len == off ||
	    memcmp(out->p + out->len - 2, "\r\n", 2) != 0))
		rc = wd_buf_add(out, "\r\n", 2);
	if (rc != WD_OK)
		goto out;
	if (!utf8_ok(out->p + off, out->len - off))
		BAD("body not UTF-8");
	if (!lines_ok(out->p + off, out->len - off))
		BAD("body line too long");
	rc = WD_OK;
out:
	wd_buf_cleanup(&subj);
	return rc;
}
