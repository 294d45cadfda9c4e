/* test_logtimes.c -- the time index of task logs and logs read with stamps. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* nftw */
#endif

#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/logstamp.h"
#include "daemon/logstore.h"
#include "daemon/logtimes.h"
#include "proto/util.h"

static char	 tmpdir[64];
static char	*ipath;		/* an index for the format tests */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_logtimes.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	ipath = xasprintf("%s/x.times", tmpdir);
}

static void
teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH|FTW_PHYS);
	free(ipath);
}

TestSuite(logtimes, .init = setup, .fini = teardown, .timeout = 60);

/* Open ipath for a log of len bytes, expecting last_ms. */
static int
open_index(int64_t len, int64_t want_last)
{
	char	*cause = NULL;
	int64_t	 last = 0;
	int	 fd;

	cr_assert_eq(logtimes_open(ipath, len, &fd, &last, &cause), 0, "%s",
	    cause);
	cr_assert_eq(last, want_last, "last %lld", (long long)last);
	return (fd);
}

/* Sleep past the least time between two records. */
static void
past_gap(void)
{
	nanosleep(&(struct timespec){ 0, (LOGTIMES_MIN_GAP_MS + 2) * 1000000L },
	    NULL);
}

static off_t
file_size(const char *path)
{
	struct stat	st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return (st.st_size);
}

/* Index ipath with records (0, 1000), (10, 2000), (25, 3000). */
static void
three_records(void)
{
	int	fd;

	fd = open_index(0, INT64_MIN);
	cr_assert_eq(logtimes_append(fd, 0, 1000), 0);
	cr_assert_eq(logtimes_append(fd, 10, 2000), 0);
	cr_assert_eq(logtimes_append(fd, 25, 3000), 0);
	close(fd);
}

Test(logtimes, record_format_is_big_endian_offset_then_ms)
{
	unsigned char	rec[LOGTIMES_RECORD];
	int		fd;

	fd = open_index(0, INT64_MIN);
	cr_assert_eq(logtimes_append(fd, 0x0102, 0x0a0b0c), 0);
	close(fd);
	fd = open(ipath, O_RDONLY);
	cr_assert_eq(read(fd, rec, sizeof rec), (ssize_t)sizeof rec);
	close(fd);
	cr_assert_eq(rec[6], 0x01);
	cr_assert_eq(rec[7], 0x02);
	cr_assert_eq(rec[13], 0x0a);
	cr_assert_eq(rec[15], 0x0c);
	cr_assert_eq(rec[0] | rec[8], 0);
}

Test(logtimes, lookup_takes_the_last_record_at_or_before)
{
	struct logtimes	*r;

	three_records();
	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 0), 1000);
	cr_assert_eq(logtimes_lookup(r, 9), 1000);
	cr_assert_eq(logtimes_lookup(r, 10), 2000);
	cr_assert_eq(logtimes_lookup(r, 24), 2000);
	cr_assert_eq(logtimes_lookup(r, 25), 3000);
	cr_assert_eq(logtimes_lookup(r, 1000000), 3000);
	/* Backwards searches again. */
	cr_assert_eq(logtimes_lookup(r, 5), 1000);
	cr_assert_eq(logtimes_lookup(r, 12), 2000);
	logtimes_free(r);

	/* A first lookup in the middle finds its record by search. */
	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 11), 2000);
	logtimes_free(r);
}

Test(logtimes, lookup_before_any_record_or_without_index)
{
	struct logtimes	*r;
	int		 fd;

	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 0), -1, "no index yet");
	fd = open_index(0, INT64_MIN);
	cr_assert_eq(logtimes_lookup(r, 0), -1, "an empty index");
	cr_assert_eq(logtimes_append(fd, 5, 7000), 0);
	cr_assert_eq(logtimes_lookup(r, 4), -1, "before the first record");
	cr_assert_eq(logtimes_lookup(r, 5), 7000);
	close(fd);
	logtimes_free(r);
}

Test(logtimes, reader_sees_records_appended_after_it_looked)
{
	struct logtimes	*r;
	int		 fd;

	fd = open_index(0, INT64_MIN);
	cr_assert_eq(logtimes_append(fd, 0, 1), 0);
	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 100), 1);
	cr_assert_eq(logtimes_append(fd, 50, 2), 0);
	cr_assert_eq(logtimes_append(fd, 150, 3), 0);
	cr_assert_eq(logtimes_lookup(r, 100), 2);
	cr_assert_eq(logtimes_lookup(r, 150), 3);
	close(fd);
	logtimes_free(r);
}

Test(logtimes, many_records_across_reader_buffers)
{
	struct logtimes	*r;
	int64_t		 i;
	int		 fd;

	fd = open_index(0, INT64_MIN);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(logtimes_append(fd, i * 10, 5000 + i), 0);
	close(fd);
	r = logtimes_reader(ipath);
	for (i = 0; i < 10000; i += 3)
		cr_assert_eq(logtimes_lookup(r, i), 5000 + i / 10, "at %lld",
		    (long long)i);
	logtimes_free(r);
	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 7777), 5777);
	cr_assert_eq(logtimes_lookup(r, 9999), 5999);
	logtimes_free(r);
}

Test(logtimes, a_torn_last_record_is_ignored_then_cut)
{
	struct logtimes	*r;
	int		 fd;

	three_records();
	fd = open(ipath, O_WRONLY|O_APPEND);
	cr_assert_eq(write(fd, "\0\0\0\0\0\0\0", 7), 7);	/* torn */
	close(fd);

	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 30), 3000, "the torn tail is no record");
	logtimes_free(r);

	fd = open_index(100, 3000);
	cr_assert_eq(file_size(ipath), 3 * LOGTIMES_RECORD);
	cr_assert_eq(logtimes_append(fd, 40, 4000), 0);	/* aligned again */
	close(fd);
	r = logtimes_reader(ipath);
	cr_assert_eq(logtimes_lookup(r, 41), 4000);
	logtimes_free(r);
}

Test(logtimes, open_drops_records_the_log_no_longer_holds)
{
	int	fd;

	three_records();
	fd = open_index(25, 2000);	/* the log lost byte 25 on */
	cr_assert_eq(file_size(ipath), 2 * LOGTIMES_RECORD);
	close(fd);
	fd = open_index(0, INT64_MIN);
	cr_assert_eq(file_size(ipath), 0);
	close(fd);
}

Test(logtimes, cut_through_path_or_fd)
{
	char	*cause = NULL, *missing;
	int64_t	 last = 0;
	int	 fd;

	three_records();
	cr_assert_eq(logtimes_cut(ipath, -1, 11, &last, &cause), 0, "%s", cause);
	cr_assert_eq(last, 2000);
	cr_assert_eq(file_size(ipath), 2 * LOGTIMES_RECORD);
	fd = open(ipath, O_RDWR);
	cr_assert_eq(logtimes_cut(ipath, fd, 0, &last, &cause), 0, "%s", cause);
	close(fd);
	cr_assert_eq(last, INT64_MIN);
	cr_assert_eq(file_size(ipath), 0);

	missing = xasprintf("%s/none.times", tmpdir);
	cr_assert_eq(logtimes_cut(missing, -1, 0, &last, &cause), 0);
	cr_assert_eq(access(missing, F_OK), -1, "a cut creates nothing");
	free(missing);
}

Test(logtimes, format_is_rfc3339_utc_with_milliseconds)
{
	char	s[LOGTIMES_STAMP_LEN + 1];

	logtimes_format(1714566896789LL, s, sizeof s);
	cr_assert_str_eq(s, "2024-05-01T12:34:56.789Z");
	logtimes_format(0, s, sizeof s);
	cr_assert_str_eq(s, "1970-01-01T00:00:00.000Z");
	logtimes_format(-5, s, sizeof s);
	cr_assert_str_eq(s, "1970-01-01T00:00:00.000Z");
	logtimes_format(INT64_MAX, s, sizeof s);
	cr_assert_str_eq(s, "9999-12-31T23:59:59.999Z");
	cr_assert_eq(strlen(s), LOGTIMES_STAMP_LEN);
}

/* --- through the log store ---------------------------------------------- */

static struct logstore *
store_open(char **dir)
{
	struct logstore	*ls;
	char		*cause = NULL;

	*dir = xasprintf("%s/logs", tmpdir);
	cr_assert_eq(logstore_open(*dir, 0, &ls, &cause), 0, "%s", cause);
	return (ls);
}

static void
store_append(struct logstore *ls, const char *s)
{
	char	*cause = NULL;

	cr_assert_eq(logstore_append(ls, 1, 2, 1, s, strlen(s), NULL, &cause),
	    0, "%s", cause);
}

/* Read a whole stamped log from off, max bytes at a time; caller frees. */
static char *
stamped(struct logstore *ls, int64_t off, size_t max)
{
	struct logstamp	*st;
	struct buf	 b;
	char		 chunk[64];
	ssize_t		 n;
	int		 finished;

	cr_assert_leq(max, sizeof chunk);
	st = logstamp_new(ls, 1, 2, 1, off);
	buf_init(&b, 0);
	while ((n = logstamp_read(st, chunk, max, 0, &finished)) > 0)
		cr_assert_eq(buf_add(&b, chunk, (size_t)n), 0);
	cr_assert_eq(n, 0, "read: %s", strerror(errno));
	logstamp_free(st);
	(void)buf_add(&b, "", 0);
	return (buf_steal(&b, NULL));
}

/* Write the index of the test log (job 1, task 2, attempt 1). */
static void
store_index(struct logstore *ls, int64_t off1, int64_t ms1, int64_t off2,
    int64_t ms2)
{
	char	*cause = NULL, *path;
	int	 fd;

	logstore_begin(ls, 1, 2, 1);
	logstore_finish(ls, 1, 2, 1);
	path = xasprintf("%s/logs/1/2.1.times", tmpdir);
	cr_assert_eq(logtimes_cut(path, -1, 0, NULL, &cause), 0, "%s", cause);
	fd = open(path, O_WRONLY|O_APPEND);
	cr_assert_neq(fd, -1);
	cr_assert_eq(logtimes_append(fd, off1, ms1), 0);
	cr_assert_eq(logtimes_append(fd, off2, ms2), 0);
	close(fd);
	free(path);
}

Test(logtimes, append_records_when_chunks_arrived)
{
	struct logstore	*ls;
	struct logtimes	*r;
	char		*dir, *path;
	int64_t		 t0, t1, t2;

	ls = store_open(&dir);
	t0 = now_wall_ms();
	store_append(ls, "one\n");
	nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	t1 = now_wall_ms();
	store_append(ls, "two\nthr");
	past_gap();
	store_append(ls, "ee\n");	/* no line starts in it: no record */
	t2 = now_wall_ms();
	logstore_finish(ls, 1, 2, 1);

	path = xasprintf("%s/1/2.1.times", dir);
	r = logtimes_reader(path);
	cr_assert_geq(logtimes_lookup(r, 0), t0);
	cr_assert_lt(logtimes_lookup(r, 3), t1);
	cr_assert_geq(logtimes_lookup(r, 4), t1);
	cr_assert_leq(logtimes_lookup(r, 10), t2);
	cr_assert_eq(logtimes_lookup(r, 11), logtimes_lookup(r, 4));
	logtimes_free(r);
	cr_assert_eq(file_size(path), 2 * LOGTIMES_RECORD);
	free(path);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, only_chunks_where_a_line_starts_are_noted)
{
	struct logstore	*ls;
	struct logtimes	*r;
	char		*dir, *path, *cause = NULL;
	const char	*chunks[] = { "progress 1%", "\r2%", "\r3%\n",
			    "next\n", "a", "b\nc", "\n" };
	int64_t		 when[7];
	size_t		 i;

	ls = store_open(&dir);
	for (i = 0; i < 7; i++) {
		past_gap();
		when[i] = now_wall_ms();
		store_append(ls, chunks[i]);
	}
	/* Records: "progress 1%" at 0, "next\n" at 18, "a" at 23, "b\nc" at
	 * 24; the others start no line. */
	path = xasprintf("%s/1/2.1.times", dir);
	cr_assert_eq(file_size(path), 4 * LOGTIMES_RECORD);
	r = logtimes_reader(path);
	cr_assert_geq(logtimes_lookup(r, 0), when[0]);
	cr_assert_lt(logtimes_lookup(r, 0), when[1]);
	cr_assert_lt(logtimes_lookup(r, 17), when[1], "\r is no new line");
	cr_assert_geq(logtimes_lookup(r, 18), when[3]);
	cr_assert_geq(logtimes_lookup(r, 23), when[4]);
	cr_assert_geq(logtimes_lookup(r, 26), when[5], "c's line: b\nc's time");
	cr_assert_lt(logtimes_lookup(r, 26), when[6]);
	logtimes_free(r);

	/* A marker after a partial line starts its own. */
	store_append(ls, "partial");
	cr_assert_eq(logstore_mark(ls, 1, 2, 1, "MARK", &cause), 0, "%s",
	    cause);
	cr_assert_eq(logstore_length(ls, 1, 2, 1), 28 + 7 + 6);
	free(path);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, short_lines_coming_fast_add_few_records)
{
	struct logstore	*ls;
	struct logtimes	*r;
	char		*dir, *path;
	int64_t		 t0, t1;
	off_t		 records;
	int		 i;

	ls = store_open(&dir);
	t0 = now_wall_ms();
	for (i = 0; i < 2000; i++)
		store_append(ls, "x\n");
	t1 = now_wall_ms();
	path = xasprintf("%s/1/2.1.times", dir);
	records = file_size(path) / LOGTIMES_RECORD;
	cr_assert_geq(records, 1);
	cr_assert_leq(records, (t1 - t0) / LOGTIMES_MIN_GAP_MS + 1,
	    "%jd records in %jd ms", (intmax_t)records, (intmax_t)(t1 - t0));
	/* Every line still has a time, at most the gap early. */
	r = logtimes_reader(path);
	cr_assert_geq(logtimes_lookup(r, 2 * 1999), t0);
	cr_assert_leq(logtimes_lookup(r, 2 * 1999), t1);
	logtimes_free(r);
	free(path);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, stamped_read_puts_the_time_before_each_line)
{
	struct logstore	*ls;
	char		*dir, *out;
	size_t		 max;

	ls = store_open(&dir);
	store_append(ls, "a\nbc\n\ndef");
	store_index(ls, 0, 1714566896789LL, 4, 1714566900001LL);
	for (max = 1; max <= 64; max *= 2) {
		out = stamped(ls, 0, max);
		cr_assert_str_eq(out,
		    "2024-05-01T12:34:56.789Z a\n"
		    "2024-05-01T12:34:56.789Z bc\n"
		    "2024-05-01T12:35:00.001Z \n"
		    "2024-05-01T12:35:00.001Z def", "max %zu: %s", max, out);
		free(out);
	}
	/* At a line start: stamped; mid-line: not until the next line. */
	out = stamped(ls, 2, 64);
	cr_assert_str_eq(out, "2024-05-01T12:34:56.789Z bc\n"
	    "2024-05-01T12:35:00.001Z \n2024-05-01T12:35:00.001Z def");
	free(out);
	out = stamped(ls, 3, 5);
	cr_assert_str_eq(out, "c\n2024-05-01T12:35:00.001Z \n"
	    "2024-05-01T12:35:00.001Z def");
	free(out);
	out = stamped(ls, 10, 64);
	cr_assert_str_eq(out, "");
	free(out);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, stamped_read_of_a_live_log_follows)
{
	struct logstore	*ls;
	struct logstamp	*st;
	char		*dir, buf[64];
	ssize_t		 n;
	int		 finished;

	ls = store_open(&dir);
	store_append(ls, "x\n");
	st = logstamp_new(ls, 1, 2, 1, 0);
	n = logstamp_read(st, buf, sizeof buf, 0, &finished);
	cr_assert_eq(n, LOGSTAMP_PREFIX + 2);
	cr_assert_eq(memcmp(buf + LOGSTAMP_PREFIX - 1, " x\n", 3), 0);
	cr_assert_eq(logstamp_read(st, buf, sizeof buf, 10, &finished), 0);
	cr_assert_eq(finished, 0, "live: more may come");
	store_append(ls, "y");
	n = logstamp_read(st, buf, sizeof buf, 10, &finished);
	cr_assert_eq(n, LOGSTAMP_PREFIX + 1);
	cr_assert_eq(buf[LOGSTAMP_PREFIX], 'y');
	logstore_finish(ls, 1, 2, 1);
	cr_assert_eq(logstamp_read(st, buf, sizeof buf, 10, &finished), 0);
	cr_assert_eq(finished, 1);
	logstamp_free(st);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, a_log_without_index_is_stamped_with_its_mtime)
{
	struct logstore	*ls;
	struct timespec	 ts[2];
	char		*dir, *path, *out;

	ls = store_open(&dir);
	store_append(ls, "old\n");
	logstore_finish(ls, 1, 2, 1);
	path = xasprintf("%s/1/2.1.times", dir);
	cr_assert_eq(unlink(path), 0);
	free(path);
	path = xasprintf("%s/1/2.1.log", dir);
	ts[0].tv_sec = ts[1].tv_sec = 1714566896;
	ts[0].tv_nsec = ts[1].tv_nsec = 789000000;
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	free(path);
	out = stamped(ls, 0, 64);
	cr_assert_str_eq(out, "2024-05-01T12:34:56.789Z old\n");
	free(out);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, truncate_cuts_the_index_rewind_keeps_it_for_the_replay)
{
	struct logstore	*ls;
	struct logtimes	*r;
	char		*dir, *path, *cause = NULL;
	int64_t		 before, first;

	ls = store_open(&dir);
	path = xasprintf("%s/1/2.1.times", dir);
	store_append(ls, "one\n");
	past_gap();
	store_append(ls, "two\n");
	cr_assert_eq(file_size(path), 2 * LOGTIMES_RECORD);
	r = logtimes_reader(path);
	first = logtimes_lookup(r, 4);
	logtimes_free(r);

	/* A replay of "two\n": its record stays, no new one. */
	cr_assert_eq(logstore_rewind(ls, 1, 2, 1, 4, &cause), 0, "%s", cause);
	cr_assert_eq(logstore_length(ls, 1, 2, 1), 4);
	past_gap();
	store_append(ls, "two\n");
	cr_assert_eq(file_size(path), 2 * LOGTIMES_RECORD);
	r = logtimes_reader(path);
	cr_assert_eq(logtimes_lookup(r, 4), first);
	logtimes_free(r);
	/* Past the replayed bytes, new times again. */
	past_gap();
	store_append(ls, "three\n");
	cr_assert_eq(file_size(path), 3 * LOGTIMES_RECORD);

	/* A truncate forgets the times of what it cut. */
	cr_assert_eq(logstore_truncate(ls, 1, 2, 1, 4, &cause), 0, "%s", cause);
	cr_assert_eq(file_size(path), 1 * LOGTIMES_RECORD);
	before = now_wall_ms();
	past_gap();
	store_append(ls, "new\n");
	r = logtimes_reader(path);
	cr_assert_geq(logtimes_lookup(r, 4), before);
	logtimes_free(r);

	/* Not live: the file is cut all the same. */
	logstore_finish(ls, 1, 2, 1);
	cr_assert_eq(logstore_truncate(ls, 1, 2, 1, 0, &cause), 0, "%s", cause);
	cr_assert_eq(file_size(path), 0);
	free(path);
	logstore_close(ls);
	free(dir);
}

Test(logtimes, index_survives_a_reopen_and_goes_with_the_job)
{
	struct logstore	*ls;
	char		*dir, *path, *cause = NULL, *a, *b;

	ls = store_open(&dir);
	store_append(ls, "kept\n");
	logstore_finish(ls, 1, 2, 1);
	a = stamped(ls, 0, 64);
	logstore_close(ls);
	free(dir);

	ls = store_open(&dir);
	b = stamped(ls, 0, 64);
	cr_assert_str_eq(a, b);
	/* Appending after the restart (a re-adopted task) extends it. */
	past_gap();
	store_append(ls, "more\n");
	path = xasprintf("%s/1/2.1.times", dir);
	cr_assert_eq(file_size(path), 2 * LOGTIMES_RECORD);
	cr_assert_eq(logstore_remove_job(ls, 1, &cause), 0, "%s", cause);
	cr_assert_eq(access(path, F_OK), -1);
	free(path);
	free(a);
	free(b);
	logstore_close(ls);
	free(dir);
}
