/*
 * wd_cfg.c: configuration as data. The file is trusted (written by the
 * operator or `make start`) but parsed strictly, so that a typo stops the
 * program instead of silently dropping a setting, and so that sh, which
 * also `.`-sources the file (lighttpd/stack.sh), never reads a value other
 * than the one we read. One table gives every key its type, bounds,
 * default and the binaries that use and require it; wd_cfg_check walks
 * it once. Values may be secrets: error messages name variables and line
 * numbers, never values.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wd_cfg.h"
#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_util.h"

#define HOOK	WD_BIN_HOOK
#define ACCT	WD_BIN_ACCT
#define STORE	WD_BIN_STORAGE
#define MAILER	WD_BIN_MAILER
#define JWT	(HOOK | ACCT | STORE)	/* the binaries that verify tokens */
#define ALL	WD_BIN__ALL
#define VMAX	WD_MAX_CFG_VALUE
#define LMAX	WD_CFG_MAX_LIST
#define NAMEMAX	63		/* PostgreSQL identifiers (NAMEDATALEN - 1) */

struct cfgdef {
	const char	*name;
	enum wd_cfgtype	 type;
	long		 min, max;	/* see enum wd_cfgtype (wd_cfg.h) */
	const char	*def;		/* built-in default; never a secret */
	unsigned	 used;		/* WD_BIN_* that read the key */
	unsigned	 req;		/* WD_BIN_* that need it non-empty */
};

_Static_assert(sizeof(long) >= 8, "WARDEN_STORAGE_MAX_SIZE needs 2^50");

/*
 * Unset ANON_ROLE means "anonymous"; set to "" it means no anonymous
 * access (401). COOKIE_SECURE defaults to false, but wd_svc derives it
 * from the public URL when it is not set (wd_cfg_isset).
 */
static const struct cfgdef defs[] = {
	[WD_CFG_DATABASE_URL] = { "WARDEN_DATABASE_URL", WD_CFGT_SECRET,
	    0, VMAX, NULL, ALL, ALL },
	[WD_CFG_JWT_SECRET] = { "WARDEN_JWT_SECRET", WD_CFGT_SECRET,
	    0, VMAX, NULL, JWT, JWT },
	[WD_CFG_JWT_PREVIOUS_SECRET] = { "WARDEN_JWT_PREVIOUS_SECRET",
	    WD_CFGT_SECRET, 0, VMAX, NULL, JWT, 0 },
	[WD_CFG_JWT_EXPIRES_IN] = { "WARDEN_JWT_EXPIRES_IN", WD_CFGT_INT,
	    1, 1440, "15", ACCT, 0 },
	[WD_CFG_REFRESH_EXPIRES_IN] = { "WARDEN_REFRESH_EXPIRES_IN",
	    WD_CFGT_INT, 1, 525600, "43200", ACCT, 0 },
	[WD_CFG_ANON_ROLE] = { "WARDEN_ANON_ROLE", WD_CFGT_ROLES,
	    0, 1, "anonymous", HOOK, 0 },
	[WD_CFG_COOKIE_NAME] = { "WARDEN_COOKIE_NAME", WD_CFGT_STR,
	    0, VMAX, "access_token", HOOK | STORE, 0 },
	[WD_CFG_ACTION_SECRET] = { "WARDEN_ACTION_SECRET", WD_CFGT_SECRET,
	    16, VMAX, NULL, ACCT, ACCT },
	/* a guessable admin secret is every object: at least 32 bytes, and
	 * wrong ones are throttled per address (issue #11) */
	[WD_CFG_ADMIN_SECRET] = { "WARDEN_ADMIN_SECRET", WD_CFGT_SECRET,
	    32, VMAX, NULL, STORE, 0 },
	[WD_CFG_DEFAULT_ROLE] = { "WARDEN_DEFAULT_ROLE", WD_CFGT_ROLES,
	    1, 1, "user", ACCT, 0 },
	[WD_CFG_ALLOWED_ROLES] = { "WARDEN_ALLOWED_ROLES", WD_CFGT_ROLES,
	    0, LMAX, "user,me", ACCT, 0 },
	[WD_CFG_AUTO_ACTIVATE] = { "WARDEN_AUTO_ACTIVATE", WD_CFGT_BOOL,
	    0, 1, "false", ACCT, 0 },
	[WD_CFG_JWT_CUSTOM_FIELDS] = { "WARDEN_JWT_CUSTOM_FIELDS",
	    WD_CFGT_COLUMNS, 0, LMAX, "", ACCT, 0 },
	[WD_CFG_REGISTRATION_CUSTOM_FIELDS] = {
	    "WARDEN_REGISTRATION_CUSTOM_FIELDS", WD_CFGT_COLUMNS,
	    0, LMAX, "", ACCT, 0 },
	[WD_CFG_MIN_PASSWORD_LENGTH] = { "WARDEN_MIN_PASSWORD_LENGTH",
	    WD_CFGT_INT, 1, 1024, "8", ACCT, 0 },
	[WD_CFG_STORAGE_BACKEND] = { "WARDEN_STORAGE_BACKEND", WD_CFGT_STR,
	    0, VMAX, "fs", STORE, 0 },
	[WD_CFG_STORAGE_DIR] = { "WARDEN_STORAGE_DIR", WD_CFGT_STR,
	    0, VMAX, NULL, STORE, 0 },
	[WD_CFG_STORAGE_RULES] = { "WARDEN_STORAGE_RULES", WD_CFGT_STR,
	    0, VMAX, "storage-rules.json", STORE, 0 },
	[WD_CFG_STORAGE_MAX_SIZE] = { "WARDEN_STORAGE_MAX_SIZE", WD_CFGT_INT,
	    0, 1L << 50, "1073741824", STORE, 0 },
	[WD_CFG_S3_ENDPOINT] = { "WARDEN_S3_ENDPOINT", WD_CFGT_STR,
	    0, VMAX, NULL, STORE, 0 },
	[WD_CFG_S3_BUCKET] = { "WARDEN_S3_BUCKET", WD_CFGT_STR,
	    0, VMAX, NULL, STORE, 0 },
	[WD_CFG_S3_REGION] = { "WARDEN_S3_REGION", WD_CFGT_STR,
	    0, VMAX, "us-east-1", STORE, 0 },
	[WD_CFG_S3_ACCESS_KEY_ID] = { "WARDEN_S3_ACCESS_KEY_ID", WD_CFGT_STR,
	    0, VMAX, NULL, STORE, 0 },
	[WD_CFG_S3_SECRET_ACCESS_KEY] = { "WARDEN_S3_SECRET_ACCESS_KEY",
	    WD_CFGT_SECRET, 0, VMAX, NULL, STORE, 0 },
	[WD_CFG_SERVER_URL] = { "WARDEN_SERVER_URL", WD_CFGT_STR,
	    0, VMAX, NULL, ACCT | STORE, 0 },
	[WD_CFG_REDIRECT_URL_SUCCESS] = { "WARDEN_REDIRECT_URL_SUCCESS",
	    WD_CFGT_STR, 0, VMAX, NULL, ACCT, 0 },
	[WD_CFG_REDIRECT_URL_ERROR] = { "WARDEN_REDIRECT_URL_ERROR",
	    WD_CFGT_STR, 0, VMAX, NULL, ACCT, 0 },
	[WD_CFG_COOKIE_SECURE] = { "WARDEN_COOKIE_SECURE", WD_CFGT_BOOL,
	    0, 1, "false", ACCT, 0 },
	/* mail is queued by requests (wd_outbox), sent by the mailer */
	[WD_CFG_SMTP_URL] = { "WARDEN_SMTP_URL", WD_CFGT_SECRET,
	    0, VMAX, NULL, MAILER, MAILER },
	[WD_CFG_SMTP_SENDER] = { "WARDEN_SMTP_SENDER", WD_CFGT_STR,
	    0, 254, NULL, MAILER, MAILER },
	[WD_CFG_SMTP_STARTTLS] = { "WARDEN_SMTP_STARTTLS", WD_CFGT_BOOL,
	    0, 1, "false", MAILER, 0 },
	[WD_CFG_URL] = { "WARDEN_URL", WD_CFGT_STR,
	    0, VMAX, NULL, ACCT | STORE, 0 },
	/* failed sign-ins per (account, address) per 15 minutes: never more
	 * than 10, whatever the configuration (API.md §5.1) */
	[WD_CFG_LOGIN_MAX_FAILURES] = { "WARDEN_LOGIN_MAX_FAILURES",
	    WD_CFGT_INT, 1, 10, "10", ACCT, 0 },
	/* failures per address per 15 minutes, all accounts and routes */
	[WD_CFG_LOGIN_MAX_FAILURES_IP] = { "WARDEN_LOGIN_MAX_FAILURES_IP",
	    WD_CFGT_INT, 1, 1000000, "100", ACCT, 0 },
	/* CIDR list; checked by wd_svc (wd_addr) */
	[WD_CFG_TRUSTED_PROXIES] = { "WARDEN_TRUSTED_PROXIES", WD_CFGT_STR,
	    0, VMAX, "", ACCT, 0 },
	/* an action's client is the X-Forwarded-For that Hasura forwards
	 * (forward_client_headers), read past WARDEN_TRUSTED_PROXIES */
	[WD_CFG_ACTIONS_FORWARDED_FOR] = { "WARDEN_ACTIONS_FORWARDED_FOR",
	    WD_CFGT_BOOL, 0, 1, "false", ACCT, 0 },
	/* origins besides WARDEN_SERVER_URL's; checked by wd_cors */
	[WD_CFG_ALLOWED_ORIGINS] = { "WARDEN_ALLOWED_ORIGINS", WD_CFGT_STR,
	    0, VMAX, "", ACCT | STORE, 0 },
	/* CORS "*" without credentials for every other origin (wd_cors) */
	[WD_CFG_CORS_ANY_ORIGIN] = { "WARDEN_CORS_ANY_ORIGIN", WD_CFGT_BOOL,
	    0, 1, "true", ACCT | STORE, 0 },
	/* seconds a rotated refresh token still answers (GoTrue) */
	[WD_CFG_REFRESH_REUSE_INTERVAL] = { "WARDEN_REFRESH_REUSE_INTERVAL",
	    WD_CFGT_INT, 0, 300, "10", ACCT, 0 },
	/* seconds a session lives, however often it is refreshed */
	[WD_CFG_SESSION_MAX_AGE] = { "WARDEN_SESSION_MAX_AGE", WD_CFGT_INT,
	    60, 315360000, "7776000", ACCT, 0 },
	/* requests per minute per (route, address) on the routes that take
	 * no credential */
	[WD_CFG_RATE_LIMIT] = { "WARDEN_RATE_LIMIT", WD_CFGT_INT,
	    1, 1000000, "60", ACCT, 0 },
	/* the mailer (issue 9): templates directory; retry backoff in
	 * seconds, doubling from MIN per failed attempt up to MAX */
	[WD_CFG_MAIL_TEMPLATES] = { "WARDEN_MAIL_TEMPLATES", WD_CFGT_STR,
	    0, VMAX, "templates", MAILER, 0 },
	[WD_CFG_MAIL_RETRY_MIN] = { "WARDEN_MAIL_RETRY_MIN", WD_CFGT_INT,
	    1, 3600, "10", MAILER, 0 },
	[WD_CFG_MAIL_RETRY_MAX] = { "WARDEN_MAIL_RETRY_MAX", WD_CFGT_INT,
	    1, 86400, "600", MAILER, 0 },
	/* email changes only through a ticket to the new address; false
	 * allows POST /auth/change-email */
	[WD_CFG_VERIFY_EMAILS] = { "WARDEN_VERIFY_EMAILS", WD_CFGT_BOOL,
	    0, 1, "true", ACCT, 0 },
	/* seals TOTP secrets at rest: 64 hex digits (wd_seal); unset, the
	 * MFA routes answer 503 */
	[WD_CFG_MFA_KEY] = { "WARDEN_MFA_KEY", WD_CFGT_SECRET,
	    64, 64, NULL, ACCT, 0 },
	[WD_CFG_MFA_ISSUER] = { "WARDEN_MFA_ISSUER", WD_CFGT_STR,
	    1, 64, "Warden", ACCT, 0 },
	/* seconds: the webhook's Cache-Control max-age for a token that
	 * names a session is at most this (how long Hasura keeps a revoked
	 * session's WebSocket open; README "Webhook and sessions") */
	[WD_CFG_HOOK_MAX_AGE] = { "WARDEN_HOOK_MAX_AGE", WD_CFGT_INT,
	    1, 86400, "60", HOOK, 0 },
	/* sign-in with an identity provider (issue 12, API.md §5.2) */
#define PROV(P)								\
	[WD_CFG_PROVIDER_##P##_CLIENT_ID] = { "WARDEN_PROVIDER_" #P	\
	    "_CLIENT_ID", WD_CFGT_STR, 0, 512, NULL, ACCT, 0 },		\
	[WD_CFG_PROVIDER_##P##_CLIENT_SECRET] = { "WARDEN_PROVIDER_" #P	\
	    "_CLIENT_SECRET", WD_CFGT_SECRET, 0, 512, NULL, ACCT, 0 },	\
	[WD_CFG_PROVIDER_##P##_ISSUER] = { "WARDEN_PROVIDER_" #P	\
	    "_ISSUER", WD_CFGT_STR, 0, 1024, NULL, ACCT, 0 },		\
	[WD_CFG_PROVIDER_##P##_AUTHORIZE_URL] = { "WARDEN_PROVIDER_" #P	\
	    "_AUTHORIZE_URL", WD_CFGT_STR, 0, 1024, NULL, ACCT, 0 },	\
	[WD_CFG_PROVIDER_##P##_TOKEN_URL] = { "WARDEN_PROVIDER_" #P	\
	    "_TOKEN_URL", WD_CFGT_STR, 0, 1024, NULL, ACCT, 0 },	\
	[WD_CFG_PROVIDER_##P##_USERINFO_URL] = { "WARDEN_PROVIDER_" #P	\
	    "_USERINFO_URL", WD_CFGT_STR, 0, 1024, NULL, ACCT, 0 }
	PROV(GITHUB),
	PROV(GOOGLE),
#undef PROV
	/* comma list of URL prefixes a sign-in may return to: origin exact,
	 * path a prefix (checked by wd_provider) */
	[WD_CFG_ALLOWED_REDIRECT_URLS] = { "WARDEN_ALLOWED_REDIRECT_URLS",
	    WD_CFGT_STR, 0, VMAX, "", ACCT, 0 },
	[WD_CFG_PROVIDER_SUCCESS_REDIRECT] = {
	    "WARDEN_PROVIDER_SUCCESS_REDIRECT", WD_CFGT_STR, 0, 2048, NULL,
	    ACCT, 0 },
	[WD_CFG_PROVIDER_FAILURE_REDIRECT] = {
	    "WARDEN_PROVIDER_FAILURE_REDIRECT", WD_CFGT_STR, 0, 2048, NULL,
	    ACCT, 0 },
	/* storage (issue #11): fs reads handed to lighttpd (X-Sendfile,
	 * X-Sendfile2 for ranges); false behind nginx, which then buffers
	 * the answer itself (lighttpd/nginx.conf.example) */
	[WD_CFG_STORAGE_SENDFILE] = { "WARDEN_STORAGE_SENDFILE", WD_CFGT_BOOL,
	    0, 1, "true", STORE, 0 },
	/* HMAC-SHA256 key of signed URLs; unset, POST /storage/sign/ is 503
	 * and no signed URL is accepted */
	[WD_CFG_SIGNING_KEY] = { "WARDEN_SIGNING_KEY", WD_CFGT_SECRET,
	    32, VMAX, NULL, STORE, 0 },
	/* seconds: the longest expires_in a signed URL may ask for */
	[WD_CFG_SIGNED_URL_MAX_AGE] = { "WARDEN_SIGNED_URL_MAX_AGE",
	    WD_CFGT_INT, 1, 604800, "3600", STORE, 0 },
	/* bytes per owner; 0 (the default): unlimited, nothing counted */
	[WD_CFG_STORAGE_QUOTA] = { "WARDEN_STORAGE_QUOTA", WD_CFGT_INT,
	    0, 1L << 50, "0", STORE, 0 },
	/* s3: bytes per multipart part, held in memory while it fills;
	 * AWS wants >= 5 MiB (all parts but the last), s3rver takes less */
	[WD_CFG_S3_PART_SIZE] = { "WARDEN_S3_PART_SIZE", WD_CFGT_INT,
	    1024, 1L << 30, "5242880", STORE, 0 },
	/* ms a storage process keeps an object's row for the reads after
	 * it (fs only; 0: none). Checked against the blob on every use,
	 * so an overwrite or a delete shows at once; the age bounds only
	 * what that check cannot see (wd_storage.c, kept_row) */
	[WD_CFG_STORAGE_ROW_CACHE_MS] = { "WARDEN_STORAGE_ROW_CACHE_MS",
	    WD_CFGT_INT, 0, 10000, "1000", STORE, 0 },
};
_Static_assert(sizeof(defs) / sizeof(defs[0]) == WD_CFG__MAX, "cfg rows");

/* Writes one error line; err may be NULL. */
#define ERRF(...) do {						\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

/* ---- the file: the part of sh's syntax that both readers agree on ---- */

enum perr {
	P_OK,
	P_NAME,
	P_QUOTE,
	P_LONG,
	P_NUL,
	P_EXPAND,
	P_TILDE,
	P_CONT,
	P_META,
	P_GLOB,
	P_CR,
	P_TRAIL,
	P__MAX
};

static const char *const perrmsg[] = {
	[P_OK]		= "ok",
	[P_NAME]	= "expected NAME=VALUE",
	[P_QUOTE]	= "unterminated quote",
	[P_LONG]	= "value too long",
	[P_NUL]		= "NUL byte in value",
	[P_EXPAND]	= "unescaped $ or ` (sh would expand it); "
			  "use single quotes",
	[P_TILDE]	= "unquoted ~ (sh would expand it); use single quotes",
	[P_CONT]	= "backslash at end of line (sh would join lines); "
			  "use single quotes",
	[P_META]	= "unquoted ; & | < > ( or ) (shell syntax); "
			  "use single quotes",
	[P_GLOB]	= "unquoted * ? or [ after export (sh may glob it); "
			  "use single quotes",
	[P_CR]		= "carriage return outside quotes (CRLF line ends?)",
	[P_TRAIL]	= "text after the value (sh would run it); "
			  "use single quotes",
};
_Static_assert(sizeof(perrmsg) / sizeof(perrmsg[0]) == P__MAX, "perr rows");

/*
 * What an unquoted, unescaped byte of a value means to sh when it is not
 * literal. Blanks and newlines end the value; P_GLOB counts only after
 * `export` (an assignment word is never globbed, but older shells glob
 * export's arguments).
 */
static const unsigned char barech[256] = {
	['\0'] = P_NUL,
	['\r'] = P_CR,
	['$'] = P_EXPAND,
	['`'] = P_EXPAND,
	['~'] = P_TILDE,	/* sh: at the start or after a ':' */
	[';'] = P_META,
	['&'] = P_META,
	['|'] = P_META,
	['<'] = P_META,
	['>'] = P_META,
	['('] = P_META,
	[')'] = P_META,
	['*'] = P_GLOB,
	['?'] = P_GLOB,
	['['] = P_GLOB,
};

struct rd {
	const char	*t;	/* the file's text */
	size_t		 len;
	size_t		 i;	/* next byte */
	long		 line;	/* of t[i] */
	char		*out;	/* the value, VMAX bytes */
	size_t		 o;
};

static int
blank(const struct rd *r)
{
	return r->i < r->len && (r->t[r->i] == ' ' || r->t[r->i] == '\t');
}

static int
namech(const struct rd *r, int first)
{
	char	 c;

	if (r->i >= r->len)
		return 0;
	c = r->t[r->i];
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

static enum perr
put(struct rd *r, char c)
{
	if (c == '\0')
		return P_NUL;
	if (r->o >= VMAX)
		return P_LONG;
	r->out[r->o++] = c;
	if (c == '\n')
		r->line++;
	return P_OK;
}

/* 'literal text', which may span lines; r->i is at the opening quote. */
static enum perr
squote(struct rd *r)
{
	long		 start = r->line;
	enum perr	 pe;

	for (r->i++; r->i < r->len && r->t[r->i] != '\''; r->i++) {
		pe = put(r, r->t[r->i]);
		if (pe != P_OK)
			return pe;
	}
	if (r->i >= r->len) {
		r->line = start;
		return P_QUOTE;
	}
	r->i++;
	return P_OK;
}

/*
 * "text": a backslash quotes \ " $ ` and keeps itself before anything
 * else (POSIX 2.2.3); backslash-newline, $ and ` are refused.
 */
static enum perr
dquote(struct rd *r)
{
	long		 start = r->line;
	enum perr	 pe;
	char		 c;

	for (r->i++; r->i < r->len && r->t[r->i] != '"'; r->i++) {
		c = r->t[r->i];
		if (c == '$' || c == '`')
			return P_EXPAND;
		if (c == '\\' && r->i + 1 < r->len) {
			if (r->t[r->i + 1] == '\n')
				return P_CONT;
			if (memchr("\\\"$`", r->t[r->i + 1], 4) != NULL)
				c = r->t[++r->i];
		}
		pe = put(r, c);
		if (pe != P_OK)
			return pe;
	}
	if (r->i >= r->len) {
		r->line = start;
		return P_QUOTE;
	}
	r->i++;
	return P_OK;
}

/* An unquoted byte, or a backslash quoting the next one. */
static enum perr
bare(struct rd *r, int exported)
{
	unsigned char	 c = (unsigned char)r->t[r->i];

	if (c == '\\') {
		r->i++;
		if (r->i >= r->len || r->t[r->i] == '\n')
			return P_CONT;
		c = (unsigned char)r->t[r->i];
		if (c == '\r')
			return P_CR;
	} else if (barech[c] != P_OK && (barech[c] != P_GLOB || exported))
		return barech[c];
	r->i++;
	return put(r, (char)c);
}

/*
 * The value from r->i to the end of its (last) line into r->out: runs of
 * quoted and bare text up to a blank or newline, then only blanks and a
 * comment.
 */
static enum perr
readval(struct rd *r, int exported)
{
	enum perr	 pe = P_OK;

	r->o = 0;
	while (pe == P_OK && r->i < r->len && r->t[r->i] != '\n' && !blank(r))
		switch (r->t[r->i]) {
		case '\'':
			pe = squote(r);
			break;
		case '"':
			pe = dquote(r);
			break;
		default:
			pe = bare(r, exported);
			break;
		}
	if (pe != P_OK)
		return pe;
	while (blank(r))
		r->i++;
	if (r->i < r->len && r->t[r->i] == '#')
		while (r->i < r->len && r->t[r->i] != '\n')
			r->i++;
	if (r->i < r->len && r->t[r->i] == '\r')
		return P_CR;
	if (r->i < r->len && r->t[r->i] != '\n')
		return P_TRAIL;
	return P_OK;
}

static int
lookup(const char *name, size_t len)
{
	int	 i;

	for (i = 0; i < WD_CFG__MAX; i++)
		if (strlen(defs[i].name) == len &&
		    memcmp(defs[i].name, name, len) == 0)
			return i;
	return -1;
}

static void
setval(char **slot, const char *v, size_t len)
{
	if (*slot != NULL)
		wd_freezero(*slot, strlen(*slot));
	*slot = wd_xstrndup(v, len);
}

/* ---- generic OpenID Connect providers (struct wd_cfgoidc) ---- */

#define PPREFIX		"WARDEN_PROVIDER_"
#define PPREFIX_LEN	(sizeof(PPREFIX) - 1)
/* the built-in provider whose rows give a generic provider's keys their
 * suffixes and their rules */
#define PTEMPLATE	WD_CFG_PROVIDER_GITHUB_CLIENT_ID
#define PNAME_SHOWN	96	/* bytes of a name shown in a message */

_Static_assert(WD_CFG_PROVIDER_GOOGLE_CLIENT_ID == PTEMPLATE + WD_CFGP__MAX,
    "a built-in provider's rows are WD_CFGP__MAX in enum wd_cfgprov order");

/* "_CLIENT_ID", ...: the template row's name past WARDEN_PROVIDER_GITHUB */
static const char *
psuffix(enum wd_cfgprov k)
{
	return defs[PTEMPLATE + k].name + PPREFIX_LEN + sizeof("GITHUB") - 1;
}

/* Keeps the first provider variable that cannot be placed, for
 * wd_cfg_check to report (a name is no secret; the value is not kept). */
static void
oidc_refuse(struct wd_cfg *c, const char *name, size_t len, const char *why)
{
	if (c->oidc_err[0] == '\0')
		snprintf(c->oidc_err, sizeof(c->oidc_err), "%.*s: %s",
		    (int)(len > PNAME_SHOWN ? PNAME_SHOWN : len), name, why);
}

/*
 * A variable that is no row of the table: WARDEN_PROVIDER_<P>_<KEY> of a
 * generic provider (found or added), any other WARDEN_PROVIDER_ name
 * refused; other names are not ours (PATH, PG* may share the file).
 * The key is the last fixed suffix, and <P> has no '_', so no name can
 * be read in two ways.
 */
static void
oidc_set(struct wd_cfg *c, const char *name, size_t len, const char *v,
    size_t vlen)
{
	struct wd_cfgoidc	*o;
	size_t			 i, sl = 0, pl;
	int			 k;

	if (len < PPREFIX_LEN || memcmp(name, PPREFIX, PPREFIX_LEN) != 0)
		return;
	for (k = 0; k < WD_CFGP__MAX; k++) {
		sl = strlen(psuffix(k));
		if (len > PPREFIX_LEN + sl &&
		    memcmp(name + len - sl, psuffix(k), sl) == 0)
			break;
	}
	if (k == WD_CFGP__MAX) {
		oidc_refuse(c, name, len, "no such setting (a generic "
		    "provider has WARDEN_PROVIDER_<P>_ISSUER, _CLIENT_ID, "
		    "_CLIENT_SECRET, _AUTHORIZE_URL, _TOKEN_URL, "
		    "_USERINFO_URL)");
		return;
	}
	name += PPREFIX_LEN;
	pl = len - PPREFIX_LEN - sl;
	for (i = 0; i < pl && ((name[i] >= 'A' && name[i] <= 'Z') ||
	    (name[i] >= '0' && name[i] <= '9')); i++)
		;
	if (i < pl || pl > WD_CFG_OIDC_NAME) {
		oidc_refuse(c, name - PPREFIX_LEN, len, "the provider name "
		    "<P> in WARDEN_PROVIDER_<P>_... must be [A-Z0-9]{1,32}");
		return;
	}
	for (i = 0; i < c->noidc; i++)
		if (strlen(c->oidc[i].var) == pl &&
		    memcmp(c->oidc[i].var, name, pl) == 0)
			break;
	if (i == WD_CFG_MAX_OIDC) {
		oidc_refuse(c, name - PPREFIX_LEN, len, "more than 32 generic "
		    "OpenID Connect providers");
		return;
	}
	o = &c->oidc[i];
	if (i == c->noidc) {
		memcpy(o->var, name, pl);
		o->var[pl] = '\0';
		/* the route name: [A-Z0-9] lower-cased */
		for (i = 0; i < pl; i++)
			o->route[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
			    name[i] - 'A' + 'a' : name[i]);
		o->route[pl] = '\0';
		c->noidc++;
	}
	setval(&o->val[k], v, vlen);
}

size_t
wd_cfg_oidc_count(const struct wd_cfg *c)
{
	return c->noidc;
}

const struct wd_cfgoidc *
wd_cfg_oidc(const struct wd_cfg *c, size_t i)
{
	return i < c->noidc ? &c->oidc[i] : NULL;
}

const char *
wd_cfg_oidc_str(const struct wd_cfgoidc *o, enum wd_cfgprov k)
{
	if ((unsigned)k >= WD_CFGP__MAX || o->val[k] == NULL ||
	    o->val[k][0] == '\0')
		return NULL;
	return o->val[k];
}

void
wd_cfg_oidc_name(const struct wd_cfgoidc *o, enum wd_cfgprov k, char *out,
    size_t outsz)
{
	snprintf(out, outsz, PPREFIX "%s%s", o->var, (unsigned)k <
	    WD_CFGP__MAX ? psuffix(k) : "_?");
}

/*
 * One line (and the lines its quoted value spans): blank, a comment, or
 * [export ]NAME=VALUE. Leaves r->i past the newline.
 */
static enum perr
statement(struct wd_cfg *c, struct rd *r)
{
	size_t		 ks, kl;
	int		 exported = 0, k;
	enum perr	 pe;

	while (blank(r))
		r->i++;
	if (r->i < r->len && r->t[r->i] == '#')
		while (r->i < r->len && r->t[r->i] != '\n')
			r->i++;
	if (r->i < r->len && r->t[r->i] == '\r')
		return P_CR;
	if (r->i < r->len && r->t[r->i] != '\n') {
		if (r->len - r->i > 6 &&
		    memcmp(r->t + r->i, "export", 6) == 0 &&
		    (r->t[r->i + 6] == ' ' || r->t[r->i + 6] == '\t')) {
			r->i += 6;
			while (blank(r))
				r->i++;
			exported = 1;
		}
		ks = r->i;
		if (namech(r, 1)) {
			r->i++;
			while (namech(r, 0))
				r->i++;
		}
		kl = r->i - ks;
		if (kl == 0 || r->i >= r->len || r->t[r->i] != '=')
			return P_NAME;
		r->i++;
		pe = readval(r, exported);
		if (pe != P_OK)
			return pe;
		/* other names (PATH, PG*) may share the file: ignored */
		k = lookup(r->t + ks, kl);
		if (k >= 0)
			setval(&c->val[k], r->out, r->o);
		else
			oidc_set(c, r->t + ks, kl, r->out, r->o);
	}
	if (r->i < r->len) {
		r->i++;
		r->line++;
	}
	return P_OK;
}

enum wd_err
wd_cfg_parse(struct wd_cfg *c, const char *t, size_t len, char *err,
    size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	struct rd	 r = { t, len, 0, 1, NULL, 0 };
	enum perr	 pe = P_OK;

	r.out = wd_xmalloc(VMAX);
	while (r.i < len) {
		pe = statement(c, &r);
		if (pe != P_OK) {
			ERRF("line %ld: %s", r.line, perrmsg[pe]);
			goto out;
		}
	}
	rc = WD_OK;
out:
	wd_freezero(r.out, VMAX);
	return rc;
}

/* ---- loading ---- */

/* The value of the first name (len bytes) in envp, or NULL. */
static const char *
envget(char *const *envp, const char *name, size_t len)
{
	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

enum wd_err
wd_cfg_load_from(struct wd_cfg *c, const char *path, char *const *envp,
    char *err, size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	FILE		*f = NULL;
	char		*text = NULL;
	char *const	*e;
	const char	*eq;
	size_t		 n = 0, nl;
	int		 i;

	if (path != NULL && path[0] != '\0') {
		f = fopen(path, "r");
		if (f == NULL) {
			ERRF("WARDEN_CONFIG: cannot open %s: %s", path,
			    strerror(errno));
			goto out;
		}
		text = wd_xmalloc(WD_MAX_CFG_FILE + 1);
		n = fread(text, 1, WD_MAX_CFG_FILE + 1, f);
		if (n > WD_MAX_CFG_FILE || ferror(f)) {
			ERRF("WARDEN_CONFIG: %s: unreadable or larger than "
			    "%d bytes", path, WD_MAX_CFG_FILE);
			goto out;
		}
		if (wd_cfg_parse(c, text, n, err, errsz) != WD_OK) {
			char	 tmp[256];

			if (err != NULL && errsz > 0) {
				snprintf(tmp, sizeof(tmp), "%s", err);
				snprintf(err, errsz, "WARDEN_CONFIG: %s: %s",
				    path, tmp);
			}
			goto out;
		}
	}
	for (i = 0; i < WD_CFG__MAX; i++) {
		const char	*v = envget(envp, defs[i].name,
				    strlen(defs[i].name));

		if (v == NULL)
			continue;
		if (strlen(v) > WD_MAX_CFG_VALUE) {
			ERRF("%s: value too long", defs[i].name);
			goto out;
		}
		setval(&c->val[i], v, strlen(v));
	}
	/* the generic providers' variables, found by their names; a name
	 * given twice counts once, as the rows' */
	for (e = envp; e != NULL && *e != NULL; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL || strncmp(*e, PPREFIX, PPREFIX_LEN) != 0)
			continue;
		nl = (size_t)(eq - *e);
		if (lookup(*e, nl) >= 0 || envget(envp, *e, nl) != eq + 1)
			continue;
		if (strlen(eq + 1) > WD_MAX_CFG_VALUE) {
			ERRF("%.*s: value too long", (int)(nl > PNAME_SHOWN ?
			    PNAME_SHOWN : nl), *e);
			goto out;
		}
		oidc_set(c, *e, nl, eq + 1, strlen(eq + 1));
	}
	rc = WD_OK;
out:
	if (f != NULL)
		fclose(f);
	wd_freezero(text, n > WD_MAX_CFG_FILE ? WD_MAX_CFG_FILE + 1 : n);
	return rc;
}

extern char	**environ;

enum wd_err
wd_cfg_load(struct wd_cfg *c, char *err, size_t errsz)
{
	return wd_cfg_load_from(c, getenv("WARDEN_CONFIG"), environ, err,
	    errsz);
}

/* Forgets what wd_cfg_check parsed. */
static void
unparse(struct wd_cfg *c)
{
	int	 k;

	for (k = 0; k < WD_CFG__MAX; k++) {
		free(c->lbuf[k]);	/* names, not secrets */
		free(c->list[k]);
		c->lbuf[k] = NULL;
		c->list[k] = NULL;
		c->nlist[k] = 0;
		c->num[k] = 0;
		c->ok[k] = 0;
	}
}

void
wd_cfg_cleanup(struct wd_cfg *c)
{
	size_t	 n;
	int	 i;

	if (c == NULL)
		return;
	unparse(c);
	for (i = 0; i < WD_CFG__MAX; i++) {
		if (c->val[i] != NULL)
			wd_freezero(c->val[i], strlen(c->val[i]));
		c->val[i] = NULL;
	}
	for (n = 0; n < WD_CFG_MAX_OIDC; n++)
		for (i = 0; i < WD_CFGP__MAX; i++) {
			if (c->oidc[n].val[i] != NULL)
				wd_freezero(c->oidc[n].val[i],
				    strlen(c->oidc[n].val[i]));
			c->oidc[n].val[i] = NULL;
		}
	memset(c->oidc, 0, sizeof(c->oidc));
	c->noidc = 0;
	c->oidc_err[0] = '\0';
}

const char *
wd_cfg_name(enum wd_cfgkey k)
{
	return (unsigned)k < WD_CFG__MAX ? defs[k].name : "?";
}

const char *
wd_cfg_str(const struct wd_cfg *c, enum wd_cfgkey k)
{
	if ((unsigned)k >= WD_CFG__MAX)
		return NULL;
	return c->val[k] != NULL ? c->val[k] : defs[k].def;
}

int
wd_cfg_isset(const struct wd_cfg *c, enum wd_cfgkey k)
{
	return (unsigned)k < WD_CFG__MAX && c->val[k] != NULL;
}

/* ---- the validation pass ---- */

enum wd_err
wd_cfg_parse_bool(const char *s, int *out)
{
	static const struct {
		const char	*word;
		int		 val;
	} words[] = {
		{ "true", 1 }, { "1", 1 }, { "false", 0 }, { "0", 0 },
	};
	size_t	 i;

	for (i = 0; s != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].val;
			return WD_OK;
		}
	return WD_E_CONFIG;
}

/*
 * The length rule of row d for a value of the variable name (d's own, or
 * a generic provider's). Non-empty values only: "" is how a file unsets
 * an optional string.
 */
static enum wd_err
len_ok(const struct cfgdef *d, const char *name, const char *v, char *err,
    size_t errsz)
{
	size_t			 n = strlen(v);

	if (n == 0 || (n >= (size_t)d->min && n <= (size_t)d->max))
		return WD_OK;
	if (n < (size_t)d->min)
		ERRF("%s: needs at least %ld bytes", name, d->min);
	else
		ERRF("%s: must be at most %ld bytes", name, d->max);
	return WD_E_CONFIG;
}

static enum wd_err
check_len(struct wd_cfg *c, enum wd_cfgkey k, const char *v, char *err,
    size_t errsz)
{
	(void)c;
	return len_ok(&defs[k], defs[k].name, v, err, errsz);
}

static enum wd_err
check_int(struct wd_cfg *c, enum wd_cfgkey k, const char *v, char *err,
    size_t errsz)
{
	const struct cfgdef	*d = &defs[k];
	uint64_t		 u;

	if (wd_parse_u64(v, strlen(v), (uint64_t)d->max, &u) == WD_OK &&
	    u >= (uint64_t)d->min) {
		c->num[k] = (long)u;
		return WD_OK;
	}
	ERRF("%s: must be an integer in [%ld, %ld]", d->name, d->min, d->max);
	return WD_E_CONFIG;
}

static enum wd_err
check_bool(struct wd_cfg *c, enum wd_cfgkey k, const char *v, char *err,
    size_t errsz)
{
	int	 b;

	if (wd_cfg_parse_bool(v, &b) == WD_OK) {
		c->num[k] = b;
		return WD_OK;
	}
	ERRF("%s: must be true, false, 1 or 0", defs[k].name);
	return WD_E_CONFIG;
}

/*
 * Role names and column names end up in SQL (as parameters or quoted
 * identifiers) and in claims: keep them to a boring alphabet.
 */
static int
entry_ok(const char *s, size_t n, enum wd_cfgtype t)
{
	size_t	 i;

	if (n == 0 || n > NAMEMAX)
		return 0;
	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if ((c >= 'a' && c <= 'z') || c == '_' ||
		    (c >= '0' && c <= '9' && (i > 0 || t == WD_CFGT_ROLES)))
			continue;
		if (t == WD_CFGT_ROLES && ((c >= 'A' && c <= 'Z') || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

/*
 * A comma list: blanks around entries trimmed, empty entries skipped.
 * The entries are cut out of a copy of v (c->lbuf[k]).
 */
static enum wd_err
check_list(struct wd_cfg *c, enum wd_cfgkey k, const char *v, char *err,
    size_t errsz)
{
	enum wd_err		 rc = WD_E_CONFIG;
	const struct cfgdef	*d = &defs[k];
	const char		*what = d->type == WD_CFGT_ROLES ?
				    "role names [A-Za-z0-9_-]" :
				    "column names [a-z_][a-z0-9_]*";
	char			*p, *e, *next;
	size_t			 n = 0, i;

	c->lbuf[k] = wd_xstrdup(v);
	c->list[k] = wd_xcalloc(LMAX, sizeof(*c->list[k]));
	for (p = c->lbuf[k]; *p != '\0'; p = next) {
		e = p + strcspn(p, ",");
		next = *e == ',' ? e + 1 : e;
		while (*p == ' ' || *p == '\t')
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p)
			continue;
		*e = '\0';
		if (!entry_ok(p, (size_t)(e - p), d->type)) {
			ERRF("%s: entries must be %s of at most %d bytes",
			    d->name, what, NAMEMAX);
			goto out;
		}
		/* Hasura's admin bypasses every permission: no setting
		 * hands it out (the anonymous role least of all) */
		if (d->type == WD_CFGT_ROLES && strcasecmp(p, "admin") == 0) {
			ERRF("%s: must not be admin", d->name);
			goto out;
		}
		for (i = 0; i < n; i++)
			if (strcmp(c->list[k][i], p) == 0) {
				ERRF("%s: an entry is repeated", d->name);
				goto out;
			}
		if (n >= (size_t)d->max)
			break;
		c->list[k][n++] = p;
	}
	if (*p != '\0' || n < (size_t)d->min) {
		ERRF("%s: must hold %ld to %ld %s", d->name, d->min, d->max,
		    what);
		goto out;
	}
	c->nlist[k] = n;
	rc = WD_OK;
out:
	return rc;
}

static const struct {
	enum wd_err	(*check)(struct wd_cfg *, enum wd_cfgkey,
			    const char *, char *, size_t);
} types[] = {
	[WD_CFGT_STR]		= { check_len },
	[WD_CFGT_SECRET]	= { check_len },
	[WD_CFGT_INT]		= { check_int },
	[WD_CFGT_BOOL]		= { check_bool },
	[WD_CFGT_ROLES]		= { check_list },
	[WD_CFGT_COLUMNS]	= { check_list },
};
_Static_assert(sizeof(types) / sizeof(types[0]) == WD_CFGT__MAX,
    "cfg type rows");

/*
 * The generic providers of a binary that uses provider keys: nothing
 * refused while loading, each value within its template row's bounds.
 */
static enum wd_err
oidc_check(const struct wd_cfg *c, unsigned bin, char *err, size_t errsz)
{
	char		 name[PPREFIX_LEN + WD_CFG_OIDC_NAME + 32];
	size_t		 i;
	int		 k;

	if ((defs[PTEMPLATE].used & bin) == 0)
		return WD_OK;
	if (c->oidc_err[0] != '\0') {
		ERRF("%s", c->oidc_err);
		return WD_E_CONFIG;
	}
	for (i = 0; i < c->noidc; i++)
		for (k = 0; k < WD_CFGP__MAX; k++) {
			if (c->oidc[i].val[k] == NULL)
				continue;
			wd_cfg_oidc_name(&c->oidc[i], k, name, sizeof(name));
			if (len_ok(&defs[PTEMPLATE + k], name,
			    c->oidc[i].val[k], err, errsz) != WD_OK)
				return WD_E_CONFIG;
		}
	return WD_OK;
}

enum wd_err
wd_cfg_check(struct wd_cfg *c, unsigned bin, char *err, size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	int		 k;

	unparse(c);
	if (bin == 0 || (bin & ~WD_BIN__ALL) != 0) {
		ERRF("wd_cfg_check: no such binary mask %#x", bin);
		goto out;
	}
	for (k = 0; k < WD_CFG__MAX; k++) {
		const struct cfgdef	*d = &defs[k];
		const char		*v = wd_cfg_str(c, k);

		if ((d->used & bin) == 0)
			continue;
		if ((d->req & bin) != 0 && (v == NULL || v[0] == '\0')) {
			ERRF("%s: required but not set", d->name);
			goto out;
		}
		if (types[d->type].check(c, k, v == NULL ? "" : v, err,
		    errsz) != WD_OK)
			goto out;
		c->ok[k] = 1;
	}
	if (oidc_check(c, bin, err, errsz) != WD_OK)
		goto out;
	rc = WD_OK;
out:
	if (rc != WD_OK)
		unparse(c);
	return rc;
}

enum wd_err
wd_cfg_init(struct wd_cfg *c, unsigned bin, char *err, size_t errsz)
{
	if (wd_cfg_load(c, err, errsz) != WD_OK)
		return WD_E_CONFIG;
	return wd_cfg_check(c, bin, err, errsz);
}

/* The row of k if the last check parsed it as one of the types in mask. */
static const struct cfgdef *
parsed(const struct wd_cfg *c, enum wd_cfgkey k, unsigned mask,
    const char *fn)
{
	if ((unsigned)k < WD_CFG__MAX && c->ok[k] &&
	    (mask & 1u << defs[k].type) != 0)
		return &defs[k];
	fprintf(stderr, "warden: %s(%s): not parsed by wd_cfg_check for "
	    "this binary, or of another type\n", fn, wd_cfg_name(k));
	abort();
}

long
wd_cfg_int(const struct wd_cfg *c, enum wd_cfgkey k)
{
	(void)parsed(c, k, 1u << WD_CFGT_INT, "wd_cfg_int");
	return c->num[k];
}

int
wd_cfg_flag(const struct wd_cfg *c, enum wd_cfgkey k)
{
	(void)parsed(c, k, 1u << WD_CFGT_BOOL, "wd_cfg_flag");
	return c->num[k] != 0;
}

size_t
wd_cfg_list(const struct wd_cfg *c, enum wd_cfgkey k,
    const char *const **out)
{
	(void)parsed(c, k, 1u << WD_CFGT_ROLES | 1u << WD_CFGT_COLUMNS,
	    "wd_cfg_list");
	*out = c->list[k];
	return c->nlist[k];
}
