/*
 * wd_revoke.c: revoked-session set for the webhook. Notification payloads
 * come from our own trigger, but are still parsed defensively (they pass
 * through the database, which other clients can NOTIFY on).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_log.h"
#include "wd_mem.h"
#include "wd_rand.h"
#include "wd_revoke.h"
#include "wd_util.h"

struct wd_revoke_ent {
	char	 sid[WD_UUID_LEN + 1];	/* "" = empty slot */
	int64_t	 exp;
};

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
hash(const char *s)
{
	size_t	 h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}


void
wd_revoke_cleanup(struct wd_revoke *r)
{
	if (r == NULL)
		return;
	wd_db_cleanup(&r->db);
	free(r->tab);
	memset(r, 0, sizeof(*r));
}

static void
put(struct wd_revoke_ent *tab, size_t cap, const char *sid, int64_t exp)
{
	size_t	 i = hash(sid) & (cap - 1);

	while (tab[i].sid[0] != '\0' && strcmp(tab[i].sid, sid) != 0)
		i = (i + 1) & (cap - 1);
	memcpy(tab[i].sid, sid, WD_UUID_LEN + 1);
	if (tab[i].exp < exp)
		tab[i].exp = exp;
}

/* Rebuilds the table at twice the live size, dropping expired entries. */
static void
rehash(struct wd_revoke *r, size_t want)
{
	struct wd_revoke_ent	*nt;
	size_t			 ncap = 64, i, n = 0;
	int64_t			 t = (int64_t)time(NULL);

	while (ncap < want * 2)
		ncap *= 2;
	nt = wd_xcalloc(ncap, sizeof(*nt));
	for (i = 0; i < r->cap; i++)
		if (r->tab[i].sid[0] != '\0' && r->tab[i].exp >= t) {
			put(nt, ncap, r->tab[i].sid, r->tab[i].exp);
			n++;
		}
	free(r->tab);
	r->tab = nt;
	r->cap = ncap;
	r->n = n;
}

void
wd_revoke_add(struct wd_revoke *r, const char *sid, int64_t exp)
{
	if (!wd_is_uuid(sid, strlen(sid)))
		return;
	if ((r->n + 1) * 2 > r->cap)
		rehash(r, r->n + 1);
	if ((r->n + 1) * 2 > r->cap)
		rehash(r, r->cap);
	put(r->tab, r->cap, sid, exp);
	r->n++;	/* an overwrite overcounts: rehash corrects it */
}

/* "<uuid> <epoch>" from the trigger */
static void
add_payload(struct wd_revoke *r, const char *p)
{
	char		 sid[WD_UUID_LEN + 1];
	uint64_t	 exp;
	const char	*sp = strchr(p, ' ');

	if (sp == NULL || sp - p != WD_UUID_LEN)
		return;
	memcpy(sid, p, WD_UUID_LEN);
	sid[WD_UUID_LEN] = '\0';
	if (wd_parse_u64(sp + 1, strlen(sp + 1), INT64_MAX, &exp) != WD_OK)
		return;
	wd_revoke_add(r, sid, (int64_t)exp);
}

/* LISTEN, then load the current set: in this order, so a revocation
 * between the two is seen at least once. */
static void
go_live(struct wd_revoke *r)
{
	PGresult	*res = NULL;
	PGconn		*c;
	int		 i;

	c = wd_db_conn(&r->db);
	if (c == NULL)
		goto fail;
	res = PQexec(c, "LISTEN warden_revoked");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto fail;
	PQclear(res);
	res = PQexec(c, "SELECT family_id::text || ' ' || floor(extract(epoch "
	    "FROM expires_at))::bigint::text FROM auth.revoked_sessions WHERE "
	    "expires_at > now()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	for (i = 0; i < PQntuples(res); i++)
		add_payload(r, PQgetvalue(res, i, 0));
	PQclear(res);
	r->live = 1;
	r->down_since = 0;
	wd_log(NULL, WD_LOG_INFO, "revoke", "live revoked=%zu", r->n);
	return;
fail:
	PQclear(res);
	r->next_try = time(NULL) + WD_REVOKE_RETRY_S;
	wd_log(NULL, WD_LOG_WARN, "revoke", "revocation feed unavailable; "
	    "retrying");
}

/*
 * Reads what the server sent. A server shutting down sends an error and
 * then closes: the first read takes the error, so read again while the
 * socket stays readable, to see the EOF now rather than one request
 * later. Returns 0 when the connection is gone.
 */
static int
drain(PGconn *c)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < 4; i++) {
		if (PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK)
			return 0;
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return 1;
	}
	return 1;
}

static void
poll_feed(struct wd_revoke *r)
{
	PGnotify	*n;
	PGconn		*c = r->db.conn;

	if (!r->live) {
		if (time(NULL) >= r->next_try)
			go_live(r);
		return;
	}
	if (!drain(c)) {
		/* notifications may have been lost: reconnect and reload
		 * now, before answering */
		r->live = 0;
		r->down_since = time(NULL);
		r->next_try = 0;
		go_live(r);
		return;
	}
	while ((n = PQnotifies(c)) != NULL) {
		if (strcmp(n->relname, "warden_revoked") == 0)
			add_payload(r, n->extra);
		PQfreemem(n);
	}
}

enum wd_err
wd_revoke_init(struct wd_revoke *r, const char *url, char *err,
    size_t errsz)
{
	enum wd_err	 rc;

	memset(r, 0, sizeof(*r));
	r->down_since = time(NULL);	/* not live until loaded */
	rc = wd_db_init(&r->db, url, err, errsz);
	if (rc == WD_OK)
		go_live(r);	/* connect and load now; retried per request */
	return rc;
}

int
wd_revoke_check(void *arg, const char *sid)
{
	struct wd_revoke	*r = arg;
	int64_t			 t = now_ms();
	size_t			 i;

	if (t - r->last_poll_ms >= WD_REVOKE_POLL_MS || !r->live) {
		r->last_poll_ms = t;
		poll_feed(r);
	}
	if (!r->live && r->down_since != 0 &&
	    time(NULL) - r->down_since > WD_REVOKE_GRACE_S)
		return 1;	/* cannot know: fail closed */
	if (r->cap == 0)
		return 0;
	for (i = hash(sid) & (r->cap - 1); r->tab[i].sid[0] != '\0';
	    i = (i + 1) & (r->cap - 1))
		if (strcmp(r->tab[i].sid, sid) == 0)
			return 1;
	return 0;
}
