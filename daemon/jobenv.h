/* jobenv.h -- the variables a job's submitter sends about its git tree. */
#ifndef DAEMON_JOBENV_H
#define DAEMON_JOBENV_H

#include <cjson/cJSON.h>

#include "proto/taskfile.h"

#define JOBENV_MAX_VARS		32
#define JOBENV_MAX_VALUE	(16u << 10)

/*
 * Check git, the "git" object of a job submission ({"CIRRUS_BRANCH": "main",
 * ...}; NULL or JSON null: none), and add its variables to out.  Only
 * CIRRUS_* names with string values, at most JOBENV_MAX_VARS of them.
 * 0, or -1 with *cause (caller frees).
 */
int	jobenv_git(const cJSON *git, struct tf_env *out, char **cause);

/* Put pre's variables in front of t's own, which keep precedence. */
void	jobenv_prepend(struct tf_task *t, const struct tf_env *pre);

#endif
