#!/usr/bin/env bash
# The cost of Go reachability: secgate's dependency scan of a real mid-size
# module (golang.org/x/net at a 2021 commit, 543 files, ~99k lines of
# non-test Go, with its golang.org/x/text requirement set to the vulnerable
# v0.3.5) with --reachability=off and on, and the govulncheck CLI (the
# golang.org/x/vuln version secgate builds with) on the same module and the
# same advisory, for the analysis's own cost. Prints the median wall
# time and peak RSS of each and the ratios.
#
#   bench/reachability.sh [RUNS]
#
# Needs the Go module proxy (to fetch the module and its dependencies into
# the module cache once); the scans themselves run with --offline-db.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-3}
setup_work
repo=$PWD
db=$repo/testdata/osvdb

mod="$work/xnet"
if [ ! -d "$mod" ]; then
  dir=$(go mod download -json golang.org/x/net@v0.0.0-20210405180319-a5a99cb37ef4 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  cp -r "$dir/." "$mod" && chmod -R u+w "$mod"
  (cd "$mod" && go mod edit -require=golang.org/x/text@v0.3.5 && go mod tidy && go build ./...)
fi
go build -o "$work/govulncheck" golang.org/x/vuln/cmd/govulncheck
vulndb="$work/govulndb"
mkdir -p "$vulndb"
cp "$repo/testdata/osv/Go/GO-2021-0113.json" "$vulndb/" # the one Go advisory of testdata/osvdb that matches

# Each side runs under $timer: empty to time it, /usr/bin/time to measure
# its peak RSS (into $work/rss).
timer=()
off() { (cd "$mod" && "${timer[@]}" "$work/secgate" scan --offline-db "$db" --scanners deps --reachability=off -f json -o "$work/off.json" -q . >/dev/null 2>&1 || true); }
on() { (cd "$mod" && "${timer[@]}" "$work/secgate" scan --offline-db "$db" --scanners deps --reachability=on -f json -o "$work/on.json" -q . >/dev/null 2>&1 || true); }
peer() { (cd "$mod" && GOPROXY=off "${timer[@]}" "$work/govulncheck" -db "file://$vulndb" -format json ./... >"$work/peer.json" 2>/dev/null || true); }
rss() { timer=(/usr/bin/time -f %M -o "$work/rss"); "$1"; timer=(); tail -1 "$work/rss"; }

t_off=(); t_on=(); t_peer=()
off; on; peer # warm the caches
for i in $(seq "$runs"); do
  t_off+=("$(elapsed off)"); t_on+=("$(elapsed on)"); t_peer+=("$(elapsed peer)")
  echo "run $i: off ${t_off[-1]} s, on ${t_on[-1]} s, govulncheck ${t_peer[-1]} s"
done
m_off=$(median "${t_off[@]}"); m_on=$(median "${t_on[@]}"); m_peer=$(median "${t_peer[@]}")
r_off=$(rss off); r_on=$(rss on); r_peer=$(rss peer)
python3 - "$work/on.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    r = f.get("reachability") or {}
    print(f"  {f['rule_id']}: {f.get('decision')}, reachability {r.get('status')}")
PY
printf '%-28s %10s %12s\n' "" "median s" "peak RSS MB"
printf '%-28s %10.2f %12d\n' "scan, --reachability=off" "$m_off" $((r_off / 1024))
printf '%-28s %10.2f %12d\n' "scan, --reachability=on" "$m_on" $((r_on / 1024))
printf '%-28s %10.2f %12d\n' "govulncheck CLI alone" "$m_peer" $((r_peer / 1024))
echo "on/off: $(echo "scale=1; $m_on / $m_off" | bc)x; on/govulncheck: $(echo "scale=2; $m_on / $m_peer" | bc)"
