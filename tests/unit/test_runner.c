/* test_runner.c -- the step runner script, run by a real /bin/sh, and its marker parser. */
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/executor.h"
#include "daemon/runner.h"
#include "proto/util.h"

struct seen {
	struct buf	 out;
	char		 steps[256];
	int64_t		 ts[16];	/* marker clocks, in order */
	size_t		 nts;
	int		 timed_out;
	struct runner_parser *p;
	struct buf	 values;	/* CIRRUS_ENV values, each and '|' */
};

static void
seen_out(const char *s, size_t n, void *arg)
{
	struct seen	*sn = arg;

	buf_add(&sn->out, s, n);
}

static void
seen_step(int idx, int begin, int rc, void *arg)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->steps);

	snprintf(sn->steps + len, sizeof sn->steps - len, "%c%d:%d ",
	    begin ? 'b' : 'e', idx, rc);
	if (sn->p != NULL && sn->nts < 16)
		sn->ts[sn->nts++] = sn->p->ts_ms;
}

static void
seen_value(const char *v, void *arg)
{
	struct seen	*sn = arg;

	buf_printf(&sn->values, "%s|", v);
}

Test(runner, parser_markers_split_anywhere)
{
	const char	*in = "hello\n\036stratus:abcd:b:0\nx\036stratus:abcd:e:0:3\ntail";
	size_t		 cut, len = strlen(in);

	for (cut = 0; cut <= len; cut++) {
		struct runner_parser	 p;
		struct seen		 sn;

		memset(&sn, 0, sizeof sn);
		buf_init(&sn.out, 0);
		runner_parser_init(&p, "abcd", seen_out, seen_step, &sn);
		runner_parser_feed(&p, 1, in, cut);
		runner_parser_feed(&p, 1, in + cut, len - cut);
		runner_parser_flush(&p);
		cr_assert_str_eq(sn.out.data, "hello\nx\ntail", "cut %zu", cut);
		cr_assert_str_eq(sn.steps, "b0:0 e0:3 ", "cut %zu", cut);
		buf_free(&sn.out);
	}
}

Test(runner, parser_passes_forged_and_foreign_markers)
{
	struct runner_parser	 p;
	struct seen		 sn;
	const char		*in = "\036stratus:zzzz:b:0\n\036other\n\036stratus:abcd:q:1\n";

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	runner_parser_init(&p, "abcd", seen_out, seen_step, &sn);
	runner_parser_feed(&p, 1, in, strlen(in));
	runner_parser_feed(&p, 2, "\036stratus:abcd:b:0\n", 18);
	runner_parser_flush(&p);
	cr_assert_str_eq(sn.steps, "");
	cr_assert_eq(sn.out.len, strlen(in) + 18);
	buf_free(&sn.out);
}

/* The shell run_script uses: the host's /bin/sh unless a test says. */
static const char *script_shell = "/bin/sh";
/* The variables it hands the runner to expand, when a test says. */
static char *const *script_deferred;

/* Run a task's runner script under the host's /bin/sh; collect output. */
static int
run_script(const struct tf_task *t, struct seen *sn)
{
	char			 nonce[RUNNER_NONCE_LEN + 1], chunk[7];
	char			*script;
	struct runner_parser	 p;
	int			 fds[2], status;
	ssize_t			 n;
	pid_t			 pid;

	runner_nonce(nonce);
	script = runner_script(t, nonce, script_deferred);
	cr_assert(pipe(fds) == 0);
	pid = fork();
	cr_assert(pid != -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		/* Only 0-2: a leftover child (a watchdog's sleep that a
		 * quick end raced) must hold neither this pipe nor the test
		 * runner's. */
		closefrom(3);
		execl(script_shell, "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	runner_parser_init(&p, nonce, seen_out, seen_step, sn);
	p.value = seen_value;
	sn->p = &p;
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0)	/* small reads split markers */
		runner_parser_feed(&p, 1, chunk, (size_t)n);
	runner_parser_flush(&p);
	sn->p = NULL;
	sn->timed_out = p.timed_out;
	close(fds[0]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	free(script);
	cr_assert(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

Test(runner, steps_run_in_order_and_stop_at_failure)
{
	struct tf_step	 steps[5] = {
		{ .name = "a", .kind = STEP_SCRIPT, .when = WHEN_ON_SUCCESS,
		  .script = "echo one\necho 'it''s'" },
		{ .name = "b", .kind = STEP_SCRIPT, .when = WHEN_ON_SUCCESS,
		  .script = "false\necho not reached" },
		{ .name = "c", .kind = STEP_SCRIPT, .when = WHEN_ON_SUCCESS,
		  .script = "echo skipped" },
		{ .name = "d", .kind = STEP_SCRIPT, .when = WHEN_ON_FAILURE,
		  .script = "echo cleanup" },
		{ .name = "e", .kind = STEP_SCRIPT, .when = WHEN_ALWAYS,
		  .script = "printf nonl" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 5 };
	struct seen	 sn;
	int		 rc;

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	rc = run_script(&t, &sn);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(sn.out.data, "one\nits\ncleanup\nnonl\n");
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:1 b3:0 e3:0 b4:0 e4:0 ");
	buf_free(&sn.out);
}

Test(runner, cirrus_env_reaches_later_steps)
{
	struct tf_step	 steps[2] = {
		{ .name = "a", .kind = STEP_SCRIPT,
		  .script = "echo \"GREETING=hello world\" >> $CIRRUS_ENV" },
		{ .name = "b", .kind = STEP_SCRIPT, .script = "echo \"$GREETING\"" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 2 };
	struct seen	 sn;

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 0);
	cr_assert_str_eq(sn.out.data, "hello world\n");
	buf_free(&sn.out);
}

Test(runner, parser_reads_timestamps_and_timeout)
{
	struct runner_parser	 p;
	struct seen		 sn;
	const char		*in = "\036stratus:abcd:b:2:1500\n"
	    "\036stratus:abcd:e:2:0:1750\n\036stratus:abcd:t:1800\n";

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	runner_parser_init(&p, "abcd", seen_out, seen_step, &sn);
	cr_assert_eq(p.ts_ms, -1);
	runner_parser_feed(&p, 1, in, strlen(in));
	runner_parser_flush(&p);
	cr_assert_str_eq(sn.steps, "b2:0 e2:0 ");
	cr_assert_eq(p.ts_ms, 1800);
	cr_assert(p.timed_out);
	cr_assert_eq(sn.out.len, 0);
	buf_free(&sn.out);
}

Test(runner, markers_carry_a_clock)
{
	struct tf_step	 steps[1] = {
		{ .name = "a", .kind = STEP_SCRIPT, .script = "sleep 0.3" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 1 };
	struct seen	 sn;

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 0);
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 ");
	cr_assert_geq(sn.ts[1] - sn.ts[0], 250, "step took %lld ms",
	    (long long)(sn.ts[1] - sn.ts[0]));
	cr_assert_lt(sn.ts[1] - sn.ts[0], 2000);
	buf_free(&sn.out);
}

Test(runner, timeout_ends_steps_and_runs_on_timeout)
{
	struct tf_step	 steps[4] = {
		{ .name = "a", .kind = STEP_SCRIPT, .script = "echo start" },
		{ .name = "b", .kind = STEP_SCRIPT,
		  .script = "sleep 30\necho not reached" },
		{ .name = "c", .kind = STEP_SCRIPT, .when = WHEN_ON_TIMEOUT,
		  .script = "echo timed-out-step" },
		{ .name = "d", .kind = STEP_SCRIPT, .when = WHEN_ON_FAILURE,
		  .script = "echo not on failure" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 4,
	    .timeout_s = 1 };
	struct seen	 sn;
	int64_t		 t0 = now_mono_ms();

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 124);
	cr_assert_lt(now_mono_ms() - t0, 5000);
	cr_assert_str_eq(sn.out.data, "start\ntimed-out-step\n");
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:124 b2:0 e2:0 ");
	cr_assert(sn.timed_out);
	buf_free(&sn.out);
}

Test(runner, on_timeout_steps_do_not_run_otherwise)
{
	struct tf_step	 steps[2] = {
		{ .name = "a", .kind = STEP_SCRIPT, .script = "echo fine" },
		{ .name = "c", .kind = STEP_SCRIPT, .when = WHEN_ON_TIMEOUT,
		  .script = "echo timed-out-step" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 2,
	    .timeout_s = 30 };
	struct seen	 sn;
	int64_t		 t0 = now_mono_ms();

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 0);
	cr_assert_lt(now_mono_ms() - t0, 3000, "the watchdog held the runner");
	cr_assert_str_eq(sn.out.data, "fine\n");
	cr_assert(!sn.timed_out);
	buf_free(&sn.out);
}

Test(runner, background_script_runs_beside_later_steps)
{
	struct tf_step	 steps[2] = {
		{ .name = "bg", .kind = STEP_BACKGROUND,
		  .script = "while :; do echo tick >> bg.out; sleep 0.2; done" },
		{ .name = "a", .kind = STEP_SCRIPT,
		  .script = "i=0; while [ ! -s bg.out ] && [ $i -lt 50 ]; do "
		  "sleep 0.1; i=$((i+1)); done; cat bg.out | head -1" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 2 };
	struct seen	 sn;
	char		 dir[] = "/tmp/test_runner.XXXXXX", cwd[4096];

	cr_assert(getcwd(cwd, sizeof cwd) != NULL);
	cr_assert(mkdtemp(dir) != NULL);
	cr_assert(chdir(dir) == 0);
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 0);
	cr_assert_str_eq(sn.out.data, "tick\n");
	unlink("bg.out");
	cr_assert(chdir(cwd) == 0);
	rmdir(dir);
	buf_free(&sn.out);
}

/* Check the file at path holds want, and remove it. */
static void
take_file(const char *path, const char *want)
{
	char	*text;
	size_t	 len;

	text = read_file(path, 4096, &len);
	cr_assert_not_null(text, "%s", path);
	cr_assert_str_eq(text, want);
	unlink(path);
	free(text);
}

Test(runner, file_steps_write_contents_and_variables)
{
	struct tf_step	 steps[3] = {
		{ .name = "c", .kind = STEP_FILE, .file_path = "$SUB/c.txt",
		  .from_contents = "v=$STRATUS_T_V ${STRATUS_T_V} $(echo no) `x`" },
		{ .name = "v", .kind = STEP_FILE, .file_path = "~/v.txt",
		  .variable_name = "STRATUS_T_V" },
		{ .name = "u", .kind = STEP_FILE, .file_path = "u.txt",
		  .variable_name = "STRATUS_T_UNSET" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 3 };
	struct seen	 sn;
	char		 dir[] = "/tmp/test_runner.XXXXXX", path[256];
	char		*home = NULL;

	cr_assert(mkdtemp(dir) != NULL);
	if (getenv("HOME") != NULL)
		home = xstrdup(getenv("HOME"));
	cr_assert(setenv("HOME", dir, 1) == 0);
	cr_assert(setenv("SUB", dir, 1) == 0);
	snprintf(path, sizeof path, "%s/sub dir", dir);
	cr_assert(setenv("SUB", path, 1) == 0);
	cr_assert(setenv("STRATUS_T_V", "it's \"x\"\n", 1) == 0);
	cr_assert(unsetenv("STRATUS_T_UNSET") == 0);
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	/* As Cirrus: an unset variable_name is said and skipped. */
	cr_assert_eq(run_script(&t, &sn), 0);
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:0 b2:0 e2:0 ");
	cr_assert_str_eq(sn.out.data, "stratus: environment variable "
	    "STRATUS_T_UNSET is not set: the file is not written\n");
	cr_assert(access("u.txt", F_OK) != 0);
	snprintf(path, sizeof path, "%s/sub dir/c.txt", dir);
	take_file(path, "v=it's \"x\"\n it's \"x\"\n $(echo no) `x`");
	snprintf(path, sizeof path, "%s/v.txt", dir);
	take_file(path, "it's \"x\"\n");
	snprintf(path, sizeof path, "%s/sub dir", dir);
	rmdir(path);
	rmdir(dir);
	if (home != NULL)
		cr_assert(setenv("HOME", home, 1) == 0);
	free(home);
	buf_free(&sn.out);
}

Test(runner, on_timeout_steps_get_five_more_minutes)
{
	struct tf_step	 steps[2] = {
		{ .name = "a", .kind = STEP_SCRIPT, .when = WHEN_ON_SUCCESS },
		{ .name = "b", .kind = STEP_SCRIPT, .when = WHEN_ON_TIMEOUT },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 1,
			       .timeout_s = 60 };
	int64_t		 timeout_s = 0;

	/* The daemon's backstop: a short grace for the runner's watchdog. */
	cr_assert_eq(executor_budget_ms(&t, &timeout_s), 60 * 1000 + 30000);
	cr_assert_eq(timeout_s, 60);
	t.nsteps = 2;
	cr_assert_eq(executor_budget_ms(&t, NULL), 60 * 1000 + 300000);
	t.timeout_s = 0;
	cr_assert_eq(executor_budget_ms(&t, &timeout_s),
	    TF_DEFAULT_TIMEOUT_S * 1000 + 300000);
	cr_assert_eq(timeout_s, TF_DEFAULT_TIMEOUT_S);
}

Test(runner, upload_caches_steps_only_mark)
{
	char		*names[] = { "a" };
	struct tf_step	 steps[5] = {
		{ .name = "upload_caches", .kind = STEP_UPLOAD_CACHES,
		  .caches = names, .ncaches = 1 },
		{ .name = "f", .kind = STEP_SCRIPT, .script = "false" },
		{ .name = "upload_caches", .kind = STEP_UPLOAD_CACHES,
		  .caches = names, .ncaches = 1 },
		{ .name = "upload_caches", .kind = STEP_UPLOAD_CACHES,
		  .when = WHEN_ON_FAILURE, .caches = names, .ncaches = 1 },
		{ .name = "upload_caches", .kind = STEP_UPLOAD_CACHES,
		  .when = WHEN_ALWAYS },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 5 };
	struct seen	 sn;

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 1);
	/* Reached ones begin and end (0) without output, and fail nothing. */
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:1 b3:0 e3:0 b4:0 e4:0 ");
	cr_assert_eq(sn.out.len, 0);
	buf_free(&sn.out);
}

/* data as the runner reports it: od -An -tx1 lines, then the end. */
static void
env_report(struct buf *b, const char *nonce, const char *data)
{
	size_t	 i, n = strlen(data);

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			buf_printf(b, "\036stratus:%s:v:", nonce);
		buf_printf(b, " %02x", (unsigned char)data[i]);
		if (i % 16 == 15 || i == n - 1)
			buf_addstr(b, "\n");
	}
	buf_printf(b, "\036stratus:%s:V\n", nonce);
}

Test(runner, parser_learns_cirrus_env_values_never_logging_them)
{
	const char	*file = "CIRRUS_ENV_SENSITIVE=true\n"
	    "TOKEN=s3cr3t-value-123\nA=abc\nB= x y 'q' \\ \xc3\xa9\nnoeq\nL=last";
	struct buf	 in;
	size_t		 cut;

	buf_init(&in, 0);
	buf_addstr(&in, "out\npartial");
	env_report(&in, "abcd", file);
	buf_addstr(&in, " line\n\036stratus:abcd:v: zz 41\n"
	    "\036stratus:zzzz:v:41\n\036stratus:abcd:b:0\nend");
	for (cut = 0; cut <= in.len; cut++) {
		struct runner_parser	 p;
		struct seen		 sn;

		memset(&sn, 0, sizeof sn);
		buf_init(&sn.out, 0);
		runner_parser_init(&p, "abcd", seen_out, seen_step, &sn);
		p.value = seen_value;
		runner_parser_feed(&p, 1, in.data, cut);
		runner_parser_feed(&p, 1, in.data + cut, in.len - cut);
		runner_parser_flush(&p);
		/* Neither the report nor a malformed line of it is output
		 * (one with another nonce is the task's own text), nor does
		 * it break a line. */
		cr_assert_str_eq(sn.out.data, "out\npartial line\n"
		    "\036stratus:zzzz:v:41\nend", "cut %zu", cut);
		cr_assert_str_eq(sn.values.data,
		    "s3cr3t-value-123| x y 'q' \\ \xc3\xa9|last|", "cut %zu", cut);
		cr_assert_str_eq(sn.steps, "b0:0 ");
		buf_free(&sn.out);
		buf_free(&sn.values);
	}
	buf_free(&in);
}

Test(runner, parser_drops_a_report_cut_short)
{
	struct runner_parser	 p;
	struct seen		 sn;
	const char		*in = "x\n\036stratus:abcd:v: 41 42 43 44 45";

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	runner_parser_init(&p, "abcd", seen_out, seen_step, &sn);
	p.value = seen_value;
	runner_parser_feed(&p, 1, in, strlen(in));
	cr_assert(p.npending > 0);
	runner_parser_flush(&p);
	cr_assert_str_eq(sn.out.data, "x\n");
	cr_assert_eq(sn.values.len, 0);
	buf_free(&sn.out);
}

/*
 * The runner reports CIRRUS_ENV before each step with CIRRUS_ENV_SENSITIVE
 * true (set by a step through CIRRUS_ENV, or in the environment), under
 * the shells a container may have as /bin/sh.
 */
Test(runner, cirrus_env_sensitive_reports_values_under_each_shell)
{
	const char	*shells[] = { "/bin/sh", "/bin/bash", "/usr/bin/busybox",
	    "/bin/dash" };
	const char	*how[] = { "file", "env", "off" };
	struct tf_step	 steps[2] = {
		{ .name = "a", .kind = STEP_SCRIPT, .script = NULL },
		{ .name = "b", .kind = STEP_SCRIPT,
		  .script = "echo \"[$TOKEN][$ODD]\"" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 2 };
	struct seen	 sn;
	const char	*want;
	size_t		 i, j, ran = 0;

	for (i = 0; i < sizeof shells / sizeof shells[0]; i++) {
		if (access(shells[i], X_OK) != 0)
			continue;
		script_shell = shells[i];
		ran++;
		for (j = 0; j < 3; j++) {
			steps[0].script = j == 0 ?
			    "echo CIRRUS_ENV_SENSITIVE=true >> $CIRRUS_ENV\n"
			    "echo TOKEN=s3cr3t-value-123 >> $CIRRUS_ENV\n"
			    "printf '%s\\n' 'ODD= sp\\q \"x\" \xc3\xa9' "
			    ">> $CIRRUS_ENV\necho S=ab >> $CIRRUS_ENV" :
			    "echo TOKEN=s3cr3t-value-123 >> $CIRRUS_ENV\n"
			    "printf '%s\\n' 'ODD= sp\\q \"x\" \xc3\xa9' "
			    ">> $CIRRUS_ENV\necho S=ab >> $CIRRUS_ENV";
			if (j == 1)
				setenv("CIRRUS_ENV_SENSITIVE", "true", 1);
			else
				unsetenv("CIRRUS_ENV_SENSITIVE");
			memset(&sn, 0, sizeof sn);
			buf_init(&sn.out, 0);
			cr_assert_eq(run_script(&t, &sn), 0, "%s %s",
			    shells[i], how[j]);
			cr_assert_str_eq(sn.out.data,
			    "[s3cr3t-value-123][ sp\\q \"x\" \xc3\xa9]\n",
			    "%s %s", shells[i], how[j]);
			want = j < 2 ? "s3cr3t-value-123| sp\\q \"x\" \xc3\xa9|" :
			    "";
			cr_assert_str_eq(sn.values.data != NULL ?
			    sn.values.data : "", want, "%s %s", shells[i],
			    how[j]);
			cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:0 ");
			buf_free(&sn.out);
			buf_free(&sn.values);
		}
	}
	unsetenv("CIRRUS_ENV_SENSITIVE");
	script_shell = "/bin/sh";
	cr_assert_geq(ran, 2);
}

/* As Cirrus's agent: variables naming others are expanded in the
 * container, in order, with its own (PATH); never as commands. */
Test(runner, deferred_variables_expand_in_the_container)
{
	struct tf_step	 steps[1] = {
		{ .name = "a", .kind = STEP_SCRIPT,
		  .script = "echo \"$B|$P|$C\"" },
	};
	char		*deferred[] = { "B=${STRATUS_T_A}/bar",
	    "P=/opt/bin:$STRATUS_T_A", "C=$(echo no)`echo no`$B", NULL };
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 1 };
	struct seen	 sn;

	cr_assert(setenv("STRATUS_T_A", "foo", 1) == 0);
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	script_deferred = deferred;
	cr_assert_eq(run_script(&t, &sn), 0);
	script_deferred = NULL;
	cr_assert_str_eq(sn.out.data,
	    "foo/bar|/opt/bin:foo|$(echo no)`echo no`foo/bar\n");
	cr_assert(unsetenv("STRATUS_T_A") == 0);
	buf_free(&sn.out);
}

Test(runner, scripts_fail_on_a_failing_pipeline)
{
	struct tf_step	 steps[1] = {
		{ .name = "a", .kind = STEP_SCRIPT,
		  .script = "false | true\necho not reached" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 1 };
	struct seen	 sn;

	if (access("/bin/bash", X_OK) != 0)
		cr_skip_test("no /bin/bash: the host's sh has no pipefail");
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 1);
	cr_assert_eq(sn.out.len, 0, "%s", sn.out.data);
	cr_assert_str_eq(sn.steps, "b0:0 e0:1 ");
	buf_free(&sn.out);
}

/* As Cirrus: after a timeout, the always steps not yet begun run too, in
 * the file's order with the on_timeout ones; those that ran do not again. */
Test(runner, always_steps_run_after_a_timeout)
{
	struct tf_step	 steps[5] = {
		{ .name = "a", .kind = STEP_SCRIPT, .when = WHEN_ALWAYS,
		  .script = "echo early" },
		{ .name = "b", .kind = STEP_SCRIPT, .script = "sleep 30" },
		{ .name = "c", .kind = STEP_SCRIPT, .when = WHEN_ALWAYS,
		  .script = "echo late" },
		{ .name = "d", .kind = STEP_SCRIPT, .when = WHEN_ON_TIMEOUT,
		  .script = "echo timed-out" },
		{ .name = "e", .kind = STEP_SCRIPT, .script = "echo no" },
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 5,
	    .timeout_s = 1 };
	struct seen	 sn;

	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	cr_assert_eq(run_script(&t, &sn), 124);
	cr_assert_str_eq(sn.out.data, "early\nlate\ntimed-out\n");
	cr_assert_str_eq(sn.steps,
	    "b0:0 e0:0 b1:0 e1:124 b2:0 e2:0 b3:0 e3:0 ");
	buf_free(&sn.out);
}

/* The runner's own variables (__*) and IFS are not the task's to set:
 * neither deferred env nor CIRRUS_ENV can replace them. */
Test(runner, runner_variables_are_not_the_tasks)
{
	struct tf_step	 steps[2] = {
		{ .name = "a", .kind = STEP_SCRIPT, .script =
		  "echo '__st=9' >>\"$CIRRUS_ENV\"; echo 'IFS=:' >>\"$CIRRUS_ENV\";"
		  " echo 'Y=2' >>\"$CIRRUS_ENV\"" },
		{ .name = "b", .kind = STEP_SCRIPT,
		  .script = "echo \"[${__d-}|${__st-}|$OK|$Y]\"" },
	};
	char		*deferred[] = { "__d=$STRATUS_T_H", "IFS=$STRATUS_T_H",
	    "OK=$STRATUS_T_H", NULL };
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 2 };
	struct seen	 sn;

	cr_assert(runner_deferrable("OK"));
	cr_assert_not(runner_deferrable("__d"));
	cr_assert_not(runner_deferrable("IFS"));
	cr_assert_not(runner_deferrable("A;B"));
	cr_assert(setenv("STRATUS_T_H", "h", 1) == 0);
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	script_deferred = deferred;
	cr_assert_eq(run_script(&t, &sn), 0);
	script_deferred = NULL;
	cr_assert_str_eq(sn.out.data, "[||h|2]\n");
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:0 ");
	cr_assert(unsetenv("STRATUS_T_H") == 0);
	buf_free(&sn.out);
}
