/*
 * test_rowcache.c: the per-process row cache (src/wd_rowcache.c): a
 * value lives exactly ttl_ms, is the last one put, is a copy, and only
 * its own key finds it.
 */
#include <stdio.h>
#include <string.h>

#include "wd_rowcache.h"
#include "wd_test.h"

#define M	"rowcache"

struct row {
	char	 blob[16];
	int	 n;
};

static void
test_ttl(void)
{
	struct wd_rowcache	 c;
	struct row		 in = { "b1", 1 }, out;

	wd_rowcache_init(&c, sizeof(struct row), 1000);
	CHECK(M, "empty: miss", !wd_rowcache_get(&c, "k", 1, 0, &out));
	wd_rowcache_put(&c, "k", 1, 5000, &in);
	memset(&out, 0, sizeof(out));
	CHECK(M, "hit at once", wd_rowcache_get(&c, "k", 1, 5000, &out) &&
	    strcmp(out.blob, "b1") == 0 && out.n == 1);
	CHECK(M, "hit at ttl - 1 ms", wd_rowcache_get(&c, "k", 1, 5999,
	    &out));
	CHECK(M, "miss at ttl", !wd_rowcache_get(&c, "k", 1, 6000, &out));
	/* the expired entry is gone, not only skipped */
	CHECK(M, "expired stays gone", !wd_rowcache_get(&c, "k", 1, 5000,
	    &out));
	wd_rowcache_put(&c, "k", 1, 7000, &in);
	CHECK(M, "a clock behind the fill misses", !wd_rowcache_get(&c, "k",
	    1, 6999, &out));
	CHECK(M, "two hits counted", c.hits == 2);
	wd_rowcache_cleanup(&c);
}

static void
test_keys(void)
{
	struct wd_rowcache	 c;
	struct row		 a = { "a", 1 }, b = { "b", 2 }, out;
	char			 k[32];
	int			 i, found = 0;

	wd_rowcache_init(&c, sizeof(struct row), 1000);
	wd_rowcache_put(&c, "user/x", 6, 0, &a);
	CHECK(M, "prefix of a key misses", !wd_rowcache_get(&c, "user/", 5,
	    0, &out));
	CHECK(M, "longer key misses", !wd_rowcache_get(&c, "user/xy", 7, 0,
	    &out));
	CHECK(M, "same length, other bytes miss", !wd_rowcache_get(&c,
	    "user/y", 6, 0, &out));
	/* klen, not the NUL, ends a key */
	CHECK(M, "embedded NUL is a byte", !wd_rowcache_get(&c, "user/x\0",
	    7, 0, &out));
	wd_rowcache_put(&c, "user/x", 6, 0, &b);
	CHECK(M, "a put replaces", wd_rowcache_get(&c, "user/x", 6, 0, &out) &&
	    out.n == 2);
	b.n = 3;
	CHECK(M, "the kept value is a copy", wd_rowcache_get(&c, "user/x",
	    6, 0, &out) && out.n == 2);
	wd_rowcache_drop(&c, "user/x", 6);
	CHECK(M, "drop forgets", !wd_rowcache_get(&c, "user/x", 6, 0, &out));
	wd_rowcache_drop(&c, "never", 5);
	/* more keys than slots: each found is its own value, and the last
	 * put is always found (a colliding key takes the slot over) */
	for (i = 0; i < 4 * WD_ROWCACHE_N; i++) {
		struct row	 v;

		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v.blob, sizeof(v.blob), "v%d", i);
		v.n = i;
		wd_rowcache_put(&c, k, strlen(k), 0, &v);
		if (!wd_rowcache_get(&c, k, strlen(k), 0, &out) ||
		    out.n != i)
			break;
	}
	CHECK(M, "the last put is found", i == 4 * WD_ROWCACHE_N);
	for (i = 0; i < 4 * WD_ROWCACHE_N; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		if (wd_rowcache_get(&c, k, strlen(k), 0, &out)) {
			char	 want[16];

			snprintf(want, sizeof(want), "v%d", i);
			if (out.n != i || strcmp(out.blob, want) != 0)
				break;
			found++;
		}
	}
	CHECK(M, "a hit is its own key's value", i == 4 * WD_ROWCACHE_N);
	CHECK(M, "at most one entry per slot", found > 0 &&
	    found <= WD_ROWCACHE_N);
	wd_rowcache_cleanup(&c);
	CHECK(M, "cleanup empties", !wd_rowcache_get(&c, "k0", 2, 0, &out));
}

/* Slots depend on a per-process seed: keys that differ in the high
 * bits of a byte only ('1' and 'q', 0x31 and 0x71) do not share a slot
 * more often than any two keys (a plain FNV-1a modulo 64 put every such
 * pair in one slot, so a client could aim at a guessed key's slot). */
static void
test_spread(void)
{
	struct wd_rowcache	 c, d;
	char			 a[32], b[32];
	struct row		 v = { "x", 1 }, out;
	int			 i, same = 0, same_seed;

	wd_rowcache_init(&c, sizeof(struct row), 1000);
	wd_rowcache_init(&d, sizeof(struct row), 1000);
	same_seed = c.seed == d.seed;
	for (i = 0; i < 64; i++) {
		snprintf(a, sizeof(a), "user/%d/1.png", i);
		snprintf(b, sizeof(b), "user/%d/q.png", i);
		wd_rowcache_put(&c, a, strlen(a), 0, &v);
		wd_rowcache_put(&c, b, strlen(b), 0, &v);
		/* b took a's slot exactly when a is gone */
		same += !wd_rowcache_get(&c, a, strlen(a), 0, &out);
		wd_rowcache_cleanup(&c);
	}
	CHECK(M, "two caches draw their own seeds", !same_seed);
	CHECK(M, "'1' and 'q' keys share a slot by chance only",
	    same < 16);
	wd_rowcache_cleanup(&d);
}

static void
test_off(void)
{
	struct wd_rowcache	 c;
	struct row		 in = { "b", 1 }, out;
	size_t			 i, kept = 0;

	wd_rowcache_init(&c, sizeof(struct row), 0);
	wd_rowcache_put(&c, "k", 1, 0, &in);
	for (i = 0; i < WD_ROWCACHE_N; i++)
		kept += c.e[i].key != NULL;
	CHECK(M, "ttl 0: nothing kept", !wd_rowcache_get(&c, "k", 1, 0,
	    &out) && kept == 0);
	wd_rowcache_cleanup(&c);
	wd_rowcache_cleanup(NULL);
}

int
main(void)
{
	test_ttl();
	test_keys();
	test_spread();
	test_off();
	return WD_TEST_RESULT();
}
