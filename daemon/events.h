/* events.h -- job and task state changes as a numbered stream (SSE). */
#ifndef DAEMON_EVENTS_H
#define DAEMON_EVENTS_H

#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

struct store;

#define EVENTS_RING		10000	/* events kept for Last-Event-ID */
#define EVENTS_JOBS		1024	/* jobs whose last states are known */
#define EVENTS_KEEPALIVE_MS	15000

/*
 * Load job job_id from the store and publish one event for each of its
 * tasks whose state changed since last seen, then one for the job when its
 * state changed.  Call after every committed state change.
 */
void	events_publish_job(struct store *, int64_t job_id);
/* The same for every unfinished job seen before (catches cascades). */
void	events_refresh(struct store *);
/* Wake every stream so that it notices stopping. */
void	events_wake(void);
/* Forget every event and job (tests). */
void	events_reset(void);

/*
 * Copy into *out (caller frees) the SSE text of the events after id after,
 * at most max bytes of whole events, for job (0: all).  With wait_ms > 0
 * and nothing yet, wait for an event up to wait_ms.  *last gets the id of
 * the last event looked at.  When events after "after" were already dropped
 * from the ring the text starts with an "event: gap".
 * Returns the length of *out (0: nothing).
 */
size_t	events_read(uint64_t after, int64_t job, size_t max, int wait_ms,
	    char **out, uint64_t *last);

/*
 * Answer GET /v1/events: SSE from Last-Event-ID (or ?since=N), for
 * ?job=N only; ?follow=0 sends what is kept and ends.  Streams until
 * *stopping.  Returns what MHD_queue_response said (MHD_YES or MHD_NO),
 * or -1 with cause (caller frees) on a bad argument.
 */
int	events_serve(struct MHD_Connection *, const atomic_int *stopping,
	    char **cause);

#endif
