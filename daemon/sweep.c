/* sweep.c -- remove this instance's containers that no running task owns. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/executor.h"
#include "daemon/podman.h"
#include "daemon/recovery.h"
#include "daemon/sidecars.h"
#include "daemon/store.h"
#include "daemon/sweep.h"
#include "proto/log.h"
#include "proto/util.h"

/* Container ids owned by running tasks. */
struct sweep_keep {
	char	**ids;
	size_t	  n;
};

/* Add the containers of task id (this instance's) to k. */
static int
sweep_task(struct podman *pm, const char *instance, int64_t id,
    struct sweep_keep *k, char **cause)
{
	struct podman_container	*list = NULL;
	size_t			 n = 0, i;

	if (recovery_containers(pm, instance, id, &list, &n, cause) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		k->ids = xreallocarray(k->ids, k->n + 1, sizeof *k->ids);
		k->ids[k->n++] = xstrdup(list[i].id);
	}
	podman_containers_free(list, n);
	return (0);
}

static int
sweep_kept(const struct sweep_keep *k, const char *id)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->ids[i], id) == 0)
			return (1);
	return (0);
}

/*
 * The instance's containers are listed before the running tasks are read:
 * a container made after the first list is not in it, and one in it whose
 * task is running at the second look belongs to that task.
 */
int
sweep_run(const struct exec_env *env, char **cause)
{
	struct podman		*pm = NULL;
	struct podman_container	*all = NULL;
	struct store_task	*tasks = NULL;
	struct sweep_keep	 keep = { NULL, 0 };
	char			*label[2] = { NULL, NULL }, *why = NULL;
	size_t			 nall = 0, ntasks = 0, i;
	int			 removed = 0, rv = -1;

	if (podman_open(env->podman_url, &pm, cause) == -1)
		return (-1);
	/* Pods first: their infra containers go only with them. */
	if ((removed = sidecars_sweep(env, pm, cause)) == -1)
		goto out;
	label[0] = xasprintf("stratus.instance=%s", env->instance);
	if (podman_container_list(pm, (const char *const *)label, &all, &nall,
	    cause) == -1)
		goto out;
	if (nall == 0) {
		rv = removed;
		goto out;
	}
	if (store_tasks_in_state(env->store, TASK_RUNNING, &tasks, &ntasks,
	    cause) == -1)
		goto out;
	for (i = 0; i < ntasks; i++) {
		if (sweep_task(pm, env->instance, tasks[i].id, &keep,
		    cause) == -1)
			goto out;
	}
	for (i = 0; i < nall; i++) {
		if (sweep_kept(&keep, all[i].id))
			continue;
		if (podman_container_remove(pm, all[i].id, &why) == -1) {
			log_warnx("sweep: %s", why);
			free(why);
			why = NULL;
			continue;
		}
		log_info("sweep: removed container %.12s (%s), which no "
		    "running task owns", all[i].id, all[i].state);
		removed++;
	}
	rv = removed;
out:
	strv_free(keep.ids, keep.n);
	free(label[0]);
	store_tasks_free(tasks, ntasks);
	podman_containers_free(all, nall);
	podman_close(pm);
	return (rv);
}
