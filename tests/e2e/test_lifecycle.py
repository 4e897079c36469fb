"""Issue #9: the account lifecycle against the real stack and its mail
catcher: password change and reset, email change, TOTP two-factor,
account deletion, prefetch-safe links; each as REST and as a Hasura
Action; bad input leaves nothing behind."""
import base64
import glob
import hashlib
import hmac
import json
import os
import struct
import time
import urllib.parse
import uuid

from smtp_sink import parse
from stack import early_in
from test_accounts import (UUID_RE, action, claims, count, email, get,
                           hook_status, login, post, register, wait_hook)

PW = "correct horse"
NEW = "battery staple"


def mails(s, addr):
    out = []
    for f in glob.glob(os.path.join(s.run, "mail", "*.eml")):
        with open(f, "rb") as fh:
            m = parse(fh.read())
        if m["headers"].get("to") == addr:
            out.append(m)
    return out


def wait_mail(s, addr, subject_word, secs=15.0):
    """The newest mail to addr whose subject holds subject_word."""
    end = time.time() + secs
    while time.time() < end:
        ms = [m for m in mails(s, addr)
              if subject_word in m["headers"].get("subject", "")]
        if ms:
            return ms[-1]
        time.sleep(0.1)
    return None


def totp(secret, off=0):
    """RFC 6238 (SHA-1, 6 digits, 30 s), written here from the RFC."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    ctr = int(time.time() // 30) + off
    h = hmac.new(key, struct.pack(">Q", ctr), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) %
                     1000000)


def bearer(b):
    return [("Authorization", "Bearer " + b["jwt_token"])]


def api(s, method, path, body, headers=(), source=None):
    h = [("Content-Type", "application/json")] + list(headers)
    st, hd, raw = s.request(method, path, h, json.dumps(body),
                            source=source)
    try:
        return st, hd, json.loads(raw) if raw else None
    except ValueError:
        return st, hd, raw


def verified(s, addr):
    """auth.accounts.email_verified of addr (sql/010): "t" or "f"."""
    return s.psql("SELECT email_verified FROM auth.accounts WHERE email = "
                  "'%s'" % addr).stdout.strip()


def account(s, addr=None):
    addr = addr or email()
    st, _, b = register(s, addr)
    return addr, b


def test_change_password(t):
    s = t.s
    addr, b = account(s)
    st, _, other = login(s, addr)
    st, _, r = api(s, "POST", "/auth/change-password",
                   {"old_password": "wrong one", "new_password": NEW},
                   bearer(b))
    t.check("wrong old password: 401, nothing changed", st == 401 and
            login(s, addr)[0] == 200, (st, r))
    st, _, r = api(s, "POST", "/auth/change-password",
                   {"old_password": PW, "new_password": "short"}, bearer(b))
    t.check("too short a new password: 400", st == 400, (st, r))
    st, _, r = api(s, "POST", "/auth/change-password",
                   {"old_password": PW, "new_password": NEW})
    t.check("no Bearer: 401", st == 401, (st, r))
    st, _, r = api(s, "POST", "/auth/change-password",
                   {"old_password": PW, "new_password": NEW}, bearer(b))
    t.check("change-password: 204", st == 204, (st, r))
    t.check("old password refused, new one accepted",
            login(s, addr)[0] == 401 and login(s, addr, NEW)[0] == 200)
    t.check("every other session revoked at the webhook within 1 s",
            wait_hook(s, other["jwt_token"], 401))
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   other["refresh_token"])
    t.check("...and cannot refresh", st == 401, st)
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   b["refresh_token"])
    t.check("the session that changed it lives on", st == 200, st)
    n = count(s, "SELECT count(*) FROM auth.audit_log a JOIN auth.accounts "
              "c ON c.user_id = a.user_id WHERE c.email = '%s' AND "
              "a.event = 'password_change'" % addr)
    t.check("audited", n == 1, n)
    st, _, r = action(s, "change_password",
                      {"old_password": NEW, "new_password": PW},
                      session={"x-hasura-role": "user",
                               "x-hasura-user-id": b["user"]["id"]})
    t.check("as an action, for the session's user: {ok:true}",
            st == 200 and r == {"ok": True}, (st, r))
    t.check("...the password changed back", login(s, addr)[0] == 200)
    st, _, r = action(s, "change_password",
                      {"old_password": PW, "new_password": NEW},
                      session={"x-hasura-role": "anonymous"})
    t.check("action without a user in the session: 401", st == 401,
            (st, r))


def test_password_reset(t):
    s = t.s
    ghost = email()
    st, _, r = api(s, "POST", "/auth/change-password/request",
                   {"email": ghost})
    t.check("reset request for an unknown email: 204", st == 204, (st, r))
    addr, b = account(s)
    st, _, r = api(s, "POST", "/auth/change-password/request",
                   {"email": addr.upper()})
    t.check("reset request for an account: the same 204", st == 204,
            (st, r))
    m = wait_mail(s, addr, "password")
    t.check("a reset mail with X-Ticket", m is not None and
            UUID_RE.match(m["headers"].get("x-ticket", "")), m)
    t.check("nothing was mailed for the unknown address",
            not mails(s, ghost))
    if m is None:
        return
    tk = m["headers"]["x-ticket"]
    link = "/auth/change-password/change?ticket=" + tk
    t.check("the mail links to the reset page", link in m["body"],
            m["body"][:300])
    st, h, page = s.request("GET", link, [])
    t.check("GET of the link: a form with a new password field",
            st == 200 and b'name="new_password"' in page and
            b'method="post"' in page, (st, page[:200]))
    n = count(s, "SELECT count(*) FROM auth.tickets WHERE ticket_hash = "
              "sha256(convert_to('%s', 'UTF8'))" % tk)
    t.check("...the GET spent nothing", n == 1, n)
    st, _, r = api(s, "POST", "/auth/change-password/change",
                   {"ticket": str(uuid.uuid4()), "new_password": NEW})
    t.check("unknown ticket: 401", st == 401, (st, r))
    st, _, r = api(s, "POST", "/auth/change-password/change",
                   {"ticket": tk, "new_password": "x"})
    t.check("weak new password: 400, ticket kept", st == 400 and
            count(s, "SELECT count(*) FROM auth.tickets WHERE ticket_hash "
                  "= sha256(convert_to('%s', 'UTF8'))" % tk) == 1, (st, r))
    t.check("an auto-activated account's address is not proven",
            verified(s, addr) == "f")
    st, _, r = api(s, "POST", "/auth/change-password/change",
                   {"ticket": tk, "new_password": NEW})
    t.check("reset with the ticket: 204", st == 204, (st, r))
    t.check("...the emailed ticket proved the address (email_verified)",
            verified(s, addr) == "t")
    t.check("new password works", login(s, addr, NEW)[0] == 200)
    t.check("every session revoked at the webhook within 1 s",
            wait_hook(s, b["jwt_token"], 401))
    st, _, r = api(s, "POST", "/auth/change-password/change",
                   {"ticket": tk, "new_password": PW})
    t.check("the ticket is single-use", st == 401, (st, r))
    # the page's form, as a person submits it
    api(s, "POST", "/auth/change-password/request", {"email": addr})
    m2 = None
    end = time.time() + 15
    while time.time() < end:
        ms = [x for x in mails(s, addr) if "password" in
              x["headers"].get("subject", "") and
              x["headers"].get("x-ticket") != tk]
        if ms:
            m2 = ms[-1]
            break
        time.sleep(0.1)
    t.check("a second reset mail", m2 is not None)
    if m2 is not None:
        st, h, page = s.request(
            "POST", "/auth/change-password/change",
            [("Content-Type", "application/x-www-form-urlencoded")],
            "ticket=%s&new_password=correct+horse" % m2["headers"]
            ["x-ticket"])
        t.check("the form post: a done page", st == 200 and
                h.get("content-type", "").startswith("text/html"),
                (st, page[:200]))
        t.check("...and the password is the form's", login(s, addr)[0] ==
                200)
    st, _, r = action(s, "request_password_change", {"email": ghost})
    t.check("action request_password_change: ok", st == 200 and
            r == {"ok": True}, (st, r))


def _squat(s, addr, proven):
    """An account at addr with a squatter's footholds beside its
    password: a provider identity, TOTP on, a narrowed role list."""
    account(s, addr)
    acct = s.psql("SELECT id FROM auth.accounts WHERE email = '%s'" %
                  addr).stdout.strip()
    s.psql("UPDATE auth.accounts SET mfa_enabled = true, otp_secret = "
           "'v1:x', email_verified = %s WHERE id = '%s'; "
           "INSERT INTO auth.identities (account_id, provider, subject, "
           "email) VALUES ('%s', 'oidc', '%s', NULL); "
           "DELETE FROM auth.account_roles WHERE account_id = '%s' AND "
           "role <> (SELECT default_role FROM auth.accounts WHERE id = "
           "'%s')" % ("true" if proven else "false", acct, acct,
                      uuid.uuid4(), acct, acct))
    return acct


def _reset(s, addr):
    api(s, "POST", "/auth/change-password/request", {"email": addr})
    m = wait_mail(s, addr, "password")
    if m is None:
        return None
    return api(s, "POST", "/auth/change-password/change",
               {"ticket": m["headers"]["x-ticket"], "new_password": NEW})[0]


def test_password_reset_disowns_unproven(t):
    """A reset proves the address. On an account nobody had proven it for
    (registered by anyone under WARDEN_AUTO_ACTIVATE=true), whoever set
    it up keeps no provider identity (that would still sign in). The
    second factor stays (a mailbox never stands in for it) and so do the
    roles (an administrator may have given them). A proven account keeps
    its identities too."""
    s = t.s
    state = ("SELECT (SELECT count(*) FROM auth.identities WHERE "
             "account_id = a.id), a.mfa_enabled, a.otp_secret IS NULL, "
             "(SELECT count(*) FROM auth.account_roles WHERE account_id = "
             "a.id) > 1, a.email_verified FROM auth.accounts a WHERE "
             "a.id = '%s'")
    for proven in (False, True):
        addr = email()
        acct = _squat(s, addr, proven)
        before = s.psql(state % acct).stdout.strip()
        st = _reset(s, addr)
        after = s.psql(state % acct).stdout.strip()
        uid = s.psql("SELECT user_id FROM auth.accounts WHERE id = '%s'" %
                     acct).stdout.strip()
        reclaims = s.psql("SELECT count(*) FROM auth.audit_log WHERE "
                          "event = 'password_reset_reclaim' AND user_id = "
                          "'%s'" % uid).stdout.strip()
        if proven:
            t.check("reset of a proven account: its identity, TOTP and "
                    "roles stay", st == 204 and before == "1|t|f|f|t" and
                    after == before and reclaims == "0",
                    (st, before, after, reclaims))
        else:
            t.check("reset of an unproven account: identity unlinked, "
                    "TOTP and roles kept, address proven",
                    st == 204 and before == "1|t|f|f|f" and
                    after == "0|t|f|f|t" and reclaims == "1",
                    (st, before, after, reclaims))
            st, _, r = login(s, addr, NEW)
            t.check("...the new password still needs the second factor",
                    st == 200 and r.get("mfa") is True and
                    "jwt_token" not in r, (st, r))


def _change(s, b, to):
    """Asks (with session b) and confirms a change of address to to."""
    api(s, "POST", "/auth/change-email/request", {"new_email": to},
        bearer(b))
    m = wait_mail(s, to, "Change your email")
    if m is not None:
        api(s, "POST", "/auth/change-email/change",
            {"ticket": m["headers"]["x-ticket"]})


def _notice_ticket(s, addr, nth=1):
    """The revert ticket of the nth-newest change notice to addr."""
    end = time.time() + 15
    while time.time() < end:
        ms = [m for m in mails(s, addr) if "about to change" in
              m["headers"].get("subject", "")]
        if len(ms) >= nth:
            return ms[-nth]["headers"].get("x-ticket"), ms[-nth]["body"]
        time.sleep(0.1)
    return None, ""


def test_email_change_reverted(t):
    """A stolen access token moves the account: the thief asks for an
    address of theirs, confirms it there, sets a password by reset and
    registers the owner's old address to block the way back. The notice
    mailed to the owner's address carries the link that undoes all of
    it."""
    s = t.s
    addr, b = account(s)
    uid = b["user"]["id"]
    prove(s, addr)
    thief = email()
    st, _, _ = api(s, "POST", "/auth/change-email/request",
                   {"new_email": thief}, bearer(b))
    m = wait_mail(s, thief, "Change your email")
    rv, body = _notice_ticket(s, addr)
    link = "/auth/change-email/revert?ticket=%s" % rv
    t.check("the notice carries a ticket of its own and its link",
            st == 204 and m is not None and UUID_RE.match(rv or "") and
            rv != m["headers"]["x-ticket"] and link in body, (st, rv))
    if m is None or not rv:
        return
    st, _, _ = api(s, "POST", "/auth/change-email/change",
                   {"ticket": m["headers"]["x-ticket"]})
    st2 = _reset(s, thief)
    _, _, tb = login(s, thief, NEW)
    acct = s.psql("SELECT id FROM auth.accounts WHERE user_id = '%s'" %
                  uid).stdout.strip()
    # a provider linked and a second factor enrolled by the thief
    s.psql("INSERT INTO auth.identities (account_id, provider, subject) "
           "VALUES ('%s', 'oidc', '%s'); UPDATE auth.accounts SET "
           "mfa_enabled = true, otp_secret = 'v1:x' WHERE id = '%s'" %
           (acct, uuid.uuid4(), acct))
    st3, _, _ = register(s, addr)
    t.check("setup: moved, confirmed, reset and signed in by the thief, "
            "who also registered the old address", st == 204 and
            st2 == 204 and "jwt_token" in tb and st3 == 200,
            (st, st2, tb, st3))
    st, _, page = s.request("GET", link, [])
    t.check("GET of the revert link: a form, nothing spent",
            st == 200 and b'method="post"' in page and count(
                s, "SELECT count(*) FROM auth.tickets WHERE purpose = "
                "'revert' AND account_id = '%s'" % acct) == 1,
            (st, page[:200]))
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": rv})
    row = s.psql("SELECT email, email_verified, password_hash IS NULL, "
                 "(SELECT count(*) FROM auth.identities WHERE account_id "
                 "= a.id), mfa_enabled, otp_secret IS NULL FROM "
                 "auth.accounts a WHERE id = '%s'" % acct).stdout.strip()
    t.check("revert: 204; the old address back and proven, no password, "
            "no identity, no second factor enrolled since the request",
            st == 204 and row == "%s|t|t|0|f|t" % addr, (st, r, row))
    t.check("...the thief's session is revoked at the webhook",
            wait_hook(s, tb["jwt_token"], 401))
    t.check("...the thief's password and address sign in no more",
            login(s, thief, NEW)[0] == 401 and login(s, addr, NEW)[0] ==
            401)
    t.check("...the account that squatted the old address lost it",
            count(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                  "'%s'" % addr) == 1)
    st = _reset(s, addr)
    st2, _, r = login(s, addr, NEW)
    t.check("the owner sets a password by reset and signs in to the same "
            "account", st == 204 and st2 == 200 and
            r["user"]["id"] == uid, (st, st2, r))
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": rv})
    t.check("the revert ticket is single-use", st == 401, (st, r))


def _asked(s, b, addr):
    """Asks (with session b) to move addr's account to a fresh address;
    returns the revert ticket of the notice to addr (None: none)."""
    api(s, "POST", "/auth/change-email/request", {"new_email": email()},
        bearer(b))
    return _notice_ticket(s, addr)[0]


def prove(s, addr):
    """The address of addr's account proven (as by its activation)."""
    s.psql("UPDATE auth.accounts SET email_verified = true WHERE email = "
           "'%s'" % addr)


def test_email_revert_limits(t):
    """No link to an address nobody proved (its mailbox may not be the
    account holder's); a second factor on before the asking session
    survives a revert, one enrolled in it does not; no deletion while a
    change can be undone; a token alone cannot move a two-factor account
    directly; a direct change is told to the old address too."""
    s = t.s
    addr, b = account(s)
    st, _, _ = api(s, "POST", "/auth/change-email/request",
                   {"new_email": email()}, bearer(b))
    rv, body = _notice_ticket(s, addr)
    t.check("an unproven address: the notice, without a link or ticket",
            st == 204 and body and rv is None and "ticket=" not in body,
            (st, rv, body[:300]))
    addr, b = account(s)
    prove(s, addr)
    s.psql("UPDATE auth.accounts SET mfa_enabled = true, otp_secret = "
           "'v1:x' WHERE email = '%s'" % addr)
    rv = _asked(s, b, addr)
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": rv})
    row = s.psql("SELECT mfa_enabled, otp_secret FROM auth.accounts WHERE "
                 "email = '%s'" % addr).stdout.strip()
    t.check("a second factor on before the request stays after a revert",
            st == 204 and row == "t|v1:x", (st, r, row))
    addr, b = account(s)
    prove(s, addr)
    _asked(s, b, addr)
    st, _, r = api(s, "DELETE", "/auth/user", {"password": PW}, bearer(b))
    t.check("a change asked and never confirmed does not hold a deletion "
            "(nothing to undo): 204", st == 204, (st, r))
    addr, b = account(s)
    prove(s, addr)
    to = email()
    _change(s, b, to)
    st, _, r = api(s, "DELETE", "/auth/user", {"password": PW}, bearer(b))
    t.check("no deletion while a change can be undone: 409", st == 409 and
            count(s, "SELECT count(*) FROM auth.accounts WHERE email = "
                  "'%s'" % to) == 1, (st, r))
    # a second factor enrolled in the session that asks (a thief's own,
    # with a stolen token) does not survive the revert
    addr, b = account(s)
    prove(s, addr)
    st, _, g = api(s, "POST", "/auth/mfa/generate", {}, bearer(b))
    sec = g.get("otp_secret", "") if st == 200 else ""
    early_in(30, 15)
    st2, _, _ = api(s, "POST", "/auth/mfa/enable", {"code": totp(sec)},
                    bearer(b))
    rv = _asked(s, b, addr)
    st3, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": rv})
    row = s.psql("SELECT mfa_enabled, otp_secret IS NULL FROM "
                 "auth.accounts WHERE email = '%s'" % addr).stdout.strip()
    t.check("a second factor enrolled in the asking session goes with "
            "the revert", st == 200 and st2 == 204 and st3 == 204 and
            row == "f|t", (st, st2, st3, r, row))
    s.reconfigure(WARDEN_VERIFY_EMAILS="false")
    addr, b = account(s)
    s.psql("UPDATE auth.accounts SET mfa_enabled = true, otp_secret = "
           "'v1:x' WHERE email = '%s'" % addr)
    st, _, r = api(s, "POST", "/auth/change-email", {"new_email": email()},
                   bearer(b))
    t.check("direct change of a two-factor account: 403, unchanged",
            st == 403 and count(s, "SELECT count(*) FROM auth.accounts "
                                "WHERE email = '%s'" % addr) == 1, (st, r))
    addr, b = account(s)
    prove(s, addr)
    new = email()
    st, _, r = api(s, "POST", "/auth/change-email", {"new_email": new},
                   bearer(b))
    rv, _ = _notice_ticket(s, addr)
    t.check("a direct change tells the old address, with the way back",
            st == 204 and rv is not None, (st, r, rv))
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": rv})
    t.check("...which undoes it", st == 204 and count(
        s, "SELECT count(*) FROM auth.accounts WHERE email = '%s'" %
        addr) == 1, (st, r))
    # each direct change mails the old address: counted as requests are
    addr, b = account(s)
    early_in(3600, 30)
    got = [api(s, "POST", "/auth/change-email", {"new_email": email()},
               bearer(b)) for _ in range(6)]
    sts = [g[0] for g in got]
    t.check("direct changes: five mails an hour, then 429 with "
            "Retry-After", sts == [204] * 5 + [429] and
            int(got[-1][1].get("retry-after", "0")) > 0,
            (sts, got[-1][1]))


def test_email_revert_chain(t):
    """Later changes' revert tickets (mailed to the addresses taken back)
    end with a revert; earlier ones stay, so the first owner's link wins
    whoever clicks first. Also as a Hasura action."""
    s = t.s
    addr, b = account(s)
    prove(s, addr)
    a1, a2, a3 = email(), email(), email()
    _change(s, b, a1)
    _change(s, b, a2)
    _change(s, b, a3)
    r1, _ = _notice_ticket(s, addr)
    r2, _ = _notice_ticket(s, a1)
    r3, _ = _notice_ticket(s, a2)
    t.check("setup: three changes, three notices", r1 and r2 and r3 and
            login(s, a3)[0] == 200, (r1, r2, r3))
    st, _, r = action(s, "revert_email_change", {"ticket": r2})
    t.check("the second change's link: a1 back", st == 200 and
            r == {"ok": True} and count(
                s, "SELECT count(*) FROM auth.accounts WHERE email = "
                "'%s'" % a1) == 1, (st, r))
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": r3})
    t.check("...the third change's link ended with it: 401", st == 401,
            (st, r))
    st, _, r = api(s, "POST", "/auth/change-email/revert", {"ticket": r1})
    t.check("...the first change's link still works: the owner's address "
            "back", st == 204 and count(
                s, "SELECT count(*) FROM auth.accounts WHERE email = "
                "'%s'" % addr) == 1, (st, r))


def test_ticket_purpose(t):
    s = t.s
    s.reconfigure(WARDEN_AUTO_ACTIVATE="false")
    addr = email()
    register(s, addr)
    m = wait_mail(s, addr, "Confirm")
    t.check("activation mail", m is not None)
    if m is None:
        return
    tk = m["headers"]["x-ticket"]
    st, _, r = api(s, "POST", "/auth/change-password/change",
                   {"ticket": tk, "new_password": NEW})
    t.check("an activation ticket does not reset a password", st == 401,
            (st, r))
    st, _, r = api(s, "POST", "/auth/change-email/change", {"ticket": tk})
    t.check("...nor change an email", st == 401, (st, r))
    st, _, r = post(s, "/auth/activate", {"ticket": tk})
    t.check("...it still activates", st == 200, (st, r))
    t.check("...and proves the address (email_verified)",
            verified(s, addr) == "t")


def test_change_email(t):
    s = t.s
    addr, b = account(s)
    new = email()
    st, _, r = api(s, "POST", "/auth/change-email", {"new_email": new},
                   bearer(b))
    t.check("direct change refused while WARDEN_VERIFY_EMAILS is true: "
            "403", st == 403, (st, r))
    st, _, r = api(s, "POST", "/auth/change-email/request",
                   {"new_email": "not an email"}, bearer(b))
    t.check("invalid new email: 400", st == 400, (st, r))
    st, _, r = api(s, "POST", "/auth/change-email/request",
                   {"new_email": new}, bearer(b))
    t.check("request: 204", st == 204, (st, r))
    m = wait_mail(s, new, "email")
    n = wait_mail(s, addr, "change")
    t.check("a ticket to the new address", m is not None and
            UUID_RE.match(m["headers"].get("x-ticket", "")), m)
    t.check("a notice to the old one, without the confirmation ticket "
            "(its own ticket undoes the change)", n is not None and
            (m is None or m["headers"]["x-ticket"] not in n["body"] and
             n["headers"].get("x-ticket") != m["headers"]["x-ticket"]),
            n)
    if m is None:
        return
    tk = m["headers"]["x-ticket"]
    st, _, page = s.request("GET", "/auth/change-email/change?ticket=" + tk,
                            [])
    t.check("GET of the link: a page, nothing changed", st == 200 and
            login(s, addr)[0] == 200, st)
    taker = email()
    register(s, taker)
    s.psql("UPDATE auth.accounts SET email = '%s' WHERE email = '%s'" %
           (new, taker))
    st, _, r = api(s, "POST", "/auth/change-email/change", {"ticket": tk})
    t.check("the new address taken meanwhile: 409, nothing changed",
            st == 409 and login(s, addr)[0] == 200, (st, r))
    s.psql("DELETE FROM public.users WHERE id IN (SELECT user_id FROM "
           "auth.accounts WHERE email = '%s')" % new)
    st, _, r = api(s, "POST", "/auth/change-email/change", {"ticket": tk})
    t.check("confirm: 204", st == 204, (st, r))
    t.check("sign in with the new address, not the old",
            login(s, new)[0] == 200 and login(s, addr)[0] == 401)
    t.check("...the confirmed address is proven (email_verified)",
            verified(s, new) == "t")
    st, _, r = api(s, "POST", "/auth/change-email/change", {"ticket": tk})
    t.check("ticket single-use", st == 401, (st, r))
    s.reconfigure(WARDEN_VERIFY_EMAILS="false")
    newer = email()
    _, _, b2 = login(s, new)
    api(s, "POST", "/auth/change-password/request", {"email": new})
    resets = ("SELECT count(*) FROM auth.tickets t JOIN auth.accounts a ON "
              "a.id = t.account_id WHERE a.user_id = '%s' AND t.purpose = "
              "'reset'" % b2["user"]["id"])
    t.check("setup: a reset ticket mailed to the current address",
            count(s, resets) == 1)
    st, _, r = api(s, "POST", "/auth/change-email", {"new_email": newer},
                   bearer(b2))
    t.check("direct change with WARDEN_VERIFY_EMAILS=false: 204",
            st == 204 and login(s, newer)[0] == 200, (st, r))
    t.check("...an address changed without a ticket is not proven",
            verified(s, newer) == "f")
    t.check("...and the reset ticket mailed to the old one is gone",
            count(s, resets) == 0)
    other, _ = account(s)
    st, _, r = api(s, "POST", "/auth/change-email", {"new_email": other},
                   bearer(b2))
    t.check("direct change to a taken address: 409", st == 409, (st, r))


def test_email_change_ends_with_its_session(t):
    """A ticket mailed to the new address, which whoever asked chose: a
    thief with a stolen session must not confirm it once the session is
    over (logout, logout of all, refresh reuse)."""
    s = t.s
    addr, b = account(s)
    uid = b["user"]["id"]
    pending = ("SELECT count(*) FROM auth.tickets t JOIN auth.accounts a "
               "ON a.id = t.account_id WHERE a.user_id = '%s' AND "
               "t.purpose = 'email'" % uid)

    def ask(sess):
        to = email()
        st, _, r = api(s, "POST", "/auth/change-email/request",
                       {"new_email": to}, bearer(sess))
        m = wait_mail(s, to, "Change your email")
        t.check("setup: the change asked (%d) and mailed" % st,
                st == 204 and m is not None, (st, r))
        return to, (m or {"headers": {}})["headers"].get("x-ticket", "")

    def logout(sess, everywhere=False):
        st, _, _ = s.request("POST", "/auth/logout?refresh_token=" +
                             sess["refresh_token"], [("Content-Type",
                                                      "application/json")],
                             json.dumps({"all": everywhere}))
        return st

    def refused(label, to, tk):
        st, _, r = api(s, "POST", "/auth/change-email/change",
                       {"ticket": tk})
        t.check("%s: the ticket is refused (401), the address stays" %
                label, st == 401 and login(s, addr)[0] == 200 and
                login(s, to)[0] == 401, (st, r))

    _, _, other = login(s, addr)
    to, tk = ask(b)
    t.check("another session's logout leaves the ticket",
            logout(other) == 204 and count(s, pending) == 1)
    t.check("the asking session logs out", logout(b) == 204)
    refused("after the asking session's logout", to, tk)
    _, _, b = login(s, addr)
    _, _, b2 = login(s, addr)
    to, tk = ask(b)
    t.check("another session logs out everywhere",
            logout(b2, everywhere=True) == 204)
    refused("after a logout of all", to, tk)
    _, _, b = login(s, addr)
    to, tk = ask(b)
    _, _, r1 = get(s, "/auth/token/refresh?refresh_token=" +
                   b["refresh_token"])
    get(s, "/auth/token/refresh?refresh_token=" + r1["refresh_token"])
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   b["refresh_token"])
    t.check("setup: a rotated token presented again (reuse): 401",
            st == 401, st)
    refused("after refresh reuse ended the session", to, tk)
    # asked through Hasura (no session id): any session's end ends it
    _, _, b = login(s, addr)
    to = email()
    st, _, r = action(s, "request_email_change", {"new_email": to},
                      session={"x-hasura-role": "user",
                               "x-hasura-user-id": uid})
    m = wait_mail(s, to, "Change your email")
    t.check("setup: asked by the action", st == 200 and m is not None,
            (st, r))
    t.check("any session's logout", logout(b) == 204)
    refused("an action's ask after a logout", to,
            (m or {"headers": {}})["headers"].get("x-ticket", ""))


def test_mfa_without_address(t):
    """An account a provider made without a verified address (no email)
    enrols a second factor too: the app names it by its user id."""
    s = t.s
    addr, b = account(s)
    uid = b["user"]["id"]
    s.psql("UPDATE auth.accounts SET email = NULL WHERE email = '%s'" %
           addr)
    st, _, g = api(s, "POST", "/auth/mfa/generate", {}, bearer(b))
    label = urllib.parse.unquote(g.get("otpauth_url", "").split("?")[0]
                                 .rsplit("/", 1)[-1]) if st == 200 else ""
    t.check("generate without an address: 200, labelled by the user id",
            label.split(":")[-1] == uid, (st, label))


def test_mfa(t):
    s = t.s
    addr, b = account(s)
    st, _, g = api(s, "POST", "/auth/mfa/generate", {}, bearer(b))
    t.check("generate: 200 with image_url, otp_secret, otpauth_url",
            st == 200 and g["image_url"].startswith(
                "data:image/svg+xml;base64,") and
            g["otpauth_url"].startswith("otpauth://totp/") and
            "secret=" + g["otp_secret"] in g["otpauth_url"], (st, g))
    if st != 200:
        return
    svg = base64.b64decode(g["image_url"].split(",", 1)[1])
    t.check("the image is an SVG", svg.startswith(b"<svg") or
            b"<svg" in svg[:200], svg[:80])
    sealed = s.psql("SELECT otp_secret FROM auth.accounts WHERE email = "
                    "'%s'" % addr).stdout.strip()
    t.check("the secret is stored sealed, not in clear",
            sealed and g["otp_secret"] not in sealed and
            sealed.startswith("v1:"), sealed)
    sec = g["otp_secret"]
    _, _, other = login(s, addr)
    early_in(30, 15)
    st, _, r = api(s, "POST", "/auth/mfa/enable", {"code": "000000"},
                   bearer(b))
    t.check("enable with a wrong code: 401",
            st == 401 or totp(sec) == "000000", (st, r))
    st, _, r = api(s, "POST", "/auth/mfa/enable", {"code": totp(sec, -1)},
                   bearer(b))
    t.check("enable with a code (previous step): 204", st == 204, (st, r))
    st, _, _ = get(s, "/auth/token/refresh?refresh_token=" +
                   other["refresh_token"])
    t.check("...another session, signed in without it, ends (refresh "
            "401, the webhook 401 within 1 s)", st == 401 and
            wait_hook(s, other["jwt_token"], 401), st)
    st, _, r = get(s, "/auth/token/refresh?refresh_token=" +
                   b["refresh_token"])
    t.check("...the session that turned it on lives on", st == 200, st)
    b = dict(b, **(r or {}))
    st, _, r = api(s, "POST", "/auth/mfa/generate", {}, bearer(b))
    t.check("generate while enabled: refused", st == 409, (st, r))
    st, _, r = login(s, addr)
    t.check("login answers {mfa:true, ticket}", st == 200 and
            r.get("mfa") is True and UUID_RE.match(r.get("ticket", "")) and
            "jwt_token" not in r, (st, r))
    tk = r.get("ticket", "")
    st, _, r = api(s, "POST", "/auth/mfa/totp",
                   {"ticket": tk, "code": "12345a"})
    t.check("a code that is not 6 digits: 4xx", 400 <= st < 500, (st, r))
    st, _, r = api(s, "POST", "/auth/mfa/totp",
                   {"ticket": tk, "code": totp(sec, -1)})
    t.check("a code already used (its step is spent): 401", st == 401,
            (st, r))
    st, _, r = api(s, "POST", "/auth/mfa/totp",
                   {"ticket": tk, "code": totp(sec), "cookie": False})
    t.check("ticket + current code: a session", st == 200 and
            isinstance(r.get("jwt_token"), str) and
            UUID_RE.match(r.get("refresh_token", "")), (st, r))
    st, _, r2 = api(s, "POST", "/auth/mfa/totp",
                    {"ticket": tk, "code": totp(sec, 1)})
    t.check("the MFA ticket is single-use", st == 401, (st, r2))
    st, _, rr = login(s, addr)
    st, _, r3 = api(s, "POST", "/auth/mfa/totp",
                    {"ticket": rr.get("ticket", ""), "code": totp(sec)})
    t.check("the same code again (replay): 401", st == 401, (st, r3))
    st, _, x = api(s, "POST", "/auth/mfa/disable", {"code": totp(sec, 1)},
                   [("Authorization", "Bearer " + r["jwt_token"])])
    t.check("disable with the next step's code: 204", st == 204, (st, x))
    st, _, r = login(s, addr)
    t.check("login without MFA again", st == 200 and
            isinstance(r.get("jwt_token"), str), (st, r))
    n = count(s, "SELECT count(*) FROM auth.accounts WHERE email = '%s' "
              "AND otp_secret IS NULL AND NOT mfa_enabled" % addr)
    t.check("the secret is gone after disable", n == 1, n)
    # as actions: the ticket travels in the error's extensions
    addr2, b2 = account(s)
    sess = {"x-hasura-role": "user", "x-hasura-user-id": b2["user"]["id"]}
    st, _, g2 = action(s, "mfa_generate", {}, session=sess)
    t.check("action mfa_generate: the MfaSecret fields", st == 200 and
            set(g2) == {"image_url", "otp_secret", "otpauth_url"}, (st, g2))
    early_in(30, 15)
    st, _, r = action(s, "mfa_enable", {"code": totp(g2["otp_secret"])},
                      session=sess)
    t.check("action mfa_enable: ok", st == 200 and r == {"ok": True},
            (st, r))
    st, _, r = action(s, "login", {"email": addr2, "password": PW})
    tk2 = (r.get("extensions") or {}).get("ticket", "")
    t.check("action login with MFA: 4xx mfa-required with the ticket",
            400 <= st < 500 and r["extensions"]["code"] == "mfa-required" and
            UUID_RE.match(tk2), (st, r))
    st, _, r = action(s, "mfa_totp", {"ticket": tk2,
                                      "code": totp(g2["otp_secret"], 1)})
    t.check("action mfa_totp: an AuthSession", st == 200 and
            isinstance(r.get("jwt_token"), str), (st, r))


def test_mfa_failures_throttled(t):
    s = t.s
    s.reconfigure(WARDEN_LOGIN_MAX_FAILURES="3")
    addr, b = account(s)
    st, _, g = api(s, "POST", "/auth/mfa/generate", {}, bearer(b))
    sec = g["otp_secret"]
    api(s, "POST", "/auth/mfa/enable", {"code": totp(sec)}, bearer(b))
    early_in(900, 30)
    _, _, r = login(s, addr)
    wrong = "%06d" % ((int(totp(sec, 1)) + 1) % 1000000)
    got = [api(s, "POST", "/auth/mfa/totp",
               {"ticket": r["ticket"], "code": wrong}) for _ in range(4)]
    sts = [g[0] for g in got]
    t.check("wrong codes: 401 three times, then 429 with Retry-After",
            sts == [401, 401, 401, 429] and
            int(got[-1][1].get("retry-after", "0")) > 0,
            (sts, got[-1][1]))
    got = [api(s, "POST", "/auth/change-password",
               {"old_password": "wrong one", "new_password": NEW},
               bearer(b)) for _ in range(4)]
    sts = [g[0] for g in got]
    t.check("wrong old passwords: 401 three times, then 429 with "
            "Retry-After", sts == [401, 401, 401, 429] and
            int(got[-1][1].get("retry-after", "0")) > 0,
            (sts, got[-1][1]))


def test_reset_requests_never_lock_out(t):
    """Reset mails are counted per (address, client): a stranger who
    asks five times gets 429 (with Retry-After), but the owner's own
    request from elsewhere is mailed (API.md 5.1: no lock-out). Per
    address, whoever asks, 20 an hour: past that the answer stays 204
    and nothing more is mailed (never a mail cannon)."""
    s = t.s
    addr, b = account(s)
    early_in(3600, 60)

    def ask(src):
        return api(s, "POST", "/auth/change-password/request",
                   {"email": addr}, source=src)

    def resets(n, secs=15.0):
        end = time.time() + secs
        while True:
            got = [m for m in mails(s, addr) if "password" in
                   m["headers"].get("subject", "").lower()]
            if len(got) >= n or time.time() > end:
                return len(got)
            time.sleep(0.1)

    got = [ask("127.0.0.9") for _ in range(6)]
    sts = [g[0] for g in got]
    t.check("a stranger: five requests, then 429 with Retry-After",
            sts == [204] * 5 + [429] and
            int(got[-1][1].get("retry-after", "0")) > 0,
            (sts, got[-1][1]))
    st, _, r = ask("127.0.0.77")
    t.check("...the owner's own request from another address: 204, "
            "mailed", st == 204 and resets(6) == 6, (st, r, resets(6, 0)))
    # through Hasura (no client address known): no count per client,
    # which would be one for every user of the action
    sts = [action(s, "request_password_change", {"email": addr})[0]
           for _ in range(6)]
    t.check("the action, six times: never a 429 (one shared count would "
            "let a stranger hold the owner's)", sts == [200] * 6 and
            resets(12) == 12, (sts, resets(12, 0)))
    for i in range(8):          # 20 mails to the address in all
        ask("127.0.0.%d" % (10 + i // 4))
    n = resets(20)
    st, _, r = ask("127.0.0.20")
    time.sleep(2)
    t.check("past 20 mails an hour to the address: still 204, nothing "
            "more mailed", n == 20 and st == 204 and resets(21, 0) == 20,
            (n, st, r, resets(21, 0)))


def test_delete_account(t):
    s = t.s
    addr, b = account(s)
    uid = b["user"]["id"]
    st, _, r = api(s, "DELETE", "/auth/user", {"password": "wrong one"},
                   bearer(b))
    t.check("wrong password: 401, nothing deleted", st == 401 and
            count(s, "SELECT count(*) FROM auth.accounts WHERE user_id = "
                  "'%s'" % uid) == 1, (st, r))
    api(s, "POST", "/auth/change-password/request", {"email": addr})
    st, _, r = api(s, "DELETE", "/auth/user", {"password": PW}, bearer(b))
    t.check("DELETE /auth/user: 204", st == 204, (st, r))
    for tbl, col in (("public.users", "id"), ("auth.accounts", "user_id")):
        n = count(s, "SELECT count(*) FROM %s WHERE %s = '%s'" % (tbl, col,
                                                                 uid))
        t.check("%s row gone" % tbl, n == 0, n)
    n = count(s, "SELECT count(*) FROM auth.refresh_tokens r WHERE NOT "
              "EXISTS (SELECT 1 FROM auth.accounts a WHERE a.id = "
              "r.account_id)")
    t.check("no refresh token, ticket or role without its account",
            n == 0 and count(s, "SELECT count(*) FROM auth.tickets t WHERE "
                             "NOT EXISTS (SELECT 1 FROM auth.accounts a "
                             "WHERE a.id = t.account_id)") == 0, n)
    t.check("the webhook refuses its token within 1 s",
            wait_hook(s, b["jwt_token"], 401))
    n = count(s, "SELECT count(*) FROM auth.audit_log WHERE user_id = '%s' "
              "AND event = 'account_delete'" % uid)
    t.check("an audit row stays", n == 1, n)
    t.check("the address can register again", register(s, addr)[0] == 200)
    st, _, r = api(s, "DELETE", "/auth/user", {"password": PW}, bearer(b))
    t.check("the deleted account's token: 401", st == 401, (st, r))


def test_never_activated_address_reclaimed(t):
    """WARDEN_AUTO_ACTIVATE=false: whoever registered an address and never
    activated it does not keep it from its owner (sql/014). A reset
    proves the address and makes the account the owner's, active, with
    the registrant's password, roles and activation ticket gone; an
    account an operator deactivated stays so."""
    s = t.s
    s.reconfigure(WARDEN_AUTO_ACTIVATE="false", WARDEN_SERVER_URL=s.url,
                  WARDEN_REGISTRATION_CUSTOM_FIELDS="avatar_url")
    addr = email()
    st, _, b = register(s, addr, pw="squatter pw 1", register_options={
        "default_role": "me", "allowed_roles": ["me"]}, user_data={
        "avatar_url": "https://evil.example/x.png"})
    t.check("a stranger registers the address, inactive", st == 200 and
            b["jwt_token"] is None, (st, b))
    act = wait_mail(s, addr, "Confirm")
    t.check("...its activation mail went out", act is not None)
    st, _, _ = register(s, addr, pw=PW)
    t.check("the owner's registration: 409", st == 409, st)
    st = _reset(s, addr)
    t.check("the owner's reset of the never-activated account: 204",
            st == 204, st)
    st, _, b = login(s, addr, NEW)
    t.check("...the owner signs in with the reset's password, the "
            "default role", st == 200 and claims(b["jwt_token"])
            ["https://hasura.io/jwt/claims"]["x-hasura-default-role"] ==
            "user", (st, b))
    t.check("...the stranger's password is gone",
            login(s, addr, "squatter pw 1")[0] == 401)
    t.check("...the address proven", verified(s, addr) == "t")
    row = s.psql("SELECT u.display_name || '|' || coalesce(u.avatar_url, "
                 "'-') FROM public.users u JOIN auth.accounts a ON a.user_id "
                 "= u.id WHERE a.email = '%s'" % addr).stdout.strip()
    t.check("...the registrant's user_data gone (it may be a claim)",
            row == addr + "|-", row)
    if act is not None:
        st, _, _ = post(s, "/auth/activate",
                        {"ticket": act["headers"]["x-ticket"]})
        t.check("...the stranger's activation ticket ended", st == 401, st)
    n = count(s, "SELECT count(*) FROM auth.audit_log l JOIN auth.accounts "
              "a ON a.user_id = l.user_id WHERE a.email = '%s' AND "
              "l.event = 'password_reset_reclaim'" % addr)
    t.check("...audited as a reclaim", n == 1, n)
    # an account that was active and that an operator deactivated
    other = email()
    s.reconfigure()
    register(s, other)
    s.psql("UPDATE auth.accounts SET active = false WHERE email = '%s'" %
           other)
    st, _, _ = api(s, "POST", "/auth/change-password/request",
                   {"email": other})
    # a reset of an active account asked after it: the mailer sends in
    # order, so once this one is in, the first would be too
    later, _ = account(s)
    api(s, "POST", "/auth/change-password/request", {"email": later})
    t.check("(a later reset's mail arrives)",
            wait_mail(s, later, "password") is not None)
    sent = [m for m in mails(s, other)
            if "password" in m["headers"].get("subject", "")]
    t.check("a reset of an account an operator deactivated: 204, no mail",
            st == 204 and sent == [], (st, len(sent)))
