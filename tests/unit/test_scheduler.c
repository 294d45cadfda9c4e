/* test_scheduler.c -- the scheduler's choice (store_tasks_claim) on an
 * in-memory store: fairness, limits, priority, dependencies, pause. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"

static struct store	*st;

static void
setup(void)
{
	char	*cause = NULL;

	cr_assert_eq(store_open(":memory:", &st, &cause), 0, "%s", cause);
}

static void
teardown(void)
{
	store_close(st);
}

TestSuite(sched, .init = setup, .fini = teardown);

/* A job of ntasks tasks; with chain, task i depends on task i - 1.  The
 * ids of its tasks go to ids (ntasks of them). */
static void
job(const char *project, int priority, size_t ntasks, int chain,
    int64_t *ids)
{
	static const size_t	 prev[] = { 0, 1, 2, 3 };
	struct store_new_task	 t[4];
	struct store_new_job	 j;
	struct store_job	*got = NULL;
	char			*cause = NULL;
	int64_t			 id;
	size_t			 i;

	cr_assert_leq(ntasks, 4);
	memset(t, 0, sizeof t);
	for (i = 0; i < ntasks; i++) {
		t[i].name = (const char *[]){ "a", "b", "c", "d" }[i];
		t[i].spec = "{}";
		t[i].state = TASK_QUEUED;
		if (chain && i > 0) {
			t[i].deps = &prev[i - 1];
			t[i].ndeps = 1;
		}
	}
	j = (struct store_new_job){ .project = project,
	    .taskfile_name = ".cirrus.yml", .env = "{}", .priority = priority,
	    .tasks = t, .ntasks = ntasks };
	cr_assert_eq(store_job_insert(st, &j, &id, &cause), 0, "%s", cause);
	if (ids == NULL)
		return;
	cr_assert_eq(store_job_get(st, id, &got, &cause), 0, "%s", cause);
	for (i = 0; i < ntasks; i++)
		ids[i] = got->tasks[i].id;
	store_job_free(got);
}

/* Claim with a global limit; returns how many, ids into out (16 max). */
static size_t
claim(int max, int64_t *out)
{
	int64_t	*ids = NULL;
	size_t	 n = 0, i;
	char	*cause = NULL;

	cr_assert_eq(store_tasks_claim(st, max, &ids, &n, &cause), 0, "%s",
	    cause);
	cr_assert_leq(n, 16);
	for (i = 0; i < n && out != NULL; i++)
		out[i] = ids[i];
	free(ids);
	return (n);
}

static const char *
project_of(int64_t id)
{
	static char		 buf[32];
	struct store_task	*t = NULL;
	char			*cause = NULL;

	cr_assert_eq(store_task_get(st, id, &t, &cause), 0, "%s", cause);
	cr_assert_eq(t->state, TASK_RUNNING, "claimed task is marked running");
	snprintf(buf, sizeof buf, "%s", t->project);
	store_task_free(t);
	return (buf);
}

static void
finish(int64_t id, enum task_state s)
{
	char	*cause = NULL;

	cr_assert_eq(store_task_set_state(st, id, s, 0, NULL, &cause), 0,
	    "%s", cause);
}

Test(sched, a_big_project_does_not_starve_a_small_one)
{
	int64_t	 got[16], small;
	int	 i;

	for (i = 0; i < 10; i++)
		job("big", 0, 1, 0, NULL);
	job("small", 0, 1, 0, &small);
	cr_assert_eq(claim(2, got), 2);
	cr_assert(got[0] == small || got[1] == small,
	    "the small project's task is among the first two");
}

Test(sched, projects_take_turns)
{
	int64_t	 got[16];
	int	 i, na = 0, nb = 0;
	size_t	 k;

	for (i = 0; i < 4; i++) {
		job("a", 0, 1, 0, NULL);
		job("b", 0, 1, 0, NULL);
	}
	cr_assert_eq(claim(4, got), 4);
	for (k = 0; k < 4; k++) {
		if (strcmp(project_of(got[k]), "a") == 0)
			na++;
		else
			nb++;
	}
	cr_assert_eq(na, 2);
	cr_assert_eq(nb, 2);
	/* a already has more running: with one slot more, b... equal: a
	 * and b have 2 each, so the next is the oldest, a's. */
	cr_assert_eq(claim(5, got), 1);
	cr_assert_str_eq(project_of(got[0]), "a");
	cr_assert_eq(claim(6, got), 1);
	cr_assert_str_eq(project_of(got[0]), "b");
}

Test(sched, global_limit_counts_running_tasks)
{
	int64_t	 got[16];
	int	 i;

	for (i = 0; i < 5; i++)
		job("p", 0, 1, 0, NULL);
	cr_assert_eq(claim(3, got), 3);
	cr_assert_eq(claim(3, NULL), 0, "three already running");
	finish(got[0], TASK_SUCCEEDED);
	cr_assert_eq(claim(3, NULL), 1, "one slot freed");
}

Test(sched, per_project_limit)
{
	char	*cause = NULL;
	int64_t	 got[16];
	int	 i;

	for (i = 0; i < 3; i++)
		job("lim", 0, 1, 0, NULL);
	job("free", 0, 1, 0, NULL);
	cr_assert_eq(store_project_set(st, "lim", 1, -1, &cause), 0, "%s",
	    cause);
	cr_assert_eq(claim(10, got), 2, "one of lim, one of free");
	cr_assert_eq(claim(10, NULL), 0, "lim is at its limit");
	finish(strcmp(project_of(got[0]), "lim") == 0 ? got[0] : got[1],
	    TASK_FAILED);
	cr_assert_eq(claim(10, got), 1);
	cr_assert_str_eq(project_of(got[0]), "lim");
}

Test(sched, priority_then_age_within_a_project)
{
	int64_t	 low[1], high[1], old[1], got[16];

	job("p", 0, 1, 0, old);
	job("p", 0, 1, 0, low);
	job("p", 5, 1, 0, high);
	cr_assert_eq(claim(1, got), 1);
	cr_assert_eq(got[0], high[0]);
	cr_assert_eq(claim(2, got), 1);
	cr_assert_eq(got[0], old[0]);
}

Test(sched, dependencies_hold_tasks_back)
{
	int64_t	 ids[3], got[16];

	job("p", 0, 3, 1, ids);
	cr_assert_eq(claim(10, got), 1);
	cr_assert_eq(got[0], ids[0]);
	cr_assert_eq(claim(10, NULL), 0);
	finish(ids[0], TASK_SUCCEEDED);
	cr_assert_eq(claim(10, got), 1);
	cr_assert_eq(got[0], ids[1]);
	finish(ids[1], TASK_FAILED);
	cr_assert_eq(claim(10, NULL), 0, "c is skipped, never started");
}

Test(sched, pause_queue_and_project)
{
	char	*cause = NULL;
	int64_t	 got[16];
	int	 paused;

	job("a", 0, 1, 0, NULL);
	job("b", 0, 1, 0, NULL);
	cr_assert_eq(store_queue_set_paused(st, 1, &cause), 0, "%s", cause);
	cr_assert_eq(store_queue_paused(st, &paused, &cause), 0);
	cr_assert_eq(paused, 1);
	cr_assert_eq(claim(10, NULL), 0, "nothing starts while paused");
	cr_assert_eq(store_queue_set_paused(st, 0, &cause), 0, "%s", cause);
	cr_assert_eq(store_project_set(st, "a", -1, 1, &cause), 0, "%s",
	    cause);
	cr_assert_eq(claim(10, got), 1);
	cr_assert_str_eq(project_of(got[0]), "b");
	cr_assert_eq(store_project_set(st, "a", -1, 0, &cause), 0, "%s",
	    cause);
	cr_assert_eq(claim(10, got), 1);
	cr_assert_str_eq(project_of(got[0]), "a");
}

Test(sched, projects_are_listed_with_settings_and_counts)
{
	struct store_project	*v = NULL;
	size_t			 n = 0;
	char			*cause = NULL;

	job("a", 0, 2, 0, NULL);
	cr_assert_eq(store_project_set(st, "z", 3, -1, &cause), 0, "%s",
	    cause);
	cr_assert_eq(claim(1, NULL), 1);
	cr_assert_eq(store_project_list(st, &v, &n, &cause), 0, "%s", cause);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].name, "a");
	cr_assert_eq(v[0].running, 1);
	cr_assert_eq(v[0].queued, 1);
	cr_assert_eq(v[0].jobs, 1);
	cr_assert_str_eq(v[1].name, "z");
	cr_assert_eq(v[1].max_running, 3);
	cr_assert_eq(v[1].jobs, 0);
	store_projects_free(v, n);
}
