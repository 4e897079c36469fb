/*
 * wd_cfg.c: configuration loading. The file is trusted (written by the
 * operator or `make start`) but still parsed strictly, so a typo stops the
 * program instead of silently dropping a setting. Values may be secrets:
 * error messages name variables and line numbers, never values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_cfg.h"
#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_util.h"

struct cfgdef {
	const char	*name;
	const char	*def;	/* built-in default; never for a secret */
};

static const struct cfgdef defs[] = {
	[WD_CFG_DATABASE_URL]		= { "WARDEN_DATABASE_URL", NULL },
	[WD_CFG_JWT_SECRET]		= { "WARDEN_JWT_SECRET", NULL },
	[WD_CFG_JWT_PREVIOUS_SECRET]	= { "WARDEN_JWT_PREVIOUS_SECRET",
					    NULL },
	[WD_CFG_JWT_EXPIRES_IN]		= { "WARDEN_JWT_EXPIRES_IN", "15" },
	[WD_CFG_REFRESH_EXPIRES_IN]	= { "WARDEN_REFRESH_EXPIRES_IN",
					    "43200" },
	[WD_CFG_ANON_ROLE]		= { "WARDEN_ANON_ROLE", "anonymous" },
	[WD_CFG_COOKIE_NAME]		= { "WARDEN_COOKIE_NAME",
					    "access_token" },
	[WD_CFG_ACTION_SECRET]		= { "WARDEN_ACTION_SECRET", NULL },
	[WD_CFG_ADMIN_SECRET]		= { "WARDEN_ADMIN_SECRET", NULL },
	[WD_CFG_DEFAULT_ROLE]		= { "WARDEN_DEFAULT_ROLE", "user" },
	[WD_CFG_ALLOWED_ROLES]		= { "WARDEN_ALLOWED_ROLES",
					    "user,me" },
	[WD_CFG_AUTO_ACTIVATE]		= { "WARDEN_AUTO_ACTIVATE", "false" },
	[WD_CFG_JWT_CUSTOM_FIELDS]	= { "WARDEN_JWT_CUSTOM_FIELDS", "" },
	[WD_CFG_REGISTRATION_CUSTOM_FIELDS] = {
		"WARDEN_REGISTRATION_CUSTOM_FIELDS", "" },
	[WD_CFG_MIN_PASSWORD_LENGTH]	= { "WARDEN_MIN_PASSWORD_LENGTH",
					    "8" },
	[WD_CFG_STORAGE_BACKEND]	= { "WARDEN_STORAGE_BACKEND", "fs" },
	[WD_CFG_STORAGE_DIR]		= { "WARDEN_STORAGE_DIR", NULL },
	[WD_CFG_STORAGE_RULES]		= { "WARDEN_STORAGE_RULES",
					    "storage-rules.json" },
	[WD_CFG_STORAGE_MAX_SIZE]	= { "WARDEN_STORAGE_MAX_SIZE",
					    "1073741824" },
	[WD_CFG_S3_ENDPOINT]		= { "WARDEN_S3_ENDPOINT", NULL },
	[WD_CFG_S3_BUCKET]		= { "WARDEN_S3_BUCKET", NULL },
	[WD_CFG_S3_REGION]		= { "WARDEN_S3_REGION", "us-east-1" },
	[WD_CFG_S3_ACCESS_KEY_ID]	= { "WARDEN_S3_ACCESS_KEY_ID", NULL },
	[WD_CFG_S3_SECRET_ACCESS_KEY]	= { "WARDEN_S3_SECRET_ACCESS_KEY",
					    NULL },
	[WD_CFG_SERVER_URL]		= { "WARDEN_SERVER_URL", NULL },
	[WD_CFG_REDIRECT_URL_SUCCESS]	= { "WARDEN_REDIRECT_URL_SUCCESS",
					    NULL },
	[WD_CFG_REDIRECT_URL_ERROR]	= { "WARDEN_REDIRECT_URL_ERROR",
					    NULL },
	[WD_CFG_COOKIE_SECURE]		= { "WARDEN_COOKIE_SECURE", "false" },
	[WD_CFG_SMTP_URL]		= { "WARDEN_SMTP_URL", NULL },
	[WD_CFG_SMTP_SENDER]		= { "WARDEN_SMTP_SENDER", NULL },
	[WD_CFG_SMTP_STARTTLS]		= { "WARDEN_SMTP_STARTTLS", "false" },
	[WD_CFG_URL]			= { "WARDEN_URL", NULL },
	[WD_CFG_LOGIN_MAX_FAILURES]	= { "WARDEN_LOGIN_MAX_FAILURES",
					    "10" },
	[WD_CFG_LOGIN_MAX_FAILURES_IP]	= { "WARDEN_LOGIN_MAX_FAILURES_IP",
					    "100" },
};
_Static_assert(sizeof(defs) / sizeof(defs[0]) == WD_CFG__MAX, "cfg rows");

/* Writes one error line; err may be NULL. */
#define ERRF(...) do {						\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

const char *
wd_cfg_name(enum wd_cfgkey k)
{
	return (unsigned)k < WD_CFG__MAX ? defs[k].name : "?";
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
setval(struct wd_cfg *c, int k, const char *v, size_t len)
{
	if (c->val[k] != NULL)
		wd_freezero(c->val[k], strlen(c->val[k]));
	c->val[k] = wd_xstrndup(v, len);
}

/*
 * Reads one value starting at text[*pos] up to the end of its line:
 * a 'single-quoted' run (which may span lines, shell style, with '\''
 * joins), a "double-quoted" run with \\ \" \$ \` escapes, or bare text.
 */
static enum wd_err
readval(const char *t, size_t len, size_t *pos, char *out, size_t *olen)
{
	size_t	 i = *pos, o = 0;

	while (i < len && t[i] != '\n') {
		if (t[i] == '\'') {
			i++;
			while (i < len && t[i] != '\'') {
				if (o >= WD_MAX_CFG_VALUE)
					return WD_E_TOOBIG;
				out[o++] = t[i++];
			}
			if (i >= len)
				return WD_E_BADREQ;
			i++;
		} else if (t[i] == '"') {
			i++;
			while (i < len && t[i] != '"') {
				if (t[i] == '\\' && i + 1 < len &&
				    strchr("\\\"$`", t[i + 1]) != NULL)
					i++;
				if (o >= WD_MAX_CFG_VALUE)
					return WD_E_TOOBIG;
				out[o++] = t[i++];
			}
			if (i >= len)
				return WD_E_BADREQ;
			i++;
		} else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r') {
			/* trailing blanks end a bare value; only blanks or a
			 * comment may follow */
			while (i < len && (t[i] == ' ' || t[i] == '\t' ||
			    t[i] == '\r'))
				i++;
			if (i < len && t[i] == '#')
				while (i < len && t[i] != '\n')
					i++;
			if (i < len && t[i] != '\n')
				return WD_E_BADREQ;
		} else {
			/* shell: a backslash quotes the next character, which
			 * is how '\'' puts a quote inside a quoted value */
			if (t[i] == '\\' && i + 1 < len && t[i + 1] != '\n')
				i++;
			if (o >= WD_MAX_CFG_VALUE)
				return WD_E_TOOBIG;
			out[o++] = t[i++];
		}
	}
	*pos = i;
	*olen = o;
	return WD_OK;
}

enum wd_err
wd_cfg_parse(struct wd_cfg *c, const char *t, size_t len, char *err,
    size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	char		*val = wd_xmalloc(WD_MAX_CFG_VALUE);
	size_t		 i = 0, vlen = 0;
	long		 line = 1;

	while (i < len) {
		size_t	 ks, kl;
		long	 start = line;
		int	 k;

		while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
			i++;
		if (i < len && (t[i] == '#' || t[i] == '\n')) {
			while (i < len && t[i] != '\n')
				i++;
			i++;
			line++;
			continue;
		}
		if (i >= len)
			break;
		if (len - i > 7 && memcmp(t + i, "export ", 7) == 0)
			i += 7;
		ks = i;
		while (i < len && (t[i] == '_' || (t[i] >= 'A' && t[i] <= 'Z')
		    || (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9')))
			i++;
		kl = i - ks;
		if (kl == 0 || i >= len || t[i] != '=') {
			ERRF("line %ld: expected NAME=VALUE", start);
			goto out;
		}
		i++;
		{
			size_t	 j, from = i;

			if (readval(t, len, &i, val, &vlen) != WD_OK) {
				ERRF("line %ld: bad quoting or value too long",
				    start);
				goto out;
			}
			for (j = from; j < i; j++)
				if (t[j] == '\n')
					line++;
		}
		if (memchr(val, '\0', vlen) != NULL) {
			ERRF("line %ld: NUL byte in value", start);
			goto out;
		}
		k = lookup(t + ks, kl);
		if (k >= 0)
			setval(c, k, val, vlen);
		/* other names (PATH, PG*) may share the file: ignored */
		if (i < len) {
			i++;
			line++;
		}
	}
	rc = WD_OK;
out:
	wd_freezero(val, WD_MAX_CFG_VALUE);
	return rc;
}

enum wd_err
wd_cfg_load_from(struct wd_cfg *c, const char *path,
    const char *(*env)(const char *), char *err, size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	FILE		*f = NULL;
	char		*text = NULL;
	size_t		 n = 0;
	int		 i;

	if (path != NULL && path[0] != '\0') {
		f = fopen(path, "r");
		if (f == NULL) {
			if (err != NULL)
				snprintf(err, errsz, "WARDEN_CONFIG: cannot "
				    "open %s: %s", path, strerror(errno));
			goto out;
		}
		text = wd_xmalloc(WD_MAX_CFG_FILE + 1);
		n = fread(text, 1, WD_MAX_CFG_FILE + 1, f);
		if (n > WD_MAX_CFG_FILE || ferror(f)) {
			if (err != NULL)
				snprintf(err, errsz, "WARDEN_CONFIG: %s: "
				    "unreadable or larger than %d bytes",
				    path, WD_MAX_CFG_FILE);
			goto out;
		}
		if (wd_cfg_parse(c, text, n, err, errsz) != WD_OK) {
			char	 tmp[256];

			if (err != NULL) {
				snprintf(tmp, sizeof(tmp), "%s", err);
				snprintf(err, errsz, "WARDEN_CONFIG: %s: %s",
				    path, tmp);
			}
			goto out;
		}
	}
	for (i = 0; i < WD_CFG__MAX && env != NULL; i++) {
		const char	*v = env(defs[i].name);

		if (v == NULL)
			continue;
		if (strlen(v) > WD_MAX_CFG_VALUE) {
			ERRF("%s: value too long", defs[i].name);
			goto out;
		}
		setval(c, i, v, strlen(v));
	}
	rc = WD_OK;
out:
	if (f != NULL)
		fclose(f);
	wd_freezero(text, n > WD_MAX_CFG_FILE ? WD_MAX_CFG_FILE + 1 : n);
	return rc;
}

static const char *
realenv(const char *name)
{
	return getenv(name);
}

enum wd_err
wd_cfg_load(struct wd_cfg *c, char *err, size_t errsz)
{
	return wd_cfg_load_from(c, getenv("WARDEN_CONFIG"), realenv, err,
	    errsz);
}

void
wd_cfg_cleanup(struct wd_cfg *c)
{
	int	 i;

	if (c == NULL)
		return;
	for (i = 0; i < WD_CFG__MAX; i++) {
		if (c->val[i] != NULL)
			wd_freezero(c->val[i], strlen(c->val[i]));
		c->val[i] = NULL;
	}
}

const char *
wd_cfg_str(const struct wd_cfg *c, enum wd_cfgkey k)
{
	if ((unsigned)k >= WD_CFG__MAX)
		return NULL;
	return c->val[k] != NULL ? c->val[k] : defs[k].def;
}

enum wd_err
wd_cfg_require(const struct wd_cfg *c, enum wd_cfgkey k, char *err,
    size_t errsz)
{
	const char	*v = wd_cfg_str(c, k);

	if (v != NULL && v[0] != '\0')
		return WD_OK;
	ERRF("%s: required but not set", wd_cfg_name(k));
	return WD_E_CONFIG;
}

enum wd_err
wd_cfg_long(const struct wd_cfg *c, enum wd_cfgkey k, long min, long max,
    long *out, char *err, size_t errsz)
{
	const char	*v = wd_cfg_str(c, k);
	uint64_t	 u;

	if (v != NULL && wd_parse_u64(v, strlen(v), (uint64_t)max, &u) ==
	    WD_OK && (long)u >= min) {
		*out = (long)u;
		return WD_OK;
	}
	if (err != NULL)
		snprintf(err, errsz, "%s: must be an integer in [%ld, %ld]",
		    wd_cfg_name(k), min, max);
	return WD_E_CONFIG;
}

enum wd_err
wd_cfg_bool(const struct wd_cfg *c, enum wd_cfgkey k, int *out, char *err,
    size_t errsz)
{
	const char	*v = wd_cfg_str(c, k);

	if (v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)) {
		*out = 1;
		return WD_OK;
	}
	if (v != NULL && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)) {
		*out = 0;
		return WD_OK;
	}
	ERRF("%s: must be true or false", wd_cfg_name(k));
	return WD_E_CONFIG;
}
