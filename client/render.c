/* render.c -- what the client prints for people (not --json). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strptime, timegm */
#endif

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/render.h"
#include "proto/states.h"
#include "proto/util.h"

const char *
render_jstr(const cJSON *obj, const char *key)
{
	const cJSON	*v;

	if (!cJSON_IsObject(obj))
		return (NULL);
	v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return (NULL);
	return (v->valuestring);
}

int
render_jint(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON	*v;

	if (!cJSON_IsObject(obj))
		return (-1);
	v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble > 9e15 || v->valuedouble < -9e15)
		return (-1);
	*out = (int64_t)v->valuedouble;
	return (0);
}

/* The id of a job or task as text; caller frees. */
char *
render_jid(const cJSON *obj)
{
	const char	*s;
	int64_t		 n;

	if ((s = render_jstr(obj, "id")) != NULL)
		return (xstrdup(s));
	if (render_jint(obj, "id", &n) == 0)
		return (xasprintf("%" PRId64, n));
	return (NULL);
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)" into Unix ms. */
int
render_time_ms(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 ms = 0, scale = 100;
	int		 sign, oh, om;
	time_t		 t;

	if (s == NULL)
		return (-1);
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if ((t = timegm(&tm)) == (time_t)-1)
		return (-1);
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return (-1);
		t -= sign * (oh * 3600 + om * 60);
		p += 6;
	} else
		return (-1);
	*out = (int64_t)t * 1000 + ms;
	return (0);
}

/* Local "YYYY-MM-DD HH:MM:SS" for an RFC 3339 time, or "-". */
static void
render_when(const char *s, char *out, size_t len)
{
	struct tm	tm;
	int64_t		ms;
	time_t		t;

	if (render_time_ms(s, &ms) != 0) {
		snprintf(out, len, "-");
		return;
	}
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, len, "-");
}

/* A job's wall time: finished - started, or so far when still running. */
static void
render_job_duration(const cJSON *job, char *out, size_t len)
{
	int64_t	start, end, ms;

	/* The daemon's own count is exact; times are whole seconds. */
	if (render_jint(job, "duration_ms", &ms) == 0) {
		format_duration(ms, out, len);
		return;
	}
	if (render_time_ms(render_jstr(job, "started_at"), &start) != 0) {
		snprintf(out, len, "-");
		return;
	}
	if (render_time_ms(render_jstr(job, "finished_at"), &end) != 0)
		end = now_wall_ms();
	format_duration(end - start, out, len);
}

static const char *
render_or(const char *s, const char *dflt)
{
	return (s != NULL ? s : dflt);
}

/* Jobs as a table. */
void
render_ls(const cJSON *list)
{
	const cJSON	*jobs, *job;
	char		*id, when[64], dur[32];

	jobs = cJSON_GetObjectItemCaseSensitive(list, "jobs");
	printf("%-8s %-20s %-10s %-19s %s\n", "ID", "PROJECT", "STATE",
	    "CREATED", "DURATION");
	if (!cJSON_IsArray(jobs))
		return;
	cJSON_ArrayForEach(job, jobs) {
		if (!cJSON_IsObject(job))
			continue;
		id = render_jid(job);
		render_when(render_jstr(job, "created_at"), when, sizeof when);
		render_job_duration(job, dur, sizeof dur);
		printf("%-8s %-20s %-10s %-19s %s\n", render_or(id, "?"),
		    render_or(render_jstr(job, "project"), "?"),
		    render_or(render_jstr(job, "state"), "?"), when, dur);
		free(id);
	}
}

/* "0", "-" or the code of obj[key]. */
static void
render_code(const cJSON *obj, char *out, size_t len)
{
	int64_t	code;

	if (render_jint(obj, "exit_code", &code) == 0)
		snprintf(out, len, "%" PRId64, code);
	else
		snprintf(out, len, "-");
}

static void
render_ms(const cJSON *obj, char *out, size_t len)
{
	int64_t	ms;

	if (render_jint(obj, "duration_ms", &ms) == 0)
		format_duration(ms, out, len);
	else
		snprintf(out, len, "-");
}

/* A job with its tasks and steps. */
void
render_show(const cJSON *job)
{
	const cJSON	*tasks, *task, *steps, *step;
	const char	*reason;
	char		*id, when[64], dur[32], code[32];
	int64_t		 attempt;

	id = render_jid(job);
	printf("job %s  project %s  state %s\n", render_or(id, "?"),
	    render_or(render_jstr(job, "project"), "?"),
	    render_or(render_jstr(job, "state"), "?"));
	free(id);
	render_when(render_jstr(job, "created_at"), when, sizeof when);
	printf("created   %s\n", when);
	render_when(render_jstr(job, "started_at"), when, sizeof when);
	printf("started   %s\n", when);
	render_when(render_jstr(job, "finished_at"), when, sizeof when);
	printf("finished  %s\n", when);
	render_job_duration(job, dur, sizeof dur);
	printf("duration  %s\n", dur);

	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	if (!cJSON_IsArray(tasks))
		return;
	printf("\n%-24s %-10s %-5s %-9s %s\n", "TASK", "STATE", "EXIT",
	    "DURATION", "ATTEMPT");
	cJSON_ArrayForEach(task, tasks) {
		if (!cJSON_IsObject(task))
			continue;
		render_code(task, code, sizeof code);
		render_ms(task, dur, sizeof dur);
		if (render_jint(task, "attempt", &attempt) != 0)
			attempt = 1;
		printf("%-24s %-10s %-5s %-9s %" PRId64 "\n",
		    render_or(render_jstr(task, "name"), "?"),
		    render_or(render_jstr(task, "state"), "?"), code, dur,
		    attempt);
		reason = render_jstr(task, "reason");
		if (reason != NULL && *reason != '\0')
			printf("  reason: %s\n", reason);
		steps = cJSON_GetObjectItemCaseSensitive(task, "steps");
		if (!cJSON_IsArray(steps))
			continue;
		cJSON_ArrayForEach(step, steps) {
			if (!cJSON_IsObject(step))
				continue;
			render_code(step, code, sizeof code);
			render_ms(step, dur, sizeof dur);
			printf("  %-22s %-10s %-5s %s\n",
			    render_or(render_jstr(step, "name"), "?"),
			    render_or(render_jstr(step, "state"), "?"), code,
			    dur);
		}
	}
}

/* Whether a task may fail without failing the run. */
static int
render_allowed(const cJSON *task, const char *name,
    const struct taskfile *tf)
{
	const cJSON	*v;
	struct tf_task	*t;

	v = cJSON_GetObjectItemCaseSensitive(task, "allow_failures");
	if (cJSON_IsBool(v))
		return (cJSON_IsTrue(v));
	if (tf != NULL && name != NULL &&
	    (t = taskfile_find(tf, name)) != NULL)
		return (t->allow_failures);
	return (0);
}

/* Result lines; see render.h. */
int
render_results(const cJSON *job, const struct taskfile *tf, int print)
{
	const cJSON	*tasks, *task;
	const char	*name, *state, *reason;
	char		 dur[32], extra[600];
	int64_t		 code;
	int		 st, bad = 0;

	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	if (!cJSON_IsArray(tasks))
		return (1);
	cJSON_ArrayForEach(task, tasks) {
		if (!cJSON_IsObject(task))
			continue;
		name = render_or(render_jstr(task, "name"), "?");
		state = render_or(render_jstr(task, "state"), "?");
		reason = render_jstr(task, "reason");
		if (reason != NULL && *reason == '\0')
			reason = NULL;
		render_ms(task, dur, sizeof dur);
		st = state_from_name(state);
		extra[0] = '\0';
		switch (st) {
		case TASK_SUCCEEDED:
			if (print)
				printf("'%s' succeeded in %s\n", name, dur);
			break;
		case TASK_SKIPPED:
			if (print)
				printf("'%s' skipped%s%s\n", name,
				    reason ? ": " : "", reason ? reason : "");
			break;
		case TASK_FAILED:
			if (render_jint(task, "exit_code", &code) == 0)
				snprintf(extra, sizeof extra,
				    " (exit code %" PRId64 ")", code);
			else if (reason != NULL)
				snprintf(extra, sizeof extra, ": %s", reason);
			if (print)
				printf("'%s' failed in %s%s%s\n", name, dur,
				    extra, render_allowed(task, name, tf) ?
				    " (failure allowed)" : "");
			if (!render_allowed(task, name, tf))
				bad = 1;
			break;
		case TASK_ERRORED:
			if (print)
				printf("'%s' errored: %s\n", name,
				    reason ? reason : "infrastructure failure");
			if (!render_allowed(task, name, tf))
				bad = 1;
			break;
		case TASK_CANCELLED:
			if (print)
				printf("'%s' cancelled%s%s\n", name,
				    reason ? ": " : "", reason ? reason : "");
			bad = 1;
			break;
		default:
			if (print)
				printf("'%s' is %s\n", name, state);
			bad = 1;
			break;
		}
	}
	return (bad);
}

/* A step marker as a header line; see render.h. */
void
render_step_header(const cJSON *m, char *out, size_t len)
{
	const char	*step, *ev;
	char		 dur[32];
	int64_t		 code;

	step = render_or(render_jstr(m, "step"), "?");
	ev = render_or(render_jstr(m, "event"), "begin");
	if (strcmp(ev, "end") != 0) {
		snprintf(out, len, "--- %s", step);
		return;
	}
	render_ms(m, dur, sizeof dur);
	if (render_jint(m, "exit_code", &code) == 0 && code != 0)
		snprintf(out, len, "--- %s failed in %s (exit code %" PRId64
		    ")", step, dur, code);
	else
		snprintf(out, len, "--- %s succeeded in %s", step, dur);
}

/* The task graph from a parsed file. */
void
render_validate(const struct taskfile *tf)
{
	const struct tf_task	*t;
	const struct tf_step	*s;
	size_t			 i, j, k;

	for (i = 0; i < tf->ntasks; i++) {
		t = &tf->tasks[i];
		printf("task %s", t->name);
		if (t->alias != NULL)
			printf(" (alias %s)", t->alias);
		printf("\n  image: %s\n", t->image != NULL ? t->image :
		    (t->dockerfile != NULL ? t->dockerfile : "-"));
		if (t->ndepends != 0) {
			printf("  depends on:");
			for (j = 0; j < t->ndepends; j++)
				printf("%s %s", j ? "," : "", t->depends_on[j]);
			printf("\n");
		}
		for (j = 0; j < t->nsidecars; j++) {
			printf("  additional container %s: %s",
			    t->sidecars[j].name, t->sidecars[j].image);
			if (t->sidecars[j].port != 0)
				printf(" (port %d)", t->sidecars[j].port);
			printf("\n");
		}
		if (t->allow_failures)
			printf("  allow failures\n");
		if (t->skip_reason != NULL)
			printf("  skipped: %s\n", t->skip_reason);
		for (j = 0; j < t->nsteps; j++) {
			s = &t->steps[j];
			printf("  step %s (%s", s->name,
			    tf_step_kind_name(s->kind));
			if (s->when != WHEN_ON_SUCCESS)
				printf(", %s", tf_when_name(s->when));
			printf(")");
			for (k = 0; k < s->ncaches; k++)	/* upload_caches */
				printf("%s%s", k ? ", " : ": ", s->caches[k]);
			printf("\n");
		}
	}
	for (i = 0; i < tf->ndropped; i++)
		printf("task %s\n  not run: only_if is false: %s\n",
		    tf->dropped[i].name, tf->dropped[i].only_if);
}
