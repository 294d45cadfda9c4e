#!/usr/bin/env bash
# History survives a restart of stratusd: jobs, states, exit codes, logs.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

start_daemon; ok "stratusd starts"
project "$T/p" <<EOF
container:
  image: $IMAGE
good_task:
  s_script: echo persisted-output
bad_task:
  s_script: exit 4
EOF
(cd "$T/p" && st run) >"$T/out" 2>&1
[ $? -eq 1 ]; ok "a job with a passing and a failing task ran"
job=$(st --json ls | sed -n 's/.*"jobs":\[{"id":\([0-9]*\).*/\1/p')
st --json show "$job" >"$T/before.json"
stop_daemon; ok "stratusd stops"

start_daemon; ok "stratusd starts again on the same state"
st --json show "$job" >"$T/after.json"
grep -q '"name":"good".*"state":"succeeded"' "$T/after.json" &&
    grep -q '"exit_code":4' "$T/after.json"
ok "show after restart has the same states and exit codes"
[ "$(sed 's/"duration_ms":[0-9]*//g' "$T/before.json")" = "$(sed 's/"duration_ms":[0-9]*//g' "$T/after.json")" ]
ok "the job reads the same before and after the restart"
st ls | grep -q "^ *$job "; ok "ls still lists the job"
st logs "$job" good | grep -qx persisted-output; ok "the log is still readable"
stop_daemon; ok "stratusd exits 0"
daemon_log_clean; ok "no sanitizer report in the daemon log"
