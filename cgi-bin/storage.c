/*
 * storage: GET|HEAD|POST|PUT|DELETE /storage/o/<key>, GET /storage/m/...
 * (API.md §7, issue #4). Compiles the rules file once at start; a rule
 * that does not compile stops the binary with file:line:col. Logic lives
 * in src/wd_storage.c.
 */
#include <stdio.h>

#include <curl/curl.h>

#include "wd_http.h"
#include "wd_storage.h"

static const struct wd_route routes[] = {
	{ "/storage/o/", NULL, wd_storage_serve, NULL },
	{ "/storage/m/", NULL, wd_storage_serve, NULL },
	{ "/storage/sign/", NULL, wd_storage_serve, NULL },
};

int
main(void)
{
	struct wd_storage	 s;
	char			 err[512] = "";
	int			 rv = 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "warden-storage: cannot initialise libcurl\n");
		return 1;
	}
	if (wd_storage_init(&s, err, sizeof(err)) != WD_OK)
		fprintf(stderr, "warden-storage: %s\n", err);
	else
		rv = wd_http_serve("warden-storage", routes,
		    sizeof(routes) / sizeof(routes[0]), &s);
	wd_storage_cleanup(&s);
	curl_global_cleanup();
	return rv;
}
