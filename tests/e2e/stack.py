"""The real stack for end-to-end tests: PostgreSQL in a temporary
directory (as the unprivileged user), lighttpd spawning the built binaries,
started through lighttpd/stack.sh exactly as `make start` does."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def early_in(period, need):
    """Waits, if need be, for the next multiple of period seconds (Unix
    time), so that at least need seconds of the current one are left.
    Checks of counters kept per fixed window (throttles: 60 s and 900 s)
    or per TOTP step (30 s) count on staying within one: a boundary
    crossed in the middle would reset what they count."""
    left = period - time.time() % period
    if left < need:
        time.sleep(left + 0.05)


def recv_all(c):
    """Everything the peer sends on socket c until it closes."""
    got = b""
    while True:
        d = c.recv(65536)
        if not d:
            return got
        got += d


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Stack:
    def __init__(self, bindir):
        self.bindir = os.path.abspath(bindir)
        self.run = tempfile.mkdtemp(prefix="warden-e2e-")
        os.chmod(self.run, 0o755)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.smtp_port = free_port()    # the stack's mail catcher
        self.env = dict(os.environ, WARDEN_RUN_DIR=self.run,
                        WARDEN_PORT=str(self.port), WARDEN_BIN=self.bindir,
                        WARDEN_SMTP_PORT=str(self.smtp_port))

    def sh(self, *args, check=True, env=None):
        """stack.sh with this stack's environment, or env instead."""
        return subprocess.run(["sh", os.path.join(REPO, "lighttpd",
                                                  "stack.sh")] + list(args),
                              env=self.env if env is None else env,
                              check=check, capture_output=True, text=True)

    def start(self):
        r = self.sh("start", check=False)
        if r.returncode != 0:
            raise RuntimeError("stack start failed: %s %s" %
                               (r.stdout, r.stderr))
        self.base_env = self.read_env()

    def stop(self):
        self.sh("stop", check=False)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.run, ignore_errors=True)

    # configuration -----------------------------------------------------
    def read_env(self):
        out = {}
        r = subprocess.run(["sh", "-c", "set -a; . \"$1\"; env -0",
                            "sh", os.path.join(self.run, "warden.env")],
                           capture_output=True, check=True)
        for item in r.stdout.split(b"\0"):
            if item.startswith(b"WARDEN_"):
                k, _, v = item.decode().partition("=")
                out[k] = v
        return out

    def write_env(self, values):
        lines = []
        for k, v in values.items():
            lines.append("%s='%s'" % (k, v.replace("'", "'\\''")))
        path = os.path.join(self.run, "warden.env")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.getuid() == 0:
            shutil.chown(path, "warden", "warden")

    def reconfigure(self, **changes):
        """Rewrites warden.env from the base with changes (None deletes)
        and restarts lighttpd so the binaries read it again."""
        vals = dict(self.base_env)
        for k, v in changes.items():
            if v is None:
                vals.pop(k, None)
            else:
                vals[k] = v
        self.cur_env = vals
        self.write_env(vals)
        r = self.sh("restart-web", check=False)
        if r.returncode != 0:
            raise RuntimeError("restart failed: %s %s" % (r.stdout, r.stderr))

    def secret(self):
        return json.loads(getattr(self, "cur_env", self.base_env)
                          ["WARDEN_JWT_SECRET"])

    # tokens ------------------------------------------------------------
    def mint(self, payload):
        """A token signed by Warden's own signer with the configured key."""
        env = dict(os.environ,
                   WARDEN_CONFIG=os.path.join(self.run, "warden.env"))
        r = subprocess.run([os.path.join(self.bindir, "wd-mint")],
                           input=json.dumps(payload), env=env,
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()

    @staticmethod
    def hs(payload, key, alg="HS256", header=None):
        """A hand-made HMAC token (for forged and malformed cases)."""
        h = header if header is not None else {"alg": alg, "typ": "JWT"}
        si = b64u(json.dumps(h)) + "." + b64u(json.dumps(payload))
        dig = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
               "HS512": hashlib.sha512}[alg]
        key = key.encode() if isinstance(key, str) else key
        return si + "." + b64u(hmac.new(key, si.encode(), dig).digest())

    # http --------------------------------------------------------------
    def request(self, method, path, headers=None, body=None, source=None):
        """source: the client address to connect from (any 127.0.0.0/8
        address reaches the stack), for per-address behaviour."""
        c = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10,
            source_address=(source, 0) if source else None)
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hdrs = list((headers or {}).items()) if isinstance(
            headers, dict) else list(headers or [])
        if not any(k.lower() == "host" for k, _ in hdrs):
            c.putheader("Host", "127.0.0.1:%d" % self.port)
        for k, v in hdrs:
            c.putheader(k, v)
        if body is not None:
            if isinstance(body, str):
                body = body.encode()
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def wait_healthy(self, want=200, secs=15):
        end = time.time() + secs
        st = None
        while time.time() < end:
            try:
                st, _, _ = self.request("GET", "/healthz")
                if st == want:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def pg_ctl(self, *args):
        pgbin = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
        cmd = ["/usr/lib/postgresql/%s/bin/pg_ctl" % pgbin, "-D",
               os.path.join(self.run, "pg")] + list(args)
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "warden", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True)

    def owner_url(self):
        """The schema owner (migrations, test setup); the binaries use
        WARDEN_DATABASE_URL, a role that can only read and write rows."""
        return "postgresql:///warden?host=%s/sock&user=warden" % self.run

    def psql(self, sql):
        cmd = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1",
               self.owner_url(), "-c", sql]
        return subprocess.run(cmd, capture_output=True, text=True)
