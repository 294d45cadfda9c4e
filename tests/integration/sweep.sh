#!/usr/bin/env bash
# At start-up stratusd removes its own containers that no running task owns
# (left by a kill between create and record, or by Podman dying mid-task),
# keeps those of running tasks, and never touches another instance's.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

project "$T/p" <<EOF
container:
  image: $IMAGE
main_task:
  script: echo started; sleep 4; echo done
EOF
exists() { podman container exists "$1"; }
gone() { ! podman container exists "$1"; }
jstate() { st --json show "$1" | jq -r .state; }
is_state() { [ "$(jstate "$1")" = "$2" ]; }
logged() { cat "$STATE/logs/$1/"*.log 2>/dev/null | grep -q "^$2\$"; }

start_daemon; ok "stratusd starts"
inst=$(cat "$STATE/instance")
j=$(cd "$T/p" && st --json submit | jq -r .id)
until_ok 20 logged "$j" started; ok "a task runs"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
ok "kill -9 of stratusd while it runs"

mine=$(podman create -q --label "stratus.instance=$inst" \
    --label stratus.task=999 "$IMAGE" true)
ok "a container of this instance for a task that is not running"
other=$(podman create -q --label "stratus.instance=other-$inst" \
    --label stratus.task=999 "$IMAGE" true)
ok "a container of another instance"

start_daemon; ok "stratusd restarts"
gone "$mine"; ok "the orphaned container of this instance is removed"
exists "$other"; ok "another instance's container is left alone"
grep -q "sweep: removed container ${mine:0:12}" "$T/daemon.log"
ok "the daemon log says so"
until_ok 20 is_state "$j" succeeded
ok "the running task's container was kept, re-adopted, and succeeded"
logged "$j" done; ok "its log is complete"
podman rm -f -t 0 "$other" >/dev/null
stop_daemon; ok "stratusd stops"
daemon_log_clean; ok "no sanitizer report"
