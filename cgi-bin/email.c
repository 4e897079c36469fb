/*
 * email: email change through a ticket mailed to the new address (its
 * link's GET only shows a form), or at once when WARDEN_VERIFY_EMAILS is
 * false; and its undoing by the link mailed to the old address.
 * Operations in src/wd_api.c, SQL in src/wd_life.c.
 */
#include "wd_dialect.h"
#include "wd_page.h"

#define CHANGE	"/auth/change-email/change"
#define REVERT	"/auth/change-email/revert"

static const struct wd_page page = {
	CHANGE, "Confirm your new email address", "Confirm", 0, 0, NULL
};

static const struct wd_page revert_page = {
	REVERT, "Keep your email address and secure your account",
	"Undo the change", 0, 0, NULL
};

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/change-email/request", "POST", wd_dialect_hbp2,
	    wd_op_email_request),
	WD_ACCT_ROUTE("/actions/request_email_change", "POST",
	    wd_dialect_action, wd_op_email_request),
	{ CHANGE, "GET HEAD", wd_page_serve, &page },
	WD_ACCT_ROUTE(CHANGE, "POST", wd_dialect_hbp2, wd_op_email_confirm),
	WD_ACCT_ROUTE("/actions/confirm_email_change", "POST",
	    wd_dialect_action, wd_op_email_confirm),
	{ REVERT, "GET HEAD", wd_page_serve, &revert_page },
	WD_ACCT_ROUTE(REVERT, "POST", wd_dialect_hbp2, wd_op_email_revert),
	WD_ACCT_ROUTE("/actions/revert_email_change", "POST",
	    wd_dialect_action, wd_op_email_revert),
	WD_ACCT_ROUTE("/auth/change-email", "POST", wd_dialect_hbp2,
	    wd_op_email_direct),
	WD_ACCT_ROUTE("/actions/change_email", "POST", wd_dialect_action,
	    wd_op_email_direct),
};

int
main(void)
{
	return wd_svc_main("warden-email", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
