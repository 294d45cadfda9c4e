/* follow.c -- stream task logs side by side, prefixing lines, resuming drops. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/follow.h"
#include "client/render.h"
#include "client/sse.h"
#include "proto/api.h"
#include "proto/states.h"
#include "proto/util.h"

struct follow_log {
	struct follow	*f;
	char		*name;
	char		*ref;		/* escaped for the URL */
	uint64_t	 offset;	/* log bytes received so far */
	struct buf	 line;		/* partial line */
	/* FOLLOW_STAMPS: the daemon's stamp before each line (api.h). */
	int		 bol;		/* a stamp comes next */
	size_t		 stamplen;	/* of it received */
	char		 stamp[API_STAMP_LEN + 2];	/* the line's */
	int		 bad_stamp;	/* the daemon sent no stamp */
	int		 armed;		/* wants (another) stream */
	int		 active;	/* a stream is open */
	int		 failures;	/* drops in a row */
	int64_t		 retry_at;	/* monotonic ms */
	int64_t		 give_up_at;
	char		**tail;		/* ring of held-back lines */
	size_t		 ntail, tailpos;
};

struct follow {
	struct http		 *h;
	char			 *job;		/* escaped for the URL */
	int			  flags;
	struct follow_log	**logs;
	size_t			  nlogs;
	int			  werr;		/* stdout failed */
	struct follow_sink	  sink;
	int			  has_sink;
	size_t			  tail;		/* lines held back per log */
	/* GET /v1/events?job=: see follow_set_events. */
	follow_event_fn		  ev_fn;
	void			 *ev_arg;
	int			  ev_failed;	/* no route, or it broke */
	int			  ev_active;
	int			  ev_failures;
	int64_t			  ev_retry_at, ev_give_up_at;
	int64_t			  ev_deadline;	/* logs ended: end by then */
	uint64_t		  ev_last;	/* Last-Event-ID */
	int			  job_done;
	struct sse		  sse;
};

volatile sig_atomic_t	follow_interrupted;

/* Create a follower; see follow.h. */
struct follow *
follow_new(struct http *h, const char *job, int flags)
{
	struct follow	*f;

	f = xcalloc(1, sizeof *f);
	f->h = h;
	f->job = http_escape(job);
	f->flags = flags;
	sse_init(&f->sse);
	return (f);
}

/* Drop the lines a log holds back. */
static void
follow_tail_clear(struct follow_log *l)
{
	strv_free(l->tail, l->ntail);
	l->tail = NULL;
	l->ntail = l->tailpos = 0;
}

/* Change the flags; see follow.h. */
void
follow_set_flags(struct follow *f, int flags)
{
	f->flags = flags;
}

/* Lines to a sink; see follow.h. */
void
follow_set_sink(struct follow *f, const struct follow_sink *sink)
{
	f->has_sink = sink != NULL;
	if (sink != NULL)
		f->sink = *sink;
}

/* Hold back all but n lines; see follow.h. */
void
follow_set_tail(struct follow *f, size_t n)
{
	f->tail = n > FOLLOW_MAX_TAIL ? FOLLOW_MAX_TAIL : n;
}

/* Free the follower and every log's state. */
void
follow_free(struct follow *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nlogs; i++) {
		follow_tail_clear(f->logs[i]);
		free(f->logs[i]->name);
		free(f->logs[i]->ref);
		buf_free(&f->logs[i]->line);
		free(f->logs[i]);
	}
	free(f->logs);
	free(f->job);
	sse_free(&f->sse);
	free(f);
}

/* Events as well; see follow.h. */
void
follow_set_events(struct follow *f, follow_event_fn fn, void *arg)
{
	f->ev_fn = fn;
	f->ev_arg = arg;
}

int
follow_events_ok(const struct follow *f)
{
	return (f->ev_fn != NULL && !f->ev_failed);
}

int
follow_job_done(const struct follow *f)
{
	return (f->job_done);
}

/* How long to wait before the next try after failures drops in a row. */
static int64_t
follow_backoff(int *failures)
{
	int64_t	ms = 100 << (*failures < 5 ? *failures : 5);

	(*failures)++;
	return (ms > 2000 ? 2000 : ms);
}

/* One event from the stream: remember its id, judge it, pass it on. */
static void
follow_ev_one(const char *type, const char *id, const char *data, void *arg)
{
	struct follow	*f = arg;
	const cJSON	*js;
	cJSON		*d;
	const char	*st;
	int64_t		 n;
	int		 s;

	if (id != NULL && parse_int64(id, 0, INT64_MAX, &n) == 0)
		f->ev_last = (uint64_t)n;
	f->ev_failures = 0;
	f->ev_give_up_at = 0;
	if (strcmp(type, "gap") == 0) {
		f->ev_fn("gap", NULL, f->ev_arg);
		return;
	}
	if (strcmp(type, "task") != 0 && strcmp(type, "job") != 0)
		return;
	if ((d = cJSON_Parse(data)) == NULL)
		return;
	if (strcmp(type, "job") == 0) {
		js = cJSON_GetObjectItemCaseSensitive(d, "job_state");
		st = render_jstr(js, "state");
		if (st != NULL && (s = state_from_name(st)) != -1 &&
		    state_finished((enum task_state)s))
			f->job_done = 1;
	}
	f->ev_fn(type, d, f->ev_arg);
	cJSON_Delete(d);
}

static int
follow_ev_data(const char *data, size_t len, void *arg)
{
	struct follow	*f = arg;

	sse_feed(&f->sse, data, len, follow_ev_one, f);
	return (f->werr != 0);
}

/* Open the event stream after the last event seen. */
static int
follow_ev_start(struct follow *f, struct http_multi *hm, char **cause)
{
	char	*path;
	int	 rv;

	sse_free(&f->sse);	/* a half event is sent again */
	sse_init(&f->sse);
	path = xasprintf("%s/events?job=%s&since=%" PRIu64, API_PREFIX,
	    f->job, f->ev_last);
	rv = http_multi_add(hm, path, follow_ev_data, f, cause);
	free(path);
	if (rv == 0)
		f->ev_active = 1;
	return (rv);
}

/* The event stream ended: try again after a drop, else do without. */
static void
follow_ev_ended(struct follow *f, const struct http_done *d, int64_t now)
{
	f->ev_active = 0;
	if (!d->dropped || f->werr) {
		f->ev_failed = 1;	/* no such route, or stratusd stops */
		return;
	}
	if (f->ev_give_up_at == 0)
		f->ev_give_up_at = now + FOLLOW_GIVE_UP_MS;
	if (now >= f->ev_give_up_at)
		f->ev_failed = 1;
	else
		f->ev_retry_at = now + follow_backoff(&f->ev_failures);
}

/*
 * Whether to go on for the events (the job's end) once the logs are done
 * or when there are none; opens the stream when due, lowers *wait.
 */
static int
follow_ev_busy(struct follow *f, struct http_multi *hm, int logs_busy,
    int64_t now, int64_t *wait, char **cause)
{
	if (!follow_events_ok(f) || f->job_done ||
	    !(f->flags & FOLLOW_LIVE))
		return (0);
	if (logs_busy || f->nlogs == 0)
		f->ev_deadline = 0;
	else if (f->ev_deadline == 0)
		f->ev_deadline = now + FOLLOW_EV_GRACE_MS;
	if (f->ev_deadline != 0) {
		if (now >= f->ev_deadline)
			return (0);
		if (f->ev_deadline - now < *wait)
			*wait = f->ev_deadline - now;
	}
	if (f->ev_active)
		return (1);
	if (f->ev_retry_at > now) {
		if (f->ev_retry_at - now < *wait)
			*wait = f->ev_retry_at - now;
		return (1);
	}
	return (follow_ev_start(f, hm, cause) == 0 ? 1 : -1);
}

/* Arm a task's log; see follow.h. */
void
follow_task(struct follow *f, const char *name, const char *ref)
{
	struct follow_log	*l;
	size_t			 i;

	for (i = 0; i < f->nlogs; i++) {
		if (strcmp(f->logs[i]->name, name) == 0) {
			f->logs[i]->armed = 1;
			f->logs[i]->retry_at = 0;
			return;
		}
	}
	l = xcalloc(1, sizeof *l);
	l->f = f;
	l->name = xstrdup(name);
	l->ref = http_escape(ref);
	buf_init(&l->line, FOLLOW_MAX_LINE);
	l->bol = 1;
	l->armed = 1;
	f->logs = xreallocarray(f->logs, f->nlogs + 1, sizeof *f->logs);
	f->logs[f->nlogs++] = l;
}

/* Copy s with invalid UTF-8 and NULs replaced by U+FFFD; caller frees. */
static char *
follow_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b;
	size_t			 i = 0, n, k;
	uint32_t		 cp;

	buf_init(&b, 0);
	while (i < len) {
		n = 0;
		if (p[i] >= 0x01 && p[i] < 0x80)
			n = 1;
		else if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		if (n > 1) {
			if (i + n > len)
				n = 0;
			for (k = 1; n != 0 && k < n; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					n = 0;
			}
		}
		if (n == 3) {
			cp = (p[i] & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6;
			if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
				n = 0;	/* overlong or surrogate */
		} else if (n == 4) {
			cp = (p[i] & 0x07u) << 18 | (p[i + 1] & 0x3fu) << 12;
			if (cp < 0x10000 || cp > 0x10ffff)
				n = 0;
		}
		if (n == 0) {
			(void)buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			(void)buf_add(&b, p + i, n);
			i += n;
		}
	}
	(void)buf_add(&b, "", 0);
	return (b.data != NULL ? buf_steal(&b, NULL) : xstrdup(""));
}

/* Print cJSON o as one line and free it. */
static void
follow_print_json(struct follow *f, cJSON *o)
{
	char	*out;

	if (o == NULL || (out = cJSON_PrintUnformatted(o)) == NULL) {
		f->werr = ENOMEM;
		cJSON_Delete(o);
		return;
	}
	if (printf("%s\n", out) < 0)
		f->werr = errno;
	cJSON_free(out);
	cJSON_Delete(o);
}

/* A step marker line: a header, a JSON event, or the sink's; stamp is
 * the daemon's time of the line, or NULL. */
static int
follow_step(struct follow_log *l, const char *stamp, const char *text,
    size_t len)
{
	struct follow	*f = l->f;
	cJSON		*m, *ev, *it;
	char		*json, hdr[512];
	size_t		 plen = strlen(API_STEP_MARKER);

	json = xstrndup(text + plen, len - plen);
	m = cJSON_Parse(json);
	free(json);
	if (!cJSON_IsObject(m) || render_jstr(m, "step") == NULL) {
		cJSON_Delete(m);
		return (-1);
	}
	if (f->has_sink) {
		if (f->sink.step != NULL)
			f->sink.step(l->name, m, f->sink.arg);
	} else if (f->flags & FOLLOW_JSON) {
		if ((ev = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(ev, "event", "step") == NULL ||
		    cJSON_AddStringToObject(ev, "task", l->name) == NULL ||
		    (stamp != NULL &&
		    cJSON_AddStringToObject(ev, "time", stamp) == NULL))
			f->werr = ENOMEM;
		cJSON_ArrayForEach(it, m) {
			if (ev == NULL)
				break;
			cJSON_AddItemToObject(ev, strcmp(it->string,
			    "event") == 0 ? "phase" : it->string,
			    cJSON_Duplicate(it, 1));
		}
		follow_print_json(f, ev);
	} else {
		render_step_header(m, hdr, sizeof hdr);
		if (stamp != NULL && printf("%s ", stamp) < 0)
			f->werr = errno;
		if ((f->flags & FOLLOW_PREFIX) ?
		    printf("%s | %s\n", l->name, hdr) < 0 :
		    printf("%s\n", hdr) < 0)
			f->werr = errno;
	}
	cJSON_Delete(m);
	return (0);
}

/* Print one complete line of a log now; stamp as for follow_step. */
static void
follow_emit_now(struct follow_log *l, const char *stamp, const char *text,
    size_t len)
{
	struct follow	*f = l->f;
	cJSON		*ev;
	char		*clean, got[40];
	size_t		 plen = strlen(API_STEP_MARKER);

	if (len >= plen && memcmp(text, API_STEP_MARKER, plen) == 0 &&
	    follow_step(l, stamp, text, len) == 0)
		return;
	if (len > 0 && text[len - 1] == '\r' &&
	    (f->has_sink || (f->flags & (FOLLOW_PREFIX | FOLLOW_JSON))))
		len--;
	if (f->has_sink) {
		if (f->sink.line != NULL)
			f->sink.line(l->name, text, len, f->sink.arg);
		return;
	}
	if (stamp != NULL && !(f->flags & FOLLOW_JSON) &&
	    printf("%s ", stamp) < 0)
		f->werr = errno;
	if (f->flags & FOLLOW_JSON) {
		clean = follow_utf8(text, len);
		ev = cJSON_CreateObject();
		if (ev == NULL ||
		    cJSON_AddStringToObject(ev, "event", "log") == NULL ||
		    cJSON_AddStringToObject(ev, "task", l->name) == NULL ||
		    cJSON_AddStringToObject(ev, "line", clean) == NULL ||
		    (stamp != NULL && (cJSON_AddStringToObject(ev, "time",
		    stamp) == NULL || (format_time(now_wall_ms(), got,
		    sizeof got), cJSON_AddStringToObject(ev, "received_at",
		    got) == NULL)))) {
			cJSON_Delete(ev);
			ev = NULL;
		}
		follow_print_json(f, ev);
		free(clean);
		return;
	}
	if (f->flags & FOLLOW_PREFIX) {
		if (printf("%s | %.*s\n", l->name, (int)len, text) < 0)
			f->werr = errno;
	} else if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF)
		f->werr = errno;
}

/*
 * Plain output of one log (no prefix, JSON, stamps, sink or tail): the
 * whole lines at the front of data that hold no step marker go out in one
 * write instead of a line at a time.  Returns the bytes written.
 */
static size_t
follow_plain_run(struct follow_log *l, const char *data, size_t len)
{
	struct follow	*f = l->f;
	const char	*mark, *end;
	size_t		 n;

	if (l->line.len != 0 || f->has_sink || f->tail != 0 ||
	    (f->flags & (FOLLOW_PREFIX | FOLLOW_JSON | FOLLOW_STAMPS)))
		return (0);
	if ((mark = memchr(data, API_STEP_MARKER[0], len)) != NULL)
		len = (size_t)(mark - data);	/* markers start their line */
	if ((end = memrchr(data, '\n', len)) == NULL)
		return (0);
	n = (size_t)(end - data) + 1;
	if (fwrite(data, 1, n, stdout) != n)
		f->werr = errno;
	return (n);
}

/* A complete line: held back for --tail (after its stamp), or printed. */
static void
follow_emit(struct follow_log *l, const char *text, size_t len)
{
	struct follow	*f = l->f;
	const char	*stamp = NULL;
	char		*held;

	if (f->flags & FOLLOW_STAMPS)
		stamp = l->stamp;
	if (f->tail == 0) {
		follow_emit_now(l, stamp, text, len);
		return;
	}
	if (l->tail == NULL)
		l->tail = xcalloc(f->tail, sizeof *l->tail);
	held = xasprintf("%s%.*s", stamp != NULL ? stamp : "", (int)len, text);
	if (l->ntail < f->tail)
		l->tail[l->ntail++] = held;
	else {
		free(l->tail[l->tailpos]);
		l->tail[l->tailpos] = held;
		l->tailpos = (l->tailpos + 1) % l->ntail;
	}
}

/* Log bytes arrived: count them, then print whole lines. */
static int
follow_raw(struct follow_log *l, const char *data, size_t len)
{
	struct follow		*f = l->f;
	const char		*nl;
	size_t			 seg, take;

	l->offset += len;
	l->failures = 0;
	l->give_up_at = 0;
	while (len > 0) {
		if ((take = follow_plain_run(l, data, len)) > 0) {
			data += take;
			len -= take;
			continue;
		}
		nl = memchr(data, '\n', len);
		seg = nl != NULL ? (size_t)(nl - data) : len;
		while (seg > 0) {
			take = FOLLOW_MAX_LINE - l->line.len;
			if (take > seg)
				take = seg;
			(void)buf_add(&l->line, data, take);
			data += take;
			len -= take;
			seg -= take;
			if (l->line.len == FOLLOW_MAX_LINE) {
				follow_emit(l, l->line.data, l->line.len);
				buf_reset(&l->line);
			}
		}
		if (nl != NULL) {
			follow_emit(l, l->line.len ? l->line.data : "",
			    l->line.len);
			buf_reset(&l->line);
			data++;
			len--;
		}
	}
	return (f->werr != 0);
}

/*
 * Bytes of a log stream: with FOLLOW_STAMPS the daemon puts a stamp and a
 * space before every line, which are kept aside for the line and not
 * counted in its offset; the rest is the log.
 */
static int
follow_data(const char *data, size_t len, void *arg)
{
	struct follow_log	*l = arg;
	const char		*nl;
	size_t			 take;

	if (!(l->f->flags & FOLLOW_STAMPS))
		return (follow_raw(l, data, len));
	while (len > 0) {
		if (l->bol) {
			take = API_STAMP_LEN + 1 - l->stamplen;
			if (take > len)
				take = len;
			memcpy(l->stamp + l->stamplen, data, take);
			l->stamplen += take;
			data += take;
			len -= take;
			if (l->stamplen == API_STAMP_LEN + 1) {
				if (l->stamp[API_STAMP_LEN] != ' ' ||
				    !stamp_is_valid(l->stamp, API_STAMP_LEN)) {
					l->bad_stamp = 1;
					return (1);
				}
				l->stamp[API_STAMP_LEN] = '\0';
				l->bol = 0;
			}
			continue;
		}
		nl = memchr(data, '\n', len);
		take = nl != NULL ? (size_t)(nl - data) + 1 : len;
		if (follow_raw(l, data, take) != 0)
			return (1);
		data += take;
		len -= take;
		if (nl != NULL) {
			l->bol = 1;
			l->stamplen = 0;
		}
	}
	return (0);
}

/* Print a line held back by follow_emit. */
static void
follow_emit_held(struct follow_log *l, const char *held)
{
	char	stamp[API_STAMP_LEN + 1];
	size_t	len = strlen(held);

	if (!(l->f->flags & FOLLOW_STAMPS) || len < API_STAMP_LEN) {
		follow_emit_now(l, NULL, held, len);
		return;
	}
	memcpy(stamp, held, API_STAMP_LEN);
	stamp[API_STAMP_LEN] = '\0';
	follow_emit_now(l, stamp, held + API_STAMP_LEN, len - API_STAMP_LEN);
}

/* A log ended: print what is left of its last line and what was held. */
static void
follow_flush(struct follow_log *l)
{
	size_t	i;

	if (l->line.len != 0) {
		follow_emit(l, l->line.data, l->line.len);
		buf_reset(&l->line);
	}
	for (i = 0; i < l->ntail; i++)
		follow_emit_held(l, l->tail[(l->tailpos + i) % l->ntail]);
	follow_tail_clear(l);
}

/* Open a stream for l at its offset. */
static int
follow_start(struct follow *f, struct http_multi *hm, struct follow_log *l,
    char **cause)
{
	char	*path;
	int	 rv;

	l->stamplen = 0;	/* a stamp cut short is sent again */
	path = xasprintf("%s/jobs/%s/tasks/%s/log?offset=%" PRIu64 "%s%s",
	    API_PREFIX, f->job, l->ref, l->offset,
	    (f->flags & FOLLOW_LIVE) ? "&follow=1" : "",
	    (f->flags & FOLLOW_STAMPS) ? "&timestamps=1" : "");
	rv = http_multi_add(hm, path, follow_data, l, cause);
	free(path);
	if (rv == 0)
		l->active = 1;
	return (rv);
}

/* Stream every armed log to its end; see follow.h. */
int
follow_run(struct follow *f, char **cause)
{
	struct http_multi	*hm;
	struct http_done	 d;
	struct follow_log	*l;
	int64_t			 now, wait;
	size_t			 i;
	int			 busy, evbusy, rv = -1;
	char			*first = NULL;

	if ((hm = http_multi_new(f->h)) == NULL) {
		*cause = xstrdup("libcurl: cannot create a multi handle");
		return (-1);
	}
	for (;;) {
		now = now_mono_ms();
		busy = 0;
		wait = 1000;
		if (f->has_sink && f->sink.tick_ms > 0)
			wait = f->sink.tick_ms;
		for (i = 0; i < f->nlogs; i++) {
			l = f->logs[i];
			if (!l->armed)
				continue;
			busy = 1;
			if (l->active)
				continue;
			if (l->retry_at > now) {
				if (l->retry_at - now < wait)
					wait = l->retry_at - now;
				continue;
			}
			if (follow_start(f, hm, l, cause) != 0)
				goto out;
		}
		if ((evbusy = follow_ev_busy(f, hm, busy, now, &wait,
		    cause)) == -1)
			goto out;
		if (!busy && !evbusy)
			break;
		if (follow_interrupted) {
			rv = 1;
			goto out;
		}
		if (http_multi_poll(hm, (int)wait, cause) == -1)
			goto out;
		if (f->has_sink && f->sink.tick != NULL)
			f->sink.tick(f->sink.arg);
		while (http_multi_next(hm, &d)) {
			now = now_mono_ms();
			if (d.arg == f) {
				follow_ev_ended(f, &d, now);
				free(d.cause);
				continue;
			}
			l = d.arg;
			l->active = 0;
			if (d.complete) {
				follow_flush(l);
				l->armed = 0;
			} else if (d.dropped && !f->werr) {
				if (l->give_up_at == 0)
					l->give_up_at = now + FOLLOW_GIVE_UP_MS;
				if (now >= l->give_up_at) {
					follow_flush(l);
					l->armed = 0;
					if (first == NULL)
						first = xasprintf("task %s: %s",
						    l->name, d.cause);
				} else
					l->retry_at = now +
					    follow_backoff(&l->failures);
			} else {
				follow_flush(l);
				l->armed = 0;
				if (first == NULL && !f->werr && l->bad_stamp)
					first = xasprintf("task %s: stratusd sent "
					    "its log without time stamps (is it "
					    "older than this client?); try "
					    "without --timestamps", l->name);
				else if (first == NULL && !f->werr)
					first = xasprintf("task %s: %s",
					    l->name, d.cause);
			}
			free(d.cause);
		}
		if (fflush(stdout) == EOF)
			f->werr = errno;
		if (f->werr) {
			*cause = xasprintf("stdout: %s", strerror(f->werr));
			goto out;
		}
	}
	if (fflush(stdout) == EOF) {
		*cause = xasprintf("stdout: %s", strerror(errno));
		goto out;
	}
	if (first != NULL) {
		*cause = first;
		first = NULL;
		goto out;
	}
	rv = 0;
out:
	/* Interrupted streams resume where they stopped on the next run. */
	for (i = 0; i < f->nlogs; i++)
		f->logs[i]->active = 0;
	f->ev_active = 0;
	free(first);
	http_multi_free(hm);
	return (rv);
}
