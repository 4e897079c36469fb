"""One binary on its own, without a web server: spawned by spawn-fcgi with
its own configuration file and asked over FastCGI, the way lighttpd asks
it. For configurations the whole stack cannot run, such as a webhook that
only verifies (an RS* public key: every account binary refuses to start
without a key that signs, so lighttpd spawning them all would fail)."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

from stack import recv_all

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1


def _record(rtype, content=b"", rid=1):
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), 0) + content


def _pair(k, v):
    out = b""
    for n in (len(k), len(v)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + k + v


def ask(sock, params, body=b""):
    """One request on a fresh connection; returns (status, headers with
    lower-case names, body) from the binary's CGI-style answer."""
    enc = b"".join(_pair(k.encode(), v.encode()) for k, v in params.items())
    msg = _record(BEGIN, struct.pack(">HB5x", RESPONDER, 0))
    msg += _record(PARAMS, enc) + _record(PARAMS)
    for i in range(0, len(body), 65535):     # a record holds 64 KiB - 1
        msg += _record(STDIN, body[i:i + 65535])
    msg += _record(STDIN)
    out = b""
    with socket.socket(socket.AF_UNIX) as c:
        c.settimeout(10)
        c.connect(sock)
        c.sendall(msg)
        buf = recv_all(c)
        while len(buf) >= 8:
            _, rtype, _, clen, plen = struct.unpack(">BBHHBx", buf[:8])
            if rtype == STDOUT:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == END:
                break
    head, _, data = out.partition(b"\r\n\r\n")
    hdrs = {}
    for line in head.decode().split("\r\n"):
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(hdrs.pop("status", "200").split()[0]), hdrs, data


def _listening(sock):
    """1 when a connection to the unix socket sock is accepted."""
    with socket.socket(socket.AF_UNIX) as c:
        try:
            c.connect(sock)
            return True
        except OSError:
            return False


class Solo:
    """`with Solo(stack, "hook", env) as sock:` runs build's binary with
    env (a dict of WARDEN_* settings written to its own file) until the
    block ends."""

    def __init__(self, stack, binary, env):
        self.s = stack
        self.binary = os.path.join(stack.run, "bin", binary)
        self.env = env

    def __enter__(self):
        self.dir = tempfile.mkdtemp(dir=self.s.run)
        conf = os.path.join(self.dir, "warden.env")
        with open(conf, "w") as f:
            for k, v in self.env.items():
                f.write("%s='%s'\n" % (k, v.replace("'", "'\\''")))
        sock = os.path.join(self.dir, "solo.sock")
        cmd = ["spawn-fcgi", "-n", "-s", sock, "-M", "0666"]
        if os.getuid() == 0:
            for p in (self.dir, conf):
                shutil.chown(p, "warden", "warden")
            cmd += ["-u", "warden", "-g", "warden"]
        cmd += ["--", "/usr/bin/env", "-i", "WARDEN_CONFIG=" + conf,
                self.binary]
        self.log = os.path.join(self.dir, "stderr")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         stderr=log)
        # spawn-fcgi -n binds the socket, listens, then becomes the
        # binary: the file exists from bind on, so wait for a connection
        # to be taken (one closed unused costs the binary nothing)
        end = time.time() + 10
        while not _listening(sock):
            if self.proc.poll() is not None or time.time() > end:
                with open(self.log) as f:
                    why = f.read()
                self.__exit__()
                raise RuntimeError("%s did not start: %s" % (self.binary,
                                                             why))
            time.sleep(0.02)
        return sock

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
