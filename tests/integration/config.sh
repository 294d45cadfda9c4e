#!/usr/bin/env bash
# config.sh -- stratusd.yml: -n checks it, flags override it, SIGHUP reloads it.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"
CONF=$T/stratusd.yml

# Wait up to 10 s for $1 in the daemon's log.
await_log() {
	local i
	for i in $(seq 100); do
		grep -q -- "$1" "$T/daemon.log" && return 0
		sleep 0.1
	done
	echo "# no '$1' in the daemon log:"; diag "$T/daemon.log"
	return 1
}

printf 'jobs: 3\ngrace: 2\nlog_cap: 1M\nprojects:\n  web: {jobs: 1}\n' >"$CONF"
check "-n accepts a good file" -- "$STRATUSD" -n --config "$CONF" >/dev/null
out=$("$STRATUSD" -n --config "$CONF")
check "-n names the file it checked" -- test "$out" = "$CONF: configuration OK"

printf 'jobs: 3\nsokcet: /x\n' >"$CONF.bad"
out=$("$STRATUSD" -n --config "$CONF.bad" 2>&1); rc=$?
check "-n exits 1 on an unknown key" -- test $rc -eq 1
case $out in "$CONF.bad:2:1: unknown key 'sokcet' (known: "*) true ;; *) false ;; esac
ok "with file:line:column"
printf 'grace: soon\n' >"$CONF.bad"
out=$("$STRATUSD" -n --config "$CONF.bad" 2>&1); rc=$?
check "-n exits 1 on a wrong type, pointing at the value" -- \
    test $rc -eq 1 -a "$out" = "$CONF.bad:1:8: grace: expected a whole number from 0 to 86400"
out=$("$STRATUSD" -n --config "$T/missing.yml" 2>&1); rc=$?
check "an explicit --config must exist" -- test $rc -eq 1
out=$(XDG_CONFIG_HOME=$T/nothing "$STRATUSD" -n 2>&1); rc=$?
check "no default file: defaults, exit 0" -- \
    test $rc -eq 0 -a "$out" = "no configuration file, defaults: configuration OK"
mkdir -p "$T/xdg/stratus"
printf 'jobs: [1]\n' >"$T/xdg/stratus/stratusd.yml"
out=$(XDG_CONFIG_HOME=$T/xdg "$STRATUSD" -n 2>&1); rc=$?
check "the default file is \$XDG_CONFIG_HOME/stratus/stratusd.yml" -- \
    test $rc -eq 1 -a "$out" = "$T/xdg/stratus/stratusd.yml:1:7: jobs: expected a whole number from 1 to 1024"

# The file's jobs apply; lib.sh's start_daemon passes --jobs, so start by hand.
printf 'jobs: 3\nsocket: %s\nstate_dir: %s\n' "$SOCK" "$STATE" >"$CONF"
mkdir -p "$T/run"; chmod 700 "$T/run"
"$STRATUSD" --config "$CONF" >>"$T/daemon.log" 2>&1 &
DPID=$!
check "socket and state_dir come from the file" -- await_log "listening on $SOCK (state $STATE, 3 job slot(s))"
check "the daemon answers" -- st ls >/dev/null
printf 'jobs: 5\nsocket: %s\nstate_dir: %s\n' "$SOCK" "$STATE" >"$CONF"
kill -HUP "$DPID"
check "SIGHUP applies a new jobs" -- await_log "SIGHUP: jobs 3 -> 5"
check "and says what was reloaded" -- await_log "SIGHUP: reloaded $CONF"
printf 'jobs: x\n' >"$CONF"
kill -HUP "$DPID"
check "a broken file on SIGHUP is refused, the daemon keeps going" -- \
    await_log "SIGHUP: $CONF:1:7: jobs: expected"
check "still answers" -- st ls >/dev/null
check "stops cleanly" -- stop_daemon
check "daemon log is clean" -- daemon_log_clean

# A flag wins over the file.
: >"$T/daemon.log"
printf 'jobs: 3\n' >"$CONF"
check "start with --jobs over the file" -- start_daemon --config "$CONF"
check "--jobs 2 wins over jobs: 3" -- await_log "2 job slot(s)"
check "stops cleanly" -- stop_daemon

# --- per-project limits and keep from the file ----------------------------
: >"$T/daemon.log"
project "$T/web" <<EOT
container:
  image: $IMAGE
main_task:
  script: sleep 1
EOT
printf 'keep: 2\nprojects:\n  web: {jobs: 1}\n  lib: {jobs: 2}\n' >"$CONF"
JOBS=4 start_daemon --config "$CONF"; ok "start with projects and keep in the file"
plim() { st --json projects | jq -r ".projects[] | select(.name == \"$1\") | .max_running"; }
[ "$(plim web)" = 1 ] && [ "$(plim lib)" = 2 ]
ok "projects lists the file's limits (web 1, lib 2)"
ids=
for i in 1 2 3; do
	ids="$ids $( (cd "$T/web" && st --json submit --project web) | jq -r .id)"
done
maxweb=0
for i in $(seq 300); do
	st --json projects >"$T/p.json" || break
	run=$(jq '.projects[] | select(.name == "web") | .running' "$T/p.json")
	left=$(jq '.projects[] | select(.name == "web") | .queued + .running' "$T/p.json")
	[ "$run" -gt "$maxweb" ] && maxweb=$run
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
[ "$left" -eq 0 ] && [ "$maxweb" -eq 1 ]
ok "the scheduler keeps web to 1 running of 3 with 4 slots (saw $maxweb)"
# Retention runs just after a task ends, a moment after its state is saved.
until_ok 10 has_njobs web 2
ok "keep: 2 from the file is applied (web keeps $(njobs web) jobs)"
printf 'keep: 1\nprojects:\n  web: {jobs: 3}\n' >"$CONF"
kill -HUP "$DPID"
check "SIGHUP reloads the projects" -- await_log "SIGHUP: reloaded $CONF"
check "SIGHUP says keep changed" -- await_log "SIGHUP: keep 2 -> 1"
has_njobs web 1
ok "a lower keep applies at once on SIGHUP (web keeps $(njobs web) job)"
[ "$(plim web)" = 3 ]; ok "SIGHUP applies a changed limit (web 3)"
[ "$(plim lib)" = null ]; ok "a project no longer in the file goes back to no limit"
check "stops cleanly" -- stop_daemon
check "daemon log is clean" -- daemon_log_clean
