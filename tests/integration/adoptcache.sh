#!/usr/bin/env bash
# kill -9 of stratusd while a task with caches runs, then a restart: the
# re-adopted task saves its caches with the keys the dead stratusd worked
# out before the steps (recorded in the store), as the executor would.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

P=$T/proj
project "$P" <<EOF
container:
  image: $IMAGE
c_task:
  a_cache:
    folder: ~/a
    fingerprint_key: key-one
    populate_script: mkdir -p ~/a && echo A-CONTENT >~/a/x && echo A-POPULATED
  b_cache:
    folder: ~/b
    fingerprint_script: cat data.txt
    reupload_on_changes: true
    populate_script: mkdir -p ~/b && echo B-CONTENT >~/b/x && echo B-POPULATED
  wait_script: until [ -e go ]; do sleep 0.1; done
  show_script: cat ~/a/x ~/b/x
EOF

# Submit with --dirty (the test lets the wait step go by creating go in
# the live directory), kill -9 while it waits, restart; $1 runs while
# stratusd is down.  Sets job.
adopted_run() {
	rm -f "$P/go"
	job=$(cd "$P" && st submit --dirty) || return 1
	in_wait() {
		grep -qs '"event":"begin","step":"wait"' "$STATE"/logs/"$job"/*.log
	}
	until_ok 30 in_wait || return 1
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	"$@"
	start_daemon || return 1
	adopting() { [ "$(grep -c 're-adopting container' "$T/daemon.log")" -ge "$nadopt" ]; }
	nadopt=$((nadopt + 1))
	until_ok 20 adopting || return 1
	touch "$P/go"
	succeeded() { st --json show "$job" | jq -e '.state == "succeeded"' >/dev/null; }
	until_ok 30 succeeded
}
nadopt=0

start_daemon; ok "stratusd starts"
adopted_run true; ok "a task with caches is re-adopted after kill -9 and succeeds"
st logs "$job" c >"$T/log1" 2>&1
project=$(st --json show "$job" | jq -r .project)
grep -q 'cache a: saved ~/a' "$T/log1" && grep -q 'cache b: saved ~/b' "$T/log1" &&
    grep -q A-POPULATED "$T/log1" && ! grep -q 'not saved' "$T/log1" ||
    { diag "$T/log1"; false; }
ok "its log says both caches were saved"
st --json cache ls >"$T/ls"
jq -e --arg p "$project" '[.caches[] | select(.project == $p) | .key] |
    (index("a:key-one ~/a") != null) and
    (map(test("^b:[0-9a-f]{16} ~/b$")) | any) and length == 2' "$T/ls" >/dev/null ||
    { diag "$T/ls"; false; }
ok "cache ls lists them under the project, with the keys worked out before the kill"

# The next job of the project restores them (and is re-adopted too: a
# folder restored and unchanged is not saved again, even with
# reupload_on_changes, so the restored state survived the kill).
adopted_run true; ok "a second job is re-adopted after kill -9 and succeeds"
st logs "$job" c >"$T/log2" 2>&1
grep -q 'cache a: restored ~/a' "$T/log2" && grep -q 'cache b: restored ~/b' "$T/log2" &&
    ! grep -q POPULATED "$T/log2" && grep -q '^A-CONTENT$' "$T/log2" &&
    grep -q '^B-CONTENT$' "$T/log2" || { diag "$T/log2"; false; }
ok "the second job restores both caches and sees their files"
! grep -q 'cache [ab]: saved' "$T/log2" && ! grep -q 'not saved' "$T/log2" ||
    { diag "$T/log2"; false; }
ok "and saves neither again: unchanged since their restore"

# No recorded state (as when a stratusd before it ran the task): said, and
# nothing saved.
forget() {
	sqlite3 "$STATE/stratus.db" "UPDATE tasks SET cache_state = NULL"
}
if command -v sqlite3 >/dev/null; then
	echo rekey >"$P/data.txt"
	adopted_run forget; ok "a task whose cache state is missing is re-adopted"
	st logs "$job" c >"$T/log3" 2>&1
	grep -q 'caches are not saved after stratusd restarted: their keys were not recorded' "$T/log3" &&
	    ! grep -q 'cache b: saved' "$T/log3" || { diag "$T/log3"; false; }
	ok "its log says its caches are not saved, and none is"
	[ "$(st --json cache ls | jq '.caches | length')" = 2 ]; ok "cache ls has no new entry"
else
	echo "ok $((ntest += 1)) # SKIP no sqlite3 CLI" >&3
fi

stop_daemon; ok "stratusd exits 0"
daemon_log_clean; ok "no sanitizer report in the daemon log"
