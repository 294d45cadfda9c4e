#!/usr/bin/env bash
# SIGTERM with a running task (grace, then cancelled with a reason, exit 0)
# and the Podman service that stratusd owns dying under a running task.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

jstate() { st --json show "$1" | jq -r .tasks[0].state; }
is_state() { [ "$(jstate "$1")" = "$2" ]; }
logged() { st logs "$1" 2>/dev/null | grep -q "$2"; }
submit() { (cd "$1" && st --json submit) | jq -r .id; }

project "$T/long" <<EOT
container:
  image: $IMAGE
main_task:
  script: echo started; sleep 30
EOT
project "$T/quick" <<EOT
container:
  image: $IMAGE
main_task:
  script: echo quick-ok
EOT

# --- SIGTERM: stop taking work, grace, cancel, exit 0 -------------------
start_daemon --grace 1
ok "stratusd starts with --grace 1"
j=$(submit "$T/long")
until_ok 20 logged "$j" started; ok "a sleep 30 task runs"
pid=$DPID
t0=$(date +%s)
kill -TERM "$pid"
sleep 0.3
! (cd "$T/quick" && st submit) >/dev/null 2>&1
ok "after SIGTERM new submissions are refused"
until_ok 15 eval '! kill -0 "$pid" 2>/dev/null'
wait "$pid"; rc=$?
DPID=
secs=$(( $(date +%s) - t0 ))
[ $rc -eq 0 ] && [ $secs -le 15 ]
ok "stratusd exits 0 within 15 s (rc $rc, ${secs}s)"
grep -q "waiting up to 1s for 1 running task" "$T/daemon.log"
ok "it waited the grace period for the running task"
start_daemon --grace 1
st --json show "$j" | jq -e '.tasks[0].state == "cancelled" and
    .tasks[0].reason == "stratusd shut down"' >/dev/null
ok "after a restart the task is cancelled, reason 'stratusd shut down'"
[ -z "$(podman ps -q --filter "label=stratus.job=$j" --filter "label=stratus.instance=$(cat "$STATE/instance")")" ]
ok "its container is stopped"
stop_daemon; ok "stratusd stops"

# --- the Podman service stratusd owns dies mid-task ---------------------
# An empty runtime directory: no podman.sock there, so stratusd starts
# and owns its own service.
rt=$(mktemp -d "${TMPDIR:-/tmp}/stratus-rt.XXXXXX")
XDG_RUNTIME_DIR=$rt start_daemon
ok "stratusd starts without a Podman socket"
svc=$(sed -n 's/.*started podman system service (pid \([0-9]*\)).*/\1/p' \
    "$T/daemon.log" | tail -1)
[ -n "$svc" ]; ok "and starts its own podman system service ($svc)"
j=$(submit "$T/long")
until_ok 20 logged "$j" started; ok "a task runs on it"
kill -KILL "$svc"
until_ok 20 is_state "$j" errored; ok "the task ends errored when Podman dies"
st --json show "$j" | jq -e '.tasks[0].reason | length > 0' >/dev/null
ok "with a reason ($(st --json show "$j" | jq -c .tasks[0].reason))"
kill -0 "$DPID"; ok "stratusd stays up"
q=$(submit "$T/quick")
until_ok 30 is_state "$q" succeeded; ok "a new job runs once the service is back"
grep -q "podman service gone; starting it again" "$T/daemon.log"
ok "stratusd restarted the service it owns"
# The errored task's container (conmon outlived the service) is removed
# once the service is back, not at the next start.
orphans() {
	XDG_RUNTIME_DIR=$rt podman ps -aq --filter "label=stratus.job=$j" \
	    --filter "label=stratus.instance=$(cat "$STATE/instance")" 2>/dev/null
}
until_ok 20 eval '[ -z "$(orphans)" ]'
ok "the errored task's container is swept once Podman is back"
grep -q "sweep: removed container" "$T/daemon.log"; ok "and the log says so"
svc2=$(sed -n 's/.*started podman system service (pid \([0-9]*\)).*/\1/p' \
    "$T/daemon.log" | tail -1)
stop_daemon; ok "stratusd stops"
[ -n "$svc2" ] && until_ok 10 eval '! kill -0 "$svc2" 2>/dev/null'
ok "and stops the Podman service it started ($svc2)"
# The orphaned container of the errored task (conmon outlived the service).
ids=$(XDG_RUNTIME_DIR=$rt podman ps -aq --filter "label=stratus.job=$j" \
    --filter "label=stratus.instance=$(cat "$STATE/instance")" \
    2>/dev/null)
[ -z "$ids" ] || XDG_RUNTIME_DIR=$rt podman rm -f -t 0 $ids >/dev/null 2>&1
rm -rf "$rt"
daemon_log_clean; ok "no sanitizer report"
