#!/usr/bin/env bash
# Logs and the client's view: step headers, the log cap, resumable and
# shared log streams, the event stream, --json, wait, the terminal display.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

start_daemon --log-cap 4096
ok "stratusd starts with --log-cap"

api() { curl -sS --unix-socket "$SOCK" "http://stratus$1"; }

project "$T/p" <<EOF
container:
  image: $IMAGE
hello_task:
  greet_script: echo hello
  big_script: seq 1 3000
EOF
(cd "$T/p" && CI=true st run) >"$T/run.out" 2>&1
rc=$?
[ $rc -eq 0 ]; ok "a task printing past the cap still succeeds (got $rc)"
[ $rc -eq 0 ] || diag "$T/run.out"
grep -q "^Started 'hello'$" "$T/run.out"; ok "plain output says Started 'x'"
grep -q '^hello | --- greet$' "$T/run.out"; ok "a step's begin is a header"
grep -Eq '^hello \| --- greet succeeded in [0-9.]+s$' "$T/run.out"
ok "a step's end is a header with its duration"
! grep -q "$(printf '\036')" "$T/run.out"; ok "no raw marker reaches the output"
grep -Eq "^'hello' succeeded in [0-9.]+s$" "$T/run.out"; ok "result line"
api /v1/jobs/1/tasks/hello/log >"$T/full"
[ "$(grep -c 'log truncated at' "$T/full")" = 1 ]; ok "one truncation notice"
[ "$(stat -c %s "$T/full")" -lt 4300 ]; ok "the log stops near the cap"
grep -q "^$(printf '\036')stratus-step {\"event\":\"begin\",\"step\":\"greet\"" \
    "$T/full"; ok "the raw log keeps the step markers"

# Resuming at any offset of a finished log gives the same bytes.
head -c 1000 "$T/full" >"$T/a"
api "/v1/jobs/1/tasks/hello/log?offset=1000" >"$T/b"
cat "$T/a" "$T/b" | cmp -s - "$T/full"; ok "finished log: offset resume is byte-identical"

# A running task: read part, drop, resume at the offset reached.
project "$T/slow" <<EOF
container:
  image: $IMAGE
slow_task:
  count_script: for i in \$(seq 1 15); do echo line \$i; sleep 0.1; done
EOF
curl -sN --unix-socket "$SOCK" "http://stratus/v1/events?follow=1" \
    --max-time 20 >"$T/events.live" 2>/dev/null &
epid=$!
(cd "$T/slow" && st submit) >"$T/id" 2>&1
job=$(tr -dc 0-9 <"$T/id")
fpids=
for i in $(seq 10); do
	st logs -f "$job" slow >"$T/f$i" 2>&1 &
	fpids="$fpids $!"
done
for i in $(seq 50); do
	api "/v1/jobs/$job/tasks/slow/log" | grep -q 'line 2' && break
	sleep 0.1
done
api "/v1/jobs/$job/tasks/slow/log?follow=1" --max-time 0.5 >"$T/ra" 2>/dev/null
n=$(stat -c %s "$T/ra")
api "/v1/jobs/$job/tasks/slow/log?follow=1&offset=$n" >"$T/rb"
st wait "$job"; ok "stratus wait exits 0 for a job that succeeded"
wait $fpids
api "/v1/jobs/$job/tasks/slow/log" >"$T/rfull"
[ "$n" -gt 0 ] && cat "$T/ra" "$T/rb" | cmp -s - "$T/rfull"
ok "running log: dropped and resumed at offset $n is byte-identical"
same=1
for i in $(seq 10); do cmp -s "$T/f1" "$T/f$i" || same=0; done
[ $same = 1 ] && grep -q '^line 15$' "$T/f1"; ok "10 concurrent followers get identical output"

# Events: the live stream saw the job run, with increasing ids.
for i in $(seq 50); do
	grep -q '"state":"succeeded"' "$T/events.live" && break
	sleep 0.1
done
kill $epid 2>/dev/null; wait $epid 2>/dev/null
grep -q '^event: task$' "$T/events.live" &&
    grep -q '"name":"slow","state":"running"' "$T/events.live" &&
    grep -q '"name":"slow","state":"succeeded"' "$T/events.live"
ok "GET /v1/events streams task state changes live"
sed -n 's/^id: //p' "$T/events.live" >"$T/ids"
sort -n -c "$T/ids" && [ "$(sort -u "$T/ids" | wc -l)" = "$(wc -l <"$T/ids")" ]
ok "event ids increase"
api "/v1/events?follow=0&job=$job" >"$T/ev.all"
mid=$(sed -n 's/^id: //p' "$T/ev.all" | head -1)
curl -sS --unix-socket "$SOCK" -H "Last-Event-ID: $mid" \
    "http://stratus/v1/events?follow=0&job=$job" >"$T/ev.rest"
[ -n "$mid" ] && ! grep -q "^id: $mid$" "$T/ev.rest" &&
    [ "$(grep -c '^id: ' "$T/ev.rest")" = "$(( $(grep -c '^id: ' "$T/ev.all") - 1 ))" ]
ok "Last-Event-ID resumes after the given event"
grep -q '^event: job$' "$T/ev.all" && grep -q '"type":"job"' "$T/ev.all"
ok "job state changes are events too"

# --json: newline-delimited events, each line an object.
st --json logs -f "$job" >"$T/json"
grep -q '^{"event":"log","task":"slow","line":"line 3"}$' "$T/json"; ok "--json log events"
grep -q '^{"event":"step","task":"slow","phase":"end","step":"count","index":0,"exit_code":0,' "$T/json"
ok "--json step events instead of markers"
tail -1 "$T/json" | grep -q '^{"event":"job","job":{.*"state":"succeeded"'; ok "--json ends with the job"
! grep -v '^{.*}$' "$T/json" | grep -q .; ok "every --json line is one object"

st logs --tail 2 "$job" slow >"$T/tail"
[ "$(wc -l <"$T/tail")" = 2 ] && [ "$(head -1 "$T/tail")" = "line 15" ] &&
    grep -q '^--- count succeeded in' "$T/tail"
ok "--tail 2 prints the last two lines"
st logs --timestamps "$job" slow | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ line 1$'
ok "--timestamps prefixes lines"

project "$T/bad" <<EOF
container:
  image: $IMAGE
broken_task:
  ok_script: echo fine
  bad_script: echo boom; exit 3
EOF
(cd "$T/bad" && st submit) >"$T/id2" 2>&1
job2=$(tr -dc 0-9 <"$T/id2")
st wait "$job2"; rc=$?
[ $rc = 1 ]; ok "stratus wait exits 1 for a failed job (got $rc)"
(cd "$T/bad" && st run --output github-actions) >"$T/gh" 2>&1
grep -q '^::group::broken$' "$T/gh" && grep -q '^::endgroup::$' "$T/gh" &&
    grep -q "^::error title=broken::task 'broken' failed in step bad" "$T/gh"
ok "--output github-actions folds and flags the failure"
(cd "$T/bad" && GITHUB_ACTIONS=true st run) >"$T/gh" 2>&1
grep -q '^::group::broken$' "$T/gh"; ok "under GITHUB_ACTIONS=true the default output is github-actions"
(cd "$T/bad" && GITHUB_ACTIONS=true st run -o simple) >"$T/gh" 2>&1
! grep -q '::group::' "$T/gh" && grep -q "^Started 'broken'" "$T/gh"
ok "-o simple says otherwise"

# The terminal display under a pseudo-terminal: the final screen.
(cd "$T/bad" && CI= TERM=xterm NO_COLOR=1 script -qfec \
    "$STRATUS --socket $SOCK run" /dev/null) >"$T/tty" 2>&1
tr -d '\r' <"$T/tty" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >"$T/screen"
grep -Eq '^x broken +failed +[0-9.]+s$' "$T/screen" &&
    grep -q "^in step 'bad'$" "$T/screen" &&
    grep -q '^    boom$' "$T/screen" || { sed 's/^/# screen: /' "$T/screen" | cat -A | tail -20; false; }
ok "terminal display: final task line, failed step and its last lines"
! grep -q "$(printf '\033')\[3[0-9]m" "$T/tty"; ok "NO_COLOR: no colour"
grep -q '^::' "$T/screen"; [ $? = 1 ]; ok "terminal display is not the plain one"

# Ctrl-C in run leaves the job running and says how to go on.
(cd "$T/slow" && CI=true exec "$STRATUS" --socket "$SOCK" run) >"$T/int" 2>&1 &
rpid=$!
for i in $(seq 100); do grep -q 'line 1$' "$T/int" && break; sleep 0.1; done
kill -INT $rpid; wait $rpid; rc=$?
ijob=$(sed -n 's/^stratus: job \([0-9]*\) submitted$/\1/p' "$T/int")
[ $rc = 130 ] && grep -q "stratus logs -f $ijob" "$T/int" &&
    grep -q "stratus cancel $ijob" "$T/int"
ok "Ctrl-C in run exits 130 and says how to follow or cancel (got $rc)"
st wait "$ijob"; ok "the interrupted job ran on to success"

# run --json: task state changes (from GET /v1/events) between the log
# lines, the job last.
project "$T/two" <<EOF
container:
  image: $IMAGE
first_task:
  a_script: echo one
second_task:
  depends_on: first
  b_script: echo two
EOF
(cd "$T/two" && st --json run) >"$T/runjson" 2>"$T/runjson.err"; rc=$?
[ $rc = 0 ] && jq -e . "$T/runjson" >/dev/null; ok "run --json: exit 0, every line JSON"
jq -r 'select(.event == "task") | "\(.task.name) \(.task.state)"' "$T/runjson" \
    >"$T/tseq"
at() { grep -nx "$1" "$T/tseq" | head -1 | cut -d: -f1; }
[ -n "$(at 'first running')" ] && [ -n "$(at 'second succeeded')" ] &&
    [ "$(at 'first running')" -lt "$(at 'first succeeded')" ] &&
    [ "$(at 'first succeeded')" -lt "$(at 'second running')" ]
ok "run --json: task events in order (running, succeeded; first, second)"
tail -1 "$T/runjson" | jq -e '.event == "job" and .job.state == "succeeded" and
    ([.job.tasks[].state] | all(. == "succeeded"))' >/dev/null
ok "run --json: the last line is the ended job"
[ "$(jq -r 'select(.event == "task" and .task.state == "succeeded") |
    .task.name' "$T/runjson" | tr '\n' ' ')" = "first second " ]
ok "run --json: each task's end once, before the job's"
jq -se 'any(.[]; .event == "log" and .task == "second" and .line == "two")' \
    "$T/runjson" >/dev/null || { diag "$T/runjson"; false; }
ok "run --json: log lines too"

# --cancel-on-interrupt: Ctrl-C cancels the job instead.
project "$T/long" <<EOF
container:
  image: $IMAGE
long_task:
  nap_script: sleep 30
EOF
(cd "$T/long" && CI=true exec "$STRATUS" --socket "$SOCK" run \
    --cancel-on-interrupt) >"$T/cint" 2>&1 &
rpid=$!
cjob=
running() {
	cjob=$(sed -n 's/^stratus: job \([0-9]*\) submitted$/\1/p' "$T/cint")
	[ -n "$cjob" ] && st --json show "$cjob" 2>/dev/null |
	    jq -e '.tasks[0].state == "running"' >/dev/null
}
until_ok 30 running; ok "the sleep 30 task runs"
kill -INT $rpid; wait $rpid; rc=$?
[ $rc = 130 ] && grep -q "job $cjob cancelled" "$T/cint" ||
    { diag "$T/cint"; false; }
ok "Ctrl-C with --cancel-on-interrupt exits 130 and says cancelled (got $rc)"
cancelled() { st --json show "$cjob" | jq -e '.state == "cancelled"' >/dev/null; }
until_ok 15 cancelled; ok "the job is cancelled, not left running"
st wait "$cjob"; rc=$?
[ $rc = 1 ]; ok "stratus wait on the cancelled job exits 1 (got $rc)"

stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer reports"
