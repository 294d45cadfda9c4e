/* tfjson.h -- tasks to and from JSON: validate's output and stored specs. */
#ifndef PROTO_TFJSON_H
#define PROTO_TFJSON_H

#include <cjson/cJSON.h>

#include "proto/taskfile.h"

/* validate's shape: {"tasks":[{"name","alias","image","depends_on",...}],
 * "warnings":[...]}; caller frees with cJSON_Delete. */
cJSON	*tfjson_taskfile(const struct taskfile *);
/* One task, complete enough for tfjson_task_parse to rebuild it. */
cJSON	*tfjson_task(const struct tf_task *);
/* Rebuild a task from tfjson_task's output into *t; 0, or -1 with cause
 * (caller frees).  On success free t's members with tf_task_free. */
int	 tfjson_task_parse(const cJSON *, struct tf_task *t, char **cause);

#endif
