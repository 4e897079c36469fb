"""Mail that never blocks and is never lost (issue 9): requests queue mail
in auth.outbox in their own transaction, the mailer delivers it to the
stack's mail catcher (run/mail/<n>.eml, API.md section 1), retries while
the relay is down, loses nothing when it restarts and sends nothing twice;
templates are read from the run directory at each send."""
import glob
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

from smtp_sink import parse
from test_accounts import UUID_RE, count, email, get, login, post, register

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def mails(s, addr):
    """The stored messages (parsed) whose To is addr, in file order."""
    out = []
    files = glob.glob(os.path.join(s.run, "mail", "*.eml"))
    for f in sorted(files, key=lambda p: int(os.path.basename(p)[:-4])):
        with open(f, "rb") as fh:
            m = parse(fh.read())
        if m["headers"].get("to") == addr:
            m["file"] = f
            out.append(m)
    return out


def wait_mails(s, addrs, secs=15.0, settle=1.5):
    """{addr: [messages]} once every address has at least one, then
    settle seconds more so that a duplicate would have arrived too."""
    end = time.time() + secs
    while time.time() < end:
        if all(mails(s, a) for a in addrs):
            break
        time.sleep(0.1)
    time.sleep(settle)
    return {a: mails(s, a) for a in addrs}


def pid(s, name):
    try:
        with open(os.path.join(s.run, name)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(s, name):
    p = pid(s, name)
    try:
        return p is not None and os.kill(p, 0) is None
    except ProcessLookupError:
        return False


def kill(s, name, sig=signal.SIGTERM, secs=10.0):
    """Stops the process of run/<name> (a pid file) and waits for it."""
    p = pid(s, name)
    if p is None:
        return False
    os.kill(p, sig)
    end = time.time() + secs
    while time.time() < end:
        try:
            os.kill(p, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def outbox(s, addr, cols="count(*)"):
    return s.psql("SELECT %s FROM auth.outbox WHERE recipient = '%s'" %
                  (cols, addr)).stdout.strip()


def inactive(s, **more):
    s.reconfigure(WARDEN_AUTO_ACTIVATE="false", WARDEN_SERVER_URL=s.url,
                  **more)


def test_catcher_stores_activation_mail(t):
    s = t.s
    t.check("make start configured the catcher as the relay",
            s.base_env.get("WARDEN_SMTP_URL") ==
            "smtp://127.0.0.1:%d" % s.smtp_port and
            s.base_env.get("WARDEN_MAIL_TEMPLATES") ==
            os.path.join(s.run, "templates"), s.base_env)
    inactive(s)
    addr = email()
    t0 = time.time()
    st, _, b = register(s, addr)
    t.check("register inactive: 200", st == 200 and b["jwt_token"] is None,
            (st, b))
    got = wait_mails(s, [addr])[addr]
    t.check("one .eml in run/mail", len(got) == 1, len(got))
    if not got:
        return
    m = got[0]
    t.check("mail arrived promptly (NOTIFY, not the poll)",
            time.time() - t0 < 5 + 1.5, time.time() - t0)
    h = m["headers"]
    ticket = h.get("x-ticket", "")
    t.check("X-Ticket is a UUID", UUID_RE.match(ticket), h)
    t.check("body has the link", "%s/auth/activate?ticket=%s" %
            (s.url, ticket) in m["body"], m["body"][:300])
    t.check("headers From, To, Subject, Date, MIME", h.get("from") ==
            s.base_env["WARDEN_SMTP_SENDER"] and h.get("to") == addr and
            h.get("subject") == "Confirm your email address" and
            h.get("date") and h.get("mime-version") == "1.0" and
            b"\r\nContent-Type: text/plain; charset=utf-8\r\n" in m["raw"],
            h)
    oid = outbox(s, addr, "id")
    t.check("Message-ID derived from the outbox row",
            re.fullmatch(r"<outbox\.%s\.\d+@localhost>" % oid,
                         h.get("message-id", "")), (oid, h))
    raw = m["raw"]
    modes = (os.stat(os.path.join(s.run, "mail")).st_mode & 0o777,
             os.stat(m["file"]).st_mode & 0o777)
    t.check("run/mail is 0700 and each mail 0600: tickets are not for "
            "every local user", modes == (0o700, 0o600), [oct(x) for x in
                                                          modes])
    t.check("stored unaltered: CRLF line ends, no bare LF",
            raw.count(b"\n") == raw.count(b"\r\n") and
            raw.endswith(b"\r\n"), raw[-40:])
    t.check("sent row keeps no ticket (vars wiped)",
            outbox(s, addr, "sent_at IS NOT NULL, vars IS NULL, attempts, "
                   "last_error IS NULL") == "t|t|1|t",
            outbox(s, addr, "sent_at, vars, attempts, last_error"))
    st, _, a = post(s, "/auth/activate", {"ticket": ticket})
    t.check("activate with the mailed ticket", st == 200, (st, a))
    st, _, b = login(s, addr)
    t.check("login after activation", st == 200, (st, b))
    # a rejected request leaves no mail: the row is in its transaction
    st, _, b = register(s, addr)
    t.check("register again: 409 and no second outbox row",
            st == 409 and outbox(s, addr) == "1", (st, b, outbox(s, addr)))


def test_relay_down_then_back(t):
    s = t.s
    try:
        inactive(s, WARDEN_MAIL_RETRY_MIN="1", WARDEN_MAIL_RETRY_MAX="1")
        t.check("catcher stopped", kill(s, "mailcatcher.pid"))
        addrs = [email() for _ in range(3)]
        slow = 0.0
        for a in addrs:
            t0 = time.time()
            st, _, b = register(s, a)
            slow = max(slow, time.time() - t0)
            t.check("relay down: register 200", st == 200, (st, b))
        t.check("relay down: register answers promptly", slow < 2.0, slow)
        time.sleep(3)
        rows = [outbox(s, a, "sent_at IS NULL, attempts > 1, last_error")
                for a in addrs]
        t.check("relay down: rows kept, retried, error kind recorded",
                rows == ["t|t|relay-down"] * 3, rows)
        log = open(os.path.join(s.run, "log", "mailer.log")).read()
        t.check("mailer log names no recipient or ticket",
                not any(a in log for a in addrs) and "ticket=" not in log and
                "relay-down" in log, log[-300:])
        r = s.sh("start", check=False)
        t.check("make start brings the catcher back", r.returncode == 0 and
                pid(s, "mailcatcher.pid"), r.stderr)
        got = wait_mails(s, addrs, settle=3.0)
        t.check("relay back: every mail arrives exactly once",
                all(len(got[a]) == 1 for a in addrs),
                {a: len(v) for a, v in got.items()})
        ids = [m["headers"].get("message-id") for v in got.values() for m in v]
        t.check("distinct Message-IDs", len(set(ids)) == len(ids), ids)
        t.check("rows marked sent, variables wiped",
                [outbox(s, a, "sent_at IS NOT NULL AND vars IS NULL")
                 for a in addrs] == ["t"] * 3)
    finally:
        # whatever happened, leave the catcher and the mailer running
        s.sh("start", check=False)


def test_mailer_restart_loses_nothing(t):
    s = t.s
    try:
        inactive(s, WARDEN_MAIL_RETRY_MIN="1", WARDEN_MAIL_RETRY_MAX="1")
        t.check("mailer stopped (SIGTERM)", kill(s, "mailer.pid"))
        a1 = [email() for _ in range(3)]
        for a in a1:
            register(s, a)
        r = s.sh("start", check=False)
        t.check("mailer started again", r.returncode == 0, r.stderr)
        got = wait_mails(s, a1)
        t.check("queued while the mailer was down: each sent once",
                all(len(got[a]) == 1 for a in a1),
                {a: len(v) for a, v in got.items()})
        # and killed outright while its relay is down (rows in backoff)
        kill(s, "mailcatcher.pid")
        a2 = [email() for _ in range(3)]
        for a in a2:
            register(s, a)
        time.sleep(1.5)
        t.check("mailer killed (SIGKILL) while retrying",
                kill(s, "mailer.pid", signal.SIGKILL))
        r = s.sh("start", check=False)
        t.check("catcher and mailer started again", r.returncode == 0,
                r.stderr)
        got = wait_mails(s, a2, settle=3.0)
        t.check("nothing lost, nothing twice after SIGKILL",
                all(len(got[a]) == 1 for a in a2),
                {a: len(v) for a, v in got.items()})
    finally:
        # whatever happened, leave the catcher and the mailer running
        s.sh("start", check=False)


def test_two_mailers_never_send_one_row(t):
    s = t.s
    inactive(s)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "WARDEN_CONFIG": os.path.join(s.run, "warden.env")}
    # as the stack's own mailer runs: the service user when root
    who = {"user": "warden", "group": "warden", "extra_groups": []} \
        if os.getuid() == 0 else {}
    log = open(os.path.join(s.run, "log", "mailer2.log"), "ab")
    second = subprocess.Popen([os.path.join(s.run, "bin", "mailer")],
                              env=env, stdin=subprocess.DEVNULL, stdout=log,
                              stderr=log, cwd="/", **who)
    try:
        time.sleep(0.5)
        t.check("second mailer running", second.poll() is None,
                second.returncode)
        addrs = [email() for _ in range(10)]
        for a in addrs:
            register(s, a)
        got = wait_mails(s, addrs, settle=3.0)
        t.check("two mailers: each mail exactly once",
                all(len(got[a]) == 1 for a in addrs),
                {a: len(v) for a, v in got.items()})
    finally:
        second.terminate()
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            second.kill()
        log.close()
    t.check("second mailer stopped cleanly on SIGTERM",
            second.returncode == 0, second.returncode)


def test_template_edited_in_run_dir(t):
    s = t.s
    inactive(s, WARDEN_MAIL_RETRY_MIN="1", WARDEN_MAIL_RETRY_MAX="1")
    path = os.path.join(s.run, "templates", "activate.txt")
    orig = os.path.join(REPO, "templates", "activate.txt")
    try:
        with open(path, "w") as f:
            f.write("Subject: Welcome, {{email}}\n\nYour link: {{link}}\n")
        addr = email()
        register(s, addr)
        got = wait_mails(s, [addr], settle=0)[addr]
        m = got[0] if got else {"headers": {}, "body": ""}
        t.check("edited template: new wording, no rebuild or restart",
                m["headers"].get("subject") == "Welcome, " + addr and
                m["body"].startswith("Your link: %s/auth/activate?ticket="
                                     % s.url), m)
        with open(path, "w") as f:
            f.write("Subject: Hi\n\n{{lnik}}\n")
        addr = email()
        register(s, addr)
        time.sleep(2.5)
        t.check("unknown placeholder: not sent, kept, error kind 'template'",
                not mails(s, addr) and outbox(
                    s, addr, "sent_at IS NULL, last_error") == "t|template",
                outbox(s, addr, "sent_at, last_error"))
        shutil.copyfile(orig, path)
        got = wait_mails(s, [addr], settle=0)[addr]
        t.check("fixed template: the waiting mail goes out",
                len(got) == 1 and got[0]["headers"].get("subject") ==
                "Confirm your email address", len(got))
    finally:
        shutil.copyfile(orig, path)


def test_header_injection_refused(t):
    """The address is the user's: wd_email refuses CR/LF before it gets
    anywhere near a header (the renderer would refuse it too)."""
    s = t.s
    inactive(s)
    st, _, b = post(s, "/auth/register", {
        "email": "a@example.com\r\nBcc: victim@example.org",
        "password": "correct horse", "cookie": False})
    t.check("CRLF in email refused, nothing queued", st == 400 and
            count(s, "SELECT count(*) FROM auth.outbox WHERE recipient "
                  "LIKE '%victim%'") == 0, (st, b))


def test_mailer_survives_postgres_restart(t):
    s = t.s
    inactive(s)
    r = s.pg_ctl("-m", "fast", "-w", "stop")
    t.check("postgres stopped", r.returncode == 0, r.stderr)
    time.sleep(2)
    t.check("mailer keeps running without its database",
            alive(s, "mailer.pid"))
    r = s.pg_ctl("-l", os.path.join(s.run, "log", "postgresql.log"), "-w",
                 "start")
    t.check("postgres started", r.returncode == 0, r.stderr)
    s.wait_healthy()
    addr = email()
    st, _, b = register(s, addr)
    got = wait_mails(s, [addr], secs=40)[addr]
    t.check("mailer reconnected, LISTENs again: the mail arrives",
            st == 200 and len(got) == 1, (st, len(got)))


def test_start_and_stop_manage_mail_processes(t):
    s = t.s
    before = (pid(s, "mailer.pid"), pid(s, "mailcatcher.pid"))
    r = s.sh("start", check=False)
    t.check("start again leaves mailer and catcher alone",
            r.returncode == 0 and before[0] and before[1] and
            (pid(s, "mailer.pid"), pid(s, "mailcatcher.pid")) == before,
            (before, r.stderr))
    t.check("start prints where mail lands",
            os.path.join(s.run, "mail") in r.stdout, r.stdout)
    import socket
    c = socket.create_connection(("127.0.0.1", s.smtp_port), timeout=5)
    banner = c.recv(100)
    c.close()
    t.check("catcher speaks SMTP on WARDEN_SMTP_PORT",
            banner.startswith(b"220 "), banner)
    r = s.sh("stop", check=False)
    gone = True
    for p in before:
        try:
            os.kill(p, 0)
            gone = False
        except ProcessLookupError:
            pass
    t.check("stop ends mailer and catcher", r.returncode == 0 and gone and
            pid(s, "mailer.pid") is None and
            pid(s, "mailcatcher.pid") is None, (r.stderr, before))
    r = s.sh("start", check=False)
    t.check("start brings them back", r.returncode == 0 and
            alive(s, "mailer.pid") and alive(s, "mailcatcher.pid"),
            r.stderr)


def test_stale_mail_given_up(t):
    """A mail that could not go out for 8 days carries only expired
    tickets (a revert's, the longest, lives 7): the mailer gives it up
    and drops its variables, which hold them in clear."""
    s = t.s
    addr = "stale-%s@example.com" % uuid.uuid4().hex[:8]
    oid = s.psql("INSERT INTO auth.outbox (template, recipient, vars, "
                 "created_at) VALUES ('activate', '%s', '{\"ticket\": "
                 "\"%s\", \"link\": \"x\"}', now() - interval '9 days') "
                 "RETURNING id" % (addr, uuid.uuid4())).stdout.split()[0]
    end = time.time() + 10
    row = ""
    while time.time() < end:
        row = s.psql("SELECT vars IS NULL, last_error, sent_at IS NULL "
                     "FROM auth.outbox WHERE id = %s" % oid).stdout.strip()
        if row.startswith("t|"):
            break
        time.sleep(0.2)
    t.check("the 9-day-old row: variables gone, 'expired', never sent",
            row == "t|expired|t", row)
    t.check("...and nothing mailed", mails(s, addr) == [])
