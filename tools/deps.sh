#!/bin/sh
# deps.sh - install the Debian packages reportpipe needs to build, run and
# test. Silent when everything is present; as root it installs with apt-get,
# otherwise it prints the exact command to run. chromium renders the page of
# `reportpipe report` in tests/it/report_test.c, and the WenQuanYi font gives
# it CJK glyphs; prometheus ships promtool, which checks the metrics textfile;
# clang and its libFuzzer runtime build the fuzz targets (make fuzz-short);
# clang-format checks the style (make format-check), cppcheck the code
# (make static-check).
set -eu
PKGS="gcc make pkg-config libc6-dev ca-certificates
libcurl4-openssl-dev libzmq3-dev libpq-dev libxml2-dev libinih-dev libjson-c-dev libssl-dev
libpoppler-glib-dev libzip-dev libbsd-dev
libmsgpack-dev libcmocka-dev postgresql postgresql-client python3 nginx-light man-db groff-base
clang libclang-rt-14-dev clang-format cppcheck
openssl curl gzip prometheus
chromium fonts-wqy-microhei"

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "reportpipe needs these Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
