#!/bin/sh
# stress.sh - run `reportpipe parse` (the normal build, build/reportpipe) on
# the hostile inputs of the parser issue and print, for each, the exit code,
# the time, the peak RSS and that RSS as a multiple of the input size.
#
# Builds nothing: run `make` first. Not part of `make test`; this is the
# record for the parser issue. An input passes when the parse exits 0, or 65
# (EX_DATAERR) with a message on stderr, within STRESS_TIMEOUT seconds of CPU
# and STRESS_MEM_MB of address space.
#
#   sh tests/fuzz/stress.sh [BIN]        BIN defaults to build/reportpipe
#
# Needs /usr/bin/time (Debian package `time`) for the peak RSS; without it
# the RSS column is read from VmHWM in /proc while the parse runs (or with
# STRESS_NO_TIME=1); a parse too short to be seen there shows "?".
set -u

BIN=${1:-build/reportpipe}
SEED=${STRESS_SEED:-examples/reports/shaoguan-2020-fazhi.txt}
TIMEOUT=${STRESS_TIMEOUT:-600}
# address space per parse: a regression fails here instead of swapping the machine
MEM_MB=${STRESS_MEM_MB:-4096}

if [ ! -x "$BIN" ]; then
	echo "stress.sh: $BIN not found; run make first" >&2
	exit 66
fi
if [ ! -r "$SEED" ]; then
	echo "stress.sh: seed $SEED not readable" >&2
	exit 66
fi

# (ulimit -v and -S are not POSIX, but dash, bash and busybox sh have them)
# shellcheck disable=SC3045
ulimit -v $((MEM_MB * 1024)) 2> /dev/null ||
	echo "stress.sh: cannot limit the address space to ${MEM_MB} MB" >&2
# a CPU limit, not timeout(1): that would leave the parse running when it kills time(1)
# shellcheck disable=SC3045
ulimit -S -t "$TIMEOUT" 2> /dev/null ||
	echo "stress.sh: cannot limit the CPU time to ${TIMEOUT} s" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/rp-stress.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# ---- inputs ----------------------------------------------------------------

: > "$work/empty.txt"

# 50 MB: the seed repeated, cut at 50 MiB
seed_size=$(wc -c < "$SEED")
reps=$(( 50 * 1024 * 1024 / seed_size + 1 ))
i=0
while [ "$i" -lt "$reps" ]; do
	cat "$SEED"
	i=$((i + 1))
done | head -c $((50 * 1024 * 1024)) > "$work/50mb.txt"

# 1 MB, one line, no newline: the seed text with its line breaks removed
i=0
while [ "$i" -lt 60 ]; do
	cat "$SEED"
	i=$((i + 1))
done | tr -d '\r\n' | head -c $((1024 * 1024)) > "$work/1mb-line.txt"

# 100 000 markers: "1.x\n2.x\n..."
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "%d.x\n", i }' > "$work/100k-markers.txt"

# 1 MB, one line, no 。！？: dense metrics, every one in the same sentence
# ("新增项目12个，" is 20 bytes of UTF-8)
awk 'BEGIN { for (i = 0; i < 1048576 / 20; i++) printf "新增项目12个，" }' \
	> "$work/1mb-metrics-line.txt"

# 10 MB of random bytes
head -c $((10 * 1024 * 1024)) /dev/urandom > "$work/10mb-urandom.bin"

# ---- measuring -------------------------------------------------------------

have_time=0
[ -z "${STRESS_NO_TIME:-}" ] && [ -x /usr/bin/time ] && /usr/bin/time -v true > /dev/null 2>&1 && have_time=1

# run_one FILE: sets rc, secs, peak_kb, out_bytes; stderr of the parse in $work/err
run_one()
{
	f=$1
	start=$(date +%s.%N)
	if [ "$have_time" = 1 ]; then
		out_bytes=$( { /usr/bin/time -v -o "$work/time" "$BIN" parse "$f" \
			2> "$work/err"; echo $? > "$work/rc"; } | wc -c)
		rc=$(cat "$work/rc")
		peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time")
		# /usr/bin/time reports the child's status as its own
		if grep -q 'Command terminated by signal' "$work/time" 2> /dev/null; then
			sig=$(sed -n 's/.*Command terminated by signal *//p' "$work/time")
			rc=$((128 + sig))
		fi
	else
		# poll VmHWM of the parse until it exits
		: > "$work/hwm"
		(
			if [ -s "$f" ]; then
				"$BIN" parse "$f" 2> "$work/err" > "$work/out" &
			else
				# empty: kept waiting on stdin long enough to be seen
				sleep 0.3 | "$BIN" parse - 2> "$work/err" > "$work/out" &
			fi
			pid=$!
			while kill -0 "$pid" 2> /dev/null; do
				sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" \
					>> "$work/hwm" 2> /dev/null
				sleep 0.05
			done
			wait "$pid"
			echo $? > "$work/rc"
		)
		rc=$(cat "$work/rc")
		peak_kb=$(sort -n "$work/hwm" | tail -1)
		out_bytes=$(wc -c < "$work/out")
		rm -f "$work/out"
	fi
	end=$(date +%s.%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
	[ -n "$peak_kb" ] || peak_kb=0
}

human()
{
	awk -v n="$1" 'BEGIN {
		if (n >= 1048576) printf "%.1f MiB", n / 1048576
		else if (n >= 1024) printf "%.1f KiB", n / 1024
		else printf "%d B", n }'
}

fail=0
printf '%-20s %10s %5s %8s %11s %8s %9s %11s  %s\n' \
	input size exit secs "peak RSS" "RSS/in" "+RSS/in" "JSON out" result
base_kb=
for name in empty.txt 50mb.txt 1mb-line.txt 100k-markers.txt 1mb-metrics-line.txt \
	10mb-urandom.bin; do
	f="$work/$name"
	size=$(wc -c < "$f")
	run_one "$f"
	# the empty file gives the RSS of the process itself: libraries, no document
	[ -n "$base_kb" ] || base_kb=$peak_kb
	if [ "$peak_kb" = 0 ]; then
		ratio="?"
		growth="?"
	elif [ "$size" -gt 0 ] && [ "$base_kb" = 0 ]; then
		ratio=$(awk -v r="$peak_kb" -v s="$size" 'BEGIN { printf "%.1fx", r * 1024 / s }')
		growth="?"
	elif [ "$size" -gt 0 ]; then
		ratio=$(awk -v r="$peak_kb" -v s="$size" 'BEGIN { printf "%.1fx", r * 1024 / s }')
		growth=$(awk -v r="$peak_kb" -v b="$base_kb" -v s="$size" \
			'BEGIN { printf "%.1fx", (r - b) * 1024 / s }')
	else
		ratio=-
		growth=-
	fi
	msg=$(head -c 200 "$work/err" | tr '\n' ' ')
	case $rc in
	0) result=ok ;;
	65) if [ -n "$msg" ]; then result="error: $msg"; else result="FAIL: exit 65, no message"; fail=1; fi ;;
	152) result="FAIL: over ${TIMEOUT} s of CPU (SIGXCPU)"; fail=1 ;;
	137) result="FAIL: killed (SIGKILL: the OOM killer?)"; fail=1 ;;
	*) result="FAIL: exit $rc ${msg}"; fail=1 ;;
	esac
	rss="?"
	[ "$peak_kb" = 0 ] || rss=$(human $((peak_kb * 1024)))
	printf '%-20s %10s %5s %8s %11s %8s %9s %11s  %s\n' "$name" "$(human "$size")" "$rc" \
		"$secs" "$rss" "$ratio" "$growth" "$(human "$out_bytes")" "$result"
done
echo "+RSS/in: peak RSS above that of the empty parse, per input byte"
[ "$have_time" = 1 ] || echo "(peak RSS from VmHWM polled every 50 ms: /usr/bin/time missing)"
exit $fail
