/*
 * login: POST /auth/login (HBP v2) and /actions/login (Hasura Action).
 * The operation is wd_op_login (src/wd_api.c).
 */
#include <stdio.h>

#include "wd_dialect.h"
#include "wd_pw.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/login", "POST", wd_dialect_hbp2, wd_op_login),
	WD_ACCT_ROUTE("/actions/login", "POST", wd_dialect_action,
	    wd_op_login),
};

int
main(void)
{
	/* only login verifies passwords: make the dummy hash that unknown
	 * emails are checked against now, so the first one is not slower */
	if (wd_pw_init() != WD_OK) {
		fprintf(stderr, "warden-login: cannot compute a password hash "
		    "(libxcrypt)\n");
		return 1;
	}
	return wd_svc_main("warden-login", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
