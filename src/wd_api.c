/*
 * wd_api.c: the account operations (wd_op.h): what each takes and what
 * it does, in neutral form. The SQL is in wd_acct.c; the shapes on the
 * wire are the dialects' (wd_dialect.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wd_acct.h"
#include "wd_auth.h"
#include "wd_json.h"
#include "wd_life.h"
#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_op.h"
#include "wd_pw.h"
#include "wd_throttle.h"
#include "wd_util.h"

#define MSG_BADREFRESH	"Invalid or expired refresh token."
#define MSG_BADTICKET	"Invalid or expired ticket."
#define MSG_BADEMAIL	"\"email\" must be a valid email"

const char *
wd_areq_str(const struct wd_areq *in, enum wd_fld f, size_t *len)
{
	struct json_object	*v = in->f[f];

	if (v == NULL || !json_object_is_type(v, json_type_string)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

int
wd_areq_bool(const struct wd_areq *in, enum wd_fld f, int def)
{
	struct json_object	*v = in->f[f];

	if (v == NULL || !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

void
wd_areq_cleanup(struct wd_areq *in)
{
	json_object_put(in->root);
	json_object_put(in->own);
	explicit_bzero(in, sizeof(*in));
}

void
wd_ares_cleanup(struct wd_ares *out)
{
	wd_sess_cleanup(&out->sess);
	json_object_put(out->json);
	memset(out, 0, sizeof(*out));
}

/* The normalised email of field f into out (WD_EMAIL_MAX + 1 bytes). */
static enum wd_err
email_arg(const struct wd_areq *in, char *out, struct wd_ares *res)
{
	const char	*v;
	size_t		 len;

	v = wd_areq_str(in, WD_FLD_EMAIL, &len);
	if (v == NULL || wd_email_normalize(v, len, out) != WD_OK) {
		res->msg = MSG_BADEMAIL;
		return WD_E_BADREQ;
	}
	return WD_OK;
}

static enum wd_err
op_register(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	static const struct wd_json_field ro[] = {
		{ "default_role", json_type_string, 64, 0 },
		{ "allowed_roles", json_type_array, 0, 0 },
	};
	struct json_object	*o[2] = { NULL, NULL };
	struct json_object	*opts = in->f[WD_FLD_REGISTER_OPTIONS];
	struct wd_reg		 r = { 0 };
	char			 email[WD_EMAIL_MAX + 1];
	const char		*bad = NULL;
	enum wd_err		 rc;

	rc = email_arg(in, email, out);
	if (rc != WD_OK)
		return rc;
	if (opts != NULL && wd_json_fields(opts, ro, 2, o, &bad) != WD_OK) {
		out->msg = strcmp(bad, "default_role") == 0 ?
		    "\"register_options.default_role\" must be a string" :
		    "\"register_options.allowed_roles\" must be an array";
		return WD_E_BADREQ;
	}
	r.email = email;
	r.pw = wd_areq_str(in, WD_FLD_PASSWORD, &r.pwlen);
	r.user_data = in->f[WD_FLD_USER_DATA];
	r.default_role = o[0] != NULL ? json_object_get_string(o[0]) : NULL;
	r.allowed_roles = o[1];
	rc = wd_acct_register(s, &in->who, &r, &out->sess, &out->msg);
	if (rc == WD_OK)
		out->kind = WD_RES_SESSION;
	return rc;
}

/* The address a throttle counts, or NULL: an action's peer is Hasura,
 * whose address every user shares. */
static const char *
address(const struct wd_areq *in)
{
	return in->who.via_hasura ? NULL : in->who.bucket;
}

static enum wd_err
op_login(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	char		 email[WD_EMAIL_MAX + 1], key[WD_THROTTLE_MAX_KEY];
	const char	*pw, *a = address(in);
	size_t		 pwlen;
	long		 left;
	enum wd_err	 rc;

	rc = email_arg(in, email, out);
	if (rc != WD_OK)
		return rc;
	/* failures per (account, address), existing account or not: a
	 * stranger's failures never stop the owner at another address */
	snprintf(key, sizeof(key), "login|%s|%s", email, a == NULL ?
	    "action" : a);
	/* an action's address is Hasura's, which every caller shares: the
	 * count is per account there, with the same limit (API.md §5.1: at
	 * most 10 in every configuration), so a stranger's failures through
	 * Hasura hold its owner's there too; the REST route from the
	 * owner's own address keeps its own count */
	rc = wd_throttle_over(&s->db, key, WD_THROTTLE_FAIL_WINDOW,
	    s->max_fail, &out->retry_after);
	if (rc == WD_E_RATELIMIT) {
		out->msg = "Too many failed sign-ins; try again later.";
		wd_log(NULL, WD_LOG_WARN, "acct", "login throttled");
	}
	if (rc != WD_OK)
		return rc;
	pw = wd_areq_str(in, WD_FLD_PASSWORD, &pwlen);
	rc = wd_acct_login(s, &in->who, email, pw, pwlen, &out->sess,
	    &out->msg);
	if (rc == WD_E_UNAUTH)
		(void)wd_throttle_hit(&s->db, key, WD_THROTTLE_FAIL_WINDOW, 0,
		    &left);
	if (rc == WD_OK)
		out->kind = out->sess.mfa_ticket[0] != '\0' ? WD_RES_MFA :
		    WD_RES_SESSION;
	return rc;
}

static enum wd_err
op_refresh(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	const char	*tok = wd_areq_str(in, WD_FLD_REFRESH_TOKEN, NULL);
	enum wd_err	 rc;

	out->msg = MSG_BADREFRESH;
	if (tok == NULL)
		return WD_E_UNAUTH;
	rc = wd_acct_refresh(s, &in->who, tok, &out->sess, &out->msg);
	if (rc == WD_OK)
		out->kind = WD_RES_SESSION;
	return rc;
}

static enum wd_err
op_logout(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	const char	*tok = wd_areq_str(in, WD_FLD_REFRESH_TOKEN, NULL);

	out->msg = MSG_BADREFRESH;
	out->kind = WD_RES_EMPTY;
	if (tok == NULL)
		return WD_E_UNAUTH;
	return wd_acct_logout(s, &in->who, tok,
	    wd_areq_bool(in, WD_FLD_ALL, 0), &out->msg);
}

static enum wd_err
op_revoke_tokens(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	out->kind = WD_RES_EMPTY;
	return wd_acct_revoke_all(s, &in->who, in->uid);
}

static enum wd_err
op_activate(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	const char	*t = wd_areq_str(in, WD_FLD_TICKET, NULL);

	out->msg = MSG_BADTICKET;
	out->kind = WD_RES_EMPTY;
	out->note = "Your account has been activated.";
	if (t == NULL)
		return WD_E_UNAUTH;
	return wd_acct_activate(s, &in->who, t, &out->msg);
}

static enum wd_err
op_user(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	enum wd_err	 rc;

	rc = wd_acct_user(s, in->uid, in->sid[0] == '\0' ? NULL : in->sid,
	    &out->json);
	if (rc == WD_OK)
		out->kind = WD_RES_JSON;
	return rc;
}

/* ---- the account lifecycle (issue #9) ---- */

static enum wd_err
op_change_password(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	const char	*old, *pw;
	size_t		 oldlen, pwlen;

	old = wd_areq_str(in, WD_FLD_OLD_PASSWORD, &oldlen);
	pw = wd_areq_str(in, WD_FLD_NEW_PASSWORD, &pwlen);
	out->kind = WD_RES_EMPTY;
	return wd_life_password_change(s, &in->who, in->uid, in->sid, old,
	    oldlen, pw, pwlen, &out->msg, &out->retry_after);
}

static enum wd_err
op_reset_request(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	char		 email[WD_EMAIL_MAX + 1];
	enum wd_err	 rc;

	rc = email_arg(in, email, out);
	if (rc != WD_OK)
		return rc;
	out->kind = WD_RES_EMPTY;
	return wd_life_reset_request(s, &in->who, email, &out->msg,
	    &out->retry_after);
}

static enum wd_err
op_reset_confirm(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	const char	*t = wd_areq_str(in, WD_FLD_TICKET, NULL), *pw;
	size_t		 pwlen;

	pw = wd_areq_str(in, WD_FLD_NEW_PASSWORD, &pwlen);
	out->kind = WD_RES_EMPTY;
	return wd_life_reset_confirm(s, &in->who, t, pw, pwlen, &out->msg);
}

static enum wd_err
op_email_request(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	out->kind = WD_RES_EMPTY;
	return wd_life_email_request(s, &in->who, in->uid, in->sid,
	    wd_areq_str(in, WD_FLD_NEW_EMAIL, NULL), &out->msg,
	    &out->retry_after);
}

static enum wd_err
op_email_confirm(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	out->kind = WD_RES_EMPTY;
	return wd_life_email_confirm(s, &in->who,
	    wd_areq_str(in, WD_FLD_TICKET, NULL), &out->msg);
}

static enum wd_err
op_email_revert(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	out->kind = WD_RES_EMPTY;
	return wd_life_email_revert(s, &in->who,
	    wd_areq_str(in, WD_FLD_TICKET, NULL), &out->msg);
}

static enum wd_err
op_email_direct(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	out->kind = WD_RES_EMPTY;
	return wd_life_email_direct(s, &in->who, in->uid, in->sid,
	    wd_areq_str(in, WD_FLD_NEW_EMAIL, NULL), &out->msg,
	    &out->retry_after);
}

static enum wd_err
op_delete_user(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	const char	*pw;
	size_t		 pwlen;

	pw = wd_areq_str(in, WD_FLD_PASSWORD, &pwlen);
	out->kind = WD_RES_EMPTY;
	return wd_life_delete(s, &in->who, in->uid, pw, pwlen, &out->msg,
	    &out->retry_after);
}

static enum wd_err
op_mfa_generate(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	enum wd_err	 rc;

	rc = wd_life_mfa_generate(s, &in->who, in->uid, &out->json,
	    &out->msg);
	if (rc == WD_OK)
		out->kind = WD_RES_JSON;
	return rc;
}

static enum wd_err
mfa_set(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out,
    int enable)
{
	const char	*code;
	size_t		 len;

	code = wd_areq_str(in, WD_FLD_CODE, &len);
	out->kind = WD_RES_EMPTY;
	return wd_life_mfa_set(s, &in->who, in->uid, in->sid, code, len,
	    enable, &out->msg, &out->retry_after);
}

static enum wd_err
op_mfa_enable(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	return mfa_set(s, in, out, 1);
}

static enum wd_err
op_mfa_disable(struct wd_svc *s, const struct wd_areq *in,
    struct wd_ares *out)
{
	return mfa_set(s, in, out, 0);
}

static enum wd_err
op_mfa_totp(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	const char	*code;
	size_t		 len;
	enum wd_err	 rc;

	code = wd_areq_str(in, WD_FLD_CODE, &len);
	rc = wd_life_mfa_login(s, &in->who, wd_areq_str(in, WD_FLD_TICKET,
	    NULL), code, len, &out->sess, &out->msg, &out->retry_after);
	if (rc == WD_OK)
		out->kind = WD_RES_SESSION;
	return rc;
}

/* base64url of a big number, unpadded (RFC 7518 §6.3.1). */
static struct json_object *
b64u_bn(const BIGNUM *bn)
{
	unsigned char	 raw[1024];
	char		 enc[1400];
	int		 n;

	n = BN_num_bytes(bn);
	if (n <= 0 || n > (int)sizeof(raw))
		return NULL;
	BN_bn2bin(bn, raw);
	if (wd_b64u_encode(raw, (size_t)n, enc, sizeof(enc)) != WD_OK)
		return NULL;
	return json_object_new_string(enc);
}
/* Appends k's public JWK to keys; 0 if k is not RS* or unreadable. */
static int
add_jwk(struct json_object *keys, const struct wd_jwt_key *k)
{
	BIO			*in = NULL;
	EVP_PKEY		*pk = NULL;
	BIGNUM			*n = NULL, *e = NULL;
	struct json_object	*o;
	const char		*alg = jwt_alg_str(k->alg);
	int			 ok = 0;

	if (strncmp(alg, "RS", 2) != 0)
		return 0;
	in = BIO_new_mem_buf(k->verify, (int)k->verify_len);
	pk = in == NULL ? NULL : PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
	if (pk == NULL ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "kty", json_object_new_string("RSA"));
	json_object_object_add(o, "use", json_object_new_string("sig"));
	json_object_object_add(o, "alg", json_object_new_string(alg));
	if (k->kid != NULL)
		json_object_object_add(o, "kid",
		    json_object_new_string(k->kid));
	json_object_object_add(o, "n", b64u_bn(n));
	json_object_object_add(o, "e", b64u_bn(e));
	json_object_array_add(keys, o);
	ok = 1;
out:
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	BIO_free(in);
	return ok;
}

/*
 * GET /auth/jwks: the RS* public keys, current first, then the previous
 * one during a rotation (WARDEN_JWT_PREVIOUS_SECRET), so a verifier
 * fetching by kid (Hasura's jwk_url) accepts tokens of both.
 */
static enum wd_err
op_jwks(struct wd_svc *s, const struct wd_areq *in, struct wd_ares *out)
{
	struct json_object	*keys;
	int			 n = 0;

	(void)in;
	out->json = json_object_new_object();
	keys = json_object_new_array();
	json_object_object_add(out->json, "keys", keys);
	n += add_jwk(keys, &s->key);
	if (s->key.prev != NULL)
		n += add_jwk(keys, s->key.prev);
	if (n == 0) {
		out->msg = "JWKS is only served for RS* keys; an HS* key is "
		    "a shared secret.";
		return WD_E_NOTFOUND;
	}
	out->kind = WD_RES_JSON;
	out->cache = "public, max-age=300";
	return WD_OK;
}

/* ---- running an operation ---- */

/* A credential that did not check out: an attacker's wrong guess. */
static int
guessed_wrong(enum wd_err rc)
{
	return rc == WD_E_UNAUTH;
}

/*
 * The signed-in caller of a WD_OP_USER operation: a verified Bearer
 * token (REST), or the session Hasura vouches for (an action, whose
 * secret was checked). The account must exist and be active, and the
 * token's session not be revoked.
 */
static enum wd_err
identify(struct wd_svc *s, struct wd_areq *in)
{
	struct wd_claims	 cl = { 0 };
	const char		*uid = in->session_uid;
	const char		*sid = in->session_sid;
	enum wd_err		 rc = WD_E_UNAUTH;

	if (in->bearer != NULL) {
		rc = wd_jwt_verify(&s->key, in->bearer, in->bearer_len,
		    time(NULL), &cl);
		if (rc != WD_OK)
			goto out;
		uid = cl.user_id;
		sid = cl.sid;
	}
	rc = WD_E_UNAUTH;
	if (uid == NULL || !wd_is_uuid(uid, strlen(uid)) ||
	    (sid != NULL && !wd_is_uuid(sid, strlen(sid))))
		goto out;
	snprintf(in->uid, sizeof(in->uid), "%s", uid);
	snprintf(in->sid, sizeof(in->sid), "%s", sid == NULL ? "" : sid);
	rc = wd_acct_alive(s, in->uid, in->sid);
out:
	wd_claims_cleanup(&cl);
	return rc;
}

enum wd_err
wd_op_run(struct wd_svc *s, const struct wd_op *op, struct wd_areq *in,
    struct wd_ares *out)
{
	const char	*a = address(in);
	enum wd_err	 rc;

	if (op->flags & WD_OP_USER) {
		rc = identify(s, in);
		if (rc != WD_OK)
			return rc;
	}
	if (!(op->flags & WD_OP_THROTTLED) || a == NULL)
		return op->fn(s, in, out);
	rc = wd_acct_throttle(s, op->name, a, &out->retry_after);
	if (rc == WD_E_RATELIMIT) {
		out->msg = "Too many requests; try again later.";
		wd_log(NULL, WD_LOG_WARN, "acct", "throttled route=%s",
		    op->name);
	}
	if (rc != WD_OK)
		return rc;
	rc = op->fn(s, in, out);
	if (guessed_wrong(rc))
		wd_acct_failed(s, a);
	return rc;
}

/* ---- the operations: what each takes ---- */

#define STR(n, req)	{ json_type_string, (n), (req) }
#define BOOL		{ json_type_boolean, 0, 0 }
#define OBJ		{ json_type_object, 0, 0 }
#define TOKEN		STR(WD_MAX_QUERY_VALUE - 1, 0)

const struct wd_op wd_op_register = { "register", op_register, {
	[WD_FLD_EMAIL] = STR(1024, 1),
	[WD_FLD_PASSWORD] = STR(WD_PW_MAX, 1),
	[WD_FLD_COOKIE] = BOOL,
	[WD_FLD_USER_DATA] = OBJ,
	[WD_FLD_REGISTER_OPTIONS] = OBJ,
}, WD_OP_THROTTLED };

const struct wd_op wd_op_login = { "login", op_login, {
	[WD_FLD_EMAIL] = STR(1024, 1),
	[WD_FLD_PASSWORD] = STR(WD_PW_MAX, 1),
	[WD_FLD_COOKIE] = BOOL,
}, WD_OP_THROTTLED };

const struct wd_op wd_op_refresh = { "refresh", op_refresh, {
	[WD_FLD_REFRESH_TOKEN] = TOKEN,
}, WD_OP_THROTTLED };

const struct wd_op wd_op_logout = { "logout", op_logout, {
	[WD_FLD_ALL] = BOOL,
	[WD_FLD_REFRESH_TOKEN] = TOKEN,
}, WD_OP_CLEARS_COOKIE };

const struct wd_op wd_op_revoke_tokens = { "revoke_tokens",
    op_revoke_tokens, { { 0, 0, 0 } }, WD_OP_USER };

const struct wd_op wd_op_activate = { "activate", op_activate, {
	[WD_FLD_TICKET] = TOKEN,
}, WD_OP_REDIRECTS | WD_OP_THROTTLED | WD_OP_LINK };

const struct wd_op wd_op_user = { "user", op_user, { { 0, 0, 0 } },
    WD_OP_USER };

const struct wd_op wd_op_jwks = { "jwks", op_jwks, { { 0, 0, 0 } }, 0 };

#define PW		STR(WD_PW_MAX, 1)
#define CODE		STR(16, 1)

const struct wd_op wd_op_change_password = { "change_password",
    op_change_password, {
	[WD_FLD_OLD_PASSWORD] = PW,
	[WD_FLD_NEW_PASSWORD] = PW,
}, WD_OP_USER };

const struct wd_op wd_op_reset_request = { "request_password_change",
    op_reset_request, {
	[WD_FLD_EMAIL] = STR(1024, 1),
}, WD_OP_THROTTLED };

const struct wd_op wd_op_reset_confirm = { "confirm_password_change",
    op_reset_confirm, {
	[WD_FLD_TICKET] = TOKEN,
	[WD_FLD_NEW_PASSWORD] = PW,
}, WD_OP_THROTTLED | WD_OP_LINK };

const struct wd_op wd_op_email_request = { "request_email_change",
    op_email_request, {
	[WD_FLD_NEW_EMAIL] = STR(1024, 1),
}, WD_OP_USER };

const struct wd_op wd_op_email_confirm = { "confirm_email_change",
    op_email_confirm, {
	[WD_FLD_TICKET] = TOKEN,
}, WD_OP_THROTTLED | WD_OP_LINK };

const struct wd_op wd_op_email_revert = { "revert_email_change",
    op_email_revert, {
	[WD_FLD_TICKET] = TOKEN,
}, WD_OP_THROTTLED | WD_OP_LINK };

const struct wd_op wd_op_email_direct = { "change_email", op_email_direct, {
	[WD_FLD_NEW_EMAIL] = STR(1024, 1),
}, WD_OP_USER };

const struct wd_op wd_op_delete_user = { "delete_user", op_delete_user, {
	[WD_FLD_PASSWORD] = PW,
}, WD_OP_USER };

const struct wd_op wd_op_mfa_generate = { "mfa_generate", op_mfa_generate,
    { { 0, 0, 0 } }, WD_OP_USER };

const struct wd_op wd_op_mfa_enable = { "mfa_enable", op_mfa_enable, {
	[WD_FLD_CODE] = CODE,
}, WD_OP_USER };

const struct wd_op wd_op_mfa_disable = { "mfa_disable", op_mfa_disable, {
	[WD_FLD_CODE] = CODE,
}, WD_OP_USER };

const struct wd_op wd_op_mfa_totp = { "mfa_totp", op_mfa_totp, {
	[WD_FLD_TICKET] = TOKEN,
	[WD_FLD_CODE] = CODE,
	[WD_FLD_COOKIE] = BOOL,
}, WD_OP_THROTTLED };
