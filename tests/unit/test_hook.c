/*
 * test_hook.c: the webhook decision and its POST-mode input
 * (src/wd_hook.c), with an HS256 key and tokens minted by wd_jwt_sign.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wd_buf.h"
#include "wd_err.h"
#include "wd_hook.h"
#include "wd_json.h"
#include "wd_jwt.h"
#include "wd_limits.h"
#include "wd_test.h"

#define M	"hook"

#define NOW	((time_t)1700000000)
#define SECRET	"0123456789abcdef0123456789abcdefSECRET"
#define NS	"\"https://hasura.io/jwt/claims\""
#define EXP	"\"exp\":1700003600"
#define ROLES	"\"x-hasura-allowed-roles\":[\"user\",\"editor\"]"
#define DEFR	"\"x-hasura-default-role\":\"user\""
#define UID	"\"x-hasura-user-id\":\"u1\""
#define ORG	"\"x-hasura-org-id\":\"o1\""
#define GOOD	"{\"sub\":\"u1\"," EXP "," NS ":{" ROLES "," DEFR "," UID \
		"," ORG "}}"

static struct wd_jwt_key	 key;

struct revlog {
	int	 calls;
	char	 last[64];
};

static enum wd_err
revoked_cb(void *arg, const char *sid)
{
	struct revlog	*r = arg;

	r->calls++;
	snprintf(r->last, sizeof(r->last), "%s", sid);
	if (strcmp(sid, "s-revoked") == 0)
		return WD_E_REVOKED;
	if (strcmp(sid, "s-unknown") == 0)
		return WD_E_REVOKEUNAVAIL;
	return WD_OK;
}

static char *
mint(const char *payload)
{
	struct json_object	*o = NULL;
	char			*tok = NULL;

	if (wd_json_parse(payload, strlen(payload), 16, &o) != WD_OK)
		return NULL;
	if (wd_jwt_sign(&key, o, &tok) != WD_OK)
		tok = NULL;
	json_object_put(o);
	return tok;
}

static char *
b64url(const void *p, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*s = p;
	char			*out = malloc(len / 3 * 4 + 5), *o = out;
	size_t			 i;

	if (out == NULL)
		abort();
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = a[s[i] >> 2];
		*o++ = a[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = a[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = a[s[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = a[s[i] >> 2];
		*o++ = a[(s[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = a[s[i] >> 2];
		*o++ = a[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = a[(s[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/*
 * An HS256 token over any payload text, made without libjwt (which
 * refuses to sign some payloads an attacker-controlled signer could).
 */
static char *
craft_hs256(const char *payload)
{
	const char	*hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char		*h = b64url(hdr, strlen(hdr));
	char		*p = b64url(payload, strlen(payload));
	char		*sig, *tok;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	struct wd_buf	 b;

	wd_buf_init(&b, 65536);
	(void)wd_buf_addf(&b, "%s.%s", h, p);
	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)b.p, b.len, mac, &maclen) == NULL)
		abort();
	sig = b64url(mac, maclen);
	(void)wd_buf_addf(&b, ".%s", sig);
	tok = strdup(b.p);
	wd_buf_cleanup(&b);
	free(sig);
	free(h);
	free(p);
	return tok;
}

/* "Bearer <tok>"; caller frees. */
static char *
bearer(const char *tok)
{
	size_t	 n = tok == NULL ? 0 : strlen(tok);
	char	*s = malloc(n + 8);

	if (s == NULL)
		abort();
	memcpy(s, "Bearer ", 7);
	if (n > 0)
		memcpy(s + 7, tok, n);
	s[n + 7] = '\0';
	return s;
}

static enum wd_err
eval(const struct wd_hook *h, const char *authz, const char *cookie,
    const char *role, int no_anon, struct wd_hook_out *o, struct wd_buf *js)
{
	struct wd_hook_in	 in;

	memset(&in, 0, sizeof(in));
	in.authz = authz;
	in.authz_len = authz == NULL ? 0 : strlen(authz);
	in.cookie = cookie;
	in.cookie_len = cookie == NULL ? 0 : strlen(cookie);
	in.role = role;
	in.role_len = role == NULL ? 0 : strlen(role);
	return wd_hook_eval(h, &in, NOW, no_anon, o, js);
}

/* The answer as a flat object of strings; NULL if it is anything else. */
static struct json_object *
flat(const struct wd_buf *js)
{
	struct json_object	*o = NULL;

	if (js->len == 0 || wd_json_parse(js->p, js->len, 4, &o) != WD_OK)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	{
		json_object_object_foreach(o, k, v) {
			struct json_object_iter	 it;
			int			 seen = 0;

			if (!json_object_is_type(v, json_type_string)) {
				json_object_put(o);
				return NULL;
			}
			json_object_object_foreachC(o, it)
				if (strcasecmp(it.key, k) == 0)
					seen++;
			if (seen != 1) {
				json_object_put(o);
				return NULL;
			}
		}
	}
	return o;
}

/* The string value of name in o, or NULL. */
static const char *
sval(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
is_401(enum wd_err rc)
{
	return rc != WD_OK && wd_err_info(rc)->status == 401;
}

static void
test_anonymous(void)
{
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	char			*tok = mint(GOOD);

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	CHECK(M, "no credentials -> anonymous",
	    eval(&h, NULL, NULL, NULL, 0, &o, &js) == WD_OK &&
	    strcmp(wd_buf_str(&js), "{\"X-Hasura-Role\":\"anonymous\"}") ==
	    0 && o.anonymous == 1 && strcmp(o.role, "anonymous") == 0 &&
	    o.max_age == -1);
	CHECK(M, "no credentials, role header ignored -> anonymous",
	    eval(&h, NULL, NULL, "editor", 0, &o, &js) == WD_OK &&
	    strcmp(wd_buf_str(&js), "{\"X-Hasura-Role\":\"anonymous\"}") ==
	    0);
	CHECK(M, "cookie without our name -> anonymous",
	    eval(&h, NULL, "a=1; b=2", NULL, 0, &o, &js) == WD_OK &&
	    o.anonymous == 1);
	CHECK(M, "no_anon -> WD_E_UNAUTH",
	    eval(&h, NULL, NULL, NULL, 1, &o, &js) == WD_E_UNAUTH &&
	    js.len == 0 && o.anonymous == 0);
	h.anon_role = "";
	CHECK(M, "anon_role \"\" -> WD_E_UNAUTH",
	    eval(&h, NULL, NULL, NULL, 0, &o, &js) == WD_E_UNAUTH &&
	    js.len == 0);
	h.anon_role = NULL;
	CHECK(M, "anon_role NULL -> WD_E_UNAUTH",
	    eval(&h, NULL, NULL, NULL, 0, &o, &js) == WD_E_UNAUTH);
	h.anon_role = "anonymous";
	h.cookie_name = "";
	{
		char	*ck = malloc(strlen(tok) + 16);

		memcpy(ck, "access_token=", 13);
		memcpy(ck + 13, tok, strlen(tok) + 1);
		CHECK(M, "cookie_name \"\": cookie is no credential",
		    eval(&h, NULL, ck, NULL, 0, &o, &js) == WD_OK &&
		    o.anonymous == 1);
		free(ck);
	}
	wd_buf_cleanup(&js);
	free(tok);
}

static void
test_session(void)
{
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	struct json_object	*r;
	char			*tok = mint(GOOD), *b = bearer(tok);
	enum wd_err		 rc;

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	rc = eval(&h, b, NULL, NULL, 0, &o, &js);
	CHECK(M, "bearer: ok", rc == WD_OK);
	r = flat(&js);
	CHECK(M, "bearer: flat object of strings, names unique", r != NULL);
	CHECK(M, "bearer: X-Hasura-Role is the default role",
	    sval(r, "X-Hasura-Role") != NULL &&
	    strcmp(sval(r, "X-Hasura-Role"), "user") == 0);
	CHECK(M, "bearer: X-Hasura-User-Id",
	    sval(r, "X-Hasura-User-Id") != NULL &&
	    strcmp(sval(r, "X-Hasura-User-Id"), "u1") == 0);
	CHECK(M, "bearer: custom x-hasura-org-id",
	    sval(r, "x-hasura-org-id") != NULL &&
	    strcmp(sval(r, "x-hasura-org-id"), "o1") == 0);
	/* EXP is NOW + 3600 */
	CHECK(M, "bearer: Cache-Control max-age = exp - now",
	    sval(r, "Cache-Control") != NULL &&
	    strcmp(sval(r, "Cache-Control"), "max-age=3600") == 0);
	CHECK(M, "bearer: allowed-roles as a string",
	    sval(r, "x-hasura-allowed-roles") != NULL &&
	    strcmp(sval(r, "x-hasura-allowed-roles"),
	    "{\"user\",\"editor\"}") == 0);
	CHECK(M, "bearer: out fields", o.anonymous == 0 &&
	    strcmp(o.role, "user") == 0 && strcmp(o.user_id, "u1") == 0 &&
	    o.max_age == 3600);
	json_object_put(r);

	rc = eval(&h, b, NULL, "editor", 0, &o, &js);
	r = flat(&js);
	CHECK(M, "requested role allowed -> that role", rc == WD_OK &&
	    sval(r, "X-Hasura-Role") != NULL &&
	    strcmp(sval(r, "X-Hasura-Role"), "editor") == 0 &&
	    strcmp(o.role, "editor") == 0);
	json_object_put(r);
	CHECK(M, "requested role empty -> default",
	    eval(&h, b, NULL, "", 0, &o, &js) == WD_OK &&
	    strcmp(o.role, "user") == 0);
	CHECK(M, "requested role not allowed -> WD_E_ROLE",
	    eval(&h, b, NULL, "manager", 0, &o, &js) == WD_E_ROLE &&
	    js.len == 0);
	CHECK(M, "requested role other case -> WD_E_ROLE",
	    eval(&h, b, NULL, "Editor", 0, &o, &js) == WD_E_ROLE);
	CHECK(M, "requested role admin -> WD_E_ROLE",
	    eval(&h, b, NULL, "admin", 0, &o, &js) == WD_E_ROLE);
	CHECK(M, "requested role with CRLF -> WD_E_ROLE",
	    eval(&h, b, NULL, "user\r\nX-Evil: 1", 0, &o, &js) == WD_E_ROLE);
	CHECK(M, "requested role prefix -> WD_E_ROLE",
	    eval(&h, b, NULL, "use", 0, &o, &js) == WD_E_ROLE);
	CHECK(M, "no_anon with a token still ok",
	    eval(&h, b, NULL, NULL, 1, &o, &js) == WD_OK);

	/* expired: 401, never anonymous */
	memset(&o, 0x5a, sizeof(o));
	CHECK(M, "expired token -> WD_E_EXPIRED, no answer",
	    wd_hook_eval(&h, &(struct wd_hook_in){ b, strlen(b), NULL, 0,
	    NULL, 0 }, 1700003601, 0, &o, &js) == WD_E_EXPIRED &&
	    js.len == 0 && o.anonymous == 0);
	/* the max-age of a token about to expire */
	CHECK(M, "max-age 1 second before exp",
	    wd_hook_eval(&h, &(struct wd_hook_in){ b, strlen(b), NULL, 0,
	    NULL, 0 }, 1700003599, 0, &o, &js) == WD_OK && o.max_age == 1 &&
	    strstr(wd_buf_str(&js), "\"max-age=1\"") != NULL);
	free(b);
	free(tok);
	wd_buf_cleanup(&js);
}

struct tok_case {
	const char	*name;
	const char	*payload;
	const char	*role;
	enum wd_err	 want;
};

static void
test_token_table(void)
{
	static const struct tok_case cases[] = {
		{ "allowed admin, admin requested", "{" EXP "," NS ":{"
		    "\"x-hasura-allowed-roles\":[\"user\",\"admin\"]," DEFR ","
		    UID "}}", "admin", WD_E_ROLE },
		{ "allowed ADMIN, ADMIN requested", "{" EXP "," NS ":{"
		    "\"x-hasura-allowed-roles\":[\"user\",\"ADMIN\"]," DEFR ","
		    UID "}}", "ADMIN", WD_E_ROLE },
		{ "default role admin", "{" EXP "," NS ":{"
		    "\"x-hasura-allowed-roles\":[\"admin\"],"
		    "\"x-hasura-default-role\":\"admin\"," UID "}}", NULL,
		    WD_E_ROLE },
		{ "default role Admin", "{" EXP "," NS ":{"
		    "\"x-hasura-allowed-roles\":[\"Admin\",\"user\"],"
		    "\"x-hasura-default-role\":\"Admin\"," UID "}}", NULL,
		    WD_E_ROLE },
		{ "allowed role with CRLF requested", "{" EXP "," NS ":{"
		    "\"x-hasura-allowed-roles\":[\"user\",\"a\\r\\nb\"]," DEFR
		    "," UID "}}", "a\r\nb", WD_E_ROLE },
		{ "user id with CRLF", "{" EXP "," NS ":{" ROLES "," DEFR ","
		    "\"x-hasura-user-id\":\"u1\\r\\nX-Hasura-Role: admin\"}}",
		    NULL, WD_E_CLAIMS },
		{ "user id non-ASCII", "{" EXP "," NS ":{" ROLES "," DEFR ","
		    "\"x-hasura-user-id\":\"\xc3\xbc\"}}", NULL, WD_E_CLAIMS },
		{ "claims missing", "{" EXP "}", NULL, WD_E_CLAIMS },
		{ "expired", "{\"exp\":1," NS ":{" ROLES "," DEFR "," UID "}}",
		    NULL, WD_E_EXPIRED },
		{ "good, editor requested", GOOD, "editor", WD_OK },
		{ "default role user", GOOD, NULL, WD_OK },
	};
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	size_t			 i;

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tok_case	*c = &cases[i];
		char			*tok = mint(c->payload);
		char			*b = bearer(tok);
		enum wd_err		 rc;

		rc = eval(&h, b, NULL, c->role, 0, &o, &js);
		if (c->want == WD_OK)
			CHECK(M, c->name, tok != NULL && rc == WD_OK &&
			    o.anonymous == 0 && js.len > 0);
		else
			CHECK(M, c->name, tok != NULL && rc == c->want &&
			    js.len == 0 && o.anonymous == 0);
		free(b);
		free(tok);
	}
	wd_buf_cleanup(&js);
}

/*
 * A user id with an escaped NUL must never become a session for the
 * truncated id ("u1\u0000x" is not user "u1").
 */
static void
test_nul_user_id(void)
{
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	char			*tok, *b;
	enum wd_err		 rc;

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	tok = craft_hs256("{" EXP "," NS ":{" ROLES "," DEFR ","
	    "\"x-hasura-user-id\":\"u1\\u0000x\"}}");
	b = bearer(tok);
	rc = eval(&h, b, NULL, NULL, 0, &o, &js);
	CHECK(M, "user id with escaped NUL -> 401 kind", is_401(rc) &&
	    js.len == 0 && o.anonymous == 0);
	free(b);
	free(tok);
	/* the control: the same hand-made token without the NUL is fine */
	tok = craft_hs256(GOOD);
	b = bearer(tok);
	CHECK(M, "hand-made HS256 token ok", eval(&h, b, NULL, NULL, 0, &o,
	    &js) == WD_OK && strcmp(o.user_id, "u1") == 0);
	free(b);
	free(tok);
	wd_buf_cleanup(&js);
}

/* Escaping: claim values with quotes and backslashes survive. */
static void
test_escaping(void)
{
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	struct json_object	*r;
	char			*tok, *b;

	tok = mint("{" EXP "," NS ":{\"x-hasura-allowed-roles\":[\"user\","
	    "\"we\\\"ird\\\\\"]," DEFR "," UID ",\"x-hasura-org-id\":"
	    "\"o\\\"1\\\\\\n\"}}");
	b = bearer(tok);
	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	CHECK(M, "escaping: ok", eval(&h, b, NULL, NULL, 0, &o, &js) ==
	    WD_OK);
	r = flat(&js);
	CHECK(M, "escaping: answer parses", r != NULL);
	CHECK(M, "escaping: claim value round trip",
	    sval(r, "x-hasura-org-id") != NULL &&
	    strcmp(sval(r, "x-hasura-org-id"), "o\"1\\\n") == 0);
	CHECK(M, "escaping: roles literal escapes quote and backslash",
	    sval(r, "x-hasura-allowed-roles") != NULL &&
	    strcmp(sval(r, "x-hasura-allowed-roles"),
	    "{\"user\",\"we\\\"ird\\\\\"}") == 0);
	json_object_put(r);
	wd_buf_cleanup(&js);
	free(b);
	free(tok);
}

/*
 * An answer that does not fit its buffer is refused whole: every buffer
 * shorter than the full answer gives WD_E_TOOBIG and an empty buffer (an
 * overflow midway is kept to the end, never a truncated answer), and no
 * cut-short answer reaches the cache: the first buffer that fits gives
 * the full answer, and so does every one after it (now a cache hit).
 */
static void
test_overflow(void)
{
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 ref, js;
	char			*tok = mint(GOOD), *b = bearer(tok);
	size_t			 m;
	int			 pass, small_ok = 1, fit_ok = 1, anon_ok = 1;

	wd_buf_init(&ref, WD_MAX_HOOK_RESP);
	/* no role asked: the default, "user"; the answers below ask for
	 * "user", another cache key with the same answer */
	CHECK(M, "overflow: reference answer",
	    eval(&h, b, NULL, NULL, 0, &o, &ref) == WD_OK && ref.len > 0);
	for (pass = 0; pass < 2; pass++)
		for (m = 0; m <= ref.len + 1; m++) {
			enum wd_err	 rc;

			wd_buf_init(&js, m);
			rc = eval(&h, b, NULL, "user", 0, &o, &js);
			if (m < ref.len)
				small_ok = small_ok && rc == WD_E_TOOBIG &&
				    js.len == 0 &&
				    wd_buf_status(&js) == WD_OK;
			else
				fit_ok = fit_ok && rc == WD_OK &&
				    js.len == ref.len &&
				    memcmp(js.p, ref.p, ref.len) == 0;
			wd_buf_cleanup(&js);
		}
	CHECK(M, "overflow: every short buffer -> WD_E_TOOBIG, empty",
	    small_ok);
	CHECK(M, "overflow: a buffer that fits -> the whole answer, before "
	    "and after caching", fit_ok);
	for (m = 0; m < sizeof("{\"X-Hasura-Role\":\"anonymous\"}") - 1;
	    m++) {
		wd_buf_init(&js, m);
		anon_ok = anon_ok && eval(&h, NULL, NULL, NULL, 0, &o, &js) ==
		    WD_E_TOOBIG && js.len == 0;
		wd_buf_cleanup(&js);
	}
	CHECK(M, "overflow: anonymous answer too long -> WD_E_TOOBIG",
	    anon_ok);
	wd_buf_cleanup(&ref);
	free(b);
	free(tok);
}

static void
test_credentials(void)
{
	struct revlog		 rl = { 0, "" };
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    revoked_cb, &rl, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	char			*tok = mint(GOOD);
	char			*b = bearer(tok);
	char			 ck[WD_MAX_TOKEN * 2 + 128];
	char			*rev, *ok, *rb, *ob;
	enum wd_err		 rc;

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	snprintf(ck, sizeof(ck), "theme=dark; access_token=%s; x=1", tok);
	rc = eval(&h, NULL, ck, NULL, 0, &o, &js);
	CHECK(M, "token in cookie works", rc == WD_OK && o.anonymous == 0 &&
	    strcmp(o.user_id, "u1") == 0);
	snprintf(ck, sizeof(ck), "access_token=\"%s\"", tok);
	CHECK(M, "quoted token in cookie works",
	    eval(&h, NULL, ck, NULL, 0, &o, &js) == WD_OK);
	snprintf(ck, sizeof(ck), "access_token=%s; access_token=%s", tok,
	    tok);
	rc = eval(&h, NULL, ck, NULL, 0, &o, &js);
	CHECK(M, "duplicate cookie -> 401 kind", is_401(rc) && js.len == 0 &&
	    o.anonymous == 0);
	CHECK(M, "empty cookie value -> 401 kind",
	    is_401(eval(&h, NULL, "access_token=", NULL, 0, &o, &js)));
	CHECK(M, "garbage cookie value -> 401 kind",
	    is_401(eval(&h, NULL, "access_token=abc", NULL, 0, &o, &js)) &&
	    o.anonymous == 0);
	snprintf(ck, sizeof(ck), "access_token=%s", tok);
	rc = eval(&h, "Basic dXNlcjpwYXNz", ck, NULL, 0, &o, &js);
	CHECK(M, "bad Authorization with a good cookie -> error",
	    is_401(rc) && js.len == 0 && o.anonymous == 0);
	/* an empty Authorization counts as absent (lighttpd drops empty
	 * headers in GET mode; POST mode decides the same way) */
	rc = eval(&h, "", ck, NULL, 0, &o, &js);
	CHECK(M, "empty Authorization is absent: cookie used",
	    rc == WD_OK && o.anonymous == 0 && strcmp(o.user_id, "u1") == 0);
	CHECK(M, "empty Authorization alone -> anonymous",
	    eval(&h, "", NULL, NULL, 0, &o, &js) == WD_OK &&
	    o.anonymous == 1);
	CHECK(M, "empty Authorization alone, no_anon -> WD_E_UNAUTH",
	    eval(&h, "", NULL, NULL, 1, &o, &js) == WD_E_UNAUTH);
	CHECK(M, "Bearer only -> error", is_401(eval(&h, "Bearer ", NULL,
	    NULL, 0, &o, &js)));
	CHECK(M, "malformed token -> error, never anonymous",
	    is_401(eval(&h, "Bearer abc", NULL, NULL, 0, &o, &js)) &&
	    o.anonymous == 0 && js.len == 0);
	CHECK(M, "malformed token, no_anon -> error",
	    is_401(eval(&h, "Bearer a.b.c", NULL, NULL, 1, &o, &js)));
	{
		char	*t2 = strdup(b);

		t2[strlen(t2) - 2] = t2[strlen(t2) - 2] == 'A' ? 'B' : 'A';
		t2[strlen(t2) - 3] = t2[strlen(t2) - 3] == 'A' ? 'B' : 'A';
		CHECK(M, "bad signature -> WD_E_BADTOKEN",
		    eval(&h, t2, NULL, NULL, 0, &o, &js) == WD_E_BADTOKEN);
		free(t2);
	}

	/* revocation */
	rev = mint("{" EXP ",\"sid\":\"s-revoked\"," NS ":{" ROLES "," DEFR
	    "," UID "}}");
	ok = mint("{" EXP ",\"sid\":\"s-ok\"," NS ":{" ROLES "," DEFR "," UID
	    "}}");
	rb = bearer(rev);
	ob = bearer(ok);
	rl.calls = 0;
	CHECK(M, "revoked sid -> WD_E_REVOKED",
	    eval(&h, rb, NULL, NULL, 0, &o, &js) == WD_E_REVOKED &&
	    js.len == 0 && rl.calls == 1 &&
	    strcmp(rl.last, "s-revoked") == 0);
	CHECK(M, "live sid -> ok", eval(&h, ob, NULL, NULL, 0, &o, &js) ==
	    WD_OK && strcmp(rl.last, "s-ok") == 0);
	rl.calls = 0;
	CHECK(M, "no sid -> revocation not consulted",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_OK && rl.calls == 0);
	/* the feed cannot tell: 503, never a 401 (not a logout) */
	{
		char	*ut = mint("{" EXP ",\"sid\":\"s-unknown\"," NS ":{"
		    ROLES "," DEFR "," UID "}}");
		char	*ub = bearer(ut);

		rc = eval(&h, ub, NULL, NULL, 0, &o, &js);
		CHECK(M, "feed down, sid -> WD_E_REVOKEUNAVAIL (503)",
		    rc == WD_E_REVOKEUNAVAIL && js.len == 0 &&
		    o.anonymous == 0 && wd_err_info(rc)->status == 503);
		CHECK(M, "feed down, authorizer mode -> 503 too",
		    eval(&h, ub, NULL, NULL, 1, &o, &js) ==
		    WD_E_REVOKEUNAVAIL);
		CHECK(M, "feed down, role asked -> 503 too",
		    eval(&h, ub, NULL, "editor", 0, &o, &js) ==
		    WD_E_REVOKEUNAVAIL);
		free(ub);
		free(ut);
	}
	h.revoked = NULL;
	CHECK(M, "no revocation callback -> ok",
	    eval(&h, rb, NULL, NULL, 0, &o, &js) == WD_OK);
	free(rev);
	free(ok);
	free(rb);
	free(ob);
	free(b);
	free(tok);
	wd_buf_cleanup(&js);
}

/*
 * A revocation check whose answer the test sets: the cache must ask it
 * on every hit, and pass a 503 on as it is.
 */
struct switchable {
	enum wd_err	 answer;
	int		 calls;
};

static enum wd_err
switch_cb(void *arg, const char *sid)
{
	struct switchable	*sw = arg;

	(void)sid;
	sw->calls++;
	return sw->answer;
}

static void
test_feed_down_cached(void)
{
	struct switchable	 sw = { WD_OK, 0 };
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    switch_cb, &sw, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	char			*tok, *b;

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	tok = mint("{" EXP ",\"sid\":\"s-cached\"," NS ":{" ROLES "," DEFR
	    "," UID ",\"x-hasura-cached\":\"1\"}}");
	b = bearer(tok);
	CHECK(M, "cache: first answer ok (and cached)",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_OK && sw.calls == 1);
	CHECK(M, "cache: hit asks the revocation check again",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_OK && sw.calls == 2);
	sw.answer = WD_E_REVOKEUNAVAIL;
	CHECK(M, "cache: hit while the feed is down -> 503, no answer",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_E_REVOKEUNAVAIL &&
	    js.len == 0 && sw.calls == 3);
	sw.answer = WD_E_REVOKED;
	CHECK(M, "cache: hit of a session revoked since -> 401",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_E_REVOKED &&
	    js.len == 0);
	/* a callback answering something else still never gives a 200
	 * nor a logout */
	sw.answer = WD_E_INTERNAL;
	CHECK(M, "cache: odd callback answer -> 503",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_E_REVOKEUNAVAIL);
	sw.answer = WD_OK;
	CHECK(M, "cache: feed back -> ok again",
	    eval(&h, b, NULL, NULL, 0, &o, &js) == WD_OK &&
	    strcmp(o.user_id, "u1") == 0);
	free(b);
	free(tok);
	wd_buf_cleanup(&js);
}

/*
 * Key rotation with different skews: the current key (another secret)
 * allows 30 s, the previous one, which signed the token, none. The full
 * check expires the token at exp under the previous key's skew (the
 * current key's exp check passes, its signature does not, and the
 * previous key's exp check refuses), so a cached answer must not live
 * on under the current key's larger skew.
 */
static void
test_cache_rotation(void)
{
	struct wd_jwt_key	 cur, *prev;
	struct wd_claims	 c = { 0 };
	struct wd_hook		 h = { &cur, "anonymous", "access_token", NULL,
				    NULL, 0 };
	struct wd_hook_in	 in;
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	char			 err[256];
	char			*tok, *b;

	prev = calloc(1, sizeof(*prev));
	if (prev == NULL)
		abort();
	CHECK(M, "rotation: keys", wd_jwt_key_parse("{\"type\":\"HS256\","
	    "\"key\":\"another-secret-of-at-least-32-bytes!\","
	    "\"allowed_skew\":30}", &cur, err, sizeof(err)) == WD_OK &&
	    wd_jwt_key_parse("{\"type\":\"HS256\",\"key\":\"" SECRET "\"}",
	    prev, err, sizeof(err)) == WD_OK);
	wd_jwt_key_set_prev(&cur, prev);
	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	/* signed with SECRET: the previous key's; exp is NOW */
	tok = mint("{\"exp\":1700000000," NS ":{" ROLES "," DEFR "," UID
	    ",\"x-hasura-rotated\":\"1\"}}");
	b = bearer(tok);
	memset(&in, 0, sizeof(in));
	in.authz = b;
	in.authz_len = strlen(b);
	CHECK(M, "rotation: the previous key's token at exp: ok (cached)",
	    wd_hook_eval(&h, &in, NOW, 0, &o, &js) == WD_OK);
	CHECK(M, "rotation: 10 s later the full check says expired",
	    wd_jwt_verify(&cur, tok, strlen(tok), NOW + 10, &c) ==
	    WD_E_EXPIRED);
	wd_claims_cleanup(&c);
	CHECK(M, "rotation: ...and so does the cached answer, not the current "
	    "key's 30 s", wd_hook_eval(&h, &in, NOW + 10, 0, &o, &js) ==
	    WD_E_EXPIRED && js.len == 0);
	free(b);
	free(tok);
	wd_buf_cleanup(&js);
	wd_jwt_key_cleanup(&cur);
}

/*
 * WARDEN_HOOK_MAX_AGE: a token naming a session gets max-age =
 * min(seconds to exp, cap); one without a sid keeps the seconds to exp.
 * Expected answers are written out as text.
 */
struct maxage_case {
	const char	*name;
	const char	*payload;
	long		 cap;
	time_t		 now;
	const char	*want;		/* the Cache-Control value */
	long		 want_o;	/* o.max_age */
};

#define SESS	"\"sid\":\"s-ma\","
#define SUB	NS ":{" ROLES "," DEFR "," UID "}}"

static void
test_max_age(void)
{
	static const struct maxage_case cases[] = {
		{ "max-age: sid, cap 60, an hour left", "{" EXP "," SESS SUB,
		    60, NOW, "max-age=60", 60 },
		{ "max-age: sid, cap 60, 59 s left", "{" EXP "," SESS SUB,
		    60, 1700003541, "max-age=59", 59 },
		{ "max-age: sid, cap 60, 60 s left", "{" EXP "," SESS SUB,
		    60, 1700003540, "max-age=60", 60 },
		{ "max-age: sid, cap 60, 61 s left", "{" EXP "," SESS SUB,
		    60, 1700003539, "max-age=60", 60 },
		{ "max-age: sid, cap 1", "{" EXP "," SESS SUB, 1, NOW,
		    "max-age=1", 1 },
		{ "max-age: sid, cap 86400 above the lifetime",
		    "{" EXP "," SESS SUB, 86400, NOW, "max-age=3600", 3600 },
		{ "max-age: sid, no cap (0)", "{" EXP "," SESS SUB, 0, NOW,
		    "max-age=3600", 3600 },
		{ "max-age: sid, at exp", "{" EXP "," SESS SUB, 60,
		    1700003600, "max-age=0", 0 },
		{ "max-age: no sid, cap 60, not capped", "{" EXP "," SUB, 60,
		    NOW, "max-age=3600", 3600 },
	};
	struct wd_hook		 h = { &key, "anonymous", "access_token",
				    NULL, NULL, 0 };
	struct wd_hook_out	 o;
	struct wd_buf		 js;
	struct json_object	*r;
	size_t			 i;
	int			 pass;
	char			 name[128];

	wd_buf_init(&js, WD_MAX_HOOK_RESP);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct maxage_case *c = &cases[i];
		char			*tok = mint(c->payload);
		char			*b = bearer(tok);

		h.max_age = c->cap;
		/* twice: the second answer comes from the cache */
		for (pass = 0; pass < 2; pass++) {
			enum wd_err	 rc;

			rc = wd_hook_eval(&h, &(struct wd_hook_in){ b,
			    strlen(b), NULL, 0, NULL, 0 }, c->now, 0, &o,
			    &js);
			r = rc == WD_OK ? flat(&js) : NULL;
			snprintf(name, sizeof(name), "%s%s", c->name,
			    pass ? " (cached)" : "");
			CHECK(M, name, rc == WD_OK && r != NULL &&
			    sval(r, "Cache-Control") != NULL &&
			    strcmp(sval(r, "Cache-Control"), c->want) == 0 &&
			    o.max_age == c->want_o);
			json_object_put(r);
		}
		free(b);
		free(tok);
	}
	/* the cap applies to sessions only: the anonymous answer has none */
	h.max_age = 60;
	CHECK(M, "max-age: anonymous answer has no Cache-Control",
	    eval(&h, NULL, NULL, NULL, 0, &o, &js) == WD_OK &&
	    strstr(wd_buf_str(&js), "Cache-Control") == NULL);
	wd_buf_cleanup(&js);
}

struct post_case {
	const char	*name;
	const char	*body;
	enum wd_err	 want;
};

static void
test_post_in(void)
{
	static const struct post_case cases[] = {
		{ "post: body an array", "[{\"headers\":{}}]", WD_E_BADREQ },
		{ "post: body a string", "\"headers\"", WD_E_BADREQ },
		{ "post: headers missing", "{\"request\":{}}", WD_E_BADREQ },
		{ "post: headers missing, empty body", "{}", WD_E_BADREQ },
		{ "post: headers an array",
		    "{\"headers\":[[\"Authorization\",\"x\"]]}", WD_E_BADREQ },
		{ "post: headers a string", "{\"headers\":\"x\"}",
		    WD_E_BADREQ },
		{ "post: headers null", "{\"headers\":null}", WD_E_BADREQ },
		{ "post: Headers capitalised", "{\"Headers\":{}}",
		    WD_E_BADREQ },
		{ "post: Authorization twice in other case",
		    "{\"headers\":{\"Authorization\":\"a\","
		    "\"authorization\":\"b\"}}", WD_E_BADTOKEN },
		{ "post: Cookie twice in other case",
		    "{\"headers\":{\"Cookie\":\"a=1\",\"COOKIE\":\"b=2\"}}",
		    WD_E_BADTOKEN },
		{ "post: X-Hasura-Role twice in other case",
		    "{\"headers\":{\"x-hasura-role\":\"a\","
		    "\"X-Hasura-Role\":\"b\"}}", WD_E_BADTOKEN },
		{ "post: other header twice in other case (not read)",
		    "{\"headers\":{\"X-Forwarded-For\":\"a\","
		    "\"x-forwarded-for\":\"b\"}}", WD_OK },
		{ "post: Authorization a number",
		    "{\"headers\":{\"Authorization\":1}}", WD_E_BADHEADER },
		{ "post: Authorization null",
		    "{\"headers\":{\"Authorization\":null}}", WD_E_BADHEADER },
		{ "post: Authorization a list",
		    "{\"headers\":{\"Authorization\":[\"Bearer x\"]}}",
		    WD_E_BADHEADER },
		{ "post: other header a boolean (not read)",
		    "{\"headers\":{\"X-Other\":true}}", WD_OK },
		{ "post: other header an object (not read)",
		    "{\"headers\":{\"X-Other\":{}}}", WD_OK },
		{ "post: request null", "{\"headers\":{},\"request\":null}",
		    WD_OK },
		{ "post: request an array", "{\"headers\":{},\"request\":[1]}",
		    WD_OK },
		{ "post: request a number", "{\"headers\":{},\"request\":1}",
		    WD_OK },
		{ "post: request absent", "{\"headers\":{}}", WD_OK },
		{ "post: request an object", "{\"headers\":{\"Accept\":\"*\"},"
		    "\"request\":{\"query\":\"{ x }\",\"variables\":{}}}",
		    WD_OK },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object	*body = NULL;
		struct wd_hook_in	 in;
		enum wd_err		 rc;

		if (wd_json_parse(cases[i].body, strlen(cases[i].body),
		    WD_MAX_JSON_DEPTH, &body) != WD_OK) {
			CHECK(M, cases[i].name, 0);
			continue;
		}
		rc = wd_hook_post_in(body, &in);
		CHECK(M, cases[i].name, rc == cases[i].want);
		json_object_put(body);
	}
	{
		struct wd_hook_in	 in;

		CHECK(M, "post: body NULL", wd_hook_post_in(NULL, &in) ==
		    WD_E_BADREQ);
	}
	/* names in any case are found, with their lengths */
	{
		const char		*t = "{\"headers\":{\"AUTHORIZATION\":"
		    "\"Bearer x.y.z\",\"cOOKIE\":\"a=b\",\"X-HASURA-ROLE\":"
		    "\"editor\",\"Accept\":\"*/*\"},\"request\":null}";
		struct json_object	*body = NULL;
		struct wd_hook_in	 in;

		(void)wd_json_parse(t, strlen(t), WD_MAX_JSON_DEPTH, &body);
		CHECK(M, "post: mixed-case names found",
		    wd_hook_post_in(body, &in) == WD_OK &&
		    in.authz != NULL && in.authz_len == 12 &&
		    memcmp(in.authz, "Bearer x.y.z", 12) == 0 &&
		    in.cookie != NULL && in.cookie_len == 3 &&
		    memcmp(in.cookie, "a=b", 3) == 0 &&
		    in.role != NULL && in.role_len == 6 &&
		    memcmp(in.role, "editor", 6) == 0);
		json_object_put(body);
		body = NULL;
		(void)wd_json_parse("{\"headers\":{}}", 14, 4, &body);
		CHECK(M, "post: absent headers are NULL",
		    wd_hook_post_in(body, &in) == WD_OK && in.authz == NULL &&
		    in.cookie == NULL && in.role == NULL);
		json_object_put(body);
	}
	/*
	 * The same name twice in the same case: json-c keeps the last one
	 * silently; a duplicated Authorization must be rejected, not merged
	 * (STYLE.md §6), whichever layer does it.
	 */
	{
		const char		*t = "{\"headers\":{\"Authorization\":"
		    "\"Bearer a\",\"Authorization\":\"Bearer b\"}}";
		struct json_object	*body = NULL;
		struct wd_hook_in	 in;
		enum wd_err		 rc;

		rc = wd_json_parse(t, strlen(t), WD_MAX_JSON_DEPTH, &body);
		if (rc == WD_OK)
			rc = wd_hook_post_in(body, &in);
		CHECK(M, "post: Authorization twice in the same case refused",
		    rc != WD_OK);
		json_object_put(body);
	}
	/* caps: header count and value length */
	{
		struct json_object	*body, *hdrs;
		struct wd_hook_in	 in;
		char			 name[32], *val;
		int			 k;

		body = json_object_new_object();
		hdrs = json_object_new_object();
		json_object_object_add(body, "headers", hdrs);
		for (k = 0; k < 1000; k++) {
			snprintf(name, sizeof(name), "X-H%d", k);
			json_object_object_add(hdrs, name,
			    json_object_new_string("v"));
		}
		json_object_object_add(hdrs, "Authorization",
		    json_object_new_string("Bearer t"));
		CHECK(M, "post: more headers than a request may carry, "
		    "the credential after them still read",
		    wd_hook_post_in(body, &in) == WD_OK &&
		    in.authz_len == 8);
		json_object_put(body);

		val = malloc(WD_MAX_HEADER + 2);
		memset(val, 'c', WD_MAX_HEADER + 1);
		val[WD_MAX_HEADER + 1] = '\0';
		body = json_object_new_object();
		hdrs = json_object_new_object();
		json_object_object_add(body, "headers", hdrs);
		json_object_object_add(hdrs, "Authorization",
		    json_object_new_string_len(val, WD_MAX_HEADER));
		CHECK(M, "post: value of WD_MAX_HEADER ok",
		    wd_hook_post_in(body, &in) == WD_OK &&
		    in.authz_len == WD_MAX_HEADER);
		json_object_object_add(hdrs, "Authorization",
		    json_object_new_string_len(val, WD_MAX_HEADER + 1));
		CHECK(M, "post: a credential over WD_MAX_HEADER refused as "
		    "a bad credential (401: Hasura makes a 400 its 500)",
		    wd_hook_post_in(body, &in) == WD_E_BADTOKEN);
		json_object_object_del(hdrs, "Authorization");
		json_object_object_add(hdrs, "Cookie",
		    json_object_new_string_len(val, WD_MAX_HEADER + 1));
		CHECK(M, "post: a Cookie over WD_MAX_HEADER taken (other "
		    "apps' cookies; GET mode takes it too)",
		    wd_hook_post_in(body, &in) == WD_OK &&
		    in.cookie_len == WD_MAX_HEADER + 1);
		json_object_object_add(hdrs, "Cookie",
		    json_object_new_string("a=b"));
		json_object_object_add(hdrs, "X-Big",
		    json_object_new_string_len(val, WD_MAX_HEADER + 1));
		CHECK(M, "post: another header over WD_MAX_HEADER passed over",
		    wd_hook_post_in(body, &in) == WD_OK &&
		    in.cookie_len == 3);
		json_object_put(body);
		free(val);
	}
	/* POST body through to a session */
	{
		struct wd_hook		 h = { &key, "anonymous",
					    "access_token", NULL, NULL,
					    0 };
		struct wd_hook_out	 o;
		struct wd_hook_in	 in;
		struct json_object	*body = NULL;
		struct wd_buf		 t, js;
		char			*tok = mint(GOOD);

		wd_buf_init(&t, WD_MAX_BODY);
		wd_buf_init(&js, WD_MAX_HOOK_RESP);
		(void)wd_buf_addf(&t, "{\"headers\":{\"authorization\":"
		    "\"Bearer %s\",\"x-hasura-role\":\"editor\"},"
		    "\"request\":{\"query\":\"{x}\"}}", tok);
		CHECK(M, "post: end to end",
		    wd_json_parse(t.p, t.len, WD_MAX_JSON_DEPTH, &body) ==
		    WD_OK && wd_hook_post_in(body, &in) == WD_OK &&
		    wd_hook_eval(&h, &in, NOW, 0, &o, &js) == WD_OK &&
		    strcmp(o.role, "editor") == 0);
		json_object_put(body);
		wd_buf_cleanup(&t);
		wd_buf_cleanup(&js);
		free(tok);
	}
}

int
main(void)
{
	char	 err[256];

	CHECK(M, "setup key", wd_jwt_key_parse("{\"type\":\"HS256\","
	    "\"key\":\"" SECRET "\"}", &key, err, sizeof(err)) == WD_OK);
	test_anonymous();
	test_session();
	test_token_table();
	test_escaping();
	test_nul_user_id();
	test_overflow();
	test_credentials();
	test_feed_down_cached();
	test_cache_rotation();
	test_max_age();
	test_post_in();
	wd_jwt_key_cleanup(&key);
	return WD_TEST_RESULT();
}
