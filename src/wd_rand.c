/*
 * wd_rand.c: kernel randomness.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "wd_rand.h"

enum wd_err
wd_rand_bytes(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return WD_E_INTERNAL;
		p += r;
		n -= (size_t)r;
	}
	return WD_OK;
}

enum wd_err
wd_rand_uuid(char *out)
{
	unsigned char	 b[16];
	enum wd_err	 rc;

	rc = wd_rand_bytes(b, sizeof(b));
	if (rc != WD_OK)
		return rc;
	wd_uuid_format(b, out);
	explicit_bzero(b, sizeof(b));
	return WD_OK;
}

void
wd_uuid_format(unsigned char *b, char *out)
{
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(out, WD_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int
wd_is_uuid(const char *s, size_t len)
{
	size_t	 i;

	if (len != WD_UUID_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char	 c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
		    || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}
