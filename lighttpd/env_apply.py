#!/usr/bin/env python3
"""Records the caller's WARDEN_* environment variables in warden.env.

    env_apply.py <warden.env> <as> <NAME>...

API.md §1: the binaries read warden.env, and real environment variables
take precedence over it. lighttpd/stack.sh starts every process with
`env -i`, so a variable given to `make start` would reach no binary;
instead it is written into the file, replacing the assignment there, and
so becomes part of the effective configuration the file records (and
that the next start keeps). The NAMEs given are left alone: the stack's
own settings (where it runs, its ports, its URL and database).

Statements are found the way sh (and wd_cfg.c) reads the file: a single-
or double-quoted value may span lines, a backslash quotes the next byte,
and an unquoted '#' that begins a word starts a comment to the end of the
line. Then the old file and the new one are both read by sh, run as <as>
(a command prefix: "runuser -u warden --" when the stack runs as root, so
that root never sources a file the service user can write; "" otherwise),
and the new file is kept only if every other variable reads exactly as
before and each given one reads as given.

The old file is kept as warden.env.prev, for stack.sh to put back if a
binary refuses the new configuration. Both files are written through a
new temporary file (O_EXCL, never through a link someone placed) with
the old file's mode and owner, synced, then renamed."""
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

NAME = re.compile(rb"WARDEN_[A-Z0-9_]+\Z")
MAX_FILE = 1 << 20      # wd_cfg.c reads no more (WD_MAX_CFG_FILE is less)
MARK = "# from the environment of a start (API.md §1)\n".encode()
BLANKS = b" \t"


def statements(text):
    """The file (bytes) as a list of statements, each with its newline."""
    out, start, i, q, n = [], 0, 0, None, len(text)
    word_start = True       # the next byte would begin a word
    while i < n:
        ch = text[i:i + 1]
        if q is None and word_start and ch == b"#":
            while i < n and text[i:i + 1] != b"\n":
                i += 1
            if i >= n:
                break
            ch = b"\n"
        if q == b"'":
            q = None if ch == b"'" else q
        elif q == b'"':
            if ch == b"\\":
                i += 1
            elif ch == b'"':
                q = None
        elif ch == b"\\":
            i += 1
        elif ch in (b"'", b'"'):
            q = ch
        elif ch == b"\n":
            out.append(text[start:i + 1])
            start = i + 1
            word_start = True
            i += 1
            continue
        word_start = q is None and ch in BLANKS
        i += 1
    if start < n:
        out.append(text[start:])
    return out


def assigns(stmt, name):
    s = stmt.lstrip(BLANKS)
    if s.startswith(b"export") and s[6:7] in (b" ", b"\t"):
        s = s[6:].lstrip(BLANKS)
    return s.startswith(name + b"=")


def quote(v):
    return b"'" + v.replace(b"'", b"'\\''") + b"'"


def read_by_sh(prefix, path):
    """What sh makes of the file: {name: value} of its WARDEN_* names."""
    r = subprocess.run(prefix + ["env", "-i", "PATH=/usr/bin:/bin", "sh",
                                 "-c", 'set -a; . "$1"; env -0', "sh",
                                 path], capture_output=True, check=True)
    out = {}
    for item in r.stdout.split(b"\0"):
        k, _, v = item.partition(b"=")
        if NAME.match(k):
            out[k] = v
    return out


def write_beside(path, data, st):
    """data into a new file beside path; its name. Never follows a link:
    mkstemp creates the file (O_EXCL), and mode and owner are set on the
    open descriptor."""
    fd, tmp = tempfile.mkstemp(prefix=".env-", dir=os.path.dirname(path))
    try:
        os.write(fd, data)
        os.fchmod(fd, st.st_mode & 0o7777)
        if os.getuid() == 0:
            os.fchown(fd, st.st_uid, st.st_gid)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def read_own(path):
    """The file's bytes and its stat, from one descriptor: never through
    a link (O_NOFOLLOW), a regular file with no other name (a hard link
    to a file elsewhere has two), bounded. Run as root in a directory the
    service user owns, so a name that user swaps cannot make root read
    (and copy out) another file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or \
                st.st_size > MAX_FILE:
            raise OSError("%s: not a plain file of its own, or too big" %
                          path)
        data = b""
        while len(data) <= MAX_FILE:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        if len(data) > MAX_FILE:
            raise OSError("%s: too big" % path)
        return data, st
    finally:
        os.close(fd)


def main():
    if len(sys.argv) < 3:
        print("usage: env_apply.py <warden.env> <as> <NAME>...",
              file=sys.stderr)
        return 2
    path, prefix = sys.argv[1], shlex.split(sys.argv[2])
    keep = {k.encode() for k in sys.argv[3:]}
    given = sorted(k for k in os.environb if NAME.match(k) and k not in keep)
    if not given:
        return 0
    try:
        text, st = read_own(path)
    except OSError as e:
        print("warden: %s; the file is left as it was" % e, file=sys.stderr)
        return 1
    stmts = [s for s in statements(text) if s != MARK and
             not any(assigns(s, k) for k in given)]
    if stmts and not stmts[-1].endswith(b"\n"):
        stmts[-1] += b"\n"
    stmts.append(MARK)
    stmts += [k + b"=" + quote(os.environb[k]) + b"\n" for k in given]
    new = write_beside(path, b"".join(stmts), st)
    try:
        try:
            before, after = read_by_sh(prefix, path), read_by_sh(prefix,
                                                                 new)
        except subprocess.CalledProcessError as e:
            print("warden: %s: sh cannot read it (%s); the file is left as "
                  "it was" % (path, e.stderr.decode(errors="replace")
                              .strip()), file=sys.stderr)
            os.unlink(new)
            return 1
        want = dict(before)
        want.update({k: os.environb[k] for k in given})
        if after != want:
            lost = sorted(k.decode() for k in set(want) | set(after)
                          if want.get(k) != after.get(k))
            print("warden: %s: cannot record the environment without "
                  "changing %s; the file is left as it was" %
                  (path, " ".join(lost)), file=sys.stderr)
            os.unlink(new)
            return 1
        prev = write_beside(path, text, st)
        os.replace(prev, path + ".prev")
        os.replace(new, path)
    except BaseException:
        if os.path.exists(new):
            os.unlink(new)
        raise
    print("warden: recorded in %s from the environment: %s" %
          (path, " ".join(k.decode() for k in given)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
