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
/* Something was queued or finished: look again now. */
void	sched_wake(struct sched *);
/* Ask a running task to stop; 0 when it was running here, else -1. */
int	sched_cancel_task(struct sched *, int64_t task_id);
/* Tasks running now. */
int	sched_running(struct sched *);
/*
 * Stop starting tasks; give running ones grace_s seconds to finish, then
 * stop them (recorded cancelled); join every thread and free.
 */
void	sched_stop(struct sched *, int grace_s);

#endif
