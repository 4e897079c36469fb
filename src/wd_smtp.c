/*
 * wd_smtp.c: sending mail with libcurl. The recipient was validated by
 * wd_email_normalize (no CR, LF, quotes or angle brackets), so it cannot
 * inject SMTP commands or headers; the ticket is a UUID we generated.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "wd_buf.h"
#include "wd_smtp.h"

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
readcb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload	*u = arg;
	size_t		 n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

enum wd_err
wd_smtp_activation(const struct wd_cfg *cfg, const char *rcpt,
    const char *ticket)
{
	enum wd_err		 rc = WD_E_CONFIG;
	const char		*url = wd_cfg_str(cfg, WD_CFG_SMTP_URL);
	const char		*from = wd_cfg_str(cfg, WD_CFG_SMTP_SENDER);
	const char		*base = wd_cfg_str(cfg, WD_CFG_SERVER_URL);
	CURL			*cu = NULL;
	struct curl_slist	*to = NULL;
	struct wd_buf		 msg;
	struct upload		 up;
	char			 date[64], env_from[300], env_to[300];
	time_t			 now = time(NULL);
	struct tm		 tm;
	int			 starttls = 1;

	wd_buf_init(&msg, 8192);
	if (url == NULL || from == NULL || url[0] == '\0' || from[0] == '\0')
		goto out;
	/* the one boolean parser, as wd_cfg_check read it ("1" is on); a
	 * word it refuses sends nothing rather than mail in clear text */
	if (wd_cfg_parse_bool(wd_cfg_str(cfg, WD_CFG_SMTP_STARTTLS),
	    &starttls) != WD_OK)
		goto out;
	if (base == NULL || base[0] == '\0')
		base = wd_cfg_str(cfg, WD_CFG_URL);
	if (base == NULL)
		base = "";
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	rc = wd_buf_addf(&msg, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n"
	    "Subject: Confirm your email address\r\nX-Ticket: %s\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "\r\nConfirm your email address by opening this link:\r\n\r\n"
	    "%s/auth/activate?ticket=%s\r\n\r\nThe link is valid for 60 "
	    "minutes. If you did not register, ignore this message.\r\n",
	    date, from, rcpt, ticket, base, ticket);
	if (rc != WD_OK)
		goto out;
	rc = WD_E_UNAVAILABLE;
	snprintf(env_from, sizeof(env_from), "<%s>", from);
	snprintf(env_to, sizeof(env_to), "<%s>", rcpt);
	cu = curl_easy_init();
	if (cu == NULL)
		goto out;
	to = curl_slist_append(NULL, env_to);
	up.p = msg.p;
	up.left = msg.len;
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(cu, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(cu, CURLOPT_READFUNCTION, readcb);
	curl_easy_setopt(cu, CURLOPT_READDATA, &up);
	curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	/* smtps:// is TLS from the start; with WARDEN_SMTP_STARTTLS on an
	 * smtp:// session must upgrade (STARTTLS) or the mail is not sent */
	if (starttls)
		curl_easy_setopt(cu, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (curl_easy_perform(cu) != CURLE_OK)
		goto out;
	rc = WD_OK;
out:
	curl_slist_free_all(to);
	if (cu != NULL)
		curl_easy_cleanup(cu);
	wd_buf_cleanup(&msg);
	return rc;
}
