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

#endif
