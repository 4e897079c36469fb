/*
 * fuzz_seal.c: wd_open (wd_seal.h) on arbitrary text, and seal/open
 * round trips on arbitrary plaintext and associated data.
 *
 * The keys are drawn from the kernel when the target starts, so no
 * corpus entry can hold a text sealed under them. The first byte picks
 * the mode (modulo 2), the rest is its input, as exact-size heap copies
 * (not NUL-terminated, so ASan catches any read past len).
 *
 *   0 open: wd_open never answers WD_OK (that would be a forgery); it
 *     answers WD_E_BADREQ exactly when a reference written from the
 *     format in wd_seal.h rejects the text, else WD_E_UNAUTH (or
 *     WD_E_TOOBIG with a small output); the output is wiped and the
 *     length 0 every time.
 *   1 round trip: byte 1 gives the associated data's length; the next
 *     bytes are the associated data, the rest the plaintext. Sealing
 *     gives a text of the documented length that opens to the
 *     plaintext; changing any one character of it, the associated data
 *     or the key makes it fail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_rand.h"
#include "wd_seal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

#define AD	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"

static struct wd_seal_key	 key, key2;
static int			 ready;

static int
b64u(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Reference: the text is well-formed per wd_seal.h (not: it opens). */
static int
ref_wellformed(const uint8_t *p, size_t n)
{
	size_t	 b, i, bytes, spare;

	if (n < 3 || n > WD_SEAL_MAX_TEXT || memcmp(p, "v1:", 3) != 0)
		return 0;
	b = n - 3;
	if (b % 4 == 1)
		return 0;
	for (i = 3; i < n; i++)
		if (b64u(p[i]) < 0)
			return 0;
	bytes = b * 6 / 8;
	if (bytes < WD_SEAL_NONCE_LEN + 1 + WD_SEAL_TAG_LEN)
		return 0;
	spare = b * 6 % 8;	/* unused low bits of the last character */
	return spare == 0 || (b64u(p[n - 1]) & ((1 << spare) - 1)) == 0;
}

static void
fz_open(const char *in, size_t n)
{
	unsigned char	 out[WD_SEAL_MAX_PLAIN];
	size_t		 ol = 4242, i;
	enum wd_err	 rc;
	int		 wf;

	wf = ref_wellformed((const uint8_t *)in, n);
	memset(out, 0xAA, sizeof(out));
	rc = wd_open(&key, in, n, AD, strlen(AD), out, sizeof(out), &ol);
	CHECK(rc != WD_OK);
	CHECK(rc == (wf ? WD_E_UNAUTH : WD_E_BADREQ));
	CHECK(ol == 0);
	for (i = 0; i < sizeof(out); i++)
		CHECK(out[i] == 0);
	/* a small output: refused for size or otherwise, never opened */
	memset(out, 0xAA, sizeof(out));
	rc = wd_open(&key, in, n, AD, strlen(AD), out, 4, &ol);
	CHECK(rc == WD_E_BADREQ || rc == WD_E_UNAUTH || rc == WD_E_TOOBIG);
	CHECK(wf || rc == WD_E_BADREQ);
	CHECK(ol == 0 && out[0] == 0 && out[3] == 0 && out[4] == 0xAA);
}

static void
fz_round_trip(const uint8_t *d, size_t n)
{
	char		 t[WD_SEAL_MAX_TEXT + 1], *cp;
	unsigned char	 out[WD_SEAL_MAX_PLAIN];
	const uint8_t	*ad, *pl;
	size_t		 adlen, plen, tl = 0, ol = 0, pos;
	uint8_t		*ad2;

	if (n < 2)
		return;
	adlen = d[0] % 64;
	if (adlen > n - 1)
		adlen = n - 1;
	ad = d + 1;
	pl = d + 1 + adlen;
	plen = n - 1 - adlen;
	if (plen == 0 || plen > WD_SEAL_MAX_PLAIN)
		return;
	CHECK(wd_seal(&key, pl, plen, ad, adlen, t, sizeof(t), &tl) == WD_OK);
	CHECK(tl == WD_SEAL_TEXT_LEN(plen) && strlen(t) == tl);
	CHECK(ref_wellformed((const uint8_t *)t, tl));
	cp = malloc(tl);
	ad2 = malloc(adlen + 1);
	CHECK(cp != NULL && ad2 != NULL);
	memcpy(cp, t, tl);
	CHECK(wd_open(&key, cp, tl, ad, adlen, out, sizeof(out), &ol) ==
	    WD_OK && ol == plen && memcmp(out, pl, plen) == 0);

	/* any one character changed: never opens */
	pos = (plen * 31 + adlen * 7 + pl[0]) % tl;
	cp[pos] = cp[pos] == 'A' ? 'B' : 'A';
	CHECK(wd_open(&key, cp, tl, ad, adlen, out, sizeof(out), &ol) !=
	    WD_OK && ol == 0);
	cp[pos] = t[pos];
	/* other associated data: one byte more, or one byte changed */
	memcpy(ad2, ad, adlen);
	ad2[adlen] = 0;
	CHECK(wd_open(&key, cp, tl, ad2, adlen + 1, out, sizeof(out),
	    &ol) == WD_E_UNAUTH);
	if (adlen > 0) {
		ad2[adlen - 1] ^= 0x80;
		CHECK(wd_open(&key, cp, tl, ad2, adlen, out, sizeof(out),
		    &ol) == WD_E_UNAUTH);
	}
	/* another key */
	CHECK(wd_open(&key2, cp, tl, ad, adlen, out, sizeof(out), &ol) ==
	    WD_E_UNAUTH);
	free(cp);
	free(ad2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*in;
	size_t	 n;

	if (!ready) {
		CHECK(wd_rand_bytes(key.k, sizeof(key.k)) == WD_OK);
		CHECK(wd_rand_bytes(key2.k, sizeof(key2.k)) == WD_OK);
		ready = 1;
	}
	if (size == 0)
		return 0;
	n = size - 1;
	in = malloc(n > 0 ? n : 1);
	CHECK(in != NULL);
	if (n > 0)
		memcpy(in, data + 1, n);
	if (data[0] % 2 == 0)
		fz_open((const char *)in, n);
	else
		fz_round_trip(in, n);
	free(in);
	return 0;
}
