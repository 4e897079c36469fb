/*
 * test_email.c: e-mail normalisation and validation (src/wd_email.c).
 */
#include <stdlib.h>
#include <string.h>

#include "wd_email.h"
#include "wd_test.h"

#define M	"email"

struct email_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	enum wd_err	 want;
	const char	*out;	/* expected output on WD_OK */
};

/*
 * Runs one case on an exact-size heap copy of the input (not
 * NUL-terminated, so ASan sees a read past len) and an exact-size output
 * buffer.
 */
static void
check_one(const char *name, const char *in, size_t len, enum wd_err want,
    const char *exp)
{
	char		*cp, *out;
	enum wd_err	 rc;

	cp = malloc(len > 0 ? len : 1);
	out = malloc(WD_EMAIL_MAX + 1);
	if (cp == NULL || out == NULL) {
		CHECK(M, name, 0);
		free(cp);
		free(out);
		return;
	}
	if (len > 0)
		memcpy(cp, in, len);
	memset(out, 'X', WD_EMAIL_MAX + 1);
	rc = wd_email_normalize(cp, len, out);
	if (want == WD_OK)
		CHECK(M, name, rc == WD_OK &&
		    memchr(out, '\0', WD_EMAIL_MAX + 1) != NULL &&
		    strcmp(out, exp) == 0);
	else
		CHECK(M, name, rc == want);
	free(cp);
	free(out);
}

static void
test_table(void)
{
	static const struct email_case cases[] = {
		/* valid forms */
		{ "simple", "user@example.com", 0, WD_OK,
		    "user@example.com" },
		{ "upper-case folded", "User@Example.COM", 0, WD_OK,
		    "user@example.com" },
		{ "all upper-case folded", "JOHN.DOE@EXAMPLE.ORG", 0, WD_OK,
		    "john.doe@example.org" },
		{ "leading spaces trimmed", "   a@b.co", 0, WD_OK, "a@b.co" },
		{ "trailing spaces trimmed", "a@b.co   ", 0, WD_OK, "a@b.co" },
		{ "tabs and spaces trimmed", "\t \ta@b.co \t ", 0, WD_OK,
		    "a@b.co" },
		{ "trimmed and folded", "  Mixed.Case@Example.Com\t", 0,
		    WD_OK, "mixed.case@example.com" },
		{ "plus tag", "first.last+tag@example.com", 0, WD_OK,
		    "first.last+tag@example.com" },
		{ "plus tag folded", "John+NewsLetter@Example.com", 0, WD_OK,
		    "john+newsletter@example.com" },
		{ "subdomains", "a@mail.eu.example.co.uk", 0, WD_OK,
		    "a@mail.eu.example.co.uk" },
		{ "digits", "user123@123.example456.com", 0, WD_OK,
		    "user123@123.example456.com" },
		{ "all digits", "42@1.2", 0, WD_OK, "42@1.2" },
		{ "hyphen and underscore", "a-b_c@ex-ample.com", 0, WD_OK,
		    "a-b_c@ex-ample.com" },
		{ "single-character labels", "a@b.c", 0, WD_OK, "a@b.c" },
		{ "len limits input", "a@b.coXYZ", 6, WD_OK, "a@b.co" },
		{ "len excludes CRLF tail", "a@b.co\r\nRCPT TO:<x@y.z>", 6,
		    WD_OK, "a@b.co" },

		/* empty and blank */
		{ "empty", "", 0, WD_E_BADREQ, NULL },
		{ "only spaces", "     ", 0, WD_E_BADREQ, NULL },
		{ "only tabs and spaces", " \t \t ", 0, WD_E_BADREQ, NULL },
		/* the '@' */
		{ "no @", "userexample.com", 0, WD_E_BADREQ, NULL },
		{ "two @", "a@b@example.com", 0, WD_E_BADREQ, NULL },
		{ "two adjacent @", "a@@example.com", 0, WD_E_BADREQ, NULL },
		{ "@ first", "@example.com", 0, WD_E_BADREQ, NULL },
		{ "@ first after trim", "  @example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "@ last", "user@", 0, WD_E_BADREQ, NULL },
		{ "@ last before trim", "user@  ", 0, WD_E_BADREQ, NULL },
		{ "only @", "@", 0, WD_E_BADREQ, NULL },
		/* domain */
		{ "domain without dot", "user@localhost", 0, WD_E_BADREQ,
		    NULL },
		{ "domain leading dot", "user@.example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "domain trailing dot", "user@example.com.", 0, WD_E_BADREQ,
		    NULL },
		{ "domain only a dot", "user@.", 0, WD_E_BADREQ, NULL },
		{ "domain double dot", "user@example..com", 0, WD_E_BADREQ,
		    NULL },
		{ "domain triple dot", "user@a...com", 0, WD_E_BADREQ, NULL },
		/* blanks inside */
		{ "space inside local part", "us er@example.com", 0,
		    WD_E_BADREQ, NULL },
		{ "space before @", "user @example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "space after @", "user@ example.com", 0, WD_E_BADREQ, NULL },
		{ "tab inside domain", "user@exa\tmple.com", 0, WD_E_BADREQ,
		    NULL },
		/* control characters, DEL, non-ASCII */
		{ "control 0x01", "user\x01@example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "escape 0x1b", "user@exam\x1bple.com", 0, WD_E_BADREQ,
		    NULL },
		{ "vertical tab not trimmed", "\va@b.co", 0, WD_E_BADREQ,
		    NULL },
		{ "form feed not trimmed", "a@b.co\f", 0, WD_E_BADREQ, NULL },
		{ "DEL", "user\x7f@example.com", 0, WD_E_BADREQ, NULL },
		{ "non-ASCII in local part", "caf\xc3\xa9@example.com", 0,
		    WD_E_BADREQ, NULL },
		{ "non-ASCII in domain", "user@caf\xc3\xa9.com", 0,
		    WD_E_BADREQ, NULL },
		{ "byte 0xff", "user@example.com\xff", 0, WD_E_BADREQ, NULL },
		{ "no-break space 0xa0 not trimmed", "a@b.co\xa0", 0,
		    WD_E_BADREQ, NULL },
		/* specials */
		{ "double quotes", "\"user\"@example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "quoted space", "\"us er\"@example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "comma list", "a@b.com,c@d.com", 0, WD_E_BADREQ, NULL },
		{ "comma in local part", "a,b@example.com", 0, WD_E_BADREQ,
		    NULL },
		{ "angle brackets", "<user@example.com>", 0, WD_E_BADREQ,
		    NULL },
		{ "display name", "Name <user@example.com>", 0, WD_E_BADREQ,
		    NULL },
		{ "closing angle bracket", "user@example.com>", 0,
		    WD_E_BADREQ, NULL },
		{ "address literal brackets", "user@[127.0.0.1]", 0,
		    WD_E_BADREQ, NULL },
		{ "bracket in local part", "us[er@example.com", 0,
		    WD_E_BADREQ, NULL },
		{ "backslash", "us\\er@example.com", 0, WD_E_BADREQ, NULL },
		{ "parentheses comment", "user(comment)@example.com", 0,
		    WD_E_BADREQ, NULL },
		{ "colon", "mailto:user@example.com", 0, WD_E_BADREQ, NULL },
		{ "semicolon list", "a@b.com;c@d.com", 0, WD_E_BADREQ, NULL },
		/* NUL inside (len covers it) */
		{ "NUL in local part", "user\0@example.com", 17, WD_E_BADREQ,
		    NULL },
		{ "NUL before a second address", "a@b.com\0c@d.com", 15,
		    WD_E_BADREQ, NULL },
		{ "NUL at end", "user@example.com\0", 17, WD_E_BADREQ, NULL },
		{ "NUL only", "\0", 1, WD_E_BADREQ, NULL },
		/* SMTP command injection */
		{ "CRLF injection", "a@b.com\r\nRCPT TO:<x@y.z>", 0,
		    WD_E_BADREQ, NULL },
		{ "LF injection", "a@b.com\nRCPT TO:<x@y.z>", 0, WD_E_BADREQ,
		    NULL },
		{ "CR alone", "a@b.com\rx", 0, WD_E_BADREQ, NULL },
		{ "trailing CRLF", "a@b.com\r\n", 0, WD_E_BADREQ, NULL },
		{ "leading CRLF", "\r\na@b.com", 0, WD_E_BADREQ, NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct email_case	*c = &cases[i];

		check_one(c->name, c->in,
		    c->len != 0 ? c->len : strlen(c->in), c->want, c->out);
	}
	/* len 0 with a valid address behind the pointer */
	{
		char	 out[WD_EMAIL_MAX + 1];

		CHECK(M, "len 0 of a valid address",
		    wd_email_normalize("a@b.co", 0, out) == WD_E_BADREQ);
	}
}

/*
 * Writes an address of total bytes with a local part of local bytes into
 * buf (size total + 1): local letters l, '@', then a domain of letters d
 * in labels separated by single dots. Called with upper-case letters for
 * the input and lower-case ones for the expected output, so the expected
 * form is built, not computed by a second lower-casing.
 */
static void
make_addr(char *buf, size_t local, size_t total, char l, char d)
{
	size_t	 dlen = total - local - 1, j;

	memset(buf, l, local);
	buf[local] = '@';
	for (j = 0; j < dlen; j++)
		buf[local + 1 + j] = (j % 10 == 9 && j + 1 != dlen) ? '.' : d;
	buf[total] = '\0';
}

static void
test_lengths(void)
{
	char	 in[WD_EMAIL_MAX + 16], exp[WD_EMAIL_MAX + 16];

	make_addr(in, 64, 64 + 1 + 11, 'A', 'D');
	make_addr(exp, 64, 64 + 1 + 11, 'a', 'd');
	check_one("local part exactly 64", in, strlen(in), WD_OK, exp);

	make_addr(in, 65, 65 + 1 + 11, 'A', 'D');
	check_one("local part 65", in, strlen(in), WD_E_BADREQ, NULL);

	make_addr(in, 200, 200 + 1 + 11, 'A', 'D');
	check_one("local part 200", in, strlen(in), WD_E_BADREQ, NULL);

	make_addr(in, 64, WD_EMAIL_MAX, 'A', 'D');
	make_addr(exp, 64, WD_EMAIL_MAX, 'a', 'd');
	check_one("total exactly 254", in, strlen(in), WD_OK, exp);

	/* blanks around do not count */
	in[0] = ' ';
	in[1] = '\t';
	make_addr(in + 2, 64, WD_EMAIL_MAX, 'A', 'D');
	in[WD_EMAIL_MAX + 2] = ' ';
	in[WD_EMAIL_MAX + 3] = ' ';
	in[WD_EMAIL_MAX + 4] = '\0';
	check_one("total 254 with blanks around", in, strlen(in), WD_OK,
	    exp);

	make_addr(in, 64, WD_EMAIL_MAX + 1, 'A', 'D');
	check_one("total 255", in, strlen(in), WD_E_BADREQ, NULL);

	make_addr(in, 10, WD_EMAIL_MAX + 1, 'A', 'D');
	check_one("total 255 short local part", in, strlen(in),
	    WD_E_BADREQ, NULL);

	make_addr(in, 64, WD_EMAIL_MAX + 10, 'A', 'D');
	check_one("total 264", in, strlen(in), WD_E_BADREQ, NULL);
}

int
main(void)
{
	test_table();
	test_lengths();
	return WD_TEST_RESULT();
}
