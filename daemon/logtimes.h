/* logtimes.h -- the time index beside a task log: when its bytes arrived. */
#ifndef DAEMON_LOGTIMES_H
#define DAEMON_LOGTIMES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/api.h"

/*
 * The index is a file of fixed records, one per appended chunk in which a
 * line starts and that came LOGTIMES_MIN_GAP_MS or more after the previous
 * record's (so at most 100 a second, and a line's time is at most that
 * much early): the
 * chunk's first byte offset in the log and the wall-clock time it arrived
 * in Unix ms, each 8 bytes big-endian (doc/log-format.md).  Offsets
 * increase.  The time of a byte that starts a line is the time of the last
 * record at or before it.
 */
#define LOGTIMES_RECORD		16
#define LOGTIMES_MIN_GAP_MS	10
#define LOGTIMES_STAMP_LEN	API_STAMP_LEN	/* "2024-05-01T12:34:56.789Z" */

/*
 * Open the index at path (creating it) to append records for a log now
 * len bytes long: a torn last record and the records of bytes the log no
 * longer holds (at or past len) are cut off first.  *fd gets a descriptor
 * opened for appending, *last_ms the time of the last record kept
 * (INT64_MIN when none).  0, or -1 with cause (caller frees).
 */
int	logtimes_open(const char *path, int64_t len, int *fd,
	    int64_t *last_ms, char **cause);
/* Append the record (off, ms) to fd.  0, or -1 with errno. */
int	logtimes_append(int fd, int64_t off, int64_t ms);
/*
 * Cut the records at or past len (and a torn tail) from an index, through
 * fd when it is not -1, else opening path; a missing index is no error.
 * *last_ms (when not NULL) as for logtimes_open.  0, or -1 with cause.
 */
int	logtimes_cut(const char *path, int fd, int64_t len, int64_t *last_ms,
	    char **cause);

/* A reader of one index, for lookups at offsets that mostly increase. */
struct logtimes;

/* A reader of the index at path (copied); the file may appear later. */
struct logtimes	*logtimes_reader(const char *path);
void		 logtimes_free(struct logtimes *);
/*
 * The time of the log byte at off: that of the last record at or before
 * it; -1 when there is none (no index, or none yet).  Records appended
 * since the last call are seen.
 */
int64_t		 logtimes_lookup(struct logtimes *, int64_t off);

/* Write ms as RFC 3339 UTC with milliseconds, LOGTIMES_STAMP_LEN
 * characters and a NUL, into out (at least LOGTIMES_STAMP_LEN + 1). */
void		 logtimes_format(int64_t ms, char *out, size_t len);

#endif
