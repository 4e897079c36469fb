/*
 * wd_outbox.c: queueing mail (see wd_outbox.h). The variables become a
 * JSON object built here with wd_json_add_str (every byte escaped), sent
 * as a parameter, never spliced into SQL; the buffer holding it (with
 * the clear ticket) is wiped before it is freed.
 */
#include <string.h>

#include "wd_buf.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_mail.h"
#include "wd_outbox.h"

/* A JSON string escapes a byte to at most 6 ("\u00XX"). */
#define VARS_MAX	(WD_MAX_MAIL_VARS * \
		    (6 * (WD_MAX_MAIL_NAME + WD_MAX_MAIL_VALUE) + 8) + 2)

enum wd_err
wd_outbox_add(struct wd_db *db, const char *tmpl, const char *rcpt,
    const char *const *names, const char *const *values, size_t n)
{
	enum wd_err	 rc = WD_E_INTERNAL;
	struct wd_buf	 js;
	const char	*p[3];
	size_t		 i;

	wd_buf_init(&js, VARS_MAX);
	if (!db->in_tx || !wd_mail_tmpl_ok(tmpl) || !wd_mail_addr_ok(rcpt) ||
	    n > WD_MAX_MAIL_VARS) {
		wd_log(NULL, WD_LOG_ERR, "outbox", "add refused: no open "
		    "transaction or bad template, recipient or count");
		goto out;
	}
	rc = wd_buf_add(&js, "{", 1);
	for (i = 0; i < n && rc == WD_OK; i++) {
		if (strlen(names[i]) > WD_MAX_MAIL_NAME ||
		    strlen(values[i]) > WD_MAX_MAIL_VALUE) {
			rc = WD_E_TOOBIG;
			break;
		}
		if (i > 0)
			rc = wd_buf_add(&js, ",", 1);
		if (rc == WD_OK)
			rc = wd_json_add_str(&js, names[i], strlen(names[i]));
		if (rc == WD_OK)
			rc = wd_buf_add(&js, ":", 1);
		if (rc == WD_OK)
			rc = wd_json_add_str(&js, values[i], strlen(values[i]));
	}
	if (rc == WD_OK)
		rc = wd_buf_add(&js, "}", 1);
	if (rc != WD_OK) {
		wd_log(NULL, WD_LOG_ERR, "outbox", "add refused: variables "
		    "too long template=%s", tmpl);
		rc = WD_E_INTERNAL;
		goto out;
	}
	p[0] = tmpl;
	p[1] = rcpt;
	p[2] = wd_buf_str(&js);
	rc = wd_db_exec(db, "INSERT INTO auth.outbox (template, recipient, "
	    "vars) VALUES ($1, $2, $3::jsonb)", 3, p, NULL);
out:
	if (js.p != NULL)
		explicit_bzero(js.p, js.cap);
	wd_buf_cleanup(&js);
	return rc;
}
