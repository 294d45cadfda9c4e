/* store.h -- the durable queue: jobs, tasks, steps in SQLite. */
#ifndef DAEMON_STORE_H
#define DAEMON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/states.h"

struct store;

struct store_step {
	int64_t		 id;
	int		 idx;		/* order within the task, from 0 */
	char		*name;
	char		*kind;		/* "script", ... (tf_step_kind_name) */
	enum task_state	 state;
	int		 exit_code;	/* -1 when none */
	int64_t		 started_ms;	/* wall clock, 0 when not yet */
	int64_t		 finished_ms;
};

struct store_task {
	int64_t		 id;
	int64_t		 job_id;
	char		*name;
	char		*project;	/* copied from the job */
	enum task_state	 state;
	int		 exit_code;	/* -1 when none */
	char		*reason;	/* NULL or why it ended as it did */
	int		 allow_failures;
	int		 attempt;	/* 1 for the first run */
	char		*spec;		/* JSON of the task (tfjson_task) */
	char		*container;	/* Podman container id, NULL when none */
	int64_t		 log_len;	/* bytes of log committed */
	char		*nonce;		/* runner nonce of the attempt, or NULL */
	int64_t		 raw_off;	/* container output bytes behind log_len */
	int64_t		 created_ms, started_ms, finished_ms;
	int64_t		*deps;		/* task ids this one waits for */
	size_t		 ndeps;
	struct store_step *steps;
	size_t		 nsteps;
};

struct store_job {
	int64_t		 id;
	char		*project;
	char		*taskfile_name;
	char		*blob;		/* sha256 hex of the snapshot, or NULL */
	char		*env;		/* JSON object of -e variables */
	char		*dirty_path;	/* --dirty: host dir to bind, or NULL */
	int		 priority;
	enum task_state	 state;		/* derived from its tasks */
	int64_t		 created_ms, started_ms, finished_ms;
	struct store_task *tasks;	/* NULL in listings */
	size_t		 ntasks;
};

struct store_new_task {
	const char	 *name;
	const char	 *spec;		/* JSON text */
	int		  allow_failures;
	enum task_state	  state;	/* TASK_QUEUED or TASK_SKIPPED */
	const char	 *reason;	/* for skipped tasks */
	const char *const *step_names;
	const char *const *step_kinds;
	size_t		  nsteps;
	const size_t	 *deps;		/* indexes into the job's task array */
	size_t		  ndeps;
};

struct store_new_job {
	const char		*project;
	const char		*taskfile_name;
	const char		*blob;
	const char		*env;		/* JSON object text */
	const char		*dirty_path;	/* NULL unless --dirty */
	int			 priority;
	const struct store_new_task *tasks;
	size_t			 ntasks;
};

struct store_filter {
	const char	*project;	/* NULL: any */
	int		 state;		/* -1: any, else enum task_state */
	int64_t		 before_id;	/* cursor: ids below this; 0: newest */
	int		 limit;		/* 1..1000 */
};

/* Every function returning int gives 0 on success and -1 on failure with a
 * message in *cause (caller frees), unless it says otherwise. */

/* Open or create the database at path ("" or ":memory:" for tests), WAL mode,
 * schema migrated to the current PRAGMA user_version.  Thread-safe handle. */
int	store_open(const char *path, struct store **, char **cause);
void	store_close(struct store *);

/* Insert a job, its tasks, steps and dependencies in ONE transaction. */
int	store_job_insert(struct store *, const struct store_new_job *,
	    int64_t *job_id, char **cause);
/* Load a job with tasks and steps.  Returns 0, 1 when no such job, -1. */
int	store_job_get(struct store *, int64_t id, struct store_job **,
	    char **cause);
/* Jobs newest first, without tasks; *next is the cursor for the next page
 * (0 when this was the last).  Caller frees with store_jobs_free. */
int	store_job_list(struct store *, const struct store_filter *,
	    struct store_job **, size_t *, int64_t *next, char **cause);
void	store_job_free(struct store_job *);
void	store_jobs_free(struct store_job *, size_t);

/* Load one task with its steps and deps.  0, 1 when none, -1. */
int	store_task_get(struct store *, int64_t id, struct store_task **,
	    char **cause);
/* Find a task of a job by name or decimal id.  0, 1 when none, -1. */
int	store_task_find(struct store *, int64_t job_id, const char *,
	    struct store_task **, char **cause);
void	store_task_free(struct store_task *);
void	store_tasks_free(struct store_task *, size_t);

/* Tasks in a state (e.g. every TASK_RUNNING at start-up), oldest first. */
int	store_tasks_in_state(struct store *, enum task_state,
	    struct store_task **, size_t *, char **cause);

/* Move a task to state: stamps started_ms on running and finished_ms on a
 * finished state; exit_code -1 and reason NULL leave them unset. */
int	store_task_set_state(struct store *, int64_t task_id, enum task_state,
	    int exit_code, const char *reason, char **cause);
int	store_task_set_container(struct store *, int64_t task_id,
	    const char *container, char **cause);
int	store_task_set_log_len(struct store *, int64_t task_id, int64_t,
	    char **cause);
int	store_step_set_state(struct store *, int64_t task_id, int idx,
	    enum task_state, int exit_code, char **cause);
/* Set a step's start and end (wall ms) as measured by its runner. */
int	store_step_set_times(struct store *, int64_t task_id, int idx,
	    int64_t started_ms, int64_t finished_ms, char **cause);

/* Requeue a finished job's failed, cancelled, errored and (dependency)
 * skipped tasks as a new attempt.  0, 1 when nothing to retry, -1. */
int	store_job_retry(struct store *, int64_t job_id, char **cause);
/* Cancel a job's queued tasks (-> cancelled, reason); return in *running
 * the ids of its running tasks for the caller to stop. */
int	store_job_cancel(struct store *, int64_t job_id, const char *reason,
	    int64_t **running, size_t *nrunning, char **cause);

/*
 * Checkpoint of a running task's output: raw_off bytes of container output
 * (both streams, demultiplexed) have been written to its log, which was
 * log_len bytes long at that moment; nonce (NULL: keep) is its runner's.
 * Both counters are stored together so recovery can truncate the log to
 * log_len and replay the container's output from raw_off.
 */
int	store_task_set_progress(struct store *, int64_t task_id,
	    const char *nonce, int64_t raw_off, int64_t log_len, char **cause);

/*
 * A task attempt's caches as workspace.c worked them out before its steps
 * (JSON text, cachestate.h), for a stratusd that re-adopts the task to save
 * them; a retry clears it.  store_task_cache_state gives *json (caller
 * frees) NULL when none was recorded: 0, 1 when no such task, -1.
 */
int	store_task_set_cache_state(struct store *, int64_t task_id,
	    const char *json, char **cause);
int	store_task_cache_state(struct store *, int64_t task_id, char **json,
	    char **cause);

/* A project's settings; max_running 0 means no limit of its own. */
struct store_project {
	char		*name;
	int		 max_running;
	int		 paused;
	int		 queued, running, jobs;	/* counts, for listings */
};

/*
 * Choose and claim up to max_total minus the tasks running now: runnable
 * tasks (dependencies met, project and queue not paused, project under its
 * max_running), fairly across projects (the project with the fewest
 * running, counting those chosen, first), then by job priority, then age.
 * The chosen tasks are marked running in the same transaction that picks
 * them; *ids (caller frees) lists them.
 */
int	store_tasks_claim(struct store *, int max_total, int64_t **ids,
	    size_t *nids, char **cause);

/* Projects that have jobs or settings, by name (free with
 * store_projects_free); and set one's limit and pause flag (-1: keep). */
int	store_project_list(struct store *, struct store_project **, size_t *,
	    char **cause);
void	store_projects_free(struct store_project *, size_t);
int	store_project_set(struct store *, const char *name, int max_running,
	    int paused, char **cause);
/*
 * The project for a job from directory path, named name by default: name,
 * or name-XXXXXXXX (from a hash of path) when a project called name
 * belongs to another path.  Records the path; *out is the caller's.
 */
int	store_project_resolve(struct store *, const char *name,
	    const char *path, char **out, char **cause);
/* Pause (1) or resume (0) the whole queue; *paused reads it. */
int	store_queue_set_paused(struct store *, int paused, char **cause);
int	store_queue_paused(struct store *, int *paused, char **cause);

/* Retention (store_gc.c): ids (caller frees) of the finished jobs of each
 * project beyond its keep newest (keep 0: none by count) or whose last
 * task finished before before_ms (wall clock; 0: none by age), oldest
 * first. */
int	store_jobs_expired(struct store *, int keep, int64_t before_ms,
	    int64_t **ids, size_t *nids, char **cause);
/* Delete a finished job with its tasks; *orphan (caller frees, or NULL) is
 * its snapshot when no job refers to it any more.  0, 1 when not deleted
 * (no such job, or not finished), -1. */
int	store_job_delete(struct store *, int64_t id, char **orphan,
	    char **cause);

/*
 * Queued tasks whose dependencies have all finished, oldest job first, up to
 * max.  A queued task with a dependency that ended other than succeeded or
 * skipped (and not allow_failures) is moved to skipped, reason "dependency
 * failed", and not returned.
 */
int	store_tasks_runnable(struct store *, size_t max, struct store_task **,
	    size_t *, char **cause);

#endif
