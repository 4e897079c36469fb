/*
 * wd_email.h: e-mail address normalisation and validation for accounts.
 */
#ifndef WD_EMAIL_H
#define WD_EMAIL_H

#include <stddef.h>

#include "wd_err.h"

#define WD_EMAIL_MAX	254	/* RFC 5321 §4.5.3.1.3 path limit */

/*
 * Trims ASCII blanks, lower-cases ASCII letters and validates: at most
 * WD_EMAIL_MAX bytes, exactly one '@', a local part of 1..64 bytes, a
 * domain with a dot not at either end, no empty labels, no control
 * characters, spaces, quotes, commas or angle brackets (which would let
 * one field smuggle a second SMTP recipient). Writes the result to out
 * (size WD_EMAIL_MAX + 1). WD_E_BADREQ when invalid.
 */
enum wd_err	wd_email_normalize(const char *in, size_t len, char *out);

#endif
