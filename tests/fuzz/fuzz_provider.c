/*
 * fuzz_provider.c: what the provider routes parse from the browser
 * (wd_provider.h): redirect_to against the allow-list, the Cookie
 * header, the path after /auth/providers/. The input is split at its
 * first 0x00: the part before is the list (or the header), after it the
 * URL.
 *
 * Invariants: an allowed URL starts with the origin of one list entry
 * (compared without case) followed by '/', '?', '#' or its end, and has
 * no byte <= 0x20, no backslash and no '@' in the authority; a cookie
 * value found fits the buffer, has no ';' and stands in the header; a
 * parsed path gives a name of [a-z0-9]{1,32} that stands at its start.
 */
#include <strings.h>

#include "wd_provider.h"
#include "wd_fuzz.h"

static void
check_redirect(const char *list, const char *url)
{
	const char	*c, *e, *s;
	size_t		 i, o, n;
	int		 found = 0;

	if (!wd_provider_redirect_ok(list, url))
		return;
	for (i = 0; url[i] != '\0'; i++)
		CHECK((unsigned char)url[i] > 0x20 && url[i] != '\\');
	s = strstr(url, "://");
	CHECK(s != NULL);
	o = (size_t)(s - url) + 3;
	n = strcspn(url + o, "/?#");
	CHECK(n > 0 && memchr(url + o, '@', n) == NULL);
	o += n;
	for (c = list; *c != '\0'; c = *e == ',' ? e + 1 : e) {
		while (*c == ' ' || *c == '\t')
			c++;
		e = c + strcspn(c, ",");
		if ((size_t)(e - c) >= o && strncasecmp(c, url, o) == 0)
			found = 1;
	}
	CHECK(found);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*a = fz_cstr(data, size), *url, v[64], name[33];
	size_t		 al = strlen(a);
	int		 cb;

	url = al < size ? a + al + 1 : a + al;
	check_redirect(a, url);
	check_redirect("https://app.example/cb/,http://localhost:3000", a);
	if (wd_provider_cookie(a, WD_PROVIDER_COOKIE, v, sizeof(v)) == WD_OK) {
		CHECK(strlen(v) < sizeof(v) && strchr(v, ';') == NULL);
		CHECK(strstr(a, v) != NULL);
	}
	if (wd_provider_path(a, al, name, &cb) == WD_OK) {
		CHECK(strlen(name) >= 1 && strlen(name) <= 32);
		CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") ==
		    strlen(name) && strncmp(a, name, strlen(name)) == 0);
		CHECK(!cb || strcmp(a + strlen(name), "/callback") == 0);
	}
	free(a);
	return 0;
}
