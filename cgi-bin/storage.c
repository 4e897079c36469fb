/*
 * storage: GET|HEAD|POST|PUT|DELETE /storage/o/<key>, GET /storage/m/...
 * (API.md §7, issue #4). Compiles the rules file once at start; a rule
 * that does not compile stops the binary with file:line:col. Logic lives
 * in src/wd_storage.c.
 */
#include <stdio.h>

#include <curl/curl.h>

#include "wd_cfg.h"
#include "wd_db.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_revoke.h"
#include "wd_rules.h"
#include "wd_storage.h"
#include "wd_store.h"

int
main(void)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_jwt_key	 key = { 0 };
	struct wd_db		 db = { 0 };
	struct wd_store		 st = { 0 };
	struct wd_rules		*rules = NULL;
	struct wd_storage	 s = { 0 };
	struct wd_revoke	 rvk = { 0 };
	struct wd_req		 rq;
	char			 err[512] = "";
	long			 max;
	int			 rv = 1, curl = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, sizeof(err), "cannot initialise libcurl");
		goto out;
	}
	curl = 1;
	if (wd_cfg_load(&cfg, err, sizeof(err)) != WD_OK ||
	    wd_cfg_require(&cfg, WD_CFG_JWT_SECRET, err, sizeof(err)) !=
	    WD_OK ||
	    wd_jwt_keys_load(&cfg, &key, err,
	    sizeof(err)) != WD_OK ||
	    wd_cfg_require(&cfg, WD_CFG_DATABASE_URL, err, sizeof(err)) !=
	    WD_OK ||
	    wd_db_init(&db, wd_cfg_str(&cfg, WD_CFG_DATABASE_URL), err,
	    sizeof(err)) != WD_OK ||
	    wd_cfg_long(&cfg, WD_CFG_STORAGE_MAX_SIZE, 0, 1L << 50, &max, err,
	    sizeof(err)) != WD_OK ||
	    wd_rules_load(wd_cfg_str(&cfg, WD_CFG_STORAGE_RULES), &rules, err,
	    sizeof(err)) != WD_OK ||
	    wd_store_init(&st, &cfg, err, sizeof(err)) != WD_OK ||
	    wd_revoke_init(&rvk, wd_cfg_str(&cfg, WD_CFG_DATABASE_URL), err,
	    sizeof(err)) != WD_OK)
		goto out;
	s.revoked = wd_revoke_check;
	s.revoked_arg = &rvk;
	s.key = &key;
	s.cookie_name = wd_cfg_str(&cfg, WD_CFG_COOKIE_NAME);
	s.admin_secret = wd_cfg_str(&cfg, WD_CFG_ADMIN_SECRET);
	s.rules = rules;
	s.db = &db;
	s.store = &st;
	s.max_size = (uint64_t)max;
	/* lighttpd's x-sendfile for this route is configured with the
	 * storage directory as its only allowed docroot */
	s.sendfile = st.kind == WD_STORE_FS;
	if (wd_http_init(&rq) != WD_OK) {
		snprintf(err, sizeof(err), "cannot initialise FastCGI");
		goto out;
	}
	while (wd_http_accept(&rq) == WD_OK) {
		wd_storage_handle(&s, &rq);
		wd_http_finish(&rq);
	}
	wd_http_cleanup(&rq);
	rv = 0;
out:
	if (rv != 0)
		fprintf(stderr, "warden-storage: %s\n", err);
	wd_revoke_cleanup(&rvk);
	wd_rules_free(rules);
	wd_store_cleanup(&st);
	wd_db_cleanup(&db);
	wd_jwt_key_cleanup(&key);
	wd_cfg_cleanup(&cfg);
	if (curl)
		curl_global_cleanup();
	return rv;
}
