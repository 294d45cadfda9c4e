/* wscache.c -- a task's caches: their keys, restoring them before the steps, saving them after. */
#include <stdlib.h>
#include <string.h>

#include "daemon/blobstore.h"
#include "daemon/cache.h"
#include "daemon/cachestate.h"
#include "daemon/executor.h"
#include "daemon/podman.h"
#include "daemon/runner.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "daemon/workspace_int.h"
#include "proto/api.h"
#include "proto/sha256.h"
#include "proto/taskfile.h"
#include "proto/util.h"

#define WS_FINGERPRINT_MAX	(1u << 20)	/* output of a fingerprint_script */

/* A cache step's key and what was restored for each of its folders. */
struct ws_cache {
	const struct tf_step	*step;
	char			*key;
	char		       **restored;	/* sha of each folder's tar or NULL */
};

void
wscache_clear(struct workspace *ws)
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

/*
 * Tell the runner that cache step idx was restored whole: an empty file
 * RUNNER_RESTORED_MARK<idx> in the container's /tmp.  Its populate_script
 * then does not run: as in Cirrus, it runs on a cache miss.
 */
static int
ws_mark_restored(struct podman *pm, const char *id, size_t idx,
    char **cause)
{
	char	*name;
	int	 rv;

	name = xasprintf("%s%zu", RUNNER_RESTORED_MARK + strlen("/tmp/"),
	    idx);
	rv = podman_container_put_file(pm, id, "/tmp", name, "", 0, 0644,
	    cause);
	free(name);
	return (rv);
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
		for (j = 0; j < s->npaths && wc->restored[j] != NULL; j++)
			;
		if (j == s->npaths && s->populate_script != NULL &&
		    ws_mark_restored(pm, id, i, &why) == -1) {
			ws_say(ws, "cache %s: %s; populate_script will run",
			    s->name, why);
			free(why);
			why = NULL;
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
wscache_restore(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, char **cause)
{
	if (ws_restore_caches(ws, pm, id, workdir, cause) == -1)
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
		wscache_clear(ws);
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
ws_uploads(struct workspace *ws, const int *reached, enum ws_upload **up)
{
	const struct tf_step	*s;
	size_t			 i, k, c;
	int			 any = 0;

	for (i = 0; i < ws->spec->nsteps; i++)
		any |= ws->spec->steps[i].kind == STEP_UPLOAD_CACHES;
	if (!any)
		return (0);
	*up = xcalloc(ws->ncaches + 1, sizeof **up);
	for (c = 0; c < ws->ncaches; c++)
		(*up)[c] = WS_UP_UNNAMED;
	if (reached == NULL) {
		ws_say(ws, "caches: not saved: which steps ran is unknown");
		for (c = 0; c < ws->ncaches; c++)
			(*up)[c] = WS_UP_UNREACHED;
		return (1);
	}
	for (i = 0; i < ws->spec->nsteps; i++) {
		s = &ws->spec->steps[i];
		if (s->kind != STEP_UPLOAD_CACHES)
			continue;
		for (k = 0; k < s->ncaches; k++) {
			for (c = 0; c < ws->ncaches; c++) {
				if (strcmp(ws->caches[c].step->name,
				    s->caches[k]) != 0)
					continue;
				if (reached[i])
					(*up)[c] = WS_UP_SAVE;
				else if ((*up)[c] == WS_UP_UNNAMED)
					(*up)[c] = WS_UP_UNREACHED;
			}
		}
	}
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
wscache_save(struct workspace *ws, struct podman *pm, const char *id,
    const char *workdir, int succeeded, const int *reached)
{
	enum ws_upload	*up = NULL;

	if (ws_uploads(ws, reached, &up) == 1) {
		ws_save_caches(ws, pm, id, workdir, up);
		free(up);
	} else if (succeeded)
		ws_save_caches(ws, pm, id, workdir, NULL);
}
