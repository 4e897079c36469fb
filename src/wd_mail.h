/*
 * wd_mail.h: account mail as text. A template (a file the operator
 * edits: trusted, but checked) is filled with variables (a link, a
 * ticket, a user's address: untrusted) and wrapped in an RFC 5322
 * message ready for SMTP.
 *
 * Template syntax (templates/<name>.txt):
 *	Subject: <text>
 *	<empty line>
 *	<body>
 * Lines end in LF or CRLF. "{{name}}" (name: [a-z_][a-z0-9_]{0,31}) is
 * replaced by the variable's value, in the subject and the body alike;
 * every "{{" must open such a placeholder, and a placeholder naming no
 * variable is an error (so a typo in a template stops that mail instead
 * of sending a broken link). Variables a template does not use are fine.
 */
#ifndef WD_MAIL_H
#define WD_MAIL_H

#include <stddef.h>
#include <time.h>

#include "wd_buf.h"
#include "wd_err.h"

struct wd_mail {
	const char		*tpl;	/* the template's text, tpllen bytes */
	size_t			 tpllen;
	const char		*from;	/* sender (WARDEN_SMTP_SENDER) */
	const char		*to;	/* recipient address */
	const char		*msgid;	/* Message-ID, no angle brackets */
	time_t			 date;
	const char *const	*names;	/* n variables */
	const char *const	*values;
	size_t			 n;
};

/*
 * Renders m into out (appended; out's max bounds the message): the
 * headers Date, From, To, Subject (RFC 2047 UTF-8 encoded words when it
 * is not plain ASCII or holds "=?"), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding 8bit,
 * and X-Ticket when a variable "ticket" is given; an empty line; the
 * body. Every line ends in CRLF, including line breaks inside values; no
 * line exceeds 998 bytes.
 *
 * Values go into the body as they are. In a header a value must not hold
 * a control character (CR and LF included): such a message is refused,
 * never repaired. The ticket must be printable ASCII without blanks.
 *
 * Returns WD_OK; WD_E_TOOBIG past out's max; WD_E_BADREQ with *why (a
 * static string that names no value; why may be NULL) for a malformed
 * template (no Subject line, no empty line after it, a NUL, a bare CR,
 * a malformed or unknown placeholder, text that is not UTF-8, a subject
 * over WD_MAX_MAIL_SUBJECT bytes or a body line over WD_MAX_MAIL_LINE)
 * or bad inputs (an invalid address or Message-ID, over
 * WD_MAX_MAIL_VARS variables, a bad or repeated name, a value over
 * WD_MAX_MAIL_VALUE bytes). On error out holds a partial message.
 */
enum wd_err	wd_mail_render(const struct wd_mail *m, struct wd_buf *out,
		    const char **why);

/*
 * 1 if s is an address we put in From, To or an SMTP envelope: at most
 * 254 bytes of visible ASCII without blanks, quotes, angle brackets,
 * parentheses, commas, semicolons, colons, backslashes or square
 * brackets, with exactly one '@' and text on both sides. (wd_email
 * normalises what users type; this is the last check before a header.)
 */
int		wd_mail_addr_ok(const char *s);

/* 1 if s is a template name: [a-z0-9-]{1,64} (a file name, no path). */
int		wd_mail_tmpl_ok(const char *s);

#endif
