/* api.h -- constants of the HTTP API shared by stratusd and stratus. */
#ifndef PROTO_API_H
#define PROTO_API_H

/* Bump when routes, shapes or the state table change incompatibly. */
#define API_VERSION		1
#define API_PREFIX		"/v1"

/* Largest request bodies the daemon accepts. */
#define API_MAX_JSON_BODY	(4u << 20)	/* POST /v1/jobs and friends */
#define API_MAX_BLOB		(1024ull << 20)	/* PUT /v1/blobs/{sha256} */
#define API_MAX_TASKFILE	(1u << 20)

/*
 * A line of a task log that starts with this is a step marker written by
 * stratusd, followed by one JSON object (doc/log-format.md).
 */
#define API_STEP_MARKER		"\036stratus-step "

/*
 * GET .../log?timestamps=1 puts before every line the time stratusd got
 * its first byte, RFC 3339 UTC with milliseconds ("2024-05-01T12:34:56.789Z",
 * always this long), then a space (doc/log-format.md, "Timestamps").
 */
#define API_STAMP_LEN		24

/* Default working directory of a task, as Cirrus CI. */
#define CIRRUS_DEFAULT_WORKDIR	"/tmp/cirrus-ci-build"

/*
 * Routes (see doc/api.md):
 *   GET  /v1/health
 *   HEAD /v1/blobs/{sha256}          PUT /v1/blobs/{sha256}
 *   POST /v1/jobs  {project, taskfile, taskfile_name, blob, env{}, only[]}
 *   GET  /v1/jobs?project=&state=&limit=&cursor=
 *   GET  /v1/jobs/{id}
 *   POST /v1/jobs/{id}/cancel        POST /v1/jobs/{id}/retry
 *   GET  /v1/jobs/{id}/tasks/{task}/log?offset=N&follow=1&timestamps=1
 *   GET  /v1/events?job=N&since=ID&follow=0   (SSE; Last-Event-ID resumes)
 * {task} is a task's numeric id or its name within the job.
 */

#endif
