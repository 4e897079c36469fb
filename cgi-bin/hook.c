/*
 * hook: the Hasura auth webhook (GET and POST /hook) and the FastCGI
 * authorizer for lighttpd. Logic lives in src/wd_hook.c.
 */
#include <stdio.h>

#include "wd_cfg.h"
#include "wd_hook.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_revoke.h"

/* every path: the authorizer is asked about the path it guards */
static const struct wd_route routes[] = {
	{ NULL, NULL, wd_hook_serve, NULL },
};

int
main(void)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_jwt_key	 key = { 0 };
	struct wd_hook		 h = { 0 };
	struct wd_revoke	 rvk = { 0 };
	char			 err[256] = "";
	const char *const	*anon;
	int			 rv = 1;

	/* sessions revoked by logout or refresh reuse (issue #5) */
	if (wd_cfg_init(&cfg, WD_BIN_HOOK, err, sizeof(err)) != WD_OK ||
	    wd_jwt_keys_load(&cfg, &key, err, sizeof(err)) != WD_OK ||
	    wd_revoke_init(&rvk, wd_cfg_str(&cfg, WD_CFG_DATABASE_URL), err,
	    sizeof(err)) != WD_OK)
		goto out;
	h.key = &key;
	/* no entry: no anonymous access (401) */
	h.anon_role = wd_cfg_list(&cfg, WD_CFG_ANON_ROLE, &anon) > 0 ?
	    anon[0] : "";
	h.cookie_name = wd_cfg_str(&cfg, WD_CFG_COOKIE_NAME);
	h.revoked = wd_revoke_check;
	h.revoked_arg = &rvk;
	h.max_age = wd_cfg_int(&cfg, WD_CFG_HOOK_MAX_AGE);
	rv = wd_http_serve("warden-hook", routes, 1, &h, NULL);
	err[0] = '\0';
out:
	if (err[0] != '\0')
		fprintf(stderr, "warden-hook: %s\n", err);
	wd_revoke_cleanup(&rvk);
	wd_jwt_key_cleanup(&key);
	wd_cfg_cleanup(&cfg);
	return rv;
}
