/*
 * activate: GET /auth/activate (HBP v2) and /actions/activate (Hasura
 * Action). The operation is wd_op_activate (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/activate", "GET", wd_dialect_hbp2,
	    wd_op_activate),
	WD_ACCT_ROUTE("/actions/activate", "POST", wd_dialect_action,
	    wd_op_activate),
};

int
main(void)
{
	return wd_svc_main("warden-activate", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
