/* gc.h -- retention: finished jobs beyond a count per project or an age,
 * with their logs, artifacts and the snapshots nothing else refers to. */
#ifndef DAEMON_GC_H
#define DAEMON_GC_H

#include <stdatomic.h>
#include <stdint.h>

struct store;
struct logstore;
struct blobstore;

/* Finished jobs kept per project unless configured. */
#define GC_DEFAULT_KEEP	100

/*
 * What is kept: read by every thread, changed by SIGHUP (gc_policy_set);
 * artifacts is set once at start-up.
 */
struct gc_policy {
	_Atomic int	 keep;		/* finished jobs per project; 0: any */
	_Atomic int64_t	 max_age_ms;	/* since a job finished; 0: any age */
	const char	*artifacts;	/* STATE/artifacts, or NULL: none */
};

struct gc_result {
	int	 jobs_removed;
	int	 blobs_removed;
};

/* Set what is kept; 1 if that changed it, else 0. */
int	gc_policy_set(struct gc_policy *, int keep, int64_t max_age_ms);

/*
 * Delete the finished jobs of each project beyond its keep newest and those
 * finished more than max_age_ms ago, their logs, their artifacts
 * (artifacts/JOB), and their snapshots when no remaining job refers to
 * them (keep and max_age_ms 0: nothing is removed).  Safe to run from any
 * thread at any time; jobs still queued or running are never touched.  0,
 * or -1 with cause (caller frees) after doing what it could; res counts
 * what was removed either way.
 */
int	gc_run(struct store *, struct logstore *, struct blobstore *,
	    const struct gc_policy *, struct gc_result *res, char **cause);

#endif
