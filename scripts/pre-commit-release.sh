#!/usr/bin/env bash
# The pre-commit hook `secgate` (.pre-commit-hooks.yaml): runs the secgate
# release named by the VERSION file of the hook's revision, installed once
# by scripts/install.sh (downloaded and verified against the release's
# checksums.txt) into SECGATE_CACHE_DIR (default ~/.cache/secgate). Later
# commits run the installed binary without any network. Arguments go to
# secgate (the hook's entry gives `scan --staged`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(tr -d '[:space:]' < "$here/VERSION")
if [[ "$version" == *-dev ]]; then
  echo "secgate pre-commit: revision $version is no release: pin a release tag as rev, or use the hook secgate-source (builds with Go) or secgate-system (the secgate on PATH)" >&2
  exit 2
fi
bin=${SECGATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/secgate}/$version/bin
if [ ! -x "$bin/secgate" ]; then
  bash "$here/scripts/install.sh" "$version" "$bin" >/dev/null
fi
exec "$bin/secgate" "$@"
