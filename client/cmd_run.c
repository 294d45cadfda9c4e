/* cmd_run.c -- run and submit: options, upload, the live display, Ctrl-C. */

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
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/cmd.h"
#include "client/cmd_queue.h"
#include "client/cmd_ws.h"
#include "client/display.h"
#include "client/follow.h"
#include "client/gitchanges.h"
#include "client/gitmeta.h"
#include "client/pack.h"
#include "client/render.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/taskfile.h"
#include "proto/util.h"

#define CMD_LIVE_TICK_MS	500	/* redraws without a terminal */
#define CMD_EXIT_INTERRUPTED	130	/* Ctrl-C in run */

/* Options shared by run and submit. */
struct cmd_submit_opts {
	const char	 *file;
	cJSON		 *env;		/* {K: V} */
	struct tf_env	  tfenv;	/* -e */
	struct tf_env	  git;		/* CIRRUS_BRANCH & co. */
	int		  dirty;
	const char	 *project;
	int		  priority;	/* --priority: higher runs first */
	char		**only;
	size_t		  nonly;
	int		  only_exact;	/* --only: not what they depend on */
	const char	 *output;	/* run: --output */
	int		  cancel_on_int;	/* run: --cancel-on-interrupt */
	const char	 *artifacts_dir;	/* run: --artifacts-dir */
	const char	 *affected;	/* --affected-files A,B,... */
};

/*
 * Take one -e KEY=VALUE, or -e KEY for this shell's value of KEY (as
 * cirrus run does); -1 after a usage message.
 */
static int
cmd_submit_setenv(struct cmd_submit_opts *o, const char *name,
    const char *kv)
{
	const char	*eq, *value;
	char		*key;

	if ((eq = strchr(kv, '=')) == NULL && shell_is_name(kv)) {
		if ((value = getenv(kv)) == NULL) {
			cmd_usage(name, "-e %s: it is not set here (give "
			    "-e NAME=VALUE)", kv);
			return (-1);
		}
		key = xstrdup(kv);
	} else if (eq == NULL || eq == kv) {
		cmd_usage(name, "-e wants KEY=VALUE or KEY, not '%s'", kv);
		return (-1);
	} else {
		key = xstrndup(kv, (size_t)(eq - kv));
		value = eq + 1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o->env, key);
	if (cJSON_AddStringToObject(o->env, key, value) == NULL)
		fatalx("out of memory");
	tf_env_set(&o->tfenv, key, value);
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
		{ "environment", required_argument, NULL, 'e' },
		{ "dirty", no_argument, NULL, 'D' },
		{ "env-file", required_argument, NULL, 'F' },
		{ "project", required_argument, NULL, 'p' },
		{ "priority", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'O' },
		{ "cancel-on-interrupt", no_argument, NULL, 'C' },
		{ "only", no_argument, NULL, 'X' },
		{ "artifacts-dir", required_argument, NULL, 'A' },
		{ "affected-files", required_argument, NULL, 'a' },
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
	while ((ch = getopt_long(argc, argv, "f:e:o:h", longopts, NULL)) !=
	    -1) {
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
		case 'a':
			o->affected = optarg;
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
		case 'o':
		case 'O':
		case 'A':
		case 'C':
			if (strcmp(name, "run") != 0) {
				cmd_badopt(name, argc, argv);
				return (-1);
			}
			if (ch == 'C')
				o->cancel_on_int = 1;
			else if (ch == 'A')
				o->artifacts_dir = optarg;
			else if (strcmp(optarg, "auto") != 0 &&
			    display_mode_parse(optarg, &mode) == -1) {
				cmd_usage(name, "--output is auto, tty, simple or "
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

/* --affected-files A,B,...: the changed files, as given. */
static void
cmd_affected_json(const char *list, cJSON *body)
{
	cJSON	*arr;
	char	*copy, *w, *next;

	if ((arr = cJSON_AddArrayToObject(body, "changed_files")) == NULL)
		fatalx("out of memory");
	copy = xstrdup(list);
	for (w = copy; w != NULL; w = next) {
		if ((next = strchr(w, ',')) != NULL)
			*next++ = '\0';
		if (*w != '\0' &&
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(w)))
			fatalx("out of memory");
	}
	free(copy);
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
	(void)gitmeta_read(cwd, &o->git);	/* the git tree's CIRRUS_* */
	/* TASK arguments are prefixes of names or aliases: stratusd judges. */
	if ((tf = cmd_load_taskfile(o->file, &o->tfenv, &o->git, &text,
	    &name)) == NULL)
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
	/* For changesInclude(): --affected-files, as cirrus run's, or the
	 * work tree's last commit and what is not committed. */
	if (o->affected != NULL)
		cmd_affected_json(o->affected, body);
	else
		gitchanges_to_json(cwd, body);
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

/*
 * Parse the options of run or submit into o (freed by the caller in any
 * case) and submit: CMD_EXIT_OK with *job and *tf, or with *job NULL after
 * --help; else the exit code.
 */
static int
cmd_submit_start(struct cmd_global *g, int argc, char **argv,
    struct cmd_submit_opts *o, cJSON **job, struct taskfile **tf)
{
	int	help;

	*job = NULL;
	*tf = NULL;
	if (cmd_submit_parse(argv[0], argc, argv, o, &help) != 0)
		return (CMD_EXIT_ERROR);
	if (help)
		return (cmd_help(argv[0]));
	return (cmd_submit_job(g, o, job, tf));
}

/* What the live display's callbacks need. */
struct cmd_live_state {
	struct display		*d;
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

/* The job changed: new task states and durations. */
static void
cmd_live_job(const cJSON *job, void *arg)
{
	struct cmd_live_state	*ls = arg;

	display_job(ls->d, job, now_mono_ms());
}

/* Spinner and elapsed times. */
static void
cmd_live_tick(void *arg)
{
	struct cmd_live_state	*ls = arg;

	display_draw(ls->d, now_mono_ms());
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
	const char		*term = getenv("TERM"), *gh;
	int			 tty = isatty(STDOUT_FILENO), color, cols = 80;
	int			 r;

	/* auto, as cirrus run: GitHub Actions' folds there, plain lines on
	 * a non-terminal or under CI=true, else the live display. */
	gh = getenv("GITHUB_ACTIONS");
	if (o->output != NULL && strcmp(o->output, "auto") != 0)
		(void)display_mode_parse(o->output, &mode);
	else if (gh != NULL && strcmp(gh, "true") == 0)
		mode = DISPLAY_GITHUB;
	else if (!tty || (ci != NULL && strcmp(ci, "true") == 0))
		mode = DISPLAY_SIMPLE;
	color = tty && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	memset(&ls, 0, sizeof ls);
	ls.d = display_new(mode, color, cols);
	display_job(ls.d, *job, now_mono_ms());
	memset(&sink, 0, sizeof sink);
	sink.line = cmd_live_line;
	sink.step = cmd_live_step;
	sink.tick = cmd_live_tick;
	sink.job = cmd_live_job;
	sink.arg = &ls;
	sink.tick_ms = mode == DISPLAY_TTY ? 100 : CMD_LIVE_TICK_MS;
	r = cmd_follow(g, id, job, NULL, FOLLOW_LIVE, &sink, 0, cause);
	if (r == 0)
		display_end(ls.d, *job, now_mono_ms());
	else
		display_draw(ls.d, now_mono_ms());
	display_free(ls.d);
	return (r);
}

int
cmd_run(struct cmd_global *g, int argc, char **argv)
{
	struct cmd_submit_opts	 o;
	struct taskfile		*tf = NULL;
	cJSON			*job = NULL;
	char			*id = NULL, *cause = NULL;
	int			 rv, r;

	if ((rv = cmd_submit_start(g, argc, argv, &o, &job, &tf)) !=
	    CMD_EXIT_OK || job == NULL)
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
	/* As cirrus run --artifacts-dir: DIR/TASK/PATH, whatever the result. */
	if (o.artifacts_dir != NULL &&
	    cmd_artifacts_get(g, id, NULL, o.artifacts_dir, 1) != CMD_EXIT_OK)
		rv = CMD_EXIT_ERROR;
out:
	if (tf != NULL)
		taskfile_free(tf);
	cJSON_Delete(job);
	free(id);
	cmd_submit_free(&o);
	return (rv);
}

int
cmd_submit(struct cmd_global *g, int argc, char **argv)
{
	struct cmd_submit_opts	 o;
	struct taskfile		*tf = NULL;
	cJSON			*job = NULL;
	char			*id = NULL;
	int			 rv;

	if ((rv = cmd_submit_start(g, argc, argv, &o, &job, &tf)) !=
	    CMD_EXIT_OK || job == NULL)
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
