/*
 * wd_throttle.h: throttles that never become a lock-out (API.md §5.1,
 * issue #10). Counters live in PostgreSQL (auth.throttle), so every
 * process and host shares them: one row per bucket (sha256 of what is
 * counted) and fixed window. What is counted is the caller's business:
 * a route and an address, an account and an address, an address alone.
 */
#ifndef WD_THROTTLE_H
#define WD_THROTTLE_H

#include "wd_db.h"
#include "wd_err.h"

#define WD_THROTTLE_FAIL_WINDOW	900	/* failures: 15 minutes */
#define WD_THROTTLE_RATE_WINDOW	60	/* requests: one minute */
#define WD_THROTTLE_MAX_KEY	1200	/* a bucket's text: route, email,
					 * address */

/*
 * Counts one event in bucket key for the current window of window
 * seconds. With limit > 0, WD_E_RATELIMIT when the count is now over
 * limit, *retry the seconds until the window ends. WD_E_DBDOWN, or
 * another database error, when it could not be counted.
 */
enum wd_err	wd_throttle_hit(struct wd_db *db, const char *key,
		    long window, long limit, long *retry);

/*
 * Checks bucket key without counting: WD_E_RATELIMIT (with *retry) when
 * limit events are already counted in the current window and the one
 * before it together, so that at most limit pass in any span of window
 * seconds; *retry says when the count allows one again.
 */
enum wd_err	wd_throttle_over(struct wd_db *db, const char *key,
		    long window, long limit, long *retry);

/*
 * Counts one event in bucket key and checks the count in one statement:
 * WD_E_RATELIMIT when this window's and the one before it together now
 * hold more than limit, the refused events counted too (so that events
 * sent together cannot all read the count before any adds to it, and
 * whoever goes on stays shut out); *retry then says when one more would
 * pass if none came before it. WD_E_DBDOWN, or another database error,
 * when it could not be counted.
 */
enum wd_err	wd_throttle_take(struct wd_db *db, const char *key,
		    long window, long limit, long *retry);

#endif
