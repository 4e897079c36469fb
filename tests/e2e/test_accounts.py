"""Accounts (issue #5): REST (HBP v2 / nhost-js-sdk shapes) and Hasura
Actions, refresh rotation and reuse detection, revocation seen by the
webhook, activation by email, bcrypt migration."""
import base64
import concurrent.futures
import json
import re
import time
import uuid

from smtp_sink import SmtpSink
from test_hook import UA, get_hook, run_bin

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                     r"-[0-9a-f]{12}$")
NS = "https://hasura.io/jwt/claims"


def email():
    return "u%s@example.com" % uuid.uuid4().hex[:12]


def post(s, path, body, headers=()):
    h = [("Content-Type", "application/json")] + list(headers)
    st, hd, b = s.request("POST", path, h, json.dumps(body))
    return st, hd, (json.loads(b) if b else None)


def get(s, path, headers=()):
    st, hd, b = s.request("GET", path, list(headers))
    return st, hd, (json.loads(b) if b else None)


def claims(jwt):
    p = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def register(s, addr=None, pw="correct horse", **more):
    body = {"email": addr or email(), "password": pw, "cookie": False}
    body.update(more)
    return post(s, "/auth/register", body)


def login(s, addr, pw="correct horse", cookie=False):
    return post(s, "/auth/login", {"email": addr, "password": pw,
                                   "cookie": cookie})


def count(s, sql):
    return int(s.psql(sql).stdout.strip() or -1)


def action(s, name, inp, secret=None, session=None):
    body = {"action": {"name": name}, "input": inp,
            "session_variables": session or {"x-hasura-role": "anonymous"},
            "request_query": "mutation { %s { id } }" % name}
    sec = secret if secret is not None else s.base_env["WARDEN_ACTION_SECRET"]
    h = [("User-Agent", UA)]
    if sec:
        h.append(("X-Warden-Action-Secret", sec))
    return post(s, "/actions/" + name, body, h)


def hook_status(s, jwt):
    st, _, _ = get_hook(s, jwt)
    return st


def wait_hook(s, jwt, want, secs=1.0):
    """The webhook must answer want within secs (revocation latency)."""
    end = time.time() + secs
    st = None
    while time.time() < end:
        st = hook_status(s, jwt)
        if st == want:
            return True
        time.sleep(0.05)
    return hook_status(s, jwt) == want


def test_register_login_session_shape(t):
    s = t.s
    addr = email()
    st, h, b = register(s, addr.upper())
    t.check("register 200", st == 200, (st, b))
    t.check("session shape", b and isinstance(b.get("jwt_token"), str) and
            b.get("jwt_expires_in") == 15 * 60 * 1000 and
            UUID_RE.match(b.get("refresh_token", "")) and
            b["user"]["email"] == addr and UUID_RE.match(b["user"]["id"]),
            b)
    c = claims(b["jwt_token"])
    ns = c.get(NS, {})
    t.check("claims: user id, default role, allowed roles", ns.get(
        "x-hasura-user-id") == b["user"]["id"] and ns.get(
        "x-hasura-default-role") == "user" and "user" in ns.get(
        "x-hasura-allowed-roles", []), c)
    t.check("claims: sub, iat, exp, sid", c.get("sub") == b["user"]["id"]
            and c["exp"] - c["iat"] == 900 and UUID_RE.match(c.get("sid",
                                                                  "")), c)
    st, h, b2 = login(s, addr)
    t.check("login 200 with body refresh token (cookie:false)", st == 200
            and UUID_RE.match(b2.get("refresh_token", "")), (st, b2))
    t.check("new refresh token per login",
            b2["refresh_token"] != b["refresh_token"])
    st, h, b3 = login(s, addr, cookie=True)
    ck = h.get("set-cookie", "")
    t.check("login with cookie: HttpOnly SameSite=Lax Path=/auth", st == 200
            and "refresh_token=" in ck and "HttpOnly" in ck and
            "SameSite=Lax" in ck and "Path=/auth" in ck, ck)
    t.check("login with cookie: token not in body",
            "refresh_token" not in b3, b3)
    st, _, o = get_hook(s, b2["jwt_token"])
    o = json.loads(o)
    t.check("webhook accepts the login token", st == 200 and
            o.get("X-Hasura-User-Id") == b["user"]["id"] and
            o.get("X-Hasura-Role") == "user", o)
    st, _, u = get(s, "/auth/user", [("Authorization", "Bearer " +
                                      b2["jwt_token"])])
    t.check("/auth/user profile", st == 200 and u["id"] == b["user"]["id"]
            and u["email"] == addr and u["default_role"] == "user" and
            "user" in u["roles"], (st, u))
    st, _, u = get(s, "/auth/user", [])
    t.check("/auth/user without token: 401", st == 401, st)
    rows = count(s, "SELECT count(*) FROM auth.refresh_tokens r JOIN "
                 "auth.accounts a ON a.id = r.account_id WHERE a.email = "
                 "'%s' AND r.token_hash = sha256(convert_to('%s','UTF8'))"
                 % (addr, b2["refresh_token"]))
    t.check("refresh token stored only as its hash", rows == 1, rows)
    clear = count(s, "SELECT count(*) FROM auth.refresh_tokens WHERE "
                  "encode(token_hash, 'escape') LIKE '%%%s%%'" %
                  b2["refresh_token"])
    t.check("no clear refresh token in the table", clear == 0, clear)
    ph = s.psql("SELECT password_hash FROM auth.accounts WHERE email = "
                "'%s'" % addr).stdout.strip()
    t.check("password stored as yescrypt", ph.startswith("$y$") and
            "correct horse" not in ph, ph[:10])


def test_register_rejections_leave_nothing(t):
    s = t.s
    addr = email()
    register(s, addr)
    before = count(s, "SELECT count(*) FROM public.users")
    acc = count(s, "SELECT count(*) FROM auth.accounts")
    cases = [
        ("duplicate email (other case)", {"email": addr.upper(),
                                          "password": "correct horse"}, 409),
        ("invalid email", {"email": "not-an-email", "password": "x" * 10},
         400),
        ("email two @", {"email": "a@b@example.com", "password": "x" * 10},
         400),
        ("non-ASCII email", {"email": "\u00c9t\u00e9@example.com",
                             "password": "x" * 10}, 400),
        ("email too long", {"email": "a" * 250 + "@example.com",
                            "password": "x" * 10}, 400),
        ("short password", {"email": email(), "password": "short"}, 400),
        ("missing password", {"email": email()}, 400),
        ("password not string", {"email": email(), "password": 12345678},
         400),
        ("password over 1024 bytes", {"email": email(),
                                      "password": "x" * 1025}, 400),
        ("user_data field not allowed", {"email": email(), "password":
                                         "correct horse",
                                         "user_data": {"avatar_url": "x"}},
         400),
        ("role outside allowed", {"email": email(), "password":
                                  "correct horse", "register_options": {
                                      "allowed_roles": ["user", "admin"]}},
         400),
        ("default role not in allowed", {"email": email(), "password":
                                         "correct horse", "register_options":
                                         {"default_role": "me",
                                          "allowed_roles": ["user"]}}, 400),
    ]
    for name, body, want in cases:
        st, _, b = post(s, "/auth/register", body)
        t.check("register %s: %d" % (name, want), st == want and
                b.get("statusCode") == want and isinstance(b.get("code"), str)
                and isinstance(b.get("message"), str), (st, b))
    t.check("rejected registers left no user row",
            count(s, "SELECT count(*) FROM public.users") == before)
    t.check("rejected registers left no account row",
            count(s, "SELECT count(*) FROM auth.accounts") == acc)
    st, _, b = post(s, "/auth/register", None) if False else (None, None,
                                                              None)
    st, _, raw = s.request("POST", "/auth/register",
                           [("Content-Type", "application/json")], "{bad")
    t.check("register non-JSON: 400", st == 400, (st, raw))
    st, _, raw = s.request("POST", "/auth/register",
                           [("Content-Type", "application/json")],
                           json.dumps({"email": email(), "password": "p" * 8,
                                       "pad": "x" * 20000}))
    t.check("register body over cap: 413", st == 413, (st, raw[:100]))


def test_login_no_enumeration(t):
    s = t.s
    addr = email()
    register(s, addr)
    st1, _, b1 = login(s, addr, "wrong password")
    st2, _, b2 = login(s, "nobody-%s@example.com" % uuid.uuid4().hex[:8],
                       "wrong password")
    t.check("wrong password: 401", st1 == 401, (st1, b1))
    t.check("unknown email: same status, code and message",
            (st1, b1.get("code"), b1.get("message")) ==
            (st2, b2.get("code"), b2.get("message")), (b1, b2))
    times = {"known": [], "unknown": []}
    for _ in range(5):
        for k, a in (("known", addr), ("unknown", "x%s@example.com" %
                                       uuid.uuid4().hex[:8])):
            t0 = time.time()
            login(s, a, "wrong password")
            times[k].append(time.time() - t0)
    # the fastest of each: noise from the shared CPUs only adds time
    k, u = min(times["known"]), min(times["unknown"])
    t.check("unknown email takes about as long (dummy hash verified)",
            0.5 < k / u < 2.0, (k, u))
    st, _, b = login(s, "not-an-email", "whatever1")
    t.check("login with invalid email: 400", st == 400, (st, b))
    n = count(s, "SELECT count(*) FROM auth.audit_log WHERE event = "
              "'login_failed'")
    t.check("failed logins audited", n >= 2, n)


def test_refresh_rotation_and_reuse(t):
    s = t.s
    addr = email()
    _, _, b = register(s, addr)
    rt0, jwt0 = b["refresh_token"], b["jwt_token"]
    st, _, r1 = get(s, "/auth/token/refresh?refresh_token=" + rt0)
    t.check("refresh 200 with new tokens", st == 200 and
            r1["refresh_token"] != rt0 and isinstance(r1["jwt_token"], str),
            (st, r1))
    t.check("refreshed token keeps the session id",
            claims(r1["jwt_token"])["sid"] == claims(jwt0)["sid"])
    st, _, r2 = get(s, "/auth/token/refresh?refresh_token=" +
                    r1["refresh_token"])
    t.check("second rotation 200", st == 200, (st, r2))
    t.check("webhook accepts before reuse", hook_status(s, r2["jwt_token"])
            == 200)
    st, _, bad = get(s, "/auth/token/refresh?refresh_token=" + rt0)
    t.check("reused (rotated) token: 401", st == 401, (st, bad))
    st, _, bad = get(s, "/auth/token/refresh?refresh_token=" +
                     r2["refresh_token"])
    t.check("reuse revoked the whole family: newest token 401", st == 401,
            (st, bad))
    t.check("webhook rejects the family's access token within 1 s",
            wait_hook(s, r2["jwt_token"], 401))
    t.check("webhook rejects the first access token too",
            hook_status(s, jwt0) == 401)
    n = count(s, "SELECT count(*) FROM auth.audit_log a JOIN auth.accounts "
              "c ON c.user_id = a.user_id WHERE c.email = '%s' AND a.event "
              "= 'refresh_reuse'" % addr)
    t.check("reuse audited", n == 1, n)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   str(uuid.uuid4()))
    t.check("unknown refresh token: 401", st == 401)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=nonsense")
    t.check("malformed refresh token: 401", st == 401)
    st, _, _ = get(s, "/auth/token/refresh")
    t.check("no refresh token: 401", st == 401)
    # cookie flow
    st, h, _ = login(s, addr, cookie=True)
    ck = h["set-cookie"].split(";")[0]
    st, h2, r3 = get(s, "/auth/token/refresh", [("Cookie", ck)])
    t.check("refresh from cookie: new cookie, no body token", st == 200 and
            "refresh_token=" in h2.get("set-cookie", "") and
            "refresh_token" not in r3, (st, h2, r3))
    # a cross-site link to a refresh by query, with the linker's own
    # token, arrives with the victim's cookie: it must not clear it
    _, _, other = login(s, addr)
    ck2 = h2["set-cookie"].split(";")[0]
    st, h3, r4 = get(s, "/auth/token/refresh?refresh_token=" +
                     other["refresh_token"], [("Cookie", ck2)])
    t.check("refresh by query beside a cookie: the cookie is left alone",
            st == 200 and "set-cookie" not in h3 and "refresh_token" in r4,
            (st, h3))
    st, _, _ = get(s, "/auth/token/refresh", [("Cookie", ck2)])
    t.check("...and still refreshes", st == 200, st)


def test_reuse_with_odd_user_agent_keeps_service_up(t):
    """Regression (security review): a failed statement in the reuse path
    must not leave the connection in an aborted transaction."""
    s = t.s
    _, _, b = register(s)
    rt0 = b["refresh_token"]
    _, _, r1 = get(s, "/auth/token/refresh?refresh_token=" + rt0)
    # its successor used: a reuse now is a theft, not a race (issue #10)
    get(s, "/auth/token/refresh?refresh_token=" + r1["refresh_token"])
    st, _, _ = s.request("GET", "/auth/token/refresh?refresh_token=" + rt0,
                         [("User-Agent", "\xff\xfe odd")])
    t.check("reuse with a non-UTF-8 User-Agent: 401", st == 401, st)
    n = count(s, "SELECT count(*) FROM auth.revoked_sessions WHERE "
              "family_id = '%s'" % claims(b["jwt_token"])["sid"])
    t.check("...and the family was revoked", n == 1, n)
    _, _, b2 = register(s)
    st, _, r = get(s, "/auth/token/refresh?refresh_token=" +
                   b2["refresh_token"])
    t.check("refresh still works for others afterwards", st == 200,
            (st, r))
    st, _, r = s.request("POST", "/auth/login",
                         [("Content-Type", "application/json"),
                          ("User-Agent", "x" * 600 + "\xc3\xa9")],
                         json.dumps({"email": b2["user"]["email"],
                                     "password": "correct horse",
                                     "cookie": False}))
    t.check("login with a long non-ASCII User-Agent works", st == 200, st)


def test_logout_with_rotated_token_revokes_family(t):
    s = t.s
    _, _, b = register(s)
    rt0 = b["refresh_token"]
    st, _, r1 = get(s, "/auth/token/refresh?refresh_token=" + rt0)
    st, _, r2 = get(s, "/auth/token/refresh?refresh_token=" +
                    r1["refresh_token"])
    st, _, _ = s.request("POST", "/auth/logout?refresh_token=" + rt0, [],
                         "")
    t.check("logout with a rotated token whose successor was used: 204 "
            "(its session ends, as asked)", st == 204, st)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   r2["refresh_token"])
    t.check("...and the family is revoked", st == 401, st)
    # the same with the rotated token expired as well (as refresh does:
    # reuse is judged before expiry)
    _, _, b = register(s)
    rt0 = b["refresh_token"]
    st, _, r1 = get(s, "/auth/token/refresh?refresh_token=" + rt0)
    st, _, r2 = get(s, "/auth/token/refresh?refresh_token=" +
                    r1["refresh_token"])
    s.psql("UPDATE auth.refresh_tokens SET expires_at = now() - "
           "interval '1 minute' WHERE token_hash = sha256(convert_to("
           "'%s', 'UTF8'))" % rt0)
    st, _, _ = s.request("POST", "/auth/logout?refresh_token=" + rt0, [],
                         "")
    t.check("logout with a rotated, expired token: 204", st == 204, st)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   r2["refresh_token"])
    t.check("...and its family is revoked too", st == 401, st)


def test_refresh_of_inactive_or_deleted_account(t):
    s = t.s
    addr = email()
    _, _, b = register(s, addr)
    s.psql("UPDATE auth.accounts SET active = false WHERE email = '%s'" %
           addr)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   b["refresh_token"])
    t.check("refresh of inactive account: 401", st == 401, st)
    addr2 = email()
    _, _, b2 = register(s, addr2)
    s.psql("DELETE FROM auth.accounts WHERE email = '%s'" % addr2)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   b2["refresh_token"])
    t.check("refresh of deleted account: 401", st == 401, st)


def test_logout_and_revocation(t):
    s = t.s
    addr = email()
    _, _, a = register(s, addr)
    _, _, b = login(s, addr)
    st, h, _ = s.request("POST", "/auth/logout?refresh_token=" +
                         a["refresh_token"], [("Content-Type",
                                               "application/json")], "{}")
    t.check("logout 204", st == 204, st)
    t.check("logout clears the cookie", "Max-Age=0" in
            h.get("set-cookie", ""), h)
    t.check("webhook rejects the logged-out session within 1 s",
            wait_hook(s, a["jwt_token"], 401))
    t.check("other session still valid", hook_status(s, b["jwt_token"]) ==
            200)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   a["refresh_token"])
    t.check("refresh after logout: 401", st == 401)
    st, h, _ = s.request("POST", "/auth/logout?refresh_token=" +
                         a["refresh_token"], [], "")
    t.check("the same logout again: 204, signed out already (HBP, "
            "RFC 7009 2.2)", st == 204, st)
    _, _, c = login(s, addr)
    st, _, _ = s.request("POST", "/auth/logout?refresh_token=" +
                         b["refresh_token"], [("Content-Type",
                                               "application/json")],
                         json.dumps({"all": True}))
    t.check("logout all 204", st == 204, st)
    t.check("logout all: every session rejected within 1 s",
            wait_hook(s, c["jwt_token"], 401) and
            hook_status(s, b["jwt_token"]) == 401)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   c["refresh_token"])
    t.check("logout all: other refresh tokens gone", st == 401)
    st, _, _ = s.request("POST", "/auth/logout", [], "")
    t.check("logout without token: 401", st == 401)
    _, _, d = login(s, addr)
    _, _, e = login(s, addr)
    s.psql("UPDATE auth.refresh_tokens SET expires_at = now() - "
           "interval '1 minute' WHERE token_hash = sha256(convert_to("
           "'%s', 'UTF8'))" % d["refresh_token"])
    st, _, _ = s.request("POST", "/auth/logout?refresh_token=" +
                         d["refresh_token"], [("Content-Type",
                                               "application/json")],
                         json.dumps({"all": True}))
    t.check("logout all with an expired token: 401 (it cannot say whose "
            "sessions; a 204 would claim they ended)", st == 401, st)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   e["refresh_token"])
    t.check("...and the other session lives on, as answered", st == 200,
            st)
    st, _, o = get(s, "/auth/user", [("Authorization", "Bearer " +
                                      c["jwt_token"])])
    t.check("/auth/user with revoked session: 401", st == 401, (st, o))
    st, h, _ = s.request("POST", "/auth/logout", [("Cookie",
                         "refresh_token=" + str(uuid.uuid4()))], "")
    t.check("logout with unknown cookie token: 204, the cookie cleared",
            st == 204 and "Max-Age=0" in h.get("set-cookie", ""), (st, h))


def test_revocation_survives_hook_restart(t):
    s = t.s
    addr = email()
    _, _, a = register(s, addr)
    s.request("POST", "/auth/logout?refresh_token=" + a["refresh_token"],
              [], "")
    s.reconfigure()   # restarts lighttpd: the hook loads the set at start
    t.check("revoked session still rejected after hook restart",
            hook_status(s, a["jwt_token"]) == 401)


def test_actions_shape(t):
    s = t.s
    addr = email()
    st, _, r = action(s, "register", {"email": addr,
                                      "password": "correct horse"})
    t.check("action register 200 flat output", st == 200 and
            set(r) == {"id", "email", "display_name", "jwt_token",
                       "jwt_expires_in", "refresh_token"}, (st, r))
    st, _, r = action(s, "login", {"email": addr,
                                   "password": "correct horse"})
    t.check("action login 200", st == 200 and UUID_RE.match(
        r.get("refresh_token", "")) and r["email"] == addr, (st, r))
    st, _, r2 = action(s, "refresh", {"refresh_token": r["refresh_token"]})
    t.check("action refresh 200", st == 200 and r2["refresh_token"] !=
            r["refresh_token"], (st, r2))
    st, _, e = action(s, "login", {"email": addr, "password": "nope nope"})
    t.check("action user error: 4xx message + extensions.code",
            400 <= st < 500 and isinstance(e.get("message"), str) and
            isinstance(e.get("extensions", {}).get("code"), str) and
            set(e) == {"message", "extensions"}, (st, e))
    st, _, e = action(s, "login", {"email": addr, "password":
                                   "correct horse"}, secret="wrong-secret")
    t.check("action wrong secret: 401", st == 401, (st, e))
    st, _, e = action(s, "login", {"email": addr, "password":
                                   "correct horse"}, secret="")
    t.check("action missing secret: 401", st == 401, (st, e))
    st, _, e = action(s, "register", {"email": addr,
                                      "password": "correct horse"})
    t.check("action duplicate register: 4xx", 400 <= st < 500 and
            e["extensions"]["code"] == "conflict", (st, e))
    st, _, r3 = action(s, "logout", {"refresh_token": r2["refresh_token"]})
    t.check("action logout ok", st == 200 and r3 == {"ok": True}, (st, r3))
    t.check("action logout revokes for the webhook",
            wait_hook(s, r2["jwt_token"], 401))
    st, _, raw = s.request("GET", "/actions/login", [
        ("X-Warden-Action-Secret", s.base_env["WARDEN_ACTION_SECRET"])])
    t.check("action GET: 405", st == 405, st)


def test_bcrypt_hash_migrates(t):
    s = t.s
    addr = email()
    r = s.psql("""WITH u AS (INSERT INTO public.users (display_name)
                  VALUES ('hbp') RETURNING id),
                  a AS (INSERT INTO auth.accounts (user_id, email, active,
                  password_hash) SELECT id, '%s', true,
                  crypt('hbp password', gen_salt('bf', 10)) FROM u
                  RETURNING id)
                  INSERT INTO auth.account_roles (account_id, role)
                  SELECT id, 'user' FROM a""" % addr)
    t.check("insert HBP-style account", r.returncode == 0, r.stderr)
    before = s.psql("SELECT password_hash FROM auth.accounts WHERE email "
                    "= '%s'" % addr).stdout.strip()
    t.check("stored as bcrypt", before.startswith("$2a$"), before[:7])
    st, _, b = login(s, addr, "hbp password")
    t.check("bcrypt password logs in", st == 200, (st, b))
    after = s.psql("SELECT password_hash FROM auth.accounts WHERE email = "
                   "'%s'" % addr).stdout.strip()
    t.check("rehashed to yescrypt on login", after.startswith("$y$"),
            after[:7])
    st, _, _ = login(s, addr, "hbp password")
    t.check("login again after rehash", st == 200)
    st, _, _ = login(s, addr, "wrong")
    t.check("wrong password after rehash: 401", st == 401)
    addr2 = email()
    sha = __import__("subprocess").run(
        ["openssl", "passwd", "-6", "sha pw 123"], capture_output=True,
        text=True, check=True).stdout.strip()
    t.check("sha512crypt hash made", sha.startswith("$6$"), sha)
    s.psql("""WITH u AS (INSERT INTO public.users DEFAULT VALUES RETURNING
              id) INSERT INTO auth.accounts (user_id, email, active,
              password_hash) SELECT id, '%s', true, '%s' FROM u""" %
           (addr2, sha))
    st, _, _ = login(s, addr2, "sha pw 123")
    t.check("sha512crypt password logs in (default role appended)",
            st == 200)


def test_concurrent_logins(t):
    s = t.s
    addr = email()
    register(s, addr)

    def one(_):
        try:
            st, _, b = login(s, addr)
            return st
        except Exception as e:  # connection errors count as failures
            return str(e)
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as ex:
        res = list(ex.map(one, range(200)))
    t.check("200 concurrent logins: all 200, no 5xx",
            all(r == 200 for r in res),
            {str(k): res.count(k) for k in set(res)})
    n = count(s, "SELECT count(DISTINCT family_id) FROM auth.refresh_tokens "
              "r JOIN auth.accounts a ON a.id = r.account_id WHERE a.email = "
              "'%s'" % addr)
    t.check("one session family per login", n == 201, n)


def test_custom_claims_and_jwks(t):
    s = t.s
    s.psql("ALTER TABLE public.users ADD COLUMN IF NOT EXISTS org_id text")
    s.reconfigure(WARDEN_JWT_CUSTOM_FIELDS="org_id,display_name",
                  WARDEN_REGISTRATION_CUSTOM_FIELDS="org_id")
    st, _, b = register(s, user_data={"org_id": "acme"})
    ns = claims(b["jwt_token"]).get(NS, {}) if st == 200 else {}
    t.check("custom field claim x-hasura-org-id", ns.get("x-hasura-org-id")
            == "acme", (st, b, ns))
    t.check("custom field claim x-hasura-display-name",
            isinstance(ns.get("x-hasura-display-name"), str), ns)
    st, _, o = get_hook(s, b["jwt_token"])
    t.check("webhook passes the custom claim", json.loads(o).get(
        "x-hasura-org-id") == "acme", o)
    addr = email()
    st, _, r = register(s, addr, user_data={"org_id": "x\r\nX-Injected: 1"})
    t.check("a claim's value with CR LF at registration: 400, no account",
            st == 400 and count(s, "SELECT count(*) FROM auth.accounts "
                                "WHERE email = '%s'" % addr) == 0, (st, r))
    s.reconfigure(WARDEN_JWT_CUSTOM_FIELDS="org_id,display_name",
                  WARDEN_REGISTRATION_CUSTOM_FIELDS="org_id,display_name")
    st, _, b = register(s, user_data={"display_name": "Ada", "org_id": "a"})
    ns = claims(b["jwt_token"]).get(NS, {}) if st == 200 else {}
    t.check("display_name among the registration fields: taken in place "
            "of the address (was a 500: the column twice)", st == 200 and
            b["user"]["display_name"] == "Ada" and
            ns.get("x-hasura-display-name") == "Ada", (st, b))
    st, _, j = get(s, "/auth/jwks")
    t.check("jwks with HS key: 404 with code", st == 404 and
            isinstance(j.get("code"), str), (st, j))
    import test_hook
    priv, pub = test_hook.rsa_keys(s)
    s.reconfigure(WARDEN_JWT_SECRET=json.dumps(
        {"type": "RS256", "key": priv, "kid": "k1"}))
    st, _, b = register(s)
    t.check("RS256 register", st == 200, (st, b))
    st, _, j = get(s, "/auth/jwks")
    k = (j or {}).get("keys", [{}])[0]
    t.check("jwks serves the RSA public key with kid", st == 200 and
            k.get("kty") == "RSA" and k.get("kid") == "k1" and
            k.get("alg") == "RS256" and k.get("e") == "AQAB" and
            len(k.get("n", "")) > 300, (st, j))
    # independent oracle: openssl's own reading of the key's modulus
    import subprocess
    mod = subprocess.run(["openssl", "rsa", "-pubin", "-noout", "-modulus"],
                         input=pub, capture_output=True, text=True)
    n_hex = mod.stdout.strip().partition("=")[2].lower().lstrip("0")
    nb = k.get("n", "")
    t.check("jwks n is the key's modulus, base64url without padding",
            "=" not in nb and n_hex and base64.urlsafe_b64decode(
                nb + "=" * (-len(nb) % 4)).hex().lstrip("0") == n_hex,
            (nb[:20], n_hex[:20], mod.stderr[:200]))
    hdr = json.loads(base64.urlsafe_b64decode(
        b["jwt_token"].split(".")[0] + "=="))
    t.check("RS256 token names kid", hdr.get("kid") == "k1", hdr)
    t.check("webhook accepts the RS256 account token",
            hook_status(s, b["jwt_token"]) == 200)


def test_activation_by_email(t):
    s = t.s
    sink = SmtpSink()

    def inactive(**more):
        """Accounts wait for activation; mail goes to the sink."""
        s.reconfigure(WARDEN_AUTO_ACTIVATE="false",
                      WARDEN_SMTP_URL="smtp://127.0.0.1:%d" % sink.port,
                      WARDEN_SMTP_SENDER="warden@example.com",
                      WARDEN_SERVER_URL=s.url, **more)
    try:
        inactive()
        addr = email()
        st, _, b = register(s, addr)
        t.check("register inactive: 200 with null tokens", st == 200 and
                b["jwt_token"] is None and b["jwt_expires_in"] is None and
                b["user"]["email"] == addr and "refresh_token" not in b,
                (st, b))
        msgs = sink.wait_rcpt(addr)
        t.check("one activation mail", len(msgs) == 1, len(msgs))
        m = msgs[0] if msgs else {"headers": {}, "body": ""}
        ticket = m["headers"].get("x-ticket", "")
        t.check("mail subject and X-Ticket", m["headers"].get("subject") ==
                "Confirm your email address" and UUID_RE.match(ticket),
                m["headers"])
        t.check("mail body links to /auth/activate",
                "%s/auth/activate?ticket=%s" % (s.url, ticket) in m["body"],
                m["body"][:300])
        th = count(s, "SELECT count(*) FROM auth.tickets WHERE ticket_hash "
                   "= sha256(convert_to('%s','UTF8')) AND purpose = "
                   "'activate'" % ticket)
        t.check("ticket stored hashed", th == 1, th)
        st, _, e = login(s, addr, "wrong password")
        t.check("inactive + wrong password: 401 (password first)",
                st == 401, (st, e))
        st, _, e = login(s, addr)
        t.check("inactive + right password: refused", st == 403, (st, e))
        st, _, a = post(s, "/auth/activate", {"ticket": str(uuid.uuid4())})
        t.check("activate with unknown ticket: 401", st == 401, (st, a))
        # issue 9: the emailed link is safe to prefetch
        st, h, page = s.request("GET", "/auth/activate?ticket=" + ticket, [])
        t.check("GET of the link: a page whose form posts the ticket",
                st == 200 and h.get("content-type", "").startswith(
                    "text/html") and b'method="post"' in page and
                ticket.encode() in page, (st, h, page[:200]))
        st, _, e = login(s, addr)
        t.check("...and the GET changed nothing", st == 403, (st, e))
        for accept in ("text/html,application/xhtml+xml,application/xml;"
                       "q=0.9,*/*;q=0.8", "*/*", "application/json, "
                       "text/html"):
            st, h, _ = s.request("GET", "/auth/activate?ticket=" + ticket,
                                 [("Accept", accept)])
            t.check("GET with Accept %r (a browser, a previewer): the "
                    "page" % accept, st == 200 and h.get(
                        "content-type", "").startswith("text/html"), st)
        t.check("...still nothing changed", login(s, addr)[0] == 403)
        # nhost-js-sdk's auth.activate: axios's GET, as HBP took it
        other = email()
        register(s, other)
        msgs = sink.wait_rcpt(other)
        tk2 = msgs[0]["headers"]["x-ticket"] if msgs else ""
        st, h, a = get(s, "/auth/activate?ticket=" + tk2, [
            ("Accept", "application/json, text/plain, */*")])
        t.check("an API client's GET (Accept JSON, not HTML) activates",
                st == 200 and h.get("content-type", "").startswith(
                    "application/json") and login(s, other)[0] == 200,
                (st, a))
        st, _, a = get(s, "/auth/activate?ticket=" + tk2, [
            ("Accept", "application/json")])
        t.check("...once (the ticket is spent)", st == 401, (st, a))
        st, _, a = post(s, "/auth/activate", {"ticket": ticket})
        t.check("activate (POST) 200", st == 200, (st, a))
        st, _, b = login(s, addr)
        t.check("login after activation", st == 200, (st, b))
        st, _, a = post(s, "/auth/activate", {"ticket": ticket})
        t.check("ticket single-use", st == 401, (st, a))
        inactive(WARDEN_REDIRECT_URL_SUCCESS="https://app.example/ok",
                 WARDEN_REDIRECT_URL_ERROR="https://app.example/fail")
        addr2 = email()
        register(s, addr2)
        tk = sink.wait_rcpt(addr2)[0]["headers"]["x-ticket"]
        form = [("Content-Type", "application/x-www-form-urlencoded")]
        st, h, _ = s.request("GET", "/auth/activate?ticket=" + tk, [])
        csp = [d.strip() for d in h.get("content-security-policy",
                                        "").split(";")]
        t.check("the page lets its form go where the answer redirects "
                "(Chrome and Safari check a form's redirects against "
                "form-action)", st == 200 and
                "form-action 'self' https://app.example" in csp and
                "default-src 'none'" in csp, (st, csp))
        st, h, _ = s.request("POST", "/auth/activate", form, "ticket=" + tk)
        t.check("the page's form activates and redirects to success URL",
                st == 302 and h.get("location") == "https://app.example/ok",
                (st, h))
        st, h, _ = s.request("POST", "/auth/activate", form, "ticket=" + tk)
        t.check("spent ticket redirects to error URL", st == 302 and
                h.get("location") == "https://app.example/fail", (st, h))
        # the other links' forms answer a page: those URLs are the
        # activation's, and a reset refused for a weak password keeps
        # its ticket for another try on the same page
        post(s, "/auth/change-password/request", {"email": addr2})
        rs = sink.wait_rcpt(addr2, 2)
        rtk = rs[-1]["headers"].get("x-ticket", "") if len(rs) == 2 else ""
        st, h, page = s.request("POST", "/auth/change-password/change",
                                form, "ticket=%s&new_password=x" % rtk)
        t.check("a reset form with a weak password: a page, no redirect",
                st == 400 and "location" not in h and
                h.get("content-type", "").startswith("text/html") and
                count(s, "SELECT count(*) FROM auth.tickets WHERE "
                      "ticket_hash = sha256(convert_to('%s', 'UTF8'))" %
                      rtk) == 1, (st, h, page[:200]))
        st, h, _ = s.request("GET", "/auth/change-password/change?ticket=" +
                             rtk, [])
        t.check("...whose page keeps form-action to itself",
                "form-action 'self';" in h.get("content-security-policy",
                                               ""), h)
        inactive(WARDEN_REDIRECT_URL_SUCCESS="myapp://activated",
                 WARDEN_REDIRECT_URL_ERROR="/activation-failed")
        st, h, _ = s.request("GET", "/auth/activate?ticket=" + tk, [])
        t.check("an app's own scheme is listed by scheme, a path is 'self'",
                "form-action 'self' myapp:;" in h.get(
                    "content-security-policy", ""), h)
        for bad in ("https://app.example/x;script-src *", "app example",
                    "https://a b/", "//app.example/ok", "1app://x"):
            r = run_bin(s, dict(s.base_env,
                                WARDEN_REDIRECT_URL_SUCCESS=bad), "activate")
            t.check("WARDEN_REDIRECT_URL_SUCCESS=%r stops the binary with "
                    "one line" % bad, r.returncode == 1 and
                    len(r.stderr.strip().splitlines()) == 1 and
                    "WARDEN_REDIRECT_URL_SUCCESS" in r.stderr,
                    (r.returncode, r.stderr))
        # no SMTP server: the account is created and its mail waits in
        # the outbox (issue 9; delivery after the relay returns is
        # test_mail's)
        s.reconfigure(WARDEN_AUTO_ACTIVATE="false",
                      WARDEN_SMTP_URL="smtp://127.0.0.1:1",
                      WARDEN_SMTP_SENDER="warden@example.com")
        addr3 = email()
        st, _, e = register(s, addr3)
        t.check("relay down: register 200, mail queued", st == 200 and
                count(s, "SELECT count(*) FROM auth.outbox WHERE "
                      "recipient = '%s' AND sent_at IS NULL" % addr3) == 1,
                (st, e))
    finally:
        sink.close()


def test_audit_log_has_no_secrets(t):
    s = t.s
    r = s.psql("SELECT event, count(*) FROM auth.audit_log GROUP BY event")
    events = dict(line.split("|") for line in r.stdout.split())
    for ev in ("register", "login", "login_failed", "refresh", "logout"):
        t.check("audit event %s recorded" % ev, int(events.get(ev, 0)) > 0,
                events)
    r = s.psql("SELECT count(*) FROM auth.audit_log WHERE user_agent LIKE "
               "'%correct horse%'")
    t.check("audit rows carry no password", r.stdout.strip() == "0")


def test_storage_refuses_revoked_session(t):
    s = t.s
    _, _, b = register(s)
    uid, jwt = b["user"]["id"], b["jwt_token"]
    path = "/storage/o/user/%s/notes.txt" % uid
    st, _, r = s.request("POST", path, [("Authorization", "Bearer " + jwt),
                                        ("Content-Type", "text/plain")],
                         "hello")
    t.check("owner upload with the account token", st == 200, (st, r))
    # concurrent downloads, so that every process of storage's read pool
    # has verified (and keeps, wd_jwt_verify_cached) the token before the
    # logout
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda _: s.request(
            "GET", path, [("Authorization", "Bearer " + jwt)]), range(16)))
    t.check("owner downloads", all(st == 200 and r == b"hello"
                                   for st, _, r in got),
            [(st, r[:60]) for st, _, r in got])
    s.request("POST", "/auth/logout?refresh_token=" + b["refresh_token"],
              [], "")
    ok = False
    end = time.time() + 1.0
    while time.time() < end and not ok:
        st, _, r = s.request("GET", path, [("Authorization",
                                            "Bearer " + jwt)])
        ok = st == 401
        time.sleep(0.05)
    t.check("storage refuses the logged-out session within 1 s", ok,
            (st, r[:120]))


def test_key_rotation(t):
    """A second key for rotation: the new key signs, the previous one
    still verifies (webhook, /auth/user) and both are in JWKS."""
    import subprocess
    import test_hook
    s = t.s

    def pem(name):
        path = "%s/rsa-%s.pem" % (s.run, name)
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", path], check=True,
                       capture_output=True)
        return open(path).read()
    a, b = pem("a"), pem("b")
    ka = json.dumps({"type": "RS256", "key": a, "kid": "a"})
    kb = json.dumps({"type": "RS256", "key": b, "kid": "b"})
    s.reconfigure(WARDEN_JWT_SECRET=ka)
    _, _, ra = register(s)
    ta = ra["jwt_token"]
    t.check("token of key a", hook_status(s, ta) == 200)
    s.reconfigure(WARDEN_JWT_SECRET=kb, WARDEN_JWT_PREVIOUS_SECRET=ka)
    st, _, j = get(s, "/auth/jwks")
    kids = [k.get("kid") for k in (j or {}).get("keys", [])]
    t.check("jwks lists the current and the previous key", st == 200 and
            kids == ["b", "a"], (st, kids))
    t.check("old token still accepted during rotation",
            hook_status(s, ta) == 200)
    st, _, u = get(s, "/auth/user", [("Authorization", "Bearer " + ta)])
    t.check("/auth/user accepts the old token during rotation", st == 200,
            (st, u))
    _, _, rb = login(s, ra["user"]["email"])
    hdr = json.loads(base64.urlsafe_b64decode(
        rb["jwt_token"].split(".")[0] + "=="))
    t.check("new tokens are signed with the new key", hdr.get("kid") ==
            "b", hdr)
    t.check("new token accepted", hook_status(s, rb["jwt_token"]) == 200)
    forged = test_hook.Stack.hs(claims(ta), open(
        "%s/rsa-a.pem" % s.run).read())
    t.check("HS token keyed with the previous RSA PEM refused",
            hook_status(s, forged) == 401)
    s.reconfigure(WARDEN_JWT_SECRET=kb)
    t.check("after rotation ends the old token is refused",
            hook_status(s, ta) == 401)
    r = subprocess.run([s.run + "/bin/hook"], env={
        "PATH": "/usr/bin:/bin", "WARDEN_JWT_SECRET": kb,
        "WARDEN_JWT_PREVIOUS_SECRET": '{"type":"HS256","key":"short"}',
        "WARDEN_DATABASE_URL": "postgresql:///x"}, capture_output=True,
        text=True, stdin=subprocess.DEVNULL, timeout=10)
    t.check("a bad previous key stops the binary naming it",
            r.returncode == 1 and "WARDEN_JWT_PREVIOUS_SECRET" in r.stderr,
            r.stderr)


