/*
 * wd_db.h: the database layer. The only module (with the revocation
 * listener, which needs a raw connection to LISTEN on) that calls libpq:
 * one persistent PostgreSQL connection per process, parameterised
 * statements, transactions, SQLSTATE to error mapping and the log line
 * that names the SQLSTATE and constraint.
 *
 * Replay rule: a statement that may have reached the server is never
 * sent again. A connection is probed before anything is sent on it (a
 * backend that was terminated while we were idle has said so by then),
 * and only reads (wd_db_read, wd_db_begin) are retried on a fresh
 * connection after a failure. A write or COMMIT that loses its
 * connection answers WD_E_DBDOWN and the caller decides what the outcome
 * was (wd_storage re-reads the row; account transactions answer 503).
 */
#ifndef WD_DB_H
#define WD_DB_H

#include <stddef.h>
#include <libpq-fe.h>

#include "wd_err.h"

/* statements prepared on the current connection, by their text */
#define WD_DB_STMTS	64

struct wd_db {
	PGconn	*conn;	/* owned; NULL until first use */
	char	*stmts[WD_DB_STMTS];	/* owned copies; slot i is "wd_<i>" */
	int	 nstmts;	/* slots used on conn (cleared with it) */
	int	 stale;	/* a prepared plan went stale inside a transaction:
			 * dropped all at its end */
	char	*url;	/* owned; wiped on cleanup (may hold a password) */
	int	 in_tx;	/* between wd_db_begin and wd_db_end */
	int	 listening;	/* wd_db_listen ran on conn (reset when a
				 * new connection replaces it) */
	unsigned nlocks;	/* session-level locks held on conn: while
				 * any is, conn is never replaced */
	/* set by a user of wd_db_settle before its first statement: each
	 * new connection's session is then named (one query); others
	 * never pay for it */
	int	 settles;
	/* the server session of conn: its process and start time, ""
	 * when unknown (not named, or behind a pooler, where the process
	 * is not ours alone) */
	char	 pid[16];
	char	 started[48];
	/* the session that lost a write's answer (wd_db_settle): lost is
	 * set until settled or the next write starts */
	int	 lost;
	char	 lost_pid[16];
	char	 lost_started[48];
};

/* The rows of one statement: opaque, read through the accessors below,
 * freed with wd_db_free. */
struct wd_dbres;

/*
 * Checks that url parses as a libpq connection string (so a typo stops
 * the binary at start) and stores it. Does not connect. WD_E_CONFIG with
 * one line in err (never the URL itself) on a bad URL.
 */
enum wd_err	wd_db_init(struct wd_db *db, const char *url, char *err,
		    size_t errsz);

/* wd_db_init's check alone (the revocation feed keeps its own
 * connection): WD_E_CONFIG with one line in err on a bad or NULL url. */
enum wd_err	wd_db_url_check(const char *url, char *err, size_t errsz);
void		wd_db_cleanup(struct wd_db *db);

/*
 * A live connection outside any transaction, probed and (re)connected as
 * needed, or NULL when the server cannot be reached. Borrowed from db.
 * For the revocation listener only (LISTEN needs the raw connection);
 * everything else goes through the calls below.
 */
PGconn		*wd_db_conn(struct wd_db *db);

/* Runs "SELECT 1" (retried once on a fresh connection). WD_OK or
 * WD_E_DBDOWN. */
enum wd_err	wd_db_ping(struct wd_db *db);

/*
 * Runs one parameterised statement (text parameters, NULL = SQL NULL)
 * that changes nothing, so it may be retried once on a fresh connection
 * when the connection broke. *res (may be NULL to discard) is set only
 * on WD_OK; free it with wd_db_free. Errors: WD_E_DBDOWN (unreachable),
 * WD_E_CONFLICT (unique violation), WD_E_BADREQ (a data error or check
 * violation: the client's values), WD_E_INTERNAL (anything else, logged
 * with its SQLSTATE and constraint, never its parameters).
 */
enum wd_err	wd_db_read(struct wd_db *db, const char *sql, int nparams,
		    const char *const *params, struct wd_dbres **res);

/*
 * Same for a statement that may change rows, outside a transaction
 * (it commits by itself) or inside the one wd_db_begin opened. Never
 * replayed: WD_E_DBDOWN after sending means the outcome is unknown.
 */
enum wd_err	wd_db_exec(struct wd_db *db, const char *sql, int nparams,
		    const char *const *params, struct wd_dbres **res);

/*
 * Opens a transaction (BEGIN is retried on a fresh connection: it
 * changes nothing). A transaction a failed request left open is rolled
 * back first. Every wd_db_begin that returns WD_OK is paired with
 * wd_db_end.
 */
enum wd_err	wd_db_begin(struct wd_db *db);

/*
 * Ends the transaction: COMMIT when rc is WD_OK (returning the commit's
 * outcome: WD_E_DBDOWN when the answer was lost, so the commit may or
 * may not have happened), else ROLLBACK (returning rc). A no-op
 * returning rc when no transaction is open.
 */
enum wd_err	wd_db_end(struct wd_db *db, enum wd_err rc);

/*
 * LISTEN on channel ([a-z_][a-z0-9_]{0,62}, else WD_E_INTERNAL) on db's
 * connection, (re)connecting as needed, outside any transaction. The
 * caller then looks for the work the notifications announce (one may
 * have come before the LISTEN). WD_E_DBDOWN when the server cannot be
 * reached.
 */
enum wd_err	wd_db_listen(struct wd_db *db, const char *channel);

/*
 * Waits at most timeout_ms (0: just looks) for notifications on the
 * connection wd_db_listen set up, and consumes them; *notified (may be
 * NULL) is the number received (payloads are not returned: a listener
 * rescans its table). A signal ends the wait early with WD_OK.
 * WD_E_DBDOWN when there is no LISTEN any more: the connection broke, or
 * a statement since has replaced it with a new one (notifications may
 * have been missed); the caller calls wd_db_listen again and rescans.
 * Outside a transaction only (WD_E_INTERNAL otherwise).
 */
enum wd_err	wd_db_wait(struct wd_db *db, int timeout_ms, int *notified);

/*
 * After a write answered WD_E_DBDOWN (its connection broke with the
 * statement or COMMIT sent: it may or may not have committed), makes
 * the outcome final before the caller reads it on a new session: the
 * old session's server process may still be running the write (or about
 * to receive it), so it is ended (pg_terminate_backend, waiting up to
 * WD_DB_SETTLE_MS) and must be gone. The session is named by process
 * and start time, so a later process with the same pid is never
 * touched. What a read sees afterwards is then what happened. WD_OK
 * when no write is in doubt (none was lost since the last write began)
 * or its session is gone; WD_E_DBDOWN when that cannot be known, also
 * whenever the session could not be named (a pooler such as PgBouncer
 * between us and the server: the caller then keeps what it cannot
 * prove unused), and when db->settles was not set before the write's
 * connection was made. Needs PostgreSQL 14 or later.
 */
#define WD_DB_SETTLE_MS	5000
enum wd_err	wd_db_settle(struct wd_db *db);

/*
 * Session-level advisory locks, for work that outlives a transaction (a
 * storage upload, issue #11): pg_try_advisory_lock on
 * hashtextextended(name, 0). Such a lock lives exactly as long as the
 * server session that took it, so while any is held the connection is
 * pinned: a statement that finds it broken fails with WD_E_DBDOWN
 * instead of running on a new session (which would not hold the lock),
 * and no read is retried. Whoever saw the lock held can then rely on the
 * holder's later statements having run under it, or not at all.
 *
 * wd_db_trylock: WD_OK with *got = 1 when taken (pair it with
 * wd_db_unlock), *got = 0 when another session holds it (or a name
 * hashing alike: callers treat it as busy); WD_E_DBDOWN.
 */
enum wd_err	wd_db_trylock(struct wd_db *db, const char *name, int *got);

/*
 * Releases a lock wd_db_trylock took and unpins the connection once none
 * is left. Always succeeds in the sense that the lock is gone afterwards:
 * if the connection broke, it went with the session, and if the release
 * itself fails, the connection is closed so the server drops it.
 */
void		wd_db_unlock(struct wd_db *db, const char *name);

/* Accessors; row and col must be in range. Values are borrowed from r. */
int		wd_db_rows(const struct wd_dbres *r);
const char	*wd_db_val(const struct wd_dbres *r, int row, int col);
int		wd_db_null(const struct wd_dbres *r, int row, int col);
/* 1 when the value is PostgreSQL's boolean true ("t"). */
int		wd_db_bool(const struct wd_dbres *r, int row, int col);
/* Rows an INSERT/UPDATE/DELETE touched. */
long		wd_db_affected(struct wd_dbres *r);
void		wd_db_free(struct wd_dbres *r);

#endif
