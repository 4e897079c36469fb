/*
 * fuzz_rules.c: the storage rules compiler (wd_rules.h).
 *
 * First byte even: the rest is one expression with the path parameters
 * userId and fileId. Invariants: a compiled expression dumps to text that
 * compiles again to a tree with the same dump and the same value for a
 * fixed request; a refused one has an error offset inside the text and a
 * message. First byte odd: the rest is a whole rules file. Invariants:
 * an error starts with "name:" and nothing is returned; compiled rules
 * dump, and checks on a few keys answer 0/1 with public only when
 * allowed. The text is an exact-size heap copy (ASan catches overreads).
 */

#include "wd_fuzz.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_rules.h"

static const char *const params[] = { "userId", "fileId" };
static const char claims_json[] =
    "{\"x-hasura-user-id\":\"u1\",\"x-hasura-role\":\"user\"}";

static void
ctx_init(struct wd_rules_ctx *ctx, struct json_object **cl)
{
	memset(ctx, 0, sizeof(*ctx));
	if (*cl == NULL)
		wd_json_parse(claims_json, strlen(claims_json), 8, cl);
	ctx->claims = *cl;
	ctx->query = "token=t1&a=%41&b";
	ctx->query_len = strlen(ctx->query);
	ctx->res[WD_RES_TOKEN] = "t1";
	ctx->res[WD_RES_OWNER] = "u1";
}

static void
one_expr(const char *t, size_t len, struct wd_rules_ctx *ctx)
{
	struct wd_rules_expr	*e = NULL, *e2 = NULL;
	struct wd_buf		 b1, b2;
	const char		*vals[2] = { "u1", "f.txt" };
	size_t			 lens[2] = { 2, 5 }, pos = 99999;
	char			 err[128] = "";
	int			 v1, v2;

	wd_buf_init(&b1, 1 << 20);
	wd_buf_init(&b2, 1 << 20);
	if (wd_rules_expr_compile(t, len, params, 2, &e, &pos, err,
	    sizeof(err)) != WD_OK) {
		CHECK(e == NULL);
		CHECK(pos <= len);
		CHECK(err[0] != '\0');
		goto out;
	}
	CHECK(wd_rules_expr_dump(e, &b1) == WD_OK);
	if (b1.len <= WD_MAX_RULE_EXPR) {
		CHECK(wd_rules_expr_compile(b1.p, b1.len, params, 2, &e2,
		    &pos, err, sizeof(err)) == WD_OK);
		CHECK(wd_rules_expr_dump(e2, &b2) == WD_OK);
		CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
		v1 = wd_rules_expr_eval(e, vals, lens, ctx);
		v2 = wd_rules_expr_eval(e2, vals, lens, ctx);
		CHECK((v1 == 0 || v1 == 1) && v1 == v2);
	}
out:
	wd_rules_expr_free(e);
	wd_rules_expr_free(e2);
	wd_buf_cleanup(&b1);
	wd_buf_cleanup(&b2);
}

static void
one_file(const char *t, size_t len, struct wd_rules_ctx *ctx)
{
	static const char *const keys[] = { "user/u1/f.txt", "user/u1/",
	    "public/a", "public/", "a", "a/b/c/d" };
	static const enum wd_rules_op ops[] = { WD_RULES_GET,
	    WD_RULES_LIST, WD_RULES_CREATE, WD_RULES_UPDATE,
	    WD_RULES_DELETE };
	struct wd_rules	*r = NULL;
	struct wd_buf	 b;
	char		 err[256] = "";
	size_t		 i, j;
	int		 allowed, pub;

	wd_buf_init(&b, 16 << 20);
	if (wd_rules_parse("f", t, len, &r, err, sizeof(err)) != WD_OK) {
		CHECK(r == NULL);
		CHECK(strncmp(err, "f:", 2) == 0);
		goto out;
	}
	CHECK(wd_rules_dump(r, &b) == WD_OK);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
			CHECK(wd_rules_check(r, ops[j], keys[i],
			    strlen(keys[i]), ctx, &allowed, &pub) == WD_OK);
			CHECK(allowed == 0 || allowed == 1);
			CHECK(pub == 0 || (pub == 1 && allowed == 1));
		}
out:
	wd_rules_free(r);
	wd_buf_cleanup(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_object	*cl;
	struct wd_rules_ctx		 ctx;
	char				*t;

	if (size < 1)
		return 0;
	ctx_init(&ctx, &cl);
	t = fz_copy(data + 1, size - 1);
	if (data[0] % 2 == 0)
		one_expr(t, size - 1, &ctx);
	else
		one_file(t, size - 1, &ctx);
	free(t);
	return 0;
}
