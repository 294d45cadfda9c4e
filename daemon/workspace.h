/* workspace.h -- what goes into a task's container and what comes out: the executor's hooks. */
#ifndef DAEMON_WORKSPACE_H
#define DAEMON_WORKSPACE_H

#include <stddef.h>

struct exec_env;
struct podman;
struct store_job;
struct store_task;
struct tf_task;

/*
 * One task attempt's workspace: secrets to resolve and mask, a Dockerfile
 * image to build, dependency artifacts to place, caches to restore and
 * save, artifacts to collect.  Everything the hooks have to say goes to the
 * task log through out (output, masked) and say (one "[stratus]" line).
 * The pointers given must outlive the workspace.
 */
struct workspace;

struct workspace *workspace_new(const struct exec_env *,
	    const struct store_job *, const struct store_task *,
	    struct tf_task *spec, void (*out)(const char *, size_t, void *),
	    void (*say)(void *, const char *), void *arg);
/* Flush masked output held back, and free; NULL is fine. */
void	workspace_free(struct workspace *);

/*
 * For output replayed after a restart (recovery.c): a mask of the secrets
 * task t's env and its job's -e refer to, feeding out.  Free with
 * secrets_mask_free, which flushes.
 */
struct secrets_mask;
struct secrets_mask *workspace_mask_task(const struct exec_env *,
	    const struct store_task *t,
	    void (*out)(const char *, size_t, void *), void *arg);

/* Task output on its way to the log: secret values become [MASKED]. */
void	workspace_output(struct workspace *, const char *, size_t);
/* Mask value too in the output from now on (CIRRUS_ENV_SENSITIVE). */
void	workspace_mask(struct workspace *, const char *value);

/*
 * Resolve ENCRYPTED[NAME] / VAULT[NAME] values of the "K=V" list env in
 * place, and remember the values for masking.  -1 with cause naming the
 * variable and `stratus secret set NAME` when a secret is missing.
 */
int	workspace_env(struct workspace *, char **env, char **cause);

/* With container: dockerfile:, build (or reuse) the image and point
 * spec->image at it.  0 when there is nothing to build. */
int	workspace_image(struct workspace *, struct podman *, char **cause);

/* After create, before the steps: place the dependencies' artifacts and
 * restore caches.  -1 with cause when Podman fails. */
int	workspace_before(struct workspace *, struct podman *, const char *id,
	    const char *workdir, char **cause);

/*
 * For a task re-adopted after a restart (recovery.c), in place of
 * workspace_before: every cache's key and restored folders as the
 * stratusd that ran it recorded them, for workspace_after to save.  -1
 * with cause when they were not recorded or do not parse: then none is
 * saved.
 */
int	workspace_adopt_caches(struct workspace *, char **cause);

/* After the steps: collect artifacts and save caches (all of them after
 * success, or with upload_caches instructions those named by one that ran,
 * whatever the result).  Trouble is said in the log; it never changes the
 * task's result. */
void	workspace_after(struct workspace *, struct podman *, const char *id,
	    const char *workdir, int succeeded);

#endif
