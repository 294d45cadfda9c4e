/* cmd_queue.h -- queue commands: projects, project set, pause, resume, gc. */
#ifndef CLIENT_CMD_QUEUE_H
#define CLIENT_CMD_QUEUE_H

#include "client/cmd.h"
#include "proto/taskfile.h"

int	cmd_projects(struct cmd_global *, int, char **);
int	cmd_project(struct cmd_global *, int, char **);
int	cmd_pause(struct cmd_global *, int, char **);
int	cmd_resume(struct cmd_global *, int, char **);
int	cmd_gc(struct cmd_global *, int, char **);

/*
 * The default project name of a submission from cwd: the repository name of
 * remote "origin" (CIRRUS_REPO_NAME in git, from gitmeta_read), else cwd's
 * last component.  Caller frees.
 */
char	*cmd_default_project(const char *cwd, const struct tf_env *git);

#endif
