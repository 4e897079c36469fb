/*
 * wd_limits.h: every cap on untrusted input, in one place, with its reason.
 * A value from the network is checked against one of these before it is
 * read, copied or allocated for.
 */
#ifndef WD_LIMITS_H
#define WD_LIMITS_H

/* POST /hook body: Hasura sends the client's headers plus the client's
 * whole GraphQL request, variables included (a bulk insert, a file as
 * base64): refusing one refuses that request (Hasura answers 500). 8 MiB,
 * the route's cap in lighttpd/routes ("largebody"); its memory goes back
 * once the request is answered (wd_http). */
#define WD_MAX_BODY		(8 * 1024 * 1024)
/* what wd_http keeps of its body buffer between requests */
#define WD_KEEP_BODY		(64 * 1024)
/* Values in a POST /hook body: json-c builds a tree of the whole body,
 * "request" included, at ~800 bytes per empty object, so 8 MiB of "{},"
 * would cost 2 GiB. 50000 values (a bulk insert of thousands of rows)
 * bound that to ~40 MiB for the request's time; more is 413. */
#define WD_MAX_HOOK_JSON_VALUES	50000

/* A JWT: Hasura claims plus custom fields stay well under 2 KiB; 8 KiB is
 * also lighttpd's default request-field limit, so a longer one could not
 * arrive in a header anyway. */
#define WD_MAX_TOKEN		8192

/* JSON nesting: our documents are at most 3 levels deep (body, headers,
 * value); 16 leaves room for GraphQL variables without letting a client
 * exhaust the stack of a recursive parser. */
#define WD_MAX_JSON_DEPTH	16

/* POST /hook body nesting: Hasura forwards the client's GraphQL variables
 * inside "request", which may nest deeply; json-c's tokener is iterative,
 * so 64 costs a small fixed stack array, not recursion. */
#define WD_MAX_HOOK_JSON_DEPTH	64

/* One credential header value (Authorization, X-Hasura-Role) in a POST
 * /hook body: twice the token cap, so an oversized token is refused as
 * a token (401) like in GET mode, where lighttpd's
 * server.max-request-field-size (32 KiB) bounds it. Cookie (other apps'
 * cookies too) and the headers not read are bounded by the body's own
 * caps. */
#define WD_MAX_HEADER		16384

/* x-hasura-* claims in one token and roles in allowed-roles. */
#define WD_MAX_CLAIMS		64
#define WD_MAX_ROLES		64

/* A role name or user id we copy into fixed buffers (UUIDs are 36). */
#define WD_MAX_ROLE		64
#define WD_MAX_ID		128

/* The webhook's JSON answer: every claim escaped at worst 6x (\u00XX) of a
 * token of WD_MAX_TOKEN bytes, base64 expanding 4/3: 8192*3/4*6 < 40 KiB. */
#define WD_MAX_HOOK_RESP	(40 * 1024)

/* One line of the configuration file, and one configuration value (a PEM
 * RSA-4096 private key is ~3.3 KiB). */
#define WD_MAX_CFG_VALUE	16384
#define WD_MAX_CFG_FILE		(256 * 1024)

/* One log line after escaping. */
#define WD_MAX_LOG_LINE		1024

/* Storage (issue #4). A key: S3's own limit is 1024 bytes of UTF-8, and
 * the same cap keeps fs paths and SQL values small. */
#define WD_MAX_SKEY		1024

/* A percent-encoded key can be at most three times its decoded size. */
#define WD_MAX_SKEY_RAW		(3 * WD_MAX_SKEY)
/* wrong X-Warden-Admin-Secret values per address per 15 minutes before
 * storage refuses every admin attempt from it (429), issue #11: with a
 * secret of >= 32 bytes this only stops noise, never a real guesser */
#define WD_STORAGE_ADMIN_FAILS	10

/* The rules file: a few dozen patterns fit in a few KiB. */
#define WD_MAX_RULES_FILE	(256 * 1024)

/* One rule expression, path pattern, and the nesting of parentheses and
 * '!' in it: the parser is recursive, so depth bounds its stack. */
#define WD_MAX_RULE_EXPR	4096
#define WD_MAX_RULE_DEPTH	32
#define WD_MAX_RULE_PARAMS	16	/* :params in one pattern */

/* A query parameter value compared by a rule (query.token is a UUID). */
#define WD_MAX_QUERY_VALUE	256

/* multipart/form-data: RFC 2046 §5.1.1 caps a boundary at 70 bytes; one
 * part's header block (Content-Disposition with a long filename plus
 * Content-Type) fits in 8 KiB; a form carries a handful of fields. */
#define WD_MAX_MP_BOUNDARY	70
#define WD_MAX_MP_HEADER	8192
#define WD_MAX_MP_PARTS		16

/* Bytes a multipart body may carry beyond the file itself (boundaries,
 * part headers, small fields): 16 parts x (8 KiB header + delimiters) is
 * under 160 KiB; CONTENT_LENGTH over max size + this is 413 unread. */
#define WD_MAX_MP_OVERHEAD	(160 * 1024)

/* A Content-Type we store and send back in a header. */
#define WD_MAX_CTYPE		255

/* Objects in one GET /storage/m/<dir>/ answer (S3 ListObjectsV2 pages at
 * 1000 too) and the size of that JSON (1000 x ~1.5 KiB for 1 KiB keys,
 * escaped at worst 6x: keep a hard ceiling instead). */
#define WD_MAX_LIST		1000
#define WD_MAX_LIST_JSON	(8 * 1024 * 1024)

/* Storage I/O chunk: one FastCGI record is at most 64 KiB. */
#define WD_STORE_CHUNK		(64 * 1024)

/* Mail (issue 9). A template is a short text an operator edits; values
 * are a link, a ticket, an address (at most 16, 2 KiB each). A rendered
 * message is built in a buffer capped at WD_MAX_MAIL, so a template that
 * repeats a long value fails (too big) instead of growing without bound;
 * 128 KiB is eight full templates. RFC 5322 §2.1.1 caps a line at 998
 * bytes; a subject of 256 bytes stays on readable lines once encoded. */
#define WD_MAX_MAIL_TEMPLATE	(16 * 1024)
#define WD_MAX_MAIL_VARS	16
#define WD_MAX_MAIL_NAME	32
#define WD_MAX_MAIL_VALUE	2048
#define WD_MAX_MAIL_SUBJECT	256
#define WD_MAX_MAIL_LINE	998
#define WD_MAX_MAIL		(128 * 1024)

#endif
