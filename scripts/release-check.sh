#!/usr/bin/env bash
# Checks the release build without publishing anything: `goreleaser check`
# on .goreleaser.yaml, a snapshot build, and the built binary's
# `secgate version`, which must show the stamped version, commit and date.
# GoReleaser runs from its pinned version with `go run`, never a downloaded
# binary. It builds HEAD (what is committed) in a temporary clone tagged
# v<VERSION without -dev>, as a release build would see it.
#
#   scripts/release-check.sh           # this machine's target
#   scripts/release-check.sh --all     # all six targets, archives and checksums.txt
#                                      # (no image: that needs docker, see TestReleaseImage)
set -euo pipefail
cd "$(dirname "$0")/.."
goreleaser=(go run github.com/goreleaser/goreleaser/v2@v2.15.1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/src"
cd "$work/src"
version=$(tr -d '[:space:]' < VERSION)
version=${version%-dev}
git tag "v$version"
commit=$(git rev-parse HEAD)

"${goreleaser[@]}" check
if [ "${1:-}" = --all ]; then
  "${goreleaser[@]}" release --snapshot --clean --skip=sbom,publish,docker >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  for a in dist/secgate_*.tar.gz dist/secgate_*.zip; do
    grep -q "  $(basename "$a")$" dist/checksums.txt || { echo "checksums.txt lacks $(basename "$a")" >&2; exit 1; }
  done
  [ "$(wc -l < dist/checksums.txt)" -eq 6 ] || { echo "checksums.txt: want 6 archives" >&2; cat dist/checksums.txt; exit 1; }
  cat dist/checksums.txt
  bin=$(find dist -path "*_$(go env GOOS)_$(go env GOARCH)*" -name secgate -type f | head -n 1)
else
  "${goreleaser[@]}" build --snapshot --single-target --clean --output "$work/secgate" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  bin="$work/secgate"
fi
out=$("$bin" version)
echo "$out"
want="secgate $version-snapshot+${commit:0:7} (commit $commit, "
[[ "$out" == "$want"* ]] || { echo "version not stamped: want $want…)" >&2; exit 1; }
