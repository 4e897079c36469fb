/*
 * wd_storage_main.c: the storage binary's process (cgi-bin/storage): its
 * route table, the FastCGI loop, and the `storage gc [MINUTES]` command.
 * The routes themselves are src/wd_storage.c.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "wd_http.h"
#include "wd_storage.h"
#include "wd_util.h"

static const enum wd_storage_route object = WD_STORAGE_OBJECT;
static const enum wd_storage_route meta = WD_STORAGE_META;
static const enum wd_storage_route sign = WD_STORAGE_SIGN;

/* any other method: 405 (wd_http) */
static const struct wd_route routes[] = {
	{ "/storage/o/", "GET HEAD POST PUT DELETE", wd_storage_serve,
	    &object },
	{ "/storage/m/", "GET HEAD POST", wd_storage_serve, &meta },
	{ "/storage/sign/", "POST", wd_storage_serve, &sign },
};

/* `storage gc [MINUTES] [--empty-ok]`: the orphan sweep, for cron or
 * a timer. Exits 1 when it could not finish, when S3 refused an abort
 * (the upload stays recorded for the next run), or when it left orphans
 * because storage.objects is empty and --empty-ok was not given
 * (wd_storage_gc). */
static int
gc(struct wd_storage *s, int argc, char *argv[])
{
	struct wd_storage_gcstat st;
	uint64_t		 min = 60;
	enum wd_err		 rc;
	int			 i, empty_ok = 0, mins = 0;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--empty-ok") == 0 && !empty_ok)
			empty_ok = 1;
		else if (!mins++ && wd_parse_u64(argv[i], strlen(argv[i]),
		    525600, &min) == WD_OK)
			continue;
		else {
			fprintf(stderr, "usage: storage gc [MINUTES] "
			    "[--empty-ok]\n");
			return 1;
		}
	}
	rc = wd_storage_gc(s, (long)min * 60, empty_ok, &st);
	printf("warden-storage gc: removed %u, kept %u, in flight %u, "
	    "aborted %u, abort refused %u\n", st.removed, st.kept, st.busy,
	    st.aborted, st.failed);
	if (rc != WD_OK)
		fprintf(stderr, "warden-storage gc: %s\n",
		    wd_err_info(rc)->code);
	else if (st.failed > 0)
		fprintf(stderr, "warden-storage gc: %u multipart uploads "
		    "could not be aborted\n", st.failed);
	if (rc == WD_OK && st.strays > 0)
		fprintf(stderr, "warden-storage gc: storage.objects is empty "
		    "but %u old blobs are in the store: none removed (is "
		    "WARDEN_DATABASE_URL this store's database? if so, "
		    "run gc with --empty-ok)\n", st.strays);
	return rc == WD_OK && st.failed == 0 && st.strays == 0 ? 0 : 1;
}

int
wd_storage_main(int argc, char *argv[])
{
	struct wd_storage	 s;
	char			 err[512] = "";
	int			 rv = 1;

	/* an S3 part buffer (5 MiB) goes back to the system when freed:
	 * glibc would otherwise raise its mmap threshold past it after the
	 * first free and keep every later one on the heap */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "warden-storage: cannot initialise libcurl\n");
		return 1;
	}
	if (wd_storage_init(&s, err, sizeof(err)) != WD_OK)
		fprintf(stderr, "warden-storage: %s\n", err);
	else if (argc >= 2 && argc <= 4 && strcmp(argv[1], "gc") == 0)
		rv = gc(&s, argc, argv);
	else
		rv = wd_http_serve("warden-storage", routes,
		    sizeof(routes) / sizeof(routes[0]), &s, &s.cors);
	wd_storage_cleanup(&s);
	curl_global_cleanup();
	return rv;
}
