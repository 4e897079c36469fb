/*
 * wd_rules.c: the storage rules compiler and evaluator (wd_rules.h).
 * Trust boundary: the rules file is the operator's and is parsed once at
 * start, strictly (an error stops the binary with file:line:col); the
 * key, claims and query string evaluated per request are the client's
 * and are only ever compared, never interpreted. Parsing is recursive
 * descent with the nesting of '(' and '!' capped at WD_MAX_RULE_DEPTH.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wd_limits.h"
#include "wd_mem.h"
#include "wd_rules.h"
#include "wd_util.h"

enum nkind {
	N_TRUE,
	N_FALSE,
	N_STR,		/* literal: s, slen */
	N_PARAM,	/* path parameter: idx, s = name */
	N_AUTH,		/* auth.<s> */
	N_QUERY,	/* query.<s> */
	N_RES,		/* resource.<field idx> */
	N_EQ,
	N_NE,
	N_AND,
	N_OR,
	N_NOT		/* l */
};

struct wd_rules_expr {
	enum nkind		 kind;
	struct wd_rules_expr	*l;
	struct wd_rules_expr	*r;
	char			*s;	/* owned */
	size_t			 slen;
	int			 idx;
};

enum segkind {
	SEG_LIT,
	SEG_PARAM,
	SEG_STAR
};

struct seg {
	enum segkind	 kind;
	char		*lit;		/* owned, SEG_LIT */
	size_t		 len;
	int		 param;		/* SEG_PARAM: index */
};

struct pattern {
	char			*text;			/* owned */
	struct seg		*segs;			/* owned */
	size_t			 nseg;
	char			*params[WD_MAX_RULE_PARAMS];	/* owned */
	size_t			 nparams;
	struct wd_rules_expr	*ops[WD_RULES_OP__MAX];	/* owned */
};

struct wd_rules {
	struct pattern	*pats;		/* owned */
	size_t		 n;
};

static const char *const opnames[WD_RULES_OP__MAX] = {
	[WD_RULES_GET] = "get",
	[WD_RULES_LIST] = "list",
	[WD_RULES_CREATE] = "create",
	[WD_RULES_UPDATE] = "update",
	[WD_RULES_DELETE] = "delete",
	[WD_RULES_READ] = "read",
	[WD_RULES_WRITE] = "write",
};

static const char *const resnames[WD_RES__MAX] = {
	[WD_RES_KEY] = "key",
	[WD_RES_SIZE] = "size",
	[WD_RES_CONTENT_TYPE] = "content_type",
	[WD_RES_ETAG] = "etag",
	[WD_RES_OWNER] = "owner",
	[WD_RES_TOKEN] = "token",
};

static const char *const reserved[] = {
	"auth", "query", "resource", "true", "false"
};

const char *
wd_rules_op_name(enum wd_rules_op op)
{
	return (unsigned)op < WD_RULES_OP__MAX ? opnames[op] : "?";
}

/* ---------------------------------------------------------------- */
/* expressions								*/

struct parser {
	const char		*s;
	size_t			 len;
	size_t			 pos;
	const char *const	*params;
	size_t			 nparams;
	int			 depth;
	int			 failed;
	size_t			 errpos;
	char			*err;
	size_t			 errsz;
};

void
wd_rules_expr_free(struct wd_rules_expr *e)
{
	if (e == NULL)
		return;
	wd_rules_expr_free(e->l);
	wd_rules_expr_free(e->r);
	free(e->s);
	free(e);
}

static struct wd_rules_expr *
mknode(enum nkind k, struct wd_rules_expr *l, struct wd_rules_expr *r)
{
	struct wd_rules_expr	*e = wd_xcalloc(1, sizeof(*e));

	e->kind = k;
	e->l = l;
	e->r = r;
	return e;
}

static int
is_bool(const struct wd_rules_expr *e)
{
	return e->kind == N_TRUE || e->kind == N_FALSE || e->kind == N_EQ ||
	    e->kind == N_NE || e->kind == N_AND || e->kind == N_OR ||
	    e->kind == N_NOT;
}

/* Records the first error only; returns NULL for the caller to pass up. */
static struct wd_rules_expr *
fail(struct parser *p, size_t at, const char *msg)
{
	if (!p->failed) {
		p->failed = 1;
		p->errpos = at;
		if (p->err != NULL && p->errsz > 0)
			snprintf(p->err, p->errsz, "%s", msg);
	}
	return NULL;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static int
at(struct parser *p, const char *tok)
{
	size_t	 n = strlen(tok);

	return p->len - p->pos >= n && memcmp(p->s + p->pos, tok, n) == 0;
}

static int
ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* claim and query names: "user-id", "token" */
static int
name_char(char c)
{
	return ident_char(c) || c == '-';
}

static struct wd_rules_expr	*parse_or(struct parser *);

static struct wd_rules_expr *
parse_string(struct parser *p)
{
	struct wd_rules_expr	*e;
	char			 q = p->s[p->pos];
	size_t			 start = p->pos, i, n = 0;
	char			*buf;

	/* first pass: find the end and the decoded length */
	for (i = p->pos + 1; i < p->len && p->s[i] != q; i++) {
		if (p->s[i] == '\\') {
			if (i + 1 >= p->len || (p->s[i + 1] != '\\' &&
			    p->s[i + 1] != '"' && p->s[i + 1] != '\''))
				return fail(p, i, "bad escape in string "
				    "(only \\\\, \\\" and \\' exist)");
			i++;
		}
		n++;
	}
	if (i >= p->len)
		return fail(p, start, "unterminated string");
	buf = wd_xmalloc(n + 1);
	n = 0;
	for (i = p->pos + 1; p->s[i] != q; i++) {
		if (p->s[i] == '\\')
			i++;
		buf[n++] = p->s[i];
	}
	buf[n] = '\0';
	p->pos = i + 1;
	e = mknode(N_STR, NULL, NULL);
	e->s = buf;
	e->slen = n;
	return e;
}

static struct wd_rules_expr *
parse_ident(struct parser *p)
{
	struct wd_rules_expr	*e;
	size_t			 start = p->pos, n, ns, i;
	enum nkind		 k;
	int			 idx = -1;

	while (p->pos < p->len && ident_char(p->s[p->pos]))
		p->pos++;
	n = p->pos - start;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		if (n == 4 && memcmp(p->s + start, "auth", 4) == 0)
			k = N_AUTH;
		else if (n == 5 && memcmp(p->s + start, "query", 5) == 0)
			k = N_QUERY;
		else if (n == 8 && memcmp(p->s + start, "resource", 8) == 0)
			k = N_RES;
		else
			return fail(p, start, "unknown namespace (auth, "
			    "query or resource)");
		ns = ++p->pos;
		while (p->pos < p->len && name_char(p->s[p->pos]))
			p->pos++;
		if (p->pos == ns)
			return fail(p, ns, "expected a name after '.'");
		if (k == N_RES) {
			for (i = 0; i < WD_RES__MAX; i++)
				if (strlen(resnames[i]) == p->pos - ns &&
				    memcmp(resnames[i], p->s + ns,
				    p->pos - ns) == 0)
					idx = (int)i;
			if (idx < 0)
				return fail(p, ns, "unknown resource field "
				    "(key, size, content_type, etag, owner, "
				    "token)");
		}
		e = mknode(k, NULL, NULL);
		e->s = wd_xstrndup(p->s + ns, p->pos - ns);
		e->slen = p->pos - ns;
		e->idx = idx;
		return e;
	}
	if (n == 4 && memcmp(p->s + start, "true", 4) == 0)
		return mknode(N_TRUE, NULL, NULL);
	if (n == 5 && memcmp(p->s + start, "false", 5) == 0)
		return mknode(N_FALSE, NULL, NULL);
	for (i = 0; i < p->nparams; i++)
		if (strlen(p->params[i]) == n &&
		    memcmp(p->params[i], p->s + start, n) == 0)
			break;
	if (i == p->nparams)
		return fail(p, start, "unknown identifier (not a parameter "
		    "of this path)");
	e = mknode(N_PARAM, NULL, NULL);
	e->idx = (int)i;
	e->s = wd_xstrndup(p->s + start, n);
	e->slen = n;
	return e;
}

static struct wd_rules_expr *
parse_primary(struct parser *p)
{
	struct wd_rules_expr	*e;
	size_t			 start;

	skip_ws(p);
	start = p->pos;
	if (p->pos >= p->len)
		return fail(p, p->pos, "expected an operand");
	if (p->s[p->pos] == '(') {
		if (++p->depth > WD_MAX_RULE_DEPTH)
			return fail(p, p->pos, "nested too deeply");
		p->pos++;
		e = parse_or(p);
		if (e == NULL)
			return NULL;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			wd_rules_expr_free(e);
			return fail(p, p->pos, "expected ')'");
		}
		p->pos++;
		p->depth--;
		return e;
	}
	if (p->s[p->pos] == '"' || p->s[p->pos] == '\'')
		return parse_string(p);
	if (ident_start(p->s[p->pos]))
		return parse_ident(p);
	return fail(p, start, "expected an operand");
}

static struct wd_rules_expr *
parse_cmp(struct parser *p)
{
	struct wd_rules_expr	*l, *r;
	enum nkind		 k;
	size_t			 opos;

	l = parse_primary(p);
	if (l == NULL)
		return NULL;
	skip_ws(p);
	if (at(p, "=="))
		k = N_EQ;
	else if (at(p, "!="))
		k = N_NE;
	else
		return l;
	opos = p->pos;
	p->pos += 2;
	r = parse_primary(p);
	if (r == NULL) {
		wd_rules_expr_free(l);
		return NULL;
	}
	if (is_bool(l) || is_bool(r)) {
		wd_rules_expr_free(l);
		wd_rules_expr_free(r);
		return fail(p, opos, "'==' and '!=' compare strings, not "
		    "booleans");
	}
	return mknode(k, l, r);
}

static struct wd_rules_expr *
parse_unary(struct parser *p)
{
	struct wd_rules_expr	*e;
	size_t			 opos;

	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '!' && !at(p, "!=")) {
		opos = p->pos++;
		if (++p->depth > WD_MAX_RULE_DEPTH)
			return fail(p, opos, "nested too deeply");
		e = parse_unary(p);
		p->depth--;
		if (e == NULL)
			return NULL;
		if (!is_bool(e)) {
			wd_rules_expr_free(e);
			return fail(p, opos, "'!' needs a boolean");
		}
		return mknode(N_NOT, e, NULL);
	}
	return parse_cmp(p);
}

static struct wd_rules_expr *
parse_bin(struct parser *p, const char *tok, enum nkind k,
    struct wd_rules_expr *(*sub)(struct parser *))
{
	struct wd_rules_expr	*l, *r;
	size_t			 opos;

	l = sub(p);
	if (l == NULL)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (!at(p, tok))
			return l;
		opos = p->pos;
		p->pos += 2;
		r = sub(p);
		if (r == NULL) {
			wd_rules_expr_free(l);
			return NULL;
		}
		if (!is_bool(l) || !is_bool(r)) {
			wd_rules_expr_free(l);
			wd_rules_expr_free(r);
			return fail(p, opos, k == N_AND ? "'&&' needs "
			    "booleans on both sides" : "'||' needs booleans "
			    "on both sides");
		}
		l = mknode(k, l, r);
	}
}

static struct wd_rules_expr *
parse_and(struct parser *p)
{
	return parse_bin(p, "&&", N_AND, parse_unary);
}

static struct wd_rules_expr *
parse_or(struct parser *p)
{
	return parse_bin(p, "||", N_OR, parse_and);
}

enum wd_err
wd_rules_expr_compile(const char *text, size_t len,
    const char *const *params, size_t nparams, struct wd_rules_expr **out,
    size_t *errpos, char *err, size_t errsz)
{
	struct parser		 p = { 0 };
	struct wd_rules_expr	*e;

	*out = NULL;
	*errpos = 0;
	p.s = text;
	p.len = len;
	p.params = params;
	p.nparams = nparams;
	p.err = err;
	p.errsz = errsz;
	if (len > WD_MAX_RULE_EXPR) {
		fail(&p, 0, "expression too long");
		*errpos = 0;
		return WD_E_CONFIG;
	}
	e = parse_or(&p);
	if (e != NULL) {
		skip_ws(&p);
		if (p.pos < p.len) {
			wd_rules_expr_free(e);
			e = fail(&p, p.pos, "unexpected text after the "
			    "expression");
		} else if (!is_bool(e)) {
			wd_rules_expr_free(e);
			e = fail(&p, 0, "the expression is a string, not a "
			    "boolean (compare it with == or !=)");
		}
	}
	if (e == NULL) {
		*errpos = p.errpos;
		return WD_E_CONFIG;
	}
	*out = e;
	return WD_OK;
}

/* Appends the parenthesised form of e; an overflow stays in b. */
static void
dump(const struct wd_rules_expr *e, struct wd_buf *b)
{
	size_t		 i;
	const char	*op;

	switch (e->kind) {
	case N_TRUE:
		wd_buf_adds(b, "true");
		return;
	case N_FALSE:
		wd_buf_adds(b, "false");
		return;
	case N_STR:
		wd_buf_add(b, "\"", 1);
		for (i = 0; i < e->slen; i++) {
			if (e->s[i] == '"' || e->s[i] == '\\')
				wd_buf_add(b, "\\", 1);
			wd_buf_add(b, e->s + i, 1);
		}
		wd_buf_add(b, "\"", 1);
		return;
	case N_PARAM:
		wd_buf_add(b, e->s, e->slen);
		return;
	case N_AUTH:
		wd_buf_addf(b, "auth.%s", e->s);
		return;
	case N_QUERY:
		wd_buf_addf(b, "query.%s", e->s);
		return;
	case N_RES:
		wd_buf_addf(b, "resource.%s", resnames[e->idx]);
		return;
	case N_NOT:
		wd_buf_add(b, "!", 1);
		dump(e->l, b);
		return;
	case N_EQ:
		op = " == ";
		break;
	case N_NE:
		op = " != ";
		break;
	case N_AND:
		op = " && ";
		break;
	default:
		op = " || ";
		break;
	}
	wd_buf_add(b, "(", 1);
	dump(e->l, b);
	wd_buf_adds(b, op);
	dump(e->r, b);
	wd_buf_add(b, ")", 1);
}

enum wd_err
wd_rules_expr_dump(const struct wd_rules_expr *e, struct wd_buf *b)
{
	dump(e, b);
	return wd_buf_status(b);
}

/* ---------------------------------------------------------------- */
/* evaluation								*/

struct env {
	const char *const		*vals;
	const size_t			*lens;
	const struct wd_rules_ctx	*ctx;
};

/*
 * query.<name>: present only when the name occurs exactly once (a
 * repeated parameter is ambiguous, so it grants nothing) and its value
 * decodes within WD_MAX_QUERY_VALUE bytes.
 */
static int
query_get(const struct wd_rules_ctx *ctx, const char *name, size_t nlen,
    char *out, size_t *olen)
{
	const char	*q = ctx->query, *end, *amp, *eq;
	char		 nbuf[WD_MAX_QUERY_VALUE];
	size_t		 nl, found = 0;

	if (q == NULL)
		return 0;
	end = q + ctx->query_len;
	while (q < end) {
		amp = memchr(q, '&', (size_t)(end - q));
		if (amp == NULL)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		if (eq == NULL)
			eq = amp;
		if (wd_pct_decode(q, (size_t)(eq - q), 1, nbuf, sizeof(nbuf),
		    &nl) == WD_OK && nl == nlen &&
		    memcmp(nbuf, name, nlen) == 0) {
			if (found++ > 0)
				return 0;
			if (eq == amp || wd_pct_decode(eq + 1,
			    (size_t)(amp - eq - 1), 1, out, WD_MAX_QUERY_VALUE,
			    olen) != WD_OK)
				return 0;
		}
		q = amp + 1;
	}
	return found == 1;
}

/* auth.<name>: the string claim x-hasura-<name>, names compared without
 * case (Hasura does); two claims differing only in case grant nothing. */
static int
auth_get(const struct wd_rules_ctx *ctx, const char *name, size_t nlen,
    const char **p, size_t *len)
{
	int	 found = 0;

	if (ctx->claims == NULL ||
	    !json_object_is_type(ctx->claims, json_type_object))
		return 0;
	json_object_object_foreach(ctx->claims, k, v) {
		if (strncasecmp(k, "x-hasura-", 9) != 0 ||
		    strlen(k + 9) != nlen || strncasecmp(k + 9, name,
		    nlen) != 0)
			continue;
		if (found++ > 0 || !json_object_is_type(v, json_type_string))
			return 0;
		*p = json_object_get_string(v);
		*len = (size_t)json_object_get_string_len(v);
	}
	return found == 1;
}

/* A string operand's value; 0 when absent. scratch holds a decoded query
 * value (WD_MAX_QUERY_VALUE bytes). */
static int
strval(const struct wd_rules_expr *e, const struct env *env, char *scratch,
    const char **p, size_t *len)
{
	const struct wd_rules_ctx	*ctx = env->ctx;

	switch (e->kind) {
	case N_STR:
		*p = e->s;
		*len = e->slen;
		return 1;
	case N_PARAM:
		if (env->vals == NULL || env->vals[e->idx] == NULL)
			return 0;
		*p = env->vals[e->idx];
		*len = env->lens[e->idx];
		return 1;
	case N_AUTH:
		return auth_get(ctx, e->s, e->slen, p, len);
	case N_QUERY:
		if (!query_get(ctx, e->s, e->slen, scratch, len))
			return 0;
		*p = scratch;
		return 1;
	case N_RES:
		if (ctx->res[e->idx] == NULL)
			return 0;
		*p = ctx->res[e->idx];
		*len = strlen(*p);
		return 1;
	default:
		return 0;
	}
}

static int
eval(const struct wd_rules_expr *e, const struct env *env)
{
	char		 sa[WD_MAX_QUERY_VALUE], sb[WD_MAX_QUERY_VALUE];
	const char	*a, *b;
	size_t		 al, bl;

	switch (e->kind) {
	case N_TRUE:
		return 1;
	case N_NOT:
		return !eval(e->l, env);
	case N_AND:
		return eval(e->l, env) && eval(e->r, env);
	case N_OR:
		return eval(e->l, env) || eval(e->r, env);
	case N_EQ:
	case N_NE:
		/* absent on either side: false for both operators */
		if (!strval(e->l, env, sa, &a, &al) ||
		    !strval(e->r, env, sb, &b, &bl))
			return 0;
		/* constant time: one side may be a file's access token */
		if (e->kind == N_EQ)
			return wd_ct_eq(a, al, b, bl);
		return !wd_ct_eq(a, al, b, bl);
	default:
		return 0;
	}
}

int
wd_rules_expr_eval(const struct wd_rules_expr *e, const char *const *vals,
    const size_t *lens, const struct wd_rules_ctx *ctx)
{
	struct env	 env = { vals, lens, ctx };

	return eval(e, &env);
}

/* ---------------------------------------------------------------- */
/* patterns and the file						*/

static void
pattern_cleanup(struct pattern *pt)
{
	size_t	 i;

	free(pt->text);
	for (i = 0; i < pt->nseg; i++)
		free(pt->segs[i].lit);
	free(pt->segs);
	for (i = 0; i < pt->nparams; i++)
		free(pt->params[i]);
	for (i = 0; i < WD_RULES_OP__MAX; i++)
		wd_rules_expr_free(pt->ops[i]);
	memset(pt, 0, sizeof(*pt));
}

void
wd_rules_free(struct wd_rules *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		pattern_cleanup(&r->pats[i]);
	free(r->pats);
	free(r);
}

/* Compiles pattern text s into pt. On error *errpos is the offset. */
static enum wd_err
pattern_compile(const char *s, size_t len, struct pattern *pt,
    size_t *errpos, char *err, size_t errsz)
{
	size_t	 pos, e, i, nseg = 1;

	memset(pt, 0, sizeof(*pt));
	*errpos = 0;
	if (len == 0 || s[0] != '/' || len > WD_MAX_SKEY + 1) {
		snprintf(err, errsz, "a path pattern starts with '/'");
		return WD_E_CONFIG;
	}
	for (i = 1; i < len; i++)
		if (s[i] == '/')
			nseg++;
	pt->text = wd_xstrndup(s, len);
	pt->segs = wd_xcalloc(nseg, sizeof(*pt->segs));
	for (pos = 1; pt->nseg < nseg; pos = e + 1) {
		struct seg	*sg = &pt->segs[pt->nseg++];
		const char	*p = s + pos;
		size_t		 sl;

		for (e = pos; e < len && s[e] != '/'; e++)
			;
		sl = e - pos;
		*errpos = pos;
		if (sl == 1 && p[0] == '*') {
			if (e != len) {
				snprintf(err, errsz, "'*' must be the last "
				    "segment");
				return WD_E_CONFIG;
			}
			sg->kind = SEG_STAR;
			continue;
		}
		if (sl > 0 && p[0] == ':') {
			if (sl == 1 || !ident_start(p[1])) {
				snprintf(err, errsz, "a parameter is ':' "
				    "followed by a name");
				return WD_E_CONFIG;
			}
			for (i = 2; i < sl; i++)
				if (!ident_char(p[i])) {
					*errpos = pos + i;
					snprintf(err, errsz, "a parameter name "
					    "has letters, digits and '_'");
					return WD_E_CONFIG;
				}
			for (i = 0; i < sizeof(reserved) /
			    sizeof(reserved[0]); i++)
				if (strlen(reserved[i]) == sl - 1 &&
				    memcmp(reserved[i], p + 1, sl - 1) == 0) {
					snprintf(err, errsz, "'%s' is reserved",
					    reserved[i]);
					return WD_E_CONFIG;
				}
			for (i = 0; i < pt->nparams; i++)
				if (strlen(pt->params[i]) == sl - 1 &&
				    memcmp(pt->params[i], p + 1, sl - 1) ==
				    0) {
					snprintf(err, errsz, "parameter "
					    "repeated");
					return WD_E_CONFIG;
				}
			if (pt->nparams >= WD_MAX_RULE_PARAMS) {
				snprintf(err, errsz, "too many parameters");
				return WD_E_CONFIG;
			}
			sg->kind = SEG_PARAM;
			sg->param = (int)pt->nparams;
			pt->params[pt->nparams++] = wd_xstrndup(p + 1,
			    sl - 1);
			continue;
		}
		if (sl == 0 && e != len) {
			snprintf(err, errsz, "empty segment");
			return WD_E_CONFIG;
		}
		if (memchr(p, '*', sl) != NULL || memchr(p, ':', sl) !=
		    NULL) {
			snprintf(err, errsz, "'*' and ':' are only allowed "
			    "as a whole segment and a parameter prefix");
			return WD_E_CONFIG;
		}
		sg->kind = SEG_LIT;
		sg->lit = wd_xstrndup(p, sl);
		sg->len = sl;
	}
	return WD_OK;
}

/* Matches key against pt, capturing parameters into vals/lens. A key
 * with n '/' has n + 1 segments ("a/" is "a" and ""). */
static int
match(const struct pattern *pt, const char *key, size_t len,
    const char **vals, size_t *lens)
{
	size_t		 i, pos = 0, e;
	const char	*sl;

	for (i = 0; i < pt->nseg; i++) {
		const struct seg	*sg = &pt->segs[i];

		if (pos > len)
			return 0;
		if (sg->kind == SEG_STAR)
			return 1;
		sl = memchr(key + pos, '/', len - pos);
		e = sl == NULL ? len : (size_t)(sl - key);
		if (sg->kind == SEG_LIT) {
			if (e - pos != sg->len ||
			    memcmp(key + pos, sg->lit, sg->len) != 0)
				return 0;
		} else {
			if (e == pos)
				return 0;
			vals[sg->param] = key + pos;
			lens[sg->param] = e - pos;
		}
		pos = e + 1;
	}
	return pos == len + 1;
}

enum wd_err
wd_rules_check(const struct wd_rules *r, enum wd_rules_op op,
    const char *key, size_t len, const struct wd_rules_ctx *ctx,
    int *allowed, int *public_)
{
	const char	*vals[WD_MAX_RULE_PARAMS];
	size_t		 lens[WD_MAX_RULE_PARAMS];
	enum wd_rules_op umb;
	size_t		 i;

	*allowed = 0;
	*public_ = 0;
	if (op == WD_RULES_GET || op == WD_RULES_LIST)
		umb = WD_RULES_READ;
	else if (op == WD_RULES_CREATE || op == WD_RULES_UPDATE ||
	    op == WD_RULES_DELETE)
		umb = WD_RULES_WRITE;
	else
		return WD_E_INTERNAL;
	for (i = 0; r != NULL && i < r->n; i++) {
		const struct pattern		*pt = &r->pats[i];
		const struct wd_rules_expr	*a = pt->ops[op];
		const struct wd_rules_expr	*b = pt->ops[umb];
		struct env			 env;

		if (a == NULL && b == NULL)
			continue;
		memset(vals, 0, sizeof(vals));
		memset(lens, 0, sizeof(lens));
		if (!match(pt, key, len, vals, lens))
			continue;
		env.vals = vals;
		env.lens = lens;
		env.ctx = ctx;
		if (a != NULL && eval(a, &env)) {
			*allowed = 1;
			*public_ = a->kind == N_TRUE;
		}
		if (!*public_ && b != NULL && eval(b, &env)) {
			*allowed = 1;
			*public_ = b->kind == N_TRUE;
		}
		return WD_OK;
	}
	return WD_OK;
}

enum wd_err
wd_rules_dump(const struct wd_rules *r, struct wd_buf *b)
{
	size_t		 i, j;

	for (i = 0; i < r->n; i++) {
		wd_buf_addf(b, "%s\n", r->pats[i].text);
		for (j = 0; j < WD_RULES_OP__MAX; j++) {
			if (r->pats[i].ops[j] == NULL)
				continue;
			wd_buf_addf(b, "\t%s: ", opnames[j]);
			dump(r->pats[i].ops[j], b);
			wd_buf_add(b, "\n", 1);
		}
	}
	return wd_buf_status(b);
}

/*
 * Positions. json-c gives none for values, so after it has accepted the
 * text we find where each string token starts (in a valid JSON text a
 * '"' outside a string always opens one) and walk the tree in the same
 * document order, counting tokens. A duplicate key (json-c keeps one)
 * shows up as a count mismatch and is refused.
 */
struct posmap {
	const char	*text;
	size_t		 len;
	size_t		*offs;		/* owned */
	size_t		 n;
};

static size_t
scan_strings(const char *t, size_t len, size_t *offs)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		if (t[i] != '"')
			continue;
		if (offs != NULL)
			offs[n] = i;
		n++;
		for (i++; i < len && t[i] != '"'; i++)
			if (t[i] == '\\')
				i++;
	}
	return n;
}

static size_t
count_strings(struct json_object *o)
{
	size_t	 n = 0, i;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return 1;
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			n += count_strings(json_object_array_get_idx(o, i));
		return n;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + count_strings(v);
		}
		return n;
	}
	default:
		return 0;
	}
}

/* File offset of byte dpos of the decoded string token tok. */
static size_t
decoded_to_file(const struct posmap *pm, size_t tok, size_t dpos)
{
	size_t	 j = pm->offs[tok] + 1, d = 0;

	while (j < pm->len && pm->text[j] != '"' && d < dpos) {
		if (pm->text[j] == '\\') {
			if (j + 1 < pm->len && pm->text[j + 1] == 'u') {
				j += 6;
				d += 2;		/* close enough for a column */
			} else {
				j += 2;
				d++;
			}
		} else {
			j++;
			d++;
		}
	}
	return j;
}

static void
errat(const char *name, const char *text, size_t len, size_t off,
    const char *msg, char *err, size_t errsz)
{
	size_t	 i, line = 1, col = 1;

	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(err, errsz, "%s:%zu:%zu: %s", name, line, col, msg);
}

static enum wd_err
compile_paths(const char *name, struct posmap *pm, struct json_object *paths,
    size_t *tok, struct wd_rules *r, char *err, size_t errsz)
{
	char	 msg[192];
	size_t	 epos, j, n = 0;

	json_object_object_foreach(paths, pk, pv) {
		(void)pk;
		(void)pv;
		n++;
	}
	r->pats = wd_xcalloc(n ? n : 1, sizeof(*r->pats));
	json_object_object_foreach(paths, k, v) {
		struct pattern	*pt = &r->pats[r->n];
		size_t		 ktok = (*tok)++;

		r->n++;
		if (pattern_compile(k, strlen(k), pt, &epos, msg,
		    sizeof(msg)) != WD_OK) {
			errat(name, pm->text, pm->len, decoded_to_file(pm,
			    ktok, epos), msg, err, errsz);
			return WD_E_CONFIG;
		}
		if (!json_object_is_type(v, json_type_object)) {
			errat(name, pm->text, pm->len, pm->offs[ktok],
			    "a path's value is an object of operations",
			    err, errsz);
			return WD_E_CONFIG;
		}
		json_object_object_foreach(v, ok, ov) {
			size_t	 otok = (*tok)++, vtok;

			for (j = 0; j < WD_RULES_OP__MAX; j++)
				if (strcmp(ok, opnames[j]) == 0)
					break;
			if (j == WD_RULES_OP__MAX) {
				errat(name, pm->text, pm->len, pm->offs[otok],
				    "unknown operation (read, write, get, "
				    "list, create, update, delete)", err,
				    errsz);
				return WD_E_CONFIG;
			}
			if (!json_object_is_type(ov, json_type_string)) {
				errat(name, pm->text, pm->len, pm->offs[otok],
				    "an operation's value is an expression "
				    "string", err, errsz);
				return WD_E_CONFIG;
			}
			vtok = (*tok)++;
			if (wd_rules_expr_compile(json_object_get_string(ov),
			    (size_t)json_object_get_string_len(ov),
			    (const char *const *)pt->params, pt->nparams,
			    &pt->ops[j], &epos, msg, sizeof(msg)) != WD_OK) {
				errat(name, pm->text, pm->len,
				    decoded_to_file(pm, vtok, epos), msg, err,
				    errsz);
				return WD_E_CONFIG;
			}
		}
	}
	return WD_OK;
}

enum wd_err
wd_rules_parse(const char *name, const char *text, size_t len,
    struct wd_rules **out, char *err, size_t errsz)
{
	enum wd_err		 rc = WD_E_CONFIG;
	struct json_tokener	*tk = NULL;
	struct json_object	*root = NULL, *paths = NULL;
	struct wd_rules		*r = NULL;
	struct posmap		 pm = { text, len, NULL, 0 };
	size_t			 tok = 0;

	*out = NULL;
	if (len > WD_MAX_RULES_FILE) {
		snprintf(err, errsz, "%s: larger than %d bytes", name,
		    WD_MAX_RULES_FILE);
		goto out;
	}
	tk = json_tokener_new_ex(8);
	if (tk == NULL)
		goto out;
	json_tokener_set_flags(tk, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tk, text, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tk) != len) {
		errat(name, text, len, json_tokener_get_parse_end(tk),
		    root == NULL ? "not valid JSON" :
		    "trailing bytes after the JSON value", err, errsz);
		goto out;
	}
	pm.n = scan_strings(text, len, NULL);
	if (pm.n != count_strings(root)) {
		snprintf(err, errsz, "%s: a JSON object has a duplicate key",
		    name);
		goto out;
	}
	pm.offs = wd_xcalloc(pm.n ? pm.n : 1, sizeof(*pm.offs));
	scan_strings(text, len, pm.offs);
	if (!json_object_is_type(root, json_type_object)) {
		errat(name, text, len, 0, "the rules file is an object "
		    "{\"paths\": {...}}", err, errsz);
		goto out;
	}
	r = wd_xcalloc(1, sizeof(*r));
	json_object_object_foreach(root, k, v) {
		size_t	 ktok = tok++;

		if (strcmp(k, "paths") != 0) {
			errat(name, text, len, pm.offs[ktok], "unknown key "
			    "(only \"paths\")", err, errsz);
			goto out;
		}
		if (!json_object_is_type(v, json_type_object)) {
			errat(name, text, len, pm.offs[ktok], "\"paths\" is "
			    "an object of path patterns", err, errsz);
			goto out;
		}
		paths = v;
		if (compile_paths(name, &pm, paths, &tok, r, err, errsz) !=
		    WD_OK)
			goto out;
	}
	if (paths == NULL) {
		errat(name, text, len, 0, "missing \"paths\"", err, errsz);
		goto out;
	}
	*out = r;
	r = NULL;
	rc = WD_OK;
out:
	wd_rules_free(r);
	free(pm.offs);
	json_object_put(root);
	if (tk != NULL)
		json_tokener_free(tk);
	return rc;
}

enum wd_err
wd_rules_load(const char *path, struct wd_rules **out, char *err,
    size_t errsz)
{
	enum wd_err	 rc = WD_E_CONFIG;
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return WD_E_CONFIG;
	}
	text = wd_xmalloc(WD_MAX_RULES_FILE + 1);
	while (len <= WD_MAX_RULES_FILE) {
		n = read(fd, text + len, WD_MAX_RULES_FILE + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = wd_rules_parse(path, text, len, out, err, errsz);
out:
	close(fd);
	free(text);
	return rc;
}
