/* cmd_ws.h -- workspace commands: artifacts, secret, cache; and --env-file. */
#ifndef CLIENT_CMD_WS_H
#define CLIENT_CMD_WS_H

#include <cjson/cJSON.h>

#include "client/cmd.h"
#include "proto/taskfile.h"

int	cmd_artifacts(struct cmd_global *, int, char **);
/*
 * List job jid's artifacts (task's only, unless NULL) and, with dir, fetch
 * them below it (DIR/TASK/PATH, or DIR/PATH for one task); quiet says only
 * how many, on stderr.  An exit code.
 */
int	cmd_artifacts_get(struct cmd_global *, const char *jid,
	    const char *task, const char *dir, int quiet);
int	cmd_secret(struct cmd_global *, int, char **);
int	cmd_cache(struct cmd_global *, int, char **);

/*
 * Read KEY=VALUE lines of path (blank lines and "#" comments skipped, an
 * "export " prefix allowed) into env and tfenv; keys already in env (from
 * -e) are kept.  0, or -1 with cause (caller frees).
 */
int	cmd_env_file(const char *path, cJSON *env, struct tf_env *tfenv,
	    char **cause);

#endif
