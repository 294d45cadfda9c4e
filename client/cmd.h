/* cmd.h -- the stratus commands, one function each, in one table. */
#ifndef CLIENT_CMD_H
#define CLIENT_CMD_H

#include <cjson/cJSON.h>

#include "client/http.h"

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

#endif
