"""Signed storage URLs (API.md §7, issue #11): POST /storage/sign/<key>
needs read on the object; the URL reads exactly the signed version,
without any other credential, until it expires."""
import json
import re
import time
import uuid
from datetime import datetime, timezone

import test_storage as ts


def sign(s, key, tok, secs):
    body = secs if isinstance(secs, (str, bytes)) else json.dumps(
        {"expires_in": secs})
    return s.request("POST", "/storage/sign/" + key,
                     dict(ts.auth(tok), **{"Content-Type":
                                           "application/json"}), body)


def test_signed_urls(t):
    s = t.s
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    other = ts.token(s, str(uuid.uuid4()))
    key = "user/%s/signed%%20report.txt" % uid
    st, _, b = ts.upload(s, key, b"version one", tok)
    t.check("upload", st == 200, (st, b))
    st, _, b = sign(s, key, tok, 60)
    o = ts.j(b) or {}
    url = o.get("url", "")
    t.check("sign: 200 with url and expires_at", st == 200 and
            url.startswith("/storage/o/user/%s/signed%%20report.txt?" % uid)
            and "expires_at" in o, (st, b))
    try:
        exp = datetime.strptime(o["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
        exp = exp.replace(tzinfo=timezone.utc).timestamp()
    except (KeyError, ValueError):
        exp = 0
    t.check("expires_at is ISO 8601, now + 60 s",
            abs(exp - time.time() - 60) < 5, o)
    st, h, b = s.request("GET", url)
    t.check("signed URL reads without credentials", st == 200 and
            b == b"version one", (st, b))
    st, _, b = s.request("GET", url, {"Cookie": "access_token=x.y.z"})
    t.check("...and with a stale cookie beside (a browser's <img src>)",
            st == 200 and b == b"version one", (st, b))
    t.check("signed answer is private", "private" in
            h.get("cache-control", ""), h)
    st, _, b = s.request("GET", "/storage/o/user/%s/signed%%20report.txt" %
                         uid)
    t.check("same path unsigned, anonymous: 403", st == 403, st)
    # a changed parameter
    m = re.search(r"X-Warden-Expires=(\d+)", url)
    e = int(m.group(1)) if m else 0
    bad = [url.replace("X-Warden-Expires=%d" % e,
                       "X-Warden-Expires=%d" % (e + 1)),
           url[:-1] + ("0" if url[-1] != "0" else "1"),
           url.replace("signed%20report.txt", "other.txt"),
           url.split("&")[0],
           url + "&X-Warden-Expires=%d" % e]
    for i, u in enumerate(bad):
        st, _, _ = s.request("GET", u)
        t.check("changed parameter %d: 403" % i, st == 403, (st, u))
    # who may sign, and for how long
    st, _, b = sign(s, key, other, 60)
    t.check("another user (no read): 403", st == 403, (st, b))
    st, _, b = sign(s, key, None, 60)
    t.check("anonymous (no Bearer): 401", st == 401 and
            ts.code(b) == "unauthorized", (st, b))
    pub = "public/%s/open.txt" % uid
    ts.upload(s, pub, b"open", tok)
    st, _, b = sign(s, pub, None, 60)
    t.check("anonymous, an object anyone reads: 401 all the same (the "
            "route takes a Bearer, API.md §7)", st == 401, (st, b))
    # a ?token= link reads the object, but signs nothing: its grant would
    # otherwise outlive a revoke-token as a signed URL
    ftok = (ts.j(s.request("GET", "/storage/m/" + key, ts.auth(tok))[2])
            or {}).get("token", "")
    st, _, _ = s.request("GET", "/storage/o/%s?token=%s" % (key, ftok))
    t.check("setup: the ?token= link reads", ftok and st == 200, st)
    for who, bearer, want in (("anonymous", None, 401),
                              ("another user", other, 403)):
        st, _, b = sign(s, "%s?token=%s" % (key, ftok), bearer, 60)
        t.check("%s with the object's ?token=: sign refused (%d)" % (
                who, want), st == want, (st, b))
    st, _, b = sign(s, "%s?token=%s" % (key, ftok), tok, 60)
    t.check("the owner with a ?token= as well: signed", st == 200, (st, b))
    for v in (0, -5, 3601, "\"60\"", 1.5):
        st, _, b = sign(s, key, tok, v if not isinstance(v, str) else
                        '{"expires_in": %s}' % v)
        t.check("expires_in %r: 400" % (v,), st == 400, (st, b))
    st, _, b = sign(s, key, tok, "{}")
    t.check("no expires_in: 400", st == 400, (st, b))
    st, _, b = sign(s, "user/%s/missing.txt" % uid, tok, 60)
    t.check("missing object: 404", st == 404, (st, b))
    st, _, b = s.request("GET", "/storage/sign/" + key, ts.auth(tok))
    t.check("GET on sign: 405", st == 405, (st, b))
    # expiry
    st, _, b = sign(s, key, tok, 1)
    short = (ts.j(b) or {}).get("url", "")
    st, _, b = s.request("GET", short)
    t.check("short URL before expiry: 200", st == 200, st)
    time.sleep(2.2)
    st, _, b = s.request("GET", short)
    t.check("after expiry: 403", st == 403, (st, b))
    # an overwrite ends it
    st, _, _ = ts.upload(s, key, b"version two", tok)
    st, _, b = s.request("GET", url)
    t.check("after overwrite: 403", st == 403, (st, b))
    st, _, b = sign(s, key, tok, 60)
    url2 = (ts.j(b) or {}).get("url", "")
    st, _, b = s.request("GET", url2)
    t.check("newly signed: the new version", st == 200 and
            b == b"version two", (st, b))
    st, _, b = s.request("GET", url2, {"Range": "bytes=8-10"})
    t.check("signed URL with a range: 206", st == 206 and b == b"two",
            (st, b))
    # a delete ends it
    st, _, _ = s.request("DELETE", "/storage/o/" + key, ts.auth(tok))
    t.check("delete: 204", st == 204, st)
    st, _, b = s.request("GET", url2)
    t.check("after delete: 403", st == 403, (st, b))
    st, _, b = ts.upload(s, key, b"version two", tok)
    st, _, b = s.request("GET", url2)
    t.check("re-created with the same bytes: still 403", st == 403,
            (st, b))


def test_lowered_max_age_ends_longer_urls(t):
    """A URL is refused once it would outlive the current
    WARDEN_SIGNED_URL_MAX_AGE: lowering it (after an incident, say) ends
    the longer URLs already handed out, not only the ones signed next."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/max-age.txt" % uid
    st, _, b = ts.upload(s, key, b"max age", tok)
    t.check("upload", st == 200, (st, b))
    urls = {}
    for secs in (3000, 300):
        st, _, b = sign(s, key, tok, secs)
        urls[secs] = (ts.j(b) or {}).get("url", "")
        t.check("signed for %d s: 200" % secs, st == 200 and urls[secs],
                (st, b))
    s.reconfigure(WARDEN_SIGNED_URL_MAX_AGE="600")
    st, _, b = s.request("GET", urls[3000])
    t.check("max age lowered to 600 s: the 3000 s URL is refused, 403",
            st == 403, (st, b[:200]))
    st, _, b = s.request("GET", urls[300])
    t.check("...the 300 s URL still reads", st == 200 and b == b"max age",
            (st, b[:200]))
