/* test_tfsidecar.c -- unit tests of container: additional_containers:. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/tfsidecar.h"
#include "proto/util.h"

/* Parse text that must be valid; the caller frees with taskfile_free. */
static struct taskfile *
ok(const char *text)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		 msg[1024];

	if (taskfile_parse("t.yml", text, strlen(text), NULL, &tf,
	    &err) != 0) {
		tf_error_format(&err, msg, sizeof msg);
		cr_assert_fail("unexpected error: %s", msg);
	}
	return tf;
}

/* Parse text that must fail with want ("file:line:column: message"). */
static void
expect_error(const char *text, const char *want)
{
	struct taskfile	*tf = NULL;
	struct tf_error	 err;
	char		 msg[1024];

	cr_assert_eq(taskfile_parse("t.yml", text, strlen(text), NULL, &tf,
	    &err), -1, "parse succeeded: %s", text);
	tf_error_format(&err, msg, sizeof msg);
	cr_assert_str_eq(msg, want);
}

static int
has_warning(const struct taskfile *tf, const char *want)
{
	size_t	i;

	for (i = 0; i < tf->nwarnings; i++) {
		if (strcmp(tf->warnings[i], want) == 0)
			return (1);
	}
	return (0);
}

static const char full[] =
    "env:\n"
    "  DBIMG: mysql:8\n"
    "task:\n"
    "  container:\n"
    "    image: debian\n"
    "    additional_containers:\n"
    "      - name: db\n"
    "        image: $DBIMG\n"
    "        port: 3306\n"
    "        cpu: 1.5\n"
    "        memory: 1G\n"
    "        env:\n"
    "          MYSQL_ROOT_PASSWORD: secret\n"
    "          EMPTY:\n"
    "        readiness_command: mysqladmin ping\n"
    "      - name: web-2\n"
    "        image: nginx\n"
    "        port: 8080:80\n"
    "        command: [nginx, -g, daemon off;]\n"
    "  script: true\n";

Test(parse, every_field)
{
	struct taskfile		*tf = ok(full);
	struct tf_task		*t = &tf->tasks[0];
	struct tf_sidecar	*s;

	cr_assert_eq(t->nsidecars, 2);
	s = &t->sidecars[0];
	cr_assert_str_eq(s->name, "db");
	cr_assert_str_eq(s->image, "mysql:8");	/* expanded */
	cr_assert_eq(s->port, 3306);
	cr_assert_eq(s->host_port, 0);
	cr_assert_float_eq(s->cpu, 1.5, 1e-9);
	cr_assert_eq(s->memory_mb, 1024);
	cr_assert_eq(s->env.n, 2);
	cr_assert_str_eq(tf_env_get(&s->env, "MYSQL_ROOT_PASSWORD"), "secret");
	cr_assert_str_eq(tf_env_get(&s->env, "EMPTY"), "");
	cr_assert_null(tf_env_get(&s->env, "DBIMG"), "only its own env");
	cr_assert_null(s->command);
	cr_assert_eq(s->nreadiness, 3);
	cr_assert_str_eq(s->readiness[0], "/bin/sh");
	cr_assert_str_eq(s->readiness[1], "-c");
	cr_assert_str_eq(s->readiness[2], "mysqladmin ping");
	cr_assert_eq(s->line, 7);
	cr_assert_eq(s->column, 9);

	s = &t->sidecars[1];
	cr_assert_str_eq(s->name, "web-2");
	cr_assert_eq(s->port, 80);
	cr_assert_eq(s->host_port, 8080);
	cr_assert_eq(s->ncommand, 3);
	cr_assert_str_eq(s->command[0], "nginx");
	cr_assert_str_eq(s->command[2], "daemon off;");
	cr_assert_null(s->readiness);
	/* The host port cannot be had: said, not refused. */
	cr_assert_eq(tf->nwarnings, 1);
	cr_assert_str_eq(tf->warnings[0], "t.yml:18:15: port 8080:80: no "
	    "host port mapping here, the service is on localhost:80");
	taskfile_free(tf);
}

Test(parse, inherited_from_top_level_container_and_copied)
{
	struct taskfile	*tf = ok(
	    "container:\n  image: x\n  additional_containers:\n"
	    "    - name: cache\n      image: redis\n      port: 6379\n"
	    "a_task:\n  script: true\n"
	    "b_task:\n  script: true\n"
	    "c_task:\n  container:\n    image: y\n  script: true\n");
	struct tf_task	 copy;

	cr_assert_eq(taskfile_find(tf, "a")->nsidecars, 1);
	cr_assert_eq(taskfile_find(tf, "b")->nsidecars, 1);
	cr_assert_str_eq(taskfile_find(tf, "b")->sidecars[0].image, "redis");
	/* As Cirrus (cirrus-cli node.DeepFindChild): a task's container:
	 * takes the top-level one's keys it does not set itself. */
	cr_assert_str_eq(taskfile_find(tf, "c")->image, "y");
	cr_assert_eq(taskfile_find(tf, "c")->nsidecars, 1);
	tf_task_copy(&copy, taskfile_find(tf, "a"));
	cr_assert_eq(copy.nsidecars, 1);
	cr_assert_str_eq(copy.sidecars[0].name, "cache");
	cr_assert_neq(copy.sidecars[0].name,
	    taskfile_find(tf, "a")->sidecars[0].name);
	cr_assert_eq(copy.sidecars[0].port, 6379);
	tf_task_free(&copy);
	taskfile_free(tf);
}

Test(parse, matrix_of_sidecars)
{
	struct taskfile	*tf = ok(
	    "task:\n  container:\n    image: x\n    matrix:\n"
	    "      - additional_containers:\n"
	    "          - name: db\n            image: postgres:15\n"
	    "      - additional_containers:\n"
	    "          - name: db\n            image: postgres:16\n"
	    "  script: true\n");

	cr_assert_eq(tf->ntasks, 2);
	cr_assert_str_eq(tf->tasks[0].sidecars[0].image, "postgres:15");
	cr_assert_str_eq(tf->tasks[1].sidecars[0].image, "postgres:16");
	taskfile_free(tf);
}

Test(parse, unknown_keys_warn)
{
	struct taskfile	*tf = ok(
	    "task:\n  container:\n    image: x\n    additional_containers:\n"
	    "      - name: db\n        image: y\n        privileged: true\n"
	    "  additional_containers: []\n"
	    "  script: true\n");

	cr_assert_eq(tf->nwarnings, 2);
	cr_assert(has_warning(tf,
	    "t.yml:7:9: unknown key 'privileged' ignored"));
	cr_assert(has_warning(tf, "t.yml:8:3: additional_containers "
	    "belongs under container:, ignored"));
	cr_assert_eq(tf->tasks[0].nsidecars, 1);
	taskfile_free(tf);
}

Test(parse, errors_with_positions)
{
	const char	*pre = "task:\n  script: true\n  container:\n"
	    "    image: x\n    additional_containers:\n";
	char		 text[1024];

#define BAD(entries, want) do {						\
	snprintf(text, sizeof text, "%s%s", pre, entries);		\
	expect_error(text, want);					\
} while (0)
	BAD("      name: db\n",
	    "t.yml:6:7: additional_containers must be a list");
	BAD("      - db\n",
	    "t.yml:6:9: additional container must be a mapping");
	BAD("      - image: y\n",
	    "t.yml:6:9: additional container has no name");
	BAD("      - name: db\n",
	    "t.yml:6:9: additional container 'db' has no image");
	BAD("      - name: main\n        image: y\n",
	    "t.yml:6:9: additional container name 'main' is invalid: use "
	    "letters, digits, '-' and '_' (and not 'main')");
	BAD("      - name: a b\n        image: y\n",
	    "t.yml:6:9: additional container name 'a b' is invalid: use "
	    "letters, digits, '-' and '_' (and not 'main')");
	BAD("      - name: db\n        image: y\n"
	    "      - name: db\n        image: z\n",
	    "t.yml:8:9: additional container 'db' named twice");
	BAD("      - name: db\n        image: y\n        port: 0\n",
	    "t.yml:8:15: invalid port '0'");
	BAD("      - name: db\n        image: y\n        port: 70000\n",
	    "t.yml:8:15: invalid port '70000'");
	BAD("      - name: db\n        image: y\n        port: 80:http\n",
	    "t.yml:8:15: invalid port '80:http'");
	BAD("      - name: db\n        image: y\n        cpu: many\n",
	    "t.yml:8:14: invalid cpu 'many'");
	BAD("      - name: db\n        image: y\n        memory: 0\n",
	    "t.yml:8:17: invalid memory '0'");
	BAD("      - name: db\n        image: y\n        command: []\n",
	    "t.yml:8:18: command is empty");
	BAD("      - name: db\n        image: y\n        readiness_command: "
	    "''\n", "t.yml:8:28: readiness_command is empty");
	BAD("      - name: db\n        image: y\n        env: [A]\n",
	    "t.yml:8:14: env must be a mapping");
	BAD("      - name: db\n        image: [y]\n",
	    "t.yml:7:16: image must be a string");
#undef BAD
}

Test(parse, at_most_sixteen)
{
	char	text[8192];
	size_t	len, i;

	len = (size_t)snprintf(text, sizeof text, "task:\n  script: true\n"
	    "  container:\n    image: x\n    additional_containers:\n");
	for (i = 0; i < 17; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		    "      - name: s%zu\n        image: y\n", i);
	expect_error(text, "t.yml:38:9: more than 16 additional containers");
}

Test(json, round_trip)
{
	struct taskfile		*tf = ok(full);
	struct tf_task		 back;
	struct tf_sidecar	*a, *b;
	cJSON			*j;
	char			*cause = NULL, *text;
	size_t			 i;

	j = tfjson_task(&tf->tasks[0]);
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	j = cJSON_Parse(text);
	cJSON_free(text);
	cr_assert_eq(tfjson_task_parse(j, &back, &cause), 0, "%s", cause);
	cJSON_Delete(j);
	cr_assert_eq(back.nsidecars, 2);
	for (i = 0; i < 2; i++) {
		a = &tf->tasks[0].sidecars[i];
		b = &back.sidecars[i];
		cr_assert_str_eq(a->name, b->name);
		cr_assert_str_eq(a->image, b->image);
		cr_assert_eq(a->port, b->port);
		cr_assert_eq(a->host_port, b->host_port);
		cr_assert_float_eq(a->cpu, b->cpu, 1e-9);
		cr_assert_eq(a->memory_mb, b->memory_mb);
		cr_assert_eq(a->env.n, b->env.n);
		cr_assert_eq(a->ncommand, b->ncommand);
		cr_assert_eq(a->nreadiness, b->nreadiness);
		cr_assert_eq(a->line, b->line);
	}
	cr_assert_str_eq(back.sidecars[0].readiness[2], "mysqladmin ping");
	cr_assert_str_eq(back.sidecars[1].command[2], "daemon off;");
	cr_assert_str_eq(tf_env_get(&back.sidecars[0].env,
	    "MYSQL_ROOT_PASSWORD"), "secret");
	tf_task_free(&back);
	taskfile_free(tf);
}

Test(json, validate_shows_them)
{
	struct taskfile	*tf = ok(full);
	cJSON		*j;
	const cJSON	*a;

	j = tfjson_taskfile(tf);
	a = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(j, "tasks"), 0),
	    "additional_containers");
	cr_assert(cJSON_IsArray(a));
	cr_assert_eq(cJSON_GetArraySize(a), 2);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(a, 1), "name")->valuestring, "web-2");
	cJSON_Delete(j);
	taskfile_free(tf);
}

Test(json, bad_stored_entries)
{
	static const char *bad[] = {
		"{\"name\":\"t\",\"additional_containers\":{}}",
		"{\"name\":\"t\",\"additional_containers\":[1]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"db\"}]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"main\","
		    "\"image\":\"x\"}]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"db\","
		    "\"image\":\"x\",\"port\":65536}]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"db\","
		    "\"image\":\"x\",\"command\":[]}]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"db\","
		    "\"image\":\"x\",\"command\":[\"a\",2]}]}",
		"{\"name\":\"t\",\"additional_containers\":[{\"name\":\"db\","
		    "\"image\":\"x\",\"env\":{\"A\":1}}]}",
	};
	struct tf_task	 t;
	cJSON		*j;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		j = cJSON_Parse(bad[i]);
		cr_assert_not_null(j);
		cr_assert_eq(tfjson_task_parse(j, &t, &cause), -1, "%s",
		    bad[i]);
		cr_assert_not_null(cause);
		free(cause);
		cJSON_Delete(j);
	}
}

Test(json, none_is_fine)
{
	struct tf_task	 t;
	cJSON		*j;
	char		*cause = NULL;

	j = cJSON_Parse("{\"name\":\"t\"}");
	cr_assert_eq(tfjson_task_parse(j, &t, &cause), 0);
	cr_assert_eq(t.nsidecars, 0);
	cr_assert_null(t.sidecars);
	tf_task_free(&t);
	cJSON_Delete(j);
}
