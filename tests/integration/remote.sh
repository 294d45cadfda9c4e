#!/usr/bin/env bash
# The TCP listener: bearer tokens with read, submit and admin scopes, 401 and
# 403 answers, and HTTPS with a self-signed certificate.
. "$STRATUS_SRCDIR/tests/integration/lib.sh"

project "$T/p" <<EOF
container:
  image: $IMAGE
main_task:
  script: echo remote-hello; sleep 30
EOF
project "$T/q" <<EOF
container:
  image: $IMAGE
main_task:
  script: cat data.txt; echo remote-done
EOF
R=rrrrrrrrrrrrrrrrrrrrrrrr; S=ssssssssssssssssssssssss
A=aaaaaaaaaaaaaaaaaaaaaaaa
printf '%s read\n%s submit\n%s admin\n' $R $S $A >"$T/tokens"
chmod 644 "$T/tokens"
PORT=$((20000 + $$ % 10000))
"$STRATUSD" --socket "$T/x/s.sock" --state-dir "$T/x" \
    --listen 127.0.0.1:$PORT --tokens "$T/tokens" >"$T/mode.log" 2>&1
[ $? -ne 0 ] && grep -q "chmod 600" "$T/mode.log"
ok "a tokens file others can read is refused, with the fix"
chmod 600 "$T/tokens"
"$STRATUSD" --socket "$T/x/s.sock" --state-dir "$T/x" \
    --listen 0.0.0.0:$PORT --tokens "$T/tokens" >"$T/plain.log" 2>&1
[ $? -ne 0 ] && grep -q "insecure-listen" "$T/plain.log"
ok "a non-loopback listener without TLS is refused"

for try in 1 2 3 4 5; do
	start_daemon --listen 127.0.0.1:$PORT --tokens "$T/tokens" && break
	grep -q "already in use" "$T/daemon.log" || break
	PORT=$((PORT + 1))
done
ok "stratusd starts with --listen 127.0.0.1:$PORT"
U=http://127.0.0.1:$PORT
rt() { "$STRATUS" --url "$U" "$@"; }

rt ls >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "Authorization: Bearer" "$T/err"
ok "no token: exit 2, saying how to pass one"
STRATUS_TOKEN=nope-nope-nope-nope rt ls >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "unknown token" "$T/err"; ok "an unknown token: 401"
code=$(curl -s -o "$T/body" -w '%{http_code}' "$U/v1/jobs")
[ "$code" = 401 ] && [ "$(jq -r .error.code "$T/body")" = unauthorized ]
ok "401 is a JSON error"

(cd "$T/p" && STRATUS_TOKEN=$R rt submit >/dev/null 2>"$T/err")
[ $? -ne 0 ] && grep -q "submit scope" "$T/err"; ok "read token: submit is 403"
j=$(cd "$T/p" && STRATUS_TOKEN=$S STRATUS_URL=$U "$STRATUS" --json submit |
    jq -r .id)
[ -n "$j" ] && [ "$j" != null ]; ok "submit token: a job is submitted over TCP"
STRATUS_TOKEN=$R rt ls | grep -q "^ *$j "; ok "read token: ls"
STRATUS_TOKEN=$R rt show "$j" >/dev/null; ok "read token: show"
logs_has() { STRATUS_TOKEN=$R rt logs "$j" 2>/dev/null | grep -q remote-hello; }
until_ok 20 logs_has; ok "read token: logs"
echo $R >"$T/rtok"
"$STRATUS" --url "$U" --token-file "$T/rtok" cancel "$j" >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "admin scope" "$T/err"; ok "read token: cancel is 403"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $R" \
    -X POST "$U/v1/jobs/$j/cancel")
[ "$code" = 403 ] && [ "$(jq -r .error.code "$T/body")" = forbidden ]
ok "403 is a JSON error with code forbidden"
STRATUS_TOKEN=$A rt cancel "$j" >/dev/null; ok "admin token: cancel"
(cd "$T/q" && STRATUS_TOKEN=$S rt run >"$T/run.out" 2>&1)
ok "submit token: run uploads, follows and succeeds"
grep -q "from the snapshot" "$T/run.out" && grep -q remote-done "$T/run.out"
ok "run showed the log"
st ls >/dev/null; ok "the unix socket needs no token"
stop_daemon; ok "stratusd stops"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
ok "a self-signed certificate"
start_daemon --listen 127.0.0.1:$PORT --tokens "$T/tokens" \
    --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
ok "stratusd starts with TLS"
U=https://127.0.0.1:$PORT
STRATUS_TOKEN=$R rt --cacert "$T/cert.pem" ls >/dev/null
ok "https with --cacert"
STRATUS_TOKEN=$R STRATUS_CACERT=$T/cert.pem rt ls >/dev/null
ok "https with STRATUS_CACERT"
STRATUS_TOKEN=$R rt ls >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -qi "certificate" "$T/err"
ok "https without the CA fails, naming the certificate"
stop_daemon; ok "stratusd stops"
daemon_log_clean; ok "no sanitizer report"
