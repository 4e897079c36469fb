"""Hasura metadata (issue #5): metadata/ is a v3 directory whose files
parse (with !include resolved), whose actions point at handler routes the
running stack serves, whose output types are exactly what the handlers
answer, and whose tracked tables never expose secrets."""
import json
import os
import re
import subprocess
import uuid

from smtp_sink import SmtpSink

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
META = os.path.join(REPO, "metadata")
ACTIONS = ("register", "login", "refresh", "logout", "activate",
           # the account lifecycle (issue #9)
           "change_password", "request_password_change",
           "confirm_password_change", "request_email_change",
           "confirm_email_change", "change_email", "mfa_generate",
           "mfa_enable", "mfa_disable", "mfa_totp", "delete_user",
           # undoing an email change from the old address
           "revert_email_change")
# who may call which action (API.md §6, issue #5)
ACTION_ROLES = {"register": {"anonymous"}, "login": {"anonymous"},
                "refresh": {"anonymous", "user"}, "logout": {"user"},
                "activate": {"anonymous"},
                "change_password": {"user"},
                "request_password_change": {"anonymous"},
                "confirm_password_change": {"anonymous"},
                "request_email_change": {"user"},
                "confirm_email_change": {"anonymous"},
                "revert_email_change": {"anonymous"},
                "change_email": {"user"}, "mfa_generate": {"user"},
                "mfa_enable": {"user"}, "mfa_disable": {"user"},
                "mfa_totp": {"anonymous"}, "delete_user": {"user"}}
SECRET_COLUMNS = {"password_hash", "otp_secret", "otp_last_step",
                  "email_verified", "mfa_enabled", "mfa_enabled_at",
                  "activated_at"}
# the only columns a role may select, table by table: a column added to
# the schema is hidden until it is listed here on purpose (a denylist
# would miss it)
ALLOWED_COLUMNS = {
    "public.users": {"id", "created_at", "updated_at", "display_name",
                     "avatar_url"},
    "auth.accounts": {"id", "created_at", "updated_at", "user_id",
                      "active", "email", "new_email", "default_role",
                      "is_anonymous", "custom_register_data"},
    "auth.roles": {"role"},
    "auth.account_roles": {"id", "created_at", "account_id", "role"},
}
TRACKED = {"public.users", "auth.accounts", "auth.roles",
           "auth.account_roles"}
NEVER_TRACKED = {"auth.refresh_tokens", "auth.revoked_sessions",
                 "auth.audit_log", "auth.tickets", "auth.identities",
                 "auth.outbox", "auth.throttle", "auth.provider_requests",
                 "storage.objects", "storage.reservations",
                 "storage.uploads", "storage.usage"}
UA = "hasura-graphql-engine/v2.0.0"

# Loads one metadata YAML file with Hasura's !include resolved, relative to
# the including file: as a tag (`tables: !include x.yaml`) and as the
# quoted string the CLI writes (`tables: "!include x.yaml"`). Run in this
# process, or by Debian's python3 when this interpreter lacks yaml.
LOADER = r'''
import os, yaml

def load_meta(path):
    class L(yaml.SafeLoader):
        pass
    base = os.path.dirname(os.path.abspath(path))

    def inc(loader, node):
        return load_meta(os.path.join(base, loader.construct_scalar(node)))
    L.add_constructor("!include", inc)

    def walk(v):
        if isinstance(v, str) and v.startswith("!include "):
            return load_meta(os.path.join(base, v[len("!include "):]
                                          .strip().strip('"')))
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v
    with open(path) as f:
        return walk(yaml.load(f, Loader=L))
'''


def load_yaml(path):
    try:
        import yaml  # noqa: F401
    except ImportError:
        code = LOADER + "\nimport json, sys\n" \
            "print(json.dumps(load_meta(sys.argv[1]), default=str))\n"
        r = subprocess.run(["/usr/bin/python3", "-c", code, path],
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout)
    ns = {}
    exec(LOADER, ns)
    return ns["load_meta"](path)


def yaml_files():
    out = []
    for d, _, fs in os.walk(META):
        out += [os.path.join(d, f) for f in fs if f.endswith(".yaml")]
    return sorted(out)


def parse_sdl(path):
    """{type name: {field: (args text, type)}} of actions.graphql; the
    repeated `type Mutation` blocks Hasura writes are merged."""
    with open(path) as f:
        src = re.sub(r"#[^\n]*", "", f.read())
    types = {}
    for m in re.finditer(r"\b(type|input)\s+(\w+)\s*\{([^}]*)\}", src):
        flds = types.setdefault(m.group(2), {})
        for fm in re.finditer(r"(\w+)\s*(\(([^)]*)\))?\s*:\s*([\w!\[\]]+)",
                              m.group(3)):
            flds[fm.group(1)] = (fm.group(3) or "", fm.group(4))
    return types


def sdl_args(text):
    return {a: ty for a, ty in re.findall(r"(\w+)\s*:\s*([\w!\[\]]+)", text)}


def tables():
    dbs = load_yaml(os.path.join(META, "databases", "databases.yaml"))
    src = [d for d in dbs if d.get("name") == "default"][0]
    return {"%s.%s" % (t["table"]["schema"], t["table"]["name"]): t
            for t in src.get("tables") or []}


def post_action(s, name, inp, secret=None, role="anonymous", uid=None):
    sess = {"x-hasura-role": role}
    if uid:
        sess["x-hasura-user-id"] = uid
    body = {"action": {"name": name}, "input": inp,
            "session_variables": sess,
            "request_query": "mutation { %s { __typename } }" % name}
    h = [("Content-Type", "application/json"), ("User-Agent", UA)]
    sec = s.base_env["WARDEN_ACTION_SECRET"] if secret is None else secret
    if sec:
        h.append(("X-Warden-Action-Secret", sec))
    st, hd, b = s.request("POST", "/actions/" + name, h, json.dumps(body))
    try:
        return st, hd, json.loads(b) if b else None
    except ValueError:
        return st, hd, b


def email():
    return "m%s@example.com" % uuid.uuid4().hex[:12]


def test_files_parse(t):
    files = yaml_files()
    t.check("metadata/ has yaml files", len(files) >= 3, files)
    bad = []
    for p in files:
        try:
            load_yaml(p)
        except Exception as e:  # noqa: BLE001
            bad.append("%s: %s" % (os.path.relpath(p, META), e))
    t.check("every .yaml parses with !include resolved", not bad, bad)
    v = load_yaml(os.path.join(META, "version.yaml"))
    t.check("version.yaml: version 3", v == {"version": 3}, v)
    dbs = load_yaml(os.path.join(META, "databases", "databases.yaml"))
    d = [x for x in dbs if x.get("name") == "default"]
    t.check("databases.yaml: one source 'default', kind postgres",
            len(d) == 1 and d[0].get("kind") == "postgres", dbs)
    url = d[0]["configuration"]["connection_info"]["database_url"] if d \
        else None
    t.check("database url from env HASURA_GRAPHQL_DATABASE_URL",
            url == {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}, url)
    t.check("tables included and resolved to a list",
            d and isinstance(d[0].get("tables"), list), d)
    a = load_yaml(os.path.join(META, "actions.yaml"))
    ct = a.get("custom_types") or {}
    t.check("actions.yaml: custom_types with the CLI's four keys",
            set(ct) == {"enums", "input_objects", "objects", "scalars"}, ct)
    types = parse_sdl(os.path.join(META, "actions.graphql"))
    objs = {n for n in types if n not in ("Mutation", "Query")}
    t.check("custom_types.objects names the SDL's object types",
            {o["name"] for o in ct.get("objects") or []} == objs,
            (ct.get("objects"), objs))


def test_actions_declared(t):
    a = load_yaml(os.path.join(META, "actions.yaml"))
    types = parse_sdl(os.path.join(META, "actions.graphql"))
    muts = types.get("Mutation", {})
    names = [x["name"] for x in a.get("actions") or []]
    t.check("actions.yaml declares exactly the actions Warden serves",
            sorted(names) == sorted(ACTIONS), names)
    t.check("actions.graphql: the same Mutation fields, no Query",
            set(muts) == set(ACTIONS) and "Query" not in types, list(muts))
    for x in a.get("actions") or []:
        n, d = x["name"], x.get("definition") or {}
        t.check("%s: handler {{WARDEN_URL}}/actions/%s" % (n, n),
                d.get("handler") == "{{WARDEN_URL}}/actions/" + n,
                d.get("handler"))
        hs = d.get("headers") or []
        t.check("%s: secret header from env, never inline" % n,
                [(h.get("name", "").lower(), h.get("value_from_env"),
                  "value" in h) for h in hs] ==
                [("x-warden-action-secret", "WARDEN_ACTION_SECRET", False)],
                hs)
        t.check("%s: synchronous, no client headers, timeout 30" % n,
                d.get("kind") == "synchronous" and
                d.get("forward_client_headers") is False and
                d.get("timeout") == 30, d)
        roles = {p["role"] for p in x.get("permissions") or []}
        t.check("%s: permissions %s" % (n, sorted(ACTION_ROLES.get(n, ()))),
                roles == ACTION_ROLES.get(n), roles)
        t.check("%s: defined in actions.graphql with a declared output" % n,
                n in muts and muts[n][1].rstrip("!") in types, muts.get(n))
    args = {n: sdl_args(muts[n][0]) for n in muts}
    t.check("SDL arguments", args == {
        "register": {"email": "String!", "password": "String!",
                     "user_data": "jsonb"},
        "login": {"email": "String!", "password": "String!"},
        "refresh": {"refresh_token": "String!"},
        "logout": {"refresh_token": "String!", "all": "Boolean"},
        "activate": {"ticket": "String!"},
        "change_password": {"old_password": "String!",
                            "new_password": "String!"},
        "request_password_change": {"email": "String!"},
        "confirm_password_change": {"ticket": "String!",
                                    "new_password": "String!"},
        "request_email_change": {"new_email": "String!"},
        "confirm_email_change": {"ticket": "String!"},
        "revert_email_change": {"ticket": "String!"},
        "change_email": {"new_email": "String!"},
        "mfa_generate": {},
        "mfa_enable": {"code": "String!"},
        "mfa_disable": {"code": "String!"},
        "mfa_totp": {"ticket": "String!", "code": "String!"},
        "delete_user": {"password": "String!"}}, args)
    want = {n: "AuthOk" for n in ACTIONS}
    want.update({"register": "AuthSession", "login": "AuthSession",
                 "refresh": "AuthSession", "mfa_totp": "AuthSession",
                 "mfa_generate": "MfaSecret"})
    t.check("outputs: AuthSession for sign-ins, MfaSecret for "
            "mfa_generate, AuthOk else",
            {n: muts[n][1] for n in muts} == want, muts)


def test_handler_routes_served(t):
    s = t.s
    for n in ACTIONS:
        st, hd, b = post_action(s, n, {})
        t.check("/actions/%s: empty input answers 4xx, not 404" % n,
                400 <= st < 500 and st != 404, (st, b))
        t.check("/actions/%s: Hasura error shape {message, extensions.code}"
                % n, isinstance(b, dict) and set(b) == {"message",
                                                         "extensions"}
                and isinstance(b["message"], str) and
                isinstance(b["extensions"].get("code"), str) and
                hd.get("content-type", "").startswith("application/json"),
                (st, b))
        st, _, b = post_action(s, n, {}, secret="")
        t.check("/actions/%s: without the secret 401" % n, st == 401,
                (st, b))


def test_tables_read_only_no_secrets(t):
    tb = tables()
    t.check("tracked tables", set(tb) == TRACKED, sorted(tb))
    t.check("refresh_tokens, revoked_sessions, audit_log not tracked",
            not (set(tb) & NEVER_TRACKED), sorted(tb))
    cols = {}
    for line in t.s.psql(
            "SELECT table_schema || '.' || table_name, column_name FROM "
            "information_schema.columns WHERE table_schema IN "
            "('public', 'auth')").stdout.splitlines():
        k, c = line.split("|")
        cols.setdefault(k, set()).add(c)
    for k, d in sorted(tb.items()):
        t.check("%s: read-only (select permissions only)" % k,
                not any(d.get(p) for p in ("insert_permissions",
                                           "update_permissions",
                                           "delete_permissions")), d)
        sel = d.get("select_permissions") or []
        t.check("%s: select for role user only" % k,
                [p["role"] for p in sel] == ["user"], sel)
        for p in sel:
            pc = p["permission"].get("columns")
            t.check("%s: explicit column list" % k, isinstance(pc, list)
                    and pc and "*" not in pc, pc)
            pc = pc if isinstance(pc, list) else []
            t.check("%s: no secret column" % k,
                    not (set(pc) & SECRET_COLUMNS), pc)
            t.check("%s: only the columns allowed for it" % k,
                    set(pc) <= ALLOWED_COLUMNS.get(k, set()),
                    set(pc) - ALLOWED_COLUMNS.get(k, set()))
            t.check("%s: columns exist in the database" % k,
                    set(pc) <= cols.get(k, set()), set(pc) - cols.get(
                        k, set()))
            t.check("%s: rows filtered by X-Hasura-User-Id" % k,
                    "x-hasura-user-id" in json.dumps(
                        p["permission"].get("filter")).lower(),
                    p["permission"].get("filter"))
        for kind in ("object_relationships", "array_relationships"):
            for r in d.get(kind) or []:
                u = r["using"]
                fk = u.get("foreign_key_constraint_on")
                mc = u.get("manual_configuration")
                if isinstance(fk, str):
                    ok = fk in cols.get(k, set())
                elif isinstance(fk, dict):
                    rt = "%s.%s" % (fk["table"]["schema"],
                                    fk["table"]["name"])
                    ok = rt in tb and fk["column"] in cols.get(rt, set())
                else:
                    rt = "%s.%s" % (mc["remote_table"]["schema"],
                                    mc["remote_table"]["name"])
                    ok = rt in tb and all(
                        a in cols.get(k, set()) and b in cols.get(rt, set())
                        for a, b in mc["column_mapping"].items())
                t.check("%s: relationship %s names tracked tables and real "
                        "columns" % (k, r["name"]), ok, r)
    accts = tb.get("auth.accounts", {})
    t.check("auth.accounts filter: user_id = X-Hasura-User-Id",
            accts.get("select_permissions", [{}])[0].get("permission", {})
            .get("filter") == {"user_id": {"_eq": "X-Hasura-User-Id"}},
            accts)
    users = tb.get("public.users", {})
    t.check("public.users filter: id = X-Hasura-User-Id",
            users.get("select_permissions", [{}])[0].get("permission", {})
            .get("filter") == {"id": {"_eq": "X-Hasura-User-Id"}}, users)


def test_outputs_match_handlers(t):
    s = t.s
    types = parse_sdl(os.path.join(META, "actions.graphql"))
    sess_t = types.get("AuthSession", {})
    ok_t = types.get("AuthOk", {})
    addr = email()
    st, _, r = post_action(s, "register", {
        "email": addr, "password": "correct horse", "user_data": {}})
    t.check("action register (declared args) 200, keys = AuthSession",
            st == 200 and isinstance(r, dict) and set(r) == set(sess_t),
            (st, r, sorted(sess_t)))
    st, _, r = post_action(s, "login", {"email": addr,
                                        "password": "correct horse"})
    t.check("action login keys = AuthSession fields exactly",
            st == 200 and isinstance(r, dict) and set(r) == set(sess_t),
            (st, r, sorted(sess_t)))
    r = r if isinstance(r, dict) else {}
    nonnull = {f for f, (_, ty) in sess_t.items() if ty.endswith("!")}
    t.check("login: non-null fields are set",
            all(r.get(f) is not None for f in nonnull), (nonnull, r))
    ints = [f for f, (_, ty) in sess_t.items() if ty.rstrip("!") == "Int"]
    t.check("login: Int fields fit GraphQL's 32-bit Int", all(
        isinstance(r.get(f), int) and -2 ** 31 <= r[f] < 2 ** 31
        for f in ints), {f: r.get(f) for f in ints})
    try:
        uuid.UUID(str(r.get("id")))
        is_uuid = True
    except ValueError:
        is_uuid = False
    t.check("login: id is a uuid", is_uuid, r.get("id"))
    st, _, r2 = post_action(s, "refresh", {
        "refresh_token": r.get("refresh_token")}, role="user",
        uid=r.get("id"))
    t.check("action refresh keys = AuthSession fields exactly",
            st == 200 and isinstance(r2, dict) and set(r2) == set(sess_t),
            (st, r2))
    r2 = r2 if isinstance(r2, dict) else {}
    st, _, o = post_action(s, "logout", {
        "refresh_token": r2.get("refresh_token"), "all": False},
        role="user", uid=r.get("id"))
    t.check("action logout (declared args) keys = AuthOk fields",
            st == 200 and isinstance(o, dict) and set(o) == set(ok_t) and
            o.get("ok") is True, (st, o, sorted(ok_t)))


def test_activation_outputs_match(t):
    s = t.s
    types = parse_sdl(os.path.join(META, "actions.graphql"))
    sess_t = types.get("AuthSession", {})
    ok_t = types.get("AuthOk", {})
    sink = SmtpSink()
    try:
        s.reconfigure(WARDEN_AUTO_ACTIVATE="false",
                      WARDEN_SMTP_URL="smtp://127.0.0.1:%d" % sink.port,
                      WARDEN_SMTP_SENDER="warden@example.com",
                      WARDEN_SERVER_URL=s.url)
        addr = email()
        st, _, r = post_action(s, "register", {"email": addr,
                                               "password": "correct horse"})
        t.check("inactive register: keys = AuthSession, tokens null",
                st == 200 and isinstance(r, dict) and set(r) == set(sess_t)
                and r["jwt_token"] is None and r["refresh_token"] is None
                and r["jwt_expires_in"] is None, (st, r))
        nullable = {f for f, (_, ty) in sess_t.items()
                    if not ty.endswith("!")}
        t.check("the fields null here are nullable in AuthSession",
                {"jwt_token", "jwt_expires_in", "refresh_token"} <= nullable,
                nullable)
        msgs = sink.wait_rcpt(addr)
        tk = msgs[0]["headers"].get("x-ticket", "") if msgs else ""
        t.check("activation mail with ticket", tk != "", msgs)
        st, _, o = post_action(s, "activate", {"ticket": tk})
        t.check("action activate keys = AuthOk fields",
                st == 200 and isinstance(o, dict) and set(o) == set(ok_t)
                and o.get("ok") is True, (st, o))
    finally:
        sink.close()
