#!/usr/bin/env bash
# Variables in a task's workspace as Cirrus's agent has them: expanded in
# cache folders and artifacts paths; a cache without a fingerprint uploaded
# again when it changed; values of variables named *_TOKEN, *_PASSWORD, ...
# masked in the log.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

JOBS=1 start_daemon
ok "stratusd starts"

# --- cache folders and artifacts paths ---------------------------------------
P=$T/paths
project "$P" <<EOF
container:
  image: $IMAGE
env:
  STUFF: cstuff
v_task:
  stuff_cache:
    folder: \$HOME/.\${STUFF}
    populate_script: mkdir -p ~/.cstuff && echo POPULATE-RAN && echo populated >~/.cstuff/x
  fixed_cache:
    folder: fixed
    populate_script: mkdir -p fixed && echo f >fixed/f
  b_script: echo run >>~/.cstuff/runs; echo "runs \$(wc -l <~/.cstuff/runs)"; mkdir -p out && echo one >out/a.txt && echo no >out/b.log
  out_artifacts:
    path: \$CIRRUS_WORKING_DIR/out/*.txt
EOF
(cd "$P" && st run) >"$T/out1" 2>&1
grep -q POPULATE-RAN "$T/out1" && grep -q 'cache stuff: saved /root/.cstuff' "$T/out1" ||
    { diag "$T/out1"; false; }
ok "a cache folder \$HOME/.\${STUFF} is expanded, populated and saved"
(cd "$P" && st run) >"$T/out2" 2>&1
! grep -q POPULATE-RAN "$T/out2" && grep -q 'cache stuff: restored /root/.cstuff' "$T/out2" &&
    grep -q '^v | runs 2$' "$T/out2" || { diag "$T/out2"; false; }
ok "the next run restores it and skips populate_script"
grep -q 'cache stuff: saved /root/.cstuff' "$T/out2" &&
    grep -q 'cache fixed: restored fixed' "$T/out2" &&
    ! grep -q 'cache fixed: saved' "$T/out2" || { diag "$T/out2"; false; }
ok "without a fingerprint a changed folder is saved again (reupload_on_changes), an unchanged one not"
(cd "$P" && st run) >"$T/out3" 2>&1
grep -q '^v | runs 3$' "$T/out3" || { diag "$T/out3"; false; }
ok "and the run after that sees it as saved"
j=$(st --json ls | jq '[.jobs[].id] | max')
st --json show "$j" | jq -e '[.tasks[0].artifacts[].path] == ["out/a.txt"]' >/dev/null ||
    { st --json show "$j" | diag; false; }
ok "an artifacts path \$CIRRUS_WORKING_DIR/out/*.txt collects out/a.txt"

# --- well-known sensitive variables ------------------------------------------
S=$T/sens
project "$S" <<EOF
container:
  image: $IMAGE
s_task:
  env:
    API_TOKEN: supersecretvalue42
    SHORT_TOKEN: abc
    TOKEN: plain-shown-value
  s_script: echo "token \$API_TOKEN short \$SHORT_TOKEN plain \$TOKEN pw \$DB_PASSWORD"
EOF
(cd "$S" && st run -e DB_PASSWORD=hunter2hunter2) >"$T/out" 2>&1
grep -q '^s | token \[MASKED\] short abc plain plain-shown-value pw \[MASKED\]$' "$T/out" &&
    ! grep -rqE 'supersecretvalue42|hunter2hunter2' "$STATE/logs" || { diag "$T/out"; false; }
ok "values of *_TOKEN (env) and *_PASSWORD (-e) are masked; short ones and TOKEN are not"
stop_daemon; ok "stratusd stops cleanly"
daemon_log_clean; ok "no sanitizer report in the daemon log"
