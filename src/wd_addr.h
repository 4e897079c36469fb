/*
 * wd_addr.h: client addresses (issue #10). The address a throttle counts
 * is REMOTE_ADDR, or, when the peer is a trusted proxy
 * (WARDEN_TRUSTED_PROXIES), the right-most X-Forwarded-For entry that is
 * not itself a trusted proxy: entries to its left are whatever the client
 * chose to send.
 */
#ifndef WD_ADDR_H
#define WD_ADDR_H

#include <stddef.h>

#include "wd_err.h"

#define WD_ADDR_MAX_CIDRS	32	/* trusted proxy networks */
#define WD_ADDR_MAX_TEXT	64	/* an address as text, NUL included:
					 * INET6_ADDRSTRLEN is 46 */
#define WD_ADDR_MAX_XFF		4096	/* X-Forwarded-For bytes looked at */

struct wd_cidr {
	int		 v6;		/* 0: IPv4 */
	unsigned char	 addr[16];
	unsigned	 bits;
};

/*
 * Parses a comma-separated list of addresses or networks ("10.0.0.0/8,
 * ::1, 192.168.1.7") into out (at most max). Blanks around entries are
 * ignored. WD_E_CONFIG for a malformed entry, a prefix longer than the
 * address, host bits set, or too many entries.
 */
enum wd_err	wd_cidr_parse_list(const char *s, struct wd_cidr *out,
		    size_t max, size_t *n);

/* 1 if the textual address ip is inside one of the n networks. */
int		wd_cidr_match(const struct wd_cidr *nets, size_t n,
		    const char *ip, size_t iplen);

/*
 * The client's address into out (WD_ADDR_MAX_TEXT bytes, normalised
 * text): remote itself unless remote is trusted; then X-Forwarded-For
 * (xff, may be NULL) walked from the right past trusted entries. A
 * malformed entry stops the walk at the hop that reported it (the
 * address to its right). Never fails: out is "" only when remote is.
 */
void		wd_addr_client(const char *remote, const char *xff,
		    const struct wd_cidr *nets, size_t n, char *out);

/*
 * What a throttle counts for the client address ip (normalised text, as
 * wd_addr_client gives): an IPv4 address itself (a v4-mapped IPv6 one as
 * IPv4), an IPv6 address as its /64 (one host has a whole /64 to pick
 * from), and "unknown" for anything else, so a missing address is counted
 * too rather than let through. out: WD_ADDR_MAX_TEXT bytes.
 */
void		wd_addr_bucket(const char *ip, char *out);

#endif
