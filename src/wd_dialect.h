/*
 * wd_dialect.h: the shapes account requests arrive in and answers leave
 * in (issue #8). A dialect parses the wire into the neutral wd_areq and
 * renders the neutral wd_ares (or an error) back: HBP v2 REST (API.md
 * §5) and Hasura Actions (§6) today; GoTrue /auth/v1 and HBP v1 are two
 * more tables of the same kind.
 */
#ifndef WD_DIALECT_H
#define WD_DIALECT_H

#include "wd_err.h"
#include "wd_http.h"
#include "wd_op.h"
#include "wd_svc.h"

struct wd_dialect {
	const char	*name;
	/*
	 * Fills in from rq for op: each field op takes, type- and
	 * size-checked. On an error in->msgbuf (or a static string) says
	 * which field and why, through *msg.
	 */
	enum wd_err	(*parse)(struct wd_svc *s, struct wd_req *rq,
			    const struct wd_op *op, struct wd_areq *in,
			    const char **msg);
	/* Answers rc (and out on WD_OK, or out->msg on an error). */
	void		(*answer)(struct wd_svc *s, struct wd_req *rq,
			    const struct wd_op *op, const struct wd_areq *in,
			    enum wd_err rc, const struct wd_ares *out);
};

extern const struct wd_dialect wd_dialect_hbp2;	/* /auth/... */
extern const struct wd_dialect wd_dialect_action;	/* /actions/... */

/* What one account route means: an operation in a dialect. */
struct wd_bind {
	const struct wd_dialect	*dialect;
	const struct wd_op	*op;
};

/* The wd_route handler of every account route; ctx is the wd_svc and
 * arg the route's struct wd_bind. Always answers. */
enum wd_err	wd_dialect_serve(void *ctx, struct wd_req *rq,
		    const void *arg);

/* One row of an account binary's route table (file scope: the compound
 * literal then has static storage). */
#define WD_ACCT_ROUTE(path, methods, dialect, op)			\
	{ (path), (methods), wd_dialect_serve,				\
	    &(const struct wd_bind){ &(dialect), &(op) } }

#endif
