/*
 * wd_addr.c: client address and trusted proxies. Trust boundary:
 * X-Forwarded-For is the client's own text except for the entries our
 * trusted proxies appended, which are on its right.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "wd_addr.h"

/* Parses a textual address (ptr, len) into a; 0 if it is not one. */
static int
parse_ip(const char *s, size_t len, struct wd_cidr *a)
{
	char	 buf[WD_ADDR_MAX_TEXT];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->bits = 32;
		return 1;
	}
	if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->v6 = 1;
		a->bits = 128;
		return 1;
	}
	return 0;
}

/* A v4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is the
 * IPv4 host itself: a dual-stack listener reports IPv4 peers so, and a
 * trusted proxy must stay trusted (else every client behind it would
 * share its throttle bucket). Turns a into that IPv4 address. */
static void
unmap(struct wd_cidr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (!a->v6 || a->bits != 128 || memcmp(a->addr, mapped,
	    sizeof(mapped)) != 0)
		return;
	memmove(a->addr, a->addr + 12, 4);
	memset(a->addr + 4, 0, 12);
	a->v6 = 0;
	a->bits = 32;
}

/* A network inside ::ffff:0:0/96 is the IPv4 network it maps, as the
 * peers it is to match are turned into IPv4 (unmap): written so for a
 * dual-stack listener, it must go on matching them. */
static void
unmap_net(struct wd_cidr *net)
{
	unsigned	 bits = net->bits;

	if (!net->v6 || bits < 96)
		return;
	net->bits = 128;
	unmap(net);
	net->bits = net->v6 ? bits : bits - 96;
}

static int
in_net(const struct wd_cidr *net, const struct wd_cidr *a)
{
	unsigned	 full = net->bits / 8, rest = net->bits % 8;

	if (net->v6 != a->v6)
		return 0;
	if (memcmp(net->addr, a->addr, full) != 0)
		return 0;
	return rest == 0 || ((net->addr[full] ^ a->addr[full]) &
	    (0xff << (8 - rest))) == 0;
}

/* Trims blanks off (*p, *len). */
static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

enum wd_err
wd_cidr_parse_list(const char *s, struct wd_cidr *out, size_t max,
    size_t *n)
{
	const char	*p, *e, *slash;
	size_t		 len, i;
	unsigned	 bits;

	*n = 0;
	for (p = s == NULL ? "" : s; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		trim(&p, &len);
		if (len == 0)
			continue;
		if (*n >= max)
			return WD_E_CONFIG;
		slash = memchr(p, '/', len);
		if (!parse_ip(p, slash == NULL ? len : (size_t)(slash - p),
		    &out[*n]))
			return WD_E_CONFIG;
		if (slash != NULL) {
			bits = 0;
			if (slash + 1 == p + len || p + len - slash > 4)
				return WD_E_CONFIG;
			for (i = 1; slash + i < p + len; i++) {
				if (slash[i] < '0' || slash[i] > '9')
					return WD_E_CONFIG;
				bits = bits * 10 + (unsigned)(slash[i] - '0');
			}
			if (bits > out[*n].bits)
				return WD_E_CONFIG;
			out[*n].bits = bits;
			/* host bits set: a typo for another network */
			for (i = bits; i < (out[*n].v6 ? 128u : 32u); i++)
				if (out[*n].addr[i / 8] & (0x80 >> (i % 8)))
					return WD_E_CONFIG;
		}
		unmap_net(&out[*n]);
		(*n)++;
	}
	return WD_OK;
}

int
wd_cidr_match(const struct wd_cidr *nets, size_t n, const char *ip,
    size_t iplen)
{
	struct wd_cidr	 a;
	size_t		 i;

	if (n == 0 || !parse_ip(ip, iplen, &a))
		return 0;
	unmap(&a);
	for (i = 0; i < n; i++)
		if (in_net(&nets[i], &a))
			return 1;
	return 0;
}

/* Normalised text of (s, len) into out; 0 if not an address. */
static int
normal(const char *s, size_t len, char *out)
{
	struct wd_cidr	 a;

	if (!parse_ip(s, len, &a))
		return 0;
	unmap(&a);
	return inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.addr, out,
	    WD_ADDR_MAX_TEXT) != NULL;
}

void
wd_addr_bucket(const char *ip, char *out)
{
	struct wd_cidr	 a;
	char		 t[WD_ADDR_MAX_TEXT];

	if (ip == NULL || !parse_ip(ip, strlen(ip), &a)) {
		snprintf(out, WD_ADDR_MAX_TEXT, "unknown");
		return;
	}
	unmap(&a);
	if (!a.v6) {
		inet_ntop(AF_INET, a.addr, out, WD_ADDR_MAX_TEXT);
		return;
	}
	memset(a.addr + 8, 0, 8);
	/* INET6_ADDRSTRLEN (46) and "/64" fit WD_ADDR_MAX_TEXT */
	if (inet_ntop(AF_INET6, a.addr, t, 48) == NULL)
		t[0] = '\0';
	t[47] = '\0';
	snprintf(out, WD_ADDR_MAX_TEXT, "%.47s/64", t);
}

void
wd_addr_client(const char *remote, const char *xff,
    const struct wd_cidr *nets, size_t n, char *out)
{
	const char	*end, *b, *p;
	size_t		 len;

	/* the peer itself, in normal form ("" when it is not an address,
	 * which no audit row or throttle would take) */
	out[0] = '\0';
	if (remote == NULL || !normal(remote, strlen(remote), out))
		return;
	if (xff == NULL || !wd_cidr_match(nets, n, remote, strlen(remote)))
		return;
	len = strlen(xff);
	if (len > WD_ADDR_MAX_XFF) {
		/* only the right end was written by our proxies */
		xff += len - WD_ADDR_MAX_XFF;
		len = WD_ADDR_MAX_XFF;
	}
	for (end = xff + len; end > xff; end = b) {
		b = end;
		while (b > xff && b[-1] != ',')
			b--;
		p = b;
		len = (size_t)(end - b);
		trim(&p, &len);
		if (b > xff)
			b--;		/* past the comma */
		if (len == 0)
			continue;
		if (!normal(p, len, out))
			return;		/* out: the hop that sent it */
		if (!wd_cidr_match(nets, n, p, len))
			return;
	}
}
