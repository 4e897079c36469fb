/*
 * fuzz_cfg.c: the configuration file parser, wd_cfg_parse, and the
 * validation pass over what it read, wd_cfg_check (wd_cfg.h).
 *
 * The input is the file's text (an exact-size copy, not NUL-terminated).
 * Invariants:
 * - WD_OK or WD_E_CONFIG only, and the same answer twice (determinism,
 *   also into a cfg already holding values: later values win, no leak).
 * - On WD_OK every value set is a NUL-terminated string of at most
 *   WD_MAX_CFG_VALUE bytes and err is untouched.
 * - On error err is one line starting "line N: " with N a line of the
 *   input.
 * - Round trip: every value written back as NAME='...' (a quote as
 *   '\''), or as NAME="..." (escaping \ " $ `), parses to itself; these
 *   are the two forms sh reads literally, so a value we accept can always
 *   be written so that sh reads it the same way.
 * - Generic providers (struct wd_cfgoidc): at most WD_CFG_MAX_OIDC, each
 *   named [A-Z0-9]{1,32}, its route that name in lower case, no name
 *   twice; they round-trip too. A refused WARDEN_PROVIDER_ variable makes
 *   the check of a binary that reads provider keys fail naming it.
 * - wd_cfg_check, for each binary and for all at once, answers WD_OK or
 *   WD_E_CONFIG (one line naming a WARDEN_ variable), the same for the
 *   round-tripped copy; on WD_OK every parsed number is >= 0
 *   and every list entry is a non-empty name of at most 63 bytes from
 *   [A-Za-z0-9_-], no entry twice, at most WD_CFG_MAX_LIST of them.
 */

#include "wd_cfg.h"
#include "wd_fuzz.h"
#include "wd_limits.h"

#define ERR_FILL	'\x7e'

static void
check_vals(const struct wd_cfg *c)
{
	const struct wd_cfgoidc	*o;
	size_t			 i, j, n;
	int			 k;

	for (k = 0; k < WD_CFG__MAX; k++)
		if (c->val[k] != NULL)
			CHECK(strlen(c->val[k]) <= WD_MAX_CFG_VALUE);
	CHECK(wd_cfg_oidc_count(c) <= WD_CFG_MAX_OIDC);
	for (i = 0; i < wd_cfg_oidc_count(c); i++) {
		o = wd_cfg_oidc(c, i);
		n = strlen(o->var);
		CHECK(n >= 1 && n <= WD_CFG_OIDC_NAME && strlen(o->route) == n);
		for (j = 0; j < n; j++)
			CHECK((o->var[j] >= 'A' && o->var[j] <= 'Z' &&
			    o->route[j] == o->var[j] - 'A' + 'a') ||
			    (o->var[j] >= '0' && o->var[j] <= '9' &&
			    o->route[j] == o->var[j]));
		for (j = 0; j < i; j++)
			CHECK(strcmp(wd_cfg_oidc(c, j)->var, o->var) != 0);
		for (k = 0; k < WD_CFGP__MAX; k++)
			CHECK(o->val[k] == NULL ||
			    strlen(o->val[k]) <= WD_MAX_CFG_VALUE);
	}
}

/* "line N: ..." with 1 <= N <= lines in the input. */
static void
check_err(const char *err, size_t errsz, const char *t, size_t len)
{
	size_t	 i, lines = 1;
	long	 n = 0;

	CHECK(memchr(err, '\0', errsz) != NULL);
	CHECK(strncmp(err, "line ", 5) == 0);
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
		if (!dq && *v == '\'') {
			memcpy(o + n, "'\\''", 4);
			n += 4;
			continue;
		}
		o[n++] = *v;
	}
	o[n++] = dq ? '"' : '\'';
	o[n++] = '\n';
	return n;
}

/* Parses c's values written back quoted into c2 (caller cleans up). */
static void
round_trip(const struct wd_cfg *c, struct wd_cfg *c2, int dq)
{
	const struct wd_cfgoidc	*o, *o2;
	char		 err[256], name[128];
	char		*text;
	size_t		 cap = 0, n = 0, i;
	int		 k;

	for (k = 0; k < WD_CFG__MAX; k++)
		if (c->val[k] != NULL)
			cap += strlen(wd_cfg_name(k)) + 4 * strlen(c->val[k]) +
			    4;
	for (i = 0; i < wd_cfg_oidc_count(c); i++)
		for (k = 0; k < WD_CFGP__MAX; k++)
			if (wd_cfg_oidc(c, i)->val[k] != NULL)
				cap += sizeof(name) + 4 *
				    strlen(wd_cfg_oidc(c, i)->val[k]) + 4;
	text = malloc(cap > 0 ? cap : 1);
	CHECK(text != NULL);
	for (k = 0; k < WD_CFG__MAX; k++)
		if (c->val[k] != NULL)
			n += put(text + n, wd_cfg_name(k), c->val[k], dq);
	for (i = 0; i < wd_cfg_oidc_count(c); i++)
		for (k = 0; k < WD_CFGP__MAX; k++) {
			o = wd_cfg_oidc(c, i);
			if (o->val[k] == NULL)
				continue;
			wd_cfg_oidc_name(o, k, name, sizeof(name));
			n += put(text + n, name, o->val[k], dq);
		}
	CHECK(n <= cap);
	memset(c2, 0, sizeof(*c2));
	if (wd_cfg_parse(c2, text, n, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "round trip (%s): %s\n", dq ? "\"\"" : "''",
		    err);
		CHECK(0);
	}
	for (k = 0; k < WD_CFG__MAX; k++) {
		if (c->val[k] == NULL)
			CHECK(c2->val[k] == NULL);
		else
			CHECK(c2->val[k] != NULL &&
			    strcmp(c2->val[k], c->val[k]) == 0);
	}
	CHECK(wd_cfg_oidc_count(c2) == wd_cfg_oidc_count(c));
	for (i = 0; i < wd_cfg_oidc_count(c); i++) {
		o = wd_cfg_oidc(c, i);
		o2 = wd_cfg_oidc(c2, i);	/* written back in order */
		CHECK(strcmp(o2->var, o->var) == 0);
		for (k = 0; k < WD_CFGP__MAX; k++)
			CHECK(o->val[k] == NULL ? o2->val[k] == NULL :
			    o2->val[k] != NULL &&
			    strcmp(o2->val[k], o->val[k]) == 0);
	}
	free(text);
}

static int
entry_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* Checks c for bin; the round-tripped c2 must get the same answer. */
static void
check_bin(struct wd_cfg *c, struct wd_cfg *c2, unsigned bin)
{
	char		 err[256], err2[256];
	enum wd_err	 rc, rc2;
	int		 k;
	size_t		 i, j;

	rc = wd_cfg_check(c, bin, err, sizeof(err));
	rc2 = wd_cfg_check(c2, bin, err2, sizeof(err2));
	CHECK(rc == WD_OK || rc == WD_E_CONFIG);
	/* a refused provider variable is not kept, so not written back */
	if (c->oidc_err[0] != '\0') {
		if ((bin & WD_BIN_ACCT) != 0)
			CHECK(rc == WD_E_CONFIG && strncmp(err, "WARDEN_", 7) ==
			    0 && strchr(err, '\n') == NULL);
		return;
	}
	CHECK(rc2 == rc);
	if (rc != WD_OK) {
		CHECK(strcmp(err, err2) == 0);
		CHECK(strncmp(err, "WARDEN_", 7) == 0);
		CHECK(strchr(err, '\n') == NULL);
		return;
	}
	for (k = 0; k < WD_CFG__MAX; k++) {
		const char *const	*v, *const *v2;
		size_t			 n;

		CHECK(c->ok[k] == c2->ok[k]);
		if (!c->ok[k])
			continue;
		CHECK(c->num[k] >= 0 && c->num[k] == c2->num[k]);
		if (c->list[k] == NULL)
			continue;
		n = wd_cfg_list(c, k, &v);
		CHECK(n <= WD_CFG_MAX_LIST);
		CHECK(wd_cfg_list(c2, k, &v2) == n);
		for (i = 0; i < n; i++) {
			CHECK(entry_ok(v[i]));
			CHECK(strcmp(v[i], v2[i]) == 0);
			CHECK(strstr(wd_cfg_str(c, k), v[i]) != NULL);
			for (j = 0; j < i; j++)
				CHECK(strcmp(v[i], v[j]) != 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned	 bins[] = { WD_BIN_HOOK, WD_BIN_HEALTH,
				    WD_BIN_ACCT, WD_BIN_STORAGE,
				    WD_BIN_MAILER, WD_BIN__ALL };
	struct wd_cfg		 c, c2;
	char			 err[128], err2[128];
	char			*t;
	enum wd_err		 rc, rc2;
	size_t			 i;
	int			 k;

	t = fz_copy(data, size);
	memset(&c, 0, sizeof(c));
	memset(err, ERR_FILL, sizeof(err));
	rc = wd_cfg_parse(&c, t, size, err, sizeof(err));
	CHECK(rc == WD_OK || rc == WD_E_CONFIG);
	check_vals(&c);
	if (rc == WD_OK) {
		for (i = 0; i < sizeof(err); i++)
			CHECK(err[i] == ERR_FILL);
		round_trip(&c, &c2, 1);
		wd_cfg_cleanup(&c2);
		round_trip(&c, &c2, 0);
		for (i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
			check_bin(&c, &c2, bins[i]);
		wd_cfg_cleanup(&c2);
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
		CHECK(c.val[k] == NULL && c2.val[k] == NULL &&
		    c.list[k] == NULL && !c.ok[k]);
	free(t);
	return 0;
}
