#!/usr/bin/env bash
# doctor.sh -- `stratus doctor` on this machine: each finding, --json, exit codes.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

# status NAME: the status doctor --json gave check NAME.
status() { sed -n "s/.*{\"name\":\"$1\",\"status\":\"\([a-z]*\)\".*/\1/p" "$T/doc.json"; }

check "daemon starts" -- start_daemon
st --json doctor >"$T/doc.json"; rc=$?
check "doctor --json exits 0 when nothing failed" -- test $rc -eq 0
check "one JSON object saying ok" -- grep -q '^{"ok":true,"checks":\[' "$T/doc.json"
for c in podman runtime subuid subgid ulimits tun stratusd; do
	check "$c is ok here" -- test "$(status $c)" = ok
done
# What truly is not ideal on these machines (DESIGN.md, "Test machines").
check "cgroup v1 rootless: limits are ignored (warn)" -- \
    grep -q '"name":"cgroups","status":"warn","detail":"cgroup v1, rootless: cpu and memory limits are ignored"' "$T/doc.json"
check "runc on the hybrid layout is fine" -- \
    grep -q '"detail":"runc on a hybrid cgroup layout","fix":null' "$T/doc.json"
check "the daemon's version is shown" -- \
    grep -q '"detail":"stratusd [0-9.]* answers at '"$SOCK"'"' "$T/doc.json"
check "the storage driver is named" -- grep -q '"name":"storage","status":"\(ok\|warn\)"' "$T/doc.json"

st doctor >"$T/doc.txt"; rc=$?
check "text output exits 0 too" -- test $rc -eq 0
check "text output has one line per check" -- grep -q '^ok    podman    Podman 4' "$T/doc.txt"
check "warnings come with their fix" -- grep -q '^                fix: ' "$T/doc.txt"

check "daemon stops" -- stop_daemon
st --json doctor >"$T/doc.json"; rc=$?
check "with no daemon doctor exits 1" -- test $rc -eq 1
check "and says the daemon does not answer, with the fix" -- \
    grep -q '"name":"stratusd","status":"fail",.*"fix":"systemctl --user enable --now stratus.socket' "$T/doc.json"

# default_ulimits above the hard limit make `podman run` fail.
hard=$(ulimit -Hn)
mkdir -p "$T/xdg/containers"
echo "[containers]
default_ulimits = [\"nofile=$((hard + 1)):$((hard + 1))\"]" >"$T/xdg/containers/containers.conf"
XDG_CONFIG_HOME=$T/xdg st doctor >"$T/doc.txt"
check "ulimits above the hard limit are a failure" -- grep -q "^FAIL  ulimits   default_ulimits nofile=$((hard + 1)):$((hard + 1)) exceeds the hard limit $hard" "$T/doc.txt"

st --json doctor --podman unix://$T/nopodman.sock >"$T/doc.json"
check "an unreachable Podman fails with its fix" -- \
    grep -q '"name":"podman","status":"fail","detail":"Podman does not answer at '"$T"'/nopodman.sock' "$T/doc.json"
