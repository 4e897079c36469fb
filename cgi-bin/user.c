/*
 * user: GET /auth/user (HBP v2), the signed-in caller's profile. The
 * operation is wd_op_user (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/user", "GET", wd_dialect_hbp2, wd_op_user),
};

int
main(void)
{
	return wd_svc_main("warden-user", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
