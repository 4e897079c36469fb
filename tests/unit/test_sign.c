/*
 * test_sign.c: signed storage URLs (src/wd_sign.c). The vector comes from
 * an independent HMAC-SHA256 (Python's hmac module) over the documented
 * message, not from this code.
 */
#include <string.h>

#include "wd_sign.h"
#include "wd_test.h"

#define M	"sign"

static const char	 key[] = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
static const char	 blob[] = "0123456789abcdef0123456789abcdef";
static const char	 obj[] = "user/a/b.txt";
/* python3: hmac.new(b'k'*32, b'warden-sign-v1\nread\nuser/a/b.txt\n'
 *   b'0123456789abcdef0123456789abcdef\n1800000000', sha256) */
static const char	 want[] =
    "f7f32c65afa83f2ff494494a07b185f79ce694704e37421b960b9da460c26259";

int
main(void)
{
	char	 out[WD_SIGN_HEX + 1], bad[WD_SIGN_HEX + 1];
	uint64_t exp = 1800000000ULL;

	CHECK(M, "vector", wd_sign_mac(key, 32, "read", obj, strlen(obj),
	    blob, exp, out) == WD_OK && strcmp(out, want) == 0);
	CHECK(M, "check: good before expiry", wd_sign_check(key, 32, "read",
	    obj, strlen(obj), blob, exp, want, exp - 1) == WD_OK);
	CHECK(M, "check: good at expiry second", wd_sign_check(key, 32,
	    "read", obj, strlen(obj), blob, exp, want, exp) == WD_OK);
	CHECK(M, "check: expired", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), blob, exp, want, exp + 1) == WD_E_FORBIDDEN);
	CHECK(M, "check: other expiry", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), blob, exp + 1, want, 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: other blob", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), "1123456789abcdef0123456789abcdef", exp, want, 0) ==
	    WD_E_FORBIDDEN);
	CHECK(M, "check: other key", wd_sign_check(key, 32, "read",
	    "user/a/c.txt", 12, blob, exp, want, 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: other op", wd_sign_check(key, 32, "write", obj,
	    strlen(obj), blob, exp, want, 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: other signing key", wd_sign_check(
	    "jkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 32, "read", obj, strlen(obj),
	    blob, exp, want, 0) == WD_E_FORBIDDEN);
	memcpy(bad, want, sizeof(bad));
	bad[63] = bad[63] == '0' ? '1' : '0';
	CHECK(M, "check: one digit changed", wd_sign_check(key, 32, "read",
	    obj, strlen(obj), blob, exp, bad, 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: truncated", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), blob, exp, "f7f32c65", 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: empty", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), blob, exp, "", 0) == WD_E_FORBIDDEN);
	CHECK(M, "check: upper case", wd_sign_check(key, 32, "read", obj,
	    strlen(obj), blob, exp,
	    "F7F32C65AFA83F2FF494494A07B185F79CE694704E37421B960B9DA460C26259",
	    0) == WD_E_FORBIDDEN);
	return WD_TEST_RESULT();
}
