/* store_projects.c -- per-project settings and the queue's pause flag. */
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/sha256.h"
#include "proto/util.h"

/* Every project with jobs or settings, by name, with its task counts. */
int
store_project_list(struct store *s, struct store_project **out, size_t *nout,
    char **cause)
{
	sqlite3_stmt		*st = NULL;
	struct store_project	*v = NULL, *p;
	size_t			 n = 0;
	int			 rc, ret = -1;

	*out = NULL;
	*nout = 0;
	store_lock(s);
	if (sq_prep(s, &st, "SELECT n.name, COALESCE(p.max_running, 0), "
	    "COALESCE(p.paused, 0), "
	    "(SELECT COUNT(*) FROM tasks t JOIN jobs j ON j.id = t.job_id "
	    " WHERE j.project = n.name AND t.state = ?1), "
	    "(SELECT COUNT(*) FROM tasks t JOIN jobs j ON j.id = t.job_id "
	    " WHERE j.project = n.name AND t.state = ?2), "
	    "(SELECT COUNT(*) FROM jobs j WHERE j.project = n.name) "
	    "FROM (SELECT project AS name FROM jobs UNION "
	    "SELECT name FROM projects) n "
	    "LEFT JOIN projects p ON p.name = n.name ORDER BY n.name",
	    cause) != 0)
		goto out;
	if (sq_bind_state(st, 1, TASK_QUEUED) != SQLITE_OK ||
	    sq_bind_state(st, 2, TASK_RUNNING) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		p = &v[n++];
		p->name = sq_col_text(st, 0);
		p->max_running = sqlite3_column_int(st, 1);
		p->paused = sqlite3_column_int(st, 2);
		p->queued = sqlite3_column_int(st, 3);
		p->running = sqlite3_column_int(st, 4);
		p->jobs = sqlite3_column_int(st, 5);
	}
	if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "list projects");
		goto out;
	}
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	store_projects_free(v, n);
	return (ret);
}

void
store_projects_free(struct store_project *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Create or change a project's settings; -1 leaves a field as it is. */
int
store_project_set(struct store *s, const char *name, int max_running,
    int paused, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (name == NULL || *name == '\0')
		return (sq_fail(cause, "a project needs a name"));
	store_lock(s);
	if (sq_prep(s, &st, "INSERT INTO projects (name, max_running, paused) "
	    "VALUES (?1, MAX(?2, 0), MAX(?3, 0)) ON CONFLICT (name) DO UPDATE "
	    "SET max_running = CASE WHEN ?2 >= 0 THEN ?2 ELSE max_running END,"
	    " paused = CASE WHEN ?3 >= 0 THEN ?3 ELSE paused END",
	    cause) != 0)
		goto out;
	if (sq_bind_text(st, 1, name) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, max_running) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, paused < 0 ? -1 : paused != 0) !=
	    SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = sq_step_done(s, st, "set project", cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

int
store_queue_set_paused(struct store *s, int paused, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	store_lock(s);
	if (sq_prep(s, &st, "INSERT INTO settings (key, value) "
	    "VALUES ('paused', ?1) ON CONFLICT (key) DO UPDATE "
	    "SET value = excluded.value", cause) != 0)
		goto out;
	if (sq_bind_text(st, 1, paused ? "1" : "0") != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = sq_step_done(s, st, "pause queue", cause);
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

int
store_queue_paused(struct store *s, int *paused, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, ret = -1;

	*paused = 0;
	store_lock(s);
	if (sq_prep(s, &st, "SELECT value FROM settings WHERE key = 'paused'",
	    cause) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*paused = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE) {
		sq_dbfail(s, cause, "read pause");
		goto out;
	}
	ret = 0;
out:
	sq_fin(&st);
	store_unlock(s);
	return (ret);
}

/* The path recorded for project name: 0 and *path (NULL when none), 1 when
 * no such project row, -1.  Called with the lock held. */
static int
project_path(struct store *s, const char *name, char **path, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	*path = NULL;
	if (sq_prep(s, &st, "SELECT path FROM projects WHERE name = ?1",
	    cause) != 0)
		return (-1);
	if (sq_bind_text(st, 1, name) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	if ((ret = sq_step_row(s, st, "read project", cause)) == 0)
		*path = sq_col_text(st, 0);
out:
	sq_fin(&st);
	return (ret);
}

/* Record path for project name (a new row, or one without a path). */
static int
project_claim(struct store *s, const char *name, const char *path,
    char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (sq_prep(s, &st, "INSERT INTO projects (name, path) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET path = ?2 WHERE path IS NULL",
	    cause) != 0)
		return (-1);
	if (sq_bind_text(st, 1, name) != SQLITE_OK ||
	    sq_bind_text(st, 2, path) != SQLITE_OK) {
		sq_dbfail(s, cause, "bind");
		goto out;
	}
	ret = sq_step_done(s, st, "claim project", cause);
out:
	sq_fin(&st);
	return (ret);
}

/*
 * Name the project of a job submitted from directory path and named name by
 * default: name itself when no project of that name exists or it belongs to
 * path (or to no path), else name-XXXXXXXX (a hash of path).  The project
 * is recorded with its path.  *out is the caller's to free.
 */
int
store_project_resolve(struct store *s, const char *name, const char *path,
    char **out, char **cause)
{
	unsigned char	 h[SHA256_LEN];
	char		 hex[SHA256_HEXLEN + 1], *have = NULL, *cand;
	int		 r, ret = -1, tries;

	*out = NULL;
	if (name == NULL || *name == '\0' || path == NULL || *path == '\0')
		return (sq_fail(cause, "a project needs a name and a path"));
	sha256(path, strlen(path), h);
	sha256_hex(h, hex);
	cand = xstrdup(name);
	store_lock(s);
	for (tries = 0; ; tries++) {
		if ((r = project_path(s, cand, &have, cause)) == -1)
			goto out;
		/* The second name is the path's own; a clash there is a
		 * hash collision of 32 bits: take it as the same project. */
		if (r == 1 || have == NULL || strcmp(have, path) == 0 ||
		    tries > 0)
			break;
		free(have);
		have = NULL;
		free(cand);
		cand = xasprintf("%s-%.8s", name, hex);
	}
	if (project_claim(s, cand, path, cause) != 0)
		goto out;
	*out = cand;
	cand = NULL;
	ret = 0;
out:
	store_unlock(s);
	free(have);
	free(cand);
	return (ret);
}
