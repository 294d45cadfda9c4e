#!/usr/bin/env bash
# A real stratusd with real rootless Podman: passing, failing, multi-task
# jobs, both output streams, snapshot contents, and every client command.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

start_daemon
ok "stratusd starts and answers on its socket"

[ "$(stat -c %a "$SOCK")" = 600 ] && [ "$(stat -c %a "$T/run")" = 700 ]
ok "socket is 0600 in a 0700 directory"

project "$T/pass" <<EOF
container:
  image: $IMAGE
env:
  WHO: world
hello_task:
  greet_script:
    - echo "hello \$WHO"
    - echo "to stderr" >&2
  files_script: cat data.txt && pwd
EOF
(cd "$T/pass" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ]; ok "run of a passing task exits 0 (got $rc)"
grep -q '^hello | hello world$' "$T/out"; ok "stdout reaches the client live, prefixed with the task name"
grep -q '^hello | to stderr$' "$T/out"; ok "stderr reaches the log too"
grep -q '^hello | from the snapshot$' "$T/out"; ok "the submitted project is in the working directory"
grep -q '^hello | /tmp/cirrus-ci-build$' "$T/out"; ok "steps run in CIRRUS_WORKING_DIR"
grep -Eq "'hello' succeeded in [0-9.]+" "$T/out"; ok "the result line names the task and its duration"
[ $rc -eq 0 ] || diag "$T/out"

project "$T/fail" <<EOF
container:
  image: $IMAGE
first_task:
  a_script: echo first-ok
second_task:
  depends_on: first
  b_script:
    - echo before
    - exit 7
    - echo never
  c_script: echo not-run
EOF
(cd "$T/fail" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ]; ok "run with a failing task exits 1 (got $rc)"
grep -q "^first | first-ok" "$T/out" && grep -q "^second | before" "$T/out"
ok "two tasks of one job both run"
! grep -q "never\|not-run" "$T/out"; ok "the task stops at the first failing command and step"
grep -Eq "'second' failed in .*exit code 7" "$T/out"; ok "the failure names the exit code"
[ $rc -eq 1 ] || diag "$T/out"

job=$(st --json ls | sed -n 's/.*"jobs":\[{"id":\([0-9]*\).*/\1/p')
[ -n "$job" ]; ok "ls --json lists the newest job first ($job)"
st --json show "$job" >"$T/show.json"
grep -q '"name":"second"' "$T/show.json" && grep -q '"exit_code":7' "$T/show.json" &&
    grep -q '"state":"failed"' "$T/show.json"
ok "show --json has tasks with states and exit codes"
st show "$job" >"$T/show.txt"; grep -q "second" "$T/show.txt" && grep -q "failed" "$T/show.txt"
ok "show prints the tasks and their states"
st logs "$job" second >"$T/log.txt" && grep -qx "before" "$T/log.txt"
ok "logs JOB TASK prints the task's log"
st ls >"$T/ls.txt" && grep -q "$job" "$T/ls.txt"; ok "ls prints the job table"

sub=$(cd "$T/pass" && st submit)
case $sub in *[!0-9]*|"") false ;; *) true ;; esac; ok "submit prints a job id ($sub)"
st logs -f "$sub" hello >"$T/follow.txt"
grep -qx "hello world" "$T/follow.txt"; ok "logs -f follows a task to its end"
st --json show "$sub" | grep -q '"state":"succeeded"'; ok "the submitted job succeeded"

project "$T/big" <<EOF
container:
  image: $IMAGE
big_task:
  lines_script: seq 300000
EOF
sub=$(cd "$T/big" && st submit)
# Step headers (doc/log-format.md) are not the task's output.
st logs -f "$sub" big | grep -v '^--- lines' >"$T/big.txt"
[ "$(wc -l <"$T/big.txt")" -eq 300000 ] && [ "$(tail -1 "$T/big.txt")" = 300000 ] &&
    seq 300000 | cmp -s - "$T/big.txt"
ok "a task printing 300000 lines has a complete log"

stop_daemon; ok "stratusd exits 0 on SIGTERM"
daemon_log_clean; ok "no sanitizer report in the daemon log"
