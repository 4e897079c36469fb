/*
 * password: change (signed in, old password), reset request (always
 * 204) and reset confirmation with the mailed ticket, whose link's GET
 * only shows a form. Operations in src/wd_api.c, SQL in src/wd_life.c.
 */
#include "wd_dialect.h"
#include "wd_page.h"

#define CHANGE	"/auth/change-password/change"

static const struct wd_page page = {
	CHANGE, "Choose a new password", "Change password", 1, 0, NULL
};

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/change-password", "POST", wd_dialect_hbp2,
	    wd_op_change_password),
	WD_ACCT_ROUTE("/actions/change_password", "POST", wd_dialect_action,
	    wd_op_change_password),
	WD_ACCT_ROUTE("/auth/change-password/request", "POST",
	    wd_dialect_hbp2, wd_op_reset_request),
	WD_ACCT_ROUTE("/actions/request_password_change", "POST",
	    wd_dialect_action, wd_op_reset_request),
	{ CHANGE, "GET HEAD", wd_page_serve, &page },
	WD_ACCT_ROUTE(CHANGE, "POST", wd_dialect_hbp2, wd_op_reset_confirm),
	WD_ACCT_ROUTE("/actions/confirm_password_change", "POST",
	    wd_dialect_action, wd_op_reset_confirm),
};

int
main(void)
{
	return wd_svc_main("warden-password", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
