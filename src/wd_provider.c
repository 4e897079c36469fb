/*
 * wd_provider.c: the provider sign-in routes (wd_provider.h). Trust
 * boundary: the browser brings the query (state, code, redirect_to) and
 * the state cookie; the provider's answers come over the back channel
 * and are parsed by wd_oidc. Nothing is trusted before the state has
 * been matched with the cookie and taken, once, from the database.
 * Every failure lands on the failure URL as ?error=<code> (never on
 * redirect_to), and a redirect target is the configured success URL or
 * an allow-listed redirect_to: never an open redirect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "wd_acct.h"
#include "wd_ident.h"
#include "wd_log.h"
#include "wd_mem.h"
#include "wd_oidc.h"
#include "wd_provider.h"
#include "wd_svc.h"
#include "wd_util.h"

#define PREFIX		"/auth/providers/"
#define DISC_TTL	3600	/* seconds a discovery document is kept */
#define JWKS_MIN_AGE	10	/* seconds before an unknown kid may fetch
				 * the JWKS again */

enum kind {
	K_GITHUB,	/* plain OAuth 2.0, profile from the API */
	K_OIDC,		/* OpenID Connect: ID token */
};

struct prov {
	const char	*name;		/* the route name */
	enum kind	 kind;
	enum wd_cfgkey	 base;	/* built in: WD_CFG_PROVIDER_<P>_CLIENT_ID
				 * (else WD_CFG__MAX) */
	const struct wd_cfgoidc *oidc;	/* generic: its variables; else
					 * NULL */
	const char	*issuer;	/* default; NULL: configured */
	const char	*iss2;	/* the default issuer's other spelling in
				 * ID tokens, or NULL */
	const char	*authorize, *token, *userinfo;	/* GitHub's */
	const char	*scope;
};

/* The built-in providers; then come the generic OpenID Connect ones of
 * the configuration (wd_cfg_oidc), any number up to WD_CFG_MAX_OIDC. */
static const struct prov builtin[] = {
	{ "github", K_GITHUB, WD_CFG_PROVIDER_GITHUB_CLIENT_ID, NULL, NULL,
	    NULL,
	    "https://github.com/login/oauth/authorize",
	    "https://github.com/login/oauth/access_token",
	    "https://api.github.com/user", "read:user user:email" },
	{ "google", K_OIDC, WD_CFG_PROVIDER_GOOGLE_CLIENT_ID, NULL,
	    /* Google's ID tokens say either (its OIDC documentation) */
	    "https://accounts.google.com", "accounts.google.com", NULL, NULL,
	    NULL, "openid email profile" },
};
#define NBUILTIN	(sizeof(builtin) / sizeof(builtin[0]))
#define NPROVS		(NBUILTIN + WD_CFG_MAX_OIDC)

/* Per process and provider (the index of prov_at): the discovery
 * document and the JWKS. */
struct cache {
	struct wd_oidc_disc	 disc;
	time_t			 disc_at;	/* 0: none */
	struct wd_oidc_jwks	 jwks;
};
static struct cache caches[NPROVS];

/* Provider i of c into *p: a built-in one, then c's generic ones. 0 when
 * there is no provider i. */
static int
prov_at(const struct wd_cfg *c, size_t i, struct prov *p)
{
	const struct wd_cfgoidc	*o;

	if (i < NBUILTIN) {
		*p = builtin[i];
		return 1;
	}
	o = wd_cfg_oidc(c, i - NBUILTIN);
	if (o == NULL || i >= NPROVS)
		return 0;
	memset(p, 0, sizeof(*p));
	p->name = o->route;
	p->kind = K_OIDC;
	p->base = WD_CFG__MAX;
	p->oidc = o;
	p->scope = "openid email profile";
	return 1;
}

/* The stable codes of ?error= on the failure redirect. */
enum perr {
	PE_STATE,
	PE_REQUEST,
	PE_DENIED,
	PE_UNAVAILABLE,
	PE_TOKEN,
	PE_EMAIL,
	PE_DISABLED,
	PE_MFA,
	PE_THROTTLED,
	PE_REDIRECT,
	PE_INTERNAL,
	PE__MAX
};

static const struct {
	const char	*code;
	enum wd_err	 e;	/* when there is no failure URL */
} perrs[] = {
	[PE_STATE] = { "invalid-state", WD_E_BADREQ },
	[PE_REQUEST] = { "invalid-request", WD_E_BADREQ },
	[PE_DENIED] = { "provider-denied", WD_E_UNAUTH },
	[PE_UNAVAILABLE] = { "provider-unavailable", WD_E_UNAVAILABLE },
	[PE_TOKEN] = { "invalid-id-token", WD_E_UNAUTH },
	[PE_EMAIL] = { "email-not-verified", WD_E_CONFLICT },
	[PE_DISABLED] = { "account-disabled", WD_E_FORBIDDEN },
	[PE_MFA] = { "mfa-link-refused", WD_E_FORBIDDEN },
	[PE_THROTTLED] = { "too-many-requests", WD_E_RATELIMIT },
	[PE_REDIRECT] = { "redirect-not-allowed", WD_E_BADREQ },
	[PE_INTERNAL] = { "internal-error", WD_E_INTERNAL },
};
_Static_assert(sizeof(perrs) / sizeof(perrs[0]) == PE__MAX, "perr rows");

/* Key k of p: NULL when unset or empty. */
static const char *
kval(const struct wd_cfg *c, const struct prov *p, enum wd_cfgprov k)
{
	const char	*v;

	if (p->oidc != NULL)
		return wd_cfg_oidc_str(p->oidc, k);
	v = wd_cfg_str(c, (enum wd_cfgkey)(p->base + k));
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static const char *
pcfg(const struct wd_svc *s, const struct prov *p, enum wd_cfgprov k)
{
	return kval(&s->cfg, p, k);
}

/* The variable of key k of p, for a start-up message. */
static const char *
kname(const struct prov *p, enum wd_cfgprov k, char *buf, size_t bufsz)
{
	if (p->oidc == NULL)
		return wd_cfg_name((enum wd_cfgkey)(p->base + k));
	wd_cfg_oidc_name(p->oidc, k, buf, bufsz);
	return buf;
}

/* ---- small parsers (fuzzed: tests/fuzz/fuzz_provider.c) ---- */

enum wd_err
wd_provider_path(const char *p, size_t n, char *name, int *callback)
{
	size_t	 i;

	*callback = 0;
	for (i = 0; i < n && i < 33 && ((p[i] >= 'a' && p[i] <= 'z') ||
	    (p[i] >= '0' && p[i] <= '9')); i++)
		;
	if (i == 0 || i > 32)
		return WD_E_NOTFOUND;
	if (i < n) {
		if (n - i != sizeof("/callback") - 1 ||
		    memcmp(p + i, "/callback", n - i) != 0)
			return WD_E_NOTFOUND;
		*callback = 1;
	}
	memcpy(name, p, i);
	name[i] = '\0';
	return WD_OK;
}

enum wd_err
wd_provider_cookie(const char *hdr, const char *name, char *out,
    size_t outsz)
{
	size_t		 nl = strlen(name), vl;
	const char	*c = hdr, *e, *v;
	int		 found = 0;

	if (hdr == NULL)
		return WD_E_NOTFOUND;
	while (*c != '\0') {
		while (*c == ' ' || *c == '\t' || *c == ';')
			c++;
		e = strchr(c, ';');
		if (e == NULL)
			e = c + strlen(c);
		if ((size_t)(e - c) > nl && memcmp(c, name, nl) == 0 &&
		    c[nl] == '=') {
			/* a second copy (one set by a sibling domain) is
			 * refused, not chosen from */
			if (found)
				return WD_E_BADREQ;
			found = 1;
			v = c + nl + 1;
			vl = (size_t)(e - v);
			while (vl > 0 && (v[vl - 1] == ' ' ||
			    v[vl - 1] == '\t'))
				vl--;
			if (vl >= outsz)
				return WD_E_BADREQ;
			memcpy(out, v, vl);
			out[vl] = '\0';
		}
		c = e;
	}
	return found ? WD_OK : WD_E_NOTFOUND;
}

/* The length of the origin "scheme://host[:port]" of u, or 0 when u is
 * not an http(s) URL we accept. */
static size_t
origin_len(const char *u, size_t n)
{
	size_t	 i, s;

	if (n >= 8 && strncmp(u, "https://", 8) == 0)
		s = 8;
	else if (n >= 7 && strncmp(u, "http://", 7) == 0)
		s = 7;
	else
		return 0;
	for (i = s; i < n && u[i] != '/' && u[i] != '?' && u[i] != '#'; i++)
		if (u[i] == '@')	/* userinfo: "https://good@evil" */
			return 0;
	return i > s ? i : 0;
}

static int
entry_ok(const char *e, size_t en, const char *url, size_t un)
{
	size_t	 eo = origin_len(e, en), uo = origin_len(url, un);

	if (eo == 0 || eo != uo || strncasecmp(e, url, eo) != 0)
		return 0;
	/* the path: a prefix, ending at a segment boundary */
	if (un < en || memcmp(e + eo, url + eo, en - eo) != 0)
		return 0;
	if (en == eo || e[en - 1] == '/' || un == en)
		return 1;
	return url[en] == '/' || url[en] == '?' || url[en] == '#';
}

/* 1 if the path of url (origin at o) has a dot segment ("/../", "/.",
 * raw or %2e): browsers resolve them, so "/cb/../other" leaves the
 * allowed path that a prefix match saw. */
static int
dot_segment(const char *url, size_t o, size_t un)
{
	size_t	 i, d;

	for (i = o; i < un && url[i] != '?' && url[i] != '#'; ) {
		if (url[i++] != '/')
			continue;
		for (d = 0; i < un; d++) {
			if (url[i] == '.')
				i++;
			else if (i + 2 < un && url[i] == '%' &&
			    url[i + 1] == '2' && (url[i + 2] | 0x20) == 'e')
				i += 3;
			else
				break;
		}
		if (d > 0 && d <= 2 && (i == un || url[i] == '/' ||
		    url[i] == '?' || url[i] == '#'))
			return 1;
	}
	return 0;
}

/* 1 if the query or fragment of url names a parameter that the redirect
 * adds (refresh_token, mfa, ticket), plain or %-encoded: a client reading
 * the first one would take the link's, not ours. */
static int
own_param(const char *url, size_t un)
{
	static const char *const names[] = { "refresh_token", "mfa",
	    "ticket" };
	char		 name[16];
	size_t		 i, j, n, len;

	for (i = strcspn(url, "?#"); i < un; i += n) {
		i++;	/* past '?', '&' or '#' */
		n = strcspn(url + i, "=&#");
		/* a longer or malformed name is none of ours */
		if (wd_pct_decode(url + i, n, 1, name, sizeof(name) - 1,
		    &len) == WD_OK) {
			name[len] = '\0';
			for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
				if (strcmp(name, names[j]) == 0)
					return 1;
		}
		n += strcspn(url + i + n, "&#");
	}
	return 0;
}

int
wd_provider_redirect_ok(const char *list, const char *url)
{
	const char	*c, *e;
	size_t		 un, i, n;

	if (list == NULL || url == NULL)
		return 0;
	un = strlen(url);
	for (i = 0; i < un; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f ||
		    url[i] == '\\')
			return 0;
	if (dot_segment(url, origin_len(url, un), un) || own_param(url, un))
		return 0;
	for (c = list; *c != '\0'; c = *e == ',' ? e + 1 : e) {
		while (*c == ' ' || *c == '\t')
			c++;
		e = strchr(c, ',');
		if (e == NULL)
			e = c + strlen(c);
		n = (size_t)(e - c);
		while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t'))
			n--;
		if (n > 0 && entry_ok(c, n, url, un))
			return 1;
	}
	return 0;
}

/* ---- answers ---- */

/* Percent-encodes s for a query string or a form body. */
static void
add_enc(struct wd_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			(void)wd_buf_add(b, s, 1);
		else
			(void)wd_buf_addf(b, "%%%c%c", hex[c >> 4],
			    hex[c & 15]);
	}
}

/*
 * url with head (parameters, the last one's "name=") and value added to
 * its query, before any fragment: the SDK reads window.location.search,
 * and a fragment is never sent anywhere. value is [A-Za-z0-9-] (a code
 * from perrs, a uuid).
 */
static void
add_query(struct wd_buf *b, const char *url, const char *head,
    const char *value)
{
	size_t	 n = strcspn(url, "#");

	(void)wd_buf_add(b, url, n);
	(void)wd_buf_addf(b, "%c%s%s", memchr(url, '?', n) != NULL ? '&' :
	    '?', head, value);
	(void)wd_buf_adds(b, url + n);
}

static void
state_cookie(const struct wd_svc *s, struct wd_req *rq, struct wd_hdrs *h,
    const char *val)
{
	char	 c[256];

	/* Secure as the refresh cookie is, behind an https proxy too */
	snprintf(c, sizeof(c), WD_PROVIDER_COOKIE "=%s; Path=" PREFIX
	    "; Max-Age=%d; HttpOnly; SameSite=Lax%s", val, val[0] == '\0' ?
	    0 : WD_PROVIDER_STATE_SECS, wd_acct_https(s, rq) ? "; Secure" :
	    "");
	wd_hdrs_add(h, "Set-Cookie", c);
}

static void
redirect(struct wd_req *rq, struct wd_hdrs *h, const char *url)
{
	wd_hdrs_add(h, "Location", url);
	wd_http_send(rq, 302, h, NULL, NULL, 0);
}

/* API.md §5's error object, with our stable code (email-not-verified
 * is none of the error table's). */
static void
json_error(struct wd_req *rq, enum perr pe, const struct wd_hdrs *h)
{
	const struct wd_errinfo	*ei = wd_err_info(perrs[pe].e);
	char			 body[512];
	int			 n;

	n = snprintf(body, sizeof(body), "{\"statusCode\":%d,\"error\":"
	    "\"%s\",\"message\":\"Sign-in with the provider failed: %s\","
	    "\"code\":\"%s\"}", ei->status, wd_err_reason(ei->status),
	    perrs[pe].code, perrs[pe].code);
	if (n < 0 || (size_t)n >= sizeof(body))
		wd_http_error(rq, WD_E_INTERNAL, NULL);
	else
		wd_http_send(rq, ei->status, h, "application/json", body,
		    (size_t)n);
}

/* The failure answer: the failure URL with ?error=, else JSON. */
static enum wd_err
fail(struct wd_svc *s, struct wd_req *rq, const char *prov, enum perr pe)
{
	const char	*u;
	struct wd_hdrs	 h;
	struct wd_buf	 b;

	u = wd_cfg_str(&s->cfg, WD_CFG_PROVIDER_FAILURE_REDIRECT);
	wd_http_log(rq, WD_LOG_INFO, "provider", "sign-in failed provider=%s "
	    "code=%s", prov, perrs[pe].code);
	wd_hdrs_init(&h);
	state_cookie(s, rq, &h, "");
	if (u == NULL || u[0] == '\0') {
		json_error(rq, pe, &h);
		return WD_OK;
	}
	wd_buf_init(&b, WD_PROVIDER_MAX_REDIRECT + 64);
	add_query(&b, u, "error=", perrs[pe].code);
	if (wd_buf_status(&b) == WD_OK)
		redirect(rq, &h, wd_buf_str(&b));
	else
		wd_http_error(rq, WD_E_INTERNAL, NULL);
	wd_buf_cleanup(&b);
	return WD_OK;
}

/* WARDEN_SERVER_URL (or WARDEN_URL) + "/auth/providers/<p>/callback". */
static enum wd_err
callback_url(const struct wd_svc *s, const struct prov *p, char *out,
    size_t outsz)
{
	const char	*base = wd_cfg_str(&s->cfg, WD_CFG_SERVER_URL);
	int		 n;

	if (base == NULL || base[0] == '\0')
		base = wd_cfg_str(&s->cfg, WD_CFG_URL);
	if (base == NULL || base[0] == '\0')
		return WD_E_INTERNAL;
	n = snprintf(out, outsz, "%s" PREFIX "%s/callback", base, p->name);
	return n < 0 || (size_t)n >= outsz ? WD_E_INTERNAL : WD_OK;
}

/* ---- the provider's endpoints ---- */

/* Discovery for an OIDC provider (cached DISC_TTL), with the configured
 * endpoint overrides applied. */
/* Fetches the provider's JWKS into c (fetched at now). A failure also
 * forgets the discovery document, so the next sign-in starts over:
 * WD_E_UNAVAILABLE. */
static enum wd_err
jwks_load(struct cache *c, time_t now)
{
	struct wd_buf	 b;
	enum wd_err	 rc;

	wd_buf_init(&b, WD_OIDC_MAX_DOC);
	rc = wd_oidc_fetch(c->disc.jwks, NULL, NULL, &b);
	if (rc == WD_OK)
		rc = wd_oidc_jwks_parse(b.p, b.len, &c->jwks);
	wd_buf_cleanup(&b);
	if (rc != WD_OK) {
		c->disc_at = 0;
		return WD_E_UNAVAILABLE;
	}
	c->jwks.fetched = now;
	return WD_OK;
}

/*
 * Google with its three endpoints set and no issuer (API.md §5.2 lets
 * tests point the endpoints at a local server): there is then no
 * discovery document and no JWKS to check an ID token with, so the sign-in
 * is plain OAuth 2.0 and the profile comes from the userinfo endpoint
 * with the access token, as GoTrue reads Google's and as GitHub's is.
 * The profile then rests on the userinfo answer alone (no signature), so
 * only over TLS or from this host: wd_provider_check refuses any other
 * URL at start, and this checks it again.
 */
static int
by_userinfo(const struct wd_svc *s, const struct prov *p)
{
	const char	*ui = pcfg(s, p, WD_CFGP_USERINFO_URL);

	return p->kind == K_OIDC && p->oidc == NULL &&
	    pcfg(s, p, WD_CFGP_ISSUER) == NULL &&
	    pcfg(s, p, WD_CFGP_AUTHORIZE_URL) != NULL &&
	    pcfg(s, p, WD_CFGP_TOKEN_URL) != NULL && ui != NULL &&
	    wd_oidc_url_trusted(ui);
}

static enum wd_err
endpoints(struct wd_svc *s, const struct prov *p, struct cache *c,
    const char **authz, const char **token, const char **userinfo)
{
	const char	*iss = pcfg(s, p, WD_CFGP_ISSUER);
	char		 url[WD_OIDC_MAX_URL + 64];
	struct wd_buf	 b;
	enum wd_err	 rc = WD_OK;
	time_t		 now = time(NULL);
	int		 n;

	if (iss == NULL)
		iss = p->issuer;
	if (p->kind == K_OIDC && !by_userinfo(s, p) && (c->disc_at == 0 ||
	    now - c->disc_at > DISC_TTL)) {
		if (iss == NULL)
			return WD_E_INTERNAL;
		/* OIDC Discovery §4: issuer without a trailing slash */
		n = snprintf(url, sizeof(url), "%.*s/.well-known/"
		    "openid-configuration", (int)(strlen(iss) -
		    (iss[strlen(iss) - 1] == '/')), iss);
		if (n < 0 || (size_t)n >= sizeof(url))
			return WD_E_INTERNAL;
		wd_buf_init(&b, WD_OIDC_MAX_DOC);
		rc = wd_oidc_fetch(url, NULL, NULL, &b);
		if (rc == WD_OK)
			rc = wd_oidc_disc_parse(b.p, b.len, iss, &c->disc);
		wd_buf_cleanup(&b);
		if (rc == WD_OK)
			rc = jwks_load(c, now);
		if (rc != WD_OK) {
			c->disc_at = 0;
			return WD_E_UNAVAILABLE;
		}
		c->disc_at = now;
	}
	*authz = pcfg(s, p, WD_CFGP_AUTHORIZE_URL);
	*token = pcfg(s, p, WD_CFGP_TOKEN_URL);
	*userinfo = pcfg(s, p, WD_CFGP_USERINFO_URL);
	if (*authz == NULL)
		*authz = p->kind == K_OIDC ? c->disc.authorize : p->authorize;
	if (*token == NULL)
		*token = p->kind == K_OIDC ? c->disc.token : p->token;
	if (*userinfo == NULL)
		*userinfo = p->kind == K_OIDC ? c->disc.userinfo : p->userinfo;
	return rc;
}

static enum wd_err throttle(struct wd_svc *, const struct wd_client *,
		    const char *);

/* ---- GET /auth/providers/<p> ---- */

static enum wd_err
start(struct wd_svc *s, struct wd_req *rq, const struct prov *p,
    struct cache *c)
{
	char		 state[WD_OIDC_B64_RAND + 1];
	char		 ver[WD_OIDC_B64_RAND + 1];
	char		 chal[WD_OIDC_B64_RAND + 1];
	char		 nonce[WD_OIDC_B64_RAND + 1];
	char		 cb[WD_OIDC_MAX_URL + 64], secs[16];
	char		 to[WD_PROVIDER_MAX_REDIRECT + 1];
	const char	*az, *tk, *ui, *q[6];
	struct wd_client cl;
	struct wd_hdrs	 h;
	struct wd_buf	 b;
	enum wd_err	 rc;

	/* each start writes a row: requests per (route, address), as the
	 * other routes that take no credential */
	wd_acct_client(s, rq, &cl);
	rc = throttle(s, &cl, "provider_start");
	if (rc == WD_E_RATELIMIT)
		return fail(s, rq, p->name, PE_THROTTLED);
	if (rc != WD_OK)
		return rc;
	rc = wd_http_query(rq, "redirect_to", to, sizeof(to));
	if (rc == WD_E_NOTFOUND)
		to[0] = '\0';
	else if (rc != WD_OK || !wd_provider_redirect_ok(wd_cfg_str(&s->cfg,
	    WD_CFG_ALLOWED_REDIRECT_URLS), to))
		return fail(s, rq, p->name, PE_REDIRECT);
	if (callback_url(s, p, cb, sizeof(cb)) != WD_OK)
		return fail(s, rq, p->name, PE_INTERNAL);
	if (endpoints(s, p, c, &az, &tk, &ui) != WD_OK)
		return fail(s, rq, p->name, PE_UNAVAILABLE);
	if (wd_oidc_random(state) != WD_OK || wd_oidc_random(ver) != WD_OK ||
	    wd_oidc_random(nonce) != WD_OK ||
	    wd_oidc_pkce_s256(ver, chal) != WD_OK)
		return fail(s, rq, p->name, PE_INTERNAL);
	snprintf(secs, sizeof(secs), "%d", WD_PROVIDER_STATE_SECS);
	q[0] = state;
	q[1] = p->name;
	q[2] = ver;
	q[3] = nonce;
	q[4] = to[0] == '\0' ? NULL : to;
	q[5] = secs;
	rc = wd_db_exec(&s->db, "INSERT INTO auth.provider_requests "
	    "(state_hash, provider, verifier, nonce, redirect_to, expires_at) "
	    "VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5, now() + "
	    "make_interval(secs => $6::int))", 6, q, NULL);
	/* now and then, the abandoned ones go */
	if (rc == WD_OK && state[0] < 'C')
		(void)wd_db_exec(&s->db, "DELETE FROM auth.provider_requests "
		    "WHERE expires_at < now()", 0, NULL, NULL);
	if (rc != WD_OK)
		return rc == WD_E_DBDOWN ? rc : fail(s, rq, p->name,
		    PE_INTERNAL);
	wd_buf_init(&b, WD_MAX_RESP_HEADERS - 512);
	(void)wd_buf_adds(&b, az);
	(void)wd_buf_adds(&b, strchr(az, '?') ? "&" : "?");
	(void)wd_buf_adds(&b, "response_type=code&client_id=");
	add_enc(&b, pcfg(s, p, WD_CFGP_CLIENT_ID));
	(void)wd_buf_adds(&b, "&redirect_uri=");
	add_enc(&b, cb);
	(void)wd_buf_adds(&b, "&scope=");
	add_enc(&b, p->scope);
	(void)wd_buf_addf(&b, "&state=%s&code_challenge=%s"
	    "&code_challenge_method=S256", state, chal);
	if (p->kind == K_OIDC)
		(void)wd_buf_addf(&b, "&nonce=%s", nonce);
	wd_hdrs_init(&h);
	state_cookie(s, rq, &h, state);
	if (wd_buf_status(&b) == WD_OK)
		redirect(rq, &h, wd_buf_str(&b));
	else
		rc = fail(s, rq, p->name, PE_INTERNAL);
	wd_buf_cleanup(&b);
	explicit_bzero(ver, sizeof(ver));
	return WD_OK;
}

/* ---- GET /auth/providers/<p>/callback ---- */

/* What the callback took from the database for its state. */
struct pending {
	char	 verifier[WD_OIDC_B64_RAND + 1];
	char	 nonce[WD_OIDC_B64_RAND + 1];
	char	 to[WD_PROVIDER_MAX_REDIRECT + 1];
};

/* Takes the sign-in of state (once: the row goes). WD_E_UNAUTH when
 * unknown, of another provider or expired. */
static enum wd_err
take_state(struct wd_svc *s, const struct prov *p, const char *state,
    struct pending *pd)
{
	const char	*q[2] = { state, p->name };
	struct wd_dbres	*res = NULL;
	enum wd_err	 rc;

	rc = wd_db_exec(&s->db, "DELETE FROM auth.provider_requests WHERE "
	    "state_hash = sha256(convert_to($1, 'UTF8')) AND provider = $2 "
	    "RETURNING verifier, nonce, redirect_to, expires_at > now()", 2, q,
	    &res);
	if (rc == WD_OK && (wd_db_rows(res) != 1 || !wd_db_bool(res, 0, 3)))
		rc = WD_E_UNAUTH;
	if (rc == WD_OK) {
		snprintf(pd->verifier, sizeof(pd->verifier), "%s",
		    wd_db_val(res, 0, 0));
		snprintf(pd->nonce, sizeof(pd->nonce), "%s",
		    wd_db_val(res, 0, 1));
		snprintf(pd->to, sizeof(pd->to), "%s", wd_db_null(res, 0, 2) ?
		    "" : wd_db_val(res, 0, 2));
	}
	wd_db_free(res);
	return rc;
}

/* Exchanges code (RFC 6749 §4.1.3, RFC 7636 §4.5) into *access and, for
 * OIDC, *idtok. */
static enum wd_err
exchange(struct wd_svc *s, const struct prov *p, const char *tk,
    const char *code, const char *cb, const struct pending *pd,
    char **access, char **idtok)
{
	struct wd_buf	 f, b;
	const char	*sec = pcfg(s, p, WD_CFGP_CLIENT_SECRET);
	enum wd_err	 rc;

	wd_buf_init(&f, 8192);
	wd_buf_init(&b, WD_OIDC_MAX_DOC);
	(void)wd_buf_adds(&f, "grant_type=authorization_code&code=");
	add_enc(&f, code);
	(void)wd_buf_adds(&f, "&redirect_uri=");
	add_enc(&f, cb);
	(void)wd_buf_adds(&f, "&client_id=");
	add_enc(&f, pcfg(s, p, WD_CFGP_CLIENT_ID));
	if (sec != NULL) {
		(void)wd_buf_adds(&f, "&client_secret=");
		add_enc(&f, sec);
	}
	(void)wd_buf_addf(&f, "&code_verifier=%s", pd->verifier);
	rc = wd_buf_status(&f);
	if (rc == WD_OK)
		rc = wd_oidc_fetch(tk, wd_buf_str(&f), NULL, &b);
	if (rc == WD_OK)
		rc = wd_oidc_token_parse(b.p, b.len, access, idtok);
	else if (rc != WD_E_UNAVAILABLE)
		rc = WD_E_BADREQ;
	if (f.p != NULL)
		explicit_bzero(f.p, f.len);
	wd_buf_cleanup(&f);
	wd_buf_cleanup(&b);
	return rc;
}

/* The profile behind an OIDC sign-in: the verified ID token. */
static enum wd_err
oidc_profile(struct wd_svc *s, const struct prov *p, struct cache *c,
    const char *idtok, const struct pending *pd,
    struct wd_oidc_profile *prof)
{
	struct wd_oidc_expect	 e;
	const char		*iss = pcfg(s, p, WD_CFGP_ISSUER);
	enum wd_err		 rc;

	if (idtok == NULL)
		return WD_E_BADTOKEN;
	e.iss = iss != NULL ? iss : p->issuer;
	e.iss2 = iss != NULL ? NULL : p->iss2;
	e.aud = pcfg(s, p, WD_CFGP_CLIENT_ID);
	e.nonce = pd->nonce;
	e.now = time(NULL);
	rc = wd_oidc_idtoken_verify(&c->jwks, idtok, strlen(idtok), &e, prof);
	if (rc != WD_E_NOTFOUND || e.now - c->jwks.fetched < JWKS_MIN_AGE)
		return rc;
	/* an unknown kid: the provider may have rotated its keys */
	rc = jwks_load(c, e.now);
	if (rc != WD_OK)
		return rc;
	return wd_oidc_idtoken_verify(&c->jwks, idtok, strlen(idtok), &e,
	    prof);
}

/* GitHub: GET /user and GET /user/emails with the access token. */
static enum wd_err
github_profile(const char *ui, const char *access,
    struct wd_oidc_profile *prof)
{
	char		 url[WD_OIDC_MAX_URL + 16];
	struct wd_buf	 b;
	enum wd_err	 rc;
	int		 n;

	n = snprintf(url, sizeof(url), "%s/emails", ui);
	if (n < 0 || (size_t)n >= sizeof(url))
		return WD_E_INTERNAL;
	wd_buf_init(&b, WD_OIDC_MAX_DOC);
	rc = wd_oidc_fetch(ui, NULL, access, &b);
	if (rc == WD_OK)
		rc = wd_oidc_github_user(b.p, b.len, prof);
	if (rc == WD_OK)
		rc = wd_oidc_fetch(url, NULL, access, &b);
	if (rc == WD_OK)
		rc = wd_oidc_github_emails(b.p, b.len, prof);
	wd_buf_cleanup(&b);
	return rc;
}

/* An OpenID Connect userinfo endpoint, with the access token. */
static enum wd_err
userinfo_profile(const char *ui, const char *access,
    struct wd_oidc_profile *prof)
{
	struct wd_buf	 b;
	enum wd_err	 rc;

	wd_buf_init(&b, WD_OIDC_MAX_DOC);
	rc = wd_oidc_fetch(ui, NULL, access, &b);
	if (rc == WD_OK)
		rc = wd_oidc_userinfo(b.p, b.len, prof);
	wd_buf_cleanup(&b);
	return rc;
}

/* The callback's throttle, as login's (wd_acct_throttle). */
static enum wd_err
throttle(struct wd_svc *s, const struct wd_client *cl, const char *route)
{
	long	 left;

	return wd_acct_throttle(s, route, cl->bucket, &left);
}

/* A failed callback: counted against the address, audited, answered. */
static enum wd_err
cb_fail(struct wd_svc *s, struct wd_req *rq, const struct wd_client *cl,
    const struct prov *p, enum perr pe)
{
	char	 ev[64];

	if (pe != PE_UNAVAILABLE && pe != PE_THROTTLED)
		wd_acct_failed(s, cl->bucket);
	snprintf(ev, sizeof(ev), "provider_failed:%s", perrs[pe].code);
	(void)wd_acct_audit(s, cl, ev, NULL);
	return fail(s, rq, p->name, pe);
}

static enum wd_err
callback(struct wd_svc *s, struct wd_req *rq, const struct prov *p,
    struct cache *c)
{
	struct wd_client	 cl;
	struct pending		 pd;
	struct wd_oidc_profile	 prof = { 0 };
	struct wd_sess		 o = { 0 };
	struct wd_hdrs		 h;
	struct wd_buf		 b;
	enum wd_ident_how	 how;
	char			 qs[WD_OIDC_B64_RAND + 2];
	char			 cs[WD_OIDC_B64_RAND + 2];
	char			 code[WD_PROVIDER_MAX_CODE + 1];
	char			 cb[WD_OIDC_MAX_URL + 64];
	char			*access = NULL, *idtok = NULL;
	const char		*az, *tk, *ui, *to;
	enum perr		 pe = PE_INTERNAL;
	enum wd_err		 rc;
	int			 sent = 0, idt;

	memset(&pd, 0, sizeof(pd));
	wd_acct_client(s, rq, &cl);
	rc = throttle(s, &cl, "provider_callback");
	if (rc == WD_E_RATELIMIT)
		return cb_fail(s, rq, &cl, p, PE_THROTTLED);
	if (rc != WD_OK)
		return rc;
	/* the state: in the query, in our cookie, equal, and ours once */
	if (wd_http_query(rq, "state", qs, sizeof(qs)) != WD_OK ||
	    wd_provider_cookie(wd_http_param(rq, "HTTP_COOKIE"),
	    WD_PROVIDER_COOKIE, cs, sizeof(cs)) != WD_OK ||
	    !wd_ct_eq(qs, strlen(qs), cs, strlen(cs)))
		return cb_fail(s, rq, &cl, p, PE_STATE);
	rc = take_state(s, p, qs, &pd);
	if (rc == WD_E_DBDOWN)
		return rc;
	if (rc != WD_OK)
		return cb_fail(s, rq, &cl, p, PE_STATE);
	/* RFC 6749 §4.1.2.1: the user said no, or the provider failed */
	if (wd_http_query(rq, "error", code, sizeof(code)) != WD_E_NOTFOUND)
		return cb_fail(s, rq, &cl, p, PE_DENIED);
	if (wd_http_query(rq, "code", code, sizeof(code)) != WD_OK ||
	    code[0] == '\0')
		return cb_fail(s, rq, &cl, p, PE_REQUEST);
	if (callback_url(s, p, cb, sizeof(cb)) != WD_OK)
		goto out;
	pe = PE_UNAVAILABLE;
	if (endpoints(s, p, c, &az, &tk, &ui) != WD_OK)
		goto out;
	rc = exchange(s, p, tk, code, cb, &pd, &access, &idtok);
	if (rc != WD_OK) {
		pe = rc == WD_E_UNAVAILABLE ? PE_UNAVAILABLE : PE_DENIED;
		goto out;
	}
	idt = p->kind == K_OIDC && !by_userinfo(s, p);
	if (idt)
		rc = oidc_profile(s, p, c, idtok, &pd, &prof);
	else if (ui == NULL)
		rc = WD_E_INTERNAL;
	else if (p->kind == K_OIDC)
		rc = userinfo_profile(ui, access, &prof);
	else
		rc = github_profile(ui, access, &prof);
	/* the provider's tokens are not kept */
	if (rc != WD_OK) {
		pe = rc == WD_E_UNAVAILABLE ? PE_UNAVAILABLE : idt ? PE_TOKEN :
		    PE_DENIED;
		goto out;
	}
	rc = wd_ident_signin(s, &cl, p->name, &prof, &o, &how);
	if (rc == WD_E_DBDOWN)
		goto out;
	pe = rc == WD_E_CONFLICT ? PE_EMAIL : rc == WD_E_FORBIDDEN ?
	    PE_DISABLED : rc == WD_E_UNPROCESSABLE ? PE_MFA : PE_INTERNAL;
	if (rc != WD_OK)
		goto out;
	to = pd.to[0] != '\0' ? pd.to : wd_cfg_str(&s->cfg,
	    WD_CFG_PROVIDER_SUCCESS_REDIRECT);
	wd_hdrs_init(&h);
	state_cookie(s, rq, &h, "");
	wd_buf_init(&b, WD_PROVIDER_MAX_REDIRECT + 128);
	if (to == NULL || to[0] == '\0') {
		pe = PE_INTERNAL;
		rc = WD_E_INTERNAL;
	} else {
		/* two-factor: the login's {mfa, ticket}, as query */
		if (o.mfa_ticket[0] != '\0')
			add_query(&b, to, "mfa=true&ticket=", o.mfa_ticket);
		else
			add_query(&b, to, "refresh_token=", o.refresh);
		rc = wd_buf_status(&b);
	}
	if (rc == WD_OK) {
		wd_http_log(rq, WD_LOG_INFO, "provider", "signed in "
		    "provider=%s user_id=%s how=%d", p->name, o.user_id,
		    (int)how);
		redirect(rq, &h, wd_buf_str(&b));
		sent = 1;
	}
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	wd_buf_cleanup(&b);
out:
	if (access != NULL)
		wd_freezero(access, strlen(access));
	if (idtok != NULL)
		wd_freezero(idtok, strlen(idtok));
	wd_oidc_profile_cleanup(&prof);
	wd_sess_cleanup(&o);
	explicit_bzero(&pd, sizeof(pd));
	explicit_bzero(code, sizeof(code));
	if (sent)
		return WD_OK;
	if (rc == WD_E_DBDOWN)
		return rc;
	return cb_fail(s, rq, &cl, p, pe);
}

static int
url_ok(const char *u)
{
	return u == NULL || u[0] == '\0' || origin_len(u, strlen(u)) > 0;
}

/* One line into err: the variable of key k of p, what is wrong, and the
 * variable of key wk of with when that is not NULL. WD_E_CONFIG. */
static enum wd_err
bad(const struct prov *p, enum wd_cfgprov k, const char *what,
    const struct prov *with, enum wd_cfgprov wk, char *err, size_t errsz)
{
	char	 a[96], b[96];

	if (with == NULL)
		snprintf(err, errsz, "%s: %s", kname(p, k, a, sizeof(a)),
		    what);
	else
		snprintf(err, errsz, "%s: %s %s", kname(p, k, a, sizeof(a)),
		    what, kname(with, wk, b, sizeof(b)));
	return WD_E_CONFIG;
}

/* Checks provider p; *on set when it is configured. */
static enum wd_err
check_one(const struct wd_cfg *c, const struct prov *p, int *on,
    char *err, size_t errsz)
{
	enum wd_cfgprov	 k, first = WD_CFGP__MAX;
	const char	*v;

	for (k = 0; k < WD_CFGP__MAX; k++)
		if (kval(c, p, k) != NULL && first == WD_CFGP__MAX)
			first = k;
	/* a built-in provider is on with its client id; a generic one with
	 * any of its variables, so that half of one (a misspelt <P>) is
	 * not silently ignored */
	*on = kval(c, p, WD_CFGP_CLIENT_ID) != NULL ||
	    (p->oidc != NULL && first != WD_CFGP__MAX);
	/* GitHub is OAuth 2.0: an issuer for it is a generic provider
	 * given GitHub's name */
	if (p->kind == K_GITHUB && kval(c, p, WD_CFGP_ISSUER) != NULL)
		return bad(p, WD_CFGP_ISSUER, "github is built in (OAuth 2.0, "
		    "no issuer); name an OpenID Connect provider otherwise",
		    NULL, 0, err, errsz);
	if (!*on)
		return WD_OK;
	if (kval(c, p, WD_CFGP_CLIENT_ID) == NULL)
		return bad(p, WD_CFGP_CLIENT_ID, "required with", p, first, err,
		    errsz);
	for (k = WD_CFGP_ISSUER; k <= WD_CFGP_USERINFO_URL; k++) {
		v = kval(c, p, k);
		if (!url_ok(v))
			return bad(p, k, "must be an http:// or https:// URL "
			    "with a host", NULL, 0, err, errsz);
		/* the client secret, the code and the tokens travel there
		 * (the sign-in page: the user's password) */
		if (v != NULL && v[0] != '\0' && !wd_oidc_url_trusted(v))
			return bad(p, k, "must be https:// (http:// only to "
			    "this host: 127.x, localhost, [::1])", NULL, 0,
			    err, errsz);
	}
	if (p->kind == K_OIDC && p->issuer == NULL &&
	    kval(c, p, WD_CFGP_ISSUER) == NULL)
		return bad(p, WD_CFGP_ISSUER, "required with", p,
		    WD_CFGP_CLIENT_ID, err, errsz);
	/* a generic provider may be a public client (PKCE alone) */
	if (p->oidc == NULL && kval(c, p, WD_CFGP_CLIENT_SECRET) == NULL)
		return bad(p, WD_CFGP_CLIENT_SECRET, "required with", p,
		    WD_CFGP_CLIENT_ID, err, errsz);
	return WD_OK;
}

enum wd_err
wd_provider_check(const struct wd_cfg *c, char *err, size_t errsz)
{
	struct prov	 p;
	enum wd_cfgkey	 k;
	const char	*v, *e;
	size_t		 i, n;
	int		 on, any = 0;

	for (i = 0; prov_at(c, i, &p); i++) {
		if (check_one(c, &p, &on, err, errsz) != WD_OK)
			return WD_E_CONFIG;
		any |= on;
	}
	if (!any)
		return WD_OK;
	v = wd_cfg_str(c, WD_CFG_SERVER_URL);
	if (v == NULL || v[0] == '\0')
		v = wd_cfg_str(c, WD_CFG_URL);
	k = WD_CFG_SERVER_URL;
	if (v == NULL || origin_len(v, strlen(v)) == 0)
		goto bad_url;
	k = WD_CFG_PROVIDER_SUCCESS_REDIRECT;
	v = wd_cfg_str(c, k);
	if (v == NULL || origin_len(v, strlen(v)) == 0)
		goto bad_url;
	k = WD_CFG_PROVIDER_FAILURE_REDIRECT;
	if (!url_ok(wd_cfg_str(c, k)))
		goto bad_url;
	k = WD_CFG_ALLOWED_REDIRECT_URLS;
	for (v = wd_cfg_str(c, k); v != NULL && *v != '\0';
	    v = *e == ',' ? e + 1 : e) {
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strcspn(v, ",");
		n = (size_t)(e - v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n > 0 && origin_len(v, n) == 0)
			goto bad_url;
	}
	return WD_OK;
bad_url:
	snprintf(err, errsz, "%s: must be an http:// or https:// URL with a "
	    "host", wd_cfg_name(k));
	return WD_E_CONFIG;
}

enum wd_err
wd_provider_serve(void *ctx, struct wd_req *rq, const void *arg)
{
	struct wd_svc	*s = ctx;
	struct prov	 p;
	char		 name[WD_CFG_OIDC_NAME + 1];
	int		 cbk;
	size_t		 i, pl = sizeof(PREFIX) - 1;

	(void)arg;
	/* GET only: both routes have effects (a state row, a sign-in) */
	if (strcmp(rq->method, "GET") != 0)
		return WD_E_METHOD;
	if (rq->path_len < pl || memcmp(rq->uri, PREFIX, pl) != 0 ||
	    wd_provider_path(rq->uri + pl, rq->path_len - pl, name, &cbk) !=
	    WD_OK)
		return WD_E_NOTFOUND;
	for (i = 0; prov_at(&s->cfg, i, &p); i++)
		/* an unconfigured provider does not exist */
		if (strcmp(p.name, name) == 0 &&
		    pcfg(s, &p, WD_CFGP_CLIENT_ID) != NULL)
			return cbk ? callback(s, rq, &p, &caches[i]) :
			    start(s, rq, &p, &caches[i]);
	return WD_E_NOTFOUND;
}
