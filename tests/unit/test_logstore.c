/* test_logstore.c -- task logs: appends, the cap, followers and removal. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* nftw */
#endif

#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/logstore.h"
#include "proto/util.h"

static char		 tmpdir[64];
static char		*logdir;
static struct logstore	*ls;

/* nftw callback: remove one file or (depth first) directory. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
open_store(int64_t cap)
{
	char	*cause = NULL;

	if (ls != NULL)
		logstore_close(ls);
	cr_assert_eq(logstore_open(logdir, cap, &ls, &cause), 0, "%s", cause);
}

/* Give each test a fresh store in its own temporary directory. */
static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_logstore.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	logdir = xasprintf("%s/logs", tmpdir);
	ls = NULL;
	open_store(0);
}

static void
teardown(void)
{
	logstore_close(ls);
	ls = NULL;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH|FTW_PHYS);
	free(logdir);
}

TestSuite(logstore, .init = setup, .fini = teardown, .timeout = 60);

/* Append and check the reported length. */
static void
append(int64_t job, int64_t task, int attempt, const char *s, int64_t want)
{
	char	*cause = NULL;
	int64_t	 len = -1;

	cr_assert_eq(logstore_append(ls, job, task, attempt, s, strlen(s), &len,
	    &cause), 0, "%s", cause);
	if (want >= 0)
		cr_assert_eq(len, want);
}

/* Read everything from off without waiting into a malloc'd string. */
static char *
slurp(int64_t job, int64_t task, int attempt, int64_t off)
{
	struct buf	b;
	char		chunk[7];	/* small, to exercise offsets */
	ssize_t		n;
	int		finished;

	buf_init(&b, 0);
	for (;;) {
		n = logstore_read(ls, job, task, attempt, off, chunk,
		    sizeof chunk, 0, &finished);
		cr_assert_geq(n, 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		cr_assert_eq(finished, 0);
		cr_assert_eq(buf_add(&b, chunk, (size_t)n), 0);
		off += n;
	}
	return (buf_steal(&b, NULL));
}

Test(logstore, round_trip_at_offsets)
{
	char	 buf[64];
	char	*s;
	ssize_t	 n;
	int	 finished;

	append(1, 2, 1, "hello ", 6);
	append(1, 2, 1, "world\n", 12);

	s = slurp(1, 2, 1, 0);
	cr_assert_str_eq(s, "hello world\n");
	free(s);
	s = slurp(1, 2, 1, 3);
	cr_assert_str_eq(s, "lo world\n");
	free(s);

	n = logstore_read(ls, 1, 2, 1, 6, buf, 3, 0, &finished);
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(buf, "wor", 3), 0);
	cr_assert_eq(finished, 0);

	/* Live and at the end: nothing yet, but not finished either. */
	n = logstore_read(ls, 1, 2, 1, 12, buf, sizeof buf, 0, &finished);
	cr_assert_eq(n, 0);
	cr_assert_eq(finished, 0);

	/* Another attempt of the same task is a different log. */
	append(1, 2, 2, "second", 6);
	s = slurp(1, 2, 2, 0);
	cr_assert_str_eq(s, "second");
	free(s);
}

Test(logstore, finished_log_is_read_from_disk)
{
	char	*s, buf[64];
	ssize_t	 n;
	int	 finished;

	append(3, 4, 1, "abcdef", 6);
	logstore_finish(ls, 3, 4, 1);

	s = slurp(3, 4, 1, 2);
	cr_assert_str_eq(s, "cdef");
	free(s);

	n = logstore_read(ls, 3, 4, 1, 0, buf, sizeof buf, 1000, &finished);
	cr_assert_eq(n, 6);
	cr_assert_eq(finished, 0);
	n = logstore_read(ls, 3, 4, 1, 6, buf, sizeof buf, 1000, &finished);
	cr_assert_eq(n, 0);
	cr_assert_eq(finished, 1);

	/* Survives reopening the store. */
	open_store(0);
	s = slurp(3, 4, 1, 0);
	cr_assert_str_eq(s, "abcdef");
	free(s);
}

Test(logstore, never_begun_is_finished)
{
	char	buf[16];
	int	finished = 0;
	int64_t	t0;

	t0 = now_mono_ms();
	cr_assert_eq(logstore_read(ls, 9, 9, 1, 0, buf, sizeof buf, 2000,
	    &finished), 0);
	cr_assert_eq(finished, 1);
	cr_assert_lt(now_mono_ms() - t0, 500, "must not wait on a dead log");
	cr_assert_eq(logstore_length(ls, 9, 9, 1), 0);
}

Test(logstore, length)
{
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 0);
	logstore_begin(ls, 1, 1, 1);
	logstore_begin(ls, 1, 1, 1);
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 0);
	append(1, 1, 1, "12345", 5);
	append(1, 1, 1, "", 5);
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 5);
	logstore_finish(ls, 1, 1, 1);
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 5);

	/* Appending again picks the length up from the file. */
	append(1, 1, 1, "67", 7);
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 7);
}

Test(logstore, modes)
{
	struct stat	 st;
	char		*p;

	append(5, 6, 1, "x", 1);
	cr_assert_eq(stat(logdir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	p = xasprintf("%s/5", logdir);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	free(p);
	p = xasprintf("%s/5/6.1.log", logdir);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(st.st_size, 1);
	free(p);
}

/* Count occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

Test(logstore, cap_writes_one_notice)
{
	const char	*notice =
	    "\n[stratus: log truncated at 100 bytes; further output dropped]\n";
	char		*s, want[101];
	int64_t		 len = 0;
	int		 i;

	open_store(100);
	for (i = 0; i < 50; i++)
		append(1, 1, 1, "0123456", -1);
	len = logstore_length(ls, 1, 1, 1);
	cr_assert_eq(len, 100 + (int64_t)strlen(notice));

	s = slurp(1, 1, 1, 0);
	for (i = 0; i < 100; i++)
		want[i] = "0123456"[i % 7];
	want[100] = '\0';
	cr_assert_eq(strncmp(s, want, 100), 0);
	cr_assert_str_eq(s + 100, notice);
	cr_assert_eq(count(s, "[stratus: log truncated"), 1);
	free(s);

	/* Later appends are dropped and report the same length. */
	append(1, 1, 1, "more", len);
	logstore_finish(ls, 1, 1, 1);
	/* Nor does a fresh store start writing again past the cap. */
	open_store(100);
	append(1, 1, 1, "more", len);
}

Test(logstore, cap_default_notice_in_mib)
{
	char	*big, *s, *cause = NULL;
	size_t	 mib = 1024 * 1024;

	open_store(1024 * 1024);
	big = xmalloc(mib + 10);
	memset(big, 'a', mib + 10);
	cr_assert_eq(logstore_append(ls, 2, 2, 1, big, mib + 10, NULL, &cause),
	    0, "%s", cause);
	free(big);
	s = slurp(2, 2, 1, (int64_t)mib - 1);
	cr_assert_str_eq(s,
	    "a\n[stratus: log truncated at 1 MiB; further output dropped]\n");
	free(s);
}

struct waiter {
	int64_t	off;
	int	wait_ms;
	ssize_t	n;
	int	finished;
	int64_t	done_ms;
	char	buf[64];
};

static void *
wait_main(void *arg)
{
	struct waiter	*w = arg;

	w->n = logstore_read(ls, 7, 1, 1, w->off, w->buf, sizeof w->buf,
	    w->wait_ms, &w->finished);
	w->done_ms = now_mono_ms();
	return (NULL);
}

Test(logstore, follower_woken_by_append)
{
	struct waiter	w = { .off = 3, .wait_ms = 5000 };
	pthread_t	t;
	int64_t		t0;

	append(7, 1, 1, "abc", 3);
	cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
	usleep(100 * 1000);
	t0 = now_mono_ms();
	append(7, 1, 1, "def", 6);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(w.n, 3);
	cr_assert_eq(memcmp(w.buf, "def", 3), 0);
	cr_assert_eq(w.finished, 0);
	cr_assert_lt(w.done_ms - t0, 500, "woken %lld ms after the append",
	    (long long)(w.done_ms - t0));
}

Test(logstore, follower_woken_by_finish)
{
	struct waiter	w = { .off = 3, .wait_ms = 5000 };
	pthread_t	t;
	int64_t		t0;

	append(7, 1, 1, "abc", 3);
	cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
	usleep(100 * 1000);
	t0 = now_mono_ms();
	logstore_finish(ls, 7, 1, 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(w.finished, 1);
	cr_assert_lt(w.done_ms - t0, 500, "woken %lld ms after finish",
	    (long long)(w.done_ms - t0));
}

struct live_waiter {
	uint64_t	 since;
	int		 live;
	int64_t		 done_ms;
};

static void *
wait_live_main(void *arg)
{
	struct live_waiter	*w = arg;

	w->live = logstore_wait_live(ls, 8, 1, 1, w->since, 5000);
	w->done_ms = now_mono_ms();
	return (NULL);
}

Test(logstore, wait_live_woken_by_begin)
{
	struct live_waiter	 w;
	pthread_t		 t;
	int64_t			 t0;

	w.since = logstore_generation(ls);
	cr_assert_eq(pthread_create(&t, NULL, wait_live_main, &w), 0);
	usleep(100 * 1000);
	t0 = now_mono_ms();
	logstore_begin(ls, 8, 1, 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(w.live, 1);
	cr_assert_lt(w.done_ms - t0, 500, "woken %lld ms after begin",
	    (long long)(w.done_ms - t0));
	logstore_finish(ls, 8, 1, 1);
}

Test(logstore, wait_live_never_misses_a_begin_before_the_wait)
{
	uint64_t	 since;
	int64_t		 t0;

	since = logstore_generation(ls);
	logstore_begin(ls, 8, 2, 1);		/* another log went live */
	t0 = now_mono_ms();
	cr_assert_eq(logstore_wait_live(ls, 8, 1, 1, since, 5000), 0);
	cr_assert_lt(now_mono_ms() - t0, 500);
	since = logstore_generation(ls);
	t0 = now_mono_ms();
	cr_assert_eq(logstore_wait_live(ls, 8, 1, 1, since, 200), 0);
	cr_assert_geq(now_mono_ms() - t0, 150);
	logstore_finish(ls, 8, 2, 1);
}

Test(logstore, sync_keeps_the_log_live)
{
	char	 buf[8];
	int	 finished = -1;

	append(9, 1, 1, "abc", 3);
	logstore_sync(ls, 9, 1, 1);
	cr_assert_eq(logstore_read(ls, 9, 1, 1, 0, buf, sizeof buf, 0,
	    &finished), 3);
	cr_assert_eq(logstore_read(ls, 9, 1, 1, 3, buf, sizeof buf, 0,
	    &finished), 0);
	cr_assert_eq(finished, 0, "a synced log is still live");
	append(9, 1, 1, "de", 5);
	logstore_finish(ls, 9, 1, 1);
	cr_assert_eq(logstore_read(ls, 9, 1, 1, 0, buf, sizeof buf, 0,
	    &finished), 5);
	cr_assert_eq(memcmp(buf, "abcde", 5), 0);
	cr_assert_eq(logstore_read(ls, 9, 1, 1, 5, buf, sizeof buf, 0,
	    &finished), 0);
	cr_assert_eq(finished, 1);
}

Test(logstore, follower_times_out)
{
	struct waiter	w = { .off = 0, .wait_ms = 200 };
	int64_t		t0;

	logstore_begin(ls, 7, 1, 1);
	t0 = now_mono_ms();
	wait_main(&w);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(w.finished, 0);
	cr_assert_geq(w.done_ms - t0, 190);
	cr_assert_lt(w.done_ms - t0, 2000);
}

#define NREADERS	10
#define TOTAL		(1024 * 1024)

static unsigned char	*expect;

struct follower {
	struct buf	got;
	int		err;
};

static void *
follow_main(void *arg)
{
	struct follower	*f = arg;
	char		 chunk[4096];
	int64_t		 off = 0;
	ssize_t		 n;
	int		 finished = 0;

	buf_init(&f->got, 0);
	while (!finished) {
		n = logstore_read(ls, 8, 1, 1, off, chunk, sizeof chunk, 5000,
		    &finished);
		if (n == -1) {
			f->err = errno;
			break;
		}
		if (n > 0 && buf_add(&f->got, chunk, (size_t)n) != 0) {
			f->err = ENOMEM;
			break;
		}
		off += n;
	}
	return (NULL);
}

Test(logstore, concurrent_followers_get_identical_bytes)
{
	struct follower	f[NREADERS];
	pthread_t	t[NREADERS];
	size_t		off, n;
	char		*cause = NULL;
	int		i;

	expect = xmalloc(TOTAL);
	for (off = 0; off < TOTAL; off++)
		expect[off] = (unsigned char)((off * 131 + off / 977) & 0xff);

	memset(f, 0, sizeof f);
	logstore_begin(ls, 8, 1, 1);
	for (i = 0; i < NREADERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, follow_main, &f[i]), 0);
	for (off = 0; off < TOTAL; off += n) {
		n = 1 + (off % 1500);		/* small, uneven chunks */
		if (n > TOTAL - off)
			n = TOTAL - off;
		cr_assert_eq(logstore_append(ls, 8, 1, 1, expect + off, n,
		    NULL, &cause), 0, "%s", cause);
	}
	logstore_finish(ls, 8, 1, 1);
	for (i = 0; i < NREADERS; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_assert_eq(f[i].err, 0, "reader %d: %s", i,
		    strerror(f[i].err));
		cr_assert_eq(f[i].got.len, TOTAL, "reader %d got %zu", i,
		    f[i].got.len);
		cr_assert_eq(memcmp(f[i].got.data, expect, TOTAL), 0,
		    "reader %d differs", i);
		buf_free(&f[i].got);
	}
	free(expect);
}

Test(logstore, truncate)
{
	char	*s, *cause = NULL;

	append(4, 4, 1, "committed|uncommitted", 21);
	cr_assert_eq(logstore_truncate(ls, 4, 4, 1, 10, &cause), 0, "%s",
	    cause);
	cr_assert_eq(logstore_length(ls, 4, 4, 1), 10);
	append(4, 4, 1, "next", 14);
	s = slurp(4, 4, 1, 0);
	cr_assert_str_eq(s, "committed|next");
	free(s);

	/* A log that is not live, as in recovery after a restart. */
	logstore_finish(ls, 4, 4, 1);
	open_store(0);
	cr_assert_eq(logstore_truncate(ls, 4, 4, 1, 9, &cause), 0, "%s",
	    cause);
	s = slurp(4, 4, 1, 0);
	cr_assert_str_eq(s, "committed");
	free(s);

	/* Never extended; a missing log is fine. */
	cr_assert_eq(logstore_truncate(ls, 4, 4, 1, 100, &cause), 0);
	cr_assert_eq(logstore_length(ls, 4, 4, 1), 9);
	cr_assert_eq(logstore_truncate(ls, 4, 5, 1, 0, &cause), 0);
	cr_assert_eq(logstore_truncate(ls, 4, 4, 1, -1, &cause), -1);
	free(cause);
}

Test(logstore, truncate_below_cap_allows_more_output)
{
	char	*cause = NULL, *s;

	open_store(8);
	append(1, 1, 1, "12345678", 8);
	append(1, 1, 1, "9", -1);
	cr_assert_gt(logstore_length(ls, 1, 1, 1), 8);
	cr_assert_eq(logstore_truncate(ls, 1, 1, 1, 4, &cause), 0);
	append(1, 1, 1, "ab", 6);
	s = slurp(1, 1, 1, 0);
	cr_assert_str_eq(s, "1234ab");
	free(s);
}

Test(logstore, remove_job)
{
	struct stat	 st;
	char		*cause = NULL, *p, *s;
	int		 finished;
	char		 buf[8];

	append(1, 1, 1, "one", 3);
	append(1, 2, 1, "two", 3);
	logstore_finish(ls, 1, 1, 1);
	append(2, 1, 1, "other", 5);
	logstore_finish(ls, 2, 1, 1);

	cr_assert_eq(logstore_remove_job(ls, 1, &cause), 0, "%s", cause);
	p = xasprintf("%s/1", logdir);
	cr_assert_eq(stat(p, &st), -1);
	cr_assert_eq(errno, ENOENT);
	free(p);
	cr_assert_eq(logstore_length(ls, 1, 1, 1), 0);
	cr_assert_eq(logstore_length(ls, 1, 2, 1), 0);
	cr_assert_eq(logstore_read(ls, 1, 2, 1, 0, buf, sizeof buf, 1000,
	    &finished), 0);
	cr_assert_eq(finished, 1);

	s = slurp(2, 1, 1, 0);
	cr_assert_str_eq(s, "other");
	free(s);

	/* Removing again, or a job with no logs, is not an error. */
	cr_assert_eq(logstore_remove_job(ls, 1, &cause), 0);
	cr_assert_eq(logstore_remove_job(ls, 42, &cause), 0);
}

Test(logstore, remove_job_wakes_followers)
{
	struct waiter	w = { .off = 3, .wait_ms = 5000 };
	pthread_t	t;
	char		*cause = NULL;
	int64_t		 t0;

	append(7, 1, 1, "abc", 3);
	cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
	usleep(100 * 1000);
	t0 = now_mono_ms();
	cr_assert_eq(logstore_remove_job(ls, 7, &cause), 0, "%s", cause);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(w.finished, 1);
	cr_assert_lt(w.done_ms - t0, 500);
}
