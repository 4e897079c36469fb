/*
 * wd-mint: test tool. Reads a JSON payload on stdin and prints a token
 * signed with WARDEN_JWT_SECRET (environment or WARDEN_CONFIG), through
 * the same wd_jwt_sign the accounts binaries use. Never built into a
 * server; the harness uses it to mint valid tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_cfg.h"
#include "wd_json.h"
#include "wd_jwt.h"

int
main(void)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_jwt_key	 key = { 0 };
	struct json_object	*p = NULL;
	char			 in[65536], err[256] = "";
	char			*tok = NULL;
	size_t			 n;
	int			 rv = 1;

	n = fread(in, 1, sizeof(in), stdin);
	if (wd_cfg_load(&cfg, err, sizeof(err)) != WD_OK ||
	    wd_jwt_key_parse(wd_cfg_str(&cfg, WD_CFG_JWT_SECRET), &key, err,
	    sizeof(err)) != WD_OK)
		goto out;
	if (wd_json_parse(in, n, 32, &p) != WD_OK) {
		snprintf(err, sizeof(err), "stdin: not JSON");
		goto out;
	}
	if (wd_jwt_sign(&key, p, &tok) != WD_OK) {
		snprintf(err, sizeof(err), "cannot sign");
		goto out;
	}
	printf("%s\n", tok);
	rv = 0;
out:
	if (rv != 0)
		fprintf(stderr, "wd-mint: %s\n", err);
	free(tok);
	json_object_put(p);
	wd_jwt_key_cleanup(&key);
	wd_cfg_cleanup(&cfg);
	return rv;
}
