/*
 * storage: GET|HEAD|POST|PUT|DELETE /storage/o/<key>, GET /storage/m/...,
 * POST /storage/sign/<key> (API.md §7, issues #4 and #11); run as
 * `storage gc [MINUTES]` it sweeps orphaned blobs and exits. Compiles
 * the rules file once at start; a rule that does not compile stops the
 * binary with file:line:col. The process is src/wd_storage_main.c, the
 * routes src/wd_storage.c.
 */
#include "wd_storage.h"

int
main(int argc, char *argv[])
{
	return wd_storage_main(argc, argv);
}
