/* scheduler.c -- picks runnable tasks and runs each on its own thread. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/events.h"
#include "daemon/gc.h"
#include "daemon/podsvc.h"
#include "daemon/scheduler.h"
#include "daemon/store.h"
#include "daemon/sweep.h"
#include "proto/log.h"
#include "proto/util.h"

/* One task running on its own thread. */
struct slot {
	struct sched		*sched;
	int64_t			 task_id;
	void			(*run)(const struct exec_env *, int64_t,
				    struct exec_control *);
	pthread_t		 thread;
	struct exec_control	 ctl;
	int			 done;		/* thread finished; join it */
	struct slot		*next;
};

struct sched {
	const struct exec_env	*env;
	struct podsvc		*podsvc;
	int			 max_jobs;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 stopping;
	int			 woken;
	int			 nrunning;
	struct slot		*slots;
	int			 sweep;		/* a task left a container */
};

/* A task ended: apply retention, which is cheap when nothing expired. */
static void
sched_retain(const struct exec_env *env)
{
	struct gc_result	 res;
	char			*cause = NULL;

	if (gc_run(env->store, env->logs, env->blobs, env->gc, &res,
	    &cause) == -1) {
		log_warnx("retention: %s", cause);
		free(cause);
	}
}

static void *
sched_slot_main(void *arg)
{
	struct slot	*sl = arg;
	struct sched	*s = sl->sched;

	sl->run(s->env, sl->task_id, &sl->ctl);
	sched_retain(s->env);
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&sl->ctl.orphaned))
		s->sweep = 1;
	sl->done = 1;
	s->nrunning--;
	s->woken = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return (NULL);
}

/* Join and free finished slots; called with the lock held. */
static void
sched_reap(struct sched *s)
{
	struct slot	**sp, *sl;

	for (sp = &s->slots; (sl = *sp) != NULL; ) {
		if (!sl->done) {
			sp = &sl->next;
			continue;
		}
		*sp = sl->next;
		pthread_join(sl->thread, NULL);
		free(sl);
	}
}

/* Start the thread of a task already marked running; called with the lock
 * held.  run is executor_run, or recovery_adopt for a re-adopted task. */
static void
sched_launch(struct sched *s, int64_t task_id,
    void (*run)(const struct exec_env *, int64_t, struct exec_control *))
{
	struct slot	*sl;
	char		*cause = NULL;
	int		 r;

	sl = xcalloc(1, sizeof *sl);
	sl->sched = s;
	sl->task_id = task_id;
	sl->run = run;
	atomic_init(&sl->ctl.cancel, 0);
	atomic_init(&sl->ctl.shutdown, 0);
	atomic_init(&sl->ctl.orphaned, 0);
	if ((r = pthread_create(&sl->thread, NULL, sched_slot_main, sl)) != 0) {
		log_warnx("task %" PRId64 ": cannot start thread: %s", task_id,
		    strerror(r));
		free(sl);
		if (store_task_set_state(s->env->store, task_id, TASK_ERRORED,
		    -1, "stratusd could not start a thread", &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
		}
		return;
	}
	sl->next = s->slots;
	s->slots = sl;
	s->nrunning++;
}

/* Start what may start now; called with the lock held.  Tasks are marked
 * running by the same transaction that picks them, so none starts twice. */
static void
sched_fill(struct sched *s)
{
	struct store_task	*ready = NULL;
	int64_t			*ids = NULL;
	size_t			 n = 0, i;
	char			*cause = NULL;

	if (s->nrunning >= s->max_jobs)
		return;
	/* Only ask Podman when something could start. */
	if (store_tasks_runnable(s->env->store, 1, &ready, &n, &cause) == -1) {
		log_warnx("scheduler: %s", cause);
		free(cause);
		return;
	}
	store_tasks_free(ready, n);
	if (n == 0)
		return;
	if (podsvc_ensure(s->podsvc, &cause) == -1) {
		/* Tasks wait in the queue until Podman answers again. */
		log_warnx("scheduler: %s; queued tasks wait", cause);
		free(cause);
		return;
	}
	if (store_tasks_claim(s->env->store, s->max_jobs, &ids, &n,
	    &cause) == -1) {
		log_warnx("scheduler: %s", cause);
		free(cause);
		return;
	}
	for (i = 0; i < n; i++)
		sched_launch(s, ids[i], executor_run);
	free(ids);
}

/*
 * A task could not remove its container (Podman was away): once Podman
 * answers again, remove what no running task owns, rather than leave it
 * to the next start.  Called with the lock held; retried until it works.
 */
static void
sched_sweep(struct sched *s)
{
	char	*cause = NULL;

	if (!s->sweep || podsvc_ensure(s->podsvc, &cause) == -1) {
		free(cause);
		return;
	}
	if (sweep_run(s->env, &cause) == -1) {
		log_warnx("sweep: %s; trying again", cause);
		free(cause);
		return;
	}
	s->sweep = 0;
}

static void *
sched_main(void *arg)
{
	struct sched	*s = arg;
	struct timespec	 ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		sched_reap(s);
		sched_sweep(s);
		sched_fill(s);
		events_refresh(s->env->store);	/* cascades, skips */
		if (s->woken) {
			s->woken = 0;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 2;		/* retry when Podman was away */
		while (!s->woken && !s->stopping &&
		    pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
			;
		s->woken = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return (NULL);
}

int
sched_start(const struct exec_env *env, struct podsvc *ps, int max_jobs,
    struct sched **out, char **cause)
{
	struct sched		*s;
	pthread_condattr_t	 ca;
	int			 r;

	s = xcalloc(1, sizeof *s);
	s->env = env;
	s->podsvc = ps;
	s->max_jobs = max_jobs > 0 ? max_jobs : 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((r = pthread_create(&s->thread, NULL, sched_main, s)) != 0) {
		*cause = xasprintf("cannot start scheduler: %s", strerror(r));
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return (-1);
	}
	*out = s;
	return (0);
}

void
sched_adopt(struct sched *s, int64_t task_id,
    void (*run)(const struct exec_env *, int64_t, struct exec_control *))
{
	pthread_mutex_lock(&s->lock);
	sched_launch(s, task_id, run);
	pthread_mutex_unlock(&s->lock);
}

void
sched_wake(struct sched *s)
{
	pthread_mutex_lock(&s->lock);
	s->woken = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int
sched_cancel_task(struct sched *s, int64_t task_id)
{
	struct slot	*sl;
	int		 r = -1;

	pthread_mutex_lock(&s->lock);
	for (sl = s->slots; sl != NULL; sl = sl->next) {
		if (sl->task_id == task_id && !sl->done) {
			atomic_store(&sl->ctl.cancel, 1);
			r = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return (r);
}

void
sched_set_max_jobs(struct sched *s, int max_jobs)
{
	pthread_mutex_lock(&s->lock);
	s->max_jobs = max_jobs > 0 ? max_jobs : 1;
	s->woken = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int
sched_running(struct sched *s)
{
	int	 n;

	pthread_mutex_lock(&s->lock);
	n = s->nrunning;
	pthread_mutex_unlock(&s->lock);
	return (n);
}

void
sched_stop(struct sched *s, int grace_s)
{
	struct slot	*sl;
	struct timespec	 ts;

	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);

	pthread_mutex_lock(&s->lock);
	if (s->nrunning > 0)
		log_info("waiting up to %ds for %d running task(s)", grace_s,
		    s->nrunning);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += grace_s;
	while (s->nrunning > 0 &&
	    pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
		;
	for (sl = s->slots; sl != NULL; sl = sl->next)
		atomic_store(&sl->ctl.shutdown, 1);
	while (s->nrunning > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	for (sl = s->slots; sl != NULL; sl = sl->next)
		sl->done = 1;
	sched_reap(s);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
