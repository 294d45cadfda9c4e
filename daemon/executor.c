/* executor.c -- one task attempt: image, container, snapshot, steps, result. */
#include <sys/resource.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/blobstore.h"
#include "daemon/events.h"
#include "daemon/executor.h"
#include "daemon/jobenv.h"
#include "daemon/logstore.h"
#include "daemon/podman.h"
#include "daemon/recovery.h"
#include "daemon/runner.h"
#include "daemon/sidecars.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/tfjson.h"
#include "proto/util.h"

/* How long after timeout_in the daemon stops a container whose runner
 * has not ended it (the runner's watchdog is the first line); a task with
 * on_timeout steps gets Cirrus's extra budget of 5 minutes for them. */
#define EXEC_TIMEOUT_GRACE_MS		30000
#define EXEC_ON_TIMEOUT_BUDGET_MS	(5 * 60 * 1000)
/* A runner script longer than this goes in as a file: one argument may
 * not exceed 128 KiB (MAX_ARG_STRLEN) when the container's shell starts. */
#define EXEC_SCRIPT_ARG_MAX		(96 * 1024)
#define EXEC_ENV_MAX			(128 * 1024)	/* MAX_ARG_STRLEN */

/* State of one run, handed to the Podman and runner callbacks. */
struct exec {
	const struct exec_env	*env;
	struct exec_control	*ctl;
	struct store_task	*task;
	struct store_job	*job;
	struct tf_task		 spec;
	int			 have_spec;
	int64_t			 deadline;	/* monotonic ms */
	int			 timed_out;
	int			 stopping;
	int			 cur_step;	/* step running, -1 none */
	int64_t			 step_t0;	/* monotonic ms the step began */
	struct runner_parser	*parser;	/* while the container runs */
	int64_t			 step_ts0;	/* runner clock at begin, -1 */
	int			 log_failed;
	struct workspace	*ws;		/* secrets, artifacts, caches */
	struct sidecars		*sc;		/* additional containers */
	int64_t			 raw_off;	/* container output bytes fed */
	int64_t			 ckpt_ms;	/* last checkpoint, monotonic */
	char			*container;	/* to remove once recorded */
};

/* Append text to task's log; a log that cannot be written is noted once
 * (*failed remembers it). */
void
executor_log(const struct exec_env *env, const struct store_task *task,
    int *failed, const char *s, size_t n)
{
	char	*cause = NULL;

	if (logstore_append(env->logs, task->job_id, task->id, task->attempt,
	    s, n, NULL, &cause) == -1) {
		if (!*failed)
			log_warnx("task %" PRId64 ": %s", task->id, cause);
		*failed = 1;
		free(cause);
	}
}

/* A line from Stratus itself in task's log (executor_log). */
void
executor_say(const struct exec_env *env, const struct store_task *task,
    int *failed, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *line;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("[stratus] %s\n", s);
	executor_log(env, task, failed, line, strlen(line));
	free(line);
	free(s);
}

/* A line from Stratus in the log of e's task. */
#define EXEC_SAY(e, ...)						\
	executor_say((e)->env, (e)->task, &(e)->log_failed, __VA_ARGS__)

/* Append text to the log of e's task. */
static void
exec_log(struct exec *e, const char *s, size_t n)
{
	executor_log(e->env, e->task, &e->log_failed, s, n);
}

static void
exec_output(const char *s, size_t n, void *arg)
{
	struct exec	*e = arg;

	if (e->ws != NULL)
		workspace_output(e->ws, s, n);	/* masks secrets */
	else
		exec_log(e, s, n);
}

/* A CIRRUS_ENV value the runner reported with CIRRUS_ENV_SENSITIVE. */
static void
exec_value(const char *value, void *arg)
{
	struct exec	*e = arg;

	if (e->ws != NULL)
		workspace_mask(e->ws, value);
}

/* The workspace's ways into the log. */
static void
exec_ws_out(const char *s, size_t n, void *arg)
{
	exec_log(arg, s, n);
}

static void
exec_ws_say(void *arg, const char *s)
{
	struct exec	*e = arg;

	EXEC_SAY(e, "%s", s);
}

void
executor_marker(const struct exec_env *env, const struct store_task *task,
    int *log_failed, int idx, int begin, int rc, int64_t dur_ms)
{
	cJSON	*o;
	char	*json, *line, *cause = NULL;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "event", begin ? "begin" : "end") ==
	    NULL ||
	    cJSON_AddStringToObject(o, "step", task->steps[idx].name) ==
	    NULL ||
	    cJSON_AddNumberToObject(o, "index", idx) == NULL ||
	    (!begin && (cJSON_AddNumberToObject(o, "exit_code", rc) == NULL ||
	    cJSON_AddNumberToObject(o, "duration_ms",
	    (double)(dur_ms >= 0 ? dur_ms : 0)) == NULL)) ||
	    (json = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("out of memory");
	cJSON_Delete(o);
	line = xasprintf("%s%s", API_STEP_MARKER, json);
	cJSON_free(json);
	if (logstore_mark(env->logs, task->job_id, task->id, task->attempt,
	    line, &cause) == -1) {
		if (!*log_failed)
			log_warnx("task %" PRId64 ": %s", task->id, cause);
		*log_failed = 1;
		free(cause);
	}
	free(line);
}

void
executor_step(const struct exec_env *env, const struct store_task *task,
    int idx, int begin, int rc, int64_t dur_ms)
{
	enum task_state	 st;
	char		*cause = NULL;

	if (begin)
		st = TASK_RUNNING;
	else
		st = rc == 0 ? TASK_SUCCEEDED : TASK_FAILED;
	if (store_step_set_state(env->store, task->id, idx, st,
	    begin ? -1 : rc, &cause) == -1 || (dur_ms >= 0 &&
	    store_step_set_times(env->store, task->id, idx,
	    now_wall_ms() - dur_ms, now_wall_ms(), &cause) == -1)) {
		log_warnx("task %" PRId64 " step %d: %s", task->id, idx,
		    cause);
		free(cause);
	}
}

static void
exec_step(int idx, int begin, int rc, void *arg)
{
	struct exec	*e = arg;
	int64_t		 ts, dur = -1;

	if (idx < 0 || (size_t)idx >= e->task->nsteps)
		return;
	ts = e->parser != NULL ? e->parser->ts_ms : -1;
	if (begin) {
		rc = -1;
		e->cur_step = idx;
		e->step_ts0 = ts;
	} else {
		e->cur_step = -1;
		/* Markers arrive in bursts: the runner's clock says how long
		 * the step took, not the times they reached us. */
		if (ts >= 0 && e->step_ts0 >= 0 && ts >= e->step_ts0)
			dur = ts - e->step_ts0;
	}
	if (begin)
		e->step_t0 = now_mono_ms();
	executor_marker(e->env, e->task, &e->log_failed, idx, begin, rc,
	    dur >= 0 ? dur : now_mono_ms() - e->step_t0);
	executor_step(e->env, e->task, idx, begin, rc, dur);
}

static int
exec_podman_output(int stream, const char *s, size_t n, void *arg)
{
	struct runner_parser	*p = arg;
	struct exec		*e = p->arg;

	runner_parser_feed(p, stream, s, n);
	e->raw_off += (int64_t)n;
	recovery_checkpoint(e->env, e->task, p, e->raw_off, &e->ckpt_ms);
	return (0);
}

/* Called while the container runs: nonzero asks Podman to stop it. */
static int
exec_poll(void *arg)
{
	struct runner_parser	*p = arg;
	struct exec		*e = p->arg;

	if (e->stopping)
		return (1);
	if (atomic_load(&e->ctl->cancel) || atomic_load(&e->ctl->shutdown))
		e->stopping = 1;
	else if (now_mono_ms() >= e->deadline) {
		e->timed_out = 1;
		e->stopping = 1;
	}
	return (e->stopping);
}

/* Asked while the additional containers get ready: give up? */
static int
exec_stopped(void *arg)
{
	struct exec	*e = arg;

	return (atomic_load(&e->ctl->cancel) || atomic_load(&e->ctl->shutdown));
}

static void
exec_pull_line(const char *line, void *arg)
{
	struct exec	*e = arg;

	EXEC_SAY(e, "%s", line);
}

/* Podman's create warnings; the one about limits names what was lost. */
static void
exec_warning(const char *w, void *arg)
{
	struct exec	*e = arg;

	if (strcasestr(w, "limit") == NULL ||
	    (e->spec.memory_mb <= 0 && e->spec.cpu <= 0)) {
		EXEC_SAY(e, "podman: %s", w);
		return;
	}
	if (e->spec.memory_mb > 0)
		EXEC_SAY(e, "memory limit %" PRId64 " MiB not applied: %s",
		    e->spec.memory_mb, w);
	if (e->spec.cpu > 0)
		EXEC_SAY(e, "cpu limit %g not applied: %s", e->spec.cpu, w);
}

const char *
executor_workdir(const struct tf_task *spec)
{
	const char	*w = tf_env_get(&spec->env, "CIRRUS_WORKING_DIR");

	return (w != NULL && *w == '/' ? w : CIRRUS_DEFAULT_WORKDIR);
}

int64_t
executor_budget_ms(const struct tf_task *spec, int64_t *timeout_s)
{
	int64_t	 t, extra = EXEC_TIMEOUT_GRACE_MS;
	size_t	 i;

	t = spec->timeout_s > 0 ? spec->timeout_s : TF_DEFAULT_TIMEOUT_S;
	for (i = 0; i < spec->nsteps; i++)
		if (spec->steps[i].when == WHEN_ON_TIMEOUT ||
		    spec->steps[i].when == WHEN_ALWAYS)
			extra = EXEC_ON_TIMEOUT_BUDGET_MS;
	if (timeout_s != NULL)
		*timeout_s = t;
	return (t * 1000 + extra);
}

/* The environment of the container: built-ins, then the task's, then -e. */
static char **
exec_env_list(struct exec *e, const char *workdir)
{
	struct tf_env	 env = { NULL, 0 };
	cJSON		*user = NULL, *it;
	char		 buf[32], **list;
	size_t		 i;

	tf_env_builtins(&env);
	tf_env_set(&env, "CIRRUS_WORKING_DIR", workdir);
	tf_env_set(&env, "CIRRUS_TASK_NAME", e->task->name);
	snprintf(buf, sizeof buf, "%" PRId64, e->task->id);
	tf_env_set(&env, "CIRRUS_TASK_ID", buf);
	snprintf(buf, sizeof buf, "%" PRId64, e->task->job_id);
	tf_env_set(&env, "CIRRUS_BUILD_ID", buf);
	if (e->spec.alias != NULL)
		tf_env_set(&env, "CIRRUS_TASK_NAME_ALIAS", e->spec.alias);
	/* The task's place among the job's tasks, in their order. */
	for (i = 0; i < e->job->ntasks; i++) {
		if (e->job->tasks[i].id != e->task->id)
			continue;
		snprintf(buf, sizeof buf, "%zu", i);
		tf_env_set(&env, "CI_NODE_INDEX", buf);
		snprintf(buf, sizeof buf, "%zu", e->job->ntasks);
		tf_env_set(&env, "CI_NODE_TOTAL", buf);
	}
	for (i = 0; i < e->spec.env.n; i++)
		tf_env_set(&env, e->spec.env.v[i].key, e->spec.env.v[i].value);
	if (e->job->env != NULL && (user = cJSON_Parse(e->job->env)) != NULL) {
		cJSON_ArrayForEach(it, user) {
			if (cJSON_IsString(it))
				tf_env_set(&env, it->string, it->valuestring);
		}
	}
	cJSON_Delete(user);
	list = xcalloc(env.n + 1, sizeof *list);
	for (i = 0; i < env.n; i++)
		list[i] = xasprintf("%s=%s", env.v[i].key, env.v[i].value);
	tf_env_free(&env);
	return (list);
}

/*
 * Linux passes no variable longer than 128 KiB ("K=V" with its NUL) to a
 * program it starts: say which one, rather than let every step fail.
 */
static int
exec_env_check(char *const *envl, char **cause)
{
	const char	*eq;
	size_t		 i, n;

	for (i = 0; envl[i] != NULL; i++) {
		if ((n = strlen(envl[i])) < EXEC_ENV_MAX)
			continue;
		eq = strchr(envl[i], '=');
		*cause = xasprintf("variable %.*s is %zu bytes: Linux passes at "
		    "most %d bytes in one variable to a program (put the value "
		    "in a file step instead)", eq != NULL ?
		    (int)(eq - envl[i]) : 64, envl[i], n, EXEC_ENV_MAX - 1);
		return (-1);
	}
	return (0);
}

/* runner_deferrable of the key of "KEY=VALUE" whose '=' is at eq. */
static int
exec_deferrable(const char *kv, const char *eq)
{
	char	*key;
	int	 ok;

	key = xstrndup(kv, (size_t)(eq - kv));
	ok = runner_deferrable(key);
	free(key);
	return (ok);
}

/*
 * Move the entries of envl whose values name variables ($X, ${X}) into a
 * new list (NULL-terminated, the caller's): the runner expands them in the
 * container, where the image's own variables (PATH, HOME) are known.
 */
static char **
exec_env_defer(char **envl)
{
	char	**out;
	char	 *eq;
	size_t	  i, w, n = 0;

	for (i = 0; envl[i] != NULL; i++)
		;
	out = xcalloc(i + 1, sizeof *out);
	for (i = 0, w = 0; envl[i] != NULL; i++) {
		if ((eq = strchr(envl[i], '=')) != NULL &&
		    shell_has_vars(eq + 1) && exec_deferrable(envl[i], eq))
			out[n++] = envl[i];
		else
			envl[w++] = envl[i];
	}
	envl[w] = NULL;
	return (out);
}

static void
exec_strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * The nofile limit for r_limits: Podman's API applies no default ulimits,
 * and runc refuses a hard limit above the service's own, so ask for our hard
 * limit (the service inherits it), capped at want.
 */
static int64_t
exec_rlimit(int resource, int64_t want)
{
	struct rlimit	 rl;

	if (getrlimit(resource, &rl) == -1 || rl.rlim_max == RLIM_INFINITY)
		return (want);
	return ((int64_t)rl.rlim_max < want ? (int64_t)rl.rlim_max : want);
}

/* Make sure the image is there, pulling it if needed. */
static int
exec_image(struct exec *e, struct podman *pm, char **cause)
{
	int	 exists;
	char	*why = NULL;

	if (workspace_image(e->ws, pm, cause) == -1)
		return (-1);
	if (podman_image_exists(pm, e->spec.image, &exists, cause) == -1)
		return (-1);
	if (exists)
		return (0);
	EXEC_SAY(e, "pulling image %s", e->spec.image);
	if (podman_image_pull(pm, e->spec.image, exec_pull_line, e,
	    &why) == -1) {
		*cause = xasprintf("image %s cannot be had: %s", e->spec.image,
		    why);
		free(why);
		return (-1);
	}
	return (0);
}

/*
 * Create the container and run the steps.  0 with *exit_code when the
 * container ran (whatever its exit code), -1 with cause when Podman failed.
 */
static int
exec_container(struct exec *e, struct podman *pm, int *exit_code,
    char **cause)
{
	struct podman_spec	 ps;
	struct podman_mount	 mnt;
	struct runner_parser	 parser;
	const char		*workdir = NULL;
	char			 nonce[RUNNER_NONCE_LEN + 1];
	char			*script = NULL, *id = NULL, *why = NULL;
	char			*fscript = NULL, *runcmd = NULL;
	char			*labels[5] = { NULL, NULL, NULL, NULL, NULL };
	char			**envl = NULL, **deferred = NULL;
	void			*blob = NULL;
	const char		*argv[4];
	size_t			 bloblen = 0;
	int			 r = -1, i;
	int64_t			 t0;

	workdir = executor_workdir(&e->spec);
	runner_nonce(nonce);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = NULL;		/* the script, once the env is known */
	argv[3] = NULL;
	labels[0] = xasprintf("stratus.job=%" PRId64, e->task->job_id);
	labels[1] = xasprintf("stratus.task=%" PRId64, e->task->id);
	labels[2] = xasprintf("stratus.attempt=%d", e->task->attempt);
	/* Several daemons (state dirs) of one user share a Podman. */
	labels[3] = xasprintf("stratus.instance=%s", e->env->instance);
	/* Before the env: workspace_env remembers the last list it saw. */
	t0 = now_mono_ms();
	if (sidecars_start(e->sc, pm, (const char *const *)labels,
	    exec_rlimit(RLIMIT_NOFILE, 65536), cause) == -1)
		goto out;
	/* The runner's timeout_in starts with the steps: so does ours. */
	e->deadline += now_mono_ms() - t0;
	envl = exec_env_list(e, workdir);
	if (exec_env_check(envl, cause) == -1)
		goto out;
	deferred = exec_env_defer(envl);
	if (workspace_env(e->ws, envl, cause) == -1)
		goto out;
	script = runner_script(&e->spec, nonce, deferred);
	if (strlen(script) <= EXEC_SCRIPT_ARG_MAX)
		argv[2] = script;
	else {
		fscript = xasprintf(".stratus-runner-%s", nonce);
		runcmd = xasprintf("exec /bin/sh /tmp/%s", fscript);
		argv[2] = runcmd;
	}

	memset(&ps, 0, sizeof ps);
	ps.image = e->spec.image;
	ps.command = argv;
	ps.env = (const char *const *)envl;
	ps.work_dir = workdir;
	ps.labels = (const char *const *)labels;
	ps.netns = e->env->netns;
	ps.pod = sidecars_pod(e->sc);
	ps.stop_timeout = e->env->stop_timeout_s;
	ps.nofile = exec_rlimit(RLIMIT_NOFILE, 65536);
	/* nproc is left alone: rootless Podman lowers its own hard limit. */
	if (e->spec.memory_mb > 0)
		ps.memory_bytes = e->spec.memory_mb * 1024 * 1024;
	if (e->spec.cpu > 0)
		ps.cpu_quota = (int64_t)(e->spec.cpu * 100000);
	if (e->job->dirty_path != NULL) {
		mnt.source = e->job->dirty_path;
		mnt.destination = workdir;
		mnt.readonly = 0;
		ps.mounts = &mnt;
		ps.nmounts = 1;
	}

	if (podman_container_create(pm, &ps, &id, exec_warning, e,
	    cause) == -1)
		goto out;
	if (store_task_set_container(e->env->store, e->task->id, id,
	    &why) == -1) {
		log_warnx("task %" PRId64 ": %s", e->task->id, why);
		free(why);
		why = NULL;
	}
	if (fscript != NULL && podman_container_put_file(pm, id, "/tmp",
	    fscript, script, strlen(script), 0600, cause) == -1)
		goto remove;
	if (e->job->blob != NULL) {
		if (blobstore_read(e->env->blobs, e->job->blob, &blob,
		    &bloblen, API_MAX_BLOB, cause) == -1)
			goto remove;
		if (podman_container_put_archive(pm, id, workdir, blob,
		    bloblen, cause) == -1)
			goto remove;
	}
	if (workspace_before(e->ws, pm, id, workdir, cause) == -1)
		goto remove;
	runner_parser_init(&parser, nonce, exec_output, exec_step, e);
	parser.value = exec_value;
	e->parser = &parser;
	e->step_ts0 = -1;
	/* Where a re-adopting stratusd picks up if this one dies. */
	if (store_task_set_progress(e->env->store, e->task->id, nonce, 0,
	    logstore_length(e->env->logs, e->task->job_id, e->task->id,
	    e->task->attempt), cause) == -1)
		goto remove;
	if (podman_container_run_attached(pm, id, exec_podman_output,
	    exec_poll, e->env->stop_timeout_s, &parser, exit_code,
	    cause) == -1) {
		runner_parser_flush(&parser);
		e->parser = NULL;
		goto remove;
	}
	runner_parser_flush(&parser);
	e->parser = NULL;
	/* The runner enforces timeout_in itself (then runs on_timeout). */
	if (parser.timed_out)
		e->timed_out = 1;
	workspace_after(e->ws, pm, id, workdir, *exit_code == 0 &&
	    !e->timed_out);
	r = 0;
remove:
	/* Removed only after the result is committed (executor_run): a crash
	 * in between must find the container, not report it gone. */
	e->container = id;
	id = NULL;
out:
	free(blob);
	free(id);
	free(script);
	free(fscript);
	free(runcmd);
	for (i = 0; i < 4; i++)
		free(labels[i]);
	exec_strv_free(envl);
	exec_strv_free(deferred);
	return (r);
}

/* Record the end of the task and of any step that never finished. */
void
executor_finish(const struct exec_env *env, const struct store_task *task,
    enum task_state st, int exit_code, const char *reason)
{
	char		*cause = NULL;
	size_t		 i;
	enum task_state	 ss;
	struct store_task *now = NULL;

	if (store_task_get(env->store, task->id, &now, &cause) == 0) {
		for (i = 0; i < now->nsteps; i++) {
			ss = now->steps[i].state;
			if (ss == TASK_RUNNING)
				ss = st == TASK_SUCCEEDED ? TASK_SUCCEEDED : st;
			else if (ss == TASK_QUEUED)
				ss = TASK_SKIPPED;
			else
				continue;
			if (store_step_set_state(env->store, task->id,
			    (int)i, ss, -1, &cause) == -1) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
		}
		store_task_free(now);
	} else {
		log_warnx("%s", cause);
		free(cause);
		cause = NULL;
	}
	/*
	 * The log is on disk and its length and the result committed before
	 * followers are told the log ended: a follower that then asks finds
	 * the task finished, not still running.
	 */
	logstore_sync(env->logs, task->job_id, task->id, task->attempt);
	if (store_task_set_log_len(env->store, task->id,
	    logstore_length(env->logs, task->job_id, task->id,
	    task->attempt), &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		cause = NULL;
	}
	if (store_task_set_state(env->store, task->id, st, exit_code,
	    reason, &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", task->id, cause);
		free(cause);
	}
	logstore_finish(env->logs, task->job_id, task->id, task->attempt);
	events_publish_job(env->store, task->job_id);
	log_info("task %" PRId64 " (%s) %s%s%s", task->id, task->name,
	    state_name(st), reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
}

static void
exec_finish(struct exec *e, enum task_state st, int exit_code,
    const char *reason)
{
	executor_finish(e->env, e->task, st, exit_code, reason);
}

enum task_state
executor_outcome(struct exec_control *ctl, const struct store_task *task,
    int timed_out, int64_t timeout_s, int cur_step, int *exit_code,
    char **reason)
{
	if (atomic_load(&ctl->cancel)) {
		*reason = xstrdup("cancelled by user");
		return (TASK_CANCELLED);
	}
	if (atomic_load(&ctl->shutdown)) {
		*reason = xstrdup("stratusd shut down");
		return (TASK_CANCELLED);
	}
	if (timed_out) {
		*reason = xasprintf("timed out after %" PRId64 "s", timeout_s);
		*exit_code = -1;	/* the reason says it, not 124 or 137 */
		return (TASK_FAILED);
	}
	if (*exit_code == 0)
		return (TASK_SUCCEEDED);
	if (cur_step >= 0 && (size_t)cur_step < task->nsteps)
		*reason = xasprintf("step '%s' did not finish",
		    task->steps[cur_step].name);
	return (TASK_FAILED);
}

void
executor_run(const struct exec_env *env, int64_t task_id,
    struct exec_control *ctl)
{
	struct exec	 e;
	struct podman	*pm = NULL;
	cJSON		*json = NULL;
	char		*cause = NULL, *reason = NULL;
	int		 exit_code = -1;
	enum task_state	 st = TASK_ERRORED;

	memset(&e, 0, sizeof e);
	e.env = env;
	e.ctl = ctl;
	e.cur_step = -1;
	if (store_task_get(env->store, task_id, &e.task, &cause) != 0 ||
	    store_job_get(env->store, e.task->job_id, &e.job, &cause) != 0) {
		log_warnx("task %" PRId64 ": cannot load: %s", task_id,
		    cause != NULL ? cause : "not found");
		free(cause);
		if (e.task != NULL) {
			cause = NULL;
			if (store_task_set_state(env->store, task_id,
			    TASK_ERRORED, -1, "cannot load task", &cause) == -1)
				free(cause);
		}
		goto out;
	}
	logstore_begin(env->logs, e.task->job_id, e.task->id, e.task->attempt);
	events_publish_job(env->store, e.task->job_id);
	if ((json = cJSON_Parse(e.task->spec)) == NULL ||
	    tfjson_task_parse(json, &e.spec, &cause) == -1) {
		reason = xasprintf("stored task is unreadable: %s",
		    cause != NULL ? cause : "bad JSON");
		goto done;
	}
	e.have_spec = 1;
	e.ws = workspace_new(env, e.job, e.task, &e.spec, exec_ws_out,
	    exec_ws_say, &e);
	e.sc = sidecars_new(env, e.task, &e.spec, e.ws, exec_output,
	    exec_stopped, &e);
	if (e.spec.image == NULL && e.spec.dockerfile == NULL) {
		reason = xasprintf("task '%s' has no container image",
		    e.task->name);
		goto done;
	}
	/* A backstop: the runner ends the steps at timeout_in itself and
	 * then runs the on_timeout steps. */
	e.deadline = now_mono_ms() + executor_budget_ms(&e.spec, NULL);
	if (podman_open(env->podman_url, &pm, &cause) == -1 ||
	    exec_image(&e, pm, &cause) == -1 ||
	    exec_container(&e, pm, &exit_code, &cause) == -1) {
		reason = cause;
		cause = NULL;
		if (atomic_load(&ctl->cancel)) {
			st = TASK_CANCELLED;
			free(reason);
			reason = xstrdup("cancelled");
		} else if (atomic_load(&ctl->shutdown)) {
			st = TASK_CANCELLED;
			free(reason);
			reason = xstrdup("stratusd shut down");
		}
		goto done;
	}
	st = executor_outcome(ctl, e.task, e.timed_out, e.spec.timeout_s > 0 ?
	    e.spec.timeout_s : (int64_t)TF_DEFAULT_TIMEOUT_S, e.cur_step,
	    &exit_code, &reason);
done:
	sidecars_report(e.sc, pm, st != TASK_SUCCEEDED);
	workspace_free(e.ws);
	e.ws = NULL;
	if (st == TASK_ERRORED || st == TASK_CANCELLED || e.timed_out)
		EXEC_SAY(&e, "%s", reason != NULL ? reason : state_name(st));
	exec_finish(&e, st, exit_code, reason);
	if (e.container != NULL && podman_container_remove(pm, e.container,
	    &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", e.task->id, cause);
		free(cause);
		cause = NULL;
		atomic_store(&ctl->orphaned, 1);
	}
out:
	/* After the task's container: the pod goes with what is left. */
	sidecars_free(e.sc, pm);
	free(e.container);
	free(reason);
	free(cause);
	cJSON_Delete(json);
	if (e.have_spec)
		tf_task_free(&e.spec);
	podman_close(pm);
	store_job_free(e.job);
	store_task_free(e.task);
}
