/*
 * mfa: TOTP two-factor (RFC 6238): generate a secret, enable and disable
 * with a code, and finish a sign-in that answered {"mfa":true,"ticket"}.
 * Operations in src/wd_api.c, SQL in src/wd_life.c.
 */
#include "wd_dialect.h"

static const struct wd_route routes[] = {
	WD_ACCT_ROUTE("/auth/mfa/generate", "POST", wd_dialect_hbp2,
	    wd_op_mfa_generate),
	WD_ACCT_ROUTE("/actions/mfa_generate", "POST", wd_dialect_action,
	    wd_op_mfa_generate),
	WD_ACCT_ROUTE("/auth/mfa/enable", "POST", wd_dialect_hbp2,
	    wd_op_mfa_enable),
	WD_ACCT_ROUTE("/actions/mfa_enable", "POST", wd_dialect_action,
	    wd_op_mfa_enable),
	WD_ACCT_ROUTE("/auth/mfa/disable", "POST", wd_dialect_hbp2,
	    wd_op_mfa_disable),
	WD_ACCT_ROUTE("/actions/mfa_disable", "POST", wd_dialect_action,
	    wd_op_mfa_disable),
	WD_ACCT_ROUTE("/auth/mfa/totp", "POST", wd_dialect_hbp2,
	    wd_op_mfa_totp),
	WD_ACCT_ROUTE("/actions/mfa_totp", "POST", wd_dialect_action,
	    wd_op_mfa_totp),
};

int
main(void)
{
	return wd_svc_main("warden-mfa", routes,
	    sizeof(routes) / sizeof(routes[0]));
}
