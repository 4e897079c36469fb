/*
 * wd_rules.h: storage access rules (API.md §7, issue #4). A JSON file
 *
 *	{ "paths": {
 *	    "/user/:userId/:fileId": {
 *	      "read":  "auth.user-id == userId ||
 *			query.token == resource.token",
 *	      "write": "auth.user-id == userId" },
 *	    "/public/STAR": { "read": "true" } } }	(STAR: '*')
 *
 * compiled once at start into patterns and expression trees; nothing is
 * interpreted from text per request. Grammar of an expression:
 *
 *	expr    = and *( "||" and )
 *	and     = unary *( "&&" unary )
 *	unary   = "!" unary / cmp
 *	cmp     = primary [ ( "==" / "!=" ) primary ]
 *	primary = "(" expr ")" / string / "true" / "false" / param
 *	        / ( "auth" / "query" / "resource" ) "." name
 *	string  = '"' ... '"' / "'" ... "'"	(\\ \" \' escapes)
 *
 * Two types: string operands and booleans. "==" and "!=" take strings;
 * "!", "&&", "||" and the whole expression are booleans; anything else is
 * a compile error, as is an unknown identifier or resource field. A
 * comparison where either side is absent (no such claim, query parameter
 * or object) is false for both "==" and "!=": absence never grants.
 *
 * Patterns: '/'-separated segments; ":name" matches one non-empty
 * segment, a final "*" matches one or more remaining segments (so
 * "/public/STAR" covers "public/" as a directory too), anything else
 * literally; a trailing '/' matches directory keys. Operations: get,
 * list, create, update, delete and the umbrellas read (get, list) and
 * write (create, update, delete). The first pattern, in file order, that
 * matches the key and has an expression for the operation decides; none
 * means deny.
 */
#ifndef WD_RULES_H
#define WD_RULES_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_buf.h"
#include "wd_err.h"

enum wd_rules_op {
	WD_RULES_GET,
	WD_RULES_LIST,
	WD_RULES_CREATE,
	WD_RULES_UPDATE,
	WD_RULES_DELETE,
	WD_RULES_READ,		/* umbrella: get, list */
	WD_RULES_WRITE,		/* umbrella: create, update, delete */
	WD_RULES_OP__MAX
};

/* resource.<field>: the stored object's metadata. */
enum wd_rules_res {
	WD_RES_KEY,
	WD_RES_SIZE,
	WD_RES_CONTENT_TYPE,
	WD_RES_ETAG,
	WD_RES_OWNER,
	WD_RES_TOKEN,
	WD_RES__MAX
};

/* What an expression can see for one request. All borrowed. */
struct wd_rules_ctx {
	struct json_object	*claims;	/* verified claims namespace
						 * object; NULL: anonymous */
	const char		*query;		/* raw query string or NULL */
	size_t			 query_len;
	const char		*res[WD_RES__MAX]; /* NULL: absent (no
						 * object, or no value) */
};

struct wd_rules;

/*
 * Reads and compiles the rules file at path (at most WD_MAX_RULES_FILE
 * bytes). On error returns WD_E_CONFIG with "path:line:col: message" in
 * err. *out is caller-owned (wd_rules_free).
 */
enum wd_err	wd_rules_load(const char *path, struct wd_rules **out,
		    char *err, size_t errsz);

/* Same, from text (len bytes); name is used in error messages. */
enum wd_err	wd_rules_parse(const char *name, const char *text,
		    size_t len, struct wd_rules **out, char *err,
		    size_t errsz);

/* Frees r; NULL is fine. */
void		wd_rules_free(struct wd_rules *r);

/*
 * Decides op (one of get, list, create, update, delete) on key (decoded
 * and validated, len bytes) for ctx. Sets *allowed (0/1) and *public
 * (1 when the expression that allowed it is the literal true, i.e. the
 * answer does not depend on who asks; used for Cache-Control).
 * WD_E_INTERNAL only for an umbrella op passed by mistake.
 */
enum wd_err	wd_rules_check(const struct wd_rules *r, enum wd_rules_op op,
		    const char *key, size_t len, const struct wd_rules_ctx *ctx,
		    int *allowed, int *public_);

/*
 * Appends the compiled rules to b, one pattern per line followed by its
 * operations, each expression fully parenthesised (what `warden-rules
 * check` prints). The text of each expression compiles back to the same
 * tree. Returns wd_buf_status(b) afterwards (WD_E_TOOBIG past its max).
 */
enum wd_err	wd_rules_dump(const struct wd_rules *r, struct wd_buf *b);

/* The operation's name ("get", "read"...) or "?". */
const char	*wd_rules_op_name(enum wd_rules_op op);

/*
 * One expression alone (tests, fuzzing): compiles text (len bytes) with
 * the path parameters params[0..nparams) in scope. On error returns
 * WD_E_CONFIG, *errpos is the byte offset in text and err the message.
 * *out is caller-owned (wd_rules_expr_free).
 */
struct wd_rules_expr;
enum wd_err	wd_rules_expr_compile(const char *text, size_t len,
		    const char *const *params, size_t nparams,
		    struct wd_rules_expr **out, size_t *errpos, char *err,
		    size_t errsz);
void		wd_rules_expr_free(struct wd_rules_expr *e);
/* Appends the fully parenthesised form of e to b; wd_buf_status(b). */
enum wd_err	wd_rules_expr_dump(const struct wd_rules_expr *e,
		    struct wd_buf *b);
/* Evaluates e with path parameter values vals[i] (lens[i]); 0 or 1. */
int		wd_rules_expr_eval(const struct wd_rules_expr *e,
		    const char *const *vals, const size_t *lens,
		    const struct wd_rules_ctx *ctx);

#endif
