#!/usr/bin/env bash
# Cirrus semantics against a real stratusd and Podman: the task DAG and its
# parallelism, dependency failure and allow_failures, on_failure/always
# order, background scripts, timeouts, CIRRUS_ENV, built-in and git
# variables, only_if on the branch, and TASK selection with --only.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

JOBS=2 start_daemon
ok "stratusd starts with --jobs 2"

last_job() { st --json ls | sed -n 's/.*"jobs":\[{"id":\([0-9]*\).*/\1/p'; }
# tnames JOB: the job's task names, sorted, space separated.
tnames() {
	st --json show "$1" | grep -o '"id":[0-9]*,"name":"[^"]*","state"' |
	    sed 's/.*"name":"\([^"]*\)".*/\1/' | sort | tr '\n' ' '
}
# stamp TASK WHAT: the /proc/uptime (shared with the host) printed by a task.
stamp() { sed -n "s/^$1 | $2 \([0-9.]*\).*/\1/p" "$T/out" | head -1; }
lt() {
	[ -n "$1" ] && [ -n "$2" ] &&
	    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}
# Note: ok takes $? of the command before it, so descriptions hold no $(...).

# --- DAG order and parallelism ----------------------------------------------
project "$T/dag" <<EOF
container:
  image: $IMAGE
a_task:
  s_script: read u x </proc/uptime; echo "start \$u"; sleep 2; read u x </proc/uptime; echo "end \$u"
b_task:
  s_script: read u x </proc/uptime; echo "start \$u"; sleep 2; read u x </proc/uptime; echo "end \$u"
c_task:
  depends_on: [a, b]
  s_script: read u x </proc/uptime; echo "start \$u"
EOF
(cd "$T/dag" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ]; ok "a DAG job runs to success (rc $rc)"
as=$(stamp a start); ae=$(stamp a end); bs=$(stamp b start); be=$(stamp b end)
cs=$(stamp c start)
first=$as; lt "$bs" "$as" && first=$bs
lastend=$ae; lt "$ae" "$be" && lastend=$be
lt "$as" "$be" && lt "$bs" "$ae"
ok "independent tasks run at the same time (a $as-$ae, b $bs-$be)"
span=$(awk -v a="$lastend" -v b="$first" 'BEGIN { print a - b }')
[ $rc -eq 0 ] && lt "$span" 3.5
ok "two 2 s tasks finish within 3.5 s with --jobs 2 ($span s)"
[ -n "$cs" ] && ! lt "$cs" "$lastend"
ok "a dependent task starts after both its dependencies ended (c $cs)"
[ $rc -eq 0 ] || diag "$T/out"

# --- step durations come from the runner's clock ------------------------------
job=$(last_job)
st --json show "$job" | grep -o '"name":"s","kind":"script","state":"succeeded","exit_code":0,"duration_ms":[0-9]*' |
    sed 's/.*://' >"$T/durs"
durs=$(tr '\n' ' ' <"$T/durs")
max=$(sort -n "$T/durs" | tail -1)
[ "${max:-0}" -ge 1900 ] && [ "$max" -lt 5000 ]
ok "a step's duration is measured by the runner ($durs ms)"

# --- dependency failure and allow_failures -------------------------------------
project "$T/depfail" <<EOF
container:
  image: $IMAGE
broken_task:
  s_script: exit 3
after_task:
  depends_on: broken
  s_script: echo must-not-run
EOF
(cd "$T/depfail" && st run) >"$T/out" 2>&1
rc=$?
job=$(last_job)
[ $rc -eq 1 ]; ok "a failed dependency fails the run (rc $rc)"
[ "$(tfield "$job" after state)" = skipped ] &&
    [ "$(tfield "$job" after reason)" = "dependency failed" ]
ok "the dependent task is skipped: dependency failed"
[ $rc -eq 1 ] && ! grep -q must-not-run "$T/out"; ok "the dependent task's script never ran"

project "$T/allow" <<EOF
container:
  image: $IMAGE
flaky_task:
  allow_failures: true
  s_script: exit 4
after_task:
  depends_on: flaky
  s_script: echo after-allowed
EOF
(cd "$T/allow" && st run) >"$T/out" 2>&1
rc=$?
job=$(last_job)
[ $rc -eq 0 ]; ok "a failure allowed keeps the run green (rc $rc)"
[ "$(tfield "$job" flaky state)" = failed ] &&
    [ "$(tfield "$job" after state)" = succeeded ]
ok "a task after an allowed failure runs"
[ $rc -eq 0 ] || diag "$T/out"

# --- on_failure / always / on_success order ----------------------------------
project "$T/hooks" <<EOF
container:
  image: $IMAGE
hooks_task:
  a_script: echo step-A
  b_script: exit 5
  c_script: echo step-C
  on_success:
    s_script: echo step-S
  on_failure:
    f_script: echo step-F
  always:
    z_script: echo step-Z
EOF
(cd "$T/hooks" && st run) >"$T/out" 2>&1
job=$(last_job)
order=$(st logs "$job" hooks | grep '^step-' | tr '\n' ' ')
[ "$order" = "step-A step-F step-Z " ]
ok "after a failure: on_failure then always, nothing else ($order)"

# --- background scripts --------------------------------------------------------
project "$T/bg" <<EOF
container:
  image: $IMAGE
bg_task:
  ticker_background_script: while true; do echo tick >> /tmp/ticks; sleep 0.2; done
  look_script:
    - i=0; while [ ! -s /tmp/ticks ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done
    - sleep 0.5
    - echo "ticks \$(wc -l < /tmp/ticks)"
EOF
t0=$(date +%s)
(cd "$T/bg" && st run) >"$T/out" 2>&1
rc=$?
t1=$(date +%s)
took=$((t1 - t0))
[ $rc -eq 0 ] && grep -Eq '^bg \| ticks [2-9]' "$T/out"
ok "a background script runs beside later steps"
[ $rc -eq 0 ] && [ $took -lt 10 ]
ok "the background script is stopped when the task ends ($took s)"
[ $rc -eq 0 ] || diag "$T/out"

# --- timeout_in ------------------------------------------------------------------
project "$T/timeout" <<EOF
container:
  image: $IMAGE
slow_task:
  timeout_in: 2s
  s_script: sleep 30
  always:
    a_script: echo always-ran
  on_timeout:
    t_script: echo on-timeout-ran
EOF
t0=$(date +%s)
(cd "$T/timeout" && st run) >"$T/out" 2>&1
rc=$?
t1=$(date +%s)
took=$((t1 - t0))
job=$(last_job)
reason=$(tfield "$job" slow reason)
[ $rc -eq 1 ]; ok "a timed-out task fails the run (rc $rc)"
[ "$(tfield "$job" slow state)" = failed ] && [ "$reason" = "timed out after 2s" ]
ok "the task is failed, reason '$reason'"
[ $rc -eq 1 ] && [ $took -le 7 ]; ok "it ends soon after timeout_in ($took s)"
grep -q '^slow | on-timeout-ran' "$T/out"; ok "on_timeout steps run after a timeout"
grep -q '^slow | always-ran' "$T/out"; ok "so do always steps, as in Cirrus"

# --- CIRRUS_ENV and built-in variables, from a git work tree ----------------------
project "$T/git" <<EOF
container:
  image: $IMAGE
env:
  FROM_FILE: file
  OVERRIDDEN: by-file
vars_task:
  alias: v
  set_script: echo "LATER=from-cirrus-env" >> "\$CIRRUS_ENV"
  cfg_file:
    path: \$CIRRUS_WORKING_DIR/out/cfg.txt
    from_contents: "from=\$FROM_FILE \$(echo no)"
  var_file:
    path: ~/var.txt
    variable_name: OVERRIDDEN
  show_script:
    - echo "cfg=\$(cat out/cfg.txt) var=\$(cat ~/var.txt)"
    - echo "later=\$LATER"
    - echo "ci=\$CI cirrus_ci=\$CIRRUS_CI os=\$CIRRUS_OS"
    - echo "cont=\$CONTINUOUS_INTEGRATION os=\$OS alias=\$CIRRUS_TASK_NAME_ALIAS node=\$CI_NODE_INDEX/\$CI_NODE_TOTAL"
    - echo "task=\$CIRRUS_TASK_NAME id=\$CIRRUS_TASK_ID build=\$CIRRUS_BUILD_ID"
    - echo "wd=\$CIRRUS_WORKING_DIR"
    - echo "branch=\$CIRRUS_BRANCH"
    - echo "change=\$CIRRUS_CHANGE_IN_REPO"
    - echo "repo=\$CIRRUS_REPO_FULL_NAME owner=\$CIRRUS_REPO_OWNER name=\$CIRRUS_REPO_NAME"
    - echo "title=\$CIRRUS_CHANGE_TITLE"
    - echo "overridden=\$OVERRIDDEN from_file=\$FROM_FILE"
branch_task:
  only_if: \$CIRRUS_BRANCH == 'feature-1'
  s_script: echo on-feature-1
other_task:
  only_if: \$CIRRUS_BRANCH == 'main'
  s_script: echo on-main
pinned_task:
  env:
    CIRRUS_BRANCH: pinned
  only_if: \$CIRRUS_BRANCH == 'pinned'
  s_script: echo "on-\$CIRRUS_BRANCH"
EOF
(cd "$T/git" && git init -q -b feature-1 . &&
    git -c user.name=t -c user.email=t@example.com commit -q --allow-empty \
    -m "Add the thing" && git remote add origin https://github.com/acme/widgets.git)
ok "a git work tree is set up"
sha=$(git -C "$T/git" rev-parse HEAD)
# -e NAME alone passes this shell's value, as cirrus run does.
(cd "$T/git" && OVERRIDDEN=by-user st run -e OVERRIDDEN) >"$T/out" 2>&1
rc=$?
job=$(last_job)
[ $rc -eq 0 ]; ok "the git project runs (rc $rc)"
grep -q '^vars | later=from-cirrus-env$' "$T/out"
ok "a line appended to CIRRUS_ENV is in the environment of later steps"
grep -q '^vars | cfg=from=file $(echo no) var=by-user$' "$T/out"
ok "file steps: from_contents with variables expanded (only), variable_name"
grep -q '^vars | cont=true os=linux alias=v node=0/3$' "$T/out"
ok "CONTINUOUS_INTEGRATION, OS, CIRRUS_TASK_NAME_ALIAS, CI_NODE_INDEX and CI_NODE_TOTAL are set"
grep -q '^vars | ci=true cirrus_ci=true os=linux$' "$T/out"
ok "CI, CIRRUS_CI and CIRRUS_OS are set"
grep -Eq '^vars \| task=vars id=[0-9]+ build='"$job"'$' "$T/out"
ok "CIRRUS_TASK_NAME, CIRRUS_TASK_ID and CIRRUS_BUILD_ID are set"
grep -q '^vars | wd=/tmp/cirrus-ci-build$' "$T/out"; ok "CIRRUS_WORKING_DIR is set"
grep -q '^vars | branch=feature-1$' "$T/out"; ok "CIRRUS_BRANCH comes from the work tree"
grep -q "^vars | change=$sha\$" "$T/out"; ok "CIRRUS_CHANGE_IN_REPO is the HEAD commit"
grep -q '^vars | repo=acme/widgets owner=acme name=widgets$' "$T/out"
ok "CIRRUS_REPO_* come from the origin URL"
grep -q '^vars | title=Add the thing$' "$T/out"; ok "CIRRUS_CHANGE_TITLE is the commit's title"
grep -q '^vars | overridden=by-user from_file=file$' "$T/out"
ok "-e (here -e NAME, the shell's value) overrides the task file's env"
names=$(tnames "$job")
grep -q '^branch | on-feature-1' "$T/out" && ! grep -q on-main "$T/out" &&
    [ "$names" = "branch pinned vars " ]
ok "only_if sees CIRRUS_BRANCH ($names)"
grep -q '^pinned | on-pinned$' "$T/out"
ok "a task's env overrides a built-in, in only_if and in the container"
(cd "$T/git" && st validate) >"$T/validate.out" 2>&1
grep -qx 'task branch' "$T/validate.out" &&
    grep -qx 'task other' "$T/validate.out" &&
    grep -qxF "  not run: only_if is false: \$CIRRUS_BRANCH == 'main'" \
    "$T/validate.out" || { diag "$T/validate.out"; false; }
ok "validate sees the work tree's branch and names the tasks only_if drops"
[ $rc -eq 0 ] || diag "$T/out"

# --- TASK selection and --only ---------------------------------------------------
project "$T/select" <<EOF
container:
  image: $IMAGE
build_task:
  s_script: echo built
test_task:
  alias: checks
  depends_on: build
  s_script: echo tested
lint_task:
  s_script: echo linted
EOF
(cd "$T/select" && st run TE) >"$T/out" 2>&1
rc=$?
names=$(tnames "$(last_job)")
[ $rc -eq 0 ] && [ "$names" = "build test " ]
ok "run TASK takes a case-insensitive prefix and what it depends on ($names)"
(cd "$T/select" && st run --only check) >"$T/out" 2>&1
rc=$?
names=$(tnames "$(last_job)")
[ $rc -eq 0 ] && [ "$names" = "test " ]
ok "run --only runs just the named task, found by alias ($names)"
(cd "$T/select" && st run nosuch) >"$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "nosuch" "$T/out"; ok "an unknown TASK is a usage error (rc $rc)"

# --- limits --------------------------------------------------------------------------
project "$T/limits" <<EOF
container:
  image: $IMAGE
  memory: 512Mi
  cpu: 2
lim_task:
  s_script: echo limited
EOF
(cd "$T/limits" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ]; ok "a task with cpu and memory limits runs"
if [ $rc -ne 0 ] || grep -q 'podman: .*[Ll]imit' "$T/out"; then false
elif grep -q '\[stratus\] memory limit 512 MiB not applied: ' "$T/out"; then
	grep -q '\[stratus\] cpu limit 2 not applied: ' "$T/out"
fi
ok "a limit Podman cannot apply is named in the log"
grep '\[stratus\].*limit' "$T/out" | diag
[ $rc -eq 0 ] || diag "$T/out"

# --- changesInclude and tracked-but-ignored files ---------------------------
project "$T/changes" <<EOF
container:
  image: $IMAGE
src_task:
  only_if: changesInclude('src/**')
  s_script: echo src-changed
docs_task:
  only_if: changesInclude('docs/*')
  s_script: cat build/forced.txt; test ! -e build/junk.txt && echo no-junk
EOF
(cd "$T/changes" && mkdir -p src docs build && echo a >src/a.c &&
    echo 'build/' >.gitignore && echo forced >build/forced.txt &&
    git init -q -b main . && git add . && git add -f build/forced.txt &&
    git -c user.name=t -c user.email=t@example.com commit -q -m first &&
    echo d >docs/readme.md && git add docs &&
    git -c user.name=t -c user.email=t@example.com commit -q -m docs &&
    echo junk >build/junk.txt)
ok "a repository whose last commit touched docs/ only"
(cd "$T/changes" && st run) >"$T/out" 2>&1
rc=$?
names=$(tnames "$(last_job)")
[ $rc -eq 0 ] && [ "$names" = "docs " ] && ! grep -q src-changed "$T/out"
ok "changesInclude('src/**') drops its task, changesInclude('docs/*') runs ($names)"
(cd "$T/changes" && st run --affected-files src/main.c,README) >"$T/out2" 2>&1
[ "$(tnames "$(last_job)")" = "src " ] || { diag "$T/out2"; false; }
ok "--affected-files says what changed instead of git ($(tnames "$(last_job)"))"
grep -q '^docs | forced$' "$T/out"
ok "a file git tracks though .gitignore matches it reaches the container"
grep -q '^docs | no-junk$' "$T/out"
ok "an untracked ignored file does not"
[ $rc -eq 0 ] || diag "$T/out"

# --- shapes real files use: templates, merged containers, env lists ----------
project "$T/shapes" <<EOF
timeout_in: 2m
container:
  image: $IMAGE
  memory: 256M
defaults: &defaults
  env:
    - GREETING: hello
    - WHO: world
build_task:
  <<: *defaults
  env:
    WHO: stratus
  container:
    cpu: 1
  script: echo "\$GREETING \$WHO"
  path_script: echo "path=\$PATH arch=\$CIRRUS_ARCH"
  env:
    PATH: /opt/bin:\$PATH
    GREETING: \${HELLO}
    HELLO: hello
pipe_task:
  allow_failures: true
  pipe_script: false | true
  never_script: echo never
test_task:
  env: {DEP: build}
  depends_on: \$DEP
  matrix:
    <<: [{env: {N: 1}}, {env: {N: 2}}]
  lines_script:
    - echo "n=\$N"
    - echo 'a: b' is one line
EOF
(cd "$T/shapes" && st run) >"$T/out" 2>&1
rc=$?
job=$(last_job)
[ $rc -eq 0 ] &&
    [ "$(tnames "$job")" = "build pipe test (N=1) test (N=2) " ] ||
    { diag "$T/out"; false; }
ok "a file with a template, merged container and env list runs ($(tnames "$job"))"
grep -q '^build | hello stratus$' "$T/out" || { diag "$T/out"; false; }
ok "the template's env list merges under the task's own env"
grep -q '^test (N=2) | n=2$' "$T/out" && grep -q "^test (N=1) | a: b is one line$" "$T/out"
ok "a matrix from merged rows; a script line YAML read as a mapping runs as written"
st --json show "$job" | jq -e '[.tasks[] | select(.name == "build")][0].state == "succeeded"' >/dev/null
ok "depends_on with a variable orders the tasks after build"
grep -Eq '^build \| path=/opt/bin:/[^ ]*bin[^ ]* arch=(amd64|arm64|arm|386|ppc64le|s390x|riscv64)$' "$T/out" ||
    { diag "$T/out"; false; }
ok "env values naming variables expand in the container, with its own PATH; CIRRUS_ARCH is set"
[ "$(tfield "$job" pipe state)" = failed ] && ! grep -q '^pipe | never' "$T/out"
ok "a failing pipeline fails its script (pipefail, as Cirrus's agent)"

# --- a task whose steps outgrow one argument (128 KiB) ---------------------
mkdir -p "$T/big"
{
	printf 'container:\n  image: %s\nbig_task:\n  many_script:\n' "$IMAGE"
	seq 1 9000 | awk '{ printf "    - \": line %06d of a long script\"\n", $1 }'
	printf '    - echo done-all\n'
} >"$T/big/.cirrus.yml"
[ "$(wc -c <"$T/big/.cirrus.yml")" -gt 300000 ]
(cd "$T/big" && st run) >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^big | done-all$' "$T/out" || { diag "$T/out"; false; }
ok "a task whose runner script is over 128 KiB runs (rc $rc)"
{ printf 'HUGE='; head -c 140000 /dev/zero | tr '\0' x; echo; } >"$T/huge.env"
(cd "$T/big" && st run --env-file "$T/huge.env") >"$T/out" 2>&1
rc=$?
job=$(last_job)
state=$(tfield "$job" big state)
[ $rc -eq 1 ] && [ "$state" = errored ] &&
    grep -q 'variable HUGE is 140005 bytes: Linux passes at most 131071' "$T/out" ||
    { echo "# rc $rc state $state"; false; }
ok "a variable Linux cannot pass (140 kB) errors the task, naming it"

stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer reports"
