/*
 * wd_sign.h: signed storage URLs (API.md §7, issue #11). A signature is
 * HMAC-SHA256 under the configured key (WARDEN_SIGNING_KEY) over the
 * operation, the object key, the object version (its blob id: an
 * overwrite or a delete changes or removes it, ending the URL) and the
 * expiry, as one message with a fixed prefix and newline separators
 * (keys hold no control characters, wd_skey). Verification recomputes it
 * and compares in constant time.
 */
#ifndef WD_SIGN_H
#define WD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"

#define WD_SIGN_HEX	64	/* hex digits of a signature */
#define WD_SIGN_MIN_KEY	32	/* bytes of WARDEN_SIGNING_KEY */

/*
 * Writes the lower-case hex signature of (op, key, blob, exp) under
 * (sk, sklen) to out (WD_SIGN_HEX + 1 bytes, NUL added). WD_E_INTERNAL
 * when libcrypto fails, WD_E_TOOBIG when the message would not fit.
 */
enum wd_err	wd_sign_mac(const void *sk, size_t sklen, const char *op,
		    const char *key, size_t klen, const char *blob,
		    uint64_t exp, char *out);

/*
 * Checks sig (hex, as given by the client) for (op, key, blob, exp) at
 * time now: WD_OK only when exp >= now and the signature matches
 * (constant time); WD_E_FORBIDDEN otherwise.
 */
enum wd_err	wd_sign_check(const void *sk, size_t sklen, const char *op,
		    const char *key, size_t klen, const char *blob,
		    uint64_t exp, const char *sig, uint64_t now);

#endif
