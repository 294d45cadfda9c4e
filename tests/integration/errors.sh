#!/usr/bin/env bash
# Bad input gets a clear message and the daemon stays up.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

st ls >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "cannot connect to stratusd at $SOCK" "$T/out" &&
    grep -q "stratusd" "$T/out"
ok "no daemon: exit 2 naming the socket and how to start it (rc $rc)"

mkdir -p "$T/bad" && chmod 777 "$T/bad"
"$STRATUSD" --socket "$T/bad/s.sock" --state-dir "$T/bad-state" >"$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "writable by others" "$T/out"
ok "stratusd refuses a group/world-writable socket directory"

start_daemon
ok "stratusd starts"
"$STRATUSD" --socket "$T/run/other.sock" --state-dir "$STATE" >"$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "another stratusd is using" "$T/out"
ok "a second stratusd on the same state directory is refused"

mkdir -p "$T/empty"
(cd "$T/empty" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "no .cirrus.yml" "$T/out"; ok "no task file: exit 2 with a message (rc $rc)"

(cd "$T/empty" && env -u STRATUS_NOPE "$STRATUS" --socket "$SOCK" run -e STRATUS_NOPE) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "STRATUS_NOPE: it is not set here" "$T/out"
ok "-e NAME of an unset variable: exit 2 saying so (rc $rc)"

mkdir -p "$T/star" && echo 'def main(ctx): return []' >"$T/star/.cirrus.star"
(cd "$T/star" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "has only .cirrus.star: Starlark is not supported" "$T/out"
ok "only a .cirrus.star: exit 2 saying Starlark is not supported (rc $rc)"
printf 'container:\n  image: x\nt_task:\n  script: x\n' >"$T/star/.cirrus.yml"
(cd "$T/star" && st validate) >"$T/out" 2>&1
grep -q ".cirrus.star is not read (Starlark is not supported here)" "$T/out" &&
    grep -qx 'task t' "$T/out"
ok "beside a .cirrus.yml, a .cirrus.star is said to be left unread"

head -c 1100000 /dev/zero | tr '\0' '#' >"$T/huge.yml"
st validate -f "$T/huge.yml" >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "huge.yml: task file larger than 1048576 bytes" "$T/out"
ok "a task file over the limit: exit 2 naming the file and the limit (rc $rc)"

project "$T/syntax" <<EOF
container:
  image: $IMAGE
task:
  script: [unclosed
EOF
(cd "$T/syntax" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -Eq '\.cirrus\.yml:[0-9]+:[0-9]+: ' "$T/out"
ok "YAML syntax error: exit 2 with file:line:column (rc $rc)"
diag "$T/out"

project "$T/noimage" <<EOF
lonely_task:
  a_script: true
EOF
(cd "$T/noimage" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "lonely" "$T/out" && grep -Eq ':[0-9]+:[0-9]+:' "$T/out"
ok "a task with no image: exit 2 naming the task (rc $rc)"

project "$T/noimg" <<EOF
container:
  image: localhost/stratus-no-such-image:1
ghost_task:
  a_script: true
EOF
(cd "$T/noimg" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "errored" "$T/out" && grep -q "stratus-no-such-image" "$T/out"
ok "an image that cannot be had: task errored naming the image (rc $rc)"
[ $rc -eq 1 ] || diag "$T/out"

api() { curl -s --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' "$@"; }
code=$(api -X POST -H 'Content-Type: application/json' --data-binary '{"taskfile": ' http://d/v1/jobs)
[ "$code" = 400 ] && grep -q '"code":"bad_json"' "$T/body"; ok "malformed JSON: 400 with a JSON error body"
head -c 5000000 /dev/zero | tr '\0' 'x' >"$T/big"
code=$(api -X POST -H 'Content-Type: application/json' --data-binary @"$T/big" http://d/v1/jobs)
[ "$code" = 413 ] && grep -q '"code":"payload_too_large"' "$T/body"; ok "oversized body: 413 with a JSON error body"
code=$(api -X POST -H 'Content-Type: application/json' \
    --data-binary '{"taskfile":"task:\n  script: [x\n","taskfile_name":"f.yml"}' http://d/v1/jobs)
[ "$code" = 422 ] && grep -q '"code":"bad_taskfile"' "$T/body" && grep -q 'f.yml:[0-9]*:[0-9]*' "$T/body"
ok "bad task file through the API: 422 with file:line:column"
code=$(api http://d/v1/jobs/999999)
[ "$code" = 404 ] && grep -q '"code":"not_found"' "$T/body"; ok "unknown job: 404 JSON"
code=$(api http://d/v2/nothing)
[ "$code" = 404 ] && grep -q '"error"' "$T/body"; ok "unknown route: 404 JSON"
code=$(api -X PUT -H 'Content-Type: application/x-tar' --data-binary 'not a tar' \
    http://d/v1/blobs/0000000000000000000000000000000000000000000000000000000000000000)
[ "$code" = 422 ] && grep -q 'digest mismatch' "$T/body"; ok "blob with a wrong digest: 422"
code=$(api -X PUT --data-binary 'x' http://d/v1/blobs/..%2F..%2Fetc)
[ "${code:0:1}" = 4 ]; ok "blob name that is not a digest: 4xx ($code)"
code=$(api http://d/v1/health)
[ "$code" = 200 ] && grep -q '"status":"ok"' "$T/body"; ok "the daemon is still up after bad input"

st show nope >"$T/out" 2>&1; [ $? -eq 2 ]; ok "show with a bad id: exit 2"
st frobnicate >"$T/out" 2>&1; [ $? -eq 2 ]; ok "unknown command: exit 2"
(cd "$T/noimg" && st run -e NOEQUALS) >"$T/out" 2>&1; [ $? -eq 2 ]; ok "-e without '=': exit 2"

stop_daemon; ok "stratusd exits 0 on SIGTERM"
daemon_log_clean; ok "no sanitizer report in the daemon log"
