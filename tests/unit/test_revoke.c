/*
 * test_revoke.c: the revoked-session set and the feed's health
 * (src/wd_revoke.c), without a database: the set is filled through
 * wd_revoke_add and the health through wd_revoke_mark_good, as the feed
 * thread does; and a feed pointed at a server that is not there must
 * neither hold up start-up nor answer anything but 503.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wd_err.h"
#include "wd_revoke.h"
#include "wd_test.h"

#define M	"revoke"

#define SID_A	"0b6f1a52-8d3c-4c1e-9a57-2f5d0e6b7c11"
#define SID_B	"7e1d2c3b-4a59-4f68-8e77-1a2b3c4d5e6f"

static void
test_health(void)
{
	struct wd_revoke	 r;
	int64_t			 t, far = (int64_t)time(NULL) + 3600;

	wd_revoke_init_local(&r);
	CHECK(M, "never good -> 503",
	    wd_revoke_check(&r, SID_A) == WD_E_REVOKEUNAVAIL);
	t = wd_revoke_now_ms();
	wd_revoke_mark_good(&r, t);
	CHECK(M, "good just now -> ok", wd_revoke_check(&r, SID_A) == WD_OK);
	wd_revoke_add(&r, SID_A, far);
	CHECK(M, "added -> revoked", wd_revoke_check(&r, SID_A) ==
	    WD_E_REVOKED);
	CHECK(M, "another sid -> ok", wd_revoke_check(&r, SID_B) == WD_OK);
	/* mark_good never moves the time back */
	wd_revoke_mark_good(&r, t - 5000);
	CHECK(M, "an older good time is ignored",
	    wd_revoke_check(&r, SID_B) == WD_OK);
	wd_revoke_cleanup(&r);

	/* just inside and just outside the grace */
	wd_revoke_init_local(&r);
	wd_revoke_add(&r, SID_A, far);
	wd_revoke_mark_good(&r, wd_revoke_now_ms() - WD_REVOKE_GRACE_MS +
	    200);
	CHECK(M, "good 0.8 s ago -> ok", wd_revoke_check(&r, SID_B) ==
	    WD_OK);
	wd_revoke_cleanup(&r);
	wd_revoke_init_local(&r);
	wd_revoke_add(&r, SID_A, far);
	wd_revoke_mark_good(&r, wd_revoke_now_ms() - WD_REVOKE_GRACE_MS -
	    10);
	CHECK(M, "good over 1 s ago -> 503", wd_revoke_check(&r, SID_B) ==
	    WD_E_REVOKEUNAVAIL);
	/* what is known stays known */
	CHECK(M, "feed down, known revoked -> still 401",
	    wd_revoke_check(&r, SID_A) == WD_E_REVOKED);
	wd_revoke_cleanup(&r);
	/* cleanup of a zeroed struct is a no-op */
	memset(&r, 0, sizeof(r));
	wd_revoke_cleanup(&r);
	wd_revoke_cleanup(NULL);
	CHECK(M, "cleanup of zeroed and NULL", 1);
}

static void
test_set(void)
{
	struct wd_revoke	 r;
	char			 sid[40];
	int64_t			 far = (int64_t)time(NULL) + 3600;
	int			 i, all = 1;

	wd_revoke_init_local(&r);
	wd_revoke_mark_good(&r, wd_revoke_now_ms());
	wd_revoke_add(&r, "not-a-uuid", far);
	CHECK(M, "a sid that is no UUID is not stored",
	    wd_revoke_check(&r, "not-a-uuid") == WD_OK);
	wd_revoke_add(&r, SID_A, 1);	/* long expired */
	wd_revoke_add(&r, SID_B, far);
	/* enough to rehash several times */
	for (i = 0; i < 1000; i++) {
		snprintf(sid, sizeof(sid), "%08x-0000-4000-8000-%012x",
		    (unsigned)i, (unsigned)i * 7u);
		wd_revoke_add(&r, sid, far);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(sid, sizeof(sid), "%08x-0000-4000-8000-%012x",
		    (unsigned)i, (unsigned)i * 7u);
		all = all && wd_revoke_check(&r, sid) == WD_E_REVOKED;
	}
	CHECK(M, "1000 sids, all found after growing", all);
	CHECK(M, "a live sid survives growth", wd_revoke_check(&r, SID_B) ==
	    WD_E_REVOKED);
	CHECK(M, "an expired sid is dropped by growth",
	    wd_revoke_check(&r, SID_A) == WD_OK);
	snprintf(sid, sizeof(sid), "%08x-0000-4000-8000-%012x", 5000u, 1u);
	CHECK(M, "a sid never added -> ok", wd_revoke_check(&r, sid) ==
	    WD_OK);
	wd_revoke_cleanup(&r);
}

/* A feed with nowhere to go: start-up goes on, lookups answer 503. */
static void
test_feed_unreachable(void)
{
	struct wd_revoke	 r;
	char			 err[256] = "";
	int64_t			 t0, t1;
	enum wd_err		 rc;

	t0 = wd_revoke_now_ms();
	rc = wd_revoke_init(&r, "host=/nonexistent/warden-test dbname=x "
	    "user=x", err, sizeof(err));
	t1 = wd_revoke_now_ms();
	CHECK(M, "feed: unreachable database does not stop start-up",
	    rc == WD_OK);
	CHECK(M, "feed: start-up waits at most WD_REVOKE_START_MS",
	    t1 - t0 <= WD_REVOKE_START_MS + 500);
	CHECK(M, "feed: nothing known -> 503",
	    wd_revoke_check(&r, SID_A) == WD_E_REVOKEUNAVAIL);
	t0 = wd_revoke_now_ms();
	wd_revoke_cleanup(&r);
	t1 = wd_revoke_now_ms();
	CHECK(M, "feed: cleanup stops the thread promptly", t1 - t0 < 1000);

	rc = wd_revoke_init(&r, "not a = valid 'conninfo", err, sizeof(err));
	CHECK(M, "feed: bad URL -> WD_E_CONFIG naming the variable",
	    rc == WD_E_CONFIG &&
	    strstr(err, "WARDEN_DATABASE_URL") != NULL &&
	    strstr(err, "conninfo") == NULL);
	wd_revoke_cleanup(&r);
}

int
main(void)
{
	test_health();
	test_set();
	test_feed_unreachable();
	return WD_TEST_RESULT();
}
