/* runner.c -- generates the in-container step runner and parses its markers. */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/runner.h"
#include "proto/util.h"

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

/* The shell test that decides whether a step with this 'when' runs. */
static const char *
runner_condition(enum tf_when when)
{
	switch (when) {
	case WHEN_ON_FAILURE:
		return ("[ \"$__st\" -ne 0 ]");
	case WHEN_ALWAYS:
		return ("true");
	case WHEN_ON_TIMEOUT:
		return ("false");	/* run by the daemon after a timeout */
	case WHEN_ON_SUCCESS:
	default:
		return ("[ \"$__st\" -eq 0 ]");
	}
}

/* Append the shell code of one step to b. */
static void
runner_step(struct buf *b, const struct tf_step *s, int idx,
    const char *nonce)
{
	char	*q = NULL, *p = NULL;
	size_t	 i;

	buf_printf(b, "if %s; then\n__load_env\n", runner_condition(s->when));
	buf_printf(b, "printf '\\036stratus:%s:b:%d\\n'\n", nonce, idx);
	switch (s->kind) {
	case STEP_SCRIPT:
		q = shell_quote(s->script != NULL ? s->script : "");
		buf_printf(b, "\"$__sh\" -e -c %s; __rc=$?\n", q);
		break;
	case STEP_BACKGROUND:
		q = shell_quote(s->script != NULL ? s->script : "");
		buf_printf(b, "\"$__sh\" -e -c %s & __bg=\"$__bg $!\"; "
		    "__rc=0\n", q);
		break;
	case STEP_FILE:
		if (s->file_path == NULL || s->variable_name == NULL) {
			buf_addstr(b, "__rc=0\n");
			break;
		}
		p = shell_quote(s->file_path);
		buf_printf(b, "mkdir -p \"$(dirname %s)\" && "
		    "eval \"printf '%%s' \\\"\\${%s}\\\"\" > %s; __rc=$?\n",
		    p, s->variable_name, p);
		break;
	case STEP_CACHE:
		/* No cache store yet: a cache step only populates. */
		if (s->populate_script != NULL && s->npaths > 0) {
			buf_addstr(b, "__rc=0; __miss=0\n");
			for (i = 0; i < s->npaths; i++) {
				free(p);
				p = shell_quote(s->paths[i]);
				buf_printf(b, "[ -e %s ] || __miss=1\n", p);
			}
			q = shell_quote(s->populate_script);
			buf_printf(b, "if [ $__miss -eq 1 ]; then "
			    "\"$__sh\" -e -c %s; __rc=$?; fi\n", q);
		} else
			buf_addstr(b, "__rc=0\n");
		break;
	case STEP_ARTIFACTS:
	default:
		buf_addstr(b, "__rc=0\n");
		break;
	}
	buf_printf(b, "printf '\\036stratus:%s:e:%d:%%d\\n' \"$__rc\"\n",
	    nonce, idx);
	buf_addstr(b, "[ \"$__rc\" -eq 0 ] || { [ \"$__st\" -ne 0 ] || "
	    "__st=$__rc; }\nfi\n");
	free(q);
	free(p);
}

char *
runner_script(const struct tf_task *t, const char *nonce)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	buf_addstr(&b,
	    "__st=0; __bg=\n"
	    "__sh=/bin/sh; [ -x /bin/bash ] && __sh=/bin/bash\n"
	    "export CIRRUS_ENV=" RUNNER_ENV_FILE "\n"
	    ": > \"$CIRRUS_ENV\" 2>/dev/null\n"
	    "__load_env() {\n"
	    "\t[ -s \"$CIRRUS_ENV\" ] || return 0\n"
	    "\twhile IFS= read -r __l || [ -n \"$__l\" ]; do\n"
	    "\t\tcase $__l in *=*) export \"$__l\" ;; esac\n"
	    "\tdone < \"$CIRRUS_ENV\"\n"
	    "}\n");
	for (i = 0; i < t->nsteps; i++)
		runner_step(&b, &t->steps[i], (int)i, nonce);
	buf_addstr(&b, "[ -z \"$__bg\" ] || kill $__bg 2>/dev/null\n"
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
	p->out = out;
	p->step = step;
	p->arg = arg;
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

/* A whole candidate line is held: a marker, or output after all. */
static void
runner_pending_done(struct runner_parser *p)
{
	char	*s, *end;
	long	 idx, rc = 0;
	int	 begin;

	p->pending[p->npending] = '\0';
	s = p->pending + p->prefixlen;
	if (p->npending < p->prefixlen ||
	    memcmp(p->pending, p->prefix, p->prefixlen) != 0 ||
	    (s[0] != 'b' && s[0] != 'e') || s[1] != ':')
		goto output;
	begin = s[0] == 'b';
	idx = strtol(s + 2, &end, 10);
	if (end == s + 2 || idx < 0)
		goto output;
	if (!begin) {
		if (*end != ':')
			goto output;
		rc = strtol(end + 1, &end, 10);
	}
	if (*end != '\n')
		goto output;
	/* Keep the log line-shaped across a step boundary. */
	if (!p->at_bol)
		runner_emit(p, "\n", 1);
	p->npending = 0;
	p->step((int)idx, begin, (int)rc, p->arg);
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
	if (p->npending > 0) {
		runner_emit(p, p->pending, p->npending);
		p->npending = 0;
	}
}
