#!/usr/bin/env bash
# The whole test suite, as on CI: prepare the machine (root), then build and
# run `make check` twice as an unprivileged user with rootless Podman: once
# plainly and once with AddressSanitizer + UndefinedBehaviorSanitizer.
# Ends with one line of totals: "N passed, N failed".
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/user-env.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "check-all: run me as root (sudo): I install packages and set up rootless Podman for '$user'" >&2
	exit 2
fi
bash "$src/tests/setup-machine.sh" "$user" || { echo "0 passed, 1 failed"; exit 1; }
uid=$(id -u "$user"); home=$(getent passwd "$user" | cut -d: -f6)

# A directory of this run's own: runs side by side must not share a build.
work=$(mktemp -d "$home/stratus-check.XXXXXX")
copy_tree "$src" "$work"

# One Podman service for the whole run, where stratusd looks by default
# (unless one answers there already).  Runs side by side share it: each
# holds a shared lock while it runs, and the last one out stops the service
# a run of this script started (its pid file says which).
podsock=/run/user/$uid/podman/podman.sock
poddir=/run/user/$uid/podman
as_user mkdir -p "$poddir"
exec 9>>"$poddir/check-all.lock"
flock -s 9
stop_service() {
	local pid
	flock -xn 9 || return 0	# another run still uses it
	pid=$(cat "$poddir/check-service.pid" 2>/dev/null) || return 0
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'podman system service'; then
		kill "$pid" 2>/dev/null
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$poddir/check-service.pid"
}
trap stop_service EXIT
if ! as_user curl -sf --unix-socket "$podsock" http://d/_ping >/dev/null 2>&1; then
	# Its own pid, to stop it at the end: runuser does not pass SIGTERM on.
	as_user bash -c "echo \$\$ >'$poddir/check-service.pid' &&
	    exec podman system service --time=0 'unix://$podsock'" \
	    >/tmp/stratus-podman-service.log 2>&1 9>&- &
	for i in $(seq 50); do
		as_user curl -sf --unix-socket "$podsock" http://d/_ping >/dev/null 2>&1 && break
		sleep 0.1
	done
fi

passed=0 failed=0
run_suite() {	# $1 build dir name, rest: configure flags
	local dir=$1; shift
	echo "=== build $dir: ./configure $*"
	if ! as_user bash -c "cd '$work' && (test -x configure || autoreconf -fi >/dev/null) &&
	    mkdir -p '$dir' && cd '$dir' && ../configure -q $* && make -s -j2" >"$work/$dir.build.log" 2>&1; then
		tail -50 "$work/$dir.build.log"
		failed=$((failed + 1))
		return
	fi
	echo "=== make check ($dir)"
	as_user bash -c "cd '$work/$dir' && STRATUS_TEST_PODMAN=$podsock make -j2 check" \
	    >"$work/$dir.check.log" 2>&1
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' "$work/$dir.check.log" | grep -v '^PASS' || true
	local p f
	p=$(awk '/^# PASS:/ { print $3 }' "$work/$dir/test-suite.log" 2>/dev/null | head -1)
	f=$(awk '/^# (FAIL|ERROR|XPASS):/ { s += $3 } END { print s + 0 }' "$work/$dir/test-suite.log" 2>/dev/null)
	if [ -z "$p" ]; then
		tail -40 "$work/$dir.check.log"
		failed=$((failed + 1))
		return
	fi
	if [ "$f" -gt 0 ]; then
		for l in "$work/$dir"/tests/*/*.log; do
			grep -q -E '^(FAIL|ERROR)' "${l%.log}.trs" 2>/dev/null || continue
			echo "--- $l"; tail -40 "$l"
		done
	fi
	echo "$dir: $p passed, $f failed"
	passed=$((passed + p)) failed=$((failed + f))
}

run_suite build
run_suite build-san --enable-sanitizers

# The tarball builds, installs (programs, units, man pages, completion) and
# passes its unit tests: about 30 s.
echo "=== make distcheck"
if as_user bash -c "cd '$work/build' && make -s distcheck" >"$work/distcheck.log" 2>&1; then
	echo "distcheck: 1 passed, 0 failed"
	passed=$((passed + 1))
else
	tail -40 "$work/distcheck.log"
	failed=$((failed + 1))
fi
# Keep the tree (and its logs) of a failed run for a look; drop a green one.
if [ "$failed" -eq 0 ]; then
	rm -rf "$work"
else
	echo "build trees and logs kept in $work"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
