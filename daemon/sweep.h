/* sweep.h -- remove this instance's containers no running task owns: at
 * start-up, and once Podman answers again after a task could not remove
 * its container. */
#ifndef DAEMON_SWEEP_H
#define DAEMON_SWEEP_H

struct exec_env;

/*
 * Remove every container labelled stratus.instance=env->instance whose
 * stratus.task is not a task in state running: left by a daemon killed
 * between creating a container and recording it, by a removal that failed,
 * or by Podman dying mid-task while conmon lived on.  Safe while tasks
 * start and end (a task is marked running before its container is made).
 * Returns how many were removed, or -1 with cause (caller frees).
 */
int	sweep_run(const struct exec_env *, char **cause);

#endif
