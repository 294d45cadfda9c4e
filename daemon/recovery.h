/* recovery.h -- at start-up, settle the tasks a dead stratusd left running:
 * re-adopt their containers, or record how they ended. */
#ifndef DAEMON_RECOVERY_H
#define DAEMON_RECOVERY_H

#include <stdint.h>

#include "daemon/executor.h"

struct podman;
struct podman_container;
struct sched;
struct store_task;
struct runner_parser;

/* The containers of instance (stratus.instance label) made for task_id,
 * into *list (podman_containers_free) and *n.  0, or -1 with cause. */
int	recovery_containers(struct podman *, const char *instance,
	    int64_t task_id, struct podman_container **list, size_t *n,
	    char **cause);

/*
 * Called as a running task's container output is fed to its parser:
 * about once a second, and only where the log holds exactly the raw_off
 * bytes fed, commit (raw_off, log length) for recovery.  *last_ms is the
 * caller's monotonic time of the last checkpoint.
 */
void	recovery_checkpoint(const struct exec_env *, const struct store_task *,
	    const struct runner_parser *, int64_t raw_off, int64_t *last_ms);

/*
 * For every task left running: a container still running or exited is
 * handed to the scheduler to be re-adopted (recovery_adopt); a container
 * never started is removed and the task requeued; a container that is gone
 * ends the task errored with the reason in its log.
 */
void	recovery_run(const struct exec_env *, struct sched *);

/* The scheduler's body for an adopted task: follow the container to its
 * end, continue the log from the last checkpoint, record the result. */
void	recovery_adopt(const struct exec_env *, int64_t task_id,
	    struct exec_control *);

#endif
