/*
 * wd_smtp.h: account e-mail over SMTP with libcurl (WARDEN_SMTP_URL,
 * smtp:// or smtps://; WARDEN_SMTP_STARTTLS=true requires STARTTLS).
 */
#ifndef WD_SMTP_H
#define WD_SMTP_H

#include "wd_cfg.h"
#include "wd_err.h"

/*
 * Sends the activation message for ticket to rcpt (a validated,
 * normalised address): subject "Confirm your email address", header
 * X-Ticket, body with WARDEN_SERVER_URL/auth/activate?ticket=... .
 * WD_E_UNAVAILABLE when the server cannot be reached or refuses;
 * WD_E_CONFIG when SMTP is not configured.
 */
enum wd_err	wd_smtp_activation(const struct wd_cfg *cfg, const char *rcpt,
		    const char *ticket);

#endif
