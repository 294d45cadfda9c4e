/* logtimes.c -- the time index beside a task log: when its bytes arrived. */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/logtimes.h"
#include "proto/util.h"

#define LOGTIMES_BUF	256		/* records a reader reads at once */
#define LOGTIMES_MAX_MS	253402300799999LL	/* 9999-12-31T23:59:59.999Z */

struct logtimes {
	char		*path;
	int		 fd;		/* -1 until the index exists */
	int64_t		 cur;		/* record found last; -1: search */
	int64_t		 cur_off, cur_ms;
	int64_t		 first;		/* index of buf's first record */
	size_t		 n;		/* records in buf */
	unsigned char	 buf[LOGTIMES_BUF * LOGTIMES_RECORD];
};

static void
logtimes_put64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
logtimes_get64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

/* Read record idx: 0, or -1 (errno; EIO for a short file). */
static int
logtimes_rec(int fd, int64_t idx, int64_t *off, int64_t *ms)
{
	unsigned char	rec[LOGTIMES_RECORD];
	ssize_t		n;

	if ((n = pread_all(fd, rec, sizeof rec,
	    idx * LOGTIMES_RECORD)) == -1)
		return (-1);
	if (n != (ssize_t)sizeof rec) {
		errno = EIO;
		return (-1);
	}
	*off = (int64_t)logtimes_get64(rec);
	*ms = (int64_t)logtimes_get64(rec + 8);
	return (0);
}

/* Number of whole records in the index fd, or -1 with errno. */
static int64_t
logtimes_count(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) != 0)
		return (-1);
	return ((int64_t)st.st_size / LOGTIMES_RECORD);
}

/*
 * Binary search: the number of records whose offset is below len (when
 * below) or at most len (!below), which offsets increasing make a prefix.
 * -1 with errno.
 */
static int64_t
logtimes_search(int fd, int64_t len, int below)
{
	int64_t	lo = 0, hi, mid, off, ms;

	if ((hi = logtimes_count(fd)) == -1)
		return (-1);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (logtimes_rec(fd, mid, &off, &ms) == -1)
			return (-1);
		if (below ? off < len : off <= len)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Cut fd to the records of bytes below len; see logtimes_cut. */
static int
logtimes_cut_fd(int fd, const char *path, int64_t len, int64_t *last_ms,
    char **cause)
{
	struct stat	st;
	int64_t		keep, off;

	if (fstat(fd, &st) != 0 || (keep = logtimes_search(fd, len, 1)) == -1)
		goto fail;
	if ((int64_t)st.st_size != keep * LOGTIMES_RECORD &&
	    ftruncate(fd, (off_t)(keep * LOGTIMES_RECORD)) != 0)
		goto fail;
	if (last_ms != NULL) {
		*last_ms = INT64_MIN;
		if (keep > 0 && logtimes_rec(fd, keep - 1, &off, last_ms) != 0)
			goto fail;
	}
	return (0);
fail:
	*cause = xasprintf("%s: %s", path, strerror(errno));
	return (-1);
}

/* Open an index for appending; see logtimes.h. */
int
logtimes_open(const char *path, int64_t len, int *fdp, int64_t *last_ms,
    char **cause)
{
	int	fd, saved_errno;

	*fdp = -1;
	fd = open(path, O_RDWR|O_APPEND|O_CREAT|O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("open %s: %s", path, strerror(errno));
		return (-1);
	}
	if (logtimes_cut_fd(fd, path, len, last_ms, cause) != 0) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	*fdp = fd;
	return (0);
}

/* Append one record; see logtimes.h. */
int
logtimes_append(int fd, int64_t off, int64_t ms)
{
	unsigned char	rec[LOGTIMES_RECORD];

	logtimes_put64(rec, (uint64_t)off);
	logtimes_put64(rec + 8, (uint64_t)ms);
	return (write_all(fd, rec, sizeof rec));
}

/* Cut an index back; see logtimes.h. */
int
logtimes_cut(const char *path, int fd, int64_t len, int64_t *last_ms,
    char **cause)
{
	int	own = -1, rv, saved_errno;

	if (fd == -1) {
		if ((own = open(path, O_RDWR|O_CLOEXEC)) == -1) {
			if (errno == ENOENT) {
				if (last_ms != NULL)
					*last_ms = INT64_MIN;
				return (0);
			}
			*cause = xasprintf("open %s: %s", path,
			    strerror(errno));
			return (-1);
		}
		fd = own;
	}
	rv = logtimes_cut_fd(fd, path, len, last_ms, cause);
	saved_errno = errno;
	if (own != -1)
		close(own);
	errno = saved_errno;
	return (rv);
}

/* Create a reader; see logtimes.h. */
struct logtimes *
logtimes_reader(const char *path)
{
	struct logtimes	*r;

	r = xcalloc(1, sizeof *r);
	r->path = xstrdup(path);
	r->fd = -1;
	r->cur = -1;
	return (r);
}

void
logtimes_free(struct logtimes *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	free(r->path);
	free(r);
}

/* Record idx through the reader's buffer: 1, or 0 when not (yet) there. */
static int
logtimes_get(struct logtimes *r, int64_t idx, int64_t *off, int64_t *ms)
{
	const unsigned char	*p;
	ssize_t			 got;

	if (idx < r->first || idx >= r->first + (int64_t)r->n) {
		r->n = 0;
		if ((got = pread_all(r->fd, r->buf, sizeof r->buf,
		    idx * LOGTIMES_RECORD)) <= 0)
			return (0);
		r->first = idx;
		r->n = (size_t)got / LOGTIMES_RECORD;	/* whole records */
		if (r->n == 0)
			return (0);
	}
	p = r->buf + (size_t)(idx - r->first) * LOGTIMES_RECORD;
	*off = (int64_t)logtimes_get64(p);
	*ms = (int64_t)logtimes_get64(p + 8);
	return (1);
}

/* The time of the byte at off; see logtimes.h. */
int64_t
logtimes_lookup(struct logtimes *r, int64_t off)
{
	int64_t	idx, o, ms;

	if (r->fd == -1 &&
	    (r->fd = open(r->path, O_RDONLY|O_CLOEXEC)) == -1)
		return (-1);
	if (r->cur == -1 || off < r->cur_off) {
		/* First lookup, or backwards: search from scratch. */
		r->cur = -1;
		r->n = 0;
		if ((idx = logtimes_search(r->fd, off, 0)) <= 0 ||
		    logtimes_rec(r->fd, idx - 1, &r->cur_off, &r->cur_ms) != 0)
			return (-1);
		r->cur = idx - 1;
	}
	while (logtimes_get(r, r->cur + 1, &o, &ms) && o <= off) {
		r->cur++;
		r->cur_off = o;
		r->cur_ms = ms;
	}
	return (r->cur_ms);
}

/* Format a time stamp; see logtimes.h. */
void
logtimes_format(int64_t ms, char *out, size_t len)
{
	struct tm	tm;
	time_t		t;

	if (ms < 0)
		ms = 0;
	if (ms > LOGTIMES_MAX_MS)
		ms = LOGTIMES_MAX_MS;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	(void)snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
