/*
 * fuzz_query.c: query-string parameters (wd_http_query, wd_http.h). The
 * call has only rq->query set, which is all wd_http_query reads; output
 * buffers are exact-size heap blocks so ASan catches a write past outsz.
 *
 * Each input is used twice, and neither use re-implements the decoder:
 *
 * 1. As the query string itself (copied and NUL-terminated: bytes after
 *    an embedded 0x00 are unreachable, as in a CGI parameter), looked up
 *    under "refresh_token", "ticket", "a" and "ab". What holds for any
 *    query: the answer is WD_OK, WD_E_NOTFOUND or WD_E_BADREQ, the same
 *    twice; on WD_OK the value is NUL-terminated with no NUL before it,
 *    shorter than the buffer, fits a buffer of its length + 1 and not
 *    one of its length; and when the query holds no '%' or '+', the
 *    value stands literally in it as a whole "name=value" pair.
 * 2. As a recipe for a query built by the encoder below from known
 *    pairs (names from the four above, values of arbitrary bytes, each
 *    byte written literally, as %XX in either case, or as '+' for a
 *    space; now and then a broken escape), so the answer is known by
 *    construction: absent -> WD_E_NOTFOUND; repeated, broken, holding a
 *    NUL (which would cut the C string) or too long for the buffer ->
 *    WD_E_BADREQ; otherwise WD_OK and exactly the bytes encoded.
 */
#include "wd_buf.h"
#include "wd_http.h"
#include "wd_fuzz.h"

#define OUTSZ	256
#define NNAMES	4
#define MAXVAL	(OUTSZ + 1)	/* one more than fits */

static const char *const fz_names[NNAMES] = { "refresh_token", "ticket",
    "a", "ab" };

static enum wd_err
run(const char *q, const char *name, size_t outsz, char **out)
{
	struct wd_req	 rq;

	memset(&rq, 0, sizeof(rq));
	rq.query = q;
	*out = malloc(outsz > 0 ? outsz : 1);
	CHECK(*out != NULL);
	memset(*out, 0xAA, outsz > 0 ? outsz : 1);
	return wd_http_query(&rq, name, *out, outsz);
}

/*
 * Looks name up in q and checks what holds for any query. Returns the
 * answer; on WD_OK *val is the value (caller frees), *vlen its length.
 */
static enum wd_err
lookup(const char *q, const char *name, char **val, size_t *vlen)
{
	char		*o1, *o2;
	enum wd_err	 rc, rc2;
	size_t		 len;

	*val = NULL;
	rc = run(q, name, OUTSZ, &o1);
	CHECK(rc == WD_OK || rc == WD_E_NOTFOUND || rc == WD_E_BADREQ);
	/* deterministic: the same into a buffer filled differently */
	rc2 = run(q, name, OUTSZ, &o2);
	memset(o2, 0x55, OUTSZ);
	free(o2);
	CHECK(rc2 == rc);
	if (rc != WD_OK) {
		free(o1);
		return rc;
	}
	CHECK(memchr(o1, '\0', OUTSZ) != NULL);
	len = strlen(o1);
	CHECK(len < OUTSZ);
	/* L + 1 bytes suffice, L do not */
	CHECK(run(q, name, len + 1, &o2) == WD_OK && strcmp(o2, o1) == 0);
	free(o2);
	if (len > 0) {
		CHECK(run(q, name, len, &o2) == WD_E_BADREQ);
		free(o2);
	}
	*val = o1;
	*vlen = len;
	return rc;
}

/* 1 if "name=val" stands in q as a whole pair (between '&'s or ends). */
static int
literal_pair(const char *q, const char *name, const char *val)
{
	size_t		 nl = strlen(name), vl = strlen(val);
	const char	*p;

	for (p = q; (p = strstr(p, name)) != NULL; p++)
		if ((p == q || p[-1] == '&') && p[nl] == '=' &&
		    strncmp(p + nl + 1, val, vl) == 0 &&
		    (p[nl + 1 + vl] == '&' || p[nl + 1 + vl] == '\0'))
			return 1;
	return 0;
}

/* Use 1: the input as the query string. */
static void
raw(const uint8_t *data, size_t size)
{
	char	*q = fz_cstr(data, size), *val;
	size_t	 i, vlen;
	int	 plain = strpbrk(q, "%+") == NULL;

	for (i = 0; i < NNAMES; i++) {
		if (lookup(q, fz_names[i], &val, &vlen) != WD_OK)
			continue;
		if (plain)
			CHECK(literal_pair(q, fz_names[i], val));
		free(val);
	}
	free(q);
}

/* What the recipe put in under one name. */
struct want {
	int		 count;		/* pairs with this name */
	int		 broken;	/* a broken escape in its value */
	uint8_t		 val[MAXVAL];	/* the bytes encoded */
	size_t		 len;
};

/* Writes byte c of a value the way the recipe says. */
static void
encode(struct wd_buf *q, uint8_t c, uint8_t how)
{
	static const char	 up[] = "0123456789ABCDEF";
	static const char	 lo[] = "0123456789abcdef";
	const char		*hex = how & 2 ? lo : up;

	if (c == ' ' && (how & 1))
		wd_buf_add(q, "+", 1);
	else if ((how & 1) && c != '\0' && strchr("&%+", c) == NULL)
		wd_buf_add(q, &c, 1);
	else
		wd_buf_addf(q, "%%%c%c", hex[c >> 4], hex[c & 15]);
}

/* Use 2: a query built from known pairs. */
static void
generated(const uint8_t *data, size_t size)
{
	static const char *const broken[] = { "%", "%4", "%G1", "%1g",
	    "%%41" };
	struct fz_src	 src = { data, size, 0 };
	struct want	 w[NNAMES];
	struct wd_buf	 q;
	size_t		 i, j, n, vlen, npairs;
	char		*val;
	enum wd_err	 rc;

	memset(w, 0, sizeof(w));
	wd_buf_init(&q, 1 << 16);
	npairs = fz_byte(&src) % 6;
	for (i = 0; i < npairs; i++) {
		uint8_t		 b = fz_byte(&src);
		struct want	*p = &w[b % NNAMES];
		uint8_t		 v[MAXVAL];

		/* mostly short values; now and then one of OUTSZ - 1 or
		 * OUTSZ bytes, the longest that fits and one more */
		vlen = fz_byte(&src);
		vlen = vlen < 240 ? vlen % 12 : OUTSZ - 1 + vlen % 2;
		/* any byte, but the ones the encoding is about often */
		for (j = 0; j < vlen; j++) {
			v[j] = fz_byte(&src);
			if (v[j] >= 0xf0)
				v[j] = (uint8_t)" +%&="[v[j] % 5];
		}
		if (i > 0 || (b & 0x40))
			wd_buf_add(&q, "&", 1);	/* an empty first pair */
		wd_buf_addf(&q, "%s=", fz_names[b % NNAMES]);
		for (j = 0; j < vlen; j++)
			encode(&q, v[j], fz_byte(&src));
		if ((b & 0x30) == 0x30) {
			wd_buf_adds(&q, broken[b / 0x40 % 5]);
			p->broken = 1;
		}
		/* a stray pair without '=' of the same name is no pair */
		if ((b & 0x88) == 0x88)
			wd_buf_addf(&q, "&%s", fz_names[b % NNAMES]);
		p->count++;
		memcpy(p->val, v, vlen);
		p->len = vlen;
	}
	CHECK(wd_buf_status(&q) == WD_OK);
	for (i = 0; i < NNAMES; i++) {
		rc = lookup(wd_buf_str(&q), fz_names[i], &val, &n);
		if (w[i].count == 0)
			CHECK(rc == WD_E_NOTFOUND);
		else if (w[i].count > 1 || w[i].broken ||
		    memchr(w[i].val, '\0', w[i].len) != NULL ||
		    w[i].len >= OUTSZ)
			CHECK(rc == WD_E_BADREQ);
		else
			CHECK(rc == WD_OK && n == w[i].len &&
			    memcmp(val, w[i].val, n) == 0);
		free(val);
	}
	wd_buf_cleanup(&q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	raw(data, size);
	generated(data, size);
	return 0;
}
