/* wsapi.h -- the API routes of the workspace: artifacts, secrets, caches. */
#ifndef DAEMON_WSAPI_H
#define DAEMON_WSAPI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "daemon/apiresp.h"

struct store;
struct store_job;

/* 1 when rest (the URL after "/v1") is one of these routes. */
int	wsapi_match(const char *rest);

/*
 *   GET    /v1/jobs/{id}/tasks/{task}/artifacts[/{path}]
 *   GET    /v1/secrets                 PUT /v1/secrets  {"name","value"}
 *   DELETE /v1/secrets/{name}
 *   GET    /v1/caches                  DELETE /v1/caches/{key}?project=P
 * Answers on c; body (len bytes) is borrowed.
 */
mhd_result	wsapi_handle(struct MHD_Connection *c, const char *state_dir,
		    struct store *, const char *method, const char *rest,
		    const char *query_project, const char *body, size_t len);

/* Add "artifacts": [{"path","size"}] to each task object of jobj (as
 * built by jobjson_job from j). */
void	wsapi_annotate_job(const char *state_dir, const struct store_job *j,
	    cJSON *jobj);

#endif
