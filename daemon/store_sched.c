/* store_sched.c -- the scheduler's side of the store: which queued tasks
 * may run, skipping those a failed dependency holds, and claiming them. */
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/util.h"

/*
 * Whether dependency p no longer holds its dependent back: p succeeded, was
 * skipped for a reason of its own, or finished while allowed to fail.
 * Binds ?1 queued, ?2 running, ?3 succeeded, ?4 skipped, ?5 DEP_FAILED.
 * "Finished" is spelt "not queued or running": the only unfinished states
 * in proto/states.h.
 */
#define DEP_SATISFIED							\
	"(p.state = ?3 OR (p.state = ?4 AND (p.reason IS NULL OR "	\
	"p.reason <> ?5)) OR (p.allow_failures = 1 AND "		\
	"p.state NOT IN (?1, ?2)))"

/* Bind ?1..?5 as DEP_SATISFIED expects them. */
static int
bind_dep_satisfied(sqlite3_stmt *st)
{
	if (sq_bind_state(st, 1, TASK_QUEUED) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_RUNNING) != SQLITE_OK ||
	    sq_bind_state(st, 3, TASK_SUCCEEDED) != SQLITE_OK ||
	    sq_bind_state(st, 4, TASK_SKIPPED) != SQLITE_OK ||
	    sq_bind_text(st, 5, DEP_FAILED) != SQLITE_OK)
		return (SQLITE_ERROR);
	return (SQLITE_OK);
}

/* Skip, with DEP_FAILED, every queued task with a dependency that finished
 * without satisfying it, and their steps; repeat until nothing changes so
 * that the skip cascades down chains.  Inside the caller's transaction. */
int
store_cascade_dep_failed(struct store *s, char **cause)
{
	sqlite3_stmt	*st = NULL, *ss = NULL;
	int64_t		 now = now_wall_ms();
	int		 rc, changed, ret = -1;

	if (sq_prep(s, &st, "UPDATE tasks SET state = ?4, reason = ?5, "
	    "finished_ms = ?6 WHERE state = ?1 AND EXISTS (SELECT 1 FROM "
	    "task_deps d JOIN tasks p ON p.id = d.dep_id WHERE "
	    "d.task_id = tasks.id AND p.state NOT IN (?1, ?2) AND NOT "
	    DEP_SATISFIED ") RETURNING id", cause) != 0 ||
	    sq_prep(s, &ss, "UPDATE steps SET state = ?1 WHERE task_id = ?2 AND "
	    "state = ?3", cause) != 0)
		goto out;
	if (bind_dep_satisfied(st) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK ||
	    sq_bind_state(ss, 1, TASK_SKIPPED) != SQLITE_OK ||
	    sq_bind_state(ss, 3, TASK_QUEUED) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	do {
		changed = 0;
		if (sq_rewind(s, st, cause) != 0)
			goto out;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			changed = 1;
			if (sq_rewind(s, ss, cause) != 0)
				goto out;
			if (sqlite3_bind_int64(ss, 2,
			    sqlite3_column_int64(st, 0)) != SQLITE_OK) {
				sq_dbfail(s, cause, "bind");
				goto out;
			}
			if (sq_step_done(s, ss, "skip steps", cause) != 0)
				goto out;
		}
		if (rc != SQLITE_DONE) {
			sq_dbfail(s, cause, "skip tasks");
			goto out;
		}
	} while (changed);
	ret = 0;
out:
	sq_fin(&st);
	sq_fin(&ss);
	return (ret);
}

/* Queued tasks free to run, highest priority job then oldest first, up to
 * max, into *out (caller frees with store_tasks_free); tasks held by a
 * dependency that ended badly are skipped first, in the same transaction. */
int
store_tasks_runnable(struct store *s, size_t max, struct store_task **out,
    size_t *nout, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	*out = NULL;
	*nout = 0;
	store_lock(s);
	if (sq_tx_begin(s, cause) != 0)
		goto out;
	if (store_cascade_dep_failed(s, cause) != 0)
		goto out;
	if (sq_prep(s, &st, TASK_COLUMNS "WHERE t.state = ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM task_deps d JOIN tasks p ON p.id = d.dep_id "
	    "WHERE d.task_id = t.id AND NOT " DEP_SATISFIED ") "
	    "ORDER BY j.priority DESC, j.id, t.id LIMIT ?6", cause) != 0)
		goto out;
	if (bind_dep_satisfied(st) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, max > INT64_MAX ? INT64_MAX :
	    (int64_t)max) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (store_tasks_load(s, st, out, nout, cause) != 0)
		goto out;
	sq_fin(&st);
	if (sq_tx_commit(s, cause) != 0) {
		store_tasks_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	return (ret);
}

/*
 * The fair choice.  rk numbers a project's ready tasks by priority and age;
 * nrun + rk is how many the project would have running once that task
 * starts, so ordering by it takes one task from each project in turn,
 * the least served first.  ?1..?5 as DEP_SATISFIED, ?6 the limit.
 */
#define CLAIM_CHOICE							\
	"WITH ready AS (SELECT t.id, j.project, j.priority, j.id AS job "	\
	" FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE t.state = ?1" \
	" AND NOT EXISTS (SELECT 1 FROM task_deps d JOIN tasks p"	\
	" ON p.id = d.dep_id WHERE d.task_id = t.id AND NOT "		\
	DEP_SATISFIED ")"						\
	" AND NOT EXISTS (SELECT 1 FROM projects pr WHERE"		\
	" pr.name = j.project AND pr.paused = 1)),"			\
	" busy AS (SELECT j.project, COUNT(*) AS n FROM tasks t JOIN jobs j"	\
	" ON j.id = t.job_id WHERE t.state = ?2 GROUP BY j.project),"	\
	" ranked AS (SELECT r.id, r.priority, r.job,"			\
	" COALESCE(b.n, 0) AS nrun, COALESCE(pr.max_running, 0) AS lim,"	\
	" ROW_NUMBER() OVER (PARTITION BY r.project ORDER BY r.priority DESC," \
	" r.job, r.id) AS rk FROM ready r"				\
	" LEFT JOIN busy b ON b.project = r.project"			\
	" LEFT JOIN projects pr ON pr.name = r.project)"		\
	" SELECT id FROM ranked WHERE lim <= 0 OR nrun + rk <= lim"	\
	" ORDER BY nrun + rk, priority DESC, job, id LIMIT ?6"

/* Pick fairly and mark running in one transaction (see store.h). */
int
store_tasks_claim(struct store *s, int max_total, int64_t **ids,
    size_t *nids, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int64_t		*v = NULL, now = now_wall_ms(), nrun;
	size_t		 n = 0, i;
	int		 paused, ret = -1;

	*ids = NULL;
	*nids = 0;
	store_lock(s);
	if (sq_tx_begin(s, cause) != 0 || store_cascade_dep_failed(s, cause) != 0)
		goto out;
	if (sq_prep(s, &st, "SELECT (SELECT COUNT(*) FROM tasks WHERE "
	    "state = ?1), EXISTS (SELECT 1 FROM settings WHERE "
	    "key = 'paused' AND value = '1')", cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, TASK_RUNNING) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_dbfail(s, cause, "count running tasks");
		goto out;
	}
	nrun = sqlite3_column_int64(st, 0);
	paused = sqlite3_column_int(st, 1);
	sq_fin(&st);
	/* Commit even with nothing to claim: the cascade may have skipped. */
	if (paused || nrun >= max_total)
		goto commit;
	if (sq_prep(s, &st, CLAIM_CHOICE, cause) != 0)
		goto out;
	if (bind_dep_satisfied(st) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, max_total - nrun) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_col_ids(s, st, &v, &n, "choose tasks", cause) != 0)
		goto out;
	sq_fin(&st);
	if (sq_prep(s, &st, "UPDATE tasks SET state = ?1, started_ms = ?3 "
	    "WHERE id = ?2 AND state = ?4", cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, TASK_RUNNING) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK ||
	    sq_bind_state(st, 4, TASK_QUEUED) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sq_rewind(s, st, cause) != 0)
			goto out;
		if (sqlite3_bind_int64(st, 2, v[i]) != SQLITE_OK) {
			sq_dbfail(s, cause, "bind");
			goto out;
		}
		if (sq_step_done(s, st, "claim task", cause) != 0)
			goto out;
	}
	sq_fin(&st);
commit:
	if (sq_tx_commit(s, cause) != 0)
		goto out;
	*ids = v;
	*nids = n;
	v = NULL;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	free(v);
	return (ret);
}
