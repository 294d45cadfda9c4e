/* jobjson.c -- renders store rows as the API's JSON objects. */
#include <stdio.h>

#include "daemon/jobjson.h"
#include "proto/states.h"
#include "proto/util.h"

/* Add an RFC 3339 time, or null for 0. */
static void
jobjson_time(cJSON *o, const char *key, int64_t ms)
{
	char	 t[40];

	if (ms == 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	format_time(ms, t, sizeof t);
	cJSON_AddStringToObject(o, key, t);
}

/* Duration of an interval: to now while still open, null before start. */
static void
jobjson_duration(cJSON *o, int64_t start, int64_t end)
{
	if (start == 0) {
		cJSON_AddNullToObject(o, "duration_ms");
		return;
	}
	if (end == 0)
		end = now_wall_ms();
	cJSON_AddNumberToObject(o, "duration_ms",
	    (double)(end > start ? end - start : 0));
}

static void
jobjson_exit(cJSON *o, int code)
{
	if (code < 0)
		cJSON_AddNullToObject(o, "exit_code");
	else
		cJSON_AddNumberToObject(o, "exit_code", code);
}

cJSON *
jobjson_task(const struct store_task *t)
{
	cJSON	*o, *steps, *s;
	size_t	 i;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "state", state_name(t->state));
	jobjson_exit(o, t->exit_code);
	if (t->reason != NULL)
		cJSON_AddStringToObject(o, "reason", t->reason);
	else
		cJSON_AddNullToObject(o, "reason");
	jobjson_duration(o, t->started_ms, t->finished_ms);
	cJSON_AddNumberToObject(o, "attempt", t->attempt);
	cJSON_AddBoolToObject(o, "allow_failures", t->allow_failures);
	jobjson_time(o, "started_at", t->started_ms);
	jobjson_time(o, "finished_at", t->finished_ms);
	cJSON_AddNumberToObject(o, "log_bytes", (double)t->log_len);
	steps = cJSON_AddArrayToObject(o, "steps");
	for (i = 0; i < t->nsteps; i++) {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", t->steps[i].name);
		cJSON_AddStringToObject(s, "kind", t->steps[i].kind);
		cJSON_AddStringToObject(s, "state",
		    state_name(t->steps[i].state));
		jobjson_exit(s, t->steps[i].exit_code);
		jobjson_duration(s, t->steps[i].started_ms,
		    t->steps[i].finished_ms);
		cJSON_AddItemToArray(steps, s);
	}
	return (o);
}

cJSON *
jobjson_job(const struct store_job *j)
{
	cJSON	*o, *tasks;
	size_t	 i;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)j->id);
	cJSON_AddStringToObject(o, "project", j->project);
	cJSON_AddStringToObject(o, "state", state_name(j->state));
	cJSON_AddNumberToObject(o, "priority", j->priority);
	jobjson_time(o, "created_at", j->created_ms);
	jobjson_time(o, "started_at", j->started_ms);
	jobjson_time(o, "finished_at", j->finished_ms);
	jobjson_duration(o, j->started_ms, j->finished_ms);
	if (j->tasks != NULL) {
		tasks = cJSON_AddArrayToObject(o, "tasks");
		for (i = 0; i < j->ntasks; i++)
			cJSON_AddItemToArray(tasks, jobjson_task(&j->tasks[i]));
	}
	return (o);
}
