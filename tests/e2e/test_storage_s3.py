"""Storage on the s3 backend (issue #4): s3rver from npm, with its
default S3RVER/S3RVER credentials. s3rver checks the access key id but
not the signature itself; the signing inputs are unit-tested against an
independent SigV4 in tests/unit/test_s3.c. Storage reaches s3rver
through s3proxy.py, which adds the multipart abort and listing s3rver
lacks (so an abort can be checked: the upload's parts are gone). The
whole fs suite of test_storage.py runs again with
WARDEN_STORAGE_BACKEND=s3, then S3 is stopped mid-run (503, nothing
half-written) and restarted (works again without restarting Warden)."""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import fcgi
import test_storage as ts
from fcgi import Solo
import test_storage_slow as slow
from s3proxy import S3Proxy

REPO = ts.REPO
NPM_DIR = os.path.join(REPO, "build", "npm")
S3RVER = os.path.join(NPM_DIR, "node_modules", ".bin", "s3rver")
BUCKET = "warden-e2e"


def ensure_s3rver():
    """node/npm from PATH (Debian nodejs npm if missing), then s3rver
    into build/npm. Returns None or an error string."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        sudo = [] if os.getuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(sudo + ["apt-get", "install", "-y", "-qq",
                                   "--no-install-recommends", "nodejs",
                                   "npm"], env=env, capture_output=True,
                           text=True)
        if r.returncode != 0:
            return "apt-get install nodejs npm failed: " + r.stderr[-200:]
    if not os.path.exists(S3RVER):
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                            "--prefix", NPM_DIR, "s3rver@3"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not os.path.exists(S3RVER):
            return "npm install s3rver failed: " + r.stderr[-200:]
    return None


class S3rver:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="warden-s3-")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = None
        self.log = self.dir + ".log"    # beside its store, not in it

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [S3RVER, "-d", self.dir, "-a", "127.0.0.1", "-p",
                 str(self.port), "--silent", "--configure-bucket", BUCKET],
                stdout=subprocess.DEVNULL, stderr=log)
        end = time.time() + 20
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         timeout=1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def died(self):
        """None while it runs (or was stopped on purpose), else the end
        of what it printed: a test that kills s3rver by accident would
        otherwise show up only as a later 503."""
        if self.proc is None or self.proc.poll() is None:
            return None
        with open(self.log, "rb") as f:
            return f.read()[-600:].decode("utf-8", "replace")


def s3_env(base, endpoint):
    """base with the stack pointed at S3 (s3rver's credentials)."""
    return dict(base, WARDEN_STORAGE_BACKEND="s3",
                WARDEN_S3_ENDPOINT=endpoint,
                WARDEN_S3_BUCKET=BUCKET, WARDEN_S3_REGION="us-east-1",
                WARDEN_S3_ACCESS_KEY_ID="S3RVER",
                WARDEN_S3_SECRET_ACCESS_KEY="S3RVER")


def uploads(s, where="true"):
    """Rows of storage.uploads (recorded multipart uploads)."""
    r = s.psql("SELECT count(*) FROM storage.uploads WHERE " + where)
    return int(r.stdout.strip() or -1)


@contextlib.contextmanager
def s3_stack(t, **more):
    """s3rver (checked: available, started) behind an S3Proxy, and the
    stack's base configuration switched to it plus more, so every
    reconfigure() keeps the s3 settings. Yields (s3rver, proxy), or None
    when s3rver cannot run; then puts the stack, t.prefix and everything
    else back, s3rver's directory removed."""
    s = t.s
    err = ensure_s3rver()
    if not t.check("s3rver available", err is None, err):
        yield None
        return
    srv = S3rver()
    if not t.check("s3rver started", srv.start()):
        srv.stop()
        yield None
        return
    px = S3Proxy(srv.port, srv.dir, BUCKET)
    base, prefix = s.base_env, t.prefix
    s.base_env = dict(s3_env(base, px.url), **more)
    s.s3dir = os.path.join(srv.dir, BUCKET)
    try:
        s.reconfigure()
        yield srv, px
    finally:
        t.prefix = prefix
        s.base_env = base
        s.s3dir = None
        try:
            s.reconfigure()
        finally:
            why = srv.died()
            t.check("s3rver still running at the end (no crash)",
                    why is None, why)
            # s3rver is ours: stop it even if the stack did not restart
            px.stop()
            srv.stop()
            shutil.rmtree(srv.dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.unlink(srv.log)


def test_s3_backend(t):
    with s3_stack(t) as up:
        if up is not None:
            s3_backend(t, *up)


def s3_backend(t, srv, px):
    s = t.s
    prefix = t.prefix
    for name in ("test_owner_round_trip", "test_update_keeps_token",
                 "test_range", "test_not_modified",
                 "test_access_control", "test_list_prefix",
                 "test_delete", "test_bad_bodies",
                 "test_oversize_and_abort", "test_database_down"):
        t.prefix = "%s.%s" % (prefix, name[5:])
        getattr(ts, name)(t)
        s.reconfigure()
    t.prefix = prefix + ".slow_clients"
    slow.slow_clients(t, s, "s3")
    s.reconfigure()
    t.prefix = prefix + ".multipart"
    multipart_parts(t, srv, px)
    s.reconfigure()
    t.prefix = prefix + ".gc"
    s3_gc(t, srv, px)
    t.prefix = prefix + ".s3_down"
    s3_down(t, srv)
    t.prefix = prefix + ".bad_config"
    bad_config(t)


def multipart_parts(t, srv, px):
    """Uploads stream as S3 multipart uploads in WARDEN_S3_PART_SIZE
    parts (issue #11); a failure mid-upload keeps the previous version."""
    import threading
    s = t.s
    s.reconfigure(WARDEN_S3_PART_SIZE="65536",
                  WARDEN_STORAGE_MAX_SIZE=str(16 * 1024 * 1024))
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/parts.bin" % uid
    data = os.urandom(1024 * 1024 + 123)      # 17 parts
    blobs = ts.blobs(s)
    st, _, b = ts.upload(s, key, data, tok, raw=True)
    t.check("raw 1 MiB + 123 in 64 KiB parts: 200", st == 200, (st, b))
    t.check("one S3 object per upload", ts.blobs(s) == blobs + 1,
            (ts.blobs(s), blobs))
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("parts read back whole", st == 200 and got == data,
            (st, len(got)))
    st, _, got = s.request("GET", "/storage/o/" + key, dict(
        ts.auth(tok), Range="bytes=65530-65545"))
    t.check("range across a part boundary", st == 206 and
            got == data[65530:65546], (st, len(got)))
    form = os.urandom(300 * 1024)
    st, _, b = ts.upload(s, key, form, tok)
    t.check("multipart form in parts: 200", st == 200, (st, b))
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("form upload read back", got == form, len(got))
    exact = os.urandom(65536)
    st, _, b = ts.upload(s, key, exact, tok, raw=True)
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("exactly one part: one PUT, read back", st == 200 and
            got == exact, (st, len(got)))
    # a body that breaks after parts went out: 400, previous intact
    ct, body = ts.multipart(os.urandom(200 * 1024))
    body = body[:-8]                  # no closing boundary
    rows, blobs = ts.rows(s), ts.blobs(s)
    st, _, b = s.request("POST", "/storage/o/" + key, dict(
        ts.auth(tok), **{"Content-Type": ct}), body)
    t.check("broken form after 3 parts: 400", st == 400, (st, b))
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("previous version still served", got == exact, len(got))
    t.check("no object completed", ts.rows(s) == rows and
            ts.blobs(s) == blobs, (ts.rows(s), rows, ts.blobs(s), blobs))
    t.check("its multipart upload aborted: no part left, no record",
            px.open_uploads() == {} and uploads(s) == 0,
            (px.open_uploads(), uploads(s)))
    # a raw body streams part by part from the request: one cut short
    # after two parts went out (lighttpd and nginx hand over only whole
    # bodies, so the binary alone, as a web server would ask it)
    px.reset_log()
    with Solo(s, "storage", s.cur_env) as sock:
        st, _, b = fcgi.ask(sock, {
            "REQUEST_METHOD": "POST", "REQUEST_URI": "/storage/o/" + key,
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/octet-stream",
            "CONTENT_LENGTH": str(3 * 65536 + 100),
            "HTTP_AUTHORIZATION": "Bearer " + tok},
            os.urandom(2 * 65536 + 10))
    t.check("raw body cut short in its third part: 400", st == 400,
            (st, b))
    t.check("...its first two parts had gone to S3, the third was on its "
            "way (streamed as read: a part held in memory would never "
            "have started)",
            len(px.requests(r"^PUT .*partNumber=[12]&")) == 2 and
            len(px.requests(r"^PUT .*partNumber=3&")) == 1,
            px.requests())
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("...previous version still served, no object completed",
            got == exact and ts.rows(s) == rows and ts.blobs(s) == blobs,
            (st, got[:200], ts.rows(s), rows, ts.blobs(s), blobs))
    t.check("...its multipart upload aborted, no record",
            px.open_uploads() == {} and uploads(s) == 0 and
            len(px.requests(r"^DELETE .*uploadId=")) == 1,
            (px.open_uploads(), uploads(s), px.requests()))
    # S3 stopped mid-upload: 503, nothing completed, previous version
    s.reconfigure(WARDEN_S3_PART_SIZE="4096",
                  WARDEN_STORAGE_MAX_SIZE=str(16 * 1024 * 1024))
    big = os.urandom(8 * 1024 * 1024)     # 2048 parts: seconds
    res = {}

    def up():
        try:
            res["r"] = ts.upload(s, key, big, tok, raw=True)
        except OSError as e:
            res["r"] = (None, {}, repr(e).encode())

    th = threading.Thread(target=up)
    px.reset_log()
    th.start()
    # mid-upload: its multipart upload made and parts on their way (a
    # fixed pause was too short under ASan on a busy host: S3 stopped
    # before CreateMultipartUpload, and no upload was left to record)
    t.check("...the upload is under way before S3 stops",
            px.wait_for(r"^PUT .*partNumber=2&", 60) is not None,
            px.requests()[-5:])
    srv.stop()
    th.join(60)
    st, _, b = res.get("r", (None, {}, b""))
    t.check("S3 stopped mid-upload: 503 storage-unavailable",
            st == 503 and ts.code(b) == "storage-unavailable", (st, b))
    t.check("s3rver restarted", srv.start())
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("after the outage: previous version served", st == 200 and
            got == exact, (st, len(got)))
    t.check("no object completed by the cut upload",
            ts.rows(s) == rows and ts.blobs(s) == blobs,
            (ts.rows(s), rows, ts.blobs(s), blobs))
    t.check("its unabortable upload stays on record for the sweep",
            uploads(s) == 1 and len(px.open_uploads()) == 1,
            (uploads(s), px.open_uploads()))


def _s3(srv, method, name, body=None):
    """A direct, SigV4-signed request to s3rver (curl's own signer);
    returns the status."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
           "--max-time", "10", "--aws-sigv4", "aws:amz:us-east-1:s3",
           "--user", "S3RVER:S3RVER",
           "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    if method == "HEAD":
        cmd += ["-I"]
    elif method == "PUT":
        cmd += ["-X", "PUT", "--data-binary", "@-"]
    else:
        cmd += ["-X", method]
    cmd += ["http://127.0.0.1:%d/%s/%s" % (srv.port, BUCKET, name)]
    r = subprocess.run(cmd, input=body or b"", capture_output=True,
                       timeout=20)
    try:
        return int(r.stdout.decode()[-3:])
    except ValueError:
        return None


def s3_gc(t, srv, px):
    """`storage gc` on S3: orphans (blob names no row points at) go,
    live blobs and keys that are not blob names stay, and the multipart
    upload multipart_parts left on record is aborted."""
    from test_storage_gc import run_gc
    s = t.s
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/gc.txt" % uid
    st, _, b = ts.upload(s, key, b"live in s3", tok)
    blob = (ts.j(b) or {}).get("etag", "").strip('"')
    orphan = uuid.uuid4().hex
    t.check("orphan put into the bucket",
            _s3(srv, "PUT", orphan, b"orphan") == 200)
    t.check("foreign key put into the bucket",
            _s3(srv, "PUT", "other/file.txt", b"not ours") == 200)
    left = list(px.open_uploads())
    px.reset_log()
    r = run_gc(s, "60")
    t.check("gc 60: young orphan kept", r.returncode == 0 and
            _s3(srv, "HEAD", orphan) == 200, (r.stdout, r.stderr))
    t.check("gc 60: the upload left on record aborted at once (no age), "
            "its parts and record gone", len(left) == 1 and
            any(q.endswith("?uploadId=" + left[0]) for q in
                px.requests(r"^DELETE ")) and px.open_uploads() == {} and
            uploads(s) == 0 and "aborted 1" in r.stdout,
            (left, px.requests(), uploads(s), r.stdout))
    time.sleep(1.1)
    r = run_gc(s, "0")
    t.check("gc 0: exits 0", r.returncode == 0, (r.stdout, r.stderr))
    t.check("gc 0: orphan removed", _s3(srv, "HEAD", orphan) == 404,
            r.stdout)
    t.check("gc 0: live blob kept", _s3(srv, "HEAD", blob) == 200,
            r.stdout)
    t.check("gc 0: foreign key left alone",
            _s3(srv, "HEAD", "other/file.txt") == 200, r.stdout)
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("object still served", st == 200 and got == b"live in s3",
            (st, got))
    _s3(srv, "DELETE", "other/file.txt")


def s3_down(t, srv):
    s = t.s
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/s3.txt" % uid
    st, _, _ = ts.upload(s, key, b"in s3", tok)
    t.check("upload before the outage", st == 200, st)
    rows, blobs = ts.rows(s), ts.blobs(s)
    srv.stop()
    st, _, b = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("S3 down: GET -> 503 storage-unavailable",
            st == 503 and ts.code(b) == "storage-unavailable", (st, b))
    st, _, b = ts.upload(s, "user/%s/new.txt" % uid, b"x", tok)
    t.check("S3 down: upload -> 503", st == 503 and
            ts.code(b) == "storage-unavailable", (st, b))
    st, _, b = ts.upload(s, key, b"overwrite", tok)
    t.check("S3 down: overwrite -> 503", st == 503, (st, b))
    t.check("S3 down: nothing half-written", ts.rows(s) == rows and
            ts.blobs(s) == blobs, (ts.rows(s), rows, ts.blobs(s), blobs))
    st, _, b = s.request("GET", "/storage/m/" + key, ts.auth(tok))
    t.check("S3 down: metadata still answers from PostgreSQL", st == 200,
            st)
    t.check("s3rver restarted", srv.start())
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("S3 back: GET works without restarting Warden",
            st == 200 and got == b"in s3", (st, got))
    st, _, got = ts.upload(s, key, b"after", tok)
    t.check("S3 back: upload works", st == 200, (st, got))


def bad_config(t):
    s = t.s
    # S3 refusing our credentials: 500 (not 503), and nothing left
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    rows, blobs = ts.rows(s), ts.blobs(s)
    s.reconfigure(WARDEN_S3_ACCESS_KEY_ID="WRONG")
    st, _, b = ts.upload(s, "user/%s/sig.txt" % uid, b"x", tok)
    t.check("wrong S3 access key: refused -> 500, nothing stored",
            st == 500 and ts.rows(s) == rows and ts.blobs(s) == blobs,
            (st, b))
    s.reconfigure()
    r = subprocess.run([os.path.join(s.bindir, "storage")],
                       env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                           s.run, "warden.env"), WARDEN_S3_BUCKET="A_B"),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=10)
    t.check("bad bucket stops the binary naming the variable",
            r.returncode == 1 and "WARDEN_S3_BUCKET" in r.stderr,
            (r.returncode, r.stderr))
