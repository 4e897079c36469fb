"""Issue #10, account side: refresh races (GoTrue's reuse interval), an
absolute session lifetime, throttles that never become a lock-out (per
account and address, per address, per route; Retry-After; trusted
proxies), JSON-only bodies (415), Origin checks in cookie mode, Secure
cookies from the public URL or a trusted proxy, and the outage answer."""
import concurrent.futures
import json
import os
import signal
import subprocess
import time
import uuid

from test_accounts import (action, claims, count, email, get, hook_status,
                           login, post, register, wait_hook)
from stack import early_in
from test_hook import get_hook, payload, run_bin


def req(s, method, path, body=None, headers=(), source=None, typed=True):
    h = list(headers)
    data = None
    if body is not None:
        if typed and not any(k.lower() == "content-type" for k, _ in h):
            h.append(("Content-Type", "application/json"))
        data = body if isinstance(body, str) else json.dumps(body)
    st, hd, b = s.request(method, path, h, data, source=source)
    try:
        b = json.loads(b) if b else None
    except ValueError:
        b = None
    return st, hd, b


def refresh(s, rt, source=None):
    return req(s, "GET", "/auth/token/refresh?refresh_token=" + rt,
               source=source)


def test_refresh_race_keeps_the_session(t):
    s = t.s
    _, _, b = register(s)
    rt0 = b["refresh_token"]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        a, c = list(ex.map(lambda _: refresh(s, rt0), range(2)))
    t.check("two tabs refreshing one token: both 200",
            a[0] == 200 and c[0] == 200, (a[0], c[0], a[2], c[2]))
    if a[0] != 200 or c[0] != 200:
        return
    t.check("...with the same successor (GoTrue's semantics: both tabs "
            "hold one token)", a[2]["refresh_token"] == c[2]["refresh_token"],
            (a[2]["refresh_token"], c[2]["refresh_token"]))
    t.check("...of the same session", claims(a[2]["jwt_token"])["sid"] ==
            claims(c[2]["jwt_token"])["sid"] == claims(b["jwt_token"])["sid"])
    t.check("...which the webhook still accepts",
            hook_status(s, a[2]["jwt_token"]) == 200 and
            hook_status(s, c[2]["jwt_token"]) == 200)
    n = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
              "family_id = '%s'" % claims(b["jwt_token"])["sid"])
    t.check("...and one row for it (no second branch of the session)",
            n == 2, n)
    st, _, e = refresh(s, a[2]["refresh_token"])
    t.check("the successor refreshes on", st == 200, (st, e))
    # a successor has been used now: the first token coming back is theft
    st, _, _ = refresh(s, rt0)
    t.check("the first token after a successor was used: 401", st == 401,
            st)
    t.check("...and the whole session is revoked at the webhook "
            "within 1 s", wait_hook(s, e["jwt_token"], 401))
    n = count(s, "SELECT count(*) FROM auth.revoked_sessions WHERE "
              "family_id = '%s'" % claims(b["jwt_token"])["sid"])
    t.check("...recorded once", n == 1, n)


def test_reuse_after_the_interval_is_theft(t):
    s = t.s
    s.reconfigure(WARDEN_REFRESH_REUSE_INTERVAL="1")
    _, _, b = register(s)
    rt0 = b["refresh_token"]
    st, _, r1 = refresh(s, rt0)
    time.sleep(2.2)
    st, _, _ = refresh(s, rt0)
    t.check("a rotated token past the interval: 401", st == 401, st)
    t.check("...revokes the session at the webhook within 1 s",
            wait_hook(s, r1["jwt_token"], 401))
    s.reconfigure(WARDEN_REFRESH_REUSE_INTERVAL="0")
    _, _, b = register(s)
    st, _, r1 = refresh(s, b["refresh_token"])
    st, _, _ = refresh(s, b["refresh_token"])
    t.check("interval 0: any reuse is theft", st == 401, st)


def test_token_revoke(t):
    """HBP v2's POST /auth/token/revoke (hbp.md §3.3 #4): with a Bearer
    token, every session of its account ends (204)."""
    s = t.s
    addr = email()
    st, _, b = register(s, addr)
    if not t.check("registered", st == 200, (st, b)):
        return
    _, _, b2 = login(s, addr)
    other = register(s)[2]
    st, _, e = req(s, "POST", "/auth/token/revoke", "", typed=False)
    t.check("no Bearer: 401", st == 401, (st, e))
    st, _, e = req(s, "POST", "/auth/token/revoke", "", typed=False,
                   headers=[("Authorization", "Bearer x.y.z")])
    t.check("a bad Bearer: 401", st == 401, (st, e))
    st, _, e = req(s, "POST", "/auth/token/revoke", "", typed=False,
                   headers=[("Authorization", "Bearer " + b["jwt_token"])])
    t.check("Bearer, no body: 204", st == 204 and e is None, (st, e))
    for what, x in (("the first session", b), ("the second", b2)):
        st, _, _ = refresh(s, x["refresh_token"])
        t.check("%s's refresh token: 401" % what, st == 401, st)
        t.check("...and its access token refused at the webhook within "
                "1 s", wait_hook(s, x["jwt_token"], 401))
    st, _, _ = refresh(s, other["refresh_token"])
    t.check("another account's session lives on", st == 200, st)
    st, _, e = req(s, "POST", "/auth/token/revoke", "", typed=False,
                   headers=[("Authorization", "Bearer " + b["jwt_token"])])
    t.check("the revoked session's token again: 401", st == 401, (st, e))


def test_session_max_age(t):
    s = t.s
    _, _, b = register(s)
    sid = claims(b["jwt_token"])["sid"]
    st, _, r1 = refresh(s, b["refresh_token"])
    t.check("young session refreshes", st == 200, st)
    s.psql("UPDATE auth.refresh_tokens SET session_started_at = now() - "
           "interval '91 days' WHERE family_id = '%s'" % sid)
    st, _, r = refresh(s, r1["refresh_token"])
    t.check("a session older than WARDEN_SESSION_MAX_AGE (90 days by "
            "default) does not refresh, however fresh its token", st == 401,
            (st, r))
    _, _, b = register(s)
    sid = claims(b["jwt_token"])["sid"]
    st, _, r1 = refresh(s, b["refresh_token"])
    n = count(s, "SELECT count(DISTINCT session_started_at) FROM "
              "auth.refresh_tokens WHERE family_id = '%s'" % sid)
    t.check("rotation keeps the session's start", n == 1, n)


def test_stranger_cannot_lock_out_the_owner(t):
    s = t.s
    addr = email()
    register(s, addr)
    early_in(900, 30)
    sts, hdr = [], None
    for _ in range(30):
        st, h, b = req(s, "POST", "/auth/login",
                       {"email": addr, "password": "wrong password",
                        "cookie": False}, source="127.0.0.2")
        sts.append(st)
        if st == 429 and hdr is None:
            hdr = (h, b)
    t.check("a stranger's first 10 failures: 401", sts[:10] == [401] * 10,
            sts)
    t.check("then 429 for the stranger", set(sts[10:]) == {429}, sts)
    t.check("429 has Retry-After (seconds) and the code",
            hdr is not None and int(hdr[0].get("retry-after", "0")) > 0 and
            hdr[1]["code"] == "rate-limited", hdr)
    st, _, b = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse",
                    "cookie": False}, source="127.0.0.1")
    t.check("the owner signs in from another address", st == 200, (st, b))
    st, _, b = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse",
                    "cookie": False}, source="127.0.0.2")
    t.check("the stranger's address waits, right password or not",
            st == 429, st)
    t.check("...until the window after this one has passed (its 10 "
            "failures count there too)", 900 < int(hdr[0].get(
                "retry-after", "0")) <= 1800, hdr[0])
    # the window boundary passes: the 10 failures are now the previous
    # window's, and still count (no 10 more guesses within seconds)
    def window_later(pw):
        """The stranger's bucket a window older, then a sign-in."""
        s.psql("UPDATE auth.throttle SET window_start = window_start - "
               "interval '900 seconds' WHERE bucket = sha256(convert_to("
               "'login|%s|127.0.0.2', 'UTF8'))" % addr)
        return req(s, "POST", "/auth/login", {
            "email": addr, "password": pw, "cookie": False},
            source="127.0.0.2")[:2]
    st, h = window_later("wrong password")
    t.check("a new window: still 429 while the last one holds 10 "
            "failures, Retry-After its end", st == 429 and
            0 < int(h.get("retry-after", "0")) <= 900, (st, h))
    st, _ = window_later("correct horse")
    t.check("two windows on, the address signs in again (a throttle, "
            "not a lock-out)", st == 200, st)
    ghost = email()
    sts = [req(s, "POST", "/auth/login",
               {"email": ghost, "password": "x" * 9, "cookie": False},
               source="127.0.0.3")[0] for _ in range(11)]
    t.check("an unknown email is counted the same way (no enumeration)",
            sts == [401] * 10 + [429], sts)
    # through Hasura (the login action) the address is Hasura's, every
    # caller's: the same cap of 10 per account there (API.md §5.1)
    acct = email()
    register(s, acct)
    sts = [action(s, "login", {"email": acct, "password": "wrong password"})
           [::2] for _ in range(11)]
    t.check("the login action: 10 failures, then 429 with a code",
            [x[0] for x in sts] == [401] * 10 + [429] and
            sts[-1][1]["extensions"]["code"] == "rate-limited",
            [x[0] for x in sts])
    st, _, b = req(s, "POST", "/auth/login",
                   {"email": acct, "password": "correct horse",
                    "cookie": False}, source="127.0.0.1")
    t.check("...while the owner's REST sign-in from its address works",
            st == 200, (st, b))
    n = count(s, "SELECT count(*) FROM auth.throttle")
    t.check("counters live in PostgreSQL", n > 0, n)
    n = count(s, "SELECT count(*) FROM auth.throttle t WHERE "
              "t.bucket = sha256(convert_to('login|%s|127.0.0.3', 'UTF8'))"
              % ghost)
    t.check("...stored as a hash of the bucket", n == 1, n)


def test_address_and_route_limits(t):
    s = t.s
    s.reconfigure(WARDEN_LOGIN_MAX_FAILURES_IP="3", WARDEN_RATE_LIMIT="4")
    early_in(900, 30)
    early_in(60, 15)
    sts = [req(s, "POST", "/auth/login",
               {"email": email(), "password": "wrong password",
                "cookie": False}, source="127.0.0.4")[0] for _ in range(4)]
    t.check("failures per address across accounts: 4th is 429",
            sts == [401, 401, 401, 429], sts)
    st, _, _ = req(s, "GET", "/auth/token/refresh?refresh_token=" +
                   str(uuid.uuid4()), source="127.0.0.4")
    t.check("...on every route without credentials", st == 429, st)
    st, _, _ = req(s, "POST", "/auth/login",
                   {"email": email(), "password": "wrong password",
                    "cookie": False}, source="127.0.0.5")
    t.check("...not for another address", st == 401, st)
    sts = [req(s, "POST", "/auth/register",
               {"email": email(), "password": "correct horse",
                "cookie": False}, source="127.0.0.6")[0] for _ in range(5)]
    t.check("requests per route and address: the 5th register is 429",
            sts == [200] * 4 + [429], sts)
    st, _, _ = req(s, "POST", "/auth/login",
                   {"email": email(), "password": "wrong password",
                    "cookie": False}, source="127.0.0.6")
    t.check("...while another route from that address still answers",
            st == 401, st)


def test_trusted_proxy(t):
    s = t.s
    s.reconfigure(WARDEN_TRUSTED_PROXIES="127.0.0.1/32",
                  WARDEN_LOGIN_MAX_FAILURES="2")
    addr = email()
    register(s, addr)

    def bad(xff, source="127.0.0.1"):
        return req(s, "POST", "/auth/login",
                   {"email": addr, "password": "wrong password",
                    "cookie": False},
                   [("X-Forwarded-For", xff)], source=source)[0]
    early_in(900, 30)
    sts = [bad("1.2.3.4, 198.51.100.7") for _ in range(3)]
    t.check("behind a trusted proxy the client is the right-most "
            "X-Forwarded-For entry", sts == [401, 401, 429], sts)
    t.check("a client-chosen entry on the left does not change that",
            bad("9.9.9.9, 198.51.100.7") == 429)
    t.check("another client behind the same proxy is not throttled",
            bad("198.51.100.8") == 401)
    sts = [bad("198.51.100.7", source="127.0.0.8") for _ in range(3)]
    t.check("an untrusted peer's X-Forwarded-For is ignored",
            sts == [401, 401, 429], sts)
    st, h, _ = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse"},
                   [("X-Forwarded-For", "198.51.100.9"),
                    ("X-Forwarded-Proto", "https")])
    t.check("https at a trusted proxy: the refresh cookie is Secure",
            st == 200 and "; Secure" in h.get("set-cookie", ""), (st, h))
    st, h, _ = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse"},
                   [("X-Forwarded-Proto", "https")], source="127.0.0.9")
    t.check("...an untrusted peer saying https does not make it Secure",
            st == 200 and "Secure" not in h.get("set-cookie", ""), (st, h))
    s.reconfigure(WARDEN_SERVER_URL="https://auth.example.com")
    st, h, _ = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse"})
    t.check("an https public URL makes it Secure",
            st == 200 and "; Secure" in h.get("set-cookie", ""), (st, h))


def bad_start(s, changes):
    """1 if the login binary, with the stack's settings and changes,
    stops at start with one line naming the first changed setting."""
    env = dict(s.base_env, **changes)
    env.pop("WARDEN_TRUSTED_PROXIES", None)
    r = run_bin(s, env, "login")
    lines = r.stderr.strip().splitlines()
    return (r.returncode == 1 and len(lines) == 1 and
            next(iter(changes)) in lines[0])


def test_action_client_behind_hasura(t):
    """Hasura forwarding the client's headers (forward_client_headers)
    behind a proxy that reports the client: with Hasura's address in
    WARDEN_TRUSTED_PROXIES the actions count per client address, as the
    REST routes do; without it, X-Forwarded-For is nobody's word."""
    s = t.s
    sec = s.base_env["WARDEN_ACTION_SECRET"]

    def act(name, inp, xff):
        body = {"action": {"name": name}, "input": inp,
                "session_variables": {"x-hasura-role": "anonymous"},
                "request_query": "mutation { %s { id } }" % name}
        h = [("X-Warden-Action-Secret", sec)]
        if xff:
            h.append(("X-Forwarded-For", xff))
        return post(s, "/actions/" + name, body, h)[0]

    def registers(n, xff):
        return [act("register", {"email": email(),
                                 "password": "correct horse"}, xff)
                for _ in range(n)]

    # the common deployment: a proxy in front of Warden that the REST
    # routes trust, through which Hasura's actions come too (it names
    # Hasura's address, every caller's): actions keep no address
    s.reconfigure(WARDEN_TRUSTED_PROXIES="127.0.0.1/32",
                  WARDEN_RATE_LIMIT="4", WARDEN_LOGIN_MAX_FAILURES_IP="3")
    early_in(60, 20)
    sts = [act("login", {"email": email(), "password": "wrong password"},
               "10.1.1.1") for _ in range(6)]
    t.check("actions through a trusted front proxy, setting off: Hasura's "
            "address is nobody's bucket (no shared 429)", sts == [401] * 6,
            sts)
    sts = registers(6, "10.1.1.1")
    t.check("...nor a shared per-route limit", sts == [200] * 6, sts)
    t.check("...and the audit log takes Hasura's peer, not the address a "
            "client could write", count(s, "SELECT count(*) FROM "
                                      "auth.audit_log WHERE ip = "
                                      "'10.1.1.1'") == 0)
    t.check("WARDEN_ACTIONS_FORWARDED_FOR without WARDEN_TRUSTED_PROXIES "
            "stops a binary with one line naming it", bad_start(s, {
                "WARDEN_ACTIONS_FORWARDED_FOR": "true"}))
    s.reconfigure(WARDEN_TRUSTED_PROXIES="127.0.0.1/32",
                  WARDEN_ACTIONS_FORWARDED_FOR="true")
    acct = email()
    register(s, acct)
    early_in(900, 30)
    sts = [act("login", {"email": acct, "password": "wrong password"},
               "203.0.113.9, 198.51.100.20") for _ in range(11)]
    t.check("a forwarded client's failed action sign-ins: 10, then 429",
            sts == [401] * 10 + [429], sts)
    t.check("...the owner, another client behind Hasura, signs in by "
            "the action (no lock-out)", act("login", {
                "email": acct, "password": "correct horse"},
                "198.51.100.21") == 200)
    s.reconfigure(WARDEN_TRUSTED_PROXIES="127.0.0.1/32",
                  WARDEN_ACTIONS_FORWARDED_FOR="true", WARDEN_RATE_LIMIT="4")
    early_in(60, 15)
    sts = registers(5, "198.51.100.22")
    t.check("the register action: 4 a minute per forwarded client, then "
            "429", sts == [200] * 4 + [429], sts)
    t.check("...audited with that client's address", count(
        s, "SELECT count(*) FROM auth.audit_log WHERE event = 'register' "
        "AND ip = '198.51.100.22'") == 4)
    t.check("...another client is not held",
            registers(1, "198.51.100.23") == [200])
    s.reconfigure(WARDEN_RATE_LIMIT="4")
    early_in(60, 15)
    sts = sum((registers(1, "198.51.100.%d" % (30 + i))
               for i in range(6)), [])
    t.check("Hasura not a trusted proxy: X-Forwarded-For changes nothing "
            "(no address, as before)", sts == [200] * 6, sts)
    s.reconfigure()


def test_json_only(t):
    s = t.s
    addr = email()
    body = json.dumps({"email": addr, "password": "correct horse"})
    for ct in ("text/plain", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "application/jsonx", ""):
        st, _, b = req(s, "POST", "/auth/register", body,
                       [("Content-Type", ct)] if ct else [], typed=False)
        t.check("register with %r: 415" % (ct or "no type"),
                st == 415 and b["code"] == "unsupported-media-type",
                (st, b))
    t.check("...and nothing was created",
            count(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                  "'%s'" % addr) == 0)
    st, _, b = req(s, "POST", "/auth/login", body,
                   [("Content-Type", "text/plain;charset=UTF-8")])
    t.check("a cross-site form's text/plain login: 415", st == 415, (st, b))
    st, _, b = req(s, "POST", "/auth/register", body,
                   [("Content-Type", "Application/JSON; charset=utf-8")])
    t.check("application/json with parameters, any case: accepted",
            st == 200, (st, b))


def test_origin_in_cookie_mode(t):
    s = t.s
    addr = email()
    register(s, addr)
    body = {"email": addr, "password": "correct horse"}
    st, h, b = req(s, "POST", "/auth/login", body,
                   [("Origin", "https://evil.example")])
    t.check("cookie-mode login from a foreign origin: 403",
            st == 403 and b["code"] == "origin-not-allowed" and
            "set-cookie" not in h, (st, h, b))
    st, h, _ = req(s, "POST", "/auth/login", body,
                   [("Origin", s.url)])
    t.check("from the public URL's own origin: 200", st == 200, st)
    ck = h.get("set-cookie", "").split(";")[0]
    st, _, _ = req(s, "GET", "/auth/token/refresh",
                   headers=[("Cookie", ck),
                            ("Origin", "https://evil.example")])
    t.check("cookie refresh from a foreign origin: 403", st == 403, st)
    st, _, _ = req(s, "POST", "/auth/login",
                   dict(body, cookie=False),
                   [("Origin", "https://evil.example")])
    t.check("no cookie involved (cookie:false): any origin", st == 200, st)
    st, _, _ = req(s, "POST", "/auth/login", body)
    t.check("no Origin header (not a browser): 200", st == 200, st)
    s.reconfigure(WARDEN_ALLOWED_ORIGINS="https://app.example, "
                  "http://localhost:3000")
    st, _, _ = req(s, "POST", "/auth/login", body,
                   [("Origin", "http://localhost:3000")])
    t.check("an allowed origin: 200", st == 200, st)
    st, _, _ = req(s, "POST", "/auth/login", body,
                   [("Origin", "https://app.example.evil")])
    t.check("a look-alike of an allowed origin: 403", st == 403, st)


def test_cors_for_allowed_origins(t):
    """A browser app on an allowed origin (WARDEN_ALLOWED_ORIGINS) may call
    the account and storage routes across sites, cookies included, as
    HBP's cors() let it; any other origin without cookies ("*": it reads
    what its own Authorization header obtains, nhost-js-sdk's default);
    the webhook (Hasura's) answers no CORS at all."""
    import test_storage as ts
    s = t.s
    app, evil = "http://localhost:3000", "https://evil.example"
    s.reconfigure(WARDEN_ALLOWED_ORIGINS=app)
    pre = [("Access-Control-Request-Method", "POST"),
           ("Access-Control-Request-Headers", "content-type,authorization")]
    st, h, _ = s.request("OPTIONS", "/auth/login", [("Origin", app)] + pre)
    t.check("preflight from an allowed origin: 204 naming it, with "
            "credentials, the headers nhost-js-sdk sends", st == 204 and
            h.get("access-control-allow-origin") == app and
            h.get("access-control-allow-credentials") == "true" and
            {"authorization", "content-type"} <= {
                x.strip().lower() for x in
                h.get("access-control-allow-headers", "").split(",")} and
            "POST" in h.get("access-control-allow-methods", ""), (st, h))
    addr = email()
    register(s, addr)
    st, h, b = req(s, "POST", "/auth/login", {"email": addr, "password":
                                              "correct horse"},
                   [("Origin", app)])
    t.check("its cookie-mode sign-in: 200, readable by that origin",
            st == 200 and h.get("access-control-allow-origin") == app and
            h.get("access-control-allow-credentials") == "true" and
            "origin" in h.get("vary", "").lower() and
            "refresh_token=" in h.get("set-cookie", ""), (st, h))
    st, h, _ = s.request("OPTIONS", "/auth/login", [("Origin", evil)] + pre)
    t.check("preflight from another origin: 204, '*', no credentials",
            st == 204 and h.get("access-control-allow-origin") == "*" and
            "access-control-allow-credentials" not in h, (st, h))
    st, h, b = req(s, "POST", "/auth/login", {"email": addr, "password":
                                              "correct horse",
                                              "cookie": False},
                   [("Origin", evil)])
    t.check("...its cookie:false sign-in readable, without credentials",
            st == 200 and h.get("access-control-allow-origin") == "*" and
            "access-control-allow-credentials" not in h and
            "origin" in h.get("vary", "").lower(), (st, h))
    st, h, b = req(s, "POST", "/auth/login", {"email": addr, "password":
                                              "correct horse"},
                   [("Origin", evil)])
    t.check("...its cookie-mode sign-in still 403 (origin-not-allowed)",
            st == 403 and b["code"] == "origin-not-allowed", (st, b))
    st, h, _ = s.request("OPTIONS", "/auth/login", [("Origin", "null")] +
                         pre)
    t.check("Origin null: '*' alone", h.get("access-control-allow-origin")
            == "*" and "access-control-allow-credentials" not in h, (st, h))
    # storage, as nhost-js-sdk's storage.put and a page reading a file
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/cors.txt" % uid
    st, h, _ = s.request("OPTIONS", "/storage/o/" + key,
                         [("Origin", app)] + pre)
    t.check("storage preflight from the allowed origin: 204",
            st == 204 and h.get("access-control-allow-origin") == app,
            (st, h))
    st, _, _ = ts.upload(s, key, b"hello", tok, raw=True)
    st, h, b = s.request("GET", "/storage/o/" + key,
                         [("Origin", app)] + list(ts.auth(tok).items()))
    t.check("a storage read for it: ETag exposed to the page", st == 200 and
            b == b"hello" and h.get("access-control-allow-origin") == app
            and "etag" in h.get("access-control-expose-headers",
                                "").lower(), (st, h))
    st, h, _ = s.request("GET", "/storage/o/" + key,
                         [("Origin", evil)] + list(ts.auth(tok).items()))
    t.check("...for another origin '*' without credentials (no cookie "
            "goes), Vary: Origin for caches", st == 200 and
            h.get("access-control-allow-origin") == "*" and
            "access-control-allow-credentials" not in h and
            "origin" in h.get("vary", "").lower(), (st, h))
    st, h, _ = s.request("OPTIONS", "/hook", [("Origin", app)] + pre)
    t.check("the webhook answers no CORS (Hasura calls it, no browser)",
            "access-control-allow-origin" not in h, (st, h))
    # "*" off: only the listed origins are answered
    s.reconfigure(WARDEN_ALLOWED_ORIGINS=app, WARDEN_CORS_ANY_ORIGIN="false")
    st, h, _ = s.request("OPTIONS", "/auth/login", [("Origin", evil)] + pre)
    t.check("WARDEN_CORS_ANY_ORIGIN=false: another origin's preflight is "
            "not answered", st != 204 and
            "access-control-allow-origin" not in h, (st, h))
    st, h, _ = req(s, "POST", "/auth/login", {"email": addr, "password":
                                              "correct horse",
                                              "cookie": False},
                   [("Origin", evil)])
    t.check("...nor its requests", st == 200 and
            "access-control-allow-origin" not in h, (st, h))
    st, h, _ = s.request("OPTIONS", "/storage/o/" + key,
                         [("Origin", app)] + pre)
    t.check("...the listed origin still is", st == 204 and
            h.get("access-control-allow-origin") == app, (st, h))


def test_repeated_role_is_a_bad_request(t):
    s = t.s
    st, _, b = register(s, register_options={
        "default_role": "user", "allowed_roles": ["user", "user"]})
    t.check("a repeated role in allowed_roles: 400", st == 400 and
            b["code"] == "invalid-request", (st, b))


def test_login_during_outage(t):
    s = t.s
    addr = email()
    register(s, addr)
    s.pg_ctl("stop", "-m", "fast", "-w")
    try:
        st, _, b = login(s, addr)
        t.check("login while PostgreSQL is down: 503 with a matching "
                "message", st == 503 and
                b["code"] == "database-unavailable" and
                "failed" not in b["message"].lower(), (st, b))
    finally:
        s.pg_ctl("start", "-w", "-l",
                 s.run + "/log/postgresql.log")
    t.check("back after PostgreSQL returns", s.wait_healthy())
    st, _, _ = login(s, addr)
    t.check("login works again without restarting Warden", st == 200, st)


def test_cluster_authenticates_roles(t):
    """The binaries' OS user may be the app role only, never the schema
    owner (a superuser). Only meaningful when the stack runs its
    services as a user of their own, i.e. as root (CI); as one user
    there is nothing to separate (README), so nothing is claimed."""
    import os
    import subprocess
    s = t.s
    if os.getuid() != 0:
        return

    def as_service(role):
        return subprocess.run(
            ["runuser", "-u", "warden", "--", "psql", "-X", "-At",
             "postgresql:///warden?host=%s/sock&user=%s" % (s.run, role),
             "-c", "SELECT current_user"],
            capture_output=True, text=True, cwd="/")
    r = as_service("warden")
    t.check("the service user cannot connect as the schema owner",
            r.returncode != 0 and "authentication failed" in r.stderr,
            (r.returncode, r.stderr))
    r = as_service("postgres")
    t.check("...nor as any other role", r.returncode != 0, r.stderr)
    r = as_service("warden_app")
    t.check("it connects as warden_app", r.returncode == 0 and
            r.stdout.strip() == "warden_app", (r.returncode, r.stderr))
    r = s.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'warden_app'")
    t.check("warden_app is no superuser", r.stdout.strip() == "f",
            r.stdout)


def test_cross_site_logout(t):
    """A page on a foreign origin may not end the cookie's session (a
    cross-site form signing a victim out), but a client that names its
    own token (nhost-js-sdk: ?refresh_token=) signs out from any origin,
    as its refresh works from any origin; the cookie stays untouched."""
    s = t.s
    addr = email()
    _, _, b = register(s, addr)
    st, h, _ = req(s, "POST", "/auth/login",
                   {"email": addr, "password": "correct horse"})
    ck = h.get("set-cookie", "").split(";")[0]
    st, h, _ = req(s, "POST", "/auth/logout", {},
                   [("Origin", "https://evil.example"), ("Cookie", ck)])
    t.check("a cross-site logout by the cookie: 403, no Set-Cookie",
            st == 403 and "set-cookie" not in h, (st, h))
    st, _, _ = req(s, "GET", "/auth/token/refresh",
                   headers=[("Cookie", ck)])
    t.check("...and the cookie's session lives on", st == 200, st)
    st, h, _ = req(s, "POST", "/auth/logout?refresh_token=" +
                   b["refresh_token"], {},
                   [("Origin", "http://localhost:3000")])
    t.check("a cross-site logout naming its token: 204, the cookie left "
            "alone", st == 204 and "set-cookie" not in h, (st, h))
    st, _, _ = refresh(s, b["refresh_token"])
    t.check("...and that session is ended", st == 401, st)



def held_row(s, acct, fire, change):
    """Runs fire() in a thread while the test holds account acct's row
    lock; once fire's statement waits on that lock (or ended), runs the
    SQL change in the same transaction (or calls it, if callable) and
    commits, and returns (waited, fire's result)."""
    from pgproxy import lit, owner
    db = owner(s)
    try:
        db.query("BEGIN")
        db.query("SELECT 1 FROM auth.accounts WHERE id = %s FOR UPDATE" %
                 lit(acct))
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(fire)
            waited = False
            for _ in range(200):
                waited = count(s, "SELECT count(*) FROM pg_stat_activity "
                               "WHERE wait_event_type = 'Lock' AND query "
                               "LIKE '%auth.accounts%'") > 0
                if waited or fut.done():
                    break
                time.sleep(0.05)
            if callable(change):
                change()
            else:
                db.query(change)
            db.query("COMMIT")
            return waited, fut.result(30)
    finally:
        db.close()


def test_no_query_secret_in_the_error_log(t):
    """lighttpd writes the request's query into its own error lines ("
    response not received ... for <path>?<query>" when a binary dies
    mid-request, "all handlers for <path>?<query> ... are down"), and the
    query is where HBP clients put refresh tokens, tickets and storage
    tokens; a failed refresh is not rotated, so a logged token stays
    live. headers.lua blanks lighttpd's copy (the binaries read
    REQUEST_URI). Found by the session reviewer."""
    from pgproxy import lit
    s = t.s
    _, _, b = register(s)
    rt = b["refresh_token"]
    acct = s.psql("SELECT account_id FROM auth.refresh_tokens WHERE "
                  "token_hash = sha256(convert_to(%s, 'UTF8'))" % lit(rt)
                  ).stdout.strip()
    logf = os.path.join(s.run, "log", "lighttpd.error.log")
    with open(logf, "rb") as f:
        mark = f.seek(0, 2)
    lpid = open(os.path.join(s.run, "lighttpd.pid")).read().strip()
    pids = []

    def kill():
        # the refresh binaries die mid-request (a crash, an OOM kill,
        # a deploy): lighttpd logs the request it lost
        out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", lpid],
                             capture_output=True, text=True).stdout
        pids.extend(int(ln.split()[0]) for ln in out.splitlines()
                    if ln.split()[1:] == ["refresh"])
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    _, r = held_row(s, acct, lambda: refresh(s, rt), kill)
    with open(logf, "rb") as f:
        f.seek(mark)
        log = f.read().decode("utf-8", "replace")
    lost = [ln for ln in log.splitlines() if "/auth/token/refresh" in ln]
    t.check("a refresh whose binary died: 5xx, and lighttpd logged it",
            pids and r[0] >= 500 and lost, (pids, r[:2], log[-400:]))
    t.check("...without the refresh token", rt not in log, lost[:2])


def registered(t, label):
    """A freshly registered account: (its address, its auth.accounts
    id), or None when the registration failed (checked)."""
    from pgproxy import lit
    s = t.s
    addr = email()
    st, _, b = register(s, addr)
    if not t.check("%s: registered" % label, st == 200, (st, b)):
        return None
    return addr, s.psql("SELECT id FROM auth.accounts WHERE email = %s" %
                        lit(addr)).stdout.strip()


def test_login_racing_a_password_change(t):
    """A login checks the password unlocked (the hash is slow), then
    issues its session; a change that commits in between (a reset, a
    provider's reclaim dropping the password) voids it: 401, no session.
    Made deterministic by holding the account's row lock while the login
    hashes, and changing the hash before letting it go."""
    from pgproxy import lit
    s = t.s
    got = registered(t, "race")
    if got is None:
        return
    addr, acct = got
    waited, (st, _, b) = held_row(
        s, acct, lambda: login(s, addr),
        "UPDATE auth.accounts SET password_hash = NULL WHERE id = %s" %
        lit(acct))
    t.check("race: the login waits on the account's lock", waited)
    t.check("race: the login is refused 401", st == 401, (st, b))
    n = count(s, "SELECT count(*) FROM auth.refresh_tokens r JOIN "
              "auth.accounts a ON a.id = r.account_id WHERE a.email = %s" %
              lit(addr))
    t.check("race: only the registration's session exists", n == 1, n)


def _two_held(s, first, second):
    """first() and second() in threads while the test holds
    auth.refresh_tokens in SHARE mode: first starts, and once it waits
    on a lock (at its first write, its row locks taken) second starts;
    once both wait (or either ended) the test lets go. (both waited,
    first's result, second's result)."""
    from pgproxy import owner

    def waiting():
        return count(s, "SELECT count(*) FROM pg_stat_activity WHERE "
                     "wait_event_type = 'Lock' AND backend_type = "
                     "'client backend'")

    db = owner(s)
    try:
        db.query("BEGIN")
        db.query("LOCK TABLE auth.refresh_tokens IN SHARE MODE")
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            f1 = ex.submit(first)
            for _ in range(200):
                if waiting() >= 1 or f1.done():
                    break
                time.sleep(0.05)
            f2 = ex.submit(second)
            both = False
            for _ in range(200):
                both = waiting() >= 2
                if both or f1.done() or f2.done():
                    break
                time.sleep(0.05)
            db.query("COMMIT")
            return both, f1.result(30), f2.result(30)
    finally:
        db.close()


def _revocation_racing_a_refresh(t, label, revoke, want):
    """A refresh in flight while a whole account's sessions are revoked
    (revoke(s, session) with another session of the account answers
    want): the refresh's successor must go with the account's other
    tokens, not outlive the revocation (it was refused only by the
    revoked_sessions row). Made deterministic by _two_held: the refresh
    stops at its first write with its locks taken, the revocation
    starts, the test lets go once both wait."""
    s = t.s
    got = registered(t, label)
    if got is None:
        return
    addr, acct = got
    _, _, one = login(s, addr)
    _, _, two = login(s, addr)
    both, r, lo = _two_held(s, lambda: refresh(s, one["refresh_token"]),
                            lambda: revoke(s, two))
    t.check("%s: refresh and revocation both waited" % label, both)
    t.check("%s: the refresh in flight ends (200)" % label, r[0] == 200, r)
    t.check("%s: the revocation answers %d" % (label, want), lo[0] == want,
            lo)
    n = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
              "account_id = '%s' AND family_id <> '%s'" %
              (acct, claims(two["jwt_token"])["sid"]))
    t.check("%s: no other session's refresh token survives, the "
            "refresh's successor included" % label, n == 0, n)
    if r[0] == 200:
        # as pruning by expires_at would: only the token rows refuse now
        s.psql("DELETE FROM auth.revoked_sessions WHERE family_id = '%s'"
               % claims(one["jwt_token"])["sid"])
        st, _, b = refresh(s, r[2]["refresh_token"])
        t.check("%s: the successor refreshes no more, even with the "
                "revoked_sessions row gone" % label, st == 401, (st, b))


def test_logout_all_racing_a_refresh(t):
    _revocation_racing_a_refresh(
        t, "logout all race", lambda s, two: req(
            s, "POST", "/auth/logout?refresh_token=" + two["refresh_token"],
            {"all": True}), 204)


def test_password_change_racing_a_refresh(t):
    _revocation_racing_a_refresh(
        t, "password change race", lambda s, two: req(
            s, "POST", "/auth/change-password",
            {"old_password": "correct horse",
             "new_password": "battery staple"},
            [("Authorization", "Bearer " + two["jwt_token"])]), 204)


def test_token_revoke_racing_a_refresh(t):
    _revocation_racing_a_refresh(
        t, "token revoke race", lambda s, two: req(
            s, "POST", "/auth/token/revoke", "", typed=False,
            headers=[("Authorization", "Bearer " + two["jwt_token"])]), 204)


def test_reuse_detection_racing_a_rotation(t):
    """A replayed (stolen) token revokes its session while the session's
    newest token is being rotated by another refresh process: the new
    successor must go with the family. The rotation is held mid-flight
    on a table lock as above; the replay goes to a second refresh
    process of its own (the stack runs one), as a larger pool or a
    second host would take it. The revoked_sessions row is dropped
    afterwards, as pruning by expires_at would, so that only the token
    rows can refuse the successor."""
    import fcgi
    s = t.s
    st, _, b = register(s)
    if not t.check("reuse race: registered", st == 200, (st, b)):
        return
    t0 = b["refresh_token"]
    fam = claims(b["jwt_token"])["sid"]
    _, _, r1 = refresh(s, t0)
    _, _, r2 = refresh(s, r1["refresh_token"])   # t0's successor used

    def replay(sock):
        return fcgi.ask(sock, {
            "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_URI": "/auth/token/refresh?refresh_token=" + t0,
            "REMOTE_ADDR": "127.0.0.1"})

    env = getattr(s, "cur_env", s.base_env)
    with fcgi.Solo(s, "refresh", env) as sock:
        both, r, x = _two_held(s, lambda: refresh(s, r2["refresh_token"]),
                               lambda: replay(sock))
    t.check("reuse race: rotation and replay both waited", both)
    t.check("reuse race: the rotation in flight ends (200)", r[0] == 200,
            r[:2])
    t.check("reuse race: the replay is refused 401", x[0] == 401, x)
    n = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
              "family_id = '%s'" % fam)
    t.check("reuse race: no token of the revoked session survives, the "
            "rotation's successor included", n == 0, n)
    if r[0] == 200:
        s.psql("DELETE FROM auth.revoked_sessions WHERE family_id = '%s'"
               % fam)
        st, _, e = refresh(s, r[2]["refresh_token"])
        t.check("reuse race: the successor refreshes no more, even with "
                "the revoked_sessions row gone", st == 401, (st, e))


def test_expired_revocations_pruned(t):
    """auth.revoked_sessions does not grow for ever: each revocation
    takes a few expired entries away, with any token still in their
    families (none can be refreshed once its entry is gone); live
    entries stay."""
    import os
    s = t.s
    got = registered(t, "prune")
    if got is None:
        return
    addr, acct = got
    old, live = str(uuid.uuid4()), str(uuid.uuid4())
    s.psql("INSERT INTO auth.revoked_sessions (family_id, expires_at) "
           "VALUES ('%s', now() - interval '1 minute'), ('%s', now() + "
           "interval '1 hour'); INSERT INTO auth.refresh_tokens "
           "(token_hash, family_id, account_id, expires_at) VALUES "
           "('\\x%s', '%s', '%s', now() + interval '1 day')" %
           (old, live, os.urandom(32).hex(), old, acct))
    n0 = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
               "family_id = '%s'" % old)
    _, _, b = login(s, addr)
    st, _, _ = req(s, "POST", "/auth/logout?refresh_token=" +
                   b["refresh_token"], {})
    t.check("prune: a logout", st == 204, st)
    gone = count(s, "SELECT count(*) FROM auth.revoked_sessions WHERE "
                 "family_id = '%s'" % old)
    kept = count(s, "SELECT count(*) FROM auth.revoked_sessions WHERE "
                 "family_id = '%s'" % live)
    tok = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
                "family_id = '%s'" % old)
    t.check("prune: the expired entry is gone, with its family's token",
            n0 == 1 and gone == 0 and tok == 0, (n0, gone, tok))
    t.check("prune: the live entry stays", kept == 1, kept)


def test_forged_notification_not_taken_blindly(t):
    """NOTIFY takes no privilege: any role that may connect can send
    warden_revoked. The webhook takes a notified session only once its
    row is in auth.revoked_sessions (which only the writers fill), and
    only a uuid; a real revocation still arrives within a second."""
    s = t.s
    odd = "z" * 8 + "-zzzz-zzzz-zzzz-" + "z" * 12
    live = str(uuid.uuid4())
    tok_odd = s.mint(payload(sid=odd))
    tok_live = s.mint(payload(sid=live))
    t.check("tokens of both sids pass before", hook_status(s, tok_odd) ==
            200 and hook_status(s, tok_live) == 200)
    s.psql("NOTIFY warden_revoked, '%s 4102444800'; NOTIFY warden_revoked, "
           "'%s 4102444800'" % (odd, live))
    # and a flood of them: one query whatever the count (a reload past
    # 256), so the feed stays good and sessions keep answering
    s.psql("SELECT count(pg_notify('warden_revoked', gen_random_uuid()::text"
           " || ' 4102444800')) FROM generate_series(1, 20000)")
    # a real revocation notified after the forged ones: once it is
    # taken, the forged ones were looked at too
    _, _, b = register(s)
    st, _, _ = req(s, "POST", "/auth/logout?refresh_token=" +
                   b["refresh_token"], {})
    t.check("a real revocation (logout) is refused within 1 s",
            st == 204 and wait_hook(s, b["jwt_token"], 401))
    # every hook process has read both by now (the promise: 1 s)
    time.sleep(1.0)
    t.check("...a forged notification of a live session is not taken, "
            "and the flood leaves the feed good (200, not 503)",
            hook_status(s, tok_live) == 200)
    t.check("...nor one that is not a uuid",
            hook_status(s, tok_odd) == 200)


def test_revocation_outlives_the_previous_keys_skew(t):
    """A revoked session stays refused as long as any of its access
    tokens verifies: during a key rotation whose previous key allows
    more skew than the current one, as long as that skew too."""
    s = t.s
    cur = s.secret()
    prev = dict(cur, key="p" * 40, allowed_skew=3600)
    s.reconfigure(WARDEN_JWT_SECRET=json.dumps(dict(cur, allowed_skew=0)),
                  WARDEN_JWT_PREVIOUS_SECRET=json.dumps(prev),
                  WARDEN_JWT_EXPIRES_IN="15")
    try:
        addr = email()
        register(s, addr)
        _, _, b = login(s, addr)
        st, _, _ = req(s, "POST", "/auth/logout?refresh_token=" +
                       b["refresh_token"], {})
        sid = claims(b["jwt_token"])["sid"]
        secs = count(s, "SELECT floor(extract(epoch FROM expires_at - "
                     "now())) FROM auth.revoked_sessions WHERE family_id = "
                     "'%s'" % sid)
        t.check("logout under rotation: the entry lasts the token's 15 "
                "min plus the previous key's hour of skew",
                st == 204 and secs >= (15 + 60) * 60 - 30, (st, secs))
    finally:
        s.reconfigure()


def test_reset_request_racing_an_address_change(t):
    """A reset requested while the account's address changes: when the
    change commits first, no ticket is made for the old address (it
    would later mark the new address proven). The request's lookup is
    held on the account's row lock while the address changes."""
    from pgproxy import lit
    s = t.s
    got = registered(t, "reset race")
    if got is None:
        return
    addr, acct = got
    _, (st, _, b) = held_row(
        s, acct, lambda: post(s, "/auth/change-password/request",
                              {"email": addr}),
        "UPDATE auth.accounts SET email = %s WHERE id = %s" %
        (lit("moved-" + addr), lit(acct)))
    t.check("reset race: the request answers as always",
            st in (200, 204), (st, b))
    n = count(s, "SELECT count(*) FROM auth.tickets WHERE account_id = %s "
              "AND purpose = 'reset'" % lit(acct))
    t.check("reset race: no reset ticket for the old address", n == 0, n)


def test_action_of_a_revoked_session_refused(t):
    """An Action call carries no token, only the session variables Hasura
    took from the webhook's answer (or, in JWT mode, from the token's
    claims): Warden's tokens name their session there
    (x-hasura-session-id), so a call of a session that was revoked
    (logout, reuse, a provider reclaiming the account) is refused even
    while Hasura still holds the old answer or WebSocket."""
    s = t.s
    addr = email()
    st, _, b = register(s, addr)
    t.check("register", st == 200, (st, b))
    jwt, rt = b.get("jwt_token", ""), b.get("refresh_token", "")
    c = claims(jwt)
    ns = c.get("https://hasura.io/jwt/claims", {})
    t.check("the token names its session in the Hasura claims",
            ns.get("x-hasura-session-id") == c.get("sid") and
            c.get("sid"), (ns, c.get("sid")))
    st, h, hb = get_hook(s, jwt)
    answer = json.loads(hb) if st == 200 else {}
    # Hasura reads session variable names in any case and lower-cases
    # them for the action
    sess = {k.lower(): v for k, v in answer.items()
            if k.lower().startswith("x-hasura-")}
    t.check("the webhook passes it on as a session variable",
            sess.get("x-hasura-session-id") == c.get("sid"), answer)
    st, _, r = action(s, "mfa_generate", {}, session=sess)
    t.check("an action of the live session: 200", st == 200, (st, r))
    st, _, _ = s.request("POST", "/auth/logout?refresh_token=" + rt, [], "")
    t.check("logout", st in (200, 204), st)
    st, _, r = action(s, "mfa_generate", {}, session=sess)
    t.check("the same session variables after the logout: 401",
            st == 401, (st, r))
    other = dict(sess)
    other.pop("x-hasura-session-id")
    st, _, r = action(s, "mfa_generate", {}, session=other)
    t.check("...without a session id (a token from elsewhere): the user "
            "alone decides, as before", st == 200, (st, r))
    bad = dict(sess, **{"x-hasura-session-id": "not-a-uuid"})
    st, _, r = action(s, "mfa_generate", {}, session=bad)
    t.check("a malformed session id: 401", st == 401, (st, r))
    for name in ("session_id", "user_id"):
        r = run_bin(s, dict(s.base_env, WARDEN_JWT_CUSTOM_FIELDS=name),
                    "login")
        t.check("a custom claim column %s is refused at start (one line)"
                % name, r.returncode == 1 and
                len(r.stderr.strip().splitlines()) == 1 and
                "WARDEN_JWT_CUSTOM_FIELDS" in r.stderr,
                (r.returncode, r.stderr))
