"""S3 fault injection for the end-to-end tests (issue #11), as
pgproxy.py is for PostgreSQL: an HTTP/1.1 proxy between the storage
binary and s3rver that

- records every request ("METHOD target", in order);
- fails the requests whose "METHOD target" matches a regular expression:
  answers 503 ("503"), answers a 404 page that is no S3 answer ("404":
  a load balancer's, a path that is no bucket), closes the connection before forwarding ("drop"),
  forwards the request but loses the answer ("lose": S3 did it, the
  client never hears), holds it for a while and then drops it ("stall":
  a hung S3; the request never reaches s3rver), holds it for a while and
  then forwards it ("delay": a slow S3), or takes all of S3 down from
  that request on ("down");
- down(): S3 unreachable: every request is recorded and its connection
  dropped, until down(False);
- answers what s3rver 3 does not implement, from s3rver's own store
  (<dir>/<bucket>/._S3rver_uploads/<upload id>/, holding "key" and the
  parts): AbortMultipartUpload (DELETE ?uploadId=, which s3rver answers
  405) empties the upload's directory and answers 204, or 404
  NoSuchUpload when there is none (completed or aborted before), as S3
  does; ListMultipartUploads (GET ?uploads, s3rver: 501) lists them.

Everything else passes through byte for byte; request bodies must have
a Content-Length (curl sends one for every S3 call storage makes). The
threads are daemons; stop() ends the listener and the connections."""
import contextlib
import os
import re
import shutil
import socket
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

import proxybase

ERR = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
       "<Message>%s</Message></Error>")


class _Rule:
    def __init__(self, pattern, action, times, delay):
        self.rx = re.compile(pattern)
        self.action = action
        self.times = times
        self.delay = delay


class S3Proxy(proxybase.Proxy):
    def __init__(self, upstream_port, store=None, bucket=None):
        super().__init__(128)
        self.upstream = ("127.0.0.1", upstream_port)
        self.bucket = bucket
        self.uploads = (os.path.join(store, bucket, "._S3rver_uploads")
                        if store and bucket else None)
        self.log = []
        self.rules = []
        self.is_down = False
        self.url = "http://127.0.0.1:%d" % self.port
        self.serve()

    # control -----------------------------------------------------------
    def fail(self, pattern, action="503", times=None, delay=0.0):
        """Applies action to requests matching pattern (re.search on
        "METHOD target"), times times (None: until clear())."""
        with self.lock:
            self.rules.append(_Rule(pattern, action, times, delay))

    def clear(self):
        with self.lock:
            self.rules = []
            self.is_down = False

    def down(self, flag=True):
        with self.lock:
            self.is_down = flag
            conns = list(self.conns) if flag else []
        for c in conns:         # no answer in flight survives an outage
            c.close()

    def requests(self, pattern=None):
        """The requests seen so far, "METHOD target", oldest first."""
        with self.lock:
            seen = list(self.log)
        return [r for r in seen if pattern is None or re.search(pattern, r)]

    def reset_log(self):
        with self.lock:
            self.log = []

    def wait_for(self, pattern, secs=20):
        """The first request matching pattern, waiting for it."""
        end = time.time() + secs
        while time.time() < end:
            got = self.requests(pattern)
            if got:
                return got[0]
            time.sleep(0.05)
        return None

    def open_uploads(self):
        """{upload id: key} of the multipart uploads s3rver still holds."""
        out = {}
        if self.uploads is None or not os.path.isdir(self.uploads):
            return out
        for uid in os.listdir(self.uploads):
            try:
                with open(os.path.join(self.uploads, uid, "key")) as f:
                    out[uid] = f.read()
            except OSError:
                pass
        return out

    # internals ---------------------------------------------------------
    def connection(self, c):
        # even while down: the request is read and recorded (the test
        # sees what was tried), then the connection dropped
        return _Conn(self, c)

    def _decide(self, line):
        """Records line; the rule that applies to it, or None."""
        with self.lock:
            self.log.append(line)
            if self.is_down:
                return _Rule(".", "drop", None, 0)
            for r in self.rules:
                if r.rx.search(line):
                    if r.times is not None:
                        r.times -= 1
                        if r.times <= 0:
                            self.rules.remove(r)
                    if r.action == "down":
                        self.is_down = True
                    return r
        return None

    def _abort(self, path, query):
        """AbortMultipartUpload on s3rver's store: (status, body)."""
        uid = query.get("uploadId", [""])[0]
        key = urllib.parse.unquote(path.split("/", 2)[-1])
        if self.uploads is None:
            return 204, b""
        d = os.path.join(self.uploads, uid)
        # the id must name an upload of this very key, as on S3
        if re.fullmatch(r"[0-9a-f]{1,64}", uid) and \
                self.open_uploads().get(uid) == key:
            # the upload's files go, its directory stays: s3rver may
            # still be writing a part whose request was cut (its write
            # stream opens the file late), and a directory gone under it
            # is an unhandled ENOENT that kills s3rver. Without "key" the
            # directory is no upload (open_uploads, the listing)
            for f in os.listdir(d):
                p = os.path.join(d, f)
                if os.path.isdir(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(p)
            return 204, b""
        return 404, (ERR % ("NoSuchUpload", "The specified upload does "
                            "not exist.")).encode()

    def _list(self, query):
        """ListMultipartUploads from s3rver's store: (status, body)."""
        prefix = query.get("prefix", [""])[0]
        ups = "".join("<Upload><Key>%s</Key><UploadId>%s</UploadId>"
                      "</Upload>" % (escape(k), escape(u))
                      for u, k in sorted(self.open_uploads().items())
                      if k.startswith(prefix))
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<ListMultipartUploadsResult><Bucket>%s</Bucket>"
                "<Prefix>%s</Prefix><IsTruncated>false</IsTruncated>%s"
                "</ListMultipartUploadsResult>" % (
                    escape(self.bucket or ""), escape(prefix), ups))
        return 200, body.encode()

    def _upstream_up(self):
        try:
            socket.create_connection(self.upstream, timeout=2).close()
            return True
        except OSError:
            return False

    def _emulated(self, method, target):
        """1 for what s3rver lacks (answered here), 0 to forward."""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query,
                                  keep_blank_values=True)
        return ((method == "DELETE" and "uploadId" in q) or
                (method == "GET" and "uploads" in q))

    def _emulate(self, method, target):
        """The answer to an _emulated request: (status, body)."""
        u = urllib.parse.urlsplit(target)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if method == "DELETE":
            return self._abort(u.path, q)
        return self._list(q)


class _Conn(proxybase.Conn):
    """One client connection: requests are parsed (to match and record
    them) and forwarded; answers are pumped back unparsed."""

    def __init__(self, px, c):
        super().__init__(px, c)
        self.swallow = False

    def _send(self, data):
        with self.lock:
            if not self.closed:
                self.c.sendall(data)

    def _answer(self, status, body, close=False):
        reason = {200: "OK", 204: "No Content", 404: "Not Found",
                  503: "Service Unavailable"}[status]
        head = "HTTP/1.1 %d %s\r\n" % (status, reason)
        if body:
            head += "Content-Type: application/xml\r\n"
        head += "Content-Length: %d\r\n" % len(body)
        if close:
            head += "Connection: close\r\n"
        self._send(head.encode() + b"\r\n" + body)

    def _pump(self):
        """Upstream to client, unparsed (curl sends one request at a
        time, so these are the answers to what was forwarded)."""
        try:
            while True:
                data = self.u.recv(65536)
                if not data:
                    break
                if self.swallow:
                    break           # the answer is lost
                self._send(data)
        except OSError:
            pass
        self.close()

    def _body(self, f, n, sink):
        while n > 0:
            data = f.read1(min(n, 65536))
            if not data:
                raise EOFError
            n -= len(data)
            if sink is not None:
                sink.sendall(data)

    def run(self):
        f = self.c.makefile("rb")
        try:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = f.readline(65536)
                    if not line:
                        return
                    head += line
                    if len(head) > 65536:
                        return
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                hdrs = {}
                for ln in lines[1:]:
                    if ":" in ln:
                        k, v = ln.split(":", 1)
                        hdrs[k.strip().lower()] = v.strip()
                if "transfer-encoding" in hdrs:
                    return          # not what storage sends
                n = int(hdrs.get("content-length", "0"))
                rule = self.px._decide("%s %s" % (method, target))
                act = rule.action if rule else None
                if act in ("drop", "down"):
                    return
                if act == "503":
                    self._answer(503, (ERR % ("ServiceUnavailable",
                                              "injected")).encode(), True)
                    return
                if act == "404":
                    self._answer(404, b"<html><body>Not Found</body>"
                                 b"</html>", True)
                    return
                if act in ("stall", "delay"):
                    time.sleep(rule.delay)
                    if act == "stall":
                        return
                em = None
                if self.px._emulated(method, target):
                    if not self.px._upstream_up():
                        return      # s3rver down: so is what we add
                    em = self.px._emulate(method, target)
                if em is not None:
                    if hdrs.get("expect", "").lower() == "100-continue":
                        self._send(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self._body(f, n, None)
                    self._answer(em[0], em[1])
                    continue
                if self.u is None:
                    try:
                        self.u = socket.create_connection(self.px.upstream,
                                                          timeout=10)
                        self.u.settimeout(None)
                    except OSError:
                        return      # S3 itself is down
                    threading.Thread(target=self._pump, daemon=True).start()
                if act == "lose":
                    self.swallow = True
                self.u.sendall(head)
                self._body(f, n, self.u)
        except (OSError, EOFError, ValueError, IndexError):
            pass
        finally:
            if not self.swallow:
                self.close()
            else:
                # let the upstream finish the request, then cut
                threading.Timer(5.0, self.close).start()
