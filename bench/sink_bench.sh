#!/bin/sh
# sink_bench.sh [SINK_BENCH] - the sink benchmark: N parsed documents of seed
# size through the sink (real ZeroMQ, a real sink process) and the same rows
# through `psql \copy`, side by side in one run, into a throwaway PostgreSQL
# cluster (tests/it/pgtmp.sh). Ends with a Markdown table for bench/RESULTS.md.
#
# Run it as `make bench-sink`. Must never write inside the repo (the cluster and
# the copy files live in a temporary directory, removed at the end) and is
# never run by `make test`.
#
# Knobs (environment): BENCH_DOCS (2000), BENCH_ROUNDS (3).
set -eu

cd "$(dirname "$0")/.."
bin=${1:-build/bench/sink_bench}
[ -x "$bin" ] || make --no-print-directory "$bin"
seed=../shared/fixtures/reports/shaoguan-2020-fazhi.txt
[ -r "$seed" ] || seed=examples/reports/shaoguan-2020-fazhi.txt
docs=${BENCH_DOCS:-2000}
rounds=${BENCH_ROUNDS:-3}

work=$(mktemp -d /tmp/rp-bench-sink.XXXXXX)
chmod 755 "$work"
trap 'sh tests/it/pgtmp.sh stop "$work/pg"; rm -rf "$work"' EXIT INT TERM
conninfo=$(sh tests/it/pgtmp.sh start "$work/pg")
pgversion=$(psql -X -At -d "$conninfo" -c 'SHOW server_version')

echo "# sink benchmark"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "tree:     $(git describe --always --dirty 2>/dev/null || echo unknown)"
echo "machine:  $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(uname -sr)"
echo "postgres: $pgversion, throwaway cluster from tests/it/pgtmp.sh (fsync=off, Unix socket)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo
echo "## $bin <conninfo> $work $seed $docs $rounds $work/pg/data/postmaster.pid"
out=$("$bin" "$conninfo" "$work" "$seed" "$docs" "$rounds" "$work/pg/data/postmaster.pid")
printf '%s\n' "$out" | grep -v '^result '
res=$(printf '%s\n' "$out" | grep '^result ')
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo
field() { printf '%s\n' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "## side by side ($(field rounds) rounds, medians; best in parentheses)"
echo
echo "| loader | $(field docs) documents, $(field rows) section + metric rows | rows/s | PostgreSQL CPU |"
echo "|---|---:|---:|---:|"
awk -v rows="$(field rows)" -v sm="$(field sink_median_s)" -v sb="$(field sink_best_s)" \
	-v pm="$(field psql_median_s)" -v pb="$(field psql_best_s)" \
	-v sc="$(field sink_server_cpu_s)" -v pc="$(field psql_server_cpu_s)" 'BEGIN {
	printf "| sink: RESULT over ZeroMQ -> batch -> COPY -> COMMIT -> ACK | %.2f s (%.2f s) | %.0f (%.0f) | %.1f s |\n", sm, sb, rows / sm, rows / sb, sc
	printf "| `psql -1` with `\\copy ... FROM` files, same rows, same tables | %.2f s (%.2f s) | %.0f (%.0f) | %.1f s |\n", pm, pb, rows / pm, rows / pb, pc
	printf "\nsink / psql \\copy, rows per second (medians): **%.2f x** (target >= 0.5 x)\n", pm / sm
}'
