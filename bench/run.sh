#!/bin/sh
# run.sh [PARSE_BENCH] - the parse benchmark: reportpipe and the Recognizers-Text
# peer (../shared/tools/peers/recognizers) on the same seed report, in one run,
# both pinned to one core. Ends with a Markdown table for bench/RESULTS.md.
# Beside the parse function alone (parse_bench), `reportpipe parse --format
# json` (and --format text) is timed as a whole process on the same 50-MB
# input: read, parse, print, exit, with its peak RSS.
#
# Run it as `make bench`. Without an argument it builds build/bench/parse_bench
# itself; the reportpipe binary beside it ($RP_BIN, default
# <build>/reportpipe) is brought up to date with make. The peer's node_modules live outside the repo, in $RP_BENCH_PEER_DIR
# (default /var/tmp/rp-bench-peer); they are installed once and reused. Must
# never write inside the repo, and is never run by `make test`.
#
# Knobs (environment): BENCH_MB (50), BENCH_REPS (5), PEER_RUNS (5), BENCH_CPU (0).
set -eu

cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
	bin=build/bench/parse_bench
	make --no-print-directory "$bin"
fi
seed=../shared/fixtures/reports/shaoguan-2020-fazhi.txt
[ -r "$seed" ] || seed=examples/reports/shaoguan-2020-fazhi.txt
peer_src=../shared/tools/peers/recognizers
peer_dir=${RP_BENCH_PEER_DIR:-/var/tmp/rp-bench-peer}
bench_mb=${BENCH_MB:-50}
bench_reps=${BENCH_REPS:-5}
peer_runs=${PEER_RUNS:-5}
bench_cpu=${BENCH_CPU:-0}
rp_bin=${RP_BIN:-$(dirname "$(dirname "$bin")")/reportpipe}
make --no-print-directory "$rp_bin"
if [ ! -x /usr/bin/time ]; then
	echo "run.sh: /usr/bin/time (GNU time) is needed for the whole-process timing and RSS" >&2
	exit 1
fi

if command -v taskset >/dev/null 2>&1; then
	pin="taskset -c $bench_cpu"
else
	pin=""
	echo "warning: no taskset, running unpinned" >&2
fi
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# field NAME LINE...: the value of NAME=value in the given text
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

echo "# parse benchmark"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "tree:    $(git describe --always --dirty 2>/dev/null || echo unknown)"
echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
	"$(uname -sr), pinned with: ${pin:-nothing}"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo "seed:    $seed ($(wc -c <"$seed" | tr -d ' ') bytes)"
echo

times=$(mktemp)
big=$(mktemp /tmp/rp-bench-input.XXXXXX)
trap 'rm -f "$times" "$times.p" "$big"' EXIT

echo "## reportpipe: $pin $bin -m $bench_mb -r $bench_reps -w $big $seed"
rp_out=$($pin "$bin" -m "$bench_mb" -r "$bench_reps" -w "$big" "$seed")
printf '%s\n' "$rp_out" | grep -v '^result '
rp_doc=$(printf '%s\n' "$rp_out" | grep '^result mode=per-doc')
rp_whole=$(printf '%s\n' "$rp_out" | grep '^result mode=whole')
rp_counts=$(printf '%s\n' "$rp_out" | grep '^result counts')
echo

# --- the whole process, on the whole mode's input ---------------------------------
# proc FORMAT: time reportpipe parse --format FORMAT on $big, bench_reps times after
# one untimed run; prints one line per run and a "result" line.
proc() {
	out=$(mktemp)
	$pin "$rp_bin" parse --max-bytes 1GiB --format "$1" "$big" >/dev/null
	: >"$times.p"
	i=0
	while [ "$i" -lt "$bench_reps" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$out" $pin "$rp_bin" parse --max-bytes 1GiB \
			--format "$1" "$big" >/dev/null
		tail -n 1 "$out" >>"$times.p"
		echo "run $((i + 1)): $(tail -n 1 "$out" | awk '{ printf "%.2f s wall, %.2f s CPU, peak RSS %d KB", $1, $2 + $3, $4 }')"
		i=$((i + 1))
	done
	rm -f "$out"
	echo "result mode=process-$1 bytes=$(wc -c <"$big" | tr -d ' ') runs=$bench_reps" \
		"best_s=$(cut -d' ' -f1 "$times.p" | sort -n | head -n 1)" \
		"median_s=$(cut -d' ' -f1 "$times.p" | median)" \
		"rss_kb=$(cut -d' ' -f4 "$times.p" | sort -n | tail -n 1)" \
		"cpu_share=$(awk '{ c += $2 + $3; w += $1 } END { printf "%.3f", (w > 0 ? c / w : 0) }' "$times.p")"
	rm -f "$times.p"
}
echo "## reportpipe parse, whole process: $pin /usr/bin/time $rp_bin parse --max-bytes 1GiB --format json|text $big  (x$bench_reps each, after one untimed run)"
pj=$(proc json)
printf '%s\n' "$pj" | grep -v '^result '
pj=$(printf '%s\n' "$pj" | grep '^result ')
echo "$pj"
pt=$(proc text)
printf '%s\n' "$pt" | grep -v '^result '
pt=$(printf '%s\n' "$pt" | grep '^result ')
echo "$pt"
echo

# --- the peer, installed once outside the repo --------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "peer: not run: node and npm are needed (apt-get install nodejs npm)" >&2
	exit 1
fi
mkdir -p "$peer_dir"
for f in package.json extract.js; do
	if ! cmp -s "$peer_src/$f" "$peer_dir/$f"; then
		rm -f "$peer_dir/$f" "$peer_dir/.installed"
		cat "$peer_src/$f" >"$peer_dir/$f"
	fi
done
if [ ! -f "$peer_dir/.installed" ]; then
	echo "peer: npm install in $peer_dir"
	(cd "$peer_dir" && npm install --silent --no-audit --no-fund) && touch "$peer_dir/.installed"
fi

# The same four recognizers as extract.js, with the models built once, so that
# the extraction alone can be timed apart from node start-up, module load and
# model construction (extract.js builds the recognizers inside its timed part).
cat >"$peer_dir/peer_bench.js" <<'EOF'
'use strict';
const fs = require('fs');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const reps = Number(process.argv[3]) || 3;
let t = now();
const N = require('@microsoft/recognizers-text-number');
const U = require('@microsoft/recognizers-text-number-with-unit');
const requireMs = now() - t;
const text = fs.readFileSync(process.argv[2], 'utf8');
const c = 'zh-cn';
t = now();
const nr = new N.NumberRecognizer(c), ur = new U.NumberWithUnitRecognizer(c);
const models = [nr.getNumberModel(c, true), nr.getPercentageModel(c, true),
		ur.getDimensionModel(c, true), ur.getCurrencyModel(c, true)];
const buildMs = now() - t;
const ms = [];
let found = [];
let cpu = 0;
for (let r = 0; r <= reps; r++) {
	const c0 = process.cpuUsage();
	t = now();
	found = models.map((m) => m.parse(text).length);
	ms.push(now() - t);
	const c1 = process.cpuUsage(c0);
	if (r > 0)
		cpu += (c1.user + c1.system) / 1e3;
}
const warm = ms.slice(1).sort((a, b) => a - b);
const mid = warm.length % 2 ? warm[(warm.length - 1) / 2]
			    : (warm[warm.length / 2 - 1] + warm[warm.length / 2]) / 2;
console.log(`result require_ms=${requireMs.toFixed(1)} build_ms=${buildMs.toFixed(1)} ` +
	    `first_ms=${ms[0].toFixed(1)} best_ms=${warm[0].toFixed(1)} median_ms=${mid.toFixed(1)} ` +
	    `reps=${reps} number=${found[0]} percentage=${found[1]} dimension=${found[2]} ` +
	    `currency=${found[3]} bytes=${Buffer.byteLength(text)} ` +
	    `cpu_share=${(cpu / ms.slice(1).reduce((a, b) => a + b, 0)).toFixed(3)}`);
EOF

echo "## peer: $pin node $peer_dir/extract.js $seed  (x$peer_runs, one process each)"
i=0
: >"$times"
while [ "$i" -lt "$peer_runs" ]; do
	t0=$(now_ms)
	ext=$($pin node "$peer_dir/extract.js" "$seed" 2>&1 >"$peer_dir/peer.json" | sed -n 's/^extract_ms=\([0-9.]*\).*/\1/p')
	t1=$(now_ms)
	nmet=$(grep -o '"value"' "$peer_dir/peer.json" | wc -l | tr -d ' ')
	echo "run $((i + 1)): $((t1 - t0)) ms wall, extract_ms=$ext, $nmet metrics"
	echo "$((t1 - t0)) $ext" >>"$times"
	i=$((i + 1))
done
peer_wall=$(cut -d' ' -f1 "$times" | median)
peer_ext=$(cut -d' ' -f2 "$times" | median)
echo

echo "## peer: $pin node $peer_dir/peer_bench.js $seed $peer_runs  (models built once)"
pb=$($pin node "$peer_dir/peer_bench.js" "$seed" "$peer_runs")
echo "$pb"
echo

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo

# --- side by side ---------------------------------------------------------------
seed_bytes=$(wc -c <"$seed" | tr -d ' ')
awk -v b="$seed_bytes" -v bmb="$bench_mb" \
	-v dbest="$(field best_ms_per_mb "$rp_doc")" -v dmed="$(field median_ms_per_mb "$rp_doc")" \
	-v wbest="$(field best_ms_per_mb "$rp_whole")" -v wmed="$(field median_ms_per_mb "$rp_whole")" \
	-v ndocs="$(field docs "$rp_doc")" -v reps="$(field reps "$rp_doc")" \
	-v mbest="$(field best_ms "$pb")" -v mmed="$(field median_ms "$pb")" \
	-v first="$(field first_ms "$pb")" \
	-v ebest="$(cut -d' ' -f2 "$times" | sort -n | head -n 1)" -v emed="$peer_ext" \
	-v pwbest="$(cut -d' ' -f1 "$times" | sort -n | head -n 1)" -v pwmed="$peer_wall" \
	-v np="$peer_runs" \
	-v secs="$(field seed_sections "$rp_counts")" -v mets="$(field seed_metrics "$rp_counts")" \
	-v pnum="$(field number "$pb")" -v ppct="$(field percentage "$pb")" \
	-v dshare="$(field cpu_share "$rp_doc")" -v wshare="$(field cpu_share "$rp_whole")" \
	-v pshare="$(field cpu_share "$pb")" \
	-v bigb="$(field bytes "$pj")" -v pruns="$(field runs "$pj")" \
	-v jbest="$(field best_s "$pj")" -v jmed="$(field median_s "$pj")" \
	-v jrss="$(field rss_kb "$pj")" -v jshare="$(field cpu_share "$pj")" \
	-v tbest="$(field best_s "$pt")" -v tmed="$(field median_s "$pt")" \
	-v trss="$(field rss_kb "$pt")" -v tshare="$(field cpu_share "$pt")" '
function row(what, pb, pm) {
	printf "| %s | %.2f / %.2f | %.0f / %.0f | %.0f x (%.0f x) |\n", what, dbest, dmed,
	    pb / mb, pm / mb, pm / mb / dmed, pb / mb / dbest
}
BEGIN {
	mb = b / 1048576
	printf "## side by side (one core; MB = 2^20 bytes; seed %d bytes = %.4f MB)\n\n", b, mb
	printf "| reportpipe (%d passes each) | MB/s, best / median | ms/MB, best / median |\n", reps
	printf "|---|---:|---:|\n"
	printf "| per-doc: the seed parsed as %d separate documents | %.1f / %.1f | %.2f / %.2f |\n",
	    ndocs, 1000 / dbest, 1000 / dmed, dbest, dmed
	printf "| whole: the seed x%d joined, one %g-MB document | %.1f / %.1f | %.2f / %.2f |\n\n",
	    ndocs, bmb, 1000 / wbest, 1000 / wmed, wbest, wmed
	bm = bigb / 1048576
	printf "| the same %.1f MB (%d bytes), one core | MB/s, best / median | ms/MB, best / median | peak RSS (x input) |\n", bm, bigb
	printf "|---|---:|---:|---:|\n"
	printf "| parse function alone (parse_bench whole, %d passes) | %.1f / %.1f | %.2f / %.2f | - |\n",
	    reps, 1000 / wbest, 1000 / wmed, wbest, wmed
	printf "| whole process: `reportpipe parse --format json` > /dev/null (%d runs) | %.1f / %.1f | %.2f / %.2f | %.0f MB (%.2f x) |\n",
	    pruns, bm / jbest, bm / jmed, jbest * 1000 / bm, jmed * 1000 / bm, jrss / 1024, jrss * 1024 / bigb
	printf "| whole process: `reportpipe parse --format text` > /dev/null (%d runs) | %.1f / %.1f | %.2f / %.2f | %.0f MB (%.2f x) |\n\n",
	    pruns, bm / tbest, bm / tmed, tbest * 1000 / bm, tmed * 1000 / bm, trss / 1024, trss * 1024 / bigb
	printf "| peer timing (Recognizers-Text on the seed, %d runs) | reportpipe per-doc ms/MB, best / median | peer ms/MB, best / median | peer / reportpipe, medians (bests) |\n", np
	printf "|---|---:|---:|---:|\n"
	row("extraction only: models built once, warm (peer_bench.js)", mbest, mmed)
	row("extract.js `extract_ms`: recognizers built inside the timing", ebest, emed)
	row("extract.js whole process: + node start-up, module load, output", pwbest, pwmed)
	printf "\npeer first extraction after the model build (cold JIT): %.0f ms/MB.\n", first / mb
	printf "CPU time / wall time (1.00 = the core was ours): reportpipe per-doc %.2f, whole %.2f, process json %.2f, text %.2f; peer_bench.js %.2f.\n",
	    dshare, wshare, jshare, tshare, pshare
	printf "found on the seed: reportpipe %d sections, %d metrics; peer %d numbers, %d percentages.\n",
	    secs, mets, pnum, ppct
}'
