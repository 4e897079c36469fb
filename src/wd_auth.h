/*
 * wd_auth.h: finding credentials in request headers. Pure parsers over
 * (ptr, len) with no allocation: Authorization (RFC 6750 §2.1, as Hasura
 * reads it: exactly two words) and Cookie (RFC 6265 §4.2.1).
 */
#ifndef WD_AUTH_H
#define WD_AUTH_H

#include <stddef.h>

#include "wd_err.h"

/*
 * Parses "Bearer <token>": exactly two words separated by one space, the
 * scheme compared case-insensitively. On WD_OK *tok and *toklen point into
 * hdr. WD_E_BADTOKEN for anything else (including an empty header).
 */
enum wd_err	wd_auth_bearer(const char *hdr, size_t len, const char **tok,
		    size_t *toklen);

/*
 * Finds cookie name in a Cookie header. WD_OK with *val and *vlen pointing
 * into hdr (surrounding DQUOTEs removed); WD_E_NOTFOUND when absent;
 * WD_E_BADHEADER when the name occurs twice (ambiguous: which one did the
 * browser mean?).
 */
enum wd_err	wd_auth_cookie(const char *hdr, size_t len, const char *name,
		    const char **val, size_t *vlen);

/*
 * The request's credential (API.md §4): "Authorization: Bearer <jwt>" if
 * that header is present and non-empty (an empty one is no credential:
 * lighttpd drops empty headers), else the cookie cookie_name (NULL or ""
 * = no cookie credential). The headers are (ptr, len), ptr NULL when
 * absent. WD_OK with *tok and *toklen pointing into a header;
 * WD_E_NOTFOUND when the request carries no credential at all;
 * WD_E_BADTOKEN for a malformed Authorization, a repeated or empty
 * cookie: a credential was presented and is bad, never "none".
 */
enum wd_err	wd_auth_find(const char *authz, size_t alen, const char *cookie,
		    size_t clen, const char *cookie_name, const char **tok,
		    size_t *toklen);

#endif
