#!/bin/sh
# Benchmark of GET /hook, POST /auth/login and GET /auth/token/refresh (a
# benchmark, not a test: it prints numbers and targets, never PASS/FAIL,
# and exits 0 whether targets are met or not).
#   1. builds the ceilings into $1/bench/: tests/bench/null_responder.c
#      (the webhook's) and tests/bench/crypt_loop.c (login's: the hash)
#   2. tests/bench/bench.py starts the real stack, adds the null responder
#      under the same lighttpd and under a bare one-route lighttpd beside
#      it, and runs wrk and its own clients against each endpoint
# BENCH_ONLY=hook runs the webhook part alone (about a minute).
# Exits non-zero only if the benchmark could not run.
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk missing (make deps)" >&2
	exit 2
fi
mkdir -p "$B/bench" || exit 2
cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags fcgi) \
	-o "$B/bench/null_responder" tests/bench/null_responder.c \
	$(pkg-config --libs fcgi) || exit 2
cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags libxcrypt) \
	-o "$B/bench/crypt_loop" tests/bench/crypt_loop.c \
	$(pkg-config --libs libxcrypt) || exit 2

python3 tests/bench/bench.py "$B/bin" "$B/bench/null_responder" \
	"$B/bench/crypt_loop" || exit $?
[ "${BENCH_ONLY:-}" = hook ] && exit 0
# storage (issue #4): 1 MiB download vs static, 1 GiB upload/download RSS
exec sh tests/bench/storage.sh "$B"
