/*
 * wd_log.h: one line per event, "LEVEL module: message key=value".
 * Never pass secrets, tokens, header values, connection strings or bodies.
 */
#ifndef WD_LOG_H
#define WD_LOG_H

#include <stdarg.h>
#include <fcgiapp.h>

enum wd_loglvl {
	WD_LOG_ERR,
	WD_LOG_WARN,
	WD_LOG_INFO,
	WD_LOG_DEBUG,
	WD_LOG__MAX
};

/*
 * Formats one line, escapes every non-printable byte as \xNN (so a hostile
 * value cannot forge log lines), truncates at WD_MAX_LOG_LINE and writes it
 * to err (lighttpd logs it as "FastCGI-stderr:") or, when err is NULL, to
 * the bound request stream (wd_log_bind) or else to stderr.
 */
void	wd_log(FCGX_Stream *err, enum wd_loglvl lvl, const char *module,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Binds the current request's error stream: wd_log(NULL, ...) then writes
 * there (lighttpd logs it with the request) instead of to stderr, so
 * modules below the serve loop (wd_db) log per request without knowing
 * about FastCGI. NULL unbinds. Set by the serve loop only.
 */
void	wd_log_bind(FCGX_Stream *err);

/* Escapes src into dst (size dstsz > 0, always NUL-terminated). */
void	wd_log_escape(char *dst, size_t dstsz, const char *src);

#endif
