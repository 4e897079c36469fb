/*
 * mailer: delivers the mail requests queued in auth.outbox (wd_mailer).
 * Not a FastCGI program: a long-running process of its own, started by
 * `make start` (lighttpd/stack.sh) or a service manager; SIGTERM or
 * SIGINT stops it after the message in hand is sent and recorded.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "wd_cfg.h"
#include "wd_mailer.h"

static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(void)
{
	struct wd_cfg		 cfg = { 0 };
	struct wd_mailer	 m;
	struct sigaction	 sa;
	char			 err[256] = "";
	int			 rv = 1;

	memset(&m, 0, sizeof(m));
	/* no SA_RESTART: a signal ends the wait at once */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (wd_cfg_init(&cfg, WD_BIN_MAILER, err, sizeof(err)) != WD_OK ||
	    wd_mailer_init(&m, &cfg, err, sizeof(err)) != WD_OK) {
		fprintf(stderr, "warden-mailer: %s\n", err);
		goto out;
	}
	rv = wd_mailer_run(&m, &stop);
out:
	wd_mailer_cleanup(&m);
	wd_cfg_cleanup(&cfg);
	return rv;
}
