#!/usr/bin/env bash
# install.sh VERSION DIR: installs the secgate release VERSION (1.2.3, no
# "v") for this machine's OS and architecture into DIR/secgate and prints
# that path. It is what the GitHub Action, the pre-commit hook and the
# GitLab job run instead of a source build (docs/install.md).
#
# The archive is verified against the SHA-256 that checksums.txt of the same
# release lists for it before anything of it is unpacked or run; a mismatch,
# a missing entry or a failed download stops with an error and installs
# nothing. Verified archives are kept in SECGATE_CACHE_DIR (default
# ~/.cache/secgate), and verified again against the release's checksums on
# every use, so a cache someone else can write to is never trusted.
#
# SECGATE_DOWNLOAD_URL is the base URL of the releases' files (default
# https://github.com/secgate/secgate/releases/download), for a mirror; the
# files are at $SECGATE_DOWNLOAD_URL/vVERSION/NAME. Linux and macOS, amd64
# and arm64.
set -euo pipefail

die() { echo "secgate install: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: install.sh VERSION DIR"
version=$1 dir=$2
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.-]+)?$ ]] || die "version $version: want a release version such as 1.2.3"

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "$(uname -s): release archives for this script are for Linux and macOS (on Windows, download the .zip of the release)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "$(uname -m): releases are built for amd64 and arm64" ;;
esac

base=${SECGATE_DOWNLOAD_URL:-https://github.com/secgate/secgate/releases/download}
base=${base%/}/v$version
archive="secgate_${version}_${os}_${arch}.tar.gz"
cache=${SECGATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secgate}/$version

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

fetch() { # fetch URL FILE
  curl --fail --silent --show-error --location --proto '=https,http' \
    --retry 3 --retry-delay 2 --connect-timeout 20 --max-time 300 -o "$2" "$1" ||
    die "download $1 failed"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch "$base/checksums.txt" "$tmp/checksums.txt"
# checksums.txt lines are "<sha256>  <file name>": the one for our archive.
want=$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/checksums.txt")
[[ "$want" =~ ^[0-9a-f]{64}$ ]] || die "checksums.txt of v$version lists no SHA-256 for $archive"

if [ -f "$cache/$archive" ] && [ "$(sha256 "$cache/$archive")" = "$want" ]; then
  cp "$cache/$archive" "$tmp/$archive"
else
  fetch "$base/$archive" "$tmp/$archive"
  got=$(sha256 "$tmp/$archive")
  [ "$got" = "$want" ] || die "$archive: SHA-256 $got does not match $want from checksums.txt of v$version: not installed"
  mkdir -p "$cache" && cp "$tmp/$archive" "$cache/$archive.tmp" && mv "$cache/$archive.tmp" "$cache/$archive" || true
fi

mkdir -p "$tmp/x" "$dir"
tar -xzf "$tmp/$archive" -C "$tmp/x" secgate
mv "$tmp/x/secgate" "$dir/secgate"
chmod 0755 "$dir/secgate"
echo "$dir/secgate"
