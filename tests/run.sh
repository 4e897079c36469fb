#!/bin/sh
# Runs every test and prints one line per case, then "N passed, N failed".
#   1. unit tests built with ASan+UBSan (build/san/tests/)
#   2. libFuzzer corpora replayed (build/fuzz/), also ASan+UBSan
#   3. end-to-end tests against the real stack with the binaries in $1
# Exits non-zero if anything failed, or if nothing ran.
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
# exitcode: a leak found at exit must not look like a unit binary's own
# "some case failed" (1), which the FAIL lines already count
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

{
	for t in build/san/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d) continue ;; esac
		"$t" 2>&1
		rc=$?
		# a crash or sanitizer abort loses the remaining cases: count it
		[ $rc -gt 1 ] && echo "FAIL unit ${t##*/}: exited with $rc"
	done
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		n=${f##*/fuzz_}
		files=$(ls tests/fuzz/corpus/"$n"/* 2>/dev/null | wc -l)
		if [ "$files" -eq 0 ]; then
			echo "FAIL fuzz $n: empty corpus"
			continue
		fi
		if ls tests/fuzz/corpus/"$n"/* | xargs "$f" -runs=1 \
		    >"$LOG.fz" 2>&1; then
			echo "PASS fuzz $n: replayed $files corpus inputs"
		else
			echo "FAIL fuzz $n: $(grep -m1 -E 'ERROR|SUMMARY' "$LOG.fz")"
		fi
		rm -f "$LOG.fz"
	done
	python3 tests/e2e/run.py "$B/bin" 2>&1 ||
		echo "NOTE e2e runner exited non-zero"
} | tee "$LOG"

passed=$(grep -c '^PASS ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
# CI shows only the tail of the output: name the failures again there
if [ "$failed" -gt 0 ]; then
	echo "failures:"
	grep '^FAIL ' "$LOG" | head -n 50
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
