/* test_store.c -- the SQLite queue: round trips, restarts, states, deps. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store.h"
#include "proto/util.h"

static char		 tmpdir[64];
static char		*dbpath;
static struct store	*st;

/* Task indexes of the sample job. */
enum { T_BUILD, T_TEST, T_DEPLOY };

/* Open (or reopen) the store at path. */
static void
open_at(const char *path)
{
	char	*cause = NULL;

	if (st != NULL)
		store_close(st);
	st = NULL;
	cr_assert_eq(store_open(path, &st, &cause), 0, "%s", cause);
	cr_assert_not_null(st);
}

static void
setup_file(void)
{
	strcpy(tmpdir, "/tmp/test_store.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	dbpath = xasprintf("%s/stratus.db", tmpdir);
	open_at(dbpath);
}

static void
teardown_file(void)
{
	const char	*sfx[] = { "", "-wal", "-shm", "-journal" };
	char		*p;
	size_t		 i;

	store_close(st);
	st = NULL;
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		p = xasprintf("%s%s", dbpath, sfx[i]);
		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
	free(dbpath);
	dbpath = NULL;
}

static void
setup_memory(void)
{
	open_at(":memory:");
}

static void
teardown_memory(void)
{
	store_close(st);
	st = NULL;
}

/*
 * Insert a job: build (2 steps) <- test (1 step) <- deploy (deps build and
 * test).  af_build sets build's allow_failures.  Returns the job id and
 * fills ids[3] with the task ids when ids is not NULL.
 */
static int64_t
insert_job(const char *project, int priority, int af_build, int64_t *ids)
{
	static const char *const bnames[] = { "clone", "make" };
	static const char *const bkinds[] = { "clone", "script" };
	static const char *const tnames[] = { "check" };
	static const char *const tkinds[] = { "script" };
	static const size_t	 tdeps[] = { T_BUILD };
	static const size_t	 ddeps[] = { T_BUILD, T_TEST };
	struct store_new_task	 tasks[3];
	struct store_new_job	 job;
	struct store_job	*j = NULL;
	char			*cause = NULL;
	int64_t			 id;
	size_t			 i;

	memset(tasks, 0, sizeof tasks);
	tasks[T_BUILD] = (struct store_new_task){ .name = "build",
	    .spec = "{\"name\":\"build\"}", .allow_failures = af_build,
	    .state = TASK_QUEUED, .step_names = bnames, .step_kinds = bkinds,
	    .nsteps = 2 };
	tasks[T_TEST] = (struct store_new_task){ .name = "test",
	    .spec = "{\"name\":\"test\"}", .state = TASK_QUEUED,
	    .step_names = tnames, .step_kinds = tkinds, .nsteps = 1,
	    .deps = tdeps, .ndeps = 1 };
	tasks[T_DEPLOY] = (struct store_new_task){ .name = "deploy",
	    .spec = "{\"name\":\"deploy\"}", .state = TASK_QUEUED,
	    .deps = ddeps, .ndeps = 2 };
	job = (struct store_new_job){ .project = project,
	    .taskfile_name = ".cirrus.yml", .blob = "ab12", .env = "{\"A\":\"1\"}",
	    .priority = priority, .tasks = tasks, .ntasks = 3 };
	cr_assert_eq(store_job_insert(st, &job, &id, &cause), 0, "%s", cause);
	cr_assert_gt(id, 0);
	if (ids != NULL) {
		cr_assert_eq(store_job_get(st, id, &j, &cause), 0, "%s", cause);
		cr_assert_eq(j->ntasks, 3);
		for (i = 0; i < 3; i++)
			ids[i] = j->tasks[i].id;
		store_job_free(j);
	}
	return (id);
}

/* Insert a job without tasks; enough for listings. */
static int64_t
insert_empty(const char *project)
{
	struct store_new_job	 job;
	char			*cause = NULL;
	int64_t			 id;

	job = (struct store_new_job){ .project = project,
	    .taskfile_name = ".cirrus.yml", .env = "{}" };
	cr_assert_eq(store_job_insert(st, &job, &id, &cause), 0, "%s", cause);
	return (id);
}

static void
set_state(int64_t task, enum task_state s, int code, const char *reason)
{
	char	*cause = NULL;

	cr_assert_eq(store_task_set_state(st, task, s, code, reason, &cause),
	    0, "%s", cause);
}

static struct store_task *
get_task(int64_t id)
{
	struct store_task	*t = NULL;
	char			*cause = NULL;

	cr_assert_eq(store_task_get(st, id, &t, &cause), 0, "%s", cause);
	return (t);
}

static enum task_state
task_state(int64_t id)
{
	struct store_task	*t = get_task(id);
	enum task_state		 s = t->state;

	store_task_free(t);
	return (s);
}

static enum task_state
job_state(int64_t id)
{
	struct store_job	*j = NULL;
	char			*cause = NULL;
	enum task_state		 s;

	cr_assert_eq(store_job_get(st, id, &j, &cause), 0, "%s", cause);
	s = j->state;
	store_job_free(j);
	return (s);
}

/* Ids of the runnable tasks, at most 16. */
static size_t
runnable(int64_t *ids)
{
	struct store_task	*ts = NULL;
	char			*cause = NULL;
	size_t			 n = 0, i;

	cr_assert_eq(store_tasks_runnable(st, 16, &ts, &n, &cause), 0, "%s",
	    cause);
	for (i = 0; i < n; i++)
		ids[i] = ts[i].id;
	store_tasks_free(ts, n);
	return (n);
}

/* Check every field of the sample job as inserted. */
static void
check_sample(int64_t jid)
{
	struct store_job	*j = NULL;
	struct store_task	*t;
	char			*cause = NULL;

	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	cr_assert_eq(j->id, jid);
	cr_assert_str_eq(j->project, "proj");
	cr_assert_str_eq(j->taskfile_name, ".cirrus.yml");
	cr_assert_str_eq(j->blob, "ab12");
	cr_assert_str_eq(j->env, "{\"A\":\"1\"}");
	cr_assert_eq(j->priority, 3);
	cr_assert_eq(j->state, TASK_QUEUED);
	cr_assert_gt(j->created_ms, 0);
	cr_assert_eq(j->started_ms, 0);
	cr_assert_eq(j->finished_ms, 0);
	cr_assert_eq(j->ntasks, 3);

	t = &j->tasks[T_BUILD];
	cr_assert_eq(t->job_id, jid);
	cr_assert_str_eq(t->name, "build");
	cr_assert_str_eq(t->project, "proj");
	cr_assert_eq(t->state, TASK_QUEUED);
	cr_assert_eq(t->exit_code, -1);
	cr_assert_null(t->reason);
	cr_assert_eq(t->allow_failures, 0);
	cr_assert_eq(t->attempt, 1);
	cr_assert_str_eq(t->spec, "{\"name\":\"build\"}");
	cr_assert_null(t->container);
	cr_assert_eq(t->log_len, 0);
	cr_assert_eq(t->created_ms, j->created_ms);
	cr_assert_eq(t->started_ms, 0);
	cr_assert_eq(t->finished_ms, 0);
	cr_assert_eq(t->ndeps, 0);
	cr_assert_eq(t->nsteps, 2);
	cr_assert_eq(t->steps[0].idx, 0);
	cr_assert_str_eq(t->steps[0].name, "clone");
	cr_assert_str_eq(t->steps[0].kind, "clone");
	cr_assert_eq(t->steps[0].state, TASK_QUEUED);
	cr_assert_eq(t->steps[0].exit_code, -1);
	cr_assert_eq(t->steps[1].idx, 1);
	cr_assert_str_eq(t->steps[1].name, "make");
	cr_assert_str_eq(t->steps[1].kind, "script");

	t = &j->tasks[T_TEST];
	cr_assert_str_eq(t->name, "test");
	cr_assert_eq(t->ndeps, 1);
	cr_assert_eq(t->deps[0], j->tasks[T_BUILD].id);
	cr_assert_eq(t->nsteps, 1);
	cr_assert_str_eq(t->steps[0].name, "check");

	t = &j->tasks[T_DEPLOY];
	cr_assert_str_eq(t->name, "deploy");
	cr_assert_eq(t->nsteps, 0);
	cr_assert_eq(t->ndeps, 2);
	cr_assert_eq(t->deps[0], j->tasks[T_BUILD].id);
	cr_assert_eq(t->deps[1], j->tasks[T_TEST].id);
	store_job_free(j);
}

TestSuite(store, .init = setup_file, .fini = teardown_file);
TestSuite(memory, .init = setup_memory, .fini = teardown_memory);

Test(store, insert_then_get_every_field)
{
	check_sample(insert_job("proj", 3, 0, NULL));
}

Test(memory, insert_then_get_every_field)
{
	check_sample(insert_job("proj", 3, 0, NULL));
}

Test(memory, empty_path_is_a_private_database)
{
	open_at("");
	check_sample(insert_job("proj", 3, 0, NULL));
}

Test(store, get_missing_job_and_task_return_1)
{
	struct store_job	*j = NULL;
	struct store_task	*t = NULL;
	char			*cause = NULL;

	cr_assert_eq(store_job_get(st, 42, &j, &cause), 1);
	cr_assert_null(j);
	cr_assert_eq(store_task_get(st, 42, &t, &cause), 1);
	cr_assert_null(t);
}

Test(store, reopen_finds_everything)
{
	int64_t	 jid, ids[3], jid2;

	jid = insert_job("proj", 3, 0, ids);
	open_at(dbpath);
	check_sample(jid);

	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	open_at(dbpath);
	cr_assert_eq(task_state(ids[T_BUILD]), TASK_RUNNING);
	cr_assert_eq(job_state(jid), TASK_RUNNING);

	/* AUTOINCREMENT: ids are never handed out twice, across restarts. */
	jid2 = insert_job("proj", 0, 0, NULL);
	cr_assert_gt(jid2, jid);
}

Test(store, database_is_in_wal_mode_at_current_version)
{
	sqlite3		*db;
	sqlite3_stmt	*s;

	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
	    NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), 4);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Read task id's cache state, which must load. */
static char *
cache_state(int64_t id)
{
	char	*json = NULL, *cause = NULL;

	cr_assert_eq(store_task_cache_state(st, id, &json, &cause), 0, "%s",
	    cause);
	return (json);
}

Test(store, version_3_database_gains_cache_state_keeping_its_tasks)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int64_t		 jid, ids[3];
	char		*cause = NULL, *json;

	/* A version 3 database: without the column, user_version 3. */
	jid = insert_job("proj", 3, 0, ids);
	store_close(st);
	st = NULL;
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "ALTER TABLE tasks DROP COLUMN "
	    "cache_state; PRAGMA user_version = 3", NULL, NULL, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);

	open_at(dbpath);
	check_sample(jid);
	cr_assert_null(cache_state(ids[T_BUILD]));
	cr_assert_eq(store_task_set_cache_state(st, ids[T_BUILD], "[]",
	    &cause), 0, "%s", cause);
	json = cache_state(ids[T_BUILD]);
	cr_assert_str_eq(json, "[]");
	free(json);
	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), 4);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

Test(store, newer_schema_version_refuses_to_open)
{
	struct store	*s2 = NULL;
	sqlite3		*db;
	char		*path, *cause = NULL;

	path = xasprintf("%s/future.db", tmpdir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);

	cr_assert_eq(store_open(path, &s2, &cause), -1);
	cr_assert_null(s2);
	cr_assert_not_null(cause);
	cr_assert_str_eq(cause, "database schema version 99 is newer than "
	    "this stratusd supports (4)");
	free(cause);
	unlink(path);
	free(path);
}

Test(store, list_pages_newest_first)
{
	struct store_filter	 f = { NULL, -1, 0, 2 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 ids[5], next;
	size_t			 n, i;

	for (i = 0; i < 5; i++)
		ids[i] = insert_empty("p");

	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(js[0].id, ids[4]);
	cr_assert_eq(js[1].id, ids[3]);
	cr_assert_null(js[0].tasks);
	cr_assert_eq(next, ids[3]);
	store_jobs_free(js, n);

	f.before_id = next;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(js[0].id, ids[2]);
	cr_assert_eq(js[1].id, ids[1]);
	cr_assert_eq(next, ids[1]);
	store_jobs_free(js, n);

	f.before_id = next;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(js[0].id, ids[0]);
	cr_assert_eq(next, 0);
	store_jobs_free(js, n);
}

Test(store, list_exact_last_page_has_no_cursor)
{
	struct store_filter	 f = { NULL, -1, 0, 2 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 next;
	size_t			 n;

	insert_empty("p");
	insert_empty("p");
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(next, 0);
	store_jobs_free(js, n);
}

Test(store, list_filters_by_project)
{
	struct store_filter	 f = { "b", -1, 0, 10 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 a1, b1, a2, b2, next;
	size_t			 n;

	a1 = insert_empty("a");
	b1 = insert_empty("b");
	a2 = insert_empty("a");
	b2 = insert_empty("b");
	(void)a1;
	(void)a2;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(js[0].id, b2);
	cr_assert_eq(js[1].id, b1);
	cr_assert_str_eq(js[0].project, "b");
	cr_assert_eq(next, 0);
	store_jobs_free(js, n);
}

Test(store, list_filters_by_derived_state_across_pages)
{
	struct store_filter	 f = { NULL, TASK_RUNNING, 0, 2 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 jid[6], tids[3], next;
	size_t			 n, i;

	/* Jobs 0, 2, 4 run; 1, 3, 5 stay queued. */
	for (i = 0; i < 6; i++) {
		jid[i] = insert_job("p", 0, 0, tids);
		if (i % 2 == 0)
			set_state(tids[T_BUILD], TASK_RUNNING, -1, NULL);
	}
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(js[0].id, jid[4]);
	cr_assert_eq(js[1].id, jid[2]);
	cr_assert_eq(js[0].state, TASK_RUNNING);
	cr_assert_gt(js[0].started_ms, 0);
	cr_assert_eq(next, jid[2]);
	store_jobs_free(js, n);

	f.before_id = next;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(js[0].id, jid[0]);
	cr_assert_eq(next, 0);
	store_jobs_free(js, n);

	f.state = TASK_QUEUED;
	f.before_id = 0;
	f.limit = 10;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(js[0].id, jid[5]);
	store_jobs_free(js, n);
}

Test(memory, list_limit_is_capped_to_1_and_1000)
{
	struct store_filter	 f = { NULL, -1, 0, 0 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 next;
	size_t			 n, i;

	for (i = 0; i < 1005; i++)
		insert_empty("p");
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 1);
	store_jobs_free(js, n);

	f.limit = 5000;
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 1000);
	cr_assert_eq(next, js[999].id);
	store_jobs_free(js, n);
}

Test(store, list_rejects_unknown_state)
{
	struct store_filter	 f = { NULL, TASK_NSTATES, 0, 10 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 next;
	size_t			 n;

	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
}

Test(store, set_state_stamps_start_and_finish)
{
	struct store_task	*t;
	int64_t			 ids[3], before = now_wall_ms(), jid;
	struct store_job	*j = NULL;
	char			*cause = NULL;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	t = get_task(ids[T_BUILD]);
	cr_assert_eq(t->state, TASK_RUNNING);
	cr_assert_geq(t->started_ms, before);
	cr_assert_eq(t->finished_ms, 0);
	cr_assert_eq(t->exit_code, -1);
	store_task_free(t);

	set_state(ids[T_BUILD], TASK_FAILED, 2, "exit status 2");
	t = get_task(ids[T_BUILD]);
	cr_assert_eq(t->state, TASK_FAILED);
	cr_assert_eq(t->exit_code, 2);
	cr_assert_str_eq(t->reason, "exit status 2");
	cr_assert_geq(t->finished_ms, t->started_ms);
	store_task_free(t);

	/* The job finished once its skipped dependents are: times derive. */
	set_state(ids[T_TEST], TASK_CANCELLED, -1, "stop");
	set_state(ids[T_DEPLOY], TASK_CANCELLED, -1, "stop");
	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	cr_assert_eq(j->state, TASK_FAILED);
	cr_assert_eq(j->started_ms, j->tasks[T_BUILD].started_ms);
	cr_assert_geq(j->finished_ms, j->tasks[T_BUILD].finished_ms);
	store_job_free(j);
}

Test(store, set_state_refuses_leaving_a_finished_state)
{
	int64_t	 ids[3];
	char	*cause = NULL;

	insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	set_state(ids[T_BUILD], TASK_SUCCEEDED, 0, NULL);
	cr_assert_eq(store_task_set_state(st, ids[T_BUILD], TASK_RUNNING, -1,
	    NULL, &cause), -1);
	cr_assert_not_null(cause);
	cr_assert(strstr(cause, "already succeeded") != NULL, "%s", cause);
	free(cause);
	cr_assert_eq(task_state(ids[T_BUILD]), TASK_SUCCEEDED);
}

Test(store, set_state_of_missing_task_fails)
{
	char	*cause = NULL;

	cr_assert_eq(store_task_set_state(st, 999, TASK_RUNNING, -1, NULL,
	    &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
}

Test(store, step_set_state_stamps_times)
{
	struct store_task	*t;
	int64_t			 ids[3];
	char			*cause = NULL;

	insert_job("proj", 0, 0, ids);
	cr_assert_eq(store_step_set_state(st, ids[T_BUILD], 1, TASK_RUNNING,
	    -1, &cause), 0, "%s", cause);
	t = get_task(ids[T_BUILD]);
	cr_assert_eq(t->steps[1].state, TASK_RUNNING);
	cr_assert_gt(t->steps[1].started_ms, 0);
	cr_assert_eq(t->steps[1].finished_ms, 0);
	cr_assert_eq(t->steps[0].state, TASK_QUEUED);
	store_task_free(t);

	cr_assert_eq(store_step_set_state(st, ids[T_BUILD], 1, TASK_FAILED,
	    3, &cause), 0, "%s", cause);
	t = get_task(ids[T_BUILD]);
	cr_assert_eq(t->steps[1].state, TASK_FAILED);
	cr_assert_eq(t->steps[1].exit_code, 3);
	cr_assert_geq(t->steps[1].finished_ms, t->steps[1].started_ms);
	store_task_free(t);

	cr_assert_eq(store_step_set_state(st, ids[T_BUILD], 7, TASK_RUNNING,
	    -1, &cause), -1);
	free(cause);
}

Test(store, step_set_times_overrides_the_stamps)
{
	struct store_task	*t;
	int64_t			 ids[3];
	char			*cause = NULL;

	insert_job("proj", 0, 0, ids);
	cr_assert_eq(store_step_set_times(st, ids[T_BUILD], 1, 1000, 3500,
	    &cause), 0, "%s", cause);
	t = get_task(ids[T_BUILD]);
	cr_assert_eq(t->steps[1].started_ms, 1000);
	cr_assert_eq(t->steps[1].finished_ms, 3500);
	store_task_free(t);
}

Test(store, container_and_log_len_are_recorded)
{
	struct store_task	*t;
	int64_t			 ids[3];
	char			*cause = NULL;

	insert_job("proj", 0, 0, ids);
	cr_assert_eq(store_task_set_container(st, ids[T_TEST], "c0ffee",
	    &cause), 0, "%s", cause);
	cr_assert_eq(store_task_set_log_len(st, ids[T_TEST], 4096, &cause), 0,
	    "%s", cause);
	t = get_task(ids[T_TEST]);
	cr_assert_str_eq(t->container, "c0ffee");
	cr_assert_eq(t->log_len, 4096);
	store_task_free(t);
	cr_assert_eq(store_task_set_container(st, 999, "x", &cause), -1);
	free(cause);
}

Test(store, cache_state_round_trips_per_task)
{
	static const char	 state[] = "[{\"name\":\"deps\",\"key\":"
	    "\"deps:k\",\"folders\":[{\"path\":\"d\",\"restored\":null}]}]";
	int64_t			 ids[3];
	char			*cause = NULL, *json = NULL;

	insert_job("proj", 0, 0, ids);
	cr_assert_null(cache_state(ids[T_BUILD]), "none until recorded");
	cr_assert_eq(store_task_set_cache_state(st, ids[T_BUILD], state,
	    &cause), 0, "%s", cause);
	json = cache_state(ids[T_BUILD]);
	cr_assert_str_eq(json, state);
	free(json);
	cr_assert_null(cache_state(ids[T_TEST]), "the other tasks' stay");
	open_at(dbpath);
	json = cache_state(ids[T_BUILD]);
	cr_assert_str_eq(json, state, "it survives a restart");
	free(json);
	cr_assert_eq(store_task_set_cache_state(st, ids[T_BUILD], NULL,
	    &cause), 0, "%s", cause);
	cr_assert_null(cache_state(ids[T_BUILD]));

	cr_assert_eq(store_task_cache_state(st, 999, &json, &cause), 1);
	cr_assert_null(json);
	cr_assert_eq(store_task_set_cache_state(st, 999, "[]", &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
}

Test(store, find_task_by_name_or_id)
{
	struct store_task	*t = NULL;
	int64_t			 ids[3], jid;
	char			*cause = NULL, *num;

	jid = insert_job("proj", 0, 0, ids);
	cr_assert_eq(store_task_find(st, jid, "test", &t, &cause), 0);
	cr_assert_eq(t->id, ids[T_TEST]);
	store_task_free(t);

	num = xasprintf("%lld", (long long)ids[T_DEPLOY]);
	cr_assert_eq(store_task_find(st, jid, num, &t, &cause), 0);
	cr_assert_str_eq(t->name, "deploy");
	store_task_free(t);
	free(num);

	cr_assert_eq(store_task_find(st, jid, "nope", &t, &cause), 1);
	cr_assert_null(t);
	cr_assert_eq(store_task_find(st, jid + 1, "test", &t, &cause), 1);
}

Test(store, tasks_in_state_oldest_first)
{
	struct store_task	*ts = NULL;
	int64_t			 a[3], b[3];
	char			*cause = NULL;
	size_t			 n;

	insert_job("proj", 0, 0, a);
	insert_job("proj", 0, 0, b);
	set_state(b[T_BUILD], TASK_RUNNING, -1, NULL);
	set_state(a[T_BUILD], TASK_RUNNING, -1, NULL);
	cr_assert_eq(store_tasks_in_state(st, TASK_RUNNING, &ts, &n, &cause),
	    0, "%s", cause);
	cr_assert_eq(n, 2);
	cr_assert_eq(ts[0].id, a[T_BUILD]);
	cr_assert_eq(ts[1].id, b[T_BUILD]);
	cr_assert_eq(ts[0].nsteps, 2);
	store_tasks_free(ts, n);
}

Test(store, runnable_respects_dependencies)
{
	int64_t	 ids[3], r[16];

	insert_job("proj", 0, 0, ids);
	cr_assert_eq(runnable(r), 1);
	cr_assert_eq(r[0], ids[T_BUILD]);

	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	cr_assert_eq(runnable(r), 0);

	set_state(ids[T_BUILD], TASK_SUCCEEDED, 0, NULL);
	cr_assert_eq(runnable(r), 1);
	cr_assert_eq(r[0], ids[T_TEST]);

	set_state(ids[T_TEST], TASK_RUNNING, -1, NULL);
	set_state(ids[T_TEST], TASK_SUCCEEDED, 0, NULL);
	cr_assert_eq(runnable(r), 1);
	cr_assert_eq(r[0], ids[T_DEPLOY]);
}

Test(store, runnable_orders_by_priority_then_age)
{
	int64_t	 lo[3], hi[3], lo2[3], r[16];

	insert_job("proj", 0, 0, lo);
	insert_job("proj", 5, 0, hi);
	insert_job("proj", 0, 0, lo2);
	cr_assert_eq(runnable(r), 3);
	cr_assert_eq(r[0], hi[T_BUILD]);
	cr_assert_eq(r[1], lo[T_BUILD]);
	cr_assert_eq(r[2], lo2[T_BUILD]);
}

Test(store, runnable_honours_max)
{
	struct store_task	*ts = NULL;
	char			*cause = NULL;
	size_t			 n;

	insert_job("proj", 0, 0, NULL);
	insert_job("proj", 0, 0, NULL);
	cr_assert_eq(store_tasks_runnable(st, 1, &ts, &n, &cause), 0);
	cr_assert_eq(n, 1);
	store_tasks_free(ts, n);
}

Test(store, dependency_failure_cascades_to_skipped)
{
	struct store_job	*j = NULL;
	int64_t			 ids[3], r[16], jid;
	char			*cause = NULL;
	size_t			 i;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	set_state(ids[T_BUILD], TASK_FAILED, 1, NULL);
	cr_assert_eq(runnable(r), 0);

	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	for (i = T_TEST; i <= T_DEPLOY; i++) {
		cr_assert_eq(j->tasks[i].state, TASK_SKIPPED);
		cr_assert_str_eq(j->tasks[i].reason, "dependency failed");
		cr_assert_gt(j->tasks[i].finished_ms, 0);
	}
	cr_assert_eq(j->tasks[T_TEST].steps[0].state, TASK_SKIPPED);
	cr_assert_eq(j->state, TASK_FAILED);
	store_job_free(j);
}

Test(store, dependency_skip_cascades_down_a_chain)
{
	static const size_t	 d0[] = { 0 }, d1[] = { 1 }, d2[] = { 2 };
	struct store_new_task	 t[4] = {
		{ .name = "a", .spec = "{}", .state = TASK_QUEUED },
		{ .name = "b", .spec = "{}", .state = TASK_QUEUED,
		  .deps = d0, .ndeps = 1 },
		{ .name = "c", .spec = "{}", .state = TASK_QUEUED,
		  .deps = d1, .ndeps = 1 },
		{ .name = "d", .spec = "{}", .state = TASK_QUEUED,
		  .deps = d2, .ndeps = 1 },
	};
	struct store_new_job	 job = { .project = "p",
	    .taskfile_name = ".cirrus.yml", .env = "{}", .tasks = t,
	    .ntasks = 4 };
	struct store_job	*j = NULL;
	char			*cause = NULL;
	int64_t			 jid, r[16];
	size_t			 i;

	cr_assert_eq(store_job_insert(st, &job, &jid, &cause), 0, "%s", cause);
	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	set_state(j->tasks[0].id, TASK_CANCELLED, -1, NULL);
	store_job_free(j);
	cr_assert_eq(runnable(r), 0);
	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	for (i = 1; i < 4; i++) {
		cr_assert_eq(j->tasks[i].state, TASK_SKIPPED, "task %zu", i);
		cr_assert_str_eq(j->tasks[i].reason, "dependency failed");
	}
	store_job_free(j);
}

Test(store, allow_failures_dependency_lets_dependents_run)
{
	int64_t	 ids[3], r[16];

	insert_job("proj", 0, 1, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	set_state(ids[T_BUILD], TASK_FAILED, 1, NULL);
	cr_assert_eq(runnable(r), 1);
	cr_assert_eq(r[0], ids[T_TEST]);
	cr_assert_eq(task_state(ids[T_DEPLOY]), TASK_QUEUED);
}

Test(store, skipped_by_taskfile_satisfies_dependents)
{
	static const size_t	 deps[] = { 0 };
	struct store_new_task	 t[2] = {
		{ .name = "a", .spec = "{}", .state = TASK_SKIPPED,
		  .reason = "only_if is false" },
		{ .name = "b", .spec = "{}", .state = TASK_QUEUED,
		  .deps = deps, .ndeps = 1 },
	};
	struct store_new_job	 job = { .project = "p",
	    .taskfile_name = ".cirrus.yml", .env = "{}", .tasks = t,
	    .ntasks = 2 };
	struct store_task	*bt = NULL;
	char			*cause = NULL;
	int64_t			 jid, r[16];

	cr_assert_eq(store_job_insert(st, &job, &jid, &cause), 0, "%s", cause);
	cr_assert_eq(store_task_find(st, jid, "b", &bt, &cause), 0);
	cr_assert_eq(runnable(r), 1);
	cr_assert_eq(r[0], bt->id);
	store_task_free(bt);
}

Test(store, insert_rejects_bad_dependency_index)
{
	static const size_t	 deps[] = { 5 };
	struct store_new_task	 t = { .name = "a", .spec = "{}",
	    .state = TASK_QUEUED, .deps = deps, .ndeps = 1 };
	struct store_new_job	 job = { .project = "p",
	    .taskfile_name = ".cirrus.yml", .tasks = &t, .ntasks = 1 };
	struct store_filter	 f = { NULL, -1, 0, 10 };
	struct store_job	*js = NULL;
	char			*cause = NULL;
	int64_t			 jid, next;
	size_t			 n;

	cr_assert_eq(store_job_insert(st, &job, &jid, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
	cr_assert_eq(store_job_list(st, &f, &js, &n, &next, &cause), 0);
	cr_assert_eq(n, 0);
}

Test(store, retry_requeues_as_attempt_2)
{
	struct store_job	*j = NULL;
	struct store_task	*t;
	int64_t			 ids[3], jid;
	char			*cause = NULL;
	size_t			 i;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	cr_assert_eq(store_task_set_container(st, ids[T_BUILD], "c1", &cause),
	    0);
	cr_assert_eq(store_step_set_state(st, ids[T_BUILD], 0, TASK_SUCCEEDED,
	    0, &cause), 0);
	cr_assert_eq(store_task_set_log_len(st, ids[T_BUILD], 10, &cause), 0);
	cr_assert_eq(store_task_set_cache_state(st, ids[T_BUILD], "[]",
	    &cause), 0);
	set_state(ids[T_BUILD], TASK_ERRORED, -1, "podman gone");
	runnable((int64_t[16]){ 0 });	/* cascades the skips */

	cr_assert_eq(store_job_retry(st, jid, &cause), 0, "%s", cause);
	cr_assert_eq(store_job_get(st, jid, &j, &cause), 0, "%s", cause);
	cr_assert_eq(j->state, TASK_QUEUED);
	for (i = 0; i < 3; i++) {
		t = &j->tasks[i];
		cr_assert_eq(t->state, TASK_QUEUED, "task %zu", i);
		cr_assert_eq(t->attempt, 2);
		cr_assert_eq(t->exit_code, -1);
		cr_assert_null(t->reason);
		cr_assert_null(t->container);
		cr_assert_eq(t->log_len, 0);
		cr_assert_eq(t->started_ms, 0);
		cr_assert_eq(t->finished_ms, 0);
	}
	cr_assert_null(cache_state(ids[T_BUILD]), "a new attempt's caches");
	cr_assert_eq(j->tasks[T_BUILD].steps[0].state, TASK_QUEUED);
	cr_assert_eq(j->tasks[T_BUILD].steps[0].exit_code, -1);
	cr_assert_eq(j->tasks[T_BUILD].steps[0].started_ms, 0);
	cr_assert_eq(j->tasks[T_TEST].steps[0].state, TASK_QUEUED);
	store_job_free(j);
}

Test(store, retry_keeps_succeeded_tasks)
{
	int64_t	 ids[3], jid;
	char	*cause = NULL;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_SUCCEEDED, 0, NULL);
	set_state(ids[T_TEST], TASK_FAILED, 1, NULL);
	/* No runnable call: retry settles deploy's skip itself. */
	cr_assert_eq(store_job_retry(st, jid, &cause), 0, "%s", cause);
	cr_assert_eq(task_state(ids[T_BUILD]), TASK_SUCCEEDED);
	cr_assert_eq(task_state(ids[T_TEST]), TASK_QUEUED);
	cr_assert_eq(task_state(ids[T_DEPLOY]), TASK_QUEUED);
}

Test(store, retry_of_running_job_fails)
{
	int64_t	 ids[3], jid;
	char	*cause = NULL;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	cr_assert_eq(store_job_retry(st, jid, &cause), -1);
	cr_assert_not_null(cause);
	cr_assert(strstr(cause, "is still running") != NULL, "%s", cause);
	free(cause);
}

Test(store, retry_with_nothing_to_retry_returns_1)
{
	int64_t	 ids[3], jid;
	char	*cause = NULL;
	size_t	 i;

	jid = insert_job("proj", 0, 0, ids);
	for (i = 0; i < 3; i++)
		set_state(ids[i], TASK_SUCCEEDED, 0, NULL);
	cr_assert_eq(store_job_retry(st, jid, &cause), 1);
	cr_assert_null(cause);
	cr_assert_eq(store_job_retry(st, jid + 100, &cause), -1);
	free(cause);
}

Test(store, cancel_cancels_queued_and_reports_running)
{
	struct store_task	*t;
	int64_t			 ids[3], jid, *running = NULL;
	char			*cause = NULL;
	size_t			 nrunning;

	jid = insert_job("proj", 0, 0, ids);
	set_state(ids[T_BUILD], TASK_RUNNING, -1, NULL);
	cr_assert_eq(store_job_cancel(st, jid, "cancelled by user", &running,
	    &nrunning, &cause), 0, "%s", cause);
	cr_assert_eq(nrunning, 1);
	cr_assert_eq(running[0], ids[T_BUILD]);
	free(running);

	cr_assert_eq(task_state(ids[T_BUILD]), TASK_RUNNING);
	t = get_task(ids[T_TEST]);
	cr_assert_eq(t->state, TASK_CANCELLED);
	cr_assert_str_eq(t->reason, "cancelled by user");
	cr_assert_gt(t->finished_ms, 0);
	cr_assert_eq(t->steps[0].state, TASK_CANCELLED);
	store_task_free(t);
	cr_assert_eq(task_state(ids[T_DEPLOY]), TASK_CANCELLED);

	set_state(ids[T_BUILD], TASK_CANCELLED, -1, "stopped");
	cr_assert_eq(job_state(jid), TASK_CANCELLED);
}

Test(store, cancel_of_missing_job_fails)
{
	int64_t	*running = NULL;
	char	*cause = NULL;
	size_t	 n;

	cr_assert_eq(store_job_cancel(st, 77, "x", &running, &n, &cause), -1);
	cr_assert_null(running);
	free(cause);
}

struct worker {
	int64_t	 task;
	int	 errors;
};

/* Flip one task between queued and running, reading it back each time. */
static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct store_task	*t;
	char			*cause;
	int			 i;

	for (i = 0; i < 200; i++) {
		cause = NULL;
		if (store_task_set_state(st, w->task, i % 2 ? TASK_QUEUED :
		    TASK_RUNNING, -1, NULL, &cause) != 0) {
			w->errors++;
			free(cause);
			continue;
		}
		t = NULL;
		if (store_task_get(st, w->task, &t, &cause) != 0 ||
		    t->state != (i % 2 ? TASK_QUEUED : TASK_RUNNING)) {
			w->errors++;
			free(cause);
		}
		store_task_free(t);
	}
	return (NULL);
}

Test(store, four_threads_share_the_handle, .timeout = 60)
{
	struct worker	 w[4];
	pthread_t	 th[4];
	int64_t		 ids[3];
	size_t		 i;

	for (i = 0; i < 4; i++) {
		insert_job("proj", 0, 0, ids);
		w[i].task = ids[T_BUILD];
		w[i].errors = 0;
	}
	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, worker_main, &w[i]),
		    0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(w[i].errors, 0, "thread %zu", i);
		cr_assert_eq(task_state(w[i].task), TASK_QUEUED);
	}
}
