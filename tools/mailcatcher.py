#!/usr/bin/env python3
"""Development mail catcher (API.md section 1): a small SMTP server
(RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, QUIT) that
accepts every message and stores it unaltered (RFC 5322, headers
included, dot-stuffing undone) as DIR/<n>.eml, n counting up from the
highest number already there. Nothing is relayed.

    mailcatcher.py --dir run/mail [--host 127.0.0.1] [--port 2525]
                   [--pidfile FILE]

The pid file is written once the port is bound (so "pid file present"
means "accepting"), and removed on SIGTERM/SIGINT. The end-to-end tests
use the same server in-process (MailCatcher, tests/e2e/smtp_sink.py).
Only for 127.0.0.1: there is no authentication and no TLS.
"""
import argparse
import asyncio
import os
import re
import signal
import sys
import threading

MAX_LINE = 1000             # RFC 5321 4.5.3.1.6: text line, CRLF included
MAX_CMD = 512               # 4.5.3.1.4: command line
MAX_MSG = 10 * 1024 * 1024  # advertised with SIZE
MAX_RCPT = 100              # 4.5.3.1.8
IDLE = 300                  # seconds: 4.5.3.2.7 server timeout

PATH_RE = re.compile(r"^(?:FROM|TO):\s*<([^<>\s]*)>(?:\s+\S+)*\s*$", re.I)


class Store:
    """Numbered .eml files in a directory, and/or a list in memory."""

    def __init__(self, directory=None, keep=False, on_message=None):
        self.dir = directory
        self.keep = keep
        self.on_message = on_message
        self.messages = []
        self.lock = threading.Lock()
        self.n = 0
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            for f in os.listdir(directory):
                m = re.fullmatch(r"(\d+)\.eml", f)
                if m:
                    self.n = max(self.n, int(m.group(1)))

    def put(self, sender, rcpts, data):
        with self.lock:
            self.n += 1
            n = self.n
            if self.dir:
                # write then rename: a reader never sees half a message
                tmp = os.path.join(self.dir, ".%d.tmp" % n)
                # mails carry tickets: for the stack's user alone
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.rename(tmp, os.path.join(self.dir, "%d.eml" % n))
            if self.keep:
                self.messages.append({"n": n, "from": sender,
                                      "to": list(rcpts), "data": data})
        if self.on_message:
            self.on_message(n, sender, rcpts, data)
        return n


class Session:
    def __init__(self, store, reader, writer, log):
        self.store, self.r, self.w, self.log = store, reader, writer, log
        self.reset()

    def reset(self):
        self.sender, self.rcpts = None, []

    async def send(self, line):
        self.w.write(line.encode() + b"\r\n")
        await self.w.drain()

    async def readline(self, cap):
        """One line up to CRLF (or LF); b"" when it is over cap bytes.
        Raises at EOF or after IDLE seconds of silence."""
        line = await asyncio.wait_for(self.r.readuntil(b"\n"), IDLE)
        if len(line) > cap:
            return b""
        return line

    async def data(self):
        """The message after DATA, dot-stuffing undone (4.5.2)."""
        out, size, too_long = [], 0, False
        while True:
            line = await asyncio.wait_for(self.r.readuntil(b"\n"), IDLE)
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size > MAX_MSG or len(line) > MAX_LINE:
                too_long = True
            if not too_long:
                out.append(line)
        return None if too_long else b"".join(out)

    async def run(self):
        await self.send("220 localhost Warden mail catcher ESMTP")
        while True:
            try:
                raw = await self.readline(MAX_CMD)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError, ConnectionError):
                return
            if raw == b"":
                await self.send("500 line too long")
                continue
            cmd = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = cmd.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reset()
                self.w.write(b"250-localhost\r\n250-8BITMIME\r\n"
                             b"250-SMTPUTF8\r\n250-SIZE %d\r\n"
                             b"250 HELP\r\n" % MAX_MSG)
                await self.w.drain()
            elif verb == "HELO":
                self.reset()
                await self.send("250 localhost")
            elif verb == "MAIL":
                m = PATH_RE.match(arg)
                if self.sender is not None:
                    await self.send("503 5.5.1 nested MAIL")
                elif not m or not arg.upper().startswith("FROM:"):
                    await self.send("501 5.5.4 syntax: MAIL FROM:<address>")
                else:
                    self.sender, self.rcpts = m.group(1), []
                    await self.send("250 2.1.0 ok")
            elif verb == "RCPT":
                m = PATH_RE.match(arg)
                if self.sender is None:
                    await self.send("503 5.5.1 need MAIL first")
                elif not m or not m.group(1) or \
                        not arg.upper().startswith("TO:"):
                    await self.send("501 5.5.4 syntax: RCPT TO:<address>")
                elif len(self.rcpts) >= MAX_RCPT:
                    await self.send("452 4.5.3 too many recipients")
                else:
                    self.rcpts.append(m.group(1))
                    await self.send("250 2.1.5 ok")
            elif verb == "DATA":
                if not self.rcpts:
                    await self.send("503 5.5.1 need RCPT first")
                    continue
                await self.send("354 end data with <CRLF>.<CRLF>")
                try:
                    msg = await self.data()
                except (asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ConnectionError):
                    return
                if msg is None:
                    await self.send("552 5.3.4 message too big")
                else:
                    n = self.store.put(self.sender, self.rcpts, msg)
                    self.log("stored %d.eml (%d bytes)" % (n, len(msg)))
                    await self.send("250 2.0.0 queued as %d" % n)
                self.reset()
            elif verb == "RSET":
                self.reset()
                await self.send("250 2.0.0 ok")
            elif verb == "NOOP":
                await self.send("250 2.0.0 ok")
            elif verb == "VRFY":
                await self.send("252 2.5.0 cannot verify")
            elif verb == "QUIT":
                await self.send("221 2.0.0 bye")
                return
            else:
                await self.send("502 5.5.2 not implemented")


class MailCatcher:
    """The server on an asyncio loop of its own thread (for tests), or in
    the foreground (serve_forever, the program)."""

    def __init__(self, host="127.0.0.1", port=0, directory=None,
                 keep=False, on_message=None, log=None):
        self.host, self.port = host, port
        self.store = Store(directory, keep, on_message)
        self.log = log or (lambda s: None)
        self.loop = None
        self.server = None
        self.thread = None

    async def _handle(self, reader, writer):
        try:
            await Session(self.store, reader, writer, self.log).run()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _start(self):
        self.server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=MAX_MSG,
            reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    def start(self):
        """Binds and serves in a daemon thread; returns once bound."""
        ready = threading.Event()

        def main():
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self._start())
            ready.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def close(self):
        if self.loop is None:
            return

        async def stop():
            self.server.close()
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.loop = None

    def serve_forever(self, pidfile=None):
        async def main():
            await self._start()
            stop = asyncio.get_running_loop().create_future()
            for sig in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(
                    sig, lambda: stop.done() or stop.set_result(None))
            if pidfile:
                with open(pidfile + ".tmp", "w") as f:
                    f.write("%d\n" % os.getpid())
                os.rename(pidfile + ".tmp", pidfile)
            self.log("listening on %s:%d, storing in %s" %
                     (self.host, self.port, self.store.dir))
            await stop
            self.server.close()
        try:
            asyncio.run(main())
        finally:
            if pidfile:
                try:
                    os.unlink(pidfile)
                except FileNotFoundError:
                    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--pidfile")
    a = ap.parse_args()

    def log(s):
        print("mailcatcher: " + s, flush=True)
    try:
        MailCatcher(a.host, a.port, a.dir, log=log).serve_forever(a.pidfile)
    except OSError as e:
        print("mailcatcher: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
