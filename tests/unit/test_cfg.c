/*
 * test_cfg.c: the configuration parser and loader (src/wd_cfg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wd_cfg.h"
#include "wd_limits.h"
#include "wd_test.h"

#define M	"cfg"

#define PEM	"-----BEGIN PRIVATE KEY-----\n" \
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" \
		"BKcwggSjAgEAAoIBAQC7\n" \
		"-----END PRIVATE KEY-----"

struct parse_ok {
	const char	*name;
	const char	*text;
	enum wd_cfgkey	 key;
	const char	*want;
	enum wd_cfgkey	 key2;	/* WD_CFG__MAX: none */
	const char	*want2;
};

static void
test_parse_ok(void)
{
	static const struct parse_ok cases[] = {
		{ "plain KEY=VALUE", "WARDEN_ANON_ROLE=guest\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "no final newline", "WARDEN_ANON_ROLE=guest",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "empty value", "WARDEN_ANON_ROLE=\n", WD_CFG_ANON_ROLE, "",
		    WD_CFG__MAX, NULL },
		{ "single quoted with spaces and specials",
		    "WARDEN_JWT_SECRET='{\"type\":\"HS256\", "
		    "\"key\":\"a b\"}'\n",
		    WD_CFG_JWT_SECRET,
		    "{\"type\":\"HS256\", \"key\":\"a b\"}", WD_CFG__MAX,
		    NULL },
		{ "single quoted keeps backslash and $",
		    "WARDEN_ADMIN_SECRET='a\\b$c\"d'\n", WD_CFG_ADMIN_SECRET,
		    "a\\b$c\"d", WD_CFG__MAX, NULL },
		{ "multi-line single-quoted PEM",
		    "WARDEN_JWT_SECRET='" PEM "'\nWARDEN_ANON_ROLE=x\n",
		    WD_CFG_JWT_SECRET, PEM, WD_CFG_ANON_ROLE, "x" },
		{ "'\\'' joins", "WARDEN_ADMIN_SECRET='it'\\''s'\n",
		    WD_CFG_ADMIN_SECRET, "it's", WD_CFG__MAX, NULL },
		{ "'\\'' joins twice", "WARDEN_ADMIN_SECRET='a'\\''b'\\''c'\n",
		    WD_CFG_ADMIN_SECRET, "a'b'c", WD_CFG__MAX, NULL },
		{ "double quoted with escaped quote",
		    "WARDEN_ADMIN_SECRET=\"double \\\" quoted\"\n",
		    WD_CFG_ADMIN_SECRET, "double \" quoted", WD_CFG__MAX,
		    NULL },
		{ "double quoted escapes \\\\ \\$ \\`",
		    "WARDEN_ADMIN_SECRET=\"a\\\\b\\$c\\`d\\ne\"\n",
		    WD_CFG_ADMIN_SECRET, "a\\b$c`d\\ne", WD_CFG__MAX, NULL },
		{ "adjacent quoted runs concatenate",
		    "WARDEN_ADMIN_SECRET='a'\"b\"c\n", WD_CFG_ADMIN_SECRET,
		    "abc", WD_CFG__MAX, NULL },
		{ "export prefix", "export WARDEN_ANON_ROLE=guest\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "comments and blank lines",
		    "# a comment\n\n   \n\t# indented comment\n"
		    "WARDEN_ANON_ROLE=guest # trailing comment\n\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "'#' inside a bare value is data",
		    "WARDEN_ADMIN_SECRET=a#b\n", WD_CFG_ADMIN_SECRET, "a#b",
		    WD_CFG__MAX, NULL },
		{ "CRLF lines",
		    "WARDEN_ANON_ROLE=guest\r\nWARDEN_COOKIE_NAME='c'\r\n\r\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG_COOKIE_NAME, "c" },
		{ "trailing blanks after value", "WARDEN_ANON_ROLE=guest \t\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "leading blanks before name", "  WARDEN_ANON_ROLE=guest\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "unknown names ignored",
		    "PATH=/usr/bin\nPGHOST=x\nWARDEN_NOPE=1\n"
		    "WARDEN_ANON_ROLE=guest\n", WD_CFG_ANON_ROLE, "guest",
		    WD_CFG__MAX, NULL },
		{ "later value wins",
		    "WARDEN_ANON_ROLE=a\nWARDEN_ANON_ROLE=b\n",
		    WD_CFG_ANON_ROLE, "b", WD_CFG__MAX, NULL },
		{ "two keys", "WARDEN_ANON_ROLE=a\nWARDEN_DEFAULT_ROLE=b\n",
		    WD_CFG_ANON_ROLE, "a", WD_CFG_DEFAULT_ROLE, "b" },
		{ "empty text", "", WD_CFG_ADMIN_SECRET, NULL, WD_CFG__MAX,
		    NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_ok	*c = &cases[i];
		struct wd_cfg		 cfg = { 0 };
		char			 err[256] = "";
		enum wd_err		 rc;
		const char		*v;
		int			 ok;

		rc = wd_cfg_parse(&cfg, c->text, strlen(c->text), err,
		    sizeof(err));
		v = cfg.val[c->key];
		ok = rc == WD_OK && (c->want == NULL ? v == NULL :
		    v != NULL && strcmp(v, c->want) == 0);
		if (ok && c->key2 != WD_CFG__MAX)
			ok = cfg.val[c->key2] != NULL &&
			    strcmp(cfg.val[c->key2], c->want2) == 0;
		CHECK(M, c->name, ok);
		wd_cfg_cleanup(&cfg);
	}
}

struct parse_bad {
	const char	*name;
	const char	*text;
	long		 line;
};

#define SECRET	"s3kr1tVALUE"

static void
test_parse_bad(void)
{
	static const struct parse_bad cases[] = {
		{ "bad: name without value", "NOVALUE\n", 1 },
		{ "bad: name without value at EOF", "NOVALUE", 1 },
		{ "bad: empty name", "=x\n", 1 },
		{ "bad: space in name", "A B=c\n", 1 },
		{ "bad: space before '='", "WARDEN_ANON_ROLE =x\n", 1 },
		{ "bad: space after '='", "WARDEN_ANON_ROLE= " SECRET "\n",
		    1 },
		{ "bad: dash in name", "WARDEN-ANON=" SECRET "\n", 1 },
		{ "bad: unterminated single quote",
		    "WARDEN_JWT_SECRET='" SECRET "\n", 1 },
		{ "bad: unterminated double quote",
		    "WARDEN_JWT_SECRET=\"" SECRET "\n", 1 },
		{ "bad: unterminated after escaped quote",
		    "WARDEN_JWT_SECRET=\"" SECRET "\\\"\n", 1 },
		{ "bad: two words", "WARDEN_JWT_SECRET=" SECRET " more\n",
		    1 },
		{ "bad: word after quoted value",
		    "WARDEN_JWT_SECRET='" SECRET "' more\n", 1 },
		{ "bad: line 3 after comment and blank",
		    "# c\n\nBAD LINE " SECRET "\n", 3 },
		{ "bad: line counted after multi-line quote",
		    "WARDEN_JWT_SECRET='a\nb\nc'\nWARDEN_X " SECRET "\n", 4 },
		{ "bad: line counted with CRLF",
		    "A=1\r\nB=2\r\nC " SECRET "\r\n", 3 },
		{ "bad: unterminated quote reports its start line",
		    "A=1\nWARDEN_JWT_SECRET='" SECRET "\nX=1\nY=2\n", 2 },
		{ "bad: export alone", "export\n", 1 },
		{ "bad: shell command", "echo " SECRET "\n", 1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_bad	*c = &cases[i];
		struct wd_cfg		 cfg = { 0 };
		char			 err[256] = "";
		char			 want[64];
		char			 name[160];
		enum wd_err		 rc;

		rc = wd_cfg_parse(&cfg, c->text, strlen(c->text), err,
		    sizeof(err));
		snprintf(want, sizeof(want), "line %ld", c->line);
		CHECK(M, c->name, rc == WD_E_CONFIG);
		snprintf(name, sizeof(name), "%s: err says \"%s\"", c->name,
		    want);
		CHECK(M, name, strstr(err, want) != NULL &&
		    strstr(err, "line ") == err);
		snprintf(name, sizeof(name), "%s: err has no value", c->name);
		CHECK(M, name, strstr(err, SECRET) == NULL &&
		    strstr(err, "s3kr") == NULL);
		wd_cfg_cleanup(&cfg);
	}
	/* NULL err is allowed */
	{
		struct wd_cfg	 cfg = { 0 };

		CHECK(M, "bad line with NULL err",
		    wd_cfg_parse(&cfg, "NOVALUE", 7, NULL, 0) == WD_E_CONFIG);
		wd_cfg_cleanup(&cfg);
	}
	/* a value longer than WD_MAX_CFG_VALUE */
	{
		struct wd_cfg	 cfg = { 0 };
		size_t		 n = WD_MAX_CFG_VALUE + 32;
		char		*t = malloc(n + 1), err[256] = "";

		if (t != NULL) {
			memset(t, 'x', n);
			memcpy(t, "WARDEN_ADMIN_SECRET='", 21);
			t[n - 1] = '\'';
			t[n] = '\0';
			CHECK(M, "bad: value too long",
			    wd_cfg_parse(&cfg, t, n, err, sizeof(err)) ==
			    WD_E_CONFIG && strstr(err, "line 1") != NULL &&
			    strstr(err, "xxxx") == NULL);
			free(t);
		}
		wd_cfg_cleanup(&cfg);
	}
}

/* The fake environment for wd_cfg_load_from. */
static const char *
fake_env(const char *name)
{
	if (strcmp(name, "WARDEN_ANON_ROLE") == 0)
		return "from-env";
	if (strcmp(name, "WARDEN_COOKIE_NAME") == 0)
		return "";
	return NULL;
}

static const char *
long_env(const char *name)
{
	static char	 big[WD_MAX_CFG_VALUE + 2];

	if (strcmp(name, "WARDEN_ADMIN_SECRET") != 0)
		return NULL;
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	return big;
}

static int
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");
	int	 ok;

	if (f == NULL)
		return 0;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void
test_load_from(void)
{
	char		 path[] = "/tmp/wd_test_cfg_XXXXXX";
	char		 err[512] = "";
	struct wd_cfg	 cfg = { 0 };
	int		 fd;

	fd = mkstemp(path);
	CHECK(M, "load: temp file", fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK(M, "load: write temp file", write_file(path,
	    "WARDEN_ANON_ROLE=from-file\nWARDEN_DEFAULT_ROLE=member\n"
	    "WARDEN_COOKIE_NAME=tok\n"));
	CHECK(M, "load: file and env", wd_cfg_load_from(&cfg, path, fake_env,
	    err, sizeof(err)) == WD_OK);
	CHECK(M, "load: env wins over file",
	    strcmp(wd_cfg_str(&cfg, WD_CFG_ANON_ROLE), "from-env") == 0);
	CHECK(M, "load: file value kept when env unset",
	    strcmp(wd_cfg_str(&cfg, WD_CFG_DEFAULT_ROLE), "member") == 0);
	CHECK(M, "load: empty env value still wins",
	    strcmp(wd_cfg_str(&cfg, WD_CFG_COOKIE_NAME), "") == 0);
	CHECK(M, "load: default when neither",
	    strcmp(wd_cfg_str(&cfg, WD_CFG_S3_REGION), "us-east-1") == 0);
	CHECK(M, "load: NULL when no default",
	    wd_cfg_str(&cfg, WD_CFG_ADMIN_SECRET) == NULL);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "load: file only (env NULL)", wd_cfg_load_from(&cfg, path,
	    NULL, err, sizeof(err)) == WD_OK &&
	    strcmp(wd_cfg_str(&cfg, WD_CFG_ANON_ROLE), "from-file") == 0);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "load: env only (path NULL)", wd_cfg_load_from(&cfg, NULL,
	    fake_env, err, sizeof(err)) == WD_OK &&
	    strcmp(wd_cfg_str(&cfg, WD_CFG_ANON_ROLE), "from-env") == 0 &&
	    strcmp(wd_cfg_str(&cfg, WD_CFG_DEFAULT_ROLE), "user") == 0);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "load: empty path is no file", wd_cfg_load_from(&cfg, "",
	    fake_env, err, sizeof(err)) == WD_OK);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "load: write bad file", write_file(path,
	    "WARDEN_ANON_ROLE=ok\nWARDEN_JWT_SECRET='" SECRET "\n"));
	err[0] = '\0';
	CHECK(M, "load: bad file is WD_E_CONFIG", wd_cfg_load_from(&cfg, path,
	    fake_env, err, sizeof(err)) == WD_E_CONFIG);
	CHECK(M, "load: bad file err names line 2",
	    strstr(err, "line 2") != NULL);
	CHECK(M, "load: bad file err has no value",
	    strstr(err, SECRET) == NULL);
	wd_cfg_cleanup(&cfg);

	err[0] = '\0';
	CHECK(M, "load: env value too long", wd_cfg_load_from(&cfg, NULL,
	    long_env, err, sizeof(err)) == WD_E_CONFIG &&
	    strstr(err, "WARDEN_ADMIN_SECRET") != NULL &&
	    strstr(err, "yyyy") == NULL);
	wd_cfg_cleanup(&cfg);

	unlink(path);
	err[0] = '\0';
	CHECK(M, "load: missing file is WD_E_CONFIG",
	    wd_cfg_load_from(&cfg, path, fake_env, err, sizeof(err)) ==
	    WD_E_CONFIG && strstr(err, "WARDEN_CONFIG") != NULL);
	wd_cfg_cleanup(&cfg);
}

struct long_case {
	const char	*name;
	const char	*val;	/* NULL: unset (default applies) */
	enum wd_cfgkey	 key;
	long		 min, max;
	enum wd_err	 want;
	long		 out;
};

static void
test_long(void)
{
	static const struct long_case cases[] = {
		{ "long empty", "", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long letters", "abc", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long negative", "-5", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long plus", "+5", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long space", " 5", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long suffix", "5m", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long float", "5.0", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long hex", "0x5", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long below min", "0", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long above max", "101", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_E_CONFIG, 0 },
		{ "long overflow", "99999999999999999999999",
		    WD_CFG_JWT_EXPIRES_IN, 1, 100, WD_E_CONFIG, 0 },
		{ "long unset without default", NULL, WD_CFG_ADMIN_SECRET, 0,
		    100, WD_E_CONFIG, 0 },
		{ "long ok", "42", WD_CFG_JWT_EXPIRES_IN, 1, 100, WD_OK, 42 },
		{ "long min exactly", "1", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_OK, 1 },
		{ "long max exactly", "100", WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_OK, 100 },
		{ "long default 15", NULL, WD_CFG_JWT_EXPIRES_IN, 1, 100,
		    WD_OK, 15 },
		{ "long default out of range", NULL, WD_CFG_JWT_EXPIRES_IN,
		    1, 10, WD_E_CONFIG, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct long_case	*c = &cases[i];
		struct wd_cfg		 cfg = { 0 };
		char			 err[256] = "";
		long			 out = -4242;
		enum wd_err		 rc;

		cfg.val[c->key] = c->val == NULL ? NULL : strdup(c->val);
		rc = wd_cfg_long(&cfg, c->key, c->min, c->max, &out, err,
		    sizeof(err));
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && out == c->out);
		else
			CHECK(M, c->name, rc == c->want && out == -4242 &&
			    strstr(err, wd_cfg_name(c->key)) == err);
		wd_cfg_cleanup(&cfg);
	}
}

struct bool_case {
	const char	*name;
	const char	*val;
	enum wd_cfgkey	 key;
	enum wd_err	 want;
	int		 out;
};

static void
test_bool_require(void)
{
	static const struct bool_case cases[] = {
		{ "bool empty", "", WD_CFG_COOKIE_SECURE, WD_E_CONFIG, 0 },
		{ "bool TRUE", "TRUE", WD_CFG_COOKIE_SECURE, WD_E_CONFIG, 0 },
		{ "bool yes", "yes", WD_CFG_COOKIE_SECURE, WD_E_CONFIG, 0 },
		{ "bool 2", "2", WD_CFG_COOKIE_SECURE, WD_E_CONFIG, 0 },
		{ "bool space", " true", WD_CFG_COOKIE_SECURE, WD_E_CONFIG,
		    0 },
		{ "bool prefix", "tru", WD_CFG_COOKIE_SECURE, WD_E_CONFIG, 0 },
		{ "bool unset without default", NULL, WD_CFG_SMTP_URL,
		    WD_E_CONFIG, 0 },
		{ "bool true", "true", WD_CFG_COOKIE_SECURE, WD_OK, 1 },
		{ "bool 1", "1", WD_CFG_COOKIE_SECURE, WD_OK, 1 },
		{ "bool false", "false", WD_CFG_COOKIE_SECURE, WD_OK, 0 },
		{ "bool 0", "0", WD_CFG_COOKIE_SECURE, WD_OK, 0 },
		{ "bool default false", NULL, WD_CFG_AUTO_ACTIVATE, WD_OK, 0 },
	};
	size_t		 i;
	struct wd_cfg	 cfg = { 0 };
	char		 err[256] = "";

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bool_case	*c = &cases[i];
		int			 out = -1;
		enum wd_err		 rc;

		memset(&cfg, 0, sizeof(cfg));
		cfg.val[c->key] = c->val == NULL ? NULL : strdup(c->val);
		err[0] = '\0';
		rc = wd_cfg_bool(&cfg, c->key, &out, err, sizeof(err));
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && out == c->out);
		else
			CHECK(M, c->name, rc == c->want && out == -1 &&
			    strstr(err, wd_cfg_name(c->key)) == err);
		wd_cfg_cleanup(&cfg);
	}

	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	CHECK(M, "require unset without default",
	    wd_cfg_require(&cfg, WD_CFG_JWT_SECRET, err, sizeof(err)) ==
	    WD_E_CONFIG && strstr(err, "WARDEN_JWT_SECRET") == err);
	cfg.val[WD_CFG_JWT_SECRET] = strdup("");
	CHECK(M, "require empty value", wd_cfg_require(&cfg,
	    WD_CFG_JWT_SECRET, err, sizeof(err)) == WD_E_CONFIG);
	CHECK(M, "require default counts", wd_cfg_require(&cfg,
	    WD_CFG_ANON_ROLE, err, sizeof(err)) == WD_OK);
	cfg.val[WD_CFG_ANON_ROLE] = strdup("");
	CHECK(M, "require empty overrides default", wd_cfg_require(&cfg,
	    WD_CFG_ANON_ROLE, err, sizeof(err)) == WD_E_CONFIG);
	free(cfg.val[WD_CFG_JWT_SECRET]);
	cfg.val[WD_CFG_JWT_SECRET] = strdup("x");
	CHECK(M, "require set", wd_cfg_require(&cfg, WD_CFG_JWT_SECRET,
	    NULL, 0) == WD_OK);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "name of key", strcmp(wd_cfg_name(WD_CFG_JWT_SECRET),
	    "WARDEN_JWT_SECRET") == 0);
	CHECK(M, "name out of range", wd_cfg_name(WD_CFG__MAX) != NULL);
	CHECK(M, "str out of range", wd_cfg_str(&cfg, WD_CFG__MAX) == NULL);
}

static void
test_cleanup(void)
{
	struct wd_cfg	 cfg = { 0 };
	int		 i, all = 1;

	(void)wd_cfg_parse(&cfg, "WARDEN_ANON_ROLE=a\nWARDEN_URL=b\n", 31,
	    NULL, 0);
	wd_cfg_cleanup(&cfg);
	for (i = 0; i < WD_CFG__MAX; i++)
		if (cfg.val[i] != NULL)
			all = 0;
	CHECK(M, "cleanup clears values", all);
	wd_cfg_cleanup(&cfg);
	CHECK(M, "cleanup twice safe", cfg.val[WD_CFG_ANON_ROLE] == NULL);
	wd_cfg_cleanup(NULL);
	CHECK(M, "cleanup NULL safe", 1);
}

int
main(void)
{
	test_parse_ok();
	test_parse_bad();
	test_load_from();
	test_long();
	test_bool_require();
	test_cleanup();
	return WD_TEST_RESULT();
}
