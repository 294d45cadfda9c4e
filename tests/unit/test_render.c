/* test_render.c -- the run display and step headers fed recorded events. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/display.h"
#include "client/render.h"

/* A job of tasks given as "name:state:duration_ms:exit_code:failed_step". */
static cJSON *
job(const char *const *tasks, size_t n)
{
	cJSON	*j, *arr, *t, *steps, *s;
	char	 name[64], state[32], step[64];
	int	 ms, code;
	size_t	 i;

	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", 7);
	arr = cJSON_AddArrayToObject(j, "tasks");
	for (i = 0; i < n; i++) {
		step[0] = '\0';
		cr_assert(sscanf(tasks[i], "%63[^:]:%31[^:]:%d:%d:%63s", name,
		    state, &ms, &code, step) >= 4);
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", name);
		cJSON_AddStringToObject(t, "state", state);
		if (strcmp(state, "queued") != 0) {
			cJSON_AddStringToObject(t, "started_at",
			    "2024-01-01T00:00:00Z");
			cJSON_AddNumberToObject(t, "duration_ms", ms);
		}
		if (code >= 0)
			cJSON_AddNumberToObject(t, "exit_code", code);
		else
			cJSON_AddNullToObject(t, "exit_code");
		steps = cJSON_AddArrayToObject(t, "steps");
		if (step[0] != '\0') {
			s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", "setup_script");
			cJSON_AddStringToObject(s, "state", "succeeded");
			cJSON_AddItemToArray(steps, s);
			s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", step);
			cJSON_AddStringToObject(s, "state", "failed");
			cJSON_AddItemToArray(steps, s);
		}
		cJSON_AddItemToArray(arr, t);
	}
	return (j);
}

static void
marker(struct display *d, const char *task, const char *json)
{
	cJSON	*m = cJSON_Parse(json);

	cr_assert_not_null(m);
	display_step(d, task, m);
	cJSON_Delete(m);
}

static void
line(struct display *d, const char *task, const char *text)
{
	display_line(d, task, text, strlen(text));
}

/* The same recorded run, whatever the mode. */
static void
replay(struct display *d)
{
	static const char *const q[] = { "build:queued:0:-1",
	    "lint:queued:0:-1" };
	static const char *const r[] = { "build:running:100:-1",
	    "lint:running:50:-1" };
	static const char *const e[] = { "build:succeeded:1500:0",
	    "lint:failed:2300:2:lint_script" };
	cJSON	*j;

	j = job(q, 2);
	display_job(d, j, 0);
	cJSON_Delete(j);
	j = job(r, 2);
	display_job(d, j, 1000);
	cJSON_Delete(j);
	marker(d, "build", "{\"event\":\"begin\",\"step\":\"build_script\"}");
	line(d, "build", "compiling");
	line(d, "lint", "\033[31mbad style\033[0m");
	marker(d, "build", "{\"event\":\"end\",\"step\":\"build_script\","
	    "\"exit_code\":0,\"duration_ms\":1200}");
	display_draw(d, 1250);
	j = job(e, 2);
	display_end(d, j, 3000);
	cJSON_Delete(j);
}

Test(render, step_headers)
{
	char	 out[128];
	cJSON	*m;

	m = cJSON_Parse("{\"event\":\"begin\",\"step\":\"build_script\"}");
	render_step_header(m, out, sizeof out);
	cr_assert_str_eq(out, "--- build_script");
	cJSON_Delete(m);
	m = cJSON_Parse("{\"event\":\"end\",\"step\":\"build_script\","
	    "\"exit_code\":0,\"duration_ms\":1234}");
	render_step_header(m, out, sizeof out);
	cr_assert_str_eq(out, "--- build_script succeeded in 1.2s");
	cJSON_Delete(m);
	m = cJSON_Parse("{\"event\":\"end\",\"step\":\"test\","
	    "\"exit_code\":3,\"duration_ms\":61000}");
	render_step_header(m, out, sizeof out);
	cr_assert_str_eq(out, "--- test failed in 1m01s (exit code 3)");
	cJSON_Delete(m);
}

Test(render, simple, .init = cr_redirect_stdout)
{
	struct display	*d = display_new(DISPLAY_SIMPLE, 0, 80);

	replay(d);
	display_free(d);
	fflush(stdout);
	cr_assert_stdout_eq_str(
	    "Started 'build'\n"
	    "Started 'lint'\n"
	    "build | --- build_script\n"
	    "build | compiling\n"
	    "lint | \033[31mbad style\033[0m\n"
	    "build | --- build_script succeeded in 1.2s\n"
	    "'build' succeeded in 1.5s\n"
	    "'lint' failed in 2.3s (exit code 2)\n");
}

Test(render, github_actions, .init = cr_redirect_stdout)
{
	struct display	*d = display_new(DISPLAY_GITHUB, 0, 80);

	replay(d);
	display_free(d);
	fflush(stdout);
	cr_assert_stdout_eq_str(
	    "::group::build\n"
	    "--- build_script\n"
	    "compiling\n"
	    "--- build_script succeeded in 1.2s\n"
	    "::endgroup::\n"
	    "'build' succeeded in 1.5s\n"
	    "::group::lint\n"
	    "\033[31mbad style\033[0m\n"
	    "::endgroup::\n"
	    "'lint' failed in 2.3s (exit code 2)\n"
	    "::error title=lint::task 'lint' failed in step lint_script\n");
}

Test(render, tty, .init = cr_redirect_stdout)
{
	struct display	*d = display_new(DISPLAY_TTY, 0, 80);

	replay(d);
	display_free(d);
	fflush(stdout);
	cr_assert_stdout_eq_str(
	    /* the redraw at 1250 ms: spinner, elapsed, last lines */
	    "\033[K| build running    0.3s\n"
	    "\033[K    --- build_script\n"
	    "\033[K    compiling\n"
	    "\033[K    --- build_script succeeded in 1.2s\n"
	    "\033[K| lint  running    0.3s\n"
	    "\033[K    bad style\n"
	    /* the final screen over it */
	    "\033[6F"
	    "\033[K+ build succeeded  1.5s\n"
	    "\033[Kx lint  failed     2.3s\n"
	    "\033[J"
	    "\n'lint' failed in 2.3s (exit code 2)\n"
	    "in step 'lint_script'\n"
	    "    bad style\n");
}
