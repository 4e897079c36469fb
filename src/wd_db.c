/*
 * wd_db.c: the database layer. The URL may carry a password, so it is
 * never logged; libpq's error text may echo host names, which is fine,
 * but never parameters, and of a failed statement only its SQLSTATE and
 * constraint are logged (the DETAIL can quote the row, hashes included).
 */
#define _GNU_SOURCE		/* program_invocation_short_name */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wd_db.h"
#include "wd_log.h"
#include "wd_mem.h"

/* libpq's result, under our name: callers never see PGresult */
#define RES(r)	((PGresult *)(r))
#define CRES(r)	((const PGresult *)(r))

enum wd_err
wd_db_init(struct wd_db *db, const char *url, char *err, size_t errsz)
{
	enum wd_err	 rc;

	memset(db, 0, sizeof(*db));
	rc = wd_db_url_check(url, err, errsz);
	if (rc == WD_OK)
		db->url = wd_xstrdup(url);
	return rc;
}

enum wd_err
wd_db_url_check(const char *url, char *err, size_t errsz)
{
	PQconninfoOption	*opts;
	char			*perr = NULL;

	opts = url == NULL ? NULL : PQconninfoParse(url, &perr);
	if (opts == NULL) {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "WARDEN_DATABASE_URL: not a "
			    "valid libpq connection string");
		PQfreemem(perr);
		return WD_E_CONFIG;
	}
	PQconninfoFree(opts);
	return WD_OK;
}

/* The statements prepared on a connection die with it. */
static void
forget_stmts(struct wd_db *db)
{
	int	 i;

	for (i = 0; i < db->nstmts; i++)
		free(db->stmts[i]);
	db->nstmts = 0;
	db->stale = 0;
}

void
wd_db_cleanup(struct wd_db *db)
{
	if (db == NULL)
		return;
	forget_stmts(db);
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	if (db->url != NULL)
		wd_freezero(db->url, strlen(db->url));
	db->url = NULL;
	db->in_tx = 0;
	db->listening = 0;
	db->nlocks = 0;
}

/*
 * 1 if c can take a statement. An idle connection has nothing to say:
 * bytes or EOF waiting on it mean the server ended the session (a
 * terminated backend sends FATAL 57P01 and closes). Reading them now,
 * before anything is sent, is what makes a reconnect provably safe.
 */
static int
live(PGconn *c)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < 4; i++) {
		if (PQstatus(c) != CONNECTION_OK)
			return 0;
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return 0;
		if (poll(&pfd, 1, 0) == 0)
			return 1;
		if (PQconsumeInput(c) == 0)
			return 0;
	}
	return PQstatus(c) == CONNECTION_OK;
}

/*
 * Names the new session on the server (process and start time), for
 * wd_db_settle. Behind a pooler the pid libpq was given is not the
 * server's (PgBouncer makes one up), and the server process serves
 * others too: the session is then left unnamed.
 */
static void
name_session(struct wd_db *db)
{
	PGresult	*r;
	char		 mine[16];

	db->pid[0] = db->started[0] = '\0';
	snprintf(mine, sizeof(mine), "%d", PQbackendPID(db->conn));
	r = PQexec(db->conn, "SELECT pg_backend_pid(), backend_start FROM "
	    "pg_stat_activity WHERE pid = pg_backend_pid()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), mine) == 0 &&
	    strlen(PQgetvalue(r, 0, 1)) < sizeof(db->started)) {
		snprintf(db->pid, sizeof(db->pid), "%s", mine);
		snprintf(db->started, sizeof(db->started), "%s",
		    PQgetvalue(r, 0, 1));
	}
	PQclear(r);
}

/* The session of conn lost a write's answer: remembered for
 * wd_db_settle. */
static void
lost(struct wd_db *db)
{
	db->lost = 1;
	snprintf(db->lost_pid, sizeof(db->lost_pid), "%s", db->pid);
	snprintf(db->lost_started, sizeof(db->lost_started), "%s",
	    db->started);
}

/* The connection for the next statement, or NULL (unreachable, or the
 * open transaction or the session-level locks died with its connection). */
static PGconn *
get(struct wd_db *db)
{
	/* the URL as given, plus TCP keepalives so a silently dead peer
	 * (and the webhook's LISTEN) is noticed in seconds, and a default
	 * application_name naming the binary and its pid, so an operator
	 * (or a test) can tell which process holds a session or a lock */
	static const char *const kw[] = { "dbname", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "connect_timeout", "fallback_application_name", NULL };
	char		 app[64];
	const char	*val[] = { db->url, "1", "10", "3", "3", "5", app,
	    NULL };

	if (db->conn != NULL && live(db->conn)) {
		/* a transaction left open by a failed request would swallow
		 * every later statement of this process */
		if (!db->in_tx &&
		    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
			PQclear(PQexec(db->conn, "ROLLBACK"));
		return db->conn;
	}
	/* a new session holds neither the transaction nor the locks */
	if (db->in_tx || db->nlocks > 0)
		return NULL;
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->listening = 0;	/* a LISTEN dies with its connection */
	forget_stmts(db);
	snprintf(app, sizeof(app), "warden-%s[%ld]",
	    program_invocation_short_name, (long)getpid());
	db->conn = PQconnectdbParams(kw, val, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		wd_log(NULL, WD_LOG_WARN, "db", "cannot connect: %s",
		    PQerrorMessage(db->conn));
		return NULL;
	}
	if (db->settles)
		name_session(db);
	return db->conn;
}

PGconn *
wd_db_conn(struct wd_db *db)
{
	return get(db);
}

/* SQLSTATE to error (one table for every caller), with the log line. */
static enum wd_err
failed(const PGresult *r)
{
	const char	*st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char	*cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	enum wd_err	 rc = WD_E_INTERNAL;

	if (st == NULL)
		st = "?";
	if (strcmp(st, "23505") == 0)
		rc = WD_E_CONFLICT;
	/* data exceptions (22xxx) and check violations (23514) come from
	 * client values: a 400, not a 500 */
	else if (strncmp(st, "22", 2) == 0 || strcmp(st, "23514") == 0)
		rc = WD_E_BADREQ;
	/* connection exceptions, shutdown, too many connections */
	else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 ||
	    strcmp(st, "53300") == 0)
		rc = WD_E_DBDOWN;
	wd_log(NULL, rc == WD_E_INTERNAL ? WD_LOG_ERR : WD_LOG_INFO, "db",
	    "sql failed state=%s constraint=%s", st, cn == NULL ? "-" : cn);
	return rc;
}

/*
 * Sends one statement. One with parameters is prepared once per
 * connection and executed by name after that: PostgreSQL then parses
 * and plans it once, not per request (on the storage GET path the parse
 * and plan cost more than the rest of the request). Statements are
 * keyed by their text, so SQL built at run time is safe too; past
 * WD_DB_STMTS distinct texts the rest go unprepared. A failed PREPARE
 * is returned like a failed statement (it ran nothing).
 */
static PGresult *
send_stmt(struct wd_db *db, PGconn *c, const char *sql, int n,
    const char *const *p)
{
	PGresult	*r;
	char		 name[16];
	int		 i;

	if (n == 0)
		return PQexecParams(c, sql, 0, NULL, p, NULL, NULL, 0);
	for (i = 0; i < db->nstmts; i++)
		if (strcmp(db->stmts[i], sql) == 0)
			break;
	if (i == WD_DB_STMTS)
		return PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	snprintf(name, sizeof(name), "wd_%d", i);
	if (i == db->nstmts) {
		r = PQprepare(c, name, sql, n, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		db->stmts[db->nstmts++] = wd_xstrdup(sql);
	}
	return PQexecPrepared(c, name, n, p, NULL, NULL, 0);
}

/* 1 if r failed because a prepared plan went stale: a migration changed
 * a table under it ("cached plan must not change result type"). */
static int
stale_plan(const PGresult *r)
{
	const char	*st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return st != NULL && strcmp(st, "0A000") == 0;
}

static enum wd_err
run(struct wd_db *db, const char *sql, int n, const char *const *p,
    struct wd_dbres **res, int may_retry)
{
	PGresult	*r;
	PGconn		*c;
	ExecStatusType	 st;
	enum wd_err	 rc;
	int		 attempt;

	if (res != NULL)
		*res = NULL;
	if (!may_retry && !db->in_tx)
		db->lost = 0;	/* a new write: an earlier doubt is not its
				 * own */
	for (attempt = 0; attempt < 2; attempt++) {
		c = get(db);
		if (c == NULL)
			return WD_E_DBDOWN;
		r = send_stmt(db, c, sql, n, p);
		st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (res != NULL)
				*res = (struct wd_dbres *)r;
			else
				PQclear(r);
			return WD_OK;
		}
		/* the plan is checked before anything runs: outside a
		 * transaction, prepare afresh and send it again */
		if (PQstatus(c) == CONNECTION_OK && stale_plan(r) &&
		    !db->in_tx && attempt == 0) {
			PQclear(r);
			PQclear(PQexec(c, "DEALLOCATE ALL"));
			forget_stmts(db);
			continue;
		}
		if (PQstatus(c) == CONNECTION_OK) {
			/* inside a transaction the statement fails (the
			 * transaction is void anyway); its plans go with it */
			if (stale_plan(r))
				db->stale = 1;
			rc = failed(r);
			PQclear(r);
			return rc;
		}
		PQclear(r);
		/* the statement may have run: only what changes nothing is
		 * sent again, and never inside a transaction or under a
		 * session lock (they are gone) */
		if (!may_retry || db->in_tx || db->nlocks > 0)
			break;
	}
	if (!may_retry || db->in_tx)
		lost(db);
	wd_log(NULL, WD_LOG_WARN, "db", "connection lost%s",
	    may_retry ? "" : " after a write: not replayed");
	return WD_E_DBDOWN;
}

enum wd_err
wd_db_read(struct wd_db *db, const char *sql, int nparams,
    const char *const *params, struct wd_dbres **res)
{
	return run(db, sql, nparams, params, res, 1);
}

enum wd_err
wd_db_exec(struct wd_db *db, const char *sql, int nparams,
    const char *const *params, struct wd_dbres **res)
{
	return run(db, sql, nparams, params, res, 0);
}

enum wd_err
wd_db_ping(struct wd_db *db)
{
	return wd_db_read(db, "SELECT 1", 0, NULL, NULL) == WD_OK ? WD_OK :
	    WD_E_DBDOWN;
}

enum wd_err
wd_db_begin(struct wd_db *db)
{
	enum wd_err	 rc;

	if (db->in_tx) {
		/* a handler returned without wd_db_end: its work is void */
		wd_log(NULL, WD_LOG_ERR, "db", "transaction left open");
		db->in_tx = 0;
	}
	db->lost = 0;	/* a new write: an earlier doubt is not its own */
	rc = run(db, "BEGIN", 0, NULL, NULL, 1);
	if (rc == WD_OK)
		db->in_tx = 1;
	return rc;
}

enum wd_err
wd_db_end(struct wd_db *db, enum wd_err rc)
{
	PGresult	*r;

	if (!db->in_tx)
		return rc;
	db->in_tx = 0;
	if (db->conn == NULL)
		return rc == WD_OK ? WD_E_DBDOWN : rc;
	if (rc != WD_OK) {
		PQclear(PQexec(db->conn, "ROLLBACK"));
		if (db->stale) {
			PQclear(PQexec(db->conn, "DEALLOCATE ALL"));
			forget_stmts(db);
			db->stale = 0;
		}
		return rc;
	}
	r = PQexec(db->conn, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (PQstatus(db->conn) != CONNECTION_OK) {
			wd_log(NULL, WD_LOG_WARN, "db", "connection lost at "
			    "COMMIT: outcome unknown, not replayed");
			lost(db);
			rc = WD_E_DBDOWN;
		} else
			rc = failed(r);
	}
	PQclear(r);
	return rc;
}

enum wd_err
wd_db_settle(struct wd_db *db)
{
	char		 ms[16];
	const char	*p[3] = { db->lost_pid, db->lost_started, ms };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc = WD_E_DBDOWN;

	if (!db->lost)
		return WD_OK;
	if (db->lost_pid[0] == '\0')
		goto out;	/* never named: nothing can be proven */
	snprintf(ms, sizeof(ms), "%d", WD_DB_SETTLE_MS);
	/* only that very session (a later one may have its pid), never
	 * the one asking; none listed: no warning, nothing to end */
	rc = run(db, "SELECT pg_terminate_backend(pid, $3::bigint) FROM "
	    "pg_stat_activity WHERE pid = $1::int AND backend_start = "
	    "$2::timestamptz AND pid <> pg_backend_pid()", 3, p, NULL, 1);
	if (rc == WD_OK)
		rc = run(db, "SELECT 1 FROM pg_stat_activity WHERE pid = "
		    "$1::int AND backend_start = $2::timestamptz", 2, p, &res,
		    1);
	if (rc == WD_OK && wd_db_rows(res) != 0)
		rc = WD_E_DBDOWN;	/* still there: nothing is final */
	wd_db_free(res);
out:
	if (rc == WD_OK)
		db->lost = 0;
	else
		wd_log(NULL, WD_LOG_WARN, "db", "lost write not settled");
	return rc;
}

/* ---- session-level advisory locks (issue #11) ---- */

enum wd_err
wd_db_trylock(struct wd_db *db, const char *name, int *got)
{
	const char	*p[1] = { name };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	*got = 0;
	/* retried on a fresh connection when nothing is pinned yet: a lock
	 * granted to the broken session went with it */
	rc = run(db, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
	    1, p, &res, 1);
	if (rc == WD_OK && wd_db_rows(res) == 1 && wd_db_bool(res, 0, 0)) {
		*got = 1;
		db->nlocks++;
	}
	wd_db_free(res);
	return rc;
}

void
wd_db_unlock(struct wd_db *db, const char *name)
{
	const char	*p[1] = { name };
	PGresult	*r;
	int		 ok;

	if (db->nlocks == 0)
		return;
	db->nlocks--;
	/* never through get(): a new session would not hold the lock */
	if (db->conn == NULL || !live(db->conn))
		return;		/* the session, and the lock, are gone */
	r = PQexecParams(db->conn, "SELECT pg_advisory_unlock("
	    "hashtextextended($1, 0))", 1, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!ok) {
		/* a lock we cannot release would make the sweep skip its
		 * blob for as long as this process lives: end the session,
		 * which drops every lock it holds (any other holder's
		 * statements now fail, as after a lost connection) */
		wd_log(NULL, WD_LOG_WARN, "db", "unlock failed: session "
		    "closed");
		PQfinish(db->conn);
		db->conn = NULL;
		db->listening = 0;
		forget_stmts(db);
	}
}

int
wd_db_rows(const struct wd_dbres *r)
{
	return r == NULL ? 0 : PQntuples(CRES(r));
}

const char *
wd_db_val(const struct wd_dbres *r, int row, int col)
{
	return PQgetvalue(CRES(r), row, col);
}

int
wd_db_null(const struct wd_dbres *r, int row, int col)
{
	return PQgetisnull(CRES(r), row, col);
}

int
wd_db_bool(const struct wd_dbres *r, int row, int col)
{
	return strcmp(PQgetvalue(CRES(r), row, col), "t") == 0;
}

long
wd_db_affected(struct wd_dbres *r)
{
	const char	*s = r == NULL ? "" : PQcmdTuples(RES(r));

	return s[0] == '\0' ? 0 : strtol(s, NULL, 10);
}

void
wd_db_free(struct wd_dbres *r)
{
	PQclear(RES(r));
}

/* ---- notifications (the mailer; wd_revoke keeps its raw connection) -- */

static int
channel_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')) || i >= 63)
			return 0;
	return i > 0;
}

enum wd_err
wd_db_listen(struct wd_db *db, const char *channel)
{
	char	 sql[80];

	if (db->in_tx || !channel_ok(channel)) {
		wd_log(NULL, WD_LOG_ERR, "db", "listen: bad channel or open "
		    "transaction");
		return WD_E_INTERNAL;
	}
	/* an identifier cannot be a parameter: channel_ok made it a plain
	 * lower-case name, which needs no quoting */
	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	if (wd_db_exec(db, sql, 0, NULL, NULL) != WD_OK)
		return WD_E_DBDOWN;
	db->listening = 1;
	return WD_OK;
}

/* Takes what libpq has queued; returns how many. */
static int
take_notifies(PGconn *c)
{
	PGnotify	*n;
	int		 k = 0;

	while ((n = PQnotifies(c)) != NULL) {
		PQfreemem(n);
		k++;
	}
	return k;
}

enum wd_err
wd_db_wait(struct wd_db *db, int timeout_ms, int *notified)
{
	struct pollfd	 pfd;
	PGconn		*c = db->conn;
	int		 k, i, r;

	if (notified != NULL)
		*notified = 0;
	if (db->in_tx)
		return WD_E_INTERNAL;
	if (c == NULL || !db->listening || PQstatus(c) != CONNECTION_OK)
		goto down;
	/* statements since the last wait may have queued some already */
	k = take_notifies(c);
	if (k == 0) {
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			goto down;
		r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : 0);
		/* a server shutting down sends an error, then closes: keep
		 * reading while readable, to see the EOF now (as live()) */
		for (i = 0; r > 0 && i < 4; i++) {
			if (PQconsumeInput(c) == 0 ||
			    PQstatus(c) != CONNECTION_OK)
				goto down;
			pfd.revents = 0;
			r = poll(&pfd, 1, 0);
		}
		k = take_notifies(c);
	}
	if (PQstatus(c) != CONNECTION_OK)
		goto down;
	if (notified != NULL)
		*notified = k;
	return WD_OK;
down:
	db->listening = 0;
	return WD_E_DBDOWN;
}
