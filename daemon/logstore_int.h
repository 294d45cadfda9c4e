/* logstore_int.h -- what logstore.c shares with logread.c and logstamp.c,
 * and nobody else. */
#ifndef DAEMON_LOGSTORE_INT_H
#define DAEMON_LOGSTORE_INT_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdint.h>

/*
 * A live log: begun and not yet finished.  Entries sit on the store's list
 * while live; finish takes them off, but an entry is only freed once it is
 * off the list and its last reference is gone, so a reader sleeping on its
 * condition variable or a writer in the middle of write(2) never sees it
 * vanish.  The list itself holds no reference.
 */
struct logent {
	int64_t			 job;
	int64_t			 task;
	int			 attempt;
	char			*path;

	unsigned int		 refs;		/* guarded by the store's mtx */
	int			 listed;	/* on ls->live; store's mtx */

	pthread_mutex_t		 mtx;		/* guards the fields below */
	pthread_cond_t		 cond;		/* appended to, or finished */
	int			 fd;		/* -1 until opened; then fixed */
	int64_t			 len;		/* bytes fully written */
	int64_t			 synced;	/* len at the last fsync, or -1 */
	int			 truncated;	/* notice written, drop the rest */
	int			 finished;
	int			 bol;		/* the log ends a line; -1: ask */
	int			 tfd;		/* time index (logtimes.h), -1 */
	int			 tfailed;	/* it could not be written */
	int64_t			 tms;		/* time of its last record */
	int64_t			 treplay;	/* offsets below: rewound, the
						 * index has their times */

	LIST_ENTRY(logent)	 entry;
};
LIST_HEAD(logents, logent);

struct logstore {
	char			*dir;
	int64_t			 cap;
	pthread_mutex_t		 mtx;		/* guards live and refs */
	pthread_cond_t		 begun;		/* a log went live */
	uint64_t		 gen;		/* count of logs gone live */
	struct logents		 live;
};

/* Path of a task attempt's log, and of a job's log directory; caller frees. */
char		*logstore_path(struct logstore *, int64_t, int64_t, int);
/* Path of a task attempt's time index (logtimes.h); caller frees. */
char		*logstore_times_path(struct logstore *, int64_t, int64_t, int);
char		*logstore_job_dir(struct logstore *, int64_t);
/* Lock and unlock, fatal on error (a broken invariant). */
void		 logstore_lock(pthread_mutex_t *);
void		 logstore_unlock(pthread_mutex_t *);
/* The live entry of a log, with the store's mtx held; NULL if not live. */
struct logent	*logstore_find(struct logstore *, int64_t, int64_t, int);
/* Take a reference to a live entry (NULL if not live); drop it with put. */
struct logent	*logstore_ref(struct logstore *, int64_t, int64_t, int);
void		 logstore_put(struct logstore *, struct logent *);

#endif
