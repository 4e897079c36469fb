/*
 * register: POST /auth/register (HBP v2) and /actions/register (Hasura
 * Action). The operation is wd_op_register (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/register", "POST", wd_dialect_hbp2,
	    wd_op_register),
	WD_ACCT_ROUTE("/actions/register", "POST", wd_dialect_action,
	    wd_op_register),
};

int
main(void)
{
	return wd_svc_main("warden-register", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
