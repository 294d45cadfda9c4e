#!/usr/bin/env bash
# units.sh -- the generated systemd user units pass `systemd-analyze verify`,
# with ExecStart pointing at this build's stratusd.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "ok 1 # SKIP systemd-analyze is not installed"
	ntest=1
	exit 0
fi
U=$STRATUS_BUILDDIR/systemd
mkdir -p "$T/units"
check "the service was generated with bindir expanded" -- \
    grep -q '^ExecStart=/.*/stratusd --foreground$' "$U/stratus.service"
check "no @placeholders@ left" -- \
    bash -c "! grep -n '@[a-z]*@' '$U/stratus.service' '$U/stratus.socket'"
sed "s|^ExecStart=[^ ]*/stratusd|ExecStart=$STRATUSD|" "$U/stratus.service" \
    >"$T/units/stratus.service"
cp "$U/stratus.socket" "$T/units/stratus.socket"
# verify needs a runtime dir for --user; a private one will do.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$T}
out=$(systemd-analyze verify --man=no --user "$T/units/stratus.service" \
    "$T/units/stratus.socket" 2>&1)
check "systemd-analyze verify --user passes" -- test $? -eq 0
check "and has nothing to say" -- test -z "$out"
[ -z "$out" ] || echo "$out" | diag
check "the service is Type=notify" -- grep -q '^Type=notify$' "$U/stratus.service"
check "the service wants podman.socket" -- grep -q '^Wants=podman.socket$' "$U/stratus.service"
check "the service restarts on failure" -- grep -q '^Restart=on-failure$' "$U/stratus.service"
check "the socket is %t/stratus/stratus.sock mode 0600" -- \
    grep -q '^ListenStream=%t/stratus/stratus.sock$' "$U/stratus.socket"
check "mode 0600" -- grep -q '^SocketMode=0600$' "$U/stratus.socket"
# A broken unit must be caught: the check is not a rubber stamp.
sed 's/^Type=notify/Type=notifyy/' "$T/units/stratus.service" >"$T/units/bad.service"
out=$(systemd-analyze verify --man=no --user "$T/units/bad.service" 2>&1)
check "a broken unit is reported" -- test -n "$out"
