/* test_events.c -- the event ring (daemon/events.c): publish, job filter,
 * whole events within max, ring overflow and gap, resume, waiters woken. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "daemon/store.h"
#include "proto/util.h"

static struct store	*st;

static void
setup(void)
{
	char	*cause = NULL;

	cr_assert_eq(store_open(":memory:", &st, &cause), 0, "%s", cause);
	events_reset();
}

static void
teardown(void)
{
	events_reset();
	store_close(st);
}

TestSuite(events, .init = setup, .fini = teardown);

/* A job of ntasks queued tasks; its id, and its first task's in *tid. */
static int64_t
job(size_t ntasks, int64_t *tid)
{
	struct store_new_task	 t[4];
	struct store_new_job	 j;
	struct store_job	*got = NULL;
	char			*cause = NULL;
	static const char	*names[] = { "a", "b", "c", "d" };
	int64_t			 id;
	size_t			 i;

	cr_assert(ntasks <= 4);
	memset(t, 0, sizeof t);
	for (i = 0; i < ntasks; i++) {
		t[i].name = names[i];
		t[i].spec = "{}";
		t[i].state = TASK_QUEUED;
	}
	j = (struct store_new_job){ .project = "p",
	    .taskfile_name = ".cirrus.yml", .env = "{}", .tasks = t,
	    .ntasks = ntasks };
	cr_assert_eq(store_job_insert(st, &j, &id, &cause), 0, "%s", cause);
	cr_assert_eq(store_job_get(st, id, &got, &cause), 0, "%s", cause);
	if (tid != NULL)
		*tid = got->tasks[0].id;
	store_job_free(got);
	return (id);
}

static void
set_state(int64_t tid, enum task_state s)
{
	char	*cause = NULL;

	cr_assert_eq(store_task_set_state(st, tid, s, s == TASK_SUCCEEDED ?
	    0 : -1, NULL, &cause), 0, "%s", cause);
}

/* Occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

/* Everything kept after after, for job (0: all), without waiting. */
static char *
read_all(uint64_t after, int64_t job_id, uint64_t *last)
{
	char		*out = NULL;
	uint64_t	 l;

	(void)events_read(after, job_id, 1u << 30, 0, &out, last != NULL ?
	    last : &l);
	return (out);
}

Test(events, publish_sends_each_task_then_the_job_once)
{
	char		*out;
	uint64_t	 last;
	int64_t		 id = job(2, NULL);

	events_publish_job(st, id);
	out = read_all(0, 0, &last);
	cr_assert_not_null(out);
	cr_assert_eq(count(out, "event: task\n"), 2, "%s", out);
	cr_assert_eq(count(out, "event: job\n"), 1, "%s", out);
	cr_assert(strstr(out, "event: task") < strstr(out, "event: job"));
	cr_assert_eq(count(out, "\"state\":\"queued\""), 3, "%s", out);
	cr_assert_eq(strncmp(out, "id: 1\n", 6), 0, "%s", out);
	cr_assert_eq(last, 3);
	free(out);
	/* Nothing changed: nothing new. */
	events_publish_job(st, id);
	out = read_all(last, 0, &last);
	cr_assert_null(out);
	cr_assert_eq(last, 3);
}

Test(events, a_task_change_is_one_event_and_the_job_follows)
{
	char		*out;
	uint64_t	 last;
	int64_t		 tid, id = job(1, &tid);

	events_publish_job(st, id);
	(void)read_all(0, 0, &last);
	set_state(tid, TASK_RUNNING);
	events_publish_job(st, id);
	out = read_all(3 - 1, 0, &last);	/* after the job's first event */
	cr_assert_not_null(out);
	cr_assert_eq(count(out, "event: task\n"), 1, "%s", out);
	cr_assert_eq(count(out, "\"state\":\"running\""), 2, "%s", out);
	free(out);
	set_state(tid, TASK_SUCCEEDED);
	events_publish_job(st, id);
	out = read_all(last, 0, &last);
	cr_assert_not_null(out);
	cr_assert(strstr(out, "\"type\":\"task\"") <
	    strstr(out, "\"type\":\"job\""), "%s", out);
	cr_assert_neq(count(out, "\"state\":\"succeeded\""), 0, "%s", out);
	free(out);
}

Test(events, job_filter_skips_other_jobs_and_advances_last)
{
	char		*out;
	uint64_t	 last;
	int64_t		 a = job(1, NULL), b = job(1, NULL);

	events_publish_job(st, a);
	events_publish_job(st, b);
	events_publish_job(st, a);	/* no change */
	out = read_all(0, b, &last);
	cr_assert_not_null(out);
	cr_assert_eq(count(out, "event: "), 2, "%s", out);
	cr_assert_eq(count(out, "\"job\":"), 2, "%s", out);
	cr_assert_eq(strncmp(out, "id: 3\n", 6), 0, "%s", out);
	cr_assert_eq(last, 4);
	free(out);
	out = read_all(0, 999, &last);
	cr_assert_null(out);
	cr_assert_eq(last, 4, "every event was looked at");
}

Test(events, max_gives_whole_events_and_resumes)
{
	char		*out, *all;
	uint64_t	 last, l2;
	size_t		 n;
	int64_t		 id = job(3, NULL);

	events_publish_job(st, id);
	all = read_all(0, 0, NULL);
	n = events_read(0, 0, 1, 0, &out, &last);	/* smaller than one */
	cr_assert_gt(n, 1, "at least one whole event");
	cr_assert_eq(last, 1);
	cr_assert_eq(out[n - 1], '\n');
	cr_assert_eq(out[n - 2], '\n');
	cr_assert_eq(strncmp(all, out, n), 0);
	free(out);
	n = events_read(last, 0, 1u << 30, 0, &out, &l2);
	cr_assert_eq(l2, 4);
	cr_assert_str_eq(out, all + strlen(all) - n, "the rest, no overlap");
	free(out);
	free(all);
}

Test(events, ring_overflow_starts_with_a_gap, .timeout = 60)
{
	char		*out;
	uint64_t	 last, newest;
	int64_t		 tid, id = job(1, &tid);
	int		 i;

	events_publish_job(st, id);
	for (i = 0; i < EVENTS_RING / 2 + 10; i++) {
		set_state(tid, i % 2 == 0 ? TASK_RUNNING : TASK_QUEUED);
		events_publish_job(st, id);
	}
	out = read_all(0, 0, &newest);
	cr_assert_not_null(out);
	cr_assert_gt(newest, EVENTS_RING);
	cr_assert_eq(strncmp(out, "event: gap\n", 11), 0, "%.200s", out);
	cr_assert_eq(count(out, "\"type\":\"gap\""), 1);
	cr_assert_eq(count(out, "\nid: ") + (strncmp(out, "id: ", 4) == 0),
	    EVENTS_RING);
	free(out);
	/* A resume inside the ring has no gap. */
	out = read_all(newest - 5, 0, &last);
	cr_assert_not_null(out);
	cr_assert_eq(strncmp(out, "id: ", 4), 0);
	cr_assert_eq(count(out, "\ndata: "), 5);
	cr_assert_eq(last, newest);
	free(out);
}

struct waiter {
	uint64_t	 after;
	int		 wait_ms;
	size_t		 n;
	char		*out;
	int64_t		 took;
};

static void *
waiter_run(void *arg)
{
	struct waiter	*w = arg;
	uint64_t	 last;
	int64_t		 t0 = now_mono_ms();

	w->n = events_read(w->after, 0, 1u << 20, w->wait_ms, &w->out, &last);
	w->took = now_mono_ms() - t0;
	return (NULL);
}

Test(events, an_id_from_before_a_restart_means_now)
{
	struct waiter	 w;
	pthread_t	 th;
	char		*out;
	uint64_t	 last;
	int64_t		 tid, id = job(1, &tid);

	events_publish_job(st, id);
	out = read_all(500, 0, &last);
	cr_assert_null(out);
	cr_assert_eq(last, 2, "resumes from now, not from 500");
	set_state(tid, TASK_RUNNING);
	events_publish_job(st, id);
	out = read_all(last, 0, &last);
	cr_assert_not_null(out, "new events after a stale id are sent");
	cr_assert_eq(strncmp(out, "id: 3\n", 6), 0, "%s", out);
	free(out);
	/* A stale id waits for the next event, not for id 501. */
	memset(&w, 0, sizeof w);
	w.after = 500;
	w.wait_ms = 10000;
	cr_assert_eq(pthread_create(&th, NULL, waiter_run, &w), 0);
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	set_state(tid, TASK_SUCCEEDED);
	events_publish_job(st, id);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_gt(w.n, 0);
	cr_assert_lt(w.took, 5000, "woken by the publish");
	free(w.out);
}

Test(events, a_waiting_reader_is_woken_by_a_publish)
{
	struct waiter	 w[3];
	pthread_t	 th[3];
	int64_t		 id = job(1, NULL);
	int		 i;

	for (i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].wait_ms = 10000;
		cr_assert_eq(pthread_create(&th[i], NULL, waiter_run, &w[i]),
		    0);
	}
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	events_publish_job(st, id);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_gt(w[i].n, 0);
		cr_assert_lt(w[i].took, 5000, "woken, not timed out");
		cr_assert_eq(count(w[i].out, "event: "), 2, "%s", w[i].out);
		free(w[i].out);
	}
}

Test(events, wake_and_timeout_end_a_wait_with_nothing)
{
	struct waiter	 w;
	pthread_t	 th;

	memset(&w, 0, sizeof w);
	w.wait_ms = 10000;
	cr_assert_eq(pthread_create(&th, NULL, waiter_run, &w), 0);
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	events_wake();
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_null(w.out);
	cr_assert_lt(w.took, 5000);
	memset(&w, 0, sizeof w);
	w.wait_ms = 150;
	waiter_run(&w);
	cr_assert_eq(w.n, 0);
	cr_assert_geq(w.took, 140);
	cr_assert_lt(w.took, 3000);
}
