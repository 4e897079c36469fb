/*
 * logout: POST /auth/logout (HBP v2) and /actions/logout (Hasura Action),
 * and HBP v2's POST /auth/token/revoke (every session of the Bearer
 * token's account). The operations are wd_op_logout and
 * wd_op_revoke_tokens (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/logout", "POST", wd_dialect_hbp2, wd_op_logout),
	WD_ACCT_ROUTE("/actions/logout", "POST", wd_dialect_action,
	    wd_op_logout),
	WD_ACCT_ROUTE("/auth/token/revoke", "POST", wd_dialect_hbp2,
	    wd_op_revoke_tokens),
};

int
main(void)
{
	return wd_svc_main("warden-logout", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
