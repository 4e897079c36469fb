/*
 * wd_db.c: database connection management. The URL may carry a password,
 * so it is never logged; libpq's error text may echo host names, which is
 * fine, but never parameters.
 */
#include <stdio.h>
#include <string.h>

#include "wd_db.h"
#include "wd_log.h"
#include "wd_mem.h"

enum wd_err
wd_db_init(struct wd_db *db, const char *url, char *err, size_t errsz)
{
	PQconninfoOption	*opts;
	char			*perr = NULL;

	db->conn = NULL;
	db->url = NULL;
	opts = PQconninfoParse(url, &perr);
	if (opts == NULL) {
		if (err != NULL)
			snprintf(err, errsz, "WARDEN_DATABASE_URL: not a "
			    "valid libpq connection string");
		PQfreemem(perr);
		return WD_E_CONFIG;
	}
	PQconninfoFree(opts);
	db->url = wd_xstrdup(url);
	return WD_OK;
}

void
wd_db_cleanup(struct wd_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	if (db->url != NULL)
		wd_freezero(db->url, strlen(db->url));
	db->url = NULL;
}

PGconn *
wd_db_conn(struct wd_db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		/* a transaction left open by a failed request would swallow
		 * every later statement of this process */
		if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
			PQclear(PQexec(db->conn, "ROLLBACK"));
		return db->conn;
	}
	if (db->conn == NULL) {
		/* the URL as given, plus TCP keepalives so a silently dead
		 * peer (and the webhook's LISTEN) is noticed in seconds */
		static const char *const kw[] = { "dbname", "keepalives",
		    "keepalives_idle", "keepalives_interval",
		    "keepalives_count", "connect_timeout", NULL };
		const char	*val[] = { db->url, "1", "10", "3", "3", "5",
		    NULL };

		db->conn = PQconnectdbParams(kw, val, 1);
	} else
		PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		wd_log(NULL, WD_LOG_WARN, "db", "cannot connect: %s",
		    PQerrorMessage(db->conn));
		return NULL;
	}
	return db->conn;
}

enum wd_err
wd_db_exec(struct wd_db *db, const char *sql, int nparams,
    const char *const *params, PGresult **res)
{
	PGresult	*r = NULL;
	PGconn		*c;
	int		 attempt;

	*res = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		ExecStatusType	 st;

		c = wd_db_conn(db);
		if (c == NULL)
			return WD_E_DBDOWN;
		r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
		st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			*res = r;
			return WD_OK;
		}
		PQclear(r);
		r = NULL;
		/* a server restart shows up as a broken connection on the
		 * first statement after it: reconnect and retry once */
		if (PQstatus(c) == CONNECTION_OK)
			return WD_E_INTERNAL;
	}
	return WD_E_DBDOWN;
}

enum wd_err
wd_db_ping(struct wd_db *db)
{
	PGresult	*r = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(db, "SELECT 1", 0, NULL, &r);
	PQclear(r);
	return rc == WD_OK ? WD_OK : WD_E_DBDOWN;
}
