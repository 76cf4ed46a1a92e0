#!/bin/sh
# run.sh BUILD - run every test binary under BUILD/tests and print one total.
#
# Each binary is a cmocka group; its "[  PASSED  ] N" and "[  FAILED  ] N"
# lines are summed. A binary that dies without its summary (a sanitizer
# report, a crash) counts as one failure. Ends with "N passed, N failed".
set -u
build=${1:-build/san}
export REPORTPIPE_BIN="$build/reportpipe"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
passed=0
failed=0
log=$(mktemp)
for t in "$build"/tests/unit/*_test "$build"/tests/it/*_test; do
	[ -x "$t" ] || continue
	echo "== $t"
	"$t" >"$log" 2>&1
	status=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $t ended (status $status) without a cmocka summary: counted as a failure"
		f=1
	elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $t exited with status $status after its tests: counted as a failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
