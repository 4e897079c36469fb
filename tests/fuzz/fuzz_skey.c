/*
 * fuzz_skey.c: storage key decoding (wd_skey.h).
 *
 * Invariants: an accepted key is 1..WD_MAX_SKEY bytes, NUL-terminated at
 * outlen, has no NUL, control byte, empty/"."/".." segment or leading
 * '/'; is_dir agrees with the trailing '/'; validating the decoded key
 * again accepts it with the same is_dir (decoding is idempotent on a
 * key without '%'); the input is an exact-size heap copy so any read
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
		CHECK(wd_skey_valid(out, olen, &dir2) == WD_OK);
		CHECK(dir2 == dir);
		if (memchr(raw, '%', size) == NULL)
			CHECK(olen == size && memcmp(out, raw, size) == 0);
	} else
		CHECK(olen == 0);
	free(raw);
	return 0;
}
