/*
 * wd_api.c: account handlers: argument checking by field table, the
 * session object, cookies. The database work is in wd_acct.c.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wd_acct.h"
#include "wd_api.h"
#include "wd_auth.h"
#include "wd_call.h"
#include "wd_json.h"
#include "wd_pw.h"

#define RT_COOKIE	"refresh_token"

/* Set-Cookie for the refresh token (value "" clears it). */
static void
rt_cookie(const struct wd_call *c, const char *val, char *out, size_t n)
{
	long	 age = val[0] == '\0' ? 0 : c->s->refresh_min * 60;

	snprintf(out, n, "Set-Cookie: " RT_COOKIE "=%s; Path=/auth; "
	    "Max-Age=%ld; HttpOnly; SameSite=Lax%s\r\n", val, age,
	    c->s->cookie_secure ? "; Secure" : "");
}

static struct json_object *
str_or_null(const char *s)
{
	return s == NULL ? NULL : json_object_new_string(s);
}

/*
 * Answers with the session: REST as HBP's session object (refresh token
 * in a cookie, or in the body when body_rt), action as the flat
 * AuthSession output type (metadata/actions.graphql).
 */
static void
send_session(struct wd_call *c, struct wd_sess *o, int body_rt)
{
	struct json_object	*r = json_object_new_object(), *u;
	char			 hdr[512] = "";
	int			 active = o->jwt != NULL;

	if (c->action) {
		json_object_object_add(r, "id", json_object_new_string(
		    o->user_id));
		json_object_object_add(r, "email",
		    json_object_new_string(o->email));
		json_object_object_add(r, "display_name",
		    str_or_null(o->display_name));
		json_object_object_add(r, "jwt_token", str_or_null(o->jwt));
		json_object_object_add(r, "jwt_expires_in", active ?
		    json_object_new_int64(o->expires_ms) : NULL);
		json_object_object_add(r, "refresh_token", active ?
		    json_object_new_string(o->refresh) : NULL);
		wd_call_reply(c, 200, r, NULL);
		json_object_put(r);
		return;
	}
	json_object_object_add(r, "jwt_token", str_or_null(o->jwt));
	json_object_object_add(r, "jwt_expires_in", active ?
	    json_object_new_int64(o->expires_ms) : NULL);
	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(o->user_id));
	json_object_object_add(u, "email", json_object_new_string(o->email));
	json_object_object_add(u, "display_name", str_or_null(o->display_name));
	json_object_object_add(r, "user", u);
	if (active && body_rt)
		json_object_object_add(r, "refresh_token",
		    json_object_new_string(o->refresh));
	if (active && !body_rt)
		rt_cookie(c, o->refresh, hdr, sizeof(hdr));
	else if (active)
		rt_cookie(c, "", hdr, sizeof(hdr));	/* HBP: cleared */
	wd_call_reply(c, 200, r, hdr[0] != '\0' ? hdr : NULL);
	json_object_put(r);
}

/* cookie: absent = true (HBP); actions never use cookies. */
static int
wants_cookie(const struct wd_call *c, struct json_object *v)
{
	if (c->action)
		return 0;
	return v == NULL || json_object_get_boolean(v);
}

static enum wd_err
email_arg(struct json_object *v, char *out)
{
	return wd_email_normalize(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), out);
}

void
wd_api_register(struct wd_svc *s, struct wd_req *rq)
{
	static const struct wd_json_field f[] = {
		{ "email", json_type_string, 1024, 1 },
		{ "password", json_type_string, WD_PW_MAX, 1 },
		{ "cookie", json_type_boolean, 0, 0 },
		{ "user_data", json_type_object, 0, 0 },
		{ "register_options", json_type_object, 0, 0 },
	};
	static const struct wd_json_field ro[] = {
		{ "default_role", json_type_string, 64, 0 },
		{ "allowed_roles", json_type_array, 0, 0 },
	};
	struct wd_call		 c;
	struct json_object	*v[5], *o[2] = { NULL, NULL };
	struct wd_reg		 r = { 0 };
	struct wd_sess		 sess = { 0 };
	char			 email[WD_EMAIL_MAX + 1];
	const char		*msg = NULL, *bad = NULL;
	enum wd_err		 rc;

	if (wd_call_begin(s, rq, "/auth/register", "POST", "register", &c) !=
	    WD_OK)
		goto out;
	rc = WD_E_BADREQ;
	if (c.in == NULL || wd_json_fields(c.in, f, 5, v, &bad) != WD_OK ||
	    (v[4] != NULL && wd_json_fields(v[4], ro, 2, o, &bad) != WD_OK)) {
		msg = bad != NULL && strcmp(bad, "email") == 0 ?
		    "\"email\" must be a valid email" :
		    "\"password\" is required";
		goto fail;
	}
	if (email_arg(v[0], email) != WD_OK) {
		msg = "\"email\" must be a valid email";
		goto fail;
	}
	r.email = email;
	r.pw = json_object_get_string(v[1]);
	r.pwlen = (size_t)json_object_get_string_len(v[1]);
	r.user_data = v[3];
	r.default_role = o[0] != NULL ? json_object_get_string(o[0]) : NULL;
	r.allowed_roles = o[1];
	rc = wd_acct_register(&c, &r, &sess, &msg);
	if (rc != WD_OK)
		goto fail;
	send_session(&c, &sess, !wants_cookie(&c, v[2]));
	goto out;
fail:
	wd_call_fail(&c, rc, msg);
out:
	wd_sess_cleanup(&sess);
	wd_call_cleanup(&c);
}

void
wd_api_login(struct wd_svc *s, struct wd_req *rq)
{
	static const struct wd_json_field f[] = {
		{ "email", json_type_string, 1024, 1 },
		{ "password", json_type_string, WD_PW_MAX, 1 },
		{ "cookie", json_type_boolean, 0, 0 },
	};
	struct wd_call		 c;
	struct json_object	*v[3];
	struct wd_sess		 sess = { 0 };
	char			 email[WD_EMAIL_MAX + 1];
	const char		*msg = NULL;
	enum wd_err		 rc;

	if (wd_call_begin(s, rq, "/auth/login", "POST", "login", &c) != WD_OK)
		goto out;
	rc = WD_E_BADREQ;
	if (c.in == NULL || wd_json_fields(c.in, f, 3, v, NULL) != WD_OK ||
	    email_arg(v[0], email) != WD_OK) {
		msg = "\"email\" must be a valid email and \"password\" a "
		    "string";
		goto fail;
	}
	rc = wd_acct_login(&c, email, json_object_get_string(v[1]),
	    (size_t)json_object_get_string_len(v[1]), &sess, &msg);
	if (rc != WD_OK)
		goto fail;
	send_session(&c, &sess, !wants_cookie(&c, v[2]));
	goto out;
fail:
	wd_call_fail(&c, rc, msg);
out:
	wd_sess_cleanup(&sess);
	wd_call_cleanup(&c);
}

/*
 * The refresh token of a REST call: ?refresh_token= first (nhost-js-sdk),
 * else the cookie. *from_query tells which (HBP: a query token answers in
 * the body). WD_E_NOTFOUND when neither.
 */
static enum wd_err
rest_token(struct wd_call *c, char *tok, size_t n, int *from_query)
{
	enum wd_err	 rc;
	const char	*ck;
	size_t		 len;
	int		 bad;

	*from_query = 1;
	rc = wd_call_query(c, "refresh_token", tok, n);
	if (rc != WD_E_NOTFOUND)
		return rc;
	*from_query = 0;
	ck = wd_call_rt_cookie(c, &len, &bad);
	if (bad)
		return WD_E_BADREQ;
	if (ck == NULL || len + 1 > n)
		return WD_E_NOTFOUND;
	memcpy(tok, ck, len);
	tok[len] = '\0';
	return WD_OK;
}

static enum wd_err
action_token(struct wd_call *c, const char *name, char *tok, size_t n)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(c->in, name, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) + 1 > n)
		return WD_E_BADREQ;
	snprintf(tok, n, "%s", json_object_get_string(v));
	return WD_OK;
}

void
wd_api_refresh(struct wd_svc *s, struct wd_req *rq)
{
	struct wd_call	 c;
	struct wd_sess	 sess = { 0 };
	char		 tok[WD_MAX_QUERY_VALUE];
	const char	*msg = "Invalid or expired refresh token.";
	enum wd_err	 rc;
	int		 fromq = 1;

	if (wd_call_begin(s, rq, "/auth/token/refresh", "GET", "refresh",
	    &c) != WD_OK)
		goto out;
	rc = c.action ? action_token(&c, "refresh_token", tok, sizeof(tok)) :
	    rest_token(&c, tok, sizeof(tok), &fromq);
	if (rc == WD_E_NOTFOUND)
		rc = WD_E_UNAUTH;
	if (rc != WD_OK)
		goto fail;
	rc = wd_acct_refresh(&c, tok, &sess, &msg);
	if (rc != WD_OK)
		goto fail;
	send_session(&c, &sess, fromq);
	goto out;
fail:
	wd_call_fail(&c, rc, msg);
out:
	explicit_bzero(tok, sizeof(tok));
	wd_sess_cleanup(&sess);
	wd_call_cleanup(&c);
}

void
wd_api_logout(struct wd_svc *s, struct wd_req *rq)
{
	static const struct wd_json_field f[] = {
		{ "all", json_type_boolean, 0, 0 },
	};
	struct wd_call		 c;
	struct json_object	*v[1] = { NULL }, *r;
	char			 tok[WD_MAX_QUERY_VALUE], hdr[512];
	const char		*msg = "Invalid or expired refresh token.";
	enum wd_err		 rc;
	int			 fromq = 1;

	if (wd_call_begin(s, rq, "/auth/logout", "POST", "logout", &c) !=
	    WD_OK)
		goto out;
	rc = WD_E_BADREQ;
	if (c.in != NULL && wd_json_fields(c.in, f, 1, v, NULL) != WD_OK) {
		msg = "\"all\" must be a boolean";
		goto fail;
	}
	rc = c.action ? action_token(&c, "refresh_token", tok, sizeof(tok)) :
	    rest_token(&c, tok, sizeof(tok), &fromq);
	if (rc == WD_E_NOTFOUND)
		rc = WD_E_UNAUTH;
	if (rc != WD_OK)
		goto fail;
	rc = wd_acct_logout(&c, tok, v[0] != NULL &&
	    json_object_get_boolean(v[0]), &msg);
	if (rc != WD_OK)
		goto fail;
	if (c.action) {
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(1));
		wd_call_reply(&c, 200, r, NULL);
		json_object_put(r);
		goto out;
	}
	rt_cookie(&c, "", hdr, sizeof(hdr));
	wd_call_reply(&c, 204, NULL, hdr);
	goto out;
fail:
	wd_call_fail(&c, rc, msg);
out:
	explicit_bzero(tok, sizeof(tok));
	wd_call_cleanup(&c);
}

static void
redirect(struct wd_call *c, const char *url)
{
	char	 hdr[2200];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "Location: %s\r\n", url);
	if (n < 0 || (size_t)n >= sizeof(hdr) || strpbrk(url, "\r\n")) {
		wd_call_fail(c, WD_E_INTERNAL, NULL);
		return;
	}
	wd_call_reply(c, 302, NULL, hdr);
}

void
wd_api_activate(struct wd_svc *s, struct wd_req *rq)
{
	struct wd_call		 c;
	struct json_object	*r;
	char			 ticket[WD_MAX_QUERY_VALUE] = "";
	const char		*msg = "Invalid or expired ticket.", *url;
	enum wd_err		 rc;

	if (wd_call_begin(s, rq, "/auth/activate", "GET", "activate", &c) !=
	    WD_OK)
		goto out;
	rc = c.action ? action_token(&c, "ticket", ticket, sizeof(ticket)) :
	    wd_call_query(&c, "ticket", ticket, sizeof(ticket));
	if (rc == WD_OK)
		rc = wd_acct_activate(&c, ticket, &msg);
	else
		rc = WD_E_UNAUTH;
	if (!c.action) {
		url = wd_cfg_str(&s->cfg, rc == WD_OK ?
		    WD_CFG_REDIRECT_URL_SUCCESS : WD_CFG_REDIRECT_URL_ERROR);
		if (url != NULL && url[0] != '\0' && rc != WD_E_DBDOWN) {
			redirect(&c, url);
			goto out;
		}
	}
	if (rc != WD_OK) {
		wd_call_fail(&c, rc, msg);
		goto out;
	}
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	if (!c.action)
		json_object_object_add(r, "message", json_object_new_string(
		    "Your account has been activated."));
	wd_call_reply(&c, 200, r, NULL);
	json_object_put(r);
out:
	wd_call_cleanup(&c);
}

void
wd_api_user(struct wd_svc *s, struct wd_req *rq)
{
	struct wd_call		 c;
	struct wd_claims	 cl = { 0 };
	struct json_object	*o = NULL;
	const char		*h, *tok;
	size_t			 len;
	enum wd_err		 rc;

	if (wd_call_begin(s, rq, "/auth/user", "GET", NULL, &c) != WD_OK)
		goto out;
	h = wd_http_param(rq, "HTTP_AUTHORIZATION");
	rc = WD_E_UNAUTH;
	if (h == NULL)
		goto fail;
	rc = wd_auth_bearer(h, strlen(h), &tok, &len);
	if (rc == WD_OK)
		rc = wd_jwt_verify(&s->key, tok, len, time(NULL), &cl);
	if (rc == WD_OK)
		rc = wd_acct_user(&c, cl.user_id, cl.sid, &o);
	if (rc != WD_OK)
		goto fail;
	wd_call_reply(&c, 200, o, NULL);
	goto out;
fail:
	wd_call_fail(&c, rc, NULL);
out:
	json_object_put(o);
	wd_claims_cleanup(&cl);
	wd_call_cleanup(&c);
}

/* base64url of a big number, unpadded (RFC 7518 §6.3.1). */
static struct json_object *
b64u_bn(const BIGNUM *bn)
{
	unsigned char	 raw[1024];
	char		 enc[1400];
	int		 n, m, i;

	n = BN_num_bytes(bn);
	if (n <= 0 || n > (int)sizeof(raw))
		return NULL;
	BN_bn2bin(bn, raw);
	m = EVP_EncodeBlock((unsigned char *)enc, raw, n);
	while (m > 0 && enc[m - 1] == '=')
		m--;
	enc[m] = '\0';
	for (i = 0; i < m; i++) {
		if (enc[i] == '+')
			enc[i] = '-';
		else if (enc[i] == '/')
			enc[i] = '_';
	}
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
		json_object_object_add(o, "kid", json_object_new_string(k->kid));
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
void
wd_api_jwks(struct wd_svc *s, struct wd_req *rq)
{
	struct wd_call		 c;
	struct json_object	*r = NULL, *keys;
	int			 n = 0;

	if (wd_call_begin(s, rq, "/auth/jwks", "GET", NULL, &c) != WD_OK)
		goto out;
	r = json_object_new_object();
	keys = json_object_new_array();
	json_object_object_add(r, "keys", keys);
	n += add_jwk(keys, &s->key);
	if (s->key.prev != NULL)
		n += add_jwk(keys, s->key.prev);
	if (n == 0) {
		wd_call_fail(&c, WD_E_NOTFOUND, "JWKS is only served for RS* "
		    "keys; an HS* key is a shared secret.");
		goto out;
	}
	wd_call_reply(&c, 200, r, "Cache-Control: public, max-age=300\r\n");
out:
	json_object_put(r);
	wd_call_cleanup(&c);
}
