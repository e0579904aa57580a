#!/usr/bin/env bash
# Runs every fuzz target of secgate's own parsers for a bounded time each:
# the npm lockfile reader, waivers, the configuration file, baselines, OSV
# records, the image guard, docker archives, Dockerfiles, the lockfile
# guard's TOML and requirements readers, the JSON duplicate-key check.
# Seeds are in code (f.Add) and in each package's testdata/fuzz; an input
# that fails is written there by go test, to commit with its fix.
#
#   bench/fuzz.sh            # 60s a target
#   FUZZTIME=5m bench/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-60s} # the first ~20 s are start-up
targets=(
  ./extractors/npmlock:FuzzParse
  ./policies:FuzzParseWaivers
  ./policies:FuzzDuplicateKeys
  ./cmd/secgate:FuzzDecodeConfig
  ./gate:FuzzParseBaseline
  ./osv:FuzzParseRecord
  ./scanners/container:FuzzLayerGuard
  ./scanners/container:FuzzArchive
  ./scanners/container:FuzzDockerfile
  ./scanners/deps:FuzzTOMLDepth
  ./scanners/deps:FuzzIncludes
)
failed=0
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  echo "== $name ($pkg), $fuzztime"
  # Minimizing an input takes 60 s by default, of the fuzzing time.
  if out=$(go test -run XXX -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg" 2>&1); then
    grep -v '^fuzz: elapsed' <<<"$out" | tail -n 2
  else
    grep -v '^fuzz: elapsed' <<<"$out"
    failed=1
  fi
done
exit $failed
