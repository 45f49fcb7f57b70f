#!/bin/sh
# Runs inside `docker build`: install Debian packages into a runtime image.
# Usage: apt-install.sh PACKAGE...
#
# The base image is either our debootstrap rootfs or upstream debian:bookworm-slim; both
# already keep docs/man pages out through dpkg path-excludes. Packages are patched to the
# newest bookworm(-security) versions (`upgrade`) because a debootstrap base can be older
# than the mirror. Recommends are never installed: every package we ship is named here.
set -eu
export DEBIAN_FRONTEND=noninteractive

# DEBIAN_MIRROR (build arg, from $CRONIUM_DEBIAN_MIRROR) replaces the main Debian archive
# URL, so an upstream base that names deb.debian.org also uses a local mirror. The
# security archive (".../debian-security") is left alone.
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  m="${DEBIAN_MIRROR%/}"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -i -e "s#http://deb.debian.org/debian\([ /]\)#$m\1#g" \
           -e "s#http://deb.debian.org/debian\$#$m#" "$f"
  done
fi

apt-get update -qq
apt-get upgrade -y -qq
apt-get install -y -qq --no-install-recommends "$@"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*
