#!/usr/bin/env bash
# Log timestamps are stratusd's: when each line reached it, kept in a time
# index beside the log; read later, followed live, after a restart and
# after a kill -9 with the container re-adopted, the times are the same.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

api() { curl -sS --unix-socket "$SOCK" "http://stratus$1"; }
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
# Unix ms of the stamp on the line of file $1 that ends with " $2".
at() { date -u -d "$(sed -En "s/^($STAMP) $2\$/\\1/p" "$1" | head -1)" +%s%3N; }
now() { date +%s%3N; }

start_daemon; ok "stratusd starts"

project "$T/p" <<EOF
container:
  image: $IMAGE
nap_task:
  nap_script: echo first; sleep 2; echo second
EOF
t0=$(now)
(cd "$T/p" && st submit --project times) >"$T/id" 2>&1
job=$(tr -dc 0-9 <"$T/id")
st logs -f --timestamps "$job" nap >"$T/live" 2>&1 &
lpid=$!
st wait "$job"; ok "a task prints a line, sleeps 2 s, prints another"
wait $lpid
sleep 0.1	# a read a little later than the lines
t1=$(now)
st logs --timestamps "$job" nap >"$T/later"
grep -Eq "^$STAMP first\$" "$T/later" && grep -Eq "^$STAMP second\$" "$T/later" ||
    { diag "$T/later"; false; }
ok "--timestamps puts RFC 3339 UTC times with milliseconds before lines"
grep -Eq "^$STAMP --- nap\$" "$T/later"; ok "and before step headers"
a=$(at "$T/later" first); b=$(at "$T/later" second)
[ $((b - a)) -ge 1900 ] && [ $((b - a)) -lt 10000 ]
ok "a finished log: the lines' times are 2 s apart ($((b - a)) ms)"
[ "$a" -ge "$((t0 - 1000))" ] && [ "$b" -lt "$t1" ]
ok "both between the submission and the read"
cmp -s "$T/live" "$T/later" || { diag "$T/live"; false; }
ok "logs -f --timestamps showed the same times live"

st logs --timestamps --tail 2 "$job" nap >"$T/tail"
[ "$(cat "$T/tail")" = "$(tail -2 "$T/later")" ] &&
    grep -Eq "^$STAMP second\$" "$T/tail" || { diag "$T/tail"; false; }
ok "--tail keeps each line's time"
st logs --timestamps "$job" >"$T/all"
grep -Eq "^$STAMP nap \| first\$" "$T/all" &&
    [ "$(sed -En "s/^($STAMP) nap \| first\$/\1/p" "$T/all")" = \
    "$(sed -En "s/^($STAMP) first\$/\1/p" "$T/later")" ]
ok "every task's log: the time, then the task's name"

# The stream: a stamp and a space before each line; offset counts log bytes.
api "/v1/jobs/$job/tasks/nap/log" >"$T/raw"
api "/v1/jobs/$job/tasks/nap/log?timestamps=1" >"$T/stamped"
sed -E "s/^$STAMP //" "$T/stamped" | cmp -s - "$T/raw" &&
    [ "$(grep -Evc "^$STAMP " "$T/stamped")" = 0 ]
ok "?timestamps=1 is the raw log with a stamp before every line"
api "/v1/jobs/$job/tasks/nap/log?timestamps=1&offset=3" >"$T/mid"
! head -1 "$T/mid" | grep -Eq "^$STAMP " &&
    sed -E "2,\$s/^$STAMP //" "$T/mid" | cmp -s - <(tail -c +4 "$T/raw") &&
    [ "$(tail -n +2 "$T/mid")" = "$(tail -n +2 "$T/stamped")" ]
ok "resuming mid-line: no stamp until the next line, then the same ones"

# --json: the daemon's time on log and step events.
st --json logs --timestamps "$job" nap >"$T/json"
jq -e -s --arg t "$(sed -En "s/^($STAMP) first\$/\\1/p" "$T/later")" \
    'any(.[]; .event == "log" and .line == "first" and .time == $t) and
    all(.[] | select(.event == "step"); .time | test("Z$"))' "$T/json" \
    >/dev/null || { diag "$T/json"; false; }
ok "--json log and step events carry the daemon's \"time\""

# A restart: the times come from the index on disk.
stop_daemon; ok "stratusd stops"
ls "$STATE/logs/$job/"*.times >/dev/null 2>&1; ok "the index lies beside the log"
start_daemon; ok "stratusd starts again"
st logs --timestamps "$job" nap >"$T/restarted"
cmp -s "$T/later" "$T/restarted"; ok "after a restart the times are unchanged"

# kill -9 while the task runs: the re-adopted container's lines keep times.
project "$T/q" <<EOF
container:
  image: $IMAGE
adopt_task:
  wait_script: echo before; sleep 3; echo after
EOF
(cd "$T/q" && st submit --project times) >"$T/id2" 2>&1
job2=$(tr -dc 0-9 <"$T/id2")
printed() { api "/v1/jobs/$job2/tasks/adopt/log" | grep -q '^before$'; }
until_ok 30 printed; ok "the second task printed its first line"
api "/v1/jobs/$job2/tasks/adopt/log?timestamps=1" >"$T/pre"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start_daemon --keep 1; ok "stratusd restarts after kill -9 (keeping 1 job)"
st wait "$job2"; ok "the re-adopted task ends"
st logs --timestamps "$job2" adopt >"$T/adopted"
c=$(at "$T/pre" before); d=$(at "$T/adopted" before); e=$(at "$T/adopted" after)
[ -n "$c" ] && [ "$c" = "$d" ] || { diag "$T/pre"; diag "$T/adopted"; false; }
ok "a line from before the kill keeps its time"
[ $((e - d)) -ge 2500 ]; ok "the line after it is 3 s later ($((e - d)) ms)"

# Retention removes the first job, its index with its log.
gone() { [ ! -e "$STATE/logs/$job" ]; }
until_ok 10 gone && [ -e "$STATE/logs/$job2/$(ls "$STATE/logs/$job2" | grep -m1 '\.times$')" ]
ok "retention removes a job's time index with its log"
stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer reports"
