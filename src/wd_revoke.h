/*
 * wd_revoke.h: the webhook's view of revoked sessions. A set of revoked
 * sids (with the time until which each matters) loaded from
 * auth.revoked_sessions, then kept current from NOTIFY warden_revoked on
 * the process's one persistent connection (sql/002). A lookup costs no
 * query: at most one non-blocking read of pending notifications every
 * WD_REVOKE_POLL_MS.
 *
 * A broken connection is re-opened (and the set reloaded) at once. While
 * the feed has been down for more than WD_REVOKE_GRACE_S, every token
 * that names a session is treated as revoked (fail closed: the promise
 * is "revoked within a second"); tokens without a sid are unaffected.
 */
#ifndef WD_REVOKE_H
#define WD_REVOKE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wd_db.h"
#include "wd_err.h"

#define WD_REVOKE_POLL_MS	20
#define WD_REVOKE_RETRY_S	1
#define WD_REVOKE_GRACE_S	1

struct wd_revoke_ent;

struct wd_revoke {
	struct wd_db		 db;
	int			 live;		/* LISTENing, set loaded */
	time_t			 next_try;	/* reconnect not before */
	time_t			 down_since;	/* 0 while live */
	int64_t			 last_poll_ms;
	struct wd_revoke_ent	*tab;		/* open addressing */
	size_t			 cap, n;
};

/* Initialises r for url (checked) and tries to connect and load the set
 * now; if the database is down, the first checks retry. WD_E_CONFIG with
 * one line in err on a bad URL. */
enum wd_err	wd_revoke_init(struct wd_revoke *r, const char *url,
		    char *err, size_t errsz);
void		wd_revoke_cleanup(struct wd_revoke *r);

/*
 * 1 if sid is revoked, else 0. Signature fits wd_hook.revoked (arg is
 * the struct wd_revoke). Refreshes the set first when due.
 */
int		wd_revoke_check(void *arg, const char *sid);

/* Adds sid revoked until exp (epoch seconds). Exposed for unit tests. */
void		wd_revoke_add(struct wd_revoke *r, const char *sid,
		    int64_t exp);

#endif
