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
 *
 * Every decision goes through the compiled rules (wd_rules.h); no match
 * is 403. A presented token that does not verify is 401, never
 * anonymous. The admin bypass exists only when an admin secret is
 * configured.
 */
#ifndef WD_STORAGE_H
#define WD_STORAGE_H

#include <stdint.h>

#include "wd_db.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_rules.h"
#include "wd_store.h"

struct wd_storage {
	const struct wd_jwt_key	*key;		/* borrowed */
	const char		*cookie_name;	/* "" or NULL: no cookie */
	const char		*admin_secret;	/* "" or NULL: no bypass */
	const struct wd_rules	*rules;		/* borrowed */
	struct wd_db		*db;		/* borrowed */
	struct wd_store		*store;		/* borrowed */
	uint64_t		 max_size;	/* bytes per object */
	int			 sendfile;	/* fs: X-Sendfile downloads */
	/* revoked sessions, as in the webhook (wd_revoke); may be NULL */
	int			(*revoked)(void *arg, const char *sid);
	void			*revoked_arg;
};

/* Serves one request under /storage/. Always responds. */
void	wd_storage_handle(struct wd_storage *s, struct wd_req *rq);

#endif
