/*
 * wd_skey.c: storage key decoding and validation. Trust boundary: raw is
 * the client's request path. A key that passes is safe to use as a SQL
 * parameter, in a JSON string and as rules input; it is never used as a
 * file name (the fs backend names files by random blob ids), so the
 * segment rules exist to keep keys canonical, not to stop traversal
 * alone.
 */
#include <string.h>

#include "wd_skey.h"
#include "wd_util.h"



enum wd_err
wd_skey_valid(const char *key, size_t len, int *is_dir)
{
	const unsigned char	*s = (const unsigned char *)key;
	size_t			 i, seg = 0, n;
	unsigned long		 cp;

	*is_dir = 0;
	if (len == 0 || len > WD_MAX_SKEY || s[0] == '/')
		return WD_E_BADKEY;
	for (i = 0; i < len; i += n) {
		n = wd_utf8_len(s + i, len - i, &cp);
		if (n == 0)
			return WD_E_BADKEY;
		/* C0, DEL, C1: invisible in logs and listings */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return WD_E_BADKEY;
		if (cp != '/')
			continue;
		/* segment [seg, i): not empty, not "." or ".." */
		if (i == seg ||
		    (i - seg == 1 && s[seg] == '.') ||
		    (i - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
			return WD_E_BADKEY;
		seg = i + 1;
	}
	if (seg == len) {		/* trailing '/': a directory */
		*is_dir = 1;
		return WD_OK;
	}
	if ((len - seg == 1 && s[seg] == '.') ||
	    (len - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
		return WD_E_BADKEY;
	return WD_OK;
}

enum wd_err
wd_skey_decode(const char *raw, size_t len, char *out, size_t outsz,
    size_t *outlen, int *is_dir)
{
	size_t	 o = 0;

	*outlen = 0;
	*is_dir = 0;
	if (outsz < WD_MAX_SKEY + 1 || len > WD_MAX_SKEY_RAW)
		return WD_E_BADKEY;
	/* a path: '+' is itself, not a space */
	if (wd_pct_decode(raw, len, 0, out, WD_MAX_SKEY, &o) != WD_OK)
		return WD_E_BADKEY;
	out[o] = '\0';
	if (wd_skey_valid(out, o, is_dir) != WD_OK)
		return WD_E_BADKEY;
	*outlen = o;
	return WD_OK;
}
