/*
 * wd_mem.c: aborting allocators and secret wiping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_mem.h"

static void
oom(size_t n)
{
	fprintf(stderr, "ERROR mem: out of memory size=%zu\n", n);
	abort();
}

void *
wd_xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

void *
wd_xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		oom(n * sz);
	return p;
}

void *
wd_xrealloc(void *p, size_t n)
{
	void	*q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		oom(n);
	return q;
}

char *
wd_xstrdup(const char *s)
{
	return wd_xstrndup(s, strlen(s));
}

char *
wd_xstrndup(const char *s, size_t n)
{
	char	*p = wd_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
wd_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
