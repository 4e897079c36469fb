/*
 * wd_err.c: the error table. The JSON codes are part of the contract:
 * clients and the black-box tests match on them, so never rename one.
 */
#include <stddef.h>

#include "wd_err.h"

static const struct wd_errinfo errtab[] = {	/* unsized on purpose */
	[WD_OK]		= { 200, "OK", "ok", "OK" },
	[WD_E_INTERNAL]	= { 500, "Internal Server Error", "internal-error",
			    "Internal error" },
	[WD_E_BADJSON]	= { 400, "Bad Request", "invalid-json",
			    "Body is not valid JSON" },
	[WD_E_BADREQ]	= { 400, "Bad Request", "invalid-request",
			    "Invalid request" },
	[WD_E_BADHEADER] = { 400, "Bad Request", "invalid-headers",
			    "Repeated or malformed header" },
	[WD_E_UNAUTH]	= { 401, "Unauthorized", "unauthorized",
			    "Authentication required" },
	[WD_E_BADTOKEN]	= { 401, "Unauthorized", "invalid-jwt",
			    "Invalid token" },
	[WD_E_EXPIRED]	= { 401, "Unauthorized", "jwt-expired",
			    "Token expired or not yet valid" },
	[WD_E_CLAIMS]	= { 401, "Unauthorized", "jwt-invalid-claims",
			    "Token claims are missing or invalid" },
	[WD_E_ROLE]	= { 401, "Unauthorized", "role-not-allowed",
			    "Requested role is not in allowed roles" },
	[WD_E_REVOKED]	= { 401, "Unauthorized", "session-revoked",
			    "Session was revoked" },
	[WD_E_FORBIDDEN] = { 403, "Forbidden", "forbidden", "Forbidden" },
	[WD_E_NOTFOUND]	= { 404, "Not Found", "not-found", "Not found" },
	[WD_E_METHOD]	= { 405, "Method Not Allowed", "method-not-allowed",
			    "Method not allowed" },
	[WD_E_CONFLICT]	= { 409, "Conflict", "conflict", "Conflict" },
	[WD_E_TOOBIG]	= { 413, "Payload Too Large", "payload-too-large",
			    "Request body too large" },
	[WD_E_UNPROCESSABLE] = { 422, "Unprocessable Entity",
			    "unprocessable", "Unprocessable request" },
	[WD_E_RATELIMIT] = { 429, "Too Many Requests", "rate-limited",
			    "Too many requests" },
	[WD_E_DBDOWN]	= { 503, "Service Unavailable",
			    "database-unavailable", "Database unavailable" },
	[WD_E_UNAVAILABLE] = { 503, "Service Unavailable",
			    "service-unavailable", "Service unavailable" },
	[WD_E_CONFIG]	= { 500, "Internal Server Error", "bad-config",
			    "Bad configuration" },
	[WD_E_RANGE]	= { 416, "Range Not Satisfiable",
			    "range-not-satisfiable", "Range not satisfiable" },
	[WD_E_BADKEY]	= { 400, "Bad Request", "invalid-key",
			    "Invalid storage key" },
	[WD_E_STOREDOWN] = { 503, "Service Unavailable",
			    "storage-unavailable", "Storage unavailable" },
	[WD_E_MEDIATYPE] = { 415, "Unsupported Media Type",
			    "unsupported-media-type",
			    "The body must be application/json" },
	[WD_E_ORIGIN]	= { 403, "Forbidden", "origin-not-allowed",
			    "This origin may not use the session cookie" },
	/* not a logout: Hasura reports a 503 from the webhook as an
	 * internal error and clients retry (hasura.md §1.5) */
	[WD_E_REVOKEUNAVAIL] = { 503, "Service Unavailable",
			    "revocation-unavailable",
			    "Cannot check the session right now; retry" },
	[WD_E_QUOTA]	= { 413, "Payload Too Large", "quota-exceeded",
			    "This upload would exceed the owner's quota" },
};
_Static_assert(sizeof(errtab) / sizeof(errtab[0]) == WD_E__MAX,
    "errtab rows");

const struct wd_errinfo *
wd_err_info(enum wd_err e)
{
	if ((unsigned)e >= WD_E__MAX)
		e = WD_E_INTERNAL;
	return &errtab[e];
}

const char *
wd_err_reason(int status)
{
	size_t	 i;

	switch (status) {
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 206:
		return "Partial Content";
	case 304:
		return "Not Modified";
	default:
		break;
	}
	for (i = 0; i < WD_E__MAX; i++)
		if (errtab[i].status == status)
			return errtab[i].reason;
	return "Unknown";
}
