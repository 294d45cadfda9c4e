# lib.sh -- shared by the integration tests: TAP output, a private stratusd
# on a temporary socket and state directory, and the client.
# Needs rootless Podman for the user running it and the local test image.
set -u
: "${STRATUS_BUILDDIR:?run through make check}"
: "${STRATUS_SRCDIR:?run through make check}"
STRATUSD=$STRATUS_BUILDDIR/daemon/stratusd
STRATUS=$STRATUS_BUILDDIR/client/stratus
IMAGE=${STRATUS_TEST_IMAGE:-localhost/stratus-busybox:latest}

T=$(mktemp -d "${TMPDIR:-/tmp}/stratus-it.XXXXXX")
SOCK=$T/run/stratus.sock
STATE=$T/state
DPID=
ntest=0
nfail=0
# TAP lines go to fd 3, a copy of the original stdout, so that a test's
# redirection of a check (check ... >/dev/null) cannot swallow them.
exec 3>&1

ok() {		# ok DESCRIPTION (previous command's status decides)
	local rc=$?
	ntest=$((ntest + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $ntest - $*" >&3
	else
		nfail=$((nfail + 1))
		echo "not ok $ntest - $*" >&3
	fi
	return 0
}

check() {	# check DESCRIPTION -- COMMAND...
	local d=$1; shift; [ "$1" = -- ] && shift
	"$@"
	ok "$d"
}

diag() { sed 's/^/# /' "$@"; }

until_ok() {	# until_ok SECONDS COMMAND...: true once COMMAND is, polled
	local n=$(($1 * 10)) i; shift
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

st() { "$STRATUS" --socket "$SOCK" "$@"; }
njobs() { st --json ls --project "$1" | jq '.jobs | length'; }
# tfield JOB TASK FIELD: a field of a task of the job ("" when null).
tfield() {
	st --json show "$1" | jq -r --arg n "$2" --arg f "$3" \
	    '.tasks[] | select(.name == $n) | .[$f] // empty' | head -1
}
has_njobs() { [ "$(njobs "$1")" -eq "$2" ]; }	# has_njobs PROJECT N

start_daemon() {
	mkdir -p "$T/run"
	chmod 700 "$T/run"
	# 3>&-: the TAP descriptor stays with the test, not with the daemon.
	"$STRATUSD" --socket "$SOCK" --state-dir "$STATE" --jobs "${JOBS:-2}" \
	    --grace 5 "$@" >>"$T/daemon.log" 2>&1 3>&- &
	DPID=$!
	local i
	for i in $(seq 100); do
		st ls >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# stratusd did not come up:"; diag "$T/daemon.log"
	return 1
}

stop_daemon() {	# SIGTERM; fails if stratusd exits non-zero
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	local rc=$?
	DPID=
	return $rc
}

# The daemon's own log must show no sanitizer report.
daemon_log_clean() {
	! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/daemon.log"
}

finish() {
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	# A Podman service a kill -9'd stratusd started and left behind.
	pkill -f "unix://$T/" 2>/dev/null
	if [ $nfail -ne 0 ]; then
		echo "# daemon log:"
		diag "$T/daemon.log" | tail -60
	fi
	echo "1..$ntest"
	rm -rf "$T"
	[ $nfail -eq 0 ]
}
trap 'finish; exit $?' EXIT

# Write a project dir $1 with .cirrus.yml from stdin and a file.
project() {
	mkdir -p "$1"
	cat >"$1/.cirrus.yml"
	echo "from the snapshot" >"$1/data.txt"
}
