/*
 * wd_mailer.c: the outbox's consumer (see wd_mailer.h). Rows come from
 * our own requests through the database, but are still read as data:
 * the template name and recipient are checked again (a path and a
 * header come from them), and the variables must be an object of
 * strings. Logs name the row id, the template and the kind of failure,
 * never the recipient, a variable (the ticket) or the message.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wd_buf.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_mail.h"
#include "wd_mailer.h"
#include "wd_mem.h"
#include "wd_outbox.h"
#include "wd_smtp.h"

/* What last_error records: a kind, never text from the relay or mail. */
enum fail {
	F_NONE,
	F_TEMPLATE_MISSING,	/* templates/<name>.txt unreadable */
	F_TEMPLATE,		/* wd_mail_render refused it */
	F_VARS,			/* the row's variables are not strings */
	F_RELAY_DOWN,		/* no SMTP reply: relay unreachable */
	F_RELAY_REFUSED,	/* the relay answered an error */
	F_CONFIG,		/* SMTP settings refused by wd_smtp_send */
	F__MAX
};

static const char *const failname[] = {
	[F_NONE]		= "none",
	[F_TEMPLATE_MISSING]	= "template-missing",
	[F_TEMPLATE]		= "template",
	[F_VARS]		= "vars",
	[F_RELAY_DOWN]		= "relay-down",
	[F_RELAY_REFUSED]	= "relay-refused",
	[F_CONFIG]		= "config",
};
_Static_assert(sizeof(failname) / sizeof(failname[0]) == F__MAX,
    "failname rows");

/* Columns of the claimed row. */
enum { C_ID, C_TMPL, C_RCPT, C_VARS, C_ATTEMPTS, C_CREATED, C__MAX };

long
wd_mailer_backoff(long min, long max, int attempts)
{
	long	 d = min;
	int	 i;

	if (max < min)
		max = min;
	for (i = 1; i < attempts && d < max; i++)
		d = d > max / 2 ? max : d * 2;
	return d < max ? d : max;
}

enum wd_err
wd_mailer_init(struct wd_mailer *m, const struct wd_cfg *cfg, char *err,
    size_t errsz)
{
	DIR	*d;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->from = wd_cfg_str(cfg, WD_CFG_SMTP_SENDER);
	m->tdir = wd_cfg_str(cfg, WD_CFG_MAIL_TEMPLATES);
	m->retry_min = wd_cfg_int(cfg, WD_CFG_MAIL_RETRY_MIN);
	m->retry_max = wd_cfg_int(cfg, WD_CFG_MAIL_RETRY_MAX);
	if (!wd_mail_addr_ok(m->from)) {
		snprintf(err, errsz, "WARDEN_SMTP_SENDER: must be a plain "
		    "address, local@domain");
		return WD_E_CONFIG;
	}
	m->domain = strchr(m->from, '@') + 1;
	d = opendir(m->tdir);
	if (d == NULL) {
		snprintf(err, errsz, "WARDEN_MAIL_TEMPLATES: cannot open "
		    "directory %s: %s", m->tdir, strerror(errno));
		return WD_E_CONFIG;
	}
	closedir(d);
	return wd_db_init(&m->db, wd_cfg_str(cfg, WD_CFG_DATABASE_URL), err,
	    errsz);
}

void
wd_mailer_cleanup(struct wd_mailer *m)
{
	if (m == NULL)
		return;
	wd_db_cleanup(&m->db);
	memset(m, 0, sizeof(*m));
}

/* templates/<name>.txt into t (at most WD_MAX_MAIL_TEMPLATE bytes). */
static enum fail
load_template(const struct wd_mailer *m, const char *name, struct wd_buf *t)
{
	char	 path[4096], chunk[4096];
	FILE	*f;
	size_t	 n;
	int	 n2;
	enum fail	 fl = F_TEMPLATE_MISSING;

	if (!wd_mail_tmpl_ok(name))
		return F_TEMPLATE_MISSING;
	n2 = snprintf(path, sizeof(path), "%s/%s.txt", m->tdir, name);
	if (n2 < 0 || (size_t)n2 >= sizeof(path))
		return F_TEMPLATE_MISSING;
	f = fopen(path, "r");
	if (f == NULL)
		return F_TEMPLATE_MISSING;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (wd_buf_add(t, chunk, n) != WD_OK) {
			fl = F_TEMPLATE;	/* too long */
			goto out;
		}
	if (!ferror(f))
		fl = F_NONE;
out:
	fclose(f);
	return fl;
}

/*
 * The message of one claimed row into msg, or why not. The variables
 * are borrowed from the parsed JSON.
 */
static enum fail
prepare(const struct wd_mailer *m, const struct wd_dbres *r,
    struct wd_buf *msg, const char **why)
{
	struct wd_buf		 t;
	struct json_object	*vars = NULL;
	const char		*names[WD_MAX_MAIL_VARS];
	const char		*values[WD_MAX_MAIL_VARS];
	char			 msgid[320];
	const char		*vt;
	size_t			 n = 0;
	enum fail		 fl;
	struct wd_mail		 ml;

	wd_buf_init(&t, WD_MAX_MAIL_TEMPLATE);
	*why = NULL;
	fl = load_template(m, wd_db_val(r, 0, C_TMPL), &t);
	if (fl != F_NONE)
		goto out;
	fl = F_VARS;
	vt = wd_db_null(r, 0, C_VARS) ? "{}" : wd_db_val(r, 0, C_VARS);
	if (wd_json_parse(vt, strlen(vt), 2, &vars) != WD_OK ||
	    !json_object_is_type(vars, json_type_object))
		goto out;
	json_object_object_foreach(vars, key, val) {
		if (n >= WD_MAX_MAIL_VARS ||
		    !json_object_is_type(val, json_type_string))
			goto out;
		names[n] = key;
		values[n] = json_object_get_string(val);
		n++;
	}
	snprintf(msgid, sizeof(msgid), "outbox.%s.%s@%s",
	    wd_db_val(r, 0, C_ID), wd_db_val(r, 0, C_CREATED), m->domain);
	memset(&ml, 0, sizeof(ml));
	ml.tpl = wd_buf_str(&t);
	ml.tpllen = t.len;
	ml.from = m->from;
	ml.to = wd_db_val(r, 0, C_RCPT);
	ml.msgid = msgid;
	ml.date = time(NULL);
	ml.names = names;
	ml.values = values;
	ml.n = n;
	fl = wd_mail_render(&ml, msg, why) == WD_OK ? F_NONE : F_TEMPLATE;
out:
	json_object_put(vars);
	wd_buf_cleanup(&t);
	return fl;
}

/*
 * Claims one due row, delivers it, records the outcome, in one
 * transaction (the row lock is what keeps other mailers off it while
 * the relay takes it). *done is 0 when no row was due.
 */
static enum wd_err
one(struct wd_mailer *m, int *done)
{
	enum wd_err	 rc, sent = WD_E_UNAVAILABLE;
	struct wd_dbres	*r = NULL;
	struct wd_buf	 msg;
	enum fail	 fl;
	const char	*why = NULL, *p[3];
	char		 id[32], delay[32];
	long		 reply = 0, d = 0;
	int		 attempts;

	*done = 0;
	wd_buf_init(&msg, WD_MAX_MAIL);
	rc = wd_db_begin(&m->db);
	if (rc != WD_OK)
		goto out;
	rc = wd_db_exec(&m->db, "SELECT id, template, recipient, vars::text, "
	    "attempts, (extract(epoch FROM created_at) * 1000000)::bigint "
	    "FROM auth.outbox WHERE sent_at IS NULL AND next_attempt_at <= "
	    "now() ORDER BY next_attempt_at, id LIMIT 1 "
	    "FOR UPDATE SKIP LOCKED", 0, NULL, &r);
	if (rc != WD_OK || wd_db_rows(r) == 0)
		goto out;
	*done = 1;
	snprintf(id, sizeof(id), "%s", wd_db_val(r, 0, C_ID));
	attempts = (int)strtol(wd_db_val(r, 0, C_ATTEMPTS), NULL, 10) + 1;
	fl = prepare(m, r, &msg, &why);
	if (fl == F_NONE) {
		sent = wd_smtp_send(m->cfg, wd_db_val(r, 0, C_RCPT), msg.p,
		    msg.len, &reply);
		if (sent == WD_E_CONFIG)
			fl = F_CONFIG;
		else if (sent != WD_OK)
			fl = reply == 0 ? F_RELAY_DOWN : F_RELAY_REFUSED;
	}
	p[0] = id;
	if (fl == F_NONE) {
		/* the variables hold the clear ticket: gone once sent */
		rc = wd_db_exec(&m->db, "UPDATE auth.outbox SET sent_at = "
		    "now(), vars = NULL, attempts = attempts + 1, last_error "
		    "= NULL WHERE id = $1", 1, p, NULL);
	} else {
		d = wd_mailer_backoff(m->retry_min, m->retry_max, attempts);
		snprintf(delay, sizeof(delay), "%ld", d);
		p[1] = failname[fl];
		p[2] = delay;
		rc = wd_db_exec(&m->db, "UPDATE auth.outbox SET attempts = "
		    "attempts + 1, last_error = $2, next_attempt_at = now() + "
		    "make_interval(secs => $3::int) WHERE id = $1", 3, p,
		    NULL);
	}
	rc = wd_db_end(&m->db, rc);
	if (fl == F_NONE && rc == WD_OK)
		wd_log(NULL, WD_LOG_INFO, "mailer", "sent id=%s template=%s "
		    "attempt=%d", id, wd_db_val(r, 0, C_TMPL), attempts);
	else if (fl == F_NONE)
		wd_log(NULL, WD_LOG_ERR, "mailer", "sent but not recorded: "
		    "may be sent again id=%s", id);
	else
		wd_log(NULL, WD_LOG_WARN, "mailer", "not sent id=%s "
		    "template=%s error=%s%s%s reply=%ld attempt=%d "
		    "retry_in=%lds", id, wd_db_val(r, 0, C_TMPL),
		    failname[fl], why != NULL ? " why=" : "",
		    why != NULL ? why : "", reply, attempts, d);
out:
	if (!*done)
		rc = wd_db_end(&m->db, rc);
	wd_db_free(r);
	if (msg.p != NULL)
		explicit_bzero(msg.p, msg.cap);
	wd_buf_cleanup(&msg);
	return rc;
}

/*
 * A mail that could not go out for WD_MAILER_GIVE_UP_S carries only
 * expired tickets: it is never tried again (last_error "expired"), and
 * its variables, which hold them in clear, go.
 */
static enum wd_err
give_up(struct wd_mailer *m)
{
	char		 secs[24];
	const char	*p[1] = { secs };

	snprintf(secs, sizeof(secs), "%d", WD_MAILER_GIVE_UP_S);
	return wd_db_exec(&m->db, "UPDATE auth.outbox SET vars = NULL, "
	    "last_error = 'expired', next_attempt_at = 'infinity' WHERE "
	    "sent_at IS NULL AND next_attempt_at < 'infinity' AND created_at "
	    "< now() - make_interval(secs => $1::int)", 1, p, NULL);
}

enum wd_err
wd_mailer_round(struct wd_mailer *m, int *wait_ms)
{
	enum wd_err	 rc = WD_OK;
	struct wd_dbres	*r = NULL;
	int		 i, done = 1;
	long		 ms;

	*wait_ms = WD_MAILER_POLL_S * 1000;
	rc = give_up(m);
	if (rc != WD_OK)
		goto out;
	for (i = 0; i < WD_MAILER_BATCH && done; i++) {
		rc = one(m, &done);
		/* an outcome that could not be recorded (logged): look
		 * again only after the poll interval, not in a loop that
		 * might send the same row again at once */
		if (rc != WD_OK)
			goto out;
	}
	if (done) {
		*wait_ms = 0;	/* a full batch: more may be due */
		rc = WD_OK;
		goto out;
	}
	rc = wd_db_read(&m->db, "SELECT GREATEST(0, ceil(extract(epoch FROM "
	    "min(next_attempt_at) - now()) * 1000))::bigint FROM auth.outbox "
	    "WHERE sent_at IS NULL AND next_attempt_at < 'infinity'", 0, NULL,
	    &r);
	if (rc != WD_OK)
		goto out;
	if (!wd_db_null(r, 0, 0)) {
		ms = strtol(wd_db_val(r, 0, 0), NULL, 10);
		/* due but locked: another mailer is sending it */
		if (ms == 0 && i == 1)
			ms = 1000;
		if (ms < *wait_ms)
			*wait_ms = (int)ms;
	}
out:
	wd_db_free(r);
	return rc;
}

/* Sleeps ms without a connection, waking for *stop. */
static void
nap(long ms, volatile sig_atomic_t *stop)
{
	while (ms > 0 && !*stop) {
		poll(NULL, 0, ms > 1000 ? 1000 : (int)ms);
		ms -= 1000;
	}
}

int
wd_mailer_run(struct wd_mailer *m, volatile sig_atomic_t *stop)
{
	enum wd_err	 rc;
	long		 down_ms = 0;
	int		 wait_ms = 0, got, listening = 0;

	wd_log(NULL, WD_LOG_INFO, "mailer", "start templates=%s "
	    "retry=%ld..%lds", m->tdir, m->retry_min, m->retry_max);
	while (!*stop) {
		if (!listening) {
			/* LISTEN first, then look: a row committed between
			 * the two is found by the look */
			if (wd_db_listen(&m->db, WD_OUTBOX_CHANNEL) != WD_OK) {
				down_ms = down_ms == 0 ? 1000 :
				    down_ms >= 30000 ? 30000 : down_ms * 2;
				wd_log(NULL, WD_LOG_WARN, "mailer", "database "
				    "unavailable; retrying in %ldms", down_ms);
				nap(down_ms, stop);
				continue;
			}
			listening = 1;
			down_ms = 0;
			wd_log(NULL, WD_LOG_INFO, "mailer", "listening");
		}
		rc = wd_mailer_round(m, &wait_ms);
		if (rc == WD_E_DBDOWN) {
			listening = 0;
			continue;
		}
		if (rc != WD_OK)
			wait_ms = WD_MAILER_POLL_S * 1000;
		/* in steps of a second, so a stop is seen promptly */
		while (wait_ms > 0 && !*stop) {
			rc = wd_db_wait(&m->db, wait_ms > 1000 ? 1000 : wait_ms,
			    &got);
			if (rc != WD_OK) {
				listening = 0;
				break;
			}
			if (got > 0)
				break;
			wait_ms -= 1000;
		}
	}
	wd_log(NULL, WD_LOG_INFO, "mailer", "stopped");
	return 0;
}
