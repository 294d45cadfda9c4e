/* logstamp.c -- a task log read with the time each line arrived before it. */

#include <sys/stat.h>
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/logstamp.h"
#include "daemon/logstore.h"
#include "daemon/logstore_int.h"
#include "daemon/logtimes.h"
#include "proto/util.h"

#define LOGSTAMP_RAW	(32 * 1024)	/* log bytes read at once */

struct logstamp {
	struct logstore	*ls;
	int64_t		 job, task;
	int		 attempt;
	int64_t		 off;		/* next log byte to read */
	int		 bol;		/* next byte starts a line; -1: ask */
	struct logtimes	*times;
	int64_t		 fallback;	/* log's mtime, -1 until needed */
	char		 prefix[LOGSTAMP_PREFIX + 1];
	size_t		 ppos;		/* prefix bytes sent; all: none due */
	size_t		 rpos, rlen;	/* log bytes in raw, sent up to rpos */
	char		 raw[LOGSTAMP_RAW];
};

/* Create a reader; see logstamp.h. */
struct logstamp *
logstamp_new(struct logstore *ls, int64_t job, int64_t task, int attempt,
    int64_t off)
{
	struct logstamp	*st;
	char		*path;

	st = xcalloc(1, sizeof *st);
	st->ls = ls;
	st->job = job;
	st->task = task;
	st->attempt = attempt;
	st->off = off;
	st->bol = off == 0 ? 1 : -1;
	path = logstore_times_path(ls, job, task, attempt);
	st->times = logtimes_reader(path);
	free(path);
	st->fallback = -1;
	st->ppos = LOGSTAMP_PREFIX;
	return (st);
}

void
logstamp_free(struct logstamp *st)
{
	if (st == NULL)
		return;
	logtimes_free(st->times);
	free(st);
}

/*
 * The time of a byte that no record covers (a log older than its index):
 * the log's last change, the best guess there is.
 */
static int64_t
logstamp_fallback(struct logstamp *st)
{
	struct stat	 sb;
	char		*path;

	if (st->fallback != -1)
		return (st->fallback);
	path = logstore_path(st->ls, st->job, st->task, st->attempt);
	if (stat(path, &sb) == 0)
		st->fallback = (int64_t)sb.st_mtim.tv_sec * 1000 +
		    sb.st_mtim.tv_nsec / 1000000;
	else
		st->fallback = now_wall_ms();
	free(path);
	return (st->fallback);
}

/* Whether the log byte at off starts a line: 1, 0, or -1 with errno. */
static int
logstamp_starts_line(struct logstamp *st, int64_t off)
{
	ssize_t	n;
	char	c;
	int	finished;

	if (off == 0)
		return (1);
	if ((n = logstore_read(st->ls, st->job, st->task, st->attempt,
	    off - 1, &c, 1, 0, &finished)) == -1)
		return (-1);
	return (n == 0 || c == '\n');
}

/* Read stamped output; see logstamp.h. */
ssize_t
logstamp_read(struct logstamp *st, char *buf, size_t max, int wait_ms,
    int *finished)
{
	const char	*nl;
	size_t		 done = 0, k;
	ssize_t		 n;
	int64_t		 at, ms;

	*finished = 0;
	while (done < max) {
		if (st->ppos < LOGSTAMP_PREFIX) {
			k = LOGSTAMP_PREFIX - st->ppos;
			if (k > max - done)
				k = max - done;
			memcpy(buf + done, st->prefix + st->ppos, k);
			st->ppos += k;
			done += k;
			continue;
		}
		if (st->rpos == st->rlen) {
			if (done > 0)
				break;	/* send what there is before waiting */
			if ((n = logstore_read(st->ls, st->job, st->task,
			    st->attempt, st->off, st->raw, sizeof st->raw,
			    wait_ms, finished)) <= 0)
				return (n);
			if (st->bol == -1 &&
			    (st->bol = logstamp_starts_line(st, st->off)) == -1)
				return (-1);
			st->rpos = 0;
			st->rlen = (size_t)n;
			st->off += n;
		}
		if (st->bol) {
			at = st->off - (int64_t)(st->rlen - st->rpos);
			if ((ms = logtimes_lookup(st->times, at)) == -1)
				ms = logstamp_fallback(st);
			logtimes_format(ms, st->prefix, sizeof st->prefix);
			st->prefix[LOGTIMES_STAMP_LEN] = ' ';
			st->ppos = 0;
			st->bol = 0;
			continue;
		}
		k = st->rlen - st->rpos;
		if (k > max - done)
			k = max - done;
		if ((nl = memchr(st->raw + st->rpos, '\n', k)) != NULL) {
			k = (size_t)(nl - (st->raw + st->rpos)) + 1;
			st->bol = 1;
		}
		memcpy(buf + done, st->raw + st->rpos, k);
		st->rpos += k;
		done += k;
	}
	return ((ssize_t)done);
}
