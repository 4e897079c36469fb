/*
 * wd_auth.c: credential parsers. Input is raw header bytes from the
 * client; nothing here trusts or copies them.
 */
#include <string.h>
#include <strings.h>

#include "wd_auth.h"

enum wd_err
wd_auth_bearer(const char *hdr, size_t len, const char **tok, size_t *toklen)
{
	size_t	 i;

	/* "Bearer" SP token; Hasura: "exactly two space-separated words" */
	if (len < 8 || strncasecmp(hdr, "bearer ", 7) != 0)
		return WD_E_BADTOKEN;
	for (i = 7; i < len; i++)
		if (hdr[i] == ' ' || hdr[i] == '\t' || hdr[i] == ',' ||
		    (unsigned char)hdr[i] < 0x21 ||
		    (unsigned char)hdr[i] == 0x7f)
			return WD_E_BADTOKEN;
	*tok = hdr + 7;
	*toklen = len - 7;
	return WD_OK;
}

enum wd_err
wd_auth_cookie(const char *hdr, size_t len, const char *name,
    const char **val, size_t *vlen)
{
	size_t		 i = 0, nlen = strlen(name);
	int		 found = 0;

	while (i < len) {
		size_t	 ks, ke, vs, ve;

		while (i < len && (hdr[i] == ' ' || hdr[i] == '\t' ||
		    hdr[i] == ';'))
			i++;
		ks = i;
		while (i < len && hdr[i] != '=' && hdr[i] != ';')
			i++;
		ke = i;
		while (ke > ks && (hdr[ke - 1] == ' ' || hdr[ke - 1] == '\t'))
			ke--;
		if (i >= len || hdr[i] != '=') {
			/* a pair without '=' is ignored (RFC 6265 §5.2) */
			continue;
		}
		i++;
		vs = i;
		while (i < len && hdr[i] != ';')
			i++;
		ve = i;
		while (ve > vs && (hdr[ve - 1] == ' ' || hdr[ve - 1] == '\t'))
			ve--;
		while (vs < ve && (hdr[vs] == ' ' || hdr[vs] == '\t'))
			vs++;
		if (ke - ks != nlen || memcmp(hdr + ks, name, nlen) != 0)
			continue;
		if (found)
			return WD_E_BADHEADER;
		found = 1;
		if (ve - vs >= 2 && hdr[vs] == '"' && hdr[ve - 1] == '"') {
			vs++;
			ve--;
		}
		*val = hdr + vs;
		*vlen = ve - vs;
	}
	return found ? WD_OK : WD_E_NOTFOUND;
}

enum wd_err
wd_auth_find(const char *authz, size_t alen, const char *cookie, size_t clen,
    const char *cookie_name, const char **tok, size_t *toklen)
{
	enum wd_err	 rc;

	if (authz != NULL && alen > 0)
		return wd_auth_bearer(authz, alen, tok, toklen);
	if (cookie == NULL || cookie_name == NULL || cookie_name[0] == '\0')
		return WD_E_NOTFOUND;
	rc = wd_auth_cookie(cookie, clen, cookie_name, tok, toklen);
	if (rc == WD_E_BADHEADER || (rc == WD_OK && *toklen == 0))
		return WD_E_BADTOKEN;
	return rc;
}
