/*
 * fuzz_skey.c: storage key decoding (wd_skey.h).
 *
 * Invariants: an accepted key is 1..WD_MAX_SKEY bytes, NUL-terminated at
 * outlen, has no NUL, control byte, empty/"."/".." segment or leading
 * '/'; is_dir agrees with the trailing '/'; validating the decoded key
 * again accepts it with the same is_dir (decoding is idempotent on a
 * key without '%'); it holds none of the UTF-8 byte sequences of the
 * bidi and zero-width characters U+200B..U+200F, U+202A..U+202E,
 * U+2066..U+2069, U+FEFF (issue #11), matched as bytes, not decoded;
 * the input is an exact-size heap copy so any read
 * past len is caught by ASan.
 */

#include "wd_fuzz.h"
#include "wd_skey.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*raw = fz_copy(data, size);
	char	 out[WD_MAX_SKEY + 1];
	size_t	 olen = 99999, i, seg = 0;
	int	 dir = -1, dir2 = -1;

	if (wd_skey_decode(raw, size, out, sizeof(out), &olen, &dir) ==
	    WD_OK) {
		CHECK(olen >= 1 && olen <= WD_MAX_SKEY);
		CHECK(out[olen] == '\0' && strlen(out) == olen);
		CHECK(out[0] != '/');
		CHECK(dir == (out[olen - 1] == '/'));
		for (i = 0; i <= olen; i++) {
			unsigned char	 c = (unsigned char)out[i];

			if (i < olen)
				CHECK(c >= 0x20 && c != 0x7f);
			if (i == olen || c == '/') {
				if (i == olen && dir)
					break;
				CHECK(i > seg);
				CHECK(!(i - seg == 1 && out[seg] == '.'));
				CHECK(!(i - seg == 2 && out[seg] == '.' &&
				    out[seg + 1] == '.'));
				seg = i + 1;
			}
		}
		for (i = 0; i + 3 <= olen; i++) {
			const unsigned char	*u =
			    (const unsigned char *)out + i;

			CHECK(!(u[0] == 0xe2 && u[1] == 0x80 &&
			    ((u[2] >= 0x8b && u[2] <= 0x8f) ||
			    (u[2] >= 0xaa && u[2] <= 0xae))));
			CHECK(!(u[0] == 0xe2 && u[1] == 0x81 &&
			    u[2] >= 0xa6 && u[2] <= 0xa9));
			CHECK(!(u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf));
		}
		CHECK(wd_skey_valid(out, olen, &dir2) == WD_OK);
		CHECK(dir2 == dir);
		if (memchr(raw, '%', size) == NULL)
			CHECK(olen == size && memcmp(out, raw, size) == 0);
	} else
		CHECK(olen == 0);
	free(raw);
	return 0;
}
