/* jobjson.h -- the API's JSON shapes of jobs, tasks and steps. */
#ifndef DAEMON_JOBJSON_H
#define DAEMON_JOBJSON_H

#include <cjson/cJSON.h>

#include "daemon/store.h"

/* {"id","project","state","created_at","started_at","finished_at",
 *  "tasks":[...]} (tasks only when loaded); caller frees with cJSON_Delete. */
cJSON	*jobjson_job(const struct store_job *);
/* {"id","name","state","exit_code","reason","duration_ms","attempt",
 *  "steps":[{"name","kind","state","exit_code","duration_ms"}]} */
cJSON	*jobjson_task(const struct store_task *);

#endif
