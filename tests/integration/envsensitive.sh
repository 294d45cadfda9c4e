#!/usr/bin/env bash
# CIRRUS_ENV_SENSITIVE: values steps write to $CIRRUS_ENV are masked in the
# log from the next step on, also after a kill -9 and re-adoption.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

JOBS=1 start_daemon
ok "stratusd starts"

jid() { grep -Eo '^[0-9]+$' "$1" | tail -1; }
# Neither the value nor the runner's report of it is in any log file.
logs_clean() {
	! grep -rqF s3cr3t-value-123 "$STATE/logs" &&
	    ! grep -rq $'\036stratus:' "$STATE/logs"
}

P=$T/plain
project "$P" <<EOF
container:
  image: $IMAGE
e_task:
  a_script: echo TOKEN=s3cr3t-value-123 >> \$CIRRUS_ENV; echo SHORT=ab >> \$CIRRUS_ENV
  b_script: echo "token is \$TOKEN, short is \$SHORT"
EOF
(cd "$P" && st run) >"$T/out" 2>&1
grep -q 'token is s3cr3t-value-123, short is ab' "$T/out"
ok "without CIRRUS_ENV_SENSITIVE a CIRRUS_ENV value is shown" || diag "$T/out"
rm -rf "$STATE/logs"

(cd "$P" && st run -e CIRRUS_ENV_SENSITIVE=true) >"$T/out" 2>&1
grep -q 'token is \[MASKED\], short is ab' "$T/out" && logs_clean
ok "with -e CIRRUS_ENV_SENSITIVE=true it is masked (a 2-byte value is not)" ||
    diag "$T/out"

# Project $1 with CIRRUS_ENV_SENSITIVE in env: a step writes the value,
# the steps in $2 follow.
sens_project() {
	project "$1" <<EOF
container:
  image: $IMAGE
env:
  CIRRUS_ENV_SENSITIVE: "true"
e_task:
  a_script: echo TOKEN=s3cr3t-value-123 >> \$CIRRUS_ENV
$2
EOF
}

S=$T/sens
sens_project "$S" '  b_script: echo "token is $TOKEN"
  c_script: echo "still $TOKEN"'
(cd "$S" && st run) >"$T/out" 2>&1
grep -q 'token is \[MASKED\]' "$T/out" && grep -q 'still \[MASKED\]' "$T/out" &&
    logs_clean
ok "with env: CIRRUS_ENV_SENSITIVE: true the value is masked in later steps" ||
    diag "$T/out"

F=$T/self
project "$F" <<EOF
container:
  image: $IMAGE
e_task:
  a_script: echo CIRRUS_ENV_SENSITIVE=true >> \$CIRRUS_ENV
  b_script: echo TOKEN=s3cr3t-value-123 >> \$CIRRUS_ENV
  c_script: echo "token is \$TOKEN"
EOF
(cd "$F" && st run) >"$T/out" 2>&1
grep -q 'token is \[MASKED\]' "$T/out" && logs_clean
ok "CIRRUS_ENV_SENSITIVE set through CIRRUS_ENV masks later values" ||
    diag "$T/out"

# The value is reported before the output the restarted stratusd replays
# from its last checkpoint ("tick" a second later is past one): it is
# learnt again from the container's earlier output.
R=$T/readopt
sens_project "$R" '  b_script: echo "before $TOKEN"; sleep 1.5; echo tick; sleep 3; echo "after $TOKEN"'
(cd "$R" && st submit) >"$T/out" 2>&1
job=$(jid "$T/out")
ticked() { grep -qs '^tick' "$STATE/logs/$job/"*.log; }	# glob per poll
until_ok 30 ticked
ok "the task printed its masked value and a line after a checkpoint"
sleep 0.5
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
JOBS=1 start_daemon; ok "stratusd restarts after kill -9 mid-task"
st wait "$job" >/dev/null 2>&1
st logs "$job" e >"$T/out" 2>&1
grep -q 'before \[MASKED\]' "$T/out" && grep -q 'after \[MASKED\]' "$T/out" &&
    logs_clean
ok "after re-adoption the value is still masked" || diag "$T/out"
grep -q 're-adopting container' "$T/daemon.log" || diag "$T/daemon.log"
stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer report in the daemon log"
