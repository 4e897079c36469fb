/*
 * providers: sign-in with an identity provider (issue 12, API.md §5.2):
 * GET /auth/providers/<p> and GET /auth/providers/<p>/callback, for
 * GitHub (OAuth 2.0), Google and every generic OpenID Connect provider
 * configured as WARDEN_PROVIDER_<P>_ISSUER (wd_cfg.h). The handlers are
 * wd_provider.c's.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "wd_provider.h"
#include "wd_svc.h"

static const struct wd_route routes[] = {
	{ "/auth/providers/", "GET", wd_provider_serve, NULL },
};

int
main(void)
{
	struct wd_cfg	 c = { 0 };
	char		 err[256];
	int		 rc;

	/* the providers' keys, checked once before serving (wd_svc checks
	 * the rest again) */
	if (wd_cfg_init(&c, WD_BIN_ACCT, err, sizeof(err)) == WD_OK &&
	    wd_provider_check(&c, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "warden-providers: %s\n", err);
		wd_cfg_cleanup(&c);
		return 1;
	}
	wd_cfg_cleanup(&c);
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
