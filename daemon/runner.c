/* runner.c -- generates the in-container step runner and parses its markers. */
#include <sys/random.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/runner.h"
#include "proto/util.h"

#define RUNNER_STR2(x)	#x
#define RUNNER_STR(x)	RUNNER_STR2(x)

void
runner_nonce(char *nonce)
{
	unsigned char	 r[RUNNER_NONCE_LEN / 2];
	size_t		 i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* Not a secret: uniqueness against a task's own output. */
		for (i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(now_mono_ms() >> (i % 8));
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(nonce + 2 * i, 3, "%02x", r[i]);
	nonce[RUNNER_NONCE_LEN] = '\0';
}

/*
 * The shell test that decides whether a step with this 'when' runs.  In
 * the timeout branch an always step runs when the timeout came before it
 * began (its index is past the last one begun, in $__last), as in Cirrus.
 */
static const char *
runner_condition(enum tf_when when, int after_timeout)
{
	if (after_timeout && when == WHEN_ALWAYS)
		return ("[ \"$__idx\" -gt \"$__last\" ]");
	switch (when) {
	case WHEN_ON_FAILURE:
		return ("[ \"$__st\" -ne 0 ]");
	case WHEN_ALWAYS:
	case WHEN_ON_TIMEOUT:	/* only ever emitted in the timeout branch */
		return ("true");
	case WHEN_ON_SUCCESS:
	default:
		return ("[ \"$__st\" -eq 0 ]");
	}
}

/*
 * A file step: the file at path (variables and a leading ~ expanded) gets
 * from_contents (variables expanded) or the value of variable_name; when
 * that is not set, the step says so and writes nothing, as in Cirrus
 * (secrets are often missing from forks' builds).
 */
static void
runner_file(struct buf *b, const struct tf_step *s)
{
	const char	*v = s->variable_name;
	char		*p, *c;

	if (s->file_path == NULL || (s->from_contents == NULL &&
	    (v == NULL || !shell_is_name(v)))) {
		buf_addstr(b, "echo 'stratus: a file step needs a path and "
		    "variable_name or from_contents' >&2; __rc=1\n");
		return;
	}
	p = shell_quote_vars(s->file_path, 1);
	if (s->from_contents != NULL)
		c = shell_quote_vars(s->from_contents, 0);
	else {
		buf_printf(b, "if [ -z \"${%s+x}\" ]; then echo 'stratus: "
		    "environment variable %s is not set: the file is not "
		    "written' >&2; __rc=0; else\n", v, v);
		c = xasprintf("\"$%s\"", v);
	}
	/* Its directory without dirname: $(...) would drop a name's
	 * trailing newlines, and a name may start with '-'. */
	buf_printf(b, "__f=%s; case $__f in */*) mkdir -p -- \"${__f%%/*}/\" "
	    ";; esac && printf '%%s' %s > \"$__f\"; __rc=$?\n", p, c);
	if (s->from_contents == NULL)
		buf_addstr(b, "fi\n");
	free(p);
	free(c);
}

/*
 * Append the command that runs script under the step shell, with -e and
 * pipefail where the shell has it, as Cirrus's agent runs scripts.  One
 * longer than RUNNER_ARG_MAX is written to a file by the shell's own printf
 * first: an argument to exec may not exceed 128 KiB.
 */
static void
runner_shell(struct buf *b, const char *script, int idx)
{
	char	*q;

	q = shell_quote(script != NULL ? script : "");
	if (script == NULL || strlen(script) <= RUNNER_ARG_MAX)
		buf_printf(b, "\"$__sh\" -e $__pf -c %s", q);
	else
		buf_printf(b, "{ printf '%%s\\n' %s > \"$__d/s%d\" && "
		    "\"$__sh\" -e $__pf \"$__d/s%d\"; }", q, idx, idx);
	free(q);
}

/* Append the shell code of one step to b. */
static void
runner_step(struct buf *b, const struct tf_step *s, int idx,
    int after_timeout)
{
	buf_printf(b, "__idx=%d\nif %s; then\n__load_env; __sens\n", idx,
	    runner_condition(s->when, after_timeout));
	buf_printf(b, "echo %d > \"$__d/cur\"; echo %d > \"$__d/last\"; "
	    "__mark b %d\n", idx, idx, idx);
	switch (s->kind) {
	case STEP_SCRIPT:
		runner_shell(b, s->script, idx);
		buf_addstr(b, "; __rc=$?\n");
		break;
	case STEP_BACKGROUND:
		runner_shell(b, s->script, idx);
		buf_addstr(b, " & __bg=\"$__bg $!\"; __rc=0\n");
		break;
	case STEP_FILE:
		runner_file(b, s);
		break;
	case STEP_CACHE:
		/* As Cirrus, populate on a cache miss: stratusd restores
		 * the folders from outside and leaves a mark (wscache.c). */
		if (s->populate_script != NULL && s->npaths > 0) {
			buf_printf(b, "__rc=0; if [ ! -e %s%d ]; then ",
			    RUNNER_RESTORED_MARK, idx);
			runner_shell(b, s->populate_script, idx);
			buf_addstr(b, "; __rc=$?; fi\n");
		} else
			buf_addstr(b, "__rc=0\n");
		break;
	case STEP_UPLOAD_CACHES:
		/* Only its markers: they tell stratusd it was reached, and the
		 * caches it names are saved when the container has ended. */
	case STEP_ARTIFACTS:
	default:
		buf_addstr(b, "__rc=0\n");
		break;
	}
	buf_printf(b, "__mark e %d \"$__rc\"; rm -f \"$__d/cur\"\n", idx);
	buf_addstr(b, "[ \"$__rc\" -eq 0 ] || { [ \"$__st\" -ne 0 ] || "
	    "__st=$__rc; }\nfi\n");
}

/*
 * The prologue: state directory, shell, CIRRUS_ENV, a millisecond clock
 * (/proc/uptime needs no fork; busybox date has no %N), marker printing,
 * loading CIRRUS_ENV and reporting it with CIRRUS_ENV_SENSITIVE (od is in
 * POSIX, coreutils and busybox; the shell alone cannot read bytes), and
 * __killtree, which stops a process and its descendants found through
 * /proc (outside a container, where kill -1 would reach everything).
 */
static const char runner_prologue[] =
    "__st=0; __bg=\n"
    "__d=/tmp/.stratus.$$; rm -rf \"$__d\"; mkdir -p \"$__d\" || exit 125\n"
    "__sh=/bin/sh; [ -x /bin/bash ] && __sh=/bin/bash\n"
    "__pf=; \"$__sh\" -c 'set -o pipefail' 2>/dev/null && __pf='-o pipefail'\n"
    "export CIRRUS_ENV=\"$__d/env\"\n"
    ": > \"$CIRRUS_ENV\"\n"
    "if [ -r /proc/uptime ]; then\n"
    "\t__ts() { read -r __t __x < /proc/uptime; "
    "__t=${__t%%.*}${__t#*.}0; }\n"
    "else\n"
    "\t__ts() { __t=$(date +%%s)000; }\n"
    "fi\n"
    "__mark() {\n"
    "\t__ts\n"
    "\tif [ \"$1\" = e ]; then\n"
    "\t\tprintf '\\036stratus:%s:e:%%d:%%d:%%s\\n' \"$2\" \"$3\" \"$__t\"\n"
    "\telif [ \"$1\" = t ]; then\n"
    "\t\tprintf '\\036stratus:%s:t:%%s\\n' \"$__t\"\n"
    "\telse\n"
    "\t\tprintf '\\036stratus:%s:b:%%d:%%s\\n' \"$2\" \"$__t\"\n"
    "\tfi\n"
    "}\n"
    "__load_env() {\n"
    "\t[ -s \"$CIRRUS_ENV\" ] || return 0\n"
    "\twhile IFS= read -r __l || [ -n \"$__l\" ]; do\n"
    "\t\tcase $__l in __*|IFS=*) ;; *=*) export \"$__l\" ;; esac\n"
    "\tdone < \"$CIRRUS_ENV\"\n"
    "}\n"
    "__sens() {\n"
    "\t[ \"$CIRRUS_ENV_SENSITIVE\" = true ] && [ -s \"$CIRRUS_ENV\" ] || "
    "return 0\n"
    "\tif ! command -v od >/dev/null 2>&1; then\n"
    "\t\t[ -n \"$__nood\" ] || echo 'stratus: CIRRUS_ENV_SENSITIVE "
    "needs od in the image: values are not masked' >&2\n"
    "\t\t__nood=1; return 0\n"
    "\tfi\n"
    "\tod -An -v -tx1 -N " RUNNER_STR(RUNNER_ENV_MAX) " \"$CIRRUS_ENV\" | "
    "while read -r __h; do\n"
    "\t\tprintf '\\036stratus:%s:v:%%s\\n' \"$__h\"\n"
    "\tdone\n"
    "\tprintf '\\036stratus:%s:V\\n'\n"
    "}\n"
    "__killtree() {\n"
    "\t__todo=$1; __all=\n"
    "\twhile [ -n \"$__todo\" ]; do\n"
    "\t\tkill -STOP $__todo 2>/dev/null; __next=\n"
    "\t\tfor __f in /proc/[0-9]*/stat; do\n"
    "\t\t\tread -r __l 2>/dev/null < \"$__f\" || continue\n"
    "\t\t\t__l=${__l##*) }; __l=${__l#* }\n"
    "\t\t\tcase \" $__todo \" in *\" ${__l%%%% *} \"*)\n"
    "\t\t\t\t__p=${__f#/proc/}; __next=\"$__next ${__p%%/stat}\" ;;\n"
    "\t\t\tesac\n"
    "\t\tdone\n"
    "\t\t__all=\"$__all $__todo\"; __todo=${__next# }\n"
    "\tdone\n"
    "\tkill -KILL $__all 2>/dev/null\n"
    "}\n";

int
runner_deferrable(const char *key)
{
	return (shell_is_name(key) && strncmp(key, "__", 2) != 0 &&
	    strcmp(key, "IFS") != 0);
}

char *
runner_script(const struct tf_task *t, const char *nonce,
    char *const *deferred)
{
	struct buf	 b;
	size_t		 i;
	int64_t		 timeout;
	char		*q, *eq;
	int		 ok;

	timeout = t->timeout_s > 0 ? t->timeout_s : TF_DEFAULT_TIMEOUT_S;
	buf_init(&b, 0);
	/*
	 * Variables whose values name others, expanded here, in order, with
	 * the container's own (its PATH, HOME) as Cirrus's agent does; before
	 * the runner's own variables are set, so that none can be replaced.
	 */
	for (i = 0; deferred != NULL && deferred[i] != NULL; i++) {
		if ((eq = strchr(deferred[i], '=')) == NULL)
			continue;
		q = xstrndup(deferred[i], (size_t)(eq - deferred[i]));
		ok = runner_deferrable(q);
		free(q);
		if (!ok)
			continue;
		q = shell_quote_vars(eq + 1, 0);
		buf_printf(&b, "export %.*s=%s\n", (int)(eq - deferred[i]),
		    deferred[i], q);
		free(q);
	}
	buf_printf(&b, runner_prologue, nonce, nonce, nonce, nonce, nonce);
	/* The steps run in a child so that a watchdog can end them and the
	 * on_timeout steps still run afterwards. */
	buf_addstr(&b, "__run() {\n");
	for (i = 0; i < t->nsteps; i++) {
		if (t->steps[i].when != WHEN_ON_TIMEOUT)
			runner_step(&b, &t->steps[i], (int)i, 0);
	}
	buf_addstr(&b, "[ -z \"$__bg\" ] || kill $__bg 2>/dev/null\n"
	    "exit $__st\n}\n");
	/*
	 * The watchdog sleeps a second at a time and stops by itself once
	 * the steps are done (or the runner's directory is gone): nothing
	 * has to kill it, so no signal can race its sleep's start and leave
	 * a long sleep behind.  It holds no output open.  When it fires, the
	 * runner waits for it to have ended the steps.
	 */
	buf_printf(&b, "__run & __main=$!\n"
	    "( __n=0\n"
	    "  while [ $__n -lt %" PRId64 " ]; do\n"
	    "    { [ -e \"$__d/done\" ] || [ ! -d \"$__d\" ]; } && exit 0\n"
	    "    sleep 1; __n=$((__n + 1))\n"
	    "  done\n"
	    "  [ -e \"$__d/done\" ] && exit 0\n"
	    "  : > \"$__d/timedout\"\n"
	    "  if [ $$ -eq 1 ]; then kill -9 -1; "
	    "else __killtree $__main; fi ) </dev/null >/dev/null 2>&1 &\n"
	    "__wd=$!\n"
	    "wait $__main 2>/dev/null; __st=$?\n"
	    ": > \"$__d/done\"\n"
	    "if [ -e \"$__d/timedout\" ]; then\n"
	    "wait $__wd 2>/dev/null\n"
	    "__c=$(cat \"$__d/cur\" 2>/dev/null)\n"
	    "[ -z \"$__c\" ] || __mark e \"$__c\" 124\n"
	    "__mark t\n"
	    "__st=124\n"
	    "__last=$(cat \"$__d/last\" 2>/dev/null || echo -1)\n", timeout);
	/* As Cirrus: on_timeout steps, and always steps the timeout came
	 * before, in the file's order. */
	for (i = 0; i < t->nsteps; i++) {
		if (t->steps[i].when == WHEN_ON_TIMEOUT ||
		    t->steps[i].when == WHEN_ALWAYS)
			runner_step(&b, &t->steps[i], (int)i, 1);
	}
	buf_addstr(&b, "__st=124\nfi\n"
	    "rm -rf \"$__d\" " RUNNER_RESTORED_MARK "*\n"
	    "exit $__st\n");
	return (buf_steal(&b, NULL));
}

void
runner_parser_init(struct runner_parser *p, const char *nonce,
    runner_output_cb out, runner_step_cb step, void *arg)
{
	memset(p, 0, sizeof *p);
	p->prefixlen = (size_t)snprintf(p->prefix, sizeof p->prefix,
	    "\036stratus:%s:", nonce);
	p->at_bol = 1;
	p->ts_ms = -1;
	p->out = out;
	p->step = step;
	p->arg = arg;
	buf_init(&p->env, RUNNER_ENV_MAX);
}

/* Pass output on, remembering whether it ended a line. */
static void
runner_emit(struct runner_parser *p, const char *s, size_t n)
{
	if (n == 0)
		return;
	p->out(s, n, p->arg);
	p->at_bol = s[n - 1] == '\n';
}

/* Hand each value of the reported CIRRUS_ENV file on, and forget it. */
static void
runner_env_done(struct runner_parser *p)
{
	char	*line, *nl, *eq, *end;

	if (p->env.len == 0)
		return;
	end = p->env.data + p->env.len;
	for (line = p->env.data; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		*nl = '\0';
		/* As __load_env: the name ends at the first '='. */
		if ((eq = strchr(line, '=')) == NULL ||
		    strlen(eq + 1) < RUNNER_ENV_MASK_MIN)
			continue;
		*eq = '\0';
		if (strcmp(line, "CIRRUS_ENV_SENSITIVE") != 0 && p->value != NULL)
			p->value(eq + 1, p->arg);
	}
	buf_reset(&p->env);
}

static int
runner_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * A CIRRUS_ENV report line (kind 'v' with HEX after s, or 'V').  Never
 * output, even malformed: it holds the values in hex.  A line that is
 * not well-formed adds nothing.
 */
static void
runner_env_marker(struct runner_parser *p, char kind, const char *s)
{
	unsigned char	 bytes[sizeof p->pending / 2];
	size_t		 n = 0;
	int		 hi, lo;

	if (kind == 'V') {
		if (*s == '\n')
			runner_env_done(p);
		return;
	}
	if (*s++ != ':')
		return;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\n')
			break;
		if ((hi = runner_hexval(s[0])) == -1 ||
		    (lo = runner_hexval(s[1])) == -1)
			return;
		bytes[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	/* Up to RUNNER_ENV_MAX bytes in order; the rest is dropped. */
	if (buf_add(&p->env, bytes, n) == -1)
		(void)buf_add(&p->env, bytes, RUNNER_ENV_MAX - p->env.len);
}

/* A whole candidate line is held: a marker, or output after all. */
static void
runner_pending_done(struct runner_parser *p)
{
	char	*s, *end;
	long	 idx = -1, rc = 0;
	long long ts = -1;
	char	 kind;

	p->pending[p->npending] = '\0';
	s = p->pending + p->prefixlen;
	if (p->npending > p->prefixlen &&
	    memcmp(p->pending, p->prefix, p->prefixlen) == 0 &&
	    (s[0] == 'v' || s[0] == 'V')) {
		runner_env_marker(p, s[0], s + 1);
		p->npending = 0;
		return;
	}
	if (p->npending < p->prefixlen ||
	    memcmp(p->pending, p->prefix, p->prefixlen) != 0 ||
	    (s[0] != 'b' && s[0] != 'e' && s[0] != 't') || s[1] != ':')
		goto output;
	kind = s[0];
	end = s + 1;
	if (kind != 't') {
		idx = strtol(s + 2, &end, 10);
		if (end == s + 2 || idx < 0)
			goto output;
	}
	if (kind == 'e') {
		if (*end != ':')
			goto output;
		rc = strtol(end + 1, &end, 10);
	}
	/* An optional timestamp in ms of the runner's clock. */
	if (*end == ':') {
		s = end + 1;
		ts = strtoll(s, &end, 10);
		if (end == s || ts < 0)
			goto output;
	}
	if (*end != '\n')
		goto output;
	/* Keep the log line-shaped across a step boundary. */
	if (!p->at_bol)
		runner_emit(p, "\n", 1);
	p->npending = 0;
	p->ts_ms = ts;
	if (kind == 't')
		p->timed_out = 1;
	else
		p->step((int)idx, kind == 'b', (int)rc, p->arg);
	return;
output:
	runner_emit(p, p->pending, p->npending);
	p->npending = 0;
}

void
runner_parser_feed(struct runner_parser *p, int stream, const char *s,
    size_t n)
{
	const char	*mark;
	size_t		 take;

	if (stream != 1) {
		runner_emit(p, s, n);
		return;
	}
	while (n > 0) {
		if (p->npending > 0) {
			p->pending[p->npending++] = *s;
			s++;
			n--;
			if (p->pending[p->npending - 1] == '\n' ||
			    p->npending == sizeof p->pending - 1)
				runner_pending_done(p);
			else if (p->npending <= p->prefixlen &&
			    p->pending[p->npending - 1] !=
			    p->prefix[p->npending - 1])
				runner_pending_done(p);
			continue;
		}
		mark = memchr(s, '\036', n);
		take = mark == NULL ? n : (size_t)(mark - s);
		runner_emit(p, s, take);
		s += take;
		n -= take;
		if (mark != NULL) {
			p->pending[p->npending++] = *s;
			s++;
			n--;
		}
	}
}

void
runner_parser_flush(struct runner_parser *p)
{
	/* A CIRRUS_ENV report cut short is never output either. */
	if (p->npending > p->prefixlen &&
	    memcmp(p->pending, p->prefix, p->prefixlen) == 0 &&
	    (p->pending[p->prefixlen] == 'v' ||
	    p->pending[p->prefixlen] == 'V'))
		p->npending = 0;
	if (p->npending > 0) {
		runner_emit(p, p->pending, p->npending);
		p->npending = 0;
	}
	buf_free(&p->env);
}
