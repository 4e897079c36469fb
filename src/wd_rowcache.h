/*
 * wd_rowcache.h: a small per-process cache of database rows by key, for
 * storage's hot reads (issue #11): a 1 MiB download of the same object
 * paid a PostgreSQL round trip (two wake-ups, ~40 % of its cost beyond
 * the FastCGI hop) to learn what the last request learned.
 *
 * The cache itself decides nothing: its user must check an entry
 * against something the writers change before they answer (storage:
 * the blob file, which an overwrite or a delete removes before its
 * answer), and keeps only what it may serve. An entry also dies ttl_ms
 * after it was filled, which bounds what that check cannot see (a
 * writer that died between its commit and the removal).
 *
 * Direct-mapped: a key's slot is a hash of it under a per-process random
 * seed, and a new key takes the slot over; colliding keys only miss.
 * Values are copied in and out (vsize bytes). Not thread-safe.
 */
#ifndef WD_ROWCACHE_H
#define WD_ROWCACHE_H

#include <stddef.h>
#include <stdint.h>

#define WD_ROWCACHE_N	64	/* slots; slot() takes 6 bits */

struct wd_rowcache_ent {
	char		*key;		/* owned; NULL: empty slot */
	size_t		 klen;
	void		*val;		/* owned, vsize bytes */
	int64_t		 filled_ms;
};

struct wd_rowcache {
	struct wd_rowcache_ent	 e[WD_ROWCACHE_N];
	size_t			 vsize;
	int64_t			 ttl_ms;	/* 0: the cache is off */
	uint64_t		 seed;		/* slot()'s, random */
	unsigned long		 hits;
};

/* An empty cache of vsize-byte values living ttl_ms (0: off, every get
 * misses and put keeps nothing). */
void	wd_rowcache_init(struct wd_rowcache *c, size_t vsize, int64_t ttl_ms);
/* 1 and the value copied into val when key (klen bytes) was put less
 * than ttl_ms before now_ms (CLOCK_MONOTONIC ms); else 0. */
int	wd_rowcache_get(struct wd_rowcache *c, const char *key, size_t klen,
	    int64_t now_ms, void *val);
/* Keeps a copy of val for key, filled at now_ms. */
void	wd_rowcache_put(struct wd_rowcache *c, const char *key, size_t klen,
	    int64_t now_ms, const void *val);
/* Forgets key, if kept. */
void	wd_rowcache_drop(struct wd_rowcache *c, const char *key, size_t klen);
/* Frees every entry; c may be NULL. */
void	wd_rowcache_cleanup(struct wd_rowcache *c);

#endif
