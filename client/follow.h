/* follow.h -- several task logs streamed at once, line by line, resumable. */
#ifndef CLIENT_FOLLOW_H
#define CLIENT_FOLLOW_H

#include "client/http.h"

#define FOLLOW_LIVE	0x1	/* follow=1: wait for queued and running tasks */
#define FOLLOW_PREFIX	0x2	/* "name | " before every line */
#define FOLLOW_JSON	0x4	/* {"event":"log","task","line"} per line */

#define FOLLOW_MAX_LINE		(64u << 10)	/* longer lines are split */
#define FOLLOW_GIVE_UP_MS	60000		/* reconnecting without success */

struct follow;

/* Follow logs of job (copied) through h, which must outlive the follower. */
struct follow	*follow_new(struct http *h, const char *job, int flags);
void		 follow_free(struct follow *);
/*
 * Arm the log of task name; ref is what names it in the URL (its id, or the
 * name).  Arming a task seen before resumes at the bytes already received.
 */
void		 follow_task(struct follow *, const char *name, const char *ref);
/*
 * Stream every armed log to stdout until each has ended; a dropped connection
 * is resumed at the offset reached, so nothing is lost or repeated.  Returns
 * 0, or -1 with cause (caller frees) when a log could not be read.
 */
int		 follow_run(struct follow *, char **cause);

#endif
