/*
 * fuzz_cfg.c: the configuration file parser, wd_cfg_parse (wd_cfg.h).
 *
 * The input is the file's text (an exact-size copy, not NUL-terminated).
 * Invariants:
 * - WD_OK or WD_E_CONFIG only, and the same answer twice (determinism,
 *   also into a cfg already holding values: later values win, no leak).
 * - On WD_OK every value set is a NUL-terminated string of at most
 *   WD_MAX_CFG_VALUE bytes and err is untouched.
 * - On error err is one line starting "line N: " with N a line of the
 *   input.
 * - Round trip: every value written back as NAME="..." (escaping \ " $ `)
 *   and, when it holds no quote, as NAME='...', parses to itself.
 */

#include "wd_cfg.h"
#include "wd_fuzz.h"
#include "wd_limits.h"

#define ERR_FILL	'\x7e'

static void
check_vals(const struct wd_cfg *c)
{
	int	 k;

	for (k = 0; k < WD_CFG__MAX; k++)
		if (c->val[k] != NULL)
			CHECK(strlen(c->val[k]) <= WD_MAX_CFG_VALUE);
}

/* "line N: ..." with 1 <= N <= lines in the input. */
static void
check_err(const char *err, size_t errsz, const char *t, size_t len)
{
	size_t	 i, lines = 1;
	long	 n = 0;

	CHECK(memchr(err, '\0', errsz) != NULL);
	CHECK(strncmp(err, "line ", 5) == 0);
	CHECK(strstr(err, "line ") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	for (i = 5; err[i] >= '0' && err[i] <= '9' && n < 100000000; i++)
		n = n * 10 + (err[i] - '0');
	CHECK(i > 5 && err[i] == ':');
	for (i = 0; i < len; i++)
		if (t[i] == '\n')
			lines++;
	CHECK(n >= 1 && (size_t)n <= lines);
}

/* Appends NAME=<quoted v> and a newline; dq selects "..." over '...'. */
static size_t
put(char *o, const char *name, const char *v, int dq)
{
	size_t	 n = 0;

	memcpy(o, name, strlen(name));
	n += strlen(name);
	o[n++] = '=';
	o[n++] = dq ? '"' : '\'';
	for (; *v != '\0'; v++) {
		if (dq && strchr("\\\"$`", *v) != NULL)
			o[n++] = '\\';
		o[n++] = *v;
	}
	o[n++] = dq ? '"' : '\'';
	o[n++] = '\n';
	return n;
}

static void
round_trip(const struct wd_cfg *c, int dq)
{
	struct wd_cfg	 c2;
	char		 err[256];
	char		*text;
	size_t		 cap = 0, n = 0;
	int		 k;

	for (k = 0; k < WD_CFG__MAX; k++)
		if (c->val[k] != NULL)
			cap += strlen(wd_cfg_name(k)) + 2 * strlen(c->val[k]) +
			    4;
	text = malloc(cap > 0 ? cap : 1);
	CHECK(text != NULL);
	for (k = 0; k < WD_CFG__MAX; k++) {
		if (c->val[k] == NULL)
			continue;
		if (!dq && strchr(c->val[k], '\'') != NULL)
			continue;	/* no '\'' joins here */
		n += put(text + n, wd_cfg_name(k), c->val[k], dq);
	}
	CHECK(n <= cap);
	memset(&c2, 0, sizeof(c2));
	if (wd_cfg_parse(&c2, text, n, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "round trip (%s): %s\n", dq ? "\"\"" : "''",
		    err);
		CHECK(0);
	}
	for (k = 0; k < WD_CFG__MAX; k++) {
		if (c->val[k] == NULL ||
		    (!dq && strchr(c->val[k], '\'') != NULL))
			CHECK(c2.val[k] == NULL);
		else
			CHECK(c2.val[k] != NULL &&
			    strcmp(c2.val[k], c->val[k]) == 0);
	}
	wd_cfg_cleanup(&c2);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_cfg	 c, c2;
	char		 err[128], err2[128];
	char		*t;
	enum wd_err	 rc, rc2;
	int		 k;

	t = fz_copy(data, size);
	memset(&c, 0, sizeof(c));
	memset(err, ERR_FILL, sizeof(err));
	rc = wd_cfg_parse(&c, t, size, err, sizeof(err));
	CHECK(rc == WD_OK || rc == WD_E_CONFIG);
	check_vals(&c);
	if (rc == WD_OK) {
		size_t	 i;

		for (i = 0; i < sizeof(err); i++)
			CHECK(err[i] == ERR_FILL);
		round_trip(&c, 1);
		round_trip(&c, 0);
	} else
		check_err(err, sizeof(err), t, size);

	/* again, into a cfg that already holds every value */
	memset(&c2, 0, sizeof(c2));
	for (k = 0; k < WD_CFG__MAX; k++)
		c2.val[k] = strdup("previous");
	memset(err2, ERR_FILL, sizeof(err2));
	rc2 = wd_cfg_parse(&c2, t, size, err2, sizeof(err2));
	CHECK(rc2 == rc);
	check_vals(&c2);
	if (rc == WD_OK) {
		for (k = 0; k < WD_CFG__MAX; k++)
			CHECK(c.val[k] == NULL ?
			    strcmp(c2.val[k], "previous") == 0 :
			    strcmp(c2.val[k], c.val[k]) == 0);
	} else
		CHECK(strcmp(err, err2) == 0);
	wd_cfg_cleanup(&c);
	wd_cfg_cleanup(&c2);
	for (k = 0; k < WD_CFG__MAX; k++)
		CHECK(c.val[k] == NULL && c2.val[k] == NULL);
	free(t);
	return 0;
}
