"""The webhook, API.md §4, with exactly what Hasura sends (hasura.md §1.3,
§1.4): GET mode forwards the client's headers minus the ignored list and
adds Content-Type, User-Agent and x-request-id; POST mode sends
{"headers": {...all...}, "request": ...}."""
import json
import os
import subprocess
import time
import uuid

import fcgi
from fcgi import Solo
from stack import Stack

NS = "https://hasura.io/jwt/claims"
UA = "hasura-graphql-engine/v2.36.0"


def payload(uid=None, roles=("user", "me"), default="user", life=600,
            extra=None, ns=NS, **top):
    now = int(time.time())
    p = {"sub": uid or str(uuid.uuid4()), "iat": now, "exp": now + life}
    c = {"x-hasura-user-id": p["sub"], "x-hasura-default-role": default,
         "x-hasura-allowed-roles": list(roles)}
    c.update(extra or {})
    p[ns] = c
    p.update(top)
    return p


def get_hook(s, token=None, role=None, cookie=None, extra=()):
    """GET mode as Hasura sends it: the client's headers that survive
    commonClientHeadersIgnored, plus Hasura's own."""
    h = [("Content-Type", "application/json"), ("User-Agent", UA),
         ("x-request-id", str(uuid.uuid4()))]
    if token is not None:
        h.append(("Authorization", "Bearer " + token))
    if cookie is not None:
        h.append(("Cookie", cookie))
    if role is not None:
        h.append(("X-Hasura-Role", role))
    h.extend(extra)
    return s.request("GET", "/hook", h)


def post_hook(s, headers, request="absent", raw=None):
    """POST mode: all client headers, as sent, in body.headers."""
    body = {"headers": headers}
    if request != "absent":
        body["request"] = request
    data = raw if raw is not None else json.dumps(body)
    return s.request("POST", "/hook",
                     [("Content-Type", "application/json"),
                      ("User-Agent", UA)], data)


def client_headers(token=None, **more):
    h = {"Host": "hasura.example:8080", "User-Agent": "Mozilla/5.0",
         "Accept": "*/*", "Content-Type": "application/json",
         "Content-Length": "57", "Origin": "https://app.example",
         "x-request-id": str(uuid.uuid4())}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(more)
    return h


def ok_session(t, name, st, hdrs, body, uid, role="user", maxage=600):
    t.check(name + " status 200", st == 200, (st, body))
    if st != 200:
        return None
    t.check(name + " content-type json",
            hdrs.get("content-type", "").startswith("application/json"),
            hdrs)
    o = json.loads(body)
    t.check(name + " flat object of strings",
            isinstance(o, dict) and all(isinstance(v, str)
                                        for v in o.values()), o)
    t.check(name + " role", o.get("X-Hasura-Role") == role, o)
    t.check(name + " user id", o.get("X-Hasura-User-Id") == uid, o)
    cc = o.get("Cache-Control", "")
    t.check(name + " cache-control max-age",
            cc.startswith("max-age=") and
            maxage - 3 <= int(cc[8:]) <= maxage, cc)
    t.check(name + " never admin",
            all(v.lower() != "admin" for v in o.values()), o)
    return o


def test_valid_token_get_and_post(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid, extra={"x-hasura-org-id": "42"}))
    st, h, b = get_hook(s, tok)
    o = ok_session(t, "GET", st, h, b, uid)
    if o:
        t.check("GET custom claim as string", o.get("x-hasura-org-id") ==
                "42", o)
    for req in ({"query": "{ a }", "operationName": "q"},
                [{"query": "{ a }"}, {"query": "{ b }"}], None, "absent"):
        st, h, b2 = post_hook(s, client_headers(tok), req)
        o2 = ok_session(t, "POST request=%s" % type(req).__name__, st, h,
                        b2, uid)
        if o and o2:
            a = {k: v for k, v in o.items() if k != "Cache-Control"}
            b_ = {k: v for k, v in o2.items() if k != "Cache-Control"}
            t.check("POST same session as GET (request=%s)" %
                    type(req).__name__, a == b_, (a, b_))


def test_post_header_names_any_case(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid))
    for name in ("authorization", "AUTHORIZATION", "AuThOrIzAtIoN"):
        st, h, b = post_hook(s, {name: "Bearer " + tok,
                                 "x-hasura-role": "me"}, None)
        ok_session(t, "POST header " + name, st, h, b, uid, role="me")


def test_role_selection(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid, roles=("user", "me", "editor")))
    st, h, b = get_hook(s, tok, role="editor")
    ok_session(t, "requested allowed role", st, h, b, uid, role="editor")
    st, h, b = get_hook(s, tok, role="manager")
    t.check("requested role outside allowed: 401", st == 401, (st, b))
    st, h, b = post_hook(s, client_headers(tok, **{"X-Hasura-Role":
                                                   "manager"}))
    t.check("POST requested role outside allowed: 401", st == 401, (st, b))
    st, h, b = get_hook(s, tok, role="admin")
    t.check("requested admin: 401", st == 401, (st, b))
    adm = s.mint(payload(uid, roles=("user", "admin")))
    st, h, b = get_hook(s, adm, role="admin")
    t.check("admin in allowed roles still refused", st == 401, (st, b))
    adm2 = s.mint(payload(uid, roles=("admin",), default="admin"))
    st, h, b = get_hook(s, adm2)
    t.check("admin default role refused", st == 401, (st, b))


def test_client_session_headers_ignored(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid))
    st, h, b = get_hook(s, tok, extra=[("X-Hasura-User-Id", "evil"),
                                       ("X-Hasura-Org-Id", "evil")])
    o = ok_session(t, "client x-hasura headers", st, h, b, uid)
    t.check("client X-Hasura-Org-Id not echoed",
            o is not None and "evil" not in json.dumps(o), o)
    st, h, b = get_hook(s, None, extra=[("X-Hasura-User-Id", "evil"),
                                        ("X-Hasura-Role", "user")])
    t.check("anonymous ignores client role and user id",
            st == 200 and json.loads(b) == {"X-Hasura-Role": "anonymous"},
            (st, b))


def test_anonymous(t):
    s = t.s
    st, h, b = get_hook(s)
    t.check("no credentials GET: anon role",
            st == 200 and json.loads(b) == {"X-Hasura-Role": "anonymous"},
            (st, b))
    st, h, b = post_hook(s, client_headers(), None)
    t.check("no credentials POST: anon role",
            st == 200 and json.loads(b) == {"X-Hasura-Role": "anonymous"},
            (st, b))
    st, h, b = get_hook(s, cookie="theme=dark; lang=en")
    t.check("unrelated cookies: anon role",
            st == 200 and json.loads(b) == {"X-Hasura-Role": "anonymous"},
            (st, b))
    s.reconfigure(WARDEN_ANON_ROLE="guest")
    st, h, b = get_hook(s)
    t.check("custom anon role",
            st == 200 and json.loads(b) == {"X-Hasura-Role": "guest"},
            (st, b))
    s.reconfigure(WARDEN_ANON_ROLE="")
    st, h, b = get_hook(s)
    t.check("empty anon role: GET 401", st == 401, (st, b))
    st, h, b = post_hook(s, client_headers(), None)
    t.check("empty anon role: POST 401", st == 401, (st, b))


def test_cookie_credential(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid))
    st, h, b = get_hook(s, cookie="theme=dark; access_token=" + tok)
    ok_session(t, "GET cookie", st, h, b, uid)
    st, h, b = post_hook(s, client_headers(None, Cookie="access_token=" +
                                           tok + "; x=1"))
    ok_session(t, "POST cookie", st, h, b, uid)
    st, h, b = get_hook(s, "garbage", cookie="access_token=" + tok)
    t.check("bad Authorization beats good cookie: 401", st == 401, (st, b))
    st, h, b = get_hook(s, cookie="access_token=" + tok +
                        "; access_token=" + tok)
    t.check("duplicate cookie: 401", st == 401, (st, b))
    st, h, b = get_hook(s, cookie="access_token=nope")
    t.check("bad cookie token: 401 not anon", st == 401, (st, b))
    s.reconfigure(WARDEN_COOKIE_NAME="sess")
    tok = s.mint(payload(uid))      # fresh: the restart takes seconds
    st, h, b = get_hook(s, cookie="sess=" + tok)
    ok_session(t, "custom cookie name", st, h, b, uid)


def bad_tokens(s):
    key = s.secret()["key"]
    now = int(time.time())
    good = payload()
    out = {
        "garbage": "abc",
        "two segments": "a.b",
        "four segments": s.hs(good, key) + ".x",
        "alg none": Stack.hs(good, key).rsplit(".", 1)[0].replace(
            Stack.hs(good, key).split(".")[0],
            __import__("stack").b64u(json.dumps({"alg": "none"}))) + ".",
        "alg none with sig": __import__("stack").b64u(json.dumps(
            {"alg": "none", "typ": "JWT"})) + "." + __import__(
            "stack").b64u(json.dumps(good)) + ".c2ln",
        "alg HS384 not configured": Stack.hs(good, key, "HS384"),
        "wrong key": Stack.hs(good, "x" * 40),
        "tampered payload": Stack.hs(good, key).split(".")[0] + "." +
        __import__("stack").b64u(json.dumps(payload(uid="other"))) + "." +
        Stack.hs(good, key).split(".")[2],
        "expired": Stack.hs(dict(good, exp=now - 60), key),
        "not yet valid": Stack.hs(dict(good, nbf=now + 300), key),
        "no exp": Stack.hs({k: v for k, v in good.items() if k != "exp"},
                           key),
        "exp string": Stack.hs(dict(good, exp=str(now + 60)), key),
        "no namespace": Stack.hs({k: v for k, v in good.items()
                                  if k != NS}, key),
        "allowed-roles string": Stack.hs(dict(good, **{NS: dict(
            good[NS], **{"x-hasura-allowed-roles": "user"})}), key),
        "default-role not allowed": Stack.hs(dict(good, **{NS: dict(
            good[NS], **{"x-hasura-default-role": "boss"})}), key),
        "no default-role": Stack.hs(dict(good, **{NS: {
            k: v for k, v in good[NS].items()
            if k != "x-hasura-default-role"}}), key),
        "no user id": Stack.hs(dict(good, **{NS: {
            k: v for k, v in good[NS].items()
            if k != "x-hasura-user-id"}}), key),
        "claim not string": Stack.hs(dict(good, **{NS: dict(
            good[NS], **{"x-hasura-org-id": 42})}), key),
        "oversized": Stack.hs(dict(good, pad="x" * 9000), key),
    }
    return out


def test_bad_tokens_get_and_post(t):
    s = t.s
    for name, tok in bad_tokens(s).items():
        st, h, b = get_hook(s, tok)
        t.check("GET %s: 401" % name, st == 401, (st, b[:200]))
        st, h, b = post_hook(s, client_headers(tok), None)
        t.check("POST %s: 401" % name, st == 401, (st, b[:200]))


def test_bad_authorization_shapes(t):
    s = t.s
    tok = s.mint(payload())
    for name, val in (("Basic", "Basic dXNlcjpwYXNz"), ("Bearer only",
                      "Bearer"), ("three words", "Bearer %s x" % tok),
                      ("no scheme", tok),
                      ("double space", "Bearer  " + tok)):
        st, h, b = s.request("GET", "/hook", [("Authorization", val),
                                              ("User-Agent", UA)])
        t.check("GET Authorization %s: 401" % name, st == 401, (st, b))
        st, h, b = post_hook(s, {"Authorization": val})
        t.check("POST Authorization %s: 401" % name, st == 401, (st, b))
    # an empty header is no credential at all (lighttpd drops it in GET
    # mode, so POST mode treats it the same way): anonymous
    st, h, b = s.request("GET", "/hook", [("Authorization", "")])
    t.check("GET empty Authorization: anon", st == 200 and
            json.loads(b) == {"X-Hasura-Role": "anonymous"}, (st, b))
    st, h, b = post_hook(s, {"Authorization": ""})
    t.check("POST empty Authorization: anon", st == 200 and
            json.loads(b) == {"X-Hasura-Role": "anonymous"}, (st, b))
    st, h, b = s.request("GET", "/hook", [("Authorization", "Bearer " + tok),
                                          ("Authorization", "Bearer " + tok)])
    t.check("GET two Authorization headers: 401", st == 401, (st, b))


def test_post_body_rules(t):
    s = t.s
    tok = s.mint(payload())
    st, h, b = post_hook(s, None, raw="not json")
    t.check("non-JSON body: 400", st == 400 and json.loads(b)["code"] ==
            "invalid-json", (st, b))
    st, h, b = post_hook(s, None, raw='{"headers":{}} trailing')
    t.check("trailing bytes: 400", st == 400, (st, b))
    st, h, b = post_hook(s, None, raw="[1,2]")
    t.check("body not object: 400", st == 400, (st, b))
    st, h, b = post_hook(s, None, raw='{"request":null}')
    t.check("no headers: 400", st == 400, (st, b))
    st, h, b = post_hook(s, None, raw='{"headers":[]}')
    t.check("headers not object: 400", st == 400, (st, b))
    st, h, b = post_hook(s, {"Authorization": "Bearer " + tok,
                             "authorization": "Bearer " + tok})
    t.check("Authorization repeated in another case: 401 (which one "
            "counts? a 400 would be Hasura's 500)", st == 401, (st, b))
    st, h, b = post_hook(s, {"Authorization": "Bearer " + tok,
                             "Accept": "a", "accept": "b"})
    t.check("another header repeated in another case: not read, 200",
            st == 200, (st, b))
    st, h, b = post_hook(s, {"Authorization": ["Bearer " + tok]})
    t.check("non-string header value: 400", st == 400, (st, b))
    st, h, b = post_hook(s, {"X-Custom": 5})
    t.check("non-string other header: not read, 200", st == 200, (st, b))
    # Hasura forwards every client header: one Warden does not read, of
    # any size or number, must not turn into a 400 (Hasura's 500)
    many = {"X-H%d" % i: "v" for i in range(300)}
    many.update({"X-Big": "x" * 20000, "Authorization": "Bearer " + tok})
    st, h, b = post_hook(s, many)
    t.check("300 headers and a 20 KB other header: the token still "
            "verified, 200", st == 200 and json.loads(b).get(
                "X-Hasura-User-Id") is not None, (st, b[:200]))
    st, h, b = post_hook(s, {"Authorization": "Bearer " + "x" * 20000})
    t.check("an Authorization over 16 KiB: 401 (a bad token, not Hasura's "
            "500)", st == 401, (st, b[:200]))
    st, h, b = post_hook(s, {"Cookie": "other_app=" + "x" * 20000})
    t.check("a 20 KB Cookie of another app, no token: anonymous 200, as "
            "in GET mode", st == 200 and json.loads(b).get(
                "X-Hasura-Role") == "anonymous", (st, b[:200]))
    # Hasura forwards the client's whole GraphQL request: a large one
    # (a bulk insert, a file as base64) must not become Hasura's 500
    big = json.dumps({"headers": {"Authorization": "Bearer " + tok},
                      "request": {"query": "mutation", "variables": {
                          "b": "x" * (6 * 1024 * 1024)}}})
    st, h, b = post_hook(s, None, raw=big)
    t.check("a 6 MiB GraphQL request: 200", st == 200 and
            json.loads(b).get("X-Hasura-Role") == "user", (st, b[:200]))
    # ...but not one of many small values: json-c spends ~800 bytes on
    # each empty object, so 8 MiB of them would take gigabytes
    many = '{"headers":{"Authorization":"Bearer %s"},"request":[%s]}'
    st, h, b = post_hook(s, None, raw=many % (tok, ",".join(["{}"] * 40000)))
    t.check("a request of 40000 values: 200", st == 200, (st, b[:200]))
    st, h, b = post_hook(s, None, raw=many % (tok, ",".join(["{}"] * 60000)))
    t.check("one of over 50000 values: 413 before a tree is built",
            st == 413 and json.loads(b)["code"] == "payload-too-large",
            (st, b[:200]))
    try:
        st, h, b = s.request("POST", "/hooks", [
            ("Content-Type", "application/json")], "{" + " " * (1 << 20) +
            "}")
    except OSError as e:
        st, b = None, repr(e).encode()
    t.check("the 8 MiB cap is /hook's alone: a 1 MiB body to /hooks is "
            "refused by the server (413)", st == 413, (st, b[:200]))
    big = json.dumps({"headers": {"Authorization": "Bearer " + tok},
                      "request": {"query": "x" * (8 * 1024 * 1024)}})
    st, h, b = post_hook(s, None, raw=big)
    t.check("body over 8 MiB: 413", st == 413 and json.loads(b)["code"] ==
            "payload-too-large", (st, b))
    vars40 = '{"headers":{},"request":{"query":"q","variables":' + \
        '{"a":' * 40 + '1' + '}' * 40 + '}}'
    st, h, b = post_hook(s, None, raw=vars40)
    t.check("GraphQL variables nested 40 deep accepted", st == 200, (st, b))
    deep = '{"headers":{},"request":' + "[" * 100 + "]" * 100 + "}"
    st, h, b = post_hook(s, None, raw=deep)
    t.check("JSON nested too deep (100): 400", st == 400, (st, b))
    st, h, b = s.request("POST", "/hook", [("Content-Type",
                                            "application/json")])
    t.check("POST without body: 400 or 411", st in (400, 411), (st, b))


def test_error_shape_and_methods(t):
    s = t.s
    st, h, b = get_hook(s, "abc")
    o = json.loads(b)
    t.check("401 error shape", st == 401 and o.get("statusCode") == 401 and
            o.get("error") == "Unauthorized" and isinstance(
                o.get("message"), str) and o.get("code") == "invalid-jwt", o)
    st, h, b = s.request("PUT", "/hook", [], "{}")
    t.check("PUT /hook: 405, Allow: GET, POST", st == 405 and
            h.get("allow") == "GET, POST", (st, h, b))
    st, h, b = s.request("GET", "/hookx", [])
    t.check("GET /hookx: 404", st == 404, (st, b))
    st, h, b = s.request("GET", "/hook?x=1", [])
    t.check("GET /hook with query string works", st == 200, (st, b))


def test_skew_issuer_audience(t):
    s = t.s
    key = s.secret()["key"]
    now = int(time.time())
    cfg = {"type": "HS256", "key": key, "allowed_skew": 30,
           "issuer": "warden", "audience": ["app", "api"]}
    s.reconfigure(WARDEN_JWT_SECRET=json.dumps(cfg))
    base = payload(iss="warden", aud="app")
    cases = [
        ("expired within skew", dict(base, exp=now - 10), 200),
        ("expired beyond skew", dict(base, exp=now - 60), 401),
        ("nbf within skew", dict(base, nbf=now + 10), 200),
        ("nbf beyond skew", dict(base, nbf=now + 60), 401),
        ("issuer match", base, 200),
        ("issuer mismatch", dict(base, iss="other"), 401),
        ("issuer missing", {k: v for k, v in base.items() if k != "iss"},
         401),
        ("audience list member", dict(base, aud=["x", "api"]), 200),
        ("audience mismatch", dict(base, aud="web"), 401),
        ("audience missing", {k: v for k, v in base.items() if k != "aud"},
         401),
    ]
    for name, p, want in cases:
        st, h, b = get_hook(s, Stack.hs(p, key))
        t.check("%s: %d" % (name, want), st == want, (st, b))
    cfg = {"type": "HS256", "key": key, "claims_namespace": "hasura"}
    s.reconfigure(WARDEN_JWT_SECRET=json.dumps(cfg))
    uid = str(uuid.uuid4())
    st, h, b = get_hook(s, Stack.hs(payload(uid, ns="hasura"), key))
    ok_session(t, "custom claims_namespace", st, h, b, uid)
    st, h, b = get_hook(s, Stack.hs(payload(uid), key))
    t.check("default namespace rejected when custom set", st == 401,
            (st, b))


def rsa_keys(s):
    d = os.path.join(s.run, "rsa")
    os.makedirs(d, exist_ok=True)
    priv = os.path.join(d, "k.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", priv], check=True,
                   capture_output=True)
    pub = subprocess.run(["openssl", "pkey", "-in", priv, "-pubout"],
                         check=True, capture_output=True, text=True).stdout
    return open(priv).read(), pub


def test_rs256(t):
    s = t.s
    priv, pub = rsa_keys(s)
    s.reconfigure(WARDEN_JWT_SECRET=json.dumps({"type": "RS256",
                                                "key": priv}))
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid))
    t.check("RS256 token header", json.loads(__import__("base64")
            .urlsafe_b64decode(tok.split(".")[0] + "==")).get("alg") ==
            "RS256", tok[:40])
    st, h, b = get_hook(s, tok)
    ok_session(t, "RS256 valid", st, h, b, uid)
    forged = Stack.hs(payload(uid), pub)
    st, h, b = get_hook(s, forged)
    t.check("HS256 signed with RS public key: 401", st == 401, (st, b))
    forged2 = Stack.hs(payload(uid), pub.strip())
    st, h, b = get_hook(s, forged2)
    t.check("HS256 signed with stripped public key: 401", st == 401, (st, b))
    exp = s.mint(payload(uid, life=-100))
    st, h, b = get_hook(s, exp)
    t.check("RS256 expired: 401", st == 401, (st, b))
    # a public key only verifies: the account binaries refuse it, so the
    # webhook runs on its own, as it would beside another token issuer
    for alg, name, want in (("RS256", "RS256 verify-only with public key",
                             200),
                            ("RS512", "RS256 token with RS512 configured",
                             401)):
        env = dict(s.base_env, WARDEN_JWT_SECRET=json.dumps(
            {"type": alg, "key": pub}))
        with Solo(s, "hook", env) as sock:
            st, h, b = solo_hook(sock, tok)
        if want == 200:
            ok_session(t, name, st, h, b, uid)
        else:
            t.check("%s: 401" % name, st == 401, (st, b))
    r = run_bin(s, dict(s.base_env, WARDEN_JWT_SECRET=json.dumps(
        {"type": "RS256", "key": pub})), "login")
    t.check("login refuses a public key: exit 1, one line",
            r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
            and "WARDEN_JWT_SECRET" in r.stderr, (r.returncode, r.stderr))


def solo_hook(sock, token):
    """GET mode as lighttpd hands it to the binary (the headers of
    get_hook as CGI parameters)."""
    return fcgi.ask(sock, {
        "REQUEST_METHOD": "GET", "REQUEST_URI": "/hook",
        "SCRIPT_NAME": "/hook", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "HTTP_USER_AGENT": UA, "HTTP_X_REQUEST_ID": str(uuid.uuid4()),
        "HTTP_AUTHORIZATION": "Bearer " + token})


def test_authorizer_private_files(t):
    s = t.s
    path = os.path.join(s.run, "private", "report.txt")
    with open(path, "w") as f:
        f.write("private bytes\n")
    os.chmod(path, 0o644)
    tok = s.mint(payload())
    st, h, b = s.request("GET", "/private/report.txt", [])
    t.check("private without token: 401", st == 401, (st, b))
    st, h, b = s.request("GET", "/private/report.txt",
                         [("Authorization", "Bearer " + tok)])
    t.check("private with Bearer: the file", st == 200 and
            b == b"private bytes\n", (st, b))
    st, h, b = s.request("GET", "/private/report.txt",
                         [("Cookie", "access_token=" + tok)])
    t.check("private with cookie: the file", st == 200 and
            b == b"private bytes\n", (st, b))
    t.check("...kept by no shared cache (the token may be a cookie)",
            h.get("cache-control") == "private, no-store", h)
    st, h, b = s.request("GET", "/private/report.txt",
                         [("Authorization", "Bearer " + tok + "x")])
    t.check("private with bad token: 401", st == 401, (st, b))
    st, h, b = s.request("GET", "/private/report.txt",
                         [("Authorization", "Bearer " + s.mint(
                             payload(life=-5)))])
    t.check("private with expired token: 401", st == 401, (st, b))
    st, h, b = s.request("GET", "/private/../warden.env",
                         [("Authorization", "Bearer " + tok)])
    t.check("private traversal does not reach warden.env",
            b"WARDEN_JWT_SECRET" not in b, (st, b[:100]))


def test_healthz_and_db_restart(t):
    s = t.s
    st, h, b = s.request("GET", "/healthz", [])
    t.check("healthz 200 ok", st == 200 and b == b"ok", (st, b))
    r = s.pg_ctl("-m", "fast", "-w", "stop")
    t.check("postgres stopped", r.returncode == 0, r.stderr)
    st, h, b = s.request("GET", "/healthz", [])
    t.check("healthz with database down: 503 JSON", st == 503 and
            json.loads(b)["code"] == "database-unavailable", (st, b))
    st, h, b = get_hook(s, s.mint(payload()))
    t.check("hook keeps working with database down", st == 200, (st, b))
    # a token naming a session cannot be checked against revocations
    # while the feed is down: 503 after a 1 s grace, never 401 (an
    # outage is not a logout; tests/e2e/test_outage.py measures it)
    sidtok = s.mint(payload(sid=str(uuid.uuid4())))
    seen = set()
    end = time.time() + 4
    while time.time() < end:
        st, h, b = get_hook(s, sidtok)
        seen.add(st)
        if st == 503:
            break
        time.sleep(0.1)
    t.check("token with sid: 503 revocation-unavailable while the feed "
            "is down", st == 503 and json.loads(b)["code"] ==
            "revocation-unavailable", (st, b))
    t.check("token with sid: never 401 while the feed is down",
            seen <= {200, 503}, seen)
    st, h, b = get_hook(s, s.mint(payload()))
    t.check("token without sid still accepted with database down",
            st == 200, (st, b))
    r = s.pg_ctl("-l", os.path.join(s.run, "log", "postgresql.log"), "-w",
                 "start")
    t.check("postgres restarted", r.returncode == 0, r.stderr)
    st, h, b = s.request("GET", "/healthz", [])
    t.check("healthz reconnects after restart", st == 200, (st, b))
    ok = False
    for _ in range(40):
        st, h, b = get_hook(s, sidtok)
        ok = st == 200
        if ok:
            break
        time.sleep(0.1)
    t.check("token with sid accepted again once the feed is back", ok,
            (st, b))


def test_hook_max_age(t):
    """WARDEN_HOOK_MAX_AGE caps max-age for tokens that name a session
    (default 60 s); a token without sid keeps its time to exp."""
    s = t.s
    uid = str(uuid.uuid4())
    sidtok = s.mint(payload(uid, life=600, sid=str(uuid.uuid4())))
    plain = s.mint(payload(uid, life=600))

    def max_age(st, b):
        if st != 200:
            return None
        cc = json.loads(b).get("Cache-Control", "")
        return int(cc[8:]) if cc.startswith("max-age=") else None
    st, h, b = get_hook(s, sidtok)
    ma = max_age(st, b)
    t.check("sid, default cap: max-age=%s (57..60)" % ma,
            ma is not None and 57 <= ma <= 60, (st, b))
    st, h, b = post_hook(s, client_headers(sidtok))
    ma = max_age(st, b)
    t.check("sid, default cap, POST: max-age=%s (57..60)" % ma,
            ma is not None and 57 <= ma <= 60, (st, b))
    st, h, b = get_hook(s, plain)
    ma = max_age(st, b)
    t.check("no sid: max-age=%s, the token's time left (597..600)" % ma,
            ma is not None and 597 <= ma <= 600, (st, b))
    s.reconfigure(WARDEN_HOOK_MAX_AGE="5")
    st, h, b = get_hook(s, sidtok)
    ma = max_age(st, b)
    t.check("sid, WARDEN_HOOK_MAX_AGE=5: max-age=%s" % ma,
            ma is not None and 2 <= ma <= 5, (st, b))
    short = s.mint(payload(uid, life=3, sid=str(uuid.uuid4())))
    st, h, b = get_hook(s, short)
    ma = max_age(st, b)
    t.check("sid, 3 s left under a cap of 5: max-age=%s" % ma,
            ma is not None and ma <= 3, (st, b))
    s.reconfigure(WARDEN_HOOK_MAX_AGE="3600")
    sidtok = s.mint(payload(uid, life=600, sid=str(uuid.uuid4())))
    st, h, b = get_hook(s, sidtok)
    ma = max_age(st, b)
    t.check("sid, cap above the lifetime: max-age=%s (597..600)" % ma,
            ma is not None and 597 <= ma <= 600, (st, b))


def test_underscore_headers_ignored(t):
    """Header names exactly as Hasura forwards them: an underscore (or
    any other non-dash) spelling never stands in for the dashed name in
    GET mode, in authorizer mode, or for storage's admin secret
    (lighttpd/headers.lua drops them, as nginx does by default)."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = s.mint(payload(uid, roles=("user", "me")))
    for name in ("X_Hasura_Role", "x_hasura_role", "X-Hasura_Role",
                 "X.Hasura.Role"):
        st, h, b = get_hook(s, tok, extra=[(name, "me")])
        ok_session(t, "GET %s: me ignored, default role" % name, st, h, b,
                   uid, role="user")
        # a role outside the allowed ones would be a 401 if it counted
        st, h, b = get_hook(s, tok, extra=[(name, "manager")])
        ok_session(t, "GET %s: manager ignored, not 401" % name, st, h, b,
                   uid, role="user")
    st, h, b = get_hook(s, tok, role="me",
                        extra=[("X_Hasura_Role", "manager")])
    ok_session(t, "GET X-Hasura-Role beside X_Hasura_Role: the dashed "
               "one", st, h, b, uid, role="me")
    st, h, b = post_hook(s, client_headers(tok, X_Hasura_Role="me"))
    ok_session(t, "POST X_Hasura_Role ignored too", st, h, b, uid)
    # the authorizer reads the role the same way
    path = os.path.join(s.run, "private", "underscore.txt")
    with open(path, "w") as f:
        f.write("u\n")
    os.chmod(path, 0o644)
    st, h, b = s.request("GET", "/private/underscore.txt",
                         [("Authorization", "Bearer " + tok),
                          ("X_Hasura_Role", "manager")])
    t.check("authorizer: X_Hasura_Role manager ignored (200, not 401)",
            st == 200 and b == b"u\n", (st, b))
    # storage: the admin secret only under its own name
    secret = "u" * 40
    s.reconfigure(WARDEN_ADMIN_SECRET=secret)
    key = "user/%s/underscore.txt" % uid
    boundary = "----wardenUnderscore"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"u.txt\"\r\nContent-Type: text/plain\r\n\r\n"
            "mine\r\n--%s--\r\n" % (boundary, boundary))
    st, _, b = s.request("POST", "/storage/o/" + key,
                         [("Authorization", "Bearer " + tok),
                          ("Content-Type", "multipart/form-data; "
                           "boundary=" + boundary)], body)
    t.check("storage: owner upload", st == 200, (st, b))
    st, _, b = s.request("GET", "/storage/o/" + key,
                         [("X-Warden-Admin-Secret", secret)])
    t.check("storage: X-Warden-Admin-Secret reads it (control)",
            st == 200 and b == b"mine", (st, b))
    for name in ("X_Warden_Admin_Secret", "x_warden_admin_secret",
                 "X-Warden_Admin-Secret"):
        st, _, b = s.request("GET", "/storage/o/" + key, [(name, secret)])
        t.check("storage: %s with the right secret ignored (403)" % name,
                st == 403, (st, b))
        # a wrong secret under the real name is refused; under this one
        # it must not even be looked at
        st, _, b = s.request("GET", "/storage/o/" + key,
                             [("Authorization", "Bearer " + tok),
                              (name, "wrong")])
        t.check("storage: %s with a wrong secret ignored (owner 200)" %
                name, st == 200 and b == b"mine", (st, b))


def run_bin(s, env, binary="hook"):
    # the database URL is required too (and checked first): give it, so
    # each case is about the variable it names
    e = {"PATH": "/usr/bin:/bin",
         "WARDEN_DATABASE_URL": s.base_env["WARDEN_DATABASE_URL"]}
    e.update(env)
    return subprocess.run([os.path.join(s.bindir, binary)], env=e,
                          capture_output=True, text=True, timeout=10,
                          stdin=subprocess.DEVNULL)


def test_bad_configuration_stops_binary(t):
    s = t.s
    cases = [
        ("missing secret", {}, "WARDEN_JWT_SECRET"),
        ("not JSON", {"WARDEN_JWT_SECRET": "hunter2hunter2"},
         "WARDEN_JWT_SECRET"),
        ("short key", {"WARDEN_JWT_SECRET":
                       '{"type":"HS256","key":"short-secret-123"}'},
         "WARDEN_JWT_SECRET"),
        ("alg none", {"WARDEN_JWT_SECRET":
                      '{"type":"none","key":"%s"}' % ("k" * 40)},
         "WARDEN_JWT_SECRET"),
        ("bad RSA", {"WARDEN_JWT_SECRET":
                     '{"type":"RS256","key":"-----BEGIN PRIVATE KEY-----"}'},
         "WARDEN_JWT_SECRET"),
        ("missing config file", {"WARDEN_CONFIG": "/nonexistent/w.env"},
         "WARDEN_CONFIG"),
        ("max-age 0", {"WARDEN_JWT_SECRET": s.base_env["WARDEN_JWT_SECRET"],
                       "WARDEN_HOOK_MAX_AGE": "0"}, "WARDEN_HOOK_MAX_AGE"),
        ("max-age not a number",
         {"WARDEN_JWT_SECRET": s.base_env["WARDEN_JWT_SECRET"],
          "WARDEN_HOOK_MAX_AGE": "60s"}, "WARDEN_HOOK_MAX_AGE"),
    ]
    for name, env, var in cases:
        r = run_bin(s, env)
        lines = r.stderr.strip().splitlines()
        t.check("bad config %s: exit 1 with one line naming %s" % (
            name, var), r.returncode == 1 and len(lines) == 1 and
            var in lines[0], (r.returncode, r.stderr))
        t.check("bad config %s: secret not echoed" % name,
                "short-secret-123" not in r.stderr and
                "hunter2" not in r.stderr, r.stderr)


def test_migrations_and_schema(t):
    s = t.s
    url = s.owner_url()
    users0 = s.psql("SELECT count(*) FROM public.users").stdout
    before = s.psql("SELECT count(*) FROM public.warden_migrations").stdout
    cmd = ["sh", os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), "sql", "migrate.sh"),
        url]
    r = subprocess.run(cmd, capture_output=True, text=True)
    after = s.psql("SELECT count(*) FROM public.warden_migrations").stdout
    t.check("re-running migrations is a no-op", r.returncode == 0 and
            before == after and int(after) >= 1 and "applied" not in
            r.stdout, (r.returncode, r.stdout, r.stderr, before, after))
    r = s.psql("""WITH u AS (INSERT INTO public.users DEFAULT VALUES
                  RETURNING id)
                  INSERT INTO auth.accounts (user_id, email)
                  SELECT id, 'dup@example.com' FROM u""")
    t.check("insert account", r.returncode == 0, r.stderr)
    r = s.psql("""WITH u AS (INSERT INTO public.users DEFAULT VALUES
                  RETURNING id)
                  INSERT INTO auth.accounts (user_id, email)
                  SELECT id, 'DUP@example.com' FROM u""")
    t.check("email unique case-insensitively (and lower-case only)",
            r.returncode != 0, r.stdout)
    r = s.psql("""WITH u AS (INSERT INTO public.users DEFAULT VALUES
                  RETURNING id)
                  INSERT INTO auth.accounts (user_id, email, default_role)
                  SELECT id, 'x@example.com', 'nosuchrole' FROM u""")
    t.check("default_role must exist in auth.roles", r.returncode != 0,
            r.stdout)
    r = s.psql("SELECT count(*) FROM public.users")
    t.check("failed inserts left no user rows",
            int(r.stdout) == int(users0) + 1, (users0, r.stdout))
