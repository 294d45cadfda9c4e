#!/usr/bin/env bash
# Benchmarks with a peer measured in the same run, printed as ratios.
# Run as the user that owns rootless Podman, after building:
#   bench/run.sh BUILDDIR [ROUNDS]
# 1. task overhead: `stratus run` of a one-step task, against
#    `podman run --rm IMAGE true` from Podman's own command line;
# 2. log serving: `stratus logs` of a finished 50 MB log, against `cat` of
#    the same file;
# 3. queue: 200 submits acknowledged (each a committed SQLite transaction),
#    per submit, and the daemon's peak memory with them queued.
set -euo pipefail
build=$(cd "${1:?usage: bench/run.sh BUILDDIR [ROUNDS]}" && pwd)
rounds=${2:-10}
image=${STRATUS_TEST_IMAGE:-localhost/stratus-busybox:latest}
stratusd=$build/daemon/stratusd
stratus=$build/client/stratus

T=$(mktemp -d /tmp/stratus-bench.XXXXXX)
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$T"' EXIT
mkdir -m 700 "$T/run"
st() { "$stratus" --socket "$T/run/s.sock" "$@"; }
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

start() {
	"$stratusd" --socket "$T/run/s.sock" --state-dir "$T/state" --jobs "${1:-2}" \
	    >"$T/daemon.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do st ls >/dev/null 2>&1 && return; sleep 0.05; done
	echo "stratusd did not start"; cat "$T/daemon.log"; exit 1
}
start 2

mkdir -p "$T/p"
printf 'container:\n  image: %s\nt_task:\n  s_script: "true"\n' "$image" >"$T/p/.cirrus.yml"
(cd "$T/p" && st run >/dev/null 2>&1)	# warm caches
podman run --rm --network none "$image" true >/dev/null 2>&1 || true

t0=$(now); for _ in $(seq "$rounds"); do (cd "$T/p" && st run >/dev/null 2>&1); done; t1=$(now)
for _ in $(seq "$rounds"); do podman run --rm --network none "$image" true >/dev/null 2>&1; done; t2=$(now)
a=$(( $(ms "$t0" "$t1") / rounds )); b=$(( $(ms "$t1" "$t2") / rounds ))
echo "task overhead: stratus run ${a} ms, podman run --rm ${b} ms, ratio $(ratio "$a" "$b")"

printf 'container:\n  image: %s\nbig_task:\n  s_script: "seq 7000000"\n' "$image" >"$T/p/.cirrus.yml"
job=$(cd "$T/p" && st submit)
st logs -f "$job" big >/dev/null
log=$(ls "$T"/state/logs/"$job"/*.log | head -1)
size=$(stat -c %s "$log")
cat "$log" >/dev/null
t0=$(now); for _ in 1 2 3; do st logs "$job" big >/dev/null; done; t1=$(now)
for _ in 1 2 3; do cat "$log" >/dev/null; done; t2=$(now)
a=$(( $(ms "$t0" "$t1") / 3 )); b=$(( $(ms "$t1" "$t2") / 3 ))
[ "$b" -gt 0 ] || b=1
echo "log serving ($((size / 1048576)) MiB): stratus logs ${a} ms, cat ${b} ms, ratio $(ratio "$a" "$b")," \
    "$(awk -v s="$size" -v t="$a" 'BEGIN { printf "%.0f", (t > 0 ? s / 1048576 / (t / 1000) : 0) }') MiB/s"

kill -TERM $dpid; wait $dpid || true
start 1
printf 'container:\n  image: %s\nq_task:\n  s_script: "sleep 30"\n' "$image" >"$T/p/.cirrus.yml"
t0=$(now); for _ in $(seq 200); do (cd "$T/p" && st submit >/dev/null); done; t1=$(now)
t2=$(now); for _ in $(seq 200); do "$stratus" --version >/dev/null; done; t3=$(now)
a=$(( $(ms "$t0" "$t1") * 1000 / 200 )); b=$(( $(ms "$t2" "$t3") * 1000 / 200 ))
echo "submit: $((a / 1000)).$(( (a % 1000) / 100 )) ms each (client start alone $((b / 1000)).$(( (b % 1000) / 100 )) ms), ratio $(ratio "$a" "$b")"
echo "stratusd peak RSS with 200 jobs queued: $(awk '/VmHWM/ { print $2, $3 }' /proc/$dpid/status)"
