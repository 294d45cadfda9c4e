#!/usr/bin/env bash
# completion.sh -- the bash completion offers every command and option that
# `stratus --help` names, and job ids and task names from the daemon the
# command line points at.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

mkdir -p "$T/bin"
ln -s "$STRATUS" "$T/bin/stratus"
PATH=$T/bin:$PATH
. "$STRATUS_SRCDIR/doc/stratus.bash-completion"

# complete WORD...: what completing the last word offers, one per line.
complete_words() {
	COMP_WORDS=(stratus "$@")
	COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
	COMPREPLY=()
	_stratus
	if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\n' "${COMPREPLY[@]}"; fi
}

stratus --help >"$T/help"
cmds=$(awk '/^  [a-z]/ { print $1 }' "$T/help")
[ "$(echo "$cmds" | wc -l)" -gt 10 ]; ok "stratus --help lists the commands"
complete_words "" >"$T/offered"
missing=
for c in $cmds; do grep -qx "$c" "$T/offered" || missing="$missing $c"; done
[ -z "$missing" ]; ok "every command is offered (missing:${missing:- none})"
missing=
for o in $(sed -n 1,2p "$T/help" | grep -o -- '--[a-z-]*'); do
	complete_words "-" | grep -qx -- "$o" || missing="$missing $o"
done
[ -z "$missing" ]; ok "every global option is offered (missing:${missing:- none})"

# Each command's usage (with its continuation line) names its options.
missing=
for c in $cmds; do
	opts=$(awk -v c="$c" '$1 == c && /^  [a-z]/ { on = 1; print; next }
	    on && /^           / { print; next } { on = 0 }' "$T/help" |
	    grep -o -- '--[a-z-]*' | sort -u)
	words=("$c")
	case $c in secret|cache|project) words=("$c" ls) ;; esac
	[ "$c" = project ] && words=(project set)
	for o in $opts; do
		complete_words "${words[@]}" "-" | grep -qx -- "$o" ||
		    missing="$missing $c:$o"
	done
done
[ -z "$missing" ]; ok "every command's options are offered (missing:${missing:- none})"
complete_words run --output "" | sort | tr '\n' ' ' >"$T/out"
[ "$(cat "$T/out")" = "auto github-actions simple tty " ]; ok "run --output offers its modes"

check "daemon starts" -- start_daemon
project "$T/p" <<EOF
container:
  image: $IMAGE
build_task:
  s_script: echo hi
lint_task:
  s_script: echo ok
EOF
(cd "$T/p" && st run) >/dev/null 2>&1; ok "a job runs"
job=$(st --json ls --limit 1 | jq -r '.jobs[0].id')
complete_words --socket "$SOCK" show "" >"$T/out"
grep -qx "$job" "$T/out"; ok "show offers job ids from the daemon --socket names ($job)"
complete_words --socket "$SOCK" logs "$job" "" | sort | tr '\n' ' ' >"$T/out"
[ "$(cat "$T/out")" = "build lint " ]; ok "logs JOB offers the job's task names ($(cat "$T/out"))"
complete_words --socket "$SOCK" logs "$job" build "" >"$T/out"
[ ! -s "$T/out" ]; ok "nothing after JOB TASK"
check "daemon stops" -- stop_daemon
