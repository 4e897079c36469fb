/*
 * wd_svc.h: the shared context of the account binaries (register, login,
 * refresh, activate, logout, user, jwks): configuration read and checked
 * once at start, the signing key, the persistent database connection.
 */
#ifndef WD_SVC_H
#define WD_SVC_H

#include <stddef.h>

#include "wd_addr.h"
#include "wd_cfg.h"
#include "wd_cors.h"
#include "wd_db.h"
#include "wd_http.h"
#include "wd_jwt.h"
#include "wd_seal.h"

#define WD_SVC_MAX_LIST	WD_CFG_MAX_LIST	/* roles or custom fields */
#define WD_SVC_FORM_ACTION	(2 * WD_CORS_ORIGIN + 16)

struct wd_svc {
	const char		*prog;		/* "warden-login" */
	struct wd_cfg		 cfg;
	struct wd_jwt_key	 key;
	struct wd_db		 db;
	/* read once from cfg (checked there); strings borrowed from it */
	long			 jwt_min;	/* access token minutes */
	long			 refresh_min;	/* refresh token minutes */
	long			 min_pw;	/* min password bytes */
	int			 auto_activate;
	int			 cookie_secure;
	long			 max_fail;	/* per email, 15 min */
	long			 max_fail_ip;	/* per IP, 15 min */
	const char		*action_secret;
	const char		*default_role;
	const char		*roles[WD_SVC_MAX_LIST + 1];	/* allowed, the
						 * default role included */
	size_t			 nroles;
	const char *const	*jwt_fields;
	size_t			 njwt_fields;
	const char *const	*reg_fields;
	size_t			 nreg_fields;
	/* sessions and abuse (issue #10) */
	long			 reuse_interval;	/* seconds */
	long			 session_max_age;	/* seconds */
	long			 rate_limit;	/* per minute, route+address */
	struct wd_cidr		 proxies[WD_ADDR_MAX_CIDRS];
	size_t			 nproxies;
	int			 actions_xff;	/* an action's client from
						 * X-Forwarded-For (README) */
	struct wd_cors		 cors;		/* allowed browser origins */
	char			 form_action[WD_SVC_FORM_ACTION];
					/* the activation page's CSP
					 * form-action: 'self' and where
					 * its form's answer redirects
					 * (WARDEN_REDIRECT_URL_*) */
	/* the account lifecycle (issue #9) */
	int			 verify_emails;
	int			 has_mfa_key;
	struct wd_seal_key	 mfa_key;
	const char		*mfa_issuer;
};

/*
 * Loads and checks the configuration for prog. On error writes one line
 * to err and returns WD_E_CONFIG. Caller calls wd_svc_cleanup().
 */
enum wd_err	wd_svc_init(struct wd_svc *s, const char *prog, char *err,
		    size_t errsz);
void		wd_svc_cleanup(struct wd_svc *s);

/* 1 if role is one of WARDEN_ALLOWED_ROLES. */
int		wd_svc_role_ok(const struct wd_svc *s, const char *role);

/*
 * The whole life of an account binary: init (one line on stderr and exit
 * 1 on bad configuration), then the serve loop over its route table
 * (wd_http_serve, with the wd_svc as every route's context). Returns the
 * process exit status.
 */
int		wd_svc_main(const char *prog, const struct wd_route *routes,
		    size_t n);

#endif
