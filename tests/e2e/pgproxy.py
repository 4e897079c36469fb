"""PostgreSQL fault injection for the end-to-end tests (issue 8):

- PgConn, a minimal client of the wire protocol (simple queries, trust
  authentication over the stack's Unix socket): the test's own sessions,
  e.g. one holding a lock while another terminates a waiting backend,
  without a psql process per poll;
- Proxy, a TCP proxy between the binaries and PostgreSQL that can lose
  the answer to a statement after the server has committed it: armed
  with a piece of SQL, it watches what the clients send (Parse and Query
  messages), and on the connection that sent it swallows the server's
  ReadyForQuery that follows (the statement's implicit transaction, or
  the COMMIT, is done by then) and closes both sides. It cuts once per
  arm(), one connection only. Or, armed with hold(), it marks the
  connection that sends one piece of SQL and holds the next statement
  containing another (a COMMIT, say): the client's side is closed at
  once and the statement reaches the server only after a delay, so the
  client cannot tell whether, or when, it will commit.

The test's own sessions have socket timeouts; the proxy's pumping
threads are daemons that stop() (or either side closing) ends."""
import os
import socket
import threading
import time

import proxybase

PROTO_V3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


class PgError(Exception):
    pass


def _int32(b):
    return int.from_bytes(b, "big", signed=True)


def _read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) != n:
        raise EOFError("connection closed")
    return data


def _read_msg(f):
    """One typed message: (type byte, body without the length)."""
    typ = _read_exact(f, 1)
    n = _int32(_read_exact(f, 4))
    if n < 4:
        raise PgError("bad message length %d" % n)
    return typ, _read_exact(f, n - 4)


def _error_text(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return "%s %s" % (fields.get("C", "?"), fields.get("M", ""))


def socket_path(stack):
    """The Unix socket of the stack's cluster (lighttpd/stack.sh)."""
    return os.path.join(stack.run, "sock", ".s.PGSQL.5432")


def lit(s):
    """An SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


class PgConn:
    """A session of the given role over the Unix socket (trust)."""

    def __init__(self, path, user="warden", database="warden",
                 timeout=15.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.f = self.sock.makefile("rb")
        params = b""
        for k, v in (("user", user), ("database", database),
                     ("application_name", "warden-e2e")):
            params += k.encode() + b"\0" + v.encode() + b"\0"
        body = PROTO_V3.to_bytes(4, "big") + params + b"\0"
        self.sock.sendall((len(body) + 4).to_bytes(4, "big") + body)
        self.pid = None
        while True:
            typ, body = _read_msg(self.f)
            if typ == b"R":
                if _int32(body[:4]) != 0:
                    raise PgError("authentication method %d not "
                                  "supported" % _int32(body[:4]))
            elif typ == b"E":
                raise PgError(_error_text(body))
            elif typ == b"K":
                self.pid = _int32(body[:4])
            elif typ == b"Z":
                break

    def query(self, sql):
        """Runs sql (simple protocol); the rows of its last result as
        lists of str (None for NULL). PgError on an SQL error."""
        q = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + (len(q) + 4).to_bytes(4, "big") + q)
        rows, err = [], None
        while True:
            typ, body = _read_msg(self.f)
            if typ == b"T":
                rows = []
            elif typ == b"D":
                n = int.from_bytes(body[:2], "big")
                pos, row = 2, []
                for _ in range(n):
                    ln = _int32(body[pos:pos + 4])
                    pos += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(body[pos:pos + ln].decode())
                        pos += ln
                rows.append(row)
            elif typ == b"E":
                err = _error_text(body)
            elif typ == b"Z":
                break
        if err is not None:
            raise PgError(err)
        return rows

    def value(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows and rows[0] else None

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def owner(stack):
    """A session of the schema owner (a superuser: may terminate
    backends and take any lock)."""
    return PgConn(socket_path(stack), "warden", "warden")


class _Conn(proxybase.Conn):
    """One client connection through the proxy: two pumping threads."""

    def __init__(self, px, client):
        super().__init__(px, client)
        self.cut_pending = False
        self.hold_next = None   # hold(): the SQL to hold on this one
        self.holding = False    # the client side is closed, held
        self.stmts = {}     # prepared statement name -> its text

    def run(self):
        try:
            self.u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.u.connect(self.px.upstream)
        except OSError:
            self.close()
            return
        threading.Thread(target=self._down, daemon=True).start()
        self._up()

    def _up(self):
        """Client to server: the untyped startup, then typed messages."""
        f = self.c.makefile("rb")
        try:
            while True:
                hdr = _read_exact(f, 4)
                body = _read_exact(f, _int32(hdr) - 4)
                code = _int32(body[:4])
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    self.c.sendall(b"N")    # no encryption: try again
                    continue
                self.u.sendall(hdr + body)
                if code == CANCEL_REQUEST:
                    return
                break
            while True:
                typ, body = _read_msg(f)
                text = None
                if typ == b"P" and not body.startswith(b"\0"):
                    # a named statement (wd_db prepares each once per
                    # connection): it runs at its Bind, not here
                    name, rest = body.split(b"\0", 1)
                    self.stmts[name] = rest
                elif typ == b"B":
                    name = body.split(b"\0", 2)[1]
                    if name:
                        text = self.stmts.get(name, b"")
                elif typ in (b"P", b"Q"):
                    text = body
                msg = typ + (len(body) + 4).to_bytes(4, "big") + body
                if text is not None:
                    self.px._match(self, text)
                    self.px._match_hold(self, text)
                    # held where it runs: a Bind or a simple Query
                    if typ != b"P" and self.hold_next is not None and \
                            self.hold_next in text:
                        self._hold(f, typ, msg)
                        return
                self.u.sendall(msg)
        except (OSError, EOFError, PgError, ValueError):
            pass
        finally:
            if not self.holding:
                self.close()

    def _hold(self, f, typ, msg):
        """Holds msg (with the rest of its extended-protocol batch, up
        to Sync), closes the client's side, sends it on after the delay;
        the server's answers go nowhere."""
        if typ != b"Q":
            while not msg.endswith(b"S\0\0\0\4"):
                t2, b2 = _read_msg(f)
                msg += t2 + (len(b2) + 4).to_bytes(4, "big") + b2
        self.holding = True
        proxybase.hangup(self.c)
        self.px.fired.set()
        time.sleep(self.px.hold_delay)
        try:
            self.u.sendall(msg)
            self.px.held = "sent"
        except OSError:
            self.px.held = "refused"    # the server ended the session
        self.px.held_done.set()

    def _down(self):
        """Server to client: forwarded message by message, except the
        ReadyForQuery after the armed statement."""
        f = self.u.makefile("rb")
        try:
            while True:
                typ, body = _read_msg(f)
                if typ == b"Z" and self.cut_pending:
                    self.px._cut(self)
                    return
                if self.holding:
                    if typ == b"Z" and self.px.held == "sent":
                        return      # the held statement has run
                    continue
                self.c.sendall(typ + (len(body) + 4).to_bytes(4, "big") +
                               body)
        except (OSError, EOFError, PgError, ValueError):
            pass
        finally:
            self.close()


class Proxy(proxybase.Proxy):
    """Listens on 127.0.0.1 (an ephemeral port), connects each client to
    the cluster's Unix socket (so pg_hba's local rules apply; no TCP
    reaches PostgreSQL)."""

    def __init__(self, upstream):
        super().__init__(64)
        self.upstream = upstream
        self.armed = None
        self.marked = None      # the connection that sent the armed SQL
        self.matched = None     # the statement text that matched
        self.fired = threading.Event()
        self.hold_mark = self.hold_sql = None
        self.hold_delay = 0.0
        self.held = None
        self.held_done = threading.Event()
        self.accepted = 0
        self.serve()

    def url(self, user="warden_app", database="warden"):
        return ("postgresql://%s@127.0.0.1:%d/%s?sslmode=disable&"
                "gssencmode=disable" % (user, self.port, database))

    def arm(self, sql_part):
        """Cut the next connection that sends a statement containing
        sql_part, once its ReadyForQuery arrives (after the commit)."""
        with self.lock:
            self.armed = sql_part.encode()
            self.marked = None
            self.matched = None
            self.fired.clear()

    def hold(self, mark, sql, delay):
        """On the next connection that sends a statement containing
        mark, hold the next statement containing sql for delay seconds
        (see the module's text). held_done is set once it was sent on
        (held = "sent") or could not be (held = "refused": the server
        had ended the session)."""
        with self.lock:
            self.hold_mark = mark.encode()
            self.hold_sql = sql.encode()
            self.hold_delay = delay
            self.held = None
            self.held_done.clear()
            self.fired.clear()

    def disarm(self):
        with self.lock:
            self.armed = None
            self.hold_mark = None
            if self.marked is not None and not self.fired.is_set():
                self.marked.cut_pending = False

    def connection(self, c):
        c.settimeout(None)
        self.accepted += 1      # only the accepting thread counts
        return _Conn(self, c)

    def _match(self, conn, body):
        with self.lock:
            if self.armed is not None and self.marked is None and \
                    self.armed in body:
                self.marked = conn
                self.matched = body.decode("utf-8", "replace")
                conn.cut_pending = True

    def _match_hold(self, conn, body):
        with self.lock:
            if self.hold_mark is not None and self.hold_mark in body:
                conn.hold_next = self.hold_sql
                self.hold_mark = None

    def _cut(self, conn):
        with self.lock:
            self.armed = None
        # before the close: the client answers as soon as it sees it
        self.fired.set()
        conn.close()

