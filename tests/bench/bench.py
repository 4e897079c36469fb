#!/usr/bin/env python3
"""Benchmark of GET /hook against a ceiling, under the same lighttpd.

    bench.py <bindir> <null_responder>

Starts the real stack (tests/e2e/stack.py, as `make start` does), then
restarts its lighttpd with one more fastcgi.server entry, /null, served by
tests/bench/null_responder (a FastCGI responder that does nothing) with
the same max-procs as /hook. wrk (-t2 -c32, --latency) runs against each
in turn: 2 s warm-up, then 10 s measured. Afterwards it reads VmRSS of
every process running the hook binary.

Prints a table with req/s, the ratio hook/ceiling, p99 latency and RSS,
each next to its target. A benchmark, not a test: exit status is 0 whether
targets are met or not, non-zero only if the benchmark could not run."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True    # no __pycache__ left in the checkout
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from stack import Stack  # noqa: E402
from test_hook import UA, payload  # noqa: E402

THREADS = 2             # 2 cores: wrk shares them with lighttpd and hook
CONNS = 32
WARMUP = 2              # seconds, per endpoint, not measured
DURATION = 10           # seconds, per endpoint, measured
MAX_PROCS = 2           # must equal "max-procs" of /hook in warden.conf.in
TOKEN_LIFE = 600        # seconds: far beyond warm-up + both runs

TARGET_RATIO = 0.90     # hook req/s >= 90% of the ceiling
TARGET_P99_MS = 1.0     # hook p99 <= 1 ms
TARGET_RSS_KIB = 4096   # RSS per hook process <= 4 MiB

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


def wrk(url, headers, secs):
    cmd = ["wrk", "-t%d" % THREADS, "-c%d" % CONNS, "-d%ds" % secs,
           "--latency"]
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
    """[(pid, socket name, {VmRSS, RssAnon, RssFile} in KiB)] of the
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


# report ------------------------------------------------------------------
def verdict(ok):
    return "target met" if ok else "target missed"


def mib(kib):
    return "%.2f MiB" % (kib / 1024.0)


def main():
    if len(sys.argv) != 3:
        die("usage: bench.py <bindir> <null_responder>")
    bindir, null_src = sys.argv[1], sys.argv[2]

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

        res = {}
        for name, path in (("hook", "/hook"), ("ceiling", "/null")):
            note("%s: %d s warm-up, %d s measured (wrk -t%d -c%d)" %
                 (path, WARMUP, DURATION, THREADS, CONNS))
            wrk(s.url + path, headers, WARMUP)
            res[name] = wrk(s.url + path, headers, DURATION)
        web = lighttpd_pid(s)
        hook_procs = procs_of("hook", web)
        null_procs = procs_of("null_responder", web)
    finally:
        s.destroy()

    h, c = res["hook"], res["ceiling"]
    ratio = h["rps"] / c["rps"] if c["rps"] > 0 else 0.0
    rss_max = max((p[2].get("VmRSS", 0) for p in hook_procs), default=0)

    print()
    print("GET /hook vs ceiling (null responder), same lighttpd, "
          "max-procs %d, wrk -t%d -c%d, %d s each after %d s warm-up" %
          (MAX_PROCS, THREADS, CONNS, DURATION, WARMUP))
    print("host: %d CPUs, load average %.2f before the run (other work "
          "on the host skews every number)" % (os.cpu_count(), load))
    print()
    print("%-10s %12s %10s %10s %8s %8s" %
          ("endpoint", "req/s", "p99", "requests", "non-2xx", "errors"))
    for name in ("hook", "ceiling"):
        r = res[name]
        print("%-10s %12.1f %7.3f ms %10d %8d %8d" %
              (name, r["rps"], r["p99_ms"], r["requests"], r["non2xx"],
               r["errors"]))
    print()
    cols = ("VmRSS", "RssAnon", "RssFile", "Pss")
    print(("%-8s %-13s" + " %9s" * len(cols)) % (("pid", "process") + cols))
    rows = [(pid, "hook " + sock.replace(".sock", ""), kib)
            for pid, sock, kib in hook_procs]
    rows += [(pid, "ceiling", kib) for pid, _, kib in null_procs]
    for pid, label, kib in rows:
        print(("%-8d %-13s" + " %9s" * len(cols)) %
              ((pid, label) + tuple(mib(kib[c]) if c in kib else "-"
                                    for c in cols)))
    print()
    print("%-22s %10s   %-9s %s" % ("metric", "value", "target", ""))
    print("%-22s %9.1f%%   %-9s %s" %
          ("hook/ceiling req/s", ratio * 100, ">= %d%%" %
           round(TARGET_RATIO * 100), verdict(ratio >= TARGET_RATIO)))
    print("%-22s %7.3f ms   %-9s %s" %
          ("hook p99 latency", h["p99_ms"], "<= %g ms" % TARGET_P99_MS,
           verdict(h["p99_ms"] <= TARGET_P99_MS)))
    print("%-22s %10s   %-9s %s" %
          ("hook RSS (max/process)", mib(rss_max),
           "<= %g MiB" % (TARGET_RSS_KIB / 1024),
           verdict(0 < rss_max <= TARGET_RSS_KIB)))
    # closed loop: every connection waits for its answer, so the mean
    # latency is CONNS / req/s (Little's law) whatever the backend does
    print("note: closed loop with %d connections, so mean latency = %d / "
          "req/s: %.2f ms hook, %.2f ms ceiling" %
          (CONNS, CONNS, 1000.0 * CONNS / h["rps"] if h["rps"] else 0,
           1000.0 * CONNS / c["rps"] if c["rps"] else 0))
    if h["non2xx"] or h["errors"] or c["non2xx"] or c["errors"]:
        print("note: non-2xx responses or socket errors above; the req/s "
              "include them")
    print("(benchmark, not a test: %.0f s in all)" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
