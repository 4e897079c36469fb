/*
 * wd_pw.h: password hashing with libxcrypt. New hashes are yescrypt at a
 * cost that takes tens of milliseconds; bcrypt ($2a$/$2b$/$2y$, as HBP and
 * pgcrypto store them) and sha512crypt ($6$) still verify, and report
 * that they need a rehash so an HBP database migrates on login.
 */
#ifndef WD_PW_H
#define WD_PW_H

#include <stddef.h>

#include "wd_err.h"

/* crypt(3) output fits in CRYPT_OUTPUT_SIZE (384) */
#define WD_PW_HASH_MAX	384
/* longest password accepted (bytes): bounds the hashing work. libxcrypt
 * refuses CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more, so a longer one
 * is first reduced to base64(sha512(password)) (see wd_pw.c). */
#define WD_PW_MAX	1024
/* yescrypt cost factor: 5 is libxcrypt's default, ~50 ms here */
#define WD_PW_COST	5

/*
 * Hashes pw (len bytes, no NUL inside) into out (size WD_PW_HASH_MAX).
 * WD_E_BADREQ for an embedded NUL or len > WD_PW_MAX.
 */
enum wd_err	wd_pw_hash(const char *pw, size_t len, char *out);

/*
 * Verifies pw against hash in constant time over the output. hash NULL
 * (no such account, or no password) verifies against a dummy hash of the
 * current cost so the time taken does not reveal it; *ok is then 0.
 */
enum wd_err	wd_pw_verify(const char *pw, size_t len, const char *hash,
		    int *ok);

/* Computes the dummy hash now (at start), so the first unknown-email
 * login of a process is not slower than the others. */
enum wd_err	wd_pw_init(void);

/* 1 if hash is not yescrypt at the current cost (rehash on login). */
int		wd_pw_needs_rehash(const char *hash);

#endif
