/*
 * refresh: the refresh account route (REST and Hasura Action shapes); the
 * handler is wd_api_refresh in src/wd_api.c.
 */
#include "wd_api.h"
#include "wd_svc.h"

int
main(void)
{
	return wd_svc_main("warden-refresh", wd_api_refresh);
}
