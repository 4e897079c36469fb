/*
 * wd_smtp.c: sending mail with libcurl. The recipient and sender passed
 * wd_mail_addr_ok (no CR, LF, blanks, quotes or angle brackets), so they
 * cannot inject SMTP commands; the message was built by wd_mail_render
 * (every line CRLF-ended, so no bare LF reaches the relay as a line end).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "wd_mail.h"
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
wd_smtp_send(const struct wd_cfg *cfg, const char *rcpt, const char *msg,
    size_t len, long *reply)
{
	enum wd_err		 rc = WD_E_CONFIG;
	const char		*url = wd_cfg_str(cfg, WD_CFG_SMTP_URL);
	const char		*from = wd_cfg_str(cfg, WD_CFG_SMTP_SENDER);
	CURL			*cu = NULL;
	struct curl_slist	*to = NULL;
	struct upload		 up;
	char			 env_from[300], env_to[300];
	long			 code = 0;
	int			 starttls = 1;

	if (reply != NULL)
		*reply = 0;
	if (url == NULL || from == NULL || url[0] == '\0' ||
	    !wd_mail_addr_ok(from))
		goto out;
	/* the one boolean parser, as wd_cfg_check read it ("1" is on); a
	 * word it refuses sends nothing rather than mail in clear text */
	if (wd_cfg_parse_bool(wd_cfg_str(cfg, WD_CFG_SMTP_STARTTLS),
	    &starttls) != WD_OK)
		goto out;
	rc = WD_E_UNAVAILABLE;
	if (!wd_mail_addr_ok(rcpt))
		goto out;
	snprintf(env_from, sizeof(env_from), "<%s>", from);
	snprintf(env_to, sizeof(env_to), "<%s>", rcpt);
	cu = curl_easy_init();
	if (cu == NULL)
		goto out;
	to = curl_slist_append(NULL, env_to);
	if (to == NULL)
		goto out;
	up.p = msg;
	up.left = len;
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(cu, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(cu, CURLOPT_READFUNCTION, readcb);
	curl_easy_setopt(cu, CURLOPT_READDATA, &up);
	curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(cu, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	/* smtps:// is TLS from the start; with WARDEN_SMTP_STARTTLS on an
	 * smtp:// session must upgrade (STARTTLS) or the mail is not sent */
	if (starttls)
		curl_easy_setopt(cu, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (curl_easy_perform(cu) == CURLE_OK)
		rc = WD_OK;
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
	if (reply != NULL)
		*reply = code;
out:
	curl_slist_free_all(to);
	if (cu != NULL)
		curl_easy_cleanup(cu);
	return rc;
}
