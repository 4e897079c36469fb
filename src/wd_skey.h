/*
 * wd_skey.h: storage keys (issue #4, "Keys and input"). A key arrives
 * percent-encoded in the request path after /storage/o/ or /storage/m/;
 * it is decoded exactly once and then validated. Pure functions over
 * (ptr, len), no allocation.
 */
#ifndef WD_SKEY_H
#define WD_SKEY_H

#include <stddef.h>

#include "wd_err.h"
#include "wd_limits.h"

/*
 * Decodes raw (len bytes, percent-encoded, not NUL-terminated) into out
 * (outsz >= WD_MAX_SKEY + 1; NUL-terminated on WD_OK, with *outlen set)
 * and validates the result: 1..WD_MAX_SKEY bytes of valid UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF), no C0/C1
 * control characters, DEL or NUL, no leading '/', no empty segment, no
 * "." or ".." segment. A trailing '/' is allowed and makes the key a
 * directory (*is_dir = 1; only listing accepts one). '%' not followed by
 * two hex digits is an error. Returns WD_OK or WD_E_BADKEY (out is then
 * unspecified).
 */
enum wd_err	wd_skey_decode(const char *raw, size_t len, char *out,
		    size_t outsz, size_t *outlen, int *is_dir);

/*
 * Validates an already decoded key (the same rules as above, without the
 * percent step). WD_OK or WD_E_BADKEY.
 */
enum wd_err	wd_skey_valid(const char *key, size_t len, int *is_dir);

#endif
