"""Storage, API.md §7 and issue #4, through lighttpd against the real
binaries: the fs backend here; the same suite runs against s3rver in
test_storage_s3.py. Tokens are minted with the configured key (the
accounts flow mints the same claims)."""
import concurrent.futures
import hashlib
import json
import os
import re
import socket
import subprocess
import time
import uuid

from stack import early_in

NS = "https://hasura.io/jwt/claims"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def token(s, uid, life=600, role="user"):
    now = int(time.time())
    return s.mint({"sub": uid, "iat": now, "exp": now + life,
                   NS: {"x-hasura-user-id": uid,
                        "x-hasura-default-role": role,
                        "x-hasura-allowed-roles": [role]}})


def auth(tok):
    return {"Authorization": "Bearer " + tok} if tok else {}


def multipart(data, name="file", filename="f.bin",
              ctype="application/octet-stream", extra=b""):
    b = "----wardenTest" + uuid.uuid4().hex
    body = (extra +
            b"--" + b.encode() + b"\r\n" +
            ('Content-Disposition: form-data; name="%s"; filename="%s"'
             '\r\n' % (name, filename)).encode() +
            ("Content-Type: %s\r\n\r\n" % ctype).encode() +
            data + b"\r\n--" + b.encode() + b"--\r\n")
    return "multipart/form-data; boundary=" + b, body


def upload(s, key, data, tok=None, ctype="application/octet-stream",
           raw=False, headers=None):
    h = dict(auth(tok))
    h.update(headers or {})
    if raw:
        h["Content-Type"] = ctype
        body = data
    else:
        h["Content-Type"], body = multipart(data, ctype=ctype)
    return s.request("POST", "/storage/o/" + key, h, body)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def j(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def code(body):
    o = j(body)
    return o.get("code") if isinstance(o, dict) else None


def rows(s, where="true"):
    r = s.psql("SELECT count(*) FROM storage.objects WHERE " + where)
    return int(r.stdout.strip() or -1)


def blobs(s):
    """Objects stored plus anything left over: files under the storage
    directory (the fs backend, or the s3 spool), and with s3 the objects
    in s3rver's directory (test_storage_s3.py sets s.s3dir)."""
    d = s.cur_env.get("WARDEN_STORAGE_DIR") if getattr(
        s, "cur_env", None) else None
    d = d or s.base_env["WARDEN_STORAGE_DIR"]
    n = 0
    for _, _, files in os.walk(d):
        n += len(files)
    if getattr(s, "s3dir", None):
        for _, _, files in os.walk(s.s3dir):
            n += len([f for f in files if f.endswith("._S3rver_object")])
    return n


def raw_request(s, head, body_part, close_after=False, read=True):
    """Sends a request head and part of a body on a raw socket; returns
    the status line's code (or None if the server just closed)."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        c.sendall(head + body_part)
        if not read:
            return None
        if close_after:
            c.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        parts = data.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() \
            else None
    finally:
        c.close()


def log_mark(s):
    """Where lighttpd's error log ends now."""
    with open(os.path.join(s.run, "log", "lighttpd.error.log"), "rb") as f:
        return f.seek(0, 2)


def log_since(s, mark, needle):
    """The error log written after mark, once it holds needle (or after
    2 s): lighttpd writes the binaries' lines as they arrive, a moment
    late on a loaded machine."""
    for _ in range(40):
        with open(os.path.join(s.run, "log", "lighttpd.error.log"),
                  "rb") as f:
            f.seek(mark)
            log = f.read().decode("utf-8", "replace")
        if needle in log:
            break
        time.sleep(0.05)
    return log


def test_owner_round_trip(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    for size in (0, 1, 20 * 1024 * 1024):
        data = os.urandom(size)
        key = "user/%s/f%d.bin" % (uid, size)
        st, h, b = upload(s, key, data, tok)
        t.check("upload %d B: 200" % size, st == 200, (st, b[:200]))
        m = j(b) or {}
        t.check("upload %d B: metadata" % size,
                m.get("key") == key and m.get("size") == size and
                m.get("content_type") == "application/octet-stream" and
                m.get("etag", "").startswith('"') and
                len(m.get("token", "")) == 36 and
                m.get("Metadata", {}).get("token") == m.get("token") and
                m.get("last_modified", "").endswith("Z"), m)
        # HBP's HeadObject names; LastModified as a JavaScript Date
        # serialises (ISO 8601 with milliseconds)
        t.check("upload %d B: HeadObject fields" % size,
                m.get("ContentLength") == size and
                m.get("AcceptRanges") == "bytes" and
                m.get("ContentType") == "application/octet-stream" and
                m.get("ETag") == m.get("etag") and
                re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                             m.get("LastModified", "")) is not None and
                m.get("LastModified") == m.get("last_modified"), m)
        st, h, got = s.request("GET", "/storage/o/" + key, auth(tok))
        t.check("download %d B: 200, sha256 identical" % size,
                st == 200 and sha(got) == sha(data), (st, len(got)))
        t.check("download %d B: headers" % size,
                h.get("content-length") == str(size) and
                h.get("content-type") == "application/octet-stream" and
                h.get("etag") == m.get("etag") and
                h.get("accept-ranges") == "bytes" and
                "last-modified" in h and
                h.get("cache-control", "").startswith("private") and
                h.get("x-content-type-options") == "nosniff", h)
        st, h, got = s.request("HEAD", "/storage/o/" + key, auth(tok))
        t.check("HEAD %d B: headers, no body" % size,
                st == 200 and got == b"" and
                h.get("content-length") == str(size), (st, h))
    # a raw (PUT-style) body with its own Content-Type
    key = "user/%s/raw.txt" % uid
    st, _, b = upload(s, key, b"raw body", tok, ctype="text/plain",
                      raw=True)
    t.check("raw upload: 200, type kept",
            st == 200 and (j(b) or {}).get("content_type") == "text/plain",
            (st, b))
    st, h, got = s.request("GET", "/storage/o/" + key, auth(tok))
    t.check("raw download", st == 200 and got == b"raw body" and
            h.get("content-type") == "text/plain", (st, h, got))
    st, _, b = s.request("PUT", "/storage/o/user/%s/put.txt" % uid,
                         dict(auth(tok), **{"Content-Type": "text/x-a"}),
                         b"put")
    t.check("PUT raw upload: 200", st == 200, (st, b))


def test_update_keeps_token(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/doc.txt" % uid
    _, _, b1 = upload(s, key, b"v1", tok)
    before = blobs(s)
    st, _, b2 = upload(s, key, b"version two", tok, ctype="text/plain")
    m1, m2 = j(b1) or {}, j(b2) or {}
    t.check("update: 200", st == 200, (st, b2))
    t.check("update: token kept, etag changed",
            m1.get("token") == m2.get("token") and
            m1.get("etag") != m2.get("etag") and m2.get("size") == 11,
            (m1, m2))
    t.check("update: old blob removed", blobs(s) == before,
            (before, blobs(s)))
    _, _, got = s.request("GET", "/storage/o/" + key, auth(tok))
    t.check("update: new content served", got == b"version two", got)
    t.check("update: one row", rows(s, "key = '%s'" % key) == 1)


def test_revoke_token(t):
    """POST /storage/m/<key> {"action":"revoke-token"} (HBP v2): a new
    access token ends every ?token= link to the object; allowed to the
    admin secret (as in HBP) and to whoever may update the object."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/shared.txt" % uid
    _, _, b = upload(s, key, b"shared", tok)
    t1 = (j(b) or {}).get("token", "")

    def by_token(tk):
        return s.request("GET", "/storage/o/%s?token=%s" % (key, tk))[0]

    def revoke(headers, body=b'{"action":"revoke-token"}', k=key):
        h = dict(headers, **{"Content-Type": "application/json"})
        return s.request("POST", "/storage/m/" + k, h, body)
    t.check("the token link reads", by_token(t1) == 200)
    st, _, b = revoke(auth(token(s, str(uuid.uuid4()))))
    t.check("another user: 403", st == 403, (st, b))
    st, _, b = revoke({})
    t.check("anonymous: 403", st == 403, (st, b))
    st, _, b = revoke(auth(tok), b'{"action":"rename"}')
    t.check("another action: 400", st == 400, (st, b))
    st, _, b = revoke(auth(tok), b"{}")
    t.check("no action: 400", st == 400, (st, b))
    st, _, b = revoke(auth(tok), k="user/%s/none.txt" % uid)
    t.check("missing object: 404", st == 404, (st, b))
    t.check("refusals changed nothing", by_token(t1) == 200)
    st, _, b = revoke(auth(tok))
    m = j(b) or {}
    t2 = m.get("token", "")
    t.check("the owner: 200, the metadata with a new token",
            st == 200 and m.get("key") == key and t2 and t2 != t1,
            (st, b))
    t.check("the old token link: 403", by_token(t1) == 403)
    t.check("the new one reads", by_token(t2) == 200)
    _, _, got = s.request("GET", "/storage/o/" + key, auth(tok))
    t.check("the object itself is unchanged", got == b"shared", got)
    secret = "r" * 40
    s.reconfigure(WARDEN_ADMIN_SECRET=secret)
    st, _, b = revoke({"X-Warden-Admin-Secret": secret})
    t3 = (j(b) or {}).get("token", "")
    t.check("the admin secret (HBP): 200, another new token",
            st == 200 and t3 and t3 != t2, (st, b))
    t.check("...and the previous one ends", by_token(t2) == 403)
    # hbp.md §3.7 #3-#6: HBP's header name, and the body checked first
    st, _, b = revoke({"x-admin-secret": secret})
    t3b = (j(b) or {}).get("token", "")
    t.check("HBP's x-admin-secret: 200, another new token",
            st == 200 and t3b and t3b != t3, (st, b))
    t3 = t3b
    st, _, b = revoke({"x-admin-secret": "w" * 40})
    t.check("a wrong x-admin-secret: 403", st == 403, (st, b))
    bad = b'{"action":"non-existing"}'
    st, _, b = revoke({"x-admin-secret": secret}, bad)
    t.check("another action with the right secret: 400", st == 400,
            (st, b))
    st, _, b = revoke({"x-admin-secret": "w" * 40}, bad)
    t.check("another action with a wrong secret: 400 (the body is "
            "checked first, as in HBP)", st == 400, (st, b))
    t.check("...and the token stands", by_token(t3) == 200)
    # an editor who may update but not read: the revoke works, and the
    # answer names the key only (no size, type, etag or token)
    rules = os.path.join(s.run, "editor-rules.json")
    with open(rules, "w") as f:
        json.dump({"paths": {"/user/:userId/:fileId": {
            "read": "auth.user-id == userId",
            "update": "auth.user-id == userId || "
                      "auth.default-role == 'editor'"}}},
            f)
    os.chmod(rules, 0o644)
    s.reconfigure(WARDEN_STORAGE_RULES=rules)
    try:
        ed = token(s, str(uuid.uuid4()), role="editor")
        st, _, b = revoke(auth(ed))
        t.check("update without read: 200, the key alone",
                st == 200 and j(b) == {"key": key}, (st, b))
        st, _, b = revoke(auth(tok))
        t.check("...which did revoke: the owner's next revoke answers "
                "another token", st == 200 and (j(b) or {}).get("token")
                not in ("", None, t2, t3), (st, b))
        _, _, b = s.request("GET", "/storage/m/" + key, auth(ed))
        t.check("...and the editor still may not read the metadata",
                (j(b) or {}).get("size") is None, b)
    finally:
        s.reconfigure()


def test_range(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    data = bytes(range(256)) * 4          # 1024 bytes
    key = "user/%s/r.bin" % uid
    upload(s, key, data, tok)
    cases = [("bytes=0-0", 206, 0, 0), ("bytes=10-19", 206, 10, 19),
             ("bytes=1000-", 206, 1000, 1023),
             ("bytes=-24", 206, 1000, 1023),
             ("bytes=1020-99999", 206, 1020, 1023),
             ("bytes=0-1023", 206, 0, 1023),
             ("bytes=1024-", 416, None, None),
             ("bytes=5000-6000", 416, None, None),
             ("bytes=-0", 416, None, None),
             ("bytes=0-1,5-6", 200, None, None),
             ("bytes=5-1", 200, None, None),
             ("items=0-1", 200, None, None),
             ("bytes=abc", 200, None, None)]
    for rng, want, a, z in cases:
        st, h, got = s.request("GET", "/storage/o/" + key,
                               dict(auth(tok), Range=rng))
        if want == 206:
            ok = (st == 206 and got == data[a:z + 1] and
                  h.get("content-range") == "bytes %d-%d/1024" % (a, z)
                  and h.get("content-length") == str(z - a + 1))
        elif want == 416:
            ok = st == 416 and h.get("content-range") == "bytes */1024"
        else:
            ok = st == 200 and got == data
        t.check("Range %s -> %d" % (rng, want), ok, (st, h, len(got)))
    _, h, _ = s.request("HEAD", "/storage/o/" + key, auth(tok))
    st, _, got = s.request("GET", "/storage/o/" + key,
                           dict(auth(tok), Range="bytes=0-9",
                                **{"If-Range": h.get("etag", "")}))
    t.check("If-Range matching -> 206", st == 206 and got == data[:10], st)
    st, _, got = s.request("GET", "/storage/o/" + key,
                           dict(auth(tok), Range="bytes=0-9",
                                **{"If-Range": '"stale"'}))
    t.check("If-Range stale -> 200 whole", st == 200 and got == data, st)


def test_not_modified(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/c.txt" % uid
    _, _, b = upload(s, key, b"cache me", tok)
    etag = (j(b) or {}).get("etag", "")
    for inm in (etag, "W/" + etag, '"x", ' + etag, "*"):
        st, h, got = s.request("GET", "/storage/o/" + key,
                               dict(auth(tok), **{"If-None-Match": inm}))
        t.check("If-None-Match %s -> 304" % inm,
                st == 304 and got == b"" and h.get("etag") == etag,
                (st, h))
    st, _, got = s.request("GET", "/storage/o/" + key,
                           dict(auth(tok), **{"If-None-Match": '"old"'}))
    t.check("If-None-Match other -> 200", st == 200 and got == b"cache me",
            st)
    # no If-Modified-Since (README): lighttpd, sending the file, must not
    # answer one itself (an overwrite within the same second kept its
    # Last-Modified, so a client revalidating by date kept the old bytes)
    _, h, _ = s.request("HEAD", "/storage/o/" + key, auth(tok))
    lm = h.get("last-modified", "")
    upload(s, key, b"cache me again", tok)
    for when in (lm, "Sat, 29 Nov 2036 00:00:00 GMT"):
        for method in ("GET", "HEAD"):
            st, h, got = s.request(method, "/storage/o/" + key, dict(
                auth(tok), **{"If-Modified-Since": when}))
            t.check("%s If-Modified-Since %s -> 200, the new bytes" % (
                    method, when), st == 200 and
                    got == (b"cache me again" if method == "GET" else b""),
                    (st, h, got[:40]))


def test_access_control(t):
    s = t.s
    uid, other = str(uuid.uuid4()), str(uuid.uuid4())
    tok, otok = token(s, uid), token(s, other)
    key = "user/%s/secret.txt" % uid
    _, _, b = upload(s, key, b"secret", tok)
    ftok = (j(b) or {}).get("token", "")
    for name, hdrs in (("other user", auth(otok)), ("anonymous", {})):
        st, _, b2 = s.request("GET", "/storage/o/" + key, hdrs)
        t.check("%s GET -> 403" % name, st == 403 and
                code(b2) == "forbidden", (st, b2))
        st, _, _ = s.request("GET", "/storage/m/" + key, hdrs)
        t.check("%s metadata -> 403" % name, st == 403, st)
        st, _, _ = upload(s, key, b"overwrite", hdrs.get(
            "Authorization", "")[7:] or None)
        t.check("%s overwrite -> 403" % name, st == 403, st)
        st, _, _ = s.request("DELETE", "/storage/o/" + key, hdrs)
        t.check("%s DELETE -> 403" % name, st == 403, st)
        st, _, _ = s.request("GET", "/storage/m/user/%s/" % uid, hdrs)
        t.check("%s list -> 403" % name, st == 403, st)
    st, _, _ = upload(s, "user/%s/new.txt" % uid, b"x", otok)
    t.check("other user create in my dir -> 403", st == 403, st)
    st, _, b2 = s.request("GET", "/storage/o/user/%s/missing" % uid,
                          auth(otok))
    t.check("other user, missing object -> 403 (no existence oracle)",
            st == 403, st)
    st, _, _ = s.request("GET", "/storage/o/user/%s/missing" % uid,
                         auth(tok))
    t.check("owner, missing object -> 404", st == 404, st)
    # a bad token is 401, never anonymous
    st, _, b2 = s.request("GET", "/storage/o/" + key,
                          {"Authorization": "Bearer x.y.z"})
    t.check("bad token -> 401", st == 401 and code(b2) == "invalid-jwt",
            (st, b2))
    st, _, _ = s.request("GET", "/storage/o/" + key,
                         {"Authorization": "Bearer " + token(s, uid, -60)})
    t.check("expired token -> 401", st == 401, st)
    st, _, got = s.request("GET", "/storage/o/" + key,
                           {"Cookie": "access_token=" + tok})
    t.check("token in cookie -> 200", st == 200 and got == b"secret", st)
    # the file's token (default rules: query.token == resource.token)
    st, h, got = s.request("GET", "/storage/o/%s?token=%s" % (key, ftok))
    t.check("anonymous with ?token -> 200", st == 200 and got == b"secret"
            and h.get("cache-control", "").startswith("private"),
            (st, h))
    st, _, _ = s.request("GET", "/storage/o/%s?token=%s" % (key, ftok),
                         auth(otok))
    t.check("other user with ?token -> 200", st == 200, st)
    for q in ("token=incorrect", "token=", "token=%s&token=%s" % (ftok,
                                                                 ftok),
              "tok=" + ftok):
        st, _, _ = s.request("GET", "/storage/o/%s?%s" % (key, q))
        t.check("anonymous with ?%s -> 403" % q[:20], st == 403, st)
    st, _, _ = s.request("DELETE", "/storage/o/%s?token=%s" % (key, ftok))
    t.check("?token does not grant delete", st == 403, st)
    # a read whose cookie fails goes on anonymous (a browser sends the
    # cookie with every <img src>): a ?token= link still reads, what
    # anonymous may not read answers what the token itself would (401)
    for name, bad in (("expired", token(s, uid, -60)), ("forged", "x.y.z")):
        ck = {"Cookie": "access_token=" + bad}
        st, _, b2 = s.request("GET", "/storage/o/" + key, ck)
        _, _, b3 = s.request("GET", "/storage/o/" + key, auth(bad))
        t.check("%s cookie, private object -> 401 as the token in "
                "Authorization" % name, st == 401 and j(b2) == j(b3),
                (st, b2, b3))
        st, _, got = s.request("GET", "/storage/o/%s?token=%s" % (key, ftok),
                               ck)
        t.check("%s cookie with ?token -> 200" % name, st == 200 and
                got == b"secret", st)
        st, _, _ = s.request("GET", "/storage/o/%s?token=%s" % (key, ftok),
                             auth(bad))
        t.check("...but a %s Authorization is 401, never anonymous" %
                name, st == 401, st)


def test_token_kept_until_exp(t):
    """Each storage process keeps the tokens it verified
    (wd_jwt_verify_cached): a token read many times (kept by every
    process) still ends at its exp, and a kept token's claims are its
    own, never another caller's."""
    s = t.s
    uid, other = str(uuid.uuid4()), str(uuid.uuid4())
    key = "user/%s/kept.txt" % uid
    st, _, b = upload(s, key, b"kept", token(s, uid))
    t.check("upload", st == 200, (st, b))
    short = token(s, uid, 3)
    exp = int(time.time()) + 3
    otok = token(s, other)
    # concurrent reads, so that every process of the read pool sees
    # both tokens (lighttpd sends a request to the least busy process)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda tk: s.request(
            "GET", "/storage/o/" + key, auth(tk))[0],
            [short, otok] * 16))
    t.check("the short token reads, again and again", set(
        got[0::2]) == {200}, got[0::2])
    t.check("...and the other user's is refused each time", set(
        got[1::2]) == {403}, got[1::2])
    time.sleep(max(0, exp + 1.2 - time.time()))
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        after = list(ex.map(lambda _: s.request(
            "GET", "/storage/o/" + key, auth(short)), range(16)))
    t.check("past its exp the kept token is refused everywhere (401)",
            all(st == 401 and code(b2) == "jwt-expired"
                for st, _, b2 in after),
            [(st, b2[:60]) for st, _, b2 in after])


def test_public(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "public/%s/logo.png" % uid
    st, _, _ = upload(s, key, b"\x89PNG", None, ctype="image/png")
    t.check("anonymous create in public/ -> 403", st == 403, st)
    st, _, b = upload(s, key, b"\x89PNG", tok, ctype="image/png")
    t.check("authenticated create in public/ -> 200", st == 200, (st, b))
    st, h, got = s.request("GET", "/storage/o/" + key)
    t.check("anonymous read of public/ -> 200, public cache",
            st == 200 and got == b"\x89PNG" and
            h.get("cache-control", "").startswith("public") and
            h.get("content-type") == "image/png", (st, h))
    st, _, got = s.request("GET", "/storage/o/" + key, {
        "Cookie": "access_token=" + token(s, uid, -60)})
    t.check("public/ read with an expired cookie -> 200", st == 200 and
            got == b"\x89PNG", st)
    # hbp.md §3.7 #26-#33: HBP's image parameters, checked as HBP does
    # and then ignored (no transforms: the object as stored)
    for q in ("w=100&h=200", "w=100&h=200&q=50", "w=0&h=8192&q=100&b=0.3",
              "b=1000"):
        st, _, got = s.request("GET", "/storage/o/%s?%s" % (key, q))
        t.check("?%s -> 200, the object as stored" % q,
                st == 200 and got == b"\x89PNG", (st, got[:40]))
    for q in ("w=-1", "w=10000", "h=-1", "h=10000", "q=-1", "q=101",
              "w=abc", "w=1&w=2", "b=0.2", "b=1001", "b=nan", "q="):
        st, _, b = s.request("GET", "/storage/o/%s?%s" % (key, q))
        t.check("?%s -> 400" % q, st == 400 and code(b) ==
                "invalid-request", (st, b[:100]))
    st, _, _ = s.request("DELETE", "/storage/o/" + key)
    t.check("anonymous delete in public/ -> 403", st == 403, st)
    other = token(s, str(uuid.uuid4()))
    st, _, _ = upload(s, key, b"evil", other, ctype="image/png")
    t.check("default rules: another user cannot overwrite public/ -> 403",
            st == 403, st)
    st, _, _ = s.request("DELETE", "/storage/o/" + key, auth(other))
    t.check("default rules: another user cannot delete public/ -> 403",
            st == 403, st)
    st, _, m = s.request("GET", "/storage/m/" + key)
    mj = json.loads(m) if st == 200 else {}
    t.check("metadata to a non-owner hides token and owner", st == 200 and
            "token" not in mj and "owner" not in mj and
            "token" not in mj.get("Metadata", {}), (st, mj))
    st, _, m = s.request("GET", "/storage/m/" + key, auth(tok))
    mj = json.loads(m) if st == 200 else {}
    t.check("metadata to the owner shows token and owner", st == 200 and
            mj.get("owner") == uid and len(mj.get("token", "")) > 0, mj)
    st, _, _ = s.request("DELETE", "/storage/o/" + key, auth(tok))
    t.check("the owner deletes public/ -> 204", st == 204, st)
    key2 = "public/%s/cookie.txt" % uid
    st, _, _ = s.request("POST", "/storage/o/" + key2,
                         [("Cookie", "access_token=" + tok),
                          ("Content-Type", "text/plain")], "x")
    t.check("a cookie alone cannot write (cross-site safe) -> 403",
            st == 403, st)


def test_list_prefix(t):
    s = t.s
    uid = str(uuid.uuid4())[:8]
    a, b = uid, uid + "x"
    ta, tb = token(s, a), token(s, b)
    st, _, body = s.request("GET", "/storage/m/user/%s/" % a, auth(ta))
    t.check("fresh user lists [] ", st == 200 and j(body) == [],
            (st, body))
    upload(s, "user/%s/one.txt" % a, b"1", ta)
    upload(s, "user/%s/two.txt" % a, b"22", ta)
    upload(s, "user/%s/other.txt" % b, b"x", tb)
    # keys with LIKE metacharacters must not widen the prefix
    st, _, body = upload(s, "user/%s/%%25_.txt" % a, b"3", ta)
    t.check("key with %% and _ stored", st == 200, (st, body))
    st, _, body = s.request("GET", "/storage/m/user/%s/" % a, auth(ta))
    keys = sorted(o.get("key") for o in (j(body) or []))
    want = sorted("user/%s/%s" % (a, n) for n in ("one.txt", "two.txt",
                                                   "%_.txt"))
    t.check("list user/<id>/ exact: not user/<id>x/", st == 200 and
            keys == want, (st, keys))
    t.check("list entries carry metadata", all(
        "size" in o and "Metadata" in o for o in (j(body) or [])), body)
    st, _, body = s.request("GET", "/storage/m/user/%s/" % b, auth(ta))
    t.check("list someone else's dir -> 403", st == 403, st)
    st, _, body = s.request("GET", "/storage/m/user/%s%%25/" % a, auth(ta))
    t.check("list with a LIKE metacharacter -> 403 or []",
            st == 403 or j(body) == [], (st, body))


def test_delete(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/gone.txt" % uid
    upload(s, key, b"bye", tok)
    before = blobs(s)
    st, h, body = s.request("DELETE", "/storage/o/" + key, auth(tok))
    t.check("DELETE -> 204, empty", st == 204 and body == b"", (st, body))
    t.check("DELETE removes row and blob", rows(s, "key = '%s'" % key) == 0
            and blobs(s) == before - 1, (before, blobs(s)))
    st, _, _ = s.request("GET", "/storage/o/" + key, auth(tok))
    t.check("GET after delete -> 404", st == 404, st)
    st, _, body = s.request("DELETE", "/storage/o/" + key, auth(tok))
    t.check("DELETE again -> 404", st == 404 and code(body) ==
            "not-found", (st, body))


def test_row_cache(t):
    """fs: a storage process keeps the row of an object it let a caller
    read (WARDEN_STORAGE_ROW_CACHE_MS, here 10 s), checked against the
    blob file on every use: an overwrite, a delete or a revoke-token
    shows at once on every process; only an allowed read without a
    query fills or uses a kept row, and a refused read of a kept row
    reads the row again. Bursts of concurrent reads reach every process
    of the read pool (lighttpd/routes reads=N); with PostgreSQL stopped,
    what needed the row answers 503, which tells what came from a kept
    row."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/kept.txt" % uid
    secret = "k" * 40
    adm = {"X-Warden-Admin-Secret": secret}

    def reads(path, headers=None, n=16, method="GET"):
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            fs = [ex.submit(s.request, method, path, headers)
                  for _ in range(n)]
            return [f.result() for f in fs]

    def all_of(rs, st, body=None):
        return all(r[0] == st and (body is None or r[2] == body)
                   for r in rs)

    s.reconfigure(WARDEN_STORAGE_ROW_CACHE_MS="10000",
                  WARDEN_ADMIN_SECRET=secret)
    try:
        _, _, b = upload(s, key, b"one", tok, raw=True)
        t1 = (j(b) or {}).get("token", "")
        for _ in range(3):
            rs = reads("/storage/o/" + key, auth(tok))
        t.check("reads of the first version", all_of(rs, 200, b"one"),
                [r[:1] for r in rs])
        st, _, b = upload(s, key, b"two", tok, raw=True)
        etag = (j(b) or {}).get("etag")
        rs = reads("/storage/o/" + key, auth(tok))
        t.check("an overwrite shows at once on every process",
                st == 200 and all_of(rs, 200, b"two") and
                all(r[1].get("etag") == etag for r in rs),
                [(r[0], r[2][:8]) for r in rs])
        hs = reads("/storage/o/" + key, auth(tok), method="HEAD")
        rg = reads("/storage/o/" + key, dict(auth(tok), Range="bytes=1-"))
        nm = reads("/storage/o/" + key, dict(auth(tok), **{
            "If-None-Match": etag}))
        t.check("...to HEAD, Range and If-None-Match too",
                all(r[0] == 200 and r[1].get("etag") == etag and
                    r[1].get("content-length") == "3" for r in hs) and
                all_of(rg, 206, b"wo") and all_of(nm, 304),
                [r[0] for r in hs + rg + nm])
        link = "/storage/o/%s?token=%s" % (key, t1)
        t.check("the token link reads", all_of(reads(link), 200, b"two"))
        st, _, b = s.request("POST", "/storage/m/" + key, dict(
            auth(tok), **{"Content-Type": "application/json"}),
            b'{"action":"revoke-token"}')
        t2 = (j(b) or {}).get("token")
        rs = reads(link)
        t.check("a revoke-token ends the link at once on every process",
                st == 200 and all_of(rs, 403), [r[0] for r in rs])
        ms = reads("/storage/m/" + key, auth(tok))
        t.check("...and the metadata shows the new token at once",
                all(r[0] == 200 and (j(r[2]) or {}).get("token") == t2
                    for r in ms), [r[0] for r in ms])
        st, _, _ = s.request("DELETE", "/storage/o/" + key, auth(tok))
        rs = reads("/storage/o/" + key, auth(tok))
        t.check("a delete shows at once on every process: Warden's 404",
                st == 204 and all(r[0] == 404 and code(r[2]) ==
                                  "not-found" for r in rs),
                [(r[0], r[2][:40]) for r in rs])
        # refused and allowed reads, then PostgreSQL stops
        mine, probed, cold = ("user/%s/%s.txt" % (uid, n)
                              for n in ("mine", "probed", "cold"))
        for k in (mine, probed, cold):
            upload(s, k, b"kept", tok, raw=True)
        for _ in range(3):
            reads("/storage/o/" + mine, adm)
            reads("/storage/o/" + probed)       # anonymous: 403
        s.pg_ctl("-m", "fast", "-w", "stop")
        try:
            rs = reads("/storage/o/" + mine, adm)
            refused = reads("/storage/o/" + mine)
            probed_rs = reads("/storage/o/" + probed, adm, n=8)
            cold_rs = reads("/storage/o/" + cold, adm, n=4)
            q_rs = reads("/storage/o/%s?w=10" % mine, adm, n=4)
        finally:
            s.pg_ctl("-w", "-l", os.path.join(s.run, "log",
                                              "postgresql.log"), "start")
        t.check("database down: a row read before still answers",
                any(r[0] == 200 and r[2] == b"kept" for r in rs) and
                all(r[0] in (200, 503) for r in rs),
                [r[0] for r in rs])
        t.check("...a refused read of it reads the row (503, not 403)",
                all_of(refused, 503), [r[0] for r in refused])
        t.check("...refused reads kept nothing (503)", all_of(
            probed_rs, 503), [r[0] for r in probed_rs])
        t.check("...an object not read before is 503", all_of(
            cold_rs, 503), [r[0] for r in cold_rs])
        t.check("...and a read with a query is 503 (it reads the row)",
                all_of(q_rs, 503), [r[0] for r in q_rs])
    finally:
        s.reconfigure()


def test_blob_lost(t):
    """fs: a row whose blob file is gone (deleted by hand, a restore
    that missed it) answers 500, whole or ranged, and the operator's log
    names the blob, never the key; lighttpd used to answer its own 404.
    (S3: test_storage_s3fault.blob_lost.)"""
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/lost.bin" % uid
    st, _, b = upload(s, key, b"soon gone", tok, raw=True)
    blob = (j(b) or {}).get("etag", "").strip('"')
    d = s.base_env["WARDEN_STORAGE_DIR"]
    gone = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs
            if f == blob]
    for f in gone:
        os.unlink(f)
    t.check("its blob file removed by hand", st == 200 and len(gone) == 1,
            (st, b, gone))
    for what, extra in (("whole", {}), ("ranged", {"Range": "bytes=1-3"})):
        mark = log_mark(s)
        st, _, b = s.request("GET", "/storage/o/" + key,
                             dict(auth(tok), **extra))
        t.check("%s read of a row without its blob: 500 internal" % what,
                st == 500 and code(b) == "internal-error", (st, b))
        log = log_since(s, mark, "without its blob")
        t.check("...logged with the blob's name, not the key",
                "object row without its blob " + blob in log and
                key not in log, log.splitlines()[-4:])
    st, _, _ = s.request("HEAD", "/storage/o/" + key, auth(tok))
    t.check("HEAD still answers from the row", st == 200, st)


def test_bad_keys(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    before_rows, before_blobs = rows(s), blobs(s)
    bad = ["user/%s/../x" % uid, "user/%s/%%2e%%2e/x" % uid,
           "user/%s/%%2E%%2E" % uid, "user/%s/./x" % uid,
           "user//%s/x" % uid, "%%2Fuser/%s/x" % uid, "/etc/passwd",
           "user/%s/a%%00b" % uid, "user/%s/a%%0Ab" % uid,
           "user/%s/a%%7Fb" % uid, "user/%s/%%zz" % uid,
           "user/%s/a%%" % uid, "user/%s/%%C0%%AE%%C0%%AE/x" % uid,
           "user/%s/%%FF" % uid, "user/%s/%s" % (uid, "a" * 1000), ""]
    for k in bad:
        for method in ("GET", "POST", "DELETE"):
            hdrs = dict(auth(tok))
            body = None
            if method == "POST":
                hdrs["Content-Type"], body = multipart(b"evil")
            st, _, b = s.request(method, "/storage/o/" + k, hdrs, body)
            # lighttpd itself refuses control bytes and invalid
            # UTF-8 in the path (http-parseopts) before we see them
            t.check("bad key %s %s -> 400" % (method, k[:48]),
                    st == 400 and code(b) in ("invalid-key",
                                              "invalid-request"),
                    (st, b[:100]))
    t.check("bad keys stored nothing", rows(s) == before_rows and
            blobs(s) == before_blobs)
    st, _, _ = upload(s, "user/%s/" % uid, b"x", tok)
    t.check("upload to a directory key it may write in -> 404 (hbp.md "
            "§3.7 #10)", st == 404, st)
    st, _, _ = upload(s, "user/%s/123/" % uid, b"x", tok)
    t.check("upload to a directory key no rule lets it write in -> 403 "
            "(#11)", st == 403, st)
    st, _, _ = upload(s, "user/%s/" % uuid.uuid4(), b"x", tok)
    t.check("upload to another user's directory key -> 403", st == 403,
            st)
    t.check("directory keys stored nothing", rows(s) == before_rows and
            blobs(s) == before_blobs)
    st, _, _ = s.request("GET", "/storage/x/user/%s/a" % uid, auth(tok))
    t.check("unknown storage route -> 404", st == 404, st)
    st, h, _ = s.request("PATCH", "/storage/o/user/%s/a" % uid, auth(tok))
    t.check("PATCH -> 405, with Allow", st == 405 and "PUT" in
            h.get("allow", "") and "GET" in h.get("allow", ""), (st, h))
    st, _, _ = s.request("PUT", "/storage/m/user/%s/a" % uid, auth(tok),
                         b"{}")
    t.check("PUT metadata -> 405", st == 405, st)
    # a percent-encoded key is decoded exactly once
    st, _, b = upload(s, "user/%s/a%%2520b" % uid, b"x", tok)
    t.check("%2520 decodes once to %20", st == 200 and
            (j(b) or {}).get("key") == "user/%s/a%%20b" % uid, b)


def test_bad_bodies(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    before_rows, before_blobs = rows(s), blobs(s)
    k = "/storage/o/user/%s/b.bin" % uid
    ct, body = multipart(b"data", name="notfile")
    st, _, b = s.request("POST", k, dict(auth(tok), **{
        "Content-Type": ct}), body)
    t.check("multipart without file -> 400", st == 400, (st, b))
    ct, body = multipart(b"data")
    st, _, b = s.request("POST", k, dict(auth(tok), **{
        "Content-Type": ct}), body[:-10])
    t.check("truncated multipart -> 400", st == 400, (st, b))
    two = body.replace(b"--\r\n", b"\r\n" + body.split(b"\r\n", 1)[1]
                       [:0], 1)
    ct2, body2 = multipart(b"a", extra=b"")
    bnd = ct2.split("=", 1)[1].encode()
    part = body2[:body2.rindex(b"--" + bnd + b"--")]
    dbl = part + part[len(b""):].split(b"\r\n", 0)[0]
    st, _, b = s.request("POST", k, dict(auth(tok), **{
        "Content-Type": ct2}), dbl + b"--" + bnd + b"--\r\n")
    t.check("two file parts -> 400", st == 400, (st, b))
    st, _, b = s.request("POST", k, dict(auth(tok), **{
        "Content-Type": "multipart/form-data"}), b"x")
    t.check("multipart without boundary -> 400", st == 400, (st, b))
    st, _, b = s.request("POST", k, dict(auth(tok), **{
        "Content-Type": "text/plain\x01"}), b"x")
    t.check("raw with a bad Content-Type -> 400", st in (400,), (st, b))
    t.check("bad bodies stored nothing", rows(s) == before_rows and
            blobs(s) == before_blobs, (rows(s), blobs(s)))
    del two


def test_oversize_and_abort(t):
    s = t.s
    s.reconfigure(WARDEN_STORAGE_MAX_SIZE=str(1024 * 1024))
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    before_rows, before_blobs = rows(s), blobs(s)
    k = "/storage/o/user/%s/big.bin" % uid
    st, _, b = upload(s, k[11:], os.urandom(1024 * 1024), tok, raw=True)
    t.check("exactly the cap -> 200", st == 200, (st, b[:100]))
    s.request("DELETE", k, auth(tok))
    # raw: Content-Length over the cap plus the multipart framing is
    # refused before the body (lighttpd buffers storage bodies whole,
    # issue #11, so its own cap is the one that answers unread)
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % (k, tok, 1024 * 1024 +
                                              161 * 1024 + 1)).encode()
    st = raw_request(s, head, b"")
    t.check("raw over the cap and framing -> 413 unread", st == 413, st)
    st, _, b = upload(s, k[11:], os.urandom(1024 * 1024 + 1), tok,
                      raw=True)
    t.check("raw over the cap, body sent -> 413 JSON",
            st == 413 and code(b) == "payload-too-large", (st, b[:100]))
    # multipart: the file is counted while it streams
    st, _, b = upload(s, k[11:], os.urandom(1024 * 1024 + 1), tok)
    t.check("multipart file over the cap -> 413", st == 413 and
            code(b) == "payload-too-large", (st, b[:100]))
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % (k, tok, 50 * 1024 * 1024)
            ).encode()
    st = raw_request(s, head, b"")
    t.check("far over the cap -> 413 (lighttpd or us)", st == 413, st)
    # a client that goes away mid-upload leaves nothing
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % (k, tok, 1000 * 1000)).encode()
    raw_request(s, head, os.urandom(300 * 1000), read=False)
    ct, body = multipart(os.urandom(900 * 1000))
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
                k, tok, ct, len(body))).encode()
    raw_request(s, head, body[:len(body) // 2], read=False)
    time.sleep(1.0)
    t.check("oversize and aborted uploads left no row and no file",
            rows(s) == before_rows and blobs(s) == before_blobs,
            (rows(s), before_rows, blobs(s), before_blobs))
    st, _, _ = s.request("GET", k, auth(tok))
    t.check("aborted key does not exist", st == 404, st)


def test_admin_bypass(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/adm.txt" % uid
    upload(s, key, b"adm", tok)
    st, _, _ = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": ""})
    t.check("no admin secret configured: header ignored -> 403",
            st == 403, st)
    secret = "s" * 40
    s.reconfigure(WARDEN_ADMIN_SECRET=secret)
    st, _, got = s.request("GET", "/storage/o/" + key,
                           {"X-Warden-Admin-Secret": secret})
    t.check("admin secret -> 200", st == 200 and got == b"adm", st)
    st, _, _ = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": secret[:-1] + "x"})
    t.check("wrong admin secret -> 403", st == 403, st)
    st, _, _ = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": ""})
    t.check("empty admin secret -> 403", st == 403, st)
    # issue #11: wrong secrets are throttled per address; the right one
    # passes; another address is not affected
    src = "127.%d.%d.%d" % tuple(os.urandom(3))
    early_in(900, 30)
    sts = []
    for i in range(10):
        st, _, _ = s.request("GET", "/storage/o/" + key,
                             {"X-Warden-Admin-Secret": "w" * 40},
                             source=src)
        sts.append(st)
    t.check("10 wrong admin secrets -> 403 each", sts == [403] * 10, sts)
    st, h, b = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": "w" * 40}, source=src)
    t.check("11th wrong admin secret -> 429", st == 429 and
            code(b) == "rate-limited", (st, b))
    ra = h.get("retry-after", "")
    t.check("...with Retry-After: the seconds until the window lets one "
            "through (1..1800)", ra.isdigit() and 1 <= int(ra) <= 1800, ra)
    st, _, b = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": secret}, source=src)
    t.check("the right one from that address still passes -> 200 (a "
            "lock-out would let strangers shut the admin out)", st == 200,
            (st, b))
    st, _, b = s.request("GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": "w" * 40}, source=src)
    t.check("...and the next wrong one is still 429", st == 429 and
            code(b) == "rate-limited", (st, b))
    st, _, got = s.request("GET", "/storage/o/" + key,
                           {"X-Warden-Admin-Secret": secret})
    t.check("right secret from another address -> 200", st == 200 and
            got == b"adm", st)
    # each wrong one counted before it is checked, the refused ones too:
    # 12 from that address (the right one is not counted)
    r = s.psql("SELECT COALESCE(sum(hits), 0) FROM auth.throttle WHERE "
               "bucket = sha256(convert_to('storage-admin|%s', 'UTF8'))"
               % src)
    t.check("the 12 wrong secrets from that address are 12 hits, the "
            "throttled ones included", r.stdout.strip() == "12",
            (r.stdout, r.stderr))
    # sent together, GETs and DELETEs, across both storage pools (the
    # read pool and the other, lighttpd/routes reads=N): each guess is
    # counted before it is checked, so no more than 10 get a 403 (fewer
    # when later guesses are counted before an earlier one reads)
    burst = "127.%d.%d.%d" % tuple(os.urandom(3))

    def guess(i):
        return s.request("DELETE" if i % 2 else "GET", "/storage/o/" + key,
                         {"X-Warden-Admin-Secret": "w" * 40},
                         source=burst)[0]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        sts = list(ex.map(guess, range(40)))
    t.check("40 wrong admin secrets at once: at most 10 are 403, the "
            "rest 429", 1 <= sts.count(403) <= 10 and
            sts.count(403) + sts.count(429) == 40, sts)
    st, _, got = s.request("GET", "/storage/o/" + key, auth(tok),
                           source=src)
    t.check("throttled address without the header: owner reads", st == 200,
            st)
    r = subprocess.run([os.path.join(s.bindir, "storage")],
                       env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                           s.run, "warden.env"),
                           WARDEN_ADMIN_SECRET="x" * 31),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=10)
    t.check("admin secret under 32 bytes stops the binary",
            r.returncode == 1 and "WARDEN_ADMIN_SECRET" in r.stderr,
            (r.returncode, r.stderr))


def test_database_down(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/db.txt" % uid
    upload(s, key, b"db", tok)
    before = blobs(s)
    s.pg_ctl("-m", "fast", "-w", "stop")
    try:
        st, _, b = s.request("GET", "/storage/o/" + key, auth(tok))
        t.check("database down: GET -> 503", st == 503 and code(b) ==
                "database-unavailable", (st, b))
        st, _, b = upload(s, "user/%s/new.txt" % uid, b"x", tok)
        t.check("database down: upload -> 503, nothing stored",
                st == 503 and blobs(s) == before, (st, b, blobs(s)))
    finally:
        s.pg_ctl("-w", "-l", os.path.join(s.run, "log", "postgresql.log"),
                 "start")
    st, _, got = s.request("GET", "/storage/o/" + key, auth(tok))
    t.check("database back: GET works without restart",
            st == 200 and got == b"db", st)


def test_rules_checker(t):
    binp = os.path.join(t.s.bindir, "warden-rules")
    r = subprocess.run([binp, "check", os.path.join(REPO,
                                                     "storage-rules.json")],
                       capture_output=True, text=True)
    t.check("warden-rules check storage-rules.json", r.returncode == 0 and
            "/user/:userId/:fileId" in r.stdout and
            "((auth.user-id == userId) || (query.token == resource.token))"
            in r.stdout, (r.returncode, r.stdout, r.stderr))
    bad = os.path.join(t.s.run, "bad-rules.json")
    with open(bad, "w") as f:
        f.write('{"paths": {\n  "/a/:x": {\n    "read": "x == nope"}}}\n')
    r = subprocess.run([binp, "check", bad], capture_output=True, text=True)
    t.check("warden-rules: file:line:col", r.returncode == 1 and
            r.stderr.startswith("warden-rules: %s:3:19: unknown identifier"
                                % bad), r.stderr)
    os.chmod(bad, 0o644)
    try:
        t.s.reconfigure(WARDEN_STORAGE_RULES=bad)
        err = ""
    except RuntimeError as e:
        err = str(e)
    t.check("start with a bad rules file stops, naming file:line:col",
            "warden: storage: warden-storage: %s:3:19: unknown identifier"
            % bad in err, err)
    try:
        st = t.s.request("GET", "/storage/o/a/b")[0]
    except OSError:
        st = None
    t.check("...and nothing serves", st is None, st)
    r = subprocess.run([os.path.join(t.s.bindir, "storage")],
                       env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                           t.s.run, "warden.env")),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=10)
    t.check("storage run alone refuses to start, one line",
            r.returncode == 1 and r.stderr.startswith(
                "warden-storage: %s:3:19: unknown identifier" % bad) and
            len(r.stderr.strip().splitlines()) == 1,
            (r.returncode, r.stderr))
