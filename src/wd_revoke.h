/*
 * wd_revoke.h: the view of revoked sessions shared by the webhook and
 * storage. A set of revoked sids (with the time until which each
 * matters) loaded from auth.revoked_sessions, then kept current from
 * NOTIFY warden_revoked (sql/002).
 *
 * The feed runs outside the request path: one thread per process owns
 * its own PostgreSQL connection (non-blocking libpq) and does everything
 * that can wait: connect, LISTEN, load the set, read notifications, send
 * a heartbeat every WD_REVOKE_BEAT_MS, reconnect with a backoff of at
 * most WD_REVOKE_RETRY_MAX_MS. It records the last time the feed was
 * known good: when a heartbeat sent then was answered (every revocation
 * committed before it has reached us by then) or a load started. A
 * lookup only takes a lock, probes the set and reads that time.
 *
 * While the feed has not been known good for more than
 * WD_REVOKE_GRACE_MS, a lookup answers WD_E_REVOKEUNAVAIL (503): the
 * promise is "revoked within a second", and not knowing is not a logout.
 * A sid already in the set stays WD_E_REVOKED.
 */
#ifndef WD_REVOKE_H
#define WD_REVOKE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"

#define WD_REVOKE_GRACE_MS	1000	/* the promise: revoked within 1 s */
#define WD_REVOKE_BEAT_MS	250	/* heartbeat period: staleness of a
					 * healthy feed stays well under the
					 * grace */
#define WD_REVOKE_BEAT_WAIT_MS	2000	/* a heartbeat not answered by then:
					 * the connection is abandoned */
#define WD_REVOKE_CONNECT_MS	3000	/* one connection attempt */
#define WD_REVOKE_LOAD_MS	5000	/* LISTEN and the initial load */
#define WD_REVOKE_RETRY_MIN_MS	50	/* backoff between attempts, doubled */
#define WD_REVOKE_RETRY_MAX_MS	250	/* up to this: back within a second
					 * of the database's return */
#define WD_REVOKE_START_MS	1000	/* init waits this long at most for
					 * the first attempt */
#define WD_REVOKE_BATCH		256	/* notified sids looked up in one
					 * query; past that the whole set
					 * is loaded again (a flood costs
					 * one query) */
#define WD_REVOKE_MAX_SECS	(2 * 86400)	/* an entry's longest life:
					 * a token lives at most 1440 min
					 * + 3600 s of skew */

struct wd_revoke_ent;

struct wd_revoke {
	char			*url;		/* owned; wiped (may hold a
						 * password) */
	pthread_mutex_t		 mu;		/* guards everything below */
	pthread_cond_t		 cv;		/* the first attempt ended */
	int			 inited;	/* mu and cv exist */
	int			 tried;		/* first attempt ended */
	int			 stop;		/* cleanup: the feed ends */
	int64_t			 good_ms;	/* CLOCK_MONOTONIC ms when the
						 * feed was last known good;
						 * 0 never */
	struct wd_revoke_ent	*tab;		/* open addressing */
	size_t			 cap, n;
	/* the feed thread's own */
	pthread_t		 thr;
	int			 running;	/* thr started */
	int			 wake[2];	/* cleanup writes, feed polls */
};

/*
 * Checks url (a libpq connection string), starts the feed thread and
 * waits up to WD_REVOKE_START_MS for its first connect-and-load attempt.
 * If the database is down, start-up goes on: lookups answer
 * WD_E_REVOKEUNAVAIL until the feed comes up. WD_E_CONFIG with one line
 * in err (never the URL) on a bad URL; WD_E_INTERNAL when the thread
 * cannot start. r is zeroed first; call wd_revoke_cleanup in every case.
 */
enum wd_err	wd_revoke_init(struct wd_revoke *r, const char *url,
		    char *err, size_t errsz);

/* Stops and joins the feed, closes its connection, frees the set and
 * wipes the URL. r may be zeroed. */
void		wd_revoke_cleanup(struct wd_revoke *r);

/*
 * The lookup, for wd_hook.revoked and wd_storage.revoked (arg is the
 * struct wd_revoke). Never blocks on the database. Returns WD_OK (not
 * revoked, and the feed was good within WD_REVOKE_GRACE_MS),
 * WD_E_REVOKED (sid is in the set) or WD_E_REVOKEUNAVAIL (the feed has
 * not been good for longer than that, or never was).
 */
enum wd_err	wd_revoke_check(void *arg, const char *sid);

/*
 * Adds sid (a UUID; anything else is ignored) revoked until exp (epoch
 * seconds). Used by the feed; exposed for unit tests. r must have been
 * through wd_revoke_init or wd_revoke_init_local.
 */
void		wd_revoke_add(struct wd_revoke *r, const char *sid,
		    int64_t exp);

/*
 * Records that the feed was known good at mono_ms (CLOCK_MONOTONIC
 * milliseconds; wd_revoke_now_ms). Used by the feed; exposed for tests.
 */
void		wd_revoke_mark_good(struct wd_revoke *r, int64_t mono_ms);
int64_t		wd_revoke_now_ms(void);

/* Sets r up without a feed (unit tests): an empty set never known good.
 * Clean up with wd_revoke_cleanup. */
void		wd_revoke_init_local(struct wd_revoke *r);

#endif
