#!/usr/bin/env bash
# --json everywhere: every command prints exactly one JSON object (or, for
# run and logs -f, one per line), which jq accepts (doc/json.md).
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

start_daemon
ok "stratusd starts"

project "$T/p" <<EOF
container:
  image: $IMAGE
main_task:
  hi_script: echo hi
EOF
# jsonok DESCRIPTION -- COMMAND...: one JSON object on stdout.
jsonok() {
	local d=$1; shift; [ "$1" = -- ] && shift
	"$@" >"$T/out" 2>"$T/err"
	jq -se 'length == 1 and (.[0] | type == "object")' "$T/out" >/dev/null ||
	    { diag "$T/out"; diag "$T/err"; false; }
	ok "--json $d"
}
(cd "$T/p" && st --json run) >"$T/runout" 2>&1
jq -se 'length > 2 and all(.[]; type == "object") and .[-1].event == "job"' \
    "$T/runout" >/dev/null; ok "--json run: objects, one per line, the job last"
job=$(tail -1 "$T/runout" | jq -r .job.id)
jsonok "ls" -- st --json ls
jsonok "ls --state" -- st ls --json --state succeeded
jsonok "show" -- st --json show "$job"
jsonok "wait" -- st --json wait "$job"
jsonok "validate" -- sh -c "cd '$T/p' && exec '$STRATUS' --socket '$SOCK' --json validate"
st --json pause >/dev/null
jsonok "submit" -- sh -c "cd '$T/p' && exec '$STRATUS' --socket '$SOCK' --json submit"
j2=$(jq -r .id "$T/out")
jsonok "cancel" -- st --json cancel "$j2"
jsonok "retry" -- st --json retry "$j2"
jsonok "resume" -- st --json resume
jsonok "pause --project" -- st --json pause --project p
jsonok "resume --project" -- st --json resume --project p
jsonok "project set" -- st --json project set p --max-running 2
jsonok "projects" -- st --json projects
jsonok "artifacts" -- st --json artifacts "$job"
jsonok "secret set" -- sh -c "echo s3cret |
    '$STRATUS' --socket '$SOCK' --json secret set TOKEN"
jsonok "secret ls" -- st --json secret ls
jsonok "secret rm" -- st --json secret rm TOKEN
jsonok "cache ls" -- st --json cache ls
jsonok "gc" -- st --json gc
jsonok "doctor" -- sh -c "'$STRATUS' --socket '$SOCK' --json doctor; true"
st --json logs "$job" | jq -se 'length > 0 and all(.[]; type == "object")' >/dev/null
ok "--json logs: one object per line"
st --json wait "$j2" >/dev/null

stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer reports"
