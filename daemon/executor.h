/* executor.h -- runs one task attempt in a Podman container, start to end. */
#ifndef DAEMON_EXECUTOR_H
#define DAEMON_EXECUTOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/states.h"

struct store;
struct store_task;
struct logstore;
struct blobstore;
struct gc_policy;
struct tf_task;

/* What every executor shares; owned by the daemon, outlives executors. */
struct exec_env {
	struct store		*store;
	struct logstore		*logs;
	struct blobstore	*blobs;
	const char		*podman_url;
	const char		*netns;		/* NULL: Podman's default */
	int			 stop_timeout_s;
	const char		*state_dir;	/* artifacts, caches, secrets */
	const char		*instance;	/* this state dir's id: a label */
	const struct gc_policy	*gc;		/* retention (gc.h) */
};

/* Set by others to stop a running task; read by the executor. */
struct exec_control {
	atomic_int	 cancel;	/* 1: cancel requested */
	atomic_int	 shutdown;	/* 1: daemon stopping */
	atomic_int	 orphaned;	/* set by the task: a container of its
					 * could not be removed (Podman away) */
};

/*
 * Run task_id (already marked running by the scheduler) to its end: pull the
 * image if needed, create the container, copy the snapshot in, run the
 * steps, record every step and the task's final state, remove the
 * container.  Never fails: infrastructure trouble ends the task errored with
 * the reason in its log.
 */
void	executor_run(const struct exec_env *, int64_t task_id,
	    struct exec_control *);

/* Append n bytes of s to task's log.  The first write that fails is
 * logged and sets *failed; later failures are quiet. */
void	executor_log(const struct exec_env *, const struct store_task *,
	    int *failed, const char *s, size_t n);
/* A "[stratus] ..." line in task's log, as executor_log. */
void	executor_say(const struct exec_env *, const struct store_task *,
	    int *failed, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Write a step marker line into task's log (doc/log-format.md): its
 * begin, or its end with exit code rc and duration dur_ms.  A failure is
 * logged once (*log_failed). */
void	executor_marker(const struct exec_env *, const struct store_task *,
	    int *log_failed, int idx, int begin, int rc, int64_t dur_ms);
/* Record a step marker: step idx of task running when begin, else
 * succeeded or failed by its exit code rc; with dur_ms >= 0 also its times,
 * ending now.  A store failure is logged. */
void	executor_step(const struct exec_env *, const struct store_task *,
	    int idx, int begin, int rc, int64_t dur_ms);

/* Record the end of a task: unfinished steps settled, log finished and
 * its length stored, then the task's state, exit code and reason. */
/*
 * How a task whose container ran to its end came out: cancelled (by the
 * user, or shutdown), failed on a timeout (exit code cleared: the reason
 * says it), succeeded, or failed.  *reason (caller frees) is set unless it
 * succeeded or failed with its exit code saying enough.
 */
enum task_state executor_outcome(struct exec_control *,
	    const struct store_task *, int timed_out, int64_t timeout_s,
	    int cur_step, int *exit_code, char **reason);
void	executor_finish(const struct exec_env *, const struct store_task *,
	    enum task_state, int exit_code, const char *reason);
/*
 * How long after its start a task's container may run: timeout_in (its
 * value in *timeout_s unless NULL), then 5 minutes for on_timeout and
 * always steps as in Cirrus, or else a short grace for the runner to end
 * it itself.
 */
int64_t	executor_budget_ms(const struct tf_task *spec, int64_t *timeout_s);
/* The task's working directory in its container: CIRRUS_WORKING_DIR when
 * absolute, else the default; a pointer into spec or a constant. */
const char *executor_workdir(const struct tf_task *spec);

#endif
