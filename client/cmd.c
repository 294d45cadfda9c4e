/* cmd.c -- the stratus commands: options, requests, and what they print. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/ioctl.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/cmd.h"
#include "client/display.h"
#include "client/doctor.h"
#include "client/follow.h"
#include "client/cmd_queue.h"
#include "client/cmd_ws.h"
#include "client/gitmeta.h"
#include "client/pack.h"
#include "client/render.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/states.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

static int	cmd_run(struct cmd_global *, int, char **);
static int	cmd_submit(struct cmd_global *, int, char **);
static int	cmd_ls(struct cmd_global *, int, char **);
static int	cmd_show(struct cmd_global *, int, char **);
static int	cmd_logs(struct cmd_global *, int, char **);
static int	cmd_cancel(struct cmd_global *, int, char **);
static int	cmd_retry(struct cmd_global *, int, char **);
static int	cmd_wait(struct cmd_global *, int, char **);

#define CMD_LIVE_FETCH_MS	500	/* task states refreshed this often */
#define CMD_EXIT_INTERRUPTED	130	/* Ctrl-C in run */
static int	cmd_validate(struct cmd_global *, int, char **);

const struct cmd_entry cmd_table[] = {
	{ "run", cmd_run,
	  "[-f FILE] [-e K=V]... [--env-file F] [--dirty] [--project NAME]\n"
	  "           [--priority N] [--output tty|simple|github-actions] "
	  "[--cancel-on-interrupt] [--only] [TASK...]",
	  "submit this directory, follow every task, print results" },
	{ "submit", cmd_submit,
	  "[-f FILE] [-e K=V]... [--env-file F] [--dirty] [--project NAME]\n"
	  "           [--priority N] [--only] "
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

/* Options shared by run and submit. */
struct cmd_submit_opts {
	const char	 *file;
	cJSON		 *env;		/* {K: V} */
	struct tf_env	  tfenv;	/* -e, then the git tree's */
	struct tf_env	  git;		/* CIRRUS_BRANCH & co. */
	int		  dirty;
	const char	 *project;
	int		  priority;	/* --priority: higher runs first */
	char		**only;
	size_t		  nonly;
	int		  only_exact;	/* --only: not what they depend on */
	const char	 *output;	/* run: --output */
	int		  cancel_on_int;	/* run: --cancel-on-interrupt */
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

/* Read the task file: -f, else .cirrus.yml, else .cirrus.yaml. */
static char *
cmd_read_taskfile(const char *file, const char *cwd, const char **name,
    size_t *len)
{
	static const char	*dflt[] = { ".cirrus.yml", ".cirrus.yaml" };
	char			*text;
	size_t			 i;

	if (file != NULL) {
		*name = file;
		if ((text = read_file(file, API_MAX_TASKFILE, len)) == NULL)
			fprintf(stderr, "stratus: %s: %s\n", file,
			    errno == EFBIG ? "task file too large" :
			    strerror(errno));
		return (text);
	}
	for (i = 0; i < sizeof dflt / sizeof dflt[0]; i++) {
		*name = dflt[i];
		if ((text = read_file(dflt[i], API_MAX_TASKFILE, len)) != NULL)
			return (text);
		if (errno != ENOENT) {
			fprintf(stderr, "stratus: %s: %s\n", dflt[i],
			    errno == EFBIG ? "task file too large" :
			    strerror(errno));
			return (NULL);
		}
	}
	fprintf(stderr, "stratus: no .cirrus.yml in %s (use -f FILE)\n", cwd);
	return (NULL);
}

/* Read and parse the task file; NULL after printing the problem. */
static struct taskfile *
cmd_load_taskfile(const char *file, const struct tf_env *env, char **textp,
    const char **namep)
{
	struct tf_context	 ctx;
	struct tf_error		 err;
	struct taskfile		*tf = NULL;
	char			 cwd[PATH_MAX], msg[1024], *text;
	size_t			 len, i;

	if (getcwd(cwd, sizeof cwd) == NULL) {
		fprintf(stderr, "stratus: getcwd: %s\n", strerror(errno));
		return (NULL);
	}
	if ((text = cmd_read_taskfile(file, cwd, namep, &len)) == NULL)
		return (NULL);
	memset(&ctx, 0, sizeof ctx);
	ctx.env = env;
	memset(&err, 0, sizeof err);
	if (taskfile_parse(*namep, text, len, &ctx, &tf, &err) != 0) {
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

/* Take one -e KEY=VALUE; -1 after a usage message. */
static int
cmd_submit_setenv(struct cmd_submit_opts *o, const char *name,
    const char *kv)
{
	const char	*eq;
	char		*key;

	if ((eq = strchr(kv, '=')) == NULL || eq == kv) {
		cmd_usage(name, "-e wants KEY=VALUE, not '%s'", kv);
		return (-1);
	}
	key = xstrndup(kv, (size_t)(eq - kv));
	cJSON_DeleteItemFromObjectCaseSensitive(o->env, key);
	if (cJSON_AddStringToObject(o->env, key, eq + 1) == NULL)
		fatalx("out of memory");
	tf_env_set(&o->tfenv, key, eq + 1);
	free(key);
	return (0);
}

/* Parse run/submit options; returns -1 after a usage message. */
static int
cmd_submit_parse(const char *name, int argc, char **argv,
    struct cmd_submit_opts *o, int *help)
{
	static const struct option	 longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "dirty", no_argument, NULL, 'D' },
		{ "env-file", required_argument, NULL, 'F' },
		{ "project", required_argument, NULL, 'p' },
		{ "priority", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'O' },
		{ "cancel-on-interrupt", no_argument, NULL, 'C' },
		{ "only", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum display_mode		 mode;
	char				*key;
	int64_t				 prio;
	int				 ch, i;

	memset(o, 0, sizeof *o);
	*help = 0;
	o->env = cJSON_CreateObject();
	if (o->env == NULL)
		fatalx("out of memory");
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "f:e:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->file = optarg;
			break;
		case 'e':
			if (cmd_submit_setenv(o, name, optarg) == -1)
				return (-1);
			break;
		case 'D':
			o->dirty = 1;
			break;
		case 'F':
			if (cmd_env_file(optarg, o->env, &o->tfenv,
			    &key) != 0) {
				fprintf(stderr, "stratus %s: %s\n", name, key);
				free(key);
				return (-1);
			}
			break;
		case 'X':
			o->only_exact = 1;
			break;
		case 'p':
			if (*optarg == '\0') {
				cmd_usage(name, "empty project name%s", "");
				return (-1);
			}
			o->project = optarg;
			break;
		case 'P':
			if (parse_int64(optarg, -1000000, 1000000, &prio) ==
			    -1) {
				cmd_usage(name, "--priority takes a whole "
				    "number, not '%s'", optarg);
				return (-1);
			}
			o->priority = (int)prio;
			break;
		case 'O':
		case 'C':
			if (strcmp(name, "run") != 0) {
				cmd_badopt(name, argc, argv);
				return (-1);
			}
			if (ch == 'C')
				o->cancel_on_int = 1;
			else if (display_mode_parse(optarg, &mode) == -1) {
				cmd_usage(name, "--output is tty, simple or "
				    "github-actions, not '%s'", optarg);
				return (-1);
			} else
				o->output = optarg;
			break;
		case 'h':
			*help = 1;
			return (0);
		default:
			cmd_badopt(name, argc, argv);
			return (-1);
		}
	}
	for (i = optind; i < argc; i++) {
		o->only = xreallocarray(o->only, o->nonly + 1,
		    sizeof *o->only);
		o->only[o->nonly++] = argv[i];
	}
	return (0);
}

static void
cmd_submit_free(struct cmd_submit_opts *o)
{
	cJSON_Delete(o->env);
	tf_env_free(&o->tfenv);
	tf_env_free(&o->git);
	free(o->only);
}

/* Read the git tree's CIRRUS_* variables into o; -e keeps precedence. */
static void
cmd_submit_git(struct cmd_submit_opts *o, const char *cwd)
{
	size_t	 i;

	if (!gitmeta_read(cwd, &o->git))
		return;
	for (i = 0; i < o->git.n; i++) {
		if (tf_env_get(&o->tfenv, o->git.v[i].key) == NULL)
			tf_env_set(&o->tfenv, o->git.v[i].key,
			    o->git.v[i].value);
	}
}

/* Upload the packed directory unless the daemon has it already. */
static int
cmd_upload(struct cmd_global *g, const char *dir, char sha[SHA256_HEXLEN + 1],
    char **cause)
{
	struct pack	 p;
	char		*path;
	long		 status;
	int		 rv = -1;

	if (pack_dir(dir, &p, cause) != 0)
		return (-1);
	path = xasprintf("%s/blobs/%s", API_PREFIX, p.sha);
	if (http_head(g->h, path, &status, cause) != 0)
		goto out;
	if (status == 404 &&
	    http_put_file(g->h, path, p.path, "application/x-tar", cause) != 0)
		goto out;
	memcpy(sha, p.sha, sizeof p.sha);
	rv = 0;
out:
	free(path);
	pack_free(&p);
	return (rv);
}

/* Validate, pack, upload and POST the job; *jobp on success. */
static int
cmd_submit_job(struct cmd_global *g, struct cmd_submit_opts *o,
    cJSON **jobp, struct taskfile **tfp)
{
	struct taskfile	*tf;
	cJSON		*body = NULL, *only, *git;
	char		 cwd[PATH_MAX], sha[SHA256_HEXLEN + 1], *text = NULL;
	char		*cause = NULL, *project = NULL;
	const char	*name;
	size_t		 i;
	int		 rv = CMD_EXIT_ERROR;

	*jobp = NULL;
	*tfp = NULL;
	if (getcwd(cwd, sizeof cwd) == NULL) {
		fprintf(stderr, "stratus: getcwd: %s\n", strerror(errno));
		return (CMD_EXIT_ERROR);
	}
	cmd_submit_git(o, cwd);
	/* TASK arguments are prefixes of names or aliases: stratusd judges. */
	if ((tf = cmd_load_taskfile(o->file, &o->tfenv, &text, &name)) == NULL)
		return (CMD_EXIT_ERROR);
	/* stratusd tells apart two directories named alike (project_path). */
	project = o->project != NULL ? xstrdup(o->project) :
	    cmd_default_project(cwd, &o->git);

	if (!o->dirty && cmd_upload(g, cwd, sha, &cause) != 0) {
		rv = cmd_fail(g, cause);
		goto out;
	}

	if ((body = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(body, "project", project) == NULL ||
	    cJSON_AddStringToObject(body, "taskfile", text) == NULL ||
	    cJSON_AddStringToObject(body, "taskfile_name", name) == NULL ||
	    (o->dirty ? cJSON_AddNullToObject(body, "blob") :
	    cJSON_AddStringToObject(body, "blob", sha)) == NULL ||
	    (only = cJSON_AddArrayToObject(body, "only")) == NULL ||
	    cJSON_AddNumberToObject(body, "priority", o->priority) == NULL ||
	    (o->project == NULL && cJSON_AddStringToObject(body,
	    "project_path", cwd) == NULL) ||
	    (o->dirty ? cJSON_AddStringToObject(body, "dirty_path", cwd) :
	    cJSON_AddNullToObject(body, "dirty_path")) == NULL)
		fatalx("out of memory");
	cJSON_AddItemReferenceToObject(body, "env", o->env);
	if ((git = cJSON_AddObjectToObject(body, "git")) == NULL ||
	    (o->only_exact && cJSON_AddTrueToObject(body, "only_exact") == NULL))
		fatalx("out of memory");
	for (i = 0; i < o->git.n; i++) {
		if (cJSON_AddStringToObject(git, o->git.v[i].key,
		    o->git.v[i].value) == NULL)
			fatalx("out of memory");
	}
	for (i = 0; i < o->nonly; i++) {
		if (!cJSON_AddItemToArray(only, cJSON_CreateString(o->only[i])))
			fatalx("out of memory");
	}
	if (http_json(g->h, "POST", API_PREFIX "/jobs", body, jobp,
	    &cause) != 0) {
		rv = cmd_fail(g, cause);
		goto out;
	}
	*tfp = tf;
	tf = NULL;
	rv = CMD_EXIT_OK;
out:
	cJSON_Delete(body);
	if (tf != NULL)
		taskfile_free(tf);
	free(project);
	free(text);
	return (rv);
}

/* Whether every task of job has finished. */
static int
cmd_job_finished(const cJSON *job)
{
	const cJSON	*tasks, *t;
	int		 st;

	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	if (!cJSON_IsArray(tasks))
		return (1);
	cJSON_ArrayForEach(t, tasks) {
		st = state_from_name(render_jstr(t, "state") ?
		    render_jstr(t, "state") : "");
		if (st == -1 || !state_finished((enum task_state)st))
			return (0);
	}
	return (1);
}

/* Arm the logs of job's tasks (only one when task is set). */
static int
cmd_arm(struct follow *f, const cJSON *job, const char *task, int unfinished)
{
	const cJSON	*tasks, *t;
	const char	*name, *state;
	char		*id;
	int		 st, n = 0;

	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	if (!cJSON_IsArray(tasks))
		return (0);
	cJSON_ArrayForEach(t, tasks) {
		if ((name = render_jstr(t, "name")) == NULL)
			continue;
		id = render_jid(t);
		if (task != NULL && strcmp(task, name) != 0 &&
		    (id == NULL || strcmp(task, id) != 0)) {
			free(id);
			continue;
		}
		state = render_jstr(t, "state");
		st = state_from_name(state != NULL ? state : "");
		if (!unfinished || st == -1 ||
		    !state_finished((enum task_state)st)) {
			follow_task(f, name, id != NULL ? id : name);
			n++;
		}
		free(id);
	}
	return (n);
}

/* Fetch job id afresh into *job. */
static int
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

/*
 * Follow the logs of *job (one task when task is set) until they end and,
 * with FOLLOW_LIVE, until the tasks have finished; *job is refreshed.
 * Lines go to sink when not NULL; with tail, only the last tail lines of
 * what is there already.  0, 1 when interrupted, or -1 with cause.
 */
static int
cmd_follow(struct cmd_global *g, const char *id, cJSON **job,
    const char *task, int flags, const struct follow_sink *sink, size_t tail,
    char **cause)
{
	struct follow	*f;
	cJSON		*fresh;
	int		 rv = -1, r;

	f = follow_new(g->h, id, tail > 0 ? flags & ~FOLLOW_LIVE : flags);
	follow_set_sink(f, sink);
	follow_set_tail(f, tail);
	if (task != NULL && cmd_arm(f, *job, task, 0) == 0)
		follow_task(f, task, task);	/* let the daemon judge */
	else if (task == NULL)
		cmd_arm(f, *job, NULL, 0);
	for (;;) {
		if ((r = follow_run(f, cause)) != 0) {
			rv = r;
			goto out;
		}
		if (tail > 0) {
			/* What was there is printed: go on live from it. */
			tail = 0;
			follow_set_tail(f, 0);
			follow_set_flags(f, flags);
			if (!(flags & FOLLOW_LIVE))
				break;
			cmd_arm(f, *job, task, 0);
			continue;
		}
		if (cmd_get_job(g, id, &fresh, cause) != 0)
			goto out;
		cJSON_Delete(*job);
		*job = fresh;
		if (!(flags & FOLLOW_LIVE) || cmd_job_finished(*job))
			break;
		/* A log ended before its task did: give the daemon a moment. */
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
		if (cmd_arm(f, *job, task, 1) == 0 && task != NULL)
			break;
	}
	rv = 0;
out:
	follow_free(f);
	return (rv);
}

/* Print the final job event of a JSON follow. */
static int
cmd_job_event(const cJSON *job)
{
	cJSON	*ev;
	char	*text;

	if ((ev = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(ev, "event", "job") == NULL)
		fatalx("out of memory");
	cJSON_AddItemReferenceToObject(ev, "job", (cJSON *)job);
	if ((text = cJSON_PrintUnformatted(ev)) == NULL)
		fatalx("out of memory");
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(ev);
	return (fflush(stdout) == EOF ? -1 : 0);
}

/* What the live display's callbacks need. */
struct cmd_live_state {
	struct cmd_global	*g;
	const char		*id;
	struct display		*d;
	int64_t			 fetched;	/* monotonic ms */
};

static void
cmd_live_line(const char *task, const char *text, size_t len, void *arg)
{
	struct cmd_live_state	*ls = arg;

	display_line(ls->d, task, text, len);
}

static void
cmd_live_step(const char *task, const cJSON *marker, void *arg)
{
	struct cmd_live_state	*ls = arg;

	display_step(ls->d, task, marker);
}

/* Refresh task states now and then, and redraw. */
static void
cmd_live_tick(void *arg)
{
	struct cmd_live_state	*ls = arg;
	cJSON			*job;
	char			*cause = NULL;
	int64_t			 now = now_mono_ms();

	if (now - ls->fetched >= CMD_LIVE_FETCH_MS) {
		ls->fetched = now;
		if (cmd_get_job(ls->g, ls->id, &job, &cause) == 0) {
			display_job(ls->d, job, now);
			cJSON_Delete(job);
		} else
			free(cause);	/* the log streams report trouble */
	}
	display_draw(ls->d, now);
}

/* Ctrl-C: leave the job be (or cancel it) and say how to go on. */
static void
cmd_live_sigint(int sig)
{
	(void)sig;
	follow_interrupted = 1;
}

static void
cmd_live_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_live_sigint;
	sa.sa_flags = SA_RESETHAND;	/* a second Ctrl-C ends stratus */
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fprintf(stderr, "stratus: sigaction: %s\n", strerror(errno));
}

/* After Ctrl-C in run; returns the exit code. */
static int
cmd_interrupted(struct cmd_global *g, const struct cmd_submit_opts *o,
    const char *id)
{
	cJSON	*job = NULL;
	char	*cause = NULL, *path;

	if (!o->cancel_on_int) {
		fprintf(stderr, "\nstratus: job %s keeps running; follow it "
		    "with 'stratus logs -f %s', cancel it with "
		    "'stratus cancel %s'\n", id, id, id);
		return (CMD_EXIT_INTERRUPTED);
	}
	path = xasprintf("%s/jobs/%s/cancel", API_PREFIX, id);
	if (http_json(g->h, "POST", path, NULL, &job, &cause) != 0) {
		free(path);
		return (cmd_fail(g, cause));
	}
	free(path);
	cJSON_Delete(job);
	fprintf(stderr, "\nstratus: job %s cancelled\n", id);
	return (CMD_EXIT_INTERRUPTED);
}

/* Follow a job with the live display; as cmd_follow. */
static int
cmd_live(struct cmd_global *g, const struct cmd_submit_opts *o,
    const char *id, cJSON **job, char **cause)
{
	struct cmd_live_state	 ls;
	struct follow_sink	 sink;
	struct winsize		 ws;
	enum display_mode	 mode = DISPLAY_TTY;
	const char		*ci = getenv("CI"), *nc = getenv("NO_COLOR");
	const char		*term = getenv("TERM");
	int			 tty = isatty(STDOUT_FILENO), color, cols = 80;
	int			 r;

	if (o->output != NULL)
		(void)display_mode_parse(o->output, &mode);
	else if (!tty || (ci != NULL && strcmp(ci, "true") == 0))
		mode = DISPLAY_SIMPLE;
	color = tty && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	memset(&ls, 0, sizeof ls);
	ls.g = g;
	ls.id = id;
	ls.d = display_new(mode, color, cols);
	ls.fetched = now_mono_ms();
	display_job(ls.d, *job, ls.fetched);
	memset(&sink, 0, sizeof sink);
	sink.line = cmd_live_line;
	sink.step = cmd_live_step;
	sink.tick = cmd_live_tick;
	sink.arg = &ls;
	sink.tick_ms = mode == DISPLAY_TTY ? 100 : CMD_LIVE_FETCH_MS;
	r = cmd_follow(g, id, job, NULL, FOLLOW_LIVE, &sink, 0, cause);
	if (r == 0)
		display_end(ls.d, *job, now_mono_ms());
	else
		display_draw(ls.d, now_mono_ms());
	display_free(ls.d);
	return (r);
}

static int
cmd_run(struct cmd_global *g, int argc, char **argv)
{
	struct cmd_submit_opts	 o;
	struct taskfile		*tf = NULL;
	cJSON			*job = NULL;
	char			*id = NULL, *cause = NULL;
	int			 help, rv, r;

	if (cmd_submit_parse(argv[0], argc, argv, &o, &help) != 0) {
		rv = CMD_EXIT_ERROR;
		goto out;
	}
	if (help) {
		rv = cmd_help(argv[0]);
		goto out;
	}
	if ((rv = cmd_submit_job(g, &o, &job, &tf)) != CMD_EXIT_OK)
		goto out;
	if ((id = render_jid(job)) == NULL) {
		rv = cmd_fail(g, xstrdup("stratusd answered without a job id"));
		goto out;
	}
	if (!g->json)
		fprintf(stderr, "stratus: job %s submitted\n", id);
	cmd_live_signals();
	if (g->json)
		r = cmd_follow(g, id, &job, NULL, FOLLOW_LIVE | FOLLOW_JSON,
		    NULL, 0, &cause);
	else
		r = cmd_live(g, &o, id, &job, &cause);
	if (r == 1) {
		rv = cmd_interrupted(g, &o, id);
		goto out;
	}
	if (r != 0) {
		rv = cmd_fail(g, cause);
		goto out;
	}
	if (g->json && cmd_job_event(job) != 0) {
		rv = CMD_EXIT_ERROR;
		goto out;
	}
	rv = render_results(job, tf, 0) ? CMD_EXIT_FAILED : CMD_EXIT_OK;
out:
	if (tf != NULL)
		taskfile_free(tf);
	cJSON_Delete(job);
	free(id);
	cmd_submit_free(&o);
	return (rv);
}

static int
cmd_submit(struct cmd_global *g, int argc, char **argv)
{
	struct cmd_submit_opts	 o;
	struct taskfile		*tf = NULL;
	cJSON			*job = NULL;
	char			*id = NULL;
	int			 help, rv;

	if (cmd_submit_parse(argv[0], argc, argv, &o, &help) != 0) {
		rv = CMD_EXIT_ERROR;
		goto out;
	}
	if (help) {
		rv = cmd_help(argv[0]);
		goto out;
	}
	if ((rv = cmd_submit_job(g, &o, &job, &tf)) != CMD_EXIT_OK)
		goto out;
	if (g->json)
		rv = cmd_print_json(job);
	else if ((id = render_jid(job)) == NULL)
		rv = cmd_fail(g, xstrdup("stratusd answered without a job id"));
	else
		printf("%s\n", id);
out:
	if (tf != NULL)
		taskfile_free(tf);
	cJSON_Delete(job);
	free(id);
	cmd_submit_free(&o);
	return (rv);
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

/* Parse "CMD [-h] JOB"; returns the job id or NULL with *rv set. */
static const char *
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

/* Block until the job ends; exit 0 when it succeeded, 1 when not. */
static int
cmd_wait(struct cmd_global *g, int argc, char **argv)
{
	const char	*id;
	cJSON		*job = NULL;
	char		*cause = NULL;
	int		 rv;

	if ((id = cmd_job_arg(argc, argv, &rv)) == NULL)
		return (rv);
	for (;;) {
		if (cmd_get_job(g, id, &job, &cause) != 0)
			return (cmd_fail(g, cause));
		if (cmd_job_finished(job))
			break;
		cJSON_Delete(job);
		job = NULL;
		nanosleep(&(struct timespec){ 0, CMD_LIVE_FETCH_MS * 1000000L },
		    NULL);
	}
	rv = render_results(job, NULL, 0) ? CMD_EXIT_FAILED : CMD_EXIT_OK;
	if (g->json && cmd_print_json(job) != CMD_EXIT_OK)
		rv = CMD_EXIT_ERROR;
	cJSON_Delete(job);
	return (rv);
}

static int
cmd_logs(struct cmd_global *g, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*id, *task = NULL;
	cJSON				*job = NULL;
	char				*cause = NULL;
	int64_t				 n;
	size_t				 tail = 0;
	int				 ch, flags = 0, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "fn:th", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			flags |= FOLLOW_LIVE;
			break;
		case 'n':
			if (parse_int64(optarg, 1, FOLLOW_MAX_TAIL, &n) == -1)
				return (cmd_usage(argv[0], "--tail takes a number "
				    "of lines, not '%s'", optarg));
			tail = (size_t)n;
			break;
		case 't':
			flags |= FOLLOW_STAMPS;
			break;
		case 'h':
			return (cmd_help(argv[0]));
		default:
			return (cmd_badopt(argv[0], argc, argv));
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return (cmd_usage(argv[0], "%s", argc - optind < 1 ?
		    "which job?" : "one job and at most one task"));
	id = argv[optind];
	if (argc - optind == 2)
		task = argv[optind + 1];
	if (g->json)
		flags |= FOLLOW_JSON;
	else if (task == NULL)
		flags |= FOLLOW_PREFIX;

	if (cmd_get_job(g, id, &job, &cause) != 0)
		return (cmd_fail(g, cause));
	if (cmd_follow(g, id, &job, task, flags, NULL, tail, &cause) != 0) {
		rv = cmd_fail(g, cause);
		goto out;
	}
	rv = CMD_EXIT_OK;
	if (g->json && (flags & FOLLOW_LIVE) && cmd_job_event(job) != 0)
		rv = CMD_EXIT_ERROR;
out:
	cJSON_Delete(job);
	return (rv);
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
	cJSON				*j;
	const char			*file = NULL, *name;
	char				*text = NULL;
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
	if ((tf = cmd_load_taskfile(file, NULL, &text, &name)) == NULL)
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
