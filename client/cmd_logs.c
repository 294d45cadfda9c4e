/* cmd_logs.c -- following a job: logs, wait, and the events of run --json. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "client/cmd.h"
#include "client/follow.h"
#include "client/render.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/states.h"
#include "proto/util.h"

#define CMD_POLL_MS	500	/* job state polled without the events route */

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

/* What cmd_follow's callbacks need. */
struct cmd_follower {
	struct cmd_global		*g;
	const char			*id;
	cJSON				**job;
	int				 flags;
	const struct follow_sink	*user;	/* NULL: print */
	struct follow			*f;
	int64_t				 fetched;	/* monotonic ms */
};

/* Tell the caller's sink that *job changed. */
static void
cmd_follower_changed(struct cmd_follower *cf)
{
	if (cf->user != NULL && cf->user->job != NULL)
		cf->user->job(*cf->job, cf->user->arg);
}

/* GET the job afresh; trouble is left for the log streams to report. */
static void
cmd_follower_fetch(struct cmd_follower *cf)
{
	cJSON	*fresh;
	char	*cause = NULL;

	cf->fetched = now_mono_ms();
	if (cmd_get_job(cf->g, cf->id, &fresh, &cause) != 0) {
		free(cause);
		return;
	}
	cJSON_Delete(*cf->job);
	*cf->job = fresh;
	cmd_follower_changed(cf);
}

/* Put task t (copied) in job's tasks, in place of the one with its id. */
static void
cmd_job_put_task(cJSON *job, const cJSON *t)
{
	cJSON	*tasks, *it, *dup;
	char	*id, *other;
	int	 i = 0, same;

	if ((tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks")) == NULL &&
	    (tasks = cJSON_AddArrayToObject(job, "tasks")) == NULL)
		fatalx("out of memory");
	if (!cJSON_IsArray(tasks) || (id = render_jid(t)) == NULL)
		return;
	if ((dup = cJSON_Duplicate(t, 1)) == NULL)
		fatalx("out of memory");
	cJSON_ArrayForEach(it, tasks) {
		other = render_jid(it);
		same = other != NULL && strcmp(id, other) == 0;
		free(other);
		if (same)
			break;
		i++;
	}
	free(id);
	if (it != NULL)
		cJSON_ReplaceItemInArray(tasks, i, dup);
	else
		cJSON_AddItemToArray(tasks, dup);
}

/* Copy the members of a job event's job_state into job. */
static void
cmd_job_put_state(cJSON *job, const cJSON *js)
{
	const cJSON	*it;
	cJSON		*dup;

	cJSON_ArrayForEach(it, js) {
		if (it->string == NULL || strcmp(it->string, "tasks") == 0)
			continue;
		if ((dup = cJSON_Duplicate(it, 1)) == NULL)
			fatalx("out of memory");
		if (cJSON_GetObjectItemCaseSensitive(job, it->string) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(job, it->string,
			    dup);
		else
			cJSON_AddItemToObject(job, it->string, dup);
	}
}

/* Print {"event":"task","task":t}. */
static void
cmd_task_event(const cJSON *t)
{
	cJSON	*ev;
	char	*text;

	if ((ev = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(ev, "event", "task") == NULL)
		fatalx("out of memory");
	cJSON_AddItemReferenceToObject(ev, "task", (cJSON *)t);
	if ((text = cJSON_PrintUnformatted(ev)) == NULL)
		fatalx("out of memory");
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(ev);
}

/* A task or job change from GET /v1/events. */
static void
cmd_follower_event(const char *type, const cJSON *data, void *arg)
{
	struct cmd_follower	*cf = arg;
	const cJSON		*t;

	if (strcmp(type, "gap") == 0) {
		cmd_follower_fetch(cf);
		return;
	}
	if (strcmp(type, "task") == 0) {
		t = cJSON_GetObjectItemCaseSensitive(data, "task");
		if (!cJSON_IsObject(t))
			return;
		cmd_job_put_task(*cf->job, t);
		if ((cf->flags & FOLLOW_JSON) && cf->user == NULL)
			cmd_task_event(t);
	} else
		cmd_job_put_state(*cf->job,
		    cJSON_GetObjectItemCaseSensitive(data, "job_state"));
	cmd_follower_changed(cf);
}

static void
cmd_follower_line(const char *task, const char *text, size_t len, void *arg)
{
	struct cmd_follower	*cf = arg;

	if (cf->user->line != NULL)
		cf->user->line(task, text, len, cf->user->arg);
}

static void
cmd_follower_step(const char *task, const cJSON *marker, void *arg)
{
	struct cmd_follower	*cf = arg;

	if (cf->user->step != NULL)
		cf->user->step(task, marker, cf->user->arg);
}

/* Without events, poll the job now and then; then the caller's tick. */
static void
cmd_follower_tick(void *arg)
{
	struct cmd_follower	*cf = arg;

	if (!follow_events_ok(cf->f) &&
	    now_mono_ms() - cf->fetched >= CMD_POLL_MS)
		cmd_follower_fetch(cf);
	if (cf->user->tick != NULL)
		cf->user->tick(cf->user->arg);
}

/* Follow a job's logs and events; see cmd.h. */
int
cmd_follow(struct cmd_global *g, const char *id, cJSON **job,
    const char *task, int flags, const struct follow_sink *sink, size_t tail,
    char **cause)
{
	struct cmd_follower	 cf;
	struct follow_sink	 wrap;
	struct follow		*f;
	cJSON			*fresh;
	int			 rv = -1, r;

	f = follow_new(g->h, id, tail > 0 ? flags & ~FOLLOW_LIVE : flags);
	memset(&cf, 0, sizeof cf);
	cf.g = g;
	cf.id = id;
	cf.job = job;
	cf.flags = flags;
	cf.user = sink;
	cf.f = f;
	cf.fetched = now_mono_ms();
	if (sink != NULL) {
		wrap = *sink;
		wrap.line = cmd_follower_line;
		wrap.step = cmd_follower_step;
		wrap.tick = cmd_follower_tick;
		wrap.arg = &cf;
		follow_set_sink(f, &wrap);
	}
	/* One task's follower needs no events: its log ends with it. */
	if (task == NULL && (flags & FOLLOW_LIVE))
		follow_set_events(f, cmd_follower_event, &cf);
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
int
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

/* wait needs only the job's end from the events. */
static void
cmd_wait_event(const char *type, const cJSON *data, void *arg)
{
	(void)type;
	(void)data;
	(void)arg;
}

/* Block until the job ends; exit 0 when it succeeded, 1 when not. */
int
cmd_wait(struct cmd_global *g, int argc, char **argv)
{
	struct follow	*f;
	const char	*id;
	cJSON		*job = NULL;
	char		*cause = NULL;
	int		 rv;

	if ((id = cmd_job_arg(argc, argv, &rv)) == NULL)
		return (rv);
	f = follow_new(g->h, id, FOLLOW_LIVE);
	follow_set_events(f, cmd_wait_event, NULL);
	for (;;) {
		if (cmd_get_job(g, id, &job, &cause) != 0) {
			rv = cmd_fail(g, cause);
			goto out;
		}
		if (cmd_job_finished(job))
			break;
		cJSON_Delete(job);
		job = NULL;
		/* Until the job's end event; polling when there are none. */
		if (follow_events_ok(f) && !follow_job_done(f)) {
			if (follow_run(f, &cause) != 0) {
				rv = cmd_fail(g, cause);
				goto out;
			}
		} else
			nanosleep(&(struct timespec){ 0,
			    CMD_POLL_MS * 1000000L }, NULL);
	}
	rv = render_results(job, NULL, 0) ? CMD_EXIT_FAILED : CMD_EXIT_OK;
	if (g->json && cmd_print_json(job) != CMD_EXIT_OK)
		rv = CMD_EXIT_ERROR;
out:
	follow_free(f);
	cJSON_Delete(job);
	return (rv);
}

int
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
