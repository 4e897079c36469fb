/*
 * wd_test.h: the unit-test harness. Each CHECK prints one line,
 * "PASS <module>: <case>" or "FAIL <module>: <case> (file:line)";
 * tests/run.sh counts them. A test binary exits non-zero on any failure.
 */
#ifndef WD_TEST_H
#define WD_TEST_H

#include <stdio.h>

static int	wd_test_failed;

#define CHECK(mod, name, cond) do {					\
	if (cond)							\
		printf("PASS %s: %s\n", (mod), (name));			\
	else {								\
		printf("FAIL %s: %s (%s:%d)\n", (mod), (name),		\
		    __FILE__, __LINE__);				\
		wd_test_failed++;					\
	}								\
} while (0)

#define WD_TEST_RESULT()	(wd_test_failed != 0)

#endif
