/*
 * warden-rules: the storage rules checker (issue #4).
 *
 *	warden-rules check FILE
 *
 * compiles FILE exactly as cgi-bin/storage does at start and prints the
 * compiled rules (each expression fully parenthesised), exit 0; on an
 * error prints "warden-rules: FILE:LINE:COL: message", exit 1.
 * Usage errors exit 2. Logic lives in src/wd_rules.c.
 */
#include <stdio.h>
#include <string.h>

#include "wd_buf.h"
#include "wd_rules.h"

int
main(int argc, char *argv[])
{
	struct wd_rules	*r = NULL;
	struct wd_buf	 b;
	char		 err[512] = "";
	int		 rv = 1;

	wd_buf_init(&b, 16 * 1024 * 1024);
	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: warden-rules check FILE\n");
		rv = 2;
		goto out;
	}
	if (wd_rules_load(argv[2], &r, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "warden-rules: %s\n", err);
		goto out;
	}
	if (wd_rules_dump(r, &b) != WD_OK) {
		fprintf(stderr, "warden-rules: output too large\n");
		goto out;
	}
	fwrite(wd_buf_str(&b), 1, b.len, stdout);
	rv = 0;
out:
	wd_rules_free(r);
	wd_buf_cleanup(&b);
	return rv;
}
