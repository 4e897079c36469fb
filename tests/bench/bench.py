#!/usr/bin/env python3
"""Benchmark of GET /hook against a ceiling, and of POST /auth/login
against the bare password hash, on the same stack.

    bench.py <bindir> <null_responder> <crypt_loop>

Starts the real stack (tests/e2e/stack.py, as `make start` does), then
restarts its lighttpd with one more fastcgi.server entry, /null, served by
tests/bench/null_responder (a FastCGI responder that does nothing) with
the same max-procs as /hook.

  * throughput: wrk -t2 -c32 --latency against /hook and /null in turn,
    2 s warm-up, then 10 s measured. A closed loop: its latencies are
    queueing (mean = 32 / req/s), printed for information only.
  * latency: wrk -t1 -c1 --latency, 5 s, against /hook (the p99 target
    is judged here) and /null (for information).
  * memory: Pss, RssAnon and VmRSS of every process running the hook
    binary. The 4 MiB target is judged on Pss; VmRSS counts every shared
    library page in full.
  * login (issue #5): as many accounts, wrk threads and connections as
    there are /auth/login processes, each connection POSTing its own
    account's correct password for 10 s, against tests/bench/crypt_loop
    (crypt_rn at Warden's setting) run as many times in parallel as there
    are login processes, just before and just after (the ceiling is the
    mean). overhead = 1 - login req/s / ceiling calls/s. Then 5 s with
    every connection on one account, for information: login takes no row
    lock during the hash, so this should match the per-account run.
  * refresh: REFRESH_THREADS Python threads (http.client, keep-alive),
    each logs in once, then chains GET /auth/token/refresh for 10 s,
    always with the newest token (each is single-use).

Prints tables with each number next to its target. A benchmark, not a
test: exit status is 0 whether targets are met or not, non-zero only if
the benchmark could not run."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True    # no __pycache__ left in the checkout
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from stack import Stack  # noqa: E402
from test_hook import UA, payload  # noqa: E402

THREADS = 2             # 2 cores: wrk shares them with lighttpd and hook
CONNS = 32
WARMUP = 2              # seconds, per endpoint, not measured
DURATION = 10           # seconds, per endpoint, measured
LAT_DURATION = 5        # seconds, the 1-connection latency runs
MAX_PROCS = 2           # must equal "max-procs" of /hook in warden.conf.in
TOKEN_LIFE = 600        # seconds: far beyond warm-up + all runs

LOGIN_WARMUP = 1        # seconds, not measured
LOGIN_DURATION = 10     # seconds, measured, one account per connection
LOGIN1_DURATION = 5     # seconds, measured, all connections on one account
CRYPT_CALLS = 40        # crypt_rn calls per crypt_loop process
PASSWORD = "correct horse"  # crypt_loop.c hashes the same one
REFRESH_THREADS = 2     # chains of refresh tokens, one per thread
REFRESH_DURATION = 10   # seconds, measured

TARGET_RATIO = 0.90     # hook req/s >= 90% of the ceiling
TARGET_P99_MS = 1.0     # hook p99 <= 1 ms, judged with 1 connection
TARGET_PSS_KIB = 4096   # Pss per hook process <= 4 MiB
TARGET_LOGIN_OVERHEAD = 0.05    # login req/s >= 95% of hash-only calls/s

NULL_CONF = """
# added by tests/bench/bench.py: the ceiling, a responder doing no work
fastcgi.server += (
	"/null" => ((
		"socket" => "{run}/sock/null.sock",
		"bin-path" => "{bin}",
		"max-procs" => {procs},
		"check-local" => "disable",
	)),
)
"""


def die(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def note(msg):
    print("bench: " + msg, flush=True)


# lighttpd ----------------------------------------------------------------
def lighttpd_pid(s):
    with open(os.path.join(s.run, "lighttpd.pid")) as f:
        return int(f.read().strip())


def children(parent):
    out = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and ppid_of(int(d)) == parent:
                out.append(int(d))
        except OSError:
            continue
    return out


def alive(pid):
    """True while pid runs (a zombie, exited but not reaped, is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, secs):
    """The pids still alive after up to secs seconds."""
    end = time.time() + secs
    left = [p for p in pids if alive(p)]
    while left and time.time() < end:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def lighttpd_stop(s):
    """Stops lighttpd and the backends it spawned: a backend left behind
    would keep its socket, and the new lighttpd would use it unspawned."""
    pid = lighttpd_pid(s)
    kids = children(pid)
    os.kill(pid, signal.SIGTERM)
    if wait_gone([pid], 10):
        die("lighttpd (pid %d) did not stop" % pid)
    for k in wait_gone(kids, 5):
        os.kill(k, signal.SIGTERM)
    if wait_gone(kids, 5):
        die("backends of lighttpd (pid %d) did not stop" % pid)
    try:
        os.unlink(os.path.join(s.run, "lighttpd.pid"))
    except FileNotFoundError:
        pass


def add_ceiling(s, null_src):
    """Copies the null responder into the run directory (readable by the
    service user lighttpd drops to), appends its fastcgi.server entry to
    the generated lighttpd.conf and restarts lighttpd on that file."""
    nbin = os.path.join(s.run, "null_responder")
    shutil.copyfile(null_src, nbin)
    os.chmod(nbin, 0o755)
    if os.getuid() == 0:
        shutil.chown(nbin, "warden", "warden")
    conf = os.path.join(s.run, "lighttpd.conf")
    lighttpd_stop(s)
    with open(conf, "a") as f:
        f.write(NULL_CONF.format(run=s.run, bin=nbin, procs=MAX_PROCS))
    r = subprocess.run(["lighttpd", "-tt", "-f", conf],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("bad lighttpd config with /null: " + r.stdout + r.stderr)
    r = subprocess.run(["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                        "lighttpd", "-f", conf],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("lighttpd did not restart: " + r.stdout + r.stderr)
    if not s.wait_healthy():
        die("/healthz did not answer after restart; see %s/log/" % s.run)


# wrk ---------------------------------------------------------------------
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def wrk(url, headers, secs, threads=THREADS, conns=CONNS, script=None):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % secs,
           "--latency"]
    if script:
        cmd += ["-s", script]
    for k, v in headers:
        cmd += ["-H", "%s: %s" % (k, v)]
    r = subprocess.run(cmd + [url], capture_output=True, text=True)
    if r.returncode != 0:
        die("wrk failed: " + r.stdout + r.stderr)
    out = r.stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    if not (rps and p99 and total):
        die("cannot parse wrk output:\n" + out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), "
                     r"write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)],
        "requests": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(int(x) for x in sock.groups()) if sock else 0,
    }


# processes ---------------------------------------------------------------
def unix_sockets():
    """inode -> path of listening unix sockets, to tell the hook
    processes apart (/hook, or the /private/ authorizer)."""
    out = {}
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            parts = line.split()
            if len(parts) >= 8:
                out[parts[6]] = parts[7]
    return out


def status_kib(pid, keys=("VmRSS", "RssAnon", "RssFile")):
    """The keys of /proc/<pid>/status, plus Pss (shared pages divided
    among the processes mapping them) from smaps_rollup, in KiB."""
    vals = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in keys:
                vals[k] = int(v.split()[0])
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    vals["Pss"] = int(line.split()[1])
    except OSError:
        pass
    return vals


def ppid_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        # the command name, in parentheses, may hold spaces: split after it
        return int(f.read().rpartition(")")[2].split()[1])


def procs_of(name, parent):
    """[(pid, socket name, {VmRSS, RssAnon, RssFile, Pss} in KiB)] of the
    processes spawned by parent (our lighttpd: other stacks on the host
    run the same binaries) whose executable is called name (stack.sh runs
    copies of the binaries, from <run>/bin)."""
    socks = unix_sockets()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            if ppid_of(pid) != parent:
                continue
            exe = os.readlink("/proc/%d/exe" % pid)
            # a binary replaced meanwhile reads "<path> (deleted)"
            if os.path.basename(exe.removesuffix(" (deleted)")) != name:
                continue
            fd0 = os.readlink("/proc/%d/fd/0" % pid)
            m = re.match(r"socket:\[(\d+)\]", fd0)
            sock = os.path.basename(socks.get(m.group(1), "?")) if m \
                else "?"
            found.append((pid, sock, status_kib(pid)))
        except OSError:
            continue        # exited, or not ours to read
    return sorted(found)


# login and refresh -------------------------------------------------------
# each wrk thread (one connection) logs in to its own account; the
# one-account run below checks that logins to one account do not queue
# (the password is verified without a row lock)
LOGIN_LUA = """-- written by tests/bench/bench.py: POST /auth/login, correct
-- password; wrk thread i logs in to account i (modulo their number)
local bodies = { %s }
local n = 0
function setup(thread)
  n = n + 1
  thread:set("body", bodies[(n - 1) %% #bodies + 1])
end
function init(args)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
"""


def login_lua(path, addrs):
    with open(path, "w") as f:
        f.write(LOGIN_LUA % ", ".join("[==[%s]==]" % login_body(a)
                                      for a in addrs))
    return path


def login_body(addr):
    return json.dumps({"email": addr, "password": PASSWORD,
                       "cookie": False})


def crypt_loop(binary, procs):
    """calls/s of each of procs crypt_loop processes run in parallel."""
    ps = [subprocess.Popen([binary, str(CRYPT_CALLS)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
          for _ in range(procs)]
    rates = []
    for p in ps:
        out, err = p.communicate()
        m = re.search(r"([\d.]+) calls/s", out)
        if p.returncode != 0 or not m:
            die("crypt_loop failed: " + out + err)
        rates.append(float(m.group(1)))
    return rates


class Chain(threading.Thread):
    """One refresh chain: logs in once, then refreshes with the newest
    token until the end of the measured window, on one keep-alive
    connection. An error breaks the chain (the token may be spent, or its
    family revoked): it is counted and the thread logs in again."""

    def __init__(self, port, addr, barrier, window):
        super().__init__(daemon=True)
        self.port, self.addr = port, addr
        self.barrier, self.window = barrier, window
        self.ok = 0
        self.errors = 0
        self.samples = []
        self.conn = None

    def call(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=10)
        hdrs = {"Content-Type": "application/json"} if body else {}
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            return None, repr(e)
        try:
            tok = json.loads(data).get("refresh_token")
        except (ValueError, AttributeError):
            tok = None
        return (tok if r.status == 200 else None), \
            "%d %r" % (r.status, data[:120])

    def error(self, what):
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what)

    def run(self):
        tok, what = self.call("POST", "/auth/login", login_body(self.addr))
        if tok is None:
            self.error("login: " + what)
        self.barrier.wait()
        end = self.window[1]
        while time.monotonic() < end:
            if tok is None:
                tok, what = self.call("POST", "/auth/login",
                                      login_body(self.addr))
                if tok is None:
                    self.error("login: " + what)
                    time.sleep(0.05)
                continue
            new, what = self.call("GET", "/auth/token/refresh?"
                                  "refresh_token=" + tok)
            if new is None or new == tok:
                self.error("refresh: " + what)
                tok = None
            else:
                self.ok += 1
                tok = new
        if self.conn is not None:
            self.conn.close()


def refresh_chains(s, addrs):
    window = [0.0, 0.0]

    def go():
        window[0] = time.monotonic()
        window[1] = window[0] + REFRESH_DURATION

    barrier = threading.Barrier(REFRESH_THREADS, action=go)
    ts = [Chain(s.port, addrs[i % len(addrs)], barrier, window)
          for i in range(REFRESH_THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(REFRESH_DURATION + 60)
        if t.is_alive():
            die("a refresh thread hangs")
    secs = time.monotonic() - window[0]
    ok = sum(t.ok for t in ts)
    return {"rps": ok / secs, "requests": ok, "secs": secs,
            "errors": sum(t.errors for t in ts),
            "samples": [x for t in ts for x in t.samples]}


# report ------------------------------------------------------------------
def verdict(ok):
    return "target met" if ok else "target missed"


def mib(kib):
    return "%.2f MiB" % (kib / 1024.0)


def main():
    if len(sys.argv) != 4:
        die("usage: bench.py <bindir> <null_responder> <crypt_loop>")
    bindir, null_src, crypt_bin = sys.argv[1:4]
    crypt_bin = os.path.abspath(crypt_bin)

    t0 = time.time()
    load = os.getloadavg()[0]
    s = Stack(bindir)
    try:
        s.start()
        add_ceiling(s, null_src)
        token = s.mint(payload(life=TOKEN_LIFE))
        # what Hasura sends in GET mode (tests/e2e/test_hook.py get_hook)
        headers = [("Content-Type", "application/json"), ("User-Agent", UA),
                   ("x-request-id", "00000000-0000-4000-8000-000000000000"),
                   ("Authorization", "Bearer " + token)]
        for path in ("/hook", "/null"):
            st, _, body = s.request("GET", path, headers)
            if st != 200:
                die("%s answered %d to the bench request, numbers would "
                    "be meaningless: %r" % (path, st, body[:200]))

        # webhook: throughput (closed loop, 32 connections), then latency
        res = {}
        for name, path in (("hook", "/hook"), ("ceiling", "/null")):
            note("%s: %d s warm-up, %d s measured (wrk -t%d -c%d)" %
                 (path, WARMUP, DURATION, THREADS, CONNS))
            wrk(s.url + path, headers, WARMUP)
            res[name] = wrk(s.url + path, headers, DURATION)
        for name, path in (("hook", "/hook"), ("ceiling", "/null")):
            note("%s: %d s measured (wrk -t1 -c1)" % (path, LAT_DURATION))
            res[name + "1"] = wrk(s.url + path, headers, LAT_DURATION,
                                  threads=1, conns=1)
        web = lighttpd_pid(s)
        hook_procs = procs_of("hook", web)
        null_procs = procs_of("null_responder", web)

        # login against the bare hash, both on every login process
        login_procs = [p for p in procs_of("login", web)
                       if p[1].startswith("auth-login.sock")]
        nlogin = len(login_procs)
        if nlogin == 0:
            die("no process serves /auth/login")
        addrs = ["bench-%s@example.com" % uuid.uuid4().hex[:12]
                 for _ in range(nlogin)]
        jh = [("Content-Type", "application/json")]
        for a in addrs:
            st, _, b = s.request("POST", "/auth/register", jh, login_body(a))
            if st != 200:
                die("register answered %d: %r" % (st, b[:200]))
            st, _, b = s.request("POST", "/auth/login", jh, login_body(a))
            if st != 200 or b"refresh_token" not in b:
                die("login answered %d: %r" % (st, b[:200]))
        each = login_lua(os.path.join(s.run, "bench-login.lua"), addrs)
        one = login_lua(os.path.join(s.run, "bench-login1.lua"), addrs[:1])
        note("crypt_loop: 1 process, then %d in parallel (%d calls each)" %
             (nlogin, CRYPT_CALLS))
        crypt1 = crypt_loop(crypt_bin, 1)[0]
        crypt_before = sum(crypt_loop(crypt_bin, nlogin))
        note("/auth/login: %d s warm-up, %d s measured (wrk -t%d -c%d, "
             "one account per connection)" %
             (LOGIN_WARMUP, LOGIN_DURATION, nlogin, nlogin))
        wrk(s.url + "/auth/login", [], LOGIN_WARMUP, threads=nlogin,
            conns=nlogin, script=each)
        lg = wrk(s.url + "/auth/login", [], LOGIN_DURATION, threads=nlogin,
                 conns=nlogin, script=each)
        note("crypt_loop: %d in parallel again" % nlogin)
        crypt_after = sum(crypt_loop(crypt_bin, nlogin))
        note("/auth/login: %d s measured (wrk -t%d -c%d, all on one "
             "account)" % (LOGIN1_DURATION, nlogin, nlogin))
        lg1 = wrk(s.url + "/auth/login", [], LOGIN1_DURATION,
                  threads=nlogin, conns=nlogin, script=one)

        note("/auth/token/refresh: %d chains, %d s measured" %
             (REFRESH_THREADS, REFRESH_DURATION))
        rf = refresh_chains(s, addrs)
    finally:
        s.destroy()

    h, c = res["hook"], res["ceiling"]
    h1, c1 = res["hook1"], res["ceiling1"]
    ratio = h["rps"] / c["rps"] if c["rps"] > 0 else 0.0
    pss_max = max((p[2].get("Pss", 0) for p in hook_procs), default=0)
    rss_max = max((p[2].get("VmRSS", 0) for p in hook_procs), default=0)
    crypt_ceiling = (crypt_before + crypt_after) / 2
    overhead = 1 - lg["rps"] / crypt_ceiling if crypt_ceiling else 1.0

    print()
    print("GET /hook vs ceiling (null responder), same lighttpd, "
          "max-procs %d" % MAX_PROCS)
    print("host: %d CPUs, load average %.2f before the run (other work "
          "on the host skews every number)" % (os.cpu_count(), load))
    print()
    print("%-8s %-13s %10s %11s %9s %8s %7s  %s" %
          ("endpoint", "wrk", "req/s", "p99", "requests", "non-2xx",
           "errors", ""))
    rows = (("hook", "-t%d -c%d" % (THREADS, CONNS), h,
             "closed loop: p99 for information"),
            ("ceiling", "-t%d -c%d" % (THREADS, CONNS), c,
             "closed loop: p99 for information"),
            ("hook", "-t1 -c1", h1, "p99 judged here"),
            ("ceiling", "-t1 -c1", c1, "for information"))
    for name, how, r, what in rows:
        print("%-8s %-13s %10.1f %8.3f ms %9d %8d %7d  %s" %
              (name, how, r["rps"], r["p99_ms"], r["requests"], r["non2xx"],
               r["errors"], what))
    # closed loop: every connection waits for its answer, so the mean
    # latency is CONNS / req/s (Little's law) whatever the backend does
    print("closed loop with %d connections: mean latency = %d / req/s = "
          "%.2f ms hook, %.2f ms ceiling (%d s each after %d s warm-up; "
          "-c1 runs %d s)" %
          (CONNS, CONNS, 1000.0 * CONNS / h["rps"] if h["rps"] else 0,
           1000.0 * CONNS / c["rps"] if c["rps"] else 0, DURATION, WARMUP,
           LAT_DURATION))
    print()
    cols = ("Pss", "RssAnon", "VmRSS", "RssFile")
    print(("%-8s %-13s" + " %9s" * len(cols)) % (("pid", "process") + cols))
    prow = [(pid, "hook " + sock.replace(".sock", ""), kib)
            for pid, sock, kib in hook_procs]
    prow += [(pid, "ceiling", kib) for pid, _, kib in null_procs]
    for pid, label, kib in prow:
        print(("%-8d %-13s" + " %9s" * len(cols)) %
              ((pid, label) + tuple(mib(kib[k]) if k in kib else "-"
                                    for k in cols)))
    print("the 4 MiB target is judged on Pss (shared pages divided among "
          "the processes\nmapping them); RssAnon is private memory. VmRSS, "
          "for information, counts\nevery shared library page in full: "
          "libcrypto and libpq's dependency chain\n(libssl, libgssapi, "
          "libldap, ...) dominate it.")
    print()
    spread = abs(crypt_before - crypt_after) / max(crypt_before,
                                                   crypt_after, 1e-9)
    print("POST /auth/login (correct password) vs the bare hash: crypt_rn, "
          "$y$ cost 5\n(src/wd_pw.c), %d calls per crypt_loop process, in "
          "the same run; %d login\nprocesses under lighttpd" %
          (CRYPT_CALLS, nlogin))
    print("  crypt_loop, 1 process          %8.1f calls/s  (x %d = %.1f/s, "
          "for information)" % (crypt1, nlogin, crypt1 * nlogin))
    print("  crypt_loop, %d in parallel      %8.1f calls/s  before login, "
          "%.1f after: ceiling = mean %.1f/s" %
          (nlogin, crypt_before, crypt_after, crypt_ceiling))
    print("  login, wrk -t%d -c%d, %2d s      %8.1f req/s    one account "
          "per connection: p99 %.1f ms,\n%43s%d requests, %d non-2xx, "
          "%d errors" %
          (nlogin, nlogin, LOGIN_DURATION, lg["rps"], lg["p99_ms"], "",
           lg["requests"], lg["non2xx"], lg["errors"]))
    print("  login, wrk -t%d -c%d, %2d s      %8.1f req/s    all on ONE "
          "account, for information:\n%43sno row lock is held during "
          "the hash,\n%43sso this should match the run above; "
          "%d non-2xx, %d errors" %
          (nlogin, nlogin, LOGIN1_DURATION, lg1["rps"], "", "",
           lg1["non2xx"], lg1["errors"]))
    print("  refresh, %d chains, %2d s       %8.1f req/s    %d refreshes, "
          "%d errors" % (REFRESH_THREADS, REFRESH_DURATION, rf["rps"],
                         rf["requests"], rf["errors"]))
    print("  (refresh: %d Python threads, http.client keep-alive, each "
          "logs in once then\n  always refreshes with the newest token; "
          "1 refresh process under lighttpd)" % REFRESH_THREADS)
    for x in rf["samples"]:
        print("  refresh error: " + x)
    print()
    print("%-26s %10s   %-9s %s" % ("metric", "value", "target", ""))
    print("%-26s %9.1f%%   %-9s %s" %
          ("hook/ceiling req/s, -c%d" % CONNS, ratio * 100, ">= %d%%" %
           round(TARGET_RATIO * 100), verdict(ratio >= TARGET_RATIO)))
    print("%-26s %7.3f ms   %-9s %s" %
          ("hook p99 latency, -c1", h1["p99_ms"], "<= %g ms" % TARGET_P99_MS,
           verdict(h1["p99_ms"] <= TARGET_P99_MS)))
    print("%-26s %10s   %-9s %s" %
          ("hook Pss (max/process)", mib(pss_max),
           "<= %g MiB" % (TARGET_PSS_KIB / 1024),
           verdict(0 < pss_max <= TARGET_PSS_KIB)))
    print("%-26s %10s   %-9s %s" %
          ("hook VmRSS (max/process)", mib(rss_max), "-",
           "information only (shared library pages)"))
    print("%-26s %9.1f%%   %-9s %s" %
          ("login overhead vs hash", overhead * 100, "<= %d%%" %
           round(TARGET_LOGIN_OVERHEAD * 100),
           verdict(overhead <= TARGET_LOGIN_OVERHEAD)))
    print("%-26s %10.1f   %-9s %s" %
          ("refresh req/s", rf["rps"], "-", "no target"))
    print("%-26s %10d   %-9s %s" %
          ("refresh errors", rf["errors"], "0",
           "ok" if rf["errors"] == 0 else "NOT 0: the refresh number is "
           "suspect"))
    if spread > 0.15:
        print("note: crypt_loop changed by %.0f%% between before and after "
              "the login run: the\nhost was busy, the login overhead is "
              "unreliable" % (spread * 100))
    if any(r["non2xx"] or r["errors"] for r in (h, c, h1, c1, lg, lg1)):
        print("note: non-2xx responses or socket errors above; the req/s "
              "include them")
    print("(benchmark, not a test: %.0f s in all)" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
