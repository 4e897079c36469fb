/*
 * wd_revoke.c: revoked-session set and the feed that keeps it current.
 * Notification payloads come from our own trigger, but are still parsed
 * defensively (they pass through the database, which other clients can
 * NOTIFY on).
 *
 * Threads: the feed thread alone touches its PGconn; the set and the
 * health time are shared under r->mu, held only for memory work (never
 * across a poll or a libpq call), so a request waits at most for a hash
 * insert or a rehash. The feed logs to stderr itself: wd_log(NULL, ...)
 * would write into the FastCGI stream of the request being served by the
 * main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "wd_buf.h"
#include "wd_db.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_rand.h"
#include "wd_revoke.h"
#include "wd_util.h"

struct wd_revoke_ent {
	char	 sid[WD_UUID_LEN + 1];	/* "" = empty slot */
	int64_t	 exp;
};

/* The set as the feed builds it before swapping it in. */
struct set {
	struct wd_revoke_ent	*tab;
	size_t			 cap, n;
};

int64_t
wd_revoke_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
rehash(struct set *s, size_t want)
{
	struct wd_revoke_ent	*nt;
	size_t			 ncap = 64, i, n = 0;
	int64_t			 t = (int64_t)time(NULL);

	while (ncap < want * 2)
		ncap *= 2;
	nt = wd_xcalloc(ncap, sizeof(*nt));
	for (i = 0; i < s->cap; i++)
		if (s->tab[i].sid[0] != '\0' && s->tab[i].exp >= t) {
			put(nt, ncap, s->tab[i].sid, s->tab[i].exp);
			n++;
		}
	free(s->tab);
	s->tab = nt;
	s->cap = ncap;
	s->n = n;
}

static void
set_add(struct set *s, const char *sid, int64_t exp)
{
	if (!wd_is_uuid(sid, strlen(sid)))
		return;
	if ((s->n + 1) * 2 > s->cap)
		rehash(s, s->n + 1);
	if ((s->n + 1) * 2 > s->cap)
		rehash(s, s->cap);
	put(s->tab, s->cap, sid, exp);
	s->n++;	/* an overwrite overcounts: rehash corrects it */
}

static int
set_has(const struct wd_revoke_ent *tab, size_t cap, const char *sid)
{
	size_t	 i;

	if (cap == 0)
		return 0;
	for (i = hash(sid) & (cap - 1); tab[i].sid[0] != '\0';
	    i = (i + 1) & (cap - 1))
		if (strcmp(tab[i].sid, sid) == 0)
			return 1;
	return 0;
}

/*
 * "<uuid> <epoch>" from the trigger (and the initial load). NOTIFY takes
 * no privilege: any role that may connect can send one. So the sid must
 * be a uuid, and an entry lasts at most WD_REVOKE_MAX_SECS, what the
 * longest token (WARDEN_JWT_EXPIRES_IN 1440, allowed_skew 3600) can
 * need: forged entries cannot pile up for ever.
 */
static int
parse_payload(const char *p, char *sid, int64_t *exp)
{
	uint64_t	 e;
	const char	*sp = strchr(p, ' ');
	int64_t		 most = (int64_t)time(NULL) + WD_REVOKE_MAX_SECS;

	if (sp == NULL || sp - p != WD_UUID_LEN || !wd_is_uuid(p, WD_UUID_LEN))
		return 0;
	memcpy(sid, p, WD_UUID_LEN);
	sid[WD_UUID_LEN] = '\0';
	if (wd_parse_u64(sp + 1, strlen(sp + 1), INT64_MAX, &e) != WD_OK)
		return 0;
	*exp = (int64_t)e < most ? (int64_t)e : most;
	return 1;
}

void
wd_revoke_add(struct wd_revoke *r, const char *sid, int64_t exp)
{
	struct set	 s;

	pthread_mutex_lock(&r->mu);
	s.tab = r->tab;
	s.cap = r->cap;
	s.n = r->n;
	set_add(&s, sid, exp);
	r->tab = s.tab;
	r->cap = s.cap;
	r->n = s.n;
	pthread_mutex_unlock(&r->mu);
}

void
wd_revoke_mark_good(struct wd_revoke *r, int64_t mono_ms)
{
	pthread_mutex_lock(&r->mu);
	if (mono_ms > r->good_ms)
		r->good_ms = mono_ms;
	pthread_mutex_unlock(&r->mu);
}

enum wd_err
wd_revoke_check(void *arg, const char *sid)
{
	struct wd_revoke	*r = arg;
	int64_t			 t = wd_revoke_now_ms();
	enum wd_err		 rc;

	pthread_mutex_lock(&r->mu);
	if (set_has(r->tab, r->cap, sid))
		rc = WD_E_REVOKED;
	else if (r->good_ms == 0 || t - r->good_ms > WD_REVOKE_GRACE_MS)
		rc = WD_E_REVOKEUNAVAIL;	/* cannot know: not a logout */
	else
		rc = WD_OK;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* ---- the feed thread ------------------------------------------------- */

/* One line on stderr (lighttpd's breakagelog), never the URL. */
static void
feed_log(const char *lvl, const char *msg, const char *detail)
{
	char	 esc[WD_MAX_LOG_LINE];

	wd_log_escape(esc, sizeof(esc), detail != NULL ? detail : "");
	fprintf(stderr, "%s revoke: %s%s%s\n", lvl, msg,
	    esc[0] != '\0' ? ": " : "", esc);
}

static int
stopping(struct wd_revoke *r)
{
	int	 s;

	pthread_mutex_lock(&r->mu);
	s = r->stop;
	pthread_mutex_unlock(&r->mu);
	return s;
}

/*
 * Waits until fd is ready for ev, deadline passes or cleanup wakes us.
 * fd < 0 waits for the deadline (or the wake-up) only. Returns 1 ready,
 * 0 timed out, -1 stopping.
 */
static int
wait_fd(struct wd_revoke *r, int fd, short ev, int64_t deadline)
{
	struct pollfd	 p[2];
	int64_t		 left;
	int		 n;

	for (;;) {
		if (stopping(r))
			return -1;
		left = deadline - wd_revoke_now_ms();
		if (left <= 0)
			return 0;
		p[0].fd = r->wake[0];
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = fd;
		p[1].events = ev;
		p[1].revents = 0;
		n = poll(p, fd >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			return 0;
		if (n <= 0)
			continue;
		if (p[0].revents != 0)
			return -1;
		if (p[1].revents != 0)
			return 1;
	}
}

/* A non-blocking connection, or NULL with libpq's reason in why. */
static PGconn *
feed_connect(struct wd_revoke *r, char *why, size_t whysz)
{
	/* the URL as given, plus TCP keepalives (the heartbeat is what
	 * bounds how long a silently dead peer goes unnoticed) and a name
	 * in pg_stat_activity unless the URL gives one */
	static const char *const kw[] = { "dbname", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "fallback_application_name", NULL };
	const char		*val[] = { r->url, "1", "10", "3", "3",
				    "warden-revoke", NULL };
	int64_t			 deadline;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn			*c;
	int			 w;

	deadline = wd_revoke_now_ms() + WD_REVOKE_CONNECT_MS;
	c = PQconnectStartParams(kw, val, 1);
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		goto fail;
	/* libpq: after PQconnectStart, act as if PQconnectPoll had
	 * answered PGRES_POLLING_WRITING */
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto fail;
		w = wait_fd(r, PQsocket(c), st == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, deadline);
		if (w <= 0)
			goto fail;
		st = PQconnectPoll(c);
	}
	if (PQsetnonblocking(c, 1) != 0)
		goto fail;
	return c;
fail:
	snprintf(why, whysz, "%s", c != NULL ? PQerrorMessage(c) :
	    "out of memory");
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

/* Reads what the server sent; 0 when the connection is gone. */
static int
consume(PGconn *c)
{
	return PQconsumeInput(c) != 0 && PQstatus(c) == CONNECTION_OK;
}

/*
 * Runs one statement without blocking past deadline. *res (may be
 * NULL) receives its result when it has status want. Returns 1 on
 * success, 0 when the statement failed or the connection should be
 * abandoned.
 */
static int
query(struct wd_revoke *r, PGconn *c, const char *sql,
    ExecStatusType want, PGresult **res, int64_t deadline)
{
	PGresult	*x, *got = NULL;
	int		 f, bad = 0;

	if (res != NULL)
		*res = NULL;
	if (PQsendQuery(c, sql) == 0)
		return 0;
	/* libpq: while the output does not drain, also read what the
	 * server sends, or both sides can wait on each other */
	while ((f = PQflush(c)) == 1)
		if (wait_fd(r, PQsocket(c), POLLOUT | POLLIN, deadline) <= 0 ||
		    !consume(c))
			return 0;
	if (f < 0)
		return 0;
	/* every result up to the end of the statement (NULL): a statement
	 * cut short leaves the connection unusable, and callers drop it */
	for (;;) {
		while (PQisBusy(c))
			if (wait_fd(r, PQsocket(c), POLLIN, deadline) <= 0 ||
			    !consume(c)) {
				PQclear(got);
				return 0;
			}
		x = PQgetResult(c);
		if (x == NULL)
			break;
		if (got == NULL && !bad && PQresultStatus(x) == want)
			got = x;
		else {
			bad = 1;
			PQclear(x);
		}
	}
	if (bad || got == NULL) {
		PQclear(got);
		return 0;
	}
	if (res != NULL)
		*res = got;
	else
		PQclear(got);
	return 1;
}

/* Live rows of auth.revoked_sessions as "<sid> <epoch>" (parse_payload);
 * take_notifies appends "AND family_id IN (...)". */
#define LIVE_ROWS	"SELECT family_id::text || ' ' || floor(extract(" \
	"epoch FROM expires_at))::bigint::text FROM auth.revoked_sessions " \
	"WHERE expires_at > now()"

/* Replaces the set with every live row of auth.revoked_sessions. */
static int
load_all(struct wd_revoke *r, PGconn *c, int64_t deadline)
{
	PGresult	*res = NULL;
	struct set	 s = { NULL, 0, 0 };
	char		 sid[WD_UUID_LEN + 1];
	int64_t		 exp;
	int		 i;

	if (!query(r, c, LIVE_ROWS, PGRES_TUPLES_OK, &res, deadline))
		return 0;
	rehash(&s, (size_t)PQntuples(res) + 1);
	for (i = 0; i < PQntuples(res); i++)
		if (parse_payload(PQgetvalue(res, i, 0), sid, &exp))
			set_add(&s, sid, exp);
	PQclear(res);
	pthread_mutex_lock(&r->mu);
	free(r->tab);
	r->tab = s.tab;
	r->cap = s.cap;
	r->n = s.n;
	pthread_mutex_unlock(&r->mu);
	return 1;
}

/*
 * Moves the notifications libpq has read into the set, each only once
 * its row is found in auth.revoked_sessions (with the row's expiry):
 * NOTIFY takes no privilege, so any role that may connect could send
 * one, while the table takes only the writers' rows. A notification
 * comes after its transaction committed, so the row is there. Up to
 * WD_REVOKE_BATCH ids are looked up in one query; past that (a flood,
 * real or forged) the whole set is loaded again instead, one query
 * however many came. 0 when the connection failed.
 */
static int
take_notifies(struct wd_revoke *r, PGconn *c)
{
	PGnotify	*n;
	PGresult	*res;
	struct wd_buf	 sql;
	char		 sid[WD_UUID_LEN + 1];
	int64_t		 exp;
	int		 i, got = 0, flood = 0, ok = 1;

	wd_buf_init(&sql, 256 + WD_REVOKE_BATCH * (WD_UUID_LEN + 4));
	(void)wd_buf_adds(&sql, LIVE_ROWS " AND family_id IN (");
	for (; (n = PQnotifies(c)) != NULL; PQfreemem(n)) {
		/* (a uuid: hex digits and dashes, safe inline) */
		if (strcmp(n->relname, "warden_revoked") != 0 ||
		    !parse_payload(n->extra, sid, &exp))
			continue;
		if (got == WD_REVOKE_BATCH) {
			flood = 1;
			continue;
		}
		(void)wd_buf_addf(&sql, "%s'%s'", got > 0 ? "," : "", sid);
		got++;
	}
	(void)wd_buf_adds(&sql, ")");
	if (flood)
		ok = load_all(r, c, wd_revoke_now_ms() + WD_REVOKE_LOAD_MS);
	else if (got > 0) {
		ok = wd_buf_status(&sql) == WD_OK && query(r, c, sql.p,
		    PGRES_TUPLES_OK, &res, wd_revoke_now_ms() +
		    WD_REVOKE_BEAT_WAIT_MS);
		for (i = 0; ok && i < PQntuples(res); i++)
			if (parse_payload(PQgetvalue(res, i, 0), sid, &exp))
				wd_revoke_add(r, sid, exp);
		if (ok)
			PQclear(res);
	}
	wd_buf_cleanup(&sql);
	return ok;
}

/*
 * LISTEN, then load the set: in this order, so a revocation between the
 * two is seen at least once. The new set replaces the old one whole.
 */
static int
go_live(struct wd_revoke *r, PGconn *c)
{
	int64_t	 t0, deadline;

	t0 = wd_revoke_now_ms();
	deadline = t0 + WD_REVOKE_LOAD_MS;
	if (!query(r, c, "LISTEN warden_revoked", PGRES_COMMAND_OK, NULL,
	    deadline))
		return 0;
	/* every revocation committed before this statement started is in
	 * its answer; later ones arrive as notifications */
	t0 = wd_revoke_now_ms();
	if (!load_all(r, c, deadline))
		return 0;
	wd_revoke_mark_good(r, t0);
	return take_notifies(r, c);
}

/*
 * The live loop: a heartbeat every WD_REVOKE_BEAT_MS, notifications as
 * they come. Returns when the connection broke, a heartbeat went
 * unanswered for WD_REVOKE_BEAT_WAIT_MS, or cleanup asked.
 */
static void
listen_loop(struct wd_revoke *r, PGconn *c)
{
	int64_t	 t0, until;
	int	 w;

	for (;;) {
		t0 = wd_revoke_now_ms();
		if (!query(r, c, "SELECT 1", PGRES_TUPLES_OK, NULL,
		    t0 + WD_REVOKE_BEAT_WAIT_MS))
			return;
		/* the answer came after every notification committed
		 * before t0 */
		if (!take_notifies(r, c))
			return;
		wd_revoke_mark_good(r, t0);
		until = t0 + WD_REVOKE_BEAT_MS;
		for (;;) {
			w = wait_fd(r, PQsocket(c), POLLIN, until);
			if (w < 0)
				return;
			if (w == 0)
				break;
			/* a server shutting down sends an error and then
			 * closes: both are read here, at once */
			if (!consume(c) || !take_notifies(r, c))
				return;
		}
	}
}

static void
first_done(struct wd_revoke *r)
{
	pthread_mutex_lock(&r->mu);
	if (!r->tried) {
		r->tried = 1;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

static void *
feed(void *arg)
{
	struct wd_revoke	*r = arg;
	PGconn			*c;
	char			 msg[256];
	size_t			 n;
	int64_t			 backoff = 0;
	int			 down = 1, said = 0;

	while (!stopping(r)) {
		msg[0] = '\0';
		c = feed_connect(r, msg, sizeof(msg));
		if (c != NULL && go_live(r, c)) {
			feed_log("INFO", "revocation feed live", NULL);
			down = 0;
			said = 0;
			backoff = 0;
			first_done(r);
			listen_loop(r, c);
		}
		first_done(r);
		if (stopping(r)) {
			if (c != NULL)
				PQfinish(c);
			break;
		}
		/* one line per outage, not one per attempt */
		if (!down || !said) {
			if (c != NULL)
				snprintf(msg, sizeof(msg), "%s",
				    PQerrorMessage(c));
			/* libpq's lines, as one */
			for (n = 0; msg[n] != '\0'; n++)
				if (msg[n] == '\n' || msg[n] == '\t')
					msg[n] = ' ';
			while (n > 0 && msg[n - 1] == ' ')
				msg[--n] = '\0';
			feed_log("WARN", down ? "revocation feed unavailable; "
			    "retrying" : "revocation feed lost; retrying",
			    msg);
			said = 1;
		}
		down = 1;
		if (c != NULL)
			PQfinish(c);
		backoff = backoff == 0 ? WD_REVOKE_RETRY_MIN_MS :
		    backoff * 2;
		if (backoff > WD_REVOKE_RETRY_MAX_MS)
			backoff = WD_REVOKE_RETRY_MAX_MS;
		if (wait_fd(r, -1, 0, wd_revoke_now_ms() + backoff) < 0)
			break;
	}
	return NULL;
}

void
wd_revoke_init_local(struct wd_revoke *r)
{
	memset(r, 0, sizeof(*r));
	r->wake[0] = r->wake[1] = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->inited = 1;
}

enum wd_err
wd_revoke_init(struct wd_revoke *r, const char *url, char *err,
    size_t errsz)
{
	sigset_t		 all, old;
	struct timespec		 until;
	int			 rc;

	wd_revoke_init_local(r);
	if (wd_db_url_check(url, err, errsz) != WD_OK)
		return WD_E_CONFIG;
	r->url = wd_xstrdup(url);
	if (pipe(r->wake) != 0) {
		r->wake[0] = r->wake[1] = -1;
		goto fail;
	}
	(void)fcntl(r->wake[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(r->wake[1], F_SETFD, FD_CLOEXEC);
	/* signals stay with the main thread (its accept loop decides what
	 * they mean); the feed never sees one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thr, NULL, feed, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		goto fail;
	r->running = 1;
	/* a database that is up is in use before the first request */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WD_REVOKE_START_MS / 1000;
	until.tv_nsec += (long)(WD_REVOKE_START_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->tried)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&r->mu);
	return WD_OK;
fail:
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "revocation feed: cannot start a thread");
	return WD_E_INTERNAL;
}

void
wd_revoke_cleanup(struct wd_revoke *r)
{
	ssize_t	 w;

	if (r == NULL || !r->inited)
		return;
	if (r->running) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_mutex_unlock(&r->mu);
		w = write(r->wake[1], "x", 1);
		(void)w;	/* the flag alone ends it within a second */
		pthread_join(r->thr, NULL);
	}
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	if (r->url != NULL)
		wd_freezero(r->url, strlen(r->url));
	free(r->tab);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof(*r));
}
