/*
 * crypt_loop: the hash-only ceiling of POST /auth/login for `make bench`.
 * Draws one yescrypt setting at Warden's cost (crypt_gensalt_rn("$y$", 5),
 * as src/wd_pw.c does), then times N crypt_rn calls with that setting, one
 * after the other, and prints
 *
 *	crypt_loop: <N> calls in <seconds> s: <calls/s> calls/s
 *
 * A login verifies exactly one such hash, so calls/s is what one login
 * process could reach if it did nothing else. Not part of Warden; built
 * by tests/bench/run.sh.
 *
 *	crypt_loop [N]		N defaults to 40
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define COST	5		/* WD_PW_COST in src/wd_pw.h */
#define PW	"correct horse"	/* the password the bench logs in with */

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data	*cd;
	const char		*h;
	double			 t0, secs;
	long			 n = 40, i;

	if (argc > 1 && (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: crypt_loop [N]\n");
		return 2;
	}
	/* zeroed before the first call, as crypt_rn requires */
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		perror("crypt_loop");
		return 1;
	}
	if (crypt_gensalt_rn("$y$", COST, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL) {
		perror("crypt_loop: crypt_gensalt_rn");
		return 1;
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		h = crypt_rn(PW, setting, cd, (int)sizeof(*cd));
		if (h == NULL || h[0] == '*') {
			fprintf(stderr, "crypt_loop: crypt_rn failed\n");
			return 1;
		}
	}
	secs = now() - t0;
	printf("crypt_loop: %ld calls in %.6f s: %.3f calls/s\n", n, secs,
	    (double)n / secs);
	free(cd);
	return 0;
}
