/*
 * test_cfg.c: the configuration parser, loader and validation pass
 * (src/wd_cfg.c, included to reach its table). The file syntax is checked
 * against /bin/sh itself, which `.`-sources the same file (stack.sh).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wd_cfg.c"
#include "wd_test.h"

#define M	"cfg"

#define PEM	"-----BEGIN PRIVATE KEY-----\n" \
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" \
		"BKcwggSjAgEAAoIBAQC7\n" \
		"-----END PRIVATE KEY-----"

#define SECRET	"s3kr1tVALUE"

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
		{ "single quoted keeps backslash, $, ` and ~",
		    "WARDEN_ADMIN_SECRET='~a\\b$c\"d`e'\n",
		    WD_CFG_ADMIN_SECRET, "~a\\b$c\"d`e", WD_CFG__MAX, NULL },
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
		{ "double quoted escapes \\\\ \\$ \\` and keeps \\n",
		    "WARDEN_ADMIN_SECRET=\"a\\\\b\\$c\\`d\\ne\"\n",
		    WD_CFG_ADMIN_SECRET, "a\\b$c`d\\ne", WD_CFG__MAX, NULL },
		{ "carriage return inside quotes is data",
		    "WARDEN_ADMIN_SECRET='a\r'\"b\r\"\n", WD_CFG_ADMIN_SECRET,
		    "a\rb\r", WD_CFG__MAX, NULL },
		{ "adjacent quoted runs concatenate",
		    "WARDEN_ADMIN_SECRET='a'\"b\"c\n", WD_CFG_ADMIN_SECRET,
		    "abc", WD_CFG__MAX, NULL },
		{ "backslash quotes a bare $, ~ and blank",
		    "WARDEN_ADMIN_SECRET=\\$x\\~\\ y\n", WD_CFG_ADMIN_SECRET,
		    "$x~ y", WD_CFG__MAX, NULL },
		{ "bare * ? [ are literal in an assignment",
		    "WARDEN_ADMIN_SECRET=a*b?[c]\n", WD_CFG_ADMIN_SECRET,
		    "a*b?[c]", WD_CFG__MAX, NULL },
		{ "URL with a query string",
		    "WARDEN_DATABASE_URL=postgresql://u@h/d?sslmode=require\n",
		    WD_CFG_DATABASE_URL, "postgresql://u@h/d?sslmode=require",
		    WD_CFG__MAX, NULL },
		{ "export prefix", "export WARDEN_ANON_ROLE=guest\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "export, tab, quoted glob",
		    "export\tWARDEN_ADMIN_SECRET='*'\n", WD_CFG_ADMIN_SECRET,
		    "*", WD_CFG__MAX, NULL },
		{ "comments and blank lines",
		    "# a comment $HOME `x`\n\n   \n\t# indented comment\n"
		    "WARDEN_ANON_ROLE=guest # trailing comment $x\n\n",
		    WD_CFG_ANON_ROLE, "guest", WD_CFG__MAX, NULL },
		{ "comment line with CRLF", "# c\r\nWARDEN_ANON_ROLE=g\n",
		    WD_CFG_ANON_ROLE, "g", WD_CFG__MAX, NULL },
		{ "'#' inside a bare value is data",
		    "WARDEN_ADMIN_SECRET=a#b\n", WD_CFG_ADMIN_SECRET, "a#b",
		    WD_CFG__MAX, NULL },
		{ "'#' starting a value is data",
		    "WARDEN_ADMIN_SECRET=#b\n", WD_CFG_ADMIN_SECRET, "#b",
		    WD_CFG__MAX, NULL },
		{ "empty value then comment",
		    "WARDEN_ADMIN_SECRET= # none\n", WD_CFG_ADMIN_SECRET, "",
		    WD_CFG__MAX, NULL },
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
	const char	*why;	/* in err */
};

#define SQ	"use single quotes"

static void
test_parse_bad(void)
{
	static const struct parse_bad cases[] = {
		{ "bad: name without value", "NOVALUE\n", 1, "NAME=VALUE" },
		{ "bad: name without value at EOF", "NOVALUE", 1,
		    "NAME=VALUE" },
		{ "bad: empty name", "=x\n", 1, "NAME=VALUE" },
		{ "bad: name starts with a digit", "1WARDEN=" SECRET "\n", 1,
		    "NAME=VALUE" },
		{ "bad: space in name", "A B=c\n", 1, "NAME=VALUE" },
		{ "bad: space before '='", "WARDEN_ANON_ROLE =x\n", 1,
		    "NAME=VALUE" },
		{ "bad: space after '='", "WARDEN_ANON_ROLE= " SECRET "\n",
		    1, SQ },
		{ "bad: dash in name", "WARDEN-ANON=" SECRET "\n", 1,
		    "NAME=VALUE" },
		{ "bad: unterminated single quote",
		    "WARDEN_JWT_SECRET='" SECRET "\n", 1, "unterminated" },
		{ "bad: unterminated double quote",
		    "WARDEN_JWT_SECRET=\"" SECRET "\n", 1, "unterminated" },
		{ "bad: unterminated after escaped quote",
		    "WARDEN_JWT_SECRET=\"" SECRET "\\\"\n", 1,
		    "unterminated" },
		{ "bad: two words", "WARDEN_JWT_SECRET=" SECRET " more\n",
		    1, SQ },
		{ "bad: two assignments on a line",
		    "WARDEN_ANON_ROLE=a WARDEN_URL=" SECRET "\n", 1, SQ },
		{ "bad: word after quoted value",
		    "WARDEN_JWT_SECRET='" SECRET "' more\n", 1, SQ },
		{ "bad: line 3 after comment and blank",
		    "# c\n\nBAD LINE " SECRET "\n", 3, "NAME=VALUE" },
		{ "bad: line counted after multi-line quote",
		    "WARDEN_JWT_SECRET='a\nb\nc'\nWARDEN_X " SECRET "\n", 4,
		    "NAME=VALUE" },
		{ "bad: unterminated quote reports its start line",
		    "A=1\nWARDEN_JWT_SECRET='" SECRET "\nX=1\nY=2\n", 2,
		    "unterminated" },
		{ "bad: export alone", "export\n", 1, "NAME=VALUE" },
		{ "bad: export without a name", "export =" SECRET "\n", 1,
		    "NAME=VALUE" },
		{ "bad: shell command", "echo " SECRET "\n", 1,
		    "NAME=VALUE" },
		/* what sh would expand or run */
		{ "bad: $VAR", "WARDEN_ADMIN_SECRET=" SECRET "$HOME\n", 1,
		    SQ },
		{ "bad: lone $ at the end", "WARDEN_ADMIN_SECRET=" SECRET
		    "$\n", 1, SQ },
		{ "bad: ${VAR}", "WARDEN_ADMIN_SECRET=${X}" SECRET "\n", 1,
		    SQ },
		{ "bad: $(command)", "WARDEN_ADMIN_SECRET=$(id)" SECRET "\n",
		    1, SQ },
		{ "bad: backticks", "WARDEN_ADMIN_SECRET=`id`" SECRET "\n", 1,
		    SQ },
		{ "bad: $ in double quotes",
		    "WARDEN_ADMIN_SECRET=\"" SECRET "$X\"\n", 1, SQ },
		{ "bad: backtick in double quotes",
		    "WARDEN_ADMIN_SECRET=\"" SECRET "`id`\"\n", 1, SQ },
		{ "bad: $ after a quoted run",
		    "WARDEN_ADMIN_SECRET='" SECRET "'$X\n", 1, SQ },
		{ "bad: $ on the 2nd line of a double-quoted value",
		    "WARDEN_ADMIN_SECRET=\"a\n$X\"\n", 2, SQ },
		{ "bad: leading ~", "WARDEN_STORAGE_DIR=~/" SECRET "\n", 1,
		    SQ },
		{ "bad: ~user", "WARDEN_STORAGE_DIR=~root\n", 1, SQ },
		{ "bad: ~ after a colon", "WARDEN_URL=" SECRET ":~\n", 1, SQ },
		{ "bad: ~ after a quoted colon",
		    "WARDEN_URL='" SECRET ":'~\n", 1, SQ },
		{ "bad: ~ inside a word", "WARDEN_URL=a~" SECRET "\n", 1, SQ },
		{ "bad: ;", "WARDEN_URL=" SECRET ";id\n", 1, SQ },
		{ "bad: &", "WARDEN_URL=" SECRET "&id\n", 1, SQ },
		{ "bad: |", "WARDEN_URL=" SECRET "|id\n", 1, SQ },
		{ "bad: >", "WARDEN_URL=" SECRET ">f\n", 1, SQ },
		{ "bad: <", "WARDEN_URL=" SECRET "<f\n", 1, SQ },
		{ "bad: (", "WARDEN_URL=(" SECRET ")\n", 1, SQ },
		{ "bad: backslash-newline",
		    "WARDEN_URL=" SECRET "\\\nX\n", 1, SQ },
		{ "bad: backslash-newline in double quotes",
		    "WARDEN_URL=\"" SECRET "\\\nX\"\n", 1, SQ },
		{ "bad: backslash at the end of the file",
		    "WARDEN_URL=" SECRET "\\", 1, SQ },
		{ "bad: export then bare *",
		    "export WARDEN_URL=" SECRET "*\n", 1, SQ },
		{ "bad: export then bare ?",
		    "export WARDEN_URL=" SECRET "?\n", 1, SQ },
		{ "bad: export then bare [",
		    "export WARDEN_URL=[" SECRET "]\n", 1, SQ },
		/* CR is not a blank to sh: X=a<CR> is "a\r" there */
		{ "bad: CRLF after a bare value",
		    "WARDEN_ANON_ROLE=" SECRET "\r\n", 1, "CRLF" },
		{ "bad: CRLF after a quoted value",
		    "WARDEN_ANON_ROLE='" SECRET "'\r\n", 1, "CRLF" },
		{ "bad: CRLF after blanks", "WARDEN_ANON_ROLE=" SECRET
		    " \r\n", 1, "CRLF" },
		{ "bad: CR on a blank line", "\r\n", 1, "CRLF" },
		{ "bad: escaped CR", "WARDEN_ANON_ROLE=" SECRET "\\\r\n", 1,
		    "CRLF" },
		{ "bad: line counted with CRLF", "A=1\nB=2\nC=" SECRET
		    "\r\n", 3, "CRLF" },
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
		snprintf(want, sizeof(want), "line %ld: ", c->line);
		CHECK(M, c->name, rc == WD_E_CONFIG);
		snprintf(name, sizeof(name), "%s: err says \"%s\" and \"%s\"",
		    c->name, want, c->why);
		CHECK(M, name, strstr(err, want) == err &&
		    strstr(err, c->why) != NULL);
		snprintf(name, sizeof(name), "%s: err has no value", c->name);
		CHECK(M, name, strstr(err, SECRET) == NULL &&
		    strstr(err, "s3kr") == NULL);
		snprintf(name, sizeof(name), "%s: nothing set", c->name);
		CHECK(M, name, cfg.val[WD_CFG_URL] == NULL);
		wd_cfg_cleanup(&cfg);
	}
	/* a NUL byte, bare or quoted (sh would drop it) */
	{
		struct wd_cfg	 cfg = { 0 };
		char		 err[256] = "";

		CHECK(M, "bad: NUL in a bare value", wd_cfg_parse(&cfg,
		    "WARDEN_URL=a\0b\n", 15, err, sizeof(err)) ==
		    WD_E_CONFIG && strcmp(err, "line 1: NUL byte in value") ==
		    0 && cfg.val[WD_CFG_URL] == NULL);
		CHECK(M, "bad: NUL in a quoted value", wd_cfg_parse(&cfg,
		    "WARDEN_URL='a\0b'\n", 17, err, sizeof(err)) ==
		    WD_E_CONFIG && strcmp(err, "line 1: NUL byte in value") ==
		    0 && cfg.val[WD_CFG_URL] == NULL);
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

/*
 * The independent oracle: /bin/sh (dash on Debian, which `. file` in
 * lighttpd/stack.sh uses) sources text from a file and prints
 * $WARDEN_ADMIN_SECRET. It runs in an empty directory (dir), so that a
 * value we wrongly accepted cannot glob or redirect into anything that
 * matters; the directory must still be empty at the end.
 * Returns sh's exit status (0: sourced and printed), -1 on a local error.
 */
static int
sh_read(const char *dir, const char *text, size_t len, char *out,
    size_t cap, size_t *outlen)
{
	char	 path[512];
	FILE	*f;
	int	 p[2], st;
	pid_t	 pid;
	ssize_t	 r;

	snprintf(path, sizeof(path), "%s.in", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(p[1], 1) < 0 || chdir(dir) != 0 ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(98);
		close(p[0]);
		close(p[1]);
		execl("/bin/sh", "sh", "-c",
		    ". \"$1\" || exit 3; printf %s \"$WARDEN_ADMIN_SECRET\"",
		    "sh", path, (char *)NULL);
		_exit(99);
	}
	close(p[1]);
	*outlen = 0;
	while (*outlen < cap) {
		r = read(p[0], out + *outlen, cap - *outlen);
		if (r <= 0)
			break;
		*outlen += (size_t)r;
	}
	close(p[0]);
	unlink(path);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* 1 if sh and wd_cfg_parse read text to the same WARDEN_ADMIN_SECRET. */
static int
same_as_sh(const char *dir, const char *text, size_t len)
{
	struct wd_cfg	 cfg = { 0 };
	char		 out[1024];
	size_t		 n = 0;
	const char	*v;
	int		 ok;

	if (wd_cfg_parse(&cfg, text, len, NULL, 0) != WD_OK) {
		wd_cfg_cleanup(&cfg);
		return 0;
	}
	v = cfg.val[WD_CFG_ADMIN_SECRET] != NULL ?
	    cfg.val[WD_CFG_ADMIN_SECRET] : "";
	ok = sh_read(dir, text, len, out, sizeof(out), &n) == 0 &&
	    n == strlen(v) && memcmp(out, v, n) == 0;
	wd_cfg_cleanup(&cfg);
	return ok;
}

#define X	"WARDEN_ADMIN_SECRET="

/* Knuth's MMIX linear congruential generator: a fixed, portable stream. */
static unsigned long long
next(unsigned long long s)
{
	return s * 6364136223846793005ULL + 1442695040888963407ULL;
}

static void
test_sh_oracle(void)
{
	/* accepted: sh must read exactly what we read */
	static const char *const good[] = {
		X "guest\n",
		X "guest",
		X "\n",
		X "''\n",
		X "\"\"\n",
		X "a#b\n",
		X "#b\n",
		X "a # comment $HOME\n",
		X "'a' # comment\n",
		X " # comment\n",
		X "a \t\n",
		X "a=b=c\n",
		X "a*b?[c]\n",
		X "*\n",
		X "{a,b}\n",
		X "!x\n",
		X "a}b{\n",
		X "%s^@+,.-/\n",
		X "postgresql://u:p@h:5432/d?sslmode=require\n",
		X "'a b'\n",
		X "'$HOME'\n",
		X "'`id`'\n",
		X "'~'\n",
		X "'a:~'\n",
		X "'a;b|c&d<e>f(g)'\n",
		X "'a\\'\n",
		X "'a'\\''b'\n",
		X "''\\'''\n",
		X "'a\nb\n'\n",
		X "'" PEM "'\n",
		X "'{\"type\":\"HS256\",\"key\":\"0123456789abcdef\"}'\n",
		X "'a\r'\n",
		X "\"a b\"\n",
		X "\"a\\\"b\"\n",
		X "\"a\\\\b\"\n",
		X "\"\\$x\"\n",
		X "\"\\`x\\`\"\n",
		X "\"a\\qb\\\"\n\"\n",
		X "\"~\"\n",
		X "\"a\nb\"\n",
		X "\"'\"\n",
		X "\"a\r\"\n",
		X "a\\ b\n",
		X "\\$x\n",
		X "\\~\n",
		X "\\;\\&\\|\\<\\>\\(\\)\n",
		X "\\\\\n",
		X "\\'\n",
		X "\\\"\n",
		X "a'b'\"c\"d\n",
		X "\xc3\xa9\xe2\x82\xac\n",
		X "\x81\x88\xff\n",
		X "a\x01\x0b\x0c" "b\n",
		"export " X "a\n",
		"export\t" X "'*'\n",
		"export " X "\\*\\?\\[\n",
		"  " X "a\n",
		"# " X "no\n" X "yes\n",
		X "a\n" X "b\n",
		X "a\nPATH=/usr/bin:/bin\n",
	};
	/* refused: sh would read something else, or run something */
	static const char *const bad[] = {
		X "$HOME\n",
		X "a$\n",
		X "$1\n",
		X "$$\n",
		X "${HOME}\n",
		X "$(id)\n",
		X "$((1+1))\n",
		X "`id`\n",
		X "\"$HOME\"\n",
		X "\"`id`\"\n",
		X "'a'$HOME\n",
		X "~\n",
		X "~/x\n",
		X "~root\n",
		X "a:~\n",
		X "'a':~\n",
		X "a;b\n",
		X "a&\n",
		X "a|b\n",
		X "a>b\n",
		X "a<b\n",
		X "(a)\n",
		X "a\\\nb\n",
		X "\"a\\\nb\"\n",
		X "a\\",
		X "a\r\n",
		X "'a'\r\n",
		X "a\\\r\n",
		X "a b\n",
		X "'a' b\n",
		X " b\n",
		"export " X "*\n",
		"export " X "a?\n",
		"export " X "[a]\n",
		"1" X "a\n",
		X "'a\n",
		X "\"a\n",
		X "\"a\\\"\n",
	};
	char	 dir[] = "/tmp/wd_test_cfg_sh_XXXXXX";
	char	 name[160];
	size_t	 i;

	if (mkdtemp(dir) == NULL) {
		CHECK(M, "sh oracle: temp dir", 0);
		return;
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "sh reads the same: good[%zu]",
		    i);
		CHECK(M, name, same_as_sh(dir, good[i], strlen(good[i])));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wd_cfg	 cfg = { 0 };
		char		 err[256] = "";

		snprintf(name, sizeof(name), "refused: bad[%zu]", i);
		CHECK(M, name, wd_cfg_parse(&cfg, bad[i], strlen(bad[i]),
		    err, sizeof(err)) == WD_E_CONFIG &&
		    strncmp(err, "line ", 5) == 0);
		wd_cfg_cleanup(&cfg);
	}

	/*
	 * Random values over the bytes that matter to sh (fixed seed):
	 * whatever wd_cfg_parse accepts, sh must read the same way. Letters
	 * are only a and b, so a command we wrongly let run is not found.
	 */
	{
		static const char	 alpha[] = "ab \t'\"\\\n#~$:*?[]=\r{}"
					    ";|&()`-";
		unsigned long long	 seed = 12345;
		int			 n, accepted = 0, same = 0;

		for (n = 0; n < 3000; n++) {
			char		 text[64];
			size_t		 len, j, vlen;
			struct wd_cfg	 cfg = { 0 };

			seed = next(seed);
			len = 0;
			if ((seed >> 62) == 0) {
				memcpy(text, "export ", 7);
				len = 7;
			}
			memcpy(text + len, X, strlen(X));
			len += strlen(X);
			vlen = (seed >> 33) % 14;
			for (j = 0; j < vlen; j++) {
				seed = next(seed);
				text[len++] = alpha[(seed >> 33) %
				    (sizeof(alpha) - 1)];
			}
			if (wd_cfg_parse(&cfg, text, len, NULL, 0) == WD_OK) {
				accepted++;
				same += same_as_sh(dir, text, len);
			}
			wd_cfg_cleanup(&cfg);
		}
		snprintf(name, sizeof(name), "random values: sh reads all %d "
		    "accepted the same (%d did)", accepted, same);
		CHECK(M, name, accepted > 300 && same == accepted);
	}
	CHECK(M, "sh oracle: nothing created in its directory",
	    rmdir(dir) == 0);
}

/* The fake environment for wd_cfg_load_from (a name twice: the first
 * counts, as getenv's). */
static char *const fake_env[] = {
	"PATH=/usr/bin",
	"WARDEN_ANON_ROLE=from-env",
	"WARDEN_COOKIE_NAME=",
	"WARDEN_ANON_ROLE=second",
	"NOT_AN_ASSIGNMENT",
	NULL,
};

/* NAME=<WD_MAX_CFG_VALUE + 1 bytes> as an environment. */
static char *const *
long_env(const char *name)
{
	static char	 big[WD_MAX_CFG_VALUE + 128];
	static char	*env[2];
	size_t		 n = strlen(name);

	memcpy(big, name, n);
	big[n] = '=';
	memset(big + n + 1, 'y', WD_MAX_CFG_VALUE + 1);
	big[n + 1 + WD_MAX_CFG_VALUE + 1] = '\0';
	env[0] = big;
	env[1] = NULL;
	return env;
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
	    long_env("WARDEN_ADMIN_SECRET"), err, sizeof(err)) ==
	    WD_E_CONFIG && strstr(err, "WARDEN_ADMIN_SECRET") != NULL &&
	    strstr(err, "yyyy") == NULL);
	wd_cfg_cleanup(&cfg);
	err[0] = '\0';
	CHECK(M, "load: a generic provider's env value too long",
	    wd_cfg_load_from(&cfg, NULL,
	    long_env("WARDEN_PROVIDER_CORP_CLIENT_SECRET"), err,
	    sizeof(err)) == WD_E_CONFIG && strcmp(err,
	    "WARDEN_PROVIDER_CORP_CLIENT_SECRET: value too long") == 0);
	wd_cfg_cleanup(&cfg);

	unlink(path);
	err[0] = '\0';
	CHECK(M, "load: missing file is WD_E_CONFIG",
	    wd_cfg_load_from(&cfg, path, fake_env, err, sizeof(err)) ==
	    WD_E_CONFIG && strstr(err, "WARDEN_CONFIG") != NULL);
	wd_cfg_cleanup(&cfg);
}


/* ---- the validation pass ---- */

#define DB	"WARDEN_DATABASE_URL='postgresql://warden@h/" SECRET "'\n"
#define JS	"WARDEN_JWT_SECRET='" SECRET "'\n"
#define AS	"WARDEN_ACTION_SECRET=0123456789abcdef\n"
#define BASE	DB JS AS	/* what every binary requires */
#define SMTP	"WARDEN_SMTP_URL=smtp://relay:25\n" \
		"WARDEN_SMTP_SENDER=warden@example.com\n" /* the mailer's */
#define HOOK_	WD_BIN_HOOK
#define HEALTH_	WD_BIN_HEALTH
#define ACCT_	WD_BIN_ACCT
#define STORE_	WD_BIN_STORAGE
#define MAILER_	WD_BIN_MAILER
#define ALL_	WD_BIN__ALL

/* 33 entries; the first 32 are the most a list holds */
#define L32	"a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,b0,b1,b2,b3,b4,b5," \
		"b6,b7,b8,b9,c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,d0,d1"
#define L33	L32 ",d2"
#define N63	"n1234567890123456789012345678901" \
		"2345678901234567890123456789012"
#define N64	N63 "3"

struct check_case {
	const char	*name;
	unsigned	 bin;
	const char	*text;	/* the configuration file */
	const char	*err;	/* NULL: WD_OK; else what err starts with */
};

#define RQ(k)	"WARDEN_" k ": required but not set"
#define INT(k, r)	"WARDEN_" k ": must be an integer in " r
#define BOOL(k)	"WARDEN_" k ": must be true, false, 1 or 0"
#define ENT(k)	"WARDEN_" k ": entries must be "
#define HOLD(k)	"WARDEN_" k ": must hold "
#define REP(k)	"WARDEN_" k ": an entry is repeated"

static const struct check_case check_cases[] = {
	/* required by which binary */
	{ "DATABASE_URL required by hook", HOOK_, JS AS, RQ("DATABASE_URL") },
	{ "DATABASE_URL required by healthz", HEALTH_, JS AS,
	    RQ("DATABASE_URL") },
	{ "DATABASE_URL required by accounts", ACCT_, JS AS,
	    RQ("DATABASE_URL") },
	{ "DATABASE_URL required by storage", STORE_, JS AS,
	    RQ("DATABASE_URL") },
	{ "empty DATABASE_URL is not set", HEALTH_,
	    "WARDEN_DATABASE_URL=''\n", RQ("DATABASE_URL") },
	{ "JWT_SECRET required by hook", HOOK_, DB AS, RQ("JWT_SECRET") },
	{ "JWT_SECRET required by accounts", ACCT_, DB AS, RQ("JWT_SECRET") },
	{ "JWT_SECRET required by storage", STORE_, DB AS,
	    RQ("JWT_SECRET") },
	{ "empty JWT_SECRET is not set", HOOK_, DB "WARDEN_JWT_SECRET=\n",
	    RQ("JWT_SECRET") },
	{ "ACTION_SECRET required by accounts", ACCT_, DB JS,
	    RQ("ACTION_SECRET") },
	{ "ACTION_SECRET required by a mask with accounts", HOOK_ | ACCT_,
	    DB JS, RQ("ACTION_SECRET") },
	{ "empty ACTION_SECRET is not set", ACCT_,
	    DB JS "WARDEN_ACTION_SECRET=''\n", RQ("ACTION_SECRET") },
	{ "ACTION_SECRET of 15 bytes", ACCT_,
	    DB JS "WARDEN_ACTION_SECRET=0123456789abcde\n",
	    "WARDEN_ACTION_SECRET: needs at least 16 bytes" },
	{ "no binary", 0, BASE, "wd_cfg_check: no such binary" },
	{ "unknown binary bit", WD_BIN__ALL + 1u, BASE,
	    "wd_cfg_check: no such binary" },
	/* the mailer (issue 9) */
	{ "SMTP_URL required by the mailer", MAILER_,
	    DB "WARDEN_SMTP_SENDER=w@example.com\n", RQ("SMTP_URL") },
	{ "SMTP_SENDER required by the mailer", MAILER_,
	    DB "WARDEN_SMTP_URL=smtp://relay\n", RQ("SMTP_SENDER") },
	{ "DATABASE_URL required by the mailer", MAILER_, SMTP,
	    RQ("DATABASE_URL") },
	{ "the mailer needs no JWT or action secret", MAILER_, DB SMTP,
	    NULL },
	{ "accounts need no SMTP (the mailer sends)", ACCT_, BASE, NULL },
	{ "SMTP_SENDER over 254 bytes", MAILER_, DB SMTP
	    "WARDEN_SMTP_SENDER=" N63 N63 N63 N63 "@xy\n",
	    "WARDEN_SMTP_SENDER: must be at most 254 bytes" },
	{ "retry min 0", MAILER_, DB SMTP "WARDEN_MAIL_RETRY_MIN=0\n",
	    INT("MAIL_RETRY_MIN", "[1, 3600]") },
	{ "retry min 3601", MAILER_, DB SMTP "WARDEN_MAIL_RETRY_MIN=3601\n",
	    INT("MAIL_RETRY_MIN", "[1, 3600]") },
	{ "retry max 0", MAILER_, DB SMTP "WARDEN_MAIL_RETRY_MAX=0\n",
	    INT("MAIL_RETRY_MAX", "[1, 86400]") },
	{ "retry max a day and a second", MAILER_,
	    DB SMTP "WARDEN_MAIL_RETRY_MAX=86401\n",
	    INT("MAIL_RETRY_MAX", "[1, 86400]") },
	{ "accounts ignore the mailer's keys", ACCT_, BASE
	    "WARDEN_MAIL_RETRY_MIN=x\nWARDEN_SMTP_STARTTLS=on\n", NULL },
	/* INT */
	{ "int 0 below min", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=0\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int above max", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=1441\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int empty", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=''\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int letters", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=" SECRET "\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int negative", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=-1\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int plus sign", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=+5\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int leading blank", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=' 5'\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int trailing blank", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN='5 '\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int hex", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=0x10\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int exponent", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=1e3\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int fraction", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=1.5\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int unit", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=15m\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "int overflow", ACCT_,
	    BASE "WARDEN_JWT_EXPIRES_IN=99999999999999999999999\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },
	{ "refresh 0", ACCT_, BASE "WARDEN_REFRESH_EXPIRES_IN=0\n",
	    INT("REFRESH_EXPIRES_IN", "[1, 525600]") },
	{ "refresh above a year", ACCT_,
	    BASE "WARDEN_REFRESH_EXPIRES_IN=525601\n",
	    INT("REFRESH_EXPIRES_IN", "[1, 525600]") },
	{ "min password 0", ACCT_, BASE "WARDEN_MIN_PASSWORD_LENGTH=0\n",
	    INT("MIN_PASSWORD_LENGTH", "[1, 1024]") },
	{ "min password 1025", ACCT_,
	    BASE "WARDEN_MIN_PASSWORD_LENGTH=1025\n",
	    INT("MIN_PASSWORD_LENGTH", "[1, 1024]") },
	{ "max failures 0", ACCT_, BASE "WARDEN_LOGIN_MAX_FAILURES=0\n",
	    INT("LOGIN_MAX_FAILURES", "[1, 10]") },
	/* API.md §5.1: at most 10 per (account, address) in every
	 * configuration */
	{ "max failures 11", ACCT_,
	    BASE "WARDEN_LOGIN_MAX_FAILURES=11\n",
	    INT("LOGIN_MAX_FAILURES", "[1, 10]") },
	{ "reuse interval 301", ACCT_,
	    BASE "WARDEN_REFRESH_REUSE_INTERVAL=301\n",
	    INT("REFRESH_REUSE_INTERVAL", "[0, 300]") },
	{ "session max age 59", ACCT_,
	    BASE "WARDEN_SESSION_MAX_AGE=59\n",
	    INT("SESSION_MAX_AGE", "[60, 315360000]") },
	{ "rate limit 0", ACCT_, BASE "WARDEN_RATE_LIMIT=0\n",
	    INT("RATE_LIMIT", "[1, 1000000]") },
	{ "max failures per IP 0", ACCT_,
	    BASE "WARDEN_LOGIN_MAX_FAILURES_IP=0\n",
	    INT("LOGIN_MAX_FAILURES_IP", "[1, 1000000]") },
	{ "max failures per IP 1000001", ACCT_,
	    BASE "WARDEN_LOGIN_MAX_FAILURES_IP=1000001\n",
	    INT("LOGIN_MAX_FAILURES_IP", "[1, 1000000]") },
	{ "storage size 2^50 + 1", STORE_,
	    BASE "WARDEN_STORAGE_MAX_SIZE=1125899906842625\n",
	    INT("STORAGE_MAX_SIZE", "[0, 1125899906842624]") },
	{ "storage size negative", STORE_,
	    BASE "WARDEN_STORAGE_MAX_SIZE=-1\n",
	    INT("STORAGE_MAX_SIZE", "[0, 1125899906842624]") },
	{ "storage size words", STORE_,
	    BASE "WARDEN_STORAGE_MAX_SIZE=" SECRET "\n",
	    INT("STORAGE_MAX_SIZE", "[0, 1125899906842624]") },
	/* BOOL: one parser, four words */
	{ "bool yes", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=yes\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool no", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=no\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool on", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=on\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool off", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=off\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool TRUE", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=TRUE\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool False", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=False\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool empty", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool 2", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=2\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool 01", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=01\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool trailing blank", ACCT_, BASE "WARDEN_AUTO_ACTIVATE='true '\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool word", ACCT_, BASE "WARDEN_AUTO_ACTIVATE=" SECRET "\n",
	    BOOL("AUTO_ACTIVATE") },
	{ "bool cookie secure yes", ACCT_,
	    BASE "WARDEN_COOKIE_SECURE=yes\n", BOOL("COOKIE_SECURE") },
	{ "bool starttls on", MAILER_, DB SMTP "WARDEN_SMTP_STARTTLS=on\n",
	    BOOL("SMTP_STARTTLS") },
	{ "bool starttls True", MAILER_,
	    DB SMTP "WARDEN_SMTP_STARTTLS=True\n", BOOL("SMTP_STARTTLS") },
	/* ROLES */
	{ "roles with a blank inside", ACCT_,
	    BASE "WARDEN_ALLOWED_ROLES='us er'\n", ENT("ALLOWED_ROLES") },
	{ "roles with ;", ACCT_, BASE "WARDEN_ALLOWED_ROLES='a;b'\n",
	    ENT("ALLOWED_ROLES") },
	{ "roles with a dot", ACCT_, BASE "WARDEN_ALLOWED_ROLES=a.b\n",
	    ENT("ALLOWED_ROLES") },
	{ "roles with punctuation", ACCT_,
	    BASE "WARDEN_ALLOWED_ROLES='" SECRET "!'\n",
	    ENT("ALLOWED_ROLES") },
	{ "roles non-ASCII", ACCT_,
	    BASE "WARDEN_ALLOWED_ROLES=r\xc3\xb4le\n", ENT("ALLOWED_ROLES") },
	{ "roles 64-byte name", ACCT_, BASE "WARDEN_ALLOWED_ROLES=" N64 "\n",
	    ENT("ALLOWED_ROLES") },
	{ "roles repeated", ACCT_, BASE "WARDEN_ALLOWED_ROLES=user,me,user\n",
	    REP("ALLOWED_ROLES") },
	/* Hasura's admin from no setting, in any case */
	{ "anonymous role admin", HOOK_, DB JS "WARDEN_ANON_ROLE=admin\n",
	    "WARDEN_ANON_ROLE: must not be admin" },
	{ "anonymous role Admin", HOOK_, DB JS "WARDEN_ANON_ROLE=Admin\n",
	    "WARDEN_ANON_ROLE: must not be admin" },
	{ "anonymous role admins (not admin)", HOOK_,
	    DB JS "WARDEN_ANON_ROLE=admins\n", NULL },
	{ "allowed roles with ADMIN", ACCT_,
	    BASE "WARDEN_ALLOWED_ROLES=user,ADMIN\n",
	    "WARDEN_ALLOWED_ROLES: must not be admin" },
	{ "default role admin", ACCT_, BASE "WARDEN_DEFAULT_ROLE=admin\n",
	    "WARDEN_DEFAULT_ROLE: must not be admin" },
	{ "roles 33 entries", ACCT_, BASE "WARDEN_ALLOWED_ROLES=" L33 "\n",
	    HOLD("ALLOWED_ROLES") "0 to 32 role names" },
	{ "default role empty", ACCT_, BASE "WARDEN_DEFAULT_ROLE=\n",
	    HOLD("DEFAULT_ROLE") "1 to 1 role names" },
	{ "default role only blanks and commas", ACCT_,
	    BASE "WARDEN_DEFAULT_ROLE=' , '\n", HOLD("DEFAULT_ROLE") },
	{ "default role two", ACCT_, BASE "WARDEN_DEFAULT_ROLE=a,b\n",
	    HOLD("DEFAULT_ROLE") },
	{ "default role bad name", ACCT_,
	    BASE "WARDEN_DEFAULT_ROLE='a b'\n", ENT("DEFAULT_ROLE") },
	{ "anonymous role two", HOOK_, BASE "WARDEN_ANON_ROLE=a,b\n",
	    HOLD("ANON_ROLE") "0 to 1" },
	{ "anonymous role bad name", HOOK_,
	    BASE "WARDEN_ANON_ROLE='" SECRET "\"'\n", ENT("ANON_ROLE") },
	/* COLUMNS */
	{ "columns upper case", ACCT_,
	    BASE "WARDEN_JWT_CUSTOM_FIELDS=Name\n", ENT("JWT_CUSTOM_FIELDS") },
	{ "columns leading digit", ACCT_,
	    BASE "WARDEN_JWT_CUSTOM_FIELDS=1col\n",
	    ENT("JWT_CUSTOM_FIELDS") },
	{ "columns dash", ACCT_, BASE "WARDEN_JWT_CUSTOM_FIELDS=a-b\n",
	    ENT("JWT_CUSTOM_FIELDS") },
	{ "columns quote", ACCT_,
	    BASE "WARDEN_JWT_CUSTOM_FIELDS='a\"b'\n",
	    ENT("JWT_CUSTOM_FIELDS") },
	{ "columns 64-byte name", ACCT_,
	    BASE "WARDEN_JWT_CUSTOM_FIELDS=" N64 "\n",
	    ENT("JWT_CUSTOM_FIELDS") },
	{ "columns repeated", ACCT_, BASE "WARDEN_JWT_CUSTOM_FIELDS=a,b,a\n",
	    REP("JWT_CUSTOM_FIELDS") },
	{ "columns 33 entries", ACCT_,
	    BASE "WARDEN_JWT_CUSTOM_FIELDS=" L33 "\n",
	    HOLD("JWT_CUSTOM_FIELDS") },
	{ "registration columns dot", ACCT_,
	    BASE "WARDEN_REGISTRATION_CUSTOM_FIELDS=x.y\n",
	    ENT("REGISTRATION_CUSTOM_FIELDS") },
	{ "registration columns non-ASCII", ACCT_,
	    BASE "WARDEN_REGISTRATION_CUSTOM_FIELDS=\xc3\xa9t\xc3\xa9\n",
	    ENT("REGISTRATION_CUSTOM_FIELDS") },
	{ "first bad key in table order", ACCT_,
	    BASE "WARDEN_MIN_PASSWORD_LENGTH=0\nWARDEN_JWT_EXPIRES_IN=0\n",
	    INT("JWT_EXPIRES_IN", "[1, 1440]") },

	/* accepted */
	{ "healthz needs only the database", HEALTH_, DB, NULL },
	{ "hook needs no action secret", HOOK_, DB JS, NULL },
	{ "storage needs no action secret", STORE_, DB JS, NULL },
	{ "accounts with the required three", ACCT_, BASE, NULL },
	{ "every binary at once", ALL_, BASE SMTP, NULL },
	{ "hook ignores the accounts' keys", HOOK_, DB JS
	    "WARDEN_JWT_EXPIRES_IN=" SECRET "\nWARDEN_AUTO_ACTIVATE=yes\n"
	    "WARDEN_ALLOWED_ROLES='a b'\nWARDEN_ACTION_SECRET=short\n"
	    "WARDEN_STORAGE_MAX_SIZE=x\n", NULL },
	{ "healthz ignores everything else", HEALTH_, DB
	    "WARDEN_JWT_SECRET=\nWARDEN_ANON_ROLE=a,b\n"
	    "WARDEN_SMTP_STARTTLS=on\nWARDEN_STORAGE_MAX_SIZE=-1\n", NULL },
	{ "storage ignores the accounts' keys", STORE_, DB JS
	    "WARDEN_MIN_PASSWORD_LENGTH=0\nWARDEN_JWT_CUSTOM_FIELDS=A\n"
	    "WARDEN_ANON_ROLE=a,b\n", NULL },
	{ "accounts ignore storage and hook keys", ACCT_, BASE
	    "WARDEN_STORAGE_MAX_SIZE=x\nWARDEN_ANON_ROLE='a b'\n", NULL },
	{ "int bounds low", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=1\n"
	    "WARDEN_REFRESH_EXPIRES_IN=1\nWARDEN_MIN_PASSWORD_LENGTH=1\n"
	    "WARDEN_LOGIN_MAX_FAILURES=1\nWARDEN_LOGIN_MAX_FAILURES_IP=1\n",
	    NULL },
	{ "int bounds high", ACCT_, BASE "WARDEN_JWT_EXPIRES_IN=1440\n"
	    "WARDEN_REFRESH_EXPIRES_IN=525600\n"
	    "WARDEN_MIN_PASSWORD_LENGTH=1024\n"
	    "WARDEN_LOGIN_MAX_FAILURES=10\n"
	    "WARDEN_LOGIN_MAX_FAILURES_IP=1000000\n"
	    "WARDEN_REFRESH_REUSE_INTERVAL=300\n"
	    "WARDEN_SESSION_MAX_AGE=315360000\n"
	    "WARDEN_RATE_LIMIT=1000000\n", NULL },
	{ "storage size 0", STORE_, BASE "WARDEN_STORAGE_MAX_SIZE=0\n",
	    NULL },
	{ "storage size 2^50", STORE_,
	    BASE "WARDEN_STORAGE_MAX_SIZE=1125899906842624\n", NULL },
	{ "empty anonymous role (401)", HOOK_, BASE "WARDEN_ANON_ROLE=\n",
	    NULL },
	{ "63-byte names", ACCT_, BASE "WARDEN_ALLOWED_ROLES=" N63 "\n"
	    "WARDEN_JWT_CUSTOM_FIELDS=" N63 "\n", NULL },
	{ "32 entries", ACCT_, BASE "WARDEN_ALLOWED_ROLES=" L32 "\n"
	    "WARDEN_REGISTRATION_CUSTOM_FIELDS=" L32 "\n", NULL },
	{ "empty lists", ACCT_, BASE "WARDEN_ALLOWED_ROLES=\n"
	    "WARDEN_JWT_CUSTOM_FIELDS=' , ,'\n", NULL },
	{ "empty optional secrets", STORE_, BASE "WARDEN_ADMIN_SECRET=\n"
	    "WARDEN_JWT_PREVIOUS_SECRET=''\n", NULL },
	/* generic OpenID Connect providers, found by name (issue 12) */
	{ "two generic providers", ACCT_, BASE
	    "WARDEN_PROVIDER_KEYCLOAK_ISSUER=https://id.example/realms/a\n"
	    "WARDEN_PROVIDER_KEYCLOAK_CLIENT_ID=warden\n"
	    "WARDEN_PROVIDER_CORP2_ISSUER=https://corp.example\n"
	    "WARDEN_PROVIDER_CORP2_CLIENT_ID=w\n"
	    "WARDEN_PROVIDER_CORP2_CLIENT_SECRET='" SECRET "'\n", NULL },
	{ "a 32-byte provider name", ACCT_, BASE "WARDEN_PROVIDER_"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ987654_ISSUER=https://a.example\n",
	    NULL },
	{ "a provider name in lower case", ACCT_, BASE
	    "WARDEN_PROVIDER_corp_ISSUER=https://a.example\n",
	    "WARDEN_PROVIDER_corp_ISSUER: the provider name <P> in "
	    "WARDEN_PROVIDER_<P>_... must be [A-Z0-9]{1,32}" },
	{ "a provider name with _", ACCT_, BASE
	    "WARDEN_PROVIDER_MY_IDP_CLIENT_ID=x\n",
	    "WARDEN_PROVIDER_MY_IDP_CLIENT_ID: the provider name" },
	{ "a 33-byte provider name", ACCT_, BASE "WARDEN_PROVIDER_"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ9876543_ISSUER=https://a.example\n",
	    "WARDEN_PROVIDER_ABCDEFGHIJKLMNOPQRSTUVWXYZ9876543_ISSUER: the "
	    "provider name" },
	{ "the slots' _NAME key is gone", ACCT_, BASE
	    "WARDEN_PROVIDER_OIDC_NAME=keycloak\n",
	    "WARDEN_PROVIDER_OIDC_NAME: no such setting (a generic provider "
	    "has WARDEN_PROVIDER_<P>_ISSUER" },
	{ "a misspelt key", ACCT_, BASE
	    "WARDEN_PROVIDER_CORP_CLIENTID=x\n",
	    "WARDEN_PROVIDER_CORP_CLIENTID: no such setting" },
	{ "no such GitHub key", ACCT_, BASE "WARDEN_PROVIDER_GITHUB_NAME=x\n",
	    "WARDEN_PROVIDER_GITHUB_NAME: no such setting" },
	{ "WARDEN_PROVIDER_ alone", ACCT_, BASE "WARDEN_PROVIDER_=x\n",
	    "WARDEN_PROVIDER_: no such setting" },
	{ "a suffix alone", ACCT_, BASE "WARDEN_PROVIDER_ISSUER=x\n",
	    "WARDEN_PROVIDER_ISSUER: no such setting" },
	{ "a generic client id over 512 bytes", ACCT_, BASE
	    "WARDEN_PROVIDER_CORP_CLIENT_ID=" N64 N64 N64 N64 N64 N64 N64 N64
	    "x\n", "WARDEN_PROVIDER_CORP_CLIENT_ID: must be at most 512 "
	    "bytes" },
	{ "a generic issuer of 1024 bytes", ACCT_, BASE
	    "WARDEN_PROVIDER_CORP_ISSUER=" N64 N64 N64 N64 N64 N64 N64 N64
	    N64 N64 N64 N64 N64 N64 N64 N64 "\n", NULL },
	{ "a generic issuer over 1024 bytes", ACCT_, BASE
	    "WARDEN_PROVIDER_CORP_ISSUER=" N64 N64 N64 N64 N64 N64 N64 N64
	    N64 N64 N64 N64 N64 N64 N64 N64 "x\n",
	    "WARDEN_PROVIDER_CORP_ISSUER: must be at most 1024 bytes" },
	{ "the webhook ignores the providers' keys", HOOK_, BASE
	    "WARDEN_PROVIDER_corp_ISSUER=x\n"
	    "WARDEN_PROVIDER_CORP_CLIENT_ID=" N64 N64 N64 N64 N64 N64 N64 N64
	    "x\n", NULL },
};

static void
test_check(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case	*c = &check_cases[i];
		struct wd_cfg		 cfg = { 0 };
		char			 err[256] = "", name[200];
		enum wd_err		 rc;
		int			 k, none = 1;

		snprintf(name, sizeof(name), "check parse: %s", c->name);
		CHECK(M, name, wd_cfg_parse(&cfg, c->text, strlen(c->text),
		    err, sizeof(err)) == WD_OK);
		rc = wd_cfg_check(&cfg, c->bin, err, sizeof(err));
		if (c->err == NULL) {
			snprintf(name, sizeof(name), "check ok: %s", c->name);
			CHECK(M, name, rc == WD_OK);
			if (rc != WD_OK)
				printf("  err: %s\n", err);
			wd_cfg_cleanup(&cfg);
			continue;
		}
		snprintf(name, sizeof(name), "check bad: %s: \"%s\"", c->name,
		    c->err);
		CHECK(M, name, rc == WD_E_CONFIG &&
		    strncmp(err, c->err, strlen(c->err)) == 0);
		if (strncmp(err, c->err, strlen(c->err)) != 0)
			printf("  err: %s\n", err);
		snprintf(name, sizeof(name), "check bad: %s: one line, no "
		    "value", c->name);
		CHECK(M, name, strchr(err, '\n') == NULL &&
		    strstr(err, "s3kr") == NULL && strstr(err, "0123") == NULL);
		for (k = 0; k < WD_CFG__MAX; k++)
			if (cfg.ok[k] || cfg.list[k] != NULL)
				none = 0;
		snprintf(name, sizeof(name), "check bad: %s: nothing parsed",
		    c->name);
		CHECK(M, name, none);
		wd_cfg_cleanup(&cfg);
	}
}

struct bool_word {
	const char	*s;
	enum wd_err	 want;
	int		 out;
};

static void
test_parse_bool(void)
{
	static const struct bool_word words[] = {
		{ "true", WD_OK, 1 }, { "1", WD_OK, 1 },
		{ "false", WD_OK, 0 }, { "0", WD_OK, 0 },
		{ NULL, WD_E_CONFIG, 0 }, { "", WD_E_CONFIG, 0 },
		{ "TRUE", WD_E_CONFIG, 0 }, { "True", WD_E_CONFIG, 0 },
		{ "yes", WD_E_CONFIG, 0 }, { "no", WD_E_CONFIG, 0 },
		{ "on", WD_E_CONFIG, 0 }, { "off", WD_E_CONFIG, 0 },
		{ "y", WD_E_CONFIG, 0 }, { "t", WD_E_CONFIG, 0 },
		{ "2", WD_E_CONFIG, 0 }, { "-1", WD_E_CONFIG, 0 },
		{ "01", WD_E_CONFIG, 0 }, { "00", WD_E_CONFIG, 0 },
		{ " 1", WD_E_CONFIG, 0 }, { "1 ", WD_E_CONFIG, 0 },
		{ "true\n", WD_E_CONFIG, 0 }, { "truee", WD_E_CONFIG, 0 },
		{ "tru", WD_E_CONFIG, 0 }, { "fals", WD_E_CONFIG, 0 },
	};
	/* "1" is on for every boolean key, and so is "true" */
	static const enum wd_cfgkey keys[] = { WD_CFG_AUTO_ACTIVATE,
	    WD_CFG_COOKIE_SECURE, WD_CFG_SMTP_STARTTLS };
	static const unsigned bins[] = { WD_BIN_ACCT, WD_BIN_ACCT,
	    WD_BIN_MAILER };
	size_t	 i, j;
	char	 name[128];

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int	 out = -1;

		snprintf(name, sizeof(name), "parse_bool \"%s\"",
		    words[i].s == NULL ? "(null)" : words[i].s);
		CHECK(M, name, wd_cfg_parse_bool(words[i].s, &out) ==
		    words[i].want && out == (words[i].want == WD_OK ?
		    words[i].out : -1));
	}
	for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
		for (i = 0; i < 4; i++) {
			struct wd_cfg	 cfg = { 0 };

			cfg.val[WD_CFG_DATABASE_URL] = wd_xstrdup("x");
			cfg.val[WD_CFG_JWT_SECRET] = wd_xstrdup("x");
			cfg.val[WD_CFG_ACTION_SECRET] =
			    wd_xstrdup("0123456789abcdef");
			cfg.val[WD_CFG_SMTP_URL] = wd_xstrdup("smtp://r");
			cfg.val[WD_CFG_SMTP_SENDER] = wd_xstrdup("w@x.org");
			cfg.val[keys[j]] = wd_xstrdup(words[i].s);
			snprintf(name, sizeof(name), "%s=%s reads %d",
			    wd_cfg_name(keys[j]), words[i].s, words[i].out);
			CHECK(M, name, wd_cfg_check(&cfg, bins[j], NULL,
			    0) == WD_OK && wd_cfg_flag(&cfg, keys[j]) ==
			    words[i].out);
			/* the mailer reads it with the same parser */
			{
				int	 on = -1;

				CHECK(M, name, wd_cfg_parse_bool(wd_cfg_str(
				    &cfg, keys[j]), &on) == WD_OK &&
				    on == words[i].out);
			}
			wd_cfg_cleanup(&cfg);
		}
}

/* Parses text and checks it for bin; 1 on success. */
static int
load(struct wd_cfg *c, const char *text, unsigned bin)
{
	char	 err[256] = "";

	if (wd_cfg_parse(c, text, strlen(text), err, sizeof(err)) != WD_OK ||
	    wd_cfg_check(c, bin, err, sizeof(err)) != WD_OK) {
		printf("  err: %s\n", err);
		return 0;
	}
	return 1;
}

/* 1 if each entry of k's list is the next word of want (',' separated). */
static int
list_is(const struct wd_cfg *c, enum wd_cfgkey k, const char *want)
{
	const char *const	*v;
	size_t			 n = wd_cfg_list(c, k, &v), i, wl;

	for (i = 0; i < n; i++) {
		wl = strcspn(want, ",");
		if (wl == 0 || strlen(v[i]) != wl ||
		    memcmp(v[i], want, wl) != 0)
			return 0;
		want += wl;
		if (*want == ',')
			want++;
	}
	return *want == '\0';
}

static void
test_values(void)
{
	struct wd_cfg	 cfg = { 0 };

	CHECK(M, "values: defaults load", load(&cfg, BASE, WD_BIN_ACCT));
	CHECK(M, "values: default JWT_EXPIRES_IN 15",
	    wd_cfg_int(&cfg, WD_CFG_JWT_EXPIRES_IN) == 15);
	CHECK(M, "values: default REFRESH_EXPIRES_IN 43200",
	    wd_cfg_int(&cfg, WD_CFG_REFRESH_EXPIRES_IN) == 43200);
	CHECK(M, "values: default MIN_PASSWORD_LENGTH 8",
	    wd_cfg_int(&cfg, WD_CFG_MIN_PASSWORD_LENGTH) == 8);
	CHECK(M, "values: default LOGIN_MAX_FAILURES 10",
	    wd_cfg_int(&cfg, WD_CFG_LOGIN_MAX_FAILURES) == 10);
	CHECK(M, "values: default LOGIN_MAX_FAILURES_IP 100",
	    wd_cfg_int(&cfg, WD_CFG_LOGIN_MAX_FAILURES_IP) == 100);
	CHECK(M, "values: default flags off",
	    wd_cfg_flag(&cfg, WD_CFG_AUTO_ACTIVATE) == 0 &&
	    wd_cfg_flag(&cfg, WD_CFG_COOKIE_SECURE) == 0);
	CHECK(M, "values: default ALLOWED_ROLES user,me",
	    list_is(&cfg, WD_CFG_ALLOWED_ROLES, "user,me"));
	CHECK(M, "values: default DEFAULT_ROLE user",
	    list_is(&cfg, WD_CFG_DEFAULT_ROLE, "user"));
	CHECK(M, "values: default custom fields empty",
	    list_is(&cfg, WD_CFG_JWT_CUSTOM_FIELDS, "") &&
	    list_is(&cfg, WD_CFG_REGISTRATION_CUSTOM_FIELDS, ""));
	wd_cfg_cleanup(&cfg);

	CHECK(M, "values: set load", load(&cfg, BASE
	    "WARDEN_JWT_EXPIRES_IN=1440\nWARDEN_REFRESH_EXPIRES_IN=007\n"
	    "WARDEN_ALLOWED_ROLES=' a , b ,, c-D_1 ,'\n"
	    "WARDEN_DEFAULT_ROLE=' editor '\n"
	    "WARDEN_JWT_CUSTOM_FIELDS=\"x_1,\ty\"\n"
	    "WARDEN_REGISTRATION_CUSTOM_FIELDS=,,,\n", WD_BIN_ACCT));
	CHECK(M, "values: JWT_EXPIRES_IN 1440",
	    wd_cfg_int(&cfg, WD_CFG_JWT_EXPIRES_IN) == 1440);
	CHECK(M, "values: leading zeros are decimal",
	    wd_cfg_int(&cfg, WD_CFG_REFRESH_EXPIRES_IN) == 7);
	CHECK(M, "values: roles trimmed, empty skipped",
	    list_is(&cfg, WD_CFG_ALLOWED_ROLES, "a,b,c-D_1"));
	CHECK(M, "values: default role trimmed",
	    list_is(&cfg, WD_CFG_DEFAULT_ROLE, "editor"));
	CHECK(M, "values: tab trimmed", list_is(&cfg,
	    WD_CFG_JWT_CUSTOM_FIELDS, "x_1,y"));
	CHECK(M, "values: only commas is empty", list_is(&cfg,
	    WD_CFG_REGISTRATION_CUSTOM_FIELDS, ""));
	CHECK(M, "values: raw string unchanged", strcmp(wd_cfg_str(&cfg,
	    WD_CFG_ALLOWED_ROLES), " a , b ,, c-D_1 ,") == 0);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "values: storage load", load(&cfg, BASE
	    "WARDEN_STORAGE_MAX_SIZE=1125899906842624\n", WD_BIN_STORAGE));
	CHECK(M, "values: STORAGE_MAX_SIZE 2^50",
	    wd_cfg_int(&cfg, WD_CFG_STORAGE_MAX_SIZE) == 1L << 50);
	wd_cfg_cleanup(&cfg);

	CHECK(M, "values: hook load", load(&cfg, BASE, WD_BIN_HOOK));
	CHECK(M, "values: default ANON_ROLE anonymous",
	    list_is(&cfg, WD_CFG_ANON_ROLE, "anonymous"));
	wd_cfg_cleanup(&cfg);
	CHECK(M, "values: hook empty anon load", load(&cfg, BASE
	    "WARDEN_ANON_ROLE=\n", WD_BIN_HOOK));
	CHECK(M, "values: empty ANON_ROLE has no entry",
	    list_is(&cfg, WD_CFG_ANON_ROLE, ""));
	wd_cfg_cleanup(&cfg);

	/* a second check replaces the first (and leaks nothing) */
	CHECK(M, "values: recheck load", load(&cfg, BASE
	    "WARDEN_ALLOWED_ROLES=a,b\n", WD_BIN_ACCT));
	free(cfg.val[WD_CFG_ALLOWED_ROLES]);
	cfg.val[WD_CFG_ALLOWED_ROLES] = wd_xstrdup("c");
	CHECK(M, "values: recheck", wd_cfg_check(&cfg, WD_BIN_ACCT, NULL, 0) ==
	    WD_OK && list_is(&cfg, WD_CFG_ALLOWED_ROLES, "c"));
	wd_cfg_cleanup(&cfg);
}

static void
test_isset(void)
{
	struct wd_cfg	 cfg = { 0 };

	CHECK(M, "isset: load", load(&cfg, BASE "WARDEN_AUTO_ACTIVATE=false\n"
	    "WARDEN_SERVER_URL=\n", WD_BIN_ACCT));
	CHECK(M, "isset: set to the default value",
	    wd_cfg_isset(&cfg, WD_CFG_AUTO_ACTIVATE));
	CHECK(M, "isset: unset, default applies",
	    !wd_cfg_isset(&cfg, WD_CFG_COOKIE_SECURE) &&
	    wd_cfg_flag(&cfg, WD_CFG_COOKIE_SECURE) == 0);
	CHECK(M, "isset: set to empty", wd_cfg_isset(&cfg,
	    WD_CFG_SERVER_URL));
	CHECK(M, "isset: unset without default",
	    !wd_cfg_isset(&cfg, WD_CFG_URL));
	CHECK(M, "isset: required", wd_cfg_isset(&cfg, WD_CFG_JWT_SECRET));
	CHECK(M, "isset: out of range", !wd_cfg_isset(&cfg, WD_CFG__MAX));
	wd_cfg_cleanup(&cfg);
	CHECK(M, "isset: no check needed", !wd_cfg_isset(&cfg,
	    WD_CFG_JWT_SECRET));
}

enum acc { ACC_INT, ACC_FLAG, ACC_LIST };

/* 1 if reading k with accessor a aborts (in a child process). */
static int
aborts(const struct wd_cfg *c, enum acc a, enum wd_cfgkey k)
{
	const char *const	*v;
	pid_t			 pid;
	int			 st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(98);
		if (a == ACC_INT)
			(void)wd_cfg_int(c, k);
		else if (a == ACC_FLAG)
			(void)wd_cfg_flag(c, k);
		else
			(void)wd_cfg_list(c, k, &v);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void
test_accessors(void)
{
	struct wd_cfg	 cfg = { 0 };
	char		 err[256];

	CHECK(M, "accessor: parse", wd_cfg_parse(&cfg, BASE, strlen(BASE),
	    NULL, 0) == WD_OK);
	CHECK(M, "accessor: int before any check aborts",
	    aborts(&cfg, ACC_INT, WD_CFG_JWT_EXPIRES_IN));
	CHECK(M, "accessor: check hook", wd_cfg_check(&cfg, WD_BIN_HOOK, err,
	    sizeof(err)) == WD_OK);
	CHECK(M, "accessor: int of an accounts key after hook check aborts",
	    aborts(&cfg, ACC_INT, WD_CFG_JWT_EXPIRES_IN));
	CHECK(M, "accessor: list of an accounts key after hook check aborts",
	    aborts(&cfg, ACC_LIST, WD_CFG_ALLOWED_ROLES));
	CHECK(M, "accessor: hook's own list does not abort",
	    !aborts(&cfg, ACC_LIST, WD_CFG_ANON_ROLE));
	CHECK(M, "accessor: check accounts", wd_cfg_check(&cfg, WD_BIN_ACCT,
	    err, sizeof(err)) == WD_OK);
	CHECK(M, "accessor: int after accounts check does not abort",
	    !aborts(&cfg, ACC_INT, WD_CFG_JWT_EXPIRES_IN));
	CHECK(M, "accessor: flag of an INT key aborts",
	    aborts(&cfg, ACC_FLAG, WD_CFG_JWT_EXPIRES_IN));
	CHECK(M, "accessor: int of a BOOL key aborts",
	    aborts(&cfg, ACC_INT, WD_CFG_AUTO_ACTIVATE));
	CHECK(M, "accessor: list of a STR key aborts",
	    aborts(&cfg, ACC_LIST, WD_CFG_SERVER_URL));
	CHECK(M, "accessor: list of the hook's key after accounts check aborts",
	    aborts(&cfg, ACC_LIST, WD_CFG_ANON_ROLE));
	CHECK(M, "accessor: out of range aborts",
	    aborts(&cfg, ACC_INT, WD_CFG__MAX));
	free(cfg.val[WD_CFG_JWT_EXPIRES_IN]);
	cfg.val[WD_CFG_JWT_EXPIRES_IN] = wd_xstrdup("0");
	CHECK(M, "accessor: failed check", wd_cfg_check(&cfg, WD_BIN_ACCT,
	    err, sizeof(err)) == WD_E_CONFIG);
	CHECK(M, "accessor: nothing readable after a failed check",
	    aborts(&cfg, ACC_FLAG, WD_CFG_AUTO_ACTIVATE) &&
	    aborts(&cfg, ACC_LIST, WD_CFG_ALLOWED_ROLES));
	wd_cfg_cleanup(&cfg);
}

/* The table's own rules (see struct cfgdef and enum wd_cfgtype). */
static void
test_table(void)
{
	int	 k;
	char	 name[160];

	for (k = 0; k < WD_CFG__MAX; k++) {
		const struct cfgdef	*d = &defs[k];
		int			 ok = 1;

		ok &= d->name != NULL && strncmp(d->name, "WARDEN_", 7) == 0 &&
		    lookup(d->name, strlen(d->name)) == k;
		ok &= (unsigned)d->type < WD_CFGT__MAX;
		ok &= d->used != 0 && (d->used & ~WD_BIN__ALL) == 0;
		ok &= (d->req & ~d->used) == 0;
		/* a required key's default would make it never missing */
		ok &= d->req == 0 || d->def == NULL;
		ok &= d->type != WD_CFGT_SECRET || d->def == NULL;
		ok &= d->min >= 0 && d->min <= d->max;
		switch (d->type) {
		case WD_CFGT_STR:
		case WD_CFGT_SECRET:
			ok &= d->max <= VMAX;
			break;
		case WD_CFGT_INT:
		case WD_CFGT_BOOL:
			ok &= d->def != NULL || d->req != 0;
			break;
		default:
			ok &= d->max <= LMAX;
			break;
		}
		snprintf(name, sizeof(name), "table row %s", d->name);
		CHECK(M, name, ok);
		/* a default passes its own row */
		if (d->def != NULL) {
			struct wd_cfg	 cfg = { 0 };

			snprintf(name, sizeof(name), "default of %s is valid",
			    d->name);
			CHECK(M, name, types[d->type].check(&cfg, k, d->def,
			    NULL, 0) == WD_OK);
			wd_cfg_cleanup(&cfg);
		}
	}
}

/* wd_cfg_init reads $WARDEN_CONFIG and the real environment. */
static void
test_init(void)
{
	char		 path[] = "/tmp/wd_test_cfg_XXXXXX";
	char		 err[512] = "";
	struct wd_cfg	 cfg = { 0 };
	int		 fd, k;
	FILE		*f;

	for (k = 0; k < WD_CFG__MAX; k++)
		unsetenv(defs[k].name);
	fd = mkstemp(path);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	CHECK(M, "init: temp file", f != NULL);
	if (f == NULL)
		return;
	fputs(BASE SMTP "WARDEN_SMTP_STARTTLS=1\n", f);
	fclose(f);
	setenv("WARDEN_CONFIG", path, 1);
	CHECK(M, "init: accounts", wd_cfg_init(&cfg, WD_BIN_ACCT, err,
	    sizeof(err)) == WD_OK);
	wd_cfg_cleanup(&cfg);
	CHECK(M, "init: mailer", wd_cfg_init(&cfg, WD_BIN_MAILER, err,
	    sizeof(err)) == WD_OK && wd_cfg_flag(&cfg, WD_CFG_SMTP_STARTTLS) &&
	    wd_cfg_int(&cfg, WD_CFG_MAIL_RETRY_MIN) == 10 &&
	    wd_cfg_int(&cfg, WD_CFG_MAIL_RETRY_MAX) == 600 &&
	    strcmp(wd_cfg_str(&cfg, WD_CFG_MAIL_TEMPLATES), "templates") == 0);
	wd_cfg_cleanup(&cfg);
	setenv("WARDEN_SMTP_STARTTLS", "yes", 1);
	CHECK(M, "init: the environment is checked too",
	    wd_cfg_init(&cfg, WD_BIN_MAILER, err, sizeof(err)) ==
	    WD_E_CONFIG &&
	    strcmp(err, "WARDEN_SMTP_STARTTLS: must be true, false, 1 or 0")
	    == 0);
	wd_cfg_cleanup(&cfg);
	CHECK(M, "init: not for healthz", wd_cfg_init(&cfg, WD_BIN_HEALTH,
	    err, sizeof(err)) == WD_OK);
	wd_cfg_cleanup(&cfg);
	unsetenv("WARDEN_SMTP_STARTTLS");
	setenv("WARDEN_DATABASE_URL", "", 1);
	CHECK(M, "init: empty environment value unsets the file's",
	    wd_cfg_init(&cfg, WD_BIN_HEALTH, err, sizeof(err)) ==
	    WD_E_CONFIG && strcmp(err, "WARDEN_DATABASE_URL: required but "
	    "not set") == 0);
	wd_cfg_cleanup(&cfg);
	unsetenv("WARDEN_DATABASE_URL");
	unlink(path);
	CHECK(M, "init: missing file", wd_cfg_init(&cfg, WD_BIN_HEALTH, err,
	    sizeof(err)) == WD_E_CONFIG && strstr(err, "WARDEN_CONFIG") ==
	    err);
	wd_cfg_cleanup(&cfg);
	unsetenv("WARDEN_CONFIG");
}

/* Generic providers: found by name in the file and the environment. */
static void
test_oidc(void)
{
	static char *const	 env[] = {
		"WARDEN_PROVIDER_CORP_ISSUER=https://env.example",
		"WARDEN_PROVIDER_ENVONLY_CLIENT_ID=e",
		"WARDEN_PROVIDER_CORP_ISSUER=https://second.example",
		"WARDEN_PROVIDER_GOOGLE_CLIENT_ID=g",
		NULL,
	};
	static const char	 text[] =
	    "WARDEN_PROVIDER_KEYCLOAK_ISSUER='https://id.example/realms/a'\n"
	    "export WARDEN_PROVIDER_KEYCLOAK_CLIENT_ID=\"warden\"\n"
	    "WARDEN_PROVIDER_CORP_ISSUER=https://file.example\n"
	    "WARDEN_PROVIDER_CORP_CLIENT_SECRET='" SECRET "'\n"
	    "WARDEN_PROVIDER_KEYCLOAK_ISSUER=https://id.example/realms/b\n";
	char			 path[] = "/tmp/wd_test_cfg_XXXXXX";
	char			 err[512] = "", name[160], big[2048];
	struct wd_cfg		 cfg = { 0 };
	const struct wd_cfgoidc	*o;
	size_t			 i, n;
	int			 fd, ok;

	fd = mkstemp(path);
	CHECK(M, "oidc: temp file", fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK(M, "oidc: write temp file", write_file(path, text));
	CHECK(M, "oidc: load file and env", wd_cfg_load_from(&cfg, path, env,
	    err, sizeof(err)) == WD_OK);
	CHECK(M, "oidc: three providers, in the order found",
	    wd_cfg_oidc_count(&cfg) == 3 && wd_cfg_oidc(&cfg, 3) == NULL &&
	    strcmp(wd_cfg_oidc(&cfg, 0)->var, "KEYCLOAK") == 0 &&
	    strcmp(wd_cfg_oidc(&cfg, 1)->var, "CORP") == 0 &&
	    strcmp(wd_cfg_oidc(&cfg, 2)->var, "ENVONLY") == 0);
	o = wd_cfg_oidc(&cfg, 0);
	CHECK(M, "oidc: route name in lower case",
	    o != NULL && strcmp(o->route, "keycloak") == 0);
	CHECK(M, "oidc: the file's later value wins, quotes read",
	    o != NULL && strcmp(wd_cfg_oidc_str(o, WD_CFGP_ISSUER),
	    "https://id.example/realms/b") == 0 &&
	    strcmp(wd_cfg_oidc_str(o, WD_CFGP_CLIENT_ID), "warden") == 0 &&
	    wd_cfg_oidc_str(o, WD_CFGP_TOKEN_URL) == NULL);
	o = wd_cfg_oidc(&cfg, 1);
	CHECK(M, "oidc: the environment wins per variable (its first)",
	    o != NULL && strcmp(wd_cfg_oidc_str(o, WD_CFGP_ISSUER),
	    "https://env.example") == 0 &&
	    strcmp(wd_cfg_oidc_str(o, WD_CFGP_CLIENT_SECRET), SECRET) == 0);
	CHECK(M, "oidc: a built-in provider's variable is a row",
	    strcmp(wd_cfg_str(&cfg, WD_CFG_PROVIDER_GOOGLE_CLIENT_ID),
	    "g") == 0);
	wd_cfg_oidc_name(wd_cfg_oidc(&cfg, 2), WD_CFGP_USERINFO_URL, name,
	    sizeof(name));
	CHECK(M, "oidc: a variable's name",
	    strcmp(name, "WARDEN_PROVIDER_ENVONLY_USERINFO_URL") == 0);
	wd_cfg_cleanup(&cfg);
	ok = wd_cfg_oidc_count(&cfg) == 0 && cfg.oidc_err[0] == '\0';
	for (i = 0; i < WD_CFG_MAX_OIDC; i++)
		for (n = 0; n < WD_CFGP__MAX; n++)
			ok &= cfg.oidc[i].val[n] == NULL;
	CHECK(M, "oidc: cleanup forgets them", ok);

	/* sh's rules hold for their values too */
	CHECK(M, "oidc: write temp file ($)", write_file(path,
	    "WARDEN_PROVIDER_CORP_ISSUER=https://$HOST\n"));
	CHECK(M, "oidc: an expansion in a provider's value is refused",
	    wd_cfg_load_from(&cfg, path, NULL, err, sizeof(err)) ==
	    WD_E_CONFIG && strstr(err, "line 1: unescaped $") != NULL);
	wd_cfg_cleanup(&cfg);
	unlink(path);

	/* at most WD_CFG_MAX_OIDC of them */
	for (n = 0, i = 0; i <= WD_CFG_MAX_OIDC; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "WARDEN_PROVIDER_P%zu_ISSUER=https://a.example\n", i);
	CHECK(M, "oidc: 33 providers parse", n < sizeof(big) &&
	    wd_cfg_parse(&cfg, big, n, err, sizeof(err)) == WD_OK);
	CHECK(M, "oidc: ...32 kept", wd_cfg_oidc_count(&cfg) ==
	    WD_CFG_MAX_OIDC);
	CHECK(M, "oidc: ...the 33rd refused by the check",
	    wd_cfg_parse(&cfg, BASE, strlen(BASE), NULL, 0) == WD_OK &&
	    wd_cfg_check(&cfg, WD_BIN_ACCT, err, sizeof(err)) == WD_E_CONFIG &&
	    strcmp(err, "WARDEN_PROVIDER_P32_ISSUER: more than 32 generic "
	    "OpenID Connect providers") == 0);
	CHECK(M, "oidc: ...but the 33rd variable of one kept is fine",
	    wd_cfg_parse(&cfg, "WARDEN_PROVIDER_P0_CLIENT_ID=x\n", 31, NULL,
	    0) == WD_OK && wd_cfg_oidc_count(&cfg) == WD_CFG_MAX_OIDC);
	wd_cfg_cleanup(&cfg);
	n -= strlen("WARDEN_PROVIDER_P32_ISSUER=https://a.example\n");
	CHECK(M, "oidc: 32 providers are fine", wd_cfg_parse(&cfg, big, n,
	    err, sizeof(err)) == WD_OK && wd_cfg_parse(&cfg, BASE,
	    strlen(BASE), err, sizeof(err)) == WD_OK &&
	    wd_cfg_check(&cfg, WD_BIN_ACCT, err, sizeof(err)) == WD_OK);
	wd_cfg_cleanup(&cfg);
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
	test_sh_oracle();
	test_load_from();
	test_check();
	test_parse_bool();
	test_values();
	test_isset();
	test_accessors();
	test_table();
	test_init();
	test_oidc();
	test_cleanup();
	return WD_TEST_RESULT();
}
