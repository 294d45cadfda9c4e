/* follow.h -- several task logs streamed at once, line by line, resumable. */
#ifndef CLIENT_FOLLOW_H
#define CLIENT_FOLLOW_H

#include <signal.h>

#include <cjson/cJSON.h>

#include "client/http.h"

#define FOLLOW_LIVE	0x1	/* follow=1: wait for queued and running tasks */
#define FOLLOW_PREFIX	0x2	/* "name | " before every line */
#define FOLLOW_JSON	0x4	/* {"event":"log","task","line"} per line */
#define FOLLOW_STAMPS	0x8	/* the time each line arrived, before it */

#define FOLLOW_MAX_LINE		(64u << 10)	/* longer lines are split */
#define FOLLOW_GIVE_UP_MS	60000		/* reconnecting without success */
#define FOLLOW_MAX_TAIL		100000		/* --tail lines kept per log */
#define FOLLOW_EV_GRACE_MS	5000	/* logs ended: wait for the job's end */

/* Set from a signal handler: follow_run returns 1 soon after. */
extern volatile sig_atomic_t	follow_interrupted;

/*
 * Where lines go instead of stdout, for the live display.  Step markers
 * (doc/log-format.md) go to step with the marker's JSON; tick runs at
 * least every tick_ms while streams are open.
 */
struct follow_sink {
	void	(*line)(const char *task, const char *text, size_t len,
		    void *arg);
	void	(*step)(const char *task, const cJSON *marker, void *arg);
	void	(*tick)(void *arg);
	/* The job was updated (by cmd_follow, from events or polling). */
	void	(*job)(const cJSON *job, void *arg);
	void	 *arg;
	int	  tick_ms;
};

struct follow;

/*
 * A change from the job's event stream (doc/api.md, GET /v1/events): type
 * "task" or "job" with the event's data object, or "gap" (data NULL) when
 * events were missed and the job should be fetched afresh.
 */
typedef void (*follow_event_fn)(const char *type, const cJSON *data,
    void *arg);

/* Follow logs of job (copied) through h, which must outlive the follower. */
struct follow	*follow_new(struct http *h, const char *job, int flags);
void		 follow_free(struct follow *);
/* Change the FOLLOW_ flags between runs. */
void		 follow_set_flags(struct follow *, int flags);
/* Send lines to sink (copied) rather than stdout; NULL: back to stdout. */
void		 follow_set_sink(struct follow *, const struct follow_sink *);
/*
 * Hold back all but the last n lines of each log until its stream ends
 * (0: print as they come).  Meant for a run without FOLLOW_LIVE.
 */
void		 follow_set_tail(struct follow *, size_t n);
/*
 * Arm the log of task name; ref is what names it in the URL (its id, or the
 * name).  Arming a task seen before resumes at the bytes already received.
 */
void		 follow_task(struct follow *, const char *name, const char *ref);
/*
 * Also stream the job's events to fn while following, and with FOLLOW_LIVE
 * go on until the job's end event (at most FOLLOW_EV_GRACE_MS after the
 * last log ended).  NULL: no events.
 */
void		 follow_set_events(struct follow *, follow_event_fn, void *arg);
/* 1 while the events are followed: set, and the daemon serves them. */
int		 follow_events_ok(const struct follow *);
/* 1 once the job's end event has arrived. */
int		 follow_job_done(const struct follow *);
/*
 * Stream every armed log to stdout until each has ended; a dropped connection
 * is resumed at the offset reached, so nothing is lost or repeated.  Returns
 * 0, 1 when follow_interrupted was set, or -1 with cause (caller frees) when
 * a log could not be read.
 */
int		 follow_run(struct follow *, char **cause);

#endif
