"""A minimal SMTP server for tests (RFC 5321 subset: EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT). Messages are kept in memory so a test can
read the activation mail Warden sent through libcurl."""
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.send("220 sink ESMTP")
        rcpt, sender = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            up = cmd.upper()
            if up.startswith("EHLO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif up.startswith("HELO"):
                self.send("250 sink")
            elif up.startswith("MAIL FROM:"):
                sender, rcpt = cmd[10:].strip(), []
                self.send("250 ok")
            elif up.startswith("RCPT TO:"):
                rcpt.append(cmd[8:].strip().strip("<>"))
                self.send("250 ok")
            elif up == "DATA":
                self.send("354 go ahead")
                data = []
                while True:
                    dl = self.rfile.readline()
                    if not dl or dl in (b".\r\n", b".\n"):
                        break
                    if dl.startswith(b".."):
                        dl = dl[1:]
                    data.append(dl)
                self.server.sink.store(sender, rcpt,
                                       b"".join(data).decode("utf-8",
                                                             "replace"))
                self.send("250 queued")
            elif up == "QUIT":
                self.send("221 bye")
                return
            elif up in ("RSET", "NOOP"):
                self.send("250 ok")
            else:
                self.send("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.srv = _Server(("127.0.0.1", 0), _Handler)
        self.srv.sink = self
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    def store(self, sender, rcpt, data):
        head, _, body = data.partition("\r\n\r\n")
        headers = {}
        for h in head.split("\r\n"):
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        with self.lock:
            self.messages.append({"from": sender, "to": rcpt,
                                  "headers": headers, "body": body})

    def for_rcpt(self, addr):
        with self.lock:
            return [m for m in self.messages if addr in m["to"]]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
