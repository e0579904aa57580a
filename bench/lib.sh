# Helpers shared by the benchmark scripts (sourced, not run).

# elapsed CMD...: runs CMD and prints its wall time in seconds.
elapsed() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }

# median X...: prints the median of the numbers.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# alternate RUNS A B: runs the commands A and B once each to warm the page
# cache, then RUNS times in turn, printing each wall time; sets the arrays
# times_a and times_b.
alternate() {
  local runs=$1 a=$2 b=$3 i
  "$a"; "$b"
  times_a=(); times_b=()
  for i in $(seq "$runs"); do
    times_a+=("$(elapsed "$a")"); times_b+=("$(elapsed "$b")")
    echo "run $i: $a ${times_a[-1]} s, $b ${times_b[-1]} s"
  done
}

# setup_work: sets work to $BENCH_WORK or a new temporary directory and
# builds secgate into it.
setup_work() {
  work=${BENCH_WORK:-$(mktemp -d)}
  echo "work dir: $work"
  go build -o "$work/secgate" ./cmd/secgate
}

# install_peer NAME MODULE@VERSION: installs the peer tool NAME into
# $work/peer, once per work dir.
install_peer() {
  [ -x "$work/peer/$1" ] || GOBIN="$work/peer" GOFLAGS=-buildvcs=false go install "$2"
}

# link_peer_db DB: lays the offline database DB out as osv-scanner's
# --local-db-path expects, $work/peerdb/osv-scalibr/<Ecosystem>, by links.
link_peer_db() {
  local d
  mkdir -p "$work/peerdb/osv-scalibr"
  for d in "$1"/*; do ln -sfn "$d" "$work/peerdb/osv-scalibr/$(basename "$d")"; done
}
