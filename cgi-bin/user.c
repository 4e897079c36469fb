/*
 * user: GET /auth/user, the signed-in caller's profile, and DELETE
 * /auth/user (with the password) / the delete_user action, which remove
 * the account. Operations in src/wd_api.c.
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/user", "GET", wd_dialect_hbp2, wd_op_user),
	WD_ACCT_ROUTE("/auth/user", "DELETE", wd_dialect_hbp2,
	    wd_op_delete_user),
	WD_ACCT_ROUTE("/actions/delete_user", "POST", wd_dialect_action,
	    wd_op_delete_user),
};

int
main(void)
{
	return wd_svc_main("warden-user", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
