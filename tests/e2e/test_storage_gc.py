"""The orphan sweep (issue #11): `storage gc [MINUTES]` removes blobs no
row points at that are older than MINUTES, never a blob a row points at
(however old), never a young one, and never the blob of an upload in
flight (its uploader holds the blob's advisory lock), however old; once
that uploader is killed, the lock goes with its session and the sweep
removes the blob. The S3 side is in test_storage_s3fault.py."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pgproxy
import test_storage as ts


def run_gc(s, *args):
    return subprocess.run([os.path.join(s.bindir, "storage"), "gc"] +
                          list(args),
                          env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                              s.run, "warden.env")),
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def put_file(d, name, age, shard=None):
    """A file name (b"orphan") in shard (default: name's first two
    characters) of storage directory d, its mtime age (None: now)."""
    sub = os.path.join(d, shard or name[:2])
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


def wait(cond, secs=15):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def lockers(s):
    """The pids of storage processes holding an advisory lock (uploads in
    flight): wd_db names its sessions warden-<binary>[<pid>]."""
    r = s.psql("SELECT a.application_name FROM pg_locks l JOIN "
               "pg_stat_activity a ON a.pid = l.pid WHERE "
               "l.locktype = 'advisory' AND l.granted")
    return [int(p) for p in re.findall(r"warden-storage\[(\d+)\]",
                                       r.stdout)]


def row_waiters(s):
    """Storage sessions waiting for a row lock."""
    r = s.psql("SELECT count(*) FROM pg_stat_activity WHERE "
               "wait_event_type = 'Lock' AND "
               "application_name LIKE 'warden-storage[%'")
    return int(r.stdout.strip() or -1)


def upload_thread(s, key, data, tok):
    """A raw upload of data to key, started in a thread: (the thread,
    a dict whose "r" is the response, or (None, {}, error), once it
    ends)."""
    res = {}

    def up():
        try:
            res["r"] = ts.upload(s, key, data, tok, raw=True)
        except OSError as e:
            res["r"] = (None, {}, repr(e).encode())

    th = threading.Thread(target=up)
    th.start()
    return th, res


def held_upload(t, key, data, tok, stored):
    """Starts an upload of data to key (an existing object) while a
    session of ours holds the key's row: the upload stores its blob,
    then waits to write its row, holding its lock. stored() names the
    blobs in the backend. Returns (session, thread, result dict, the
    new blob or None); the caller ends the session (ROLLBACK)."""
    s = t.s
    before = stored()
    pg = pgproxy.owner(s)
    pg.query("BEGIN")
    pg.query("SELECT 1 FROM storage.objects WHERE key = %s FOR UPDATE" %
             pgproxy.lit(key))
    th, res = upload_thread(s, key, data, tok)
    ok = wait(lambda: row_waiters(s) == 1)
    new = stored() - before
    t.check("an upload waits to write its row, its blob stored",
            ok and len(new) == 1, (ok, new))
    return pg, th, res, (new.pop() if len(new) == 1 else None)


def release(pg, th, res):
    """Ends held_upload's session (the upload then writes its row, or
    fails if its process was killed) and waits for the upload: its
    response, or (None, {}, b"") if it never answered."""
    pg.query("ROLLBACK")
    pg.close()
    th.join(30)
    return res.get("r", (None, {}, b""))


def fs_blobs(s):
    d = s.base_env["WARDEN_STORAGE_DIR"]
    out = set()
    for sub, _, files in os.walk(d):
        out.update(f for f in files if re.fullmatch(r"[0-9a-f]{32}", f))
    return out


def test_gc_in_flight(t):
    s = t.s
    d = s.base_env["WARDEN_STORAGE_DIR"]
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/held.bin" % uid
    cur = b"version 1"
    st, _, b = ts.upload(s, key, cur, tok, raw=True)
    t.check("upload", st == 200, (st, b))
    for kill in (False, True):
        what = "killed uploader" if kill else "live uploader"
        data = os.urandom(3000)
        pg, th, res, new = held_upload(t, key, data, tok,
                                       lambda: fs_blobs(s))
        path = os.path.join(d, (new or "xx")[:2], new or "x")
        old = time.time() - 3 * 3600
        if new:
            os.utime(path, (old, old))      # past any age limit
        pids = lockers(s)
        t.check("%s: one storage process holds the upload's lock" % what,
                len(pids) == 1, pids)
        if kill and pids:
            os.kill(pids[0], signal.SIGKILL)
        r = run_gc(s, "60")
        t.check("%s: gc keeps the 3 hours old blob of the upload in "
                "flight" % what, r.returncode == 0 and new is not None and
                os.path.exists(path) and
                re.search(r"in flight [1-9]", r.stdout), (r.stdout,
                                                         r.stderr))
        st, _, b = release(pg, th, res)
        if not kill:
            t.check("live uploader: then stores its version: 200",
                    st == 200, (st, b))
            cur = data
            continue
        t.check("killed uploader: its request failed", st != 200, (st, b))
        t.check("killed uploader: its lock went with its session",
                wait(lambda: lockers(s) == []), lockers(s))
        r = run_gc(s, "60")
        t.check("killed uploader: gc then removes its blob",
                r.returncode == 0 and not os.path.exists(path),
                (r.stdout, r.stderr))
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("the last stored version is served", st == 200 and got == cur,
            (st, len(got)))
    st, _, b = ts.upload(s, key, b"after", tok, raw=True)
    t.check("uploads work after the kill", st == 200, (st, b))


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

    def put(name, age, shard=None):
        return put_file(d, name, age, shard)

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
    # an upload's named temporary file (fs without O_TMPFILE) that its
    # dead uploader left: swept once old and once its lock is free
    tb_old, tb_new, tb_held = (uuid.uuid4().hex for _ in range(3))
    tmp_old = put(".tmp-" + tb_old, old, tb_old[:2])
    tmp_new = put(".tmp-" + tb_new, None, tb_new[:2])
    tmp_held = put(".tmp-" + tb_held, old, tb_held[:2])
    astray = ("0" if tb_old[0] != "0" else "1") + tb_old[1:]
    tmp_astray = put(".tmp-" + astray, old, tb_old[:2])   # wrong shard
    holder = pgproxy.owner(s)
    try:
        holder.query("SELECT pg_advisory_lock(hashtextextended(%s, 0))" %
                     pgproxy.lit(tb_held))
        r = run_gc(s, "60")
        t.check("gc: an old dead upload's temporary file removed",
                r.returncode == 0 and not os.path.exists(tmp_old),
                (r.stdout, r.stderr))
        t.check("gc: a young one kept", os.path.exists(tmp_new), r.stdout)
        t.check("gc: one whose upload holds its lock kept, however old",
                os.path.exists(tmp_held), r.stdout)
        t.check("gc: one in the wrong shard left alone",
                os.path.exists(tmp_astray), r.stdout)
    finally:
        holder.close()
    r = run_gc(s, "0")
    t.check("gc: once the uploader's session is gone, its temporary "
            "file goes", r.returncode == 0 and not os.path.exists(tmp_held)
            and not os.path.exists(tmp_new), (r.stdout, r.stderr))
    os.unlink(tmp_astray)
    # more upload records than one page of the sweep (and than the 10000
    # a run once took): every dead one goes in one run; one in flight
    # (its lock held) stays and is not met twice
    s.psql("INSERT INTO storage.uploads (blob, started) SELECT "
           "md5(g::text || random()::text), now() - interval '2 hours' "
           "FROM generate_series(1, 10050) g")
    busy = s.psql("SELECT blob FROM storage.uploads ORDER BY blob "
                  "OFFSET 4321 LIMIT 1").stdout.strip()
    holder = pgproxy.owner(s)
    try:
        holder.query("SELECT pg_advisory_lock(hashtextextended(%s, 0))" %
                     pgproxy.lit(busy))
        t0 = time.time()
        r = run_gc(s, "60")
        left = s.psql("SELECT blob FROM storage.uploads").stdout.split()
        t.check("gc: of 10050 upload records the 10049 dead gone in one "
                "run, the one in flight kept and met once (%.1f s)" %
                (time.time() - t0),
                r.returncode == 0 and left == [busy] and
                "in flight 1," in r.stdout and "aborted 10049," in r.stdout,
                (r.returncode, r.stdout[-300:], r.stderr[-300:],
                 len(left)))
    finally:
        holder.close()
    s.psql("DELETE FROM storage.uploads")
    r = run_gc(s, "x")
    t.check("bad argument: usage, exit 1", r.returncode == 1 and
            "usage" in r.stderr, (r.returncode, r.stderr))
    os.unlink(stranger)
    try:
        os.rmdir(os.path.dirname(stranger))
    except OSError:
        pass


def test_gc_wrong_database(t):
    """gc pointed at a database without a single object (a fresh one, a
    restore half done, another deployment's) while the store holds
    blobs: every blob would look orphaned. It removes none, says why on
    one line and exits 1."""
    s = t.s
    d = s.base_env["WARDEN_STORAGE_DIR"]
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    st, _, b = ts.upload(s, "user/%s/mine.txt" % uid, b"mine", tok)
    blob = (ts.j(b) or {}).get("etag", "").strip('"')
    live = os.path.join(d, blob[:2], blob)
    old = time.time() - 3 * 3600
    os.utime(live, (old, old))
    opath = put_file(d, uuid.uuid4().hex, old)
    db = "gc_other_%d" % os.getpid()
    url = "postgresql:///%s?host=%s/sock&user=warden" % (db, s.run)
    s.psql("DROP DATABASE IF EXISTS %s" % db)
    r = s.psql("CREATE DATABASE %s" % db)
    try:
        m = subprocess.run(["sh", os.path.join(os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            "sql", "migrate.sh"), url], capture_output=True, text=True)
        t.check("setup: an empty database with the schema", st == 200 and
                r.returncode == 0 and m.returncode == 0, (r.stderr,
                                                          m.stderr))
        g = subprocess.run([os.path.join(s.bindir, "storage"), "gc", "60"],
                           env=dict(os.environ, WARDEN_CONFIG=os.path.join(
                               s.run, "warden.env"),
                               WARDEN_DATABASE_URL=url),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        lines = g.stderr.strip().splitlines()
        t.check("gc against an empty database: exit 1, its last line "
                "says why", g.returncode == 1 and lines and
                "storage.objects is empty" in lines[-1],
                (g.returncode, g.stdout, g.stderr))
        t.check("...and no blob removed, orphan or not",
                os.path.exists(live) and os.path.exists(opath), g.stdout)
        # a deployment whose database really is empty says so: its own
        # store (a directory holding one old orphan alone) is swept
        own = tempfile.mkdtemp(prefix="warden-gc-")
        try:
            lp = put_file(own, uuid.uuid4().hex, old)

            def gc_own(*args):
                return subprocess.run(
                    [os.path.join(s.bindir, "storage"), "gc"] +
                    list(args), env=dict(
                        os.environ, WARDEN_CONFIG=os.path.join(
                            s.run, "warden.env"), WARDEN_DATABASE_URL=url,
                        WARDEN_STORAGE_DIR=own),
                    stdin=subprocess.DEVNULL, capture_output=True,
                    text=True, timeout=60)
            g = gc_own("60")
            t.check("an empty database's own store: kept without "
                    "--empty-ok (exit 1)", g.returncode == 1 and
                    os.path.exists(lp), (g.stdout, g.stderr))
            g = gc_own("--empty-ok", "60")
            t.check("...swept with it (exit 0)", g.returncode == 0 and
                    not os.path.exists(lp), (g.stdout, g.stderr))
            g = gc_own("60", "--bogus")
            t.check("an unknown argument: usage, exit 1",
                    g.returncode == 1 and "usage" in g.stderr, g.stderr)
        finally:
            shutil.rmtree(own, ignore_errors=True)
    finally:
        s.psql("DROP DATABASE IF EXISTS %s" % db)
    g = run_gc(s, "60")
    t.check("its own database's gc removes the orphan and keeps the blob",
            g.returncode == 0 and not os.path.exists(opath) and
            os.path.exists(live), (g.stdout, g.stderr))
