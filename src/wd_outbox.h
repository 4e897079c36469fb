/*
 * wd_outbox.h: mail from request code. A request never talks to SMTP: it
 * adds a row to auth.outbox in its own transaction, and the mailer
 * (cgi-bin/mailer, wd_mailer) delivers it after COMMIT. So a committed
 * change always has its mail (retried until the relay takes it) and a
 * rolled-back one never has; registration neither waits for nor fails
 * with the relay.
 */
#ifndef WD_OUTBOX_H
#define WD_OUTBOX_H

#include <stddef.h>

#include "wd_db.h"
#include "wd_err.h"

/* The channel the insert trigger notifies (sql/005_outbox.sql). */
#define WD_OUTBOX_CHANNEL	"warden_outbox"

/*
 * Queues the mail of template tmpl (templates/<tmpl>.txt, a name as
 * wd_mail_tmpl_ok) for rcpt (an address as wd_mail_addr_ok: a
 * normalised email passes) with n variables names[i] = values[i]
 * (names as the template's placeholders; at most WD_MAX_MAIL_VARS,
 * values at most WD_MAX_MAIL_VALUE bytes). Runs one INSERT through
 * wd_db_exec inside the transaction the caller opened with wd_db_begin,
 * so the row commits or rolls back with the caller's work; outside a
 * transaction it refuses (WD_E_INTERNAL) rather than send mail for a
 * change that may not happen. The values (a ticket) are kept in the
 * row only until the mail is sent; nothing here logs them. Copies what
 * it needs: the caller keeps ownership of every argument.
 *
 * Returns WD_OK; WD_E_INTERNAL for arguments outside the contract
 * above (logged, without values); else wd_db_exec's error.
 */
enum wd_err	wd_outbox_add(struct wd_db *db, const char *tmpl,
		    const char *rcpt, const char *const *names,
		    const char *const *values, size_t n);

#endif
