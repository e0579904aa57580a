#!/usr/bin/env bash
# Secret scan throughput: secgate against the gitleaks CLI (v8.30.1, the
# version whose rules secgate uses) on the same tree with the same rules
# (gitleaks' defaults, decoding depth 5), in one run.
#
#   bench/secrets.sh [RUNS] [TREE]
#
# Tree: by default a copy of golang.org/x/* from the Go module cache (real Go
# source, several versions of each module; about 260 MB here). Both tools
# scan every file of it (gitleaks `dir`, secgate `scan --scanners secrets`),
# runs alternate, and the script prints each wall time, the medians, MB/s
# (bytes of regular files in the tree / median wall time) and the ratio, then
# compares the findings by (rule, file, line). secgate runs as CI runs it with
# a fingerprint key (SECGATE_FINGERPRINT_KEY); a second round measures it
# without one, where every distinct secret costs an Argon2id evaluation
# (docs/secrets.md#fingerprints).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-3}
setup_work
install_peer gitleaks github.com/zricethezav/gitleaks/v8@v8.30.1

tree=${2:-$work/tree}
if [ ! -d "$tree" ]; then
  src="$(go env GOMODCACHE)/golang.org/x"
  cp -r "$src" "$tree"
  chmod -R u+w "$tree"
fi
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "tree: $tree, $(find "$tree" -type f | wc -l) files, $bytes bytes"

secgate_run() { SECGATE_FINGERPRINT_KEY=bench-fingerprint-key-0123456789 "$work/secgate" scan --scanners secrets -q -f json -o "$work/secgate.json" "$tree" || [ $? -eq 1 ]; }
secgate_unkeyed_run() { SECGATE_FINGERPRINT_KEY= "$work/secgate" scan --scanners secrets -q -f json -o "$work/secgate-unkeyed.json" "$tree" || [ $? -eq 1 ]; }
gitleaks_run() {
  "$work/peer/gitleaks" dir --no-banner -l error --report-format json --report-path "$work/gitleaks.json" --exit-code 0 "$tree"
}

alternate "$runs" secgate_run gitleaks_run
ms=$(median "${times_a[@]}"); mg=$(median "${times_b[@]}")
echo "median: secgate $ms s ($(echo "scale=1; $bytes / 1000000 / $ms" | bc) MB/s), gitleaks $mg s ($(echo "scale=1; $bytes / 1000000 / $mg" | bc) MB/s), ratio $(echo "scale=1; $mg / $ms" | bc)x"
alternate "$runs" secgate_unkeyed_run secgate_run
mu=$(median "${times_a[@]}"); mk=$(median "${times_b[@]}")
echo "median without a key: secgate $mu s (keyed $mk s in this round), ratio to gitleaks $(echo "scale=1; $mg / $mu" | bc)x"

python3 - "$work" "$tree" <<'PY'
import json, os, sys
w, tree = sys.argv[1], sys.argv[2]
s = json.load(open(f"{w}/secgate.json"))
g = json.load(open(f"{w}/gitleaks.json"))
# secgate reports a secret once per file (its fingerprint is rule + path +
# secret): compare with gitleaks' first line of each (rule, file, secret).
first = {}
for f in g:
    k = (f["RuleID"], os.path.relpath(f["File"], tree), f["Secret"])
    first[k] = min(first.get(k, f["StartLine"]), f["StartLine"])
theirs = {(r, p, l) for (r, p, _), l in first.items()}
mine = {(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in s["findings"]}
print(f"gitleaks: {len(g)} findings, {len(theirs)} distinct (rule, file, secret); secgate: {len(s['findings'])} findings")
for t in sorted(mine - theirs)[:20]: print("  only secgate:", t)
for t in sorted(theirs - mine)[:20]: print("  only gitleaks:", t)
print("same findings" if mine == theirs else f"findings differ: {len(mine - theirs)} only secgate, {len(theirs - mine)} only gitleaks")
PY
