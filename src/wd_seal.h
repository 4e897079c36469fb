/*
 * wd_seal.h: encryption of small secrets at rest (the TOTP secret,
 * issue 9), so that a database dump alone cannot produce codes.
 *
 * AES-256-GCM (NIST SP 800-38D) under a 32-byte key from the
 * configuration, WARDEN_MFA_KEY: 64 hex digits (`openssl rand -hex 32`;
 * `make start` generates one). Each seal draws a fresh random 96-bit
 * nonce: SP 800-38D §8.3 allows 2^32 seals per key that way, far more
 * than an account table will ever need. Associated data binds a sealed
 * value to its row: the caller passes the account id, so a value copied
 * into another account's row does not open.
 *
 * Text form, for a text column: "v1:" base64url(nonce | ciphertext | tag)
 * (RFC 4648 §5, no padding). The version and a fixed context label are
 * authenticated with the associated data, so no prefix can be swapped.
 */
#ifndef WD_SEAL_H
#define WD_SEAL_H

#include <stddef.h>

#include "wd_err.h"

#define WD_SEAL_KEY_LEN		32	/* AES-256 */
#define WD_SEAL_KEY_HEX		64	/* WARDEN_MFA_KEY: 2 digits a byte */
#define WD_SEAL_NONCE_LEN	12	/* 96-bit IV, SP 800-38D §5.2.1.1 */
#define WD_SEAL_TAG_LEN		16	/* full 128-bit tag */
#define WD_SEAL_PREFIX		"v1:"

/* A sealed value is a short secret (a base32 TOTP secret is 32 bytes);
 * 256 leaves room without letting a column hold a document. */
#define WD_SEAL_MAX_PLAIN	256
/* Associated data: an account id (a UUID is 36 bytes) and perhaps a
 * purpose; 256 is plenty. */
#define WD_SEAL_MAX_AD		256

/* Text length for n plaintext bytes: "v1:" plus unpadded base64url of
 * 12 + n + 16 bytes, ceil(4 * m / 3). */
#define WD_SEAL_TEXT_LEN(n)						\
	(3 + (4 * (WD_SEAL_NONCE_LEN + (n) + WD_SEAL_TAG_LEN) + 2) / 3)
/* The longest text: 3 + ceil(4 * 284 / 3) = 382 bytes, plus the NUL. */
#define WD_SEAL_MAX_TEXT	WD_SEAL_TEXT_LEN(WD_SEAL_MAX_PLAIN)

struct wd_seal_key {
	unsigned char	 k[WD_SEAL_KEY_LEN];
};

/*
 * Parses the configured key (s, n): exactly WD_SEAL_KEY_HEX hex digits,
 * either case, nothing else (no space, no "0x"). Refuses a key whose 32
 * bytes are all equal (all zeros or "ff..."): a placeholder, not a key.
 * On error *why (may be NULL) points at a static one-line reason for the
 * start-up message ("warden-login: WARDEN_MFA_KEY: <why>"), *key is
 * wiped, and the result is WD_E_CONFIG. The caller owns *key and wipes
 * it with wd_seal_key_cleanup.
 */
enum wd_err	wd_seal_key_parse(const char *s, size_t n,
		    struct wd_seal_key *key, const char **why);

/* Wipes a key (explicit_bzero); key may be NULL. */
void		wd_seal_key_cleanup(struct wd_seal_key *key);

/*
 * Seals (plain, plen) under key, bound to (ad, adlen), as text into out
 * (cap bytes; WD_SEAL_MAX_TEXT + 1 always fits), NUL-terminated; *olen
 * (may be NULL) receives the length, WD_SEAL_TEXT_LEN(plen). plen is
 * 1..WD_SEAL_MAX_PLAIN and adlen 0..WD_SEAL_MAX_AD (ad may be NULL when
 * adlen is 0). WD_E_BADREQ for lengths outside these, WD_E_TOOBIG when
 * cap is too small, WD_E_INTERNAL when randomness or libcrypto fail; out
 * is then "" (if cap > 0). Nothing secret is left on the stack.
 */
enum wd_err	wd_seal(const struct wd_seal_key *key, const void *plain,
		    size_t plen, const void *ad, size_t adlen, char *out,
		    size_t cap, size_t *olen);

/*
 * Opens text (s, n) sealed by wd_seal under key with the same (ad,
 * adlen), into out (cap bytes; WD_SEAL_MAX_PLAIN always fits; not
 * NUL-terminated), *olen the plaintext length. The text is checked in
 * full (prefix, strict base64url: no padding, no other byte, no
 * non-zero unused bits; lengths) before any decryption. Returns WD_OK
 * only if the tag verifies: WD_E_BADREQ for malformed text or bad
 * lengths, WD_E_UNAUTH when authentication fails (wrong key, wrong
 * associated data, any altered byte), WD_E_TOOBIG when cap is too small,
 * WD_E_INTERNAL when libcrypto fails. On every error out is wiped up to
 * cap and *olen is 0: never garbage, never a partial plaintext. The
 * caller wipes out after use.
 */
enum wd_err	wd_open(const struct wd_seal_key *key, const char *s,
		    size_t n, const void *ad, size_t adlen,
		    unsigned char *out, size_t cap, size_t *olen);

#endif
