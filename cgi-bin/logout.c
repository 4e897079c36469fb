/*
 * logout: the logout account route (REST and Hasura Action shapes); the
 * handler is wd_api_logout in src/wd_api.c.
 */
#include "wd_api.h"
#include "wd_svc.h"

int
main(void)
{
	return wd_svc_main("warden-logout", wd_api_logout);
}
