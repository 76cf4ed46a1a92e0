#!/bin/sh
# docker-check.sh - check docker/Dockerfile's steps without a Docker engine.
#
# 1. The build stage: a fresh Debian bookworm root (debootstrap, minbase, as
#    debian:bookworm-slim is), the project's files copied in, then exactly the
#    Dockerfile's commands: tools/deps.sh, make, make install DESTDIR=/out.
# 2. The runtime stage: a second fresh root with only the packages in
#    docker/runtime-packages.txt, the installed files copied in, a system
#    user; the binary must find every shared library (ldd) and must run as
#    that user: --version, and parse the bundled sample report.
# Needs root and Debian's package mirror (taken from this machine's apt
# sources, or $DEBIAN_MIRROR). Roots are kept in $DOCKER_CHECK_DIR between
# runs so that a second check only redoes the project's steps.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
work=${DOCKER_CHECK_DIR:-/var/tmp/reportpipe-docker-check}
[ "$(id -u)" -eq 0 ] || { echo "docker-check: needs root (debootstrap, chroot)" >&2; exit 77; }
command -v debootstrap >/dev/null || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
fi

# A fresh minbase root, made once; services never start inside it.
make_root() {
	root=$1
	if [ ! -e "$root/.reportpipe-base" ]; then
		rm -rf "$root"
		echo "docker-check: debootstrap bookworm into $root" >&2
		debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
			tail -20 "$work/debootstrap.log" >&2
			exit 1
		}
		printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
		chmod +x "$root/usr/sbin/policy-rc.d"
		touch "$root/.reportpipe-base"
	fi
	cp /etc/resolv.conf "$root/etc/resolv.conf"
}

in_root() {
	root=$1
	shift
	mount -t proc proc "$root/proc" 2>/dev/null || true
	rc=0
	chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@" || rc=$?
	umount "$root/proc" 2>/dev/null || true
	return $rc
}

mkdir -p "$work"
build=$work/build-root
runtime=$work/runtime-root

echo "== build stage" >&2
make_root "$build"
rm -rf "$build/src" "$build/out"
mkdir -p "$build/src"
git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/fuzz/corpus' |
	xargs -0 tar -cf - | tar -xf - -C "$build/src"
in_root "$build" sh -c 'cd /src && sh tools/deps.sh && make -j"$(nproc)" && make install PREFIX=/usr/local DESTDIR=/out' \
	>"$work/build.log" 2>&1 || {
	tail -30 "$work/build.log" >&2
	echo "docker-check: the build stage failed (log: $work/build.log)" >&2
	exit 1
}

echo "== runtime stage" >&2
make_root "$runtime"
in_root "$runtime" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(grep -v '^#' docker/runtime-packages.txt | tr '\n' ' ') >/dev/null" ||
	{ echo "docker-check: runtime packages did not install" >&2; exit 1; }
in_root "$runtime" sh -c 'id reportpipe >/dev/null 2>&1 || useradd --system --home-dir /var/lib/reportpipe --create-home --shell /usr/sbin/nologin reportpipe'
cp -a "$build/out/." "$runtime/"
missing=$(in_root "$runtime" ldd /usr/local/bin/reportpipe | grep 'not found' || true)
if [ -n "$missing" ]; then
	echo "docker-check: libraries missing from the runtime stage:" >&2
	echo "$missing" >&2
	exit 1
fi
in_root "$runtime" su -s /bin/sh reportpipe -c '/usr/local/bin/reportpipe --version'
in_root "$runtime" su -s /bin/sh reportpipe -c \
	'cd /var/lib/reportpipe && /usr/local/bin/reportpipe parse --format text /usr/local/share/reportpipe/examples/reports/shaoguan-2020-fazhi.txt | head -n 3'
echo "docker-check: ok" >&2
