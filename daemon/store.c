/* store.c -- the durable queue: jobs, tasks and steps in one SQLite file. */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/log.h"
#include "proto/util.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Why a queued task was skipped because a dependency ended badly.  Retry
 * requeues exactly these, never tasks the taskfile itself skipped. */
#define DEP_FAILED	"dependency failed"

/*
 * Forward migrations: migrations[N - 1] takes the schema from PRAGMA
 * user_version N - 1 to N.  Append only; never edit a released entry.
 */
static const char *const migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"	/* ids never reused */
	" project TEXT NOT NULL,"
	" taskfile_name TEXT NOT NULL,"
	" blob TEXT,"
	" env TEXT NOT NULL,"
	" dirty_path TEXT,"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL);"
	"CREATE INDEX jobs_project ON jobs (project, id);"
	"CREATE TABLE tasks ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" state TEXT NOT NULL,"			/* state_name() */
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" reason TEXT,"
	" allow_failures INTEGER NOT NULL DEFAULT 0,"
	" attempt INTEGER NOT NULL DEFAULT 1,"
	" spec TEXT NOT NULL,"
	" container TEXT,"
	" log_len INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL,"
	" started_ms INTEGER NOT NULL DEFAULT 0,"
	" finished_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tasks_state ON tasks (state, id);"
	"CREATE INDEX tasks_job ON tasks (job_id, id);"
	"CREATE TABLE task_deps ("
	" task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
	" dep_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
	" PRIMARY KEY (task_id, dep_id)) WITHOUT ROWID;"
	"CREATE INDEX task_deps_dep ON task_deps (dep_id);"
	"CREATE TABLE steps ("
	" id INTEGER PRIMARY KEY,"
	" task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" started_ms INTEGER NOT NULL DEFAULT 0,"
	" finished_ms INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (task_id, idx));",
	/* 2: recovery checkpoints, projects, queue settings. */
	"ALTER TABLE tasks ADD COLUMN nonce TEXT;"
	"ALTER TABLE tasks ADD COLUMN raw_off INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE projects ("
	" name TEXT PRIMARY KEY,"
	" max_running INTEGER NOT NULL DEFAULT 0,"
	" paused INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);",
	/* 3: the directory a project was named after (disambiguation). */
	"ALTER TABLE projects ADD COLUMN path TEXT;",
};

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

static int	cascade_dep_failed(struct store *, char **);

/* Take the handle's lock; failing to is a broken invariant. */
void
store_lock(struct store *s)
{
	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("store: cannot lock mutex");
}

/* Release the handle's lock. */
void
store_unlock(struct store *s)
{
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("store: cannot unlock mutex");
}

/* Set *cause (caller frees) when the caller wants it; return -1. */
int
sq_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause != NULL) {
		va_start(ap, fmt);
		*cause = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/* Fail with what was being done and SQLite's message for it. */
int
sq_dbfail(struct store *s, char **cause, const char *what)
{
	return (sq_fail(cause, "%s: %s", what, sqlite3_errmsg(s->db)));
}

/* Run constant SQL without parameters (transactions, pragmas, schema). */
static int
exec(struct store *s, const char *what, const char *sql, char **cause)
{
	char	*err = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, &err)) != SQLITE_OK) {
		sq_fail(cause, "%s: %s", what,
		    err != NULL ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

/* Start a write transaction now, so no reader can upgrade under us. */
static int
tx_begin(struct store *s, char **cause)
{
	return (exec(s, "begin", "BEGIN IMMEDIATE", cause));
}

/* Commit; on failure the transaction stays open for tx_rollback. */
static int
tx_commit(struct store *s, char **cause)
{
	return (exec(s, "commit", "COMMIT", cause));
}

/* Roll back the open transaction, if any, after an error. */
static void
tx_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_warnx("store: rollback: %s", sqlite3_errmsg(s->db));
}

/* Prepare sql into *st. */
int
sq_prep(struct store *s, sqlite3_stmt **st, const char *sql, char **cause)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return (sq_dbfail(s, cause, "prepare"));
	}
	return (0);
}

/* Finalize st (NULL is fine).  Its code only repeats the step error that
 * was already reported, so it is not looked at. */
void
sq_fin(sqlite3_stmt **st)
{
	(void)sqlite3_finalize(*st);
	*st = NULL;
}

/* Run a statement that returns no rows. */
int
sq_step_done(struct store *s, sqlite3_stmt *st, const char *what, char **cause)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return (sq_dbfail(s, cause, what));
	return (0);
}

/* Rewind a statement for its next row of parameters. */
static int
rewind_stmt(struct store *s, sqlite3_stmt *st, char **cause)
{
	if (sqlite3_reset(st) != SQLITE_OK)
		return (sq_dbfail(s, cause, "reset"));
	return (0);
}

/* Bind text or SQL NULL; v must live until the statement is reset. */
int
sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return (sqlite3_bind_null(st, i));
	return (sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC));
}

/* Bind a state by its name from proto/states.h. */
int
sq_bind_state(sqlite3_stmt *st, int i, enum task_state state)
{
	return (sqlite3_bind_text(st, i, state_name(state), -1,
	    SQLITE_STATIC));
}

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

/* Return a copy of a text column (caller frees), NULL for SQL NULL. */
char *
sq_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*v;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return (NULL);
	if ((v = sqlite3_column_text(st, i)) == NULL)
		fatalx("store: out of memory reading a column");
	return (xstrdup((const char *)v));
}

/* Read a state column by name. */
int
sq_col_state(sqlite3_stmt *st, int i, enum task_state *out, char **cause)
{
	const char	*name = (const char *)sqlite3_column_text(st, i);
	int		 v;

	*out = TASK_ERRORED;	/* never read on failure; quiets gcc -O2 */
	if (name == NULL || (v = state_from_name(name)) == -1)
		return (sq_fail(cause, "unknown state \"%s\" in database",
		    name == NULL ? "" : name));
	*out = (enum task_state)v;
	return (0);
}

/* Read PRAGMA user_version. */
static int
user_version(struct store *s, int *v, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (sq_prep(s, &st, "PRAGMA user_version", cause) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_dbfail(s, cause, "read schema version");
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
	ret = 0;
out:
	sq_fin(&st);
	return (ret);
}

/* Bring the schema to the newest version, one transaction per step. */
static int
migrate(struct store *s, char **cause)
{
	const int	 known = (int)nitems(migrations);
	char		*sql = NULL, *what = NULL;
	int		 v, ret = -1;

	for (;;) {
		if (tx_begin(s, cause) != 0)
			goto out;
		if (user_version(s, &v, cause) != 0)
			goto out;
		if (v < 0 || v > known) {
			sq_fail(cause, "database schema version %d is newer "
			    "than this stratusd supports (%d)", v, known);
			goto out;
		}
		if (v == known)
			break;
		what = xasprintf("migration to schema version %d", v + 1);
		if (exec(s, what, migrations[v], cause) != 0)
			goto out;
		/* PRAGMA takes no bound parameters; v + 1 is our own count. */
		sql = xasprintf("PRAGMA user_version = %d", v + 1);
		if (exec(s, what, sql, cause) != 0)
			goto out;
		if (tx_commit(s, cause) != 0)
			goto out;
		free(what);
		free(sql);
		what = sql = NULL;
	}
	if (tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		tx_rollback(s);
	free(what);
	free(sql);
	return (ret);
}

/*
 * Open or create the database.  *out is the caller's, for store_close.
 * synchronous=FULL: the 201 for a job and every state change are sent
 * after COMMIT, so a crash of the process or the machine must lose nothing
 * committed; in WAL mode NORMAL could drop the last commits on power loss.
 */
int
store_open(const char *path, struct store **out, char **cause)
{
	struct store	*s;
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	int		 memory, rc;

	*out = NULL;
	if (path == NULL)
		path = "";
	memory = (*path == '\0' || strcmp(path, ":memory:") == 0);
	if (sqlite3_threadsafe() == 0)
		return (sq_fail(cause, "sqlite3 is built without thread support"));

	s = xcalloc(1, sizeof *s);
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return (sq_fail(cause, "cannot create store mutex"));
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sq_fail(cause, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK) {
		sq_dbfail(s, cause, "busy timeout");
		goto fail;
	}

	/* The mode comes back as a row; memory databases stay "memory". */
	if (sq_prep(s, &st, "PRAGMA journal_mode=WAL", cause) != 0)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_dbfail(s, cause, path);
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!memory && (mode == NULL || strcasecmp(mode, "wal") != 0)) {
		sq_fail(cause, "%s: cannot use WAL journal mode (got %s)", path,
		    mode == NULL ? "nothing" : mode);
		goto fail;
	}
	sq_fin(&st);
	if (exec(s, path, "PRAGMA synchronous=FULL", cause) != 0 ||
	    exec(s, path, "PRAGMA foreign_keys=ON", cause) != 0)
		goto fail;
	if (migrate(s, cause) != 0)
		goto fail;
	*out = s;
	return (0);

fail:
	sq_fin(&st);
	if (sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(s->db));
	pthread_mutex_destroy(&s->lock);
	free(s);
	return (-1);
}

/* Close the database and free the handle. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(s->db));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Check a new job before touching the database. */
static int
job_check(const struct store_new_job *nj, char **cause)
{
	const struct store_new_task	*nt;
	size_t				 i, k;

	if (nj->project == NULL || nj->taskfile_name == NULL)
		return (sq_fail(cause, "job without project or taskfile name"));
	if (nj->ntasks != 0 && nj->tasks == NULL)
		return (sq_fail(cause, "job without its tasks"));
	for (i = 0; i < nj->ntasks; i++) {
		nt = &nj->tasks[i];
		if (nt->name == NULL || nt->spec == NULL)
			return (sq_fail(cause, "task %zu without name or spec", i));
		if (nt->state != TASK_QUEUED && nt->state != TASK_SKIPPED)
			return (sq_fail(cause, "task %s: new tasks are queued or "
			    "skipped, not %s", nt->name, state_name(nt->state)));
		if (nt->nsteps != 0 &&
		    (nt->step_names == NULL || nt->step_kinds == NULL))
			return (sq_fail(cause, "task %s: steps missing", nt->name));
		for (k = 0; k < nt->nsteps; k++) {
			if (nt->step_names[k] == NULL ||
			    nt->step_kinds[k] == NULL)
				return (sq_fail(cause, "task %s: step %zu without "
				    "name or kind", nt->name, k));
		}
		if (nt->ndeps != 0 && nt->deps == NULL)
			return (sq_fail(cause, "task %s: dependencies missing",
			    nt->name));
		for (k = 0; k < nt->ndeps; k++) {
			if (nt->deps[k] >= nj->ntasks || nt->deps[k] == i)
				return (sq_fail(cause, "task %s: bad dependency "
				    "index %zu", nt->name, nt->deps[k]));
		}
	}
	return (0);
}

/* Insert a job with its tasks, steps and dependencies in one transaction;
 * nothing of nj is kept. */
int
store_job_insert(struct store *s, const struct store_new_job *nj,
    int64_t *job_id, char **cause)
{
	sqlite3_stmt			*sj = NULL, *stk = NULL, *sst = NULL;
	sqlite3_stmt			*sdp = NULL;
	const struct store_new_task	*nt;
	enum task_state			 sstate;
	int64_t				*ids = NULL, jid, now = now_wall_ms();
	size_t				 i, k;
	int				 ret = -1;

	*job_id = 0;
	if (job_check(nj, cause) != 0)
		return (-1);
	ids = xcalloc(nj->ntasks, sizeof *ids);

	store_lock(s);
	if (tx_begin(s, cause) != 0)
		goto out;
	if (sq_prep(s, &sj, "INSERT INTO jobs (project, taskfile_name, blob, "
	    "env, priority, created_ms, dirty_path) VALUES (?, ?, ?, ?, ?, ?, ?)", cause) != 0 ||
	    sq_prep(s, &stk, "INSERT INTO tasks (job_id, name, state, reason, "
	    "allow_failures, spec, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    cause) != 0 ||
	    sq_prep(s, &sst, "INSERT INTO steps (task_id, idx, name, kind, state) "
	    "VALUES (?, ?, ?, ?, ?)", cause) != 0 ||
	    sq_prep(s, &sdp, "INSERT OR IGNORE INTO task_deps (task_id, dep_id) "
	    "VALUES (?, ?)", cause) != 0)
		goto out;

	if (sq_bind_text(sj, 1, nj->project) != SQLITE_OK ||
	    sq_bind_text(sj, 2, nj->taskfile_name) != SQLITE_OK ||
	    sq_bind_text(sj, 3, nj->blob) != SQLITE_OK ||
	    sq_bind_text(sj, 4, nj->env != NULL ? nj->env : "{}") != SQLITE_OK ||
	    sqlite3_bind_int(sj, 5, nj->priority) != SQLITE_OK ||
	    sqlite3_bind_int64(sj, 6, now) != SQLITE_OK ||
	    sq_bind_text(sj, 7, nj->dirty_path) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind job");
		goto out;
	}
	if (sq_step_done(s, sj, "insert job", cause) != 0)
		goto out;
	jid = sqlite3_last_insert_rowid(s->db);

	for (i = 0; i < nj->ntasks; i++) {
		nt = &nj->tasks[i];
		if (rewind_stmt(s, stk, cause) != 0)
			goto out;
		if (sqlite3_bind_int64(stk, 1, jid) != SQLITE_OK ||
		    sq_bind_text(stk, 2, nt->name) != SQLITE_OK ||
		    sq_bind_state(stk, 3, nt->state) != SQLITE_OK ||
		    sq_bind_text(stk, 4, nt->reason) != SQLITE_OK ||
		    sqlite3_bind_int(stk, 5, nt->allow_failures != 0) !=
		    SQLITE_OK ||
		    sq_bind_text(stk, 6, nt->spec) != SQLITE_OK ||
		    sqlite3_bind_int64(stk, 7, now) != SQLITE_OK) {
			sq_dbfail(s, cause, "bind task");
			goto out;
		}
		if (sq_step_done(s, stk, "insert task", cause) != 0)
			goto out;
		ids[i] = sqlite3_last_insert_rowid(s->db);

		/* The steps of a skipped task will never run either. */
		sstate = nt->state == TASK_SKIPPED ? TASK_SKIPPED : TASK_QUEUED;
		for (k = 0; k < nt->nsteps; k++) {
			if (rewind_stmt(s, sst, cause) != 0)
				goto out;
			if (sqlite3_bind_int64(sst, 1, ids[i]) != SQLITE_OK ||
			    sqlite3_bind_int64(sst, 2, (int64_t)k) != SQLITE_OK ||
			    sq_bind_text(sst, 3, nt->step_names[k]) != SQLITE_OK ||
			    sq_bind_text(sst, 4, nt->step_kinds[k]) != SQLITE_OK ||
			    sq_bind_state(sst, 5, sstate) != SQLITE_OK) {
				sq_dbfail(s, cause, "bind step");
				goto out;
			}
			if (sq_step_done(s, sst, "insert step", cause) != 0)
				goto out;
		}
	}

	/* Dependencies last: they may point at tasks later in the array. */
	for (i = 0; i < nj->ntasks; i++) {
		nt = &nj->tasks[i];
		for (k = 0; k < nt->ndeps; k++) {
			if (rewind_stmt(s, sdp, cause) != 0)
				goto out;
			if (sqlite3_bind_int64(sdp, 1, ids[i]) != SQLITE_OK ||
			    sqlite3_bind_int64(sdp, 2, ids[nt->deps[k]]) !=
			    SQLITE_OK) {
				sq_dbfail(s, cause, "bind dependency");
				goto out;
			}
			if (sq_step_done(s, sdp, "insert dependency", cause) != 0)
				goto out;
		}
	}
	if (tx_commit(s, cause) != 0)
		goto out;
	*job_id = jid;
	ret = 0;
out:
	sq_fin(&sj);
	sq_fin(&stk);
	sq_fin(&sst);
	sq_fin(&sdp);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	free(ids);
	return (ret);
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
	if (tx_begin(s, cause) != 0)
		goto out;
	if (sq_prep(s, &st, "SELECT state FROM tasks WHERE id = ?", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sq_fail(cause, "no such task %" PRId64, id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sq_dbfail(s, cause, "load task");
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
	    "exit_code = COALESCE(?2, exit_code), reason = COALESCE(?3, reason), "
	    "started_ms = COALESCE(?4, started_ms), "
	    "finished_ms = COALESCE(?5, finished_ms) WHERE id = ?6",
	    cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, state) != SQLITE_OK ||
	    (exit_code == -1 ? sqlite3_bind_null(st, 2) :
	    sqlite3_bind_int(st, 2, exit_code)) != SQLITE_OK ||
	    sq_bind_text(st, 3, reason) != SQLITE_OK ||
	    (state == TASK_RUNNING ? sqlite3_bind_int64(st, 4, now) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (state_finished(state) ? sqlite3_bind_int64(st, 5, now) :
	    sqlite3_bind_null(st, 5)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if (sq_step_done(s, st, "update task", cause) != 0 ||
	    tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	return (ret);
}

/* Run a one-row UPDATE bound as ?1 = value (bound by the caller's
 * function), ?2 = task id; fail when the task does not exist. */
static int
task_update(struct store *s, sqlite3_stmt *st, int64_t id, char **cause)
{
	if (sqlite3_bind_int64(st, 2, id) != SQLITE_OK)
		return (sq_dbfail(s, cause, "bind"));
	if (sq_step_done(s, st, "update task", cause) != 0)
		return (-1);
	if (sqlite3_changes(s->db) == 0)
		return (sq_fail(cause, "no such task %" PRId64, id));
	return (0);
}

/* Record the Podman container of a task (NULL clears it). */
int
store_task_set_container(struct store *s, int64_t id, const char *container,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	store_lock(s);
	if (sq_prep(s, &st, "UPDATE tasks SET container = ?1 WHERE id = ?2",
	    cause) != 0)
		goto out;
	if (sq_bind_text(st, 1, container) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = task_update(s, st, id, cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* Record how many bytes of a task's log are safely written. */
int
store_task_set_log_len(struct store *s, int64_t id, int64_t len,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (len < 0)
		return (sq_fail(cause, "negative log length"));
	store_lock(s);
	if (sq_prep(s, &st, "UPDATE tasks SET log_len = ?1 WHERE id = ?2",
	    cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, len) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = task_update(s, st, id, cause);
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
	if (sq_bind_state(st, 1, state) != SQLITE_OK ||
	    (exit_code == -1 ? sqlite3_bind_null(st, 2) :
	    sqlite3_bind_int(st, 2, exit_code)) != SQLITE_OK ||
	    (state == TASK_RUNNING ? sqlite3_bind_int64(st, 3, now) :
	    sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    (state_finished(state) ? sqlite3_bind_int64(st, 4, now) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
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
	if (sq_prep(s, &st, "SELECT 1 FROM jobs WHERE id = ?", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, job_id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sq_fail(cause, "no such job %" PRId64, job_id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sq_dbfail(s, cause, "load job");
		goto out;
	}
	sq_fin(&st);
	if (sq_prep(s, &st, "SELECT DISTINCT state FROM tasks WHERE job_id = ?",
	    cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, job_id) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
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

/* The tasks of job ?6 that a retry requeues; binds ?2..?6 as retry does. */
#define RETRY_TASKS							\
	"SELECT id FROM tasks WHERE job_id = ?6 AND "			\
	"(state IN (?2, ?3, ?4) OR (state = ?5 AND reason = ?7))"

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
		"raw_off = 0 "
		"WHERE id IN (" RETRY_TASKS ")",
	};
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 unfinished, ret = -1;

	store_lock(s);
	if (tx_begin(s, cause) != 0)
		goto out;
	/* Settle skips the scheduler has not made yet, or a job whose
	 * failure has not cascaded would look unfinished. */
	if (cascade_dep_failed(s, cause) != 0 ||
	    job_unfinished(s, job_id, &unfinished, cause) != 0)
		goto out;
	if (unfinished) {
		sq_fail(cause, "job %" PRId64 " is still running", job_id);
		goto out;
	}
	for (i = 0; i < nitems(sql); i++) {
		if (sq_prep(s, &st, sql[i], cause) != 0)
			goto out;
		if (sq_bind_state(st, 1, TASK_QUEUED) != SQLITE_OK ||
		    sq_bind_state(st, 2, TASK_FAILED) != SQLITE_OK ||
		    sq_bind_state(st, 3, TASK_CANCELLED) != SQLITE_OK ||
		    sq_bind_state(st, 4, TASK_ERRORED) != SQLITE_OK ||
		    sq_bind_state(st, 5, TASK_SKIPPED) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 6, job_id) != SQLITE_OK ||
		    sq_bind_text(st, 7, DEP_FAILED) != SQLITE_OK) {
			sq_dbfail(s, cause, "bind");
			goto out;
		}
		if (sq_step_done(s, st, "retry job", cause) != 0)
			goto out;
		sq_fin(&st);
	}
	/* The tasks update ran last: its count says if anything requeued. */
	if (sqlite3_changes(s->db) == 0) {
		ret = 1;
		goto out;	/* nothing changed; rolling back is free */
	}
	if (tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	return (ret);
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
	sqlite3_stmt	*st = NULL;
	int64_t		*ids = NULL, now = now_wall_ms();
	size_t		 i, n = 0;
	int		 unfinished, rc, ret = -1;

	*running = NULL;
	*nrunning = 0;
	store_lock(s);
	if (tx_begin(s, cause) != 0)
		goto out;
	/* Only to fail for a missing job: a finished one has no queued tasks. */
	if (job_unfinished(s, job_id, &unfinished, cause) != 0)
		goto out;
	for (i = 0; i < nitems(sql); i++) {
		if (sq_prep(s, &st, sql[i], cause) != 0)
			goto out;
		/* Only the tasks update has ?4 and ?5. */
		if (sq_bind_state(st, 1, TASK_CANCELLED) != SQLITE_OK ||
		    sq_bind_state(st, 2, TASK_QUEUED) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 3, job_id) != SQLITE_OK ||
		    (i == 1 && (sq_bind_text(st, 4, reason) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 5, now) != SQLITE_OK))) {
			sq_dbfail(s, cause, "bind");
			goto out;
		}
		if (sq_step_done(s, st, "cancel job", cause) != 0)
			goto out;
		sq_fin(&st);
	}
	if (sq_prep(s, &st, "SELECT id FROM tasks WHERE job_id = ? AND state = ? "
	    "ORDER BY id", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, job_id) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_RUNNING) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "load running tasks");
		goto out;
	}
	sq_fin(&st);
	if (tx_commit(s, cause) != 0)
		goto out;
	*running = ids;
	*nrunning = n;
	ids = NULL;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	free(ids);
	return (ret);
}

/* Skip, with DEP_FAILED, every queued task with a dependency that finished
 * without satisfying it, and their steps; repeat until nothing changes so
 * that the skip cascades down chains.  Inside the caller's transaction. */
static int
cascade_dep_failed(struct store *s, char **cause)
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
		if (rewind_stmt(s, st, cause) != 0)
			goto out;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			changed = 1;
			if (rewind_stmt(s, ss, cause) != 0)
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
	if (tx_begin(s, cause) != 0)
		goto out;
	if (cascade_dep_failed(s, cause) != 0)
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
	if (tx_commit(s, cause) != 0) {
		store_tasks_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	return (ret);
}

/* Record a running task's output checkpoint (see store.h). */
int
store_task_set_progress(struct store *s, int64_t id, const char *nonce,
    int64_t raw_off, int64_t log_len, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (raw_off < 0 || log_len < 0)
		return (sq_fail(cause, "negative output offset"));
	store_lock(s);
	if (sq_prep(s, &st, "UPDATE tasks SET raw_off = ?1, log_len = ?3, "
	    "nonce = COALESCE(?4, nonce) WHERE id = ?2", cause) != 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, raw_off) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, log_len) != SQLITE_OK ||
	    sq_bind_text(st, 4, nonce) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = task_update(s, st, id, cause);
out:
	sq_fin(&st);
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
	int		 rc, paused, ret = -1;

	*ids = NULL;
	*nids = 0;
	store_lock(s);
	if (tx_begin(s, cause) != 0 || cascade_dep_failed(s, cause) != 0)
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
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "choose tasks");
		goto out;
	}
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
		if (rewind_stmt(s, st, cause) != 0)
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
	if (tx_commit(s, cause) != 0)
		goto out;
	*ids = v;
	*nids = n;
	v = NULL;
	ret = 0;
out:
	sq_fin(&st);
	if (ret != 0)
		tx_rollback(s);
	store_unlock(s);
	free(v);
	return (ret);
}
