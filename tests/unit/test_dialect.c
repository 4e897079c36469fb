/*
 * test_dialect.c: how the account dialects take an operation's fields
 * (src/wd_dialect.c, included for its statics): type, size and presence
 * checks, each refusal naming its own field (issue #8: a non-boolean
 * "cookie" was answered "password is required").
 */
#include <string.h>

#include "../../src/wd_dialect.c"
#include "wd_test.h"

#define M	"dialect"

struct take_case {
	const char		*name;
	const struct wd_op	*op;
	const char		*body;	/* JSON object, or NULL: no body */
	enum wd_err		 want;
	const char		*msg;	/* expected message on error */
};

static void
run(const struct take_case *c)
{
	struct wd_areq		 in;
	struct json_object	*obj = NULL;
	const char		*msg = NULL;
	enum wd_err		 rc;

	memset(&in, 0, sizeof(in));
	if (c->body != NULL && wd_json_parse(c->body, strlen(c->body), 8,
	    &obj) != WD_OK) {
		CHECK(M, c->name, 0);
		return;
	}
	rc = take(c->op, obj, BIT(WD_FLD_REFRESH_TOKEN) | BIT(WD_FLD_TICKET),
	    &in, &msg);
	if (c->want == WD_OK)
		CHECK(M, c->name, rc == WD_OK && msg == NULL);
	else
		CHECK(M, c->name, rc == c->want && msg != NULL &&
		    strcmp(msg, c->msg) == 0);
	json_object_put(obj);
}

static void
test_take(void)
{
	static const struct take_case cases[] = {
		{ "register: all fields well typed", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":\"pw\",\"cookie\":false,"
		    "\"user_data\":{},\"register_options\":{}}", WD_OK, NULL },
		{ "register: non-boolean cookie names cookie",
		    &wd_op_register, "{\"email\":\"a@b.co\",\"password\":\"pw\","
		    "\"cookie\":\"yes\"}", WD_E_BADREQ,
		    "\"cookie\" must be a boolean" },
		{ "register: numeric cookie", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":\"pw\",\"cookie\":1}",
		    WD_E_BADREQ, "\"cookie\" must be a boolean" },
		{ "register: missing password", &wd_op_register,
		    "{\"email\":\"a@b.co\"}", WD_E_BADREQ,
		    "\"password\" is required" },
		{ "register: null password is missing", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":null}", WD_E_BADREQ,
		    "\"password\" is required" },
		{ "register: numeric password", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":12345678}",
		    WD_E_BADREQ, "\"password\" must be a string" },
		{ "register: missing email comes first", &wd_op_register,
		    "{}", WD_E_BADREQ, "\"email\" is required" },
		{ "register: no body at all", &wd_op_register, NULL,
		    WD_E_BADREQ, "\"email\" is required" },
		{ "register: array user_data", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":\"pw\","
		    "\"user_data\":[]}", WD_E_BADREQ,
		    "\"user_data\" must be an object" },
		{ "register: string register_options", &wd_op_register,
		    "{\"email\":\"a@b.co\",\"password\":\"pw\","
		    "\"register_options\":\"x\"}", WD_E_BADREQ,
		    "\"register_options\" must be an object" },
		{ "login: object email", &wd_op_login,
		    "{\"email\":{},\"password\":\"pw\"}", WD_E_BADREQ,
		    "\"email\" must be a string" },
		{ "login: fields it does not take are ignored", &wd_op_login,
		    "{\"email\":\"a@b.co\",\"password\":\"pw\","
		    "\"user_data\":7,\"all\":\"x\"}", WD_OK, NULL },
		{ "logout: string all", &wd_op_logout, "{\"all\":\"true\"}",
		    WD_E_BADREQ, "\"all\" must be a boolean" },
		{ "logout: no body", &wd_op_logout, NULL, WD_OK, NULL },
		{ "refresh: REST never reads the token from the body",
		    &wd_op_refresh, "{\"refresh_token\":5}", WD_OK, NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
}

/* Sizes: the limit is exact, and a longer value names its field. */
static void
test_sizes(void)
{
	struct wd_areq		 in;
	struct json_object	*obj;
	const char		*msg = NULL;
	char			 email[1026];
	enum wd_err		 rc;

	memset(email, 'a', sizeof(email) - 1);
	email[sizeof(email) - 1] = '\0';
	memset(&in, 0, sizeof(in));
	obj = json_object_new_object();
	json_object_object_add(obj, "password", json_object_new_string("p"));
	json_object_object_add(obj, "email", json_object_new_string(email));
	rc = take(&wd_op_login, obj, 0, &in, &msg);
	CHECK(M, "size: 1025-byte email refused, naming email",
	    rc == WD_E_BADREQ && msg != NULL &&
	    strncmp(msg, "\"email\" is longer than 1024", 27) == 0);
	email[1024] = '\0';
	json_object_object_add(obj, "email", json_object_new_string(email));
	memset(&in, 0, sizeof(in));
	msg = NULL;
	rc = take(&wd_op_login, obj, 0, &in, &msg);
	CHECK(M, "size: 1024-byte email taken", rc == WD_OK &&
	    in.f[WD_FLD_EMAIL] != NULL && wd_areq_str(&in, WD_FLD_EMAIL,
	    NULL) != NULL);
	json_object_put(obj);
}

/* A value from the query or a cookie goes through the same checks. */
static void
test_put_str(void)
{
	struct wd_areq	 in;
	const char	*msg = NULL;
	char		 tok[WD_MAX_QUERY_VALUE + 1];
	size_t		 len;

	memset(&in, 0, sizeof(in));
	CHECK(M, "query value: taken", put_str(&wd_op_refresh,
	    WD_FLD_REFRESH_TOKEN, "abc", 3, &in, &msg) == WD_OK &&
	    strcmp(wd_areq_str(&in, WD_FLD_REFRESH_TOKEN, &len), "abc") ==
	    0 && len == 3);
	wd_areq_cleanup(&in);
	memset(tok, 'x', sizeof(tok));
	memset(&in, 0, sizeof(in));
	CHECK(M, "query value: over the cap refused", put_str(&wd_op_refresh,
	    WD_FLD_REFRESH_TOKEN, tok, sizeof(tok), &in, &msg) ==
	    WD_E_BADREQ && in.f[WD_FLD_REFRESH_TOKEN] == NULL);
	wd_areq_cleanup(&in);
	memset(&in, 0, sizeof(in));
	CHECK(M, "bool field: default when absent", wd_areq_bool(&in,
	    WD_FLD_COOKIE, 1) == 1 && wd_areq_bool(&in, WD_FLD_COOKIE, 0) ==
	    0);
}

int
main(void)
{
	test_take();
	test_sizes();
	test_put_str();
	return WD_TEST_RESULT();
}
