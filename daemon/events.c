/* events.c -- a ring of numbered job and task state changes, served as SSE. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon/events.h"
#include "daemon/jobjson.h"
#include "daemon/store.h"
#include "proto/log.h"
#include "proto/states.h"
#include "proto/util.h"

/* One published event: its SSE text, whole. */
struct event {
	uint64_t	 id;
	int64_t		 job;
	char		*text;
	size_t		 len;
};

/* The states of a job's tasks when last published. */
struct evjob {
	int64_t		 id;
	enum task_state	 state;
	int64_t		*tids;
	enum task_state	*ts;
	int		*attempts;
	size_t		 n;
	uint64_t	 used;		/* for eviction: last publish */
};

static pthread_mutex_t	 ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 ev_cond;
static pthread_once_t	 ev_once = PTHREAD_ONCE_INIT;
static struct event	 ev_ring[EVENTS_RING];
static uint64_t		 ev_next = 1;	/* id of the next event */
static size_t		 ev_count;	/* events in the ring */
static struct evjob	*ev_jobs;
static size_t		 ev_njobs;
static uint64_t		 ev_clock;
static uint64_t		 ev_generation;	/* bumped by events_wake */

/* The condition variable waits on the monotonic clock. */
static void
events_init(void)
{
	pthread_condattr_t	ca;

	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&ev_cond, &ca) != 0)
		fatalx("events: cannot create a condition variable");
	pthread_condattr_destroy(&ca);
}

static void
events_lock(void)
{
	if (pthread_once(&ev_once, events_init) != 0 ||
	    pthread_mutex_lock(&ev_lock) != 0)
		fatalx("events: cannot lock");
}

static void
events_unlock(void)
{
	if (pthread_mutex_unlock(&ev_lock) != 0)
		fatalx("events: cannot unlock");
}

/* Append an event to the ring (lock held); o is consumed. */
static void
events_add(const char *type, int64_t job, cJSON *o)
{
	struct event	*ev;
	char		*data;
	uint64_t	 id = ev_next++;

	cJSON_AddNumberToObject(o, "event_id", (double)id);
	if ((data = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("events: out of memory");
	cJSON_Delete(o);
	ev = &ev_ring[id % EVENTS_RING];
	free(ev->text);
	ev->id = id;
	ev->job = job;
	ev->text = xasprintf("id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", id,
	    type, data);
	ev->len = strlen(ev->text);
	cJSON_free(data);
	if (ev_count < EVENTS_RING)
		ev_count++;
	pthread_cond_broadcast(&ev_cond);
}

/* The cache entry of job id, made when missing (lock held). */
static struct evjob *
events_job(int64_t id)
{
	struct evjob	*ej;
	size_t		 i, victim = 0;

	for (i = 0; i < ev_njobs; i++) {
		if (ev_jobs[i].id == id)
			return (&ev_jobs[i]);
	}
	if (ev_njobs == EVENTS_JOBS) {
		for (i = 1; i < ev_njobs; i++) {
			if (ev_jobs[i].used < ev_jobs[victim].used)
				victim = i;
		}
		ej = &ev_jobs[victim];
		free(ej->tids);
		free(ej->ts);
		free(ej->attempts);
	} else {
		ev_jobs = xreallocarray(ev_jobs, ev_njobs + 1, sizeof *ev_jobs);
		ej = &ev_jobs[ev_njobs++];
	}
	memset(ej, 0, sizeof *ej);
	ej->id = id;
	ej->state = (enum task_state)-1;
	return (ej);
}

/* Publish what changed in job j (lock held). */
static void
events_diff(struct evjob *ej, struct store_job *j)
{
	struct store_job	 bare;
	struct store_task	*t;
	cJSON			*o;
	size_t			 i, k;
	int			 changed;

	for (i = 0; i < j->ntasks; i++) {
		t = &j->tasks[i];
		changed = 1;
		for (k = 0; k < ej->n; k++) {
			if (ej->tids[k] == t->id) {
				changed = ej->ts[k] != t->state ||
				    ej->attempts[k] != t->attempt;
				break;
			}
		}
		if (!changed)
			continue;
		if (k == ej->n) {
			ej->tids = xreallocarray(ej->tids, k + 1,
			    sizeof *ej->tids);
			ej->ts = xreallocarray(ej->ts, k + 1, sizeof *ej->ts);
			ej->attempts = xreallocarray(ej->attempts, k + 1,
			    sizeof *ej->attempts);
			ej->tids[k] = t->id;
			ej->n++;
		}
		ej->ts[k] = t->state;
		ej->attempts[k] = t->attempt;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "task");
		cJSON_AddNumberToObject(o, "job", (double)j->id);
		cJSON_AddItemToObject(o, "task", jobjson_task(t));
		events_add("task", j->id, o);
	}
	if (ej->state != j->state) {
		ej->state = j->state;
		bare = *j;
		bare.tasks = NULL;
		bare.ntasks = 0;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "job");
		cJSON_AddNumberToObject(o, "job", (double)j->id);
		cJSON_AddItemToObject(o, "job_state", jobjson_job(&bare));
		events_add("job", j->id, o);
	}
	ej->used = ++ev_clock;
}

/* Publish a job's changes; see events.h. */
void
events_publish_job(struct store *store, int64_t job_id)
{
	struct store_job	*j = NULL;
	char			*cause = NULL;
	int			 r;

	events_lock();
	/* Loaded under the lock so that events follow commit order. */
	if ((r = store_job_get(store, job_id, &j, &cause)) == 0)
		events_diff(events_job(job_id), j);
	else if (r == -1) {
		log_warnx("events: job %" PRId64 ": %s", job_id, cause);
		free(cause);
	}
	events_unlock();
	store_job_free(j);
}

/* Publish the changes of every unfinished job seen before. */
void
events_refresh(struct store *store)
{
	int64_t	*ids = NULL;
	size_t	 n = 0, i;

	events_lock();
	for (i = 0; i < ev_njobs; i++) {
		if ((int)ev_jobs[i].state == -1 ||
		    !state_finished(ev_jobs[i].state)) {
			ids = xreallocarray(ids, n + 1, sizeof *ids);
			ids[n++] = ev_jobs[i].id;
		}
	}
	events_unlock();
	for (i = 0; i < n; i++)
		events_publish_job(store, ids[i]);
	free(ids);
}

/* Wake every waiting stream. */
void
events_wake(void)
{
	events_lock();
	ev_generation++;
	pthread_cond_broadcast(&ev_cond);
	events_unlock();
}

/* Drop every event and cached job. */
void
events_reset(void)
{
	size_t	i;

	events_lock();
	for (i = 0; i < EVENTS_RING; i++) {
		free(ev_ring[i].text);
		ev_ring[i].text = NULL;
	}
	for (i = 0; i < ev_njobs; i++) {
		free(ev_jobs[i].tids);
		free(ev_jobs[i].ts);
		free(ev_jobs[i].attempts);
	}
	free(ev_jobs);
	ev_jobs = NULL;
	ev_njobs = 0;
	ev_count = 0;
	ev_next = 1;
	events_unlock();
}

/* Read SSE text of events after after; see events.h. */
size_t
events_read(uint64_t after, int64_t job, size_t max, int wait_ms, char **out,
    uint64_t *last)
{
	struct event	*ev;
	struct timespec	 ts;
	struct buf	 b;
	uint64_t	 oldest, id, gen;
	size_t		 len;
	char		*gap;
	int		 r = 0;

	*out = NULL;
	*last = after;
	buf_init(&b, 0);
	events_lock();
	if (after > ev_next - 1)
		*last = after = ev_next - 1;	/* an id from before a restart */
	if (wait_ms > 0 && ev_next - 1 <= after) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		gen = ev_generation;
		while (ev_next - 1 <= after && gen == ev_generation &&
		    r != ETIMEDOUT)
			r = pthread_cond_timedwait(&ev_cond, &ev_lock, &ts);
	}
	oldest = ev_next - ev_count;
	if (after + 1 < oldest) {
		gap = xasprintf("event: gap\ndata: {\"type\":\"gap\","
		    "\"missed_from\":%" PRIu64 ",\"resumed_at\":%" PRIu64
		    "}\n\n", after + 1, oldest);
		(void)buf_addstr(&b, gap);
		free(gap);
		after = oldest - 1;
	}
	for (id = after + 1; id < ev_next; id++) {
		ev = &ev_ring[id % EVENTS_RING];
		if (job != 0 && ev->job != job) {
			*last = id;
			continue;
		}
		if (b.len != 0 && b.len + ev->len > max)
			break;
		(void)buf_add(&b, ev->text, ev->len);
		*last = id;
	}
	events_unlock();
	if (b.len == 0) {
		buf_free(&b);
		return (0);
	}
	*out = buf_steal(&b, &len);
	return (len);
}

/* An SSE stream being sent. */
struct evstream {
	const atomic_int	*stopping;
	uint64_t		 after;
	int64_t			 job;
	int			 follow;
	char			*pend;
	size_t			 pendlen, pendoff;
	int64_t			 quiet_since;
};

static void
events_stream_free(void *arg)
{
	struct evstream	*es = arg;

	free(es->pend);
	free(es);
}

/* MHD pulls the stream through here; blocks until an event or keepalive. */
static ssize_t
events_stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct evstream	*es = arg;
	static const char keepalive[] = ": keepalive\n\n";
	size_t		 n;
	int64_t		 now;

	(void)pos;
	for (;;) {
		if (es->pend != NULL) {
			n = es->pendlen - es->pendoff;
			if (n > max)
				n = max;
			memcpy(buf, es->pend + es->pendoff, n);
			es->pendoff += n;
			if (es->pendoff == es->pendlen) {
				free(es->pend);
				es->pend = NULL;
			}
			es->quiet_since = now_mono_ms();
			return ((ssize_t)n);
		}
		if (atomic_load(es->stopping))
			return (MHD_CONTENT_READER_END_OF_STREAM);
		es->pendlen = events_read(es->after, es->job, max,
		    es->follow ? 1000 : 0, &es->pend, &es->after);
		es->pendoff = 0;
		if (es->pend != NULL)
			continue;
		if (!es->follow)
			return (MHD_CONTENT_READER_END_OF_STREAM);
		now = now_mono_ms();
		if (now - es->quiet_since >= EVENTS_KEEPALIVE_MS &&
		    max >= sizeof keepalive - 1) {
			memcpy(buf, keepalive, sizeof keepalive - 1);
			es->quiet_since = now;
			return ((ssize_t)(sizeof keepalive - 1));
		}
	}
}

/* Answer GET /v1/events; see events.h. */
int
events_serve(struct MHD_Connection *c, const atomic_int *stopping,
    char **cause)
{
	struct evstream		*es;
	struct MHD_Response	*r;
	const char		*v;
	int64_t			 num;
	int			 ret, have_since = 0;

	es = xcalloc(1, sizeof *es);
	es->stopping = stopping;
	es->follow = 1;
	es->quiet_since = now_mono_ms();
	if ((v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Last-Event-ID")) != NULL ||
	    (v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "since")) != NULL) {
		if (parse_int64(v, 0, INT64_MAX, &num) == -1) {
			*cause = xstrdup("Last-Event-ID and since must be "
			    "event ids");
			goto fail;
		}
		es->after = (uint64_t)num;
		have_since = 1;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "job")) != NULL) {
		if (parse_int64(v, 1, INT64_MAX, &num) == -1) {
			*cause = xstrdup("job must be a job id");
			goto fail;
		}
		es->job = num;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "follow")) != NULL)
		es->follow = !(strcmp(v, "0") == 0 || strcmp(v, "false") == 0);
	if (!have_since && es->follow && es->job == 0) {
		/* A fresh subscriber to everything hears from now on. */
		events_lock();
		es->after = ev_next - 1;
		events_unlock();
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
	    events_stream_read, es, events_stream_free);
	if (r == NULL) {
		events_stream_free(es);
		return (MHD_NO);
	}
	if (MHD_add_response_header(r, "Content-Type",
	    "text/event-stream") == MHD_NO ||
	    MHD_add_response_header(r, "Cache-Control", "no-cache") == MHD_NO) {
		MHD_destroy_response(r);
		return (MHD_NO);
	}
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return (ret);
fail:
	free(es);
	return (-1);
}
