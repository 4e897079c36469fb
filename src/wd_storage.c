/*
 * wd_storage.c: the storage routes. Trust boundary: the key, the query,
 * the headers and the body are the client's; the key is decoded once and
 * validated (wd_skey) before anything else sees it, the body streams
 * through a fixed buffer into the backend, and metadata is written to
 * PostgreSQL only after the object is durable. Authorisation is bound to
 * the version checked: an update only replaces the blob the rules saw.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wd_auth.h"
#include "wd_json.h"
#include "wd_limits.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_multipart.h"
#include "wd_range.h"
#include "wd_rowcache.h"
#include "wd_sign.h"
#include "wd_skey.h"
#include "wd_storage.h"
#include "wd_throttle.h"
#include "wd_util.h"

#define MSG_DIRKEY	"A key ending in / is a directory"

#define SMALL_BODY	1024	/* sign's and revoke-token's JSON body */

#define PREFIX_LEN	11	/* "/storage/o/" */
#define SIGN_LEN	14	/* "/storage/sign/" */

/* Columns every query returns, in this order (see fill_obj). */
#define COLS	"blob, size, content_type, owner, token::text, " \
		"floor(extract(epoch FROM updated_at))::bigint, " \
		"to_char(updated_at AT TIME ZONE 'UTC', " \
		"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

struct obj {
	int		 found;
	char		 blob[WD_BLOB_LEN + 1];
	uint64_t	 size;
	char		 size_s[24];
	char		 ctype[WD_MAX_CTYPE + 1];
	char		 owner[WD_MAX_ID + 1];
	int		 has_owner;
	char		 token[40];
	char		 etag[WD_BLOB_LEN + 3];
	char		 date[40];		/* HTTP-date */
	char		 iso[40];		/* ISO 8601 */
};

struct sreq {
	struct wd_storage	*s;
	struct wd_req		*rq;
	int			 meta;		/* /storage/m/ */
	char			 key[WD_MAX_SKEY + 1];
	size_t			 klen;
	int			 dir;
	struct wd_claims	 c;
	int			 anon;
	int			 admin;
	/* a cookie's token that failed: the read goes on anonymous and
	 * answers this if the rules refuse an anonymous caller */
	enum wd_err		 cookie_rc;
	struct wd_rules_ctx	 ctx;
};

static void
copy(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src == NULL ? "" : src);
}

/* Row i of res (COLS at column off) into o; 0 if a value is off. */
static int
fill_obj(const struct wd_dbres *res, int i, int off, struct obj *o)
{
	time_t		 t;
	struct tm	 tm;
	uint64_t	 v;
	const char	*s;

	memset(o, 0, sizeof(*o));
	copy(o->blob, sizeof(o->blob), wd_db_val(res, i, off));
	s = wd_db_val(res, i, off + 1);
	if (!wd_store_blob_valid(o->blob) ||
	    wd_parse_u64(s, strlen(s), UINT64_MAX, &o->size) != WD_OK)
		return 0;
	copy(o->size_s, sizeof(o->size_s), s);
	copy(o->ctype, sizeof(o->ctype), wd_db_val(res, i, off + 2));
	if (!wd_mp_ctype_valid(o->ctype, strlen(o->ctype)))
		copy(o->ctype, sizeof(o->ctype), "application/octet-stream");
	o->has_owner = !wd_db_null(res, i, off + 3);
	copy(o->owner, sizeof(o->owner), wd_db_val(res, i, off + 3));
	copy(o->token, sizeof(o->token), wd_db_val(res, i, off + 4));
	s = wd_db_val(res, i, off + 5);
	if (wd_parse_u64(s, strlen(s), INT64_MAX, &v) != WD_OK)
		return 0;
	t = (time_t)v;
	gmtime_r(&t, &tm);
	strftime(o->date, sizeof(o->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	copy(o->iso, sizeof(o->iso), wd_db_val(res, i, off + 6));
	snprintf(o->etag, sizeof(o->etag), "\"%s\"", o->blob);
	o->found = 1;
	return 1;
}

static enum wd_err
lookup(struct sreq *r, struct obj *o)
{
	const char	*p[1] = { r->key };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	memset(o, 0, sizeof(*o));
	rc = wd_db_read(r->s->db, "SELECT " COLS " FROM storage.objects "
	    "WHERE key = $1", 1, p, &res);
	if (rc == WD_OK && wd_db_rows(res) == 1 && !fill_obj(res, 0, 0, o))
		rc = WD_E_INTERNAL;
	wd_db_free(res);
	return rc;
}

/*
 * A wrong admin secret: counted per address (issue #11), refused 403,
 * or 429 past the limit; a throttle that cannot be read fails closed.
 * Configured, a wrong secret is refused, never ignored. Counted and
 * checked in one statement (wd_throttle_take), so that guesses sent
 * together on several processes cannot pass the limit together.
 */
static enum wd_err
wrong_admin(struct sreq *r)
{
	const char	*ip = wd_http_param(r->rq, "REMOTE_ADDR");
	char		 tk[WD_THROTTLE_MAX_KEY];
	long		 left = 0;
	enum wd_err	 rc;

	snprintf(tk, sizeof(tk), "storage-admin|%s", ip == NULL ? "" : ip);
	rc = wd_throttle_take(r->s->db, tk, WD_THROTTLE_FAIL_WINDOW,
	    WD_STORAGE_ADMIN_FAILS, &left);
	if (rc == WD_OK)
		rc = WD_E_FORBIDDEN;
	else if (rc == WD_E_RATELIMIT)
		r->rq->retry_after = left;
	wd_http_log(r->rq, WD_LOG_WARN, "storage", rc == WD_E_RATELIMIT ?
	    "wrong admin secret, throttled" : "wrong admin secret");
	return rc;
}

/*
 * A read whose only credential, the cookie, failed (expired, revoked,
 * forged, repeated): the browser sends the cookie with every <img src>,
 * so refusing it here would break signed URLs, ?token= links and public
 * objects, which need no credential, for as long as the app has not
 * refreshed it. It goes on anonymous; what anonymous may not read answers
 * the cookie's error (401, so a client refreshes), never more.
 */
static enum wd_err
stale_cookie(struct sreq *r, enum wd_err rc)
{
	wd_claims_cleanup(&r->c);
	memset(&r->c, 0, sizeof(r->c));
	r->cookie_rc = rc;
	r->anon = 1;
	return WD_OK;
}

/* The caller: a verified token, or anonymous when none is presented. */
static enum wd_err
who(struct sreq *r)
{
	const char	*authz, *cookie, *tok = NULL, *adm;
	size_t		 len = 0;
	enum wd_err	 rc;

	/* the right secret always passes, over the limit of wrong ones
	 * too: at 32 bytes or more it cannot be guessed, and a lock-out
	 * would let anyone behind the admin's address (a proxy) shut the
	 * admin out */
	adm = wd_http_param(r->rq, "HTTP_X_WARDEN_ADMIN_SECRET");
	if (adm == NULL)	/* HBP v2's name for it */
		adm = wd_http_param(r->rq, "HTTP_X_ADMIN_SECRET");
	if (adm != NULL && r->s->admin_secret != NULL &&
	    r->s->admin_secret[0] != '\0') {
		if (!wd_ct_eq(adm, strlen(adm), r->s->admin_secret,
		    strlen(r->s->admin_secret)))
			return wrong_admin(r);
		r->admin = 1;
	}
	authz = wd_http_param(r->rq, "HTTP_AUTHORIZATION");
	/* a cookie rides along on cross-site requests: it may read
	 * (<img src>), never write; writes need Authorization */
	cookie = strcmp(r->rq->method, "GET") == 0 ||
	    strcmp(r->rq->method, "HEAD") == 0 ?
	    wd_http_param(r->rq, "HTTP_COOKIE") : NULL;
	rc = wd_auth_find(authz, authz == NULL ? 0 : strlen(authz), cookie,
	    cookie == NULL ? 0 : strlen(cookie), r->s->cookie_name, &tok,
	    &len);
	if (rc == WD_E_NOTFOUND) {
		r->anon = 1;
		return WD_OK;
	}
	if (rc == WD_OK)
		rc = wd_jwt_verify_cached(&r->s->tokens, r->s->key, tok, len,
		    time(NULL), &r->c);
	/* a logged-out session is refused here too, not only by the hook;
	 * a feed that cannot tell answers 503, never 401 (not a logout) */
	if (rc == WD_OK && r->c.sid != NULL && r->s->revoked != NULL) {
		rc = r->s->revoked(r->s->revoked_arg, r->c.sid);
		if (rc != WD_OK && rc != WD_E_REVOKED)
			rc = WD_E_REVOKEUNAVAIL;
	}
	if (rc == WD_OK)
		r->ctx.claims = r->c.ns;
	else if (rc != WD_E_REVOKEUNAVAIL && cookie != NULL &&
	    (authz == NULL || authz[0] == '\0'))
		rc = stale_cookie(r, rc);
	return rc;
}

/* Rules for op on key with resource o (NULL: none). WD_E_FORBIDDEN. */
static enum wd_err
authorize(struct sreq *r, enum wd_rules_op op, const char *key,
    size_t klen, const struct obj *o, int *pub)
{
	int	 allowed = 0;

	*pub = 0;
	if (r->admin)
		return WD_OK;
	memset(r->ctx.res, 0, sizeof(r->ctx.res));
	if (o != NULL && o->found) {
		r->ctx.res[WD_RES_KEY] = key;
		r->ctx.res[WD_RES_SIZE] = o->size_s;
		r->ctx.res[WD_RES_CONTENT_TYPE] = o->ctype;
		r->ctx.res[WD_RES_ETAG] = o->etag;
		r->ctx.res[WD_RES_OWNER] = o->has_owner ? o->owner : NULL;
		r->ctx.res[WD_RES_TOKEN] = o->token;
	}
	if (wd_rules_check(r->s->rules, op, key, klen, &r->ctx, &allowed,
	    pub) != WD_OK || !allowed)
		return r->cookie_rc != WD_OK ? r->cookie_rc : WD_E_FORBIDDEN;
	return WD_OK;
}

/*
 * The object at r->key, for op on it: WD_E_NOTFOUND when it is absent
 * (told only after the rules, so a refused caller learns nothing of
 * it), WD_E_FORBIDDEN when the rules refuse.
 */
static enum wd_err
existing(struct sreq *r, enum wd_rules_op op, struct obj *o)
{
	enum wd_err	 rc;
	int		 pub;

	memset(o, 0, sizeof(*o));
	rc = r->dir ? WD_E_NOTFOUND : lookup(r, o);
	if (rc == WD_OK)
		rc = authorize(r, op, r->key, r->klen, o, &pub);
	if (rc == WD_OK && !o->found)
		rc = WD_E_NOTFOUND;
	return rc;
}

static enum wd_err
add_str(struct wd_buf *b, const char *name, const char *v)
{
	enum wd_err	 rc;

	rc = wd_buf_addf(b, "\"%s\":", name);
	if (rc == WD_OK)
		rc = wd_json_add_str(b, v, strlen(v));
	return rc;
}

/* The metadata object: the fields, and HBP's HeadObject names
 * (hbp.md §2.3) so nhost-js-sdk callers reading Metadata.token work. */
static enum wd_err
meta_json(struct wd_buf *b, const char *key, size_t klen, const struct obj *o,
    int mine)
{
	enum wd_err	 rc;

	rc = wd_buf_adds(b, "{\"key\":");
	if (rc == WD_OK)
		rc = wd_json_add_str(b, key, klen);
	if (rc == WD_OK)
		rc = wd_buf_addf(b, ",\"size\":%s,", o->size_s);
	if (rc == WD_OK)
		rc = add_str(b, "content_type", o->ctype);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, ",");
	if (rc == WD_OK)
		rc = add_str(b, "etag", o->etag);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, ",");
	/* the access token and the owner's id only to the owner (or the
	 * admin): a reader of a public file or a listing learns neither */
	if (rc == WD_OK && mine)
		rc = add_str(b, "token", o->token);
	if (rc == WD_OK && mine)
		rc = wd_buf_adds(b, ",");
	if (rc == WD_OK)
		rc = add_str(b, "last_modified", o->iso);
	if (rc == WD_OK && mine)
		rc = wd_buf_adds(b, ",\"owner\":");
	if (rc == WD_OK && mine)
		rc = o->has_owner ? wd_json_add_str(b, o->owner,
		    strlen(o->owner)) : wd_buf_adds(b, "null");
	if (rc == WD_OK)
		rc = wd_buf_addf(b, ",\"AcceptRanges\":\"bytes\","
		    "\"ContentLength\":%s,", o->size_s);
	if (rc == WD_OK)
		rc = add_str(b, "ContentType", o->ctype);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, ",");
	if (rc == WD_OK)
		rc = add_str(b, "ETag", o->etag);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, ",");
	if (rc == WD_OK)
		rc = add_str(b, "LastModified", o->iso); /* a JS Date's JSON */
	if (rc == WD_OK)
		rc = wd_buf_adds(b, ",\"Metadata\":{");
	if (rc == WD_OK && mine)
		rc = add_str(b, "token", o->token);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, "}}");
	return rc;
}

/* 1 if the caller owns o (or is the admin). */
static int
is_mine(const struct sreq *r, const struct obj *o)
{
	return r->admin || (!r->anon && o->has_owner && r->c.user_id != NULL &&
	    strcmp(o->owner, r->c.user_id) == 0);
}

/* {"key": <key>}: all a caller who may not read the object is told. */
static enum wd_err
key_json(struct wd_buf *b, const char *key, size_t klen)
{
	enum wd_err	 rc;

	rc = wd_buf_adds(b, "{\"key\":");
	if (rc == WD_OK)
		rc = wd_json_add_str(b, key, klen);
	if (rc == WD_OK)
		rc = wd_buf_adds(b, "}");
	return rc;
}

/* The metadata of o, or with o NULL the key alone. */
static void
send_meta(struct sreq *r, const struct obj *o)
{
	struct wd_buf	 b;
	enum wd_err	 rc;

	wd_buf_init(&b, 16 * 1024);
	rc = o != NULL ? meta_json(&b, r->key, r->klen, o, is_mine(r, o)) :
	    key_json(&b, r->key, r->klen);
	if (rc != WD_OK)
		wd_http_error(r->rq, WD_E_INTERNAL, NULL);
	else
		wd_http_send(r->rq, 200, NULL, "application/json", b.p,
		    b.len);
	wd_buf_cleanup(&b);
}

/* If-None-Match (RFC 9110 §13.1.2): "*" or a list of entity tags,
 * compared weakly. */
static int
inm_match(const char *h, const char *etag)
{
	size_t	 el = strlen(etag);

	while (*h != '\0') {
		const char	*e;

		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		if (*h == '*')
			return 1;
		if (strncmp(h, "W/", 2) == 0)
			h += 2;
		if (*h != '"')
			return 0;
		e = strchr(h + 1, '"');
		if (e == NULL)
			return 0;
		if ((size_t)(e + 1 - h) == el && memcmp(h, etag, el) == 0)
			return 1;
		h = e + 1;
	}
	return 0;
}

struct dl {
	struct sreq	*r;
	int		 status;
	const struct wd_hdrs *hdrs;
	int		 head_sent;
};

static enum wd_err
dl_data(void *arg, const char *p, size_t len)
{
	struct dl	*d = arg;

	/* headers go out with the first byte, so a backend failing before
	 * it can still be answered with 503 */
	if (!d->head_sent) {
		wd_http_head(d->r->rq, d->status, d->hdrs);
		d->head_sent = 1;
	}
	return wd_http_write(d->r->rq, p, len);
}

/*
 * Percent-encodes (s, n) as a URL path into buf (size sz, NUL added):
 * every byte but unreserved characters and '/'. WD_E_TOOBIG when short.
 */
static enum wd_err
pct_path(const char *s, size_t n, char *buf, size_t sz, size_t *outn)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (o + 4 > sz)
			return WD_E_TOOBIG;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '.' ||
		    c == '-' || c == '_' || c == '~')
			buf[o++] = (char)c;
		else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	*outn = o;
	return WD_OK;
}

/*
 * The X-Sendfile value for path: the path itself for a whole object, or
 * lighttpd's X-Sendfile2 "<url-encoded path> <first>-<last>" for a range
 * (mod_fastcgi, http_response_xsendfile2: it decodes the path and sends
 * exactly those bytes; the status and Content-Range are ours).
 * WD_E_TOOBIG when buf is short.
 */
static enum wd_err
sendfile_hdr(const char *path, int partial, uint64_t off, uint64_t len,
    char *buf, size_t sz)
{
	size_t	 n = 0;
	int	 k;

	if (!partial) {
		k = snprintf(buf, sz, "%s", path);
		return k < 0 || (size_t)k >= sz ? WD_E_TOOBIG : WD_OK;
	}
	if (pct_path(path, strlen(path), buf, sz, &n) != WD_OK)
		return WD_E_TOOBIG;
	k = snprintf(buf + n, sz - n, " %llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	return k < 0 || (size_t)k >= sz - n ? WD_E_TOOBIG : WD_OK;
}

/* Query parameters of a signed URL (POST /storage/sign/<key>). */
#define SIG_EXP		"X-Warden-Expires"
#define SIG_SIG		"X-Warden-Signature"
#define SIG_OP		"read"
#define SIG_SKEW	60	/* s */

/*
 * A signed URL read: 0 when the query carries no signature parameter,
 * else 1 with *rc WD_OK when the signature is good for the object's
 * current version and not expired, WD_E_FORBIDDEN otherwise (a missing
 * object, an overwritten or deleted one, an expired or altered URL).
 */
static int
signed_read(struct sreq *r, const struct obj *o, enum wd_err *rc)
{
	char		 e[24], sig[WD_SIGN_HEX + 2];
	enum wd_err	 re, rs;
	uint64_t	 exp, now = (uint64_t)time(NULL);

	re = wd_http_query(r->rq, SIG_EXP, e, sizeof(e));
	rs = wd_http_query(r->rq, SIG_SIG, sig, sizeof(sig));
	if (re == WD_E_NOTFOUND && rs == WD_E_NOTFOUND)
		return 0;
	*rc = WD_E_FORBIDDEN;
	if (re != WD_OK || rs != WD_OK || r->s->sign_key == NULL ||
	    !o->found || wd_parse_u64(e, strlen(e), UINT64_MAX, &exp) !=
	    WD_OK)
		return 1;
	/* a lowered WARDEN_SIGNED_URL_MAX_AGE also ends the URLs issued
	 * under the old one that would outlive it (with a minute for the
	 * clocks of two hosts that sign and serve) */
	if (exp > now + (uint64_t)r->s->sign_max_age + SIG_SKEW)
		return 1;
	*rc = wd_sign_check(r->s->sign_key, r->s->sign_key_len, SIG_OP,
	    r->key, r->klen, o->blob, exp, sig, now);
	return 1;
}

/*
 * HBP's image parameters (hbp.md §2.3, tests §3.7 #26-#33): w and h
 * integers 0..8192, q 0..100, b a number 0.3..1000. Nothing here
 * transforms images (the object goes out as stored), but a value HBP
 * refuses is refused the same way, not passed over in silence.
 */
static enum wd_err
image_params(const struct sreq *r)
{
	static const struct {
		const char	*name;
		uint64_t	 max;
	} ints[] = { { "w", 8192 }, { "h", 8192 }, { "q", 100 } };
	char		 v[32], *end;
	uint64_t	 n;
	double		 b;
	size_t		 i;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		rc = wd_http_query(r->rq, ints[i].name, v, sizeof(v));
		if (rc == WD_E_NOTFOUND)
			continue;
		if (rc != WD_OK || wd_parse_u64(v, strlen(v), ints[i].max,
		    &n) != WD_OK)
			return WD_E_BADREQ;
	}
	rc = wd_http_query(r->rq, "b", v, sizeof(v));
	if (rc == WD_E_NOTFOUND)
		return WD_OK;
	if (rc != WD_OK)
		return WD_E_BADREQ;
	errno = 0;
	b = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(b >= 0.3 &&
	    b <= 1000))
		return WD_E_BADREQ;
	return WD_OK;
}

/*
 * The blob the row named was not in the store. An overwrite or a delete
 * removes the blob it replaced right after its commit, so a read that
 * falls between the two finds it gone: the row is read again. 1 when it
 * names another blob now (the caller reads that version); else 0 with
 * *rc: the delete's 404, or, when the row still names the blob, the
 * store's loss, which an operator must hear of (logged, 500).
 */
static int
blob_gone(struct sreq *r, const char *blob, enum wd_err *rc)
{
	struct obj	 now;

	*rc = lookup(r, &now);
	if (*rc != WD_OK)
		return 0;
	if (!now.found) {
		*rc = WD_E_NOTFOUND;
		return 0;
	}
	if (strcmp(now.blob, blob) != 0)
		return 1;
	wd_http_log(r->rq, WD_LOG_ERR, "storage", "object row without its "
	    "blob %s", blob);
	*rc = WD_E_INTERNAL;
	return 0;
}

/*
 * A row kept for the read of r->key (issue #11): a 1 MiB download of a
 * hot object paid a PostgreSQL round trip to learn what the last one
 * had. On fs a row this process read for an allowed read less than
 * WARDEN_STORAGE_ROW_CACHE_MS ago is used again while its blob file is
 * there: an overwrite or a delete removes the blob it replaced after
 * its commit and before its answer, so no read after that answer takes
 * the old row. The age bounds what the blob cannot tell: a writer that
 * died, failed to remove the blob or could not read its commit's
 * outcome, and a revoke-token, which leaves the blob as it is. 1 with
 * *o and path (o's blob file, just found there), else 0 (*o may then
 * hold a dropped row: the caller reads the row).
 */
static int
kept_row(struct sreq *r, struct obj *o, int64_t now, char *path,
    size_t psz)
{
	if (!wd_rowcache_get(&r->s->rows, r->key, r->klen, now, o))
		return 0;
	if (wd_store_path(r->s->store, o->blob, path, psz) == WD_OK)
		return 1;
	wd_rowcache_drop(&r->s->rows, r->key, r->klen);
	return 0;
}

/* The decision on a read of *o, read afresh first when fresh. */
static enum wd_err
decide(struct sreq *r, struct obj *o, int fresh, int *sig, int *pub)
{
	enum wd_err	 rc = fresh ? lookup(r, o) : WD_OK;

	*sig = *pub = 0;
	/* a signed URL stands instead of the rules for exactly the version
	 * it was signed for; a bad one is refused, never anonymous */
	if (rc == WD_OK && !r->meta)
		*sig = signed_read(r, o, &rc);
	if (rc == WD_OK && !*sig)
		rc = authorize(r, WD_RULES_GET, r->key, r->klen, o, pub);
	return rc;
}

/*
 * The row for a GET or HEAD of r->key and the decision on it: WD_OK
 * when the read may go on with *o, *sig when a signed URL allowed it,
 * *pub when a public rule did, *seen when o came from kept_row (path is
 * then its blob file). A request with a query (a signed URL, ?token=)
 * always reads the row, so a revoke-token ends those links at once;
 * so do /storage/m/ and S3 (no local blob to check).
 */
static enum wd_err
read_allowed(struct sreq *r, struct obj *o, char *path, size_t psz,
    int *seen, int *sig, int *pub)
{
	int64_t		 now = 0;
	int		 keep;
	enum wd_err	 rc;

	*seen = 0;
	keep = r->s->store->kind == WD_STORE_FS && !r->meta &&
	    strchr(r->rq->uri, '?') == NULL;
	if (keep) {
		now = wd_revoke_now_ms();
		*seen = kept_row(r, o, now, path, psz);
	}
	rc = decide(r, o, !*seen, sig, pub);
	/* a refusal costs what it cost without a kept row (the row is
	 * read, and decided on) but for the blob check and one rules
	 * run, so its time tells a refused caller nothing of the key */
	if (rc != WD_OK && *seen) {
		*seen = 0;
		rc = decide(r, o, 1, sig, pub);
	}
	if (rc == WD_OK && !o->found)
		rc = WD_E_NOTFOUND;
	/* kept once allowed, never absence (an upload shows at once), and
	 * never for a refused caller, whose probes then fill nothing */
	if (rc == WD_OK && keep && !*seen)
		wd_rowcache_put(&r->s->rows, r->key, r->klen, now, o);
	return rc;
}

/* One try at a GET or HEAD: 1 when the version read was replaced under
 * it and, unless last, the caller should try again. */
static int
get_version(struct sreq *r, int last)
{
	struct obj	 o;
	struct wd_range	 rg = { 0, 0 };
	struct dl	 d = { r, 200, NULL, 0 };
	struct wd_hdrs	 hdr;
	char		 num[64], path[1024], xs[3 * 1024 + 64];
	const char	*inm, *rh, *ir, *cc;
	enum wd_err	 rc;
	uint64_t	 off = 0, len;
	int		 pub, partial = 0, status = 200, started = 0;
	int		 head = strcmp(r->rq->method, "HEAD") == 0, sig, seen;

	wd_hdrs_init(&hdr);
	rc = r->meta ? WD_OK : image_params(r);
	if (rc != WD_OK) {
		wd_http_error(r->rq, rc, "w and h must be integers from 0 to "
		    "8192, q from 0 to 100, b a number from 0.3 to 1000");
		return 0;
	}
	rc = read_allowed(r, &o, path, sizeof(path), &seen, &sig, &pub);
	if (rc != WD_OK) {
		wd_http_error(r->rq, rc, NULL);
		return 0;
	}
	if (r->meta) {
		send_meta(r, &o);
		return 0;
	}
	/* anything a rule gave to a particular caller stays private */
	cc = pub ? "public, max-age=300" : "private, no-cache";
	wd_hdrs_add(&hdr, "ETag", o.etag);
	wd_hdrs_add(&hdr, "Last-Modified", o.date);
	wd_hdrs_add(&hdr, "Cache-Control", cc);
	wd_hdrs_add(&hdr, "Accept-Ranges", "bytes");
	inm = wd_http_param(r->rq, "HTTP_IF_NONE_MATCH");
	if (inm != NULL && inm_match(inm, o.etag)) {
		wd_http_head(r->rq, 304, &hdr);
		return 0;
	}
	len = o.size;
	rh = wd_http_param(r->rq, "HTTP_RANGE");
	ir = wd_http_param(r->rq, "HTTP_IF_RANGE");
	/* If-Range with another validator: send the whole new object */
	if (rh != NULL && (ir == NULL || strcmp(ir, o.etag) == 0)) {
		rc = wd_range_parse(rh, strlen(rh), o.size, &partial, &rg);
		if (rc == WD_E_RANGE) {
			snprintf(num, sizeof(num), "bytes */%s", o.size_s);
			wd_hdrs_add(&hdr, "Content-Range", num);
			wd_hdrs_add(&hdr, "Content-Length", "0");
			wd_http_head(r->rq, 416, &hdr);
			return 0;
		}
		if (partial) {
			status = 206;
			off = rg.start;
			len = rg.end - rg.start + 1;
			snprintf(num, sizeof(num), "bytes %llu-%llu/%s",
			    (unsigned long long)rg.start,
			    (unsigned long long)rg.end, o.size_s);
			wd_hdrs_add(&hdr, "Content-Range", num);
		}
	}
	/* user content, served from our origin: never sniffed, never
	 * run as a page with our cookies (stored XSS) */
	wd_hdrs_add(&hdr, "Content-Type", o.ctype);
	wd_hdrs_add(&hdr, "X-Content-Type-Options", "nosniff");
	wd_hdrs_add(&hdr, "Content-Security-Policy",
	    "sandbox; default-src 'none'");
	if (!head && len > 0 && r->s->sendfile && (seen ||
	    wd_store_path(r->s->store, o.blob, path, sizeof(path)) ==
	    WD_OK)) {
		/* lighttpd sends the file itself (mod_fastcgi x-sendfile),
		 * ranges too: no object byte passes through this process,
		 * so a client that never reads holds no storage process */
		if (sendfile_hdr(path, partial, off, len, xs, sizeof(xs)) ==
		    WD_OK) {
			wd_hdrs_add(&hdr, partial ? "X-Sendfile2" :
			    "X-Sendfile", xs);
			wd_http_head(r->rq, status, &hdr);
			return 0;
		}
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)len);
	wd_hdrs_add(&hdr, "Content-Length", num);
	if (head || len == 0) {
		wd_http_head(r->rq, status, &hdr);
		return 0;
	}
	d.status = status;
	d.hdrs = &hdr;
	rc = wd_store_read(r->s->store, o.blob, off, len, dl_data, &d,
	    &started);
	if (rc == WD_E_NOTFOUND && !started && blob_gone(r, o.blob, &rc)) {
		if (!last)
			return 1;
		rc = WD_E_UNAVAILABLE;	/* replaced under every try */
	}
	/* a delete ends a signed URL as it ends its version: 403, as the
	 * URL answers from now on (API.md §7) */
	if (rc == WD_E_NOTFOUND && sig)
		rc = WD_E_FORBIDDEN;
	if (rc != WD_OK && !started)
		wd_http_error(r->rq, rc == WD_E_STOREDOWN || rc ==
		    WD_E_NOTFOUND || rc == WD_E_FORBIDDEN || rc ==
		    WD_E_UNAVAILABLE || rc == WD_E_DBDOWN ? rc :
		    WD_E_INTERNAL, NULL);
	else if (rc != WD_OK)
		wd_http_log(r->rq, WD_LOG_WARN, "storage", "download cut "
		    "short code=%s", wd_err_info(rc)->code);
	return 0;
}

#define GET_TRIES	3

static void
get_object(struct sreq *r)
{
	int	 i;

	for (i = 1; get_version(r, i == GET_TRIES); i++)
		;
}

/* ---- upload ---- */

/*
 * How an upload stays provable to the sweep (issue #11). From before its
 * blob id names anything until its row is committed (or its blob and
 * multipart upload are gone again), the uploading process holds a
 * session-level advisory lock named by the blob id (wd_db_trylock). The
 * sweep touches a blob, or a recorded multipart upload, only after
 * taking that lock itself, and then reads the row afresh: holding it
 * means the upload has either committed its row (which it then sees) or
 * ended without one, or its process died (the lock went with its
 * session). So no age is needed to tell a live upload from a dead one:
 * the lock is taken before the blob (or the named temporary file of the
 * fs fallback) can exist, leaving no window (ul_begin). While
 * the lock is held the database connection is pinned: if it breaks, the
 * upload fails rather than write its row on a new session that does not
 * hold the lock.
 *
 * An S3 multipart upload is recorded in storage.uploads (sql/011)
 * before CreateMultipartUpload is sent and with its id once known; the
 * record goes in the row's transaction on success, after a verified
 * abort on failure, and otherwise stays for the sweep to abort.
 */

struct ul {
	struct sreq		*r;
	struct wd_store_put	*put;
	uint64_t		 max;		/* file bytes allowed */
	enum wd_err		 over;		/* past max: TOOBIG or QUOTA */
	int			 recorded;	/* a storage.uploads row may
						 * exist */
};

static enum wd_err
ul_data(void *arg, const char *p, size_t len)
{
	struct ul	*u = arg;

	if (len > u->max - u->put->size)
		return u->over;
	return wd_store_put_write(u->put, p, len);
}

/* wd_store_read_fn: a raw body, whose announced length the quota
 * reservation and size cap already cover. */
static enum wd_err
ul_read(void *arg, char *p, size_t n, size_t *got)
{
	struct ul	*u = arg;

	return wd_http_read_some(u->r->rq, p, n, got);
}

/* wd_store_record_fn: the multipart upload into storage.uploads, under
 * the upload's lock (the connection is pinned: no statement runs on a
 * session that does not hold it). */
static enum wd_err
ul_record(void *arg, const char *blob, const char *id)
{
	struct ul	*u = arg;
	const char	*p[2] = { blob, id };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	u->recorded = 1;	/* an INSERT whose answer is lost may stand */
	if (id == NULL)
		return wd_db_exec(u->r->s->db, "INSERT INTO storage.uploads "
		    "(blob) VALUES ($1)", 1, p, NULL);
	rc = wd_db_exec(u->r->s->db, "UPDATE storage.uploads SET "
	    "upload_id = $2 WHERE blob = $1", 2, p, &res);
	if (rc == WD_OK && wd_db_affected(res) != 1)
		rc = WD_E_INTERNAL;
	wd_db_free(res);
	return rc;
}

struct claim {
	struct sreq	*r;
	int		 got;	/* the lock is held */
};

/* wd_store_claim_fn: the blob's lock, before anything is made under the
 * id; WD_E_CONFLICT when another session holds it. */
static enum wd_err
ul_claim(void *arg, const char *blob)
{
	struct claim	*c = arg;
	enum wd_err	 rc;

	rc = wd_db_trylock(c->r->s->db, blob, &c->got);
	return rc == WD_OK && !c->got ? WD_E_CONFLICT : rc;
}

/*
 * Opens the upload and takes its lock (see above) before the blob, or a
 * temporary file of it, exists. Blob ids are random, so a lock held
 * elsewhere means another id hashing alike: a new id is drawn. WD_OK
 * with put open and the lock held.
 */
static enum wd_err
ul_begin(struct sreq *r, struct wd_store_put *put)
{
	struct claim	 c = { r, 0 };
	enum wd_err	 rc = WD_E_INTERNAL;
	int		 i;

	for (i = 0; i < 4; i++) {
		c.got = 0;
		rc = wd_store_put_begin_as(r->s->store, put, ul_claim, &c);
		if (rc == WD_OK)
			return WD_OK;
		(void)wd_store_put_abort(put);	/* nothing made */
		if (c.got)
			wd_db_unlock(r->s->db, put->blob);
		if (rc != WD_E_CONFLICT)
			return rc;
	}
	return WD_E_INTERNAL;
}

/*
 * After a write whose answer was lost (wd_db_exec's WD_E_DBDOWN: it may
 * or may not have committed, and it is never sent again), asks on a
 * fresh connection which blob the key's row holds now ("" for no row),
 * once the old session is gone (wd_db_settle). Blob names are random
 * and never reused, so this settles the outcome. WD_E_DBDOWN when that
 * cannot be known either.
 */
static enum wd_err
row_blob(struct sreq *r, char *blob, size_t n)
{
	const char	*p[1] = { r->key };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	/* the old session may still be committing: end it first, or the
	 * read could see the state before a commit that lands after it */
	rc = wd_db_settle(r->s->db);
	if (rc == WD_OK)
		rc = wd_db_read(r->s->db, "SELECT blob FROM storage.objects "
		    "WHERE key = $1", 1, p, &res);
	if (rc == WD_OK)
		snprintf(blob, n, "%s", wd_db_rows(res) == 1 ?
		    wd_db_val(res, 0, 0) : "");
	wd_db_free(res);
	if (rc != WD_OK)
		wd_http_log(r->rq, WD_LOG_ERR, "storage", "write outcome "
		    "unknown: blobs kept");
	return rc;
}

/* ---- quota (issue #11) ---- */

/*
 * The bytes free for owner $1 with an upload replacing $3 bytes under
 * quota $4: the quota less what is used and what live reservations hold.
 */
#define QUOTA_FREE	"$4::bigint - COALESCE((SELECT used FROM " \
	"storage.usage WHERE owner = $1), 0) + $3::bigint - " \
	"COALESCE((SELECT sum(bytes) FROM storage.reservations WHERE " \
	"owner = $1 AND storage.reservation_live(created_at, blob)), 0)"

/*
 * Reserves for owner between need and want bytes against the quota,
 * counting the bytes the upload replaces (oldsz) as freed: as many as
 * are free, up to want. WD_OK with the reservation's id in rid and its
 * size in *got; WD_E_QUOTA when fewer than need are free (used + live
 * reservations + need - oldsz would pass the quota). A raw body asks
 * need = want = its length; a multipart body need = 0 and want = its
 * length less the least framing, and its file is cut off at *got. The
 * owner's usage row is locked by the first statement, so the second (a
 * fresh snapshot, READ COMMITTED) sees every reservation and row change
 * committed before: concurrent uploads of one owner are checked one
 * after the other.
 */
static enum wd_err
quota_reserve(struct sreq *r, const char *owner, uint64_t need,
    uint64_t want, uint64_t oldsz, char *rid, size_t ridsz, uint64_t *got)
{
	char		 ws[24], os[24], qs[24], ns[24];
	const char	*p[5] = { owner, ws, os, qs, ns };
	struct wd_dbres	*res = NULL;
	const char	*v;
	enum wd_err	 rc;

	*got = 0;
	snprintf(ws, sizeof(ws), "%llu", (unsigned long long)want);
	snprintf(os, sizeof(os), "%llu", (unsigned long long)oldsz);
	snprintf(qs, sizeof(qs), "%llu", (unsigned long long)r->s->quota);
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)need);
	rc = wd_db_begin(r->s->db);
	if (rc != WD_OK)
		return rc;
	rc = wd_db_exec(r->s->db, "INSERT INTO storage.usage AS u (owner) "
	    "VALUES ($1) ON CONFLICT (owner) DO UPDATE SET used = u.used",
	    1, p, NULL);
	if (rc == WD_OK)
		rc = wd_db_exec(r->s->db, "INSERT INTO storage.reservations "
		    "(owner, bytes) SELECT $1, least($2::bigint, free) FROM "
		    "(SELECT " QUOTA_FREE " AS free) f WHERE free >= "
		    "$5::bigint RETURNING id, bytes", 5, p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_QUOTA;
	if (rc == WD_OK) {
		snprintf(rid, ridsz, "%s", wd_db_val(res, 0, 0));
		v = wd_db_val(res, 0, 1);
		if (wd_parse_u64(v, strlen(v), want, got) != WD_OK)
			rc = WD_E_INTERNAL;
	}
	wd_db_free(res);
	/* a lost COMMIT leaves at most a reservation that expires (and
	 * that quota_release tries to delete) */
	return wd_db_end(r->s->db, rc);
}

/*
 * Names the upload's blob in its reservation rid (if any), once the
 * upload holds the blob's lock: the reservation then counts for as long
 * as the lock is held, however long the upload takes
 * (storage.reservation_live, sql/012).
 */
static enum wd_err
quota_hold(struct sreq *r, const char *rid, const char *blob)
{
	const char	*p[2] = { rid, blob };

	if (rid[0] == '\0')
		return WD_OK;
	return wd_db_exec(r->s->db, "UPDATE storage.reservations SET blob = "
	    "$2 WHERE id = $1", 2, p, NULL);
}

/* Drops reservation rid (best effort: it expires after an hour). */
static void
quota_release(struct sreq *r, const char *rid)
{
	const char	*p[1] = { rid };

	if (rid[0] == '\0')
		return;
	if (wd_db_exec(r->s->db, "DELETE FROM storage.reservations WHERE "
	    "id = $1", 1, p, NULL) != WD_OK)
		wd_http_log(r->rq, WD_LOG_WARN, "storage", "reservation %s "
		    "left to expire", rid);
}

/*
 * Writes the row for a stored blob: a create inserts only if the key is
 * still free, an update replaces only the version the rules saw. In one
 * transaction with it, the reservation rid (if any) and the upload's
 * record (if recorded) are deleted, so usage settles to the real size
 * exactly when the row appears. Runs on the pinned session that holds
 * the upload's lock. WD_E_CONFLICT when another request won the race;
 * WD_E_DBDOWN when the outcome is unknown (the caller re-reads).
 */
static enum wd_err
put_row(struct sreq *r, const struct obj *old, const char *blob,
    uint64_t size, const char *ctype, const char *rid, int recorded,
    struct obj *o)
{
	char		 sz[24];
	const char	*p[5], *q[1];
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	p[0] = r->key;
	p[1] = blob;
	p[2] = sz;
	p[3] = ctype;
	rc = wd_db_begin(r->s->db);
	if (rc != WD_OK)
		return rc;
	if (old->found) {
		p[4] = old->blob;
		rc = wd_db_exec(r->s->db, "UPDATE storage.objects SET "
		    "blob = $2, size = $3, content_type = $4, "
		    "updated_at = now() WHERE key = $1 AND blob = $5 "
		    "RETURNING " COLS, 5, p, &res);
	} else {
		p[4] = r->anon ? NULL : r->c.user_id;
		rc = wd_db_exec(r->s->db, "INSERT INTO storage.objects "
		    "(key, blob, size, content_type, owner) VALUES "
		    "($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING "
		    "RETURNING " COLS, 5, p, &res);
	}
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_CONFLICT;
	if (rc == WD_OK && !fill_obj(res, 0, 0, o))
		rc = WD_E_INTERNAL;
	wd_db_free(res);
	q[0] = rid;
	if (rc == WD_OK && rid[0] != '\0')
		rc = wd_db_exec(r->s->db, "DELETE FROM storage.reservations "
		    "WHERE id = $1", 1, q, NULL);
	q[0] = blob;
	if (rc == WD_OK && recorded)
		rc = wd_db_exec(r->s->db, "DELETE FROM storage.uploads "
		    "WHERE blob = $1", 1, q, NULL);
	return wd_db_end(r->s->db, rc);
}

/*
 * Whose quota an upload to the version old counts against: the owner's
 * (the first uploader's, kept by updates); NULL when none is counted.
 */
static const char *
quota_owner(const struct sreq *r, const struct obj *old)
{
	if (r->s->quota == 0)
		return NULL;
	return old->found ? (old->has_owner ? old->owner : NULL) :
	    (r->anon ? NULL : r->c.user_id);
}

/*
 * Would the quota refuse an upload of a body of cl bytes now? A check
 * (nginx, before the body) asks it: the free bytes quota_reserve counts,
 * read without reserving or locking. WD_E_QUOTA only when the real
 * request, arriving now, would be refused (a raw body larger than what
 * is free, or nothing free at all); the real request reserves, and may
 * still be refused after other uploads of the owner.
 */
static enum wd_err
quota_peek(struct sreq *r, const struct obj *old, int multipart,
    uint64_t cl)
{
	char		 ns[24], os[24], qs[24];
	const char	*p[4] = { quota_owner(r, old), ns, os, qs };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	if (p[0] == NULL)
		return WD_OK;
	/* a multipart file is cut off at what is free: need none */
	snprintf(ns, sizeof(ns), "%llu", multipart ? 0ULL :
	    (unsigned long long)cl);
	snprintf(os, sizeof(os), "%llu", old->found ?
	    (unsigned long long)old->size : 0ULL);
	snprintf(qs, sizeof(qs), "%llu", (unsigned long long)r->s->quota);
	rc = wd_db_exec(r->s->db, "SELECT " QUOTA_FREE " >= $2::bigint", 4,
	    p, &res);
	if (rc == WD_OK && wd_db_rows(res) != 1)
		rc = WD_E_INTERNAL;
	if (rc == WD_OK && strcmp(wd_db_val(res, 0, 0), "t") != 0)
		rc = WD_E_QUOTA;
	wd_db_free(res);
	return rc;
}

/*
 * The quota check for an upload of a body of cl bytes (multipart: with
 * its framing). WD_OK with the reservation in rid (empty when nothing is
 * counted) and the file's cap in u.
 */
static enum wd_err
put_quota(struct sreq *r, const struct obj *old, int multipart, size_t blen,
    uint64_t cl, char *rid, size_t ridsz, struct ul *u)
{
	const char	*owner = quota_owner(r, old);
	uint64_t	 want, got;
	enum wd_err	 rc;

	u->max = r->s->max_size;
	u->over = WD_E_TOOBIG;
	/* checked before a byte is stored */
	if (owner == NULL)
		return WD_OK;
	if (!multipart) {
		/* a raw body is the file: exact */
		return quota_reserve(r, owner, cl, cl, old->found ?
		    old->size : 0, rid, ridsz, &got);
	}
	/* a multipart file has at most cl less the least framing bytes
	 * (WD_MP_MIN_FRAMING) and none of them may be past the cap; as
	 * much of that as is free is reserved, and the file is cut off
	 * (413 quota-exceeded, nothing kept) if it is larger */
	want = cl > WD_MP_MIN_FRAMING(blen) ? cl - WD_MP_MIN_FRAMING(blen) : 0;
	if (want > r->s->max_size)
		want = r->s->max_size;
	rc = quota_reserve(r, owner, 0, want, old->found ? old->size : 0,
	    rid, ridsz, &got);
	if (rc == WD_OK && got < want) {
		u->max = got;
		u->over = WD_E_QUOTA;
	}
	return rc;
}

/*
 * An upload to a key ending in '/', which names a directory and holds no
 * bytes: 404 when the rules would let the caller create a file in it
 * (HBP, hbp.md §3.7 #10), 403 when not (#11), as for any file there.
 */
static enum wd_err
dir_upload(struct sreq *r)
{
	char	 probe[sizeof(r->key) + 1];
	int	 pub;

	memcpy(probe, r->key, r->klen);
	probe[r->klen] = 'f';
	probe[r->klen + 1] = '\0';
	if (authorize(r, WD_RULES_CREATE, probe, r->klen + 1, NULL, &pub) !=
	    WD_OK)
		return WD_E_FORBIDDEN;
	return WD_E_NOTFOUND;
}

/* An upload as its headers announce it. */
struct put_head {
	char		 bnd[WD_MAX_MP_BOUNDARY + 1];
	size_t		 blen;		/* 0: a raw body */
	uint64_t	 cl;		/* the body's length */
	const char	*ctype;		/* raw: the object's type */
};

/*
 * All an upload is checked for before a byte of its body is read: the
 * key, the type, the announced length against the cap, and the rules
 * for the version there now (*old). A check (nginx auth_request) asks
 * exactly this, and the quota without reserving (quota_peek).
 */
static enum wd_err
put_check(struct sreq *r, struct obj *old, struct put_head *h)
{
	const char	*ct;
	enum wd_err	 rc;
	int		 pub;

	memset(old, 0, sizeof(*old));
	memset(h, 0, sizeof(*h));
	if (r->dir)
		return dir_upload(r);
	ct = wd_http_param(r->rq, "CONTENT_TYPE");
	if (ct == NULL)
		ct = "";
	rc = wd_mp_boundary(ct, strlen(ct), h->bnd, sizeof(h->bnd), &h->blen);
	if (rc != WD_OK && rc != WD_E_NOTFOUND)
		return rc;
	/* the cap is checked before a byte is read (STYLE.md §6) */
	rc = wd_http_body_len(r->rq, h->blen > 0 ? r->s->max_size +
	    WD_MAX_MP_OVERHEAD : r->s->max_size, &h->cl);
	if (rc != WD_OK)
		return rc;
	h->ctype = ct[0] == '\0' ? "application/octet-stream" : ct;
	if (h->blen == 0 && !wd_mp_ctype_valid(h->ctype, strlen(h->ctype)))
		return WD_E_BADREQ;
	rc = lookup(r, old);
	if (rc == WD_OK)
		rc = authorize(r, old->found ? WD_RULES_UPDATE :
		    WD_RULES_CREATE, r->key, r->klen, old, &pub);
	return rc;
}

static void
put_object(struct sreq *r)
{
	struct wd_store_put	 put = { .fd = -1 };
	struct wd_mp		*mp = NULL;
	struct ul		 u;
	struct obj		 old, o;
	struct put_head		 h;
	char			 rid[24] = "", now[WD_BLOB_LEN + 1];
	char			*buf = NULL;
	const char		*ctype;
	const char		*p[1];
	size_t			 got;
	uint64_t		 left;
	enum wd_err		 rc, arc = WD_OK, brc;
	int			 multipart, open_ = 0, locked = 0;
	int			 settled = 0, stored = 0;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.put = &put;
	rc = put_check(r, &old, &h);
	multipart = h.blen > 0;
	ctype = h.ctype;
	if (rc == WD_OK)
		rc = put_quota(r, &old, multipart, h.blen, h.cl, rid,
		    sizeof(rid), &u);
	if (rc != WD_OK)
		goto out;
	rc = ul_begin(r, &put);
	if (rc != WD_OK)
		goto out;
	open_ = locked = 1;
	rc = quota_hold(r, rid, put.blob);
	if (rc != WD_OK)
		goto out;
	put.record = ul_record;
	put.record_arg = &u;
	if (multipart) {
		mp = wd_xmalloc(sizeof(*mp));
		wd_mp_init(mp, h.bnd, h.blen, ul_data, &u);
		buf = wd_xmalloc(WD_STORE_CHUNK);
		for (left = h.cl; left > 0; left -= got) {
			rc = wd_http_read_some(r->rq, buf, left <
			    WD_STORE_CHUNK ? (size_t)left : WD_STORE_CHUNK,
			    &got);
			/* the client went away: nothing kept */
			if (rc == WD_OK)
				rc = wd_mp_feed(mp, buf, got);
			if (rc != WD_OK)
				goto out;
		}
		rc = wd_mp_finish(mp);
		if (rc != WD_OK)
			goto out;
		ctype = mp->ctype;
	} else {
		/* the body is the object and its length is known: it
		 * streams to the store (to S3 part by part) as it is read */
		rc = wd_store_put_from(&put, h.cl, ul_read, &u);
		if (rc != WD_OK)
			goto out;
	}
	rc = wd_store_put_commit(&put);
	if (rc != WD_OK) {
		/* it may have been done all the same: S3 stored the PUT or
		 * completed the upload, and its answer was lost. No row
		 * points at the blob and its lock is ours: it goes now. */
		if ((brc = wd_store_remove(r->s->store, put.blob)) != WD_OK &&
		    brc != WD_E_NOTFOUND)
			wd_http_log(r->rq, WD_LOG_ERR, "storage", "orphan "
			    "blob=%s", put.blob);
		goto out;
	}
	open_ = 0;
	stored = 1;
	rc = put_row(r, &old, put.blob, put.size, ctype, rid, u.recorded,
	    &o);
	/* released with the row; otherwise quota_release deletes it
	 * (a no-op if a lost COMMIT did commit) */
	if (rc == WD_OK) {
		rid[0] = '\0';
		settled = 1;
	} else if (rc == WD_E_DBDOWN) {
		/* the session is gone, and the lock with it: the outcome
		 * is read on a new one */
		wd_db_unlock(r->s->db, put.blob);
		locked = 0;
		if (row_blob(r, now, sizeof(now)) != WD_OK)
			stored = 0;	/* a row may point at it: kept */
		else if (strcmp(now, put.blob) == 0) {
			settled = 1;	/* it did commit */
			rc = lookup(r, &o);
		}
	}
	if (!settled) {
		/* the row failed: the object must not stay behind (unless
		 * a row may point at it; the sweep settles that) */
		if (stored && wd_store_remove(r->s->store, put.blob) != WD_OK)
			wd_http_log(r->rq, WD_LOG_ERR, "storage", "orphan "
			    "blob=%s", put.blob);
		goto out;
	}
	if (old.found && wd_store_remove(r->s->store, old.blob) != WD_OK)
		wd_http_log(r->rq, WD_LOG_ERR, "storage", "orphan blob=%s",
		    old.blob);
	if (rc == WD_OK) {
		wd_http_log(r->rq, WD_LOG_INFO, "storage", "stored "
		    "size=%llu user=%s new=%d", (unsigned long long)o.size,
		    r->anon ? "-" : r->c.user_id, !old.found);
		send_meta(r, &o);
	}
out:
	if (open_)
		arc = wd_store_put_abort(&put);
	/* the multipart upload is gone (completed or verifiably aborted):
	 * its record goes too; otherwise it stays for the sweep */
	p[0] = put.blob;
	if (u.recorded && !settled && (arc != WD_OK ||
	    wd_db_exec(r->s->db, "DELETE FROM storage.uploads WHERE "
	    "blob = $1", 1, p, NULL) != WD_OK))
		wd_http_log(r->rq, WD_LOG_WARN, "storage", "multipart upload "
		    "left to the sweep blob=%s", put.blob);
	if (locked)
		wd_db_unlock(r->s->db, put.blob);
	quota_release(r, rid);
	if (rc != WD_OK)
		wd_http_error(r->rq, rc, rc == WD_E_NOTFOUND && r->dir ?
		    MSG_DIRKEY : NULL);
	free(mp);
	free(buf);
}

/* ---- delete ---- */

static void
delete_object(struct sreq *r)
{
	const char	*p[2];
	struct wd_dbres	*res = NULL;
	struct obj	 o;
	char		 now[WD_BLOB_LEN + 1];
	enum wd_err	 rc;

	rc = existing(r, WD_RULES_DELETE, &o);
	if (rc == WD_OK) {
		p[0] = r->key;
		p[1] = o.blob;
		rc = wd_db_exec(r->s->db, "DELETE FROM storage.objects "
		    "WHERE key = $1 AND blob = $2", 2, p, &res);
		if (rc == WD_OK && wd_db_affected(res) != 1)
			rc = WD_E_CONFLICT;
		wd_db_free(res);
		/* the answer was lost: gone now means it was done */
		if (rc == WD_E_DBDOWN && row_blob(r, now, sizeof(now)) ==
		    WD_OK && now[0] == '\0')
			rc = WD_OK;
	}
	if (rc != WD_OK) {
		wd_http_error(r->rq, rc, NULL);
		return;
	}
	/* the row is gone first: a failure here leaves an unreachable
	 * blob, never a row pointing at nothing */
	if (wd_store_remove(r->s->store, o.blob) != WD_OK)
		wd_http_log(r->rq, WD_LOG_ERR, "storage", "orphan blob=%s",
		    o.blob);
	wd_http_log(r->rq, WD_LOG_INFO, "storage", "deleted user=%s",
	    r->anon ? "-" : r->c.user_id);
	{
		struct wd_hdrs	 h;

		wd_hdrs_init(&h);
		wd_hdrs_add(&h, "Cache-Control", "no-store");
		wd_http_head(r->rq, 204, &h);
	}
}

/* ---- signed URLs ---- */

/*
 * POST /storage/sign/<key> {"expires_in": seconds}: needs read on the
 * object; answers a URL that reads exactly this version until it expires
 * (API.md §7).
 */
static void
sign_object(struct sreq *r)
{
	static const struct wd_json_field f[] = {
		{ "expires_in", json_type_int, 0, 1 },
	};
	struct json_object	*body = NULL, *v[1];
	struct wd_buf		 b;
	struct obj		 o;
	struct tm		 tm;
	char			 mac[WD_SIGN_HEX + 1];
	char			 path[3 * WD_MAX_SKEY + 1];
	char			 iso[32];
	enum wd_err		 rc;
	int64_t			 in;
	time_t			 exp;
	size_t			 plen;

	wd_buf_init(&b, 8 * 1024);
	rc = WD_E_UNAVAILABLE;		/* no key configured: no URLs */
	if (r->s->sign_key == NULL)
		goto out;
	rc = r->dir ? WD_E_NOTFOUND : wd_http_read_body(r->rq, SMALL_BODY);
	if (rc == WD_OK)
		rc = wd_json_parse(r->rq->body.p, r->rq->body.len, 4, &body);
	if (rc == WD_OK)
		rc = wd_json_fields(body, f, 1, v, NULL);
	if (rc != WD_OK)
		goto out;
	in = json_object_get_int64(v[0]);
	rc = WD_E_BADREQ;
	if (in < 1 || in > r->s->sign_max_age)
		goto out;
	/* API.md §7: a Bearer's (or the admin's); a URL for what anyone
	 * may read is no URL anyone needs */
	rc = WD_E_UNAUTH;
	if (r->anon && !r->admin)
		goto out;
	/* read as the caller alone, not the request's query: a grant that
	 * comes only from a ?token= link (query.token == resource.token)
	 * must not become a URL that outlives a revoke-token */
	r->ctx.query = "";
	r->ctx.query_len = 0;
	rc = existing(r, WD_RULES_GET, &o);
	if (rc != WD_OK)
		goto out;
	exp = time(NULL) + (time_t)in;
	rc = wd_sign_mac(r->s->sign_key, r->s->sign_key_len, SIG_OP, r->key,
	    r->klen, o.blob, (uint64_t)exp, mac);
	if (rc == WD_OK)
		rc = pct_path(r->key, r->klen, path, sizeof(path), &plen);
	if (rc != WD_OK)
		goto out;
	gmtime_r(&exp, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	wd_buf_addf(&b, "{\"url\":\"/storage/o/%s?" SIG_EXP "=%lld&"
	    SIG_SIG "=%s\",\"expires_at\":\"%s\"}", path, (long long)exp,
	    mac, iso);
	rc = wd_buf_status(&b);
	if (rc == WD_OK) {
		wd_http_log(r->rq, WD_LOG_INFO, "storage", "signed user=%s "
		    "expires_in=%lld", r->anon ? "-" : r->c.user_id,
		    (long long)in);
		wd_http_send(r->rq, 200, NULL, "application/json", b.p, b.len);
	}
out:
	if (rc != WD_OK)
		wd_http_error(r->rq, rc, NULL);
	json_object_put(body);
	wd_buf_cleanup(&b);
}

/* ---- access token ---- */

/*
 * The body of POST /storage/m/<key>: {"action":"revoke-token"}, checked
 * before the caller is (as HBP validates before its admin check), so a
 * malformed request is 400 whoever sends it.
 */
static enum wd_err
revoke_request(struct sreq *r)
{
	static const struct wd_json_field f[] = {
		{ "action", json_type_string, 32, 1 },
	};
	struct json_object	*body = NULL, *v[1];
	enum wd_err		 rc;

	rc = r->dir ? WD_E_NOTFOUND : wd_http_read_body(r->rq, SMALL_BODY);
	if (rc == WD_OK)
		rc = wd_json_parse(r->rq->body.p, r->rq->body.len, 4, &body);
	if (rc == WD_OK)
		rc = wd_json_fields(body, f, 1, v, NULL);
	if (rc == WD_OK && strcmp(json_object_get_string(v[0]),
	    "revoke-token") != 0)
		rc = WD_E_BADREQ;
	json_object_put(body);
	return rc;
}

/*
 * POST /storage/m/<key> {"action":"revoke-token"} (HBP v2): a new access
 * token, so a ?token= link that leaked stops reading the object (the
 * token otherwise survives updates, as in HBP). HBP allows the admin
 * secret only; here also whoever the rules let update the object. The
 * body was checked by revoke_request.
 */
static void
revoke_token(struct sreq *r)
{
	struct wd_dbres		*res = NULL;
	struct obj		 o;
	const char		*p[2];
	enum wd_err		 rc;
	int			 pub;

	rc = existing(r, WD_RULES_UPDATE, &o);
	if (rc == WD_OK) {
		p[0] = r->key;
		p[1] = o.blob;
		rc = wd_db_exec(r->s->db, "UPDATE storage.objects SET token = "
		    "gen_random_uuid() WHERE key = $1 AND blob = $2 "
		    "RETURNING " COLS, 2, p, &res);
		/* overwritten or deleted meanwhile: ask again */
		if (rc == WD_OK && wd_db_rows(res) != 1)
			rc = WD_E_CONFLICT;
		if (rc == WD_OK && !fill_obj(res, 0, 0, &o))
			rc = WD_E_INTERNAL;
		wd_db_free(res);
	}
	if (rc == WD_OK) {
		wd_http_log(r->rq, WD_LOG_INFO, "storage", "token revoked "
		    "user=%s", r->anon ? "-" : r->c.user_id);
		/* the metadata only to a caller who may also read the
		 * object: one who may update it but not read it learns no
		 * more than the key it sent */
		send_meta(r, authorize(r, WD_RULES_GET, r->key, r->klen, &o,
		    &pub) == WD_OK ? &o : NULL);
	} else
		wd_http_error(r->rq, rc, NULL);
}

/* ---- list ---- */

static void
list_dir(struct sreq *r)
{
	char		 like[2 * WD_MAX_SKEY + 2];
	const char	*p[1] = { like };
	struct wd_dbres	*res = NULL;
	struct wd_buf	 b;
	struct obj	 o;
	enum wd_err	 rc;
	size_t		 i, n = 0;
	int		 pub, row, first = 1;

	wd_buf_init(&b, WD_MAX_LIST_JSON);
	rc = authorize(r, WD_RULES_LIST, r->key, r->klen, NULL, &pub);
	if (rc != WD_OK)
		goto out;
	/* exactly this prefix, trailing '/' included: LIKE with its
	 * metacharacters escaped (HBP listed "user/<id>" and leaked
	 * "user/<id>x/", hbp.md §5.9) */
	for (i = 0; i < r->klen; i++) {
		if (r->key[i] == '%' || r->key[i] == '_' || r->key[i] == '\\')
			like[n++] = '\\';
		like[n++] = r->key[i];
	}
	like[n++] = '%';
	like[n] = '\0';
	rc = wd_db_read(r->s->db, "SELECT key, " COLS " FROM "
	    "storage.objects WHERE key LIKE $1 ORDER BY key LIMIT 1000", 1,
	    p, &res);
	if (rc != WD_OK)
		goto out;
	rc = wd_buf_add(&b, "[", 1);
	for (row = 0; rc == WD_OK && row < wd_db_rows(res); row++) {
		const char	*k = wd_db_val(res, row, 0);
		size_t		 kl = strlen(k);

		/* each object is checked against its own key's rule */
		if (kl < r->klen || memcmp(k, r->key, r->klen) != 0 ||
		    !fill_obj(res, row, 1, &o) ||
		    authorize(r, WD_RULES_LIST, k, kl, &o, &pub) != WD_OK)
			continue;
		if (!first)
			rc = wd_buf_add(&b, ",", 1);
		first = 0;
		if (rc == WD_OK)
			rc = meta_json(&b, k, kl, &o, is_mine(r, &o));
	}
	if (rc == WD_OK)
		rc = wd_buf_add(&b, "]", 1);
	if (rc == WD_OK)
		wd_http_send(r->rq, 200, NULL, "application/json", b.p, b.len);
out:
	if (rc != WD_OK)
		wd_http_error(r->rq, rc, NULL);
	wd_db_free(res);
	wd_buf_cleanup(&b);
}

/* ---- the sweep (issue #11) ---- */

/*
 * Every candidate is handled under its upload's lock (see "How an upload
 * stays provable" above): one that another session holds is in flight
 * and skipped, whatever its age. With the lock, the state is read afresh
 * and acted on; a lookup that fails stops the sweep, so nothing is
 * removed on a guess.
 */

struct gc {
	struct wd_storage	*s;
	time_t			 before;
	struct wd_storage_gcstat *st;
	int			 empty;	/* storage.objects has no row */
};

/* One recorded multipart upload: aborted unless it is in flight. */
static enum wd_err
gc_upload(struct gc *g, const char *blob)
{
	const char	*p[1] = { blob };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc, arc;
	int		 got;

	if (!wd_store_blob_valid(blob))
		return WD_E_INTERNAL;
	rc = wd_db_trylock(g->s->db, blob, &got);
	if (rc != WD_OK)
		return rc;
	if (!got) {
		g->st->busy++;
		return WD_OK;
	}
	/* under the lock: the record as its uploader left it */
	rc = wd_db_read(g->s->db, "SELECT upload_id FROM storage.uploads "
	    "WHERE blob = $1", 1, p, &res);
	if (rc != WD_OK || wd_db_rows(res) != 1)
		goto out;	/* gone meanwhile: settled by its upload */
	arc = wd_store_upload_abort(g->s->store, blob, wd_db_null(res, 0, 0) ?
	    NULL : wd_db_val(res, 0, 0));
	if (arc == WD_OK) {
		rc = wd_db_exec(g->s->db, "DELETE FROM storage.uploads WHERE "
		    "blob = $1", 1, p, NULL);
		if (rc == WD_OK) {
			wd_log(NULL, WD_LOG_INFO, "storage", "aborted "
			    "multipart upload blob=%s", blob);
			g->st->aborted++;
		}
	} else if (arc == WD_E_STOREDOWN)
		rc = arc;	/* S3 unreachable: no point going on */
	else {
		wd_log(NULL, WD_LOG_WARN, "storage", "multipart abort "
		    "refused blob=%s code=%s", blob, wd_err_info(arc)->code);
		g->st->failed++;
	}
out:
	wd_db_free(res);
	wd_db_unlock(g->s->db, blob);
	return rc;
}

/*
 * The recorded multipart uploads (storage.uploads, sql/011), all of
 * them, a page at a time in blob order: the page after the last blob
 * seen, so records that stay (in flight, abort refused) are not met
 * twice and memory stays bounded however many there are.
 */
#define GC_PAGE	1000
static enum wd_err
gc_uploads(struct gc *g)
{
	struct wd_dbres	*res = NULL;
	char		 last[WD_BLOB_LEN + 1] = "", page[16];
	const char	*p[2] = { last, page };
	enum wd_err	 rc;
	int		 i, n;

	snprintf(page, sizeof(page), "%d", GC_PAGE);
	do {
		rc = wd_db_read(g->s->db, "SELECT blob FROM storage.uploads "
		    "WHERE blob > $1 ORDER BY blob LIMIT $2::int", 2, p,
		    &res);
		n = rc == WD_OK ? wd_db_rows(res) : 0;
		for (i = 0; rc == WD_OK && i < n; i++)
			rc = gc_upload(g, wd_db_val(res, i, 0));
		if (n > 0)
			snprintf(last, sizeof(last), "%s",
			    wd_db_val(res, n - 1, 0));
		wd_db_free(res);
		res = NULL;
	} while (rc == WD_OK && n == GC_PAGE);
	return rc;
}

static enum wd_err
gc_blob(void *arg, const char *blob, time_t mtime, int tmp)
{
	struct gc	*g = arg;
	const char	*p[1] = { blob };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;
	int		 got, used;

	/* an age limit on top of the lock, for writers that take none
	 * (binaries from before it, during an upgrade) */
	if (mtime > g->before) {
		g->st->kept++;
		return WD_OK;
	}
	rc = wd_db_trylock(g->s->db, blob, &got);
	if (rc != WD_OK)
		return rc;
	if (!got) {
		g->st->busy++;	/* its upload is still writing its row */
		return WD_OK;
	}
	if (tmp) {
		/* an upload's named temporary file, and its upload is over
		 * (the lock is free): it died before commit or abort. No
		 * row ever points at a temporary file. */
		if (wd_store_remove_tmp(g->s->store, blob) == WD_OK) {
			wd_log(NULL, WD_LOG_INFO, "storage", "swept dead "
			    "upload's temporary file blob=%s", blob);
			g->st->removed++;
		}
		wd_db_unlock(g->s->db, blob);
		return WD_OK;
	}
	rc = wd_db_read(g->s->db, "SELECT 1 FROM storage.objects WHERE "
	    "blob = $1", 1, p, &res);
	used = rc == WD_OK && wd_db_rows(res) > 0;
	wd_db_free(res);
	if (rc != WD_OK || used)
		g->st->kept++;	/* on error: unknown, the sweep stops */
	else if (g->empty)
		g->st->strays++;
	else if (wd_store_remove(g->s->store, blob) == WD_OK) {
		wd_log(NULL, WD_LOG_INFO, "storage", "swept orphan blob=%s",
		    blob);
		g->st->removed++;
	}
	wd_db_unlock(g->s->db, blob);
	return rc;
}

static enum wd_err
gc_empty(struct gc *g)
{
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_read(g->s->db, "SELECT NOT EXISTS (SELECT 1 FROM "
	    "storage.objects)", 0, NULL, &res);
	if (rc == WD_OK)
		g->empty = wd_db_bool(res, 0, 0);
	wd_db_free(res);
	return rc;
}

enum wd_err
wd_storage_gc(struct wd_storage *s, long min_age, int empty_ok,
    struct wd_storage_gcstat *st)
{
	struct gc	 g = { s, time(NULL) - min_age, st, 0 };
	enum wd_err	 rc;

	memset(st, 0, sizeof(*st));
	/* reservations a crashed request left behind (they stopped
	 * counting after an hour already) */
	rc = wd_db_exec(s->db, "DELETE FROM storage.reservations WHERE "
	    "NOT storage.reservation_live(created_at, blob)", 0, NULL, NULL);
	/* uploads first: a dead one's completed blob is then swept too */
	if (rc == WD_OK)
		rc = gc_uploads(&g);
	/* no object at all, yet blobs in the store: most likely the wrong
	 * database (a fresh one, a restore half done, another deployment's
	 * bucket), which would make every blob an orphan. None goes. */
	if (rc == WD_OK && !empty_ok)
		rc = gc_empty(&g);
	if (rc == WD_OK)
		rc = wd_store_list(s->store, gc_blob, &g);
	return rc;
}

enum wd_err
wd_storage_init(struct wd_storage *s, char *err, size_t errsz)
{
	struct wd_cfg	*c = &s->cfg;

	memset(s, 0, sizeof(*s));
	if (wd_cfg_init(c, WD_BIN_STORAGE, err, errsz) != WD_OK ||
	    wd_jwt_keys_load(c, &s->own_key, err, errsz) != WD_OK ||
	    wd_db_init(&s->own_db, wd_cfg_str(c, WD_CFG_DATABASE_URL), err,
	    errsz) != WD_OK ||
	    wd_rules_load(wd_cfg_str(c, WD_CFG_STORAGE_RULES), &s->own_rules,
	    err, errsz) != WD_OK ||
	    wd_store_init(&s->own_store, c, err, errsz) != WD_OK ||
	    wd_cors_init(&s->cors, c, err, errsz) != WD_OK ||
	    wd_revoke_init(&s->rvk, wd_cfg_str(c, WD_CFG_DATABASE_URL), err,
	    errsz) != WD_OK)
		return WD_E_CONFIG;
	s->own_db.settles = 1;		/* row_blob settles lost writes */
	s->revoked = wd_revoke_check;
	s->revoked_arg = &s->rvk;
	s->key = &s->own_key;
	s->cookie_name = wd_cfg_str(c, WD_CFG_COOKIE_NAME);
	s->admin_secret = wd_cfg_str(c, WD_CFG_ADMIN_SECRET);
	s->rules = s->own_rules;
	s->db = &s->own_db;
	s->store = &s->own_store;
	s->max_size = (uint64_t)wd_cfg_int(c, WD_CFG_STORAGE_MAX_SIZE);
	s->sign_key = wd_cfg_str(c, WD_CFG_SIGNING_KEY);
	if (s->sign_key != NULL && s->sign_key[0] == '\0')
		s->sign_key = NULL;
	s->sign_key_len = s->sign_key == NULL ? 0 : strlen(s->sign_key);
	s->sign_max_age = wd_cfg_int(c, WD_CFG_SIGNED_URL_MAX_AGE);
	s->quota = (uint64_t)wd_cfg_int(c, WD_CFG_STORAGE_QUOTA);
	/* lighttpd's x-sendfile for this route is configured with the
	 * storage directory as its only allowed docroot */
	s->sendfile = s->own_store.kind == WD_STORE_FS &&
	    wd_cfg_flag(c, WD_CFG_STORAGE_SENDFILE);
	wd_rowcache_init(&s->rows, sizeof(struct obj),
	    wd_cfg_int(c, WD_CFG_STORAGE_ROW_CACHE_MS));
	return WD_OK;
}

void
wd_storage_cleanup(struct wd_storage *s)
{
	if (s == NULL)
		return;
	wd_revoke_cleanup(&s->rvk);
	wd_jwt_cache_cleanup(&s->tokens);
	wd_rowcache_cleanup(&s->rows);
	wd_rules_free(s->own_rules);
	wd_store_cleanup(&s->own_store);
	wd_db_cleanup(&s->own_db);
	wd_jwt_key_cleanup(&s->own_key);
	wd_cfg_cleanup(&s->cfg);
	memset(s, 0, sizeof(*s));
}

/* ---- checks (nginx auth_request, issue #11) ---- */

/* 1 if the request announces its body's length (CONTENT_LENGTH). */
static int
has_length(struct wd_req *rq)
{
	const char	*cl = wd_http_param(rq, "CONTENT_LENGTH");

	return cl != NULL && cl[0] != '\0';
}

/*
 * Would this request be let in? Decided before its body is read, as the
 * real request decides before it reads one: so that nginx stores no
 * body of a caller who is refused anyway. 204 lets it in; the real
 * request checks everything again when it arrives, and reserves its
 * quota. A check must never refuse what the real request would take.
 */
static void
check_only(struct sreq *r, int sign, int revoke)
{
	struct put_head	 h;
	struct obj	 o;
	uint64_t	 cl;
	const char	*m = r->rq->method;
	enum wd_err	 rc;
	int		 put = 0;

	if (sign && r->s->sign_key == NULL)
		rc = WD_E_UNAVAILABLE;
	else if ((sign || revoke) && !r->dir && !has_length(r->rq))
		/* a chunked body of unknown length: nginx would store up to
		 * the upload cap before the binary could refuse it, for
		 * anyone; a JSON body of 1 KiB has a Content-Length */
		rc = WD_E_BADREQ;
	else if (sign || revoke)
		/* they read their JSON body (which nginx keeps in memory)
		 * before the caller and the rules: the cap is all that can
		 * be told now */
		rc = r->dir ? WD_E_NOTFOUND : wd_http_body_len(r->rq,
		    SMALL_BODY, &cl);
	else if (m[0] == 'P') {
		put = 1;
		rc = put_check(r, &o, &h);
		if (rc == WD_OK)
			rc = quota_peek(r, &o, h.blen > 0, h.cl);
	} else if (m[0] == 'D')	/* a body is ignored, as delete_object does */
		rc = existing(r, WD_RULES_DELETE, &o);
	else	/* GET and HEAD: lighttpd answers a body on them 400 itself */
		rc = wd_http_has_body(r->rq) ? WD_E_BADREQ : WD_OK;
	if (rc == WD_OK)
		wd_http_send(r->rq, 204, NULL, NULL, NULL, 0);
	else	/* put_object's message */
		wd_http_error(r->rq, rc, put && rc == WD_E_NOTFOUND && r->dir ?
		    MSG_DIRKEY : NULL);
}

enum wd_err
wd_storage_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	struct wd_storage *s = ctx;
	enum wd_storage_route route = *(const enum wd_storage_route *)arg;
	struct sreq	*r;
	const char	*m = rq->method;
	enum wd_err	 rc;
	int		 sign = route == WD_STORAGE_SIGN;
	int		 revoke = route == WD_STORAGE_META && m[0] == 'P';
	int		 check = wd_http_check(rq);
	size_t		 plen = sign ? SIGN_LEN : PREFIX_LEN;

	/* the key buffer and claims live on the heap, not the stack */
	r = wd_xcalloc(1, sizeof(*r));
	r->s = s;
	r->rq = rq;
	r->ctx.query = rq->query;
	r->ctx.query_len = strlen(rq->query);
	r->meta = route == WD_STORAGE_META;
	/* the route's prefix (plen bytes) matched, method included
	 * (the route table, src/wd_storage_main.c) */
	rc = wd_skey_decode(rq->uri + plen, rq->path_len - plen,
	    r->key, sizeof(r->key), &r->klen, &r->dir);
	if (rc != WD_OK)
		goto out;
	/* a check reads no body: revoke's is read by the real request,
	 * and so is its caller, who comes after the body (as in HBP: a bad
	 * body is a 400 whoever sends it, and counts no wrong secret) */
	if (revoke && !check)
		rc = revoke_request(r);
	if (rc == WD_OK && !(revoke && check))
		rc = who(r);
	if (rc != WD_OK)
		goto out;
	if (check)
		check_only(r, sign, revoke);
	else if (sign)
		sign_object(r);
	else if (revoke || m[0] == 'P' || m[0] == 'D') {
		/* a write (tried, even if refused) forgets this process's
		 * kept row of the key at once; other processes see an
		 * overwrite or delete by its blob, a revoke-token by the
		 * row's age (kept_row) */
		wd_rowcache_drop(&r->s->rows, r->key, r->klen);
		if (revoke)
			revoke_token(r);
		else if (m[0] == 'P')
			put_object(r);
		else
			delete_object(r);
	} else if (r->meta && r->dir)
		list_dir(r);
	else if (r->dir)
		wd_http_error(rq, WD_E_NOTFOUND, "Listing is under "
		    "/storage/m/<dir>/");
	else
		get_object(r);
out:
	if (rc != WD_OK)
		wd_http_error(rq, rc, NULL);
	wd_claims_cleanup(&r->c);
	free(r);
	return WD_OK;
}
