/*
 * wd_cfg.h: configuration. Values come from the file named by
 * WARDEN_CONFIG (shell-sourceable KEY=VALUE lines, as `make start` writes
 * run/warden.env) and from the environment, which takes precedence.
 * Each binary names what it needs; a missing or malformed value stops it
 * at start with one line naming the variable.
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
	WD_CFG__MAX
};

struct wd_cfg {
	char	*val[WD_CFG__MAX];	/* owned; NULL = unset */
};

/*
 * Loads the file named by $WARDEN_CONFIG (if set) and then the
 * environment into c. On error writes one line to err (never a value,
 * which may be a secret) and returns WD_E_CONFIG.
 * Caller cleans up with wd_cfg_cleanup() (which wipes the values).
 */
enum wd_err	wd_cfg_load(struct wd_cfg *c, char *err, size_t errsz);

/*
 * Same, from an explicit file path (may be NULL) and an environment
 * lookup function (getenv in production; tests pass their own).
 */
enum wd_err	wd_cfg_load_from(struct wd_cfg *c, const char *path,
		    const char *(*env)(const char *), char *err, size_t errsz);

/*
 * Parses the text of a configuration file into c (later values win).
 * Returns WD_E_CONFIG with "line N: ..." in err on a syntax error.
 */
enum wd_err	wd_cfg_parse(struct wd_cfg *c, const char *text, size_t len,
		    char *err, size_t errsz);

void		wd_cfg_cleanup(struct wd_cfg *c);

/* The variable's name, e.g. "WARDEN_JWT_SECRET". */
const char	*wd_cfg_name(enum wd_cfgkey k);

/* The value, the built-in default, or NULL; borrowed from c. */
const char	*wd_cfg_str(const struct wd_cfg *c, enum wd_cfgkey k);

/*
 * Requires a non-empty value; WD_E_CONFIG with "NAME: required" in err.
 */
enum wd_err	wd_cfg_require(const struct wd_cfg *c, enum wd_cfgkey k,
		    char *err, size_t errsz);

/*
 * Parses the value (or default) as a decimal integer in [min, max].
 * WD_E_CONFIG with "NAME: must be an integer in [min, max]" in err.
 */
enum wd_err	wd_cfg_long(const struct wd_cfg *c, enum wd_cfgkey k,
		    long min, long max, long *out, char *err, size_t errsz);

/* Parses "true"/"false"/"1"/"0"; WD_E_CONFIG otherwise. */
enum wd_err	wd_cfg_bool(const struct wd_cfg *c, enum wd_cfgkey k,
		    int *out, char *err, size_t errsz);

#endif
