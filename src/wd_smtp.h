/*
 * wd_smtp.h: handing one prepared message to the SMTP relay with libcurl
 * (WARDEN_SMTP_URL, smtp:// or smtps://; WARDEN_SMTP_STARTTLS=true
 * requires STARTTLS on smtp://; WARDEN_SMTP_SENDER is the envelope
 * sender). Only the mailer (wd_mailer) sends: requests queue mail in the
 * outbox (wd_outbox).
 */
#ifndef WD_SMTP_H
#define WD_SMTP_H

#include <stddef.h>

#include "wd_cfg.h"
#include "wd_err.h"

/*
 * Sends msg (len bytes: a complete RFC 5322 message with CRLF line
 * ends, as wd_mail_render makes it; libcurl dot-stuffs it) to rcpt (an
 * address as wd_mail_addr_ok), from WARDEN_SMTP_SENDER. *reply (may be
 * NULL) receives the relay's last SMTP reply code, 0 when none came
 * (the relay could not be reached). Returns WD_OK once the relay took
 * the message (250 after DATA); WD_E_UNAVAILABLE when it could not be
 * reached or refused; WD_E_CONFIG when the URL or sender is unset or
 * STARTTLS is not a boolean (nothing is sent in clear text then).
 * Blocks for at most about a minute (connect 10 s, whole session 60 s).
 */
enum wd_err	wd_smtp_send(const struct wd_cfg *cfg, const char *rcpt,
		    const char *msg, size_t len, long *reply);

#endif
