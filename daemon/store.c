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
	/* 4: an attempt's cache keys and restored folders, for recovery. */
	"ALTER TABLE tasks ADD COLUMN cache_state TEXT;",
};

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
int
sq_tx_begin(struct store *s, char **cause)
{
	return (exec(s, "begin", "BEGIN IMMEDIATE", cause));
}

/* Commit; on failure the transaction stays open for tx_rollback. */
int
sq_tx_commit(struct store *s, char **cause)
{
	return (exec(s, "commit", "COMMIT", cause));
}

/* Roll back the open transaction, if any, after an error. */
void
sq_tx_rollback(struct store *s)
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
int
sq_rewind(struct store *s, sqlite3_stmt *st, char **cause)
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

/* Prepare sql into *st and bind id as its ?1. */
int
sq_prep_id(struct store *s, sqlite3_stmt **st, const char *sql, int64_t id,
    char **cause)
{
	if (sq_prep(s, st, sql, cause) != 0)
		return (-1);
	if (sqlite3_bind_int64(*st, 1, id) != SQLITE_OK)
		return (sq_dbfail(s, cause, "bind"));
	return (0);
}

/* Step st to its one row: 0 on a row, 1 when there is none, else -1. */
int
sq_step_row(struct store *s, sqlite3_stmt *st, const char *what,
    char **cause)
{
	int	rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (1);
	return (sq_dbfail(s, cause, what));
}

/* Append column 0 of every remaining row of st to the array *v of *n ids
 * (grown here; the caller frees it, also on failure). */
int
sq_col_ids(struct store *s, sqlite3_stmt *st, int64_t **v, size_t *n,
    const char *what, char **cause)
{
	int	rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		return (sq_dbfail(s, cause, what));
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
		if (sq_tx_begin(s, cause) != 0)
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
		if (sq_tx_commit(s, cause) != 0)
			goto out;
		free(what);
		free(sql);
		what = sql = NULL;
	}
	if (sq_tx_commit(s, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		sq_tx_rollback(s);
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
	if (sq_tx_begin(s, cause) != 0)
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
		if (sq_rewind(s, stk, cause) != 0)
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
			if (sq_rewind(s, sst, cause) != 0)
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
			if (sq_rewind(s, sdp, cause) != 0)
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
	if (sq_tx_commit(s, cause) != 0)
		goto out;
	*job_id = jid;
	ret = 0;
out:
	sq_fin(&sj);
	sq_fin(&stk);
	sq_fin(&sst);
	sq_fin(&sdp);
	if (ret != 0)
		sq_tx_rollback(s);
	store_unlock(s);
	free(ids);
	return (ret);
}
