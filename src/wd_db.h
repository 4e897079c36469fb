/*
 * wd_db.h: one persistent PostgreSQL connection per process (libpq),
 * opened lazily and re-opened after the server restarts; never one
 * connection per request.
 */
#ifndef WD_DB_H
#define WD_DB_H

#include <libpq-fe.h>

#include "wd_err.h"

struct wd_db {
	PGconn	*conn;	/* owned; NULL until first use */
	char	*url;	/* owned; wiped on cleanup (may hold a password) */
};

/*
 * Checks that url parses as a libpq connection string (so a typo stops
 * the binary at start) and stores it. Does not connect. WD_E_CONFIG with
 * one line in err (never the URL itself) on a bad URL.
 */
enum wd_err	wd_db_init(struct wd_db *db, const char *url, char *err,
		    size_t errsz);
void		wd_db_cleanup(struct wd_db *db);

/*
 * Returns a live connection, connecting or resetting as needed, or NULL
 * when the server cannot be reached (callers answer WD_E_DBDOWN).
 * Borrowed from db.
 */
PGconn		*wd_db_conn(struct wd_db *db);

/*
 * Runs "SELECT 1", retrying once on a fresh connection if the old one
 * broke (a restarted server). WD_OK or WD_E_DBDOWN.
 */
enum wd_err	wd_db_ping(struct wd_db *db);

/*
 * Runs a parameterised statement (PQexecParams, text params), retrying
 * once on a fresh connection only when the connection was found broken
 * before the statement could run. *res is caller-owned (PQclear) and
 * set only on WD_OK (PGRES_COMMAND_OK or PGRES_TUPLES_OK).
 * WD_E_DBDOWN when unreachable; WD_E_INTERNAL on an SQL error.
 */
enum wd_err	wd_db_exec(struct wd_db *db, const char *sql, int nparams,
		    const char *const *params, PGresult **res);

#endif
