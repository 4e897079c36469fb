/*
 * healthz: GET /healthz answers "200 ok" when the database answers,
 * 503 JSON otherwise. Uses one persistent connection.
 */
#include <stdio.h>

#include "wd_cfg.h"
#include "wd_db.h"
#include "wd_http.h"

int
main(void)
{
	struct wd_cfg	 cfg = { 0 };
	struct wd_db	 db = { 0 };
	struct wd_req	 rq;
	char		 err[256] = "";
	int		 rv = 1;

	if (wd_cfg_load(&cfg, err, sizeof(err)) != WD_OK ||
	    wd_cfg_require(&cfg, WD_CFG_DATABASE_URL, err, sizeof(err)) !=
	    WD_OK ||
	    wd_db_init(&db, wd_cfg_str(&cfg, WD_CFG_DATABASE_URL), err,
	    sizeof(err)) != WD_OK)
		goto out;
	if (wd_http_init(&rq) != WD_OK) {
		snprintf(err, sizeof(err), "cannot initialise FastCGI");
		goto out;
	}
	while (wd_http_accept(&rq) == WD_OK) {
		wd_health_handle(&db, &rq);
		wd_http_finish(&rq);
	}
	wd_http_cleanup(&rq);
	rv = 0;
out:
	if (rv != 0)
		fprintf(stderr, "warden-healthz: %s\n", err);
	wd_db_cleanup(&db);
	wd_cfg_cleanup(&cfg);
	return rv;
}
