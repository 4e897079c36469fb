/*
 * wd_svc.c: account service start-up. Everything that can be wrong with
 * the configuration is found here, before the first request: the values
 * by wd_cfg_check (types, ranges, lists), the rules across keys here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wd_svc.h"
#include "wd_util.h"

#define ERRF(...) do {						\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

/*
 * Custom JWT fields must not shadow the identity claims
 * (wd_jwt_claim_reserved), and a registration field must not let a new
 * user pick their own id or timestamps.
 */
static enum wd_err
reserved(const struct wd_svc *s, char *err, size_t errsz)
{
	static const char *const reg[] = { "id", "created_at",
	    "updated_at" };
	size_t	 i, j;

	for (i = 0; i < s->njwt_fields; i++)
		if (wd_jwt_claim_reserved(s->jwt_fields[i])) {
			ERRF("WARDEN_JWT_CUSTOM_FIELDS: %s would replace an "
			    "identity claim", s->jwt_fields[i]);
			return WD_E_CONFIG;
		}
	for (i = 0; i < s->nreg_fields; i++)
		for (j = 0; j < sizeof(reg) / sizeof(reg[0]); j++)
			if (strcmp(s->reg_fields[i], reg[j]) == 0) {
				ERRF("WARDEN_REGISTRATION_CUSTOM_FIELDS: %s "
				    "is not settable by users", reg[j]);
				return WD_E_CONFIG;
			}
	return WD_OK;
}

int
wd_svc_role_ok(const struct wd_svc *s, const char *role)
{
	size_t	 i;

	for (i = 0; i < s->nroles; i++)
		if (strcmp(s->roles[i], role) == 0)
			return 1;
	return 0;
}

/*
 * The CSP source a redirect URL needs (src, "" for a path, which 'self'
 * covers): an http(s) URL's origin, an app's own scheme ("myapp://done")
 * by that scheme. WD_E_CONFIG for anything else, or for a character that
 * would end the source inside the header.
 */
static enum wd_err
redirect_src(const char *u, char *src)
{
	size_t	 n;

	src[0] = '\0';
	if (wd_has_ctl(u) || strpbrk(u, " ;,'\"\\") != NULL)
		return WD_E_CONFIG;
	if (u[0] == '/' && u[1] != '/')
		return WD_OK;
	if (wd_cors_origin_of(u, strlen(u), 1, src) == WD_OK)
		return WD_OK;
	n = strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
	if (n == 0 || n + 2 > WD_CORS_ORIGIN || u[n] != ':' ||
	    !isalpha((unsigned char)u[0]))
		return WD_E_CONFIG;
	memcpy(src, u, n + 1);
	src[n + 1] = '\0';
	return WD_OK;
}

/*
 * The activation page's CSP form-action. Chrome and Safari check the
 * redirects of a form submission against it too, so where the activation
 * form's answer redirects (WARDEN_REDIRECT_URL_SUCCESS, _ERROR) is listed
 * beside 'self'.
 */
static enum wd_err
form_action(struct wd_svc *s, char *err, size_t errsz)
{
	static const enum wd_cfgkey	 keys[] = {
		WD_CFG_REDIRECT_URL_SUCCESS, WD_CFG_REDIRECT_URL_ERROR
	};
	char		 src[WD_CORS_ORIGIN], prev[WD_CORS_ORIGIN] = "";
	const char	*u;
	size_t		 i, len;

	len = (size_t)snprintf(s->form_action, sizeof(s->form_action),
	    "'self'");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		u = wd_cfg_str(&s->cfg, keys[i]);
		if (u == NULL || u[0] == '\0')
			continue;
		if (redirect_src(u, src) != WD_OK) {
			ERRF("%s: must be an http(s) URL, a path beginning "
			    "with / or an app's URL (scheme:...)",
			    wd_cfg_name(keys[i]));
			return WD_E_CONFIG;
		}
		/* two sources of at most WD_CORS_ORIGIN - 1 always fit */
		if (src[0] != '\0' && strcmp(src, prev) != 0)
			len += (size_t)snprintf(s->form_action + len,
			    sizeof(s->form_action) - len, " %s", src);
		memcpy(prev, src, sizeof(prev));
	}
	return WD_OK;
}

/* Secure cookies: as configured, else whenever the public URL is https
 * (WARDEN_SERVER_URL, the address clients see, before WARDEN_URL). */
static int
cookie_secure(const struct wd_cfg *c)
{
	const char	*u;

	if (wd_cfg_isset(c, WD_CFG_COOKIE_SECURE))
		return wd_cfg_flag(c, WD_CFG_COOKIE_SECURE);
	u = wd_cfg_str(c, WD_CFG_SERVER_URL);
	if (u == NULL || u[0] == '\0')
		u = wd_cfg_str(c, WD_CFG_URL);
	return u != NULL && strncmp(u, "https://", 8) == 0;
}

enum wd_err
wd_svc_init(struct wd_svc *s, const char *prog, char *err, size_t errsz)
{
	struct wd_cfg		*c = &s->cfg;
	const char *const	*l;
	size_t			 n, i;

	memset(s, 0, sizeof(*s));
	s->prog = prog;
	if (wd_cfg_init(c, WD_BIN_ACCT, err, errsz) != WD_OK ||
	    wd_jwt_keys_load(c, &s->key, err, errsz) != WD_OK ||
	    wd_db_init(&s->db, wd_cfg_str(c, WD_CFG_DATABASE_URL), err,
	    errsz) != WD_OK)
		return WD_E_CONFIG;
	s->jwt_min = wd_cfg_int(c, WD_CFG_JWT_EXPIRES_IN);
	s->refresh_min = wd_cfg_int(c, WD_CFG_REFRESH_EXPIRES_IN);
	s->min_pw = wd_cfg_int(c, WD_CFG_MIN_PASSWORD_LENGTH);
	s->max_fail = wd_cfg_int(c, WD_CFG_LOGIN_MAX_FAILURES);
	s->max_fail_ip = wd_cfg_int(c, WD_CFG_LOGIN_MAX_FAILURES_IP);
	s->auto_activate = wd_cfg_flag(c, WD_CFG_AUTO_ACTIVATE);
	s->cookie_secure = cookie_secure(c);
	s->action_secret = wd_cfg_str(c, WD_CFG_ACTION_SECRET);
	wd_cfg_list(c, WD_CFG_DEFAULT_ROLE, &l);
	s->default_role = l[0];
	s->nroles = wd_cfg_list(c, WD_CFG_ALLOWED_ROLES, &l);
	for (i = 0; i < s->nroles; i++)
		s->roles[i] = l[i];
	s->njwt_fields = wd_cfg_list(c, WD_CFG_JWT_CUSTOM_FIELDS,
	    &s->jwt_fields);
	s->nreg_fields = wd_cfg_list(c, WD_CFG_REGISTRATION_CUSTOM_FIELDS,
	    &s->reg_fields);
	s->reuse_interval = wd_cfg_int(c, WD_CFG_REFRESH_REUSE_INTERVAL);
	s->session_max_age = wd_cfg_int(c, WD_CFG_SESSION_MAX_AGE);
	s->rate_limit = wd_cfg_int(c, WD_CFG_RATE_LIMIT);
	if (wd_cidr_parse_list(wd_cfg_str(c, WD_CFG_TRUSTED_PROXIES),
	    s->proxies, WD_ADDR_MAX_CIDRS, &s->nproxies) != WD_OK) {
		ERRF("WARDEN_TRUSTED_PROXIES: entries must be addresses or "
		    "networks like 10.0.0.0/8 (at most %d)", WD_ADDR_MAX_CIDRS);
		return WD_E_CONFIG;
	}
	s->actions_xff = wd_cfg_flag(c, WD_CFG_ACTIONS_FORWARDED_FOR);
	if (s->actions_xff && s->nproxies == 0) {
		ERRF("WARDEN_ACTIONS_FORWARDED_FOR needs Hasura's address (and "
		    "any proxy's between it and Warden) in "
		    "WARDEN_TRUSTED_PROXIES");
		return WD_E_CONFIG;
	}
	if (wd_cors_init(&s->cors, c, err, errsz) != WD_OK ||
	    reserved(s, err, errsz) != WD_OK ||
	    form_action(s, err, errsz) != WD_OK)
		return WD_E_CONFIG;
	s->verify_emails = wd_cfg_flag(c, WD_CFG_VERIFY_EMAILS);
	s->mfa_issuer = wd_cfg_str(c, WD_CFG_MFA_ISSUER);
	if (wd_cfg_isset(c, WD_CFG_MFA_KEY) &&
	    wd_cfg_str(c, WD_CFG_MFA_KEY)[0] != '\0') {
		const char	*k = wd_cfg_str(c, WD_CFG_MFA_KEY), *why = "";

		if (wd_seal_key_parse(k, strlen(k), &s->mfa_key, &why) !=
		    WD_OK) {
			ERRF("WARDEN_MFA_KEY: %s", why);
			return WD_E_CONFIG;
		}
		s->has_mfa_key = 1;
	}
	if (s->key.sign == NULL) {
		ERRF("WARDEN_JWT_SECRET: an RS* key must be the private key "
		    "to sign tokens");
		return WD_E_CONFIG;
	}
	/* admin is refused in any role setting by wd_cfg_check */
	/* the default role is always allowed (HBP); roles[] has room for
	 * it past the list's own maximum */
	n = s->nroles;
	if (!wd_svc_role_ok(s, s->default_role))
		s->roles[n++] = s->default_role;
	s->nroles = n;
	return WD_OK;
}

void
wd_svc_cleanup(struct wd_svc *s)
{
	if (s == NULL)
		return;
	wd_seal_key_cleanup(&s->mfa_key);
	wd_db_cleanup(&s->db);
	wd_jwt_key_cleanup(&s->key);
	wd_cfg_cleanup(&s->cfg);
	memset(s, 0, sizeof(*s));
}

int
wd_svc_main(const char *prog, const struct wd_route *routes, size_t n)
{
	struct wd_svc	 s;
	char		 err[256] = "";
	int		 rv = 1;

	if (wd_svc_init(&s, prog, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		goto out;
	}
	rv = wd_http_serve(prog, routes, n, &s, &s.cors);
out:
	wd_svc_cleanup(&s);
	return rv;
}
