/*
 * hook: the Hasura auth webhook (GET and POST /hook) and the FastCGI
 * authorizer for lighttpd. Logic lives in src/wd_hook.c.
 */
#include <stdio.h>
#include <time.h>

#include "wd_cfg.h"
#include "wd_hook.h"
#include "wd_http.h"
#include "wd_jwt.h"

int
main(void)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_jwt_key	 key = { 0 };
	struct wd_hook		 h = { 0 };
	struct wd_req		 rq;
	char			 err[256] = "";
	int			 rv = 1;

	if (wd_cfg_load(&cfg, err, sizeof(err)) != WD_OK ||
	    wd_cfg_require(&cfg, WD_CFG_JWT_SECRET, err, sizeof(err)) !=
	    WD_OK ||
	    wd_jwt_key_parse(wd_cfg_str(&cfg, WD_CFG_JWT_SECRET), &key, err,
	    sizeof(err)) != WD_OK)
		goto out;
	h.key = &key;
	h.anon_role = wd_cfg_str(&cfg, WD_CFG_ANON_ROLE);
	h.cookie_name = wd_cfg_str(&cfg, WD_CFG_COOKIE_NAME);
	if (wd_http_init(&rq) != WD_OK) {
		snprintf(err, sizeof(err), "cannot initialise FastCGI");
		goto out;
	}
	while (wd_http_accept(&rq) == WD_OK) {
		wd_hook_handle(&h, &rq);
		wd_http_finish(&rq);
	}
	wd_http_cleanup(&rq);
	rv = 0;
out:
	if (rv != 0)
		fprintf(stderr, "warden-hook: %s\n", err);
	wd_jwt_key_cleanup(&key);
	wd_cfg_cleanup(&cfg);
	return rv;
}
