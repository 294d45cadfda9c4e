/* cmd.c -- the stratus commands: options, requests, and what they print. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/cmd.h"
#include "client/doctor.h"
#include "client/gitmeta.h"
#include "client/cmd_queue.h"
#include "client/cmd_ws.h"
#include "client/render.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/states.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

static int	cmd_ls(struct cmd_global *, int, char **);
static int	cmd_show(struct cmd_global *, int, char **);
static int	cmd_cancel(struct cmd_global *, int, char **);
static int	cmd_retry(struct cmd_global *, int, char **);
static int	cmd_validate(struct cmd_global *, int, char **);

const struct cmd_entry cmd_table[] = {
	{ "run", cmd_run,
	  "[-f FILE] [-e K[=V]]... [--env-file F] [--dirty] [--project NAME]\n"
	  "           [--priority N] [-o|--output auto|tty|simple|github-actions]"
	  "\n           [--cancel-on-interrupt] [--artifacts-dir DIR] "
	  "[--affected-files A,B]\n           [--only] [TASK...]",
	  "submit this directory, follow every task, print results" },
	{ "submit", cmd_submit,
	  "[-f FILE] [-e K[=V]]... [--env-file F] [--dirty] [--project NAME]\n"
	  "           [--priority N] [--affected-files A,B] [--only] "
	  "[TASK...]",
	  "submit this directory and print the job id" },
	{ "ls", cmd_ls, "[--project P] [--state S] [--limit N]",
	  "list jobs, newest first" },
	{ "show", cmd_show, "JOB", "show a job with its tasks and steps" },
	{ "logs", cmd_logs, "[-f] [--tail N] [--timestamps] JOB [TASK]",
	  "print a task's (or every task's) log; -f follows" },
	{ "cancel", cmd_cancel, "JOB", "stop a queued or running job" },
	{ "retry", cmd_retry, "JOB", "requeue a finished job" },
	{ "wait", cmd_wait, "JOB",
	  "wait for the job to end; exit 0 when it succeeded, 1 when not" },
	{ "artifacts", cmd_artifacts, "JOB [TASK] [-o DIR]",
	  "list a job's artifacts, or download them into DIR" },
	{ "secret", cmd_secret, "set NAME | ls | rm NAME",
	  "keep secrets for ENCRYPTED[NAME] values (set reads stdin)" },
	{ "cache", cmd_cache, "ls | rm KEY [--project P]",
	  "list or remove cache entries" },
	{ "validate", cmd_validate, "[-f FILE]",
	  "check the task file and print its task graph" },
	{ "doctor", cmd_doctor, "[--podman URL]",
	  "check that rootless Podman and stratusd are ready" },
	{ "projects", cmd_projects, "",
	  "list projects with their limits, pause flags and counts" },
	{ "project", cmd_project, "set NAME --max-running N|none",
	  "set a project's own limit of tasks at once" },
	{ "pause", cmd_pause, "[--project P]",
	  "start nothing new (in the whole queue, or in one project)" },
	{ "resume", cmd_resume, "[--project P]", "undo pause" },
	{ "gc", cmd_gc, "", "remove old finished jobs now (stratusd --keep)" },
	{ NULL, NULL, NULL, NULL }
};

/* Look up a command by name. */
const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	*c;

	for (c = cmd_table; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return (c);
	}
	return (NULL);
}

/* Complain about usage and return the usage exit code. */
int
cmd_usage(const char *name, const char *fmt, const char *arg)
{
	const struct cmd_entry	*c = cmd_find(name);

	fprintf(stderr, "stratus %s: ", name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: stratus %s %s\n", name,
	    c != NULL ? c->usage : "");
	return (CMD_EXIT_ERROR);
}

/* Print cause (freed here) and, when nothing answered, how to start it. */
int
cmd_fail(struct cmd_global *g, char *cause)
{
	fprintf(stderr, "stratus: %s\n", cause);
	if (g->h != NULL && http_unreachable(g->h))
		fprintf(stderr, "stratus: start it with 'stratusd &' or "
		    "'systemctl --user start stratus.socket'\n");
	free(cause);
	return (CMD_EXIT_ERROR);
}

/* Help text of a command on stdout. */
int
cmd_help(const char *name)
{
	const struct cmd_entry	*c = cmd_find(name);

	if (c != NULL)
		printf("usage: stratus %s %s\n  %s\n", c->name, c->usage,
		    c->help);
	return (CMD_EXIT_OK);
}

/* Handle getopt's complaint for argv; returns the usage exit code. */
int
cmd_badopt(const char *name, int argc, char **argv)
{
	const char	*opt = optind - 1 < argc ? argv[optind - 1] : "?";
	char		 shortopt[3] = "-?";

	if (optopt != 0 && optopt != '?') {
		shortopt[1] = (char)optopt;
		opt = shortopt;
	}
	return (cmd_usage(name, "bad option or missing argument '%s'", opt));
}

/* Print a daemon object as JSON; returns the exit code. */
int
cmd_print_json(const cJSON *j)
{
	char	*text;

	if ((text = cJSON_PrintUnformatted(j)) == NULL) {
		fprintf(stderr, "stratus: cannot encode JSON\n");
		return (CMD_EXIT_ERROR);
	}
	printf("%s\n", text);
	cJSON_free(text);
	return (CMD_EXIT_OK);
}

/* Why the task file named file could not be read (errno). */
static void
cmd_taskfile_unread(const char *file)
{
	if (errno == EFBIG)
		fprintf(stderr, "stratus: %s: task file larger than %u bytes, "
		    "the most stratusd accepts\n", file, API_MAX_TASKFILE);
	else
		fprintf(stderr, "stratus: %s: %s\n", file, strerror(errno));
}

/* Read the task file: -f, else .cirrus.yml, else .cirrus.yaml. */
static char *
cmd_read_taskfile(const char *file, const char *cwd, const char **name,
    size_t *len)
{
	static const char	*dflt[] = { ".cirrus.yml", ".cirrus.yaml" };
	char			*text;
	size_t			 i;
	int			 star;

	if (file != NULL) {
		*name = file;
		if ((text = read_file(file, API_MAX_TASKFILE, len)) == NULL)
			cmd_taskfile_unread(file);
		return (text);
	}
	star = access(".cirrus.star", F_OK) == 0;
	for (i = 0; i < nitems(dflt); i++) {
		*name = dflt[i];
		if ((text = read_file(dflt[i], API_MAX_TASKFILE, len)) != NULL) {
			if (star)
				fprintf(stderr, "stratus: .cirrus.star is not "
				    "read (Starlark is not supported here): "
				    "its tasks do not run, only %s's\n", dflt[i]);
			return (text);
		}
		if (errno != ENOENT) {
			cmd_taskfile_unread(dflt[i]);
			return (NULL);
		}
	}
	if (star)
		fprintf(stderr, "stratus: %s has only .cirrus.star: Starlark "
		    "is not supported here; write the tasks in .cirrus.yml\n",
		    cwd);
	else
		fprintf(stderr, "stratus: no .cirrus.yml in %s (use -f FILE)\n",
		    cwd);
	return (NULL);
}

/* Read and parse the task file; NULL after printing the problem. */
struct taskfile *
cmd_load_taskfile(const char *file, const struct tf_env *user,
    const struct tf_env *git, char **textp, const char **namep)
{
	struct tf_context	 ctx;
	struct tf_env		 base = { NULL, 0 };
	struct tf_error		 err;
	struct taskfile		*tf = NULL;
	char			 cwd[PATH_MAX], msg[1024], *text;
	size_t			 len, i;
	int			 rc;

	if (getcwd(cwd, sizeof cwd) == NULL) {
		fprintf(stderr, "stratus: getcwd: %s\n", strerror(errno));
		return (NULL);
	}
	if ((text = cmd_read_taskfile(file, cwd, namep, &len)) == NULL)
		return (NULL);
	tf_env_builtins(&base);
	for (i = 0; git != NULL && i < git->n; i++)
		tf_env_set(&base, git->v[i].key, git->v[i].value);
	memset(&ctx, 0, sizeof ctx);
	ctx.env = user;
	ctx.base = &base;
	memset(&err, 0, sizeof err);
	rc = taskfile_parse(*namep, text, len, &ctx, &tf, &err);
	tf_env_free(&base);
	if (rc != 0) {
		tf_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "%s\n", msg);
		free(text);
		return (NULL);
	}
	for (i = 0; i < tf->nwarnings; i++)
		fprintf(stderr, "%s\n", tf->warnings[i]);
	*textp = text;
	return (tf);
}

static int
cmd_ls(struct cmd_global *g, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "project", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf			 path;
	cJSON				*list = NULL;
	char				*cause = NULL, *esc;
	const char			*project = NULL, *state = NULL;
	int64_t				 limit = 0;
	int				 ch, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "p:s:n:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			project = optarg;
			break;
		case 's':
			if (state_from_name(optarg) == -1)
				return (cmd_usage(argv[0], "unknown state '%s'",
				    optarg));
			state = optarg;
			break;
		case 'n':
			if (parse_int64(optarg, 1, 100000, &limit) != 0)
				return (cmd_usage(argv[0], "bad limit '%s'",
				    optarg));
			break;
		case 'h':
			return (cmd_help(argv[0]));
		default:
			return (cmd_badopt(argv[0], argc, argv));
		}
	}
	if (optind != argc)
		return (cmd_usage(argv[0], "unexpected '%s'", argv[optind]));

	buf_init(&path, 0);
	buf_printf(&path, "%s/jobs?", API_PREFIX);
	if (project != NULL) {
		esc = http_escape(project);
		buf_printf(&path, "project=%s&", esc);
		free(esc);
	}
	if (state != NULL)
		buf_printf(&path, "state=%s&", state);
	if (limit != 0)
		buf_printf(&path, "limit=%lld&", (long long)limit);
	path.data[--path.len] = '\0';	/* the last '&' or '?' */
	if (http_json(g->h, "GET", path.data, NULL, &list, &cause) != 0)
		rv = cmd_fail(g, cause);
	else if (g->json)
		rv = cmd_print_json(list);
	else {
		render_ls(list);
		rv = CMD_EXIT_OK;
	}
	cJSON_Delete(list);
	buf_free(&path);
	return (rv);
}

/* Fetch job id afresh into *job. */
int
cmd_get_job(struct cmd_global *g, const char *id, cJSON **job, char **cause)
{
	char	*esc, *path;
	int	 rv;

	esc = http_escape(id);
	path = xasprintf("%s/jobs/%s", API_PREFIX, esc);
	rv = http_json(g->h, "GET", path, NULL, job, cause);
	free(path);
	free(esc);
	return (rv);
}

/* Parse "CMD [-h] JOB"; returns the job id or NULL with *rv set. */
const char *
cmd_job_arg(int argc, char **argv, int *rv)
{
	static const struct option	 longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int				 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			*rv = cmd_help(argv[0]);
			return (NULL);
		}
		*rv = cmd_badopt(argv[0], argc, argv);
		return (NULL);
	}
	if (argc - optind != 1) {
		*rv = cmd_usage(argv[0], "%s", argc - optind == 0 ?
		    "which job?" : "one job at a time");
		return (NULL);
	}
	return (argv[optind]);
}

static int
cmd_show(struct cmd_global *g, int argc, char **argv)
{
	const char	*id;
	cJSON		*job = NULL;
	char		*cause = NULL;
	int		 rv;

	if ((id = cmd_job_arg(argc, argv, &rv)) == NULL)
		return (rv);
	if (cmd_get_job(g, id, &job, &cause) != 0)
		return (cmd_fail(g, cause));
	if (g->json)
		rv = cmd_print_json(job);
	else {
		render_show(job);
		rv = CMD_EXIT_OK;
	}
	cJSON_Delete(job);
	return (rv);
}

/* POST /v1/jobs/ID/action and print the job. */
static int
cmd_action(struct cmd_global *g, int argc, char **argv, const char *action)
{
	const char	*id;
	cJSON		*job = NULL;
	char		*cause = NULL, *esc, *path, *jid;
	int		 rv;

	if ((id = cmd_job_arg(argc, argv, &rv)) == NULL)
		return (rv);
	esc = http_escape(id);
	path = xasprintf("%s/jobs/%s/%s", API_PREFIX, esc, action);
	free(esc);
	if (http_json(g->h, "POST", path, NULL, &job, &cause) != 0) {
		free(path);
		return (cmd_fail(g, cause));
	}
	free(path);
	if (g->json)
		rv = cmd_print_json(job);
	else {
		jid = render_jid(job);
		printf("job %s %s\n", jid != NULL ? jid : id,
		    render_jstr(job, "state") != NULL ?
		    render_jstr(job, "state") : "?");
		free(jid);
		rv = CMD_EXIT_OK;
	}
	cJSON_Delete(job);
	return (rv);
}

static int
cmd_cancel(struct cmd_global *g, int argc, char **argv)
{
	return (cmd_action(g, argc, argv, "cancel"));
}

static int
cmd_retry(struct cmd_global *g, int argc, char **argv)
{
	return (cmd_action(g, argc, argv, "retry"));
}

static int
cmd_validate(struct cmd_global *g, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct taskfile			*tf;
	struct tf_env			 git = { NULL, 0 };
	cJSON				*j;
	const char			*file = NULL, *name;
	char				*text = NULL, cwd[PATH_MAX];
	int				 ch, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'h':
			return (cmd_help(argv[0]));
		default:
			return (cmd_badopt(argv[0], argc, argv));
		}
	}
	if (optind != argc)
		return (cmd_usage(argv[0], "unexpected '%s'", argv[optind]));
	/* The git tree's variables, as stratus run would send them. */
	if (getcwd(cwd, sizeof cwd) != NULL)
		(void)gitmeta_read(cwd, &git);
	tf = cmd_load_taskfile(file, NULL, &git, &text, &name);
	tf_env_free(&git);
	if (tf == NULL)
		return (CMD_EXIT_ERROR);
	if (g->json) {
		if ((j = tfjson_taskfile(tf)) == NULL) {
			fprintf(stderr, "stratus: cannot encode the task file\n");
			rv = CMD_EXIT_ERROR;
		} else
			rv = cmd_print_json(j);
		cJSON_Delete(j);
	} else {
		render_validate(tf);
		rv = CMD_EXIT_OK;
	}
	taskfile_free(tf);
	free(text);
	return (rv);
}
