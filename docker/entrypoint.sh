#!/bin/sh
# entrypoint.sh - the image's entry: starts as root only to hand the database
# password to the service user and (for `cron`) to run the schedule, then
# runs reportpipe as the user `reportpipe`, never as root.
#
# The password comes from the Compose secret db_password. Plain Compose
# bind-mounts a secret with the host file's owner and mode and ignores
# `mode:`, and libpq ignores a password file that others can read, so the
# secret is copied into a 0600 pgpass owned by the service user, whatever the
# host file's permissions are.
#
#   entrypoint.sh cron       run reportpipe run -q on $REPORTPIPE_SCHEDULE
#   entrypoint.sh ARGS...    run reportpipe ARGS... once
set -eu

user=reportpipe
secret=${REPORTPIPE_DB_PASSWORD_FILE:-/run/secrets/db_password}
pgpass=${PGPASSFILE:-/run/reportpipe/pgpass}
as_user="setpriv --reuid=$user --regid=$user --init-groups --inh-caps=-all"

if [ "$(id -u)" -ne 0 ]; then
	# started with --user: nothing to hand over, and cron could not switch users
	[ "${1:-}" = cron ] && { echo "entrypoint: cron needs the container to start as root" >&2; exit 78; }
	exec /usr/local/bin/reportpipe "$@"
fi

if [ -r "$secret" ]; then
	install -d -o "$user" -g "$user" -m 0700 "$(dirname "$pgpass")"
	# pgpass fields are host:port:database:user:password; \ and : in the
	# password are escaped, and the wildcards match the one server it talks to
	umask 077
	printf '*:*:*:*:%s\n' "$(head -n 1 "$secret" | sed 's/[\\:]/\\&/g')" >"$pgpass.tmp"
	chown "$user:$user" "$pgpass.tmp"
	chmod 0600 "$pgpass.tmp"
	mv "$pgpass.tmp" "$pgpass"
	export PGPASSFILE="$pgpass"
else
	echo "entrypoint: no password secret at $secret; libpq's environment decides" >&2
fi

if [ "${1:-}" = cron ]; then
	schedule=${REPORTPIPE_SCHEDULE:-17 3 * * *}
	# cron gives its jobs none of the container's environment: the job file
	# names what reportpipe and libpq read. The job's output goes to PID 1's,
	# so `docker compose logs scheduler` shows it; the redirections are opened
	# by cron's root shell before setpriv drops to the service user. Exit 75
	# (another run holds the lock) is logged and harmless.
	{
		echo "# written by entrypoint.sh at container start"
		echo "SHELL=/bin/sh"
		for v in REPORTPIPE_CONFIG PGHOST PGPORT PGUSER PGDATABASE PGPASSFILE PGSSLMODE TZ; do
			eval "val=\${$v:-}"
			[ -n "$val" ] && echo "$v=$val"
		done
		echo "$schedule root $as_user /usr/local/bin/reportpipe run -q >/proc/1/fd/1 2>/proc/1/fd/2"
	} >/etc/cron.d/reportpipe
	chmod 0644 /etc/cron.d/reportpipe
	echo "entrypoint: reportpipe run -q on schedule '$schedule'" >&2
	exec cron -f
fi

# shellcheck disable=SC2086
exec $as_user /usr/local/bin/reportpipe "$@"
