/*
 * wd_rand.h: randomness from the kernel (getrandom), for tokens and
 * tickets. Never a userspace PRNG.
 */
#ifndef WD_RAND_H
#define WD_RAND_H

#include <stddef.h>

#include "wd_err.h"

#define WD_UUID_LEN	36

/* Fills buf with n random bytes; WD_E_INTERNAL if the kernel refuses. */
enum wd_err	wd_rand_bytes(void *buf, size_t n);

/* A random (version 4) UUID, 122 random bits, into out[WD_UUID_LEN + 1]. */
enum wd_err	wd_rand_uuid(char *out);

/* Formats 16 bytes b as a version 4 UUID into out[WD_UUID_LEN + 1]
 * (setting b's version and variant bits). */
void		wd_uuid_format(unsigned char *b, char *out);

/* 1 if s (len bytes) is a canonical lower- or upper-case UUID. */
int		wd_is_uuid(const char *s, size_t len);

#endif
