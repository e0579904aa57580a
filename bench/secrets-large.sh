#!/usr/bin/env bash
# Memory of the secret scan on one large file: a generated text file of
# SIZE_MB (default 1024) of Go-like lines with an AWS key on its last line,
# scanned whole (--max-file-size above its size). Prints the wall time, the
# peak resident memory (GNU time) as a ratio to the file's size, and
# whether the key on the last line was found, at the right line.
#
#   bench/secrets-large.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
size_mb=${1:-1024}
setup_work
tree="$work/large"
mkdir -p "$tree"
python3 - "$tree/big.go" "$size_mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
line = b"func handle(key string) (token string, err error) { return s.keys[key], nil } // filler\n"
chunk = line * 10000
with open(path, "wb") as f:
    for _ in range((mb << 20) // len(chunk)):
        f.write(chunk)
    # Assembled here so that no key is written in this script.
    f.write(b'const awsKey = "' + b"AKIA" + b'Z5Q3RT7WN2XK4PLM"\n')
PY
bytes=$(stat -c %s "$tree/big.go")
lines=$(wc -l < "$tree/big.go")
/usr/bin/time -f "%e %M" -o "$work/time" \
  "$work/secgate" scan --scanners secrets -q -f json -o "$work/large.json" --max-file-size "$((size_mb + 1))MB" "$tree" || [ $? -eq 1 ]
read -r secs rss_kb < <(tail -n 1 "$work/time") # after "Command exited with non-zero status 1"
echo "file: $bytes bytes, $lines lines; scan: $secs s, peak RSS $((rss_kb / 1024)) MiB = $(echo "scale=3; $rss_kb * 1024 / $bytes" | bc) of the file's size"
python3 - "$work/large.json" "$lines" <<'PY'
import json, sys
doc, lines = json.load(open(sys.argv[1])), int(sys.argv[2])
hits = [(f["rule_id"], f["location"]["line"]) for f in doc["findings"]]
print("found the key on the last line" if hits == [("aws-access-token", lines)] else f"findings differ: {hits}")
PY
