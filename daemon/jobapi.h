/* jobapi.h -- job submission over the HTTP API: parse, select, insert. */
#ifndef DAEMON_JOBAPI_H
#define DAEMON_JOBAPI_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/apiresp.h"

struct api_env;

/*
 * POST /v1/jobs: data (len bytes, borrowed) is the JSON body
 * {"taskfile", "taskfile_name", "project", "project_path", "blob",
 * "dirty_path", "git", "env", "changed_files", "only", "only_exact",
 * "priority"}; answers 201 with the queued job.
 */
mhd_result	jobapi_submit(const struct api_env *, struct MHD_Connection *,
		    const char *data, size_t len);
/* Answer with job id and its tasks, with status. */
mhd_result	jobapi_show(const struct api_env *, struct MHD_Connection *,
		    int64_t id, int status);

#endif
