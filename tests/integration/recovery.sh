#!/usr/bin/env bash
# kill -9 of stratusd at several points, then a restart: every acknowledged
# job finishes exactly once, logs complete; running containers re-adopted.
# Also: a second stratusd on the same state directory is refused.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

JOBS=2
project "$T/p" <<EOF
container:
  image: $IMAGE
main_task:
  out_script:
    - echo RUN-ONCE
    - seq 1 20
    - if [ "\$SLOW" = 1 ]; then sleep 1; fi
    - seq 21 40
  tail_script: echo TAIL-STEP
EOF
seq 1 40 >"$T/expected"

jobs=
submit() {	# submit N: jobs 1, 3, 5... are slow
	local id slow=$(( $1 % 2 ))
	id=$(cd "$T/p" && st submit -e SLOW=$slow) || return 1
	jobs="$jobs $id"
}

crash() {	# kill -9, then check the state dir's lock is free again
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
}

running() {	# how many tasks stratusd says are running
	st --json ls --limit 100 | grep -o '"state":"running"' | wc -l
}

start_daemon; ok "stratusd starts"

"$STRATUSD" --socket "$T/run/other.sock" --state-dir "$STATE" \
    >"$T/second.log" 2>&1
[ $? -ne 0 ] && grep -q "another stratusd is using" "$T/second.log"
ok "a second stratusd on the same state directory is refused"

for i in $(seq 1 8); do submit "$i"; done
[ "$(echo $jobs | wc -w)" = 8 ]; ok "8 jobs submitted"
# Kill while tasks run and have written part of their output.
for i in $(seq 100); do
	[ "$(running)" -ge 1 ] && grep -qs '^20$' "$STATE"/logs/*/*.log && break
	sleep 0.1
done
crash; ok "kill -9 while tasks run"

start_daemon; ok "stratusd restarts after kill -9"
submit 9; ok "a job is acknowledged"
crash; ok "kill -9 right after the acknowledgement"

start_daemon; ok "stratusd restarts again"
for i in $(seq 10 20); do submit "$i"; done
for i in $(seq 100); do
	[ "$(running)" -ge 1 ] && break
	sleep 0.1
done
sleep 0.5
crash; ok "kill -9 with 20 jobs acknowledged, some running"

start_daemon; ok "stratusd restarts a third time"
for i in $(seq 600); do
	st --json ls --limit 100 | grep -Eq '"state":"(queued|running)"' ||
	    break
	sleep 0.1
done
! st --json ls --limit 100 | grep -Eq '"state":"(queued|running)"'
ok "every job finished"

[ "$(echo $jobs | wc -w)" = 20 ]; ok "20 jobs were acknowledged"
bad=0
for j in $jobs; do
	st --json show "$j" >"$T/show" 2>&1
	st logs "$j" main >"$T/log" 2>&1
	if ! grep -q '"state":"succeeded"' "$T/show" ||
	    grep -q '"attempt":2' "$T/show" ||
	    [ "$(grep -c '^RUN-ONCE$' "$T/log")" != 1 ] ||
	    [ "$(grep -c '^TAIL-STEP$' "$T/log")" != 1 ] ||
	    ! grep -E '^[0-9]+$' "$T/log" | cmp -s - "$T/expected"; then
		echo "# job $j:"
		diag "$T/show"
		diag "$T/log"
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ]; ok "all 20 jobs succeeded once, each log complete without duplicates ($bad bad)"
grep -q "re-adopting container" "$T/daemon.log"
ok "at least one running container was re-adopted"

# A task re-adopted after a kill -9 still has its artifacts collected.
project "$T/art" <<EOF
container:
  image: $IMAGE
art_task:
  make_script: echo made >made.txt
  wait_script: sleep 2
  out_artifacts:
    path: made.txt
EOF
aj=$(cd "$T/art" && st submit)
in_wait() { grep -qs '"event":"begin","step":"wait"' "$STATE"/logs/"$aj"/*.log; }
until_ok 30 in_wait
ok "the artifacts task is in its last step"
crash; start_daemon; ok "kill -9 and restart"
job_done() { st --json show "$aj" | jq -e '.state == "succeeded"' >/dev/null; }
until_ok 30 job_done; ok "the re-adopted task succeeds"
st --json show "$aj" >"$T/artshow"
grep -q '"artifacts":\[{"path":"made.txt","size":5}\]' "$T/artshow" ||
    { diag "$T/artshow"; false; }
ok "its artifacts were collected after the re-adoption"
st artifacts "$aj" art -o "$T/dl" >/dev/null 2>&1 && [ "$(cat "$T/dl/made.txt")" = made ]
ok "and can be downloaded"
st logs "$aj" art >"$T/artlog" 2>&1
grep -q '^--- make succeeded in' "$T/artlog" && grep -q '^--- wait$' "$T/artlog" &&
    grep -q '^--- wait succeeded in 2' "$T/artlog" || { diag "$T/artlog"; false; }
ok "its log has every step's header, those after the checkpoint written again"

stop_daemon; ok "stratusd exits 0"
daemon_log_clean; ok "no sanitizer report in the daemon log"
