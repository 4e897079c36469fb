#!/bin/sh
# Benchmarks (a benchmark, not a test: it prints numbers and targets,
# never PASS/FAIL, and exits 0 whether targets are met or not; non-zero
# only if it could not run).
#   1. builds the ceilings into $1/bench/: tests/bench/null_responder.c
#      (the webhook's, and with NULL_SENDFILE_DIR the fs download's) and
#      tests/bench/crypt_loop.c (login's: the hash)
#   2. tests/bench/bench.py starts the real stack, adds the null responder
#      under the same lighttpd and under a bare one-route lighttpd beside
#      it, and runs wrk and its own clients against each endpoint
#   3. tests/bench/storage.py (issues #4, #11) on a stack of its own, with
#      s3rver (npm, build/npm, as the e2e suite installs it): 1 MiB GET,
#      whole and ranged, vs lighttpd static and vs the null responder; peak
#      RSS of the storage processes for 1 GiB up and down on fs and s3;
#      one object over 5 GiB through S3 multipart, read back and checked
# Environment:
#   BENCH_ONLY=hook       the webhook part alone (about a minute)
#   BENCH_ONLY=storage    the storage part alone (a few minutes)
#   STORAGE_HUGE=0        no object over 5 GiB (it needs ~16 GiB of disk)
#   STORAGE_HUGE_SIZE=n   its size in bytes (5 GiB + 1 MiB)
#   STORAGE_ROUNDS=6, STORAGE_ROUND_SECS=2   the 1 MiB GET rounds
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk missing (make deps)" >&2
	exit 2
fi
case "${BENCH_ONLY:-}" in
''|hook|storage) ;;
*)	echo "bench: BENCH_ONLY=hook or storage, not '$BENCH_ONLY'" >&2
	exit 2 ;;
esac
mkdir -p "$B/bench" || exit 2
cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags fcgi) \
	-o "$B/bench/null_responder" tests/bench/null_responder.c \
	$(pkg-config --libs fcgi) || exit 2
if [ "${BENCH_ONLY:-}" != storage ]; then
	cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags libxcrypt) \
		-o "$B/bench/crypt_loop" tests/bench/crypt_loop.c \
		$(pkg-config --libs libxcrypt) || exit 2
	python3 tests/bench/bench.py "$B/bin" "$B/bench/null_responder" \
		"$B/bench/crypt_loop" || exit $?
fi
[ "${BENCH_ONLY:-}" = hook ] && exit 0
exec python3 tests/bench/storage.py "$B/bin" "$B/bench/null_responder"
