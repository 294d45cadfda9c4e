/* recovery.c -- re-adopting the containers of tasks a dead stratusd left
 * running, and the output checkpoints that make it exact. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/logstore.h"
#include "daemon/podman.h"
#include "daemon/recovery.h"
#include "daemon/runner.h"
#include "daemon/scheduler.h"
#include "daemon/secrets.h"
#include "daemon/sidecars.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "proto/log.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

/* How often a running task's output position is committed. */
#define RECOVERY_CKPT_MS	1000
/* How often an adopted container's state and log are looked at. */
#define RECOVERY_POLL_MS	500

/* One adopted task, handed to the parser and log callbacks. */
struct adopt {
	const struct exec_env	*env;
	struct store_task	*task;
	struct runner_parser	 parser;
	int64_t			 skip;		/* log bytes already fed */
	int64_t			 primed;	/* bytes before raw_off re-parsed */
	int			 quiet;		/* re-parsing them: log nothing */
	int64_t			 seen;		/* bytes of this read so far */
	int64_t			 ckpt_ms;
	int			 cur_step;
	int64_t			 step_ts0;	/* runner clock at its begin */
	int64_t			 step_t0;	/* monotonic ms, likewise */
	int			 log_failed;
	struct secrets_mask	*mask;		/* the executor's masking */
	struct exec_control	*ctl;
	struct tf_task		 spec;		/* the task's, parsed once */
	int			 have_spec;
};

void
recovery_checkpoint(const struct exec_env *env, const struct store_task *t,
    const struct runner_parser *p, int64_t raw_off, int64_t *last_ms)
{
	char	*cause = NULL;
	int64_t	 now = now_mono_ms();

	/* Only where every byte fed is in the log and a line has ended,
	 * so a fresh parser replaying from raw_off is in the same state. */
	if (now - *last_ms < RECOVERY_CKPT_MS || p->npending != 0 ||
	    !p->at_bol)
		return;
	*last_ms = now;
	if (store_task_set_progress(env->store, t->id, NULL, raw_off,
	    logstore_length(env->logs, t->job_id, t->id, t->attempt),
	    &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", t->id, cause);
		free(cause);
	}
}

/* Append text to the log of a's task. */
static void
adopt_log(struct adopt *a, const char *s, size_t n)
{
	executor_log(a->env, a->task, &a->log_failed, s, n);
}

static void
adopt_masked(const char *s, size_t n, void *arg)
{
	adopt_log(arg, s, n);
}

int
recovery_containers(struct podman *pm, const char *instance, int64_t task_id,
    struct podman_container **list, size_t *n, char **cause)
{
	char	*label[3] = { NULL, NULL, NULL };
	int	 r;

	label[0] = xasprintf("stratus.instance=%s", instance);
	label[1] = xasprintf("stratus.task=%" PRId64, task_id);
	r = podman_container_list(pm, (const char *const *)label, list, n,
	    cause);
	free(label[0]);
	free(label[1]);
	return (r);
}

/* Replayed output masks secrets as the executor does. */
static void
adopt_output(const char *s, size_t n, void *arg)
{
	struct adopt	*a = arg;

	if (!a->quiet)
		secrets_mask_feed(a->mask, s, n);
}

/* A CIRRUS_ENV value to mask, also when reported before raw_off. */
static void
adopt_value(const char *value, void *arg)
{
	struct adopt	*a = arg;

	secrets_mask_add(a->mask, value);
}

static void
adopt_step(int idx, int begin, int rc, void *arg)
{
	struct adopt	*a = arg;

	int64_t		 ts = a->parser.ts_ms, dur = -1;

	if (idx < 0 || (size_t)idx >= a->task->nsteps)
		return;
	a->cur_step = begin ? idx : -1;
	if (begin) {
		rc = -1;
		a->step_ts0 = ts;
		a->step_t0 = now_mono_ms();
	} else if (ts >= 0 && a->step_ts0 >= 0 && ts >= a->step_ts0)
		dur = ts - a->step_ts0;	/* the runner's clock, as exec_step */
	if (a->quiet)
		return;
	/* Markers after the checkpoint were cut with the log: again. */
	executor_marker(a->env, a->task, &a->log_failed, idx, begin, rc,
	    dur >= 0 ? dur : now_mono_ms() - a->step_t0);
	executor_step(a->env, a->task, idx, begin, rc, dur);
}

/*
 * Podman's recorded output, from its start: feed what was not fed yet.
 * The output before raw_off, logged already, goes through the parser once
 * quietly first: the parser is then as the dead stratusd's was, and the
 * CIRRUS_ENV values reported before raw_off are masked again (as far as
 * Podman kept that output: a log driver that dropped its start loses them).
 */
static int
adopt_logs_cb(int stream, const char *s, size_t n, void *arg)
{
	struct adopt	*a = arg;
	int64_t		 drop, to;

	to = a->seen + (int64_t)n;
	if (to > a->task->raw_off)
		to = a->task->raw_off;
	if (a->primed >= a->seen && a->primed < to) {
		a->quiet = 1;
		runner_parser_feed(&a->parser, stream, s + (a->primed - a->seen),
		    (size_t)(to - a->primed));
		a->quiet = 0;
		a->primed = to;
	}
	if (a->seen < a->skip) {
		drop = a->skip - a->seen;
		if ((int64_t)n <= drop) {
			a->seen += (int64_t)n;
			return (0);
		}
		a->seen += drop;
		s += drop;
		n -= (size_t)drop;
	}
	runner_parser_feed(&a->parser, stream, s, n);
	a->seen += (int64_t)n;
	a->skip = a->seen;
	return (0);
}

/* Read the container's whole recorded output and feed the new part. */
static int
adopt_read(struct adopt *a, struct podman *pm, const char *id, char **cause)
{
	a->seen = 0;
	if (podman_container_logs(pm, id, adopt_logs_cb, a, cause) == -1)
		return (-1);
	recovery_checkpoint(a->env, a->task, &a->parser, a->skip, &a->ckpt_ms);
	return (0);
}

/* Find the task's container: 0 with *c filled, 1 when gone, -1. */
static int
adopt_find(struct adopt *a, struct podman *pm, struct podman_container *c,
    char **cause)
{
	struct podman_container	*list = NULL;
	size_t			 n = 0;
	int			 r;

	memset(c, 0, sizeof *c);
	if (a->task->container != NULL)
		return (podman_container_inspect(pm, a->task->container, c,
		    cause));
	/* Died between create and recording the id: look by label (not at
	 * its additional containers). */
	if (sidecars_main_containers(pm, a->env->instance, a->task->id,
	    &list, &n, cause) == -1)
		return (-1);
	if (n == 0) {
		podman_containers_free(list, n);
		return (1);
	}
	r = podman_container_inspect(pm, list[0].id, c, cause);
	podman_containers_free(list, n);
	return (r);
}

static void
adopt_ws_out(const char *s, size_t n, void *arg)
{
	struct adopt	*a = arg;

	executor_log(a->env, a->task, &a->log_failed, s, n);
}

static void
adopt_ws_say(void *arg, const char *line)
{
	struct adopt	*a = arg;

	executor_say(a->env, a->task, &a->log_failed, "%s", line);
}

/*
 * The container of a re-adopted task ran to its end: collect its artifacts
 * and save its caches as the executor would have, with the cache keys the
 * stratusd that died recorded before the steps ran.
 */
static void
adopt_collect(struct adopt *a, struct podman *pm, const char *id,
    int succeeded)
{
	struct store_job	*job = NULL;
	struct workspace	*ws;
	char			*cause = NULL;

	if (!a->have_spec) {
		log_warnx("task %" PRId64 ": artifacts not collected: its "
		    "spec does not parse", a->task->id);
		return;
	}
	if (store_job_get(a->env->store, a->task->job_id, &job,
	    &cause) != 0) {
		log_warnx("task %" PRId64 ": artifacts not collected: %s",
		    a->task->id, cause != NULL ? cause : "no job");
		free(cause);
		return;
	}
	ws = workspace_new(a->env, job, a->task, &a->spec, adopt_ws_out,
	    adopt_ws_say, a);
	if (workspace_adopt_caches(ws, &cause) == -1) {
		executor_say(a->env, a->task, &a->log_failed, "caches are not "
		    "saved after stratusd restarted: %s", cause);
		free(cause);
	}
	workspace_after(ws, pm, id, executor_workdir(&a->spec), succeeded);
	workspace_free(ws);
	store_job_free(job);
}

/*
 * The task's spec into a->spec (a->have_spec); left zeroed, which means the
 * defaults, when it does not parse.
 */
static void
adopt_spec(struct adopt *a)
{
	cJSON	*json;
	char	*cause = NULL;

	if ((json = cJSON_Parse(a->task->spec)) != NULL &&
	    tfjson_task_parse(json, &a->spec, &cause) == 0)
		a->have_spec = 1;
	else {
		log_warnx("task %" PRId64 ": its spec does not parse: %s",
		    a->task->id, cause != NULL ? cause : "bad JSON");
		memset(&a->spec, 0, sizeof a->spec);
	}
	free(cause);
	cJSON_Delete(json);
}

/*
 * The container was created but never started (or never created: id
 * NULL): start the task afresh.  The
 * store forgets the container before it is removed, so a crash in between
 * leaves at worst an unstarted container, never a task pointing at a
 * container that is gone.
 */
static void
adopt_requeue(struct adopt *a, struct podman *pm, const char *id)
{
	char	*cause = NULL;

	if (store_task_set_container(a->env->store, a->task->id, NULL,
	    &cause) == -1 ||
	    store_task_set_progress(a->env->store, a->task->id, NULL, 0, 0,
	    &cause) == -1 ||
	    logstore_truncate(a->env->logs, a->task->job_id, a->task->id,
	    a->task->attempt, 0, &cause) == -1 ||
	    store_task_set_state(a->env->store, a->task->id, TASK_QUEUED, -1,
	    NULL, &cause) == -1) {
		log_warnx("task %" PRId64 ": requeue: %s", a->task->id, cause);
		free(cause);
		return;
	}
	if (id != NULL && podman_container_remove(pm, id, &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", a->task->id, cause);
		free(cause);
		atomic_store(&a->ctl->orphaned, 1);
	}
	log_info("task %" PRId64 ": its container never started; requeued",
	    a->task->id);
}

static int
adopt_done_state(const char *state)
{
	return (state == NULL || (strcmp(state, "running") != 0 &&
	    strcmp(state, "paused") != 0 && strcmp(state, "stopping") != 0));
}

void
recovery_adopt(const struct exec_env *env, int64_t task_id,
    struct exec_control *ctl)
{
	struct adopt		 a;
	struct podman		*pm = NULL;
	struct podman_container	 c;
	char			*cause = NULL, *reason = NULL, *id = NULL;
	enum task_state		 st = TASK_ERRORED;
	int64_t			 deadline, timeout_s, cur, waited;
	int			 r = 0, stopping = 0, timed_out = 0, exit_code = -1;
	struct timespec		 ts;

	memset(&a, 0, sizeof a);
	memset(&c, 0, sizeof c);
	a.env = env;
	a.ctl = ctl;
	a.cur_step = -1;
	a.step_ts0 = -1;
	a.step_t0 = now_mono_ms();
	if (store_task_get(env->store, task_id, &a.task, &cause) != 0) {
		log_warnx("task %" PRId64 ": cannot load: %s", task_id,
		    cause != NULL ? cause : "not found");
		free(cause);
		return;
	}
	adopt_spec(&a);
	logstore_begin(env->logs, a.task->job_id, a.task->id,
	    a.task->attempt);
	if (podman_open(env->podman_url, &pm, &cause) == -1 ||
	    (r = adopt_find(&a, pm, &c, &cause)) == -1) {
		reason = xasprintf("stratusd restarted and cannot reach "
		    "Podman: %s", cause);
		goto done;
	}
	if (r == 1 && a.task->container == NULL) {
		/* Killed before its container existed: nothing of it ran. */
		adopt_requeue(&a, pm, NULL);
		logstore_finish(env->logs, a.task->job_id, a.task->id,
		    a.task->attempt);
		goto out;
	}
	if (r == 1) {
		reason = xstrdup("stratusd restarted and the task's container "
		    "is gone");
		goto done;
	}
	id = xstrdup(c.id);
	/* Never started ("initialized": runc created it, start never came). */
	if (a.task->nonce == NULL || strcmp(c.state, "created") == 0 ||
	    strcmp(c.state, "configured") == 0 ||
	    strcmp(c.state, "initialized") == 0) {
		adopt_requeue(&a, pm, id);
		logstore_finish(env->logs, a.task->job_id, a.task->id,
		    a.task->attempt);
		goto out;
	}
	log_info("task %" PRId64 ": re-adopting container %.12s (%s)",
	    a.task->id, id, c.state);

	/* Drop what was logged after the last checkpoint: it is replayed
	 * (with the times it first arrived at, logstore_rewind). */
	cur = logstore_length(env->logs, a.task->job_id, a.task->id,
	    a.task->attempt);
	if (cur > a.task->log_len && logstore_rewind(env->logs,
	    a.task->job_id, a.task->id, a.task->attempt, a.task->log_len,
	    &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", a.task->id, cause);
		free(cause);
		cause = NULL;
	}
	a.mask = workspace_mask_task(env, a.task, adopt_masked, &a);
	runner_parser_init(&a.parser, a.task->nonce, adopt_output, adopt_step,
	    &a);
	a.parser.value = adopt_value;
	a.skip = a.task->raw_off;
	a.ckpt_ms = now_mono_ms();
	/* The budget (executor_budget_ms) as a wall-clock deadline. */
	deadline = a.task->started_ms + executor_budget_ms(&a.spec, &timeout_s);
	for (;;) {
		if (adopt_read(&a, pm, id, &cause) == -1)
			break;
		if (adopt_done_state(c.state)) {
			exit_code = c.exit_code;
			break;
		}
		if (!stopping && (atomic_load(&ctl->cancel) ||
		    atomic_load(&ctl->shutdown) ||
		    (timed_out = now_wall_ms() >= deadline))) {
			stopping = 1;
			if (podman_container_stop(pm, id,
			    env->stop_timeout_s, &cause) == -1)
				break;
		}
		for (waited = 0; waited < RECOVERY_POLL_MS &&
		    !(!stopping && (atomic_load(&ctl->cancel) ||
		    atomic_load(&ctl->shutdown))); waited += 50) {
			ts.tv_sec = 0;
			ts.tv_nsec = 50 * 1000000L;
			nanosleep(&ts, NULL);
		}
		podman_container_clear(&c);
		if ((r = podman_container_inspect(pm, id, &c, &cause)) != 0) {
			if (r == 1)
				cause = xstrdup("the container disappeared");
			break;
		}
	}
	runner_parser_flush(&a.parser);
	secrets_mask_flush(a.mask);
	if (cause != NULL) {
		reason = xasprintf("lost the re-adopted container: %s", cause);
		goto remove;
	}
	if (a.parser.timed_out)
		timed_out = 1;	/* the runner's own watchdog ended the steps */
	adopt_collect(&a, pm, id, exit_code == 0 && !timed_out);
	st = executor_outcome(ctl, a.task, timed_out, timeout_s, a.cur_step,
	    &exit_code, &reason);
remove:
	free(cause);
	cause = NULL;
done:
	if (st == TASK_ERRORED || st == TASK_CANCELLED || timed_out)
		executor_say(env, a.task, &a.log_failed, "%s",
		    reason != NULL ? reason : state_name(st));
	executor_finish(env, a.task, st, exit_code, reason);
	/* After the result is committed, as in the executor. */
	if (id != NULL && podman_container_remove(pm, id, &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", a.task->id, cause);
		free(cause);
		cause = NULL;
		atomic_store(&ctl->orphaned, 1);
	}
	/* Its additional containers ran on with it; their pod goes now. */
	if (pm != NULL && sidecars_remove_task(pm, env->instance, a.task->id,
	    &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", a.task->id, cause);
		free(cause);
		cause = NULL;
	}
out:
	secrets_mask_free(a.mask);
	free(cause);
	free(reason);
	free(id);
	podman_container_clear(&c);
	podman_close(pm);
	if (a.have_spec)
		tf_task_free(&a.spec);
	store_task_free(a.task);
}

void
recovery_run(const struct exec_env *env, struct sched *sched)
{
	struct store_task	*tasks = NULL;
	size_t			 n = 0, i;
	char			*cause = NULL;

	if (store_tasks_in_state(env->store, TASK_RUNNING, &tasks, &n,
	    &cause) == -1)
		fatalx("recovery: %s", cause);
	for (i = 0; i < n; i++) {
		log_info("task %" PRId64 " was running when stratusd stopped",
		    tasks[i].id);
		sched_adopt(sched, tasks[i].id, recovery_adopt);
	}
	store_tasks_free(tasks, n);
}
