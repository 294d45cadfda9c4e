/* sidecars.c -- a task's additional containers: one pod whose network the
 * task's container shares, ready before the steps, gone after the task. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/executor.h"
#include "daemon/podman.h"
#include "daemon/podpod.h"
#include "daemon/portprobe.h"
#include "daemon/recovery.h"
#include "daemon/sidecars.h"
#include "daemon/store.h"
#include "daemon/workspace.h"
#include "proto/log.h"
#include "proto/taskfile.h"
#include "proto/util.h"

#define SC_TAIL_LINES	20		/* output lines kept for the log */
#define SC_LINE_MAX	1024		/* bytes kept of one line */
#define SC_POLL_MS	200		/* between readiness checks */
#define SC_PROBE_S	10L		/* one readiness_command, at most */
#define SC_NAP_MS	50		/* stop is asked this often */

/* The last lines of an output stream. */
struct sc_tail {
	char		*line[SC_TAIL_LINES];	/* ring; oldest at next */
	size_t		 next;
	size_t		 n;
	struct buf	 part;			/* the line being read */
};

struct sc_one {
	const struct tf_sidecar	*spec;
	struct sidecars		*sc;
	char			*id;		/* created */
	char		       **envl;		/* "K=V", NULL-terminated */
	int			 ready;
	int			 blind;		/* its ports cannot be seen */
	char			*why;		/* why not ready at last look */
	struct sc_tail		 probe;		/* last readiness_command */
};

struct sidecars {
	const struct exec_env	*env;
	const struct store_task	*task;
	const struct tf_task	*spec;
	struct workspace	*ws;
	void			(*out)(const char *, size_t, void *);
	int			(*stop)(void *);
	void			*arg;
	char			*pod;
	struct sc_one		*v;
	size_t			 n;
	int			 reported;	/* output tails said */
};

static void	sc_say(struct sidecars *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* A "[stratus] ..." line in the task log. */
static void
sc_say(struct sidecars *sc, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *line;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("[stratus] %s\n", s);
	sc->out(line, strlen(line), sc->arg);
	free(line);
	free(s);
}

static void
sc_tail_init(struct sc_tail *t)
{
	memset(t, 0, sizeof *t);
	buf_init(&t->part, SC_LINE_MAX);
}

static void
sc_tail_free(struct sc_tail *t)
{
	size_t	i;

	for (i = 0; i < SC_TAIL_LINES; i++)
		free(t->line[i]);
	buf_free(&t->part);
	memset(t, 0, sizeof *t);
}

/* End the line being read (empty lines are kept too). */
static void
sc_tail_push(struct sc_tail *t)
{
	char	*s;

	s = buf_steal(&t->part, NULL);
	if (s == NULL)
		s = xstrdup("");
	s[strcspn(s, "\r")] = '\0';
	free(t->line[t->next]);
	t->line[t->next] = s;
	t->next = (t->next + 1) % SC_TAIL_LINES;
	if (t->n < SC_TAIL_LINES)
		t->n++;
}

/* A podman_output_cb keeping the last lines of both streams. */
static int
sc_tail_feed(int stream, const char *s, size_t n, void *arg)
{
	struct sc_tail	*t = arg;
	const char	*nl;
	size_t		 k, room;

	(void)stream;
	while (n > 0) {
		nl = memchr(s, '\n', n);
		k = nl != NULL ? (size_t)(nl - s) : n;
		room = SC_LINE_MAX - t->part.len;
		buf_add(&t->part, s, k < room ? k : room);
		if (nl == NULL)
			break;
		sc_tail_push(t);
		s += k + 1;
		n -= k + 1;
	}
	return (0);
}

/* Say the lines held, oldest first, each after prefix. */
static void
sc_tail_say(struct sidecars *sc, struct sc_tail *t, const char *prefix)
{
	size_t	i, at;

	if (t->part.len > 0)
		sc_tail_push(t);
	at = (t->next + SC_TAIL_LINES - t->n) % SC_TAIL_LINES;
	for (i = 0; i < t->n; i++)
		sc_say(sc, "%s: %s", prefix, t->line[(at + i) %
		    SC_TAIL_LINES]);
}

/* The last lines of a container's output into the log. */
static void
sc_say_output(struct sidecars *sc, struct podman *pm, struct sc_one *o)
{
	struct sc_tail	 t;
	char		*why = NULL;

	if (o->id == NULL)
		return;
	sc_tail_init(&t);
	if (podman_container_logs(pm, o->id, sc_tail_feed, &t, &why) == -1) {
		sc_say(sc, "%s: no output to show: %s", o->spec->name, why);
		free(why);
	} else
		sc_tail_say(sc, &t, o->spec->name);
	sc_tail_free(&t);
}

struct sidecars *
sidecars_new(const struct exec_env *env, const struct store_task *task,
    const struct tf_task *spec, struct workspace *ws,
    void (*out)(const char *, size_t, void *), int (*stop)(void *), void *arg)
{
	struct sidecars	*sc;
	size_t		 i;

	sc = xcalloc(1, sizeof *sc);
	sc->env = env;
	sc->task = task;
	sc->spec = spec;
	sc->ws = ws;
	sc->out = out;
	sc->stop = stop;
	sc->arg = arg;
	sc->n = spec->nsidecars;
	if (sc->n != 0)
		sc->v = xcalloc(sc->n, sizeof *sc->v);
	for (i = 0; i < sc->n; i++) {
		sc->v[i].spec = &spec->sidecars[i];
		sc->v[i].sc = sc;
		sc_tail_init(&sc->v[i].probe);
	}
	return (sc);
}

const char *
sidecars_pod(const struct sidecars *sc)
{
	return (sc != NULL ? sc->pod : NULL);
}

/* A NULL-terminated copy of labels with two more; the strings are not
 * copied, the array is the caller's. */
static const char **
sc_labels(const char *const *labels, const char *a, const char *b)
{
	const char	**v;
	size_t		  n, i;

	for (n = 0; labels[n] != NULL; n++)
		;
	v = xcalloc(n + 3, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = labels[i];
	v[n] = a;
	v[n + 1] = b;
	return (v);
}

/* Pull the image unless Podman has it. */
static void
sc_pull_line(const char *line, void *arg)
{
	sc_say(arg, "%s", line);
}

static int
sc_image(struct sidecars *sc, struct podman *pm, const struct tf_sidecar *s,
    char **cause)
{
	char	*why = NULL;
	int	 exists;

	if (podman_image_exists(pm, s->image, &exists, cause) == -1)
		return (-1);
	if (exists)
		return (0);
	sc_say(sc, "pulling image %s for additional container %s", s->image,
	    s->name);
	if (podman_image_pull(pm, s->image, sc_pull_line, sc, &why) == -1) {
		*cause = xasprintf("additional container '%s': image %s "
		    "cannot be had: %s", s->name, s->image, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Podman's create warnings (limits cgroup v1 ignores) into the log. */
static void
sc_warning(const char *w, void *arg)
{
	struct sc_one	*o = arg;

	sc_say(o->sc, "additional container %s: podman: %s", o->spec->name, w);
}

/* Create and start one additional container in the pod. */
static int
sc_create(struct sidecars *sc, struct podman *pm, struct sc_one *o,
    const char *const *labels, int64_t nofile, char **cause)
{
	const struct tf_sidecar	*s = o->spec;
	struct podman_spec	 ps;
	const char		**argv = NULL, **lv;
	char			*name, *why = NULL;
	size_t			 i;
	int			 rv = -1;

	o->envl = xcalloc(s->env.n + 1, sizeof *o->envl);
	for (i = 0; i < s->env.n; i++)
		o->envl[i] = xasprintf("%s=%s", s->env.v[i].key,
		    s->env.v[i].value);
	if (sc->ws != NULL && workspace_env(sc->ws, o->envl, &why) == -1) {
		*cause = xasprintf("additional container '%s': %s", s->name,
		    why);
		free(why);
		return (-1);
	}
	if (s->command != NULL) {
		argv = xcalloc(s->ncommand + 1, sizeof *argv);
		for (i = 0; i < s->ncommand; i++)
			argv[i] = s->command[i];
	}
	name = xasprintf("stratus.sidecar=%s", s->name);
	lv = sc_labels(labels, "stratus.role=sidecar", name);

	memset(&ps, 0, sizeof ps);
	ps.image = s->image;
	ps.command = argv;
	ps.env = (const char *const *)o->envl;
	ps.labels = lv;
	ps.pod = sc->pod;
	ps.nofile = nofile;
	ps.stop_timeout = sc->env->stop_timeout_s;
	if (s->memory_mb > 0)
		ps.memory_bytes = s->memory_mb * 1024 * 1024;
	if (s->cpu > 0)
		ps.cpu_quota = (int64_t)(s->cpu * 100000);
	sc_say(sc, "starting additional container %s (%s)", s->name,
	    s->image);
	if (podman_container_create(pm, &ps, &o->id, sc_warning, o,
	    &why) == -1 || podman_container_start(pm, o->id, &why) == -1) {
		*cause = xasprintf("additional container '%s': %s", s->name,
		    why);
		free(why);
		goto out;
	}
	rv = 0;
out:
	free(lv);
	free(name);
	free(argv);
	return (rv);
}

/*
 * Look at one container once: 1 ready, 0 not yet (o->why says why), -1
 * with cause when it can never be (it exited).
 */
static int
sc_check(struct sidecars *sc, struct podman *pm, struct sc_one *o,
    int64_t left_ms, char **cause)
{
	const struct tf_sidecar	*s = o->spec;
	struct podman_container	 c;
	const char		**argv;
	char			*why = NULL;
	long			 probe_s;
	size_t			 i;
	int			 r, code = -1, listening = 0;

	free(o->why);
	o->why = NULL;
	if ((r = podman_container_inspect(pm, o->id, &c, cause)) != 0) {
		if (r == 1)
			*cause = xasprintf("additional container '%s' is gone",
			    s->name);
		return (-1);
	}
	if (strcmp(c.state, "running") != 0) {
		if (strcmp(c.state, "exited") == 0 ||
		    strcmp(c.state, "stopped") == 0)
			*cause = xasprintf("additional container '%s' exited "
			    "with code %d before it was ready", s->name,
			    c.exit_code);
		else
			o->why = xasprintf("it is %s", c.state);
		podman_container_clear(&c);
		return (o->why != NULL ? 0 : -1);
	}
	if (s->readiness != NULL) {
		podman_container_clear(&c);
		argv = xcalloc(s->nreadiness + 1, sizeof *argv);
		for (i = 0; i < s->nreadiness; i++)
			argv[i] = s->readiness[i];
		/* 0 would be no limit to curl. */
		probe_s = left_ms > 0 ? left_ms / 1000 + 1 : 1;
		if (probe_s > SC_PROBE_S)
			probe_s = SC_PROBE_S;
		sc_tail_free(&o->probe);
		sc_tail_init(&o->probe);
		r = podman_exec(pm, o->id, argv, probe_s, sc_tail_feed,
		    &o->probe, &code, &why);
		free(argv);
		if (r == 0 && code == 0)
			return (1);
		o->why = r == 0 ? xasprintf("readiness_command exited %d",
		    code) : xasprintf("readiness_command: %s", why);
		free(why);
		return (0);
	}
	if (s->port == 0 || o->blind) {
		podman_container_clear(&c);
		return (1);
	}
	r = portprobe_listening(c.pid, s->port, &listening, &why);
	podman_container_clear(&c);
	if (r == -1) {
		/* Not a reason to refuse the task: say it, and go on. */
		sc_say(sc, "additional container %s: cannot see whether port "
		    "%d listens (%s): taken as ready", s->name, s->port, why);
		free(why);
		o->blind = 1;
		return (1);
	}
	if (listening)
		return (1);
	o->why = xasprintf("nothing listens on port %d", s->port);
	return (0);
}

/* Sleep ms unless stop says otherwise first; nonzero when stopped. */
static int
sc_nap(struct sidecars *sc, int ms)
{
	struct timespec	ts;
	int		slept;

	for (slept = 0; slept < ms; slept += SC_NAP_MS) {
		if (sc->stop(sc->arg))
			return (1);
		ts.tv_sec = 0;
		ts.tv_nsec = SC_NAP_MS * 1000000L;
		nanosleep(&ts, NULL);
	}
	return (sc->stop(sc->arg));
}

/* Wait until every container is ready, until the limit. */
static int
sc_wait(struct sidecars *sc, struct podman *pm, char **cause)
{
	struct sc_one	*o = NULL;
	int64_t		 t0, limit_s, left;
	size_t		 i, waiting;
	int		 r;

	limit_s = sc->spec->timeout_s > 0 ? sc->spec->timeout_s :
	    TF_DEFAULT_TIMEOUT_S;
	if (limit_s > SIDECARS_READY_MAX_S)
		limit_s = SIDECARS_READY_MAX_S;
	t0 = now_mono_ms();
	for (;;) {
		waiting = 0;
		for (i = 0; i < sc->n; i++) {
			o = &sc->v[i];
			if (o->ready)
				continue;
			left = t0 + limit_s * 1000 - now_mono_ms();
			if ((r = sc_check(sc, pm, o, left, cause)) == -1)
				goto fail;
			if (r == 1) {
				o->ready = 1;
				sc_say(sc, "additional container %s ready after "
				    "%.1fs", o->spec->name,
				    (double)(now_mono_ms() - t0) / 1000);
			} else
				waiting++;
		}
		if (waiting == 0)
			return (0);
		if (now_mono_ms() - t0 >= limit_s * 1000) {
			for (i = 0; i < sc->n && sc->v[i].ready; i++)
				;
			o = &sc->v[i];
			*cause = xasprintf("additional container '%s' not ready "
			    "after %" PRId64 "s: %s", o->spec->name, limit_s,
			    o->why != NULL ? o->why : "no reason known");
			goto fail;
		}
		if (sc_nap(sc, SC_POLL_MS)) {
			*cause = xstrdup("stopped while waiting for the "
			    "additional containers");
			return (-1);
		}
	}
fail:
	/* What it said, and what its readiness_command said, last. */
	sc_say_output(sc, pm, o);
	if (o->probe.n > 0 || o->probe.part.len > 0) {
		sc_say(sc, "%s: its readiness_command said:", o->spec->name);
		sc_tail_say(sc, &o->probe, o->spec->name);
	}
	sc->reported = 1;
	return (-1);
}

int
sidecars_start(struct sidecars *sc, struct podman *pm,
    const char *const *labels, int64_t nofile, char **cause)
{
	const char	**lv;
	char		*why = NULL;
	size_t		 i;
	int		 r;

	if (sc->n == 0)
		return (0);
	if (sidecars_remove_task(pm, sc->env->instance, sc->task->id,
	    cause) == -1)
		return (-1);
	for (i = 0; i < sc->n; i++) {
		if (sc_image(sc, pm, sc->v[i].spec, cause) == -1)
			return (-1);
	}
	lv = sc_labels(labels, "stratus.role=pod", NULL);
	r = podman_pod_create(pm, lv, sc->env->netns, &sc->pod, &why);
	free(lv);
	if (r == -1) {
		*cause = xasprintf("additional containers: %s", why);
		free(why);
		return (-1);
	}
	for (i = 0; i < sc->n; i++) {
		if (sc_create(sc, pm, &sc->v[i], labels, nofile, cause) == -1)
			return (-1);
	}
	return (sc_wait(sc, pm, cause));
}

void
sidecars_report(struct sidecars *sc, struct podman *pm, int failed)
{
	size_t	i;

	if (sc == NULL || pm == NULL || !failed || sc->reported)
		return;
	sc->reported = 1;
	for (i = 0; i < sc->n; i++)
		sc_say_output(sc, pm, &sc->v[i]);
}

void
sidecars_free(struct sidecars *sc, struct podman *pm)
{
	char	*cause = NULL;
	size_t	 i, j;

	if (sc == NULL)
		return;
	if (sc->pod != NULL && pm != NULL &&
	    podman_pod_remove(pm, sc->pod, &cause) == -1) {
		log_warnx("task %" PRId64 ": %s", sc->task->id, cause);
		free(cause);
	}
	for (i = 0; i < sc->n; i++) {
		free(sc->v[i].id);
		free(sc->v[i].why);
		sc_tail_free(&sc->v[i].probe);
		for (j = 0; sc->v[i].envl != NULL && sc->v[i].envl[j] != NULL;
		    j++)
			free(sc->v[i].envl[j]);
		free(sc->v[i].envl);
	}
	free(sc->v);
	free(sc->pod);
	free(sc);
}

int
sidecars_remove_task(struct podman *pm, const char *instance,
    int64_t task_id, char **cause)
{
	struct podman_pod	*pods = NULL;
	char			*label[3] = { NULL, NULL, NULL };
	size_t			 n = 0, i;
	int			 rv = -1;

	label[0] = xasprintf("stratus.instance=%s", instance);
	label[1] = xasprintf("stratus.task=%" PRId64, task_id);
	if (podman_pod_list(pm, (const char *const *)label, &pods, &n,
	    cause) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (podman_pod_remove(pm, pods[i].id, cause) == -1)
			goto out;
	}
	rv = 0;
out:
	podman_pods_free(pods, n);
	free(label[0]);
	free(label[1]);
	return (rv);
}

int
sidecars_main_containers(struct podman *pm, const char *instance,
    int64_t task_id, struct podman_container **list, size_t *n,
    char **cause)
{
	struct podman_container	*all = NULL, *others = NULL;
	char			*label[4] = { NULL, NULL, NULL, NULL };
	size_t			 nall = 0, nothers = 0, i, j;
	int			 rv = -1;

	*list = NULL;
	*n = 0;
	if (recovery_containers(pm, instance, task_id, &all, &nall,
	    cause) == -1)
		return (-1);
	/* Podman 4.3 filters by a label's presence, never its absence. */
	label[0] = xasprintf("stratus.instance=%s", instance);
	label[1] = xasprintf("stratus.task=%" PRId64, task_id);
	label[2] = xstrdup("stratus.role");
	if (podman_container_list(pm, (const char *const *)label, &others,
	    &nothers, cause) == -1)
		goto out;
	*list = xcalloc(nall + 1, sizeof **list);
	for (i = 0; i < nall; i++) {
		for (j = 0; j < nothers; j++) {
			if (strcmp(all[i].id, others[j].id) == 0)
				break;
		}
		if (j < nothers)
			continue;
		(*list)[*n] = all[i];
		memset(&all[i], 0, sizeof all[i]);
		(*n)++;
	}
	rv = 0;
out:
	podman_containers_free(all, nall);
	podman_containers_free(others, nothers);
	for (i = 0; i < 3; i++)
		free(label[i]);
	return (rv);
}

int
sidecars_sweep(const struct exec_env *env, struct podman *pm, char **cause)
{
	struct podman_pod	*pods = NULL;
	struct store_task	*tasks = NULL;
	char			*label[2] = { NULL, NULL }, *why = NULL;
	char			 id[32];
	size_t			 npods = 0, ntasks = 0, i, j;
	int			 removed = 0, rv = -1;

	/* Listed before the running tasks are read, as sweep.c does. */
	label[0] = xasprintf("stratus.instance=%s", env->instance);
	if (podman_pod_list(pm, (const char *const *)label, &pods, &npods,
	    cause) == -1)
		goto out;
	if (npods != 0 && store_tasks_in_state(env->store, TASK_RUNNING,
	    &tasks, &ntasks, cause) == -1)
		goto out;
	for (i = 0; i < npods; i++) {
		for (j = 0; j < ntasks; j++) {
			snprintf(id, sizeof id, "%" PRId64, tasks[j].id);
			if (strcmp(pods[i].task, id) == 0)
				break;
		}
		if (j < ntasks)
			continue;
		if (podman_pod_remove(pm, pods[i].id, &why) == -1) {
			log_warnx("sweep: %s", why);
			free(why);
			why = NULL;
			continue;
		}
		log_info("sweep: removed pod %.12s of task %s, which is not "
		    "running", pods[i].id, pods[i].task);
		removed++;
	}
	rv = removed;
out:
	free(label[0]);
	store_tasks_free(tasks, ntasks);
	podman_pods_free(pods, npods);
	return (rv);
}
