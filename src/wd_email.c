/*
 * wd_email.c: e-mail validation. The address is attacker input that ends
 * up in an SMTP envelope and a database unique index, so it is reduced to
 * one canonical, boring form before either sees it.
 */
#include <string.h>

#include "wd_email.h"

enum wd_err
wd_email_normalize(const char *in, size_t len, char *out)
{
	size_t	 s = 0, e = len, i, n, at = 0, ats = 0;

	while (s < e && (in[s] == ' ' || in[s] == '\t'))
		s++;
	while (e > s && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	n = e - s;
	if (n == 0 || n > WD_EMAIL_MAX)
		return WD_E_BADREQ;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)in[s + i];

		/* ASCII only: one canonical lower-case form, which the
		 * schema's email = lower(email) check agrees with */
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c))
			return WD_E_BADREQ;
		if (c == '@') {
			ats++;
			at = i;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	if (ats != 1 || at == 0 || at > 64 || at + 1 >= n)
		return WD_E_BADREQ;
	/* domain: labels separated by single dots, at least two labels */
	if (out[at + 1] == '.' || out[n - 1] == '.' ||
	    strstr(out + at + 1, "..") != NULL ||
	    strchr(out + at + 1, '.') == NULL)
		return WD_E_BADREQ;
	return WD_OK;
}
