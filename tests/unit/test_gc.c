/* test_gc.c -- retention (gc.c, store_gc.c) and project naming by path
 * (store_project_resolve) on a store, logs and blobs in a temporary dir. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/blobstore.h"
#include "daemon/gc.h"
#include "daemon/logstore.h"
#include "daemon/store.h"
#include "proto/sha256.h"
#include "proto/util.h"

static struct store	*st;
static struct logstore	*logs;
static struct blobstore	*blobs;
static char		 dir[] = "/tmp/test_gc.XXXXXX";

static void
setup(void)
{
	char	*cause = NULL, *p;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(store_open(":memory:", &st, &cause), 0, "%s", cause);
	p = xasprintf("%s/logs", dir);
	cr_assert_eq(logstore_open(p, 0, &logs, &cause), 0, "%s", cause);
	free(p);
	p = xasprintf("%s/blobs", dir);
	cr_assert_eq(blobstore_open(p, &blobs, &cause), 0, "%s", cause);
	free(p);
}

static void
teardown(void)
{
	char	*cmd;

	blobstore_close(blobs);
	logstore_close(logs);
	store_close(st);
	cmd = xasprintf("rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

TestSuite(gc, .init = setup, .fini = teardown);

/* Store text as a blob; its name into hex. */
static void
blob(const char *text, char hex[SHA256_HEXLEN + 1])
{
	unsigned char	 md[SHA256_LEN];
	char		*cause = NULL;

	sha256(text, strlen(text), md);
	sha256_hex(md, hex);
	cr_assert_eq(blobstore_put(blobs, hex, text, strlen(text), &cause), 0,
	    "%s", cause);
}

/* A one-task job of project with snapshot hex (or NULL), finished unless
 * queued, with a log line; returns its id. */
static int64_t
job(const char *project, const char *hex, int queued)
{
	struct store_new_task	 t;
	struct store_new_job	 j;
	struct store_job	*got = NULL;
	char			*cause = NULL;
	int64_t			 id;

	memset(&t, 0, sizeof t);
	t.name = "main";
	t.spec = "{}";
	t.state = TASK_QUEUED;
	j = (struct store_new_job){ .project = project,
	    .taskfile_name = ".cirrus.yml", .env = "{}", .blob = hex,
	    .tasks = &t, .ntasks = 1 };
	cr_assert_eq(store_job_insert(st, &j, &id, &cause), 0, "%s", cause);
	cr_assert_eq(store_job_get(st, id, &got, &cause), 0, "%s", cause);
	cr_assert_eq(logstore_append(logs, id, got->tasks[0].id, 1, "hi\n", 3,
	    NULL, &cause), 0, "%s", cause);
	logstore_finish(logs, id, got->tasks[0].id, 1);
	if (!queued)
		cr_assert_eq(store_task_set_state(st, got->tasks[0].id,
		    TASK_SUCCEEDED, 0, NULL, &cause), 0, "%s", cause);
	store_job_free(got);
	return (id);
}

static int
job_exists(int64_t id)
{
	struct store_job	*j = NULL;
	char			*cause = NULL;
	int			 r;

	r = store_job_get(st, id, &j, &cause);
	cr_assert_neq(r, -1, "%s", cause);
	store_job_free(j);
	return (r == 0);
}

static int
logdir_exists(int64_t id)
{
	struct stat	 sb;
	char		*p;
	int		 r;

	p = xasprintf("%s/logs/%lld", dir, (long long)id);
	r = stat(p, &sb) == 0;
	free(p);
	return (r);
}

Test(gc, keeps_the_newest_finished_jobs_of_each_project)
{
	struct gc_policy	 keep1 = { 1, 0, NULL };
	struct gc_result	 res;
	char			 b1[SHA256_HEXLEN + 1], b2[SHA256_HEXLEN + 1];
	char			 b3[SHA256_HEXLEN + 1], *cause = NULL;
	int64_t			 a1, a2, a3, a4, other;

	blob("one", b1);
	blob("two", b2);
	blob("three", b3);
	a1 = job("a", b1, 0);
	a2 = job("a", b1, 0);
	other = job("b", b2, 0);
	a3 = job("a", b2, 0);
	a4 = job("a", b3, 1);		/* queued: neither kept nor removed */
	cr_assert(logdir_exists(a1));

	cr_assert_eq(gc_run(st, logs, blobs, &keep1, &res, &cause), 0, "%s", cause);
	cr_assert_eq(res.jobs_removed, 2);
	cr_assert_eq(res.blobs_removed, 1);	/* b1; b2 is still a3's */
	cr_assert(!job_exists(a1) && !job_exists(a2));
	cr_assert(!logdir_exists(a1) && !logdir_exists(a2));
	cr_assert(job_exists(a3) && job_exists(a4) && job_exists(other));
	cr_assert(logdir_exists(a3));
	cr_assert(!blobstore_has(blobs, b1));
	cr_assert(blobstore_has(blobs, b2) && blobstore_has(blobs, b3));

	/* Nothing more to do: a second run removes nothing. */
	cr_assert_eq(gc_run(st, logs, blobs, &keep1, &res, &cause), 0, "%s", cause);
	cr_assert_eq(res.jobs_removed, 0);
}

Test(gc, keep_zero_keeps_everything)
{
	struct gc_policy	 keep0 = { 0, 0, NULL };
	struct gc_result	 res;
	char			*cause = NULL;
	int64_t			 a1;

	a1 = job("a", NULL, 0);
	job("a", NULL, 0);
	cr_assert_eq(gc_run(st, logs, blobs, &keep0, &res, &cause), 0, "%s", cause);
	cr_assert_eq(res.jobs_removed, 0);
	cr_assert(job_exists(a1));
}

Test(gc, expired_by_the_time_the_job_finished)
{
	char	*cause = NULL;
	int64_t	*ids = NULL, a1, a2;
	size_t	 n = 0;

	a1 = job("a", NULL, 0);
	job("b", NULL, 1);			/* queued: never */
	/* Nothing finished before a second ago. */
	cr_assert_eq(store_jobs_expired(st, 0, now_wall_ms() - 1000, &ids, &n,
	    &cause), 0, "%s", cause);
	cr_assert_eq(n, 0);
	free(ids);
	/* Before a second from now: the finished one. */
	cr_assert_eq(store_jobs_expired(st, 0, now_wall_ms() + 1000, &ids, &n,
	    &cause), 0, "%s", cause);
	cr_assert_eq(n, 1);
	cr_assert_eq(ids[0], a1);
	free(ids);
	/* keep and age together: either one expires a job. */
	a2 = job("a", NULL, 0);
	cr_assert_eq(store_jobs_expired(st, 1, now_wall_ms() - 1000, &ids, &n,
	    &cause), 0, "%s", cause);
	cr_assert_eq(n, 1);
	cr_assert_eq(ids[0], a1);
	cr_assert_neq(ids[0], a2);
	free(ids);
	/* Neither: none. */
	cr_assert_eq(store_jobs_expired(st, 0, 0, &ids, &n, &cause), 0, "%s",
	    cause);
	cr_assert_eq(n, 0);
	free(ids);
}

Test(gc, max_age_removes_old_jobs_with_their_artifacts)
{
	struct gc_policy	 pol = { 0, 1, NULL };
	struct gc_result	 res;
	struct stat		 sb;
	char			*cause = NULL, *root, *p;
	int64_t			 a1, q;
	FILE			*f;

	root = xasprintf("%s/artifacts", dir);
	pol.artifacts = root;
	a1 = job("a", NULL, 0);
	q = job("a", NULL, 1);
	/* artifacts/JOB/TASK.ATTEMPT/sub/file and the manifest, and a
	 * symbolic link that must be removed, not followed. */
	p = xasprintf("%s/%lld/1.1/sub", root, (long long)a1);
	cr_assert_eq(mkdir_p(p, 0700), 0);
	free(p);
	p = xasprintf("%s/%lld/1.1/sub/file", root, (long long)a1);
	cr_assert_not_null(f = fopen(p, "w"));
	fputs("x\n", f);
	fclose(f);
	free(p);
	p = xasprintf("%s/%lld/1.1.json", root, (long long)a1);
	cr_assert_not_null(f = fopen(p, "w"));
	fclose(f);
	free(p);
	p = xasprintf("%s/%lld/1.1/link", root, (long long)a1);
	cr_assert_eq(symlink(dir, p), 0);
	free(p);
	p = xasprintf("%s/%lld", root, (long long)q);
	cr_assert_eq(mkdir_p(p, 0700), 0);
	free(p);
	usleep(20 * 1000);		/* older than 1 ms */

	cr_assert_eq(gc_run(st, logs, blobs, &pol, &res, &cause), 0, "%s",
	    cause);
	cr_assert_eq(res.jobs_removed, 1);
	cr_assert(!job_exists(a1) && !logdir_exists(a1));
	p = xasprintf("%s/%lld", root, (long long)a1);
	cr_assert_neq(stat(p, &sb), 0, "%s is still there", p);
	free(p);
	cr_assert(job_exists(q));
	p = xasprintf("%s/%lld", root, (long long)q);
	cr_assert_eq(stat(p, &sb), 0);
	free(p);
	cr_assert_eq(stat(dir, &sb), 0);	/* the link was not followed */
	free(root);
}

Test(gc, unfinished_job_is_never_deleted)
{
	char	*orphan = NULL, *cause = NULL;
	int64_t	 id;

	id = job("a", NULL, 1);
	cr_assert_eq(store_job_delete(st, id, &orphan, &cause), 1);
	cr_assert(job_exists(id));
}

/* Resolve name from path; returns the name (caller frees). */
static char *
resolve(const char *name, const char *path)
{
	char	*out = NULL, *cause = NULL;

	cr_assert_eq(store_project_resolve(st, name, path, &out, &cause), 0,
	    "%s", cause);
	return (out);
}

Test(gc, projects_named_alike_are_told_apart_by_path)
{
	char	*a, *b, *c, *d;

	a = resolve("app", "/home/u/app");
	cr_assert_str_eq(a, "app");
	b = resolve("app", "/home/u/app");
	cr_assert_str_eq(b, "app");
	c = resolve("app", "/srv/other/app");
	cr_assert_eq(strncmp(c, "app-", 4), 0, "%s", c);
	cr_assert_eq(strlen(c), 12);
	d = resolve("app", "/srv/other/app");
	cr_assert_str_eq(c, d);
	free(a);
	free(b);
	free(c);
	free(d);
}

Test(gc, project_without_path_is_claimed)
{
	char	*cause = NULL, *a;

	cr_assert_eq(store_project_set(st, "lib", 2, -1, &cause), 0, "%s",
	    cause);
	a = resolve("lib", "/home/u/lib");
	cr_assert_str_eq(a, "lib");
	free(a);
	a = resolve("lib", "/elsewhere/lib");
	cr_assert_str_neq(a, "lib");
	free(a);
}
