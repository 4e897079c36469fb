"""make start / make stop behaviour (API.md §1) on the test's own stack,
and the routes lighttpd/routes.py generates from lighttpd/routes."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

from stack import REPO, free_port, recv_all


def test_start_is_idempotent(t):
    s = t.s
    pid = open(os.path.join(s.run, "lighttpd.pid")).read().strip()
    env_before = open(os.path.join(s.run, "warden.env")).read()
    r = s.sh("start", check=False)
    t.check("second start exits 0", r.returncode == 0, r.stderr)
    pid2 = open(os.path.join(s.run, "lighttpd.pid")).read().strip()
    t.check("second start leaves the running lighttpd alone", pid == pid2,
            (pid, pid2))
    t.check("second start keeps warden.env (and its secrets)",
            env_before == open(os.path.join(s.run, "warden.env")).read())
    t.check("prints the webhook URL", "/hook" in r.stdout, r.stdout)


def test_env_file_contract(t):
    s = t.s
    env = s.read_env()
    for k in ("WARDEN_URL", "WARDEN_DATABASE_URL", "WARDEN_JWT_SECRET",
              "WARDEN_ACTION_SECRET", "WARDEN_STORAGE_DIR"):
        t.check("warden.env has " + k, bool(env.get(k)), sorted(env))
    t.check("WARDEN_URL points at the stack",
            env.get("WARDEN_URL") == s.url, env.get("WARDEN_URL"))
    r = subprocess.run(["psql", "-X", "-At", env["WARDEN_DATABASE_URL"],
                        "-c", "SELECT rolsuper, rolcreaterole FROM pg_roles "
                        "WHERE rolname = current_user"],
                       capture_output=True, text=True)
    t.check("WARDEN_DATABASE_URL connects as a non-superuser",
            r.stdout.strip() == "f|f", (r.stdout, r.stderr))
    r = subprocess.run(["psql", "-X", "-At", env["WARDEN_DATABASE_URL"],
                        "-c", "DROP TABLE auth.accounts"],
                       capture_output=True, text=True)
    t.check("the binaries' role cannot drop tables", r.returncode != 0,
            r.stdout)
    mode = os.stat(os.path.join(s.run, "warden.env")).st_mode & 0o777
    t.check("warden.env not readable by others", mode & 0o077 == 0,
            oct(mode))


def test_binaries_environment(t):
    """lighttpd gives every binary WARDEN_CONFIG and the settings of
    lighttpd/routes.py BIN_ENV (GnuTLS left uninitialized), nothing of
    the caller's environment but PATH (lighttpd adds PHP_FCGI_CHILDREN)."""
    s = t.s
    bindir = os.path.join(s.run, "bin")
    seen = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = dict(x.decode().partition("=")[::2]
                           for x in f.read().split(b"\0") if x)
        except OSError:
            continue
        if os.path.dirname(exe) == bindir:
            seen.setdefault(os.path.basename(exe), []).append(env)
    want = {b.split()[0] for b in subprocess.run(
        [sys.executable, os.path.join(REPO, "lighttpd", "routes.py"),
         "pools"], capture_output=True, text=True, check=True)
        .stdout.splitlines()}
    t.check("every pool's binary is running", want <= set(seen),
            (sorted(want), sorted(seen)))
    bad = [(b, sorted(e)) for b, envs in seen.items() for e in envs
           if b in want and (
               e.get("GNUTLS_NO_IMPLICIT_INIT") != "1" or
               e.get("WARDEN_CONFIG") != os.path.join(s.run, "warden.env")
               or set(e) - {"GNUTLS_NO_IMPLICIT_INIT", "WARDEN_CONFIG",
                            "PATH", "PHP_FCGI_CHILDREN"})]
    # (PHP_FCGI_CHILDREN: lighttpd's own, for PHP)
    t.check("each has WARDEN_CONFIG, GNUTLS_NO_IMPLICIT_INIT=1, PATH and "
            "nothing else", seen and not bad, bad)


def test_binaries_hardened(t):
    """Every binary is a PIE with full RELRO (the GOT read-only once
    started: -z relro -z now) and a non-executable stack."""
    s = t.s
    bindir = os.path.join(s.run, "bin")
    bad = []
    elves = [b for b in sorted(os.listdir(bindir))
             if open(os.path.join(bindir, b), "rb").read(4) == b"\x7fELF"]
    for b in elves:
        r = subprocess.run(["readelf", "-W", "-h", "-l", "-d",
                            os.path.join(bindir, b)],
                           capture_output=True, text=True)
        out = r.stdout
        flags = [l for l in out.splitlines() if "(FLAGS" in l]
        if (r.returncode != 0 or "DYN (" not in out or
                "GNU_RELRO" not in out or
                not any("NOW" in l for l in flags) or
                not re.search(r"GNU_STACK .* RW  ", out)):
            bad.append(b)
    t.check("every binary: PIE, full RELRO, no executable stack",
            len(elves) > 10 and not bad, (elves, bad))


def test_audit_log_append_only(t):
    """The binaries' role appends to the audit trail and reads it, and
    can neither rewrite nor erase it."""
    s = t.s
    for stmt in ("UPDATE auth.audit_log SET event = 'x' WHERE false",
                 "DELETE FROM auth.audit_log WHERE false",
                 "TRUNCATE auth.audit_log"):
        r = s.psql("SET ROLE warden_app; " + stmt)
        t.check("warden_app: %s refused" % stmt.split()[0],
                r.returncode != 0 and "permission denied" in r.stderr,
                (r.returncode, r.stderr))
    r = s.psql("SELECT has_table_privilege('warden_app', 'auth.audit_log', "
               "'SELECT') AND has_table_privilege('warden_app', "
               "'auth.audit_log', 'INSERT')")
    t.check("warden_app: appends and reads", r.stdout.strip() == "t",
            (r.returncode, r.stdout, r.stderr))


def test_bad_configuration_stops_start(t):
    """A setting one binary refuses (a public key cannot sign, so every
    account binary refuses it; the webhook alone would take it) stops the
    start with that binary's line, every time: lighttpd on its own notices
    a child that exits only if it exits before lighttpd looks."""
    s = t.s
    pub = subprocess.run(
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 | "
        "openssl pkey -pubout", shell=True, capture_output=True, text=True,
        check=True).stdout
    bad = json.dumps({"type": "RS256", "key": pub})
    for i in range(3):
        try:
            s.reconfigure(WARDEN_JWT_SECRET=bad)
            err = None
        except RuntimeError as e:
            err = str(e)
        t.check("bad key, start %d: refused" % (i + 1), err is not None)
        t.check("bad key, start %d: one line naming the binary and the "
                "setting" % (i + 1), err is not None and re.search(
                    r"warden: \w+: warden-\w+: WARDEN_JWT_SECRET: ", err)
                is not None and "BEGIN" not in err, err)
        try:
            st, _, _ = s.request("GET", "/healthz")
        except OSError:
            st = None
        t.check("bad key, start %d: nothing serving" % (i + 1), st is None,
                st)
    s.reconfigure()
    st, _, b = s.request("GET", "/healthz")
    t.check("good configuration starts again", st == 200, (st, b))


def test_stop_and_start_again(t):
    s = t.s
    r = s.sh("stop", check=False)
    t.check("stop exits 0", r.returncode == 0, r.stderr)
    try:
        st, _, _ = s.request("GET", "/healthz")
        t.check("nothing answers after stop", False, st)
    except OSError:
        t.check("nothing answers after stop", True)
    r = s.sh("start", check=False)
    t.check("start again exits 0", r.returncode == 0, r.stderr)
    # root's psql once warned on every call (PGPASSFILE=/dev/null)
    t.check("start prints no warning", "WARNING" not in r.stdout +
            r.stderr, [ln for ln in (r.stdout + r.stderr).splitlines()
                       if "WARNING" in ln][:3])
    st, _, b = s.request("GET", "/healthz")
    t.check("healthz after restart", st == 200 and b == b"ok", (st, b))
    r = s.psql("SELECT count(*) > 0 FROM public.warden_migrations")
    t.check("data kept across stop/start", r.stdout.strip() == "t",
            r.stdout)


def test_root_start_follows_no_link(t):
    """As root, the run directory belongs to the service user: links it
    placed there (to a file of root's) and a pid of root's in a pid file
    turn the next stop and start into no write, chmod, chown or kill
    outside it."""
    s = t.s
    if os.getuid() != 0:
        t.check("(runs as root only: nothing to separate otherwise)", True)
        return
    d = tempfile.mkdtemp()
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("root's\n")
    os.chmod(victim, 0o600)
    sleeper = subprocess.Popen(["sleep", "300"])

    def plant(rels):
        for rel in rels:
            p = os.path.join(s.run, rel)
            if os.path.lexists(p):
                os.unlink(p)
            os.symlink(victim, p)
    try:
        s.sh("stop", check=False)
        links = ["pg/pg_hba.conf", "pg/pg_ident.conf", "bin/hook",
                 "headers.lua", "own_errors.lua", "storage-rules.json",
                 "lighttpd.conf", "errors/404.html"]
        plant(links)
        with open(os.path.join(s.run, "mailer.pid"), "w") as f:
            f.write("%d\n" % sleeper.pid)
        r = s.sh("start", check=False)
        t.check("start as root over the planted links: exits 0",
                r.returncode == 0, (r.stdout, r.stderr))
        st = os.stat(victim)
        t.check("root's file: content, mode and owner untouched",
                open(victim).read() == "root's\n" and
                st.st_mode & 0o777 == 0o600 and st.st_uid == 0,
                (open(victim).read()[:80], oct(st.st_mode), st.st_uid))
        t.check("root's process named in a pid file: not killed",
                sleeper.poll() is None)
        left = [rel for rel in links
                if os.path.islink(os.path.join(s.run, rel))]
        t.check("each planted link replaced by a file of the stack's",
                left == [], left)
        st2, _, b = s.request("GET", "/healthz")
        t.check("...and the stack serves", st2 == 200, (st2, b))
        r = s.sh("stop", check=False)
        t.check("stop leaves root's process alone too",
                r.returncode == 0 and sleeper.poll() is None,
                (r.returncode, r.stderr))
        # logs are appended to by the service user, which may not open
        # root's file: the mail catcher does not start, nothing is written
        logs = ["log/mailer.log", "log/mailcatcher.log",
                "log/storage-gc.log"]
        plant(logs)
        r = s.sh("start", check=False)
        st = os.stat(victim)
        t.check("logs linked to root's file: not written through",
                open(victim).read() == "root's\n" and
                st.st_mode & 0o777 == 0o600 and st.st_uid == 0,
                (r.returncode, r.stderr, open(victim).read()[:80]))
        s.sh("stop", check=False)
        for rel in logs:
            os.unlink(os.path.join(s.run, rel))
        r = s.sh("start", check=False)
        t.check("...and with the links gone the stack starts again",
                r.returncode == 0, r.stderr)
    finally:
        sleeper.kill()
        sleeper.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_run_dir_the_service_user_cannot_reach(t):
    """As root, a checkout under a closed directory (a clone in /root):
    the run directory goes to /var/lib/warden and run/ links to it, so
    the stack starts and run/warden.env is where API.md §1 says."""
    s = t.s
    if os.getuid() != 0:
        t.check("(runs as root only)", True)
        return
    closed = tempfile.mkdtemp()         # 0700, root's
    run = os.path.join(closed, "run")
    port = free_port()
    env = dict(s.env, WARDEN_RUN_DIR=run, WARDEN_PORT=str(port),
               WARDEN_SMTP_PORT=str(free_port()))
    real = None
    try:
        r = s.sh("start", check=False, env=env)
        t.check("start with the run directory under a closed one: 0",
                r.returncode == 0, (r.stdout[-300:], r.stderr))
        real = os.path.realpath(run) if os.path.islink(run) else None
        t.check("run/ links to /var/lib/warden/run-<hash>",
                real is not None and real.startswith(
                    "/var/lib/warden/run-"), real)
        t.check("run/warden.env is readable there", os.path.isfile(
            os.path.join(run, "warden.env")))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        st = c.getresponse().status
        c.close()
        t.check("...and the stack serves", st == 200, st)
        r = s.sh("stop", check=False, env=env)
        t.check("stop: 0", r.returncode == 0, r.stderr)
    finally:
        s.sh("stop", check=False, env=env)
        if real is not None:
            shutil.rmtree(real, ignore_errors=True)
        shutil.rmtree(closed, ignore_errors=True)


def _raw(s, raw):
    """(status, [header lines, lower case], body) of one raw request
    answered before the connection closes."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        c.sendall(raw)
        got = recv_all(c)
    finally:
        c.close()
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split()
    return (int(parts[1]) if len(parts) > 1 else 0,
            [ln.lower() for ln in lines[1:]], body)


def test_web_server_errors_are_json(t):
    """Errors lighttpd answers itself (no binary involved) come in
    Warden's JSON error shape with a stable code, not as HTML pages."""
    s = t.s
    cases = [
        ("a path no binary serves", b"GET /nope HTTP/1.1\r\nHost: a\r\n"
         b"Connection: close\r\n\r\n", 404, "not-found"),
        ("a body over server.max-request-size",
         b"POST /auth/login HTTP/1.1\r\nHost: a\r\nContent-Type: "
         b"application/json\r\nContent-Length: 10000000\r\n"
         b"Connection: close\r\n\r\n", 413, "payload-too-large"),
        ("a control byte in the path", b"GET /storage/o/user/a%01b "
         b"HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 400,
         "invalid-request"),
        ("a POST without a length", b"POST /auth/logout HTTP/1.1\r\n"
         b"Host: a\r\nConnection: close\r\n\r\n", 411,
         "length-required"),
        ("an unknown method", b"BREW /auth/login HTTP/1.1\r\nHost: a\r\n"
         b"Connection: close\r\n\r\n", 501, "not-implemented"),
        ("headers over server.max-request-field-size",
         b"GET /hook HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 40000 +
         b"\r\nConnection: close\r\n\r\n", 431, "headers-too-large"),
    ]
    for what, raw, want, code in cases:
        st, hs, body = _raw(s, raw)
        ctype = [ln.split(b":", 1)[1].strip() for ln in hs
                 if ln.startswith(b"content-type:")]
        try:
            j = json.loads(body)
        except ValueError:
            j = None
        t.check("%s: %d, JSON with code %s" % (what, want, code),
                st == want and ctype == [b"application/json"] and
                isinstance(j, dict) and j.get("code") == code and
                j.get("statusCode") == want and
                "(web server)" in j.get("message", ""), (st, hs, body[:200]))
        acao = [ln for ln in hs if ln.startswith(
            b"access-control-allow-origin:")]
        t.check("...without an Origin, no CORS line", acao == [], acao)


def test_web_server_errors_cors(t):
    """A browser app on another origin reads lighttpd's own errors
    (lighttpd/own_errors.lua): an upload over the size cap is a 413 it
    can read, not a network error. The binaries' answers keep their own
    CORS lines, one of each; /hook and /healthz answer none."""
    s = t.s
    o = b"Origin: https://elsewhere.example\r\n"
    cases = [
        ("an upload over the storage size cap", b"POST /storage/o/public/"
         b"big.bin HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n"
         b"Content-Length: 99999999999\r\n" + o +
         b"Connection: close\r\n\r\n", 413),
        ("a body over the account routes' cap", b"POST /auth/login HTTP/1.1"
         b"\r\nHost: a\r\nContent-Type: application/json\r\n"
         b"Content-Length: 10000000\r\n" + o +
         b"Connection: close\r\n\r\n", 413),
        ("a path no binary serves", b"GET /nope HTTP/1.1\r\nHost: a\r\n" +
         o + b"Connection: close\r\n\r\n", 404),
    ]
    for what, raw, want in cases:
        st, hs, _ = _raw(s, raw)
        t.check("%s, from another origin: %d with "
                "Access-Control-Allow-Origin: * and Vary: Origin" %
                (what, want), st == want and
                b"access-control-allow-origin: *" in hs and
                b"vary: origin" in hs and
                not any(h.startswith(b"access-control-allow-credentials")
                        for h in hs), (st, hs))
    # a binary's own refusal: its lines only, not doubled
    st, hs, _ = _raw(s, b"GET /storage/o/public/absent.bin HTTP/1.1\r\n"
                  b"Host: a\r\n" + o + b"Connection: close\r\n\r\n")
    n = sum(h.startswith(b"access-control-allow-origin:") for h in hs)
    t.check("storage's own 404 from another origin: one "
            "Access-Control-Allow-Origin line, storage's", st == 404 and
            n == 1 and hs.count(b"vary: origin") == 1, (st, hs))
    st, hs, _ = _raw(s, b"POST /auth/login HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 2"
                  b"\r\n" + o + b"Connection: close\r\n\r\n{}")
    n = sum(h.startswith(b"access-control-allow-origin:") for h in hs)
    t.check("login's own 400 from another origin: one "
            "Access-Control-Allow-Origin line", st == 400 and n == 1,
            (st, hs))
    for what, raw, want in (
            ("the webhook's 401", b"GET /hook HTTP/1.1\r\nHost: a\r\n" +
             o + b"Authorization: Bearer x\r\nConnection: close\r\n\r\n",
             401),
            ("the webhook's own 413", b"POST /hook HTTP/1.1\r\nHost: a\r\n"
             + o + b"Content-Length: 99999999\r\nConnection: close\r\n\r\n",
             413),
            ("/healthz's 405", b"POST /healthz HTTP/1.1\r\nHost: a\r\n" +
             o + b"Content-Length: 0\r\nConnection: close\r\n\r\n", 405),
            ("/private/'s 401", b"GET /private/x HTTP/1.1\r\nHost: a\r\n"
             + o + b"Connection: close\r\n\r\n", 401)):
        st, hs, _ = _raw(s, raw)
        t.check("%s from an Origin: no CORS line (no browser calls it)" %
                what, st == want and not any(
                    h.startswith(b"access-control-") for h in hs), (st, hs))
    # a binary that refuses an origin its policy does not answer: lighttpd
    # adds nothing either
    s.reconfigure(WARDEN_CORS_ANY_ORIGIN="false")
    try:
        st, hs, _ = _raw(s, b"GET /storage/o/public/absent.bin HTTP/1.1\r\n"
                      b"Host: a\r\n" + o + b"Connection: close\r\n\r\n")
        t.check("WARDEN_CORS_ANY_ORIGIN=false: storage's 404 to an "
                "origin not listed has no CORS line", st == 404 and not any(
                    h.startswith(b"access-control-allow-origin")
                    for h in hs), (st, hs))
    finally:
        s.reconfigure()


def test_env_given_to_start(t):
    """WARDEN_* variables given to a start (API.md §1: real environment
    variables take precedence) are recorded in warden.env, where the
    binaries read them; the stack's own URL is not taken."""
    import test_storage as ts
    s = t.s
    s.sh("stop", check=False)
    r = s.sh("start", check=False, env=dict(
        s.env, WARDEN_STORAGE_MAX_SIZE="50000",
        WARDEN_URL="http://127.0.0.1:1"))
    t.check("start with WARDEN_* in the environment exits 0",
            r.returncode == 0, (r.stdout, r.stderr))
    t.check("...and says what it recorded",
            "from the environment: WARDEN_STORAGE_MAX_SIZE" in r.stdout,
            r.stdout)
    env = s.read_env()
    t.check("warden.env records the value",
            env.get("WARDEN_STORAGE_MAX_SIZE") == "50000", env)
    t.check("...but not a WARDEN_URL of its own", env.get("WARDEN_URL") ==
            s.url, env.get("WARDEN_URL"))
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    st, _, b = ts.upload(s, "user/%s/big.bin" % uid, b"x" * 50001, tok,
                         raw=True)
    t.check("the binaries use it: 50001 bytes are 413", st == 413, (st, b))
    st, _, b = ts.upload(s, "user/%s/big.bin" % uid, b"x" * 50000, tok,
                         raw=True)
    t.check("...and 50000 fit", st == 200, (st, b))
    # a value a binary refuses: the start stops with its line, and the
    # file is as it was, so the next start works
    before = open(os.path.join(s.run, "warden.env")).read()
    s.sh("stop", check=False)
    r = s.sh("start", check=False, env=dict(
        s.env, WARDEN_ADMIN_SECRET="too-short"))
    t.check("a refused value: the start fails, naming it",
            r.returncode != 0 and "WARDEN_ADMIN_SECRET" in r.stderr,
            (r.returncode, r.stderr))
    t.check("...and warden.env is as before (nothing left behind)",
            open(os.path.join(s.run, "warden.env")).read() == before and
            not os.path.exists(os.path.join(s.run, "warden.env.prev")))
    r = s.sh("start", check=False)
    t.check("...so the next start works", r.returncode == 0, r.stderr)
    s.reconfigure()


def test_env_apply_quoting(t):
    """lighttpd/env_apply.py replaces an assignment however the file
    writes it (export, a quoted value over several lines, a comment with
    a quote in it) and quotes what it writes, so sh reads back exactly
    the values given."""
    d = tempfile.mkdtemp()
    try:
        path = os.path.join(d, "warden.env")
        with open(path, "w") as f:
            f.write("# the admin's file, isn't it\n"
                    "WARDEN_A='one\nWARDEN_B=not a statement'\n"
                    "export WARDEN_B=\"two \\\" three\"\n"
                    "WARDEN_C=kept\n"
                    "WARDEN_D='5' # a comment with a quote ' in it\n"
                    "WARDEN_E=keep#not-a-comment\n"
                    "WARDEN_PORT=1\n")
        os.chmod(path, 0o640)
        tricky = "it's $HOME `x` \\ \"q\"\nline two"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("WARDEN_")}
        env.update(WARDEN_A="new a", WARDEN_B=tricky, WARDEN_D="6",
                   WARDEN_PORT="2")
        r = subprocess.run([sys.executable, os.path.join(
            REPO, "lighttpd", "env_apply.py"), path, "", "WARDEN_PORT"],
            env=env, capture_output=True, text=True)
        t.check("env_apply exits 0", r.returncode == 0, r.stderr)
        r = subprocess.run(["sh", "-c", "set -a; . \"$1\"; env -0", "sh",
                            path], capture_output=True,
                           env={"PATH": "/usr/bin:/bin"})
        got = dict(x.decode().partition("=")[::2]
                   for x in r.stdout.split(b"\0") if x.startswith(b"W"))
        t.check("sh reads back the values given, the others kept (a "
                "quote in a comment after a value ends nothing)",
                got == {"WARDEN_A": "new a", "WARDEN_B": tricky,
                        "WARDEN_C": "kept", "WARDEN_D": "6",
                        "WARDEN_E": "keep#not-a-comment",
                        "WARDEN_PORT": "1"}, got)
        t.check("the file as it was kept as warden.env.prev",
                open(path + ".prev").read().startswith(
                    "# the admin's file"))
        text = open(path).read()
        t.check("each replaced assignment is gone, the comment kept",
                text.count("WARDEN_A=") == 1 and
                text.count("WARDEN_B=") == 1 and
                text.startswith("# the admin's file, isn't it\n"), text)
        t.check("the file's mode is kept",
                os.stat(path).st_mode & 0o777 == 0o640)
        # a file it cannot split the way sh does is left alone: an
        # unterminated quote swallows what follows for sh
        with open(path, "w") as f:
            f.write("WARDEN_A='open\nWARDEN_KEY=secret\n")
        r = subprocess.run([sys.executable, os.path.join(
            REPO, "lighttpd", "env_apply.py"), path, ""], env=dict(
                env, WARDEN_KEY="other"), capture_output=True, text=True)
        t.check("a change it cannot make exactly: refused, file kept",
                r.returncode == 1 and "left as it was" in r.stderr and
                open(path).read() == "WARDEN_A='open\nWARDEN_KEY=secret\n"
                and sorted(os.listdir(d)) == ["warden.env",
                                              "warden.env.prev"],
                (r.returncode, r.stderr, os.listdir(d)))
        # warden.env swapped for a link to a file of root's: not read,
        # so its bytes are copied nowhere
        secret = os.path.join(d, "secret")
        with open(secret, "w") as f:
            f.write("TOPSECRET=1\n")
        os.chmod(secret, 0o600)
        os.unlink(path)
        os.symlink(secret, path)
        r = subprocess.run([sys.executable, os.path.join(
            REPO, "lighttpd", "env_apply.py"), path, ""], env=dict(
                env, WARDEN_KEY="other"), capture_output=True, text=True)
        copies = [n for n in os.listdir(d) if n != "secret" and
                  not os.path.islink(os.path.join(d, n)) and
                  b"TOPSECRET" in open(os.path.join(d, n), "rb").read()]
        t.check("warden.env a link: refused, the target copied nowhere",
                r.returncode == 1 and copies == [] and
                open(secret).read() == "TOPSECRET=1\n",
                (r.returncode, r.stderr, copies))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# routes (lighttpd/routes, lighttpd/routes.py) ------------------------------
sys.path.insert(0, os.path.join(REPO, "lighttpd"))
import routes  # noqa: E402


def _children_exe(pid):
    """[(pid, executable name)] of the processes whose parent is pid."""
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rpartition(")")[2].split()[1]) != pid:
                    continue
            exe = os.path.basename(os.readlink("/proc/%s/exe" % d))
        except OSError:
            continue
        out.append((int(d), exe.removesuffix(" (deleted)")))
    return out


def _children(pid):
    """{executable name: count} of the processes whose parent is pid."""
    out = {}
    for _, exe in _children_exe(pid):
        out[exe] = out.get(exe, 0) + 1
    return out


def test_routes_one_pool_per_binary(t):
    """All routes of a binary share its pool: lighttpd runs exactly the
    pool sizes of the table, however many routes each binary has."""
    s = t.s
    rows = routes.load()
    want = {p.binary: p.total() for p in routes.pools(rows).values()}
    pid = int(open(os.path.join(s.run, "lighttpd.pid")).read().strip())
    have = _children(pid)
    t.check("lighttpd runs one pool per binary (%d processes for %d "
            "routes)" % (sum(want.values()), len(rows)), have == want,
            (have, want))
    for r in rows:
        if r.authorizer:
            continue
        st, h, b = s.request("GET", r.route, [])
        t.check("GET %s reaches %s" % (r.route, r.binary),
                # lighttpd's own error (stack.sh install_errors), not
                # an answer of the binary
                st not in (500, 502, 503, 504) and b"(web server)" not in b,
                (st, b[:200]))


def _listening(pid):
    """The path of the unix socket a FastCGI process listens on (its
    stdin, FCGI_LISTENSOCK_FILENO), or None."""
    try:
        ino = re.fullmatch(r"socket:\[([0-9]+)\]",
                           os.readlink("/proc/%d/fd/0" % pid)).group(1)
        with open("/proc/net/unix") as f:
            for line in f:
                c = line.split()
                if len(c) >= 8 and c[6] == ino:
                    return c[7]
    except (OSError, AttributeError):
        pass
    return None


def test_routes_read_pool(t):
    """storage's route says reads=2: GET, HEAD and OPTIONS (a browser's
    preflight) reach a pool of their own, so downloads answer while every
    process of the other pool is stopped (as if held by long uploads),
    and uploads while the read pool is."""
    import signal
    import test_storage as ts
    s = t.s
    pool = routes.pools(routes.load())["storage"]
    pid = int(open(os.path.join(s.run, "lighttpd.pid")).read().strip())
    kids = [k for k, exe in _children_exe(pid) if exe == "storage"]
    by = {}
    for k in kids:
        by.setdefault(os.path.basename(_listening(k) or "?")
                      .rsplit("-", 1)[0], []).append(k)
    t.check("%d storage processes on storage.sock, %d on "
            "storage.reads.sock" % (pool.procs, pool.reads.reads),
            sorted(by) == ["storage.reads.sock", "storage.sock"] and
            len(by["storage.sock"]) == pool.procs and
            len(by["storage.reads.sock"]) == pool.reads.reads, by)
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/pools.bin" % uid

    def stopped(pids, fn):
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        try:
            return fn()
        except OSError as e:        # a timeout: the stopped pool took it
            return (None, {}, repr(e).encode())
        finally:
            for p in pids:
                os.kill(p, signal.SIGCONT)

    st, _, b = ts.upload(s, key, b"one", tok, raw=True)
    t.check("upload", st == 200, (st, b))
    for m in ("GET", "HEAD"):
        st, _, b = stopped(by.get("storage.sock", []), lambda: s.request(
            m, "/storage/o/" + key, ts.auth(tok)))
        t.check("%s answers with the other pool stopped" % m,
                st == 200 and b == (b"one" if m == "GET" else b""),
                (st, b[:200]))
    st, h, b = stopped(by.get("storage.sock", []), lambda: s.request(
        "OPTIONS", "/storage/o/" + key, [
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization")]))
    t.check("a CORS preflight answers with the other pool stopped",
            st == 204 and "access-control-allow-origin" in h, (st, h))
    st, _, b = stopped(by.get("storage.reads.sock", []), lambda: ts.upload(
        s, key, b"two", tok, raw=True))
    t.check("an upload answers with the read pool stopped", st == 200,
            (st, b[:200]))
    st, _, b = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("the read pool serves what the other pool stored",
            st == 200 and b == b"two", (st, b[:200]))


def _parse(conf):
    """The generated section as lighttpd reads it: [(test, [(route,
    binary)])], the global fastcgi.server first; test(url) tells whether
    a block's condition holds (=^ prefix, or =~ "^(a|b)")."""
    out = []
    meth = None         # inside $HTTP["request-method"] =~ "^(A|B)$"
    for line in conf.split("\n"):
        m = re.match(r'^\$HTTP\["request-method"\] =~ "\^\((.*)\)\$" \{$',
                     line)
        if m:
            meth = m.group(1).split("|")
            continue
        if line == "}":
            meth = None
        ms = meth or [None]
        m = re.match(r'^\t?\$HTTP\["url"\] (=\^|=~) "(.*)" \{$', line)
        if m and m.group(1) == "=^":
            out.append((lambda u, v, p=m.group(2), ms=ms: u.startswith(p)
                        and (v in ms or ms == [None]), []))
        elif m:
            alt = re.fullmatch(r"\^\((.*)\)", m.group(2)).group(1)
            alts = [a.replace("[.]", ".") for a in alt.split("|")]
            out.append((lambda u, v, a=alts: any(u.startswith(x)
                                                 for x in a), []))
        elif line == "fastcgi.server = (":
            out.append((lambda u, v: True, []))
        m = re.match(r'^\t+"(/[^"]*)" => \(\($', line)
        if m:
            out[-1][1].append([m.group(1), None])
        m = re.match(r'^\t+"socket" => "@RUN@/sock/([^"]+)\.sock",$', line)
        if m:
            out[-1][1][-1][1] = m.group(1)
    return out


def _route(blocks, url, method="GET"):
    """What lighttpd does: the last block whose condition holds, then
    that block's first entry whose route is a prefix of the URL."""
    hit = []
    for test, entries in blocks:
        if test(url, method):
            hit = entries
    for route, binary in hit:
        if url.startswith(route):
            return binary
    return None


def test_routes_generator(t):
    tmp = tempfile.mkdtemp(prefix="warden-routes-")
    try:
        def table(text):
            path = os.path.join(tmp, "routes")
            with open(path, "w") as f:
                f.write(text)
            return path

        bad = {
            "3 columns": "/a a 1\n",
            "duplicate route": "/a a 1 -\n/a b 1 -\n",
            "first row without procs": "/a a - -\n",
            "other procs on a later row": "/a a 1 -\n/b a 2 -\n",
            "procs 0": "/a a 0 -\n",
            "unknown flag": "/a a 1 gzip\n",
            "route without /": "a a 1 -\n",
            "route with a quote": '/a" a 1 -\n',
            "binary with a slash": "/a ../a 1 -\n",
            "authorizer overlapping a route": "/p/ a 1 authorizer\n"
                                              "/p/x b 1 -\n",
            "authorizer not a directory": "/p a 1 authorizer\n",
            "authorizer on the database": "/pg/ a 1 authorizer\n",
            "authorizer on the sockets": "/sock/x/ a 1 authorizer\n",
            "authorizer on the whole run directory": "/ a 1 authorizer\n",
            "procs not a number": "/a a 1x -\n",
            "route with a .. segment": "/a/../b a 1 -\n",
            "reads=0": "/a a 1 reads=0\n",
            "reads=x": "/a a 1 reads=x\n",
            "reads twice": "/a a 1 reads=1,reads=2\n",
            "reads on an authorizer": "/p/ a 1 authorizer,reads=1\n",
            "reads on a route another extends": "/a a 1 reads=1\n"
                                                "/a/b b 1 -\n",
            "two read pools of one binary": "/a a 1 reads=1\n"
                                            "/b a - reads=1\n",
        }
        for what, text in bad.items():
            try:
                routes.load(table(text))
                t.check("table refused: " + what, False, text)
            except routes.TableError as e:
                t.check("table refused: " + what, "routes:" in str(e), e)

        # overlapping prefixes and binaries with several routes: every
        # URL must reach the longest matching route's binary, as nginx's
        # ^~ locations do, and no block may hold a binary twice (else
        # lighttpd spawns a second pool)
        rows = routes.load(table(
            "/a    one   1 -\n"
            "/a/b  two   1 -\n"
            "/c    two   - -\n"
            "/a/b/c one  - -\n"
            "/d    one   - -\n"
            "/a/x  one   - -\n"
            "/e/   three 2 sendfile\n"
            "/e/f  three - reads=3\n"
            "/x/p  one   - -\n"
            "/x/q  two   - -\n"
            "/y.z  four  1 -\n"
            "/y.z/w one  - -\n"))
        bl = routes.blocks(rows)
        t.check("no block holds a binary twice",
                all(len({r.binary for r in b}) == len(b) for b in bl),
                [[r.route for r in b] for b in bl])
        conf = routes.lighttpd(rows)
        parsed = _parse(conf)
        t.check("the section has the blocks, the read pool's last",
                len(parsed) == len(bl) + 1,
                conf)
        for url in ("/a", "/a/", "/a/b", "/a/bz", "/a/b/c", "/a/b/c/d",
                    "/c", "/d/x", "/a/x", "/a/xy", "/e/", "/e/f", "/e/g",
                    "/x/p", "/x/q", "/x/r", "/x", "/y.z", "/yaz",
                    "/y.z/w", "/yaz/w", "/z"):
            cand = [r for r in rows if url.startswith(r.route)]
            want = max(cand, key=lambda r: len(r.route)).binary \
                if cand else None
            if url.startswith("/e/f"):
                want = "three.reads"      # reads=3: GET, HEAD, OPTIONS
            for m in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"):
                got = _route(parsed, url, m)
                w = "three" if want == "three.reads" and m in (
                    "POST", "PUT", "DELETE") else want
                t.check("the generated section routes %s %s to %s"
                        % (m, url, w), got == w, got)
        t.check("one x-sendfile pool and its read pool, on every route "
                "of them",
                conf.count('"x-sendfile" => "enable"') == 3, conf)
        t.check("the read pool has its size",
                re.search(r'three\.reads\.sock",\n(\t+"[^\n]*\n){3}'
                          r'\t+"max-procs" => 3,', conf) is not None, conf)
        path = os.path.join(tmp, "t.conf")
        with open(path, "w") as f:
            f.write('server.modules = ( "mod_fastcgi" )\n'
                    'server.document-root = "/tmp"\nserver.port = 1\n' +
                    conf.replace("@RUN@", tmp).replace("@BIN@", "/bin")
                    .replace("@STORAGE_DIR@", tmp))
        r = subprocess.run(["lighttpd", "-tt", "-f", path],
                           capture_output=True, text=True)
        t.check("lighttpd -tt accepts the generated section",
                r.returncode == 0, r.stdout + r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
