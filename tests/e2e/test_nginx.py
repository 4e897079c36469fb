"""Warden behind nginx: lighttpd/nginx.conf.example as shipped, with the
binaries started by spawn-fcgi instead of lighttpd, one pool per line of
the example's recipe (lighttpd/routes.py nginx_pools). Uses the running
stack's warden.env and PostgreSQL; nginx, its sockets, pid file, logs and
temporary files all live under the stack's run directory (nothing in
/etc/nginx or /var/lib/nginx), and everything started here is stopped
again before the test returns. Also checks that the committed example is
what lighttpd/routes.py makes of the route table."""
import copy
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

from stack import REPO, free_port
from test_accounts import action, email, get, login, register
from test_hook import UA, payload
import test_storage as ts
import test_storage_slow as slow

sys.path.insert(0, os.path.join(REPO, "lighttpd"))
import routes  # noqa: E402

SVC = "warden"
QUOTA = 16 * 1024 * 1024    # the nginx storage pool's, per owner
ENV0 = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def _proc_alive(pid):
    """True while pid runs; a zombie (exited, not yet reaped by whoever
    inherited it from spawn-fcgi) counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2:][:1] not in ("Z", "X")


def _proc_is(pid, exe):
    """pid still runs exe (guards against a recycled pid)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0] == exe.encode()
    except OSError:
        return False


def _wait_gone(pids, secs=5.0):
    end = time.time() + secs
    while time.time() < end:
        if not any(_proc_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return not any(_proc_alive(p) for p in pids)


def _spawn(t, fcgi, name, binary, extra_env=(), children=1):
    """spawn-fcgi with the recipe of nginx.conf.example; returns the
    children's pids (printed by spawn-fcgi and in its -P file)."""
    sock = os.path.join(fcgi, name + ".sock")
    pidf = os.path.join(fcgi, name + ".pid")
    cmd = ["spawn-fcgi", "-s", sock, "-M", "0660", "-F", str(children),
           "-P", pidf]
    if os.getuid() == 0:
        # children drop to the service user, the socket belongs to it
        # (nginx's workers run as the same user, see "user" in the config)
        cmd += ["-u", SVC, "-g", SVC, "-U", SVC, "-G", SVC]
    cmd += ["--", "/usr/bin/env", "-i",
            "WARDEN_CONFIG=" + os.path.join(t.s.run, "warden.env")]
    cmd += routes.spawn_env(extra_env) + [binary]
    r = subprocess.run(cmd, env=ENV0, capture_output=True, text=True,
                       timeout=30)
    out = r.stdout + r.stderr
    pids = [int(p) for p in re.findall(r"PID: (\d+)", out)]
    try:
        with open(pidf) as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    pids = sorted(set(pids))
    t.check("spawn-fcgi %s: %d children" % (name, children),
            r.returncode == 0 and len(pids) == children, (cmd, out))
    return pids


def _stop_nginx(proc, pidfile):
    pid = None
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pass
    if pid is None or pid != proc.pid:
        pid = proc.pid
    if proc.poll() is None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _log_tail(path, n=1500):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError as e:
        return str(e)


def test_nginx_example_generated(t):
    """lighttpd/nginx.conf.example is generated (`make routes`): the
    committed file must be what the route table gives today."""
    rows = routes.load()
    want = routes.nginx(rows)
    with open(routes.NGINX_OUT) as f:
        have = f.read()
    diff = [(i + 1, a, b) for i, (a, b) in
            enumerate(zip(have.split("\n"), want.split("\n"))) if a != b]
    t.check("nginx.conf.example is up to date with lighttpd/routes "
            "(make routes)", have == want,
            diff[:1] or "lengths %d vs %d" % (len(have), len(want)))
    # every status a check can refuse with reaches the client
    with open(os.path.join(REPO, "src", "wd_err.c")) as f:
        sts = {int(x) for x in re.findall(r"\]\s*= \{ (\d{3}),", f.read())}
    t.check("every error status of src/wd_err.c is in routes.REFUSALS "
            "(or 403)", sts and sts - {200, 403} == set(routes.REFUSALS),
            (sorted(sts), routes.REFUSALS))
    pools = routes.pools(rows)
    for r in rows:
        t.check("nginx example has a location for %s" % r.route,
                "location ^~ %s {" % r.route in want)
        if pools[r.binary].sendfile:
            # issue 11: the binary sends the bytes, nginx buffers both ways
            i = want.index("location ^~ %s {" % r.route)
            loc = want[i:want.index("}", i)]
            t.check("...%s buffered both ways (slow clients)" % r.route,
                    "fastcgi_request_buffering on;" in loc and
                    "fastcgi_buffering on;" in loc, loc)
            t.check("...and its binary told not to use X-Sendfile",
                    "WARDEN_STORAGE_SENDFILE=false" in want)


def _announce(view, method, path, headers, chunked=False, source=None):
    """Sends a request's head announcing a body (headers give its
    Content-Length) and none of the body: the answer must come anyway.
    (status, headers, body, seconds); status None when none came.
    source: the client address to connect from."""
    c = http.client.HTTPConnection(
        "127.0.0.1", view.port, timeout=5,
        source_address=(source, 0) if source else None)
    t0 = time.monotonic()
    try:
        c.putrequest(method, path, skip_host=True,
                     skip_accept_encoding=True)
        c.putheader("Host", "127.0.0.1:%d" % view.port)
        for k, v in headers:
            c.putheader(k, v)
        if chunked:
            c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        r = c.getresponse()
        return (r.status, {k.lower(): v for k, v in r.getheaders()},
                r.read(), time.monotonic() - t0)
    except OSError as e:
        return None, {}, repr(e).encode(), time.monotonic() - t0
    finally:
        c.close()


def _final_line(port, head):
    """The status line of the final answer (past any "100 Continue") to
    a raw request head whose body never follows."""
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    got = b""
    try:
        c.sendall(head.encode())
        while True:
            m = re.search(rb"HTTP/1\.1 ([2-5]\d\d)[^\r]*\r\n", got)
            if m:
                return m.group(0).decode("latin-1").strip()
            b = c.recv(4096)
            if not b:
                return got.decode("latin-1")
            got += b
    except OSError as e:
        return repr(e) + " after " + got.decode("latin-1")
    finally:
        c.close()


def checked_before_body(t, view, s):
    """Issue #11 under nginx: an upload the binary would refuse is
    refused before nginx reads (and stores) its body, with the binary's
    own status and JSON error; an upload it takes goes through."""
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    bearer = [("Authorization", "Bearer " + tok)]
    raw = [("Content-Type", "application/octet-stream")]
    big = [("Content-Length", str(50 * 1024 * 1024))]
    mine = "/storage/o/user/%s/checked.bin" % uid
    cases = [
        ("anonymous upload", "POST", mine, raw + big, False, 403,
         "forbidden"),
        ("forged token", "POST", mine, raw + big + [
            ("Authorization", "Bearer " + tok[:-4] + "AAAA")], False, 401,
         "invalid-jwt"),
        ("anonymous chunked upload", "PUT", mine, raw, True, 403,
         "forbidden"),
        ("upload over the size cap", "POST", mine, raw + bearer + [
            ("Content-Length", str(1024 * 1024 * 1024 + 1))], False, 413,
         "payload-too-large"),
        ("upload to a bad key", "POST", "/storage/o/user/%01x", raw + big,
         False, 400, "invalid-key"),
        ("GET with a body", "GET", "/storage/o/public/x", big, False, 400,
         "invalid-request"),
        ("PATCH with a body", "PATCH", mine, raw + bearer + big, False, 405,
         "method-not-allowed"),
        ("sign over its 1 KiB", "POST", "/storage/sign/user/%s/x" % uid,
         [("Content-Type", "application/json"),
          ("Content-Length", "1025")], False, 413, "payload-too-large"),
        # chunked, nginx would store up to the upload cap first
        ("anonymous chunked sign", "POST", "/storage/sign/user/%s/x" % uid,
         [("Content-Type", "application/json")], True, 400,
         "invalid-request"),
        ("anonymous chunked revoke-token", "POST",
         "/storage/m/user/%s/x" % uid, [("Content-Type",
                                         "application/json")], True, 400,
         "invalid-request"),
        ("anonymous DELETE with a body", "DELETE", mine, big, False, 403,
         "forbidden"),
        ("anonymous upload of a .txt key", "POST", mine[:-4] + ".txt",
         raw + big, False, 403, "forbidden"),
        ("owner's upload over the quota", "POST", mine, raw + bearer + [
            ("Content-Length", str(QUOTA + 1))], False, 413,
         "quota-exceeded"),
    ]
    for name, method, path, hdrs, chunked, want, code in cases:
        st, h, b, secs = _announce(view, method, path, hdrs, chunked)
        o = ts.j(b) or {}
        t.check("nginx check: %s: %d %s before the body" % (name, want,
                                                           code),
                st == want and o.get("code") == code and
                o.get("statusCode") == want, (st, h, b[:300], secs))
        t.check("...as JSON, not stored by any cache",
                h.get("content-type", "").startswith("application/json")
                and h.get("cache-control") == "no-store", h)
        t.check("...nothing of the check's headers leaks",
                not any(k.startswith("x-warden") for k in h), h)
    # a refusal reaches a browser app as its status, with the check's
    # CORS lines (an allowed origin with credentials, any other "*")
    for origin, acao, acac in ((s.url, s.url, "true"),
                               ("https://elsewhere.example", "*", None),
                               (None, None, None)):
        hdrs = raw + big + ([("Origin", origin)] if origin else [])
        st, h, b, _ = _announce(view, "POST", mine, hdrs, False)
        t.check("nginx check: a refusal for Origin %s carries %s" % (
                origin, acao), st == 403 and
                h.get("access-control-allow-origin") == acao and
                h.get("access-control-allow-credentials") == acac and
                "Origin" in h.get("vary", "") and
                ("ETag" in h.get("access-control-expose-headers", "")) ==
                (acao is not None), (st, h))
    # past nginx's own cap (client_max_body_size), before any check
    got = [_announce(srv, "POST", "/storage/o/public/big",
                     raw + [("Content-Length", "2000000000")])
           for srv in (view, s)]
    (st, h, b, _), (st2, _, b2, _) = got
    o = ts.j(b) or {}
    t.check("nginx: a body past its cap: 413 payload-too-large as JSON, "
            "as lighttpd answers it", st == st2 == 413 and
            o.get("code") == "payload-too-large" and o == ts.j(b2) and
            h.get("content-type", "").startswith("application/json"),
            (got[0][:3], got[1][:3]))
    t.check("...without an Origin, no CORS line",
            "access-control-allow-origin" not in h, h)
    # a browser app on another origin reads it (the web servers' own
    # answers are the same for everyone: "*", no credentials)
    got = [_announce(srv, "POST", "/storage/o/public/big",
                     raw + [("Content-Length", "2000000000"),
                            ("Origin", "https://elsewhere.example")])
           for srv in (view, s)]
    # wrong admin secrets on uploads, refused by the check: the 429 past
    # the limit carries Retry-After through nginx too
    src = "127.%d.%d.%d" % tuple(os.urandom(3))
    adm = raw + [("Content-Length", "1000"),
                 ("X-Warden-Admin-Secret", "w" * 40)]
    sts = [_announce(view, "POST", "/storage/o/public/adm.bin", adm,
                     source=src) for _ in range(11)]
    ra = sts[-1][1].get("retry-after", "")
    t.check("nginx check: 10 wrong admin secrets 403, the 11th 429 with "
            "Retry-After", [x[0] for x in sts] == [403] * 10 + [429] and
            ts.code(sts[-1][2]) == "rate-limited" and ra.isdigit() and
            1 <= int(ra) <= 1800, [x[:2] for x in sts[-2:]])
    t.check("nginx and lighttpd: that 413 from another origin carries "
            "Access-Control-Allow-Origin: *, Vary: Origin, no credentials",
            all(x[0] == 413 and
                x[1].get("access-control-allow-origin") == "*" and
                "Origin" in x[1].get("vary", "") and
                "access-control-allow-credentials" not in x[1]
                for x in got), [x[:2] for x in got])
    # the same refusals through lighttpd, the real request with a body
    for name, path, hdrs, want in (
            ("anonymous upload", mine, raw, 403),
            ("forged token", mine, raw + [("Authorization", "Bearer " +
                                           tok[:-4] + "AAAA")], 401),
            ("upload to a directory key", "/storage/o/user/%s/" % uid,
             raw + bearer, 404)):
        st, _, b = s.request("POST", path, hdrs, b"x" * 10)
        st2, _, b2, _ = _announce(view, "POST", path, hdrs + big)
        t.check("nginx check: %s answers as lighttpd does" % name,
                st == st2 == want and ts.j(b) == ts.j(b2), (st, b, st2, b2))
    # what the check cannot tell lets the real request tell it: a body
    # sign and revoke-token read before the caller
    for name, path, body, extra in (
            ("anonymous sign with a bad body", "/storage/sign/user/%s/x" %
             uid, b"nojson", []),
            ("anonymous revoke with a bad action", "/storage/m/user/%s/x" %
             uid, b'{"action":"nope"}', []),
            ("revoke with a bad action and a forged token",
             "/storage/m/user/%s/x" % uid, b'{"action":"nope"}',
             [("Authorization", "Bearer " + tok[:-4] + "AAAA")])):
        got = [srv.request("POST", path, [("Content-Type",
                                           "application/json")] + extra,
                           body)
               for srv in (s, view)]
        t.check("nginx: %s answers as lighttpd does (%d %s)" % (
                name, got[0][0], ts.code(got[0][2])),
                got[0][0] == got[1][0] == 400 and
                ts.j(got[0][2]) == ts.j(got[1][2]), got)
    # a client that waits for "100 Continue" before it sends the body:
    # nginx may invite it (to read and drop the body, keeping the
    # connection), but the refusal comes without a byte of it
    line = _final_line(view.port, "POST %s HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/octet-stream\r\n"
                       "Content-Length: 52428800\r\n"
                       "Expect: 100-continue\r\n\r\n" % mine)
    t.check("nginx check: Expect: 100-continue refused with 403 before "
            "the body", line.startswith("HTTP/1.1 403"), line)
    # a client's header cannot turn a request into a check
    data = os.urandom(4096)
    for label, srv in (("nginx", view), ("lighttpd", s)):
        key = "user/%s/posing-%s.bin" % (uid, label)
        st, _, b = ts.upload(srv, key, data, tok, raw=True, headers={
            "Warden-Check-Only": "1", "X-Warden-Status": "200"})
        st2, _, b2 = srv.request("GET", "/storage/o/" + key, bearer)
        t.check("%s: Warden-Check-Only from a client: stored as ever" %
                label, st == 200 and st2 == 200 and b2 == data,
                (st, b[:200], st2))
    # a body the binary takes: through, multipart and chunked too
    st, _, b = ts.upload(view, mine[len("/storage/o/"):], data, tok)
    t.check("nginx check: the owner's multipart upload is stored",
            st == 200, (st, b[:200]))
    c = http.client.HTTPConnection("127.0.0.1", view.port, timeout=10)
    try:
        c.request("PUT", mine, body=iter([data[:1000], data[1000:]]),
                  headers=dict(raw + bearer, **{
                      "Transfer-Encoding": "chunked"}),
                  encode_chunked=True)
        r = c.getresponse()
        st, b = r.status, r.read()
    finally:
        c.close()
    st2, _, b2 = view.request("GET", mine, bearer)
    t.check("nginx check: a chunked upload by the owner is stored",
            st == 200 and b2 == data, (st, b[:200], st2))
    st, _, b = view.request("DELETE", mine)
    t.check("nginx: an anonymous DELETE (no body, no check) is 403",
            st == 403 and ts.code(b) == "forbidden", (st, b))
    st, _, b = view.request("DELETE", mine, bearer, b"x")
    st2, _, _ = view.request("GET", mine, bearer)
    t.check("nginx: the owner's DELETE with a body (ignored, as under "
            "lighttpd)", st in (200, 204) and st2 == 404, (st, b, st2))


def quota_checked(t, view, s):
    """Under nginx an upload the quota refuses is refused before its body
    too (read without reserving): at the exact boundary, and counting
    the bytes an overwrite replaces as freed. The quota is only the
    nginx pool's (QUOTA)."""
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    mib = 1024 * 1024
    hdrs = [("Authorization", "Bearer " + tok),
            ("Content-Type", "application/octet-stream")]

    def key(n):
        return "user/%s/q-%s.bin" % (uid, n)

    def refused(name, k, n):
        st, h, b, secs = _announce(view, "POST", "/storage/o/" + k, hdrs +
                                   [("Content-Length", str(n))])
        t.check("nginx check: %s: 413 quota-exceeded before the body" %
                name, st == 413 and ts.code(b) == "quota-exceeded",
                (st, b[:300], secs))

    def stored(name, k, n):
        st, _, b = ts.upload(view, k, b"q" * n, tok, raw=True)
        t.check("nginx: %s is stored" % name, st == 200, (st, b[:300]))

    stored("1 MiB", key("a"), mib)
    refused("one byte more than is free", key("b"), QUOTA - mib + 1)
    stored("exactly what is free", key("b"), QUOTA - mib)
    refused("one byte with nothing free", key("c"), 1)
    refused("an overwrite one byte larger than is free", key("b"),
            QUOTA - mib + 1)
    stored("an overwrite of the same size (its bytes freed)", key("b"),
           QUOTA - mib)


def secrets_not_logged(t, view, log):
    """The example's access log holds neither query strings nor Referers:
    a reset ticket, a refresh token, a ?token= link and a signature."""
    secrets = [str(uuid.uuid4()) for _ in range(4)]
    reqs = [("/auth/change-password/change?ticket=" + secrets[0], []),
            ("/auth/token/refresh?refresh_token=" + secrets[1], []),
            ("/storage/o/public/logged.txt?token=" + secrets[2], []),
            ("/healthz", [("Referer", "http://app.test/reset?ticket=" +
                           secrets[3])])]
    for path, hdrs in reqs:
        view.request("GET", path, hdrs)
    text = ""
    end = time.time() + 5
    while time.time() < end:     # nginx writes each line as it answers
        with open(log) as f:
            text = f.read()
        if "/healthz" in text and "/storage/o/public/logged.txt" in text:
            break
        time.sleep(0.1)
    t.check("nginx access log: the requests are logged, by path",
            "/auth/change-password/change" in text and
            "/storage/o/public/logged.txt" in text, text[-2000:])
    t.check("nginx access log: no ticket, refresh token, ?token= or "
            "Referer", not any(x in text for x in secrets),
            [x for x in secrets if x in text])


def pool_down(t, view, s):
    """The storage pool gone (its processes stopped; run last): the
    check and the real request answer a JSON 503, not nginx's page."""
    exe = os.path.join(s.run, "bin", "storage")
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and
            _proc_is(int(p), exe)]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    if not t.check("nginx: storage pool stopped", pids and
                   _wait_gone(pids), pids):
        return
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    for name, method, hdrs, body in (
            ("an upload (the check)", "POST",
             [("Content-Type", "application/octet-stream")], b"x" * 100),
            ("a download", "GET", [], None)):
        st, h, b = view.request(method, "/storage/o/user/%s/x.txt" % uid,
                                [("Authorization", "Bearer " + tok)] + hdrs,
                                body)
        t.check("nginx, pool down: %s answers 503 service-unavailable as "
                "JSON" % name, st == 503 and
                ts.code(b) == "service-unavailable" and
                h.get("content-type") == "application/json" and
                h.get("retry-after") == "1", (st, h, b[:200]))
        st, h, b = view.request(method, "/storage/o/user/%s/x.txt" % uid,
                                [("Authorization", "Bearer " + tok),
                                 ("Origin", "https://elsewhere.example")] +
                                hdrs, body)
        t.check("...and from another origin, with "
                "Access-Control-Allow-Origin: *", st == 503 and
                h.get("access-control-allow-origin") == "*" and
                "Origin" in h.get("vary", ""), (st, h))


def test_nginx_spawn_fcgi(t):
    s = t.s
    nginx = shutil.which("nginx", path=ENV0["PATH"])
    if not t.check("nginx installed", nginx is not None, "apt-get install "
                   "nginx-light"):
        return
    if not t.check("spawn-fcgi installed",
                   shutil.which("spawn-fcgi", path=ENV0["PATH"]) is not None,
                   "apt-get install spawn-fcgi"):
        return
    v = subprocess.run([nginx, "-V"], capture_output=True, text=True)
    if not t.check("nginx has http_auth_request_module",
                   "http_auth_request_module" in v.stdout + v.stderr,
                   "Debian's nginx-light, nginx-core and nginx-full build "
                   "it in"):
        return

    fcgi = os.path.join(s.run, "fcgi")
    ngx = os.path.join(s.run, "nginx")
    conf = os.path.join(ngx, "nginx.conf")
    errlog = os.path.join(ngx, "error.log")
    pidfile = os.path.join(ngx, "nginx.pid")
    port = free_port()
    view = copy.copy(s)  # Stack.request against nginx's port
    view.port = port
    children = []
    proc = None

    try:
        # sockets: a directory only the service user (nginx's workers and
        # the FastCGI children) can enter
        os.makedirs(fcgi, mode=0o700)
        os.makedirs(ngx, mode=0o755)
        if os.getuid() == 0:
            shutil.chown(fcgi, SVC, SVC)

        rows = routes.load()
        pools = routes.nginx_pools(rows)
        for name, binary, procs, env, _ in pools:
            if name == "storage":
                # a quota for the check's quota cases (the environment
                # wins over warden.env); lighttpd's pool has none; an
                # admin secret for the wrong ones' throttle
                env = env + ["WARDEN_STORAGE_QUOTA=%d" % QUOTA,
                             "WARDEN_ADMIN_SECRET=" + "n" * 40]
            children += _spawn(t, fcgi, name,
                               os.path.join(s.run, "bin", binary),
                               extra_env=env, children=procs)

        with open(os.path.join(REPO, "lighttpd", "nginx.conf.example")) as f:
            text = f.read()
        text = text.replace("@RUN@", s.run).replace("@PORT@", str(port))
        t.check("config has no placeholder left", re.search(
                r"@[A-Z]+@", re.sub(r"#.*", "", text)) is None, text)
        with open(conf, "w") as f:
            f.write(text)
        base = [nginx, "-p", ngx + "/", "-e", errlog, "-c", conf]
        r = subprocess.run(base + ["-t", "-q"], env=ENV0,
                           capture_output=True, text=True, timeout=30)
        if not t.check("nginx -t accepts the config", r.returncode == 0,
                       r.stdout + r.stderr + _log_tail(errlog)):
            return
        # master in the foreground, as our child; it still forks workers
        # and writes the pid file
        proc = subprocess.Popen(base + ["-g", "daemon off;"], env=ENV0,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        up = False
        end = time.time() + 15
        while time.time() < end and proc.poll() is None:
            try:
                st, _, _ = view.request("GET", "/healthz")
                if st == 200:
                    up = True
                    break
            except OSError:
                pass
            time.sleep(0.1)
        if not t.check("nginx up", up, _log_tail(errlog)):
            return
        t.check("pid file names the master", os.path.exists(pidfile) and
                open(pidfile).read().strip() == str(proc.pid),
                _log_tail(errlog))

        # health -------------------------------------------------------
        st, h, b = view.request("GET", "/healthz")
        t.check("GET /healthz: 200 ok", st == 200 and b == b"ok", (st, b))

        # hook, GET mode ----------------------------------------------
        hdrs = [("Content-Type", "application/json"), ("User-Agent", UA),
                ("x-request-id", str(uuid.uuid4()))]
        st, h, b = view.request("GET", "/hook", hdrs)
        t.check("GET /hook no credentials: anonymous",
                st == 200 and json.loads(b) == {"X-Hasura-Role":
                                                "anonymous"}, (st, b))
        uid = str(uuid.uuid4())
        tok = s.mint(payload(uid))
        st, h, b = view.request("GET", "/hook", hdrs + [
            ("Authorization", "Bearer " + tok)])
        o = json.loads(b) if st == 200 else {}
        t.check("GET /hook token: 200 with user id",
                st == 200 and o.get("X-Hasura-User-Id") == uid and
                o.get("X-Hasura-Role") == "user", (st, b))
        t.check("GET /hook token: json content type",
                h.get("content-type", "").startswith("application/json"), h)
        st, h, b = view.request("GET", "/hook", hdrs + [
            ("Cookie", "theme=dark; access_token=" + tok)])
        t.check("GET /hook cookie: 200 with user id",
                st == 200 and json.loads(b).get("X-Hasura-User-Id") == uid,
                (st, b))
        st, h, b = view.request("GET", "/hook", hdrs + [
            ("Authorization", "Bearer " + tok[:-4] + "AAAA")])
        t.check("GET /hook bad token: 401", st == 401, (st, b))
        st, h, b = view.request("GET", "/hook", hdrs + [
            ("Authorization", "Bearer nope")])
        t.check("GET /hook garbage token: 401", st == 401, (st, b))

        # hook, POST mode (CONTENT_LENGTH, CONTENT_TYPE, body) --------
        post = [("Content-Type", "application/json"), ("User-Agent", UA)]
        st, h, b = view.request("POST", "/hook", post, json.dumps(
            {"headers": {"Authorization": "Bearer " + tok},
             "request": None}))
        t.check("POST /hook token: 200 with user id",
                st == 200 and json.loads(b).get("X-Hasura-User-Id") == uid,
                (st, b))
        st, h, b = view.request("POST", "/hook", post, json.dumps(
            {"headers": {"Authorization": "Bearer nope"}, "request": None}))
        t.check("POST /hook bad token: 401", st == 401, (st, b))
        st, h, b = view.request("POST", "/hook", post, json.dumps(
            {"headers": {"Authorization": "Bearer " + tok},
             "request": {"query": "m", "variables": {
                 "b": "x" * (6 * 1024 * 1024)}}}))
        t.check("POST /hook with a 6 MiB GraphQL request: 200", st == 200 and
                json.loads(b).get("X-Hasura-User-Id") == uid, (st, b[:200]))
        try:
            st, h, b = view.request("POST", "/hook", post,
                                    b"{" + b" " * (9 * 1024 * 1024) + b"}")
        except OSError as e:
            st, b = None, repr(e)
        t.check("POST /hook 9 MiB body: 413", st == 413, (st, b[:200]))
        st, h, b = view.request("GET", "/hook/x", hdrs)
        t.check("GET /hook/x: not the hook", st == 404, (st, b))
        # CORS for the public URL's origin reaches the binaries
        for path in ("/auth/login", "/storage/o/public/x"):
            st, h, b = view.request("OPTIONS", path, [
                ("Origin", s.url), ("Access-Control-Request-Method",
                                    "POST")])
            t.check("nginx: a CORS preflight of %s answered by its binary"
                    % path, st == 204 and
                    h.get("access-control-allow-origin") == s.url, (st, h))

        # every route reaches its binary: an answer of its own (JSON, or
        # healthz's text), not nginx's 404 page or a 502 for a missing
        # socket
        for r in rows:
            if r.authorizer:
                continue
            st, h, b = view.request("GET", r.route, [])
            # (a link's page is HTML too, but not nginx's own)
            t.check("GET %s reaches %s" % (r.route, r.binary),
                    st not in (502, 504) and b"<center>nginx" not in b,
                    (st, b[:200]))
        st, h, b = view.request("GET", "/storage/o/public/none", [])
        t.check("/storage/ is served under nginx (the binary sends the "
                "bytes, nginx buffers them)", st in (403, 404) and
                b"<center>nginx" not in b, (st, b[:200]))

        # accounts -----------------------------------------------------
        addr = email()
        st, _, o = register(view, addr)
        t.check("POST /auth/register: session", st == 200 and
                bool((o or {}).get("jwt_token")), (st, o))
        st, _, o = login(view, addr)
        t.check("POST /auth/login: session", st == 200 and
                bool((o or {}).get("refresh_token")), (st, o))
        rt = (o or {}).get("refresh_token", "")
        jwt = (o or {}).get("jwt_token", "")
        st, _, o = get(view, "/auth/token/refresh?refresh_token=" + rt)
        t.check("GET /auth/token/refresh: new session", st == 200 and
                (o or {}).get("refresh_token") not in (None, rt), (st, o))
        st, _, o = get(view, "/auth/user",
                       [("Authorization", "Bearer " + jwt)])
        t.check("GET /auth/user: the profile", st == 200 and
                (o or {}).get("email") == addr, (st, o))
        st, _, o = action(view, "login", {"email": addr,
                                          "password": "correct horse"})
        t.check("POST /actions/login: the action's answer", st == 200 and
                bool((o or {}).get("jwt_token")), (st, o))
        st, _, o = action(view, "login", {"email": addr,
                                          "password": "correct horse"},
                          secret="wrong-secret-wrong-secret")
        t.check("POST /actions/login with a wrong secret: refused",
                400 <= st < 500, (st, o))

        # /private/ through auth_request -------------------------------
        priv = os.path.join(s.run, "private")
        path = os.path.join(priv, "nginx-report.txt")
        with open(path, "w") as f:
            f.write("private bytes via nginx\n")
        if os.getuid() == 0:
            shutil.chown(path, SVC, SVC)
        url = "/private/nginx-report.txt"
        st, h, b = view.request("GET", url,
                                [("Authorization", "Bearer " + tok)])
        t.check("private with Bearer: the file", st == 200 and
                b == b"private bytes via nginx\n", (st, b))
        st, h, b = view.request("GET", url,
                                [("Cookie", "access_token=" + tok)])
        t.check("private with cookie: the file", st == 200 and
                b == b"private bytes via nginx\n", (st, b))
        t.check("...kept by no shared cache (the token may be a cookie)",
                h.get("cache-control") == "private, no-store", h)
        st, h, b = view.request("GET", url, [])
        t.check("private without credentials: 401", st == 401, (st, b))
        st, h, b = view.request("GET", url, [("Cookie", "theme=dark")])
        t.check("private with unrelated cookie: 401", st == 401, (st, b))
        st, h, b = view.request("GET", url,
                                [("Authorization", "Bearer nope")])
        t.check("private with bad token: 401", st == 401, (st, b))
        exp = s.mint(payload(uid, life=-60))
        st, h, b = view.request("GET", url,
                                [("Authorization", "Bearer " + exp)])
        t.check("private with expired token: 401", st == 401, (st, b))
        for p in ("/private/../warden.env", "/warden.env",
                  "/private/%2e%2e/warden.env", "/_warden_authz_hook"):
            st, h, b = view.request("GET", p,
                                    [("Authorization", "Bearer " + tok)])
            t.check("%s not served" % p, st in (400, 401, 404) and
                    b"WARDEN_" not in b, (st, b[:200]))
        # storage: slow clients hold no binary (issue #11) ------------
        slow.slow_clients(t, view, "nginx")
        checked_before_body(t, view, s)
        quota_checked(t, view, s)
        secrets_not_logged(t, view, os.path.join(ngx, "access.log"))
        t.check("nginx error log has no crit/emerg",
                not re.search(r"\[(crit|alert|emerg)\]",
                              _log_tail(errlog, 100000)),
                _log_tail(errlog))
        pool_down(t, view, s)
    finally:
        if proc is not None:
            _stop_nginx(proc, pidfile)
            t.check("nginx stopped", proc.poll() is not None, proc.pid)
        exes = tuple(os.path.join(s.run, "bin", r.binary)
                     for r in routes.load())
        for pid in children:
            if any(_proc_is(pid, e) for e in exes):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        gone = _wait_gone(children)
        if not gone:
            for pid in children:
                if _proc_alive(pid) and any(_proc_is(pid, e) for e in exes):
                    os.kill(pid, signal.SIGKILL)
            gone = _wait_gone(children)
        t.check("spawn-fcgi children stopped", gone, children)
        shutil.rmtree(fcgi, ignore_errors=True)
        shutil.rmtree(ngx, ignore_errors=True)
        try:
            os.unlink(os.path.join(s.run, "private", "nginx-report.txt"))
        except OSError:
            pass
