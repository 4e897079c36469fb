"""Storage quota per owner (API.md §7, issue #11): WARDEN_STORAGE_QUOTA
bytes; an upload that would take its owner past it is 413 quota-exceeded
before a byte is stored, also under concurrent uploads by one owner."""
import threading
import uuid

import test_storage as ts


def used(s, uid):
    r = s.psql("SELECT coalesce(sum(size), 0) FROM storage.objects "
               "WHERE owner = '%s'" % uid)
    return int(r.stdout.strip() or -1)


def counter(s, uid):
    r = s.psql("SELECT used FROM storage.usage WHERE owner = '%s'" % uid)
    return int(r.stdout.strip() or 0)


def new_owner(s):
    """A fresh owner: (user id, token, the prefix of their keys)."""
    uid = str(uuid.uuid4())
    return uid, ts.token(s, uid), "user/%s/" % uid


def test_quota(t):
    s = t.s
    s.reconfigure(WARDEN_STORAGE_QUOTA="1000")
    uid, tok, k = new_owner(s)
    st, _, b = ts.upload(s, k + "a", b"a" * 600, tok, raw=True)
    t.check("600 of 1000: 200", st == 200, (st, b))
    st, _, b = ts.upload(s, k + "b", b"b" * 400, tok, raw=True)
    t.check("exactly the quota: 200", st == 200, (st, b))
    rows, blobs = ts.rows(s), ts.blobs(s)
    st, _, b = ts.upload(s, k + "c", b"c", tok, raw=True)
    t.check("one byte past: 413 quota-exceeded", st == 413 and
            ts.code(b) == "quota-exceeded", (st, b))
    t.check("nothing stored", ts.rows(s) == rows and ts.blobs(s) == blobs,
            (ts.rows(s), rows, ts.blobs(s), blobs))
    st, _, b = ts.upload(s, k + "c", b"c", tok)
    t.check("multipart one byte past: 413", st == 413 and
            ts.code(b) == "quota-exceeded", (st, b))
    st, _, b = ts.upload(s, k + "a", b"A" * 600, tok, raw=True)
    t.check("overwrite with the same size at the quota: 200", st == 200,
            (st, b))
    st, _, b = ts.upload(s, k + "a", b"A" * 601, tok, raw=True)
    t.check("overwrite one byte larger: 413", st == 413, (st, b))
    st, _, got = s.request("GET", "/storage/o/" + k + "a", ts.auth(tok))
    t.check("previous version intact", got == b"A" * 600, len(got))
    st, _, b = ts.upload(s, k + "a", b"A" * 100, tok, raw=True)
    t.check("overwrite smaller: 200", st == 200, (st, b))
    st, _, b = ts.upload(s, k + "c", b"c" * 500, tok, raw=True)
    t.check("freed bytes usable again: 200", st == 200, (st, b))
    st, _, _ = s.request("DELETE", "/storage/o/" + k + "b", ts.auth(tok))
    st, _, b = ts.upload(s, k + "d", b"d" * 400, tok, raw=True)
    t.check("after a delete: 200", st == 200, (st, b))
    t.check("usage counter equals the owner's objects",
            counter(s, uid) == used(s, uid) == 1000,
            (counter(s, uid), used(s, uid)))
    other = str(uuid.uuid4())
    st, _, b = ts.upload(s, "user/%s/x" % other, b"x" * 1000,
                         ts.token(s, other), raw=True)
    t.check("another owner has a quota of their own", st == 200, (st, b))
    r = s.psql("SELECT count(*) FROM storage.reservations WHERE owner IN "
               "('%s', '%s')" % (uid, other))
    t.check("no reservation left behind", r.stdout.strip() == "0",
            r.stdout)

    # multipart: the file counts, not its framing (boundary, part
    # headers), so a file of exactly the remaining bytes fits; one byte
    # more is refused, and nothing of it is kept
    uid, tok, k = new_owner(s)
    st, _, b = ts.upload(s, k + "a", b"a" * 700, tok)
    t.check("multipart 700 of 1000: 200", st == 200, (st, b))
    rows, blobs = ts.rows(s), ts.blobs(s)
    st, _, b = ts.upload(s, k + "b", b"b" * 301, tok)
    t.check("multipart one byte past the remaining 300: 413 "
            "quota-exceeded", st == 413 and ts.code(b) == "quota-exceeded",
            (st, b))
    t.check("multipart past: no row, no blob, no reservation left",
            ts.rows(s) == rows and ts.blobs(s) == blobs and
            s.psql("SELECT count(*) FROM storage.reservations WHERE "
                   "owner = '%s'" % uid).stdout.strip() == "0",
            (ts.rows(s), rows, ts.blobs(s), blobs))
    st, _, b = ts.upload(s, k + "b", b"b" * 300, tok)
    t.check("multipart of exactly the remaining 300: 200", st == 200,
            (st, b))
    st, _, b = ts.upload(s, k + "a", b"A" * 700, tok)
    t.check("multipart overwrite, same size, at the quota: 200",
            st == 200, (st, b))
    st, _, b = ts.upload(s, k + "a", b"A" * 701, tok)
    t.check("multipart overwrite one byte larger: 413", st == 413 and
            ts.code(b) == "quota-exceeded", (st, b))
    st, _, b = ts.upload(s, k + "c", b"", tok)
    t.check("multipart empty file at the quota: 200", st == 200, (st, b))
    t.check("multipart: usage settled to the files' real sizes",
            counter(s, uid) == used(s, uid) == 1000,
            (counter(s, uid), used(s, uid)))

    # concurrent uploads by one owner: never past the quota
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    res = [None] * 12

    def up(i):
        try:
            st, _, b = ts.upload(s, "user/%s/c%d" % (uid, i), b"z" * 300,
                                 tok, raw=True)
            res[i] = (st, ts.code(b))
        except OSError as e:
            res[i] = (None, repr(e))

    ths = [threading.Thread(target=up, args=(i,)) for i in range(12)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(30)
    ok = [r for r in res if r and r[0] == 200]
    refused = [r for r in res if r and r[0] == 413 and
               r[1] == "quota-exceeded"]
    t.check("12 concurrent uploads of 300 under 1000: 3 stored, 9 refused",
            len(ok) == 3 and len(refused) == 9, res)
    t.check("concurrent: stored bytes within the quota",
            used(s, uid) == 900 and counter(s, uid) == 900,
            (used(s, uid), counter(s, uid)))
    s.reconfigure()
    st, _, b = ts.upload(s, "user/%s/big" % uid, b"q" * 5000, tok, raw=True)
    t.check("quota unset: unlimited", st == 200, (st, b))


def test_reservation_lives_with_its_upload(t):
    """A reservation counts for as long as its upload holds the blob's
    lock, even past the hour after which a dead request's reservation
    lapses (sql/012): an old but live upload's bytes still count against
    concurrent uploads, and the sweep keeps its reservation."""
    import test_storage_gc as gc
    s = t.s
    s.reconfigure(WARDEN_STORAGE_QUOTA="1000")
    uid, tok, k = new_owner(s)
    st, _, b = ts.upload(s, k + "a", b"a" * 100, tok, raw=True)
    t.check("setup: 100 of 1000", st == 200, (st, b))
    pg, th, res, _ = gc.held_upload(t, k + "a", b"A" * 600, tok,
                                    lambda: gc.fs_blobs(s))
    try:
        aged = s.psql("UPDATE storage.reservations SET created_at = now() "
                      "- interval '2 hours' WHERE owner = '%s' RETURNING "
                      "blob IS NOT NULL" % uid)
        t.check("the in-flight upload's reservation (aged past the hour "
                "here) names its blob", aged.stdout.split() ==
                ["t", "UPDATE", "1"], (aged.stdout, aged.stderr))
        st, _, b = ts.upload(s, k + "b", b"b" * 500, tok, raw=True)
        t.check("its 600 bytes still count: 500 more is 413",
                st == 413 and ts.code(b) == "quota-exceeded", (st, b))
        st, _, b = ts.upload(s, k + "b", b"b" * 300, tok, raw=True)
        t.check("...300 more fits exactly", st == 200, (st, b))
        r = gc.run_gc(s, "60")
        n = s.psql("SELECT count(*) FROM storage.reservations WHERE owner "
                   "= '%s'" % uid).stdout.strip()
        t.check("the sweep keeps a live upload's old reservation",
                r.returncode == 0 and n == "1", (r.stdout, r.stderr, n))
    finally:
        st, _, b = gc.release(pg, th, res)
    t.check("the held upload completes", st == 200, (st, b))
    t.check("usage 600 + 300, within the quota",
            counter(s, uid) == used(s, uid) == 900,
            (counter(s, uid), used(s, uid)))
    # a reservation whose upload is gone (no lock) lapses after the hour
    s.psql("INSERT INTO storage.reservations (owner, bytes, created_at, "
           "blob) VALUES ('%s', 500, now() - interval '2 hours', '%s')"
           % (uid, uuid.uuid4().hex))
    st, _, b = ts.upload(s, k + "b", b"b" * 200, tok, raw=True)
    t.check("a dead upload's old reservation no longer counts", st == 200,
            (st, b))
    r = gc.run_gc(s, "60")
    n = s.psql("SELECT count(*) FROM storage.reservations WHERE owner = "
               "'%s'" % uid).stdout.strip()
    t.check("...and the sweep deletes it", r.returncode == 0 and n == "0",
            (r.stdout, r.stderr, n))


def test_reservation_live_lock_key(t):
    """storage.reservation_live (sql/012) finds an upload's lock whatever
    the sign of its key (pg_locks splits the bigint into classid and
    objid), and only in this database."""
    import pgproxy
    s = t.s

    def one(cond):
        return s.psql("SELECT b FROM (SELECT md5(g::text) b FROM "
                      "generate_series(1, 200) g) x WHERE "
                      "hashtextextended(b, 0) %s 0 LIMIT 1" % cond
                      ).stdout.strip()

    def live(b):
        return s.psql("SELECT storage.reservation_live(now() - interval "
                      "'2 hours', '%s')" % b).stdout.strip()

    for sign, b in (("negative", one("<")), ("positive", one(">"))):
        lock = "hashtextextended(%s, 0)" % pgproxy.lit(b)
        t.check("%s key: not live without the lock" % sign,
                len(b) == 32 and live(b) == "f", (b, live(b)))
        holder = pgproxy.owner(s)
        try:
            holder.query("SELECT pg_advisory_lock(%s)" % lock)
            t.check("%s key: live while the lock is held" % sign,
                    live(b) == "t", live(b))
        finally:
            holder.close()
        t.check("%s key: not live once it is released" % sign,
                live(b) == "f", live(b))
        other = pgproxy.PgConn(pgproxy.socket_path(s), database="postgres")
        try:
            other.query("SELECT pg_advisory_lock(%s)" % lock)
            t.check("%s key: the same lock in another database does not "
                    "count" % sign, live(b) == "f", live(b))
        finally:
            other.close()
