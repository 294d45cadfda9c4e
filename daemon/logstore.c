/* logstore.c -- one append-only log file per task attempt, with followers. */

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/logstore.h"
#include "daemon/logstore_int.h"
#include "daemon/logtimes.h"
#include "proto/log.h"
#include "proto/util.h"

#define LOGSTORE_DEFAULT_CAP	(64 * 1024 * 1024LL)

/* Return the path of a task attempt's log; caller frees. */
char *
logstore_path(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	return (xasprintf("%s/%" PRId64 "/%" PRId64 ".%d.log", ls->dir, job,
	    task, attempt));
}

/* Return the path of a task attempt's time index; caller frees. */
char *
logstore_times_path(struct logstore *ls, int64_t job, int64_t task,
    int attempt)
{
	return (xasprintf("%s/%" PRId64 "/%" PRId64 ".%d.times", ls->dir, job,
	    task, attempt));
}

/* Return the directory of a job's logs; caller frees. */
char *
logstore_job_dir(struct logstore *ls, int64_t job)
{
	return (xasprintf("%s/%" PRId64, ls->dir, job));
}

/* Lock a mutex; failure means memory corruption, so it is fatal. */
void
logstore_lock(pthread_mutex_t *m)
{
	int	error;

	if ((error = pthread_mutex_lock(m)) != 0) {
		errno = error;
		fatal("pthread_mutex_lock");
	}
}

/* Unlock a mutex. */
void
logstore_unlock(pthread_mutex_t *m)
{
	int	error;

	if ((error = pthread_mutex_unlock(m)) != 0) {
		errno = error;
		fatal("pthread_mutex_unlock");
	}
}

/* Wake every follower of an entry; called with e->mtx held. */
static void
logstore_wake(struct logent *e)
{
	int	error;

	if ((error = pthread_cond_broadcast(&e->cond)) != 0) {
		errno = error;
		fatal("pthread_cond_broadcast");
	}
}

/* Find a live entry; called with ls->mtx held. */
struct logent *
logstore_find(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent	*e;

	LIST_FOREACH(e, &ls->live, entry) {
		if (e->job == job && e->task == task && e->attempt == attempt)
			return (e);
	}
	return (NULL);
}

/*
 * Open an entry's time index beside its open log, cutting what a crash
 * left past the log's end; called with e->mtx held.  An index that cannot
 * be opened costs the log its times, not its output.
 */
static void
logstore_times_open(struct logstore *ls, struct logent *e)
{
	char	*path, *cause = NULL;

	path = logstore_times_path(ls, e->job, e->task, e->attempt);
	if (logtimes_open(path, e->len, &e->tfd, &e->tms, &cause) != 0) {
		log_warnx("log times: %s", cause);
		free(cause);
		e->tfailed = 1;
	}
	free(path);
}

/*
 * Note in the time index that the bytes from off on arrive now, unless
 * the last record says the same or they are being replayed (rewind).
 * Called with e->mtx held and before e->len covers them for readers, so
 * that a reader never sees a byte whose record is still to come.
 */
static void
logstore_times_note(struct logent *e, int64_t off)
{
	int64_t	now;

	if (e->tfd == -1 || e->tfailed || off < e->treplay)
		return;
	/* At most one record per LOGTIMES_MIN_GAP_MS (unless the clock went
	 * back): the index stays small however fast short lines come. */
	now = now_wall_ms();
	if (e->tms != INT64_MIN && now >= e->tms &&
	    now - e->tms < LOGTIMES_MIN_GAP_MS)
		return;
	if (logtimes_append(e->tfd, off, now) != 0) {
		/* A torn record is cut when the index is next opened. */
		log_warn("log times of %s", e->path);
		e->tfailed = 1;
		return;
	}
	e->tms = now;
}

/*
 * Whether an entry's log ends a line (or is empty), so that the next byte
 * appended starts one; called with e->mtx held and its file open.  A byte
 * that cannot be read counts as a newline.
 */
static int
logstore_at_bol(struct logent *e)
{
	char	last;

	if (e->bol == -1)
		e->bol = e->len == 0 ||
		    pread(e->fd, &last, 1, e->len - 1) != 1 || last == '\n';
	return (e->bol);
}

/*
 * Open an entry's file for appending, creating the job directory; called
 * with e->mtx held.  0, or -1 with cause.
 */
static int
logstore_open_fd(struct logstore *ls, struct logent *e, char **cause)
{
	struct stat	 st;
	char		*dir;
	int		 fd, saved_errno;

	if (e->fd != -1)
		return (0);
	dir = logstore_job_dir(ls, e->job);
	if (mkdir_p(dir, 0700) != 0) {
		saved_errno = errno;
		*cause = xasprintf("mkdir %s: %s", dir, strerror(errno));
		free(dir);
		errno = saved_errno;
		return (-1);
	}
	free(dir);

	fd = open(e->path, O_RDWR|O_APPEND|O_CREAT|O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("open %s: %s", e->path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0) {
		saved_errno = errno;
		*cause = xasprintf("fstat %s: %s", e->path, strerror(errno));
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	e->fd = fd;
	e->len = st.st_size;
	e->truncated = (e->len >= ls->cap);
	logstore_times_open(ls, e);
	return (0);
}

/*
 * Find or create the live entry of a task attempt and take a reference.
 * A new entry tries to open its file at once so that its length is known;
 * when that fails the entry stays live with no file and append retries.
 * The open happens under the store lock so that two first appends cannot
 * race to create one log; it is once per attempt, not per append.
 */
static struct logent *
logstore_get(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent		*e;
	pthread_condattr_t	 ca;
	char			*cause = NULL;
	int			 error;

	logstore_lock(&ls->mtx);
	if ((e = logstore_find(ls, job, task, attempt)) != NULL) {
		e->refs++;
		logstore_unlock(&ls->mtx);
		return (e);
	}

	e = xcalloc(1, sizeof *e);
	e->job = job;
	e->task = task;
	e->attempt = attempt;
	e->path = logstore_path(ls, job, task, attempt);
	e->fd = -1;
	e->synced = -1;
	e->bol = -1;
	e->tfd = -1;
	e->tms = INT64_MIN;
	if ((error = pthread_mutex_init(&e->mtx, NULL)) != 0)
		goto fail;
	if ((error = pthread_condattr_init(&ca)) != 0)
		goto fail;
	if ((error = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0)
		goto fail;
	if ((error = pthread_cond_init(&e->cond, &ca)) != 0)
		goto fail;
	pthread_condattr_destroy(&ca);

	/* Nobody else can see e yet, but the lock keeps the analysers calm. */
	logstore_lock(&e->mtx);
	if (logstore_open_fd(ls, e, &cause) != 0) {
		log_warnx("log %s: %s", e->path, cause);
		free(cause);
	}
	logstore_unlock(&e->mtx);

	e->refs = 1;
	e->listed = 1;
	LIST_INSERT_HEAD(&ls->live, e, entry);
	ls->gen++;
	if ((error = pthread_cond_broadcast(&ls->begun)) != 0)
		goto fail;
	logstore_unlock(&ls->mtx);
	return (e);

fail:
	errno = error;
	fatal("logstore: pthread init");
}

/* Free an entry that is off the list and unreferenced. */
static void
logstore_free(struct logent *e)
{
	if (e->fd != -1 && close(e->fd) != 0)
		log_warn("close %s", e->path);
	if (e->tfd != -1 && close(e->tfd) != 0)
		log_warn("close the time index of %s", e->path);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->mtx);
	free(e->path);
	free(e);
}

/* Drop a reference; the last one frees an entry no longer live. */
void
logstore_put(struct logstore *ls, struct logent *e)
{
	int	freeit;

	logstore_lock(&ls->mtx);
	freeit = (--e->refs == 0 && !e->listed);
	logstore_unlock(&ls->mtx);
	if (freeit)
		logstore_free(e);
}

/* Look up a live entry and take a reference, or return NULL if not live. */
struct logent *
logstore_ref(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent	*e;

	logstore_lock(&ls->mtx);
	if ((e = logstore_find(ls, job, task, attempt)) != NULL)
		e->refs++;
	logstore_unlock(&ls->mtx);
	return (e);
}

/* Open a log store under dir, creating it.  0, or -1 with cause. */
int
logstore_open(const char *dir, int64_t cap, struct logstore **lsp,
    char **cause)
{
	struct logstore		*ls;
	pthread_condattr_t	 ca;
	int			 error;

	*lsp = NULL;
	if (cap < 0) {
		*cause = xasprintf("bad log cap %" PRId64, cap);
		errno = EINVAL;
		return (-1);
	}
	if (mkdir_dir(dir, 0700, cause) != 0)
		return (-1);

	ls = xcalloc(1, sizeof *ls);
	ls->dir = xstrdup(dir);
	ls->cap = (cap == 0) ? LOGSTORE_DEFAULT_CAP : cap;
	LIST_INIT(&ls->live);
	if ((error = pthread_mutex_init(&ls->mtx, NULL)) != 0) {
		*cause = xasprintf("pthread_mutex_init: %s", strerror(error));
		free(ls->dir);
		free(ls);
		errno = error;
		return (-1);
	}
	if ((error = pthread_condattr_init(&ca)) != 0 ||
	    (error = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (error = pthread_cond_init(&ls->begun, &ca)) != 0) {
		errno = error;
		fatal("logstore: pthread init");
	}
	pthread_condattr_destroy(&ca);
	*lsp = ls;
	return (0);
}

/* Close a log store.  No thread may be using it; live logs are dropped. */
void
logstore_close(struct logstore *ls)
{
	struct logent	*e;

	if (ls == NULL)
		return;
	while ((e = LIST_FIRST(&ls->live)) != NULL) {
		LIST_REMOVE(e, entry);
		logstore_free(e);
	}
	pthread_mutex_destroy(&ls->mtx);
	pthread_cond_destroy(&ls->begun);
	free(ls->dir);
	free(ls);
}

/* Mark a task attempt's log live.  Idempotent. */
void
logstore_begin(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	logstore_put(ls, logstore_get(ls, job, task, attempt));
}

/* Build the one-line truncation notice for a cap; caller frees. */
static char *
logstore_notice(int64_t cap)
{
	const int64_t	mib = 1024 * 1024;

	if (cap % mib == 0) {
		return (xasprintf("\n[stratus: log truncated at %" PRId64
		    " MiB; further output dropped]\n", cap / mib));
	}
	return (xasprintf("\n[stratus: log truncated at %" PRId64
	    " bytes; further output dropped]\n", cap));
}

/*
 * Append to a task attempt's log.  Only write(2): a build that prints a
 * line at a time must not pay for a disk flush per line.  Durability comes
 * at logstore_finish, and the executor records how much of a running log
 * it has committed so that recovery can cut back to that (see truncate).
 */
int
logstore_append(struct logstore *ls, int64_t job, int64_t task, int attempt,
    const void *data, size_t size, int64_t *lenp, char **cause)
{
	struct logent	*e;
	struct stat	 st;
	char		*notice = NULL;
	size_t		 n;
	int64_t		 room, start = INT64_MAX;
	int		 rv = -1, saved_errno = 0, lines = 0;

	e = logstore_get(ls, job, task, attempt);
	logstore_lock(&e->mtx);
	if (logstore_open_fd(ls, e, cause) != 0) {
		saved_errno = errno;
		goto out;
	}
	if (e->truncated || size == 0) {
		rv = 0;
		goto out;
	}

	start = e->len;
	room = ls->cap - e->len;
	n = size;
	if (room < 0)
		room = 0;
	if ((uint64_t)n > (uint64_t)room)
		n = (size_t)room;
	/* Only a chunk in which a line starts needs its time noted. */
	lines = logstore_at_bol(e) ||
	    (n > 1 && memchr(data, '\n', n - 1) != NULL);
	if (n > 0 && write_all(e->fd, data, n) != 0)
		goto fail;
	e->len += (int64_t)n;
	if (n > 0)
		e->bol = ((const char *)data)[n - 1] == '\n';
	if (n < size) {
		notice = logstore_notice(ls->cap);	/* "\n...\n" */
		if (write_all(e->fd, notice, strlen(notice)) != 0)
			goto fail;
		e->len += (int64_t)strlen(notice);
		e->truncated = 1;
		e->bol = lines = 1;
	}
	rv = 0;
	goto out;

fail:
	saved_errno = errno;
	*cause = xasprintf("write %s: %s", e->path, strerror(errno));
	/* A short write left some bytes behind: believe the file. */
	if (fstat(e->fd, &st) == 0)
		e->len = st.st_size;
	else
		log_warn("fstat %s", e->path);
	e->bol = -1;
out:
	if (e->len > start && lines)
		logstore_times_note(e, start);
	if (lenp != NULL)
		*lenp = e->len;
	logstore_wake(e);
	logstore_unlock(&e->mtx);
	logstore_put(ls, e);
	free(notice);
	if (rv != 0)
		errno = saved_errno;
	return (rv);
}

/* fsync a directory so that a new file's name survives a crash. */
static int
logstore_sync_dir(const char *dir)
{
	int	fd, rv = 0, saved_errno;

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1)
		return (-1);
	if (fsync(fd) != 0)
		rv = -1;
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (rv);
}

/*
 * fsync an entry's log, its time index (tfd, unless -1) and their
 * directory.  Called unlocked: the descriptors do not change once set and
 * the caller's reference keeps them open.
 */
static void
logstore_fsync(struct logstore *ls, struct logent *e, int fd, int tfd)
{
	char	*dir;

	if (fsync(fd) != 0)
		log_warn("fsync %s", e->path);
	if (tfd != -1 && fsync(tfd) != 0)
		log_warn("fsync the time index of %s", e->path);
	dir = logstore_job_dir(ls, e->job);
	if (logstore_sync_dir(dir) != 0)
		log_warn("fsync %s", dir);
	free(dir);
}

/*
 * Mark a task attempt's log finished.  The file is fsynced here, once, and
 * not on append: the executor records the task as ended (and the log's
 * length as committed) right after this, and a finished log is never
 * truncated by recovery, so it must be on disk before that record is.
 */
void
logstore_finish(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent	*e;
	int		 fd, tfd;

	logstore_lock(&ls->mtx);
	if ((e = logstore_find(ls, job, task, attempt)) == NULL) {
		logstore_unlock(&ls->mtx);
		return;
	}
	LIST_REMOVE(e, entry);
	e->listed = 0;
	e->refs++;
	logstore_unlock(&ls->mtx);

	/*
	 * Off the list, new readers go to the file, which already holds every
	 * byte; those sleeping on e wait out the fsync.  e->fd does not change
	 * once set and our reference keeps it open, so the fsync runs unlocked.
	 */
	logstore_lock(&e->mtx);
	fd = e->synced == e->len ? -1 : e->fd;	/* logstore_sync did it */
	tfd = e->tfd;
	logstore_unlock(&e->mtx);
	if (fd != -1)
		logstore_fsync(ls, e, fd, tfd);

	logstore_lock(&e->mtx);
	e->finished = 1;
	logstore_wake(e);
	logstore_unlock(&e->mtx);
	logstore_put(ls, e);
}

/* Return the length of a task attempt's log (0 when it does not exist). */
int64_t
logstore_length(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent	*e;
	struct stat	 st;
	char		*path;
	int64_t		 len = 0;

	if ((e = logstore_ref(ls, job, task, attempt)) != NULL) {
		logstore_lock(&e->mtx);
		len = e->len;
		logstore_unlock(&e->mtx);
		logstore_put(ls, e);
		return (len);
	}
	path = logstore_path(ls, job, task, attempt);
	if (stat(path, &st) == 0)
		len = st.st_size;
	else if (errno != ENOENT)
		log_warn("stat %s", path);
	free(path);
	return (len);
}

/* Append a marker line, starting a new line first when the log is mid-line. */
int
logstore_mark(struct logstore *ls, int64_t job, int64_t task, int attempt,
    const char *line, char **cause)
{
	struct logent	*e;
	char		*text;
	int		 rv, bol;

	e = logstore_get(ls, job, task, attempt);
	logstore_lock(&e->mtx);
	if (logstore_open_fd(ls, e, cause) != 0) {
		logstore_unlock(&e->mtx);
		logstore_put(ls, e);
		return (-1);
	}
	/* Only the task's executor appends, so this stays true below. */
	bol = logstore_at_bol(e);
	logstore_unlock(&e->mtx);
	logstore_put(ls, e);
	text = xasprintf("%s%s\n", bol ? "" : "\n", line);
	rv = logstore_append(ls, job, task, attempt, text, strlen(text), NULL,
	    cause);
	free(text);
	return (rv);
}

/*
 * Truncate a log back to len bytes.  A log already shorter is left alone
 * (never extended with zeros): after a crash the file may hold less than
 * was committed, and padding would invent output.  The time index loses
 * its records past len too, unless replay says that the same bytes are
 * about to be appended again and a live log keeps their times for them.
 */
static int
logstore_cut(struct logstore *ls, int64_t job, int64_t task, int attempt,
    int64_t len, int replay, char **cause)
{
	struct logent	*e;
	struct stat	 st;
	char		*path, *tpath = NULL;
	int		 rv = -1, saved_errno = 0;

	if (len < 0) {
		*cause = xasprintf("bad log length %" PRId64, len);
		errno = EINVAL;
		return (-1);
	}
	path = logstore_path(ls, job, task, attempt);
	if ((e = logstore_ref(ls, job, task, attempt)) != NULL)
		logstore_lock(&e->mtx);

	if (stat(path, &st) != 0) {
		if (errno != ENOENT) {
			saved_errno = errno;
			*cause = xasprintf("stat %s: %s", path,
			    strerror(errno));
			goto out;
		}
		st.st_size = 0;
	} else if (st.st_size > len && truncate(path, len) != 0) {
		saved_errno = errno;
		*cause = xasprintf("truncate %s: %s", path, strerror(errno));
		goto out;
	}
	if (e != NULL && e->fd != -1) {
		if (e->len > len)
			e->len = len;
		e->truncated = (e->len >= ls->cap);
		e->bol = -1;
	}

	if (replay && e != NULL && e->tfd != -1) {
		if (st.st_size > e->treplay)
			e->treplay = st.st_size;
	} else {
		tpath = logstore_times_path(ls, job, task, attempt);
		if (logtimes_cut(tpath, e != NULL ? e->tfd : -1, len,
		    e != NULL ? &e->tms : NULL, cause) != 0) {
			saved_errno = errno;
			goto out;
		}
		if (e != NULL)
			e->treplay = 0;
	}
	rv = 0;

out:
	if (e != NULL) {
		logstore_unlock(&e->mtx);
		logstore_put(ls, e);
	}
	free(tpath);
	free(path);
	if (rv != 0)
		errno = saved_errno;
	return (rv);
}

/* Truncate a log and its times back to len bytes; see logstore_cut. */
int
logstore_truncate(struct logstore *ls, int64_t job, int64_t task,
    int attempt, int64_t len, char **cause)
{
	return (logstore_cut(ls, job, task, attempt, len, 0, cause));
}

/* Truncate a log for a replay that keeps its times; see logstore_cut. */
int
logstore_rewind(struct logstore *ls, int64_t job, int64_t task,
    int attempt, int64_t len, char **cause)
{
	return (logstore_cut(ls, job, task, attempt, len, 1, cause));
}

void
logstore_sync(struct logstore *ls, int64_t job, int64_t task, int attempt)
{
	struct logent	*e;
	int64_t		 len;
	int		 fd, tfd;

	if ((e = logstore_ref(ls, job, task, attempt)) == NULL)
		return;
	logstore_lock(&e->mtx);
	fd = e->fd;
	tfd = e->tfd;
	len = e->len;
	logstore_unlock(&e->mtx);
	if (fd != -1) {
		logstore_fsync(ls, e, fd, tfd);
		logstore_lock(&e->mtx);
		e->synced = len;
		logstore_unlock(&e->mtx);
	}
	logstore_put(ls, e);
}

/*
 * Remove a job's logs.  Live logs of the job are finished first so that
 * their followers stop instead of waiting on a file that is gone.
 */
int
logstore_remove_job(struct logstore *ls, int64_t job, char **cause)
{
	struct logent	*e, *e1;
	struct logents	 gone;
	struct dirent	*de;
	DIR		*d = NULL;
	char		*dir;
	int		 rv = -1, saved_errno = 0;

	/* Unlist and reference in one go, so that nobody frees them under us. */
	LIST_INIT(&gone);
	logstore_lock(&ls->mtx);
	for (e = LIST_FIRST(&ls->live); e != NULL; e = e1) {
		e1 = LIST_NEXT(e, entry);
		if (e->job == job) {
			LIST_REMOVE(e, entry);
			e->listed = 0;
			e->refs++;
			LIST_INSERT_HEAD(&gone, e, entry);
		}
	}
	logstore_unlock(&ls->mtx);
	while ((e = LIST_FIRST(&gone)) != NULL) {
		LIST_REMOVE(e, entry);
		logstore_lock(&e->mtx);
		e->finished = 1;
		logstore_wake(e);
		logstore_unlock(&e->mtx);
		logstore_put(ls, e);
	}

	dir = logstore_job_dir(ls, job);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			rv = 0;
			goto out;
		}
		saved_errno = errno;
		*cause = xasprintf("opendir %s: %s", dir, strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				saved_errno = errno;
				*cause = xasprintf("readdir %s: %s", dir,
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT) {
			saved_errno = errno;
			*cause = xasprintf("unlink %s/%s: %s", dir, de->d_name,
			    strerror(errno));
			goto out;
		}
	}
	if (rmdir(dir) != 0 && errno != ENOENT) {
		saved_errno = errno;
		*cause = xasprintf("rmdir %s: %s", dir, strerror(errno));
		goto out;
	}
	rv = 0;

out:
	if (d != NULL)
		closedir(d);
	free(dir);
	if (rv != 0)
		errno = saved_errno;
	return (rv);
}
