#!/usr/bin/env bash
# The queue with real Podman: global and per-project limits as the daemon
# records them, fairness across projects, priority, pause and resume,
# cancel of queued and running tasks, retry, project names, retention.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

jstate() { st --json show "$1" | jq -r .state; }
tstate() { st --json show "$1" | jq -r .tasks[0].state; }

is_state() { [ "$(jstate "$1")" = "$2" ]; }
not_queued() { [ "$(jstate "$1")" != queued ]; }

sleeper() {	# sleeper DIR SECONDS
	project "$1" <<EOT
container:
  image: $IMAGE
main_task:
  script: echo started; sleep $2
EOT
}
submit() { (cd "$1" && shift && st --json submit "$@") | jq -r .id; }

JOBS=3 start_daemon --keep 3
ok "stratusd starts with --jobs 3"

# --- limits: 3 jobs of a project limited to 1, 3 of a free one ----------
sleeper "$T/lim" 1
sleeper "$T/free" 1
st project set lim --max-running 1 >/dev/null
ok "project set --max-running"
ids=
for i in 1 2 3; do
	ids="$ids $(submit "$T/lim") $(submit "$T/free")"
done
maxtot=0 maxlim=0
for i in $(seq 300); do
	st --json projects >"$T/p.json" || break
	tot=$(jq '[.projects[].running] | add' "$T/p.json")
	lim=$(jq '.projects[] | select(.name == "lim") | .running' "$T/p.json")
	left=$(jq '[.projects[] | .queued + .running] | add' "$T/p.json") ||
	    break
	[ "$tot" -gt "$maxtot" ] && maxtot=$tot
	[ "$lim" -gt "$maxlim" ] && maxlim=$lim
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
[ "$left" -eq 0 ]; ok "all 6 jobs ran"
[ "$maxtot" -le 3 ] && [ "$maxtot" -ge 2 ]
ok "never more than --jobs 3 running at once (saw $maxtot)"
[ "$maxlim" -eq 1 ]; ok "never more than the project's limit of 1 (saw $maxlim)"
for j in $ids; do [ "$(jstate "$j")" = succeeded ] || false; done
ok "every one of them succeeded"
st --json projects | jq -e '.projects[] | select(.name == "lim") |
    .max_running == 1 and .paused == false and .jobs == 3' >/dev/null
ok "projects --json lists the limit and counts"

# --- fairness: A queues 10, then B 1; B starts before A drains ----------
sleeper "$T/A" 1
sleeper "$T/B" 1
st pause >/dev/null; ok "pause of the whole queue"
st --json projects | jq -e .paused >/dev/null; ok "projects shows the queue paused"
aids=
for i in $(seq 10); do aids="$aids $(submit "$T/A")"; done
b=$(submit "$T/B")
sleep 1
is_state "$b" queued; ok "nothing starts while the queue is paused"
st resume >/dev/null; ok "resume of the whole queue"
until_ok 20 not_queued "$b"; ok "B's job starts"
aq=0
for j in $aids; do [ "$(jstate "$j")" = queued ] && aq=$((aq + 1)); done
[ "$aq" -ge 6 ]; ok "B started while A still had $aq of 10 queued"

# --- cancel of queued jobs: never start, no container -------------------
for j in $aids; do [ "$(jstate "$j")" = queued ] && qa=$j; done
# $qa first: cancelling the others frees slots it could start in.
st cancel "$qa" >/dev/null 2>&1
for j in $aids; do st cancel "$j" >/dev/null 2>&1; done
until_ok 20 is_state "$qa" cancelled; ok "a queued job cancelled is cancelled"
st --json show "$qa" | jq -e '.tasks[0].started_at == null and
    .tasks[0].log_bytes == 0' >/dev/null
ok "it never started"
[ -z "$(podman ps -aq --filter "label=stratus.job=$qa" --filter "label=stratus.instance=$(cat "$STATE/instance")")" ]
ok "and has no container"

# --- priority: within a project, higher priority first ------------------
sleeper "$T/prio" 0
st project set prio --max-running 1 >/dev/null
st pause --project prio >/dev/null; ok "pause --project"
lo1=$(submit "$T/prio")
lo2=$(submit "$T/prio")
hi=$(submit "$T/prio" --priority 5)
[ "$(st --json show "$hi" | jq .priority)" = 5 ]; ok "submit --priority is kept"
sleep 2
is_state "$lo1" queued && is_state "$hi" queued
ok "a job of a paused project stays queued for 2 s"
st --json projects | jq -e '.projects[] | select(.name == "prio") |
    .paused and .queued == 3' >/dev/null
ok "projects shows the project paused with 3 queued"
st resume --project prio >/dev/null; ok "resume --project"
until_ok 20 not_queued "$hi"; ok "resumed: the job runs"
is_state "$lo1" queued && is_state "$lo2" queued
ok "the priority 5 job started before the older priority 0 ones"
until_ok 20 is_state "$lo2" succeeded; ok "then the others run"

# --- cancel of a running task -------------------------------------------
sleeper "$T/long" 30
r=$(submit "$T/long")
until_ok 20 is_state "$r" running
st cancel "$r" >/dev/null; ok "cancel of a running job answers"
t0=$(date +%s)
until_ok 8 is_state "$r" cancelled; rc=$?
secs=$(( $(date +%s) - t0 ))
[ $rc -eq 0 ] && [ $secs -le 6 ]; ok "the running task is cancelled within ${secs}s"
st logs "$r" 2>&1 | grep -q "cancelled"; ok "its log says it was cancelled"

# --- retry: attempt 2 runs, attempt 1's log stays -----------------------
project "$T/flaky" <<EOT
container:
  image: $IMAGE
main_task:
  script: echo "run at \$(date +%s%N)"; exit 3
EOT
f=$(submit "$T/flaky")
until_ok 20 is_state "$f" failed; ok "a failing job fails"
curl -sf --unix-socket "$SOCK" "http://x/v1/jobs/$f/tasks/main/log" >"$T/a1"
st retry "$f" >/dev/null; ok "retry answers"
until_ok 20 is_state "$f" failed
st --json show "$f" | jq -e '.tasks[0].attempt == 2' >/dev/null
ok "attempt 2 ran"
curl -sf --unix-socket "$SOCK" \
    "http://x/v1/jobs/$f/tasks/main/log?attempt=1" >"$T/l1"
grep -q "run at" "$T/l1" && cmp -s "$T/a1" "$T/l1"
ok "attempt 1's log is still readable with ?attempt=1"
curl -sf --unix-socket "$SOCK" "http://x/v1/jobs/$f/tasks/main/log" >"$T/l2"
grep -q "run at" "$T/l2" && [ -s "$STATE/logs/$f/$(st --json show "$f" |
    jq .tasks[0].id).2.log" ]
ok "attempt 2 has a log of its own"

# --- project names: the directory's, told apart by path -----------------
mkdir -p "$T/other"
sleeper "$T/other/lim" 0
o=$(submit "$T/other/lim")
p=$(st --json show "$o" | jq -r .project)
case $p in lim-????????) true ;; *) false ;; esac
ok "a second directory named like a project gets its own name ($p)"
p=$(st --json show "$(submit "$T/lim")" | jq -r .project)
[ "$p" = lim ]; ok "the first directory keeps the plain name"
mkdir -p "$T/gitdir/.git"
printf '[remote "origin"]\n\turl = https://example.org/o/upstream.git\n' \
    >"$T/gitdir/.git/config"
echo 'ref: refs/heads/main' >"$T/gitdir/.git/HEAD"
sleeper "$T/gitdir" 0
echo git >"$T/gitdir/data.txt"
p=$(st --json show "$(submit "$T/gitdir")" | jq -r .project)
[ "$p" = upstream ]; ok "a git work tree is named after its origin ($p)"
p=$(st --json show "$(submit "$T/B" --project mine)" | jq -r .project)
[ "$p" = mine ]; ok "--project overrides"
echo changed >"$T/gitdir/data.txt"	# a snapshot of its own for gc
g2=$(submit "$T/gitdir")

# --- retention: --keep 3 finished jobs per project ----------------------
until_ok 20 is_state "$(st --json ls --project lim --limit 1 |
    jq '.jobs[0].id')" succeeded
until_ok 20 is_state "$g2" succeeded
# Retention runs just after a task ends: give it a moment.
until_ok 10 has_njobs lim 3
ok "--keep 3: the project keeps its 3 newest jobs (has $(njobs lim))"
first=$(echo $ids | cut -d' ' -f1)
! st show "$first" >/dev/null 2>&1; ok "the oldest job is gone"
[ ! -e "$STATE/logs/$first" ]; ok "with its logs"
st --json gc | jq -e '.jobs_removed == 0 and .blobs_removed == 0' >/dev/null
ok "gc after automatic retention finds nothing"
stop_daemon; ok "stratusd stops"
JOBS=3 start_daemon --keep 1
before=$(ls "$STATE/blobs"/*/ | wc -l)
st --json gc >"$T/gc.json"
gc=$(cat "$T/gc.json")
jq -e '.jobs_removed > 0 and .blobs_removed > 0' "$T/gc.json" >/dev/null
ok "stratus gc with --keep 1 removes jobs and snapshots ($gc)"
n=$(st --json ls --project lim | jq '.jobs | length')
[ "$n" -eq 1 ]; ok "the project keeps 1"
after=$(ls "$STATE/blobs"/*/ | wc -l)
[ "$after" -lt "$before" ]; ok "snapshots nobody refers to are removed ($before -> $after)"
stop_daemon; ok "stratusd stops again"
daemon_log_clean; ok "no sanitizer report"

# --- retention by age, with artifacts -----------------------------------
JOBS=3 start_daemon --keep 0 --keep-seconds 1
ok "stratusd starts with --keep 0 --keep-seconds 1"
project "$T/art" <<EOT
container:
  image: $IMAGE
main_task:
  s_script: mkdir -p out && echo kept >out/a.txt
  out_artifacts:
    path: out/a.txt
EOT
a=$(submit "$T/art")
until_ok 20 is_state "$a" succeeded; ok "a job with artifacts succeeds"
[ -d "$STATE/artifacts/$a" ]; ok "its artifacts are in STATE/artifacts/$a"
sleep 1.2
st --json gc | jq -e '.jobs_removed > 0' >/dev/null
ok "stratus gc removes jobs that finished more than 1 s ago"
! st show "$a" >/dev/null 2>&1; ok "the old job is gone"
[ ! -e "$STATE/artifacts/$a" ]; ok "with its artifacts"
[ ! -e "$STATE/logs/$a" ]; ok "and its logs"
b=$(submit "$T/art")
until_ok 20 is_state "$b" succeeded
st show "$b" >/dev/null; ok "a job that just finished is kept"
stop_daemon; ok "stratusd stops"
daemon_log_clean; ok "no sanitizer report"
