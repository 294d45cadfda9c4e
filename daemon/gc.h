/* gc.h -- retention: finished jobs beyond a count per project, with their
 * logs and the snapshots nothing else refers to. */
#ifndef DAEMON_GC_H
#define DAEMON_GC_H

struct store;
struct logstore;
struct blobstore;

/* Finished jobs kept per project unless configured. */
#define GC_DEFAULT_KEEP	100

struct gc_result {
	int	 jobs_removed;
	int	 blobs_removed;
};

/*
 * Delete the finished jobs of each project beyond its keep newest, their
 * logs, and their snapshots when no remaining job refers to them (keep 0:
 * nothing is removed).  Safe to
 * run from any thread at any time; jobs still queued or running are never
 * touched.  0, or -1 with cause (caller frees) after doing what it could;
 * res counts what was removed either way.
 */
int	gc_run(struct store *, struct logstore *, struct blobstore *, int keep,
	    struct gc_result *res, char **cause);

#endif
