/*
 * providers: sign-in with an identity provider (issue 12, API.md §5.2):
 * GET /auth/providers/<p> and GET /auth/providers/<p>/callback, for
 * GitHub (OAuth 2.0), Google and a generic OpenID Connect provider. The
 * handlers are wd_provider.c's.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "wd_provider.h"
#include "wd_svc.h"

static const struct wd_route routes[] = {
	{ "/auth/providers/", "GET HEAD", wd_provider_serve, NULL },
};

int
main(void)
{
	int	 rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "warden-providers: cannot initialise "
		    "libcurl\n");
		return 1;
	}
	rc = wd_svc_main("warden-providers", routes,
	    sizeof(routes) / sizeof(routes[0]));
	curl_global_cleanup();
	return rc;
}
