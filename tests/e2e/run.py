#!/usr/bin/env python3
"""End-to-end runner: starts the real stack once, runs every test_* function
of tests/e2e/test_*.py, prints one PASS/FAIL line per check."""
import importlib.util
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack  # noqa: E402


class T:
    def __init__(self, stack):
        self.s = stack
        self.failed = 0
        self.prefix = ""

    def check(self, name, cond, detail=""):
        if cond:
            print("PASS e2e %s: %s" % (self.prefix, name), flush=True)
        else:
            self.failed += 1
            print("FAIL e2e %s: %s %s" % (self.prefix, name,
                                         str(detail)[:300]), flush=True)
        return cond


def main():
    bindir = sys.argv[1]
    only = sys.argv[2] if len(sys.argv) > 2 else None
    here = os.path.dirname(os.path.abspath(__file__))
    s = Stack(bindir)
    t = T(s)
    try:
        s.start()
    except Exception as e:  # the whole suite depends on it
        print("FAIL e2e stack: start %s" % e)
        s.destroy()
        return 1
    try:
        for fn in sorted(os.listdir(here)):
            if not fn.startswith("test_") or not fn.endswith(".py"):
                continue
            spec = importlib.util.spec_from_file_location(fn[:-3],
                                                          os.path.join(here, fn))
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            for name in [n for n in vars(mod) if n.startswith("test_")]:
                t.prefix = "%s.%s" % (fn[5:-3], name[5:])
                if only and only not in t.prefix:
                    continue
                try:
                    getattr(mod, name)(t)
                except Exception:
                    t.failed += 1
                    print("FAIL e2e %s: raised %s" % (
                        t.prefix, traceback.format_exc().replace("\n", " | ")
                        [-600:]), flush=True)
                finally:
                    # leave the stack in its base configuration
                    if getattr(s, "cur_env", None) not in (None, s.base_env):
                        s.reconfigure()
    finally:
        s.destroy()
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
