/* workspace_int.h -- what workspace.c and wscache.c share: struct workspace and its helpers. */
#ifndef DAEMON_WORKSPACE_INT_H
#define DAEMON_WORKSPACE_INT_H

#include <stddef.h>

struct exec_env;
struct podman;
struct secrets_mask;
struct store_job;
struct store_task;
struct tf_task;
struct ws_cache;

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
	struct ws_cache		*caches;	/* wscache.c's */
	size_t			 ncaches;
};

/* Say a formatted line in the task log. */
void	ws_say(struct workspace *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A path below the state directory; caller frees. */
char	*ws_state(const struct workspace *, const char *sub);

/* Forget every cache: none is saved. */
void	wscache_clear(struct workspace *);
/* Work out every cache's key, restore what exists and record both in the
 * store (for workspace_adopt_caches).  -1 with cause when Podman fails. */
int	wscache_restore(struct workspace *, struct podman *, const char *id,
	    const char *workdir, char **cause);
/* Save the caches as workspace_after says; reached flags the spec's steps
 * the runner began (NULL: unknown). */
void	wscache_save(struct workspace *, struct podman *, const char *id,
	    const char *workdir, int succeeded, const int *reached);

#endif
