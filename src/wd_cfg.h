/*
 * wd_cfg.h: configuration as data. Values come from the file named by
 * WARDEN_CONFIG (KEY=VALUE lines that lighttpd/stack.sh also `.`-sources,
 * as `make start` writes run/warden.env) and from the environment, which
 * takes precedence. One table in wd_cfg.c gives each key its type, range,
 * default and the binaries that use or require it; wd_cfg_check is the one
 * validation pass over it. A missing or malformed value stops the binary
 * at start with one line naming the variable, never its value.
 */
#ifndef WD_CFG_H
#define WD_CFG_H

#include <stddef.h>

#include "wd_err.h"

enum wd_cfgkey {
	WD_CFG_DATABASE_URL,
	WD_CFG_JWT_SECRET,
	WD_CFG_JWT_PREVIOUS_SECRET,
	WD_CFG_JWT_EXPIRES_IN,
	WD_CFG_REFRESH_EXPIRES_IN,
	WD_CFG_ANON_ROLE,
	WD_CFG_COOKIE_NAME,
	WD_CFG_ACTION_SECRET,
	WD_CFG_ADMIN_SECRET,
	WD_CFG_DEFAULT_ROLE,
	WD_CFG_ALLOWED_ROLES,
	WD_CFG_AUTO_ACTIVATE,
	WD_CFG_JWT_CUSTOM_FIELDS,
	WD_CFG_REGISTRATION_CUSTOM_FIELDS,
	WD_CFG_MIN_PASSWORD_LENGTH,
	WD_CFG_STORAGE_BACKEND,
	WD_CFG_STORAGE_DIR,
	WD_CFG_STORAGE_RULES,
	WD_CFG_STORAGE_MAX_SIZE,
	WD_CFG_S3_ENDPOINT,
	WD_CFG_S3_BUCKET,
	WD_CFG_S3_REGION,
	WD_CFG_S3_ACCESS_KEY_ID,
	WD_CFG_S3_SECRET_ACCESS_KEY,
	WD_CFG_SERVER_URL,
	WD_CFG_REDIRECT_URL_SUCCESS,
	WD_CFG_REDIRECT_URL_ERROR,
	WD_CFG_COOKIE_SECURE,
	WD_CFG_SMTP_URL,
	WD_CFG_SMTP_SENDER,
	WD_CFG_SMTP_STARTTLS,
	WD_CFG_URL,
	WD_CFG_LOGIN_MAX_FAILURES,
	WD_CFG_LOGIN_MAX_FAILURES_IP,
	/* sessions and abuse (issue #10) */
	WD_CFG_TRUSTED_PROXIES,
	WD_CFG_ACTIONS_FORWARDED_FOR,
	WD_CFG_ALLOWED_ORIGINS,
	WD_CFG_CORS_ANY_ORIGIN,
	WD_CFG_REFRESH_REUSE_INTERVAL,
	WD_CFG_SESSION_MAX_AGE,
	WD_CFG_RATE_LIMIT,
	WD_CFG_MAIL_TEMPLATES,
	WD_CFG_MAIL_RETRY_MIN,
	WD_CFG_MAIL_RETRY_MAX,
	/* the account lifecycle (issue #9) */
	WD_CFG_VERIFY_EMAILS,
	WD_CFG_MFA_KEY,
	WD_CFG_MFA_ISSUER,
	WD_CFG_HOOK_MAX_AGE,
	/* sign-in with an identity provider (issue 12): per built-in
	 * provider the six keys in enum wd_cfgprov's order (wd_provider.c
	 * indexes them); generic OpenID Connect providers are no rows
	 * (struct wd_cfgoidc) */
	WD_CFG_PROVIDER_GITHUB_CLIENT_ID,
	WD_CFG_PROVIDER_GITHUB_CLIENT_SECRET,
	WD_CFG_PROVIDER_GITHUB_ISSUER,
	WD_CFG_PROVIDER_GITHUB_AUTHORIZE_URL,
	WD_CFG_PROVIDER_GITHUB_TOKEN_URL,
	WD_CFG_PROVIDER_GITHUB_USERINFO_URL,
	WD_CFG_PROVIDER_GOOGLE_CLIENT_ID,
	WD_CFG_PROVIDER_GOOGLE_CLIENT_SECRET,
	WD_CFG_PROVIDER_GOOGLE_ISSUER,
	WD_CFG_PROVIDER_GOOGLE_AUTHORIZE_URL,
	WD_CFG_PROVIDER_GOOGLE_TOKEN_URL,
	WD_CFG_PROVIDER_GOOGLE_USERINFO_URL,
	WD_CFG_ALLOWED_REDIRECT_URLS,
	WD_CFG_PROVIDER_SUCCESS_REDIRECT,
	WD_CFG_PROVIDER_FAILURE_REDIRECT,
	/* storage (issue #11) */
	WD_CFG_STORAGE_SENDFILE,
	WD_CFG_SIGNING_KEY,
	WD_CFG_SIGNED_URL_MAX_AGE,
	WD_CFG_STORAGE_QUOTA,
	WD_CFG_S3_PART_SIZE,
	WD_CFG_STORAGE_ROW_CACHE_MS,
	WD_CFG__MAX
};

/* Which binaries use / require a key (bit mask). */
#define WD_BIN_HOOK	0x01u	/* cgi-bin/hook */
#define WD_BIN_HEALTH	0x02u	/* cgi-bin/healthz */
#define WD_BIN_ACCT	0x04u	/* register login refresh logout activate
				 * user jwks (wd_svc) */
#define WD_BIN_STORAGE	0x08u	/* cgi-bin/storage */
#define WD_BIN_MAILER	0x10u	/* cgi-bin/mailer */
#define WD_BIN__ALL	0x1fu

/*
 * How wd_cfg_check reads a value, and what the row's [min, max] bounds:
 * STR		any bytes; length of a non-empty value in [min, max]
 * SECRET	as STR, but may hold a credential: never a default
 * INT		decimal digits only, value in [min, max] (min >= 0)
 * BOOL		wd_cfg_parse_bool
 * ROLES	comma list of role names [A-Za-z0-9_-]{1,63}
 * COLUMNS	comma list of column names [a-z_][a-z0-9_]{0,62}
 * For the two lists, [min, max] bounds the number of entries (max <=
 * WD_CFG_MAX_LIST); blanks around entries are trimmed, empty entries
 * skipped, a repeated entry refused.
 */
enum wd_cfgtype {
	WD_CFGT_STR,
	WD_CFGT_SECRET,
	WD_CFGT_INT,
	WD_CFGT_BOOL,
	WD_CFGT_ROLES,
	WD_CFGT_COLUMNS,
	WD_CFGT__MAX
};

/* the keys of one provider: WD_CFG_PROVIDER_<P>_CLIENT_ID + one of these */
enum wd_cfgprov {
	WD_CFGP_CLIENT_ID,
	WD_CFGP_CLIENT_SECRET,
	WD_CFGP_ISSUER,
	WD_CFGP_AUTHORIZE_URL,
	WD_CFGP_TOKEN_URL,
	WD_CFGP_USERINFO_URL,
	WD_CFGP__MAX
};

#define WD_CFG_MAX_LIST	32	/* entries in a ROLES or COLUMNS list */

/*
 * Generic OpenID Connect providers (API.md §5.2: "any number") are not
 * rows of the table: each is found by the names of its variables,
 * WARDEN_PROVIDER_<P>_<KEY>, <KEY> one of enum wd_cfgprov's CLIENT_ID,
 * CLIENT_SECRET, ISSUER, AUTHORIZE_URL, TOKEN_URL, USERINFO_URL, in the
 * file and in the environment alike (the environment wins per variable).
 * <P> is [A-Z0-9]{1,32} and neither GITHUB nor GOOGLE (their variables
 * are rows); its route name is <P> in lower case. No '_' in <P>: a name
 * like WARDEN_PROVIDER_CORP_OLD_ISSUER, or a misspelt key such as
 * WARDEN_PROVIDER_CORP_CLIENTID, could otherwise be read as another
 * provider; any WARDEN_PROVIDER_ variable that is neither a row nor
 * <P>_<KEY> is refused by wd_cfg_check (for WD_BIN_ACCT), as is a
 * WD_CFG_MAX_OIDC + 1st provider. The values are checked like the
 * built-in providers' rows (lengths; the secret is wiped on cleanup).
 */
#define WD_CFG_MAX_OIDC		32	/* generic providers */
#define WD_CFG_OIDC_NAME	32	/* bytes of <P> */

struct wd_cfgoidc {
	char	 var[WD_CFG_OIDC_NAME + 1];	/* <P>: "KEYCLOAK" */
	char	 route[WD_CFG_OIDC_NAME + 1];	/* "keycloak" */
	char	*val[WD_CFGP__MAX];		/* owned; NULL = unset */
};

struct wd_cfg {
	char		*val[WD_CFG__MAX];	/* owned; NULL = unset */
	struct wd_cfgoidc oidc[WD_CFG_MAX_OIDC];	/* in order found */
	size_t		 noidc;
	char		 oidc_err[192];	/* the first provider variable
					 * that could not be placed, as the
					 * line wd_cfg_check reports; "" if
					 * none */
	/* filled by wd_cfg_check, read through the accessors below */
	unsigned char	 ok[WD_CFG__MAX];	/* parsed by the last check */
	long		 num[WD_CFG__MAX];	/* INT value; BOOL 0 or 1 */
	char		*lbuf[WD_CFG__MAX];	/* list: entries, NUL-ended */
	const char	**list[WD_CFG__MAX];	/* list: into lbuf */
	size_t		 nlist[WD_CFG__MAX];
};

/*
 * Loads (wd_cfg_load) and checks (wd_cfg_check) the configuration of bin,
 * one or more WD_BIN_* bits. c is zeroed or cleaned up. On error writes
 * one line to err and returns WD_E_CONFIG. In every case the caller
 * cleans up with wd_cfg_cleanup().
 */
enum wd_err	wd_cfg_init(struct wd_cfg *c, unsigned bin, char *err,
		    size_t errsz);

/*
 * The one validation pass, in the table's order: every key used by bin
 * (any bit) is parsed by its type (see enum wd_cfgtype) from its value or
 * its default, and every key required by bin is set and non-empty. The
 * parsed values are kept in c for wd_cfg_int, wd_cfg_flag and wd_cfg_list;
 * keys bin does not use are not looked at (nor parsed). Returns WD_OK, or
 * WD_E_CONFIG with one line in err ("WARDEN_X: required but not set",
 * "WARDEN_X: must be an integer in [1, 1440]", ...; never a value) and
 * nothing parsed. May be called again (another bin); replaces what the
 * last call parsed.
 */
enum wd_err	wd_cfg_check(struct wd_cfg *c, unsigned bin, char *err,
		    size_t errsz);

/*
 * Accessors for what the last successful wd_cfg_check parsed. Asking for
 * a key it did not parse (not used by the checked bin, or of another
 * type) is a programming error: one line on stderr and abort(), never a
 * made-up value.
 */
long		wd_cfg_int(const struct wd_cfg *c, enum wd_cfgkey k);
int		wd_cfg_flag(const struct wd_cfg *c, enum wd_cfgkey k);

/*
 * The entries of a ROLES or COLUMNS key; *out points at the count
 * entries, borrowed from c until the next wd_cfg_check or
 * wd_cfg_cleanup. Aborts like wd_cfg_int.
 */
size_t		wd_cfg_list(const struct wd_cfg *c, enum wd_cfgkey k,
		    const char *const **out);

/* 1 if the file or the environment set k (even to ""), 0 if not. */
int		wd_cfg_isset(const struct wd_cfg *c, enum wd_cfgkey k);

/*
 * The one boolean parser: exactly "true" or "1" (*out = 1), "false" or
 * "0" (*out = 0). Anything else, "TRUE", "yes", "on", "" or NULL
 * included, is WD_E_CONFIG and leaves *out alone: a word we do not read
 * stops the binary at start instead of being taken for either answer.
 */
enum wd_err	wd_cfg_parse_bool(const char *s, int *out);

/*
 * Loads the file named by $WARDEN_CONFIG (if set) and then the
 * environment into c. On error writes one line to err (never a value,
 * which may be a secret) and returns WD_E_CONFIG. Checks nothing but
 * the file's syntax (wd_cfg_init also checks).
 * Caller cleans up with wd_cfg_cleanup() (which wipes the values).
 */
enum wd_err	wd_cfg_load(struct wd_cfg *c, char *err, size_t errsz);

/*
 * Same, from an explicit file path (may be NULL) and an environment,
 * envp, shaped like environ(7): "NAME=VALUE" strings up to a NULL (may
 * be NULL: none). environ in production; tests pass their own. A name
 * given twice counts once, the first (as getenv). Environment values are
 * taken as they are (no shell reads them).
 */
enum wd_err	wd_cfg_load_from(struct wd_cfg *c, const char *path,
		    char *const *envp, char *err, size_t errsz);

/*
 * Parses the text of a configuration file into c (later values win).
 * The file is also `.`-sourced by sh (dash), so only the part of the
 * shell's syntax that both read the same way is accepted: NAME=VALUE
 * lines (optionally "export "), blank and '#' comment lines; a value is
 * bare text, 'single-quoted' text (literal, may span lines) or
 * "double-quoted" text (\\ \" \$ \` escapes), runs concatenated. Refused,
 * with advice to use single quotes: an unescaped $ or ` outside single
 * quotes, an unquoted ~, ; & | < > ( ), a backslash before a newline or
 * at the end, unquoted * ? [ after export, a carriage return outside
 * quotes (CRLF files), a NUL byte, a name starting with a digit, and
 * anything after a value but blanks and a comment.
 * Returns WD_E_CONFIG with "line N: ..." in err on an error.
 */
enum wd_err	wd_cfg_parse(struct wd_cfg *c, const char *text, size_t len,
		    char *err, size_t errsz);

/* Frees and wipes everything in c (NULL or zeroed is fine). */
void		wd_cfg_cleanup(struct wd_cfg *c);

/*
 * The generic OpenID Connect providers loaded into c (see struct
 * wd_cfgoidc), whether configured or left empty; wd_cfg_oidc returns
 * the i-th (i < wd_cfg_oidc_count), borrowed from c until
 * wd_cfg_cleanup, or NULL.
 */
size_t		wd_cfg_oidc_count(const struct wd_cfg *c);
const struct wd_cfgoidc *wd_cfg_oidc(const struct wd_cfg *c, size_t i);

/* The value of key k of o, NULL when unset or empty; borrowed. */
const char	*wd_cfg_oidc_str(const struct wd_cfgoidc *o,
		    enum wd_cfgprov k);

/* "WARDEN_PROVIDER_<P>_<KEY>" of key k of o into out (truncated to
 * outsz, NUL-terminated), for messages. */
void		wd_cfg_oidc_name(const struct wd_cfgoidc *o,
		    enum wd_cfgprov k, char *out, size_t outsz);

/* The variable's name, e.g. "WARDEN_JWT_SECRET"; "?" out of range. */
const char	*wd_cfg_name(enum wd_cfgkey k);

/* The raw value, else the built-in default, else NULL; borrowed. */
const char	*wd_cfg_str(const struct wd_cfg *c, enum wd_cfgkey k);

#endif
