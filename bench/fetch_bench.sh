#!/bin/sh
# fetch_bench.sh [REPORTPIPE] - the fetch benchmark: reportpipe and
# `curl --parallel --parallel-max 16` fetch the same 1000 reports from one
# local nginx (tests/it/nginx-test.conf.in, gzip_static) in one run, then
# reportpipe runs again over the 1000 unchanged reports.
#
# Run it as `make bench-fetch`. Reports, nginx, the spool and curl's output
# live in one temp dir under /tmp (on disk); the throwaway PostgreSQL cluster
# (tests/it/pgtmp.sh) lives in /dev/shm, so that the database's writes do not
# share a file system with the spool, as the config example advises. Both
# are removed at the end; nginx listens on 127.0.0.1 only.
# Must never write inside the repo, and is never run by `make test`.
#
# What is timed (wall clock, this machine):
# Each timed part starts after a sync(1), with nothing dirty in the page cache.
#   curl        the whole `curl --parallel` process, bodies decoded to files
#   reportpipe  the fetcher's own "fetching done" line: first request to the
#               last body spooled (written, made durable, renamed), twice:
#               fetch-only, with the parser workers held (SIGSTOP) until the
#               fetcher is done, as if they ran on other hosts; and with the
#               parsers and the sink running beside it on the same CPUs.
#               And the whole `reportpipe run` (fetch, parse, store).
#               The span leaves out reportpipe's start (config, database,
#               validators: tens of ms) where curl's time has its own start;
#               both write their files into new directories of one temp dir,
#               so file creation (costly on a big ext4) weighs on both alike.
#   unchanged   the whole second `reportpipe run` (all 304s)
#
# Knobs (environment): BENCH_REPORTS (1000), BENCH_CONCURRENCY (16), BENCH_RUNS (5).
set -eu

cd "$(dirname "$0")/.."
bin=${1:-build/reportpipe}
[ -x "$bin" ] || make --no-print-directory all
n=${BENCH_REPORTS:-1000}
conc=${BENCH_CONCURRENCY:-16}
runs=${BENCH_RUNS:-5}
seed=examples/reports/shaoguan-2020-fazhi.txt

work=$(mktemp -d /tmp/rp-fetch-bench.XXXXXX)
chmod 755 "$work"
pgdir=$(mktemp -d /dev/shm/rp-fetch-bench-pg.XXXXXX)
nginx_pid=""
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	sh tests/it/pgtmp.sh stop "$pgdir" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
now_ms() { echo $(($(date +%s%N) / 1000000)); }
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

# --- 1000 distinct reports (one heading made unique), gzipped beside them ----------
mkdir -p "$work/www/r" "$work/nginx-tmp"
python3 - "$seed" "$work/www/r" "$n" <<'PY'
import sys
seed = open(sys.argv[1], encoding="utf-8", newline="").read()
for i in range(1, int(sys.argv[3]) + 1):
    name = "r%04d.txt" % i
    text = seed.replace("主要工作及成效", "主要工作及成效（样本 %s）" % name, 1)
    with open("%s/%s" % (sys.argv[2], name), "w", encoding="utf-8", newline="") as fp:
        fp.write(text)
PY
gzip -k -6 "$work"/www/r/*.txt
chmod -R a+rX "$work/www"
bytes=$(cat "$work"/www/r/*.txt | wc -c | tr -d ' ')
gzbytes=$(cat "$work"/www/r/*.gz | wc -c | tr -d ' ')

# --- nginx and PostgreSQL --------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s#@DIR@#$work#g" -e "s#@ROOT@#$work/www#g" -e "s#@PORT@#$port#g" \
	tests/it/nginx-test.conf.in >"$work/nginx.conf"
nginx -p "$work/" -c "$work/nginx.conf" -e "$work/nginx-error.log" >"$work/nginx.out" 2>&1 &
nginx_pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "nginx did not start" >&2; cat "$work/nginx-error.log" >&2; exit 1; }
	sleep 0.1
done
conninfo=$(sh tests/it/pgtmp.sh start "$pgdir")

seq -f "http://127.0.0.1:$port/r/r%04g.txt" 1 "$n" >"$work/urls"
mkdir -p "$work/curl-out"
awk -v d="$work/curl-out" '{ n = $0; sub(/.*\//, "", n); printf "url = \"%s\"\noutput = \"%s/%s\"\n", $0, d, n }' \
	"$work/urls" >"$work/curl.cfg"

write_config() { # NAME DBNAME
	{
		printf '[database]\nconninfo = host=%s/sock user=it dbname=%s\n' "$pgdir" "$2"
		printf '[pipeline]\nworkers = auto\nstate_dir = %s/state-%s\n' "$work" "$1"
		printf '[fetch]\nmax_connections = %s\nper_host_concurrency = %s\nper_host_delay_ms = 0\n' \
			"$conc" "$conc"
		awk '{ printf "[source \"r%d\"]\nurl = %s\n", NR, $0 }' "$work/urls"
	} >"$work/$1.conf"
}
psql_do() { psql "$conninfo" -qAtX -c "$1"; }

echo "# fetch benchmark"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "tree:    $(git describe --always --dirty 2>/dev/null || echo unknown)"
echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(uname -sr)"
echo "tools:   $(curl --version | head -n 1 | cut -d' ' -f1-3); $(nginx -v 2>&1 | cut -d' ' -f3); $("$bin" --version 2>/dev/null || echo reportpipe)"
echo "reports: $n x $((bytes / n)) bytes = $bytes bytes decoded, $gzbytes bytes gzipped on the wire"
echo "spool:   $work ($(df -T "$work" | awk 'NR == 2 { print $2 }'), writer thread, group commit with syncfs); database: $pgdir (tmpfs)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo

# reportpipe_run CONF NAME [hold]: one run; with hold, its parser workers are
# stopped (SIGSTOP) from their start until the fetcher logs "fetching done",
# so that the fetcher has the machine to itself, as curl has: fetch-only.
reportpipe_run() {
	"$bin" run -v -c "$1" >"$work/$2.out" 2>"$work/$2.log" &
	rp=$!
	if [ "${3:-}" = hold ]; then
		held=""
		i=0
		while [ "$i" -lt 500 ] && [ "$(echo $held | wc -w)" -lt "$workers" ]; do
			held=$(pgrep -x rp-parser -P "$rp" | tr '\n' ' ' || true)
			sleep 0.01
			i=$((i + 1))
		done
		[ -n "$held" ] && kill -STOP $held
		i=0
		while [ "$i" -lt 6000 ] && ! grep -q "fetching done" "$work/$2.log"; do
			sleep 0.01
			i=$((i + 1))
		done
		[ -n "$held" ] && kill -CONT $held
	fi
	wait "$rp" || { echo "reportpipe run failed:" >&2; tail -n 20 "$work/$2.log" >&2; exit 1; }
}
fetch_secs() { sed -n 's/.*fetching done: .* spooled in \([0-9.]*\) s .*/\1/p' "$work/$1.log" | tail -n 1; }
commit_ms() { sed -n 's/.*fetching done: .* \([0-9]*\) spool group commits took \([0-9]*\) ms.*/\1 commits, \2 ms/p' "$work/$1.log" | tail -n 1; }
workers=$(nproc)
[ "$workers" -gt 64 ] && workers=64

results=""
r=1
while [ "$r" -le "$runs" ]; do
	rm -rf "$work"/curl-out/*
	# every timed part starts with nothing dirty in the page cache: the spool's
	# syncfs would otherwise write out what the part before it left behind
	sync
	t0=$(now_ms)
	curl --parallel --parallel-max "$conc" --compressed -s -K "$work/curl.cfg" 2>"$work/curl.err" || {
		echo "curl failed:" >&2; cat "$work/curl.err" >&2; exit 1; }
	t1=$(now_ms)
	got=$(ls "$work/curl-out" | wc -l | tr -d ' ')
	[ "$got" -eq "$n" ] || { echo "curl fetched $got of $n" >&2; exit 1; }
	curl_ms=$((t1 - t0))

	psql_do "CREATE DATABASE held$r" >/dev/null
	write_config "held$r" "held$r"
	sync
	reportpipe_run "$work/held$r.conf" "held$r" hold
	grep -q "stored $n," "$work/held$r.out" || { cat "$work/held$r.out" >&2; exit 1; }
	held_s=$(fetch_secs "held$r")

	psql_do "CREATE DATABASE run$r" >/dev/null
	write_config "run$r" "run$r"
	sync
	t0=$(now_ms)
	reportpipe_run "$work/run$r.conf" "run$r"
	t1=$(now_ms)
	run_ms=$((t1 - t0))
	grep -q "stored $n," "$work/run$r.out" || { cat "$work/run$r.out" >&2; exit 1; }
	fetch_s=$(fetch_secs "run$r")

	sync
	t0=$(now_ms)
	reportpipe_run "$work/run$r.conf" "again$r"
	t1=$(now_ms)
	again_ms=$((t1 - t0))
	grep -q "unchanged $n, stored 0, failed 0" "$work/again$r.out" || { cat "$work/again$r.out" >&2; exit 1; }
	nm=$(sed -n 's/.*(\([0-9]*\) unchanged, \([0-9]*\) not modified).*/\2/p' "$work/again$r.log" | tail -n 1)

	ratio=$(awk -v c="$curl_ms" -v f="$held_s" 'BEGIN { printf "%.2f", c / 1000 / f }')
	echo "run $r: curl ${curl_ms} ms; reportpipe fetch-only ${held_s} s (${ratio}x curl;" \
		"syncing: $(commit_ms "held$r"))," \
		"fetch beside the parsers ${fetch_s} s, whole run ${run_ms} ms;" \
		"unchanged run ${again_ms} ms (${nm} of $n answered 304)"
	results="$results$curl_ms $held_s $fetch_s $run_ms $again_ms
"
	r=$((r + 1))
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
echo

printf '%s' "$results" | awk -v n="$n" -v b="$bytes" -v c="$conc" -v runs="$runs" '
function med(a, k,   i, j, t) {
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{ k++; cu[k] = $1 / 1000; ho[k] = $2; fe[k] = $3; ru[k] = $4 / 1000; ag[k] = $5 / 1000 }
END {
	mc = med(cu, k); mh = med(ho, k); mf = med(fe, k); mr = med(ru, k); ma = med(ag, k)
	mb = b / 1e6
	printf "## side by side: %d reports, concurrency %d, medians of %d runs (MB = 10^6 bytes, decoded)\n\n", n, c, runs
	printf "| what is timed | seconds | reports/s | MB/s | vs curl |\n|---|---:|---:|---:|---:|\n"
	printf "| curl --parallel --parallel-max %d --compressed, to files (no fsync) | %.3f | %.0f | %.1f | 1.00x |\n", c, mc, n / mc, mb / mc
	printf "| reportpipe fetcher, fetch-only (parsers held): first request to last body spooled and durable | %.3f | %.0f | %.1f | %.2fx |\n", mh, n / mh, mb / mh, mc / mh
	printf "| reportpipe fetcher, same span, parsers and sink running beside it | %.3f | %.0f | %.1f | %.2fx |\n", mf, n / mf, mb / mf, mc / mf
	printf "| reportpipe run, whole: fetch + parse + store in PostgreSQL | %.3f | %.0f | %.1f | %.2fx |\n", mr, n / mr, mb / mr, mc / mr
	printf "| reportpipe run again, all %d unchanged (conditional GET, 304), whole run | %.3f | %.0f | - | - |\n", n, ma, n / ma
}'
