/*
 * fuzz_hook_post.c: the POST /hook body (API.md §4) through
 * wd_json_parse, wd_hook_post_in and wd_hook_eval.
 *
 * Invariants:
 * - wd_hook_post_in: on WD_OK every header found is a C string of its
 *   stated length, Authorization and X-Hasura-Role at most
 *   WD_MAX_HEADER bytes (a Cookie is bounded by the body alone); errors
 *   are only WD_E_BADREQ / WD_E_BADHEADER, or WD_E_BADTOKEN for a
 *   credential header repeated in another case, too long or holding a
 *   NUL.
 * - wd_hook_eval: on WD_OK the answer re-parses strictly as a flat object
 *   of strings with exactly one X-Hasura-Role (any case), never "admin",
 *   equal to o.role; anonymous only when no credential was presented;
 *   a token naming a session gets max-age at most FZ_MAX_AGE; on error
 *   the buffer is empty and the code is a 401 kind, or 503
 *   (WD_E_REVOKEUNAVAIL) only for the session the harness's revocation
 *   check cannot vouch for (FZ_UNKNOWN), which never gets a 200.
 *
 * - under key rotation (hooks whose current key is another one, the
 *   token's signer its previous key, with other skews and an issuer),
 *   a token's answer asked at increasing times, so later ones can come
 *   from the cache: an answer for a presented token only while the full
 *   check (wd_jwt_verify) accepts the token at that time.
 *
 * Harness-only extension: a top-level "fuzz_claims" (or
 * "fuzz_cookie_claims") object is signed with the harness key and sent
 * as the Authorization header (or the access_token cookie), so the claim
 * rules and the answer builder are reached with fuzzed, validly signed
 * claims. wd_hook_post_in ignores top-level members other than
 * "headers", so this does not change what is parsed.
 */
#include <strings.h>

#include "wd_auth.h"
#include "wd_buf.h"
#include "wd_fuzz.h"
#include "wd_hook.h"
#include "wd_json.h"
#include "wd_jwt.h"
#include "wd_limits.h"

#define FZ_ANON		"anonymous"
#define FZ_COOKIE	"access_token"
#define FZ_REVOKED	"revoked-session"
#define FZ_UNKNOWN	"unknown-session"	/* the feed is down */
#define FZ_MAX_AGE	600			/* WARDEN_HOOK_MAX_AGE */
#define FZ_SECRET	"warden-fuzz-hs256-key-0123456789abcdef"
#define FZ_KEY		"{\"type\":\"HS256\",\"key\":\"" FZ_SECRET "\"}"

static struct wd_jwt_key	fz_key;
static struct wd_hook		fz_hook;

/*
 * Rotation pairs: the harness key becomes the previous key of another
 * current one. Another secret with a larger skew (the full check lets
 * the token on to the previous key, whose skew decides), and the same
 * secret with a smaller skew and an issuer the tokens lack (the current
 * key's exp check decides first).
 */
#define FZ_PREV(skew)	"{\"type\":\"HS256\",\"key\":\"" FZ_SECRET "\"," \
			"\"allowed_skew\":" skew "}"
static const char *const fz_rot_cur[] = {
	"{\"type\":\"HS256\",\"key\":\"another-fuzz-key-of-32-bytes-or-more\","
	    "\"allowed_skew\":60}",
	"{\"type\":\"HS256\",\"key\":\"" FZ_SECRET "\","
	    "\"issuer\":\"https://new.example\"}",
};
static const char *const fz_rot_prev[] = { FZ_PREV("0"), FZ_PREV("30") };
#define FZ_NROT	(sizeof(fz_rot_cur) / sizeof(fz_rot_cur[0]))
static struct wd_jwt_key	fz_rot_key[FZ_NROT];
static struct wd_hook		fz_rot[FZ_NROT];
/* the times asked, in this order: hits come from earlier misses */
static const long		fz_dt[] = { 0, 1, 10, 29, 30, 31, 59, 60, 61,
				    3600 };

static enum wd_err
fz_revoked(void *arg, const char *sid)
{
	(void)arg;
	if (strcmp(sid, FZ_REVOKED) == 0)
		return WD_E_REVOKED;
	if (strcmp(sid, FZ_UNKNOWN) == 0)
		return WD_E_REVOKEUNAVAIL;
	return WD_OK;
}

/* The claims' sid when it is a string, else NULL. */
static const char *
sid_of(struct json_object *claims)
{
	struct json_object	*sid;

	if (claims == NULL ||
	    !json_object_object_get_ex(claims, "sid", &sid) ||
	    !json_object_is_type(sid, json_type_string))
		return NULL;
	return json_object_get_string(sid);
}

static void
fz_atexit(void)
{
	size_t	 i;

	wd_jwt_key_cleanup(&fz_key);
	for (i = 0; i < FZ_NROT; i++)
		wd_jwt_key_cleanup(&fz_rot_key[i]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct wd_jwt_key	*prev;
	char			 err[256];
	size_t			 i;

	(void)argc;
	(void)argv;
	if (wd_jwt_key_parse(FZ_KEY, &fz_key, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "fuzz_hook_post: key: %s\n", err);
		abort();
	}
	fz_hook.key = &fz_key;
	fz_hook.anon_role = FZ_ANON;
	fz_hook.cookie_name = FZ_COOKIE;
	fz_hook.revoked = fz_revoked;
	fz_hook.revoked_arg = NULL;
	fz_hook.max_age = FZ_MAX_AGE;
	for (i = 0; i < FZ_NROT; i++) {
		prev = calloc(1, sizeof(*prev));
		if (prev == NULL || wd_jwt_key_parse(fz_rot_cur[i],
		    &fz_rot_key[i], err, sizeof(err)) != WD_OK ||
		    wd_jwt_key_parse(fz_rot_prev[i], prev, err,
		    sizeof(err)) != WD_OK) {
			fprintf(stderr, "fuzz_hook_post: rotation key: %s\n",
			    err);
			abort();
		}
		wd_jwt_key_set_prev(&fz_rot_key[i], prev);
		fz_rot[i] = fz_hook;
		fz_rot[i].key = &fz_rot_key[i];
	}
	atexit(fz_atexit);
	return 0;
}

/* A header from wd_hook_post_in: a C string of exactly len bytes, at
 * most max. */
static void
check_hdr(const char *p, size_t len, size_t max)
{
	if (p == NULL) {
		CHECK(len == 0);
		return;
	}
	CHECK(len <= max);
	CHECK(strlen(p) == len);
}

static int
printable(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Case-insensitive count of "name": (a key) in the raw answer. Values
 * cannot fake one: a '"' inside a value is always escaped. */
static size_t
count_key(const char *json, size_t len, const char *name)
{
	size_t	 n = 0, nl = strlen(name), i;

	for (i = 0; i + nl + 3 <= len; i++)
		if (json[i] == '"' && strncasecmp(json + i + 1, name, nl) == 0 &&
		    json[i + 1 + nl] == '"' && json[i + 2 + nl] == ':')
			n++;
	return n;
}

/* The case-insensitive member of obj named name, or NULL. */
static struct json_object *
get_ci(struct json_object *obj, const char *name)
{
	struct json_object_iter	 it;

	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_foreachC(obj, it)
		if (strcasecmp(it.key, name) == 0)
			return it.val;
	return NULL;
}

static int
has_cookie(const struct wd_hook_in *in)
{
	const char	*v;
	size_t		 vl;

	return in->cookie != NULL && wd_auth_cookie(in->cookie,
	    in->cookie_len, FZ_COOKIE, &v, &vl) != WD_E_NOTFOUND;
}

/*
 * Checks one wd_hook_eval result. claims, when not NULL, is the payload
 * the harness signed into the presented token.
 */
static void
check_eval(const struct wd_hook_in *in, int no_anon, enum wd_err rc,
    const struct wd_hook_out *o, const struct wd_buf *json,
    struct json_object *claims)
{
	struct json_object	*ans = NULL, *v;
	struct json_object_iter	 it;
	size_t			 rlen;
	char			 ma[64];

	/* a session the feed cannot vouch for is never a 200 */
	if (sid_of(claims) != NULL && strcmp(sid_of(claims), FZ_UNKNOWN) == 0)
		CHECK(rc != WD_OK);
	if (rc != WD_OK) {
		/* every refusal is a 401 kind (respond maps TOOBIG too);
		 * not knowing is 503, never 401, and only for that sid */
		CHECK(rc == WD_E_UNAUTH || rc == WD_E_BADTOKEN ||
		    rc == WD_E_EXPIRED || rc == WD_E_CLAIMS ||
		    rc == WD_E_ROLE || rc == WD_E_REVOKED ||
		    rc == WD_E_TOOBIG || rc == WD_E_REVOKEUNAVAIL);
		if (rc == WD_E_REVOKEUNAVAIL)
			CHECK(claims == NULL || (sid_of(claims) != NULL &&
			    strcmp(sid_of(claims), FZ_UNKNOWN) == 0));
		CHECK(json->len == 0);
		CHECK(json->p == NULL || json->p[0] == '\0');
		return;
	}
	/* the answer */
	CHECK(json->p != NULL && json->len > 0);
	CHECK(json->len <= WD_MAX_HOOK_RESP);
	CHECK(strlen(json->p) == json->len);
	CHECK(wd_json_parse(json->p, json->len, WD_MAX_JSON_DEPTH, &ans) ==
	    WD_OK);
	CHECK(json_object_is_type(ans, json_type_object));
	json_object_object_foreachC(ans, it) {
		CHECK(json_object_is_type(it.val, json_type_string));
		CHECK(strncasecmp(it.key, "x-hasura-", 9) == 0 ||
		    strcmp(it.key, "Cache-Control") == 0);
	}
	CHECK(count_key(json->p, json->len, "x-hasura-role") == 1);
	CHECK(json_object_object_get_ex(ans, "X-Hasura-Role", &v));
	CHECK(strcasecmp(json_object_get_string(v), "admin") != 0);
	CHECK(strcmp(json_object_get_string(v), o->role) == 0);

	/* the session */
	CHECK(memchr(o->role, '\0', sizeof(o->role)) != NULL);
	CHECK(memchr(o->user_id, '\0', sizeof(o->user_id)) != NULL);
	rlen = strlen(o->role);
	CHECK(rlen > 0 && printable(o->role, rlen));
	CHECK(strcasecmp(o->role, "admin") != 0);
	if (o->anonymous) {
		/* only when no credential at all was presented (an empty
		 * Authorization counts as none, API.md §4) */
		CHECK(!no_anon);
		CHECK((in->authz == NULL || in->authz_len == 0) &&
		    !has_cookie(in));
		CHECK(claims == NULL);
		CHECK(strcmp(o->role, FZ_ANON) == 0);
		CHECK(o->max_age == -1);
		CHECK(json_object_object_length(ans) == 1);
		goto out;
	}
	CHECK(o->user_id[0] != '\0' &&
	    printable(o->user_id, strlen(o->user_id)));
	CHECK(count_key(json->p, json->len, "x-hasura-user-id") == 1);
	CHECK(json_object_object_get_ex(ans, "X-Hasura-User-Id", &v));
	CHECK(strcmp(json_object_get_string(v), o->user_id) == 0);
	CHECK(o->max_age >= 0);
	snprintf(ma, sizeof(ma), "max-age=%ld", o->max_age);
	CHECK(count_key(json->p, json->len, "cache-control") == 1);
	CHECK(json_object_object_get_ex(ans, "Cache-Control", &v));
	CHECK(strcmp(json_object_get_string(v), ma) == 0);
	/* the client's role request is honoured exactly, or refused */
	if (in->role != NULL && in->role_len > 0)
		CHECK(rlen == in->role_len &&
		    memcmp(o->role, in->role, rlen) == 0);
	if (claims != NULL) {
		struct json_object	*ns = NULL, *roles, *sid;
		size_t			 i, n;
		int			 found = 0;

		CHECK(!json_object_object_get_ex(claims, "sid", &sid) ||
		    !json_object_is_type(sid, json_type_string) ||
		    strcmp(json_object_get_string(sid), FZ_REVOKED) != 0);
		/* WARDEN_HOOK_MAX_AGE caps a session's answer */
		if (sid_of(claims) != NULL)
			CHECK(o->max_age <= FZ_MAX_AGE);
		/* never a role outside the token's allowed roles */
		CHECK(json_object_object_get_ex(claims, FZ_NS, &ns));
		roles = get_ci(ns, "x-hasura-allowed-roles");
		CHECK(json_object_is_type(roles, json_type_array));
		n = json_object_array_length(roles);
		for (i = 0; i < n; i++) {
			struct json_object	*e;

			e = json_object_array_get_idx(roles, i);
			if (json_object_is_type(e, json_type_string) &&
			    (size_t)json_object_get_string_len(e) == rlen &&
			    memcmp(json_object_get_string(e), o->role,
			    rlen) == 0)
				found = 1;
		}
		CHECK(found);
	}
out:
	json_object_put(ans);
}

/* Runs wd_hook_eval for in as webhook and as authorizer. */
static void
eval_both(const struct wd_hook_in *in, struct json_object *claims)
{
	struct wd_hook_out	 o1, o2;
	struct wd_buf		 j1, j2;
	enum wd_err		 r1, r2;

	wd_buf_init(&j1, WD_MAX_HOOK_RESP);
	wd_buf_init(&j2, WD_MAX_HOOK_RESP);
	r1 = wd_hook_eval(&fz_hook, in, FZ_NOW, 0, &o1, &j1);
	check_eval(in, 0, r1, &o1, &j1, claims);
	r2 = wd_hook_eval(&fz_hook, in, FZ_NOW, 1, &o2, &j2);
	check_eval(in, 1, r2, &o2, &j2, claims);
	/* authorizer mode differs only in refusing the anonymous case */
	if (r1 == WD_OK && o1.anonymous)
		CHECK(r2 == WD_E_UNAUTH);
	else {
		CHECK(r1 == r2);
		CHECK(j1.len == j2.len);
		CHECK(j1.len == 0 || memcmp(j1.p, j2.p, j1.len) == 0);
	}
	wd_buf_cleanup(&j1);
	wd_buf_cleanup(&j2);
}

/*
 * The rotation hooks at increasing times: an answer for the presented
 * token only while the full check accepts it then (the cache's hits
 * included).
 */
static void
eval_rotated(const struct wd_hook_in *in)
{
	struct wd_claims	 c;
	struct wd_hook_out	 o;
	struct wd_buf		 j;
	const char		*tok = NULL;
	size_t			 tl = 0, i, k;
	enum wd_err		 r;

	if (wd_auth_find(in->authz, in->authz_len, in->cookie,
	    in->cookie_len, FZ_COOKIE, &tok, &tl) != WD_OK)
		return;
	wd_buf_init(&j, WD_MAX_HOOK_RESP);
	for (k = 0; k < FZ_NROT; k++) {
		for (i = 0; i < sizeof(fz_dt) / sizeof(fz_dt[0]); i++) {
			time_t	 t = FZ_NOW + fz_dt[i];

			r = wd_hook_eval(&fz_rot[k], in, t, 1, &o, &j);
			if (r != WD_OK)
				continue;
			memset(&c, 0, sizeof(c));
			CHECK(wd_jwt_verify(&fz_rot_key[k], tok, tl, t, &c) ==
			    WD_OK);
			wd_claims_cleanup(&c);
		}
	}
	wd_buf_cleanup(&j);
}

/* Signs claims with the harness key and presents the token. */
static void
eval_minted(const struct wd_hook_in *in0, struct json_object *claims,
    int as_cookie)
{
	struct wd_hook_in	 in = *in0;
	char			*tok = NULL, *hdr = NULL;
	size_t			 tl, hl;

	if (wd_jwt_sign(&fz_key, claims, &tok) != WD_OK)
		return;		/* e.g. a value jansson refuses */
	tl = strlen(tok);
	hl = tl + 32 + (in.cookie != NULL ? in.cookie_len : 0);
	hdr = malloc(hl);
	CHECK(hdr != NULL);
	if (as_cookie) {
		snprintf(hdr, hl, "%s=%s%s", FZ_COOKIE, tok,
		    in.cookie != NULL ? "; " : "");
		if (in.cookie != NULL)
			memcpy(hdr + strlen(hdr), in.cookie, in.cookie_len + 1);
		in.authz = NULL;
		in.authz_len = 0;
		in.cookie = hdr;
		in.cookie_len = strlen(hdr);
	} else {
		snprintf(hdr, hl, "Bearer %s", tok);
		in.authz = hdr;
		in.authz_len = strlen(hdr);
	}
	eval_both(&in, claims);
	eval_rotated(&in);
	free(hdr);
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*body = NULL, *claims;
	struct wd_hook_in	 in;
	enum wd_err		 rc;
	char			*p;

	p = fz_copy(data, size);
	rc = wd_json_parse(p, size, WD_MAX_JSON_DEPTH, &body);
	if (rc != WD_OK) {
		CHECK(body == NULL);
		CHECK(rc == WD_E_BADJSON);
		goto out;
	}
	rc = wd_hook_post_in(body, &in);
	if (rc != WD_OK) {
		CHECK(rc == WD_E_BADREQ || rc == WD_E_BADHEADER ||
		    rc == WD_E_BADTOKEN);
		goto out;
	}
	CHECK(json_object_is_type(body, json_type_object));
	check_hdr(in.authz, in.authz_len, WD_MAX_HEADER);
	check_hdr(in.cookie, in.cookie_len, size);
	check_hdr(in.role, in.role_len, WD_MAX_HEADER);
	eval_both(&in, NULL);
	if (json_object_object_get_ex(body, "fuzz_claims", &claims) &&
	    json_object_is_type(claims, json_type_object))
		eval_minted(&in, claims, 0);
	if (json_object_object_get_ex(body, "fuzz_cookie_claims", &claims) &&
	    json_object_is_type(claims, json_type_object))
		eval_minted(&in, claims, 1);
out:
	json_object_put(body);
	free(p);
	return 0;
}
