/*
 * wd_page.c: link pages. Trust boundary: the ticket comes from the URL;
 * it is shown only after it checked out as a UUID, and everything put in
 * the page is HTML-escaped anyway. The pages load nothing, run nothing
 * and may not be framed (CSP), and the URL with its ticket is not sent
 * on as a Referer.
 */
#include <string.h>

#include "wd_buf.h"
#include "wd_dialect.h"
#include "wd_page.h"
#include "wd_rand.h"
#include "wd_svc.h"

#define PAGE_MAX	8192

static void
esc(struct wd_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			wd_buf_adds(b, "&lt;");
			break;
		case '>':
			wd_buf_adds(b, "&gt;");
			break;
		case '&':
			wd_buf_adds(b, "&amp;");
			break;
		case '"':
			wd_buf_adds(b, "&quot;");
			break;
		case '\'':
			wd_buf_adds(b, "&#39;");
			break;
		default:
			wd_buf_add(b, s, 1);
			break;
		}
	}
}

static void
head(struct wd_buf *b, const char *title)
{
	wd_buf_adds(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	esc(b, title);
	wd_buf_adds(b, "</title></head><body><h1>");
	esc(b, title);
	wd_buf_adds(b, "</h1>");
}

/* form: the form-action sources ("'self'", or more where the form's
 * answer redirects) */
static void
send_page(struct wd_req *rq, int status, struct wd_buf *b, const char *form)
{
	struct wd_hdrs	 h;
	char		 csp[WD_SVC_FORM_ACTION + 128];

	wd_buf_adds(b, "</body></html>\n");
	wd_hdrs_init(&h);
	snprintf(csp, sizeof(csp), "default-src 'none'; style-src "
	    "'unsafe-inline'; form-action %s; frame-ancestors 'none'; "
	    "base-uri 'none'", form);
	wd_hdrs_add(&h, "Content-Security-Policy", csp);
	wd_hdrs_add(&h, "Referrer-Policy", "no-referrer");
	wd_hdrs_add(&h, "X-Content-Type-Options", "nosniff");
	if (wd_buf_status(b) != WD_OK) {
		wd_http_error(rq, WD_E_INTERNAL, NULL);
		return;
	}
	wd_http_send(rq, status, &h, "text/html; charset=utf-8", b->p, b->len);
}

enum wd_err
wd_page_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	const struct wd_page	*pg = arg;
	const struct wd_svc	*s = ctx;
	const char		*form = pg->redirects ? s->form_action :
				    "'self'";
	struct wd_buf		 b;
	char			 t[WD_UUID_LEN + 2];
	int			 ok;

	if (pg->api != NULL && strcmp(rq->method, "GET") == 0 &&
	    wd_http_wants_json(rq))
		return wd_dialect_serve(ctx, rq, pg->api);
	wd_buf_init(&b, PAGE_MAX);
	ok = wd_http_query(rq, "ticket", t, sizeof(t)) == WD_OK &&
	    wd_is_uuid(t, strlen(t));
	head(&b, pg->title);
	if (!ok) {
		wd_buf_adds(&b, "<p>This link is not valid.</p>");
		send_page(rq, 400, &b, form);
		goto out;
	}
	wd_buf_adds(&b, "<form method=\"post\" action=\"");
	esc(&b, pg->path);
	wd_buf_adds(&b, "\"><input type=\"hidden\" name=\"ticket\" value=\"");
	esc(&b, t);
	wd_buf_adds(&b, "\">");
	if (pg->password)
		wd_buf_adds(&b, "<p><label>New password <input "
		    "type=\"password\" name=\"new_password\" required "
		    "autocomplete=\"new-password\"></label></p>");
	wd_buf_adds(&b, "<p><button type=\"submit\">");
	esc(&b, pg->button);
	wd_buf_adds(&b, "</button></p></form>");
	send_page(rq, 200, &b, form);
out:
	wd_buf_cleanup(&b);
	return WD_OK;
}

void
wd_page_result(struct wd_req *rq, enum wd_err rc, const char *msg)
{
	const struct wd_errinfo	*ei = wd_err_info(rc);
	struct wd_buf		 b;

	wd_buf_init(&b, PAGE_MAX);
	head(&b, rc == WD_OK ? "Done" : "That did not work");
	wd_buf_adds(&b, "<p>");
	esc(&b, rc == WD_OK ? "You may close this page." :
	    msg != NULL ? msg : ei->message);
	wd_buf_adds(&b, "</p>");
	send_page(rq, rc == WD_OK ? 200 : ei->status, &b, "'self'");
	wd_buf_cleanup(&b);
}
