/* workspace.c -- the executor's hooks: secrets, Dockerfile images, artifacts in and out; caches are in wscache.c. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/artifacts.h"
#include "daemon/blobstore.h"
#include "daemon/dockerctx.h"
#include "daemon/executor.h"
#include "daemon/podman.h"
#include "daemon/runner.h"
#include "daemon/secrets.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "daemon/workspace_int.h"
#include "proto/api.h"
#include "proto/expr.h"
#include "proto/sha256.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

void
ws_say(struct workspace *ws, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	ws->say(ws->arg, s);
	free(s);
}

static void
ws_say_cb(void *arg, const char *s)
{
	struct workspace	*ws = arg;

	ws->say(ws->arg, s);
}

static void
ws_mask_out(const char *s, size_t n, void *arg)
{
	struct workspace	*ws = arg;

	ws->out(s, n, ws->arg);
}

/* The job's -e variables (JSON object of strings, may be NULL) into e. */
static void
ws_user_env(const char *text, struct tf_env *e)
{
	cJSON	*json, *it;

	if (text == NULL || (json = cJSON_Parse(text)) == NULL)
		return;
	cJSON_ArrayForEach(it, json) {
		if (cJSON_IsString(it))
			tf_env_set(e, it->string, it->valuestring);
	}
	cJSON_Delete(json);
}

/*
 * Does a variable's name say its value is a secret?  Cirrus masks these
 * in logs without being told (environment.go isWellKnownSensitive).
 */
static int
ws_sensitive(const char *key)
{
	static const char *const sfx[] = { "_PASSWORD", "_SECRET", "_TOKEN",
	    "_ACCESS_KEY", "_SECRET_KEY" };
	size_t	i, n = strlen(key), l;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		l = strlen(sfx[i]);
		if (n >= l && strcmp(key + n - l, sfx[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * What paths and the values of sensitive variables expand with, as Cirrus
 * (DownloadCache, NewArtifacts, environment.go): the job's -e (user), the
 * task's env, then the built-ins with CIRRUS_WORKING_DIR (the task's working
 * directory) and HOME (the task's env: HOME, else root's, as for a leading
 * "~": ws_folder).
 */
struct ws_vars {
	const struct tf_env	*env;
	struct tf_env		 user;
	struct tf_env		 base;
	struct tf_context	 ctx;
};

static void
ws_vars_init(struct ws_vars *v, const struct tf_task *spec,
    const char *job_env, const char *task_name)
{
	const char	*home;

	memset(v, 0, sizeof *v);
	v->env = &spec->env;
	ws_user_env(job_env, &v->user);
	tf_env_builtins(&v->base);
	tf_env_set(&v->base, "CIRRUS_TASK_NAME", task_name);
	tf_env_set(&v->base, "CIRRUS_WORKING_DIR", executor_workdir(spec));
	home = tf_env_get(&spec->env, "HOME");
	tf_env_set(&v->base, "HOME", home != NULL && *home == '/' ? home :
	    "/root");
	v->ctx.env = &v->user;
	v->ctx.base = &v->base;
}

static void
ws_vars_free(struct ws_vars *v)
{
	tf_env_free(&v->user);
	tf_env_free(&v->base);
}

/* s with its variables expanded, or NULL when it has none (or too long). */
static char *
ws_vars_expand(const struct ws_vars *v, const char *s)
{
	if (strpbrk(s, "$%") == NULL)
		return (NULL);
	return (expr_expand(s, v->env, &v->ctx));
}

/*
 * Mask in m what variable kv hides: the secret it names when dir is not NULL
 * and it is set (else workspace_env does that), or its value, expanded, when
 * its name says it is a secret (ws_sensitive); values as short as those
 * CIRRUS_ENV_SENSITIVE leaves alone are left alone (RUNNER_ENV_MASK_MIN).
 */
static void
ws_mask_var(struct secrets_mask *m, const char *dir, const struct ws_vars *v,
    const struct tf_kv *kv)
{
	char	*name = NULL, *secret = NULL, *why = NULL, *x;

	if (secrets_reference(kv->value, &name)) {
		if (dir != NULL && secrets_get(dir, name, &secret, &why) == 0)
			secrets_mask_add(m, secret);
		free(secret);
		free(why);
		free(name);
		return;
	}
	if (!ws_sensitive(kv->key))
		return;
	x = ws_vars_expand(v, kv->value);
	if (strlen(x != NULL ? x : kv->value) >= RUNNER_ENV_MASK_MIN)
		secrets_mask_add(m, x != NULL ? x : kv->value);
	free(x);
}

/* ws_mask_var of the task's env and the job's -e. */
static void
ws_mask_env(struct secrets_mask *m, const char *dir, const struct ws_vars *v)
{
	size_t	i;

	for (i = 0; i < v->env->n; i++)
		ws_mask_var(m, dir, v, &v->env->v[i]);
	for (i = 0; i < v->user.n; i++)
		ws_mask_var(m, dir, v, &v->user.v[i]);
}

/*
 * Expand the variables of cache folders and artifacts paths in place, once,
 * before the runner script, the cache keys and artifacts_collect look at
 * them: all of them (and the cache entry keys) see the expanded path.
 */
static void
ws_expand_paths(struct tf_task *spec, const struct ws_vars *v)
{
	struct tf_step	*s;
	char		*x;
	size_t		 i, j;

	for (i = 0; i < spec->nsteps; i++) {
		s = &spec->steps[i];
		if (s->kind != STEP_CACHE && s->kind != STEP_ARTIFACTS)
			continue;
		for (j = 0; j < s->npaths; j++) {
			if ((x = ws_vars_expand(v, s->paths[j])) == NULL)
				continue;
			free(s->paths[j]);
			s->paths[j] = x;
		}
	}
}

struct workspace *
workspace_new(const struct exec_env *env, const struct store_job *job,
    const struct store_task *task, struct tf_task *spec,
    void (*out)(const char *, size_t, void *),
    void (*say)(void *, const char *), void *arg)
{
	struct workspace	*ws;
	struct ws_vars		 v;

	ws = xcalloc(1, sizeof *ws);
	ws->env = env;
	ws->job = job;
	ws->task = task;
	ws->spec = spec;
	ws->out = out;
	ws->say = say;
	ws->arg = arg;
	ws->mask = secrets_mask_new(ws_mask_out, ws);
	ws_vars_init(&v, spec, job->env, task->name);
	ws_expand_paths(spec, &v);
	ws_mask_env(ws->mask, NULL, &v);
	ws_vars_free(&v);
	return (ws);
}

void
workspace_free(struct workspace *ws)
{
	if (ws == NULL)
		return;
	secrets_mask_free(ws->mask);
	wscache_clear(ws);
	free(ws);
}

void
workspace_output(struct workspace *ws, const char *s, size_t n)
{
	secrets_mask_feed(ws->mask, s, n);
}

void
workspace_mask(struct workspace *ws, const char *value)
{
	secrets_mask_add(ws->mask, value);
}

char *
ws_state(const struct workspace *ws, const char *sub)
{
	return (xasprintf("%s/%s", ws->env->state_dir, sub));
}

int
workspace_env(struct workspace *ws, char **envl, char **cause)
{
	char	*dir, *name = NULL, *value = NULL, *why = NULL, *eq;
	size_t	 i;
	int	 r, rv = -1;

	ws->envl = envl;
	dir = ws_state(ws, "secrets");
	for (i = 0; envl[i] != NULL; i++) {
		if ((eq = strchr(envl[i], '=')) == NULL ||
		    !secrets_reference(eq + 1, &name))
			continue;
		*eq = '\0';
		if ((r = secrets_get(dir, name, &value, &why)) != 0) {
			if (r == 1)
				*cause = xasprintf("variable %s: secret '%s' "
				    "is not set (set it with: stratus secret "
				    "set %s)", envl[i], name, name);
			else
				*cause = xasprintf("variable %s: %s", envl[i],
				    why);
			*eq = '=';
			goto out;
		}
		secrets_mask_add(ws->mask, value);
		eq = xasprintf("%s=%s", envl[i], value);
		free(envl[i]);
		envl[i] = eq;
		free(value);
		value = NULL;
		free(name);
		name = NULL;
	}
	rv = 0;
out:
	free(why);
	free(value);
	free(name);
	free(dir);
	return (rv);
}

struct secrets_mask *
workspace_mask_task(const struct exec_env *env, const struct store_task *t,
    secrets_out_cb out, void *arg)
{
	struct secrets_mask	*m;
	struct store_job	*job = NULL;
	struct tf_task		 spec;
	struct ws_vars		 v;
	cJSON			*json;
	char			*dir, *cause = NULL;

	m = secrets_mask_new(out, arg);
	dir = xasprintf("%s/secrets", env->state_dir);
	/* What workspace_env resolved: the task's env, then the job's -e. */
	if ((json = cJSON_Parse(t->spec)) == NULL ||
	    tfjson_task_parse(json, &spec, &cause) == -1)
		memset(&spec, 0, sizeof spec);	/* no env to mask from */
	cJSON_Delete(json);
	free(cause);
	cause = NULL;
	if (store_job_get(env->store, t->job_id, &job, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	ws_vars_init(&v, &spec, job != NULL ? job->env : NULL, t->name);
	ws_mask_env(m, dir, &v);
	ws_vars_free(&v);
	tf_task_free(&spec);
	store_job_free(job);
	free(dir);
	return (m);
}

/* Podman build output lines, into the task log. */
static void
ws_build_line(const char *line, void *arg)
{
	struct workspace	*ws = arg;
	char			*s;

	s = xasprintf("%s\n", line);
	workspace_output(ws, s, strlen(s));
	free(s);
}

/*
 * Mix into hex the identity of each image the Dockerfile builds on, pulled
 * first when missing (as the build would): a base image rebuilt or pulled
 * anew gives a new tag.  0, or -1 with cause.
 */
static int
ws_image_bases(struct workspace *ws, struct podman *pm,
    const struct dockerctx_bases *bases, char hex[SHA256_HEXLEN + 1],
    char **cause)
{
	struct sha256_ctx	 c;
	unsigned char		 d[SHA256_LEN];
	char			*id = NULL;
	size_t			 i;
	int			 rv = -1;

	if (bases->n == 0)
		return (0);
	sha256_init(&c);
	sha256_update(&c, hex, strlen(hex) + 1);
	for (i = 0; i < bases->n; i++) {
		if (podman_image_id(pm, bases->v[i], &id, cause) == -1)
			goto out;
		if (id == NULL) {
			ws_say(ws, "pulling %s, which the Dockerfile builds on",
			    bases->v[i]);
			if (podman_image_pull(pm, bases->v[i], ws_build_line,
			    ws, cause) == -1 ||
			    podman_image_id(pm, bases->v[i], &id, cause) == -1)
				goto out;
			if (id == NULL) {
				*cause = xasprintf("image %s: not there after "
				    "its pull", bases->v[i]);
				goto out;
			}
		}
		sha256_update(&c, bases->v[i], strlen(bases->v[i]) + 1);
		sha256_update(&c, id, strlen(id) + 1);
		free(id);
		id = NULL;
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
	rv = 0;
out:
	free(id);
	return (rv);
}

int
workspace_image(struct workspace *ws, struct podman *pm, char **cause)
{
	struct dockerctx_bases	 bases = { NULL, 0 };
	char			 hex[SHA256_HEXLEN + 1], *tag = NULL;
	char			*why = NULL;
	void			*blob = NULL;
	size_t			 len, nused;
	int			 exists, rv = -1;

	if (ws->spec->dockerfile == NULL)
		return (0);
	if (ws->job->blob == NULL) {
		*cause = xstrdup("container: dockerfile: needs a snapshot of "
		    "the project as its context (not --dirty)");
		return (-1);
	}
	if (blobstore_read(ws->env->blobs, ws->job->blob, &blob, &len,
	    API_MAX_BLOB, cause) == -1)
		goto out;
	if (dockerctx_digest(blob, len, ws->job->blob, ws->spec->dockerfile,
	    (const char *const *)ws->spec->docker_arguments,
	    ws->spec->ndocker_arguments, hex, &nused, &bases, &why) == 0)
		ws_say(ws, "the image tag covers the whole snapshot: %s", why);
	else
		ws_say(ws, "the image tag covers %s, its arguments, %zu "
		    "context entr%s and %zu base image%s",
		    ws->spec->dockerfile, nused, nused == 1 ? "y" : "ies",
		    bases.n, bases.n == 1 ? "" : "s");
	if (ws_image_bases(ws, pm, &bases, hex, cause) == -1)
		goto out;
	tag = xasprintf("localhost/stratus-dockerfile:%.24s", hex);
	if (podman_image_exists(pm, tag, &exists, cause) == -1)
		goto out;
	if (exists)
		ws_say(ws, "using image %s, built before from %s", tag,
		    ws->spec->dockerfile);
	else {
		ws_say(ws, "building image %s from %s", tag,
		    ws->spec->dockerfile);
		if (podman_image_build(pm, ws->spec->dockerfile, tag,
		    (const char *const *)ws->spec->docker_arguments,
		    ws->spec->ndocker_arguments, blob, len,
		    ws_build_line, ws, cause) == -1)
			goto out;
		secrets_mask_flush(ws->mask);
	}
	free(ws->spec->image);
	ws->spec->image = tag;
	tag = NULL;
	rv = 0;
out:
	dockerctx_bases_free(&bases);
	free(why);
	free(blob);
	free(tag);
	return (rv);
}

/* Put each dependency's artifacts below workdir/.artifacts/NAME/. */
static int
ws_dep_artifacts(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, char **cause)
{
	struct store_task	*dep = NULL;
	char			*root, *prefix, *why = NULL;
	void			*tar = NULL;
	size_t			 len, i;
	int			 r, rv = -1;

	root = ws_state(ws, "artifacts");
	for (i = 0; i < ws->task->ndeps; i++) {
		store_task_free(dep);
		dep = NULL;
		if (store_task_get(ws->env->store, ws->task->deps[i], &dep,
		    &why) != 0) {
			free(why);
			why = NULL;
			continue;
		}
		prefix = xasprintf(".artifacts/%s", dep->name);
		r = artifacts_pack(root, dep->job_id, dep->id, dep->attempt,
		    prefix, &tar, &len, cause);
		free(prefix);
		if (r == 1)
			continue;
		if (r == -1 || podman_container_put_archive(pm, id, workdir,
		    tar, len, cause) == -1)
			goto out;
		ws_say(ws, "artifacts of '%s' are in .artifacts/%s/", dep->name,
		    dep->name);
		free(tar);
		tar = NULL;
	}
	rv = 0;
out:
	store_task_free(dep);
	free(tar);
	free(root);
	return (rv);
}

int
workspace_before(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, char **cause)
{
	if (ws_dep_artifacts(ws, pm, id, workdir, cause) == -1 ||
	    wscache_restore(ws, pm, id, workdir, cause) == -1)
		return (-1);
	return (0);
}

/*
 * Which of the spec's steps the runner reached (began), as the store has
 * their markers: an array of spec->nsteps flags, the caller's; NULL, with
 * *cause (the caller's), when the store cannot say.
 */
static int *
ws_reached(struct workspace *ws, char **cause)
{
	struct store_task	*now = NULL;
	int			*reached;
	size_t			 j;

	if (store_task_get(ws->env->store, ws->task->id, &now, cause) != 0) {
		if (*cause == NULL)
			*cause = xstrdup("the task is gone");
		return (NULL);
	}
	reached = xcalloc(ws->spec->nsteps + 1, sizeof *reached);
	for (j = 0; j < now->nsteps; j++) {
		if (now->steps[j].idx >= 0 &&
		    (size_t)now->steps[j].idx < ws->spec->nsteps)
			reached[now->steps[j].idx] =
			    now->steps[j].state != TASK_QUEUED &&
			    now->steps[j].state != TASK_SKIPPED;
	}
	store_task_free(now);
	return (reached);
}

void
workspace_after(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, int succeeded)
{
	char	*root, *cause = NULL;
	int	*reached;

	secrets_mask_flush(ws->mask);
	root = ws_state(ws, "artifacts");
	/* As Cirrus: an artifacts step the runner reached is collected,
	 * whatever came after it; by the result when the store cannot say. */
	if ((reached = ws_reached(ws, &cause)) == NULL) {
		ws_say(ws, "artifacts: which steps ran is unknown (%s); going "
		    "by the task's result", cause);
		free(cause);
		cause = NULL;
	}
	if (artifacts_collect(pm, id, workdir, ws->spec, reached, succeeded,
	    root, ws->task->job_id, ws->task->id, ws->task->attempt,
	    ws_say_cb, ws, &cause) == -1) {
		ws_say(ws, "artifacts: %s", cause);
		free(cause);
	}
	free(root);
	wscache_save(ws, pm, id, workdir, succeeded, reached);
	free(reached);
}
