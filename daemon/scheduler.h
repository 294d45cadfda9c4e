/* scheduler.h -- decides which queued tasks run, and runs them. */
#ifndef DAEMON_SCHEDULER_H
#define DAEMON_SCHEDULER_H

#include <stdint.h>

#include "daemon/executor.h"

struct podsvc;
struct sched;

/*
 * Start the scheduler thread.  env is shared with every executor and must
 * outlive the scheduler; max_jobs bounds the tasks running at once.
 * 0, or -1 with cause.
 */
int	sched_start(const struct exec_env *, struct podsvc *, int max_jobs,
	    struct sched **, char **cause);
/* Run a task that is already marked running (recovery) with run, counted
 * against the limits, cancellable and stopped at shutdown like the rest. */
void	sched_adopt(struct sched *, int64_t task_id,
	    void (*run)(const struct exec_env *, int64_t, struct exec_control *));
/* Something was queued or finished: look again now. */
void	sched_wake(struct sched *);
/* Ask a running task to stop; 0 when it was running here, else -1. */
int	sched_cancel_task(struct sched *, int64_t task_id);
/* Change the bound on tasks at once (SIGHUP); running ones keep going. */
void	sched_set_max_jobs(struct sched *, int max_jobs);
/* Tasks running now. */
int	sched_running(struct sched *);
/*
 * Stop starting tasks; give running ones grace_s seconds to finish, then
 * stop them (recorded cancelled); join every thread and free.
 */
void	sched_stop(struct sched *, int grace_s);

#endif
