/*
 * wd_throttle.c: fixed-window counters in PostgreSQL. A bucket is stored
 * as sha256 of its text, so the table holds no email or address in
 * clear. Every new window row now and then sweeps windows older than an
 * hour, so the table stays small without a job of its own.
 *
 * A check (wd_throttle_over, the failure limits) counts the previous
 * window too: a fixed window alone let limit failures through at the end
 * of one window and limit more at the start of the next, twice the
 * limit within seconds. Refusing once the two windows hold limit lets at
 * most limit through in any span of one window's length: such a span
 * lies within two consecutive windows, and each admission saw them both.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wd_rand.h"
#include "wd_throttle.h"

#define WINDOW	"to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)"
#define PREV	"to_timestamp((floor(extract(epoch FROM now()) / $2) - 1) * $2)"
/* bucket $1, as stored */
#define BUCKET	"sha256(convert_to($1, 'UTF8'))"
/* counts one event in bucket $1's current window */
#define UPSERT	"INSERT INTO auth.throttle AS t (bucket, window_start, " \
		"hits) VALUES (" BUCKET ", " WINDOW \
		", 1) ON CONFLICT (bucket, window_start) DO UPDATE SET " \
		"hits = t.hits + 1 RETURNING hits"
#define LEFT	"GREATEST(1, ceil(floor(extract(epoch FROM now()) / $2) * " \
		"$2 + $2 - extract(epoch FROM now())))::bigint"

static void
sweep(struct wd_db *db)
{
	unsigned char	 r = 0;

	if (wd_rand_bytes(&r, 1) != WD_OK || r % 64 != 0)
		return;
	(void)wd_db_exec(db, "DELETE FROM auth.throttle WHERE window_start < "
	    "now() - interval '1 hour'", 0, NULL, NULL);
}

/*
 * Runs sql with $1 the bucket's key and $2 the window in seconds: a read
 * (wd_db_read, retried on a fresh connection) or a count (wd_db_exec),
 * whose row starts with the window's hits; the first hit of a window now
 * and then sweeps old ones.
 */
static enum wd_err
query(struct wd_db *db, int count, const char *sql, const char *key,
    long window, struct wd_dbres **res)
{
	char		 w[24];
	const char	*p[2] = { key, w };
	enum wd_err	 rc;

	snprintf(w, sizeof(w), "%ld", window);
	if (!count)
		return wd_db_read(db, sql, 2, p, res);
	rc = wd_db_exec(db, sql, 2, p, res);
	if (rc == WD_OK && wd_db_rows(*res) == 1 &&
	    strtol(wd_db_val(*res, 0, 0), NULL, 10) == 1)
		sweep(db);
	return rc;
}

/* A counted event's verdict: over limit once this one is counted. */
static enum wd_err
verdict(struct wd_dbres *res, long limit, long *retry)
{
	long	 hits = strtol(wd_db_val(res, 0, 0), NULL, 10);

	*retry = strtol(wd_db_val(res, 0, 1), NULL, 10);
	if (limit > 0 && hits > limit)
		return WD_E_RATELIMIT;
	return WD_OK;
}

/*
 * Runs sql (as query does), whose row holds (this window's hits, seconds
 * left in it, the hits of this window and the one before):
 * WD_E_RATELIMIT when the two together reach at, *retry the seconds
 * until one more would pass under limit if none came before it.
 */
static enum wd_err
pair_check(struct wd_db *db, int count, const char *sql, const char *key,
    long window, long at, long limit, long *retry)
{
	struct wd_dbres	*res = NULL;
	long		 cur, both;
	enum wd_err	 rc;

	*retry = 0;
	rc = query(db, count, sql, key, window, &res);
	if (rc == WD_OK && wd_db_rows(res) == 1) {
		cur = strtol(wd_db_val(res, 0, 0), NULL, 10);
		both = strtol(wd_db_val(res, 0, 2), NULL, 10);
		if (at > 0 && both >= at) {
			/* this window's count alone keeps the next one
			 * shut */
			*retry = strtol(wd_db_val(res, 0, 1), NULL, 10) +
			    (cur >= limit ? window : 0);
			rc = WD_E_RATELIMIT;
		}
	}
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_throttle_hit(struct wd_db *db, const char *key, long window, long limit,
    long *retry)
{
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	*retry = 0;
	rc = query(db, 1, UPSERT ", " LEFT, key, window, &res);
	if (rc == WD_OK && wd_db_rows(res) == 1)
		rc = verdict(res, limit, retry);
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_throttle_over(struct wd_db *db, const char *key, long window,
    long limit, long *retry)
{
	return pair_check(db, 0, "SELECT COALESCE(sum(hits) FILTER (WHERE "
	    "window_start = " WINDOW "), 0), " LEFT ", COALESCE(sum(hits), 0) "
	    "FROM auth.throttle WHERE bucket = " BUCKET " "
	    "AND window_start IN (" WINDOW ", " PREV ")", key, window, limit,
	    limit, retry);
}

enum wd_err
wd_throttle_take(struct wd_db *db, const char *key, long window,
    long limit, long *retry)
{
	/* the refused ones counted too: limit pass, the next is refused */
	return pair_check(db, 1, "WITH h AS (" UPSERT ") SELECT h.hits, "
	    LEFT ", h.hits + COALESCE((SELECT hits FROM auth.throttle WHERE "
	    "bucket = " BUCKET " AND window_start = " PREV "), 0) FROM h",
	    key, window, limit + 1, limit, retry);
}
