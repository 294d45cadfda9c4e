#!/usr/bin/env bash
# The main job, end to end: prepare the machine (root), build Stratus, start
# stratusd as an unprivileged user with rootless Podman, and run
# `stratus run` on examples/hello.  Exits with stratus run's status.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/user-env.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run me as root (sudo): I install packages and set up rootless Podman for '$user'" >&2
	exit 2
fi
bash "$src/tests/setup-machine.sh" "$user" || exit 2
uid=$(id -u "$user"); home=$(getent passwd "$user" | cut -d: -f6)
work="$home/stratus-demo"
copy_tree "$src" "$work"
echo "== building in $work"
as_user bash -c "cd '$work' && autoreconf -fi >/dev/null 2>&1 && ./configure -q && make -s -j2" || exit 2
echo "== starting stratusd"
# The daemon's own pid (runuser does not pass SIGTERM on to it).
as_user bash -c "cd '$work' && echo \$\$ >stratusd.pid &&
    exec ./daemon/stratusd --state-dir '$home/.local/state/stratus-demo'" \
    >"$work/stratusd.log" 2>&1 &
runpid=$!
stop() {
	[ -s "$work/stratusd.pid" ] && kill -TERM "$(cat "$work/stratusd.pid")" 2>/dev/null
	wait $runpid 2>/dev/null
}
trap stop EXIT
for i in $(seq 50); do
	as_user "$work/client/stratus" ls >/dev/null 2>&1 && break
	sleep 0.2
done
echo "== stratus run (in examples/hello)"
as_user bash -c "cd '$work/examples/hello' && ../../client/stratus run"
rc=$?
echo "== stratus ls"
as_user "$work/client/stratus" ls
stop
trap - EXIT
echo "== stratusd log: $work/stratusd.log"
exit $rc
