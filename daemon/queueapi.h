/* queueapi.h -- the API routes of the queue itself: projects, pause, gc. */
#ifndef DAEMON_QUEUEAPI_H
#define DAEMON_QUEUEAPI_H

#include <cjson/cJSON.h>

struct api_env;
struct store;

/* 1 when rest (the URL after "/v1") is one of these routes. */
int	queueapi_match(const char *rest);

/*
 *   GET  /v1/projects                 {"projects": [...], "paused": bool}
 *   PUT  /v1/projects/{name}          {"max_running": N|null, "paused": b}
 *   POST /v1/queue/pause              POST /v1/queue/resume
 *   POST /v1/gc                       {"jobs_removed": N, "blobs_removed": M}
 * Returns the HTTP status and in *out the answer (caller deletes), an
 * error object {"error": {"code", "message"}} when not 2xx.
 */
int	queueapi_handle(const struct api_env *, const char *method,
	    const char *rest, const char *body, size_t len, cJSON **out);

/*
 * The project a submitted job goes to: "project", resolved against the
 * directory "project_path" when the client sent one (store_project_resolve),
 * else "default".  0 and *name (caller frees), or -1 with cause.
 */
int	queueapi_job_project(struct store *, const cJSON *body, char **name,
	    char **cause);

#endif
