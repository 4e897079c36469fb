/*
 * wd_rowcache.c: see wd_rowcache.h.
 */
#include <stdlib.h>
#include <string.h>

#include "wd_mem.h"
#include "wd_rand.h"
#include "wd_rowcache.h"

/*
 * The slot: FNV-1a from a per-process random seed, mixed (murmur3's
 * finaliser) and cut to its top bits. Not a MAC, but without the seed
 * a client cannot pick keys that share a slot with a key it guesses,
 * and so cannot tell by a read's time whether that key was just read
 * (a plain FNV-1a modulo 64 keeps only the low 6 bits of each byte:
 * "1.png" and "q.png" would always collide).
 */
_Static_assert(WD_ROWCACHE_N == 64, "slot() takes the top 6 bits");

static size_t
slot(const struct wd_rowcache *c, const char *key, size_t klen)
{
	uint64_t	 h = 14695981039346656037ULL ^ c->seed;
	size_t		 i;

	for (i = 0; i < klen; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)(h >> 58);	/* WD_ROWCACHE_N == 64 */
}

/* 1 if e holds key (klen bytes). */
static int
holds(const struct wd_rowcache_ent *e, const char *key, size_t klen)
{
	return e->key != NULL && e->klen == klen &&
	    memcmp(e->key, key, klen) == 0;
}

static struct wd_rowcache_ent *
find(struct wd_rowcache *c, const char *key, size_t klen)
{
	struct wd_rowcache_ent	*e = &c->e[slot(c, key, klen)];

	return holds(e, key, klen) ? e : NULL;
}

static void
clear(struct wd_rowcache_ent *e)
{
	free(e->key);
	free(e->val);
	memset(e, 0, sizeof(*e));
}

void
wd_rowcache_init(struct wd_rowcache *c, size_t vsize, int64_t ttl_ms)
{
	memset(c, 0, sizeof(*c));
	c->vsize = vsize;
	c->ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
	/* no entropy: a fixed seed, which only loses the guard above */
	if (wd_rand_bytes(&c->seed, sizeof(c->seed)) != WD_OK)
		c->seed = 0;
}

int
wd_rowcache_get(struct wd_rowcache *c, const char *key, size_t klen,
    int64_t now_ms, void *val)
{
	struct wd_rowcache_ent	*e;

	if (c->ttl_ms == 0 || (e = find(c, key, klen)) == NULL)
		return 0;
	/* a clock that went back (it cannot: monotonic) counts as old */
	if (now_ms < e->filled_ms || now_ms - e->filled_ms >= c->ttl_ms) {
		clear(e);
		return 0;
	}
	memcpy(val, e->val, c->vsize);
	c->hits++;
	return 1;
}

void
wd_rowcache_put(struct wd_rowcache *c, const char *key, size_t klen,
    int64_t now_ms, const void *val)
{
	struct wd_rowcache_ent	*e;

	if (c->ttl_ms == 0)
		return;
	e = &c->e[slot(c, key, klen)];
	if (!holds(e, key, klen)) {
		clear(e);
		e->key = wd_xmalloc(klen + 1);
		memcpy(e->key, key, klen);
		e->key[klen] = '\0';
		e->klen = klen;
		e->val = wd_xmalloc(c->vsize);
	}
	memcpy(e->val, val, c->vsize);
	e->filled_ms = now_ms;
}

void
wd_rowcache_drop(struct wd_rowcache *c, const char *key, size_t klen)
{
	struct wd_rowcache_ent	*e = find(c, key, klen);

	if (e != NULL)
		clear(e);
}

void
wd_rowcache_cleanup(struct wd_rowcache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < WD_ROWCACHE_N; i++)
		clear(&c->e[i]);
	c->hits = 0;
}
