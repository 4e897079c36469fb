/*
 * fuzz_query.c: query-string parameters (wd_call_query, wd_call.h).
 *
 * The input is the query string (after '?'): copied to a heap buffer of
 * size + 1 and NUL-terminated (bytes after an embedded 0x00 are then
 * unreachable, as in a real CGI parameter). The call has only rq->query
 * set, which is all wd_call_query reads. Names looked up: "refresh_token"
 * and "ticket", plus "a", which the fuzzer reaches easily; output buffers
 * are exact-size heap allocations so ASan catches a write past outsz.
 *
 * Invariants: the answer is WD_OK, WD_E_NOTFOUND or WD_E_BADREQ and agrees
 * with a small reference (split on '&', name matched exactly before '=',
 * '+' is a space, %XX decoded, repeated / malformed / %00 / too long are
 * WD_E_BADREQ); on WD_OK the output is NUL-terminated, shorter than 256
 * bytes and holds no NUL before the terminator (its length is the decoded
 * length); the result is deterministic; a value of length L fits a buffer
 * of L + 1 bytes and not one of L bytes.
 */

#include "wd_call.h"
#include "wd_fuzz.h"

#define OUTSZ	256

static const char *const fz_names[] = { "refresh_token", "ticket", "a" };

static int
hexv(char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/*
 * Reference lookup of name in the NUL-terminated q. On WD_OK the decoded
 * value is in out (size outsz), *vlen bytes before its terminator.
 */
static enum wd_err
ref_query(const char *q, const char *name, char *out, size_t outsz,
    size_t *vlen)
{
	size_t		 qlen = strlen(q), nl = strlen(name), s = 0, e, i, o;
	size_t		 first_s = 0, first_e = 0;
	int		 n = 0;

	while (s <= qlen) {
		for (e = s; e < qlen && q[e] != '&'; e++)
			;
		if (e - s > nl && memcmp(q + s, name, nl) == 0 &&
		    q[s + nl] == '=') {
			if (n++ == 0) {
				first_s = s + nl + 1;
				first_e = e;
			}
		}
		s = e + 1;
	}
	if (n == 0)
		return WD_E_NOTFOUND;
	if (n > 1)
		return WD_E_BADREQ;
	for (i = first_s, o = 0; i < first_e; i++) {
		int	 ch = (unsigned char)q[i];

		if (ch == '%') {
			if (first_e - i < 3 || hexv(q[i + 1]) < 0 ||
			    hexv(q[i + 2]) < 0)
				return WD_E_BADREQ;
			ch = hexv(q[i + 1]) * 16 + hexv(q[i + 2]);
			i += 2;
		} else if (ch == '+')
			ch = ' ';
		if (ch == 0 || o + 1 >= outsz)
			return WD_E_BADREQ;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	*vlen = o;
	return WD_OK;
}

static enum wd_err
run(const char *q, const char *name, size_t outsz, char **out)
{
	struct wd_req	 rq;
	struct wd_call	 c;

	memset(&rq, 0, sizeof(rq));
	memset(&c, 0, sizeof(c));
	rq.query = q;
	c.rq = &rq;
	*out = malloc(outsz > 0 ? outsz : 1);
	CHECK(*out != NULL);
	memset(*out, 0xAA, outsz > 0 ? outsz : 1);
	return wd_call_query(&c, name, *out, outsz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*q, *o1, *o2, *o3, ref[OUTSZ];
	enum wd_err	 rc, rc2, rrc;
	size_t		 i, len, rlen = 0;

	q = fz_cstr(data, size);
	for (i = 0; i < sizeof(fz_names) / sizeof(fz_names[0]); i++) {
		rc = run(q, fz_names[i], OUTSZ, &o1);
		CHECK(rc == WD_OK || rc == WD_E_NOTFOUND ||
		    rc == WD_E_BADREQ);
		rrc = ref_query(q, fz_names[i], ref, sizeof(ref), &rlen);
		CHECK(rc == rrc);
		/* deterministic: same answer into a differently filled
		 * buffer */
		rc2 = run(q, fz_names[i], OUTSZ, &o2);
		CHECK(rc2 == rc);
		if (rc == WD_OK) {
			CHECK(memchr(o1, '\0', OUTSZ) != NULL);
			len = strlen(o1);
			CHECK(len < OUTSZ);
			/* no NUL before the terminator */
			CHECK(len == rlen && memcmp(o1, ref, len + 1) == 0);
			CHECK(strcmp(o1, o2) == 0);

			/* L + 1 bytes suffice, L do not */
			free(o2);
			rc2 = run(q, fz_names[i], len + 1, &o2);
			CHECK(rc2 == WD_OK && strcmp(o2, o1) == 0);
			if (len > 0) {
				rc2 = run(q, fz_names[i], len, &o3);
				CHECK(rc2 == WD_E_BADREQ);
				free(o3);
			}
		}
		free(o1);
		free(o2);
	}
	free(q);
	return 0;
}
