#!/usr/bin/env bash
# container: additional_containers: each runs in a pod with the task's
# container, which reaches it on localhost once it is ready (its port
# listens, or its readiness_command exits 0).  One that never gets ready
# errors the task, naming it, within the limit.  The pod and every container
# go when the task ends: success, failure, timeout, cancel, kill -9 and
# re-adoption, and the start-up sweep of orphans.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

JOBS=4
jstate() { st --json show "$1" | jq -r .state; }
is_state() { [ "$(jstate "$1")" = "$2" ]; }
tlog() { st logs "$1" "$2" 2>&1; }
logged() { cat "$STATE/logs/$1/"*.log 2>/dev/null | grep -q "$2"; }
# Podman objects of this instance (with more labels: of one task).
objs() {
	local f="--filter label=stratus.instance=$inst" a
	for a in "$@"; do f="$f --filter label=$a"; done
	podman ps -aq $f
	podman pod ls -q $f
}
none_left() { [ -z "$(objs "$@")" ]; }
task_id() { st --json show "$1" | jq -r ".tasks[] | select(.name == \"$2\") | .id"; }

start_daemon; ok "stratusd starts"
inst=$(cat "$STATE/instance")
printf 'hunter2-s3cr3t\n' | st secret set DBPASS >/dev/null
ok "a secret for their env"

# --- reached on localhost once ready ---------------------------------------
project "$T/ok" <<EOF
container:
  image: $IMAGE
  additional_containers:
    - name: web
      image: $IMAGE
      port: 8080
      env:
        GREETING: from-the-sidecar
        PW: ENCRYPTED[DBPASS]
      # Slow to listen: the steps must not start before it does.
      command: sleep 1; mkdir -p /w; echo "hello \$GREETING" >/w/index.html; echo "\$PW" >/w/pw; exec httpd -f -p 8080 -h /w
    - name: pong
      image: $IMAGE
      command: [sh, -c, "sleep 1; touch /tmp/ready; exec nc -ll -p 7000 -e echo pong"]
      readiness_command: test -f /tmp/ready
main_task:
  env:
    PW: ENCRYPTED[DBPASS]
  web_script: wget -qO- http://localhost:8080/
  pong_script: nc localhost 7000 </dev/null
  secret_script: test "\$(wget -qO- http://localhost:8080/pw)" = "\$PW"
EOF
(cd "$T/ok" && st validate) >"$T/validate.out" 2>&1 &&
    grep -qx "  additional container web: $IMAGE (port 8080)" \
    "$T/validate.out" &&
    grep -qx "  additional container pong: $IMAGE" "$T/validate.out"
ok "validate shows the additional containers"
j=$(cd "$T/ok" && CI= st --json submit | jq -r .id)
until_ok 60 is_state "$j" succeeded
ok "a task whose additional containers serve on localhost succeeds"
tlog "$j" main >"$T/ok.log"
grep -q "^hello from-the-sidecar" "$T/ok.log"
ok "the steps reached the web server with its own env"
grep -q "^pong" "$T/ok.log"; ok "and the nc server ready by its readiness_command"
[ "$(st --json show "$j" | jq -r '.tasks[0].steps[2].state')" = succeeded ]
ok "an ENCRYPTED value in its env is resolved"
grep -q "\[stratus\] additional container web ready after" "$T/ok.log" &&
    grep -q "\[stratus\] additional container pong ready after" "$T/ok.log"
ok "the log says when each was ready"
until_ok 20 none_left "stratus.task=$(task_id "$j" main)"
ok "its pod and containers are gone"

# --- never ready, gone before ready -------------------------------------------
project "$T/bad" <<EOF
container:
  image: $IMAGE
never_task:
  timeout_in: 3s
  container:
    image: $IMAGE
    additional_containers:
      - name: deaf
        image: $IMAGE
        port: 9999
        command: echo waiting for nothing; exec sleep 600
  script: echo MAIN-RAN
probe_task:
  timeout_in: 3s
  container:
    image: $IMAGE
    additional_containers:
      - name: shy
        image: $IMAGE
        command: exec sleep 600
        readiness_command: echo not yet; exit 1
  script: echo MAIN-RAN
crash_task:
  container:
    image: $IMAGE
    additional_containers:
      - name: boom
        image: $IMAGE
        port: 1234
        env:
          PW: ENCRYPTED[DBPASS]
        command: echo it went wrong with \$PW; exit 3
  script: echo MAIN-RAN
EOF
t0=$(date +%s)
(cd "$T/bad" && CI= st run >"$T/bad.out" 2>&1); rc=$?
[ $rc -eq 1 ]; ok "a job whose additional containers fail fails"
[ $(( $(date +%s) - t0 )) -lt 30 ]; ok "within the limit"
jb=$(cd "$T/bad" && st --json ls --limit 1 | jq -r '.jobs[0].id')
[ "$(tfield "$jb" never state)" = errored ] &&
    [ "$(tfield "$jb" never reason)" = "additional container 'deaf' not ready after 3s: nothing listens on port 9999" ]
ok "a port that never listens: errored, naming the container"
tlog "$jb" never >"$T/never.log"
grep -q "^\[stratus\] deaf: waiting for nothing" "$T/never.log"
ok "its last output is in the log"
! grep -q MAIN-RAN "$T/never.log"; ok "the steps never ran"
[ "$(tfield "$jb" probe state)" = errored ] &&
    [ "$(tfield "$jb" probe reason)" = "additional container 'shy' not ready after 3s: readiness_command exited 1" ]
ok "a readiness_command that keeps failing: errored, naming it"
grep -q "^\[stratus\] shy: not yet" <(tlog "$jb" probe)
ok "what the readiness_command said is in the log"
[ "$(tfield "$jb" crash state)" = errored ] &&
    [ "$(tfield "$jb" crash reason)" = "additional container 'boom' exited with code 3 before it was ready" ]
ok "one that exits first: errored at once, naming it"
grep -q "^\[stratus\] boom: it went wrong with \[MASKED\]\$" <(tlog "$jb" crash)
ok "with its output, secrets masked"
! grep -rq hunter2 "$STATE/logs"; ok "no log holds the secret"
for t in never probe crash; do
	until_ok 20 none_left "stratus.task=$(task_id "$jb" $t)" || break
done
ok "their pods and containers are gone"

# --- timeout, cancel ----------------------------------------------------------
project "$T/slow" <<EOF
container:
  image: $IMAGE
  additional_containers:
    - name: idle
      image: $IMAGE
      command: exec sleep 600
late_task:
  timeout_in: 2s
  script: sleep 60
stay_task:
  script: echo STAYING; sleep 60
EOF
js=$(cd "$T/slow" && CI= st --json submit | jq -r .id)
until_ok 30 logged "$js" STAYING; ok "a task with an additional container runs"
until_ok 30 eval '[ "$(tfield "$js" late state)" = failed ]'
ok "the other one timed out"
st cancel "$js" >/dev/null; ok "cancelled"
until_ok 30 eval '[ "$(tfield "$js" stay state)" = cancelled ]'
ok "the running task ends cancelled"
tfield "$js" late reason | grep -q "timed out"; ok "it failed: timed out"
for t in late stay; do
	until_ok 20 none_left "stratus.task=$(task_id "$js" $t)" || break
done
ok "after timeout and cancel their pods and containers are gone"

# --- kill -9: re-adopted; the sweep ------------------------------------------
project "$T/crash" <<EOF
container:
  image: $IMAGE
  additional_containers:
    - name: web
      image: $IMAGE
      port: 8080
      command: mkdir -p /w; echo still-here >/w/index.html; exec httpd -f -p 8080 -h /w
main_task:
  script: echo STARTED; sleep 3; wget -qO- http://localhost:8080/
EOF
jc=$(cd "$T/crash" && CI= st --json submit | jq -r .id)
until_ok 30 logged "$jc" STARTED; ok "a task runs with its additional container"
tc=$(task_id "$jc" main)
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
ok "kill -9 of stratusd"
orphan=$(podman pod create --label "stratus.instance=$inst" \
    --label stratus.task=999 --network none)
podman create -q --pod "$orphan" "$IMAGE" true >/dev/null
ok "a pod of this instance for a task that is not running"
other=$(podman pod create --label "stratus.instance=other-$inst" \
    --label stratus.task=999 --network none)
ok "a pod of another instance"
start_daemon; ok "stratusd restarts"
until_ok 20 eval '! podman pod exists "$orphan"'
ok "the orphaned pod is swept with its containers"
grep -q "sweep: removed pod ${orphan:0:12} of task 999" "$T/daemon.log"
ok "the daemon log says so"
podman pod exists "$other"; ok "another instance's pod is left alone"
until_ok 30 is_state "$jc" succeeded
ok "the task was re-adopted and its additional container still served"
tlog "$jc" main | grep -q "^still-here"; ok "its log shows the answer"
until_ok 20 none_left "stratus.task=$tc"; ok "then its pod and containers are gone"
podman pod rm -f "$other" >/dev/null

none_left; ok "nothing of this instance is left in Podman"
stop_daemon; ok "stratusd stops"
daemon_log_clean; ok "no sanitizer report"
