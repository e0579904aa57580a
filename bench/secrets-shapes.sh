#!/usr/bin/env bash
# Secret scan throughput by file shape: secgate against the gitleaks CLI
# (v8.30.1, the rules secgate uses) on generated single files of each shape
# that makes a scanner slow, each at two sizes (the second 4x the first), so
# that time growing faster than the input shows. Prints, per shape and
# size, the wall time of each side (median of RUNS), MB/s, the ratio
# secgate/gitleaks in speed, and per side time(4x)/time(1x): linear is 4.
#
#   bench/secrets-shapes.sh [RUNS] [SCALE]
#
# SCALE multiplies every size (default 1: 1 and 4 MB for most shapes).
# secgate runs with a fingerprint key (as CI does) so that the shapes that
# hold many secrets measure the scan, not the fingerprints.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-3}
scale=${2:-1}
setup_work
install_peer gitleaks github.com/zricethezav/gitleaks/v8@v8.30.1
export SECGATE_FINGERPRINT_KEY=bench-fingerprint-key-0123456789

shapes="$work/shapes"
rm -rf "$shapes" && mkdir -p "$shapes"
python3 - "$shapes" "$scale" <<'PY'
import base64, os, random, sys
out, scale = sys.argv[1], float(sys.argv[2])
rnd = random.Random(1)
MB = 1 << 20
def words(n):
    ws = ["alpha", "bravo", "request", "handler", "value", "index", "config", "render", "buffer", "state"]
    return " ".join(rnd.choice(ws) for _ in range(n))
def gen(name, size, make):
    d = os.path.join(out, f"{name}-{size // 1024}k")
    os.makedirs(d)
    data = make(size)
    with open(os.path.join(d, "f.txt"), "wb") as f:
        f.write(data[:size])
def long_line(n):   return (words(n // 6 + 10)).encode()
def percent(n):     return ("%20" * (n // 3 + 1)).encode()
def b64(n):         return base64.b64encode(rnd.randbytes(n)).replace(b"\n", b"")
def hexrun(n):      return rnd.randbytes(n // 2 + 1).hex().encode()
def fill(n, part):
    parts, total = [], 0
    while total < n:
        p = part()
        parts.append(p)
        total += len(p)
    return "".join(parts)
def minified(n):
    def part():
        k = rnd.choice(["token", "apiKey", "secret", "auth", "password", "key"])
        return f"var {k}{rnd.randint(0, 9999)}=function(e){{return e.{k}||\"{rnd.randbytes(6).hex()}\"}};"
    return fill(n, part).encode()
def json_keys(n):
    part = lambda: f'"api_key_{rnd.randint(0, 99999)}": "{rnd.choice(["none", "changeme", "value"])}", '
    return ("{" + fill(n, part) + "}").encode()
def short_lines(n): return b"".join(b"x = 1\n" for _ in range(n // 6 + 1))
def pem(n):
    head = "-----BEGIN " + "PRIVATE KEY-----\n"
    block = lambda: head + "\n".join(base64.b64encode(rnd.randbytes(48)).decode() for _ in range(20)) + "\n-----END " + "PRIVATE KEY-----\n"
    return fill(n, block).encode()
def noise(n):       return rnd.randbytes(n)
for name, make, base in [("long-line", long_line, MB), ("percent", percent, 256 << 10), ("base64", b64, MB),
                         ("hex", hexrun, MB), ("minified-js", minified, MB), ("json-keys", json_keys, MB),
                         ("short-lines", short_lines, 4 * MB), ("pem-blocks", pem, MB), ("binary-noise", noise, MB)]:
    for mult in (1, 4):
        gen(name, int(base * scale) * mult, make)
PY

secgate_run() { "$work/secgate" scan --scanners secrets -q -f json -o /dev/null "$dir" || [ $? -eq 1 ]; }
gitleaks_run() { "$work/peer/gitleaks" dir --no-banner -l error --report-format json --report-path "$work/gl.json" --exit-code 0 "$dir"; }

printf '%-14s %9s %10s %10s %10s %10s %8s\n' shape size secgate_s gitleaks_s secgate_MB/s gitleaks_MB/s ratio
declare -A ts tg
for dir in $(ls -d "$shapes"/* | sort -V); do
  name=$(basename "$dir")
  bytes=$(stat -c %s "$dir/f.txt")
  alternate "$runs" secgate_run gitleaks_run >/dev/null
  s=$(median "${times_a[@]}"); g=$(median "${times_b[@]}")
  ts[$name]=$s; tg[$name]=$g
  printf '%-14s %8dk %10.3f %10.3f %10.1f %10.1f %7.1fx\n' "${name%-*}" $((bytes / 1024)) "$s" "$g" \
    "$(echo "$bytes / 1048576 / $s" | bc -l)" "$(echo "$bytes / 1048576 / $g" | bc -l)" "$(echo "$g / $s" | bc -l)"
done
echo "growth at 4x the input (linear: 4.0):"
for small in $(printf '%s\n' "${!ts[@]}" | sort -V); do
  shape=${small%-*} kb=${small##*-}
  big="$shape-$((${kb%k} * 4))k"
  [ -n "${ts[$big]:-}" ] || continue
  printf '  %-14s secgate %5.1f  gitleaks %5.1f\n' "$shape" "$(echo "${ts[$big]} / ${ts[$small]}" | bc -l)" "$(echo "${tg[$big]} / ${tg[$small]}" | bc -l)"
done
