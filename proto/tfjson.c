/* tfjson.c -- converts tasks to JSON (validate, stored specs) and back. */

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/tfsidecar.h"
#include "proto/util.h"

/* Add s as a string, or null when s is NULL. */
static void
add_str(cJSON *o, const char *key, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static void
add_strv(cJSON *o, const char *key, char *const *v, size_t n)
{
	cJSON	*a;
	size_t	 i;

	a = cJSON_AddArrayToObject(o, key);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

static void
add_env(cJSON *o, const struct tf_env *env)
{
	cJSON	*e;
	size_t	 i;

	e = cJSON_AddObjectToObject(o, "env");
	for (i = 0; i < env->n; i++)
		cJSON_AddStringToObject(e, env->v[i].key, env->v[i].value);
}

/* validate's shape; the caller frees with cJSON_Delete. */
cJSON *
tfjson_taskfile(const struct taskfile *tf)
{
	const struct tf_task	*t;
	const struct tf_step	*s;
	cJSON			*root, *tasks, *o, *steps, *so;
	size_t			 i, j;

	root = cJSON_CreateObject();
	tasks = cJSON_AddArrayToObject(root, "tasks");
	for (i = 0; i < tf->ntasks; i++) {
		t = &tf->tasks[i];
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(tasks, o);
		add_str(o, "name", t->name);
		add_str(o, "alias", t->alias);
		add_str(o, "image", t->image);
		if (t->dockerfile != NULL)
			add_str(o, "dockerfile", t->dockerfile);
		add_str(o, "instance", t->instance);
		add_strv(o, "depends_on", t->depends_on, t->ndepends);
		add_env(o, &t->env);
		if (t->nsidecars != 0)
			cJSON_AddItemToObject(o, "additional_containers",
			    tfsidecar_json(t->sidecars, t->nsidecars));
		steps = cJSON_AddArrayToObject(o, "steps");
		for (j = 0; j < t->nsteps; j++) {
			s = &t->steps[j];
			so = cJSON_CreateObject();
			cJSON_AddItemToArray(steps, so);
			add_str(so, "name", s->name);
			cJSON_AddStringToObject(so, "kind",
			    tf_step_kind_name(s->kind));
			cJSON_AddStringToObject(so, "when",
			    tf_when_name(s->when));
			if (s->kind == STEP_UPLOAD_CACHES)
				add_strv(so, "caches", s->caches, s->ncaches);
		}
		cJSON_AddBoolToObject(o, "allow_failures", t->allow_failures);
		cJSON_AddNumberToObject(o, "timeout_s", (double)t->timeout_s);
		if (t->cpu > 0)
			cJSON_AddNumberToObject(o, "cpu", t->cpu);
		if (t->memory_mb > 0)
			cJSON_AddNumberToObject(o, "memory_mb",
			    (double)t->memory_mb);
		add_str(o, "skip_reason", t->skip_reason);
	}
	tasks = cJSON_AddArrayToObject(root, "dropped");
	for (i = 0; i < tf->ndropped; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(tasks, o);
		add_str(o, "name", tf->dropped[i].name);
		add_str(o, "only_if", tf->dropped[i].only_if);
	}
	add_strv(root, "warnings", tf->warnings, tf->nwarnings);
	return (root);
}

/* Every field of t; the caller frees with cJSON_Delete. */
cJSON *
tfjson_task(const struct tf_task *t)
{
	const struct tf_step	*s;
	cJSON			*o, *steps, *so;
	size_t			 i;

	o = cJSON_CreateObject();
	add_str(o, "name", t->name);
	add_str(o, "alias", t->alias);
	add_str(o, "instance", t->instance);
	add_str(o, "image", t->image);
	add_str(o, "dockerfile", t->dockerfile);
	add_strv(o, "docker_arguments", t->docker_arguments,
	    t->ndocker_arguments);
	cJSON_AddNumberToObject(o, "cpu", t->cpu);
	cJSON_AddNumberToObject(o, "memory_mb", (double)t->memory_mb);
	cJSON_AddItemToObject(o, "additional_containers",
	    tfsidecar_json(t->sidecars, t->nsidecars));
	add_env(o, &t->env);
	steps = cJSON_AddArrayToObject(o, "steps");
	for (i = 0; i < t->nsteps; i++) {
		s = &t->steps[i];
		so = cJSON_CreateObject();
		cJSON_AddItemToArray(steps, so);
		add_str(so, "name", s->name);
		cJSON_AddStringToObject(so, "kind", tf_step_kind_name(s->kind));
		cJSON_AddStringToObject(so, "when", tf_when_name(s->when));
		add_str(so, "script", s->script);
		add_strv(so, "paths", s->paths, s->npaths);
		add_str(so, "fingerprint_script", s->fingerprint_script);
		add_str(so, "fingerprint_key", s->fingerprint_key);
		add_str(so, "populate_script", s->populate_script);
		cJSON_AddBoolToObject(so, "reupload_on_changes",
		    s->reupload_on_changes);
		add_str(so, "file_path", s->file_path);
		add_str(so, "variable_name", s->variable_name);
		add_str(so, "from_contents", s->from_contents);
		add_str(so, "artifact_type", s->artifact_type);
		add_str(so, "artifact_format", s->artifact_format);
		add_strv(so, "caches", s->caches, s->ncaches);
		cJSON_AddNumberToObject(so, "line", s->line);
		cJSON_AddNumberToObject(so, "column", s->column);
	}
	add_strv(o, "depends_on", t->depends_on, t->ndepends);
	cJSON_AddBoolToObject(o, "allow_failures", t->allow_failures);
	cJSON_AddNumberToObject(o, "timeout_s", (double)t->timeout_s);
	add_str(o, "only_if", t->only_if);
	add_str(o, "skip", t->skip);
	add_str(o, "skip_reason", t->skip_reason);
	cJSON_AddNumberToObject(o, "line", t->line);
	cJSON_AddNumberToObject(o, "column", t->column);
	return (o);
}

/* Set *cause (caller frees) and return -1. */
static int
fail(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause != NULL) {
		va_start(ap, fmt);
		*cause = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/* An optional string member: missing or null gives NULL. */
static int
get_str(const cJSON *o, const char *key, int required, char **out,
    char **cause)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return (fail(cause, "missing '%s'", key));
		*out = NULL;
		return (0);
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return (fail(cause, "'%s' must be a string", key));
	*out = xstrdup(v->valuestring);
	return (0);
}

static int
get_strv(const cJSON *o, const char *key, char ***out, size_t *n,
    char **cause)
{
	const cJSON	*a, *e;
	int		 size, i;

	*out = NULL;
	*n = 0;
	a = cJSON_GetObjectItemCaseSensitive(o, key);
	if (a == NULL || cJSON_IsNull(a))
		return (0);
	if (!cJSON_IsArray(a))
		return (fail(cause, "'%s' must be an array", key));
	size = cJSON_GetArraySize(a);
	if (size == 0)
		return (0);
	*out = xcalloc((size_t)size, sizeof **out);
	for (i = 0; i < size; i++) {
		e = cJSON_GetArrayItem(a, i);
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			return (fail(cause, "'%s' must hold strings", key));
		(*out)[(*n)++] = xstrdup(e->valuestring);
	}
	return (0);
}

static int
get_int(const cJSON *o, const char *key, int64_t min, int64_t max,
    int64_t *out, char **cause)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (v == NULL) {
		*out = 0;
		return (0);
	}
	/* Range first so that the cast below is defined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min &&
	    v->valuedouble <= (double)max) ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return (fail(cause, "'%s' must be an integer", key));
	*out = (int64_t)v->valuedouble;
	return (0);
}

static int
get_bool(const cJSON *o, const char *key, int *out, char **cause)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (v == NULL)
		return (0);
	if (!cJSON_IsBool(v))
		return (fail(cause, "'%s' must be a boolean", key));
	*out = cJSON_IsTrue(v);
	return (0);
}

static int
get_step(const cJSON *so, struct tf_step *s, char **cause)
{
	static const enum tf_step_kind	kinds[] = { STEP_SCRIPT,
	    STEP_BACKGROUND, STEP_CACHE, STEP_ARTIFACTS, STEP_FILE,
	    STEP_UPLOAD_CACHES };
	static const enum tf_when	whens[] = { WHEN_ON_SUCCESS,
	    WHEN_ON_FAILURE, WHEN_ALWAYS, WHEN_ON_TIMEOUT };
	const cJSON			*v;
	int64_t				 n;
	size_t				 i;

	if (!cJSON_IsObject(so))
		return (fail(cause, "step must be an object"));
	if (get_str(so, "name", 1, &s->name, cause) == -1)
		return (-1);
	v = cJSON_GetObjectItemCaseSensitive(so, "kind");
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (cJSON_IsString(v) && strcmp(v->valuestring,
		    tf_step_kind_name(kinds[i])) == 0)
			break;
	}
	if (i == sizeof kinds / sizeof kinds[0])
		return (fail(cause, "step '%s' has no valid kind", s->name));
	s->kind = kinds[i];
	v = cJSON_GetObjectItemCaseSensitive(so, "when");
	for (i = 0; i < sizeof whens / sizeof whens[0]; i++) {
		if (cJSON_IsString(v) && strcmp(v->valuestring,
		    tf_when_name(whens[i])) == 0)
			break;
	}
	if (i == sizeof whens / sizeof whens[0])
		return (fail(cause, "step '%s' has no valid when", s->name));
	s->when = whens[i];
	if (get_str(so, "script", 0, &s->script, cause) == -1 ||
	    get_strv(so, "paths", &s->paths, &s->npaths, cause) == -1 ||
	    get_str(so, "fingerprint_script", 0, &s->fingerprint_script,
	    cause) == -1 ||
	    get_str(so, "fingerprint_key", 0, &s->fingerprint_key,
	    cause) == -1 ||
	    get_str(so, "populate_script", 0, &s->populate_script,
	    cause) == -1 ||
	    get_bool(so, "reupload_on_changes", &s->reupload_on_changes,
	    cause) == -1 ||
	    get_str(so, "file_path", 0, &s->file_path, cause) == -1 ||
	    get_str(so, "variable_name", 0, &s->variable_name, cause) == -1 ||
	    get_str(so, "from_contents", 0, &s->from_contents, cause) == -1 ||
	    get_str(so, "artifact_type", 0, &s->artifact_type, cause) == -1 ||
	    get_str(so, "artifact_format", 0, &s->artifact_format,
	    cause) == -1 ||
	    get_strv(so, "caches", &s->caches, &s->ncaches, cause) == -1)
		return (-1);
	if (get_int(so, "line", 0, INT32_MAX, &n, cause) == -1)
		return (-1);
	s->line = (int)n;
	if (get_int(so, "column", 0, INT32_MAX, &n, cause) == -1)
		return (-1);
	s->column = (int)n;
	return (0);
}

/* Rebuild a task from tfjson_task's output; see tfjson.h. */
int
tfjson_task_parse(const cJSON *o, struct tf_task *t, char **cause)
{
	const cJSON	*v, *e, *steps;
	int64_t		 n;
	int		 i, size;

	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(o)) {
		fail(cause, "task must be an object");
		goto fail;
	}
	if (get_str(o, "name", 1, &t->name, cause) == -1 ||
	    get_str(o, "alias", 0, &t->alias, cause) == -1 ||
	    get_str(o, "instance", 0, &t->instance, cause) == -1 ||
	    get_str(o, "image", 0, &t->image, cause) == -1 ||
	    get_str(o, "dockerfile", 0, &t->dockerfile, cause) == -1 ||
	    get_strv(o, "docker_arguments", &t->docker_arguments,
	    &t->ndocker_arguments, cause) == -1 ||
	    get_strv(o, "depends_on", &t->depends_on, &t->ndepends,
	    cause) == -1 ||
	    get_str(o, "only_if", 0, &t->only_if, cause) == -1 ||
	    get_str(o, "skip", 0, &t->skip, cause) == -1 ||
	    get_str(o, "skip_reason", 0, &t->skip_reason, cause) == -1 ||
	    get_bool(o, "allow_failures", &t->allow_failures, cause) == -1)
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(o, "cpu");
	if (v != NULL) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < 0) {
			fail(cause, "'cpu' must be a number");
			goto fail;
		}
		t->cpu = v->valuedouble;
	}
	if (tfsidecar_json_parse(cJSON_GetObjectItemCaseSensitive(o,
	    "additional_containers"), &t->sidecars, &t->nsidecars,
	    cause) == -1)
		goto fail;
	if (get_int(o, "memory_mb", 0, INT64_C(1) << 40, &t->memory_mb,
	    cause) == -1 ||
	    get_int(o, "timeout_s", 0, INT64_C(1) << 40, &t->timeout_s,
	    cause) == -1)
		goto fail;
	if (cJSON_GetObjectItemCaseSensitive(o, "timeout_s") == NULL)
		t->timeout_s = TF_DEFAULT_TIMEOUT_S;
	if (get_int(o, "line", 0, INT32_MAX, &n, cause) == -1)
		goto fail;
	t->line = (int)n;
	if (get_int(o, "column", 0, INT32_MAX, &n, cause) == -1)
		goto fail;
	t->column = (int)n;
	v = cJSON_GetObjectItemCaseSensitive(o, "env");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsObject(v)) {
			fail(cause, "'env' must be an object");
			goto fail;
		}
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e) || e->string == NULL) {
				fail(cause, "env values must be strings");
				goto fail;
			}
			tf_env_set(&t->env, e->string, e->valuestring);
		}
	}
	steps = cJSON_GetObjectItemCaseSensitive(o, "steps");
	if (steps != NULL && !cJSON_IsNull(steps)) {
		if (!cJSON_IsArray(steps)) {
			fail(cause, "'steps' must be an array");
			goto fail;
		}
		size = cJSON_GetArraySize(steps);
		if (size > 0)
			t->steps = xcalloc((size_t)size, sizeof *t->steps);
		for (i = 0; i < size; i++) {
			/* Count the step first so that a failure frees it. */
			t->nsteps++;
			if (get_step(cJSON_GetArrayItem(steps, i),
			    &t->steps[i], cause) == -1)
				goto fail;
		}
	}
	return (0);
fail:
	tf_task_free(t);
	return (-1);
}
