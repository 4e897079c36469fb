/*
 * wd_cors.c: the allowed browser origins (wd_cors.h). Input is the
 * configuration only; the Origin header of a request is compared with
 * these byte for byte, never parsed.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wd_cors.h"

#define ERRF(...) do {							\
	if (err != NULL && errsz > 0)					\
		snprintf(err, errsz, __VA_ARGS__);			\
} while (0)

enum wd_err
wd_cors_origin_of(const char *url, size_t len, int path_ok, char *out)
{
	const char	*h, *e;
	size_t		 i, n;

	if (len > 8 && strncasecmp(url, "https://", 8) == 0)
		h = url + 8;
	else if (len > 7 && strncasecmp(url, "http://", 7) == 0)
		h = url + 7;
	else
		return WD_E_CONFIG;
	for (e = h; e < url + len && *e != '/' && *e != '?' && *e != '#';
	    e++)
		if ((unsigned char)*e <= ' ' || *e == '@' || *e == '\\')
			return WD_E_CONFIG;
	if (e == h || (e < url + len && !path_ok &&
	    !(e + 1 == url + len && *e == '/')))
		return WD_E_CONFIG;
	n = (size_t)(e - url);
	if (n >= WD_CORS_ORIGIN)
		return WD_E_CONFIG;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)url[i]);
	out[n] = '\0';
	/* what browsers send: no default port */
	if (n > 4 && strcmp(out + n - 4, ":443") == 0 && out[4] == 's')
		out[n - 4] = '\0';
	else if (n > 3 && strcmp(out + n - 3, ":80") == 0 && out[4] == ':')
		out[n - 3] = '\0';
	return WD_OK;
}

enum wd_err
wd_cors_init(struct wd_cors *o, const struct wd_cfg *c, char *err,
    size_t errsz)
{
	const char	*u = wd_cfg_str(c, WD_CFG_SERVER_URL), *p, *e;
	size_t		 len;

	memset(o, 0, sizeof(*o));
	o->any = wd_cfg_flag(c, WD_CFG_CORS_ANY_ORIGIN);
	if (u == NULL || u[0] == '\0')
		u = wd_cfg_str(c, WD_CFG_URL);
	if (u != NULL && u[0] != '\0' &&
	    wd_cors_origin_of(u, strlen(u), 1, o->origins[o->n++]) != WD_OK) {
		ERRF("WARDEN_SERVER_URL: not an http(s) URL");
		return WD_E_CONFIG;
	}
	p = wd_cfg_str(c, WD_CFG_ALLOWED_ORIGINS);
	for (; p != NULL && *p != '\0'; p = *e == ',' ? e + 1 : e) {
		while (*p == ' ')
			p++;
		e = p;
		while (*e != '\0' && *e != ',')
			e++;
		len = (size_t)(e - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 0)
			continue;
		if (o->n >= WD_CORS_MAX_ORIGINS ||
		    wd_cors_origin_of(p, len, 0, o->origins[o->n]) != WD_OK) {
			ERRF("WARDEN_ALLOWED_ORIGINS: entries must be origins "
			    "like https://app.example.com (at most %d)",
			    WD_CORS_MAX_ORIGINS - 1);
			return WD_E_CONFIG;
		}
		o->n++;
	}
	return WD_OK;
}

int
wd_cors_allowed(const struct wd_cors *o, const char *origin, size_t len)
{
	size_t	 i;

	for (i = 0; o != NULL && i < o->n; i++)
		if (strlen(o->origins[i]) == len &&
		    memcmp(o->origins[i], origin, len) == 0)
			return 1;
	return 0;
}
