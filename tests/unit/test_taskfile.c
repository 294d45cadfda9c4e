/* test_taskfile.c -- unit tests of the .cirrus.yml parser and its JSON. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

/* Parse text that must be valid; the caller frees with taskfile_free. */
static struct taskfile *
ok_ctx(const char *text, const struct tf_context *ctx)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		 msg[1024];

	if (taskfile_parse("t.yml", text, strlen(text), ctx, &tf,
	    &err) != 0) {
		tf_error_format(&err, msg, sizeof msg);
		cr_assert_fail("unexpected error: %s", msg);
	}
	cr_assert_not_null(tf);
	return tf;
}

static struct taskfile *
ok(const char *text)
{
	return ok_ctx(text, NULL);
}

/* Parse text that must fail; returns "file:line:column: message". */
static char *
bad_ctx(const char *text, const struct tf_context *ctx)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		 msg[1024];

	cr_assert_eq(taskfile_parse("t.yml", text, strlen(text), ctx, &tf,
	    &err), -1, "parse succeeded: %s", text);
	cr_assert_null(tf);
	tf_error_format(&err, msg, sizeof msg);
	return xstrdup(msg);
}

static char *
bad(const char *text)
{
	return bad_ctx(text, NULL);
}

static void
expect_error(const char *text, const char *want)
{
	char	*got = bad(text);

	cr_assert_str_eq(got, want);
	free(got);
}

static struct taskfile *
fixture(const char *name)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		*path, *text, msg[1024];
	size_t		 len;

	path = xasprintf("%s/%s", FIXTURES, name);
	text = read_file(path, 1 << 20, &len);
	cr_assert_not_null(text, "cannot read %s", path);
	if (taskfile_parse(name, text, len, NULL, &tf, &err) != 0) {
		tf_error_format(&err, msg, sizeof msg);
		cr_assert_fail("%s", msg);
	}
	free(text);
	free(path);
	return tf;
}

static struct tf_task *
task(const struct taskfile *tf, const char *name)
{
	struct tf_task	*t = taskfile_find(tf, name);

	cr_assert_not_null(t, "no task '%s'", name);
	return t;
}

/* ---- 1. the minimum ---- */

Test(minimum, named_task_key)
{
	struct taskfile	*tf = ok("build_task:\n"
	    "  container:\n"
	    "    image: alpine:3.19\n"
	    "  build_script: make\n");
	struct tf_task	*t;

	cr_assert_eq(tf->ntasks, 1);
	t = &tf->tasks[0];
	cr_assert_str_eq(t->name, "build");
	cr_assert_str_eq(t->image, "alpine:3.19");
	cr_assert_str_eq(t->instance, "container");
	cr_assert_null(t->alias);
	cr_assert_eq(t->nsteps, 1);
	cr_assert_str_eq(t->steps[0].name, "build");
	cr_assert_eq(t->steps[0].kind, STEP_SCRIPT);
	cr_assert_eq(t->steps[0].when, WHEN_ON_SUCCESS);
	cr_assert_str_eq(t->steps[0].script, "make");
	cr_assert_eq(t->steps[0].line, 4);
	cr_assert_eq(t->steps[0].column, 3);
	cr_assert_eq(t->line, 1);
	cr_assert_eq(t->column, 1);
	cr_assert_eq(t->timeout_s, TF_DEFAULT_TIMEOUT_S);
	cr_assert_eq(t->allow_failures, 0);
	cr_assert_null(t->skip_reason);
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

Test(minimum, task_key_with_name)
{
	struct taskfile	*tf = ok("container:\n  image: a\n"
	    "task:\n  name: Unit tests\n  script: make check\n"
	    "task:\n  script: true\n"
	    "lint_task:\n  name: Lint it\n  script: lint\n");

	cr_assert_eq(tf->ntasks, 3);
	cr_assert_str_eq(tf->tasks[0].name, "Unit tests");
	cr_assert_str_eq(tf->tasks[1].name, "main");
	cr_assert_str_eq(tf->tasks[2].name, "Lint it");
	cr_assert_str_eq(tf->tasks[1].steps[0].name, "main");
	taskfile_free(tf);
}

Test(minimum, top_level_container_inherited)
{
	struct taskfile	*tf = ok("container:\n  image: debian:12\n"
	    "a_task:\n  script: x\n"
	    "b_task:\n  container:\n    image: alpine\n  script: y\n");

	cr_assert_str_eq(task(tf, "a")->image, "debian:12");
	cr_assert_str_eq(task(tf, "b")->image, "alpine");
	taskfile_free(tf);
}

Test(minimum, env_top_level_then_task_overrides)
{
	struct taskfile	*tf = ok("env:\n  A: top\n  B: top\n"
	    "environment:\n  C: 3\n"
	    "t_task:\n  container: {image: x}\n"
	    "  env:\n    B: task\n    D: true\n    E: 1.50\n    F:\n"
	    "  script: x\n");
	struct tf_task	*t = task(tf, "t");

	cr_assert_eq(t->env.n, 6);
	cr_assert_str_eq(t->env.v[0].key, "A");
	cr_assert_str_eq(t->env.v[0].value, "top");
	cr_assert_str_eq(t->env.v[1].key, "B");
	cr_assert_str_eq(t->env.v[1].value, "task");
	cr_assert_str_eq(tf_env_get(&t->env, "C"), "3");
	cr_assert_str_eq(tf_env_get(&t->env, "D"), "true");
	cr_assert_str_eq(tf_env_get(&t->env, "E"), "1.50");
	cr_assert_str_eq(tf_env_get(&t->env, "F"), "");
	cr_assert_null(tf_env_get(&t->env, "G"));
	taskfile_free(tf);
}

Test(minimum, script_list_joined_in_order)
{
	struct taskfile	*tf = ok("t_task:\n  container: {image: x}\n"
	    "  a_script:\n    - one\n    - two\n    - 3\n"
	    "  b_script: |\n    multi\n    line\n"
	    "  script: last\n");
	struct tf_task	*t = task(tf, "t");

	cr_assert_eq(t->nsteps, 3);
	cr_assert_str_eq(t->steps[0].name, "a");
	cr_assert_str_eq(t->steps[0].script, "one\ntwo\n3");
	cr_assert_str_eq(t->steps[1].name, "b");
	cr_assert_str_eq(t->steps[1].script, "multi\nline\n");
	cr_assert_str_eq(t->steps[2].name, "main");
	cr_assert_str_eq(t->steps[2].script, "last");
	taskfile_free(tf);
}

Test(minimum, no_image_is_an_error)
{
	expect_error("env:\n  A: 1\n\nbuild_task:\n  script: make\n",
	    "t.yml:4:1: task 'build' has no container image");
}

Test(minimum, container_without_image_is_an_error)
{
	expect_error("task:\n  name: x\n  container:\n    cpu: 2\n"
	    "  script: make\n", "t.yml:1:1: task 'x' has no container image");
}

Test(minimum, yaml_syntax_error_position)
{
	expect_error("a_task:\n  script: [x\n",
	    "t.yml:3:1: did not find expected ',' or ']'");
	expect_error("a_task:\n  script: x\n y: z\n",
	    "t.yml:3:2: did not find expected key");
}

Test(minimum, yaml_tab_error)
{
	char	*e = bad("a_task:\n\tscript: x\n");

	cr_assert(strncmp(e, "t.yml:2:1: ", 11) == 0, "%s", e);
	free(e);
}

Test(minimum, empty_file)
{
	expect_error("", "t.yml:1:1: no tasks found");
	expect_error("# only a comment\n", "t.yml:1:1: no tasks found");
	expect_error("env:\n  A: 1\n", "t.yml:1:1: no tasks found");
}

Test(minimum, top_level_not_mapping)
{
	expect_error("- a\n- b\n", "t.yml:1:1: expected a mapping of tasks");
	expect_error("just text\n", "t.yml:1:1: expected a mapping of tasks");
}

Test(minimum, task_not_mapping)
{
	expect_error("container:\n  image: x\nbuild_task: make\n",
	    "t.yml:3:13: task 'build_task' must be a mapping");
	expect_error("container:\n  image: x\nbuild_task:\n",
	    "t.yml:3:1: task 'build_task' must be a mapping");
	expect_error("build_task:\n  - a\n",
	    "t.yml:2:3: task 'build_task' must be a mapping");
}

Test(minimum, env_not_mapping)
{
	expect_error("t_task:\n  container: {image: x}\n  env: [A]\n",
	    "t.yml:3:9: env must be a mapping or a list of mappings");
	expect_error("t_task:\n  container: {image: x}\n  env: 1\n",
	    "t.yml:3:8: env must be a mapping or a list of mappings");
	expect_error("t_task:\n  container: {image: x}\n  env:\n"
	    "    A: {b: 1}\n",
	    "t.yml:4:8: value of 'A' must be a string or a list of strings");
}

/* As Cirrus: env: as a list of mappings, and list values as lines. */
Test(minimum, env_list_of_mappings)
{
	struct taskfile	*tf = ok("env:\n  - A: top\n  - B: top\n"
	    "container: {image: x}\n"
	    "t_task:\n  env:\n    - B: own\n    - L: [x, y]\n"
	    "  matrix:\n    - env:\n        - V: 1\n    - env:\n"
	    "        - V: 2\n  script: x\n");
	const struct tf_task	*t = &tf->tasks[0];

	cr_assert_eq(tf->ntasks, 2);
	cr_assert_str_eq(tf_env_get(&t->env, "A"), "top");
	cr_assert_str_eq(tf_env_get(&t->env, "B"), "own");
	cr_assert_str_eq(tf_env_get(&t->env, "L"), "x\ny");
	cr_assert_str_eq(tf_env_get(&t->env, "V"), "1");
	cr_assert_str_eq(tf_env_get(&tf->tasks[1].env, "V"), "2");
	taskfile_free(tf);
}

Test(minimum, container_not_mapping)
{
	expect_error("t_task:\n  container: alpine\n  script: x\n",
	    "t.yml:2:14: container must be a mapping");
}

Test(minimum, script_bad_type)
{
	expect_error("t_task:\n  container: {image: x}\n  a_script: {b: c}\n",
	    "t.yml:3:13: a_script must be a string or a list of strings");
}

Test(minimum, crlf_fixture)
{
	struct taskfile	*tf = fixture("crlf.yml");
	struct tf_task	*t = task(tf, "build");

	cr_assert_str_eq(t->image, "alpine:3.19");
	cr_assert_str_eq(tf_env_get(&t->env, "A"), "1");
	cr_assert_str_eq(t->steps[0].script, "make\nmake check");
	cr_assert_eq(t->line, 4);
	taskfile_free(tf);
}

Test(minimum, no_final_newline_fixture)
{
	struct taskfile	*tf = fixture("nofinalnewline.yml");
	struct tf_task	*t = task(tf, "lint");

	cr_assert_str_eq(t->image, "debian:12");
	cr_assert_str_eq(t->steps[0].script, "make lint");
	taskfile_free(tf);
}

Test(minimum, syntax_error_fixture)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		*text, msg[512];
	size_t		 len;

	text = read_file(FIXTURES "/syntax_error.yml", 1 << 20, &len);
	cr_assert_not_null(text);
	cr_assert_eq(taskfile_parse("syntax_error.yml", text, len, NULL, &tf,
	    &err), -1);
	tf_error_format(&err, msg, sizeof msg);
	cr_assert_str_eq(msg, "syntax_error.yml:4:9: did not find expected "
	    "',' or ']'");
	free(text);
}

Test(minimum, not_nul_terminated)
{
	const char	 text[] = "a_task:\n  container: {image: x}\n"
	    "  script: yes\nGARBAGE";
	struct taskfile	*tf = NULL;
	struct tf_error	 err;

	cr_assert_eq(taskfile_parse("t.yml", text, strlen(text) - 7, NULL,
	    &tf, &err), 0, "%s", err.message);
	cr_assert_str_eq(tf->tasks[0].steps[0].script, "yes");
	taskfile_free(tf);
}

Test(minimum, too_large)
{
	char	*big, *e;
	size_t	 n = (1u << 20) + 1;

	big = xmalloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	e = bad(big);
	cr_assert_str_eq(e, "t.yml: task file larger than 1048576 bytes");
	free(e);
	free(big);
}

Test(minimum, error_format_without_position)
{
	struct tf_error	e;
	char		out[64];

	memset(&e, 0, sizeof e);
	strcpy(e.file, "f");
	strcpy(e.message, "m");
	tf_error_format(&e, out, sizeof out);
	cr_assert_str_eq(out, "f: m");
	e.line = 2;
	e.column = 3;
	tf_error_format(&e, out, sizeof out);
	cr_assert_str_eq(out, "f:2:3: m");
}

Test(helpers, names)
{
	cr_assert_str_eq(tf_step_kind_name(STEP_SCRIPT), "script");
	cr_assert_str_eq(tf_step_kind_name(STEP_BACKGROUND),
	    "background_script");
	cr_assert_str_eq(tf_step_kind_name(STEP_CACHE), "cache");
	cr_assert_str_eq(tf_step_kind_name(STEP_ARTIFACTS), "artifacts");
	cr_assert_str_eq(tf_step_kind_name(STEP_FILE), "file");
	cr_assert_str_eq(tf_step_kind_name(STEP_UPLOAD_CACHES),
	    "upload_caches");
	cr_assert_str_eq(tf_when_name(WHEN_ON_SUCCESS), "on_success");
	cr_assert_str_eq(tf_when_name(WHEN_ON_FAILURE), "on_failure");
	cr_assert_str_eq(tf_when_name(WHEN_ALWAYS), "always");
	cr_assert_str_eq(tf_when_name(WHEN_ON_TIMEOUT), "on_timeout");
}

Test(helpers, env_set_replaces_in_place)
{
	struct tf_env	env = { NULL, 0 };

	tf_env_set(&env, "A", "1");
	tf_env_set(&env, "B", "2");
	tf_env_set(&env, "A", "3");
	cr_assert_eq(env.n, 2);
	cr_assert_str_eq(env.v[0].key, "A");
	cr_assert_str_eq(env.v[0].value, "3");
	cr_assert_str_eq(tf_env_get(&env, "B"), "2");
	tf_env_free(&env);
	cr_assert_eq(env.n, 0);
	cr_assert_null(env.v);
}

/* ---- 2. duplicates, anchors, merges ---- */

Test(yaml, duplicate_keys_kept_in_order)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "task:\n  name: one\n  script: 1\n"
	    "task:\n  name: two\n  script: 2\n"
	    "three_task:\n  env:\n    A: 1\n  env:\n    B: 2\n"
	    "  always:\n    a_script: a\n  always:\n    b_script: b\n");
	struct tf_task	*t;

	cr_assert_eq(tf->ntasks, 3);
	cr_assert_str_eq(tf->tasks[0].name, "one");
	cr_assert_str_eq(tf->tasks[1].name, "two");
	t = task(tf, "three");
	cr_assert_str_eq(tf_env_get(&t->env, "A"), "1");
	cr_assert_str_eq(tf_env_get(&t->env, "B"), "2");
	cr_assert_eq(t->nsteps, 2);
	cr_assert_str_eq(t->steps[0].name, "a");
	cr_assert_eq(t->steps[0].when, WHEN_ALWAYS);
	cr_assert_str_eq(t->steps[1].name, "b");
	cr_assert_eq(t->steps[1].when, WHEN_ALWAYS);
	taskfile_free(tf);
}

Test(yaml, anchors_and_aliases)
{
	struct taskfile	*tf = ok("img: &img debian:12\n"
	    "a_task:\n  container:\n    image: *img\n  script: &s [x, y]\n"
	    "b_task:\n  container: {image: *img}\n  script: *s\n");

	cr_assert_str_eq(task(tf, "a")->image, "debian:12");
	cr_assert_str_eq(task(tf, "b")->image, "debian:12");
	cr_assert_str_eq(task(tf, "b")->steps[0].script, "x\ny");
	/* img: is a template, aliased below: not an unknown key. */
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

Test(yaml, merge_key)
{
	struct taskfile	*tf = ok("tmpl: &tmpl\n"
	    "  container:\n    image: base\n  env:\n    A: tmpl\n"
	    "  timeout_in: 5m\n"
	    "a_task:\n  <<: *tmpl\n  env:\n    A: own\n  script: x\n");
	struct tf_task	*t = task(tf, "a");

	cr_assert_str_eq(t->image, "base");
	cr_assert_eq(t->timeout_s, 300);
	cr_assert_str_eq(tf_env_get(&t->env, "A"), "own");
	cr_assert_eq(t->env.n, 1);
	taskfile_free(tf);
}

Test(yaml, merge_key_list_first_wins)
{
	struct taskfile	*tf = ok("a: &a\n  container: {image: from_a}\n"
	    "b: &b\n  container: {image: from_b}\n  timeout_in: 2m\n"
	    "x_task:\n  <<: [*a, *b]\n  script: x\n");
	struct tf_task	*t = task(tf, "x");

	cr_assert_str_eq(t->image, "from_a");
	cr_assert_eq(t->timeout_s, 120);
	taskfile_free(tf);
}

Test(yaml, merge_bad_value)
{
	expect_error("x_task:\n  <<: 3\n",
	    "t.yml:2:7: merge key '<<' needs a mapping or a list of mappings");
}

Test(yaml, undefined_alias)
{
	expect_error("x_task:\n  container: *nope\n",
	    "t.yml:2:14: found undefined alias");
}

Test(yaml, billion_laughs_is_capped)
{
	char	*e = bad("a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n");

	cr_assert(strstr(e, "document too large") != NULL, "%s", e);
	free(e);
}

Test(yaml, nesting_is_capped)
{
	struct buf	b;
	char		*e;
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "[");
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "]");
	e = bad(b.data);
	cr_assert(strstr(e, "nesting deeper than 64 levels") != NULL, "%s", e);
	free(e);
	buf_free(&b);
}

Test(yaml, recursive_alias_is_capped)
{
	char	*e = bad("a: &a\n  b: *a\n");

	cr_assert(strstr(e, "nesting deeper") != NULL ||
	    strstr(e, "undefined alias") != NULL, "%s", e);
	free(e);
}

/* ---- 3. dependencies and task settings ---- */

static const char deps_yml[] =
    "container:\n  image: x\n"
    "build_task:\n  alias: compile\n  script: make\n"
    "lint_task:\n  script: lint\n"
    "test_task:\n  depends_on:\n    - compile\n    - lint\n  script: t\n"
    "deploy_task:\n  depends_on: test\n  script: d\n";

Test(deps, by_name_and_alias)
{
	struct taskfile	*tf = ok(deps_yml);
	struct tf_task	*t = task(tf, "test");

	cr_assert_str_eq(task(tf, "build")->alias, "compile");
	cr_assert_eq(t->ndepends, 2);
	cr_assert_str_eq(t->depends_on[0], "build");
	cr_assert_str_eq(t->depends_on[1], "lint");
	t = task(tf, "deploy");
	cr_assert_eq(t->ndepends, 1);
	cr_assert_str_eq(t->depends_on[0], "test");
	cr_assert_eq(task(tf, "build")->ndepends, 0);
	taskfile_free(tf);
}

Test(deps, unknown_name)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  script: x\n"
	    "b_task:\n  depends_on:\n    - a\n    - nope\n  script: y\n",
	    "t.yml:8:7: task 'b' depends on unknown task 'nope'");
}

Test(deps, cycle)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  depends_on: c\n  script: x\n"
	    "b_task:\n  depends_on: a\n  script: x\n"
	    "c_task:\n  depends_on: [b]\n  script: x\n",
	    "t.yml:7:15: dependency cycle: a -> c -> b -> a");
}

Test(deps, self)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  depends_on: a\n  script: x\n",
	    "t.yml:4:15: dependency cycle: a -> a");
}

Test(deps, bad_type)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  depends_on: {a: b}\n  script: x\n",
	    "t.yml:4:15: depends_on must be a string or a list of strings");
}

Test(settings, allow_failures)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "a_task:\n  allow_failures: true\n  script: x\n"
	    "b_task:\n  allow_failures: \"false\"\n  script: x\n"
	    "c_task:\n  allow_failures: $X == 'y'\n  env:\n    X: y\n"
	    "  script: x\n");

	cr_assert_eq(task(tf, "a")->allow_failures, 1);
	cr_assert_eq(task(tf, "b")->allow_failures, 0);
	cr_assert_eq(task(tf, "c")->allow_failures, 1);
	taskfile_free(tf);
}

Test(settings, timeout_in)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "a_task:\n  timeout_in: 30s\n  script: x\n"
	    "b_task:\n  timeout_in: 5m\n  script: x\n"
	    "c_task:\n  timeout_in: 2h\n  script: x\n"
	    "d_task:\n  timeout_in: 90\n  script: x\n"
	    "e_task:\n  timeout_in: 1h30m\n  script: x\n");

	cr_assert_eq(task(tf, "a")->timeout_s, 30);
	cr_assert_eq(task(tf, "b")->timeout_s, 300);
	cr_assert_eq(task(tf, "c")->timeout_s, 7200);
	cr_assert_eq(task(tf, "d")->timeout_s, 5400);
	cr_assert_eq(task(tf, "e")->timeout_s, 5400);
	taskfile_free(tf);
}

Test(settings, bad_timeout)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  timeout_in: 5 minutes\n  script: x\n",
	    "t.yml:4:15: invalid timeout_in '5 minutes'");
	expect_error("container:\n  image: x\n"
	    "a_task:\n  timeout_in: 0\n  script: x\n",
	    "t.yml:4:15: invalid timeout_in '0'");
	expect_error("container:\n  image: x\n"
	    "a_task:\n  timeout_in: -5m\n  script: x\n",
	    "t.yml:4:15: invalid timeout_in '-5m'");
}

Test(settings, container_resources)
{
	struct taskfile	*tf = ok(
	    "a_task:\n  container:\n    image: x\n    cpu: 0.5\n"
	    "    memory: 512Mi\n    dockerfile: ci/Dockerfile\n"
	    "    docker_arguments:\n      A: 1\n      B: two\n"
	    "    additional_containers:\n      - name: db\n"
	    "        image: mysql\n  script: x\n"
	    "b_task:\n  container:\n    image: x\n    cpu: 4\n"
	    "    memory: 4G\n  script: x\n"
	    "c_task:\n  container:\n    image: x\n    memory: 2048\n"
	    "  script: x\n");
	struct tf_task	*t = task(tf, "a");

	cr_assert_float_eq(t->cpu, 0.5, 1e-9);
	cr_assert_eq(t->memory_mb, 512);
	cr_assert_str_eq(t->dockerfile, "ci/Dockerfile");
	cr_assert_eq(t->ndocker_arguments, 2);
	cr_assert_str_eq(t->docker_arguments[0], "A=1");
	cr_assert_str_eq(t->docker_arguments[1], "B=two");
	cr_assert_eq(task(tf, "b")->memory_mb, 4096);
	cr_assert_float_eq(task(tf, "b")->cpu, 4.0, 1e-9);
	cr_assert_eq(task(tf, "c")->memory_mb, 2048);
	cr_assert_eq(t->nsidecars, 1);
	cr_assert_str_eq(t->sidecars[0].image, "mysql");
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

Test(settings, bad_memory_and_cpu)
{
	expect_error("a_task:\n  container:\n    image: x\n    memory: lots\n",
	    "t.yml:4:13: invalid memory 'lots'");
	expect_error("a_task:\n  container:\n    image: x\n    cpu: -1\n",
	    "t.yml:4:10: invalid cpu '-1'");
}

Test(settings, dockerfile_without_image_is_fine)
{
	struct taskfile	*tf = ok("a_task:\n  container:\n"
	    "    dockerfile: Dockerfile\n  script: x\n");

	cr_assert_null(task(tf, "a")->image);
	cr_assert_str_eq(task(tf, "a")->dockerfile, "Dockerfile");
	taskfile_free(tf);
}

/* ---- 4. other instance types ---- */

Test(instances, unsupported_instance_skipped)
{
	struct taskfile	*tf = ok("mac_task:\n  macos_instance:\n"
	    "    image: ghcr.io/cirruslabs/macos\n  script: x\n"
	    "bsd_task:\n  freebsd_instance: {image_family: f}\n  script: x\n"
	    "w_task:\n  windows_container: {image: w}\n  script: x\n"
	    "pw_task:\n  persistent_worker: {}\n  script: x\n");

	cr_assert_str_eq(task(tf, "mac")->instance, "macos_instance");
	cr_assert_str_eq(task(tf, "mac")->skip_reason,
	    "unsupported instance type macos_instance");
	cr_assert_null(task(tf, "mac")->image);
	cr_assert_str_eq(task(tf, "bsd")->skip_reason,
	    "unsupported instance type freebsd_instance");
	cr_assert_str_eq(task(tf, "w")->skip_reason,
	    "unsupported instance type windows_container");
	cr_assert_str_eq(task(tf, "pw")->instance, "persistent_worker");
	taskfile_free(tf);
}

Test(instances, top_level_instance_inherited)
{
	struct taskfile	*tf = ok("gce_instance:\n  image_project: p\n"
	    "a_task:\n  script: x\n"
	    "b_task:\n  container: {image: i}\n  script: x\n");

	cr_assert_str_eq(task(tf, "a")->instance, "gce_instance");
	cr_assert_str_eq(task(tf, "a")->skip_reason,
	    "unsupported instance type gce_instance");
	cr_assert_null(task(tf, "b")->skip_reason);
	taskfile_free(tf);
}

Test(instances, docker_builder_and_pipe)
{
	struct taskfile	*tf = ok("docker_builder:\n  script: docker build .\n"
	    "img_docker_builder:\n  script: x\n"
	    "p_pipe:\n  steps:\n    - image: a\n      script: x\n");

	cr_assert_eq(tf->ntasks, 3);
	cr_assert_str_eq(tf->tasks[0].name, "main");
	cr_assert_str_eq(tf->tasks[0].skip_reason,
	    "unsupported: docker_builder");
	cr_assert_str_eq(task(tf, "img")->skip_reason,
	    "unsupported: docker_builder");
	cr_assert_str_eq(task(tf, "p")->skip_reason, "unsupported: pipe");
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

/* ---- 5. instructions ---- */

Test(steps, all_kinds_in_order)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  node_modules_cache:\n    folder: node_modules\n"
	    "    fingerprint_script: cat package.json\n"
	    "    fingerprint_key: k1\n"
	    "    populate_script: npm ci\n"
	    "    reupload_on_changes: true\n"
	    "  db_background_script: run-db\n"
	    "  test_script: npm test\n"
	    "  junit_artifacts:\n    paths: [\"a/*.xml\", b.xml]\n"
	    "    type: text/xml\n    format: junit\n"
	    "  creds_file:\n    path: /tmp/c.json\n    variable_name: CREDS\n"
	    "  on_failure:\n    logs_artifacts:\n      path: \"*.log\"\n"
	    "  on_timeout:\n    dump_script: ps\n"
	    "  on_success:\n    ok_script: echo ok\n");
	struct tf_task	*t = task(tf, "a");
	struct tf_step	*s = t->steps;

	cr_assert_eq(t->nsteps, 8);
	cr_assert_str_eq(s[0].name, "node_modules");
	cr_assert_eq(s[0].kind, STEP_CACHE);
	cr_assert_eq(s[0].npaths, 1);
	cr_assert_str_eq(s[0].paths[0], "node_modules");
	cr_assert_str_eq(s[0].fingerprint_script, "cat package.json");
	cr_assert_str_eq(s[0].fingerprint_key, "k1");
	cr_assert_str_eq(s[0].populate_script, "npm ci");
	cr_assert_eq(s[0].reupload_on_changes, 1);
	cr_assert_str_eq(s[1].name, "db");
	cr_assert_eq(s[1].kind, STEP_BACKGROUND);
	cr_assert_str_eq(s[1].script, "run-db");
	cr_assert_str_eq(s[2].name, "test");
	cr_assert_eq(s[2].kind, STEP_SCRIPT);
	cr_assert_str_eq(s[3].name, "junit");
	cr_assert_eq(s[3].kind, STEP_ARTIFACTS);
	cr_assert_eq(s[3].npaths, 2);
	cr_assert_str_eq(s[3].paths[0], "a/*.xml");
	cr_assert_str_eq(s[3].paths[1], "b.xml");
	cr_assert_str_eq(s[3].artifact_type, "text/xml");
	cr_assert_str_eq(s[3].artifact_format, "junit");
	cr_assert_str_eq(s[4].name, "creds");
	cr_assert_eq(s[4].kind, STEP_FILE);
	cr_assert_str_eq(s[4].file_path, "/tmp/c.json");
	cr_assert_str_eq(s[4].variable_name, "CREDS");
	cr_assert_str_eq(s[5].name, "logs");
	cr_assert_eq(s[5].when, WHEN_ON_FAILURE);
	cr_assert_eq(s[5].kind, STEP_ARTIFACTS);
	cr_assert_str_eq(s[6].name, "dump");
	cr_assert_eq(s[6].when, WHEN_ON_TIMEOUT);
	cr_assert_str_eq(s[7].name, "ok");
	cr_assert_eq(s[7].when, WHEN_ON_SUCCESS);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(s[i].when, WHEN_ON_SUCCESS);
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

Test(steps, unknown_keys_warn)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  bogus: 1\n  script: x\n  always:\n    nope: 2\n");

	cr_assert_eq(tf->ntasks, 1);
	cr_assert_eq(tf->nwarnings, 2);
	cr_assert_str_eq(tf->warnings[0], "t.yml:3:3: unknown key 'bogus' "
	    "ignored");
	cr_assert_str_eq(tf->warnings[1], "t.yml:6:5: unknown key 'nope' "
	    "ignored");
	taskfile_free(tf);
}

Test(steps, cache_without_folder)
{
	expect_error("a_task:\n  container: {image: x}\n"
	    "  c_cache:\n    fingerprint_key: k\n",
	    "t.yml:4:5: cache 'c' has no folder");
}

Test(steps, block_not_mapping)
{
	expect_error("a_task:\n  container: {image: x}\n  always: [x]\n",
	    "t.yml:3:11: always must be a mapping");
}

/* ---- 6. matrix ---- */

Test(matrix, env_list_form_names)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "test_task:\n  env:\n    COMMON: c\n    matrix:\n"
	    "      - VERSION: 1\n      - VERSION: 2\n  script: t\n");

	cr_assert_eq(tf->ntasks, 2);
	cr_assert_str_eq(tf->tasks[0].name, "test (VERSION=1)");
	cr_assert_str_eq(tf->tasks[1].name, "test (VERSION=2)");
	cr_assert_str_eq(tf_env_get(&tf->tasks[1].env, "VERSION"), "2");
	cr_assert_str_eq(tf_env_get(&tf->tasks[1].env, "COMMON"), "c");
	taskfile_free(tf);
}

Test(matrix, container_map_form)
{
	struct taskfile	*tf = ok("test_task:\n  container:\n    matrix:\n"
	    "      image: node:18\n      image: node:20\n  script: t\n");

	cr_assert_eq(tf->ntasks, 2);
	cr_assert_str_eq(tf->tasks[0].image, "node:18");
	cr_assert_str_eq(tf->tasks[1].image, "node:20");
	cr_assert_str_eq(tf->tasks[0].name, "test (node:18)");
	cr_assert_str_eq(tf->tasks[1].name, "test (node:20)");
	taskfile_free(tf);
}

Test(matrix, task_level_with_names_and_nested)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "test_task:\n  matrix:\n"
	    "    - name: linux $V\n      env:\n        matrix:\n"
	    "          - V: a\n          - V: b\n"
	    "    - name: other\n  script: t\n"
	    "after_task:\n  depends_on: linux a\n  script: x\n");

	cr_assert_eq(tf->ntasks, 4);
	cr_assert_str_eq(tf->tasks[0].name, "linux a");
	cr_assert_str_eq(tf->tasks[1].name, "linux b");
	cr_assert_str_eq(tf->tasks[2].name, "other");
	cr_assert_str_eq(tf->tasks[2].steps[0].script, "t");
	cr_assert_str_eq(task(tf, "after")->depends_on[0], "linux a");
	taskfile_free(tf);
}

Test(matrix, two_matrices_multiply)
{
	struct taskfile	*tf = ok("t_task:\n"
	    "  container:\n    matrix:\n      - image: a\n      - image: b\n"
	    "  env:\n    matrix:\n      X: 1\n      X: 2\n  script: t\n"
	    "d_task:\n  container: {image: z}\n  depends_on: t\n  script: x\n");
	struct tf_task	*d;

	cr_assert_eq(tf->ntasks, 5);
	cr_assert_str_eq(tf->tasks[0].name, "t (a, X=1)");
	cr_assert_str_eq(tf->tasks[0].image, "a");
	cr_assert_str_eq(tf->tasks[1].name, "t (a, X=2)");
	cr_assert_str_eq(tf->tasks[1].image, "a");
	cr_assert_str_eq(tf->tasks[2].name, "t (b, X=1)");
	cr_assert_str_eq(tf->tasks[2].image, "b");
	cr_assert_str_eq(tf->tasks[3].name, "t (b, X=2)");
	d = task(tf, "d");
	cr_assert_eq(d->ndepends, 4, "depends on every combination");
	taskfile_free(tf);
}

Test(matrix, identical_combinations_numbered)
{
	struct taskfile	*tf = ok("t_task:\n  container: {image: x}\n"
	    "  matrix:\n    - a_script: 1\n    - b_script: 2\n"
	    "    - c_script: 3\n");

	cr_assert_eq(tf->ntasks, 3);
	cr_assert_str_eq(tf->tasks[0].name, "t");
	cr_assert_str_eq(tf->tasks[1].name, "t #2");
	cr_assert_str_eq(tf->tasks[2].name, "t #3");
	cr_assert_str_eq(tf->tasks[2].steps[0].name, "c");
	taskfile_free(tf);
}

Test(matrix, bad_matrix)
{
	expect_error("t_task:\n  matrix: 3\n",
	    "t.yml:2:11: matrix must be a list or a mapping");
	expect_error("t_task:\n  matrix:\n    - 3\n",
	    "t.yml:3:7: matrix entries must be mappings");
}

Test(matrix, capped)
{
	char	*e = bad("t_task:\n"
	    "  env:\n    matrix: [A: 1, A: 2, A: 3, A: 4, A: 5, A: 6, A: 7, "
	    "A: 8, A: 9, A: 10, A: 11, A: 12, A: 13, A: 14, A: 15, A: 16, "
	    "A: 17]\n"
	    "  container:\n    matrix: [image: 1, image: 2, image: 3, image: "
	    "4, image: 5, image: 6, image: 7, image: 8, image: 9, image: 10,"
	    " image: 11, image: 12, image: 13, image: 14, image: 15, image: "
	    "16, image: 17]\n");

	cr_assert(strstr(e, "matrix expands to more than 256") != NULL,
	    "%s", e);
	free(e);
}

/* ---- 7. only_if and skip ---- */

Test(conditions, only_if_drops_task)
{
	struct tf_env		env = { NULL, 0 };
	struct tf_context	ctx = { NULL, NULL, 0, &env };
	struct taskfile		*tf;

	tf_env_set(&env, "CIRRUS_BRANCH", "main");
	tf = ok_ctx("container:\n  image: x\n"
	    "a_task:\n  only_if: $CIRRUS_BRANCH == 'main'\n  script: x\n"
	    "b_task:\n  only_if: $CIRRUS_BRANCH =~ 'release/.*'\n  script: x\n"
	    "c_task:\n  depends_on: [a, b]\n  script: x\n", &ctx);
	cr_assert_eq(tf->ntasks, 2);
	cr_assert_not_null(taskfile_find(tf, "a"));
	cr_assert_null(taskfile_find(tf, "b"));
	cr_assert_str_eq(task(tf, "a")->only_if, "$CIRRUS_BRANCH == 'main'");
	cr_assert_eq(task(tf, "c")->ndepends, 1);
	cr_assert_str_eq(task(tf, "c")->depends_on[0], "a");
	taskfile_free(tf);
	tf_env_free(&env);
}

/* Built-ins lose to the file's env, which loses to the user's -e. */
Test(conditions, precedence_builtin_file_user)
{
	struct tf_env		base = { NULL, 0 }, user = { NULL, 0 };
	struct tf_context	ctx = { &user, NULL, 0, &base };
	struct taskfile		*tf;
	const char		*text = "container:\n  image: x\n"
	    "env:\n  CIRRUS_BRANCH: dev\n"
	    "dev_task:\n  only_if: $CIRRUS_BRANCH == 'dev'\n  script: x\n"
	    "os_task:\n  only_if: $CIRRUS_OS == 'linux'\n  script: x\n"
	    "fast_task:\n  only_if: $MODE == 'fast'\n  env:\n"
	    "    MODE: slow\n  script: x\n";

	tf_env_set(&base, "CIRRUS_BRANCH", "main");
	tf_env_set(&base, "CIRRUS_OS", "linux");
	tf = ok_ctx(text, &ctx);
	cr_assert_eq(tf->ntasks, 2);
	cr_assert_not_null(taskfile_find(tf, "dev"), "the file's env wins");
	cr_assert_not_null(taskfile_find(tf, "os"), "built-ins are seen");
	taskfile_free(tf);
	tf_env_set(&user, "MODE", "fast");
	tf = ok_ctx(text, &ctx);
	cr_assert_eq(tf->ntasks, 3);
	cr_assert_not_null(taskfile_find(tf, "fast"), "-e wins over the file");
	taskfile_free(tf);
	tf_env_free(&base);
	tf_env_free(&user);
}

Test(conditions, skip_sets_reason)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "a_task:\n  skip: \"$X != ''\"\n  env:\n    X: 1\n  script: x\n"
	    "b_task:\n  skip: $X != ''\n  script: x\n");

	cr_assert_str_eq(task(tf, "a")->skip_reason,
	    "skipped by skip: $X != ''");
	cr_assert_str_eq(task(tf, "a")->skip, "$X != ''");
	cr_assert_null(task(tf, "b")->skip_reason);
	taskfile_free(tf);
}

Test(conditions, skipped_task_needs_no_image)
{
	struct taskfile	*tf = ok("a_task:\n  skip: true\n  script: x\n");

	cr_assert_str_eq(tf->tasks[0].skip_reason, "skipped by skip: true");
	taskfile_free(tf);
}

Test(conditions, only_if_false_needs_no_image)
{
	struct taskfile	*tf = ok("a_task:\n  only_if: false\n  script: x\n"
	    "b_task:\n  container: {image: x}\n  script: x\n");

	cr_assert_eq(tf->ntasks, 1);
	cr_assert_str_eq(tf->tasks[0].name, "b");
	taskfile_free(tf);
}

Test(conditions, changes_include)
{
	const char		*changed[] = { "docs/a.md", "src/x.c" };
	struct tf_context	 ctx = { NULL, changed, 2, NULL };
	struct taskfile		*tf;
	const char		*text = "container:\n  image: x\n"
	    "docs_task:\n  only_if: changesInclude('docs/**')\n  script: x\n"
	    "go_task:\n  only_if: changesInclude('**/*.go')\n  script: x\n";

	tf = ok_ctx(text, &ctx);
	cr_assert_eq(tf->ntasks, 1);
	cr_assert_str_eq(tf->tasks[0].name, "docs");
	taskfile_free(tf);
	/* Unknown changes: changesInclude is false, so nothing is left. */
	tf = ok(text);
	cr_assert_eq(tf->ntasks, 0);
	taskfile_free(tf);
}

Test(conditions, expression_error_position)
{
	expect_error("container:\n  image: x\n"
	    "a_task:\n  only_if: $A == 'x\n  script: x\n",
	    "t.yml:4:12: only_if: unterminated string at offset 6");
	expect_error("container:\n  image: x\n"
	    "a_task:\n  skip: ($A\n  script: x\n",
	    "t.yml:4:9: skip: expected ')' at offset 3");
}

/* ---- 8. expansion ---- */

Test(expand, image_from_env)
{
	struct tf_env		env = { NULL, 0 };
	struct tf_context	ctx = { &env, NULL, 0, NULL };
	struct taskfile		*tf;

	tf_env_set(&env, "REG", "ghcr.io");
	tf = ok_ctx("env:\n  TAG: \"12\"\n"
	    "a_task:\n  container:\n    image: $REG/debian:${TAG}-%TAG%\n"
	    "  script: x\n"
	    "b_task:\n  container:\n    image: $UNKNOWN:1\n  script: x\n",
	    &ctx);
	cr_assert_str_eq(task(tf, "a")->image, "ghcr.io/debian:12-12");
	cr_assert_str_eq(task(tf, "b")->image, "$UNKNOWN:1");
	taskfile_free(tf);
	tf_env_free(&env);
}

/* ---- full fixture, JSON ---- */

Test(fixture, full)
{
	struct taskfile	*tf = fixture("full.yml");
	struct tf_task	*b, *t;

	cr_assert_eq(tf->ntasks, 4);
	b = task(tf, "build");
	cr_assert_str_eq(b->alias, "compile");
	cr_assert_str_eq(b->image, "debian:12");
	cr_assert_float_eq(b->cpu, 2.0, 1e-9);
	cr_assert_eq(b->memory_mb, 4096);
	cr_assert_eq(b->timeout_s, 1800);
	cr_assert_str_eq(tf_env_get(&b->env, "GLOBAL"), "yes");
	cr_assert_str_eq(tf_env_get(&b->env, "CFLAGS"), "-O0");
	cr_assert_eq(b->nsteps, 5);
	cr_assert_str_eq(b->steps[2].name, "deps");
	cr_assert_str_eq(b->steps[2].paths[0], "~/.cache");
	cr_assert_eq(b->steps[3].when, WHEN_ALWAYS);
	cr_assert_eq(b->steps[4].when, WHEN_ON_FAILURE);
	t = task(tf, "test (VERSION=1)");
	cr_assert_str_eq(t->depends_on[0], "build");
	cr_assert_not_null(taskfile_find(tf, "test (VERSION=2)"));
	cr_assert_str_eq(task(tf, "freebsd")->skip_reason,
	    "unsupported instance type freebsd_instance");
	/* defaults: is a template (anchored, aliased): no warning. */
	cr_assert_eq(tf->nwarnings, 0, "%s", tf->nwarnings ? tf->warnings[0] :
	    "");
	taskfile_free(tf);
}

Test(json, validate_shape)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "a_task:\n  alias: first\n  env:\n    K: v\n  script: x\n"
	    "  always:\n    c_cache:\n      folder: f\n"
	    "b_task:\n  depends_on: first\n  allow_failures: true\n"
	    "  timeout_in: 10s\n  skip: true\n  script: y\n");
	cJSON		*j = tfjson_taskfile(tf);
	char		*s = cJSON_PrintUnformatted(j);

	cr_assert_str_eq(s, "{\"tasks\":["
	    "{\"name\":\"a\",\"alias\":\"first\",\"image\":\"x\","
	    "\"instance\":\"container\",\"depends_on\":[],"
	    "\"env\":{\"K\":\"v\"},\"steps\":["
	    "{\"name\":\"main\",\"kind\":\"script\",\"when\":\"on_success\"},"
	    "{\"name\":\"c\",\"kind\":\"cache\",\"when\":\"always\"}],"
	    "\"allow_failures\":false,\"timeout_s\":3600,"
	    "\"skip_reason\":null},"
	    "{\"name\":\"b\",\"alias\":null,\"image\":\"x\","
	    "\"instance\":\"container\",\"depends_on\":[\"a\"],"
	    "\"env\":{},\"steps\":["
	    "{\"name\":\"main\",\"kind\":\"script\",\"when\":\"on_success\"}],"
	    "\"allow_failures\":true,\"timeout_s\":10,"
	    "\"skip_reason\":\"skipped by skip: true\"}],"
	    "\"dropped\":[],\"warnings\":[]}");
	free(s);
	cJSON_Delete(j);
	taskfile_free(tf);
}

static void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		cr_assert(a == b, "%s vs %s", a ? a : "NULL", b ? b : "NULL");
	else
		cr_assert_str_eq(a, b);
}

static void
assert_task_eq(const struct tf_task *a, const struct tf_task *b)
{
	size_t	i, j;

	assert_str_or_null(a->name, b->name);
	assert_str_or_null(a->alias, b->alias);
	assert_str_or_null(a->instance, b->instance);
	assert_str_or_null(a->image, b->image);
	assert_str_or_null(a->dockerfile, b->dockerfile);
	cr_assert_eq(a->ndocker_arguments, b->ndocker_arguments);
	for (i = 0; i < a->ndocker_arguments; i++)
		cr_assert_str_eq(a->docker_arguments[i],
		    b->docker_arguments[i]);
	cr_assert(a->cpu == b->cpu);
	cr_assert_eq(a->memory_mb, b->memory_mb);
	cr_assert_eq(a->env.n, b->env.n);
	for (i = 0; i < a->env.n; i++) {
		cr_assert_str_eq(a->env.v[i].key, b->env.v[i].key);
		cr_assert_str_eq(a->env.v[i].value, b->env.v[i].value);
	}
	cr_assert_eq(a->nsteps, b->nsteps);
	for (i = 0; i < a->nsteps; i++) {
		const struct tf_step *x = &a->steps[i], *y = &b->steps[i];

		assert_str_or_null(x->name, y->name);
		cr_assert_eq(x->kind, y->kind);
		cr_assert_eq(x->when, y->when);
		assert_str_or_null(x->script, y->script);
		cr_assert_eq(x->npaths, y->npaths);
		for (j = 0; j < x->npaths; j++)
			cr_assert_str_eq(x->paths[j], y->paths[j]);
		cr_assert_eq(x->ncaches, y->ncaches);
		for (j = 0; j < x->ncaches; j++)
			cr_assert_str_eq(x->caches[j], y->caches[j]);
		assert_str_or_null(x->fingerprint_script,
		    y->fingerprint_script);
		assert_str_or_null(x->fingerprint_key, y->fingerprint_key);
		assert_str_or_null(x->populate_script, y->populate_script);
		cr_assert_eq(x->reupload_on_changes, y->reupload_on_changes);
		assert_str_or_null(x->file_path, y->file_path);
		assert_str_or_null(x->variable_name, y->variable_name);
		assert_str_or_null(x->artifact_type, y->artifact_type);
		assert_str_or_null(x->artifact_format, y->artifact_format);
		cr_assert_eq(x->line, y->line);
		cr_assert_eq(x->column, y->column);
	}
	cr_assert_eq(a->ndepends, b->ndepends);
	for (i = 0; i < a->ndepends; i++)
		cr_assert_str_eq(a->depends_on[i], b->depends_on[i]);
	cr_assert_eq(a->allow_failures, b->allow_failures);
	cr_assert_eq(a->timeout_s, b->timeout_s);
	assert_str_or_null(a->only_if, b->only_if);
	assert_str_or_null(a->skip, b->skip);
	assert_str_or_null(a->skip_reason, b->skip_reason);
	cr_assert_eq(a->line, b->line);
	cr_assert_eq(a->column, b->column);
}

Test(json, task_round_trip)
{
	struct taskfile	*tf = ok("a_task:\n  container:\n    image: x\n"
	    "    cpu: 1.25\n    memory: 3G\n    dockerfile: D\n"
	    "    docker_arguments: {A: b}\n"
	    "  alias: al\n  only_if: true\n  skip: false\n"
	    "  allow_failures: true\n  timeout_in: 7m\n"
	    "  env:\n    X: \"1\"\n    Y: two words\n"
	    "  c_cache:\n    folders: [p, q]\n    fingerprint_script: [a, b]\n"
	    "    fingerprint_key: fk\n    populate_script: pop\n"
	    "    reupload_on_changes: yes\n"
	    "  r_artifacts:\n    path: out/**\n    type: t\n    format: f\n"
	    "  f_file:\n    path: p\n    variable_name: V\n"
	    "  on_failure:\n    s_background_script: bg\n"
	    "    upload_caches: [c]\n"
	    "b_task:\n  depends_on: al\n  freebsd_instance: {}\n");
	struct tf_task	 copy, back;
	cJSON		*j, *j2;
	char		*s, *cause = NULL;
	size_t		 i;

	for (i = 0; i < tf->ntasks; i++) {
		j = tfjson_task(&tf->tasks[i]);
		s = cJSON_PrintUnformatted(j);
		j2 = cJSON_Parse(s);
		cr_assert_eq(tfjson_task_parse(j2, &back, &cause), 0, "%s",
		    cause);
		assert_task_eq(&tf->tasks[i], &back);
		tf_task_copy(&copy, &back);
		assert_task_eq(&copy, &back);
		tf_task_free(&copy);
		tf_task_free(&back);
		cJSON_Delete(j);
		cJSON_Delete(j2);
		free(s);
	}
	taskfile_free(tf);
}

Test(json, task_parse_rejects_bad_input)
{
	struct tf_task	 t;
	cJSON		*j;
	char		*cause = NULL;

	j = cJSON_Parse("{\"name\":\"a\",\"steps\":[{\"name\":\"s\","
	    "\"kind\":\"script\",\"when\":\"on_success\"},{\"name\":\"t\","
	    "\"kind\":\"bogus\",\"when\":\"always\"}]}");
	cr_assert_eq(tfjson_task_parse(j, &t, &cause), -1);
	cr_assert_str_eq(cause, "step 't' has no valid kind");
	free(cause);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"alias\":\"a\"}");
	cr_assert_eq(tfjson_task_parse(j, &t, &cause), -1);
	cr_assert_str_eq(cause, "missing 'name'");
	free(cause);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"name\":\"a\",\"env\":{\"A\":1}}");
	cr_assert_eq(tfjson_task_parse(j, &t, &cause), -1);
	cr_assert_str_eq(cause, "env values must be strings");
	free(cause);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"name\":\"a\",\"timeout_s\":1.5}");
	cr_assert_eq(tfjson_task_parse(j, &t, &cause), -1);
	free(cause);
	cJSON_Delete(j);
}

Test(steps, file_from_contents)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  cfg_file:\n    path: ~/.cfg\n"
	    "    from_contents: \"user=$USER\"\n");
	struct tf_step	*s = task(tf, "a")->steps;

	cr_assert_eq(s[0].kind, STEP_FILE);
	cr_assert_str_eq(s[0].file_path, "~/.cfg");
	cr_assert_str_eq(s[0].from_contents, "user=$USER");
	cr_assert_null(s[0].variable_name);
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
}

Test(steps, file_needs_one_source)
{
	expect_error("a_task:\n  container: {image: x}\n"
	    "  cfg_file:\n    path: p\n",
	    "t.yml:4:5: file 'cfg' needs one of variable_name and "
	    "from_contents");
	expect_error("a_task:\n  container: {image: x}\n"
	    "  cfg_file:\n    path: p\n    variable_name: V\n"
	    "    from_contents: x\n",
	    "t.yml:4:5: file 'cfg' needs one of variable_name and "
	    "from_contents");
	expect_error("a_task:\n  container: {image: x}\n"
	    "  cfg_file:\n    path: p\n    variable_name: $(reboot)\n",
	    "t.yml:5:20: variable_name '$(reboot)' is not a variable name");
}

Test(minimum, second_document_ignored_with_a_warning)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  s_script: one\n---\nb_task:\n  s_script: two\n");

	cr_assert_eq(tf->ntasks, 1);
	cr_assert_str_eq(tf->tasks[0].name, "a");
	cr_assert_eq(tf->nwarnings, 1);
	cr_assert_str_eq(tf->warnings[0], "t.yml:4:1: only the first YAML "
	    "document is read; the rest is ignored");
	taskfile_free(tf);
	tf = ok("a_task:\n  container: {image: x}\n  s_script: one\n---\n");
	cr_assert_eq(tf->nwarnings, 0);
	taskfile_free(tf);
	tf = ok("a_task:\n  container: {image: x}\n  s_script: one\n"
	    "---\n[unclosed\n");
	cr_assert_eq(tf->nwarnings, 1);
	cr_assert(strstr(tf->warnings[0], "only the first YAML document") !=
	    NULL);
	taskfile_free(tf);
}

/* ---- upload_caches ---- */

Test(upload_caches, steps_in_declaration_order)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  node_modules_cache:\n    folder: node_modules\n"
	    "  upload_caches:\n    - node_modules\n"
	    "  install_script: yarn\n"
	    "  upload_caches: pip\n"
	    "  pip_cache:\n    folder: ~/.cache/pip\n"
	    "  on_failure:\n    upload_caches: [pip, node_modules]\n"
	    "  always:\n    upload_caches: []\n");
	struct tf_task	*t = task(tf, "a");
	struct tf_step	*s = t->steps;

	cr_assert_eq(t->nsteps, 7);
	cr_assert_eq(tf->nwarnings, 0, "%s", tf->warnings[0]);
	cr_assert_eq(s[1].kind, STEP_UPLOAD_CACHES);
	cr_assert_str_eq(s[1].name, "upload_caches");
	cr_assert_eq(s[1].when, WHEN_ON_SUCCESS);
	cr_assert_eq(s[1].ncaches, 1);
	cr_assert_str_eq(s[1].caches[0], "node_modules");
	cr_assert_eq(s[1].line, 5);
	cr_assert_eq(s[1].column, 3);
	cr_assert_eq(s[2].kind, STEP_SCRIPT);
	/* A single string, naming a cache declared after it. */
	cr_assert_eq(s[3].kind, STEP_UPLOAD_CACHES);
	cr_assert_eq(s[3].ncaches, 1);
	cr_assert_str_eq(s[3].caches[0], "pip");
	cr_assert_eq(s[4].kind, STEP_CACHE);
	cr_assert_eq(s[5].kind, STEP_UPLOAD_CACHES);
	cr_assert_eq(s[5].when, WHEN_ON_FAILURE);
	cr_assert_eq(s[5].ncaches, 2);
	cr_assert_str_eq(s[5].caches[0], "pip");
	cr_assert_str_eq(s[5].caches[1], "node_modules");
	cr_assert_eq(s[6].kind, STEP_UPLOAD_CACHES);
	cr_assert_eq(s[6].when, WHEN_ALWAYS);
	cr_assert_eq(s[6].ncaches, 0);
	for (size_t i = 0; i < t->nsteps; i++)
		cr_assert_eq(s[i].npaths != 0, s[i].kind == STEP_CACHE);
	taskfile_free(tf);
}

Test(upload_caches, unknown_cache_is_an_error_at_the_name)
{
	expect_error("a_task:\n  container: {image: x}\n"
	    "  a_cache:\n    folder: a\n"
	    "  upload_caches: [a, b]\n  s_script: x\n",
	    "t.yml:5:22: upload_caches: task 'a' has no cache 'b' (no "
	    "b_cache instruction)");
	expect_error("a_task:\n  container: {image: x}\n"
	    "  on_failure:\n    upload_caches: pip\n",
	    "t.yml:4:20: upload_caches: task 'a' has no cache 'pip' (no "
	    "pip_cache instruction)");
	/* Another task's cache does not count. */
	expect_error("a_task:\n  container: {image: x}\n"
	    "  a_cache:\n    folder: a\n"
	    "b_task:\n  container: {image: x}\n"
	    "  upload_caches:\n    - a\n",
	    "t.yml:8:7: upload_caches: task 'b' has no cache 'a' (no "
	    "a_cache instruction)");
	/* Nor does an artifacts instruction of that name. */
	expect_error("a_task:\n  container: {image: x}\n"
	    "  a_artifacts:\n    path: a\n  upload_caches: a\n",
	    "t.yml:5:18: upload_caches: task 'a' has no cache 'a' (no "
	    "a_cache instruction)");
}

Test(upload_caches, bad_values)
{
	expect_error("a_task:\n  container: {image: x}\n  upload_caches:\n",
	    "t.yml:3:3: upload_caches names no cache");
	expect_error("a_task:\n  container: {image: x}\n"
	    "  upload_caches: {a: b}\n",
	    "t.yml:3:18: upload_caches must be a cache name or a list of "
	    "them");
	expect_error("a_task:\n  container: {image: x}\n"
	    "  upload_caches: [[a]]\n",
	    "t.yml:3:19: upload_caches must be a cache name or a list of "
	    "them");
}

Test(upload_caches, in_matrix_tasks_and_validate_json)
{
	struct taskfile	*tf = ok("a_task:\n  container: {image: x}\n"
	    "  matrix:\n    - env: {V: 1}\n    - env: {V: 2}\n"
	    "  c_cache:\n    folder: c\n  upload_caches: c\n");
	cJSON		*j, *st;
	char		*s;

	cr_assert_eq(tf->ntasks, 2);
	cr_assert_eq(tf->tasks[1].steps[1].kind, STEP_UPLOAD_CACHES);
	j = tfjson_taskfile(tf);
	s = cJSON_PrintUnformatted(j);
	st = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j,
	    "tasks"), 0), "steps");
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 1),
	    "kind")->valuestring, "upload_caches");
	cr_assert(strstr(s, "\"caches\":[\"c\"]") != NULL, "%s", s);
	/* Only upload_caches steps say which caches. */
	cr_assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0),
	    "caches"));
	free(s);
	cJSON_Delete(j);
	taskfile_free(tf);
}

/* ---- real-world shapes: variables in limits, top-level defaults ---- */

Test(realworld, cpu_and_memory_from_variables)
{
	struct taskfile	*tf = ok("env:\n  MEM: 2G\n"
	    "container:\n  image: x\n  cpu: $CPUS\n  memory: ${MEM}\n"
	    "a_task:\n  env: {CPUS: 4}\n  script: x\n"
	    "b_task:\n  env: {CPUS: 2, MEM: 512M}\n  script: x\n"
	    "c_task:\n  env: {CPUS: 1}\n"
	    "  container: {image: y, cpu: '${CPUS}', memory: 1G}\n"
	    "  script: x\n");

	cr_assert_float_eq(task(tf, "a")->cpu, 4.0, 1e-9);
	cr_assert_eq(task(tf, "a")->memory_mb, 2048);
	cr_assert_float_eq(task(tf, "b")->cpu, 2.0, 1e-9);
	cr_assert_eq(task(tf, "b")->memory_mb, 512);
	cr_assert_float_eq(task(tf, "c")->cpu, 1.0, 1e-9);
	cr_assert_eq(task(tf, "c")->memory_mb, 1024);
	taskfile_free(tf);
	expect_error("a_task:\n  container:\n    image: x\n"
	    "    cpu: $NOPE\n  script: x\n",
	    "t.yml:4:10: invalid cpu '$NOPE' (it expands to '$NOPE')");
	expect_error("a_task:\n  env: {M: lots}\n  container:\n"
	    "    image: x\n    memory: $M\n  script: x\n",
	    "t.yml:5:13: invalid memory '$M' (it expands to 'lots')");
}

Test(realworld, top_level_defaults)
{
	struct tf_env		base = { NULL, 0 };
	struct tf_context	ctx = { NULL, NULL, 0, &base };
	struct taskfile		*tf;

	tf_env_set(&base, "CIRRUS_BRANCH", "main");
	tf = ok_ctx("timeout_in: 90m\nallow_failures: true\n"
	    "skip: $SKIPME == 'yes'\n"
	    "only_if: $CIRRUS_BRANCH == 'main' || $FORCE == 'yes'\n"
	    "container: {image: x}\n"
	    "a_task:\n  script: x\n"
	    "b_task:\n  timeout_in: 5m\n  allow_failures: false\n"
	    "  env: {SKIPME: 'yes'}\n  script: x\n"
	    "c_task:\n  only_if: $CIRRUS_BRANCH == 'dev'\n  script: x\n"
	    "d_task:\n  env: {CIRRUS_BRANCH: x}\n  script: x\n"
	    "e_task:\n  env: {CIRRUS_BRANCH: x, FORCE: 'yes'}\n  script: x\n",
	    &ctx);
	cr_assert_eq(tf->nwarnings, 0, "%s", tf->nwarnings ? tf->warnings[0] :
	    "");
	cr_assert_eq(tf->ntasks, 3);
	cr_assert_eq(task(tf, "a")->timeout_s, 5400);
	cr_assert(task(tf, "a")->allow_failures);
	cr_assert_null(task(tf, "a")->skip_reason);
	cr_assert_eq(task(tf, "b")->timeout_s, 300, "the task's own wins");
	cr_assert_not(task(tf, "b")->allow_failures);
	cr_assert_str_eq(task(tf, "b")->skip_reason,
	    "skipped by skip: $SKIPME == 'yes'", "evaluated per task");
	cr_assert_not_null(taskfile_find(tf, "e"), "per task, with its env");
	cr_assert_eq(tf->ndropped, 2);
	cr_assert_str_eq(tf->dropped[0].name, "c");
	cr_assert_str_eq(tf->dropped[0].only_if, "$CIRRUS_BRANCH == 'dev'");
	cr_assert_str_eq(tf->dropped[1].name, "d");
	taskfile_free(tf);
	tf_env_free(&base);
	expect_error("timeout_in: soon\ncontainer: {image: x}\n"
	    "a_task:\n  script: x\n",
	    "t.yml:1:13: invalid timeout_in 'soon'");
	expect_error("only_if: [a]\ncontainer: {image: x}\n"
	    "a_task:\n  script: x\n",
	    "t.yml:1:10: only_if must be a string");
}

Test(realworld, service_settings_and_templates)
{
	struct taskfile	*tf = ok("gcp_credentials: ENCRYPTED[abc]\n"
	    "base_template: &base\n  container: {image: x}\n"
	    "unused: &lonely\n  a: b\n"
	    "stray: 1\n"
	    "a_task:\n  <<: *base\n  trigger_type: manual\n"
	    "  stateful: false\n  script: x\n");

	cr_assert_eq(tf->nwarnings, 5);
	cr_assert_str_eq(tf->warnings[0], "t.yml:1:1: 'gcp_credentials' is a "
	    "Cirrus CI service setting; it has no effect here");
	/* An anchor nothing aliases is no template: it is still unknown. */
	cr_assert_str_eq(tf->warnings[1],
	    "t.yml:4:1: unknown key 'unused' ignored");
	cr_assert_str_eq(tf->warnings[2],
	    "t.yml:6:1: unknown key 'stray' ignored");
	cr_assert_str_eq(tf->warnings[3], "t.yml:9:3: 'trigger_type' is a "
	    "Cirrus CI service setting; it has no effect here");
	cr_assert_str_eq(tf->warnings[4], "t.yml:10:3: 'stateful' is a "
	    "Cirrus CI service setting; it has no effect here");
	taskfile_free(tf);
}

Test(realworld, validate_json_lists_dropped_tasks)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "a_task:\n  only_if: $X == 'y'\n  script: x\n"
	    "b_task:\n  script: x\n");
	cJSON		*j, *d;

	j = tfjson_taskfile(tf);
	d = cJSON_GetObjectItem(j, "dropped");
	cr_assert_eq(cJSON_GetArraySize(d), 1);
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0),
	    "name")->valuestring, "a");
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0),
	    "only_if")->valuestring, "$X == 'y'");
	cJSON_Delete(j);
	taskfile_free(tf);
}

Test(realworld, instruction_keys_as_cirrus_matches_them)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "a_task:\n  script: x\n  artifacts: {path: out}\n"
	    "  cache: {folder: c}\n  ccache: {folder: d}\n"
	    "  myscript: y\n  build_background_script: z\n"
	    "  always:\n    artifacts: {path: log}\n");
	const struct tf_task	*t = task(tf, "a");

	cr_assert_eq(tf->nwarnings, 0, "%s", tf->nwarnings ? tf->warnings[0] :
	    "");
	cr_assert_eq(t->nsteps, 7);
	cr_assert_str_eq(t->steps[1].name, "main");
	cr_assert_eq(t->steps[1].kind, STEP_ARTIFACTS);
	cr_assert_str_eq(t->steps[2].name, "main");
	cr_assert_eq(t->steps[2].kind, STEP_CACHE);
	cr_assert_str_eq(t->steps[3].name, "c");
	cr_assert_eq(t->steps[3].kind, STEP_CACHE);
	cr_assert_str_eq(t->steps[4].name, "my");
	cr_assert_eq(t->steps[4].kind, STEP_SCRIPT);
	cr_assert_str_eq(t->steps[5].name, "build");
	cr_assert_eq(t->steps[5].kind, STEP_BACKGROUND);
	cr_assert_eq(t->steps[6].kind, STEP_ARTIFACTS);
	cr_assert_eq(t->steps[6].when, WHEN_ALWAYS);
	taskfile_free(tf);
}

Test(realworld, script_lines_yaml_reads_as_mappings)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "a_task:\n  s_script:\n    - echo one\n"
	    "    - echo 'user ALL=(ALL) NOPASSWD: ALL' >> sudoers\n"
	    "    - ps: Write-Host 'hi'\n");

	cr_assert_str_eq(task(tf, "a")->steps[0].script, "echo one\n"
	    "echo 'user ALL=(ALL) NOPASSWD: ALL' >> sudoers\n"
	    "pwsh -NoLogo -NonInteractive -Command 'Write-Host '\\''hi'\\'''");
	cr_assert_eq(tf->nwarnings, 1);
	cr_assert_str_eq(tf->warnings[0], "t.yml:5:7: s_script: YAML reads "
	    "this line as a mapping (it has an unquoted ': '); it runs as the "
	    "line it is, but quote it");
	taskfile_free(tf);
	expect_error("container: {image: x}\n"
	    "a_task:\n  s_script:\n    - {a: [1]}\n",
	    "t.yml:4:7: s_script: this line is read as a mapping, not a "
	    "command (YAML takes an unquoted ': ' as a key): quote the line");
	expect_error("container: {image: x}\n"
	    "a_task:\n  s_script:\n    - [x]\n",
	    "t.yml:4:7: s_script must be a string or a list of strings");
}

Test(realworld, container_settings_of_cirrus_machines)
{
	struct taskfile	*tf = ok("container:\n  image: x\n  kvm: true\n"
	    "  use_in_memory_disk: true\n  bogus: 1\n"
	    "a_task:\n  script: x\n");

	cr_assert_eq(tf->nwarnings, 3);
	cr_assert_str_eq(tf->warnings[0], "t.yml:3:3: 'kvm' is a Cirrus CI "
	    "service setting; it has no effect here");
	cr_assert_str_eq(tf->warnings[2],
	    "t.yml:5:3: unknown key 'bogus' ignored");
	taskfile_free(tf);
}

/* Cirrus merges a task's container: keys field by field, over the
 * top-level one, and a written mapping over a merge key's. */
Test(realworld, container_keys_merge)
{
	struct taskfile		*tf = ok("container:\n  image: top\n  cpu: 1\n"
	    "base: &BASE\n  container: {image: tmpl, memory: 1G}\n"
	    "  env: {A: tmpl, B: tmpl}\n"
	    "a_task:\n  container: {memory: 8G}\n  script: x\n"
	    "b_task:\n  <<: *BASE\n  container: {cpu: 4}\n  env: {B: own}\n"
	    "  script: x\n"
	    "c_task:\n  container: {image: c, cpu: 2}\n  container: {cpu: 3}\n"
	    "  script: x\n"
	    "d_task:\n  <<: *BASE\n  matrix:\n    - name: d1\n"
	    "      container: {cpu: 2}\n    - name: d2\n  script: x\n"
	    "lst: &LST\n  env:\n    - G: list\n    - B: list\n"
	    "e_task:\n  <<: *LST\n  env: {B: own}\n  script: x\n");
	const struct tf_task	*t;
	cJSON			*j;
	char			*s;

	t = task(tf, "a");
	cr_assert_str_eq(t->image, "top");
	cr_assert_float_eq(t->cpu, 1.0, 1e-9);
	cr_assert_eq(t->memory_mb, 8192);
	t = task(tf, "b");
	cr_assert_str_eq(t->image, "tmpl");
	cr_assert_float_eq(t->cpu, 4.0, 1e-9);
	cr_assert_eq(t->memory_mb, 1024);
	cr_assert_str_eq(tf_env_get(&t->env, "A"), "tmpl");
	cr_assert_str_eq(tf_env_get(&t->env, "B"), "own");
	t = task(tf, "e");
	cr_assert_str_eq(tf_env_get(&t->env, "G"), "list", "a merged env "
	    "list merges with a written env mapping");
	cr_assert_str_eq(tf_env_get(&t->env, "B"), "own");
	t = task(tf, "c");
	cr_assert_str_eq(t->image, "c");
	cr_assert_float_eq(t->cpu, 3.0, 1e-9);
	t = task(tf, "d1");
	cr_assert_str_eq(t->image, "tmpl");
	cr_assert_float_eq(t->cpu, 2.0, 1e-9);
	cr_assert_eq(t->memory_mb, 1024);
	cr_assert_float_eq(task(tf, "d2")->cpu, 1.0, 1e-9);
	taskfile_free(tf);
	/* validate --json shows them, and a Dockerfile, when set. */
	tf = ok("a_task:\n  container: {dockerfile: ci/Dockerfile, cpu: 2,"
	    " memory: 1G}\n  script: x\n");
	j = tfjson_taskfile(tf);
	s = cJSON_PrintUnformatted(j);
	cr_assert(strstr(s, "\"dockerfile\":\"ci/Dockerfile\"") != NULL, "%s", s);
	cr_assert(strstr(s, "\"cpu\":2,\"memory_mb\":1024") != NULL, "%s", s);
	free(s);
	cJSON_Delete(j);
	taskfile_free(tf);
}

Test(realworld, later_additional_containers_replace)
{
	struct taskfile	*tf = ok("container:\n  image: x\n"
	    "  additional_containers:\n    - {name: db, image: pg, port: 5432}\n"
	    "a_task:\n  container:\n    additional_containers:\n"
	    "      - {name: cache, image: redis, port: 6379}\n  script: x\n");
	const struct tf_task	*t = task(tf, "a");

	cr_assert_str_eq(t->image, "x");
	cr_assert_eq(t->nsidecars, 1);
	cr_assert_str_eq(t->sidecars[0].name, "cache");
	taskfile_free(tf);
}

/* "<<: *lines" alone, a list of strings, stands for the list. */
Test(realworld, merge_key_of_a_list_of_lines)
{
	struct taskfile	*tf = ok("lines: &L\n  - echo one\n  - echo two\n"
	    "container: {image: x}\n"
	    "a_task:\n  build_script:\n    <<: *L\n");

	cr_assert_str_eq(task(tf, "a")->steps[0].script, "echo one\necho two");
	taskfile_free(tf);
	expect_error("s: &S one\ncontainer: {image: x}\n"
	    "a_task:\n  build_script:\n    <<: *S\n",
	    "t.yml:1:4: merge key '<<' needs a mapping or a list of mappings");
}

/* libyaml's reader errors carry a byte offset: still file:line:column. */
Test(yaml, reader_error_position)
{
	expect_error("a_task:\n  container: {image: x}\n  script: \"\x01\"\n",
	    "t.yml:3:12: control characters are not allowed");
	expect_error("a_task:\n  container: {image: x}\n  script: \"\xff\"\n",
	    "t.yml:3:12: invalid leading UTF-8 octet");
}

Test(yaml, empty_first_document)
{
	expect_error("---\n# nothing yet\n---\na_task:\n  script: x\n",
	    "t.yml:1:1: no tasks found: the first YAML document is empty, and "
	    "only it is read (another starts at line 3)");
}

/* Cases from Cirrus's own parser tests, in our words. */
Test(cirrus, task_name_in_expressions)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "only_if: $CIRRUS_TASK_NAME == 'foo'\n"
	    "foo_task:\n  script: x\nbar_task:\n  script: x\n");

	cr_assert_eq(tf->ntasks, 1);
	cr_assert_str_eq(tf->tasks[0].name, "foo");
	cr_assert_null(tf_env_get(&tf->tasks[0].env, "CIRRUS_TASK_NAME"),
	    "the name is seen by expressions, not put in the task's env");
	taskfile_free(tf);
}

Test(cirrus, depends_on_with_variables)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "build_arm64_task:\n  script: x\nfoo_task:\n  script: x\n"
	    "test_task:\n  env: {ARCH: arm64, DEPS: '[foo, build_arm64]'}\n"
	    "  depends_on: build_$ARCH\n  script: x\n"
	    "all_task:\n  env: {DEPS: '[foo, build_arm64]'}\n"
	    "  depends_on: $DEPS\n  script: x\n");
	const struct tf_task	*t = task(tf, "all");

	cr_assert_eq(task(tf, "test")->ndepends, 1);
	cr_assert_str_eq(task(tf, "test")->depends_on[0], "build_arm64");
	cr_assert_eq(t->ndepends, 2);
	cr_assert_str_eq(t->depends_on[0], "foo");
	cr_assert_str_eq(t->depends_on[1], "build_arm64");
	taskfile_free(tf);
	expect_error("container: {image: x}\n"
	    "a_task:\n  depends_on: $NOPE\n  script: x\n",
	    "t.yml:3:15: task 'a' depends on unknown task '$NOPE'");
}

Test(cirrus, lenient_shapes)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "rows: &R\n  - env: {D: iPhone}\n  - env: {D: Android}\n"
	    "a_task:\n  matrix:\n    <<: *R\n  script: x\n"
	    "b_task:\n  container:\n  artifacts: a.txt\n  script: x\n");

	cr_assert_eq(tf->ntasks, 3, "matrix: {<<: *rows} is the rows");
	cr_assert_str_eq(tf_env_get(&tf->tasks[1].env, "D"), "Android");
	cr_assert_str_eq(task(tf, "b")->image, "x", "container: alone "
	    "inherits");
	cr_assert_eq(task(tf, "b")->nsteps, 1);
	cr_assert_eq(tf->nwarnings, 1);
	cr_assert_str_eq(tf->warnings[0], "t.yml:11:14: artifacts 'main' "
	    "must be a mapping; it is ignored");
	taskfile_free(tf);
}

Test(cirrus, reupload_on_changes_default)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "a_task:\n"
	    "  plain_cache:\n    folder: p\n"
	    "  script_cache:\n    folder: s\n    fingerprint_script: cat f\n"
	    "  key_cache:\n    folder: k\n    fingerprint_key: k1\n"
	    "  off_cache:\n    folder: o\n    reupload_on_changes: false\n"
	    "  on_cache:\n    folder: n\n    fingerprint_key: k2\n"
	    "    reupload_on_changes: true\n"
	    "  script: x\n");
	const struct tf_step	*s = task(tf, "a")->steps;

	cr_assert_eq(s[0].reupload_on_changes, 1, "no fingerprint: true");
	cr_assert_eq(s[1].reupload_on_changes, 0, "fingerprint_script: false");
	cr_assert_eq(s[2].reupload_on_changes, 0, "fingerprint_key: false");
	cr_assert_eq(s[3].reupload_on_changes, 0, "explicit false wins");
	cr_assert_eq(s[4].reupload_on_changes, 1, "explicit true wins");
	taskfile_free(tf);
}

/* As Cirrus: variable_name may be written $X or ${X}. */
Test(cirrus, variable_name_with_a_dollar)
{
	struct taskfile	*tf = ok("container: {image: x}\n"
	    "a_task:\n  k_file:\n    path: k\n    variable_name: $KEY\n"
	    "  l_file:\n    path: l\n    variable_name: ${LOCK}\n");

	cr_assert_str_eq(task(tf, "a")->steps[0].variable_name, "KEY");
	cr_assert_str_eq(task(tf, "a")->steps[1].variable_name, "LOCK");
	taskfile_free(tf);
}
