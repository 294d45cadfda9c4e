/* store_task.c -- state transitions of tasks, steps and jobs in the store. */
#include <inttypes.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/util.h"

/*
 * Bind ?1 state, ?2 exit_code (-1: NULL), ?3 now when state is running and
 * ?4 now when it is finished (else NULL): the columns of a transition whose
 * NULLs leave a column as it is.
 */
static int
bind_transition(sqlite3_stmt *st, enum task_state state, int exit_code,
    int64_t now)
{
	if (sq_bind_state(st, 1, state) != SQLITE_OK ||
	    (exit_code == -1 ? sqlite3_bind_null(st, 2) :
	    sqlite3_bind_int(st, 2, exit_code)) != SQLITE_OK ||
	    (state == TASK_RUNNING ? sqlite3_bind_int64(st, 3, now) :
	    sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    (state_finished(state) ? sqlite3_bind_int64(st, 4, now) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK)
		return (SQLITE_ERROR);
	return (SQLITE_OK);
}

/* Move a task to a state; a finished task only leaves it through
 * store_job_retry, so a late report cannot overwrite the outcome. */
int
store_task_set_state(struct store *s, int64_t id, enum task_state state,
    int exit_code, const char *reason, char **cause)
{
	sqlite3_stmt	*st = NULL;
	enum task_state	 cur;
	int64_t		 now = now_wall_ms();
	int		 rc, ret = -1;

	if ((int)state < 0 || state >= TASK_NSTATES)
		return (sq_fail(cause, "unknown state %d", (int)state));
	store_lock(s);
	if (sq_tx_begin(s, cause) != 0)
		goto out;
	if (sq_prep_id(s, &st, "SELECT state FROM tasks WHERE id = ?", id,
	    cause) != 0)
		goto out;
	if ((rc = sq_step_row(s, st, "load task", cause)) != 0) {
		if (rc == 1)
			sq_fail(cause, "no such task %" PRId64, id);
		goto out;
	}
	if (sq_col_state(st, 0, &cur, cause) != 0)
		goto out;
	if (state_finished(cur)) {
		sq_fail(cause, "task %" PRId64 " is already %s", id,
		    state_name(cur));
		goto out;
	}
	sq_fin(&st);

	/* NULL leaves a column as it is. */
	if (sq_prep(s, &st, "UPDATE tasks SET state = ?1, "
	    "exit_code = COALESCE(?2, exit_code), "
	    "started_ms = COALESCE(?3, started_ms), "
	    "finished_ms = COALESCE(?4, finished_ms), "
	    "reason = COALESCE(?5, reason) WHERE id = ?6", cause) != 0)
		goto out;
	if (bind_transition(st, state, exit_code, now) != SQLITE_OK ||
	    sq_bind_text(st, 5, reason) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_step_done(s, st, "update task", cause) != 0 ||
	    sq_tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	return (ret);
}

/*
 * Run the one-row UPDATE sql on task id, bound ?1 num, ?2 id, ?3 num2 and
 * ?4 text as far as sql has parameters; fail when the task does not exist.
 */
static int
task_set(struct store *s, int64_t id, const char *sql, int64_t num,
    int64_t num2, const char *text, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 np, ret = -1;

	store_lock(s);
	if (sq_prep(s, &st, sql, cause) != 0)
		goto out;
	np = sqlite3_bind_parameter_count(st);
	if (sqlite3_bind_int64(st, 1, num) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, id) != SQLITE_OK ||
	    (np >= 3 && sqlite3_bind_int64(st, 3, num2) != SQLITE_OK) ||
	    (np >= 4 && sq_bind_text(st, 4, text) != SQLITE_OK)) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_step_done(s, st, "update task", cause) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		sq_fail(cause, "no such task %" PRId64, id);
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Record the Podman container of a task (NULL clears it). */
int
store_task_set_container(struct store *s, int64_t id, const char *container,
    char **cause)
{
	return (task_set(s, id, "UPDATE tasks SET container = ?4 "
	    "WHERE id = ?2", 0, 0, container, cause));
}

/* Record how many bytes of a task's log are safely written. */
int
store_task_set_log_len(struct store *s, int64_t id, int64_t len,
    char **cause)
{
	if (len < 0)
		return (sq_fail(cause, "negative log length"));
	return (task_set(s, id, "UPDATE tasks SET log_len = ?1 WHERE id = ?2",
	    len, 0, NULL, cause));
}

/* Record a running task's output checkpoint (see store.h). */
int
store_task_set_progress(struct store *s, int64_t id, const char *nonce,
    int64_t raw_off, int64_t log_len, char **cause)
{
	if (raw_off < 0 || log_len < 0)
		return (sq_fail(cause, "negative output offset"));
	return (task_set(s, id, "UPDATE tasks SET raw_off = ?1, log_len = ?3, "
	    "nonce = COALESCE(?4, nonce) WHERE id = ?2", raw_off, log_len,
	    nonce, cause));
}

/* Record a task attempt's cache state (see store.h); NULL clears it. */
int
store_task_set_cache_state(struct store *s, int64_t id, const char *json,
    char **cause)
{
	return (task_set(s, id, "UPDATE tasks SET cache_state = ?4 "
	    "WHERE id = ?2", 0, 0, json, cause));
}

/* Load a task attempt's cache state into *json (caller frees; NULL when
 * none was recorded).  0, 1 when no such task, -1. */
int
store_task_cache_state(struct store *s, int64_t id, char **json,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	*json = NULL;
	store_lock(s);
	if (sq_prep_id(s, &st, "SELECT cache_state FROM tasks WHERE id = ?",
	    id, cause) != 0)
		goto out;
	if ((ret = sq_step_row(s, st, "load cache state", cause)) != 0)
		goto out;
	*json = sq_col_text(st, 0);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Move a step to a state, stamping its start and finish times. */
int
store_step_set_state(struct store *s, int64_t task_id, int idx,
    enum task_state state, int exit_code, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 now = now_wall_ms();
	int		 ret = -1;

	if ((int)state < 0 || state >= TASK_NSTATES)
		return (sq_fail(cause, "unknown state %d", (int)state));
	store_lock(s);
	if (sq_prep(s, &st, "UPDATE steps SET state = ?1, "
	    "exit_code = COALESCE(?2, exit_code), "
	    "started_ms = COALESCE(?3, started_ms), "
	    "finished_ms = COALESCE(?4, finished_ms) "
	    "WHERE task_id = ?5 AND idx = ?6", cause) != 0)
		goto out;
	if (bind_transition(st, state, exit_code, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, task_id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, idx) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_step_done(s, st, "update step", cause) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		sq_fail(cause, "task %" PRId64 " has no step %d", task_id, idx);
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Set a step's start and finish times as they were measured. */
int
store_step_set_times(struct store *s, int64_t task_id, int idx,
    int64_t started_ms, int64_t finished_ms, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	store_lock(s);
	if (sq_prep(s, &st, "UPDATE steps SET started_ms = ?1, "
	    "finished_ms = ?2 WHERE task_id = ?3 AND idx = ?4", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, started_ms) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, finished_ms) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, task_id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 4, idx) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_step_done(s, st, "update step times", cause) != 0)
		goto out;
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Fail unless job exists; set *unfinished to whether any task of it is
 * not finished (by state_finished, so the state table decides). */
static int
job_unfinished(struct store *s, int64_t job_id, int *unfinished,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	enum task_state	 state;
	int		 rc, ret = -1;

	*unfinished = 0;
	if (sq_prep_id(s, &st, "SELECT 1 FROM jobs WHERE id = ?", job_id,
	    cause) != 0)
		goto out;
	if ((rc = sq_step_row(s, st, "load job", cause)) != 0) {
		if (rc == 1)
			sq_fail(cause, "no such job %" PRId64, job_id);
		goto out;
	}
	sq_fin(&st);
	if (sq_prep_id(s, &st, "SELECT DISTINCT state FROM tasks "
	    "WHERE job_id = ?", job_id, cause) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sq_col_state(st, 0, &state, cause) != 0)
			goto out;
		if (!state_finished(state))
			*unfinished = 1;
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "load tasks");
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	return (ret);
}

/*
 * Run each of the n statements of sql in turn; bind binds a statement's
 * parameters (i is its index in sql).  Inside the caller's transaction.
 */
static int
run_each(struct store *s, const char *const *sql, size_t n,
    int (*bind)(sqlite3_stmt *, size_t, const void *), const void *arg,
    const char *what, char **cause)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 ret = -1;

	for (i = 0; i < n; i++) {
		if (sq_prep(s, &st, sql[i], cause) != 0)
			goto out;
		if (bind(st, i, arg) != SQLITE_OK) {
			sq_dbfail(s, cause, "bind");
			goto out;
		}
		if (sq_step_done(s, st, what, cause) != 0)
			goto out;
		sq_fin(&st);
	}
	ret = 0;
out:
	sq_fin(&st);
	return (ret);
}

/* The tasks of job ?6 that a retry requeues; binds ?2..?6 as retry does. */
#define RETRY_TASKS							\
	"SELECT id FROM tasks WHERE job_id = ?6 AND "			\
	"(state IN (?2, ?3, ?4) OR (state = ?5 AND reason = ?7))"

/* Bind a statement of store_job_retry; arg is the job id. */
static int
retry_bind(sqlite3_stmt *st, size_t i, const void *arg)
{
	(void)i;
	if (sq_bind_state(st, 1, TASK_QUEUED) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_FAILED) != SQLITE_OK ||
	    sq_bind_state(st, 3, TASK_CANCELLED) != SQLITE_OK ||
	    sq_bind_state(st, 4, TASK_ERRORED) != SQLITE_OK ||
	    sq_bind_state(st, 5, TASK_SKIPPED) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, *(const int64_t *)arg) != SQLITE_OK ||
	    sq_bind_text(st, 7, DEP_FAILED) != SQLITE_OK)
		return (SQLITE_ERROR);
	return (SQLITE_OK);
}

/* Requeue the failed, cancelled, errored and dependency-skipped tasks of
 * a finished job as a new attempt, with their steps. */
int
store_job_retry(struct store *s, int64_t job_id, char **cause)
{
	static const char *const sql[] = {
		"UPDATE steps SET state = ?1, exit_code = -1, started_ms = 0, "
		"finished_ms = 0 WHERE task_id IN (" RETRY_TASKS ")",
		"UPDATE tasks SET state = ?1, attempt = attempt + 1, "
		"exit_code = -1, reason = NULL, started_ms = 0, "
		"finished_ms = 0, container = NULL, log_len = 0, nonce = NULL, "
		"raw_off = 0, cache_state = NULL "
		"WHERE id IN (" RETRY_TASKS ")",
	};
	int	unfinished, ret = -1;

	store_lock(s);
	if (sq_tx_begin(s, cause) != 0)
		goto out;
	/* Settle skips the scheduler has not made yet, or a job whose
	 * failure has not cascaded would look unfinished. */
	if (store_cascade_dep_failed(s, cause) != 0 ||
	    job_unfinished(s, job_id, &unfinished, cause) != 0)
		goto out;
	if (unfinished) {
		sq_fail(cause, "job %" PRId64 " is still running", job_id);
		goto out;
	}
	if (run_each(s, sql, nitems(sql), retry_bind, &job_id, "retry job",
	    cause) != 0)
		goto out;
	/* The tasks update ran last: its count says if anything requeued. */
	if (sqlite3_changes(s->db) == 0) {
		ret = 1;
		goto out;	/* nothing changed; rolling back is free */
	}
	if (sq_tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	return (ret);
}

/* What store_job_cancel binds. */
struct cancel {
	int64_t		 job_id;
	const char	*reason;
	int64_t		 now;
};

/* Bind a statement of store_job_cancel; only the tasks update (i 1) has
 * ?4 and ?5. */
static int
cancel_bind(sqlite3_stmt *st, size_t i, const void *arg)
{
	const struct cancel	*c = arg;

	if (sq_bind_state(st, 1, TASK_CANCELLED) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_QUEUED) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, c->job_id) != SQLITE_OK ||
	    (i == 1 && (sq_bind_text(st, 4, c->reason) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, c->now) != SQLITE_OK)))
		return (SQLITE_ERROR);
	return (SQLITE_OK);
}

/* Cancel a job's queued tasks and their steps; *running (caller frees) is
 * the array of its running task ids, NULL when there are none. */
int
store_job_cancel(struct store *s, int64_t job_id, const char *reason,
    int64_t **running, size_t *nrunning, char **cause)
{
	static const char *const sql[] = {
		"UPDATE steps SET state = ?1 WHERE state = ?2 AND task_id IN "
		"(SELECT id FROM tasks WHERE job_id = ?3 AND state = ?2)",
		"UPDATE tasks SET state = ?1, reason = ?4, finished_ms = ?5 "
		"WHERE job_id = ?3 AND state = ?2",
	};
	struct cancel	 c;
	sqlite3_stmt	*st = NULL;
	int64_t		*ids = NULL;
	size_t		 n = 0;
	int		 unfinished, ret = -1;

	*running = NULL;
	*nrunning = 0;
	c.job_id = job_id;
	c.reason = reason;
	c.now = now_wall_ms();
	store_lock(s);
	if (sq_tx_begin(s, cause) != 0)
		goto out;
	/* Only to fail for a missing job: a finished one has no queued tasks. */
	if (job_unfinished(s, job_id, &unfinished, cause) != 0)
		goto out;
	if (run_each(s, sql, nitems(sql), cancel_bind, &c, "cancel job",
	    cause) != 0)
		goto out;
	if (sq_prep_id(s, &st, "SELECT id FROM tasks WHERE job_id = ?1 AND "
	    "state = ?2 ORDER BY id", job_id, cause) != 0)
		goto out;
	if (sq_bind_state(st, 2, TASK_RUNNING) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_col_ids(s, st, &ids, &n, "load running tasks", cause) != 0)
		goto out;
	sq_fin(&st);
	if (sq_tx_commit(s, cause) != 0)
		goto out;
	*running = ids;
	*nrunning = n;
	ids = NULL;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	free(ids);
	return (ret);
}
