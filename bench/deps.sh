#!/usr/bin/env bash
# Dependency scan: secgate against the osv-scanner CLI (v2.5.0, the version
# secgate links) on the same tree and the same offline database, in one run.
#
#   bench/deps.sh [RUNS]
#
# Tree: every module of secgate's own build list, copied from the Go module
# cache (about 500 real projects, 2 GB: ~480 go.mod, and package-lock.json,
# requirements.txt, Cargo.lock, Gemfile.lock, pom.xml, pnpm-lock.yaml, SBOMs),
# without osv-scanner's and osv-scalibr's own modules and spdx/tools-golang's
# examples, whose test fixtures are deliberately malformed lockfiles (secgate
# stops on those with exit 2; osv-scanner logs and skips them).
# Database: testdata/osvdb plus generated records (bench/osvdbsynth), for every
# ecosystem the tree needs. Both tools run offline, osv-scanner with call
# analysis off (secgate does none). Runs alternate; the script prints each
# wall time, the medians, their ratio, and both tools' finding counts.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-5}
setup_work
install_peer osv-scanner github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0

tree="$work/tree"
if [ ! -d "$tree" ]; then
  mkdir -p "$tree"
  go mod download all
  go list -m -f '{{.Path}}@{{.Version}} {{.Dir}}' all | while read -r mod dir; do
    case "$mod" in *osv-scanner*|*osv-scalibr*|github.com/secgate/*|"") continue ;; esac
    [ -n "$dir" ] && [ -d "$dir" ] && cp -r "$dir" "$tree/$(echo "$mod" | tr '/' '_')"
  done
  chmod -R u+w "$tree"
  rm -rf "$tree"/github.com_spdx_tools-golang@*/examples
fi
echo "tree: $(du -sh "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files"

db="$work/db"
go run ./bench/osvdbsynth -src testdata/osvdb -dst "$db" -ecosystems "Go,npm,PyPI,Maven,crates.io,RubyGems,NuGet,Packagist"
link_peer_db "$db"
echo "db: $(du -sh "$db" | cut -f1) of zips"

secgate_run() { "$work/secgate" scan --scanners deps --offline-db "$db" -q -f json -o "$work/secgate.json" "$tree" || [ $? -eq 1 ]; }
osv_run() {
  "$work/peer/osv-scanner" scan source --offline --local-db-path "$work/peerdb" --no-call-analysis=all \
    --format json --output-file "$work/osv.json" -r "$tree" >/dev/null 2>&1 || [ $? -eq 1 ]
}

alternate "$runs" secgate_run osv_run
ms=$(median "${times_a[@]}"); mo=$(median "${times_b[@]}")
echo "median: secgate $ms s, osv-scanner $mo s, ratio secgate/osv-scanner $(echo "scale=2; $ms / $mo" | bc)"
python3 - "$work" "$tree" <<'PY'
import json, os, sys
w, tree = sys.argv[1], sys.argv[2].lstrip("/")
s = json.load(open(f"{w}/secgate.json"))
o = json.load(open(f"{w}/osv.json"))
mine = {(f["location"]["path"], f["package"]["name"], f["package"]["version"],
         tuple(sorted({f["rule_id"], *f["vulnerability"]["aliases"]}))) for f in s["findings"]}
theirs = set()
for r in o["results"]:
    path = os.path.relpath(r["source"]["path"].lstrip("/"), tree)
    for p in r["packages"]:
        for g in p.get("groups", []):
            theirs.add((path, p["package"]["name"], p["package"]["version"], tuple(sorted({*g["ids"], *g["aliases"]}))))
print(f"secgate: {s['scans'][0]['stats']} -> {len(s['findings'])} findings; osv-scanner: {len(theirs)} advisory groups")
a = {t[:3] + (frozenset(t[3]),) for t in mine}
b = {t[:3] + (frozenset(t[3]),) for t in theirs}
for t in sorted(a - b): print("  only secgate:", t[:3], sorted(t[3]))
for t in sorted(b - a): print("  only osv-scanner:", t[:3], sorted(t[3]))
print("same findings" if a == b else "findings differ (see above)")
PY
