/*
 * login: the login account route (REST and Hasura Action shapes); the
 * handler is wd_api_login in src/wd_api.c.
 */
#include "wd_api.h"
#include "wd_svc.h"

int
main(void)
{
	return wd_svc_main("warden-login", wd_api_login);
}
