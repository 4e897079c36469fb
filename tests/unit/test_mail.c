/*
 * test_mail.c: mail templates to RFC 5322 messages (src/wd_mail.c), the
 * address and template-name checks, the mailer's backoff
 * (src/wd_mailer.c), and the shipped templates/ with the variables the
 * README documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_limits.h"
#include "wd_mail.h"
#include "wd_mailer.h"
#include "wd_test.h"

#define M	"mail"

#define FROM	"warden@example.com"
#define TO	"user@example.org"
#define MSGID	"outbox.7.1700000000000000@example.com"
#define TICKET	"5b3f1d1e-2f43-4a57-9d0e-8c1f4e6a7b21"

static const char *const	 names[] = { "link", "ticket", "email" };
static const char *const	 values[] = { "https://w.example/a?ticket="
				    TICKET, TICKET, TO };

/* The fixed headers of a message from FROM to TO, dated 0, before the
 * Subject. */
#define HEAD	"Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n" \
		"From: " FROM "\r\nTo: " TO "\r\n"
#define MIME	"Message-ID: <" MSGID ">\r\nMIME-Version: 1.0\r\n" \
		"Content-Type: text/plain; charset=utf-8\r\n" \
		"Content-Transfer-Encoding: 8bit\r\n"

struct render_case {
	const char	*name;
	const char	*tpl;
	size_t		 n;	/* variables used from names/values */
	enum wd_err	 want;
	const char	*out;	/* whole message on WD_OK; else *why */
};

static const struct render_case cases[] = {
	/* good */
	{ "plain", "Subject: Hi\n\nHello\n", 0, WD_OK,
	    HEAD "Subject: Hi\r\n" MIME "\r\nHello\r\n" },
	{ "placeholders in subject and body, X-Ticket",
	    "Subject: For {{email}}\n\nOpen {{link}}\nor use {{ticket}}.\n",
	    3, WD_OK,
	    HEAD "Subject: For " TO "\r\n" MIME "X-Ticket: " TICKET "\r\n"
	    "\r\nOpen https://w.example/a?ticket=" TICKET "\r\nor use "
	    TICKET ".\r\n" },
	{ "CRLF template, no final newline", "Subject:  Hi\r\n\r\na\r\nb", 0,
	    WD_OK, HEAD "Subject: Hi\r\n" MIME "\r\na\r\nb\r\n" },
	{ "empty body", "Subject: Hi\n\n", 0, WD_OK,
	    HEAD "Subject: Hi\r\n" MIME "\r\n\r\n" },
	{ "single braces are text", "Subject: {a}\n\n{ } } {x}\n", 0, WD_OK,
	    HEAD "Subject: {a}\r\n" MIME "\r\n{ } } {x}\r\n" },
	{ "non-ASCII subject encoded (RFC 2047)",
	    "Subject: Best\xc3\xa4tigen Sie\n\n\xc3\xa4\n", 0, WD_OK,
	    HEAD "Subject: =?utf-8?B?QmVzdMOkdGlnZW4gU2ll?=\r\n" MIME
	    "\r\n\xc3\xa4\r\n" },
	{ "long non-ASCII subject folded between characters",
	    "Subject: \xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\n\nx\n", 0, WD_OK,
	    HEAD "Subject: =?utf-8?B?w6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TD"
	    "pMOkw6TDpMOkw6TDpMOkw6Q=?=\r\n"
	    " =?utf-8?B?w6TDpMOkw6TDpMOkw6TDpA==?=\r\n" MIME "\r\nx\r\n" },
	{ "subject with =? is encoded", "Subject: a=?b\n\nx\n", 0, WD_OK,
	    HEAD "Subject: =?utf-8?B?YT0/Yg==?=\r\n" MIME "\r\nx\r\n" },
	/* bad templates */
	{ "empty template", "", 0, WD_E_BADREQ, "no Subject line" },
	{ "no Subject line", "Hello\n\nbody\n", 0, WD_E_BADREQ,
	    "no Subject line" },
	{ "subject in lower case", "subject: Hi\n\nbody\n", 0, WD_E_BADREQ,
	    "no Subject line" },
	{ "Subject line without newline", "Subject: Hi", 0, WD_E_BADREQ,
	    "no Subject line" },
	{ "no empty line after Subject", "Subject: Hi\nbody\n", 0,
	    WD_E_BADREQ, "no empty line after the Subject line" },
	{ "Subject then end", "Subject: Hi\n", 0, WD_E_BADREQ,
	    "no empty line after the Subject line" },
	{ "second header line", "Subject: Hi\nBcc: x@y.z\n\nbody\n", 0,
	    WD_E_BADREQ, "no empty line after the Subject line" },
	{ "unknown placeholder", "Subject: Hi\n\n{{linc}}\n", 3, WD_E_BADREQ,
	    "unknown placeholder" },
	{ "placeholder without its variable", "Subject: Hi\n\n{{link}}\n", 0,
	    WD_E_BADREQ, "unknown placeholder" },
	{ "unknown placeholder in subject", "Subject: {{nope}}\n\nx\n", 3,
	    WD_E_BADREQ, "unknown placeholder" },
	{ "unclosed placeholder", "Subject: Hi\n\n{{link\n", 3, WD_E_BADREQ,
	    "malformed placeholder" },
	{ "spaces in placeholder", "Subject: Hi\n\n{{ link }}\n", 3,
	    WD_E_BADREQ, "malformed placeholder" },
	{ "upper-case placeholder", "Subject: Hi\n\n{{LINK}}\n", 3,
	    WD_E_BADREQ, "malformed placeholder" },
	{ "empty placeholder", "Subject: Hi\n\n{{}}\n", 3, WD_E_BADREQ,
	    "malformed placeholder" },
	{ "triple brace", "Subject: Hi\n\n{{{link}}}\n", 3, WD_E_BADREQ,
	    "malformed placeholder" },
	{ "placeholder across lines", "Subject: Hi\n\n{{li\nnk}}\n", 3,
	    WD_E_BADREQ, "malformed placeholder" },
	{ "bare CR in body", "Subject: Hi\n\na\rb\n", 0, WD_E_BADREQ,
	    "bare CR in the template" },
	{ "CR inside the subject", "Subject: H\ri\n\nx\n", 0, WD_E_BADREQ,
	    "control character in the subject" },
	{ "tab inside the subject", "Subject: H\ti\n\nx\n", 0, WD_E_BADREQ,
	    "control character in the subject" },
	{ "subject not UTF-8", "Subject: \xff\n\nx\n", 0, WD_E_BADREQ,
	    "subject not UTF-8" },
	{ "body not UTF-8", "Subject: Hi\n\n\xc3\x28\n", 0, WD_E_BADREQ,
	    "body not UTF-8" },
	{ "overlong UTF-8 in body", "Subject: Hi\n\n\xc0\xaf\n", 0,
	    WD_E_BADREQ, "body not UTF-8" },
};

static void
test_render(void)
{
	size_t		 i;
	struct wd_buf	 out;
	const char	*why;
	enum wd_err	 rc;
	char		 name[160];
	struct wd_mail	 m;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct render_case	*c = &cases[i];
		char				*tpl;
		size_t				 len = strlen(c->tpl);

		/* an exact-size copy: ASan sees a read past the end */
		tpl = malloc(len > 0 ? len : 1);
		memcpy(tpl, c->tpl, len);
		memset(&m, 0, sizeof(m));
		m.tpl = tpl;
		m.tpllen = len;
		m.from = FROM;
		m.to = TO;
		m.msgid = MSGID;
		m.date = 0;
		m.names = names;
		m.values = values;
		m.n = c->n;
		wd_buf_init(&out, WD_MAX_MAIL);
		why = NULL;
		rc = wd_mail_render(&m, &out, &why);
		snprintf(name, sizeof(name), "render: %s", c->name);
		if (c->want == WD_OK) {
			CHECK(M, name, rc == WD_OK &&
			    strcmp(wd_buf_str(&out), c->out) == 0);
			if (rc != WD_OK || strcmp(wd_buf_str(&out), c->out))
				printf("  got rc=%d why=%s len=%zu want=%zu\n",
				    rc, why ? why : "-", out.len,
				    strlen(c->out));
		} else
			CHECK(M, name, rc == c->want && why != NULL &&
			    strcmp(why, c->out) == 0);
		wd_buf_cleanup(&out);
		free(tpl);
	}
}

struct value_case {
	const char	*name;
	const char	*tpl;
	const char	*vname;
	const char	*value;
	enum wd_err	 want;
	const char	*body;	/* expected body on WD_OK; else *why */
};

/* One variable with a hostile value (the address a user typed). */
static const struct value_case vcases[] = {
	{ "LF in a value in the body becomes CRLF", "Subject: x\n\n{{v}}\n",
	    "v", "a\nb", WD_OK, "a\r\nb\r\n" },
	{ "CR in a value in the body becomes CRLF", "Subject: x\n\n{{v}}\n",
	    "v", "a\rb", WD_OK, "a\r\nb\r\n" },
	{ "CRLF in a value in the body stays one line end",
	    "Subject: x\n\n{{v}}\n", "v", "a\r\nb", WD_OK, "a\r\nb\r\n" },
	{ "SMTP end of data in a value stays text",
	    "Subject: x\n\n{{v}}\n", "v", "a\n.\nMAIL FROM:<e@v.l>", WD_OK,
	    "a\r\n.\r\nMAIL FROM:<e@v.l>\r\n" },
	{ "value with braces is not expanded again",
	    "Subject: x\n\n{{v}}\n", "v", "{{v}}", WD_OK, "{{v}}\r\n" },
	{ "CRLF in a value in the subject refused",
	    "Subject: {{v}}\n\nx\n", "v", "a\r\nBcc: e@v.l", WD_E_BADREQ,
	    "control character in the subject" },
	{ "LF in a value in the subject refused", "Subject: {{v}}\n\nx\n",
	    "v", "a\nBcc: e@v.l", WD_E_BADREQ,
	    "control character in the subject" },
	{ "NUL-free but DEL in subject refused", "Subject: {{v}}\n\nx\n",
	    "v", "a\x7f", WD_E_BADREQ, "control character in the subject" },
	{ "CRLF in the ticket refused", "Subject: x\n\n{{ticket}}\n",
	    "ticket", "t\r\nBcc: e@v.l", WD_E_BADREQ,
	    "ticket not printable ASCII" },
	{ "blank in the ticket refused", "Subject: x\n\nx\n", "ticket",
	    "a b", WD_E_BADREQ, "ticket not printable ASCII" },
	{ "value not UTF-8 refused", "Subject: x\n\n{{v}}\n", "v", "\xfe",
	    WD_E_BADREQ, "body not UTF-8" },
	{ "bad variable name", "Subject: x\n\nx\n", "V", "a", WD_E_BADREQ,
	    "invalid variable name" },
	{ "empty variable name", "Subject: x\n\nx\n", "", "a", WD_E_BADREQ,
	    "invalid variable name" },
	{ "subject over 256 bytes", "Subject: {{v}}{{v}}{{v}}\n\nx\n", "v",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789", WD_E_BADREQ,
	    "subject too long" },
	{ "body line over 998 bytes",
	    "Subject: x\n\n{{v}}{{v}}{{v}}{{v}}{{v}}{{v}}{{v}}{{v}}{{v}}"
	    "{{v}}{{v}}{{v}}\n", "v",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789", WD_E_BADREQ,
	    "body line too long" },
};

static void
test_values(void)
{
	size_t		 i;
	struct wd_buf	 out;
	const char	*why, *b;
	enum wd_err	 rc;
	char		 name[160];
	struct wd_mail	 m;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct value_case	*c = &vcases[i];

		memset(&m, 0, sizeof(m));
		m.tpl = c->tpl;
		m.tpllen = strlen(c->tpl);
		m.from = FROM;
		m.to = TO;
		m.msgid = MSGID;
		m.names = &c->vname;
		m.values = &c->value;
		m.n = 1;
		wd_buf_init(&out, WD_MAX_MAIL);
		why = NULL;
		rc = wd_mail_render(&m, &out, &why);
		b = strstr(wd_buf_str(&out), "\r\n\r\n");
		snprintf(name, sizeof(name), "value: %s", c->name);
		if (c->want == WD_OK)
			CHECK(M, name, rc == WD_OK && b != NULL &&
			    strcmp(b + 4, c->body) == 0);
		else
			CHECK(M, name, rc == c->want && why != NULL &&
			    strcmp(why, c->body) == 0);
		wd_buf_cleanup(&out);
	}
}

/* Addresses, Message-IDs, variable counts and sizes. */
static void
test_inputs(void)
{
	static const struct {
		const char	*name;
		const char	*from, *to, *msgid;
		size_t		 max;
		enum wd_err	 want;
	} c[] = {
		{ "good", FROM, TO, MSGID, WD_MAX_MAIL, WD_OK },
		{ "From with a name", "W <w@x.org>", TO, MSGID, WD_MAX_MAIL,
		    WD_E_BADREQ },
		{ "From with CRLF", "w@x.org\r\nBcc: e@v.l", TO, MSGID,
		    WD_MAX_MAIL, WD_E_BADREQ },
		{ "To with CRLF", FROM, "u@x.org\r\nBcc: e@v.l", MSGID,
		    WD_MAX_MAIL, WD_E_BADREQ },
		{ "To with a comma", FROM, "u@x.org,e@v.l", MSGID,
		    WD_MAX_MAIL, WD_E_BADREQ },
		{ "To empty", FROM, "", MSGID, WD_MAX_MAIL, WD_E_BADREQ },
		{ "Message-ID with a blank", FROM, TO, "a b@x.org",
		    WD_MAX_MAIL, WD_E_BADREQ },
		{ "Message-ID with >", FROM, TO, "a>b@x.org", WD_MAX_MAIL,
		    WD_E_BADREQ },
		{ "Message-ID without @", FROM, TO, "ab", WD_MAX_MAIL,
		    WD_E_BADREQ },
		{ "message over the buffer's max", FROM, TO, MSGID, 100,
		    WD_E_TOOBIG },
	};
	static const char	 tpl[] = "Subject: Hi\n\n{{link}}\n";
	const char		*many[WD_MAX_MAIL_VARS + 1];
	const char		*dup[2] = { "link", "link" };
	char			 big[WD_MAX_MAIL_VALUE + 2];
	const char		*bigv[1] = { big };
	struct wd_buf		 out;
	struct wd_mail		 m;
	size_t			 i;
	char			 name[160];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.tpl = tpl;
		m.tpllen = strlen(tpl);
		m.from = c[i].from;
		m.to = c[i].to;
		m.msgid = c[i].msgid;
		m.names = names;
		m.values = values;
		m.n = 1;
		wd_buf_init(&out, c[i].max);
		snprintf(name, sizeof(name), "input: %s", c[i].name);
		CHECK(M, name, wd_mail_render(&m, &out, NULL) == c[i].want);
		wd_buf_cleanup(&out);
	}
	for (i = 0; i < WD_MAX_MAIL_VARS + 1; i++)
		many[i] = "x";
	memset(&m, 0, sizeof(m));
	m.tpl = tpl;
	m.tpllen = strlen(tpl);
	m.from = FROM;
	m.to = TO;
	m.msgid = MSGID;
	m.names = many;
	m.values = many;
	m.n = WD_MAX_MAIL_VARS + 1;
	wd_buf_init(&out, WD_MAX_MAIL);
	CHECK(M, "input: too many variables",
	    wd_mail_render(&m, &out, NULL) == WD_E_BADREQ);
	wd_buf_reset(&out);
	m.names = dup;
	m.values = dup;
	m.n = 2;
	CHECK(M, "input: repeated variable",
	    wd_mail_render(&m, &out, NULL) == WD_E_BADREQ);
	wd_buf_reset(&out);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m.names = names;
	m.values = bigv;
	m.n = 1;
	CHECK(M, "input: value over WD_MAX_MAIL_VALUE",
	    wd_mail_render(&m, &out, NULL) == WD_E_BADREQ);
	wd_buf_reset(&out);
	big[WD_MAX_MAIL_VALUE] = '\0';
	m.tpl = "Subject: x\n\n{{link}}{{link}}{{link}}{{link}}\n";
	m.tpllen = strlen(m.tpl);
	CHECK(M, "input: value at WD_MAX_MAIL_VALUE, line too long",
	    wd_mail_render(&m, &out, NULL) == WD_E_BADREQ);
	wd_buf_cleanup(&out);
}

static void
test_names(void)
{
	static const struct {
		const char	*s;
		int		 addr, tmpl;
	} c[] = {
		{ "a@b.c", 1, 0 }, { "first.last+tag@example.com", 1, 0 },
		{ "activate", 0, 1 }, { "reset-password", 0, 1 },
		{ "", 0, 0 }, { "@b.c", 0, 0 }, { "a@", 0, 0 },
		{ "a@b@c", 0, 0 }, { "a b@c.d", 0, 0 }, { "<a@b.c>", 0, 0 },
		{ "a@b.c\r\n", 0, 0 }, { "\"a\"@b.c", 0, 0 },
		{ "a(b)@c.d", 0, 0 }, { "a;b@c.d", 0, 0 }, { "a\\b@c.d", 0, 0 },
		{ "a:b@c.d", 0, 0 }, { "a@[1.2.3.4]", 0, 0 },
		{ "a@b.c\xc3\xa4", 0, 0 }, { "../etc/passwd", 0, 0 },
		{ "Activate", 0, 0 }, { "a/b", 0, 0 }, { "a.txt", 0, 0 },
		{ "a_b", 0, 0 },
		/* 65 and 64 bytes */
		{ "01234567890123456789012345678901"
		  "234567890123456789012345678901234", 0, 0 },
		{ "01234567890123456789012345678901"
		  "23456789012345678901234567890123", 0, 1 },
	};
	size_t	 i;
	char	 name[160];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char	*q;

		snprintf(name, sizeof(name), "addr_ok/tmpl_ok \"%s\"", c[i].s);
		for (q = name; *q != '\0'; q++)	/* one line per case */
			if ((unsigned char)*q < 0x20)
				*q = '?';
		CHECK(M, name, wd_mail_addr_ok(c[i].s) == c[i].addr &&
		    wd_mail_tmpl_ok(c[i].s) == c[i].tmpl);
	}
}

static void
test_backoff(void)
{
	static const struct {
		long	 min, max;
		int	 attempts;
		long	 want;
	} c[] = {
		{ 10, 600, 1, 10 }, { 10, 600, 2, 20 }, { 10, 600, 3, 40 },
		{ 10, 600, 6, 320 }, { 10, 600, 7, 600 }, { 10, 600, 8, 600 },
		{ 10, 600, 1000000, 600 }, { 1, 2, 1, 1 }, { 1, 2, 2, 2 },
		{ 1, 2, 50, 2 }, { 5, 3, 1, 5 }, { 5, 3, 9, 5 },
		{ 3600, 86400, 6, 86400 }, { 1, 86400, 100, 86400 },
	};
	size_t	 i;
	char	 name[160];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(name, sizeof(name), "backoff %ld..%ld after %d: %ld",
		    c[i].min, c[i].max, c[i].attempts, c[i].want);
		CHECK(M, name, wd_mailer_backoff(c[i].min, c[i].max,
		    c[i].attempts) == c[i].want);
	}
}

/* The shipped templates render with the variables the README lists. */
static void
test_shipped(void)
{
	static const char *const vals[] = { "https://x/y?ticket=" TICKET,
	    TICKET, TO };
	static const char *const vals4[] = { TO, "new@example.org", TICKET,
	    "https://x/y?ticket=" TICKET };
	static const struct {
		const char		*file;
		size_t			 n;
		const char		*names[4];
		const char *const	*vals;
	} t[] = {
		{ "activate", 3, { "link", "ticket", "email" }, vals },
		{ "reset-password", 3, { "link", "ticket", "email" }, vals },
		{ "change-email", 3, { "link", "ticket", "email" }, vals },
		/* the notice to the old address, with the link that undoes
		 * the change */
		{ "notify-email-change", 4, { "email", "new_email", "ticket",
		    "link" }, vals4 },
		/* to an address nobody proved: no link */
		{ "notify-email-change-plain", 2, { "email", "new_email" },
		    vals4 },
	};
	char		 path[128], text[WD_MAX_MAIL_TEMPLATE];
	size_t		 i, len;
	FILE		*f;
	struct wd_buf	 out;
	struct wd_mail	 m;
	char		 name[160];
	enum wd_err	 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(path, sizeof(path), "templates/%s.txt", t[i].file);
		snprintf(name, sizeof(name), "shipped template %s renders",
		    t[i].file);
		f = fopen(path, "r");
		len = f == NULL ? 0 : fread(text, 1, sizeof(text), f);
		if (f != NULL)
			fclose(f);
		memset(&m, 0, sizeof(m));
		m.tpl = text;
		m.tpllen = len;
		m.from = FROM;
		m.to = TO;
		m.msgid = MSGID;
		m.names = t[i].names;
		m.values = t[i].vals;
		m.n = t[i].n;
		wd_buf_init(&out, WD_MAX_MAIL);
		rc = wd_mail_render(&m, &out, NULL);
		CHECK(M, name, f != NULL && rc == WD_OK && (t[i].n == 2 ?
		    strstr(out.p, TICKET) == NULL :
		    strstr(out.p, vals[0]) != NULL &&
		    strstr(out.p, "X-Ticket: " TICKET "\r\n") != NULL));
		/* each one needs what it uses: one variable less fails */
		wd_buf_reset(&out);
		m.n--;
		snprintf(name, sizeof(name), "shipped template %s uses its "
		    "last variable", t[i].file);
		CHECK(M, name, wd_mail_render(&m, &out, NULL) == WD_E_BADREQ);
		wd_buf_cleanup(&out);
	}
}

int
main(void)
{
	test_render();
	test_values();
	test_inputs();
	test_names();
	test_backoff();
	test_shipped();
	return WD_TEST_RESULT();
}
