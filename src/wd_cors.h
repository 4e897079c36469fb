/*
 * wd_cors.h: the browser origins allowed to call Warden from another
 * site: the public URL's (WARDEN_SERVER_URL, else WARDEN_URL) and
 * WARDEN_ALLOWED_ORIGINS. The account binaries refuse a cookie-mode
 * request from any other (API.md §5.1); the account and storage binaries
 * answer CORS (wd_http) naming these, with credentials, and any other
 * origin "*" without them while WARDEN_CORS_ANY_ORIGIN is on.
 */
#ifndef WD_CORS_H
#define WD_CORS_H

#include <stddef.h>

#include "wd_cfg.h"
#include "wd_err.h"

#define WD_CORS_MAX_ORIGINS	16
#define WD_CORS_ORIGIN		256	/* "https://host:port" and NUL */

struct wd_cors {
	char	 origins[WD_CORS_MAX_ORIGINS][WD_CORS_ORIGIN];
	size_t	 n;		/* the public URL's first, when set */
	int	 any;		/* WARDEN_CORS_ANY_ORIGIN: other origins
				 * are answered "*", without credentials */
};

/*
 * Reads the origins from c. WD_E_CONFIG with one line in err naming the
 * variable when one is not an http(s) origin (or there are too many).
 */
enum wd_err	wd_cors_init(struct wd_cors *o, const struct wd_cfg *c,
		    char *err, size_t errsz);

/* 1 if the Origin header value (ptr, len) is one of o's. */
int		wd_cors_allowed(const struct wd_cors *o, const char *origin,
		    size_t len);

/*
 * The origin of url (len bytes) into out (WD_CORS_ORIGIN bytes) as a
 * browser sends it: scheme and host lower-cased, a default port dropped.
 * path_ok: a path, query or fragment may follow (cut off); otherwise
 * only a trailing "/". WD_E_CONFIG if url is not http(s) with a host, or
 * holds userinfo, a blank or a backslash in its authority.
 */
enum wd_err	wd_cors_origin_of(const char *url, size_t len, int path_ok,
		    char *out);

#endif
