/*
 * wd_err.h: the one error enum every fallible function returns, and the
 * table mapping each code to an HTTP status, reason phrase and stable JSON
 * "code" string that clients may match on.
 */
#ifndef WD_ERR_H
#define WD_ERR_H

enum wd_err {
	WD_OK = 0,
	WD_E_INTERNAL,		/* 500: a bug or a failed library call */
	WD_E_BADJSON,		/* 400: body is not strict JSON */
	WD_E_BADREQ,		/* 400: well-formed but not acceptable */
	WD_E_BADHEADER,		/* 400: repeated or ill-typed header */
	WD_E_UNAUTH,		/* 401: credentials missing where required */
	WD_E_BADTOKEN,		/* 401: token malformed or signature bad */
	WD_E_EXPIRED,		/* 401: token past exp (or before nbf) */
	WD_E_CLAIMS,		/* 401: token claims missing or ill-typed */
	WD_E_ROLE,		/* 401: requested role not allowed */
	WD_E_REVOKED,		/* 401: token's session was revoked */
	WD_E_FORBIDDEN,		/* 403 */
	WD_E_NOTFOUND,		/* 404 */
	WD_E_METHOD,		/* 405 */
	WD_E_CONFLICT,		/* 409 */
	WD_E_TOOBIG,		/* 413 */
	WD_E_UNPROCESSABLE,	/* 422 */
	WD_E_RATELIMIT,		/* 429 */
	WD_E_DBDOWN,		/* 503: database unreachable */
	WD_E_UNAVAILABLE,	/* 503: another dependency unreachable */
	WD_E_CONFIG,		/* start-up only: bad configuration */
	WD_E_RANGE,		/* 416: Range not satisfiable (storage) */
	WD_E_BADKEY,		/* 400: storage key invalid (storage) */
	WD_E_STOREDOWN,		/* 503: storage backend unreachable (storage) */
	WD_E_MEDIATYPE,		/* 415: a JSON route got another body */
	WD_E_ORIGIN,		/* 403: cross-site cookie request */
	WD_E_REVOKEUNAVAIL,	/* 503: cannot tell whether a session was
				 * revoked (the revocation feed is down) */
	WD_E_QUOTA,		/* 413: owner's storage quota (storage) */
	WD_E__MAX
};

struct wd_errinfo {
	int		 status;	/* HTTP status */
	const char	*reason;	/* HTTP reason phrase */
	const char	*code;		/* stable JSON "code" */
	const char	*message;	/* default human message */
};

/*
 * Returns the row for e; an out-of-range e yields the WD_E_INTERNAL row.
 * The result is static and never NULL.
 */
const struct wd_errinfo	*wd_err_info(enum wd_err e);

/* Reason phrase for an HTTP status ("Unauthorized"); "Unknown" if none. */
const char		*wd_err_reason(int status);

#endif
