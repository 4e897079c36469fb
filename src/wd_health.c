/*
 * wd_health.c: the health check. Its own module so that the HTTP layer
 * does not depend on the database layer (issue #8).
 */
#include "wd_db.h"
#include "wd_health.h"

enum wd_err
wd_health_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	struct wd_db	*db = ctx;

	(void)arg;
	if (wd_db_ping(db) != WD_OK)
		return WD_E_DBDOWN;
	wd_http_send(rq, 200, NULL, "text/plain", "ok", 2);
	return WD_OK;
}
