/* gc.c -- retention: removes old finished jobs, their logs and snapshots. */
#include <inttypes.h>
#include <stdlib.h>

#include "daemon/blobstore.h"
#include "daemon/gc.h"
#include "daemon/logstore.h"
#include "daemon/store.h"
#include "proto/log.h"
#include "proto/util.h"

/*
 * The row goes first: once it is gone nobody can ask for the job, so its
 * files are removed after.  A crash in between leaves files without a row,
 * which cost disk but never show a job without its log.
 */
int
gc_run(struct store *store, struct logstore *logs, struct blobstore *blobs,
    int keep, struct gc_result *res, char **cause)
{
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	char		*orphan = NULL, *why = NULL;
	int		 r, rv = 0;

	res->jobs_removed = 0;
	res->blobs_removed = 0;
	if (keep <= 0)
		return (0);	/* --keep 0: keep everything */
	if (store_jobs_expired(store, keep, &ids, &n, cause) == -1)
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
		if (logstore_remove_job(logs, ids[i], &why) == -1) {
			log_warnx("gc: logs of job %" PRId64 ": %s", ids[i],
			    why);
			free(why);
			why = NULL;
		}
		if (orphan != NULL) {
			if ((r = blobstore_remove(blobs, orphan, &why)) == -1) {
				log_warnx("gc: blob %s: %s", orphan, why);
				free(why);
				why = NULL;
			} else if (r == 1)
				res->blobs_removed++;
			free(orphan);
			orphan = NULL;
		}
	}
	if (res->jobs_removed > 0)
		log_info("gc: removed %d job(s) and %d snapshot(s)",
		    res->jobs_removed, res->blobs_removed);
	free(ids);
	return (rv);
}
