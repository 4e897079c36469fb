/*
 * activate: the activation link. GET /auth/activate?ticket= only shows a
 * page whose form POSTs the ticket (mail scanners follow links); POST
 * /auth/activate (that form, or JSON) and /actions/activate activate.
 * The operation is wd_op_activate (src/wd_api.c).
 */
#include "wd_dialect.h"
#include "wd_page.h"

/* an API client's GET (nhost-js-sdk's auth.activate) activates, as
 * HBP's did; a browser or a link previewer is shown the page */
static const struct wd_bind api_get = { &wd_dialect_hbp2, &wd_op_activate };

static const struct wd_page page = {
	"/auth/activate", "Activate your account", "Activate", 0, 1,
	&api_get
};

static const struct wd_route routes[] = {
	{ "/auth/activate", "GET HEAD", wd_page_serve, &page },
	WD_ACCT_ROUTE("/auth/activate", "POST", wd_dialect_hbp2,
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
