/* tfmodel.c -- the parsed task model: variables, names, copy, free, find. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/taskfile.h"
#include "proto/util.h"

/* Free tf and everything it holds; NULL is fine. */
void
taskfile_free(struct taskfile *tf)
{
	size_t	i;

	if (tf == NULL)
		return;
	for (i = 0; i < tf->ntasks; i++)
		tf_task_free(&tf->tasks[i]);
	free(tf->tasks);
	strv_free(tf->warnings, tf->nwarnings);
	for (i = 0; i < tf->ndropped; i++) {
		free(tf->dropped[i].name);
		free(tf->dropped[i].only_if);
	}
	free(tf->dropped);
	free(tf->name);
	free(tf);
}

/* The task named name, owned by tf; NULL when none. */
struct tf_task *
taskfile_find(const struct taskfile *tf, const char *name)
{
	size_t	i;

	for (i = 0; i < tf->ntasks; i++) {
		if (strcmp(tf->tasks[i].name, name) == 0)
			return (&tf->tasks[i]);
	}
	return (NULL);
}

/* "file:line:column: message", or "file: message" without a position. */
void
tf_error_format(const struct tf_error *e, char *out, size_t len)
{
	if (e->line == 0)
		snprintf(out, len, "%s: %s", e->file, e->message);
	else
		snprintf(out, len, "%s:%d:%d: %s", e->file, e->line,
		    e->column, e->message);
}

/* A step kind's name as the JSON and the client show it. */
const char *
tf_step_kind_name(enum tf_step_kind k)
{
	switch (k) {
	case STEP_SCRIPT:
		return ("script");
	case STEP_BACKGROUND:
		return ("background_script");
	case STEP_CACHE:
		return ("cache");
	case STEP_ARTIFACTS:
		return ("artifacts");
	case STEP_FILE:
		return ("file");
	case STEP_UPLOAD_CACHES:
		return ("upload_caches");
	}
	return ("unknown");
}

/* A when's name as the JSON and the client show it. */
const char *
tf_when_name(enum tf_when w)
{
	switch (w) {
	case WHEN_ON_SUCCESS:
		return ("on_success");
	case WHEN_ON_FAILURE:
		return ("on_failure");
	case WHEN_ALWAYS:
		return ("always");
	case WHEN_ON_TIMEOUT:
		return ("on_timeout");
	}
	return ("unknown");
}

/* Set key to a copy of value, in place when key is already there. */
void
tf_env_set(struct tf_env *env, const char *key, const char *value)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		if (strcmp(env->v[i].key, key) == 0) {
			free(env->v[i].value);
			env->v[i].value = xstrdup(value);
			return;
		}
	}
	env->v = xreallocarray(env->v, env->n + 1, sizeof *env->v);
	env->v[env->n].key = xstrdup(key);
	env->v[env->n].value = xstrdup(value);
	env->n++;
}

/* The value of key, owned by env; NULL when unset. */
const char *
tf_env_get(const struct tf_env *env, const char *key)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		if (strcmp(env->v[i].key, key) == 0)
			return (env->v[i].value);
	}
	return (NULL);
}

void
tf_env_builtins(struct tf_env *env)
{
	tf_env_set(env, "CI", "true");
	tf_env_set(env, "CONTINUOUS_INTEGRATION", "true");
	tf_env_set(env, "CIRRUS_CI", "true");
	tf_env_set(env, "CIRRUS_ENVIRONMENT", "stratus");
	/* As cirrus run: the one who runs it may do anything. */
	tf_env_set(env, "CIRRUS_USER_COLLABORATOR", "true");
	tf_env_set(env, "CIRRUS_USER_PERMISSION", "write");
	tf_env_set(env, "CIRRUS_OS", "linux");
	tf_env_set(env, "OS", "linux");
	/* Go's names, as Cirrus uses them: containers run on this machine. */
#if defined(__x86_64__)
	tf_env_set(env, "CIRRUS_ARCH", "amd64");
#elif defined(__aarch64__)
	tf_env_set(env, "CIRRUS_ARCH", "arm64");
#elif defined(__arm__)
	tf_env_set(env, "CIRRUS_ARCH", "arm");
#elif defined(__i386__)
	tf_env_set(env, "CIRRUS_ARCH", "386");
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	tf_env_set(env, "CIRRUS_ARCH", "ppc64le");
#elif defined(__s390x__)
	tf_env_set(env, "CIRRUS_ARCH", "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
	tf_env_set(env, "CIRRUS_ARCH", "riscv64");
#endif
}

/* Free env's variables and empty it. */
void
tf_env_free(struct tf_env *env)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		free(env->v[i].key);
		free(env->v[i].value);
	}
	free(env->v);
	env->v = NULL;
	env->n = 0;
}

/* A deep copy of n strings, the caller's; NULL when n is 0. */
static char **
strv_copy(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	if (n == 0)
		return (NULL);
	c = xcalloc(n, sizeof *c);
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return (c);
}

/* A copy of s, the caller's, or NULL for NULL. */
static char *
str_copy(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

void
tf_sidecars_free(struct tf_sidecar *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].image);
		tf_env_free(&v[i].env);
		strv_free(v[i].command, v[i].ncommand);
		strv_free(v[i].readiness, v[i].nreadiness);
	}
	free(v);
}

struct tf_sidecar *
tf_sidecars_copy(const struct tf_sidecar *v, size_t n)
{
	struct tf_sidecar	*c;
	size_t			 i, j;

	if (n == 0)
		return (NULL);
	c = xcalloc(n, sizeof *c);
	for (i = 0; i < n; i++) {
		c[i] = v[i];
		c[i].name = xstrdup(v[i].name);
		c[i].image = xstrdup(v[i].image);
		memset(&c[i].env, 0, sizeof c[i].env);
		for (j = 0; j < v[i].env.n; j++)
			tf_env_set(&c[i].env, v[i].env.v[j].key,
			    v[i].env.v[j].value);
		c[i].command = strv_copy(v[i].command, v[i].ncommand);
		c[i].readiness = strv_copy(v[i].readiness, v[i].nreadiness);
	}
	return (c);
}

/* Free the members of one step. */
static void
tf_step_free(struct tf_step *s)
{
	free(s->name);
	free(s->script);
	strv_free(s->paths, s->npaths);
	free(s->fingerprint_script);
	free(s->fingerprint_key);
	free(s->populate_script);
	free(s->file_path);
	free(s->variable_name);
	free(s->from_contents);
	free(s->artifact_type);
	free(s->artifact_format);
	strv_free(s->caches, s->ncaches);
}

/* Free the members of t (not t itself) and zero it. */
void
tf_task_free(struct tf_task *t)
{
	size_t	i;

	free(t->name);
	free(t->alias);
	free(t->instance);
	free(t->image);
	free(t->dockerfile);
	strv_free(t->docker_arguments, t->ndocker_arguments);
	tf_sidecars_free(t->sidecars, t->nsidecars);
	tf_env_free(&t->env);
	for (i = 0; i < t->nsteps; i++)
		tf_step_free(&t->steps[i]);
	free(t->steps);
	strv_free(t->depends_on, t->ndepends);
	free(t->only_if);
	free(t->skip);
	free(t->skip_reason);
	memset(t, 0, sizeof *t);
}

/* Deep copy src into dst; the caller frees dst's members with
 * tf_task_free. */
void
tf_task_copy(struct tf_task *dst, const struct tf_task *src)
{
	const struct tf_step	*s;
	struct tf_step		*d;
	size_t			 i;

	memset(dst, 0, sizeof *dst);
	dst->name = str_copy(src->name);
	dst->alias = str_copy(src->alias);
	dst->instance = str_copy(src->instance);
	dst->image = str_copy(src->image);
	dst->dockerfile = str_copy(src->dockerfile);
	dst->docker_arguments = strv_copy(src->docker_arguments,
	    src->ndocker_arguments);
	dst->ndocker_arguments = src->ndocker_arguments;
	dst->cpu = src->cpu;
	dst->memory_mb = src->memory_mb;
	dst->sidecars = tf_sidecars_copy(src->sidecars, src->nsidecars);
	dst->nsidecars = src->nsidecars;
	for (i = 0; i < src->env.n; i++)
		tf_env_set(&dst->env, src->env.v[i].key, src->env.v[i].value);
	if (src->nsteps != 0)
		dst->steps = xcalloc(src->nsteps, sizeof *dst->steps);
	for (i = 0; i < src->nsteps; i++) {
		s = &src->steps[i];
		d = &dst->steps[i];
		*d = *s;
		d->name = str_copy(s->name);
		d->script = str_copy(s->script);
		d->paths = strv_copy(s->paths, s->npaths);
		d->fingerprint_script = str_copy(s->fingerprint_script);
		d->fingerprint_key = str_copy(s->fingerprint_key);
		d->populate_script = str_copy(s->populate_script);
		d->file_path = str_copy(s->file_path);
		d->variable_name = str_copy(s->variable_name);
		d->from_contents = str_copy(s->from_contents);
		d->artifact_type = str_copy(s->artifact_type);
		d->artifact_format = str_copy(s->artifact_format);
		d->caches = strv_copy(s->caches, s->ncaches);
	}
	dst->nsteps = src->nsteps;
	dst->depends_on = strv_copy(src->depends_on, src->ndepends);
	dst->ndepends = src->ndepends;
	dst->allow_failures = src->allow_failures;
	dst->timeout_s = src->timeout_s;
	dst->only_if = str_copy(src->only_if);
	dst->skip = str_copy(src->skip);
	dst->skip_reason = str_copy(src->skip_reason);
	dst->line = src->line;
	dst->column = src->column;
}
