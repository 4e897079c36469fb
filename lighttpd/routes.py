#!/usr/bin/env python3
"""Warden's route table (lighttpd/routes) to web server configuration.

    routes.py lighttpd [TABLE]   the fastcgi.server section that stack.sh
                                 puts in place of @ROUTES@ in warden.conf.in
    routes.py nginx [TABLE]      lighttpd/nginx.conf.example, made from
                                 lighttpd/nginx.conf.in
    routes.py pools [TABLE]      one line per binary: binary processes
                                 (under lighttpd, its read pool's
                                 included)

The output keeps the placeholders @RUN@, @BIN@ and @STORAGE_DIR@
(lighttpd) or @RUN@ and @PORT@ (nginx) for stack.sh, or the reader, to
fill in. A malformed table is one line on stderr naming file:line, and
exit status 1; nothing is printed on stdout then.

One pool per binary. lighttpd gives two fastcgi.server entries one pool
of processes when their "socket" and "bin-path" are equal (gw_backend.c,
unixsocket_is_dup), but only when the first entry is in a configuration
block read earlier: within one fastcgi.server list every entry spawns its
own processes. So a binary's first route goes into the global list, its
second into a conditional block, its third into another, and so on.
lighttpd routes a request through the last matching block and, in it,
the first matching entry; of two overlapping routes the longer is written
first, and never lands in an earlier block than the shorter, so the
longest matching route always wins, as in nginx.

A route flagged reads=N also gets a read pool: a block after all others,
$HTTP["request-method"] =~ "^(GET|HEAD|OPTIONS)$" around the route's own
condition, whose fastcgi.server names the socket <binary>.reads.sock.
Being last, it wins for those methods; check() refuses the flag on a
route that another route extends, whose requests it would take too."""
import os
import re
import sys
import textwrap

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "routes")
NGINX_IN = os.path.join(HERE, "nginx.conf.in")
NGINX_OUT = os.path.join(HERE, "nginx.conf.example")

FLAGS = ("sendfile", "authorizer", "largebody")
# reads=N: the route's GET and HEAD requests (and CORS preflights, which
# come before a browser's GET) go to a second pool of its binary, of N
# processes (lighttpd only; see the table's header)
READS_RE = re.compile(r"^reads=([0-9]{1,3})$")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# a "largebody" route's request body cap: src/wd_limits.h WD_MAX_BODY
LARGE_BODY_MIB = 8
# Given to every binary besides WARDEN_CONFIG. GnuTLS reaches the
# binaries only as a dependency of libldap (libpq) and librtmp (libcurl),
# for LDAP service lookups and rtmp:// URLs that Warden never uses (its
# TLS is OpenSSL's); unless told not to, its library constructor
# initializes it and p11-kit in every process anyway (about 0.9 MiB of
# RSS each, and PKCS#11 module configuration read at start). libldap
# initializes GnuTLS itself if it is ever used.
BIN_ENV = (("GNUTLS_NO_IMPLICIT_INIT", "1"),)
MAX_PROCS = 64
# a route goes into a lighttpd regular expression and an nginx location
# unquoted: only characters that are literal in both (and "." as [.])
ROUTE_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")
BINARY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# An authorizer route serves the run directory's files under its path
# (document-root is the run directory): never one of the directories the
# stack keeps there (stack.sh, tests/bench), secrets and database included.
RUN_OWN = ("bin", "sock", "pg", "log", "storage", "www", "mail", "fcgi",
           "nginx", "bare")


class TableError(Exception):
    pass


class Row:
    def __init__(self, where, route, binary, procs, flags):
        self.where = where          # "file:line", for errors
        self.route = route
        self.binary = binary
        self.procs = procs          # int, or None for "-"
        self.flags = flags          # frozenset of FLAGS
        self.authorizer = "authorizer" in flags
        self.reads = None           # int: reads=N


class Pool:
    """The processes of one binary: size from its first row; sendfile
    if any of its rows asks for it (lighttpd's x-sendfile is a property
    of the pool, not of a route)."""

    def __init__(self, binary, procs):
        self.binary = binary
        self.procs = procs
        self.sendfile = False
        self.reads = None           # the row with reads=N, if any
        self.rows = []

    def total(self):
        """Its processes under lighttpd, the read pool's included."""
        return self.procs + (self.reads.reads if self.reads else 0)


def load(path=TABLE):
    """The rows of the table at path, validated; raises TableError."""
    rows = []
    with open(path) as f:
        for n, text in enumerate(f, 1):
            where = "%s:%d" % (path, n)
            cols = text.split("#", 1)[0].split()
            if not cols:
                continue
            if len(cols) != 4:
                raise TableError("%s: want 4 columns (route binary procs "
                                 "flags), got %d" % (where, len(cols)))
            route, binary, procs, flags = cols
            if not ROUTE_RE.match(route) or \
                    any(x in (".", "..") for x in route.split("/")):
                raise TableError("%s: route %r: must start with / and "
                                 "hold only A-Z a-z 0-9 . _ ~ - /, no . or "
                                 ".. segment (servers match normalised "
                                 "paths)" % (where, route))
            if not BINARY_RE.match(binary):
                raise TableError("%s: binary %r: want a file name "
                                 "[a-z0-9_-]" % (where, binary))
            if procs == "-":
                p = None
            elif re.fullmatch(r"[0-9]{1,3}", procs) and \
                    1 <= int(procs) <= MAX_PROCS:
                p = int(procs)
            else:
                raise TableError("%s: procs %r: want 1-%d or -"
                                 % (where, procs, MAX_PROCS))
            fl = frozenset() if flags == "-" else frozenset(flags.split(","))
            reads = [x for x in fl if READS_RE.match(x)]
            fl = fl.difference(reads)
            bad = sorted(x for x in fl if x not in FLAGS)
            if len(reads) > 1:
                raise TableError("%s: reads=N twice" % where)
            if bad or "" in fl:
                raise TableError("%s: unknown flag %r (known: %s, "
                                 "reads=N)" % (where, (bad or [""])[0],
                                               ", ".join(FLAGS)))
            rows.append(Row(where, route, binary, p, fl))
            if reads:
                n = int(READS_RE.match(reads[0]).group(1))
                if not 1 <= n <= MAX_PROCS:
                    raise TableError("%s: %s: want 1-%d processes"
                                     % (where, reads[0], MAX_PROCS))
                rows[-1].reads = n
    check(rows)
    return rows


def check(rows):
    seen = {}
    first = {}
    for r in rows:
        if r.route in seen:
            raise TableError("%s: route %s already in %s"
                             % (r.where, r.route, seen[r.route].where))
        seen[r.route] = r
        if r.binary not in first:
            if r.procs is None:
                raise TableError("%s: first row of %s: procs sets the "
                                 "pool's size, want a number"
                                 % (r.where, r.binary))
            first[r.binary] = r
        elif r.procs is not None and r.procs != first[r.binary].procs:
            raise TableError("%s: procs %d: the pool of %s has %d (%s); "
                             "write - here" % (r.where, r.procs, r.binary,
                                               first[r.binary].procs,
                                               first[r.binary].where))
    for r in rows:
        if r.reads is None:
            continue
        if r.authorizer:
            raise TableError("%s: reads=N on an authorizer route"
                             % r.where)
        # its block comes last and takes every GET under its prefix
        for o in rows:
            if o is not r and o.route.startswith(r.route):
                raise TableError("%s: reads=N: route %s extends %s (%s); "
                                 "its GETs would go to the read pool"
                                 % (r.where, o.route, r.route, o.where))
            if o is not r and o.binary == r.binary and \
                    o.reads is not None:
                raise TableError("%s: reads=N: %s already has a read pool "
                                 "(%s)" % (r.where, r.binary, o.where))
    for r in rows:
        if not r.authorizer:
            continue
        if not r.route.endswith("/") or r.route == "/":
            raise TableError("%s: authorizer route %s: want a directory "
                             "(ending in /)" % (r.where, r.route))
        if r.route.split("/")[1] in RUN_OWN:
            raise TableError("%s: authorizer route %s: would serve the run "
                             "directory's own %s" % (r.where, r.route,
                                                     r.route.split("/")[1]))
        for o in rows:
            if o is not r and (o.route.startswith(r.route) or
                               r.route.startswith(o.route)):
                raise TableError("%s: authorizer route %s overlaps %s (%s)"
                                 % (r.where, r.route, o.route, o.where))
    if not rows:
        raise TableError("no routes")


def pools(rows):
    """binary -> Pool, in the order of the binaries' first rows."""
    out = {}
    for r in rows:
        if r.binary not in out:
            out[r.binary] = Pool(r.binary, r.procs)
        p = out[r.binary]
        p.rows.append(r)
        p.sendfile = p.sendfile or "sendfile" in r.flags
        if r.reads is not None:
            p.reads = r
    return out


def blocks(rows):
    """The responder routes as lighttpd blocks: a list of lists of rows,
    the global fastcgi.server first. No block holds two routes of one
    binary, and a route's block is never before that of a shorter route
    it extends. Otherwise table order: a binary's first route is global."""
    resp = [r for r in rows if not r.authorizer]
    # depth: how many other routes are prefixes of this one; placing by
    # depth places every route after the routes it extends
    depth = {r.route: sum(1 for o in resp if o is not r and
                          r.route.startswith(o.route)) for r in resp}
    out = []
    at = {}             # route -> its block, for the routes placed so far
    for r in sorted(resp, key=lambda r: depth[r.route]):
        k = max((b for route, b in at.items() if r.route.startswith(route)),
                default=0)
        while k < len(out) and any(o.binary == r.binary for o in out[k]):
            k += 1
        if k == len(out):
            out.append([])
        out[k].append(r)
        at[r.route] = k
    for b in out:
        # lighttpd takes a block's first matching entry: the deeper of two
        # overlapping routes first; the rest stay in table order
        b.sort(key=lambda r: -depth[r.route])
    return out


# lighttpd ----------------------------------------------------------------
def lighttpd_host(pool, authorizer, tab, reads=False):
    """One fastcgi.server entry's host. Every route of a pool gets the same
    settings (lighttpd keeps those of whichever entry it reads first);
    only "mode" belongs to the route. reads: the binary's read pool, its
    own socket and size."""
    out = [
        # ".reads": no binary's name holds a "." (BINARY_RE)
        '"socket" => "@RUN@/sock/%s%s.sock",' % (pool.binary,
                                                 ".reads" if reads else ""),
        '"bin-path" => "@BIN@/%s",' % pool.binary,
        '"bin-environment" => ( "WARDEN_CONFIG" => "@RUN@/warden.env", %s ),'
        % ", ".join('"%s" => "%s"' % kv for kv in BIN_ENV),
        '"bin-copy-environment" => ( "PATH" ),',
        '"max-procs" => %d,' % (pool.reads.reads if reads else pool.procs),
        '"check-local" => "disable",',
    ]
    if pool.sendfile:
        out += ['"x-sendfile" => "enable",',
                '"x-sendfile-docroot" => ( "@STORAGE_DIR@" ),']
    if authorizer:
        out.append('"mode" => "authorizer",')
    return [tab + x for x in out]


def lighttpd_server(rows, ps, tab, reads=False):
    out = [tab + "fastcgi.server = ("]
    for r in rows:
        out.append(tab + '\t"%s" => ((' % r.route)
        out += lighttpd_host(ps[r.binary], r.authorizer, tab + "\t\t",
                             reads)
        out.append(tab + "\t)),")
    out.append(tab + ")")
    return out


def condition(bl, k):
    """The condition of block k (> 0): true exactly when the request must
    be routed within it. The cheapest is a prefix test (=^, a memcmp),
    with the longest prefix common to the block's routes, when no route
    of another block overlaps that prefix (the block would otherwise
    capture that route's requests, or lose its own to it); else a regular
    expression of its routes (a PCRE match on every request: measured in
    lighttpd 1.4.69, about 470 instructions against 170)."""
    b = bl[k]
    pre = os.path.commonprefix([r.route for r in b])
    others = [r for i, o in enumerate(bl) if i != k for r in o]
    overlap = any(r.route.startswith(pre) or pre.startswith(r.route)
                  for r in others)
    if len(b) == 1 or not overlap:
        return '$HTTP["url"] =^ "%s"' % pre
    alt = "|".join(r.route.replace(".", "[.]") for r in b)
    return '$HTTP["url"] =~ "^(%s)"' % alt


def lighttpd(rows):
    ps = pools(rows)
    bl = blocks(rows)
    sizes = ", ".join("%s %d" % (p.binary, p.procs) +
                      (" + %d" % p.reads.reads if p.reads else "")
                      for p in ps.values())
    out = textwrap.wrap("Generated by lighttpd/routes.py from lighttpd/routes "
                        "(one row per route): edit that table, not this "
                        "section. One pool per binary (and a read pool where "
                        "a route says reads=N), %d FastCGI processes "
                        "in all: %s. The binaries get only the environment "
                        "listed here." % (sum(p.total() for p in ps.values()),
                                          sizes),
                        width=76, initial_indent="# ",
                        subsequent_indent="# ")
    out += lighttpd_server(bl[0], ps, "") if bl else []
    if len(bl) > 1:
        out += ["",
                "# Further routes of binaries above. lighttpd shares a pool "
                "between entries",
                "# with the same socket and bin-path only across blocks, "
                "never within one",
                "# fastcgi.server list: hence one block per route "
                "rank."]
    for k, b in enumerate(bl[1:], 1):
        out += [condition(bl, k) + " {"] + lighttpd_server(b, ps, "\t") + \
            ["}"]
    for r in rows:
        if r.reads is None:
            continue
        out += [""] + textwrap.wrap(
            "%s under %s: a second pool of %s, %d processes of "
            "their own (reads=%d): a long upload never holds a download "
            "up, and a small pool kept busy wakes less. After the blocks "
            "above, as the last matching block wins; no other route "
            "extends this one (routes.py check)." % (
                ", ".join(READ_METHODS), r.route, r.binary, r.reads,
                r.reads),
            width=76, initial_indent="# ", subsequent_indent="# ")
        out += ['$HTTP["request-method"] =~ "^(%s)$" {' % "|".join(
            READ_METHODS),
                '\t$HTTP["url"] =^ "%s" {' % r.route]
        out += lighttpd_server([r], ps, "\t\t", reads=True) + ["\t}", "}"]
    for r in rows:
        if "largebody" not in r.flags:
            continue
        out += ["",
                "# %s takes a body of up to %d MiB (the webhook's POST "
                "mode: Hasura" % (r.route, LARGE_BODY_MIB),
                "# forwards the client's whole GraphQL request), not the "
                "server's cap;",
                "# that path alone, not the longer ones its prefix would "
                "take.",
                '$HTTP["url"] == "%s" {' % r.route,
                "\tserver.max-request-size = %d" % (LARGE_BODY_MIB * 1024),
                "}"]
    for r in rows:
        if not r.authorizer:
            continue
        out += ["",
                "# %s: static files from the run directory, each request "
                "first checked" % r.route,
                "# by %s as a FastCGI authorizer (the pool above: the mode "
                "belongs to the" % r.binary,
                "# route); lighttpd serves the file only after a 200.",
                "# Files for a token, maybe a cookie's: no shared cache "
                "may keep them.",
                '$HTTP["url"] =^ "%s" {' % r.route,
                '\tserver.document-root = "@RUN@"',
                '\tsetenv.set-response-header = ( "Cache-Control" => '
                '"private, no-store" )']
        out += lighttpd_server([r], ps, "\t") + ["}"]
    return "\n".join(out) + "\n"


# nginx -------------------------------------------------------------------
# The parameters of /etc/nginx/fastcgi_params (server level; a location
# that sets one of its own must repeat them all: nginx inherits none then)
PARAMS = [("QUERY_STRING", "$query_string"),
          ("REQUEST_METHOD", "$request_method"),
          ("CONTENT_TYPE", "$content_type"),
          ("CONTENT_LENGTH", "$content_length"),
          ("SCRIPT_NAME", "$fastcgi_script_name"),
          ("REQUEST_URI", "$request_uri"),
          ("DOCUMENT_URI", "$document_uri"),
          ("SERVER_PROTOCOL", "$server_protocol"),
          ("REQUEST_SCHEME", "$scheme"),
          ("GATEWAY_INTERFACE", "CGI/1.1"),
          ("SERVER_SOFTWARE", "nginx"),
          ("REMOTE_ADDR", "$remote_addr"),
          ("REMOTE_PORT", "$remote_port"),
          ("SERVER_ADDR", "$server_addr"),
          ("SERVER_PORT", "$server_port"),
          ("SERVER_NAME", "$server_name")]

# The statuses of Warden's errors (src/wd_err.c) but 403, which a refused
# check answers when it is nothing else (the e2e suite compares the two)
REFUSALS = (400, 401, 404, 405, 409, 413, 415, 416, 422, 429, 500, 503)


# wd_http_error's answer for WD_E_UNAVAILABLE (src/wd_err.c)
TOO_LARGE = ('{"statusCode":413,"error":"Payload Too Large",'
             '"message":"Payload Too Large (web server)",'
             '"code":"payload-too-large"}')
UNAVAILABLE = ('{"statusCode":503,"error":"Service Unavailable",'
               '"message":"Service unavailable",'
               '"code":"service-unavailable"}')


# The head of a named location that answers JSON as the binaries do
JSON_ANSWER = ["\t\t\t# JSON whatever the key's extension",
               "\t\t\ttypes { }",
               "\t\t\tdefault_type application/json;",
               "\t\t\tadd_header Cache-Control no-store always;"]


# nginx's own answers, as lighttpd/own_errors.lua does lighttpd's: the
# same for every caller, so any origin may read them, without credentials
# ($warden_any_origin: "*" when the request has an Origin, else empty,
# and an empty value adds no line)
ANY_ORIGIN = ["\t\t\tadd_header Vary Origin always;",
              "\t\t\tadd_header Access-Control-Allow-Origin "
              "$warden_any_origin always;"]


def params(indent):
    return ["%sfastcgi_param %s %s;" % (indent, k, v) for k, v in PARAMS]


def CHECKED(binary):
    """The check before nginx reads a body (issue #11): auth_request asks
    the binary (WARDEN_CHECK_ONLY, src/wd_http.h) whether the request
    would be let in, so that a refused caller's upload costs no disk."""
    return [
        "\t\t\t# Before nginx reads a body, the binary says whether it",
        "\t\t\t# would take the request (token, rules, key, type, the",
        "\t\t\t# announced length against the size cap): a refused",
        "\t\t\t# upload costs no disk and is answered at once, with the",
        "\t\t\t# binary's status and JSON error. The real request is",
        "\t\t\t# checked again (and against the quota) when it arrives.",
        "\t\t\tauth_request /_warden_check_%s;" % binary,
        "\t\t\tauth_request_set $warden_status "
        "$upstream_http_x_warden_status;",
        "\t\t\tauth_request_set $warden_error "
        "$upstream_http_x_warden_error;",
        "\t\t\tauth_request_set $warden_retry $upstream_http_retry_after;",
        "\t\t\t# the check's CORS lines, for the refusal: without them",
        "\t\t\t# a browser app sees a network error, not the status",
        "\t\t\tauth_request_set $warden_acao",
        "\t\t\t    $upstream_http_access_control_allow_origin;",
        "\t\t\tauth_request_set $warden_acac",
        "\t\t\t    $upstream_http_access_control_allow_credentials;",
        "\t\t\tauth_request_set $warden_aceh",
        "\t\t\t    $upstream_http_access_control_expose_headers;",
        "\t\t\terror_page 401 403 = @warden_refused_%s;" % binary,
        "\t\t\t# the check (or the binary) out of reach: auth_request",
        "\t\t\t# makes any other status its own 500, nginx a 502/504",
        "\t\t\terror_page 500 502 503 504 = @warden_unavailable_%s;" %
        binary]


def CHECK_LOCATIONS(binary):
    """The subrequest of CHECKED and the answer to a refusal."""
    out = ["",
           "\t\t# the check: the client's method, URI and headers, no body",
           "\t\t# (a request that announces none needs no check)",
           "\t\tlocation = /_warden_check_%s {" % binary,
           "\t\t\tinternal;",
           "\t\t\tif ($warden_has_body = 0) {",
           "\t\t\t\treturn 204;",
           "\t\t\t}",
           "\t\t\tfastcgi_pass unix:@RUN@/fcgi/%s.sock;" % binary,
           "\t\t\tfastcgi_pass_request_body off;",
           "\t\t\t# the binary checks the announced length itself (the",
           "\t\t\t# server's 128k would refuse the check, not the body)",
           "\t\t\tclient_max_body_size 0;",
           "\t\t\t# set here only: a client's header would arrive as",
           "\t\t\t# HTTP_*; $request_method and $request_uri are the",
           "\t\t\t# client's request's in a subrequest",
           "\t\t\tfastcgi_param WARDEN_CHECK_ONLY 1;"]
    out += params("\t\t\t") + ["\t\t}"]
    out += ["",
            "\t\t# a refused check: auth_request passes on only 401 and",
            "\t\t# 403, so the binary sends the real status and its JSON",
            "\t\t# error as headers (X-Warden-Status, X-Warden-Error)",
            "\t\tlocation @warden_refused_%s {" % binary] + JSON_ANSWER + [
            "\t\t\tadd_header Retry-After $warden_retry always;",
            "\t\t\t# (an empty value adds no line: no Origin, no CORS)",
            "\t\t\tadd_header Vary Origin always;",
            "\t\t\tadd_header Access-Control-Allow-Origin $warden_acao "
            "always;",
            "\t\t\tadd_header Access-Control-Allow-Credentials "
            "$warden_acac always;",
            "\t\t\tadd_header Access-Control-Expose-Headers $warden_aceh "
            "always;"]
    for st in REFUSALS:
        out += ["\t\t\tif ($warden_status = %d) {" % st,
                "\t\t\t\treturn %d $warden_error;" % st,
                "\t\t\t}"]
    out += ["\t\t\treturn 403 $warden_error;", "\t\t}"]
    out += ["",
            "\t\t# the pool out of reach (down, or its backlog full): a",
            "\t\t# JSON 503 as the binaries answer one, not nginx's page",
            "\t\tlocation @warden_unavailable_%s {" % binary] + JSON_ANSWER + [
            "\t\t\tadd_header Retry-After 1 always;"] + ANY_ORIGIN + [
            "\t\t\treturn 503 '%s';" % UNAVAILABLE,
            "\t\t}"]
    return out


def BUFFERED(route, binary):
    """The location of a pool that lighttpd lets answer with X-Sendfile:
    under nginx slow clients must cost it no process either (issue 11)."""
    return [
        "\t\t# %s (issue #11): slow clients cost no %s process." % (
            route, binary),
        "\t\t# nginx reads a whole request body before it passes it on",
        "\t\t# (fastcgi_request_buffering; beyond client_body_buffer_size",
        "\t\t# into client_body_temp_path) and takes a whole answer from",
        "\t\t# the binary at once (fastcgi_buffering; beyond the buffers",
        "\t\t# into fastcgi_temp_path), so a client that trickles its",
        "\t\t# upload or never reads holds only an nginx connection and",
        "\t\t# disk. fastcgi_max_temp_file_size must be at least",
        "\t\t# WARDEN_STORAGE_MAX_SIZE: past it nginx would hand the rest",
        "\t\t# over at the client's pace and hold the binary.",
        "\t\t# client_max_body_size: WARDEN_STORAGE_MAX_SIZE plus the",
        "\t\t# 160 KiB of multipart framing the binary allows.",
        "\t\tlocation ^~ %s {" % route,
        "\t\t\tfastcgi_pass unix:@RUN@/fcgi/%s.sock;" % binary,
        "\t\t\tfastcgi_request_buffering on;",
        "\t\t\tfastcgi_buffering on;",
        "\t\t\tfastcgi_max_temp_file_size 2048m;",
        "\t\t\tclient_max_body_size 1025m;",
        "\t\t\t# past it nginx refuses before the check: as JSON too",
        "\t\t\terror_page 413 = @warden_too_large_%s;" % binary] + \
        CHECKED(binary) + ["\t\t}"] + CHECK_LOCATIONS(binary) + [
        "",
        "\t\t# a body over client_max_body_size, refused by nginx",
        "\t\tlocation @warden_too_large_%s {" % binary] + JSON_ANSWER + \
        ANY_ORIGIN + [
        "\t\t\treturn 413 '%s';" % TOO_LARGE,
        "\t\t}"]


def nginx_pools(rows):
    """[(name, binary, procs, extra environment, routes)] of the
    spawn-fcgi pools of the nginx example: each binary (one that answers
    with X-Sendfile under lighttpd is told to send files itself, which
    nginx buffers: WARDEN_STORAGE_SENDFILE=false), and for each
    authorizer a second pool <binary>-authz."""
    out = []
    ps = pools(rows)
    for p in ps.values():
        resp = [r for r in p.rows if not r.authorizer]
        if resp:
            out.append((p.binary, p.binary, p.procs,
                        ["WARDEN_STORAGE_SENDFILE=false"] if p.sendfile
                        else [], resp))
        if any(r.authorizer for r in p.rows):
            out.append((p.binary + "-authz", p.binary, p.procs,
                        ["WARDEN_ANON_ROLE="], []))
    return out


def spawn_env(extra):
    """The environment of a spawn-fcgi pool besides WARDEN_CONFIG."""
    return ["%s=%s" % kv for kv in BIN_ENV] + list(extra)


def nginx_spawn(rows):
    out = []
    for name, binary, procs, env, _ in nginx_pools(rows):
        if env and env[0].startswith("WARDEN_STORAGE_SENDFILE"):
            out.append("#   # %s: nginx has no X-Sendfile, so the binary "
                       "sends fs objects" % binary)
            out.append('#   # itself and nginx buffers them (see "location '
                       '%s" below)' % pools(rows)[binary].rows[0].route)
        elif env:
            out.append("#   # the authorizer: %s once more, with anonymous "
                       "access switched off" % binary)
            out.append('#   # (see "location = /_warden_authz_%s" below '
                       "for why)" % binary)
        out += ["#   spawn-fcgi -s @RUN@/fcgi/%s.sock -u warden -g warden "
                "\\" % name,
                "#       -U warden -G warden -M 0660 -F %d -P "
                "@RUN@/fcgi/%s.pid -- \\" % (procs, name)]
        out += ["#       /usr/bin/env -i WARDEN_CONFIG=@RUN@/warden.env "
                "%s \\" % " ".join(spawn_env(env)),
                "#       /path/build/bin/%s" % binary]
    return out


def nginx_locations(rows):
    out = []
    ps = pools(rows)
    for r in rows:
        p = ps[r.binary]
        if p.sendfile and not r.authorizer:
            out += BUFFERED(r.route, r.binary)
            continue
        if p.sendfile:
            continue
        if not r.authorizer:
            if "largebody" in r.flags:
                out += ["\t\t# the webhook's POST mode: the client's "
                        "whole GraphQL request;",
                        "\t\t# that path alone, not the longer ones its "
                        "prefix takes",
                        "\t\tlocation = %s {" % r.route,
                        "\t\t\tfastcgi_pass unix:@RUN@/fcgi/%s.sock;"
                        % r.binary,
                        "\t\t\tclient_max_body_size %dm;" % LARGE_BODY_MIB,
                        "\t\t}"]
            out += ["\t\tlocation ^~ %s {" % r.route,
                    "\t\t\tfastcgi_pass unix:@RUN@/fcgi/%s.sock;" % r.binary,
                    "\t\t}"]
            continue
        resp = [o for o in p.rows if not o.authorizer]
        if not resp:
            raise TableError("%s: nginx: the authorizer %s needs a "
                             "responder route too (its subrequest goes "
                             "there)" % (r.where, r.binary))
        out += ["\t\t# static files, gated by the token check",
                "\t\tlocation ^~ %s {" % r.route,
                "\t\t\troot @RUN@;",
                "\t\t\tauth_request /_warden_authz_%s;" % r.binary,
                "\t\t\t# files for a token, maybe a cookie's: no "
                "shared cache",
                "\t\t\tadd_header Cache-Control \"private, no-store\" "
                "always;",
                "\t\t\t# never list the directory",
                "\t\t\tautoindex off;",
                "\t\t}"]
    done = set()
    for r in rows:
        p = ps[r.binary]
        if not r.authorizer or p.sendfile or r.binary in done:
            continue
        done.add(r.binary)
        uri = [o for o in p.rows if not o.authorizer][0].route
        out += ["",
                "\t\t# the subrequest: GET %s, the client's headers, no "
                "body" % uri,
                "\t\tlocation = /_warden_authz_%s {" % r.binary,
                "\t\t\tinternal;",
                "\t\t\tfastcgi_pass unix:@RUN@/fcgi/%s-authz.sock;"
                % r.binary,
                "\t\t\tfastcgi_pass_request_body off;",
                "\t\t\tfastcgi_param REQUEST_METHOD GET;",
                "\t\t\tfastcgi_param REQUEST_URI %s;" % uri,
                '\t\t\tfastcgi_param QUERY_STRING "";',
                '\t\t\tfastcgi_param CONTENT_LENGTH "";',
                '\t\t\tfastcgi_param CONTENT_TYPE "";',
                "\t\t\tfastcgi_param SERVER_PROTOCOL $server_protocol;",
                "\t\t\tfastcgi_param GATEWAY_INTERFACE CGI/1.1;",
                "\t\t\tfastcgi_param SERVER_SOFTWARE nginx;",
                "\t\t\tfastcgi_param REMOTE_ADDR $remote_addr;",
                "\t\t\tfastcgi_param SERVER_PORT $server_port;",
                "\t\t\tfastcgi_param SERVER_NAME $server_name;",
                "\t\t}"]
    return out


def nginx(rows, template=NGINX_IN):
    with open(template) as f:
        text = f.read()
    parts = {"@@SPAWN@@": nginx_spawn(rows),
             "@@PARAMS@@": params("\t\t"),
             "@@LOCATIONS@@": nginx_locations(rows)}
    out = []
    for line in text.split("\n"):
        key = line.strip()
        out += parts.pop(key) if key in parts else [line]
    if parts:
        raise TableError("%s: no line %s" % (template, " ".join(parts)))
    return "\n".join(out)


def main(argv):
    if len(argv) not in (2, 3) or argv[1] not in ("lighttpd", "nginx",
                                                  "pools"):
        print("usage: routes.py lighttpd|nginx|pools [TABLE]",
              file=sys.stderr)
        return 2
    try:
        rows = load(argv[2] if len(argv) == 3 else TABLE)
        if argv[1] == "lighttpd":
            text = lighttpd(rows)
        elif argv[1] == "nginx":
            text = nginx(rows)
        else:
            text = "".join("%s %d\n" % (p.binary, p.total())
                           for p in pools(rows).values())
    except (TableError, OSError) as e:
        print("routes.py: %s" % e, file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
