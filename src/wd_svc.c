/*
 * wd_svc.c: account service start-up. Everything that can be wrong with
 * the configuration is found here, before the first request.
 */
#include <stdio.h>
#include <string.h>

#include "wd_mem.h"
#include "wd_svc.h"

#define ERRF(...) do {						\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

/* Role names and column names end up in SQL (as parameters or quoted
 * identifiers) and in claims: keep them to a boring alphabet. */
static int
ident_ok(const char *s, size_t n, int role)
{
	size_t	 i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if ((c >= 'a' && c <= 'z') || c == '_' ||
		    (i > 0 && c >= '0' && c <= '9'))
			continue;
		if (role && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		    || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

static enum wd_err
split(const struct wd_cfg *c, enum wd_cfgkey k, int role, char **out,
    size_t *n, char *err, size_t errsz)
{
	const char	*v = wd_cfg_str(c, k), *p, *e;

	*n = 0;
	for (p = v == NULL ? "" : v; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		while (*p == ' ')
			p++;
		e = p;
		while (*e != '\0' && *e != ',')
			e++;
		{
			const char	*t = e;

			while (t > p && t[-1] == ' ')
				t--;
			if (t == p)
				continue;
			if (!ident_ok(p, (size_t)(t - p), role) ||
			    *n >= WD_SVC_MAX_LIST) {
				ERRF("%s: entries must be %s (at most %d)",
				    wd_cfg_name(k), role ?
				    "role names [A-Za-z0-9_-]" :
				    "column names [a-z_][a-z0-9_]*",
				    WD_SVC_MAX_LIST);
				return WD_E_CONFIG;
			}
			out[(*n)++] = wd_xstrndup(p, (size_t)(t - p));
		}
	}
	return WD_OK;
}

/*
 * Custom JWT fields must not shadow the identity claims (user-id,
 * default-role, allowed-roles, role), and a registration field must not
 * let a new user pick their own id or timestamps.
 */
static enum wd_err
reserved(const struct wd_svc *s, char *err, size_t errsz)
{
	static const char *const jwt[] = { "user_id", "default_role",
	    "allowed_roles", "role" };
	static const char *const reg[] = { "id", "created_at",
	    "updated_at" };
	size_t	 i, j;

	for (i = 0; i < s->njwt_fields; i++)
		for (j = 0; j < sizeof(jwt) / sizeof(jwt[0]); j++)
			if (strcmp(s->jwt_fields[i], jwt[j]) == 0) {
				ERRF("WARDEN_JWT_CUSTOM_FIELDS: %s would "
				    "replace an identity claim", jwt[j]);
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

enum wd_err
wd_svc_init(struct wd_svc *s, const char *prog, char *err, size_t errsz)
{
	struct wd_cfg	*c = &s->cfg;
	int		 starttls;

	memset(s, 0, sizeof(*s));
	s->prog = prog;
	if (wd_cfg_load(c, err, errsz) != WD_OK ||
	    wd_cfg_require(c, WD_CFG_DATABASE_URL, err, errsz) != WD_OK ||
	    wd_cfg_require(c, WD_CFG_JWT_SECRET, err, errsz) != WD_OK ||
	    wd_cfg_require(c, WD_CFG_ACTION_SECRET, err, errsz) != WD_OK ||
	    wd_jwt_keys_load(c, &s->key, err, errsz) != WD_OK ||
	    wd_db_init(&s->db, wd_cfg_str(c, WD_CFG_DATABASE_URL), err,
	    errsz) != WD_OK ||
	    wd_cfg_long(c, WD_CFG_JWT_EXPIRES_IN, 1, 1440, &s->jwt_min, err,
	    errsz) != WD_OK ||
	    wd_cfg_long(c, WD_CFG_REFRESH_EXPIRES_IN, 1, 525600,
	    &s->refresh_min, err, errsz) != WD_OK ||
	    wd_cfg_long(c, WD_CFG_MIN_PASSWORD_LENGTH, 1, 1024, &s->min_pw,
	    err, errsz) != WD_OK ||
	    wd_cfg_bool(c, WD_CFG_AUTO_ACTIVATE, &s->auto_activate, err,
	    errsz) != WD_OK ||
	    wd_cfg_bool(c, WD_CFG_COOKIE_SECURE, &s->cookie_secure, err,
	    errsz) != WD_OK ||
	    wd_cfg_bool(c, WD_CFG_SMTP_STARTTLS, &starttls, err, errsz) !=
	    WD_OK ||
	    wd_cfg_long(c, WD_CFG_LOGIN_MAX_FAILURES, 1, 1000000, &s->max_fail,
	    err, errsz) != WD_OK ||
	    wd_cfg_long(c, WD_CFG_LOGIN_MAX_FAILURES_IP, 1, 1000000,
	    &s->max_fail_ip, err, errsz) != WD_OK ||
	    split(c, WD_CFG_ALLOWED_ROLES, 1, s->roles, &s->nroles, err,
	    errsz) != WD_OK ||
	    split(c, WD_CFG_JWT_CUSTOM_FIELDS, 0, s->jwt_fields,
	    &s->njwt_fields, err, errsz) != WD_OK ||
	    split(c, WD_CFG_REGISTRATION_CUSTOM_FIELDS, 0, s->reg_fields,
	    &s->nreg_fields, err, errsz) != WD_OK)
		return WD_E_CONFIG;
	if (reserved(s, err, errsz) != WD_OK)
		return WD_E_CONFIG;
	if (c->val[WD_CFG_COOKIE_SECURE] == NULL) {
		/* unset: Secure whenever the public URL is https */
		const char	*u = wd_cfg_str(c, WD_CFG_SERVER_URL);

		if (u == NULL)
			u = wd_cfg_str(c, WD_CFG_URL);
		s->cookie_secure = u != NULL && strncmp(u, "https://", 8) == 0;
	}
	if (s->key.sign == NULL) {
		ERRF("WARDEN_JWT_SECRET: an RS* key must be the private key "
		    "to sign tokens");
		return WD_E_CONFIG;
	}
	s->action_secret = wd_cfg_str(c, WD_CFG_ACTION_SECRET);
	if (strlen(s->action_secret) < 16) {
		ERRF("WARDEN_ACTION_SECRET: needs >= 16 bytes");
		return WD_E_CONFIG;
	}
	s->default_role = wd_cfg_str(c, WD_CFG_DEFAULT_ROLE);
	if (!ident_ok(s->default_role, strlen(s->default_role), 1) ||
	    strcmp(s->default_role, "admin") == 0) {
		ERRF("WARDEN_DEFAULT_ROLE: must be a role name, not admin");
		return WD_E_CONFIG;
	}
	if (wd_svc_role_ok(s, "admin")) {
		ERRF("WARDEN_ALLOWED_ROLES: must not contain admin");
		return WD_E_CONFIG;
	}
	if (!wd_svc_role_ok(s, s->default_role)) {
		if (s->nroles >= WD_SVC_MAX_LIST) {
			ERRF("WARDEN_ALLOWED_ROLES: too many roles");
			return WD_E_CONFIG;
		}
		s->roles[s->nroles++] = wd_xstrdup(s->default_role);
	}
	return WD_OK;
}

void
wd_svc_cleanup(struct wd_svc *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nroles; i++)
		free(s->roles[i]);
	for (i = 0; i < s->njwt_fields; i++)
		free(s->jwt_fields[i]);
	for (i = 0; i < s->nreg_fields; i++)
		free(s->reg_fields[i]);
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
	rv = wd_http_serve(prog, routes, n, &s);
out:
	wd_svc_cleanup(&s);
	return rv;
}
