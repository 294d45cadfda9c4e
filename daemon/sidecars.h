/* sidecars.h -- a task's additional containers: one pod whose network the
 * task's container shares, ready before the steps, gone after the task. */
#ifndef DAEMON_SIDECARS_H
#define DAEMON_SIDECARS_H

#include <stddef.h>
#include <stdint.h>

struct exec_env;
struct podman;
struct podman_container;
struct store_task;
struct tf_task;
struct workspace;

/* How long additional containers may take to become ready, at most (the
 * task's timeout_in when shorter). */
#define SIDECARS_READY_MAX_S	600

/*
 * The additional containers of one task attempt.  Everything they have to
 * say goes to the task log through out, as "[stratus] ..." lines (given
 * whole; out masks secrets).  stop is asked while waiting: nonzero gives
 * up (cancel, shutdown).  The pointers given must outlive the object.
 */
struct sidecars;

struct sidecars *sidecars_new(const struct exec_env *,
	    const struct store_task *, const struct tf_task *spec,
	    struct workspace *ws, void (*out)(const char *, size_t, void *),
	    int (*stop)(void *), void *arg);

/*
 * With additional containers: remove pods an earlier attempt of the task
 * left, create a pod labelled with labels (NULL-terminated "k=v", those of
 * the task's container) plus stratus.role=pod, pull the images, create and
 * start each container in it (labels plus stratus.role=sidecar and
 * stratus.sidecar=NAME), and wait until each is ready: its port listens,
 * or its readiness_command exits 0, or (neither given) it runs.  Nothing
 * to do without additional containers.  -1 with cause naming the
 * container that failed (its last lines are in the log by then).
 */
int	sidecars_start(struct sidecars *, struct podman *,
	    const char *const *labels, int64_t nofile, char **cause);
/* The pod the task's container joins (podman_spec.pod), or NULL. */
const char *sidecars_pod(const struct sidecars *);
/* When the task did not succeed: the last lines of each additional
 * container's output into the log, unless said already.  pm may be NULL. */
void	sidecars_report(struct sidecars *, struct podman *, int failed);
/* Remove the pod with its containers, and free; NULL and a NULL pm are
 * fine.  Trouble is logged. */
void	sidecars_free(struct sidecars *, struct podman *);

/* Remove every pod of instance's task_id (kill -9 leftovers, and a
 * re-adopted task's at its end).  0, or -1 with cause. */
int	sidecars_remove_task(struct podman *, const char *instance,
	    int64_t task_id, char **cause);
/*
 * The task's own containers among those labelled for it: neither
 * additional containers nor a pod's infra container, into *list
 * (podman_containers_free) and *n.  0, or -1 with cause.
 */
int	sidecars_main_containers(struct podman *, const char *instance,
	    int64_t task_id, struct podman_container **list, size_t *n,
	    char **cause);
/*
 * At start-up: remove env's pods whose task is not running, with their
 * containers (a pod's infra container goes only with its pod).  Returns
 * how many, or -1 with cause.
 */
int	sidecars_sweep(const struct exec_env *, struct podman *,
	    char **cause);

#endif
