/*
 * healthz: GET /healthz answers "200 ok" when the database answers,
 * 503 JSON otherwise. Uses one persistent connection.
 */
#include <stdio.h>

#include "wd_cfg.h"
#include "wd_db.h"
#include "wd_health.h"
#include "wd_http.h"

static const struct wd_route routes[] = {
	{ "/healthz", "GET HEAD", wd_health_serve, NULL },
};

int
main(void)
{
	struct wd_cfg	 cfg = { 0 };
	struct wd_db	 db = { 0 };
	char		 err[256] = "";
	int		 rv = 1;

	if (wd_cfg_init(&cfg, WD_BIN_HEALTH, err, sizeof(err)) != WD_OK ||
	    wd_db_init(&db, wd_cfg_str(&cfg, WD_CFG_DATABASE_URL), err,
	    sizeof(err)) != WD_OK) {
		fprintf(stderr, "warden-healthz: %s\n", err);
		goto out;
	}
	rv = wd_http_serve("warden-healthz", routes, 1, &db, NULL);
out:
	wd_db_cleanup(&db);
	wd_cfg_cleanup(&cfg);
	return rv;
}
