/* store_query.c -- the read side of the store: loading jobs and tasks. */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/log.h"
#include "proto/util.h"

/* Fill t from a TASK_COLUMNS row; t is zeroed first so that task_clear
 * is always safe on it. */
static int
task_row(sqlite3_stmt *st, struct store_task *t, char **cause)
{
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(st, 0);
	t->job_id = sqlite3_column_int64(st, 1);
	t->name = sq_col_text(st, 2);
	t->project = sq_col_text(st, 3);
	t->exit_code = sqlite3_column_int(st, 5);
	t->reason = sq_col_text(st, 6);
	t->allow_failures = sqlite3_column_int(st, 7);
	t->attempt = sqlite3_column_int(st, 8);
	t->spec = sq_col_text(st, 9);
	t->container = sq_col_text(st, 10);
	t->log_len = sqlite3_column_int64(st, 11);
	t->created_ms = sqlite3_column_int64(st, 12);
	t->started_ms = sqlite3_column_int64(st, 13);
	t->finished_ms = sqlite3_column_int64(st, 14);
	t->nonce = sq_col_text(st, 15);
	t->raw_off = sqlite3_column_int64(st, 16);
	return (sq_col_state(st, 4, &t->state, cause));
}

/* Load the dependencies and the steps of t. */
static int
task_extras(struct store *s, struct store_task *t, char **cause)
{
	sqlite3_stmt		*st = NULL;
	struct store_step	*p;
	int			 rc, ret = -1;

	if (sq_prep_id(s, &st, "SELECT dep_id FROM task_deps WHERE "
	    "task_id = ? ORDER BY dep_id", t->id, cause) != 0 ||
	    sq_col_ids(s, st, &t->deps, &t->ndeps, "load dependencies",
	    cause) != 0)
		goto out;
	sq_fin(&st);

	if (sq_prep_id(s, &st, "SELECT id, idx, name, kind, state, exit_code, "
	    "started_ms, finished_ms FROM steps WHERE task_id = ? "
	    "ORDER BY idx", t->id, cause) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->steps = xreallocarray(t->steps, t->nsteps + 1,
		    sizeof *t->steps);
		p = &t->steps[t->nsteps++];
		memset(p, 0, sizeof *p);
		p->id = sqlite3_column_int64(st, 0);
		p->idx = sqlite3_column_int(st, 1);
		p->name = sq_col_text(st, 2);
		p->kind = sq_col_text(st, 3);
		p->exit_code = sqlite3_column_int(st, 5);
		p->started_ms = sqlite3_column_int64(st, 6);
		p->finished_ms = sqlite3_column_int64(st, 7);
		if (sq_col_state(st, 4, &p->state, cause) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "load steps");
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	return (ret);
}

/* Read every row of a prepared, bound TASK_COLUMNS query with deps and
 * steps into *out (caller frees with store_tasks_free). */
int
store_tasks_load(struct store *s, sqlite3_stmt *st, struct store_task **out,
    size_t *nout, char **cause)
{
	struct store_task	*ts = NULL;
	size_t			 n = 0, i;
	int			 rc;

	*out = NULL;
	*nout = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = xreallocarray(ts, n + 1, sizeof *ts);
		if (task_row(st, &ts[n++], cause) != 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "load tasks");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (task_extras(s, &ts[i], cause) != 0)
			goto fail;
	}
	*out = ts;
	*nout = n;
	return (0);
fail:
	store_tasks_free(ts, n);
	return (-1);
}

/* Fill a job from a JOB_COLUMNS row. */
static void
job_row(sqlite3_stmt *st, struct store_job *j)
{
	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(st, 0);
	j->project = sq_col_text(st, 1);
	j->taskfile_name = sq_col_text(st, 2);
	j->blob = sq_col_text(st, 3);
	j->env = sq_col_text(st, 4);
	j->priority = sqlite3_column_int(st, 5);
	j->created_ms = sqlite3_column_int64(st, 6);
	j->dirty_path = sq_col_text(st, 7);
}

/* Derive a job's state and times from its tasks. */
static int
job_derive(struct store *s, struct store_job *j, char **cause)
{
	sqlite3_stmt	*st = NULL;
	enum task_state	*states = NULL;
	int		*af = NULL, n = 0, rc, ret = -1;
	int64_t		 started = 0, finished = 0, v;

	if (sq_prep_id(s, &st, "SELECT state, allow_failures, started_ms, "
	    "finished_ms FROM tasks WHERE job_id = ?", j->id, cause) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == INT_MAX) {
			sq_fail(cause, "job %" PRId64 " has too many tasks", j->id);
			goto out;
		}
		states = xreallocarray(states, n + 1, sizeof *states);
		af = xreallocarray(af, n + 1, sizeof *af);
		if (sq_col_state(st, 0, &states[n], cause) != 0)
			goto out;
		af[n++] = sqlite3_column_int(st, 1);
		v = sqlite3_column_int64(st, 2);
		if (v != 0 && (started == 0 || v < started))
			started = v;
		v = sqlite3_column_int64(st, 3);
		if (v > finished)
			finished = v;
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "derive job state");
		goto out;
	}
	j->state = state_job(states, af, n);
	j->started_ms = started;
	j->finished_ms = state_finished(j->state) ? finished : 0;
	ret = 0;
out:
	sq_fin(&st);
	free(states);
	free(af);
	return (ret);
}

/* Load a job with tasks and steps into *out (caller frees with
 * store_job_free); 1 and *out NULL when there is no such job. */
int
store_job_get(struct store *s, int64_t id, struct store_job **out,
    char **cause)
{
	sqlite3_stmt		*st = NULL;
	struct store_job	*j = NULL;
	int			 rc, ret = -1;

	*out = NULL;
	store_lock(s);
	if (sq_prep_id(s, &st, JOB_COLUMNS "WHERE id = ?", id, cause) != 0)
		goto out;
	if ((rc = sq_step_row(s, st, "load job", cause)) != 0) {
		if (rc == 1)
			ret = 1;
		goto out;
	}
	j = xmalloc(sizeof *j);
	job_row(st, j);
	sq_fin(&st);

	if (sq_prep_id(s, &st, TASK_COLUMNS "WHERE t.job_id = ? "
	    "ORDER BY t.id", id, cause) != 0)
		goto out;
	if (store_tasks_load(s, st, &j->tasks, &j->ntasks, cause) != 0 ||
	    job_derive(s, j, cause) != 0)
		goto out;
	*out = j;
	j = NULL;
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	store_job_free(j);
	return (ret);
}

/*
 * List jobs newest first into *out (caller frees with store_jobs_free).
 * A state filter is applied to the derived state while scanning, so a
 * page holds up to limit matching jobs and *next is set only when another
 * matching job exists below the last one returned.
 */
int
store_job_list(struct store *s, const struct store_filter *f,
    struct store_job **out, size_t *nout, int64_t *next, char **cause)
{
	sqlite3_stmt		*st = NULL;
	struct store_job	*js = NULL, j;
	size_t			 n = 0;
	int			 limit, rc, more = 0, ret = -1;

	*out = NULL;
	*nout = 0;
	*next = 0;
	if (f->state < -1 || f->state >= TASK_NSTATES)
		return (sq_fail(cause, "unknown state %d", f->state));
	limit = f->limit < 1 ? 1 : (f->limit > 1000 ? 1000 : f->limit);

	store_lock(s);
	if (sq_prep(s, &st, f->project != NULL ?
	    JOB_COLUMNS "WHERE project = ?1 AND id < ?2 "
	    "ORDER BY id DESC LIMIT ?3" :
	    JOB_COLUMNS "WHERE id < ?2 ORDER BY id DESC LIMIT ?3", cause) != 0)
		goto out;
	/* Without a state filter one row past the page says if more exist. */
	if (sq_bind_text(st, 1, f->project) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, f->before_id > 0 ? f->before_id :
	    INT64_MAX) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, f->state == -1 ? limit + 1 : -1) !=
	    SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_row(st, &j);
		if (job_derive(s, &j, cause) != 0) {
			store_job_clear(&j);
			goto out;
		}
		if (f->state != -1 && (int)j.state != f->state) {
			store_job_clear(&j);
			continue;
		}
		if (n == (size_t)limit) {
			store_job_clear(&j);
			more = 1;
			break;
		}
		js = xreallocarray(js, n + 1, sizeof *js);
		js[n++] = j;
	}
	if (!more && rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "list jobs");
		goto out;
	}
	if (more)
		*next = js[n - 1].id;
	*out = js;
	*nout = n;
	js = NULL;
	n = 0;
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	store_jobs_free(js, n);
	return (ret);
}

/* Free a job's contents. */
void
store_job_clear(struct store_job *j)
{
	free(j->project);
	free(j->taskfile_name);
	free(j->blob);
	free(j->env);
	free(j->dirty_path);
	store_tasks_free(j->tasks, j->ntasks);
	memset(j, 0, sizeof *j);
}

/* Free a job from store_job_get (NULL is fine). */
void
store_job_free(struct store_job *j)
{
	if (j == NULL)
		return;
	store_job_clear(j);
	free(j);
}

/* Free an array of n jobs from store_job_list. */
void
store_jobs_free(struct store_job *js, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		store_job_clear(&js[i]);
	free(js);
}

/* Run a prepared task query expected to match at most one task. */
static int
task_one(struct store *s, sqlite3_stmt *st, struct store_task **out,
    char **cause)
{
	struct store_task	*ts;
	size_t			 n;

	if (store_tasks_load(s, st, &ts, &n, cause) != 0)
		return (-1);
	if (n == 0)
		return (1);
	/* Keep the first; the array's head is the task itself. */
	while (n > 1)
		store_task_clear(&ts[--n]);
	*out = ts;
	return (0);
}

/* Load one task into *out (caller frees with store_task_free). */
int
store_task_get(struct store *s, int64_t id, struct store_task **out,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	*out = NULL;
	store_lock(s);
	if (sq_prep_id(s, &st, TASK_COLUMNS "WHERE t.id = ?", id, cause) != 0)
		goto out;
	ret = task_one(s, st, out, cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Find a task of a job into *out (caller frees with store_task_free): by
 * name first, so that a task named "7" wins over the task with id 7. */
int
store_task_find(struct store *s, int64_t job_id, const char *what,
    struct store_task **out, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 id;
	int		 ret = -1;

	*out = NULL;
	store_lock(s);
	if (sq_prep_id(s, &st, TASK_COLUMNS "WHERE t.job_id = ? AND "
	    "t.name = ? ORDER BY t.id LIMIT 1", job_id, cause) != 0)
		goto out;
	if (sq_bind_text(st, 2, what) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((ret = task_one(s, st, out, cause)) != 1)
		goto out;
	sq_fin(&st);
	if (parse_int64(what, 1, INT64_MAX, &id) != 0)
		goto out;	/* ret is 1: not a name, not an id */
	ret = -1;
	if (sq_prep_id(s, &st, TASK_COLUMNS "WHERE t.job_id = ? AND "
	    "t.id = ?", job_id, cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 2, id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = task_one(s, st, out, cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Free a task's contents. */
void
store_task_clear(struct store_task *t)
{
	size_t	 i;

	free(t->name);
	free(t->project);
	free(t->reason);
	free(t->spec);
	free(t->container);
	free(t->nonce);
	free(t->deps);
	for (i = 0; i < t->nsteps; i++) {
		free(t->steps[i].name);
		free(t->steps[i].kind);
	}
	free(t->steps);
	memset(t, 0, sizeof *t);
}

/* Free a task from store_task_get or store_task_find (NULL is fine). */
void
store_task_free(struct store_task *t)
{
	if (t == NULL)
		return;
	store_task_clear(t);
	free(t);
}

/* Free an array of n tasks. */
void
store_tasks_free(struct store_task *ts, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		store_task_clear(&ts[i]);
	free(ts);
}

/* Tasks in a state, oldest first, into *out (caller frees with
 * store_tasks_free). */
int
store_tasks_in_state(struct store *s, enum task_state state,
    struct store_task **out, size_t *nout, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	*out = NULL;
	*nout = 0;
	store_lock(s);
	if (sq_prep(s, &st, TASK_COLUMNS "WHERE t.state = ? ORDER BY t.id",
	    cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, state) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = store_tasks_load(s, st, out, nout, cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}
