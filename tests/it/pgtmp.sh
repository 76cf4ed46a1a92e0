#!/bin/sh
# pgtmp.sh start DIR | stop DIR - a throwaway PostgreSQL cluster for tests.
#
# start: initdb in DIR/data, listen on a socket in DIR/sock only (no TCP),
#        and print the conninfo. As root, the cluster runs as 'postgres'.
# stop:  stop it and remove DIR. Never touches any other cluster.
set -eu
cmd=$1
dir=$2
bindir=${REPORTPIPE_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
	mkdir -p "$dir/data" "$dir/sock"
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/data" "$dir/sock"
	as_owner "$bindir/initdb" -D "$dir/data" -U it -A trust -E UTF8 --no-locale \
		>"$dir/initdb.log" 2>&1
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir/sock' -c fsync=off" \
		start >/dev/null
	echo "host=$dir/sock dbname=postgres user=it"
	;;
stop)
	[ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
		>/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: pgtmp.sh start|stop DIR" >&2
	exit 64
	;;
esac
