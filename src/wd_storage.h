/*
 * wd_storage.h: the storage routes (API.md §7, issue #4), HBP v2 paths:
 *
 *	GET|HEAD   /storage/o/<key>	the object (Range, If-None-Match)
 *	POST|PUT   /storage/o/<key>	upload: multipart field "file", or
 *					a raw body with its Content-Type
 *	DELETE     /storage/o/<key>	204
 *	GET|HEAD   /storage/m/<key>	metadata JSON
 *	GET|HEAD   /storage/m/<dir>/	JSON array of the objects under the
 *					exact prefix <dir>/, each checked
 *	POST       /storage/sign/<key>	{"expires_in": s}: a signed URL
 *					reading this version (issue #11)
 *
 * Every decision goes through the compiled rules (wd_rules.h); no match
 * is 403. A presented token that does not verify is 401, never
 * anonymous. The admin bypass exists only when an admin secret is
 * configured.
 */
#ifndef WD_STORAGE_H
#define WD_STORAGE_H

#include <stdint.h>

#include "wd_cfg.h"
#include "wd_cors.h"
#include "wd_db.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_revoke.h"
#include "wd_rowcache.h"
#include "wd_rules.h"
#include "wd_store.h"

struct wd_storage {
	/* what wd_storage_init sets up and wd_storage_cleanup frees */
	struct wd_cfg		 cfg;
	struct wd_jwt_key	 own_key;
	struct wd_db		 own_db;
	struct wd_store		 own_store;
	struct wd_rules		*own_rules;
	struct wd_revoke	 rvk;
	/* tokens verified before: a client sends the same one with every
	 * request (wd_jwt_verify_cached) */
	struct wd_jwt_cache	 tokens;
	/* rows of objects read before (fs: kept_row) */
	struct wd_rowcache	 rows;
	struct wd_cors		 cors;		/* browser origins allowed to
						 * read answers (wd_http) */
	/* what a request sees (tests may point these elsewhere) */
	const struct wd_jwt_key	*key;		/* borrowed */
	const char		*cookie_name;	/* "" or NULL: no cookie */
	const char		*admin_secret;	/* "" or NULL: no bypass */
	const struct wd_rules	*rules;		/* borrowed */
	struct wd_db		*db;		/* borrowed */
	struct wd_store		*store;		/* borrowed */
	uint64_t		 max_size;	/* bytes per object */
	int			 sendfile;	/* fs: X-Sendfile downloads */
	const char		*sign_key;	/* NULL: no signed URLs */
	size_t			 sign_key_len;
	long			 sign_max_age;	/* seconds */
	uint64_t		 quota;		/* bytes per owner; 0: none */
	/* revoked sessions, as in the webhook (wd_revoke_check: WD_OK,
	 * WD_E_REVOKED or WD_E_REVOKEUNAVAIL); may be NULL */
	enum wd_err		(*revoked)(void *arg, const char *sid);
	void			*revoked_arg;
};

/*
 * Reads the configuration and sets s up: the signing key, the database,
 * the backend, the compiled rules (a rule that does not compile is
 * "FILE:LINE:COL: message" in err) and the revocation listener.
 * WD_E_CONFIG with one line in err. Caller calls wd_storage_cleanup.
 */
enum wd_err	wd_storage_init(struct wd_storage *s, char *err,
		    size_t errsz);
void		wd_storage_cleanup(struct wd_storage *s);

/* What a sweep did (wd_storage_gc). */
struct wd_storage_gcstat {
	unsigned	 removed;	/* orphan blobs removed */
	unsigned	 kept;		/* blobs a row points at, or young */
	unsigned	 busy;		/* blobs and uploads in flight */
	unsigned	 aborted;	/* dead multipart uploads aborted */
	unsigned	 failed;	/* ... whose abort S3 refused (kept) */
	unsigned	 strays;	/* orphans left: storage.objects is
					 * empty, so this may be another
					 * database's store */
};

/*
 * The sweep (`storage gc`, issue #11). First the multipart uploads
 * recorded in storage.uploads that no live upload holds (its process
 * died, or S3 could not be told when it failed): each is aborted on S3
 * (by its id, or every upload S3 lists for the blob when the id was
 * never learned) and its record deleted. Then every blob no row points
 * at whose file is older than min_age seconds is removed, and expired
 * quota reservations are deleted. A blob or upload whose uploader still
 * holds its lock is never touched, however old. Never removes a blob a
 * row points at: each is looked up under its lock right before its
 * removal, and a lookup that fails stops the sweep, as does S3 being
 * unreachable (WD_E_STOREDOWN). fs and S3. Counts go to *st. While
 * storage.objects has no row, no blob is removed (st->strays counts
 * them: the wrong database would make every blob an orphan) unless
 * empty_ok says this empty database is the store's own.
 */
enum wd_err	wd_storage_gc(struct wd_storage *s, long min_age, int empty_ok,
		    struct wd_storage_gcstat *st);

/* What a route under /storage/ serves: its wd_route arg. */
enum wd_storage_route {
	WD_STORAGE_OBJECT,	/* /storage/o/<key> */
	WD_STORAGE_META,	/* /storage/m/<key or dir/> */
	WD_STORAGE_SIGN		/* /storage/sign/<key> */
};

/* The wd_route handler (ctx: the struct wd_storage; arg: a const enum
 * wd_storage_route, the route's own prefix matched) for every path under
 * /storage/. Always answers. */
enum wd_err	wd_storage_serve(void *ctx, struct wd_req *rq,
		    const void *arg);

/*
 * The storage binary (cgi-bin/storage): `storage gc [MINUTES]` sweeps
 * and exits (1 when it could not finish, or S3 refused an abort); with
 * no argument it serves /storage/ over FastCGI. The exit status.
 */
int		wd_storage_main(int argc, char *argv[]);

#endif
