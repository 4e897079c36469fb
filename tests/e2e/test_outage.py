"""Issue 10: a database outage is not a logout (API.md §5.1). PostgreSQL
is stopped and started again under load, without restarting Warden: a
thread hammers GET /hook with a token that names a session, another
samples a token without one, storage is asked with the session's token
while the database is down. Expected: never 401; 503
revocation-unavailable within about a second of the stop; 200 again
within about a second of the start. The statuses seen in each phase and
the measured delays are printed in the checks' names. Every wait is
bounded."""
import http.client
import json
import os
import threading
import time
import uuid

from test_hook import payload

WARM = 1.0          # s of load before the stop
DOWN = 4.0          # s the database stays down
AFTER = 4.0         # s of load after the start
# s allowed beyond the 1 s promise: the checks tell a feed's heartbeat
# and backoff (about a second) from a connect or read timeout (many
# seconds); a CI machine's two shared, noisy CPUs need the margin
SLACK = 1.5
SLOWEST = 1.0       # s: no answer waits for the reconnect


class Hammer(threading.Thread):
    """GET /hook with one token over a keep-alive connection, as Hasura
    calls it, recording (time, status, code) until stopped."""

    def __init__(self, s, token, pause=0.0):
        super().__init__(daemon=True)
        self.s, self.token, self.pause = s, token, pause
        self.seen = []
        self.halt = threading.Event()

    def run(self):
        c = None
        while not self.halt.is_set():
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", self.s.port,
                                                   timeout=5)
                t0 = time.time()
                c.request("GET", "/hook", headers={
                    "Authorization": "Bearer " + self.token,
                    "User-Agent": "hasura-graphql-engine/v2.36.0",
                    "x-request-id": str(uuid.uuid4())})
                r = c.getresponse()
                body = r.read()
                code = None
                if r.status != 200:
                    try:
                        code = json.loads(body).get("code")
                    except ValueError:
                        pass
                self.seen.append((time.time(), r.status, code))
                self.slow = max(getattr(self, "slow", 0.0),
                                time.time() - t0)
                if t0 >= getattr(self, "mark", float("inf")):
                    self.slow_down = max(getattr(self, "slow_down", 0.0),
                                         time.time() - t0)
            except (OSError, http.client.HTTPException) as e:
                self.seen.append((time.time(), "error:%s" %
                                  type(e).__name__, None))
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.01)
            if self.pause:
                time.sleep(self.pause)
        if c is not None:
            c.close()


def counts(seen, t0, t1):
    out = {}
    for t, st, _ in seen:
        if t0 <= t < t1:
            out[st] = out.get(st, 0) + 1
    return out


def fmt(c):
    return ",".join("%s:%d" % (k, c[k]) for k in sorted(c, key=str)) or "-"


def test_database_outage_under_load(t):
    s = t.s
    uid = str(uuid.uuid4())
    sidtok = s.mint(payload(uid, life=600, sid=str(uuid.uuid4())))
    plain = s.mint(payload(uid, life=600))
    log = os.path.join(s.run, "log", "postgresql.log")
    hot = Hammer(s, sidtok)
    cold = Hammer(s, plain, pause=0.05)
    storage = []
    started = False
    try:
        hot.start()
        cold.start()
        time.sleep(WARM)
        t_stop0 = time.time()
        hot.mark = t_stop0
        r = s.pg_ctl("stop", "-m", "fast", "-w")
        t_stop1 = time.time()
        t.check("postgres stopped (%.2f s)" % (t_stop1 - t_stop0),
                r.returncode == 0, r.stderr)
        # storage checks the same revocation feed before its own query
        while time.time() < t_stop1 + DOWN - 0.3:
            time.sleep(0.3)
            if time.time() > t_stop1 + 1.5 and not storage:
                st, _, b = s.request(
                    "GET", "/storage/o/user/%s/none.txt" % uid,
                    [("Authorization", "Bearer " + sidtok)])
                storage.append((st, b[:200]))
        time.sleep(max(0.0, t_stop1 + DOWN - time.time()))
        t_start0 = time.time()
        r = s.pg_ctl("start", "-w", "-l", log)
        t_start1 = time.time()
        started = r.returncode == 0
        t.check("postgres started again (%.2f s)" % (t_start1 - t_start0),
                started, r.stderr)
        time.sleep(AFTER)
    finally:
        hot.halt.set()
        cold.halt.set()
        hot.join(10)
        cold.join(10)
        if not started:
            s.pg_ctl("start", "-w", "-l", log)
    seen = hot.seen
    before = counts(seen, 0, t_stop0)
    down = counts(seen, t_stop0, t_start0)
    after = counts(seen, t_start0, float("inf"))
    t.check("load: %d requests (before %s | down %s | after %s)" % (
        len(seen), fmt(before), fmt(down), fmt(after)), len(seen) > 100,
        len(seen))
    t.check("before the stop: all 200", set(before) == {200}, before)
    t.check("never 401, nor anything but 200 and 503, at any time",
            set(before) | set(down) | set(after) <= {200, 503},
            (before, down, after))
    first503 = next((x for x in seen if x[1] == 503 and x[0] >= t_stop0),
                    None)
    delay = first503[0] - t_stop1 if first503 else None
    t.check("first 503 %s after the stop completed, %s after it began "
            "(limit 1 s + %.1f)" % (
                "%.2f s" % delay if delay is not None else "never",
                "%.2f s" % (first503[0] - t_stop0) if first503 else "-",
                SLACK),
        delay is not None and delay <= 1.0 + SLACK, (t_stop0, t_stop1,
                                                      first503))
    t.check("503s are revocation-unavailable",
            all(x[2] == "revocation-unavailable" for x in seen
                if x[1] == 503), [x for x in seen if x[1] == 503][:3])
    # each process's feed goes stale on its own heartbeat, so 200s may
    # still mix in until one second after the stop; not after it
    late = counts(seen, t_stop1 + 1.0 + SLACK, t_start0)
    t.check("from 1 s (+ %.1f) after the stop to the start: only 503 "
            "(%s)" % (SLACK, fmt(late)), set(late) == {503}, late)
    slow = getattr(hot, "slow_down", None)
    t.check("requests never wait for the reconnect: slowest answer after "
            "the stop %s (limit %.1f s)" % ("%.0f ms" % (slow * 1000)
                                           if slow is not None else "-",
                                           SLOWEST),
            slow is not None and slow < SLOWEST, slow)
    # recovery: each process's feed reconnects on its own backoff, so
    # the first 200 comes from the quickest and the last 503 from the
    # slowest; the promise is about the slowest
    back = next((x for x in seen if x[1] == 200 and x[0] >= t_start0),
                None)
    last503 = max((x[0] for x in seen if x[1] == 503 and x[0] >= t_start0),
                  default=t_start0)
    done = max(last503, back[0]) if back else float("inf")
    rec = done - t_start1
    t.check("back to 200: first %s, every process %.2f s after the start "
            "completed (%.2f s after it began; limit 1 s + %.1f)" % (
                "%.2f s" % (back[0] - t_start1) if back else "never",
                rec, done - t_start0, SLACK),
            back is not None and rec <= 1.0 + SLACK, (t_start1, back,
                                                      last503))
    tail = counts(seen, t_start1 + 1.0 + SLACK, float("inf"))
    t.check("from 1 s (+ %.1f) after the start: only 200 (%s)" % (
        SLACK, fmt(tail)), set(tail) == {200}, tail)
    c = counts(cold.seen, 0, float("inf"))
    t.check("token without sid: 200 throughout (%s)" % fmt(c),
            set(c) == {200}, c)
    scode = None
    if storage:
        try:
            scode = json.loads(storage[0][1]).get("code")
        except ValueError:
            pass
    t.check("storage during the outage: 503 %s, not 401 (%s)" % (
        scode, storage[0][0] if storage else "not asked"),
        bool(storage) and storage[0][0] == 503 and
        scode == "revocation-unavailable", storage)
    st, _, b = s.request("GET", "/healthz", [])
    t.check("healthz back", st == 200, (st, b))


def test_revocation_while_feed_reconnects(t):
    """The feed's connections are cut (pg_terminate_backend) and a
    session is revoked at once, while the feed may be between
    connections: the reload on reconnect (LISTEN first, then the load)
    must not lose it. Refused within 1 s (+ slack), 401."""
    s = t.s
    sid = str(uuid.uuid4())
    tok = s.mint(payload(life=600, sid=sid))
    st, _, b = s.request("GET", "/hook", [("Authorization", "Bearer " + tok)])
    t.check("session accepted before", st == 200, (st, b))
    r = s.psql("SELECT count(pg_terminate_backend(pid)) FROM "
               "pg_stat_activity WHERE application_name = "
               "'warden-revoke'")
    n = int(r.stdout.strip() or 0)
    r2 = s.psql("INSERT INTO auth.revoked_sessions (family_id, expires_at) "
                "VALUES ('%s', now() + interval '1 hour')" % sid)
    t0 = time.time()
    t.check("feed connections cut (%d) and the session revoked" % n,
            n >= 1 and r2.returncode == 0, (r.stdout, r.stderr, r2.stderr))
    seen = set()
    st = None
    while time.time() < t0 + 1.0 + SLACK:
        st, _, b = s.request("GET", "/hook",
                             [("Authorization", "Bearer " + tok)])
        seen.add(st)
        if st == 401:
            break
        time.sleep(0.02)
    # both hook processes must know: ask a few more times
    rest = set()
    for _ in range(10):
        st2, _, _ = s.request("GET", "/hook",
                              [("Authorization", "Bearer " + tok)])
        rest.add(st2)
    t.check("revoked session refused %.2f s after the revocation "
            "(statuses %s, then %s)" % (time.time() - t0, sorted(seen),
                                         sorted(rest)),
            st == 401 and rest == {401} and seen <= {200, 401},
            (seen, rest))
