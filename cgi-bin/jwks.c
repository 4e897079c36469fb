/*
 * jwks: GET /auth/jwks, the public keys of an RS* configuration. The
 * operation is wd_op_jwks (src/wd_api.c).
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/jwks", "GET", wd_dialect_hbp2, wd_op_jwks),
};

int
main(void)
{
	return wd_svc_main("warden-jwks", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
