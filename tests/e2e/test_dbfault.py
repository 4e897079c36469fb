"""Issue 8 part 3: a statement that may have committed is never replayed.
The database connection breaks at each step of an upload, an overwrite,
a delete, a refresh and a failed login, in two ways:

- terminated: the binary's statement waits on a lock the test holds, and
  the test kills its backend (pg_terminate_backend) there, so the
  statement did not run; then releases the lock;
- lost answer: a proxy between the binaries and PostgreSQL (pgproxy.py)
  lets the statement commit and swallows the answer (ReadyForQuery),
  closing the connection: the binary cannot tell it committed.

After each: the status is one the contract allows for that step, and the
database and the stored objects agree with it; nothing lost, nothing
written twice."""
import contextlib
import json
import os
import threading
import time
import uuid

import pgproxy
import proxybase
from pgproxy import Proxy, lit, owner, socket_path
from test_accounts import claims, email, register
from test_storage import auth, code, token, upload

STEP_WAIT = 5.0      # for the binary to reach the step, and for a kill
REQ_WAIT = 15.0      # for the request to end (Stack.request: 10 s)

WRITE_SQL = {"upload": "INSERT INTO storage.objects",
             "overwrite": "UPDATE storage.objects",
             "delete": "DELETE FROM storage.objects"}
# the first statement of each storage request: the row lookup
SELECT_SQL = "FROM storage.objects"


def in_thread(fn):
    box = {}

    def run():
        try:
            box["r"] = fn()
        except Exception as e:  # reported by the caller
            box["e"] = repr(e)
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, box


def terminated(t, label, locks, match, fire):
    """Holds locks (statements run in one transaction of the owner),
    runs fire() in a thread, waits for a warden_app backend waiting on a
    lock in a statement containing match, terminates it, waits until it
    is gone, releases the locks. fire()'s result, or None."""
    s = t.s
    holder, obs = owner(s), owner(s)
    killed, th, box = None, None, {}
    try:
        holder.query("SET lock_timeout = '5s'")
        holder.query("BEGIN")
        for q in locks:
            holder.query(q)
        th, box = in_thread(fire)
        end = time.time() + STEP_WAIT
        while time.time() < end and th.is_alive():
            pid = obs.value(
                "SELECT pid FROM pg_stat_activity WHERE usename = "
                "'warden_app' AND wait_event_type = 'Lock' AND "
                "position(%s IN query) > 0 LIMIT 1" % lit(match))
            if pid is not None:
                obs.query("SELECT pg_terminate_backend(%s)" % pid)
                killed = pid
                break
            time.sleep(0.02)
        # the statement must be dead before its lock can be granted
        end = time.time() + STEP_WAIT
        while killed is not None and time.time() < end and obs.value(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s" %
                killed) != "0":
            time.sleep(0.02)
    finally:
        try:
            holder.query("ROLLBACK")
        except Exception:
            pass
        holder.close()
        obs.close()
        if th is not None:
            th.join(REQ_WAIT)
    t.check("%s: backend terminated while waiting" % label,
            killed is not None,
            "no warden_app backend waited on a lock in %r" % match)
    t.check("%s: request ended" % label,
            th is not None and not th.is_alive() and "r" in box,
            box.get("e", "still running"))
    return box.get("r") if killed is not None else None


def lost(t, px, label, match, fire):
    """The answer to the first statement containing match is lost after
    the commit; fire()'s result, or None."""
    px.arm(match)
    th, box = in_thread(fire)
    th.join(REQ_WAIT)
    px.disarm()
    cut = px.fired.is_set()
    t.check("%s: answer lost after the commit" % label, cut,
            ("no statement with %r went through the proxy" % match,
             box.get("r", (None, None, b""))[::2]))
    t.check("%s: request ended" % label, not th.is_alive() and "r" in box,
            box.get("e", "still running"))
    return box.get("r") if cut else None


# ---- storage ----

def blob_sets(s, db):
    """(files under the storage directory no row points at, blobs rows
    point at that are not there). fs backend: <dir>/<xx>/<blob>."""
    refs = {r[0] for r in db.query("SELECT blob FROM storage.objects")}
    found = set()
    for _, _, names in os.walk(s.base_env["WARDEN_STORAGE_DIR"]):
        found.update(names)
    return found - refs, refs - found


def storage_case(t, db, kind, step, how, inject):
    """kind: upload (new key), overwrite or delete; step: select (the
    lookup) or write; inject(label, fire) -> response or None."""
    s = t.s
    label = "%s, %s at the %s" % (kind, how, step)
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/%s.bin" % (uid, kind)
    old = b"old:" + os.urandom(24).hex().encode()
    new = b"new:" + os.urandom(32).hex().encode()
    if kind != "upload":
        st, _, b = upload(s, key, old, tok)
        if not t.check("%s: setup upload" % label, st == 200, (st, b)):
            return
    orph0, miss0 = blob_sets(s, db)
    if kind == "delete":
        def fire():
            return s.request("DELETE", "/storage/o/" + key, auth(tok))
    else:
        def fire():
            return upload(s, key, new, tok)
    r = inject(label, fire)
    if r is None:
        return
    st, _, body = r
    done = 204 if kind == "delete" else 200
    # a read is retried: the lookup step always succeeds
    want = (done,) if step == "select" else (done, 503)
    t.check("%s: status %s" % (label, " or ".join(map(str, want))),
            st in want, (st, body[:200]))
    if st == 503:
        t.check("%s: 503 database-unavailable" % label,
                code(body) == "database-unavailable", body[:200])
    n = int(db.value("SELECT count(*) FROM storage.objects WHERE key = "
                     "%s" % lit(key)))
    t.check("%s: 0 or 1 row for the key" % label, n in (0, 1), n)
    orph, miss = blob_sets(s, db)
    t.check("%s: every row's blob exists" % label, not miss - miss0,
            sorted(miss - miss0))
    t.check("%s: no orphan blob" % label, not orph - orph0,
            sorted(orph - orph0))
    gst, _, got = s.request("GET", "/storage/o/" + key, auth(tok))
    if st == done:
        expect = None if kind == "delete" else new
    elif st == 503:
        expect = None if kind == "upload" else old
    else:
        expect = "any"
    if expect is None:
        ok, what = gst == 404 and n == 0, "nothing (404)"
    elif expect == "any":
        ok, what = (gst == 404 and n == 0) or (gst == 200 and n == 1 and
                                                got in (old, new)), \
            "old, new or nothing, whole"
    else:
        ok = gst == 200 and got == expect and n == 1
        what = "the new content" if expect == new else "the old content"
    t.check("%s: reads back %s" % (label, what), ok,
            (st, gst, got[:40], n))


STORAGE_CASES = [(kind, step) for kind in ("upload", "overwrite", "delete")
                 for step in ("select", "write")]


def test_terminate_storage(t):
    db = owner(t.s)
    try:
        for kind, step in STORAGE_CASES:
            if step == "select":
                # ACCESS EXCLUSIVE blocks the lookup itself
                locks = ["LOCK TABLE storage.objects IN ACCESS EXCLUSIVE "
                         "MODE"]
                match = SELECT_SQL
            else:
                # EXCLUSIVE lets the lookup (ACCESS SHARE) through and
                # stops the write (ROW EXCLUSIVE)
                locks = ["LOCK TABLE storage.objects IN EXCLUSIVE MODE"]
                match = WRITE_SQL[kind]
            storage_case(t, db, kind, step, "backend terminated",
                         lambda label, fire, locks=locks, match=match:
                         terminated(t, label, locks, match, fire))
    finally:
        db.close()


# ---- accounts ----

def refresh_case(t, db, label, inject):
    """A refresh whose connection broke: 200 or 503, and the rotation
    happened entirely or not at all."""
    s = t.s
    addr = email()
    st, _, b = register(s, addr)
    if not t.check("%s: setup register" % label, st == 200 and
                   b.get("refresh_token"), (st, b)):
        return
    rt0, uid, sid = b["refresh_token"], b["user"]["id"], \
        claims(b["jwt_token"])["sid"]
    acct = db.value("SELECT id FROM auth.accounts WHERE email = %s" %
                    lit(addr))
    r = inject(label, acct, lambda: s.request(
        "GET", "/auth/token/refresh?refresh_token=" + rt0))
    if r is None:
        return
    st, _, body = r
    try:
        ans = json.loads(body)
    except ValueError:
        ans = {}
    t.check("%s: status 200 or 503" % label, st in (200, 503),
            (st, body[:200]))
    if st == 503:
        t.check("%s: 503 database-unavailable" % label,
                ans.get("code") == "database-unavailable", body[:200])

    def cnt(sql):
        return int(db.value(sql))
    unused = cnt("SELECT count(*) FROM auth.refresh_tokens WHERE "
                 "account_id = %s AND used_at IS NULL" % lit(acct))
    used = cnt("SELECT count(*) FROM auth.refresh_tokens WHERE "
               "account_id = %s AND used_at IS NOT NULL" % lit(acct))
    audits = cnt("SELECT count(*) FROM auth.audit_log WHERE user_id = %s "
                 "AND event = 'refresh'" % lit(uid))
    revoked = cnt("SELECT count(*) FROM auth.revoked_sessions WHERE "
                  "family_id = %s" % lit(sid))
    t.check("%s: exactly one unused refresh token" % label, unused == 1,
            (unused, used))
    t.check("%s: the old token rotated at most once" % label,
            used in (0, 1), used)
    t.check("%s: one refresh audit row per rotation, none twice" % label,
            audits == used, (audits, used))
    t.check("%s: session not revoked" % label, revoked == 0, revoked)
    if st == 200:
        t.check("%s: 200 means rotated" % label, used == 1, used)
        nxt = ans.get("refresh_token", "")
    elif used == 0:
        nxt = rt0           # rolled back: the old token is still good
    else:
        nxt = None          # committed, answer lost: nothing to present
    if nxt:
        st2, _, b2 = s.request("GET", "/auth/token/refresh?refresh_token="
                               + nxt)
        t.check("%s: the live token refreshes" % label, st2 == 200,
                (st2, b2[:200]))


# A gate in front of every insert into auth.refresh_tokens, for this
# file's tests only: each insert takes a shared advisory lock, which
# waits while a holder has the key exclusively (and costs nothing else)
GATE_KEY = 7411
GATE = ("CREATE OR REPLACE FUNCTION public.e2e_gate() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared"
        "(%d); RETURN NEW; END $$; "
        "DROP TRIGGER IF EXISTS e2e_gate ON auth.refresh_tokens; "
        "CREATE TRIGGER e2e_gate BEFORE INSERT ON auth.refresh_tokens "
        "FOR EACH ROW EXECUTE FUNCTION public.e2e_gate()" % GATE_KEY)
UNGATE = ("DROP TRIGGER IF EXISTS e2e_gate ON auth.refresh_tokens; "
          "DROP FUNCTION IF EXISTS public.e2e_gate()")

# refresh: one transaction (BEGIN, lock the account, lock the token,
# mark it used, audit, read the account, insert the new token, COMMIT);
# how to stop each statement (acct is substituted) and the text it runs
REFRESH_STEPS = [
    ("account lock", ["SELECT 1 FROM auth.accounts WHERE id = %(acct)s "
                      "FOR UPDATE"], "FOR SHARE OF a"),
    ("token lock", ["SELECT 1 FROM auth.refresh_tokens WHERE account_id "
                    "= %(acct)s FOR UPDATE"], "FOR UPDATE OF r"),
    ("token update", ["LOCK TABLE auth.refresh_tokens IN SHARE MODE"],
     "UPDATE auth.refresh_tokens"),
    ("audit insert", ["LOCK TABLE auth.audit_log IN SHARE MODE"],
     "INSERT INTO auth.audit_log"),
    ("account read", ["LOCK TABLE auth.account_roles IN ACCESS EXCLUSIVE "
                      "MODE"], "account_roles"),
    # the refresh holds the account FOR SHARE by then, so nothing on
    # the account stops the insert: the gate's advisory lock does
    ("new token insert", ["SELECT pg_advisory_xact_lock(%d)" % GATE_KEY],
     "INSERT INTO auth.refresh_tokens"),
]

# the lost-answer injector: every statement of the refresh, COMMIT last
REFRESH_SQL = [("begin", "BEGIN"), ("account lock", "FOR SHARE OF a"),
               ("token lock", "FOR UPDATE OF r"),
               ("token update", "UPDATE auth.refresh_tokens"),
               ("audit insert", "INSERT INTO auth.audit_log"),
               ("account read", "account_roles"),
               ("new token insert", "INSERT INTO auth.refresh_tokens"),
               ("commit", "COMMIT")]


def failed_login_case(t, db, label, inject, exactly):
    """A failed login whose audit insert broke: still 401, and the
    login_failed row is written at most once (exactly once when it
    committed)."""
    s = t.s
    addr = email()
    r = inject(label, lambda: s.request(
        "POST", "/auth/login", [("Content-Type", "application/json")],
        json.dumps({"email": addr, "password": "wrong password",
                    "cookie": False})))
    if r is None:
        return
    st, _, body = r
    t.check("%s: 401" % label, st == 401, (st, body[:200]))
    n = int(db.value("SELECT count(*) FROM auth.audit_log WHERE event = "
                     "'login_failed' AND subject = sha256(convert_to(%s, "
                     "'UTF8'))" % lit(addr)))
    if exactly:
        t.check("%s: exactly one login_failed row" % label, n == 1, n)
    else:
        t.check("%s: at most one login_failed row" % label, n <= 1, n)


def test_terminate_accounts(t):
    db = owner(t.s)
    try:
        db.query(GATE)
        for step, locks, match in REFRESH_STEPS:
            def inject(label, acct, fire, locks=locks, match=match):
                return terminated(t, label, [q % {"acct": lit(acct)}
                                             for q in locks], match, fire)
            refresh_case(t, db, "refresh, backend terminated at the %s" %
                         step, inject)
        failed_login_case(
            t, db, "failed login, backend terminated at the audit insert",
            lambda label, fire: terminated(
                t, label, ["LOCK TABLE auth.audit_log IN SHARE MODE"],
                "INSERT INTO auth.audit_log", fire), exactly=False)
    finally:
        try:
            db.query(UNGATE)
        finally:
            db.close()


@contextlib.contextmanager
def proxied(t, proxy=Proxy):
    """The binaries reach PostgreSQL through the proxy (TCP to the proxy,
    which connects to the cluster's Unix socket: pg_hba's local trust
    applies, the cluster itself still listens on no TCP port). Gives
    (proxy, an owner session)."""
    s = t.s
    px = proxy(socket_path(s))
    db = owner(s)
    try:
        s.reconfigure(WARDEN_DATABASE_URL=px.url(),
                      WARDEN_LOGIN_MAX_FAILURES_IP="1000000")
        t.check("the binaries connect through the proxy",
                px.accepted > 0 and s.wait_healthy(), px.accepted)
        yield px, db
    finally:
        db.close()
        try:
            s.reconfigure()
        finally:
            px.stop()


def held(t, px, label, mark, sql, fire):
    """On the connection that sends mark, the next statement containing
    sql is held: the client's side closed at once, the statement sent on
    HOLD_SECS later. fire()'s result, or None."""
    px.hold(mark, sql, HOLD_SECS)
    th, box = in_thread(fire)
    th.join(REQ_WAIT)
    done = px.held_done.wait(REQ_WAIT)
    px.disarm()
    t.check("%s: statement held, client cut" % label,
            px.fired.is_set() and done, (px.fired.is_set(), px.held))
    t.check("%s: request ended" % label, not th.is_alive() and "r" in box,
            box.get("e", "still running"))
    # the binary ended the session before reading the outcome, so the
    # held statement never ran; had it been sent, give it time to commit
    t.check("%s: the session was ended before the held statement "
            "arrived" % label, px.held == "refused", px.held)
    if px.held == "sent":
        time.sleep(1.0)
    return box.get("r") if px.fired.is_set() else None


HOLD_SECS = 1.5
HELD_SQL = {"upload": ("INSERT INTO storage.objects", "COMMIT"),
            "overwrite": ("UPDATE storage.objects", "COMMIT"),
            "delete": ("DELETE FROM storage.objects",) * 2}


def test_held_write(t):
    """A write whose COMMIT (or autocommit statement) is still on its way
    to the server when the binary sees the connection break: the binary
    must not read the outcome while the old session can still commit
    (wd_db_settle ends it first). Otherwise an upload removes its blob
    and the late COMMIT makes the row point at it."""
    with proxied(t) as (px, db):
        for kind, (mark, sql) in HELD_SQL.items():
            storage_case(t, db, kind, "write", "statement held",
                         lambda label, fire, mark=mark, sql=sql:
                         held(t, px, label, mark, sql, fire))


def test_lost_answer(t):
    with proxied(t) as (px, db):
        for kind, step in STORAGE_CASES:
            match = SELECT_SQL if step == "select" else WRITE_SQL[kind]
            storage_case(t, db, kind, step, "answer lost",
                         lambda label, fire, match=match:
                         lost(t, px, label, match, fire))
        for step, match in REFRESH_SQL:
            refresh_case(t, db, "refresh, answer lost at the %s" % step,
                         lambda label, acct, fire, match=match:
                         lost(t, px, label, match, fire))
        failed_login_case(
            t, db, "failed login, answer lost at the audit insert",
            lambda label, fire: lost(t, px, label,
                                     "INSERT INTO auth.audit_log", fire),
            exactly=True)


def test_stale_plan(t):
    """wd_db prepares statements once per connection; a migration that
    changes a column's type under one makes PostgreSQL refuse the old
    plan ("cached plan must not change result type", 0A000): the read is
    prepared afresh and answered, not a 500."""
    s = t.s
    uid = str(uuid.uuid4())
    tok = token(s, uid)
    key = "user/%s/plan.bin" % uid
    data = b"plan:" + os.urandom(16).hex().encode()
    st, _, b = upload(s, key, data, tok)
    if not t.check("stale plan: setup upload", st == 200, (st, b)):
        return

    def reads(label):
        # enough reads that every process of storage's read pool
        # prepared the lookup
        got = [s.request("GET", "/storage/o/" + key, auth(tok))
               for _ in range(16)]
        bad = [(st, body[:120]) for st, _, body in got
               if st != 200 or body != data]
        t.check("stale plan: %s: every read answers the object" % label,
                not bad, bad[:2])

    def writes(label):
        # the row write runs in a transaction, where a stale plan cannot
        # be retried; the lookup before it (outside) drops the process's
        # plans first, and at worst a write fails once per process (4)
        got = [upload(s, key, data, tok)[0] for _ in range(16)]
        bad = [st for st in got if st != 200]
        t.check("stale plan: %s: at most one failed write per process" %
                label, len(bad) <= 4 and got[-1] == 200, got)

    reads("before")
    writes("before")
    try:
        r = s.psql("ALTER TABLE storage.objects ALTER COLUMN content_type "
                   "TYPE varchar(300)")
        t.check("stale plan: the column changed type", r.returncode == 0,
                r.stderr)
        writes("after a column changed type")
        reads("after a column changed type")
    finally:
        s.psql("ALTER TABLE storage.objects ALTER COLUMN content_type "
               "TYPE text")
    reads("after it changed back")


class _CommitThenGone(pgproxy._Conn):
    """After the armed statement, the COMMIT's answer (ReadyForQuery,
    idle) is swallowed and the proxy stops listening: the binary cannot
    learn on a new session that its row did commit."""

    def _down(self):
        f = self.u.makefile("rb")
        try:
            while True:
                typ, body = pgproxy._read_msg(f)
                if typ == b"Z" and self.cut_pending and body == b"I":
                    proxybase.hangup(self.px.lsock)
                    self.px._cut(self)
                    return
                self.c.sendall(typ + (len(body) + 4).to_bytes(4, "big") +
                               body)
        except Exception:
            pass
        finally:
            self.close()


class _GoneProxy(Proxy):
    def connection(self, c):
        c.settimeout(None)
        self.accepted += 1
        return _CommitThenGone(self, c)


def test_commit_lost_and_database_gone(t):
    """An upload whose row COMMIT did commit, its answer lost, and the
    database unreachable to settle it: the blob a row may point at stays
    (the request cannot tell, and the sweep settles it later)."""
    s = t.s
    with proxied(t, _GoneProxy) as (px, db):
        uid = str(uuid.uuid4())
        tok = token(s, uid)
        key = "user/%s/gone.bin" % uid
        px.arm("INSERT INTO storage.objects")
        th, box = in_thread(lambda: upload(s, key, b"data" * 10, tok))
        th.join(REQ_WAIT)
        rows = db.query("SELECT blob FROM storage.objects WHERE key = %s"
                        % lit(key))
        _, missing = blob_sets(s, db)
        t.check("setup: the row committed, its answer lost",
                px.fired.is_set() and len(rows) == 1, (rows, box))
        t.check("the committed row's blob is still there",
                rows and rows[0][0] not in missing, (rows, missing))
