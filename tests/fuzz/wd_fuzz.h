/*
 * wd_fuzz.h: what every libFuzzer target in tests/fuzz/ shares: the
 * entry points' prototypes, the invariant check, and the copies of the
 * input a target hands to the code under test. Copies are exact-size
 * heap blocks, so ASan catches a read one byte past the input's end
 * (libFuzzer's own buffer would hide some).
 */
#ifndef WD_FUZZ_H
#define WD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);	/* optional */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: when it fails, names it and aborts, which libFuzzer
 * reports as a crash and keeps the input. */
#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* Token checks run at this fixed time (2023-11-14), so a corpus replays
 * the same way on any day. */
#define FZ_NOW		((time_t)1700000000)
/* The namespace of Hasura's claims in a token. */
#define FZ_NS		"https://hasura.io/jwt/claims"

/* An exact-size heap copy of len bytes at p, not NUL-terminated (one
 * byte allocated for len 0, never read). Caller frees; never NULL. */
static inline char *
fz_copy(const void *p, size_t len)
{
	char	*c = malloc(len > 0 ? len : 1);

	CHECK(c != NULL);
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

/* A copy of len bytes at p with a NUL after them, for a parser of C
 * strings (bytes after an embedded 0x00 are then unreachable, as in a
 * CGI parameter). Caller frees; never NULL. */
static inline char *
fz_cstr(const void *p, size_t len)
{
	char	*c = malloc(len + 1);

	CHECK(c != NULL);
	if (len > 0)
		memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/*
 * The input read as a recipe for a generated case: fz_byte() takes the
 * next byte, 0 once the input is used up (so every input is a recipe).
 */
struct fz_src {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
};

static inline uint8_t
fz_byte(struct fz_src *s)
{
	return s->pos < s->len ? s->p[s->pos++] : 0;
}

#endif
