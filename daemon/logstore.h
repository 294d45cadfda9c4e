/* logstore.h -- one append-only log file per task attempt, with followers. */
#ifndef DAEMON_LOGSTORE_H
#define DAEMON_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct logstore;

/* Logs live in dir/JOB/TASK.ATTEMPT.log.  cap: bytes per log (0: default 64 MiB). */
int	logstore_open(const char *dir, int64_t cap, struct logstore **,
	    char **cause);
void	logstore_close(struct logstore *);

/* Mark a task's log live: readers at its end wait for more instead of
 * being told it is finished.  Idempotent. */
void	logstore_begin(struct logstore *, int64_t job, int64_t task,
	    int attempt);
/*
 * Append bytes to a task's log (implies begin) and wake its followers.  Past the cap the
 * bytes are dropped and one truncation notice is written instead.  Returns
 * 0 or -1 with cause.  *len (if not NULL) gets the new length.
 */
int	logstore_append(struct logstore *, int64_t job, int64_t task,
	    int attempt, const void *, size_t, int64_t *len, char **cause);
/*
 * Append one marker line (see doc/log-format.md), on a line of its own: a
 * newline goes first when the log does not end with one.  0 or -1 with cause.
 */
int	logstore_mark(struct logstore *, int64_t job, int64_t task,
	    int attempt, const char *line, char **cause);
/* Flush a live log to disk now, without finishing it (so that its final
 * length can be committed before followers are told it ended). */
void	logstore_sync(struct logstore *, int64_t job, int64_t task,
	    int attempt);
/* Mark a task's log finished: followers drain it and stop waiting. */
void	logstore_finish(struct logstore *, int64_t job, int64_t task,
	    int attempt);
/* Length of a task's log file now (0 when it does not exist). */
int64_t	logstore_length(struct logstore *, int64_t job, int64_t task,
	    int attempt);
/* Truncate a log back to len bytes (recovery: drop what was not committed),
 * and its time index with it. */
int	logstore_truncate(struct logstore *, int64_t job, int64_t task,
	    int attempt, int64_t len, char **cause);
/*
 * Truncate a live log back to len bytes that are about to be appended
 * again (a re-adopted container's output replayed): its time index keeps
 * the records of the bytes cut, so that the replayed bytes keep the times
 * they first arrived at.  0 or -1 with cause.
 */
int	logstore_rewind(struct logstore *, int64_t job, int64_t task,
	    int attempt, int64_t len, char **cause);

/*
 * Read up to max bytes from offset into buf.  With wait_ms > 0 and nothing
 * to read yet, sleep until bytes are appended, the log is finished, or
 * wait_ms passes.  Returns bytes read (0: nothing now), or -1 with errno.
 * *finished is set when the log is not live (never begun, or finished since)
 * and offset is at its end.
 */
ssize_t	logstore_read(struct logstore *, int64_t job, int64_t task,
	    int attempt, int64_t offset, void *buf, size_t max, int wait_ms,
	    int *finished);

/*
 * Followers of a queued task sleep here instead of polling: take the
 * generation (a count of logs gone live) before looking at the task's
 * state, then wait up to wait_ms until its log is live or any log went live
 * since (so a begin between the two is never missed).  1 when it is live.
 */
uint64_t logstore_generation(struct logstore *);
int	logstore_wait_live(struct logstore *, int64_t job, int64_t task,
	    int attempt, uint64_t since, int wait_ms);
/* Remove a job's logs. */
int	logstore_remove_job(struct logstore *, int64_t job, char **cause);

#endif
