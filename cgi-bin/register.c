/*
 * register: the register account route (REST and Hasura Action shapes); the
 * handler is wd_api_register in src/wd_api.c.
 */
#include "wd_api.h"
#include "wd_svc.h"

int
main(void)
{
	return wd_svc_main("warden-register", wd_api_register);
}
