"""Issue 12: sign-in with GitHub, Google and any OpenID Connect provider
(API.md §5.2), against the test provider of idp.py on 127.0.0.1 and npm
oidc-provider: the authorization code flow with PKCE, state bound to a
cookie, nonce; ID token checks; any number of generic providers, each
found by its WARDEN_PROVIDER_<P>_ISSUER; accounts, linking by verified
email only; redirects; a provider that is down. Most tests use the
generic provider OIDC (route oidc); others add KEYCLOAK and CORP."""
import contextlib
import http.client
import json
import time
import urllib.parse
import uuid

from stack import early_in

try:
    from idp import IdP
except ImportError as _e:    # python3-cryptography (Makefile DEBS) missing
    _why = str(_e)

    def IdP(*_a, **_k):
        raise RuntimeError("tests/e2e/idp.py needs python3-cryptography: " +
                           _why)

SUCCESS = "http://app.test/signed-in"
FAILURE = "http://app.test/failed"


def generic(name, idp):
    """The variables of generic provider <name> at idp (None: unset)."""
    v = (idp.client_id, idp.client_secret, idp.url) if idp else (None,) * 3
    return {"WARDEN_PROVIDER_%s_CLIENT_ID" % name: v[0],
            "WARDEN_PROVIDER_%s_CLIENT_SECRET" % name: v[1],
            "WARDEN_PROVIDER_%s_ISSUER" % name: v[2]}


def configure(t, idp, **extra):
    env = dict(
        WARDEN_PROVIDER_OIDC_CLIENT_ID=idp.client_id,
        WARDEN_PROVIDER_OIDC_CLIENT_SECRET=idp.client_secret,
        WARDEN_PROVIDER_OIDC_ISSUER=idp.url,
        WARDEN_PROVIDER_GITHUB_CLIENT_ID=idp.client_id,
        WARDEN_PROVIDER_GITHUB_CLIENT_SECRET=idp.client_secret,
        WARDEN_PROVIDER_GITHUB_AUTHORIZE_URL=idp.url +
        "/login/oauth/authorize",
        WARDEN_PROVIDER_GITHUB_TOKEN_URL=idp.url +
        "/login/oauth/access_token",
        WARDEN_PROVIDER_GITHUB_USERINFO_URL=idp.url + "/user",
        WARDEN_PROVIDER_SUCCESS_REDIRECT=SUCCESS,
        WARDEN_PROVIDER_FAILURE_REDIRECT=FAILURE,
        WARDEN_ALLOWED_REDIRECT_URLS="http://app.test/ok/, "
        "http://localhost:3000/app")
    env.update(extra)
    t.s.reconfigure(**env)


@contextlib.contextmanager
def provider(t, **extra):
    """A local IdP (tests/e2e/idp.py) that the stack is configured for
    (configure()), closed on the way out."""
    idp = IdP()
    try:
        configure(t, idp, **extra)
        yield idp
    finally:
        idp.close()


def oidc_user(verified=True, email=None):
    sub = str(uuid.uuid4())
    return {"sub": sub, "email": email or "oidc-%s@example.com" % sub[:8],
            "email_verified": verified, "name": "Olga OIDC",
            "picture": "https://img.example/olga.png"}


def gh_user(verified=True, email=None):
    n = int(time.time() * 1000) % 10**9
    e = email or "gh-%d@example.com" % n
    return {"id": n, "login": "octo%d" % n, "name": "Octo Cat",
            "picture": "https://avatars.example/octo.png",
            "emails": [{"email": "other-%d@example.com" % n,
                        "primary": False, "verified": True},
                       {"email": e, "primary": True, "verified": verified}]}


def idp_get(url):
    """One GET to the provider, redirects not followed."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", u.path + ("?" + u.query if u.query else ""))
    r = c.getresponse()
    r.read()
    loc = r.getheader("Location")
    c.close()
    return r.status, loc


def start(s, prov="oidc", query=""):
    st, h, _ = s.request("GET", "/auth/providers/%s%s" % (prov, query))
    cookie = (h.get("set-cookie") or "").split(";")[0]
    return st, h.get("location") or "", cookie, h.get("set-cookie") or ""


def callback(s, cb, cookie):
    u = urllib.parse.urlsplit(cb)
    hdrs = {"Cookie": cookie} if cookie else {}
    st, h, _ = s.request("GET", u.path + "?" + u.query, hdrs)
    return st, h.get("location") or ""


def signin(s, prov="oidc", query=""):
    """The whole dance; returns (status, final Location, callback URL,
    cookie)."""
    st, loc, cookie, _ = start(s, prov, query)
    if st != 302:
        return st, loc, None, cookie
    st, cb = idp_get(loc)
    if st != 302:
        return st, cb, None, cookie
    st, fin = callback(s, cb, cookie)
    return st, fin, cb, cookie


def qparam(url, name):
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    return q.get(name)


def refresh(s, rt):
    st, _, b = s.request("GET", "/auth/token/refresh?refresh_token=" + rt)
    try:
        b = json.loads(b)
    except ValueError:
        b = None
    return st, b


def one(s, sql):
    return s.psql(sql).stdout.strip()


def test_oidc_signin(t):
    s = t.s
    with provider(t) as idp:
        u = oidc_user()
        idp.user = u
        st, loc, cookie, sc = start(s)
        t.check("start: 302", st == 302, (st, loc))
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        t.check("...to the discovered authorization endpoint",
                loc.startswith(idp.url + "/authorize?"), loc)
        t.check("...with state, nonce, PKCE S256 and our callback",
                len(q.get("state", "")) >= 43 and
                len(q.get("nonce", "")) >= 43 and
                q.get("code_challenge_method") == "S256" and
                len(q.get("code_challenge", "")) == 43 and
                q.get("redirect_uri") == s.url +
                "/auth/providers/oidc/callback" and
                "openid" in q.get("scope", ""), q)
        t.check("...state cookie HttpOnly, short-lived, path-bound",
                "HttpOnly" in sc and "Max-Age=600" in sc and
                "Path=/auth/providers/" in sc and
                cookie == "wd_oauth_state=" + q.get("state", ""), sc)
        st, cb = idp_get(loc)
        st, fin = callback(s, cb, cookie)
        rt = qparam(fin, "refresh_token")
        t.check("callback: 302 to the success URL with a refresh token",
                st == 302 and fin.startswith(SUCCESS + "?refresh_token=")
                and rt is not None, (st, fin))
        if rt is None:
            return
        uid = one(s, "SELECT a.user_id FROM auth.identities i JOIN "
                  "auth.accounts a ON a.id = i.account_id WHERE "
                  "i.provider = 'oidc' AND i.subject = '%s'" % u["sub"])
        t.check("an identity row for (provider, subject)", len(uid) == 36,
                uid)
        row = one(s, "SELECT a.active, a.email, a.password_hash IS NULL, "
                  "a.default_role, u.display_name, u.avatar_url FROM "
                  "auth.accounts a JOIN public.users u ON u.id = a.user_id "
                  "WHERE a.user_id = '%s'" % uid)
        t.check("new account: active, email, default role, name, avatar",
                row == "t|%s|t|user|Olga OIDC|https://img.example/olga.png"
                % u["email"], row)
        t.check("audit row provider_register",
                one(s, "SELECT count(*) FROM auth.audit_log WHERE event = "
                    "'provider_register' AND user_id = '%s'" % uid) == "1")
        t.check("the URL token expires within 60 s and is single-use",
                one(s, "SELECT expires_at <= now() + interval '61 s' AND "
                    "single_use FROM auth.refresh_tokens r JOIN "
                    "auth.accounts a ON a.id = r.account_id WHERE "
                    "a.user_id = '%s'" % uid) == "t")
        st, b = refresh(s, rt)
        t.check("the URL token refreshes into a session", st == 200 and
                b and b.get("jwt_token") and b["user"]["id"] == uid, (st, b))
        st2, _ = refresh(s, rt)
        t.check("...once: replayed at once it is refused", st2 == 401, st2)
        if b and b.get("refresh_token"):
            st3, _ = refresh(s, b["refresh_token"])
            t.check("...and its reuse revoked the session", st3 == 401, st3)
        t.check("no provider token kept: no state row left",
                one(s, "SELECT count(*) FROM auth.provider_requests WHERE "
                    "provider = 'oidc' AND expires_at > now()") == "0")
        # the replayed callback (same state, same code)
        st, fin2 = callback(s, cb, cookie)
        t.check("replayed callback: failure redirect invalid-state",
                st == 302 and fin2 == FAILURE + "?error=invalid-state",
                (st, fin2))

        # second sign-in: the same account
        st, fin, _, _ = signin(s)
        rt2 = qparam(fin, "refresh_token")
        t.check("second sign-in: success", st == 302 and rt2, (st, fin))
        st, b = refresh(s, rt2 or "x")
        t.check("...into the same account", st == 200 and
                b["user"]["id"] == uid, (st, b))
        t.check("...no second account or identity",
                one(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                    "'%s'" % u["email"]) == "1" and
                one(s, "SELECT count(*) FROM auth.identities WHERE "
                    "subject = '%s'" % u["sub"]) == "1")
        t.check("...audit provider_signin",
                one(s, "SELECT count(*) FROM auth.audit_log WHERE event = "
                    "'provider_signin' AND user_id = '%s'" % uid) == "1")

        # ES256 key
        idp.sign_with = idp.keys[1]
        idp.user = oidc_user()
        st, fin, _, _ = signin(s)
        t.check("an ES256 ID token (P-256 JWK) signs in",
                st == 302 and qparam(fin, "refresh_token"), (st, fin))
        idp.sign_with = idp.keys[0]


def test_google_by_userinfo(t):
    """Google with only its three endpoints set (API.md §5.2: tests point
    them at a local server) and no issuer: no discovery, no ID token;
    the profile comes from the userinfo endpoint (OIDC's fields, or
    Google's v2 ones)."""
    s = t.s
    with provider(t) as idp:
        configure(t, idp, WARDEN_PROVIDER_GOOGLE_CLIENT_ID=idp.client_id,
                  WARDEN_PROVIDER_GOOGLE_CLIENT_SECRET=idp.client_secret,
                  WARDEN_PROVIDER_GOOGLE_AUTHORIZE_URL=idp.url +
                  "/authorize",
                  WARDEN_PROVIDER_GOOGLE_TOKEN_URL=idp.url + "/token",
                  WARDEN_PROVIDER_GOOGLE_USERINFO_URL=idp.url + "/userinfo")
        u = oidc_user()
        idp.user = u
        st, loc, cookie, _ = start(s, "google")
        t.check("start: 302 to the configured authorize URL",
                st == 302 and loc.startswith(idp.url + "/authorize?"),
                (st, loc))
        st, fin, _, _ = signin(s, "google")
        rt = qparam(fin, "refresh_token")
        t.check("sign-in: 302 to the success URL with a refresh token",
                st == 302 and fin.startswith(SUCCESS + "?") and rt,
                (st, fin))
        t.check("...no discovery document fetched",
                ("GET", "/.well-known/openid-configuration") not in
                idp.requests, idp.requests)
        row = one(s, "SELECT a.email, a.email_verified, u.display_name "
                  "FROM auth.identities i JOIN auth.accounts a ON a.id = "
                  "i.account_id JOIN public.users u ON u.id = a.user_id "
                  "WHERE i.provider = 'google' AND i.subject = '%s'" %
                  u["sub"])
        t.check("an account from the userinfo profile, email verified",
                row == "%s|t|Olga OIDC" % u["email"], row)
        st, b = refresh(s, rt or "x")
        t.check("...whose URL token refreshes into a session",
                st == 200 and b and b.get("jwt_token"), (st, b))
        idp.userinfo_v2 = True
        u2 = oidc_user(verified=False)
        idp.user = u2
        st, fin, _, _ = signin(s, "google")
        row = one(s, "SELECT a.email IS NULL, a.email_verified FROM "
                  "auth.identities i JOIN auth.accounts a ON a.id = "
                  "i.account_id WHERE i.provider = 'google' AND "
                  "i.subject = '%s'" % u2["sub"])
        t.check("Google's v2 userinfo (id, verified_email false): signed "
                "in, the unverified address not taken",
                st == 302 and qparam(fin, "refresh_token") and row == "t|f",
                (st, fin, row))
        idp.userinfo_v2 = False
        idp.user = oidc_user()
        idp.userinfo_drop = ("sub",)
        st, fin, _, _ = signin(s, "google")
        t.check("a userinfo answer without sub: provider-denied",
                st == 302 and fin == FAILURE + "?error=provider-denied",
                (st, fin))


def register(s, addr, pw="correct horse 1"):
    """Registers addr; (status, body), the refresh token in the body."""
    st, _, b = s.request("POST", "/auth/register", {
        "Content-Type": "application/json"},
        json.dumps({"email": addr, "password": pw, "cookie": False}))
    return st, json.loads(b or b"null")


def login_status(s, addr, pw="correct horse 1"):
    return s.request("POST", "/auth/login", {
        "Content-Type": "application/json"},
        json.dumps({"email": addr, "password": pw}))[0]


def audits(s, uid, event):
    return one(s, "SELECT count(*) FROM auth.audit_log WHERE event = '%s' "
               "AND user_id = '%s'" % (event, uid))


def test_oidc_link_and_refuse(t):
    """Linking by verified email: refused when the provider did not
    verify it; an account whose address was proven keeps its password
    and sessions."""
    from test_lifecycle import wait_mail
    s = t.s
    # an account whose address was proven: activated by its ticket
    with provider(t, WARDEN_AUTO_ACTIVATE="false") as idp:
        e1 = "link-%s@example.com" % uuid.uuid4().hex[:8]
        st, _ = register(s, e1)
        m = wait_mail(s, e1, "Confirm")
        t.check("setup: registered, activation mail", st == 200 and m, st)
        if not m:
            return
        st, _, _ = s.request("POST", "/auth/activate", {
            "Content-Type": "application/json"},
            json.dumps({"ticket": m["headers"]["x-ticket"]}))
        uid = one(s, "SELECT user_id FROM auth.accounts WHERE email = "
                  "'%s'" % e1)
        t.check("activated by ticket: email_verified", st == 200 and
                one(s, "SELECT email_verified FROM auth.accounts WHERE "
                    "email = '%s'" % e1) == "t", st)
        st, _, b0 = s.request("POST", "/auth/login", {
            "Content-Type": "application/json"},
            json.dumps({"email": e1, "password": "correct horse 1",
                        "cookie": False}))
        rt0 = json.loads(b0)["refresh_token"] if st == 200 else "x"
        idp.user = oidc_user(verified=False, email=e1.upper())
        st, fin, _, _ = signin(s)
        t.check("unverified email colliding with an account: "
                "email-not-verified", st == 302 and
                fin == FAILURE + "?error=email-not-verified", (st, fin))
        t.check("...nothing merged, no identity",
                one(s, "SELECT count(*) FROM auth.identities WHERE "
                    "subject = '%s'" % idp.user["sub"]) == "0")
        idp.user = oidc_user(verified=True, email=e1)
        st, fin, _, _ = signin(s)
        rt = qparam(fin, "refresh_token")
        t.check("verified email: linked", st == 302 and rt, (st, fin))
        st, b = refresh(s, rt or "x")
        t.check("...to the existing account", st == 200 and
                b["user"]["id"] == uid, (st, b))
        t.check("...audit provider_link, no reclaim",
                audits(s, uid, "provider_link") == "1" and
                audits(s, uid, "provider_reclaim") == "0")
        t.check("...the proven account's password still works",
                login_status(s, e1) == 200)
        st, _ = refresh(s, rt0)
        t.check("...and its earlier session still refreshes", st == 200,
                st)
        # unverified, no collision: an account without that address
        u = oidc_user(verified=False)
        u["name"] = "Olga\r\nX-Injected: 1"
        idp.user = u
        st, fin, _, _ = signin(s)
        t.check("unverified email, no collision: signed in",
                st == 302 and qparam(fin, "refresh_token"), (st, fin))
        t.check("...the unverified address is not stored",
                one(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                    "'%s'" % u["email"]) == "0")
        st, b = refresh(s, qparam(fin, "refresh_token") or "x")
        uid2 = (b or {}).get("user", {}).get("id", "")
        t.check("...a profile name with control characters is not taken",
                st == 200 and one(s, "SELECT display_name IS NULL FROM "
                                  "public.users WHERE id = '%s'" % uid2) ==
                "t", (st, b))
        # an account without an address asks for one: no notice to send
        new = "given-%s@example.com" % uuid.uuid4().hex[:8]
        st, _, r = s.request("POST", "/auth/change-email/request", {
            "Authorization": "Bearer " + (b or {}).get("jwt_token", ""),
            "Content-Type": "application/json"},
            json.dumps({"new_email": new}))
        from test_lifecycle import wait_mail
        t.check("...it asks for an address from a fresh session: 204, "
                "the ticket mailed there",
                st == 204 and wait_mail(s, new, "Change your email") is not
                None,
                (st, r))
        s.psql("UPDATE auth.refresh_tokens SET session_started_at = now() "
               "- interval '1 hour' WHERE account_id = (SELECT id FROM "
               "auth.accounts WHERE user_id = '%s')" % uid2)
        st, _, r = s.request("POST", "/auth/change-email/request", {
            "Authorization": "Bearer " + (b or {}).get("jwt_token", ""),
            "Content-Type": "application/json"},
            json.dumps({"new_email": "x" + new}))
        t.check("...from a session an hour old: 403 (a token alone gives "
                "no first address)", st == 403, (st, r))
        u = oidc_user(verified=True)
        idp.user = u
        signin(s)
        t.check("a provider-made account with a verified address: "
                "email_verified", one(s, "SELECT email_verified FROM "
                                      "auth.accounts WHERE email = '%s'" %
                                      u["email"]) == "t")


def test_oidc_respects_two_factor(t):
    """A provider proves an address, not the second factor: an account
    with TOTP on gets no session from a provider sign-in, only the MFA
    ticket that POST /auth/mfa/totp takes with the code; and no new
    identity is linked to it by email at all."""
    from test_lifecycle import api, totp
    s = t.s
    with provider(t) as idp:
        addr = "mfa-%s@example.com" % uuid.uuid4().hex[:8]
        st, b = register(s, addr)
        uid = one(s, "SELECT user_id FROM auth.accounts WHERE email = "
                  "'%s'" % addr)
        # the address proven (as by an activation ticket): no reclaim
        s.psql("UPDATE auth.accounts SET email_verified = true WHERE "
               "email = '%s'" % addr)
        known = oidc_user(verified=True, email=addr)
        idp.user = known
        st, fin, _, _ = signin(s)
        t.check("setup: registered, a provider identity linked before "
                "two-factor", b.get("jwt_token") and st == 302 and
                qparam(fin, "refresh_token"), (b, st, fin))
        bearer = [("Authorization", "Bearer " + b["jwt_token"])]
        st, _, g = api(s, "POST", "/auth/mfa/generate", {}, bearer)
        sec = g.get("otp_secret", "") if st == 200 else ""
        early_in(30, 15)
        st, _, _ = api(s, "POST", "/auth/mfa/enable", {"code": totp(sec)},
                       bearer)
        if not t.check("setup: two-factor on", st == 204, st):
            return
        # the known identity: a ticket, no session
        single = ("SELECT count(*) FROM auth.refresh_tokens r JOIN "
                  "auth.accounts a ON a.id = r.account_id WHERE a.user_id "
                  "= '%s' AND r.single_use" % uid)
        n0 = one(s, single)
        st, fin, _, _ = signin(s)
        tk = qparam(fin, "ticket") or ""
        t.check("known identity, two-factor on: redirect with mfa=true "
                "and a ticket, no refresh token", st == 302 and
                fin.startswith(SUCCESS + "?") and
                qparam(fin, "mfa") == "true" and len(tk) == 36 and
                qparam(fin, "refresh_token") is None, (st, fin))
        st, _, r = api(s, "POST", "/auth/mfa/totp",
                       {"ticket": tk, "code": "000000" if totp(sec, 1) !=
                        "000000" else "111111"})
        t.check("...a wrong code: 401, no session", st == 401, (st, r))
        st, _, r = api(s, "POST", "/auth/mfa/totp",
                       {"ticket": tk, "code": totp(sec, 1),
                        "cookie": False})
        t.check("...the ticket and the code: the account's session",
                st == 200 and isinstance(r.get("jwt_token"), str) and
                (r.get("user") or {}).get("id") == uid, (st, r))
        t.check("...no session was issued by the sign-in itself",
                one(s, single) == n0, (n0, one(s, single)))
        # a new identity with the same verified address: refused
        idp.user = oidc_user(verified=True, email=addr)
        st, fin, _, _ = signin(s)
        t.check("new identity, two-factor on: mfa-link-refused",
                st == 302 and fin == FAILURE + "?error=mfa-link-refused",
                (st, fin))
        t.check("...no identity linked", one(
            s, "SELECT count(*) FROM auth.identities WHERE subject = "
            "'%s'" % idp.user["sub"]) == "0")


def test_oidc_reclaims_unproven_account(t):
    """WARDEN_AUTO_ACTIVATE=true: nobody proved the address of a password
    account, so whoever registered it may not own it. The provider that
    verified the address hands the account to its owner: the password,
    sessions, pending tickets and roles of the registrant go. Not an
    account with a second factor: the provider cannot stand in for it."""
    from test_accounts import wait_hook
    s = t.s
    with provider(t) as idp:       # the stack's WARDEN_AUTO_ACTIVATE=true
        victim = "victim-%s@example.com" % uuid.uuid4().hex[:8]
        st, b0 = register(s, victim)
        t.check("the attacker registers the victim's address: a session",
                st == 200 and b0.get("refresh_token"), (st, b0))
        if st != 200:
            return
        uid = b0["user"]["id"]
        t.check("...its email is not verified",
                one(s, "SELECT email_verified FROM auth.accounts WHERE "
                    "user_id = '%s'" % uid) == "f")
        bearer = {"Authorization": "Bearer " + b0["jwt_token"],
                  "Content-Type": "application/json"}
        st, _, _ = s.request("POST", "/auth/change-email/request", bearer,
                             json.dumps({"new_email": "attacker-%s@evil."
                                         "example" % uuid.uuid4().hex[:6]}))
        t.check("...and asks to move it to the attacker's address (a "
                "pending ticket)", st == 204 and
                one(s, "SELECT count(*) FROM auth.tickets t JOIN "
                    "auth.accounts a ON a.id = t.account_id WHERE "
                    "a.user_id = '%s'" % uid) == "1", st)
        # roles a registration may choose (allowed_roles, default_role)
        s.psql("UPDATE auth.accounts SET default_role = 'me' WHERE user_id "
               "= '%s'; DELETE FROM auth.account_roles WHERE role = 'user' "
               "AND account_id = (SELECT id FROM auth.accounts WHERE "
               "user_id = '%s')" % (uid, uid))
        t.check("setup: the attacker's session is live at the webhook",
                wait_hook(s, b0["jwt_token"], 200))
        # the victim signs in with a provider that verified the address
        u = oidc_user(verified=True, email=victim)
        idp.user = u
        st, fin, _, _ = signin(s)
        rt = qparam(fin, "refresh_token")
        t.check("the victim's verified sign-in succeeds", st == 302 and rt,
                (st, fin))
        st, b = refresh(s, rt or "x")
        t.check("...into the account of that address", st == 200 and
                b["user"]["id"] == uid, (st, b))
        t.check("...the identity is linked to it",
                one(s, "SELECT a.user_id FROM auth.identities i JOIN "
                    "auth.accounts a ON a.id = i.account_id WHERE "
                    "i.provider = 'oidc' AND i.subject = '%s'" % u["sub"])
                == uid)
        t.check("the attacker's password no longer logs in",
                login_status(s, victim) == 401)
        st, _ = refresh(s, b0["refresh_token"])
        t.check("the attacker's refresh token no longer refreshes",
                st == 401, st)
        t.check("the attacker's access token is refused by the webhook "
                "within 1 s", wait_hook(s, b0["jwt_token"], 401))
        row = one(s, "SELECT password_hash IS NULL, email_verified, "
                  "mfa_enabled, otp_secret IS NULL, (SELECT count(*) FROM "
                  "auth.tickets t WHERE t.account_id = a.id) FROM "
                  "auth.accounts a WHERE user_id = '%s'" % uid)
        t.check("no password, address proven, no pending ticket",
                row == "t|t|f|t|0", row)
        row = one(s, "SELECT a.default_role || ':' || (SELECT string_agg("
                  "role, ',' ORDER BY role) FROM auth.account_roles r WHERE "
                  "r.account_id = a.id) FROM auth.accounts a WHERE user_id "
                  "= '%s'" % uid)
        t.check("the registrant's choice of roles is back to the "
                "configured ones", row == "user:me,user", row)
        t.check("audit: provider_reclaim and provider_link",
                audits(s, uid, "provider_reclaim") == "1" and
                audits(s, uid, "provider_link") == "1")
        st, fin, _, _ = signin(s)
        st, b = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("the next sign-in: the same account, nothing reclaimed "
                "again", st == 200 and b["user"]["id"] == uid and
                audits(s, uid, "provider_reclaim") == "1", (st, b))
        # an unproven account with a second factor: not reclaimed (a
        # thief of the mailbox's provider account would skip the code)
        mfa = "mfa-unproven-%s@example.com" % uuid.uuid4().hex[:8]
        st, bm = register(s, mfa)
        s.psql("UPDATE auth.accounts SET mfa_enabled = true, otp_secret = "
               "'v1:x' WHERE email = '%s'" % mfa)
        idp.user = oidc_user(verified=True, email=mfa)
        st, fin, _, _ = signin(s)
        t.check("an unproven account with a second factor: mfa-link-"
                "refused, nothing reclaimed", st == 302 and
                fin == FAILURE + "?error=mfa-link-refused" and
                refresh(s, bm["refresh_token"])[0] == 200 and
                one(s, "SELECT email_verified::text || mfa_enabled::text "
                    "FROM auth.accounts WHERE email = '%s'" % mfa) ==
                "falsetrue", (st, fin))
        # the unverified-provider refusal holds for an unproven account
        other = "unproven-%s@example.com" % uuid.uuid4().hex[:8]
        st, b1 = register(s, other)
        idp.user = oidc_user(verified=False, email=other)
        st, fin, _, _ = signin(s)
        t.check("an unverified provider email colliding with an unproven "
                "account: still email-not-verified, nothing changed",
                fin == FAILURE + "?error=email-not-verified" and
                login_status(s, other) == 200 and
                refresh(s, b1["refresh_token"])[0] == 200, (st, fin))
        # an identity linked to an unproven account before sql/010 (the
        # attack done already): its next verified sign-in reclaims
        old = "before-%s@example.com" % uuid.uuid4().hex[:8]
        st, b2 = register(s, old)
        u = oidc_user(verified=True, email=old)
        s.psql("INSERT INTO auth.identities (account_id, provider, subject, "
               "email) SELECT id, 'oidc', '%s', email FROM auth.accounts "
               "WHERE email = '%s'" % (u["sub"], old))
        idp.user = u
        st, fin, _, _ = signin(s)
        st, b = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("a known identity's verified sign-in to an unproven "
                "account: same account, password and sessions gone",
                st == 200 and b["user"]["id"] == b2["user"]["id"] and
                login_status(s, old) == 401 and
                refresh(s, b2["refresh_token"])[0] == 401 and
                audits(s, b2["user"]["id"], "provider_reclaim") == "1",
                (st, b))
        # a never-activated account (WARDEN_AUTO_ACTIVATE=false, sql/014):
        # the verified sign-in reclaims it, active; one an operator
        # deactivated stays refused
        nev = "never-%s@example.com" % uuid.uuid4().hex[:8]
        register(s, nev)
        s.psql("UPDATE auth.accounts SET active = false, activated_at = "
               "NULL WHERE email = '%s'" % nev)
        idp.user = oidc_user(verified=True, email=nev)
        st, fin, _, _ = signin(s)
        st, b = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("a never-activated account: reclaimed by the verified "
                "sign-in, active", st == 200 and
                one(s, "SELECT active::text || (password_hash IS NULL)::text"
                    " FROM auth.accounts WHERE email = '%s'" % nev) ==
                "truetrue", (st, fin))
        off = "deactivated-%s@example.com" % uuid.uuid4().hex[:8]
        register(s, off)
        s.psql("UPDATE auth.accounts SET active = false WHERE email = '%s'"
               % off)
        idp.user = oidc_user(verified=True, email=off)
        st, fin, _, _ = signin(s)
        t.check("an account an operator deactivated: still refused, "
                "untouched", st == 302 and
                fin == FAILURE + "?error=account-disabled" and
                one(s, "SELECT active::text || email_verified::text FROM "
                    "auth.accounts WHERE email = '%s'" % off) ==
                "falsefalse", (st, fin))


def test_oidc_reclaim_drops_other_identities(t):
    """An attacker's own identity on an account given the victim's
    address without proof (WARDEN_VERIFY_EMAILS=false) goes when the
    victim's provider proves the address."""
    s = t.s
    with provider(t, WARDEN_VERIFY_EMAILS="false") as idp:
        att = oidc_user(verified=False)
        idp.user = att
        st, fin, _, _ = signin(s)
        st, b = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("setup: the attacker's provider account", st == 200, st)
        if st != 200:
            return
        uid = b["user"]["id"]
        victim = "victim2-%s@example.com" % uuid.uuid4().hex[:8]
        st, _, _ = s.request("POST", "/auth/change-email", {
            "Authorization": "Bearer " + b["jwt_token"],
            "Content-Type": "application/json"},
            json.dumps({"new_email": victim}))
        t.check("...given the victim's address directly (unproven)",
                st == 204 and one(s, "SELECT email_verified FROM "
                                  "auth.accounts WHERE user_id = '%s'" %
                                  uid) == "f", st)
        vic = oidc_user(verified=True, email=victim)
        idp.user = vic
        st, fin, _, _ = signin(s)
        st, b2 = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("the victim's verified sign-in takes the account",
                st == 200 and b2["user"]["id"] == uid, (st, b2))
        t.check("...the attacker's identity is gone, the victim's stays",
                one(s, "SELECT string_agg(subject, ',') FROM "
                    "auth.identities i JOIN auth.accounts a ON a.id = "
                    "i.account_id WHERE a.user_id = '%s'" % uid) ==
                vic["sub"])
        idp.user = att
        st, fin, _, _ = signin(s)
        st, b3 = refresh(s, qparam(fin, "refresh_token") or "x")
        t.check("...so the attacker's sign-in lands on a new account",
                st == 200 and b3["user"]["id"] != uid, (st, b3))


def test_email_verified_backfill(t):
    """sql/010's backfill, on rows made for it: true only where the rows
    prove the address (run on those rows alone)."""
    import os
    import re
    s = t.s
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "sql",
                           "010_email_verified.sql")) as f:
        text = f.read()
    upd = re.search(r"^UPDATE auth\.accounts a SET email_verified = true"
                    r".*?;", text, re.S | re.M).group(0).rstrip(";")
    tag = uuid.uuid4().hex[:8]
    # name: (email or None, password?, [(event, minutes ago)], identity
    # with the account's email?, expected)
    cases = {
        "activated": (True, True, [("activate", 60)], False, "t"),
        "never proven": (True, True, [("register", 60)], False, "f"),
        "changed after": (True, True, [("activate", 600),
                                       ("email_change", 30)], False, "f"),
        "reset": (True, True, [("email_change", 300),
                               ("password_reset", 60)], False, "t"),
        "reset soon after a change": (True, True, [
            ("email_change", 90), ("password_reset", 60)], False, "f"),
        "made by a provider": (True, False, [], True, "t"),
        "made by a provider, address changed since": (
            True, False, [("email_change", 30)], True, "f"),
        "linked, with a password": (True, True, [], True, "f"),
        "no address": (False, False, [("activate", 60)], False, "f"),
    }
    ids = {}
    for i, (name, (has, pw, evs, ident, _)) in enumerate(cases.items()):
        uid = str(uuid.uuid4())
        addr = "bf%d-%s@example.com" % (i, tag)
        sql = ("INSERT INTO public.users (id) VALUES ('%s'); "
               "INSERT INTO auth.accounts (user_id, email, password_hash, "
               "active) VALUES ('%s', %s, %s, true); " %
               (uid, uid, "'%s'" % addr if has else "NULL",
                "'$y$x'" if pw else "NULL"))
        for ev, ago in evs:
            sql += ("INSERT INTO auth.audit_log (event, user_id, at) VALUES "
                    "('%s', '%s', now() - interval '%d minutes'); " %
                    (ev, uid, ago))
        if ident:
            sql += ("INSERT INTO auth.identities (account_id, provider, "
                    "subject, email) SELECT id, 'oidc', '%s', email FROM "
                    "auth.accounts WHERE user_id = '%s'; " % (uid, uid))
        r = s.psql(sql)
        ids[name] = uid
        t.check("backfill setup: " + name, r.returncode == 0, r.stderr)
    r = s.psql(upd + " AND a.user_id IN (%s)" % ", ".join(
        "'%s'" % u for u in ids.values()))
    t.check("the backfill runs", r.returncode == 0, r.stderr)
    for name, c in cases.items():
        got = one(s, "SELECT email_verified FROM auth.accounts WHERE "
                  "user_id = '%s'" % ids[name])
        t.check("backfill: %s -> %s" % (name, c[4]), got == c[4], got)
    s.psql("DELETE FROM public.users WHERE id IN (%s)" % ", ".join(
        "'%s'" % u for u in ids.values()))


def test_oidc_state_and_tokens(t):
    s = t.s
    with provider(t) as idp:
        before = one(s, "SELECT count(*) FROM auth.accounts")
        idp.user = oidc_user()
        # missing state cookie
        st, loc, cookie, _ = start(s)
        _, cb = idp_get(loc)
        st, fin = callback(s, cb, None)
        t.check("no state cookie: invalid-state",
                fin == FAILURE + "?error=invalid-state", (st, fin))
        # a wrong cookie
        st, fin = callback(s, cb, "wd_oauth_state=" + "A" * 43)
        t.check("wrong state cookie: invalid-state",
                fin == FAILURE + "?error=invalid-state", (st, fin))
        # state in the query altered to the cookie of another start
        _, loc2, cookie2, _ = start(s)
        _, cb2 = idp_get(loc2)
        st, fin = callback(s, cb2, cookie)
        t.check("state of another sign-in: invalid-state",
                fin == FAILURE + "?error=invalid-state", (st, fin))
        # missing state in the query
        u = urllib.parse.urlsplit(cb2)
        q = dict(urllib.parse.parse_qsl(u.query))
        st, h, _ = s.request("GET", u.path + "?code=" + q["code"],
                             {"Cookie": cookie2})
        t.check("no state in the query: invalid-state",
                h.get("location") == FAILURE + "?error=invalid-state",
                (st, h.get("location")))
        # the right pair, but the code was spent by nobody: replayed code
        # (the provider refuses a code twice)
        _, loc3, cookie3, _ = start(s)
        _, cb3 = idp_get(loc3)
        code3 = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(cb3).query))["code"]
        st, fin = callback(s, cb3, cookie3)
        t.check("a fresh pair signs in", qparam(fin, "refresh_token"), fin)
        _, loc4, cookie4, _ = start(s)
        st4 = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(loc4).query))["state"]
        st, h, _ = s.request("GET", "/auth/providers/oidc/callback?code=" +
                             code3 + "&state=" + st4, {"Cookie": cookie4})
        t.check("replayed code: refused (provider-denied)",
                h.get("location") == FAILURE + "?error=provider-denied",
                (st, h.get("location")))
        # ?error= from the provider
        _, loc5, cookie5, _ = start(s)
        st5 = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(loc5).query))["state"]
        st, h, _ = s.request("GET", "/auth/providers/oidc/callback?error="
                             "access_denied&state=" + st5,
                             {"Cookie": cookie5})
        t.check("provider answered error: provider-denied",
                h.get("location") == FAILURE + "?error=provider-denied",
                (st, h.get("location")))
        after_ok = one(s, "SELECT count(*) FROM auth.accounts")
        t.check("only the one good sign-in created an account",
                int(after_ok) == int(before) + 1, (before, after_ok))

        for mode, name in (("nonce", "wrong nonce"),
                           ("otherkey", "signed by another key"),
                           ("unknownkid", "unknown kid"),
                           ("expired", "expired"),
                           ("audience", "for another audience"),
                           ("issuer", "from another issuer"),
                           ("none", "alg none"),
                           ("hs256", "HS256 with the client secret")):
            idp.mode = mode
            idp.user = oidc_user()
            st, fin, _, _ = signin(s)
            t.check("ID token %s: invalid-id-token" % name,
                    st == 302 and fin == FAILURE + "?error=invalid-id-token",
                    (st, fin))
            t.check("...nothing created (%s)" % name,
                    one(s, "SELECT count(*) FROM auth.identities WHERE "
                        "subject = '%s'" % idp.user["sub"]) == "0")
        idp.mode = None
        t.check("no account from any bad ID token",
                one(s, "SELECT count(*) FROM auth.accounts") == after_ok)


def test_redirects_and_outage(t):
    s = t.s
    idp = IdP()
    try:
        configure(t, idp)
        idp.user = oidc_user()
        for bad in ("http://evil.test/", "http://app.test.evil.test/ok/",
                    "http://app.test/okay", "http://app.test@evil.test/ok/",
                    "//evil.test/ok/", "javascript:alert(1)",
                    "http://localhost:3000/application",
                    "http://app.test/ok/\\@evil.test",
                    "http://app.test/ok/../../admin",
                    "http://app.test/ok/%2e%2e/admin",
                    "http://app.test/ok/x?refresh_token=planted"):
            st, loc, _, _ = start(s, query="?redirect_to=" +
                                  urllib.parse.quote(bad, safe=""))
            t.check("redirect_to %s refused" % bad,
                    st == 302 and loc == FAILURE +
                    "?error=redirect-not-allowed", (st, loc))
        for good in ("http://app.test/ok/x?y=1", "http://localhost:3000/app",
                     "http://localhost:3000/app/deep"):
            st, fin, _, _ = signin(s, query="?redirect_to=" +
                                   urllib.parse.quote(good, safe=""))
            want = good + ("&" if "?" in good else "?") + "refresh_token="
            t.check("redirect_to %s allowed" % good,
                    st == 302 and fin.startswith(want), (st, fin))
        good = "http://app.test/ok/page?a=1#section"
        st, fin, _, _ = signin(s, query="?redirect_to=" +
                               urllib.parse.quote(good, safe=""))
        t.check("redirect_to with a fragment: the token goes in the query",
                st == 302 and fin.startswith(
                    "http://app.test/ok/page?a=1&refresh_token=") and
                fin.endswith("#section") and
                len(qparam(fin, "refresh_token") or "") == 36, (st, fin))
        # GitHub-shaped flow on the same server
        gu = gh_user()
        idp.user = gu
        st, fin, _, _ = signin(s, "github")
        rt = qparam(fin, "refresh_token")
        t.check("github: signed in", st == 302 and rt, (st, fin))
        row = one(s, "SELECT a.email, u.display_name FROM auth.identities "
                  "i JOIN auth.accounts a ON a.id = i.account_id JOIN "
                  "public.users u ON u.id = a.user_id WHERE i.provider = "
                  "'github' AND i.subject = '%d'" % gu["id"])
        t.check("github: primary verified email, name",
                row == "%s|Octo Cat" % gu["emails"][1]["email"], row)
        gu2 = gh_user(verified=False, email=gu["emails"][1]["email"])
        gu2["id"] += 1
        idp.user = gu2
        st, fin, _, _ = signin(s, "github")
        t.check("github: unverified primary colliding: email-not-verified",
                fin == FAILURE + "?error=email-not-verified", (st, fin))
        st, _, _, _ = start(s, "nosuch")
        t.check("unknown provider: 404", st == 404, st)
        # the provider goes down
        before = one(s, "SELECT count(*) FROM auth.accounts")
        idp.user = oidc_user()
        st, loc, cookie, _ = start(s)
        _, cb = idp_get(loc)
        idp.down = True
        st, fin = callback(s, cb, cookie)
        t.check("provider down at the token endpoint: provider-unavailable",
                st == 302 and fin == FAILURE + "?error=provider-unavailable",
                (st, fin))
        t.check("...nothing created",
                one(s, "SELECT count(*) FROM auth.accounts") == before)
        idp.down = False
        idp.close()
        configure(t, idp, WARDEN_PROVIDER_OIDC_ISSUER="http://127.0.0.1:9")
        st, loc, _, _ = start(s)
        t.check("provider unreachable for discovery: provider-unavailable",
                st == 302 and loc == FAILURE +
                "?error=provider-unavailable", (st, loc))
    finally:
        try:
            idp.close()
        except Exception:
            pass


class CookieClient:
    """A browser's part: follows redirects across hosts, keeps cookies
    (http.cookiejar), stops at the first URL off 127.0.0.1 (the app)."""

    def __init__(self):
        import http.cookiejar
        import urllib.request
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        self.op = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def follow(self, url, hops=10):
        import urllib.error
        for _ in range(hops):
            if urllib.parse.urlsplit(url).hostname != "127.0.0.1":
                return url
            try:
                r = self.op.open(url, timeout=10)
                return "%d %s" % (r.status, url)
            except urllib.error.HTTPError as e:
                if e.code not in (301, 302, 303, 307):
                    return "%d %s" % (e.code, url)
                url = urllib.parse.urljoin(url, e.headers["Location"])
        return None


def test_nhost_js_sdk_provider_login(t):
    import os
    import subprocess
    from test_sdk import NPM_DIR, HERE, ensure_sdk
    err = ensure_sdk()
    t.check("nhost-js-sdk@3.1.0 installed", err is None, err)
    if err is not None:
        return
    s = t.s
    with provider(t) as idp:
        u = oidc_user()
        idp.user = u
        script = os.path.join(HERE, "sdk", "nhost_provider.js")
        mods = os.path.join(NPM_DIR, "node_modules")
        r = subprocess.run(["node", script, mods, s.url, "start", "oidc"],
                           capture_output=True, text=True, timeout=60)
        nav = [l[9:] for l in r.stdout.splitlines()
               if l.startswith("NAVIGATE ")]
        t.check("login({provider}) navigates to /auth/providers/oidc",
                nav == [s.url + "/auth/providers/oidc"],
                (r.stdout[-300:], r.stderr[-300:]))
        if not nav:
            return
        fin = CookieClient().follow(nav[0])
        t.check("a cookie-keeping client ends on the success URL",
                fin is not None and fin.startswith(SUCCESS +
                                                   "?refresh_token="), fin)
        if not fin or not fin.startswith(SUCCESS):
            return
        r = subprocess.run(["node", script, mods, s.url, "finish", fin],
                           capture_output=True, text=True, timeout=60)
        lines = [l for l in r.stdout.splitlines()
                 if l.startswith(("PASS sdk: ", "FAIL sdk: "))]
        t.check("sdk provider script ran its cases", len(lines) >= 4,
                (r.stdout[-300:], r.stderr[-300:]))
        for l in lines:
            verdict, _, rest = l.partition(" sdk: ")
            t.check(rest, verdict == "PASS", rest)
        users = [l[5:] for l in r.stdout.splitlines() if l.startswith("USER ")]
        uid = one(s, "SELECT a.user_id FROM auth.identities i JOIN "
                  "auth.accounts a ON a.id = i.account_id WHERE "
                  "i.subject = '%s'" % u["sub"])
        t.check("...as the user the provider signed in",
                users == [uid] and len(uid) == 36, (users, uid))
        st, _ = refresh(s, qparam(fin, "refresh_token"))
        t.check("...and the URL's token is spent", st == 401, st)


# ---- a real OpenID Connect provider: npm oidc-provider ----

OIDC_PROVIDER = "oidc-provider@8.8.1"   # 8.x: Node 18 (bookworm) and 20


def ensure_oidc_provider():
    import os
    import shutil
    import subprocess
    from test_sdk import NPM_DIR
    mod = os.path.join(NPM_DIR, "node_modules", "oidc-provider",
                       "package.json")
    if os.path.isfile(mod) and '"version": "8.8.1"' in open(mod).read():
        return None
    if shutil.which("npm") is None:
        return "npm not found"
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit",
                        "--no-fund", "--silent", OIDC_PROVIDER],
                       capture_output=True, text=True, timeout=300)
    return None if r.returncode == 0 else r.stderr[-500:]


class OPClient:
    """One client registered at NodeOP, for generic()."""

    def __init__(self, url, client_id, secret):
        self.url, self.client_id, self.client_secret = url, client_id, secret


class NodeOP:
    """oidc-provider in a Node process (tests/e2e/oidc/provider.mjs), one
    client per route name in routes: self.clients[route]."""

    def __init__(self, s, routes=("keycloak", "corp")):
        import os
        import socket
        import subprocess
        from test_sdk import NPM_DIR, HERE
        so = socket.socket()
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
        so.close()
        self.url = "http://127.0.0.1:%d" % port
        self.clients = {}
        args = []
        for r in routes:
            c = OPClient(self.url, "warden-" + r, "op-secret-" + r + "-1234")
            self.clients[r] = c
            args += [c.client_id, c.client_secret,
                     s.url + "/auth/providers/%s/callback" % r]
        self.p = subprocess.Popen(
            ["node", os.path.join(HERE, "oidc", "provider.mjs"),
             os.path.join(NPM_DIR, "node_modules"), str(port)] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.time() + 20
        self.ready = False
        while time.time() < end:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/.well-known/openid-configuration")
                self.ready = c.getresponse().status == 200
                c.close()
                if self.ready:
                    break
            except OSError:
                pass
            if self.p.poll() is not None:
                break
            time.sleep(0.2)

    def set_user(self, u):
        c = http.client.HTTPConnection("127.0.0.1",
                                       int(self.url.rsplit(":", 1)[1]),
                                       timeout=5)
        c.request("POST", "/test/user", json.dumps(u),
                  {"Content-Type": "application/json"})
        st = c.getresponse().status
        c.close()
        return st == 204

    def close(self):
        self.p.terminate()
        try:
            self.p.wait(5)
        except Exception:
            self.p.kill()
            self.p.wait(5)
        return self.p.stderr.read()[-400:]


def test_oidc_provider_npm(t):
    err = ensure_oidc_provider()
    t.check(OIDC_PROVIDER + " installed", err is None, err)
    if err is not None:
        return
    s = t.s
    op = NodeOP(s)
    try:
        t.check("oidc-provider listens", op.ready, op.p.poll())
        if not op.ready:
            return
        # two generic providers, two clients of the one issuer
        kc, corp = op.clients["keycloak"], op.clients["corp"]
        configure(t, kc, **dict(generic("OIDC", None),
                                **generic("KEYCLOAK", kc),
                                **generic("CORP", corp)))
        u = oidc_user()
        op.set_user(u)
        fin = CookieClient().follow(s.url + "/auth/providers/keycloak")
        rt = qparam(fin or "", "refresh_token")
        t.check("oidc-provider: full sign-in creates an account",
                fin and fin.startswith(SUCCESS + "?refresh_token=") and rt,
                fin)
        row = one(s, "SELECT a.active, a.email, u.display_name, "
                  "u.avatar_url FROM auth.identities i JOIN auth.accounts a "
                  "ON a.id = i.account_id JOIN public.users u ON u.id = "
                  "a.user_id WHERE i.provider = 'keycloak' AND i.subject = "
                  "'%s'" % u["sub"])
        t.check("...active, email, name and picture from the ID token",
                row == "t|%s|Olga OIDC|https://img.example/olga.png" %
                u["email"], row)
        st, b = refresh(s, rt or "x")
        t.check("...the URL token refreshes into a session", st == 200, st)
        uid = b["user"]["id"] if st == 200 else None
        fin = CookieClient().follow(s.url + "/auth/providers/keycloak")
        st, b = refresh(s, qparam(fin or "", "refresh_token") or "x")
        t.check("oidc-provider: second sign-in finds the account",
                st == 200 and b["user"]["id"] == uid, (fin, st))
        fin = CookieClient().follow(s.url + "/auth/providers/corp")
        st, b = refresh(s, qparam(fin or "", "refresh_token") or "x")
        t.check("oidc-provider as a second generic provider (corp): the "
                "verified email links the same account",
                st == 200 and b["user"]["id"] == uid, (fin, st))
        t.check("...one identity per provider route name",
                one(s, "SELECT string_agg(provider, ',' ORDER BY provider) "
                    "FROM auth.identities WHERE subject = '%s'" % u["sub"])
                == "corp,keycloak")
        # linking by verified email, refusal of an unverified collision
        e1 = "op-link-%s@example.com" % uuid.uuid4().hex[:8]
        st, reg = register(s, e1)
        op.set_user(oidc_user(verified=False, email=e1))
        fin = CookieClient().follow(s.url + "/auth/providers/keycloak")
        t.check("oidc-provider: unverified colliding email refused",
                fin == FAILURE + "?error=email-not-verified", fin)
        op.set_user(oidc_user(verified=True, email=e1))
        fin = CookieClient().follow(s.url + "/auth/providers/keycloak")
        st, b = refresh(s, qparam(fin or "", "refresh_token") or "x")
        t.check("oidc-provider: verified email links to the account",
                st == 200 and b["user"]["email"] == e1, (fin, st))
        # registered with WARDEN_AUTO_ACTIVATE=true: nobody had proven
        # the address, so the registrant's credentials went
        t.check("...registered unproven: its password no longer logs in",
                login_status(s, e1) == 401)
        t.check("...its refresh token no longer refreshes",
                refresh(s, reg["refresh_token"])[0] == 401)
        t.check("...audit provider_reclaim",
                audits(s, reg["user"]["id"], "provider_reclaim") == "1")
    finally:
        tail = op.close()
        if not op.ready:
            t.check("oidc-provider stderr", False, tail)


def test_provider_throttles(t):
    s = t.s
    with provider(t, WARDEN_RATE_LIMIT="3",
                  WARDEN_TRUSTED_PROXIES="127.0.0.1/32") as idp:
        idp.user = oidc_user()
        early_in(900, 30)
        early_in(60, 15)
        locs = [s.request("GET", "/auth/providers/oidc",
                          source="127.0.0.77")[1].get("location", "")
                for _ in range(4)]
        t.check("start: three per minute per address, then throttled",
                all(l.startswith(idp.url) for l in locs[:3]) and
                locs[3] == FAILURE + "?error=too-many-requests", locs)
        before = one(s, "SELECT count(*) FROM auth.audit_log WHERE event = "
                     "'provider_failed:invalid-state'")
        locs = [s.request("GET", "/auth/providers/oidc/callback?code=x&"
                          "state=y", {"Cookie": "wd_oauth_state=y"},
                          source="127.0.0.78")[1].get("location", "")
                for _ in range(4)]
        t.check("callback: throttled like login",
                locs[:3] == [FAILURE + "?error=invalid-state"] * 3 and
                locs[3] == FAILURE + "?error=too-many-requests", locs)
        after = one(s, "SELECT count(*) FROM auth.audit_log WHERE event = "
                    "'provider_failed:invalid-state'")
        t.check("failed callbacks are audited", int(after) ==
                int(before) + 3, (before, after))
        t.check("...and counted as failures of the address",
                one(s, "SELECT coalesce(sum(hits), 0) FROM auth.throttle "
                    "WHERE bucket = sha256(convert_to('fail|127.0.0.78', "
                    "'UTF8'))") == "3")
        # an IPv6 client counts by its /64, as at login: another address
        # of the same network is no way around the limit
        locs = [s.request("GET", "/auth/providers/oidc", [
            ("X-Forwarded-For", "2001:db8:5:6::%x" % (i + 1))])[1].get(
                "location", "") for i in range(4)]
        t.check("start: an IPv6 /64 counts as one address",
                all(l.startswith(idp.url) for l in locs[:3]) and
                locs[3] == FAILURE + "?error=too-many-requests", locs)
        locs = [s.request("GET", "/auth/providers/oidc/callback?code=x&"
                          "state=y", [("Cookie", "wd_oauth_state=y"),
                                      ("X-Forwarded-For",
                                       "2001:db8:7:8::%x" % (i + 1))]
                          )[1].get("location", "") for i in range(3)]
        t.check("callback: failures of an IPv6 /64 counted together",
                locs == [FAILURE + "?error=invalid-state"] * 3 and
                one(s, "SELECT coalesce(sum(hits), 0) FROM auth.throttle "
                    "WHERE bucket = sha256(convert_to('fail|"
                    "2001:db8:7:8::/64', 'UTF8'))") == "3", locs)


def test_oidc_key_rotation(t):
    """The JWKS is cached; a token with an unknown kid fetches it again
    (at most every 10 s), so a provider's key rotation is picked up."""
    s = t.s
    with provider(t) as idp:
        idp.user = oidc_user()
        st, fin, _, _ = signin(s)
        t.check("first sign-in (JWKS cached)", qparam(fin, "refresh_token"),
                fin)
        n0 = sum(1 for m, p in idp.requests if p == "/jwks")
        idp.user = oidc_user()
        st, fin, _, _ = signin(s)
        n1 = sum(1 for m, p in idp.requests if p == "/jwks")
        t.check("second sign-in uses the cached JWKS", n1 == n0 and
                qparam(fin, "refresh_token"), (n0, n1, fin))
        from idp import Key
        new = Key("RS256", "k3")
        idp.keys.append(new)
        idp.sign_with = new
        time.sleep(10.5)
        idp.user = oidc_user()
        st, fin, _, _ = signin(s)
        n2 = sum(1 for m, p in idp.requests if p == "/jwks")
        t.check("a rotated key: the JWKS is fetched again and the token "
                "verifies", n2 == n1 + 1 and qparam(fin, "refresh_token"),
                (n1, n2, fin))


def test_provider_config_checked_at_start(t):
    import os
    import subprocess
    import tempfile
    s = t.s
    base = {"PATH": "/usr/bin:/bin", "WARDEN_DATABASE_URL":
            "postgresql:///x", "WARDEN_JWT_SECRET": json.dumps(s.secret()),
            "WARDEN_ACTION_SECRET": "0123456789abcdef0123",
            "WARDEN_URL": "http://127.0.0.1:1",
            "WARDEN_PROVIDER_SUCCESS_REDIRECT": SUCCESS}
    many = {}
    for i in range(33):
        many.update(generic("P%d" % i, IdPStub("https://id%d.example" % i)))
    cases = [
        ("generic OIDC without an issuer", "WARDEN_PROVIDER_CORP_ISSUER: "
         "required with WARDEN_PROVIDER_CORP_CLIENT_ID",
         {"WARDEN_PROVIDER_CORP_CLIENT_ID": "x"}),
        ("an issuer without a client id",
         "WARDEN_PROVIDER_KEYCLOAK_CLIENT_ID: required with "
         "WARDEN_PROVIDER_KEYCLOAK_ISSUER",
         {"WARDEN_PROVIDER_KEYCLOAK_ISSUER": "https://id.example"}),
        ("an issuer that is no URL", "WARDEN_PROVIDER_CORP_ISSUER: must be "
         "an http:// or https:// URL with a host",
         {"WARDEN_PROVIDER_CORP_CLIENT_ID": "x",
          "WARDEN_PROVIDER_CORP_ISSUER": "id.example"}),
        ("a generic provider named like GitHub",
         "WARDEN_PROVIDER_GITHUB_ISSUER: github is built in",
         {"WARDEN_PROVIDER_GITHUB_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GITHUB_CLIENT_SECRET": "y",
          "WARDEN_PROVIDER_GITHUB_ISSUER": "https://id.example"}),
        ("a provider name in lower case",
         "WARDEN_PROVIDER_google_ISSUER: the provider name <P> in "
         "WARDEN_PROVIDER_<P>_... must be [A-Z0-9]{1,32}",
         {"WARDEN_PROVIDER_google_ISSUER": "https://id.example"}),
        ("a provider name with _", "WARDEN_PROVIDER_MY_IDP_ISSUER: the "
         "provider name", {"WARDEN_PROVIDER_MY_IDP_ISSUER":
                           "https://id.example"}),
        ("a generic slot's old _NAME key",
         "WARDEN_PROVIDER_OIDC2_NAME: no such setting",
         {"WARDEN_PROVIDER_OIDC2_CLIENT_ID": "x",
          "WARDEN_PROVIDER_OIDC2_ISSUER": "https://id.example",
          "WARDEN_PROVIDER_OIDC2_NAME": "corp"}),
        ("33 generic providers", "more than 32 generic OpenID Connect "
         "providers", many),
        ("GitHub without a secret", "WARDEN_PROVIDER_GITHUB_CLIENT_SECRET",
         {"WARDEN_PROVIDER_GITHUB_CLIENT_ID": "x"}),
        ("a token URL that is no URL", "WARDEN_PROVIDER_GITHUB_TOKEN_URL",
         {"WARDEN_PROVIDER_GITHUB_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GITHUB_CLIENT_SECRET": "y",
          "WARDEN_PROVIDER_GITHUB_TOKEN_URL": "file:///etc/passwd"}),
        ("a userinfo URL over plain http to another host (an answer "
         "anyone on the way could read or forge)",
         "WARDEN_PROVIDER_GOOGLE_USERINFO_URL: must be https://",
         {"WARDEN_PROVIDER_GOOGLE_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GOOGLE_CLIENT_SECRET": "y",
          "WARDEN_PROVIDER_GOOGLE_USERINFO_URL":
          "http://localhost.warden-test.invalid/userinfo"}),
        ("a token URL over plain http to another host",
         "WARDEN_PROVIDER_GITHUB_TOKEN_URL: must be https://",
         {"WARDEN_PROVIDER_GITHUB_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GITHUB_CLIENT_SECRET": "y",
          "WARDEN_PROVIDER_GITHUB_TOKEN_URL": "http://github.example/t"}),
        ("no success redirect", "WARDEN_PROVIDER_SUCCESS_REDIRECT",
         {"WARDEN_PROVIDER_GOOGLE_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GOOGLE_CLIENT_SECRET": "y",
          "WARDEN_PROVIDER_SUCCESS_REDIRECT": ""}),
        ("an allowed redirect that is no URL",
         "WARDEN_ALLOWED_REDIRECT_URLS",
         {"WARDEN_PROVIDER_GOOGLE_CLIENT_ID": "x",
          "WARDEN_PROVIDER_GOOGLE_CLIENT_SECRET": "y",
          "WARDEN_ALLOWED_REDIRECT_URLS": "https://a.example/, /relative"}),
    ]

    def run(env):
        return subprocess.run([s.run + "/bin/providers"], env=env,
                              capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=10)
    for name, want, env in cases:
        r = run(dict(base, **env))
        t.check("bad configuration stops the binary with one line: " + name,
                r.returncode == 1 and r.stderr.count("\n") == 1 and
                r.stderr.startswith("warden-providers: ") and want in
                r.stderr and "https://id" not in r.stderr, r.stderr)
    # the configuration file is searched as the environment is
    fd, path = tempfile.mkstemp()
    try:
        with os.fdopen(fd, "w") as f:
            f.write("".join("%s='%s'\n" % kv for kv in base.items()
                            if kv[0] != "PATH"))
            f.write("WARDEN_PROVIDER_KEYCLOAK_ISSUER='https://id.example'\n"
                    "WARDEN_PROVIDER_KEYCLOAK_CLIENT_ID=k\n"
                    "WARDEN_PROVIDER_CORP_ISSUER='https://corp.example'\n")
        r = run({"PATH": "/usr/bin:/bin", "WARDEN_CONFIG": path})
        t.check("a generic provider in the config file is found and "
                "checked", r.returncode == 1 and
                "WARDEN_PROVIDER_CORP_CLIENT_ID: required with "
                "WARDEN_PROVIDER_CORP_ISSUER" in r.stderr, r.stderr)
        r = run({"PATH": "/usr/bin:/bin", "WARDEN_CONFIG": path,
                 "WARDEN_PROVIDER_CORP_CLIENT_ID": "c",
                 "WARDEN_PROVIDER_KEYCLOAK_ISSUER": "keycloak.example"})
        t.check("...the environment completes and overrides it per "
                "variable", r.returncode == 1 and
                "WARDEN_PROVIDER_KEYCLOAK_ISSUER: must be an http:// or "
                "https:// URL" in r.stderr, r.stderr)
    finally:
        os.unlink(path)


class IdPStub:
    """A provider's configuration without a server."""

    def __init__(self, url):
        self.url, self.client_id, self.client_secret = url, "c", "s"


def test_failure_as_json_without_failure_url(t):
    s = t.s
    with provider(t, WARDEN_PROVIDER_FAILURE_REDIRECT=None) as idp:
        st, h, b = s.request("GET", "/auth/providers/oidc/callback?code=x&"
                             "state=y")
        b = json.loads(b or b"null")
        t.check("no failure URL: invalid-state as a JSON error",
                st == 400 and b.get("code") == "invalid-state" and
                b.get("statusCode") == 400, (st, b))
        e1 = "json-%s@example.com" % uuid.uuid4().hex[:8]
        s.request("POST", "/auth/register", {
            "Content-Type": "application/json"},
            json.dumps({"email": e1, "password": "correct horse 1"}))
        idp.user = oidc_user(verified=False, email=e1)
        st, loc, cookie, _ = start(s)
        _, cb = idp_get(loc)
        u = urllib.parse.urlsplit(cb)
        st, h, b = s.request("GET", u.path + "?" + u.query,
                             {"Cookie": cookie})
        b = json.loads(b or b"null")
        t.check("no failure URL: email-not-verified as a JSON error (409)",
                st == 409 and b.get("code") == "email-not-verified", (st, b))


def test_named_generic_providers(t):
    """Any number of generic OpenID Connect providers, each found by its
    WARDEN_PROVIDER_<P>_ISSUER and routed under <p>: here OIDC, KEYCLOAK
    and CORP at three issuers (API.md §5.2)."""
    s = t.s
    a, b, c = IdP(), IdP(client_id="warden-b"), IdP(client_id="warden-c",
                                                   client_secret="s3-c")
    try:
        configure(t, a, **dict(generic("KEYCLOAK", b),
                               **generic("CORP", c)))
        for route, idp in (("keycloak", b), ("corp", c)):
            u = oidc_user()
            idp.user = u
            st, loc, _, _ = start(s, route)
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
            t.check("/auth/providers/%s goes to its own issuer" % route,
                    st == 302 and loc.startswith(idp.url + "/authorize?") and
                    q.get("client_id") == idp.client_id and
                    q.get("redirect_uri") == s.url +
                    "/auth/providers/%s/callback" % route, loc)
            st, fin, _, _ = signin(s, route)
            t.check("%s: signed in (its own secret at its token endpoint)"
                    % route, qparam(fin, "refresh_token"), fin)
            t.check("...identity recorded under its route name",
                    one(s, "SELECT provider FROM auth.identities WHERE "
                        "subject = '%s'" % u["sub"]) == route)
        # the same subject at another provider is another identity
        a.user = dict(u, email="other-" + u["email"])
        st, fin, _, _ = signin(s, "oidc")
        t.check("the same sub at another provider: another account",
                qparam(fin, "refresh_token") and
                one(s, "SELECT count(DISTINCT account_id) FROM "
                    "auth.identities WHERE subject = '%s'" % u["sub"]) ==
                "2", fin)
        # a token of one provider presented to another's callback
        c.user = oidc_user()
        st, loc, cookie, _ = start(s, "corp")
        _, cb = idp_get(loc)
        cb = cb.replace("/auth/providers/corp/", "/auth/providers/keycloak/")
        st, fin = callback(s, cb, cookie)
        t.check("corp's state at keycloak's callback: invalid-state",
                fin == FAILURE + "?error=invalid-state", (st, fin))
        for name in ("oidc2", "nosuch", "KEYCLOAK"):
            st, _, _, _ = start(s, name)
            t.check("an unconfigured or upper-case name: 404 (%s)" % name,
                    st == 404, st)
    finally:
        a.close()
        b.close()
        c.close()


def test_provider_routes_are_get_only(t):
    s = t.s
    with provider(t) as idp:
        n = one(s, "SELECT count(*) FROM auth.provider_requests")
        for m in ("HEAD", "POST"):
            st, _, _ = s.request(m, "/auth/providers/oidc",
                                 body="" if m == "POST" else None)
            t.check("%s /auth/providers/oidc: 405" % m, st == 405, st)
        t.check("...and no state row written",
                one(s, "SELECT count(*) FROM auth.provider_requests") == n)


def test_state_cookie_secure_behind_https_proxy(t):
    """The state cookie is Secure when the refresh cookie is: an https
    public URL, or https at a trusted proxy (X-Forwarded-Proto); an
    untrusted peer's word is not taken."""
    s = t.s
    with provider(t, WARDEN_TRUSTED_PROXIES="127.0.0.1/32") as idp:
        idp.user = oidc_user()
        st, h, _ = s.request("GET", "/auth/providers/oidc",
                             {"X-Forwarded-Proto": "https"})
        ck = h.get("set-cookie", "")
        t.check("https at a trusted proxy: the state cookie is Secure",
                st == 302 and ck.startswith("wd_oauth_state=") and
                "; Secure" in ck, (st, ck))
        st, h, _ = s.request("GET", "/auth/providers/oidc",
                             {"X-Forwarded-Proto": "https"},
                             source="127.0.0.9")
        ck = h.get("set-cookie", "")
        t.check("...an untrusted peer saying https: not Secure",
                st == 302 and ck.startswith("wd_oauth_state=") and
                "Secure" not in ck, (st, ck))
