/*
 * wd_mem.h: allocation that aborts on exhaustion (as lighttpd and redis
 * do): a FastCGI worker out of memory cannot answer sensibly, and lighttpd
 * respawns it. Sizes from input are checked before calling these.
 */
#ifndef WD_MEM_H
#define WD_MEM_H

#include <stddef.h>

void	*wd_xmalloc(size_t n);
void	*wd_xcalloc(size_t n, size_t sz);
void	*wd_xrealloc(void *p, size_t n);
char	*wd_xstrdup(const char *s);
char	*wd_xstrndup(const char *s, size_t n);
/* explicit_bzero then free; p may be NULL. n is the bytes to wipe. */
void	 wd_freezero(void *p, size_t n);

#endif
