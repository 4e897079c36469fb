/*
 * fuzz_addr.c: the client address behind trusted proxies (wd_addr.h) on
 * arbitrary X-Forwarded-For bytes, and the trusted-network list parser.
 *
 * Input: the first byte picks the trusted list (a fixed one, or the rest
 * of the input parsed as a list); the rest is the X-Forwarded-For value.
 * Invariants: the answer is the peer, or an address that stands in the
 * header (normalised: parsing it again gives itself); an untrusted peer
 * always gets itself; a parsed list has at most the maximum of entries
 * and every entry's prefix fits its family.
 */
#include "wd_addr.h"
#include "wd_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_cidr	 nets[WD_ADDR_MAX_CIDRS], again[1];
	char		*s, out[WD_ADDR_MAX_TEXT];
	size_t		 n = 0, i;
	const char	*peer;

	if (size < 1)
		return 0;
	s = fz_cstr(data + 1, size - 1);
	if (data[0] & 1) {
		if (wd_cidr_parse_list(s, nets, WD_ADDR_MAX_CIDRS, &n) ==
		    WD_OK) {
			CHECK(n <= WD_ADDR_MAX_CIDRS);
			for (i = 0; i < n; i++)
				CHECK(nets[i].bits <= (nets[i].v6 ? 128u :
				    32u));
		}
		free(s);
		return 0;
	}
	CHECK(wd_cidr_parse_list("10.0.0.0/8, ::1, 192.0.2.0/24", nets,
	    WD_ADDR_MAX_CIDRS, &n) == WD_OK);
	peer = (data[0] & 2) ? "10.1.2.3" : "203.0.113.9";
	wd_addr_client(peer, s, nets, n, out);
	CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	if (strcmp(peer, "203.0.113.9") == 0)
		CHECK(strcmp(out, peer) == 0);
	else if (strcmp(out, peer) != 0) {
		/* an address from the header, in normal form */
		char	 norm[WD_ADDR_MAX_TEXT];

		CHECK(wd_cidr_parse_list(out, again, 1, &i) == WD_OK &&
		    i == 1);
		wd_addr_client("::1", out, nets, n, norm);
		CHECK(strcmp(norm, out) == 0);
	}
	free(s);
	return 0;
}
