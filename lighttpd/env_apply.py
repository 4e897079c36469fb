#!/usr/bin/env python3
"""Records the caller's WARDEN_* environment variables in warden.env.

    env_apply.py <warden.env> <NAME>...

API.md §1: the binaries read warden.env, and real environment variables
take precedence over it. lighttpd/stack.sh starts every process with
`env -i`, so a variable given to `make start` would reach no binary;
instead it is written into the file, replacing the assignment there, and
so becomes part of the effective configuration the file records (and
that the next start keeps). The NAMEs given are left alone: the stack's
own settings (where it runs, its ports, its URL and database).

Statements are found the way sh (and wd_cfg.c) reads the file: a single-
or double-quoted value may span lines, a backslash quotes the next byte,
and a line whose first non-blank byte is '#' is a comment. The file is
replaced whole (same mode and owner), through a temporary file in the
same directory."""
import os
import re
import sys

sys.dont_write_bytecode = True

NAME = re.compile(r"WARDEN_[A-Z0-9_]+\Z")
MARK = "# from the environment of a start (API.md §1)\n"


def statements(text):
    """The file as a list of statements, each with its newline."""
    out, start, i, q, n = [], 0, 0, None, len(text)
    at_start = True
    while i < n:
        ch = text[i]
        if q is None and at_start and ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            ch = "\n" if i < n else ""
        if ch == "":
            break
        if q == "'":
            q = None if ch == "'" else q
        elif q == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                q = None
        elif ch == "\\":
            i += 1
        elif ch in "'\"":
            q = ch
        elif ch == "\n":
            out.append(text[start:i + 1])
            start = i + 1
            at_start = True
            i += 1
            continue
        if ch not in " \t":
            at_start = False
        i += 1
    if start < n:
        out.append(text[start:])
    return out


def assigns(stmt, name):
    s = stmt.lstrip(" \t")
    if s.startswith("export") and s[6:7] in (" ", "\t"):
        s = s[6:].lstrip(" \t")
    return s.startswith(name + "=")


def quote(v):
    return "'" + v.replace("'", "'\\''") + "'"


def main():
    if len(sys.argv) < 2:
        print("usage: env_apply.py <warden.env> <NAME>...", file=sys.stderr)
        return 2
    path, keep = sys.argv[1], set(sys.argv[2:])
    given = sorted(k for k in os.environ
                   if NAME.match(k) and k not in keep)
    if not given:
        return 0
    with open(path) as f:
        text = f.read()
    stmts = [s for s in statements(text) if s != MARK and
             not any(assigns(s, k) for k in given)]
    if stmts and not stmts[-1].endswith("\n"):
        stmts[-1] += "\n"
    stmts.append(MARK)
    stmts += ["%s=%s\n" % (k, quote(os.environ[k])) for k in given]
    st = os.stat(path)
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(stmts))
    os.chmod(tmp, st.st_mode & 0o7777)
    if os.getuid() == 0:
        os.chown(tmp, st.st_uid, st.st_gid)
    os.replace(tmp, path)
    print("warden: recorded in %s from the environment: %s" %
          (path, " ".join(given)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
