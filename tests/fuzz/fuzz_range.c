/*
 * fuzz_range.c: the Range header parser (wd_range.h).
 *
 * The first 8 bytes give the representation size (little endian, reduced
 * to keep small sizes common), the rest is the header as an exact-size
 * heap copy. Invariants: a partial answer lies inside the representation
 * (start <= end < size); 416 only with valid syntax; the result does not
 * change when the header is re-parsed (no hidden state).
 */

#include "wd_fuzz.h"
#include "wd_range.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t	 rsize = 0;
	struct wd_range	 r = { 0, 0 }, r2 = { 0, 0 };
	int		 partial = -1, partial2 = -1;
	enum wd_err	 rc, rc2;
	char		*h;
	size_t		 i, hl;

	if (size < 8)
		return 0;
	for (i = 0; i < 8; i++)
		rsize |= (uint64_t)data[i] << (8 * i);
	if (data[7] < 0xf0)
		rsize %= 4096;
	hl = size - 8;
	h = fz_copy(data + 8, hl);
	rc = wd_range_parse(h, hl, rsize, &partial, &r);
	CHECK(rc == WD_OK || rc == WD_E_RANGE);
	if (rc == WD_OK && partial) {
		CHECK(partial == 1);
		CHECK(r.start <= r.end && r.end < rsize);
	}
	if (rc == WD_E_RANGE)
		CHECK(hl >= 7);
	rc2 = wd_range_parse(h, hl, rsize, &partial2, &r2);
	CHECK(rc2 == rc && partial2 == partial);
	if (rc == WD_OK && partial)
		CHECK(r2.start == r.start && r2.end == r.end);
	free(h);
	return 0;
}
