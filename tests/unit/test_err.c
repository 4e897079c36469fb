/*
 * test_err.c: the error table (src/wd_err.c). Every row must be complete,
 * since wd_http_error() prints its fields without checking.
 */
#include <string.h>

#include "wd_err.h"
#include "wd_test.h"

#define M	"err"

/*
 * Reason phrases as the RFCs spell them, written out here rather than
 * read from the table under test: RFC 7231 §6.1 (as the HTTP/1.1 status
 * line has them; RFC 9110 §15 renamed 413 "Content Too Large"), RFC 7233
 * §4.1 and §4.4 (206, 416), RFC 7232 §4.1 (304), RFC 4918 §11.2 (422),
 * RFC 6585 §4 (429).
 */
static const struct {
	int		 status;
	const char	*reason;
} rfc[] = {
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 413, "Payload Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

static const char *
rfc_reason(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++)
		if (rfc[i].status == status)
			return rfc[i].reason;
	return NULL;
}

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
		snprintf(name, sizeof(name), "row %d (%s) reason is the "
		    "RFC's phrase for %d", e, ei->code, ei->status);
		CHECK(M, name, rfc_reason(ei->status) != NULL &&
		    strcmp(ei->reason, rfc_reason(ei->status)) == 0);
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
	/* a revocation feed that is down is not a logout (issue 10) */
	CHECK(M, "revocation-unavailable is 503, not 401",
	    wd_err_info(WD_E_REVOKEUNAVAIL)->status == 503 &&
	    strcmp(wd_err_info(WD_E_REVOKEUNAVAIL)->code,
	    "revocation-unavailable") == 0);
	CHECK(M, "badjson code invalid-json",
	    strcmp(wd_err_info(WD_E_BADJSON)->code, "invalid-json") == 0);
	{
		char	 name[96];
		size_t	 i;

		for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
			snprintf(name, sizeof(name), "reason %d %s",
			    rfc[i].status, rfc[i].reason);
			CHECK(M, name, strcmp(wd_err_reason(rfc[i].status),
			    rfc[i].reason) == 0);
		}
	}
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
