"""What the two test proxies (pgproxy.py, s3proxy.py) share: a listener
on 127.0.0.1 (an ephemeral port) whose connections each pair the
client's socket with one to the upstream, kept in a set so stop() can
end them all, and the closing of sockets."""
import socket
import threading


def hangup(*socks):
    """Shuts each socket down both ways and closes it (None skipped);
    a socket already gone is fine."""
    for s in socks:
        if s is None:
            continue
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


class Conn:
    """One client connection: c, the client's socket; u, the upstream's
    (None until connected). close() ends both, once, and leaves the
    proxy's set. lock also guards whatever a subclass sends on c."""

    def __init__(self, px, c):
        self.px = px
        self.c = c
        self.u = None
        self.closed = False
        self.lock = threading.Lock()

    def start(self):
        threading.Thread(target=self.run, daemon=True).start()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        hangup(self.c, self.u)
        self.px.forget(self)


class Proxy:
    """Accepts connections and makes each self.connection(sock) (a
    Conn), which is kept in conns and started. A subclass sets itself up,
    then calls serve()."""

    def __init__(self, backlog):
        self.lock = threading.Lock()
        self.conns = set()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(backlog)
        self.port = self.lsock.getsockname()[1]

    def serve(self):
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            conn = self.connection(c)
            with self.lock:
                self.conns.add(conn)
            conn.start()

    def forget(self, conn):
        with self.lock:
            self.conns.discard(conn)

    def stop(self):
        hangup(self.lsock)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.close()
