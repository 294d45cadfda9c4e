/* store_gc.c -- retention in the store: which finished jobs go, and going. */
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/util.h"

/*
 * Finished jobs of each project beyond its keep newest, or whose last task
 * finished before before_ms, oldest first.
 */
int
store_jobs_expired(struct store *s, int keep, int64_t before_ms,
    int64_t **ids, size_t *nids, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int64_t		*v = NULL;
	size_t		 n = 0;
	int		 rc, ret = -1;

	*ids = NULL;
	*nids = 0;
	if (keep < 0 || before_ms < 0)
		return (sq_fail(cause, "keep and age must not be negative"));
	store_lock(s);
	/* Counted among finished jobs only: a long queue keeps its history. */
	if (sq_prep(s, &st, "SELECT id FROM (SELECT j.id AS id, ROW_NUMBER() "
	    "OVER (PARTITION BY j.project ORDER BY j.id DESC) AS rn, "
	    "(SELECT COALESCE(NULLIF(MAX(t.finished_ms), 0), j.created_ms) "
	    "FROM tasks t WHERE t.job_id = j.id) AS fin "
	    "FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM tasks t "
	    "WHERE t.job_id = j.id AND t.state IN (?1, ?2))) "
	    "WHERE (?3 > 0 AND rn > ?3) OR (?4 > 0 AND fin < ?4) ORDER BY id",
	    cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, TASK_QUEUED) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_RUNNING) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, keep) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, before_ms) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "list expired jobs");
		goto out;
	}
	*ids = v;
	*nids = n;
	v = NULL;
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	free(v);
	return (ret);
}

/*
 * Delete job id with its tasks, steps and dependencies (one statement, so
 * one transaction) unless a task of it is queued or running.  *orphan
 * (caller frees) is its snapshot's name when no other job refers to it.
 * 0 deleted, 1 not deleted (gone or unfinished), -1.
 */
int
store_job_delete(struct store *s, int64_t id, char **orphan, char **cause)
{
	sqlite3_stmt	*st = NULL;
	char		*blob = NULL;
	int		 rc, ret = -1;

	*orphan = NULL;
	store_lock(s);
	if (sq_prep(s, &st, "DELETE FROM jobs WHERE id = ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM tasks t WHERE t.job_id = ?1 AND t.state IN "
	    "(?2, ?3)) RETURNING blob", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_QUEUED) != SQLITE_OK ||
	    sq_bind_state(st, 3, TASK_RUNNING) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		ret = 1;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sq_dbfail(s, cause, "delete job");
		goto out;
	}
	blob = sq_col_text(st, 0);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sq_dbfail(s, cause, "delete job");
		goto out;
	}
	sq_fin(&st);
	ret = 0;
	if (blob == NULL)
		goto out;
	if (sq_prep(s, &st, "SELECT 1 FROM jobs WHERE blob = ?1 LIMIT 1",
	    cause) != 0) {
		ret = -1;
		goto out;
	}
	if (sq_bind_text(st, 1, blob) != SQLITE_OK) {
		ret = sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		*orphan = blob;
		blob = NULL;
	} else if (rc != SQLITE_ROW)
		ret = sq_dbfail(s, cause, "find blob");
out:
	sq_fin(&st);
	store_unlock(s);
	free(blob);
	return (ret);
}
