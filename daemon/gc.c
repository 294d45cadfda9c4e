/* gc.c -- retention: removes old finished jobs, their logs, artifacts and snapshots. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/blobstore.h"
#include "daemon/gc.h"
#include "daemon/logstore.h"
#include "daemon/store.h"
#include "proto/log.h"
#include "proto/util.h"

/* Deepest directory tree removed (artifacts keep their paths). */
#define GC_MAX_DEPTH	64

/*
 * Remove name below directory dfd and, when it is a directory, all it holds
 * (symbolic links are removed, never followed).  A missing name is not an
 * error.  0, or -1 with errno set.
 */
static int
gc_rmtree(int dfd, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, saved;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return (0);
	if (errno != EISDIR && errno != EPERM)
		return (-1);
	if (depth >= GC_MAX_DEPTH) {
		errno = ELOOP;
		return (-1);
	}
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (gc_rmtree(dirfd(d), de->d_name, depth + 1) == -1)
			break;
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		errno = saved;
		return (-1);
	}
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/* artifacts/JOB: every attempt's files and manifests. */
static void
gc_artifacts(const char *root, int64_t job)
{
	char	 name[32];
	int	 dfd;

	if (root == NULL)
		return;
	if ((dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("gc: %s", root);
		return;
	}
	(void)snprintf(name, sizeof name, "%" PRId64, job);
	if (gc_rmtree(dfd, name, 0) == -1)
		log_warn("gc: artifacts of job %" PRId64 " in %s", job, root);
	close(dfd);
}

/* A job's row is gone: its log files, artifacts and perhaps snapshot. */
static void
gc_files(struct logstore *logs, struct blobstore *blobs,
    const struct gc_policy *pol, int64_t id, char *orphan,
    struct gc_result *res)
{
	char	*why = NULL;
	int	 r;

	if (logstore_remove_job(logs, id, &why) == -1) {
		log_warnx("gc: logs of job %" PRId64 ": %s", id, why);
		free(why);
		why = NULL;
	}
	gc_artifacts(pol->artifacts, id);
	if (orphan == NULL)
		return;
	if ((r = blobstore_remove(blobs, orphan, &why)) == -1) {
		log_warnx("gc: blob %s: %s", orphan, why);
		free(why);
	} else if (r == 1)
		res->blobs_removed++;
}

int
gc_policy_set(struct gc_policy *pol, int keep, int64_t max_age_ms)
{
	int	 changed;

	changed = atomic_exchange(&pol->keep, keep) != keep;
	if (atomic_exchange(&pol->max_age_ms, max_age_ms) != max_age_ms)
		changed = 1;
	return (changed);
}

/*
 * The row goes first: once it is gone nobody can ask for the job, so its
 * files are removed after.  A crash in between leaves files without a row,
 * which cost disk but never show a job without its log.
 */
int
gc_run(struct store *store, struct logstore *logs, struct blobstore *blobs,
    const struct gc_policy *pol, struct gc_result *res, char **cause)
{
	int64_t		*ids = NULL, before = 0, max_age_ms;
	size_t		 n = 0, i;
	char		*orphan = NULL, *why = NULL;
	int		 r, rv = 0, keep;

	res->jobs_removed = 0;
	res->blobs_removed = 0;
	keep = atomic_load(&pol->keep);
	max_age_ms = atomic_load(&pol->max_age_ms);
	if (keep <= 0 && max_age_ms <= 0)
		return (0);	/* keep everything */
	if (max_age_ms > 0)
		before = now_wall_ms() - max_age_ms;
	if (store_jobs_expired(store, keep > 0 ? keep : 0,
	    before > 0 ? before : 0, &ids, &n, cause) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((r = store_job_delete(store, ids[i], &orphan, &why)) == -1) {
			log_warnx("gc: job %" PRId64 ": %s", ids[i], why);
			if (rv == 0) {
				*cause = why;
				rv = -1;
			} else
				free(why);
			why = NULL;
			continue;
		}
		if (r == 1)
			continue;	/* retried meanwhile */
		res->jobs_removed++;
		gc_files(logs, blobs, pol, ids[i], orphan, res);
		free(orphan);
		orphan = NULL;
	}
	if (res->jobs_removed > 0)
		log_info("gc: removed %d job(s) and %d snapshot(s)",
		    res->jobs_removed, res->blobs_removed);
	free(ids);
	return (rv);
}
