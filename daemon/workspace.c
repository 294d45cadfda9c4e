/* workspace.c -- the executor's hooks: secrets, Dockerfile images, dependency artifacts, caches, artifacts. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/artifacts.h"
#include "daemon/blobstore.h"
#include "daemon/cache.h"
#include "daemon/cachestate.h"
#include "daemon/dockerctx.h"
#include "daemon/executor.h"
#include "daemon/podman.h"
#include "daemon/secrets.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "proto/api.h"
#include "proto/sha256.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

#define WS_FINGERPRINT_MAX	(1u << 20)	/* output of a fingerprint_script */

/* A cache step's key and what was restored for each of its folders. */
struct ws_cache {
	const struct tf_step	*step;
	char			*key;
	char		       **restored;	/* sha of each folder's tar or NULL */
};

struct workspace {
	const struct exec_env	*env;
	const struct store_job	*job;
	const struct store_task	*task;
	struct tf_task		*spec;
	void			(*out)(const char *, size_t, void *);
	void			(*say)(void *, const char *);
	void			*arg;
	struct secrets_mask	*mask;
	char		       **envl;		/* borrowed from workspace_env */
	struct ws_cache		*caches;
	size_t			 ncaches;
};

/* Say a formatted line in the task log. */
static void __attribute__((format(printf, 2, 3)))
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

struct workspace *
workspace_new(const struct exec_env *env, const struct store_job *job,
    const struct store_task *task, struct tf_task *spec,
    void (*out)(const char *, size_t, void *),
    void (*say)(void *, const char *), void *arg)
{
	struct workspace	*ws;

	ws = xcalloc(1, sizeof *ws);
	ws->env = env;
	ws->job = job;
	ws->task = task;
	ws->spec = spec;
	ws->out = out;
	ws->say = say;
	ws->arg = arg;
	ws->mask = secrets_mask_new(ws_mask_out, ws);
	return (ws);
}

/* Forget every cache: none is saved. */
static void
ws_caches_clear(struct workspace *ws)
{
	size_t	i, j;

	for (i = 0; i < ws->ncaches; i++) {
		free(ws->caches[i].key);
		for (j = 0; j < ws->caches[i].step->npaths; j++)
			free(ws->caches[i].restored[j]);
		free(ws->caches[i].restored);
	}
	free(ws->caches);
	ws->caches = NULL;
	ws->ncaches = 0;
}

void
workspace_free(struct workspace *ws)
{
	if (ws == NULL)
		return;
	secrets_mask_free(ws->mask);
	ws_caches_clear(ws);
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

/* A path below the state directory; caller frees. */
static char *
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

/* Add value to m when it names a secret that is set. */
static void
ws_mask_ref(struct secrets_mask *m, const char *dir, const char *value)
{
	char	*name = NULL, *secret = NULL, *why = NULL;

	if (!secrets_reference(value, &name))
		return;
	if (secrets_get(dir, name, &secret, &why) == 0)
		secrets_mask_add(m, secret);
	free(secret);
	free(why);
	free(name);
}

struct secrets_mask *
workspace_mask_task(const struct exec_env *env, const struct store_task *t,
    secrets_out_cb out, void *arg)
{
	struct secrets_mask	*m;
	struct store_job	*job = NULL;
	struct tf_task		 spec;
	cJSON			*json, *user = NULL, *it;
	char			*dir, *cause = NULL;
	size_t			 i;

	m = secrets_mask_new(out, arg);
	dir = xasprintf("%s/secrets", env->state_dir);
	/* What workspace_env resolved: the task's env, then the job's -e. */
	if ((json = cJSON_Parse(t->spec)) != NULL &&
	    tfjson_task_parse(json, &spec, &cause) == 0) {
		for (i = 0; i < spec.env.n; i++)
			ws_mask_ref(m, dir, spec.env.v[i].value);
		tf_task_free(&spec);
	}
	cJSON_Delete(json);
	free(cause);
	cause = NULL;
	if (store_job_get(env->store, t->job_id, &job, &cause) == 0 &&
	    job->env != NULL && (user = cJSON_Parse(job->env)) != NULL) {
		cJSON_ArrayForEach(it, user) {
			if (cJSON_IsString(it))
				ws_mask_ref(m, dir, it->valuestring);
		}
	}
	cJSON_Delete(user);
	store_job_free(job);
	free(cause);
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

/* Collect a fingerprint_script's stdout. */
static int
ws_fp_output(int stream, const char *s, size_t n, void *arg)
{
	if (stream == 1 && buf_add(arg, s, n) != 0)
		return (1);
	return (0);
}

/* Run a fingerprint_script in a short-lived container of the task's image
 * with the snapshot; its stdout's SHA-256 into hex. */
static int
ws_fingerprint(struct workspace *ws, struct podman *pm, const char *script,
    const char *workdir, char *hex, char **cause)
{
	struct podman_spec	 ps;
	struct podman_mount	 mnt;
	struct sha256_ctx	 c;
	struct buf		 b;
	unsigned char		 d[SHA256_LEN];
	const char		*argv[4];
	char			*id = NULL, *why = NULL;
	void			*blob = NULL;
	size_t			 len;
	int			 code = -1, rv = -1;

	buf_init(&b, WS_FINGERPRINT_MAX);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	memset(&ps, 0, sizeof ps);
	ps.image = ws->spec->image;
	ps.command = argv;
	ps.env = (const char *const *)ws->envl;
	ps.work_dir = workdir;
	ps.netns = ws->env->netns;
	ps.stop_timeout = ws->env->stop_timeout_s;
	if (ws->job->dirty_path != NULL) {
		mnt.source = ws->job->dirty_path;
		mnt.destination = workdir;
		mnt.readonly = 1;
		ps.mounts = &mnt;
		ps.nmounts = 1;
	}
	if (podman_container_create(pm, &ps, &id, NULL, NULL, cause) == -1)
		goto out;
	if (ws->job->blob != NULL && (blobstore_read(ws->env->blobs,
	    ws->job->blob, &blob, &len, API_MAX_BLOB, cause) == -1 ||
	    podman_container_put_archive(pm, id, workdir, blob, len,
	    cause) == -1))
		goto remove;
	if (podman_container_run_attached(pm, id, ws_fp_output, NULL,
	    ws->env->stop_timeout_s, &b, &code, cause) == -1)
		goto remove;
	if (code != 0) {
		*cause = xasprintf("fingerprint_script exited %d", code);
		goto remove;
	}
	sha256_init(&c);
	sha256_update(&c, b.data != NULL ? b.data : "", b.len);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	rv = 0;
remove:
	if (podman_container_remove(pm, id, &why) == -1)
		free(why);
out:
	buf_free(&b);
	free(blob);
	free(id);
	return (rv);
}

/*
 * The parent directory and the absolute path of a cache folder: relative to
 * the working directory, or with a leading "~" to the task's HOME (its env,
 * else root's: containers run as root unless the image says otherwise).
 */
static char *
ws_folder(const struct workspace *ws, const char *workdir,
    const char *folder, char **parent)
{
	const char	*home;
	char		*abs, *slash;

	home = tf_env_get(&ws->spec->env, "HOME");
	if (home == NULL || *home != '/')
		home = "/root";
	if (folder[0] == '~' && (folder[1] == '/' || folder[1] == '\0'))
		abs = xasprintf("%s%s", home, folder + 1);
	else
		abs = *folder == '/' ? xstrdup(folder) :
		    xasprintf("%s/%s", workdir, folder);
	while (strlen(abs) > 1 && abs[strlen(abs) - 1] == '/')
		abs[strlen(abs) - 1] = '\0';
	*parent = xstrdup(abs);
	slash = strrchr(*parent, '/');
	if (slash == *parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return (abs);
}

/* Entry key of one folder of a cache. */
static char *
ws_cache_key(const struct ws_cache *wc, size_t j)
{
	return (xasprintf("%s %s", wc->key, wc->step->paths[j]));
}

/* A cache step's entry in ws->caches, its key and restored folders unset. */
static struct ws_cache *
ws_cache_add(struct workspace *ws, const struct tf_step *s)
{
	struct ws_cache	*wc;

	ws->caches = xreallocarray(ws->caches, ws->ncaches + 1,
	    sizeof *ws->caches);
	wc = &ws->caches[ws->ncaches++];
	wc->step = s;
	wc->key = NULL;
	wc->restored = xcalloc(s->npaths, sizeof *wc->restored);
	return (wc);
}

/* Work out every cache's key and restore what exists. */
static int
ws_restore_caches(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, char **cause)
{
	const struct tf_step	*s;
	struct ws_cache		*wc;
	char			 hex[SHA256_HEXLEN + 1], *root, *k, *parent;
	char			*abs, *why = NULL;
	void			*tar = NULL;
	size_t			 i, j, len;
	int			 r, rv = -1;

	root = ws_state(ws, "caches");
	for (i = 0; i < ws->spec->nsteps; i++) {
		s = &ws->spec->steps[i];
		if (s->kind != STEP_CACHE || s->npaths == 0)
			continue;
		wc = ws_cache_add(ws, s);
		if (s->fingerprint_key != NULL)
			wc->key = xasprintf("%s:%s", s->name,
			    s->fingerprint_key);
		else if (s->fingerprint_script != NULL) {
			if (ws_fingerprint(ws, pm, s->fingerprint_script,
			    workdir, hex, &why) == -1) {
				ws_say(ws, "cache %s: %s; not restored", s->name,
				    why);
				free(why);
				why = NULL;
				wc->key = xasprintf("%s:unknown", s->name);
				continue;
			}
			wc->key = xasprintf("%s:%.16s", s->name, hex);
		} else
			wc->key = xasprintf("%s:task %s", s->name,
			    ws->task->name);
		for (j = 0; j < s->npaths; j++) {
			k = ws_cache_key(wc, j);
			r = cache_get(root, ws->job->project, k, &tar, &len,
			    hex, &why);
			free(k);
			if (r == -1) {
				ws_say(ws, "cache %s: %s", s->name, why);
				free(why);
				why = NULL;
				continue;
			}
			if (r == 1) {
				ws_say(ws, "cache %s: no entry for %s (key %s)",
				    s->name, s->paths[j], wc->key);
				continue;
			}
			abs = ws_folder(ws, workdir, s->paths[j], &parent);
			r = podman_container_put_archive(pm, id, parent, tar,
			    len, cause);
			free(abs);
			free(parent);
			free(tar);
			tar = NULL;
			if (r == -1)
				goto out;
			wc->restored[j] = xstrdup(hex);
			ws_say(ws, "cache %s: restored %s (%zu bytes, key %s)",
			    s->name, s->paths[j], len, wc->key);
		}
	}
	rv = 0;
out:
	free(root);
	return (rv);
}

/*
 * Record every cache's key and restored folders in the store: a stratusd
 * that re-adopts the task after this one died saves them from that
 * (workspace_adopt_caches).  Failing to only costs that.
 */
static void
ws_record_caches(struct workspace *ws)
{
	struct cachestate	*cs;
	char			*json, *why = NULL;
	size_t			 i;

	if (ws->ncaches == 0)
		return;
	cs = xcalloc(ws->ncaches, sizeof *cs);
	for (i = 0; i < ws->ncaches; i++) {
		cs[i].name = ws->caches[i].step->name;
		cs[i].key = ws->caches[i].key;
		cs[i].paths = ws->caches[i].step->paths;
		cs[i].restored = ws->caches[i].restored;
		cs[i].npaths = ws->caches[i].step->npaths;
	}
	json = cachestate_encode(cs, ws->ncaches);
	if (store_task_set_cache_state(ws->env->store, ws->task->id, json,
	    &why) == -1) {
		ws_say(ws, "caches: their keys are not recorded (they will "
		    "not be saved if stratusd restarts): %s", why);
		free(why);
	}
	free(json);
	free(cs);
}

int
workspace_before(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, char **cause)
{
	if (ws_dep_artifacts(ws, pm, id, workdir, cause) == -1 ||
	    ws_restore_caches(ws, pm, id, workdir, cause) == -1)
		return (-1);
	ws_record_caches(ws);
	return (0);
}

int
workspace_adopt_caches(struct workspace *ws, char **cause)
{
	const struct tf_step	*s;
	struct ws_cache		*wc;
	char			*json = NULL;
	size_t			 i;
	int			 r, rv = -1;

	for (i = 0; i < ws->spec->nsteps; i++) {
		s = &ws->spec->steps[i];
		if (s->kind != STEP_CACHE || s->npaths == 0)
			continue;
		if (json == NULL && (r = store_task_cache_state(ws->env->store,
		    ws->task->id, &json, cause)) != 0) {
			if (r == 1)
				*cause = xstrdup("the task is gone");
			goto out;
		}
		if (json == NULL) {
			*cause = xstrdup("their keys were not recorded");
			goto out;
		}
		wc = ws_cache_add(ws, s);
		if ((r = cachestate_find(json, s->name, s->paths, s->npaths,
		    &wc->key, wc->restored, cause)) == -1)
			goto out;
		if (r == 1) {
			*cause = xasprintf("the key of cache %s was not "
			    "recorded", s->name);
			goto out;
		}
	}
	rv = 0;
out:
	if (rv == -1)
		ws_caches_clear(ws);
	free(json);
	return (rv);
}

/* What upload_caches instructions say of a cache (ws_uploads). */
enum ws_upload {
	WS_UP_SAVE,		/* named by one that ran */
	WS_UP_UNNAMED,		/* named by none */
	WS_UP_UNREACHED		/* named only by ones that did not run */
};

/*
 * With upload_caches instructions, which caches to save: those named by
 * one that the runner reached (its step has begun, as the store says),
 * whatever the result, for that is what uploading early is for.  0
 * without any (all are saved after success), else 1 and *up (the
 * caller's) with an entry per ws->caches.
 */
static int
ws_uploads(struct workspace *ws, enum ws_upload **up)
{
	const struct tf_step	*s;
	struct store_task	*now = NULL;
	char			*cause = NULL;
	size_t			 i, j, k, c;
	int			 any = 0, reached;

	for (i = 0; i < ws->spec->nsteps; i++)
		any |= ws->spec->steps[i].kind == STEP_UPLOAD_CACHES;
	if (!any)
		return (0);
	*up = xcalloc(ws->ncaches + 1, sizeof **up);
	for (c = 0; c < ws->ncaches; c++)
		(*up)[c] = WS_UP_UNNAMED;
	if (store_task_get(ws->env->store, ws->task->id, &now, &cause) != 0) {
		ws_say(ws, "caches: not saved: %s", cause != NULL ? cause :
		    "the task is gone");
		free(cause);
		for (c = 0; c < ws->ncaches; c++)
			(*up)[c] = WS_UP_UNREACHED;
		return (1);
	}
	for (i = 0; i < ws->spec->nsteps; i++) {
		s = &ws->spec->steps[i];
		if (s->kind != STEP_UPLOAD_CACHES)
			continue;
		reached = 0;
		for (j = 0; j < now->nsteps; j++) {
			if (now->steps[j].idx == (int)i)
				reached = now->steps[j].state != TASK_QUEUED &&
				    now->steps[j].state != TASK_SKIPPED;
		}
		for (k = 0; k < s->ncaches; k++) {
			for (c = 0; c < ws->ncaches; c++) {
				if (strcmp(ws->caches[c].step->name,
				    s->caches[k]) != 0)
					continue;
				if (reached)
					(*up)[c] = WS_UP_SAVE;
				else if ((*up)[c] == WS_UP_UNNAMED)
					(*up)[c] = WS_UP_UNREACHED;
			}
		}
	}
	store_task_free(now);
	return (1);
}

/* Save caches that are new, or changed with reupload_on_changes; with up
 * (ws_uploads) only those it says. */
static void
ws_save_caches(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, const enum ws_upload *up)
{
	struct ws_cache		*wc;
	struct sha256_ctx	 c;
	unsigned char		 d[SHA256_LEN];
	char			 hex[SHA256_HEXLEN + 1], *root, *abs, *parent;
	char			*k, *why = NULL;
	void			*tar = NULL;
	size_t			 i, j, len;
	int			 missing;

	root = ws_state(ws, "caches");
	for (i = 0; i < ws->ncaches; i++) {
		wc = &ws->caches[i];
		if (up != NULL && up[i] != WS_UP_SAVE) {
			ws_say(ws, "cache %s: not saved: %s", wc->step->name,
			    up[i] == WS_UP_UNNAMED ? "no upload_caches "
			    "instruction names it" : "the upload_caches "
			    "instruction naming it did not run");
			continue;
		}
		for (j = 0; j < wc->step->npaths; j++) {
			if (wc->restored[j] != NULL &&
			    !wc->step->reupload_on_changes)
				continue;
			abs = ws_folder(ws, workdir, wc->step->paths[j],
			    &parent);
			free(parent);
			if (podman_container_get_archive(pm, id, abs,
			    CACHE_MAX_TAR, &tar, &len, &missing, &why) == -1) {
				ws_say(ws, "cache %s: not saved: %s",
				    wc->step->name, why);
				free(why);
				why = NULL;
				free(abs);
				continue;
			}
			free(abs);
			if (missing) {
				ws_say(ws, "cache %s: %s does not exist; "
				    "nothing saved", wc->step->name,
				    wc->step->paths[j]);
				continue;
			}
			sha256_init(&c);
			sha256_update(&c, tar, len);
			sha256_final(&c, d);
			sha256_hex(d, hex);
			if (wc->restored[j] != NULL &&
			    strcmp(wc->restored[j], hex) == 0) {
				free(tar);
				tar = NULL;
				continue;
			}
			k = ws_cache_key(wc, j);
			if (cache_put(root, ws->job->project, k, tar, len,
			    cache_budget(), &why) == -1) {
				ws_say(ws, "cache %s: not saved: %s",
				    wc->step->name, why);
				free(why);
				why = NULL;
			} else
				ws_say(ws, "cache %s: saved %s (%zu bytes, key "
				    "%s)", wc->step->name, wc->step->paths[j],
				    len, wc->key);
			free(k);
			free(tar);
			tar = NULL;
		}
	}
	free(root);
}

void
workspace_after(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, int succeeded)
{
	enum ws_upload	*up = NULL;
	char		*root, *cause = NULL;

	secrets_mask_flush(ws->mask);
	root = ws_state(ws, "artifacts");
	if (artifacts_collect(pm, id, workdir, ws->spec, succeeded, root,
	    ws->task->job_id, ws->task->id, ws->task->attempt, ws_say_cb, ws,
	    &cause) == -1) {
		ws_say(ws, "artifacts: %s", cause);
		free(cause);
	}
	free(root);
	if (ws_uploads(ws, &up) == 1) {
		ws_save_caches(ws, pm, id, workdir, up);
		free(up);
	} else if (succeeded)
		ws_save_caches(ws, pm, id, workdir, NULL);
}
