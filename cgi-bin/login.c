/*
 * login: the login account route (REST and Hasura Action shapes); the
 * handler is wd_api_login in src/wd_api.c.
 */
#include <stdio.h>

#include "wd_api.h"
#include "wd_pw.h"
#include "wd_svc.h"

int
main(void)
{
	/* only login verifies passwords: make the dummy hash that unknown
	 * emails are checked against now, so the first one is not slower */
	if (wd_pw_init() != WD_OK) {
		fprintf(stderr, "warden-login: cannot compute a password hash "
		    "(libxcrypt)\n");
		return 1;
	}
	return wd_svc_main("warden-login", wd_api_login);
}
