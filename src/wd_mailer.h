/*
 * wd_mailer.h: the mailer (cgi-bin/mailer), a long-running process that
 * delivers what requests queued in auth.outbox (wd_outbox). It LISTENs
 * on warden_outbox, claims due rows one at a time (FOR UPDATE SKIP
 * LOCKED: two mailers never send one row), renders the row's template
 * (read from WARDEN_MAIL_TEMPLATES at each send, so an edit applies to
 * the next mail), sends it through the relay (wd_smtp) and, in the same
 * transaction, marks the row sent and wipes its variables, or records
 * the kind of failure and the time of the next attempt (exponential
 * backoff from WARDEN_MAIL_RETRY_MIN to WARDEN_MAIL_RETRY_MAX seconds).
 * It also looks every WD_MAILER_POLL_S seconds in case a notification
 * was missed, and reconnects to PostgreSQL when it goes away.
 *
 * Delivery is at least once: a mailer killed after the relay accepted a
 * message but before its COMMIT sends it again; the Message-ID
 * (outbox.<id>.<created>@<sender domain>) makes such a duplicate
 * recognisable.
 */
#ifndef WD_MAILER_H
#define WD_MAILER_H

#include <signal.h>
#include <stddef.h>

#include "wd_cfg.h"
#include "wd_db.h"
#include "wd_err.h"

#define WD_MAILER_POLL_S	30	/* look without a NOTIFY this often */
#define WD_MAILER_BATCH		100	/* rows per round before waiting */
#define WD_MAILER_GIVE_UP_S	(8 * 86400)	/* an unsent row older than
					 * this (the longest ticket, a
					 * revert's, lives 7 days) is given
					 * up: its variables, clear tickets
					 * included, go */

struct wd_mailer {
	const struct wd_cfg	*cfg;		/* borrowed */
	struct wd_db		 db;
	const char		*tdir;		/* templates, borrowed */
	const char		*from;		/* sender, borrowed */
	const char		*domain;	/* of the sender, in from */
	long			 retry_min;	/* seconds */
	long			 retry_max;
};

/*
 * Sets m up from cfg (checked by wd_cfg_init for WD_BIN_MAILER; cfg must
 * outlive m): the database URL, a plain sender address, a readable
 * templates directory. Does not connect. WD_E_CONFIG with one line in
 * err on a bad value. The caller calls wd_mailer_cleanup in every case.
 */
enum wd_err	wd_mailer_init(struct wd_mailer *m, const struct wd_cfg *cfg,
		    char *err, size_t errsz);
void		wd_mailer_cleanup(struct wd_mailer *m);

/*
 * Delivers every row that is due (at most WD_MAILER_BATCH) and sets
 * *wait_ms to the time until the next row falls due (capped at
 * WD_MAILER_POLL_S; 0 when the batch was full). WD_OK, or WD_E_DBDOWN
 * when the database went away (the caller listens again).
 */
enum wd_err	wd_mailer_round(struct wd_mailer *m, int *wait_ms);

/*
 * The loop: listen, deliver, wait for a notification or the next due
 * row, until *stop becomes non-zero (a signal handler sets it; a mail
 * being sent is finished and recorded first). Returns the process exit
 * status (0).
 */
int		wd_mailer_run(struct wd_mailer *m,
		    volatile sig_atomic_t *stop);

/*
 * The delay before attempt attempts + 1 after attempts failed ones
 * (attempts >= 1): min * 2^(attempts - 1) seconds, at most max (and
 * never below min).
 */
long		wd_mailer_backoff(long min, long max, int attempts);

#endif
