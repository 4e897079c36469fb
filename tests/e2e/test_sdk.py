"""The reference client, nhost-js-sdk 3.1.0 from npm, unchanged, against
the running stack (API.md §5). npm and node come from the machine (the
Makefile installs Debian's nodejs and npm when missing)."""
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NPM_DIR = os.path.join(REPO, "build", "npm")


def ensure_sdk():
    mod = os.path.join(NPM_DIR, "node_modules", "nhost-js-sdk")
    if os.path.isdir(mod):
        return None
    if shutil.which("npm") is None:
        return "npm not found"
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit",
                        "--no-fund", "--silent", "nhost-js-sdk@3.1.0"],
                       capture_output=True, text=True, timeout=300)
    return None if r.returncode == 0 else r.stderr[-500:]


def test_nhost_js_sdk_auth(t):
    err = ensure_sdk()
    t.check("nhost-js-sdk@3.1.0 installed", err is None, err)
    if err is not None:
        return
    r = subprocess.run(["node", os.path.join(HERE, "sdk", "nhost_sdk.js"),
                        os.path.join(NPM_DIR, "node_modules"), t.s.url],
                       capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stdout.splitlines()
             if l.startswith(("PASS sdk: ", "FAIL sdk: "))]
    t.check("sdk script ran its cases", len(lines) >= 20,
            (r.returncode, r.stdout[-300:], r.stderr[-300:]))
    for l in lines:
        verdict, _, rest = l.partition(" sdk: ")
        t.check(rest, verdict == "PASS", rest)
    t.check("sdk script exit 0", r.returncode == 0, r.stderr[-300:])


def test_nhost_js_sdk_lifecycle(t):
    """Issue 9: the lifecycle calls of nhost-js-sdk 3.1.0, unchanged."""
    err = ensure_sdk()
    t.check("nhost-js-sdk@3.1.0 installed", err is None, err)
    if err is not None:
        return
    r = subprocess.run(["node", os.path.join(HERE, "sdk",
                                             "nhost_lifecycle.js"),
                        os.path.join(NPM_DIR, "node_modules"), t.s.url,
                        t.s.run],
                       capture_output=True, text=True, timeout=180)
    lines = [l for l in r.stdout.splitlines()
             if l.startswith(("PASS sdk: ", "FAIL sdk: "))]
    t.check("lifecycle script ran its cases", len(lines) >= 18,
            (r.returncode, r.stdout[-300:], r.stderr[-300:]))
    for l in lines:
        verdict, _, rest = l.partition(" sdk: ")
        t.check(rest, verdict == "PASS", rest)
    t.check("lifecycle script exit 0", r.returncode == 0, r.stderr[-300:])
