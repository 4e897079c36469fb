/*
 * wd_page.h: the small HTML pages behind emailed links (API.md §5,
 * issue #9). Mail scanners and link previews follow links, so a GET of a
 * link changes nothing: it answers a page whose form POSTs the ticket to
 * the same path, where the operation runs (wd_dialect, WD_OP_LINK).
 */
#ifndef WD_PAGE_H
#define WD_PAGE_H

#include "wd_err.h"
#include "wd_http.h"

struct wd_page {
	const char	*path;		/* where the form posts: the route */
	const char	*title;		/* "Activate your account" */
	const char	*button;	/* "Activate" */
	int		 password;	/* the form asks for a new password */
	int		 redirects;	/* the form's answer may redirect to
					 * WARDEN_REDIRECT_URL_* (activation):
					 * the CSP lets the form go there */
	const struct wd_bind *api;	/* or NULL: what an API client's GET
					 * (wd_http_wants_json) runs instead
					 * of seeing the page */
};

struct wd_bind;

/*
 * The wd_route handler of a link's GET (arg: its struct wd_page; ctx: the
 * binary's struct wd_svc): for an API client, the page's api operation
 * when it has one (wd_dialect_serve); otherwise a page
 * with the form when ?ticket= is a well-formed ticket, else a 400 page.
 * Changes nothing, reads no database. Always answers.
 */
enum wd_err	wd_page_serve(void *ctx, struct wd_req *rq, const void *arg);

/* The page answering a submitted form: done, or why not (msg may be
 * NULL for rc's default message). */
void		wd_page_result(struct wd_req *rq, enum wd_err rc,
		    const char *msg);

#endif
