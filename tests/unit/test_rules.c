/*
 * test_rules.c: the storage rules compiler and evaluator (src/wd_rules.c).
 */
#include <string.h>

#include "wd_buf.h"
#include "wd_json.h"
#include "wd_rules.h"
#include "wd_test.h"

#define M	"rules"

static const char *const params[] = { "userId", "fileId" };

struct ccase {
	const char	*expr;
	int		 ok;
	size_t		 errpos;	/* when !ok */
	const char	*dump;		/* when ok */
};

static void
test_compile(void)
{
	static const struct ccase cases[] = {
		{ "true", 1, 0, "true" },
		{ "false", 1, 0, "false" },
		{ "userId == 'a'", 1, 0, "(userId == \"a\")" },
		{ "  userId!=\"a\\\"b\"  ", 1, 0, "(userId != \"a\\\"b\")" },
		{ "auth.user-id == userId", 1, 0, "(auth.user-id == userId)" },
		{ "query.token == resource.token", 1, 0,
		    "(query.token == resource.token)" },
		{ "a' == 'b", 0, 0, NULL },
		{ "!true", 1, 0, "!true" },
		{ "!!(userId == fileId)", 1, 0, "!!(userId == fileId)" },
		{ "true || false && false", 1, 0,
		    "(true || (false && false))" },
		{ "(true || false) && false", 1, 0,
		    "((true || false) && false)" },
		{ "true && true && true", 1, 0, "((true && true) && true)" },
		{ "resource.owner == auth.user-id", 1, 0,
		    "(resource.owner == auth.user-id)" },
		{ "'it\\'s' == userId", 1, 0, "(\"it's\" == userId)" },
		/* errors, with the offset they point at */
		{ "", 0, 0, NULL },
		{ "   ", 0, 3, NULL },
		{ "userId", 0, 0, NULL },		/* a string */
		{ "'x'", 0, 0, NULL },
		{ "foo == 'a'", 0, 0, NULL },		/* unknown ident */
		{ "userId == bar", 0, 10, NULL },
		{ "auth. == 'a'", 0, 5, NULL },
		{ "request.x == 'a'", 0, 0, NULL },
		{ "resource.nope == 'a'", 0, 9, NULL },
		{ "true == 'a'", 0, 5, NULL },		/* type error */
		{ "userId == (fileId == 'a')", 0, 7, NULL },
		{ "!userId", 0, 0, NULL },
		{ "userId && true", 0, 7, NULL },
		{ "true || userId", 0, 5, NULL },
		{ "(true", 0, 5, NULL },
		{ "true)", 0, 4, NULL },
		{ "true true", 0, 5, NULL },
		{ "'abc", 0, 0, NULL },
		{ "'a\\n' == userId", 0, 2, NULL },
		{ "userId = 'a'", 0, 7, NULL },
		{ "userId === 'a'", 0, 9, NULL },
		{ "userId == 'a' ||", 0, 16, NULL },
		{ "&& true", 0, 0, NULL },
		{ "userId < 'a'", 0, 7, NULL },
		{ "TRUE", 0, 0, NULL },
		{ "auth.user-id == userId; drop", 0, 22, NULL },
		{ "((((((((((((((((((((((((((((((((((true))))))))))))))))"
		    "))))))))))))))))))", 0, 32, NULL },
		{ "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!true", 0, 32, NULL },
	};
	struct wd_buf		 b;
	struct wd_rules_expr	*e, *e2;
	char			 err[128], name[400];
	size_t			 i, pos;
	enum wd_err		 rc;

	wd_buf_init(&b, 65536);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase	*c = &cases[i];

		rc = wd_rules_expr_compile(c->expr, strlen(c->expr), params,
		    2, &e, &pos, err, sizeof(err));
		snprintf(name, sizeof(name), "compile \"%.50s\" %s", c->expr,
		    c->ok ? "ok" : "refused");
		CHECK(M, name, (rc == WD_OK) == c->ok);
		if (!c->ok) {
			snprintf(name, sizeof(name), "compile \"%.50s\" error "
			    "at %zu (got %zu: %s)", c->expr, c->errpos, pos,
			    err);
			CHECK(M, name, rc != WD_OK && pos == c->errpos &&
			    err[0] != '\0' && e == NULL);
			continue;
		}
		if (rc != WD_OK)
			continue;
		wd_buf_reset(&b);
		wd_rules_expr_dump(e, &b);
		snprintf(name, sizeof(name), "dump \"%.50s\"", c->expr);
		CHECK(M, name, strcmp(wd_buf_str(&b), c->dump) == 0);
		rc = wd_rules_expr_compile(b.p, b.len, params, 2, &e2, &pos,
		    err, sizeof(err));
		snprintf(name, sizeof(name), "dump of \"%.50s\" recompiles",
		    c->expr);
		CHECK(M, name, rc == WD_OK);
		wd_rules_expr_free(e);
		wd_rules_expr_free(e2);
	}
	wd_buf_cleanup(&b);
}

struct ecase {
	const char	*expr;
	const char	*uid;		/* path param userId */
	const char	*claims;	/* JSON or NULL (anonymous) */
	const char	*query;
	const char	*token;		/* resource.token or NULL */
	int		 want;
};

static void
test_eval(void)
{
	static const struct ecase cases[] = {
		{ "auth.user-id == userId", "u1",
		    "{\"x-hasura-user-id\":\"u1\"}", NULL, NULL, 1 },
		{ "auth.user-id == userId", "u1",
		    "{\"X-Hasura-User-Id\":\"u1\"}", NULL, NULL, 1 },
		{ "auth.user-id == userId", "u1",
		    "{\"x-hasura-user-id\":\"u2\"}", NULL, NULL, 0 },
		{ "auth.user-id == userId", "u1", NULL, NULL, NULL, 0 },
		{ "auth.user-id == userId", "u1",
		    "{\"user-id\":\"u1\"}", NULL, NULL, 0 },
		{ "auth.user-id == userId", "u1",
		    "{\"x-hasura-user-id\":\"u1\",\"X-HASURA-USER-ID\":\"u1\"}",
		    NULL, NULL, 0 },		/* ambiguous */
		{ "auth.user-id == userId", "u1",
		    "{\"x-hasura-user-id\":1}", NULL, NULL, 0 },
		/* absent operands are false for != too */
		{ "auth.user-id != userId", "u1", NULL, NULL, NULL, 0 },
		{ "auth.user-id != ''", "u1", NULL, NULL, NULL, 0 },
		{ "auth.user-id != ''", "u1", "{\"x-hasura-user-id\":\"u\"}",
		    NULL, NULL, 1 },
		{ "!(auth.user-id == userId)", "u1", NULL, NULL, NULL, 1 },
		{ "query.token == resource.token", "u1", NULL, "token=t1",
		    "t1", 1 },
		{ "query.token == resource.token", "u1", NULL,
		    "a=b&token=t1&c", "t1", 1 },
		{ "query.token == resource.token", "u1", NULL,
		    "token=t%31", "t1", 1 },
		{ "query.token == resource.token", "u1", NULL,
		    "tok%65n=t1", "t1", 1 },
		{ "query.token == resource.token", "u1", NULL, "token=t2",
		    "t1", 0 },
		{ "query.token == resource.token", "u1", NULL,
		    "token=t1&token=t1", "t1", 0 },	/* repeated */
		{ "query.token == resource.token", "u1", NULL, "token",
		    "t1", 0 },
		{ "query.token == resource.token", "u1", NULL, "token=t1",
		    NULL, 0 },			/* no object */
		{ "query.token == resource.token", "u1", NULL, "token=",
		    "", 1 },
		{ "query.token == resource.token", "u1", NULL, "token=%zz",
		    "t1", 0 },
		{ "query.token == resource.token", "u1", NULL, "xtoken=t1",
		    "t1", 0 },
		{ "query.q == 'a b'", "u1", NULL, "q=a+b", NULL, 1 },
		{ "userId == 'u1' && (false || true)", "u1", NULL, NULL,
		    NULL, 1 },
		{ "userId == 'u1' && !true", "u1", NULL, NULL, NULL, 0 },
	};
	size_t	 i;
	char	 name[200];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ecase	*c = &cases[i];
		struct wd_rules_ctx	 ctx;
		struct wd_rules_expr	*e = NULL;
		struct json_object	*cl = NULL;
		const char		*vals[2] = { c->uid, "f" };
		size_t			 lens[2] = { strlen(c->uid), 1 }, pos;
		char			 err[128];
		int			 got = -1;

		memset(&ctx, 0, sizeof(ctx));
		if (c->claims != NULL)
			wd_json_parse(c->claims, strlen(c->claims), 8, &cl);
		ctx.claims = cl;
		ctx.query = c->query;
		ctx.query_len = c->query ? strlen(c->query) : 0;
		ctx.res[WD_RES_TOKEN] = c->token;
		if (wd_rules_expr_compile(c->expr, strlen(c->expr), params,
		    2, &e, &pos, err, sizeof(err)) == WD_OK)
			got = wd_rules_expr_eval(e, vals, lens, &ctx);
		snprintf(name, sizeof(name), "eval \"%s\" claims=%s query=%s "
		    "-> %d", c->expr, c->claims ? c->claims : "none",
		    c->query ? c->query : "none", c->want);
		CHECK(M, name, got == c->want);
		wd_rules_expr_free(e);
		json_object_put(cl);
	}
}

static const char rules_text[] =
    "{\"paths\": {\n"
    "  \"/user/:userId/\": {\"list\": \"auth.user-id == userId\"},\n"
    "  \"/user/:userId/:fileId\": {\n"
    "    \"read\": \"auth.user-id == userId || "
    "query.token == resource.token\",\n"
    "    \"write\": \"auth.user-id == userId\"},\n"
    "  \"/public/*\": {\"read\": \"true\", "
    "\"create\": \"auth.user-id != ''\"},\n"
    "  \"/ro/:a\": {\"get\": \"true\"},\n"
    "  \"/ro/:a\": {\"get\": \"true\"}\n"
    "}}\n";

struct kcase {
	enum wd_rules_op op;
	const char	*key;
	const char	*uid;		/* caller; NULL anonymous */
	int		 allowed;
	int		 public_;
};

static void
test_check(void)
{
	static const struct kcase cases[] = {
		{ WD_RULES_GET, "user/u1/a.txt", "u1", 1, 0 },
		{ WD_RULES_CREATE, "user/u1/a.txt", "u1", 1, 0 },
		{ WD_RULES_UPDATE, "user/u1/a.txt", "u1", 1, 0 },
		{ WD_RULES_DELETE, "user/u1/a.txt", "u1", 1, 0 },
		{ WD_RULES_GET, "user/u1/a.txt", "u2", 0, 0 },
		{ WD_RULES_CREATE, "user/u1/a.txt", "u2", 0, 0 },
		{ WD_RULES_GET, "user/u1/a.txt", NULL, 0, 0 },
		{ WD_RULES_LIST, "user/u1/", "u1", 1, 0 },
		{ WD_RULES_LIST, "user/u1/", "u2", 0, 0 },
		{ WD_RULES_LIST, "user/u1x/", "u1", 0, 0 },
		{ WD_RULES_GET, "user/u1/sub/a.txt", "u1", 0, 0 },
		{ WD_RULES_GET, "user/u1", "u1", 0, 0 },
		{ WD_RULES_GET, "user//a", "u1", 0, 0 },
		{ WD_RULES_GET, "public/a.png", NULL, 1, 1 },
		{ WD_RULES_GET, "public/a/b/c.png", NULL, 1, 1 },
		{ WD_RULES_LIST, "public/", NULL, 1, 1 },
		{ WD_RULES_GET, "public", NULL, 0, 0 },
		{ WD_RULES_GET, "publicx/a", NULL, 0, 0 },
		{ WD_RULES_CREATE, "public/a.png", NULL, 0, 0 },
		{ WD_RULES_CREATE, "public/a.png", "u1", 1, 0 },
		{ WD_RULES_UPDATE, "public/a.png", "u1", 0, 0 },
		{ WD_RULES_DELETE, "public/a.png", "u1", 0, 0 },
		{ WD_RULES_GET, "ro/x", NULL, 1, 1 },
		{ WD_RULES_LIST, "ro/x", NULL, 0, 0 },
		{ WD_RULES_GET, "other", "u1", 0, 0 },
	};
	struct wd_rules	*r = NULL;
	char		 err[256] = "", name[160], claims[128];
	size_t		 i;
	enum wd_err	 rc;

	/* the duplicate "/ro/:a" must be refused; the file without it
	 * compiles */
	rc = wd_rules_parse("t.json", rules_text, strlen(rules_text), &r, err,
	    sizeof(err));
	CHECK(M, "duplicate pattern refused", rc == WD_E_CONFIG &&
	    strstr(err, "duplicate") != NULL);
	{
		char	 text[sizeof(rules_text)];
		char	*dup;

		memcpy(text, rules_text, sizeof(rules_text));
		dup = strstr(text, ",\n  \"/ro/:a\": {\"get\": \"true\"}\n}");
		memcpy(dup, "\n}}\n", 5);
		rc = wd_rules_parse("t.json", text, strlen(text), &r, err,
		    sizeof(err));
		CHECK(M, "rules file compiles", rc == WD_OK);
	}
	if (r == NULL)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kcase	*c = &cases[i];
		struct wd_rules_ctx	 ctx;
		struct json_object	*cl = NULL;
		int			 allowed = -1, pub = -1;

		memset(&ctx, 0, sizeof(ctx));
		if (c->uid != NULL) {
			snprintf(claims, sizeof(claims),
			    "{\"x-hasura-user-id\":\"%s\"}", c->uid);
			wd_json_parse(claims, strlen(claims), 8, &cl);
		}
		ctx.claims = cl;
		rc = wd_rules_check(r, c->op, c->key, strlen(c->key), &ctx,
		    &allowed, &pub);
		snprintf(name, sizeof(name), "%s %s as %s -> %s%s",
		    wd_rules_op_name(c->op), c->key, c->uid ? c->uid : "anon",
		    c->allowed ? "allowed" : "denied",
		    c->public_ ? " public" : "");
		CHECK(M, name, rc == WD_OK && allowed == c->allowed &&
		    pub == c->public_);
		json_object_put(cl);
	}
	CHECK(M, "umbrella op refused by check", wd_rules_check(r,
	    WD_RULES_READ, "a", 1, NULL, (int[]){ 0 }, (int[]){ 0 }) ==
	    WD_E_INTERNAL);
	wd_rules_free(r);
}

struct fcase {
	const char	*text;
	const char	*err;		/* expected prefix of the message */
};

static void
test_file_errors(void)
{
	static const struct fcase cases[] = {
		{ "{\"paths\":{}}", NULL },
		{ "", "f:1:1: not valid JSON" },
		{ "{\"paths\":{}} x", "f:1:14: not valid JSON" },
		{ "[]", "f:1:1: the rules file" },
		{ "{}", "f:1:1: missing" },
		{ "{\"path\":{}}", "f:1:2: unknown key" },
		{ "{\"paths\":[]}", "f:1:2: \"paths\" is" },
		{ "{\"paths\":{\"a\":{}}}", "f:1:12: a path pattern" },
		{ "{\"paths\":{\"/a\":[]}}", "f:1:11: a path's value" },
		{ "{\"paths\":{\"/a\":{\"red\":\"true\"}}}",
		    "f:1:17: unknown operation" },
		{ "{\"paths\":{\"/a\":{\"read\":true}}}",
		    "f:1:17: an operation's value" },
		{ "{\"paths\":{\n\"/a/:x\":{\n\"read\":\"x == y\"}}}",
		    "f:3:14: unknown identifier" },
		{ "{\"paths\":{\n\"/a/:x\":{\n\"read\":\"\\\"q\\\" == y\"}}}",
		    "f:3:18: unknown identifier" },
		{ "{\"paths\":{\"/a/*/b\":{}}}", "f:1:15: '*' must" },
		{ "{\"paths\":{\"/a//b\":{}}}", "f:1:15: empty segment" },
		{ "{\"paths\":{\"/a/:x/:x\":{}}}", "f:1:18: parameter rep" },
		{ "{\"paths\":{\"/a/:auth\":{}}}", "f:1:15: 'auth' is res" },
		{ "{\"paths\":{\"/a*\":{}}}", "f:1:13: '*' and ':'" },
		{ "{\"paths\":{\"/a\":{\"read\":\"true\",\"read\":\"false\"}}}",
		    "f: a JSON object has a duplicate key" },
	};
	size_t		 i;
	char		 err[256], name[600];
	struct wd_rules	*r;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		r = NULL;
		rc = wd_rules_parse("f", cases[i].text, strlen(cases[i].text),
		    &r, err, sizeof(err));
		snprintf(name, sizeof(name), "file %zu: want \"%s\" got "
		    "\"%s\"", i, cases[i].err ? cases[i].err : "ok", err);
		if (cases[i].err == NULL)
			CHECK(M, name, rc == WD_OK && r != NULL);
		else
			CHECK(M, name, rc == WD_E_CONFIG && r == NULL &&
			    strncmp(err, cases[i].err,
			    strlen(cases[i].err)) == 0);
		wd_rules_free(r);
	}
	rc = wd_rules_load("/nonexistent/rules.json", &r, err, sizeof(err));
	CHECK(M, "missing file names it", rc == WD_E_CONFIG &&
	    strstr(err, "/nonexistent/rules.json") != NULL);
	rc = wd_rules_load("storage-rules.json", &r, err, sizeof(err));
	CHECK(M, "shipped storage-rules.json compiles", rc == WD_OK);
	wd_rules_free(r);
}

/* A dump that does not fit its buffer: WD_E_TOOBIG for every size below
 * the whole dump, the whole dump from there on. */
static void
test_dump_overflow(void)
{
	static const char text[] = "{\"paths\": {"
	    "\"/user/:userId/:fileId\": {"
	    "\"read\": \"auth.user-id == userId || fileId == 'a\\\"b'\","
	    "\"write\": \"!(resource.owner == auth.user-id)\"},"
	    "\"/public/:fileId\": {\"get\": \"true\"}}}";
	struct wd_rules	*r = NULL;
	struct wd_buf	 ref, b;
	char		 err[256];
	size_t		 m;
	int		 small_ok = 1, fit_ok = 1;

	wd_buf_init(&ref, 65536);
	CHECK(M, "dump overflow: rules compile and dump",
	    wd_rules_parse("f", text, strlen(text), &r, err, sizeof(err)) ==
	    WD_OK && wd_rules_dump(r, &ref) == WD_OK && ref.len > 0);
	for (m = 0; r != NULL && m <= ref.len + 1; m++) {
		enum wd_err	 rc;

		wd_buf_init(&b, m);
		rc = wd_rules_dump(r, &b);
		if (m < ref.len)
			small_ok = small_ok && rc == WD_E_TOOBIG &&
			    wd_buf_status(&b) == WD_E_TOOBIG && b.len <= m;
		else
			fit_ok = fit_ok && rc == WD_OK && b.len == ref.len &&
			    memcmp(b.p, ref.p, ref.len) == 0;
		wd_buf_cleanup(&b);
	}
	CHECK(M, "dump overflow: every short buffer -> WD_E_TOOBIG",
	    small_ok);
	CHECK(M, "dump overflow: a buffer that fits -> the whole dump",
	    fit_ok);
	wd_rules_free(r);
	wd_buf_cleanup(&ref);
}

int
main(void)
{
	test_compile();
	test_eval();
	test_check();
	test_file_errors();
	test_dump_overflow();
	return WD_TEST_RESULT();
}
