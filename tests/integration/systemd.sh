#!/usr/bin/env bash
# systemd.sh -- stratusd started as systemd starts it: a listening socket on
# fd 3 (LISTEN_FDS/LISTEN_PID), READY/STATUS/WATCHDOG/STOPPING on a
# NOTIFY_SOCKET we own, journal-style log lines, idle exit.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"
SDPASS=$STRATUS_BUILDDIR/tests/integration/sdpass
mkdir -p "$T/run"
chmod 700 "$T/run"
NOTIFY=$T/notify.sock
OUT=$T/sdpass.out

# Wait up to 10 s for a line matching $1 in $OUT.
await() {
	local i
	for i in $(seq 100); do
		grep -q -- "$1" "$OUT" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# no '$1' in:"; diag "$OUT"
	return 1
}

# Start stratusd under sdpass with extra env "$@" (NAME=VALUE...).
sd_start() {
	rm -f "$SOCK" "$NOTIFY" "$OUT"
	env "$@" "$SDPASS" "$SOCK" "$NOTIFY" "$STRATUSD" --state-dir "$STATE" \
	    --jobs 2 --grace 5 $EXTRA >"$OUT" 2>>"$T/daemon.log" &
	SDPID=$!
	await '^pid ' || return 1
	DPID_SD=$(sed -n 's/^pid //p' "$OUT")
}

EXTRA=
check "sdpass starts stratusd" -- sd_start WATCHDOG_USEC=400000 JOURNAL_STREAM=8:1234
check "READY=1 arrives on NOTIFY_SOCKET" -- await '^notify: READY=1$'
check "the API answers on the socket systemd passed" -- st ls >/dev/null
check "STATUS= tells the running and queued counts" -- \
    await '^notify: STATUS=0 running, 0 queued$'
check "WATCHDOG=1 arrives when WATCHDOG_USEC is set" -- \
    await '^notify: WATCHDOG=1$'
kill -TERM "$DPID_SD"
check "STOPPING=1 arrives after SIGTERM" -- await '^notify: STOPPING=1$'
wait "$SDPID"
check "stratusd exits 0" -- grep -q '^exit 0$' "$OUT"
check "the passed socket file is left to systemd" -- test -S "$SOCK"
check "journal log lines carry a priority and no timestamp" -- \
    grep -q '^<6>stratusd .* listening on the socket from systemd' "$T/daemon.log"
check "no timestamps under the journal" -- \
    bash -c "! grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' '$T/daemon.log'"
check "daemon log is clean" -- daemon_log_clean

# Idle exit: nothing queued or running for 1 s, and it stops by itself.
: >"$T/daemon.log"
EXTRA="--exit-idle-time 1"
check "stratusd with --exit-idle-time starts" -- sd_start
check "READY=1 again" -- await '^notify: READY=1$'
check "it answers while up" -- st ls >/dev/null
check "it exits by itself when idle" -- await '^exit 0$'
check "and says why" -- grep -q 'idle for 1s' "$T/daemon.log"
check "STOPPING=1 before the idle exit" -- grep -q '^notify: STOPPING=1$' "$OUT"

# Without socket activation, --exit-idle-time is refused politely.
: >"$T/daemon.log"
rm -f "$SOCK"
check "plain start with --exit-idle-time" -- start_daemon --exit-idle-time 1
sleep 1.5
check "it does not exit when nobody would start it again" -- kill -0 "$DPID"
check "the log says it was ignored" -- \
    grep -q 'exit-idle-time applies only under socket activation' "$T/daemon.log"
check "stops cleanly" -- stop_daemon
