/*
 * test_addr.c: trusted proxy networks and the client address behind them
 * (src/wd_addr.c).
 */
#include <string.h>

#include "wd_addr.h"
#include "wd_test.h"

#define M	"addr"

struct list_case {
	const char	*name;
	const char	*list;
	enum wd_err	 want;
	size_t		 n;
};

static void
test_parse(void)
{
	static const struct list_case cases[] = {
		{ "empty list", "", WD_OK, 0 },
		{ "blanks and empty entries", " , ,", WD_OK, 0 },
		{ "one v4 host", "127.0.0.1", WD_OK, 1 },
		{ "v4 network", "10.0.0.0/8", WD_OK, 1 },
		{ "v6 host and network", "::1, fd00::/8", WD_OK, 2 },
		{ "zero prefix", "0.0.0.0/0", WD_OK, 1 },
		{ "full v4 prefix", "10.1.2.3/32", WD_OK, 1 },
		{ "host bits set", "10.0.0.1/8", WD_E_CONFIG, 0 },
		{ "v4 prefix too long", "10.0.0.0/33", WD_E_CONFIG, 0 },
		{ "v6 prefix too long", "::/129", WD_E_CONFIG, 0 },
		{ "prefix not digits", "10.0.0.0/a", WD_E_CONFIG, 0 },
		{ "empty prefix", "10.0.0.0/", WD_E_CONFIG, 0 },
		{ "signed prefix", "10.0.0.0/+8", WD_E_CONFIG, 0 },
		{ "huge prefix", "10.0.0.0/0008", WD_E_CONFIG, 0 },
		{ "name, not an address", "localhost", WD_E_CONFIG, 0 },
		{ "v4 with port", "10.0.0.1:80", WD_E_CONFIG, 0 },
		{ "octet out of range", "10.0.0.256", WD_E_CONFIG, 0 },
		{ "short v4", "10.0.1", WD_E_CONFIG, 0 },
		{ "bracketed v6", "[::1]", WD_E_CONFIG, 0 },
		{ "space inside", "10.0. 0.1", WD_E_CONFIG, 0 },
	};
	struct wd_cidr	 nets[WD_ADDR_MAX_CIDRS];
	char		 many[WD_ADDR_MAX_CIDRS * 12 + 16];
	size_t		 i, n;
	enum wd_err	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = wd_cidr_parse_list(cases[i].list, nets, WD_ADDR_MAX_CIDRS,
		    &n);
		CHECK(M, cases[i].name, rc == cases[i].want &&
		    (rc != WD_OK || n == cases[i].n));
	}
	many[0] = '\0';
	for (i = 0; i <= WD_ADDR_MAX_CIDRS; i++) {
		size_t	 l = strlen(many);

		snprintf(many + l, sizeof(many) - l, "10.0.%zu.1,", i);
	}
	CHECK(M, "one entry too many refused", wd_cidr_parse_list(many, nets,
	    WD_ADDR_MAX_CIDRS, &n) == WD_E_CONFIG);
}

struct client_case {
	const char	*name;
	const char	*trusted;
	const char	*remote;
	const char	*xff;
	const char	*want;
};

static void
test_client(void)
{
	static const struct client_case cases[] = {
		{ "no proxies: remote", "", "192.0.2.1", "198.51.100.7",
		    "192.0.2.1" },
		{ "untrusted peer: its header ignored", "10.0.0.0/8",
		    "192.0.2.1", "198.51.100.7", "192.0.2.1" },
		{ "trusted peer, no header", "10.0.0.0/8", "10.0.0.2", NULL,
		    "10.0.0.2" },
		{ "trusted peer: right-most entry", "10.0.0.0/8", "10.0.0.2",
		    "198.51.100.7", "198.51.100.7" },
		{ "client-sent entries on the left ignored", "10.0.0.0/8",
		    "10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7" },
		{ "chain of trusted proxies walked", "10.0.0.0/8",
		    "10.0.0.2", "1.2.3.4, 198.51.100.7, 10.9.9.9, 10.0.0.5",
		    "198.51.100.7" },
		{ "all entries trusted: the left-most", "10.0.0.0/8",
		    "10.0.0.2", "10.1.1.1, 10.2.2.2", "10.1.1.1" },
		{ "malformed entry: the hop that reported it", "10.0.0.0/8",
		    "10.0.0.2", "198.51.100.7, unknown, 10.3.3.3", "10.3.3.3" },
		{ "malformed right-most: the peer", "10.0.0.0/8", "10.0.0.2",
		    "1.2.3.4, junk", "10.0.0.2" },
		{ "empty entries skipped", "10.0.0.0/8", "10.0.0.2",
		    "198.51.100.7,, ,", "198.51.100.7" },
		{ "v6 client normalised", "::1", "::1",
		    "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
		{ "port in entry is malformed", "10.0.0.0/8", "10.0.0.2",
		    "198.51.100.7:1234", "10.0.0.2" },
		{ "empty header", "10.0.0.0/8", "10.0.0.2", "", "10.0.0.2" },
		{ "v4-mapped trusted peer (dual-stack listener): trusted",
		    "10.0.0.0/8", "::ffff:10.0.0.2", "198.51.100.7",
		    "198.51.100.7" },
		{ "v4-mapped client: as IPv4", "10.0.0.0/8", "10.0.0.2",
		    "::FFFF:198.51.100.7", "198.51.100.7" },
		{ "v4-mapped untrusted peer: IPv4, header ignored",
		    "10.0.0.0/8", "::ffff:192.0.2.1", "1.2.3.4",
		    "192.0.2.1" },
		{ "trusted network written v4-mapped: still trusted",
		    "::ffff:10.0.0.0/104", "::ffff:10.0.0.2",
		    "198.51.100.7", "198.51.100.7" },
		{ "...and its plain IPv4 peer too", "::ffff:10.0.0.0/104",
		    "10.0.0.2", "198.51.100.7", "198.51.100.7" },
		{ "...but not outside it", "::ffff:10.0.0.0/104",
		    "11.0.0.2", "198.51.100.7", "11.0.0.2" },
	};
	struct wd_cidr	 nets[WD_ADDR_MAX_CIDRS];
	char		 out[WD_ADDR_MAX_TEXT];
	size_t		 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (wd_cidr_parse_list(cases[i].trusted, nets,
		    WD_ADDR_MAX_CIDRS, &n) != WD_OK) {
			CHECK(M, cases[i].name, 0);
			continue;
		}
		wd_addr_client(cases[i].remote, cases[i].xff, nets, n, out);
		CHECK(M, cases[i].name, strcmp(out, cases[i].want) == 0);
	}
}

static void
test_match(void)
{
	struct wd_cidr	 nets[4];
	size_t		 n;

	wd_cidr_parse_list("192.168.0.0/23, 2001:db8::/33", nets, 4, &n);
	CHECK(M, "match: inside v4 /23", wd_cidr_match(nets, n,
	    "192.168.1.255", 13));
	CHECK(M, "match: outside v4 /23", !wd_cidr_match(nets, n,
	    "192.168.2.0", 11));
	CHECK(M, "match: inside v6 /33", wd_cidr_match(nets, n,
	    "2001:db8:7fff::1", 16));
	CHECK(M, "match: outside v6 /33", !wd_cidr_match(nets, n,
	    "2001:db8:8000::1", 16));
	CHECK(M, "match: v4-mapped v6 is its IPv4 host (a dual-stack "
	    "listener's peer)", wd_cidr_match(nets, n, "::ffff:192.168.1.1",
	    18) && !wd_cidr_match(nets, n, "::ffff:192.168.2.1", 18));
	CHECK(M, "match: ::ffff:0:0/96 look-alikes stay IPv6",
	    !wd_cidr_match(nets, n, "::fffe:192.168.1.1", 18) &&
	    !wd_cidr_match(nets, n, "::192.168.1.1", 13));
	CHECK(M, "match: not an address", !wd_cidr_match(nets, n, "x", 1));
	CHECK(M, "match: no networks", !wd_cidr_match(nets, 0,
	    "192.168.1.1", 11));
}

static void
test_bucket(void)
{
	static const char *const cases[][3] = {
		{ "bucket: IPv4 as itself", "198.51.100.7", "198.51.100.7" },
		{ "bucket: IPv6 as its /64", "2001:db8:1:2:3:4:5:6",
		    "2001:db8:1:2::/64" },
		{ "bucket: two hosts of one /64 share it", "2001:db8:1:2::9",
		    "2001:db8:1:2::/64" },
		{ "bucket: v4-mapped IPv6 as IPv4", "::ffff:192.0.2.1",
		    "192.0.2.1" },
		{ "bucket: empty address counted as unknown", "", "unknown" },
		{ "bucket: not an address counted as unknown", "x", "unknown" },
	};
	char	 out[WD_ADDR_MAX_TEXT];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wd_addr_bucket(cases[i][1], out);
		CHECK(M, cases[i][0], strcmp(out, cases[i][2]) == 0);
	}
	wd_addr_client("not-an-address", NULL, NULL, 0, out);
	CHECK(M, "client: a peer that is no address gives \"\"",
	    out[0] == '\0');
}

int
main(void)
{
	test_bucket();
	test_parse();
	test_client();
	test_match();
	return WD_TEST_RESULT();
}
