"""make start / make stop behaviour (API.md §1) on the test's own stack."""
import os


def test_start_is_idempotent(t):
    s = t.s
    pid = open(os.path.join(s.run, "lighttpd.pid")).read().strip()
    env_before = open(os.path.join(s.run, "warden.env")).read()
    r = s.sh("start", check=False)
    t.check("second start exits 0", r.returncode == 0, r.stderr)
    pid2 = open(os.path.join(s.run, "lighttpd.pid")).read().strip()
    t.check("second start leaves the running lighttpd alone", pid == pid2,
            (pid, pid2))
    t.check("second start keeps warden.env (and its secrets)",
            env_before == open(os.path.join(s.run, "warden.env")).read())
    t.check("prints the webhook URL", "/hook" in r.stdout, r.stdout)


def test_env_file_contract(t):
    s = t.s
    env = s.read_env()
    for k in ("WARDEN_URL", "WARDEN_DATABASE_URL", "WARDEN_JWT_SECRET",
              "WARDEN_ACTION_SECRET", "WARDEN_STORAGE_DIR"):
        t.check("warden.env has " + k, bool(env.get(k)), sorted(env))
    t.check("WARDEN_URL points at the stack",
            env.get("WARDEN_URL") == s.url, env.get("WARDEN_URL"))
    import subprocess
    r = subprocess.run(["psql", "-X", "-At", env["WARDEN_DATABASE_URL"],
                        "-c", "SELECT rolsuper, rolcreaterole FROM pg_roles "
                        "WHERE rolname = current_user"],
                       capture_output=True, text=True)
    t.check("WARDEN_DATABASE_URL connects as a non-superuser",
            r.stdout.strip() == "f|f", (r.stdout, r.stderr))
    r = subprocess.run(["psql", "-X", "-At", env["WARDEN_DATABASE_URL"],
                        "-c", "DROP TABLE auth.accounts"],
                       capture_output=True, text=True)
    t.check("the binaries' role cannot drop tables", r.returncode != 0,
            r.stdout)
    mode = os.stat(os.path.join(s.run, "warden.env")).st_mode & 0o777
    t.check("warden.env not readable by others", mode & 0o077 == 0,
            oct(mode))


def test_stop_and_start_again(t):
    s = t.s
    r = s.sh("stop", check=False)
    t.check("stop exits 0", r.returncode == 0, r.stderr)
    try:
        st, _, _ = s.request("GET", "/healthz")
        t.check("nothing answers after stop", False, st)
    except OSError:
        t.check("nothing answers after stop", True)
    r = s.sh("start", check=False)
    t.check("start again exits 0", r.returncode == 0, r.stderr)
    st, _, b = s.request("GET", "/healthz")
    t.check("healthz after restart", st == 200 and b == b"ok", (st, b))
    r = s.psql("SELECT count(*) > 0 FROM public.warden_migrations")
    t.check("data kept across stop/start", r.stdout.strip() == "t",
            r.stdout)
