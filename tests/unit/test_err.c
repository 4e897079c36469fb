/*
 * test_err.c: the error table (src/wd_err.c). Every row must be complete,
 * since wd_http_error() prints its fields without checking.
 */
#include <string.h>

#include "wd_err.h"
#include "wd_test.h"

#define M	"err"

static void
test_rows(void)
{
	char	 name[96];
	int	 e, f;

	for (e = 0; e < WD_E__MAX; e++) {
		const struct wd_errinfo	*ei = wd_err_info((enum wd_err)e);

		snprintf(name, sizeof(name), "row %d complete", e);
		CHECK(M, name, ei != NULL && ei->code != NULL &&
		    ei->reason != NULL && ei->message != NULL &&
		    ei->code[0] != '\0' && ei->reason[0] != '\0' &&
		    ei->message[0] != '\0');
		if (ei == NULL || ei->code == NULL)
			continue;
		snprintf(name, sizeof(name), "row %d (%s) status in 200..599",
		    e, ei->code);
		CHECK(M, name, ei->status >= 200 && ei->status <= 599);
		for (f = e + 1; f < WD_E__MAX; f++) {
			const struct wd_errinfo	*fi;

			fi = wd_err_info((enum wd_err)f);
			if (fi->code != NULL && strcmp(fi->code, ei->code) == 0)
				break;
		}
		snprintf(name, sizeof(name), "row %d (%s) code unique", e,
		    ei->code);
		CHECK(M, name, f == WD_E__MAX);
		/* the reason phrase agrees with wd_err_reason */
		snprintf(name, sizeof(name), "row %d (%s) reason matches "
		    "wd_err_reason", e, ei->code);
		CHECK(M, name, strcmp(wd_err_reason(ei->status),
		    ei->reason) == 0);
	}
}

static void
test_specific(void)
{
	const struct wd_errinfo	*in = wd_err_info(WD_E_INTERNAL);

	CHECK(M, "ok is 200", wd_err_info(WD_OK)->status == 200);
	CHECK(M, "internal is 500", in->status == 500 &&
	    strcmp(in->code, "internal-error") == 0);
	CHECK(M, "out of range WD_E__MAX -> internal row",
	    wd_err_info(WD_E__MAX) == in);
	CHECK(M, "out of range WD_E__MAX+7 -> internal row",
	    wd_err_info((enum wd_err)(WD_E__MAX + 7)) == in);
	CHECK(M, "out of range (enum)-1 -> internal row",
	    wd_err_info((enum wd_err)-1) == in);
	CHECK(M, "every 401 kind is 401",
	    wd_err_info(WD_E_UNAUTH)->status == 401 &&
	    wd_err_info(WD_E_BADTOKEN)->status == 401 &&
	    wd_err_info(WD_E_EXPIRED)->status == 401 &&
	    wd_err_info(WD_E_CLAIMS)->status == 401 &&
	    wd_err_info(WD_E_ROLE)->status == 401 &&
	    wd_err_info(WD_E_REVOKED)->status == 401);
	CHECK(M, "toobig is 413", wd_err_info(WD_E_TOOBIG)->status == 413);
	CHECK(M, "badjson code invalid-json",
	    strcmp(wd_err_info(WD_E_BADJSON)->code, "invalid-json") == 0);
	CHECK(M, "reason 401 Unauthorized",
	    strcmp(wd_err_reason(401), "Unauthorized") == 0);
	CHECK(M, "reason 200 OK", strcmp(wd_err_reason(200), "OK") == 0);
	CHECK(M, "reason 204 No Content",
	    strcmp(wd_err_reason(204), "No Content") == 0);
	CHECK(M, "reason 302 Found", strcmp(wd_err_reason(302), "Found") == 0);
	CHECK(M, "reason 404 Not Found",
	    strcmp(wd_err_reason(404), "Not Found") == 0);
	CHECK(M, "reason 503", strcmp(wd_err_reason(503),
	    "Service Unavailable") == 0);
	CHECK(M, "reason 418 Unknown",
	    strcmp(wd_err_reason(418), "Unknown") == 0);
	CHECK(M, "reason 0 Unknown", strcmp(wd_err_reason(0), "Unknown") == 0);
	CHECK(M, "reason -1 Unknown",
	    strcmp(wd_err_reason(-1), "Unknown") == 0);
	CHECK(M, "reason 999 Unknown",
	    strcmp(wd_err_reason(999), "Unknown") == 0);
}

int
main(void)
{
	test_rows();
	test_specific();
	return WD_TEST_RESULT();
}
