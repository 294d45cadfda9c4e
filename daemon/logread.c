/* logread.c -- reading task logs: from disk, or following a live one. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon/logstore.h"
#include "daemon/logstore_int.h"
#include "proto/log.h"
#include "proto/util.h"

/* Read a log that is not live straight from its file. */
static ssize_t
logstore_read_file(struct logstore *ls, int64_t job, int64_t task,
    int attempt, int64_t off, void *buf, size_t size, int *finished)
{
	char	*path;
	ssize_t	 n = -1;
	int	 fd, saved_errno;

	path = logstore_path(ls, job, task, attempt);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		saved_errno = errno;
		free(path);
		if (saved_errno == ENOENT) {
			*finished = 1;
			return (0);
		}
		errno = saved_errno;
		return (-1);
	}
	free(path);

	if (size == 0) {
		struct stat	st;

		if (fstat(fd, &st) != 0)
			goto out;
		n = 0;
		*finished = (off >= st.st_size);
		goto out;
	}
	if ((n = pread_all(fd, buf, size, off)) == 0)
		*finished = 1;
out:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (n);
}

/* Add ms milliseconds to the monotonic clock now, for pthread_cond_timedwait. */
static void
logstore_deadline(struct timespec *ts, int ms)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) != 0)
		fatal("clock_gettime");
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

uint64_t
logstore_generation(struct logstore *ls)
{
	uint64_t	 gen;

	logstore_lock(&ls->mtx);
	gen = ls->gen;
	logstore_unlock(&ls->mtx);
	return (gen);
}

int
logstore_wait_live(struct logstore *ls, int64_t job, int64_t task,
    int attempt, uint64_t since, int wait_ms)
{
	struct timespec	 deadline;
	int		 live, error;

	logstore_deadline(&deadline, wait_ms);
	logstore_lock(&ls->mtx);
	while (!(live = logstore_find(ls, job, task, attempt) != NULL) &&
	    ls->gen == since) {
		error = pthread_cond_timedwait(&ls->begun, &ls->mtx, &deadline);
		if (error == ETIMEDOUT)
			break;
		if (error != 0) {
			errno = error;
			fatal("pthread_cond_timedwait");
		}
	}
	logstore_unlock(&ls->mtx);
	return (live);
}

/*
 * Read up to size bytes of a log from off.  A live log is read through its
 * append fd and only up to the length of complete appends; a reader at the
 * end sleeps on the entry's condition variable, which append and finish
 * broadcast.  *finished is only ever set with a return of 0.
 */
ssize_t
logstore_read(struct logstore *ls, int64_t job, int64_t task, int attempt,
    int64_t off, void *buf, size_t size, int wait_ms, int *finished)
{
	struct logent	*e;
	struct timespec	 deadline;
	int64_t		 len;
	ssize_t		 n;
	int		 fd, done, error, saved_errno;

	*finished = 0;
	if (off < 0) {
		errno = EINVAL;
		return (-1);
	}
	if ((e = logstore_ref(ls, job, task, attempt)) == NULL) {
		return (logstore_read_file(ls, job, task, attempt, off, buf,
		    size, finished));
	}

	logstore_lock(&e->mtx);
	if (wait_ms > 0 && off >= e->len && !e->finished) {
		logstore_deadline(&deadline, wait_ms);
		while (off >= e->len && !e->finished) {
			error = pthread_cond_timedwait(&e->cond, &e->mtx,
			    &deadline);
			if (error == ETIMEDOUT)
				break;
			if (error != 0) {
				errno = error;
				fatal("pthread_cond_timedwait");
			}
		}
	}
	len = e->len;
	done = e->finished;
	fd = e->fd;
	logstore_unlock(&e->mtx);

	if (off >= len) {
		*finished = done;
		n = 0;
	} else {
		if ((uint64_t)size > (uint64_t)(len - off))
			size = (size_t)(len - off);
		n = pread_all(fd, buf, size, off);
	}
	saved_errno = errno;
	logstore_put(ls, e);
	errno = saved_errno;
	return (n);
}
