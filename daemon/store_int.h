/* store_int.h -- private to the store_*.c files: the handle, the column
 * lists and the small SQLite helpers they share. */
#ifndef DAEMON_STORE_INT_H
#define DAEMON_STORE_INT_H

#include <pthread.h>

#include <sqlite3.h>

#include "daemon/store.h"

/*
 * One connection for the whole daemon, serialised by lock: the HTTP,
 * scheduler and executor threads all call in.  Statements are prepared per
 * call and finalized before the lock is released, so no statement and no
 * sqlite3_errmsg() is ever shared between threads, and a read of several
 * statements sees no half-done write of ours.
 */
struct store {
	sqlite3		*db;
	pthread_mutex_t	 lock;
};

#define JOB_COLUMNS							\
	"SELECT id, project, taskfile_name, blob, env, priority, created_ms, " \
	"dirty_path " \
	"FROM jobs "
#define TASK_COLUMNS							\
	"SELECT t.id, t.job_id, t.name, j.project, t.state, t.exit_code, " \
	"t.reason, t.allow_failures, t.attempt, t.spec, t.container, "	\
	"t.log_len, t.created_ms, t.started_ms, t.finished_ms, "	\
	"t.nonce, t.raw_off "								\
	"FROM tasks t JOIN jobs j ON j.id = t.job_id "

/* Why a queued task was skipped because a dependency ended badly.  Retry
 * requeues exactly these, never tasks the taskfile itself skipped. */
#define DEP_FAILED	"dependency failed"

void	store_lock(struct store *);
void	store_unlock(struct store *);
int	sq_fail(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	sq_dbfail(struct store *, char **cause, const char *what);
int	sq_prep(struct store *, sqlite3_stmt **, const char *sql, char **cause);
void	sq_fin(sqlite3_stmt **);
int	sq_step_done(struct store *, sqlite3_stmt *, const char *what,
	    char **cause);
int	sq_bind_text(sqlite3_stmt *, int, const char *);
int	sq_bind_state(sqlite3_stmt *, int, enum task_state);
char	*sq_col_text(sqlite3_stmt *, int);
int	sq_col_state(sqlite3_stmt *, int, enum task_state *, char **cause);
int	sq_prep_id(struct store *, sqlite3_stmt **, const char *sql,
	    int64_t id, char **cause);
int	sq_step_row(struct store *, sqlite3_stmt *, const char *what,
	    char **cause);
int	sq_col_ids(struct store *, sqlite3_stmt *, int64_t **, size_t *,
	    const char *what, char **cause);
int	sq_tx_begin(struct store *, char **cause);
int	sq_tx_commit(struct store *, char **cause);
void	sq_tx_rollback(struct store *);
int	sq_rewind(struct store *, sqlite3_stmt *, char **cause);
int	store_cascade_dep_failed(struct store *, char **cause);

/* store_query.c */
int	store_tasks_load(struct store *, sqlite3_stmt *, struct store_task **,
	    size_t *, char **cause);
void	store_task_clear(struct store_task *);
void	store_job_clear(struct store_job *);

#endif
