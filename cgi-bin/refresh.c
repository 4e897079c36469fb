/*
 * refresh: GET /auth/token/refresh (HBP v2) and /actions/refresh (Hasura
 * Action). The operation is wd_op_refresh (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/token/refresh", "GET", wd_dialect_hbp2,
	    wd_op_refresh),
	WD_ACCT_ROUTE("/actions/refresh", "POST", wd_dialect_action,
	    wd_op_refresh),
};

int
main(void)
{
	return wd_svc_main("warden-refresh", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
