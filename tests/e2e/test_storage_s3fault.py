"""S3 failing under an upload (issue #11), through s3proxy.py in front of
s3rver, with 64 KiB parts: whatever fails, a multipart upload ends
aborted at S3 (its parts gone), right away or by `storage gc` later, and
the previous version stays served.

- a middle part answered 503, or its connection dropped: 503 to the
  client, and the proxy sees the abort of exactly that upload;
- S3 gone mid-upload (the abort cannot be sent either): 503, the upload
  stays in storage.uploads; S3 back, `storage gc` aborts it;
- the answer to CreateMultipartUpload lost (S3 made the upload, storage
  never learned its id): found by listing the blob's uploads and
  aborted, by the request itself or, if S3 is down by then, by gc;
- the storage process killed while S3 hangs on a part: gc aborts the
  upload once the process's lock is gone;
- the uploader's database session ended while S3 is slow on a part (its
  lock gone with it): the upload fails with 503 rather than write its
  row on a new session, and removes what it made;
- an upload whose parts are complete but whose row is held up keeps its
  blob and its record through a gc; killed there, gc then removes both;
- a 404 to a write is the store failing (503), and an abort answered by
  a page that is no S3 answer leaves the upload on record for gc;
- a row whose blob S3 lost: 500, logged with the blob's name;
- a read whose blob an overwrite or a delete removed after it had read
  the row: the new version, or 404 (by a signed URL: 403), and no loss
  logged."""
import os
import re
import signal
import threading
import time
import uuid

import test_storage as ts
import test_storage_gc as gc
import test_storage_s3 as s3

PART = 65536


def test_s3_faults(t):
    # 64 KiB parts: at most 10000 of them, so a smaller object cap
    with s3.s3_stack(t, WARDEN_S3_PART_SIZE=str(PART),
                     WARDEN_STORAGE_MAX_SIZE=str(16 * 1024 * 1024)) as up:
        if up is None:
            return
        srv, px = up
        prefix = t.prefix
        for fn in (part_fails, s3_gone, id_lost, killed, session_lost,
                   held_row, answered_404, blob_lost, read_races):
            t.prefix = "%s.%s" % (prefix, fn.__name__)
            px.clear()
            px.reset_log()
            fn(t, srv, px)


def _object(t, name):
    """A user, a token and an object of theirs (1000 bytes, one PUT)."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = ts.token(s, uid)
    key = "user/%s/%s" % (uid, name)
    v1 = os.urandom(1000)
    st, _, b = ts.upload(s, key, v1, tok, raw=True)
    t.check("first version stored", st == 200, (st, b))
    return tok, key, v1, (ts.j(b) or {}).get("etag")


def _ids(px, pattern):
    """(blob, upload id) of the first request matching pattern."""
    q = px.requests(pattern)
    m = re.search(r"/([0-9a-f]{32})\?\S*uploadId=([0-9a-f]+)", q[0]) \
        if q else None
    return (m.group(1), m.group(2)) if m else (None, None)


def _same(t, what, tok, key, v1, etag, rows, blobs):
    s = t.s
    st, h, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("%s: previous version still served" % what, st == 200 and
            got == v1 and h.get("etag") == etag, (st, len(got)))
    t.check("%s: no row changed, no object completed" % what,
            ts.rows(s) == rows and ts.blobs(s) == blobs,
            (ts.rows(s), rows, ts.blobs(s), blobs))


def _aborted(t, what, px, blob, upid):
    t.check("%s: the proxy saw the abort of that upload" % what,
            upid is not None and "DELETE /%s/%s?uploadId=%s" % (
                s3.BUCKET, blob, upid) in px.requests(),
            (blob, upid, px.requests(r"^DELETE ")))
    t.check("%s: no part of it left at S3, no record" % what,
            px.open_uploads() == {} and s3.uploads(t.s) == 0,
            (px.open_uploads(), s3.uploads(t.s)))


def part_fails(t, srv, px):
    s = t.s
    tok, key, v1, etag = _object(t, "parts.bin")
    for action in ("503", "drop"):
        rows, blobs = ts.rows(s), ts.blobs(s)
        px.reset_log()
        mark = ts.log_mark(s)
        px.fail(r"^PUT \S*\?partNumber=3&", action)
        st, _, b = ts.upload(s, key, os.urandom(5 * PART + 100), tok,
                             raw=True)
        px.clear()
        what = "part 3 of 6 %s" % ("503" if action == "503" else
                                   "dropped")
        t.check("%s: 503 storage-unavailable" % what, st == 503 and
                ts.code(b) == "storage-unavailable", (st, b))
        blob, upid = _ids(px, r"partNumber=3&")
        t.check("%s: parts 1 and 2 went out first" % what,
                len(px.requests(r"partNumber=[12]&uploadId=%s" % upid)) ==
                2, px.requests())
        _aborted(t, what, px, blob, upid)
        _same(t, what, tok, key, v1, etag, rows, blobs)
        log = ts.log_since(s, mark, "s3: PUT part")
        # the operator's line names the step and what S3 did, never the
        # key or the upload id
        line = "s3: PUT part answered 503" if action == "503" else \
            "s3: PUT part failed: "
        t.check("%s: the log names the step and S3's answer" % what,
                line in log and upid not in log and key not in log,
                [x for x in log.splitlines() if "s3:" in x][:3])


def s3_gone(t, srv, px):
    s = t.s
    tok, key, v1, etag = _object(t, "gone.bin")
    rows, blobs = ts.rows(s), ts.blobs(s)
    px.fail(r"^PUT \S*\?partNumber=3&", "down")     # and stays down
    st, _, b = ts.upload(s, key, os.urandom(5 * PART + 100), tok, raw=True)
    t.check("S3 gone at part 3: 503 storage-unavailable", st == 503 and
            ts.code(b) == "storage-unavailable", (st, b))
    blob, upid = _ids(px, r"partNumber=3&")
    t.check("the abort was tried, and could not reach S3",
            "DELETE /%s/%s?uploadId=%s" % (s3.BUCKET, blob, upid) in
            px.requests(), px.requests(r"^DELETE"))
    t.check("the upload stays on record, with its id, its parts at S3",
            s3.uploads(s, "blob = '%s' AND upload_id = '%s'" % (
                blob, upid)) == 1 and upid in px.open_uploads(),
            (s3.uploads(s), px.open_uploads()))
    r = gc.run_gc(s, "60")
    t.check("gc while S3 is down: fails, the record stays",
            r.returncode == 1 and s3.uploads(s) == 1, (r.stdout, r.stderr))
    px.clear()                                      # S3 back
    px.reset_log()
    r = gc.run_gc(s, "60")
    t.check("S3 back: gc exits 0, one upload aborted", r.returncode == 0
            and "aborted 1" in r.stdout, (r.stdout, r.stderr))
    _aborted(t, "after gc", px, blob, upid)
    _same(t, "S3 back", tok, key, v1, etag, rows, blobs)


def id_lost(t, srv, px):
    s = t.s
    tok, key, v1, etag = _object(t, "lost.bin")
    rows, blobs = ts.rows(s), ts.blobs(s)
    # S3 makes the upload, its answer never arrives
    px.fail(r"^POST \S*\?uploads=", "lose", times=1)
    st, _, b = ts.upload(s, key, os.urandom(3 * PART), tok, raw=True)
    t.check("CreateMultipartUpload answer lost: 503", st == 503 and
            ts.code(b) == "storage-unavailable", (st, b))
    q = px.requests(r"^POST \S*\?uploads=")
    blob = q[0].split("/")[2].split("?")[0] if q else None
    t.check("the request listed the blob's uploads to find it",
            "GET /%s?prefix=%s&uploads=" % (s3.BUCKET, blob) in
            px.requests(), px.requests())
    t.check("and aborted it: no part left at S3, no record",
            len(px.requests(r"^DELETE /%s/%s\?uploadId=" % (
                s3.BUCKET, blob))) == 1 and px.open_uploads() == {} and
            s3.uploads(s) == 0, (px.requests(), px.open_uploads()))
    _same(t, "answer lost", tok, key, v1, etag, rows, blobs)
    # the same, and S3 down by the time the request looks for it
    px.reset_log()
    px.fail(r"^POST \S*\?uploads=", "lose", times=1)
    px.fail(r"^GET \S*uploads", "503", times=1)
    st, _, b = ts.upload(s, key, os.urandom(3 * PART), tok, raw=True)
    t.check("answer lost, listing refused: 503", st == 503, (st, b))
    q = px.requests(r"^POST \S*\?uploads=")
    blob = q[0].split("/")[2].split("?")[0] if q else None
    t.check("the upload stays on record without an id",
            s3.uploads(s, "blob = '%s' AND upload_id IS NULL" % blob) == 1
            and list(px.open_uploads().values()) == [blob],
            (s3.uploads(s), px.open_uploads()))
    px.reset_log()
    r = gc.run_gc(s, "60")
    t.check("gc finds it by listing and aborts it", r.returncode == 0 and
            "aborted 1" in r.stdout and "GET /%s?prefix=%s&uploads=" % (
                s3.BUCKET, blob) in px.requests() and
            px.open_uploads() == {} and s3.uploads(s) == 0,
            (r.stdout, r.stderr, px.requests(), px.open_uploads()))
    _same(t, "after gc", tok, key, v1, etag, rows, blobs)


def killed(t, srv, px):
    s = t.s
    tok, key, v1, etag = _object(t, "killed.bin")
    rows, blobs = ts.rows(s), ts.blobs(s)
    px.fail(r"^PUT \S*\?partNumber=3&", "stall", times=1, delay=3)
    th, res = gc.upload_thread(s, key, os.urandom(5 * PART + 100), tok)
    seen = px.wait_for(r"partNumber=3&")
    pids = gc.lockers(s)
    t.check("S3 hangs on part 3; one storage process holds the lock",
            seen is not None and len(pids) == 1, (seen, pids))
    if pids:
        os.kill(pids[0], signal.SIGKILL)
    th.join(30)
    st, _, b = res.get("r", (None, {}, b""))
    t.check("the killed upload's request failed", st != 200, (st, b))
    t.check("its lock went with its session",
            gc.wait(lambda: gc.lockers(s) == []), gc.lockers(s))
    blob, upid = _ids(px, r"partNumber=3&")
    t.check("its upload stays on record, its parts at S3",
            s3.uploads(s, "upload_id = '%s'" % upid) == 1 and
            upid in px.open_uploads(), (s3.uploads(s), px.open_uploads()))
    time.sleep(3.5)             # the stalled part is dropped by now
    px.reset_log()
    r = gc.run_gc(s, "60")
    t.check("gc aborts it", r.returncode == 0 and "aborted 1" in r.stdout,
            (r.stdout, r.stderr))
    _aborted(t, "killed", px, blob, upid)
    _same(t, "killed", tok, key, v1, etag, rows, blobs)
    st, _, b = ts.upload(s, key, b"after", tok, raw=True)
    t.check("uploads work after the kill", st == 200, (st, b))


def session_lost(t, srv, px):
    s = t.s
    tok, key, v1, etag = _object(t, "session.bin")
    rows, blobs = ts.rows(s), ts.blobs(s)
    px.fail(r"^PUT \S*\?partNumber=3&", "delay", times=1, delay=2)
    th, res = gc.upload_thread(s, key, os.urandom(5 * PART + 100), tok)
    seen = px.wait_for(r"partNumber=3&")
    r = s.psql("SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN "
               "pg_stat_activity a ON a.pid = l.pid WHERE "
               "l.locktype = 'advisory' AND l.granted AND "
               "a.application_name LIKE 'warden-storage[%'")
    t.check("S3 slow on part 3: the uploader's session ended",
            seen is not None and r.stdout.strip() == "t", (seen, r.stdout,
                                                           r.stderr))
    th.join(30)
    st, _, b = res.get("r", (None, {}, b""))
    t.check("the upload then fails: 503 database-unavailable, no row "
            "written on a new session", st == 503 and
            ts.code(b) == "database-unavailable", (st, b))
    t.check("its completed blob removed, its record gone",
            px.open_uploads() == {} and s3.uploads(s) == 0,
            (px.open_uploads(), s3.uploads(s)))
    _same(t, "session lost", tok, key, v1, etag, rows, blobs)
    st, _, b = ts.upload(s, key, b"after", tok, raw=True)
    t.check("the next upload works on a new session", st == 200, (st, b))


def held_row(t, srv, px):
    """The uploads' parts are complete, their rows held up by a lock of
    ours: gc keeps blob and record while the uploader lives."""
    s = t.s
    tok, key, v1, etag = _object(t, "held.bin")

    def stored():
        return {f.split(".")[0] for f in os.listdir(s.s3dir)
                if f.endswith("._S3rver_object")}

    for kill in (False, True):
        what = "killed uploader" if kill else "live uploader"
        data = os.urandom(2 * PART + 10)
        px.reset_log()
        pg, th, res, new = gc.held_upload(t, key, data, tok, stored)
        t.check("%s: its upload completed at S3 and is on record" % what,
                new is not None and s3.uploads(s, "blob = '%s'" % new) == 1
                and px.requests(r"^POST \S*%s\?uploadId=" % new) != [],
                (new, s3.uploads(s), px.requests()))
        pids = gc.lockers(s)
        if kill and pids:
            os.kill(pids[0], signal.SIGKILL)
        time.sleep(1.1)         # S3 times are whole seconds: gc 0 sees it
        r = gc.run_gc(s, "0")
        t.check("%s: gc 0 keeps its blob and its record" % what,
                r.returncode == 0 and new in stored() and
                s3.uploads(s, "blob = '%s'" % new) == 1 and
                re.search(r"in flight [2-9]", r.stdout),
                (r.stdout, r.stderr))
        st, _, b = gc.release(pg, th, res)
        if not kill:
            t.check("live uploader: then stores its version: 200",
                    st == 200 and s3.uploads(s) == 0, (st, b))
            v1 = data
            continue
        t.check("killed uploader: failed, its lock gone", st != 200 and
                gc.wait(lambda: gc.lockers(s) == []), (st, gc.lockers(s)))
        r = gc.run_gc(s, "0")
        t.check("killed uploader: gc 0 then removes its blob and record",
                r.returncode == 0 and new not in stored() and
                s3.uploads(s) == 0, (r.stdout, r.stderr))
    st, _, got = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("the last stored version is served", st == 200 and got == v1,
            (st, len(got)))


def answered_404(t, srv, px):
    """A 404 to a write (the bucket gone, the upload gone at S3, a page
    that is no S3 answer) is the store failing, never "not found" for
    the caller's key; a 404 to an abort without NoSuchUpload proves no
    abort, and the upload stays on record for gc."""
    s = t.s
    tok, key, v1, etag = _object(t, "nf.bin")
    rows, blobs = ts.rows(s), ts.blobs(s)
    for what, pattern, size in (
            ("a one-PUT upload", r"^PUT /%s/[0-9a-f]{32}$" % s3.BUCKET,
             1000),
            ("part 2 of a multipart upload", r"^PUT \S*\?partNumber=2&",
             3 * PART)):
        px.reset_log()
        px.fail(pattern, "404", times=1)
        st, _, b = ts.upload(s, key, os.urandom(size), tok, raw=True)
        px.clear()
        t.check("%s answered 404: 503 storage-unavailable" % what,
                st == 503 and ts.code(b) == "storage-unavailable", (st, b))
        _same(t, what, tok, key, v1, etag, rows, blobs)
    t.check("the part's upload was aborted, nothing left",
            px.open_uploads() == {} and s3.uploads(s) == 0,
            (px.open_uploads(), s3.uploads(s)))
    px.reset_log()
    px.fail(r"^PUT \S*\?partNumber=2&", "503", times=1)
    px.fail(r"^DELETE \S*\?uploadId=", "404", times=1)
    st, _, b = ts.upload(s, key, os.urandom(3 * PART), tok, raw=True)
    px.clear()
    blob, upid = _ids(px, r"partNumber=2&")
    t.check("an abort answered by a page, not S3: the upload stays on "
            "record, its parts at S3", st == 503 and s3.uploads(
                s, "blob = '%s' AND upload_id = '%s'" % (blob, upid)) == 1
            and upid in px.open_uploads(),
            (st, s3.uploads(s), px.open_uploads()))
    r = gc.run_gc(s, "60")
    t.check("...and gc aborts it", r.returncode == 0 and "aborted 1" in
            r.stdout, (r.stdout, r.stderr))
    _aborted(t, "after gc", px, blob, upid)
    _same(t, "after gc", tok, key, v1, etag, rows, blobs)
    # S3 completes the upload and its answer is lost: the request
    # answers 503 and removes what S3 made (no row points at it)
    px.reset_log()
    px.fail(r"^POST \S*\?uploadId=", "lose", times=1)
    st, _, b = ts.upload(s, key, os.urandom(3 * PART), tok, raw=True)
    px.clear()
    t.check("CompleteMultipartUpload answer lost: 503", st == 503 and
            ts.code(b) == "storage-unavailable", (st, b))
    blob, _ = _ids(px, r"^POST \S*\?uploadId=")
    t.check("...and the object S3 completed is deleted at once",
            blob is not None and "DELETE /%s/%s" % (s3.BUCKET, blob) in
            px.requests(), px.requests(r"^(DELETE|POST) "))
    _same(t, "Complete's answer lost", tok, key, v1, etag, rows, blobs)


def blob_lost(t, srv, px):
    """A row whose blob S3 no longer holds (deleted behind Warden's back,
    a bucket restored from an older copy): the read answers 500, and the
    operator's log names the blob, never the key."""
    s = t.s
    tok, key, v1, etag = _object(t, "lost-blob.bin")
    blob = (etag or "").strip('"')
    t.check("its blob deleted at S3 directly",
            s3._s3(srv, "DELETE", blob) == 204, blob)
    mark = ts.log_mark(s)
    st, _, b = s.request("GET", "/storage/o/" + key, ts.auth(tok))
    t.check("row without its blob: 500 internal", st == 500 and
            ts.code(b) == "internal-error", (st, b))
    log = ts.log_since(s, mark, "without its blob")
    t.check("...logged with the blob's name, not the key",
            "object row without its blob " + blob in log and
            key not in log, log.splitlines()[-4:])


def read_races(t, srv, px):
    """A read that finds its row's blob gone because an overwrite or a
    delete committed between its row and its read (the proxy holds the
    read's GET at S3 meanwhile): with a token it reads the overwrite's
    version, or answers the delete's 404; by a signed URL both end the
    URL (403, API.md §7); no loss is logged."""
    from test_storage_sign import sign
    s = t.s
    tok, key, v1, etag = _object(t, "race.bin")
    held = 3.0
    for what, signed in (("overwrite", False), ("delete", False),
                         ("overwrite", True), ("delete", True)):
        label = what + (" under a signed URL" if signed else "")
        if etag is None:            # deleted by the case before
            st, _, b = ts.upload(s, key, v1, tok, raw=True)
            etag = (ts.j(b) or {}).get("etag")
        path, hdrs = "/storage/o/" + key, ts.auth(tok)
        if signed:
            st, _, b = sign(s, key, tok, 60)
            path, hdrs = (ts.j(b) or {}).get("url", path), {}
        blob = (etag or "").strip('"')
        pattern = r"^GET /%s/%s$" % (s3.BUCKET, blob)
        px.reset_log()
        px.fail(pattern, "delay", times=1, delay=held)
        res = {}

        def get():
            res["r"] = s.request("GET", path, hdrs)

        th = threading.Thread(target=get)
        mark = ts.log_mark(s)
        th.start()
        seen = px.wait_for(pattern, 20)
        t0 = time.time()
        v2 = os.urandom(1000)
        if what == "overwrite":
            st, _, b = ts.upload(s, key, v2, tok, raw=True)
            etag = (ts.j(b) or {}).get("etag")
        else:
            st, _, b = s.request("DELETE", "/storage/o/" + key,
                                 ts.auth(tok))
            etag = None
        done = time.time() - t0
        th.join(30)
        px.clear()
        t.check("%s: done while the read's GET was held at S3" % label,
                seen is not None and st in (200, 204) and done < held - 0.5
                and "DELETE /%s/%s" % (s3.BUCKET, blob) in px.requests(),
                (seen, st, b, done, px.requests()))
        gst, gh, got = res.get("r", (None, {}, b""))
        if signed:
            t.check("...the URL is ended: 403", gst == 403,
                    (gst, got[:200]))
        elif what == "overwrite":
            t.check("...the read answers the new version", gst == 200 and
                    got == v2 and gh.get("etag") == etag,
                    (gst, got[:100], gh.get("etag"), etag))
        else:
            t.check("...the read answers 404", gst == 404 and
                    ts.code(got) == "not-found", (gst, got[:200]))
        t.check("...and no blob is logged lost", "without its blob" not in
                ts.log_since(s, mark, "\0"), mark)
