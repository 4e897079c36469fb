"""The orphan sweep (issue #11): `storage gc [MINUTES]` removes blobs no
row points at that are older than MINUTES, never a blob a row points at
(however old), never a young one."""
import os
import shutil
import subprocess
import time
import uuid

import test_storage as ts


def run_gc(s, *args):
    return subprocess.run([os.path.join(s.bindir, "storage"), "gc"] +
                          list(args),
                          env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                              s.run, "warden.env")),
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def test_gc(t):
    s = t.s
    d = s.base_env["WARDEN_STORAGE_DIR"]
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/kept.txt" % uid
    st, _, b = ts.upload(s, key, b"kept bytes", tok)
    blob = (ts.j(b) or {}).get("etag", "").strip('"')
    t.check("upload", st == 200 and len(blob) == 32, (st, b))
    old = time.time() - 3 * 3600

    def put(name, age):
        sub = os.path.join(d, name[:2])
        if not os.path.isdir(sub):
            os.makedirs(sub, mode=0o750)
            # the binaries (the service user) write into shards later:
            # a root-owned shard would fail their uploads
            if os.getuid() == 0:
                shutil.chown(sub, "warden", "warden")
        p = os.path.join(sub, name)
        with open(p, "wb") as f:
            f.write(b"orphan")
        if os.getuid() == 0:
            shutil.chown(p, "warden", "warden")
        if age:
            os.utime(p, (age, age))
        return p

    live = os.path.join(d, blob[:2], blob)
    os.utime(live, (old, old))
    orphan_old = put(uuid.uuid4().hex, old)
    orphan_new = put(uuid.uuid4().hex, None)
    stranger = put("not-a-blob", old)
    r = run_gc(s, "60")
    t.check("gc exits 0", r.returncode == 0, (r.returncode, r.stdout,
                                              r.stderr))
    t.check("old orphan removed", not os.path.exists(orphan_old), r.stdout)
    t.check("young orphan kept", os.path.exists(orphan_new), r.stdout)
    t.check("old blob a row points at kept", os.path.exists(live), r.stdout)
    t.check("file that is no blob of ours left alone",
            os.path.exists(stranger), r.stdout)
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("object still served", st == 200 and got == b"kept bytes",
            (st, got))
    r = run_gc(s, "0")
    t.check("gc 0: the young orphan goes too, the live blob stays",
            r.returncode == 0 and not os.path.exists(orphan_new) and
            os.path.exists(live), (r.stdout, r.stderr))
    r = run_gc(s, "x")
    t.check("bad argument: usage, exit 1", r.returncode == 1 and
            "usage" in r.stderr, (r.returncode, r.stderr))
    os.unlink(stranger)
    try:
        os.rmdir(os.path.dirname(stranger))
    except OSError:
        pass
