/* cmd.h -- the stratus commands, one function each, in one table. */
#ifndef CLIENT_CMD_H
#define CLIENT_CMD_H

#include <cjson/cJSON.h>

#include "client/http.h"
#include "proto/taskfile.h"

/* Exit codes of the command line (DESIGN.md, "Interface"). */
#define CMD_EXIT_OK	0
#define CMD_EXIT_FAILED	1	/* a task failed */
#define CMD_EXIT_ERROR	2	/* usage, task file or connection error */

struct cmd_global {
	struct http	*h;
	int		 json;
};

/* argv[0] is the command name; returns the exit code. */
typedef int (*cmd_fn)(struct cmd_global *, int argc, char **argv);

struct cmd_entry {
	const char	*name;
	cmd_fn		 fn;
	const char	*usage;		/* after "stratus NAME " */
	const char	*help;
};

extern const struct cmd_entry	cmd_table[];

/* The command called name, or NULL. */
const struct cmd_entry	*cmd_find(const char *name);

/* Helpers of every command file (cmd.c); each returns the exit code. */
int	cmd_usage(const char *name, const char *fmt, const char *arg);
/* Print cause (freed here) and how to start stratusd when unreachable. */
int	cmd_fail(struct cmd_global *, char *cause);
int	cmd_help(const char *name);
/* getopt's complaint about argv as a usage error. */
int	cmd_badopt(const char *name, int argc, char **argv);
int	cmd_print_json(const cJSON *);
/*
 * Read and parse -f FILE or .cirrus.yml as stratusd will: only_if and skip
 * see the built-ins and git's variables (either may be NULL), then the
 * file's, then user's (-e).  NULL after printing why.
 */
struct taskfile	*cmd_load_taskfile(const char *file, const struct tf_env *user,
		    const struct tf_env *git, char **textp, const char **namep);
/* Parse "CMD [-h] JOB"; the job id, or NULL with *rv the exit code. */
const char	*cmd_job_arg(int argc, char **argv, int *rv);
/* GET the job id into *job: 0, or -1 with cause (caller frees). */
int		 cmd_get_job(struct cmd_global *, const char *id, cJSON **job,
		    char **cause);

/*
 * Follow the logs of *job (one task when task is set) until they end and,
 * with FOLLOW_LIVE, until the job has ended; *job is kept up to date.
 * Lines, steps and task changes go to sink when not NULL; with tail, only
 * the last tail lines of what is there already.  0, 1 when interrupted,
 * or -1 with cause (caller frees).
 */
struct follow_sink;
int	cmd_follow(struct cmd_global *, const char *id, cJSON **job,
	    const char *task, int flags, const struct follow_sink *,
	    size_t tail, char **cause);
/* Print {"event":"job","job":{...}}: 0, or -1 when stdout failed. */
int	cmd_job_event(const cJSON *job);

/* The commands of cmd_run.c and cmd_logs.c. */
int	cmd_run(struct cmd_global *, int, char **);
int	cmd_submit(struct cmd_global *, int, char **);
int	cmd_logs(struct cmd_global *, int, char **);
int	cmd_wait(struct cmd_global *, int, char **);

#endif
