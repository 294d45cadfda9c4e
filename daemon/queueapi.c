/* queueapi.c -- projects, queue pause and retention over the HTTP API. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/apiresp.h"
#include "daemon/gc.h"
#include "daemon/queueapi.h"
#include "daemon/scheduler.h"
#include "daemon/store.h"
#include "proto/util.h"

/* Longest project name taken from a URL. */
#define QUEUEAPI_MAX_NAME	200

int
queueapi_match(const char *rest)
{
	return (strcmp(rest, "/projects") == 0 ||
	    strncmp(rest, "/projects/", 10) == 0 ||
	    strncmp(rest, "/queue/", 7) == 0 || strcmp(rest, "/gc") == 0);
}

/* A store failure: cause consumed. */
static int
queueapi_store_error(cJSON **out, char *cause)
{
	int	 r;

	r = apiresp_error_json(out, APIERR_INTERNAL, "store: %s", cause);
	free(cause);
	return (r);
}

static cJSON *
queueapi_project_json(const struct store_project *p)
{
	cJSON	*o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	if (p->max_running > 0)
		cJSON_AddNumberToObject(o, "max_running", p->max_running);
	else
		cJSON_AddNullToObject(o, "max_running");
	cJSON_AddBoolToObject(o, "paused", p->paused);
	cJSON_AddNumberToObject(o, "queued", p->queued);
	cJSON_AddNumberToObject(o, "running", p->running);
	cJSON_AddNumberToObject(o, "jobs", p->jobs);
	return (o);
}

/* GET /projects, or with name the one project (404 when unknown). */
static int
queueapi_projects(struct store *store, const char *name, cJSON **out)
{
	struct store_project	*v = NULL;
	size_t			 n = 0, i;
	char			*cause = NULL;
	cJSON			*arr;
	int			 paused;

	if (store_project_list(store, &v, &n, &cause) == -1 ||
	    store_queue_paused(store, &paused, &cause) == -1) {
		store_projects_free(v, n);
		return (queueapi_store_error(out, cause));
	}
	if (name != NULL) {
		for (i = 0; i < n && strcmp(v[i].name, name) != 0; i++)
			;
		*out = i < n ? queueapi_project_json(&v[i]) : NULL;
		store_projects_free(v, n);
		if (*out == NULL)
			return (apiresp_error_json(out, APIERR_NOT_FOUND,
			    "no project '%s'", name));
		return (200);
	}
	*out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*out, "projects");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, queueapi_project_json(&v[i]));
	cJSON_AddBoolToObject(*out, "paused", paused);
	store_projects_free(v, n);
	return (200);
}

/* PUT /projects/{name} {"max_running": N|null, "paused": bool} */
static int
queueapi_project_set(const struct api_env *env, const char *name,
    const char *body, size_t len, cJSON **out)
{
	cJSON	*b, *it;
	char	*cause = NULL;
	int	 max = -1, paused = -1, status;

	if (*name == '\0' || strlen(name) > QUEUEAPI_MAX_NAME ||
	    strchr(name, '/') != NULL)
		return (apiresp_error_json(out, APIERR_BAD_REQUEST,
		    "bad project name"));
	if ((b = cJSON_ParseWithLength(body != NULL ? body : "", len)) ==
	    NULL || !cJSON_IsObject(b)) {
		cJSON_Delete(b);
		return (apiresp_error_json(out, APIERR_BAD_JSON,
		    "request body is not a JSON object"));
	}
	it = cJSON_GetObjectItemCaseSensitive(b, "max_running");
	if (cJSON_IsNull(it))
		max = 0;
	else if (it != NULL) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
		    it->valuedouble > 100000 ||
		    it->valuedouble != (double)it->valueint) {
			cJSON_Delete(b);
			return (apiresp_error_json(out, APIERR_BAD_REQUEST,
			    "'max_running' must be a whole number from 0 "
			    "(no limit) or null"));
		}
		max = it->valueint;
	}
	it = cJSON_GetObjectItemCaseSensitive(b, "paused");
	if (it != NULL) {
		if (!cJSON_IsBool(it)) {
			cJSON_Delete(b);
			return (apiresp_error_json(out, APIERR_BAD_REQUEST,
			    "'paused' must be true or false"));
		}
		paused = cJSON_IsTrue(it);
	}
	cJSON_Delete(b);
	if (store_project_set(env->store, name, max, paused, &cause) == -1)
		return (queueapi_store_error(out, cause));
	sched_wake(env->sched);
	status = queueapi_projects(env->store, name, out);
	return (status);
}

/* POST /queue/pause, /queue/resume */
static int
queueapi_queue(const struct api_env *env, const char *what, cJSON **out)
{
	char	*cause = NULL;
	int	 paused;

	if (strcmp(what, "pause") == 0)
		paused = 1;
	else if (strcmp(what, "resume") == 0)
		paused = 0;
	else
		return (apiresp_error_json(out, APIERR_NOT_FOUND,
		    "no route /queue/%s", what));
	if (store_queue_set_paused(env->store, paused, &cause) == -1)
		return (queueapi_store_error(out, cause));
	sched_wake(env->sched);
	*out = cJSON_CreateObject();
	cJSON_AddBoolToObject(*out, "paused", paused);
	return (200);
}

/* POST /gc */
static int
queueapi_gc(const struct api_env *env, cJSON **out)
{
	struct gc_result	 res;
	char			*cause = NULL;

	if (gc_run(env->store, env->logs, env->blobs, env->gc, &res,
	    &cause) == -1)
		return (queueapi_store_error(out, cause));
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "jobs_removed", res.jobs_removed);
	cJSON_AddNumberToObject(*out, "blobs_removed", res.blobs_removed);
	return (200);
}

int
queueapi_handle(const struct api_env *env, const char *method,
    const char *rest, const char *body, size_t len, cJSON **out)
{
	*out = NULL;
	if (strcmp(rest, "/projects") == 0) {
		if (strcmp(method, "GET") != 0)
			return (apiresp_error_json(out, APIERR_METHOD, "use GET"));
		return (queueapi_projects(env->store, NULL, out));
	}
	if (strncmp(rest, "/projects/", 10) == 0) {
		if (strcmp(method, "GET") == 0)
			return (queueapi_projects(env->store, rest + 10, out));
		if (strcmp(method, "PUT") != 0)
			return (apiresp_error_json(out, APIERR_METHOD,
			    "use GET or PUT"));
		return (queueapi_project_set(env, rest + 10, body, len, out));
	}
	if (strcmp(method, "POST") != 0)
		return (apiresp_error_json(out, APIERR_METHOD, "use POST"));
	if (strcmp(rest, "/gc") == 0)
		return (queueapi_gc(env, out));
	return (queueapi_queue(env, rest + 7, out));
}

int
queueapi_job_project(struct store *store, const cJSON *body, char **name,
    char **cause)
{
	const cJSON	*p, *path;

	p = cJSON_GetObjectItemCaseSensitive(body, "project");
	path = cJSON_GetObjectItemCaseSensitive(body, "project_path");
	if (!cJSON_IsString(p) || *p->valuestring == '\0') {
		*name = xstrdup("default");
		return (0);
	}
	if (!cJSON_IsString(path) || path->valuestring[0] != '/') {
		*name = xstrdup(p->valuestring);
		return (0);
	}
	return (store_project_resolve(store, p->valuestring,
	    path->valuestring, name, cause));
}
