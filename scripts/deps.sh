#!/bin/sh
# Installs what vigil needs to build and test, on Debian 12, as root. Does
# nothing when everything is already there. Used by `make run` and
# `make check`, so a fresh machine needs only these two commands.
set -eu
PKGS="build-essential meson ninja-build pkg-config clang libxml2-dev
libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libtiff-dev libheif-dev
libssl-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
libsqlite3-dev libpq-dev postgresql libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libsodium-dev
libicu-dev libvectorscan-dev libpcre2-dev
wamerican wngerman wdutch hunspell-ar
nginx libnginx-mod-rtmp ffmpeg jq curl sqlite3 python3 chromium chromium-driver"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (or install:$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
