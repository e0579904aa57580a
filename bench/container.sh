#!/usr/bin/env bash
# Container image scan: secgate against the osv-scanner CLI (v2.5.0, the
# version secgate links) on the same docker-archive and the same offline
# database, in one run.
#
#   bench/container.sh [RUNS]        (needs root for debootstrap, and python3)
#
# Image (~107 MB docker-archive, gzip layers, written without a Docker
# engine by bench/mkimage, with the history and configuration a Dockerfile
# build records):
#   layer 0  a real Debian 12 (bookworm) root filesystem, `debootstrap
#            --variant=minbase --include=ca-certificates,curl,python3,
#            python3-requests` from the machine's apt mirror, apt caches
#            removed: 130 dpkg packages in /var/lib/dpkg/status and 7 Python
#            distributions in /usr/lib/python3/dist-packages (~80 MB gz).
#            /dev's device nodes are left out, as `docker build` does.
#   (CMD, empty layer)
#   layer 2  /usr/local/bin/secgate, this tree's secgate built stripped
#            (-trimpath -s -w; build info kept: ~220 Go modules + stdlib)
#            (~27 MB gz)
#   layer 3  /app/package-lock.json (testdata/example: 3 npm packages)
#   (WORKDIR, ENTRYPOINT, empty layers)
# The rootfs follows the mirror's current bookworm, so package versions (and
# a few counts) move with Debian point releases.
#
# Database: testdata/osvdb plus generated records (bench/osvdbsynth) for the
# ecosystems the image needs: Go, npm, PyPI (osvdbsynth's default sizes) and
# Debian (20,000 generated records), plus a few generated Debian:12 records
# naming source packages of the image (SECGATE-BENCH-DEB-*: three affecting
# it, one fixed before its version, one for Debian:11 only), so both tools'
# Debian matching is exercised and compared. osv-scanner reads the same zips
# through symlinks (--local-db-path P, P/osv-scalibr/<Ecosystem>/all.zip).
# Both tools run fully offline.
#
# Commands (timed, runs alternate, medians and their ratio):
#   secgate scan --image docker-archive:image.tar --offline-db DB --scanners container -f json
#   osv-scanner scan image --archive --offline --local-db-path P --all-packages --format json image.tar
# secgate's container scan also scans every layer file for secrets and runs
# its policy: that is the product, so it is timed as it is. The script then
# times secgate with --max-file-size 1B (the secret scan skips every file
# but empty ones) to show what the secret scan costs.
#
# Package counts: secgate's report carries only the count
# (scans[].stats.packages); bench/imagepkgs runs the same scanner with a
# recording matcher to list the packages, compared by (ecosystem, name,
# version) with osv-scanner's --all-packages list (its "os_package_name" for
# Debian binary packages, whose "name" is the source package; secgate's Go
# toolchain package "go" is osv-scanner's "stdlib"). Measured difference:
# secgate 362, osv-scanner 359, the 3 npm packages of /app/package-lock.json.
# osv-scanner's `scan image` runs only its "artifact" extractors (dpkg, apk,
# Go and Rust binaries, Python wheels/eggs, Java archives, node_modules) and
# no lockfile extractor, so it never reads a lockfile shipped in an image;
# secgate reads lockfiles in images as its dependency scan does. Because of
# those npm packages secgate also loads npm/all.zip, which osv-scanner does
# not (and finds the lockfile's two npm advisories, which osv-scanner
# cannot).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-5}
setup_work
install_peer osv-scanner github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0

# Debian root filesystem, once per work dir.
rootfs="$work/rootfs"
if [ ! -f "$rootfs/var/lib/dpkg/status" ]; then
  [ "$(id -u)" = 0 ] || { echo "debootstrap needs root" >&2; exit 2; }
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  # The machine's Debian mirror (DEBIAN_MIRROR overrides), else deb.debian.org.
  mirror=${DEBIAN_MIRROR:-$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true; } |
    awk '/^(URIs:|deb )/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }')}
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "debootstrap bookworm from $mirror"
  rm -rf "$rootfs.tmp"
  debootstrap --variant=minbase --include=ca-certificates,curl,python3,python3-requests \
    bookworm "$rootfs.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail "$work/debootstrap.log" >&2; exit 2; }
  rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/*
  mv "$rootfs.tmp" "$rootfs"
fi

# The image: rebuilt every run, its Go binary is this tree's secgate.
rm -rf "$work/layer-bin" "$work/layer-app"
mkdir -p "$work/layer-bin/usr/local/bin" "$work/layer-app/app"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/layer-bin/usr/local/bin/secgate" ./cmd/secgate
cp testdata/example/package-lock.json "$work/layer-app/app/"
image="$work/image.tar"
go run ./bench/mkimage -o "$image" -tag secgate.bench/app:1.0 \
  -step "$rootfs=/bin/sh -c #(nop) ADD file:debootstrap-bookworm-minbase in / " \
  -step '=/bin/sh -c #(nop)  CMD ["bash"]' \
  -step "$work/layer-bin=COPY /out/secgate /usr/local/bin/secgate # buildkit" \
  -step "$work/layer-app=COPY package-lock.json /app/ # buildkit" \
  -step '=WORKDIR /app' \
  -step '=ENTRYPOINT ["/usr/local/bin/secgate"]' \
  -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  -workdir /app -entrypoint /usr/local/bin/secgate
echo "image: $image, $(stat -c %s "$image") bytes"

db="$work/db"
go run ./bench/osvdbsynth -src testdata/osvdb -dst "$db" -ecosystems Go,npm,PyPI
go run ./bench/osvdbsynth -src testdata/osvdb -dst "$db" -ecosystems Debian -scale 20
python3 - "$db/Debian/all.zip" <<'PY'
import json, sys, zipfile
def rec(i, eco, name, fixed):
    return {"schema_version": "1.6.0", "id": f"SECGATE-BENCH-DEB-{i}", "modified": "2025-01-01T00:00:00Z",
            "published": "2024-01-01T00:00:00Z", "summary": "Generated Debian advisory for the container benchmark",
            "affected": [{"package": {"ecosystem": eco, "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
            "database_specific": {"generated": True}}
recs = [rec(1, "Debian:12", "openssl", "99:0"), rec(2, "Debian:12", "glibc", "99:0"),
        rec(3, "Debian:12", "python3.11", "99:0"), rec(4, "Debian:12", "zlib", "1:1.2.11.dfsg-1"),
        rec(5, "Debian:11", "curl", "99:0")]
with zipfile.ZipFile(sys.argv[1], "a") as z:
    for r in recs:
        z.writestr(r["id"] + ".json", json.dumps(r))
PY
link_peer_db "$db"
echo "db: $(du -shL "$db" | cut -f1) of zips ($(ls "$db" | tr '\n' ' '))"

ref="docker-archive:$image"
secgate_run() { "$work/secgate" scan --image "$ref" --offline-db "$db" --scanners container -q -f json -o "$work/secgate.json" || [ $? -eq 1 ]; }
secgate_nosecrets_run() {
  "$work/secgate" scan --image "$ref" --offline-db "$db" --scanners container --max-file-size 1B -q -f json -o "$work/secgate-nosecrets.json" || [ $? -eq 1 ]
}
osv_run() {
  "$work/peer/osv-scanner" scan image --archive --offline --local-db-path "$work/peerdb" --all-packages \
    --format json --output-file "$work/osv.json" "$image" >"$work/osv.log" 2>&1 || [ $? -eq 1 ]
}

# One checked run of each first: an error (exit 2) stops the benchmark.
"$work/secgate" scan --image "$ref" --offline-db "$db" --scanners container -f json -o "$work/secgate.json" 2>"$work/secgate.log" ||
  [ $? -eq 1 ] || { cat "$work/secgate.log" >&2; exit 2; }
osv_run || { cat "$work/osv.log" >&2; exit 2; }

alternate "$runs" secgate_run osv_run
ms=$(median "${times_a[@]}"); mo=$(median "${times_b[@]}")
echo "median: secgate $ms s, osv-scanner $mo s, ratio secgate/osv-scanner $(echo "scale=2; $ms / $mo" | bc)"

echo "secret scan share: secgate as above vs with --max-file-size 1B"
alternate 3 secgate_run secgate_nosecrets_run
mf=$(median "${times_a[@]}"); mn=$(median "${times_b[@]}")
echo "median: full $mf s, secret scan skipped $mn s: secret scan ~$(echo "scale=2; $mf - $mn" | bc) s"

go run ./bench/imagepkgs "$ref" >"$work/secgate-packages.jsonl"
python3 - "$work" <<'PY'
import collections, json, sys
w = sys.argv[1]
s = json.load(open(f"{w}/secgate.json"))
o = json.load(open(f"{w}/osv.json"))
stats = next(sc["stats"] for sc in s["scans"] if sc["scanner"] == "container")
print("secgate stats:", stats)

def mine_key(d):
    name = "stdlib" if d["ecosystem"] == "Go" and d["name"] == "go" else d["name"]
    return (d["ecosystem"], name, d["version"])
mine = collections.Counter(mine_key(json.loads(l)) for l in open(f"{w}/secgate-packages.jsonl"))
theirs = collections.Counter()
for r in o["results"]:
    for p in r["packages"]:
        q = p["package"]
        theirs[(q["ecosystem"], q.get("os_package_name") or q["name"], q["version"])] += 1
def by_eco(c):
    e = collections.Counter()
    for (eco, _, _), n in c.items():
        e[eco.split(":")[0]] += n
    return dict(sorted(e.items()))
print(f"packages: secgate {stats['packages']} (listed {sum(mine.values())}) {by_eco(mine)}; "
      f"osv-scanner {sum(theirs.values())} {by_eco(theirs)}")
for k, n in sorted((mine - theirs).items()): print("  only secgate:", *k, f"x{n}" if n > 1 else "")
for k, n in sorted((theirs - mine).items()): print("  only osv-scanner:", *k, f"x{n}" if n > 1 else "")
if mine == theirs: print("same packages")

# Findings: advisory groups per package (secgate's id + aliases vs
# osv-scanner's group ids + aliases), as bench/deps.sh compares them.
mf = {(f["package"]["name"], f["package"]["version"], frozenset({f["rule_id"], *f["vulnerability"].get("aliases", [])}))
      for f in s["findings"] if f.get("vulnerability")}
of = set()
for r in o["results"]:
    for p in r["packages"]:
        q = p["package"]
        for g in p.get("groups", []):
            of.add((q.get("os_package_name") or q["name"], q["version"], frozenset({*g["ids"], *g.get("aliases", [])})))
other = collections.Counter(f["rule_id"] for f in s["findings"] if not f.get("vulnerability"))
print(f"vulnerability findings: secgate {len(mf)}, osv-scanner {len(of)}; secgate's other findings: {dict(other)}")
for n, v, ids in sorted(mf - of, key=str): print("  only secgate:", n, v, sorted(ids))
for n, v, ids in sorted(of - mf, key=str): print("  only osv-scanner:", n, v, sorted(ids))
if mf == of: print("same vulnerability findings")
PY
