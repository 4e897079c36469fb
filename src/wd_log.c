/*
 * wd_log.c: logging. Inputs may carry attacker bytes (a route, a user
 * agent), so every line is escaped before it reaches the log.
 */
#include <stdio.h>
#include <string.h>

#include "wd_limits.h"
#include "wd_log.h"

static const char *const lvlnames[WD_LOG__MAX] = {
	"ERROR", "WARN", "INFO", "DEBUG"
};

/* the request being served, if any (one request at a time per process) */
static FCGX_Stream	*bound;

void
wd_log_bind(FCGX_Stream *err)
{
	bound = err;
}

void
wd_log_escape(char *dst, size_t dstsz, const char *src)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	for (; *src != '\0'; src++) {
		c = (unsigned char)*src;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
			continue;
		}
		if (o + 4 >= dstsz)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 0xf];
	}
	dst[o] = '\0';
}

void
wd_log(FCGX_Stream *err, enum wd_loglvl lvl, const char *module,
    const char *fmt, ...)
{
	char	 raw[WD_MAX_LOG_LINE];
	char	 esc[WD_MAX_LOG_LINE];
	va_list	 ap;

	if ((unsigned)lvl >= WD_LOG__MAX)
		lvl = WD_LOG_ERR;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);	/* truncation is fine */
	va_end(ap);
	wd_log_escape(esc, sizeof(esc), raw);
	if (err == NULL)
		err = bound;
	if (err != NULL) {
		/* FCGX_FPrintF lacks C99 conversions: write plain bytes */
		FCGX_PutS(lvlnames[lvl], err);
		FCGX_PutS(" ", err);
		FCGX_PutS(module, err);
		FCGX_PutS(": ", err);
		FCGX_PutS(esc, err);
		FCGX_PutS("\n", err);
	} else
		fprintf(stderr, "%s %s: %s\n", lvlnames[lvl], module, esc);
}
