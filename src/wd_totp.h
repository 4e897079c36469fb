/*
 * wd_totp.h: time-based one-time passwords for two-factor sign-in
 * (issue 9): base32 (RFC 4648 §6), HOTP (RFC 4226), TOTP (RFC 6238) with
 * otplib's defaults (HMAC-SHA-1, 6 digits, 30 s steps), a strict parser
 * for the code a client sends, the window-and-replay check, and the
 * otpauth:// URL that authenticator apps scan (Google's Key Uri Format).
 *
 * Pure: no database, no clock. The caller passes the time and stores the
 * last step it accepted, so that a code is accepted once.
 */
#ifndef WD_TOTP_H
#define WD_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"

#define WD_TOTP_DIGITS		6	/* otplib's default, as HBP used */
#define WD_TOTP_PERIOD		30	/* seconds per step (RFC 6238 §5.2) */
#define WD_TOTP_WINDOW		1	/* steps accepted either side of now */

/* A new secret: 20 bytes, the HMAC-SHA-1 output size that RFC 4226 §4
 * R6 recommends (160 bits); its base32 text is 20 * 8 / 5 = 32 chars,
 * with no padding since 160 is a multiple of 40. */
#define WD_TOTP_SECRET_LEN	20
#define WD_TOTP_SECRET_B32_LEN	32

/* Key lengths HOTP accepts: RFC 4226 §4 R6 requires at least 128 bits;
 * 64 bytes is SHA-1's block size, beyond which HMAC hashes the key
 * first, so no authenticator app uses more. */
#define WD_TOTP_MIN_KEY		16
#define WD_TOTP_MAX_KEY		64

/* Base32 text of n bytes, unpadded: ceil(8n / 5). */
#define WD_TOTP_B32_LEN(n)	(((n) * 8 + 4) / 5)
/* The longest base32 secret we decode: WD_TOTP_MAX_KEY bytes, padded
 * (64 bytes = 102.4 chars, so 103 plus 1 '=' to reach 104 = 13 * 8). */
#define WD_TOTP_MAX_B32		104

/* otpauth:// URL parts: an issuer is a product name from the
 * configuration; an account label is an e-mail address (RFC 5321
 * §4.5.3.1.3: 254). */
#define WD_TOTP_MAX_ISSUER	64
#define WD_TOTP_MAX_LABEL	254
/*
 * The longest URL wd_totp_url writes, with every issuer and label byte
 * percent-encoded (3x) and a secret of WD_TOTP_MAX_KEY bytes:
 * "otpauth://totp/" 15 + issuer 3*64 + ":" 1 + label 3*254 +
 * "?secret=" 8 + 103 + "&issuer=" 8 + 3*64 +
 * "&algorithm=SHA1&digits=6&period=30" 34 = 1315; plus the NUL.
 */
#define WD_TOTP_URL_MAX							\
	(15 + 3 * WD_TOTP_MAX_ISSUER + 1 + 3 * WD_TOTP_MAX_LABEL + 8 +	\
	 WD_TOTP_B32_LEN(WD_TOTP_MAX_KEY) + 8 + 3 * WD_TOTP_MAX_ISSUER + 34)

/*
 * Base32-encodes (in, n) into out, upper-case RFC 4648 §6 alphabet, no
 * padding, NUL-terminated; cap is the size of out, including the NUL.
 * *olen (may be NULL) receives the text length, WD_TOTP_B32_LEN(n).
 * WD_E_TOOBIG when cap < WD_TOTP_B32_LEN(n) + 1 (out is then "" if
 * cap > 0).
 */
enum wd_err	wd_totp_b32_encode(const void *in, size_t n, char *out,
		    size_t cap, size_t *olen);

/*
 * Base32-decodes (s, n), untrusted, into out (cap bytes); *olen
 * receives the byte count. Accepts what otplib and authenticator apps
 * produce and nothing looser:
 *   - the RFC 4648 §6 alphabet in either case (otplib writes upper case;
 *     some sites print lower case);
 *   - with or without '=' padding, but padding only at the end and only
 *     to the next multiple of 8 characters (RFC 4648 §6);
 *   - no spaces, hyphens or other separators: nothing we decode was
 *     typed by a person (the secret is generated here and sealed), so a
 *     separator means the text was mangled;
 *   - not a length no byte count encodes to (1, 3 or 6 characters past
 *     a multiple of 8), nor non-zero unused bits in the last character
 *     (RFC 4648 §3.5), so each byte string has one accepted spelling
 *     per case and padding choice.
 * The empty text decodes to zero bytes. WD_E_BADREQ when malformed,
 * WD_E_TOOBIG when the bytes exceed cap. On error out is wiped up to cap
 * (it may hold a secret) and *olen is 0.
 */
enum wd_err	wd_totp_b32_decode(const char *s, size_t n, unsigned char *out,
		    size_t cap, size_t *olen);

/*
 * A new secret: WD_TOTP_SECRET_LEN bytes from the kernel (wd_rand), as
 * base32 in out[WD_TOTP_SECRET_B32_LEN + 1]. The raw bytes are wiped;
 * the caller owns out and should wipe it once it is sealed.
 * WD_E_INTERNAL when the kernel refuses randomness.
 */
enum wd_err	wd_totp_secret_new(char *out);

/*
 * HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the 8-byte big-endian counter
 * under (key, klen), dynamic truncation, modulo 10^digits. digits is 6,
 * 7 or 8 (8 for the RFC 6238 Appendix B vectors); klen is
 * WD_TOTP_MIN_KEY..WD_TOTP_MAX_KEY. WD_E_INTERNAL for other values or a
 * failed HMAC. *code is the number; print it with leading zeros.
 */
enum wd_err	wd_totp_hotp(const unsigned char *key, size_t klen,
		    uint64_t counter, unsigned digits, uint32_t *code);

/*
 * The RFC 6238 §4.2 step of the Unix time now: floor(now / 30).
 * WD_E_INTERNAL when now < 0 (a clock before 1970 is a broken clock).
 */
enum wd_err	wd_totp_step(int64_t now, uint64_t *step);

/*
 * The WD_TOTP_DIGITS-digit code for step, zero-padded, into
 * out[WD_TOTP_DIGITS + 1]. Errors as wd_totp_hotp (out is then "").
 */
enum wd_err	wd_totp_code(const unsigned char *key, size_t klen,
		    uint64_t step, char *out);

/*
 * The code a client sent, untrusted (s, n): accepted only as exactly
 * WD_TOTP_DIGITS ASCII digits '0'..'9', nothing around them. Spaces,
 * signs, other digits (Unicode, full-width), NUL and every other byte
 * are refused, like otplib (HBP), which tests /^\d+$/ and compares the
 * string: clients trim what a user typed. Copies the digits into
 * out[WD_TOTP_DIGITS + 1], NUL-terminated. WD_E_BADREQ otherwise (out
 * is then "").
 */
enum wd_err	wd_totp_code_parse(const char *s, size_t n, char *out);

/*
 * Checks a client's code (s, n, untrusted) against the key at Unix time
 * now: the steps now-1, now and now+1 (RFC 6238 §5.2, WD_TOTP_WINDOW)
 * are all computed and compared in constant time (wd_ct_eq); the
 * largest matching step is the match. It is accepted only if it is
 * greater than last_step, the step the account last accepted (0 when it
 * never has; step 0 is the first 30 s of 1970), so a code works once,
 * and a code older than an accepted one never. Taking the largest match
 * matters: were a code to match two steps, accepting the smaller would
 * let it be replayed against the larger.
 *
 * Returns WD_OK and *matched (the step to store as last_step, in the
 * same statement that accepts it); WD_E_BADREQ when the code is not 6
 * digits; WD_E_UNAUTH when it matches no step in the window or its step
 * is <= last_step (a replay is not told apart from a wrong code);
 * WD_E_INTERNAL for a bad key length or now < 0. *matched is written
 * only on WD_OK.
 */
enum wd_err	wd_totp_check(const unsigned char *key, size_t klen,
		    const char *s, size_t n, int64_t now, uint64_t last_step,
		    uint64_t *matched);

/*
 * Writes the provisioning URL authenticator apps scan:
 *   otpauth://totp/<issuer>:<label>?secret=<b32>&issuer=<issuer>
 *       &algorithm=SHA1&digits=6&period=30
 * into out (cap bytes, NUL-terminated; WD_TOTP_URL_MAX always fits).
 * issuer (1..WD_TOTP_MAX_ISSUER bytes) and label (the account e-mail,
 * 1..WD_TOTP_MAX_LABEL bytes) are UTF-8 without control characters or
 * ':' (Key Uri Format: the colon separates them, and apps split on it
 * after decoding); every byte outside RFC 3986's unreserved set is
 * percent-encoded, space as %20, never '+'. secret is upper-case
 * unpadded base32 of WD_TOTP_MIN_KEY..WD_TOTP_MAX_KEY bytes (what
 * wd_totp_secret_new writes). *olen (may be NULL) receives the length.
 * WD_E_BADREQ for an input outside these rules, WD_E_TOOBIG when cap is
 * too small; out is then "" (if cap > 0).
 */
enum wd_err	wd_totp_url(const char *issuer, const char *label,
		    const char *secret, char *out, size_t cap, size_t *olen);

#endif
