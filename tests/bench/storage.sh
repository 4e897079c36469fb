#!/bin/sh
# Storage benchmarks (issue #4), separate from tests/bench/run.sh:
#   1. GET of a 1 MiB object from the fs backend (X-Sendfile) vs lighttpd
#      serving the same file statically, same run, wrk 32 connections 10 s
#      (target >= 80 %);
#   2. peak RSS of the storage FastCGI processes during a 1 GiB upload and
#      a 1 GiB download (target <= 16 MiB).
# usage: tests/bench/storage.sh [BINDIR]   (BENCH_TIME=10 by default)
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$REPO/$B ;; esac
BIN=$B/bin
T=${BENCH_TIME:-10}
RUN=$(mktemp -d /tmp/warden-bench-storage-XXXXXX)
chmod 755 "$RUN"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export WARDEN_RUN_DIR="$RUN" WARDEN_PORT="$PORT" WARDEN_BIN="$BIN"
URL="http://127.0.0.1:$PORT"
BIG=$RUN/big.bin
cleanup() {
	sh "$REPO/lighttpd/stack.sh" stop >/dev/null 2>&1 || true
	rm -rf "$RUN"
}
trap cleanup EXIT INT TERM
sh "$REPO/lighttpd/stack.sh" start >/dev/null
TOK=$(printf '{"sub":"b1","exp":%s,"https://hasura.io/jwt/claims":{"x-hasura-user-id":"b1","x-hasura-default-role":"user","x-hasura-allowed-roles":["user"]}}' \
	$(( $(date +%s) + 3600 )) | WARDEN_CONFIG="$RUN/warden.env" "$BIN/wd-mint")
AUTH="Authorization: Bearer $TOK"

# 1. 1 MiB: storage vs static
head -c 1048576 /dev/urandom >"$RUN/www/one.bin"
curl -fsS -o /dev/null -H "$AUTH" -T "$RUN/www/one.bin" \
	"$URL/storage/o/user/b1/one.bin"
rps() { wrk -t 2 -c 32 -d "${T}s" "$@" | awk '/Requests\/sec/ { print $2 }'; }
S=$(rps -H "$AUTH" "$URL/storage/o/user/b1/one.bin")
F=$(rps "$URL/one.bin")
echo "storage 1 MiB GET: $S req/s; static: $F req/s;" \
	"ratio $(awk -v s="$S" -v f="$F" 'BEGIN { printf "%.0f%%", 100 * s / f }')" \
	"(target >= 80%)"

# 2. peak RSS of the storage processes while 1 GiB goes up and down
peak() {	# samples until the file $1 exists; prints the max KiB
	m=0
	while [ ! -f "$1" ]; do
		for p in $(pgrep -f "^$RUN/bin/storage" || true); do
			r=$(awk '/VmRSS/ { print $2 }' "/proc/$p/status" \
				2>/dev/null || echo 0)
			[ "${r:-0}" -gt "$m" ] && m=$r
		done
		sleep 0.05
	done
	echo "$m"
}
truncate -s 1G "$BIG"
rm -f "$RUN/done"
peak "$RUN/done" >"$RUN/peak.up" &
curl -fsS -o /dev/null -H "$AUTH" -H "Content-Type: application/octet-stream" \
	-T "$BIG" "$URL/storage/o/user/b1/big.bin"
touch "$RUN/done"; wait
rm -f "$RUN/done"
peak "$RUN/done" >"$RUN/peak.down" &
# a Range request is streamed by the binary itself (not X-Sendfile)
curl -fsS -o /dev/null -H "$AUTH" -H "Range: bytes=0-" \
	"$URL/storage/o/user/b1/big.bin"
touch "$RUN/done"; wait
echo "peak RSS per storage process: 1 GiB upload $(cat "$RUN/peak.up") KiB," \
	"1 GiB download $(cat "$RUN/peak.down") KiB (target <= 16384 KiB)"
