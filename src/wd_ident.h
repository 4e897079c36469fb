/*
 * wd_ident.h: accounts signed in through an identity provider (issue 12,
 * API.md §5.2): one auth.identities row per (provider, subject). An
 * identity is linked to an existing account only through an email the
 * provider marks verified; an unverified email that collides with an
 * account is refused, never merged. A verified email that matches an
 * account whose address nobody had proven (auth.accounts.email_verified,
 * sql/010: registered with WARDEN_AUTO_ACTIVATE=true, or changed without
 * confirmation) hands the account to the address's owner: its password,
 * sessions, second factor, pending tickets and other identities go
 * (audit event provider_reclaim).
 */
#ifndef WD_IDENT_H
#define WD_IDENT_H

#include "wd_acct.h"
#include "wd_oidc.h"

/* seconds the refresh token of the success redirect lives (nhost-js-sdk
 * exchanges it at once) */
#define WD_IDENT_URL_TOKEN_SECS	60

/* How a sign-in went. */
enum wd_ident_how {
	WD_IDENT_FOUND,		/* the identity was known */
	WD_IDENT_LINKED,	/* new identity, existing account (verified
				 * email) */
	WD_IDENT_CREATED,	/* new identity, new account */
	WD_IDENT__MAX
};

/*
 * Account acct has just been taken back by someone who may not be who
 * set it up or last moved it (a provider or a reset proving an address
 * nobody had proven: reclaim in wd_ident.c, reset_disown in wd_life.c;
 * a revert: wd_life_email_revert): every foothold not tied to that proof
 * goes. Pending tickets end (revert tickets too, unless
 * WD_DISOWN_KEEP_REVERT) and every identity but (prov, sub) is unlinked
 * (all of them when prov is NULL); with WD_DISOWN_ROLES the roles go back
 * to the configured ones. The second factor stays (no mailbox stands in
 * for it). The account row (address, password, second factor) and the
 * sessions are the caller's. In the caller's transaction.
 */
#define WD_DISOWN_ROLES		0x1u
#define WD_DISOWN_KEEP_REVERT	0x2u
enum wd_err	wd_ident_disown(struct wd_svc *s, const char *acct,
		    const char *prov, const char *sub, unsigned flags);

/*
 * Finds or creates the account of (provider, prof->sub) and issues a
 * session into o whose refresh token is single-use and lives
 * WD_IDENT_URL_TOKEN_SECS; reclaims an account whose address nobody
 * had proven when the provider verified it (see above); writes the audit
 * rows. An account with two-factor on is given no session: o->mfa_ticket
 * (and o->user_id) instead, for POST /auth/mfa/totp. One transaction: on
 * any error nothing is left, nothing reclaimed. WD_E_CONFLICT when an
 * unverified email collides with an account (email-not-verified),
 * WD_E_FORBIDDEN when the account is not active, WD_E_UNPROCESSABLE when
 * a new identity would link to an account with two-factor on.
 */
enum wd_err	wd_ident_signin(struct wd_svc *s, const struct wd_client *cl,
		    const char *provider, const struct wd_oidc_profile *prof,
		    struct wd_sess *o, enum wd_ident_how *how);

#endif
