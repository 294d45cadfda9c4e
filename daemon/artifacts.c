/* artifacts.c -- artifacts of task attempts: collect from containers, list, pack. */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/artifacts.h"
#include "daemon/podman.h"
#include "daemon/tarsafe.h"
#include "proto/glob.h"
#include "proto/taskfile.h"
#include "proto/util.h"

#define ARTIFACTS_MAX_FILES	100000
#define ARTIFACTS_MAX_DEPTH	64

/* One glob being collected: how archive entry names map to paths. */
struct artifacts_glob {
	const char		*glob;
	const char		*prefix;	/* static part, "" or "a/b" */
	int			 literal;	/* no glob characters */
	artifacts_say_cb	 say;
	void			*arg;
};

char *
artifacts_dir(const char *root, int64_t job, int64_t task, int attempt)
{
	return (xasprintf("%s/%" PRId64 "/%" PRId64 ".%d", root, job, task,
	    attempt));
}

/* Entry "base/rest" of the fetched directory to "prefix/rest", if wanted. */
static char *
artifacts_map(const char *name, int isdir, void *arg)
{
	struct artifacts_glob	*g = arg;
	const char		*rest;
	char			*rel;
	size_t			 n;

	if (isdir)
		return (NULL);
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	rest = strchr(name, '/');
	rest = rest != NULL ? rest + 1 : "";
	if (*g->prefix == '\0')
		rel = xstrdup(rest);
	else if (*rest == '\0')
		rel = xstrdup(g->prefix);
	else
		rel = xasprintf("%s/%s", g->prefix, rest);
	n = strlen(g->glob);
	if (*rel != '\0' && (glob_match(g->glob, rel) || (g->literal &&
	    strncmp(rel, g->glob, n) == 0 && rel[n] == '/')))
		return (rel);
	free(rel);
	return (NULL);
}

static void
artifacts_reject(const char *name, const char *why, void *arg)
{
	struct artifacts_glob	*g = arg;
	char			*s;

	s = xasprintf("artifacts: refused '%s' from the container: %s", name,
	    why);
	g->say(g->arg, s);
	free(s);
}

/* Does a step with this 'when' run after the task ended so? */
static int
artifacts_due(enum tf_when when, int succeeded)
{
	if (when == WHEN_ALWAYS)
		return (1);
	if (when == WHEN_ON_FAILURE)
		return (!succeeded);
	if (when == WHEN_ON_SUCCESS)
		return (succeeded);
	return (0);
}

/* Fetch and extract one glob. */
static int
artifacts_fetch(struct podman *pm, const char *id, const char *workdir,
    const char *glob, const char *dest, artifacts_say_cb say, void *arg,
    uint64_t *total, char **cause)
{
	struct artifacts_glob	 g;
	struct tarsafe_opts	 o;
	struct tarsafe_stats	 st;
	char			*prefix, *cpath, *s;
	void			*tar = NULL;
	size_t			 len;
	int			 missing, rv = -1;

	prefix = glob_static_prefix(glob);
	cpath = *prefix != '\0' ? xasprintf("%s/%s", workdir, prefix) :
	    xstrdup(workdir);
	if (podman_container_get_archive(pm, id, cpath, ARTIFACTS_MAX_TAR,
	    &tar, &len, &missing, cause) != 0)
		goto out;
	if (missing) {
		s = xasprintf("artifacts: nothing matches '%s'", glob);
		say(arg, s);
		free(s);
		rv = 0;
		goto out;
	}
	memset(&g, 0, sizeof g);
	g.glob = glob;
	g.prefix = prefix;
	g.literal = strcmp(prefix, glob) == 0;
	g.say = say;
	g.arg = arg;
	memset(&o, 0, sizeof o);
	o.max_entry = ARTIFACTS_MAX_FILE;
	o.max_total = ARTIFACTS_MAX_TAR - *total;
	o.max_entries = ARTIFACTS_MAX_FILES;
	o.map = artifacts_map;
	o.reject = artifacts_reject;
	o.arg = &g;
	if (tarsafe_extract(tar, len, dest, &o, &st, cause) != 0)
		goto out;
	*total += st.bytes;
	s = xasprintf("artifacts: '%s': %" PRIu64 " file%s, %" PRIu64
	    " bytes", glob, st.files, st.files == 1 ? "" : "s", st.bytes);
	say(arg, s);
	free(s);
	rv = 0;
out:
	free(tar);
	free(cpath);
	free(prefix);
	return (rv);
}

int
artifacts_collect(struct podman *pm, const char *id, const char *workdir,
    const struct tf_task *spec, const int *reached, int succeeded,
    const char *root, int64_t job, int64_t task, int attempt,
    artifacts_say_cb say, void *arg, char **cause)
{
	const struct tf_step	*s;
	cJSON			*man = NULL, *o, *a;
	char			*dest = NULL, *mpath = NULL, *text = NULL;
	const char		*glob;
	uint64_t		 total = 0;
	size_t			 i, j, wl;
	int			 fd = -1, rv = -1;

	dest = artifacts_dir(root, job, task, attempt);
	man = cJSON_CreateArray();
	for (i = 0; i < spec->nsteps; i++) {
		s = &spec->steps[i];
		if (s->kind != STEP_ARTIFACTS || (reached != NULL ?
		    !reached[i] : !artifacts_due(s->when, succeeded)))
			continue;
		if (mkdir_p(dest, 0700) != 0) {
			*cause = xasprintf("%s: %s", dest, strerror(errno));
			goto out;
		}
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(man, o);
		cJSON_AddStringToObject(o, "name", s->name);
		a = cJSON_AddArrayToObject(o, "paths");
		if (s->artifact_type != NULL)
			cJSON_AddStringToObject(o, "type", s->artifact_type);
		if (s->artifact_format != NULL)
			cJSON_AddStringToObject(o, "format",
			    s->artifact_format);
		for (j = 0; j < s->npaths; j++) {
			cJSON_AddItemToArray(a, cJSON_CreateString(s->paths[j]));
			glob = s->paths[j];
			/* Absolute globs below the working directory. */
			wl = strlen(workdir);
			if (*glob == '/' && strncmp(glob, workdir, wl) == 0 &&
			    glob[wl] == '/')
				glob += wl + 1;
			if (*glob == '/') {
				say(arg, "artifacts: only paths below "
				    "CIRRUS_WORKING_DIR are collected");
				continue;
			}
			if (artifacts_fetch(pm, id, workdir, glob, dest, say,
			    arg, &total, cause) != 0)
				goto out;
		}
	}
	if (cJSON_GetArraySize(man) == 0) {
		rv = 0;
		goto out;
	}
	mpath = xasprintf("%s.json", dest);
	if ((text = cJSON_PrintUnformatted(man)) == NULL) {
		*cause = xstrdup("artifacts: out of memory");
		goto out;
	}
	if ((fd = open(mpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write_all(fd, text, strlen(text)) != 0) {
		*cause = xasprintf("%s: %s", mpath, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	cJSON_Delete(man);
	free(text);
	free(mpath);
	free(dest);
	return (rv);
}

/* A file found by the walk. */
struct artifacts_file {
	char		*path;
	uint64_t	 size;
};

struct artifacts_walk {
	struct artifacts_file	*v;
	size_t			 n, size;
};

/* Regular files below dir/rel, without following symlinks. */
static void
artifacts_walk(const char *dir, const char *rel, int depth,
    struct artifacts_walk *w)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*full, *child;

	if (depth > ARTIFACTS_MAX_DEPTH || w->n >= ARTIFACTS_MAX_FILES)
		return;
	full = *rel != '\0' ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	d = opendir(full);
	free(full);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = *rel != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		full = xasprintf("%s/%s", dir, child);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
			artifacts_walk(dir, child, depth + 1, w);
		else if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    w->n < ARTIFACTS_MAX_FILES) {
			if (w->n == w->size) {
				w->size = w->size ? w->size * 2 : 32;
				w->v = xreallocarray(w->v, w->size,
				    sizeof *w->v);
			}
			w->v[w->n].path = child;
			w->v[w->n++].size = (uint64_t)st.st_size;
			child = NULL;
		}
		free(full);
		free(child);
	}
	closedir(d);
}

static int
artifacts_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct artifacts_file *)a)->path,
	    ((const struct artifacts_file *)b)->path));
}

/* Free the walk's files. */
static void
artifacts_walk_free(struct artifacts_walk *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
}

cJSON *
artifacts_list(const char *root, int64_t job, int64_t task, int attempt)
{
	struct artifacts_walk	 w = { NULL, 0, 0 };
	cJSON			*arr, *o;
	char			*dir;
	size_t			 i;

	dir = artifacts_dir(root, job, task, attempt);
	artifacts_walk(dir, "", 0, &w);
	free(dir);
	if (w.n > 1)
		qsort(w.v, w.n, sizeof *w.v, artifacts_cmp);
	arr = cJSON_CreateArray();
	for (i = 0; i < w.n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", w.v[i].path);
		cJSON_AddNumberToObject(o, "size", (double)w.v[i].size);
		cJSON_AddItemToArray(arr, o);
	}
	artifacts_walk_free(&w);
	return (arr);
}

static la_ssize_t
artifacts_tar_write(struct archive *a, void *arg, const void *p, size_t n)
{
	if (buf_add(arg, p, n) != 0) {
		archive_set_error(a, EFBIG, "artifacts larger than %u bytes",
		    ARTIFACTS_MAX_TAR);
		return (-1);
	}
	return ((la_ssize_t)n);
}

/* Add one file to the tar. */
static int
artifacts_tar_file(struct archive *a, struct archive_entry *e,
    const char *full, const char *name, char **cause)
{
	struct stat	 st;
	char		 buf[65536];
	ssize_t		 n;
	int		 fd, rv = -1;

	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		*cause = xasprintf("%s: %s", full, strerror(errno));
		goto out;
	}
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, st.st_mode & 0755);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto aerr;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (archive_write_data(a, buf, (size_t)n) != n)
			goto aerr;
	}
	if (n < 0) {
		*cause = xasprintf("%s: %s", full, strerror(errno));
		goto out;
	}
	rv = 0;
	goto out;
aerr:
	*cause = xasprintf("artifacts: %s", archive_error_string(a));
out:
	if (fd != -1)
		close(fd);
	return (rv);
}

int
artifacts_pack(const char *root, int64_t job, int64_t task, int attempt,
    const char *prefix, void **tar, size_t *len, char **cause)
{
	struct artifacts_walk	 w = { NULL, 0, 0 };
	struct archive		*a = NULL;
	struct archive_entry	*e = NULL;
	struct buf		 b;
	char			*dir, *full, *name;
	size_t			 i;
	int			 rv = -1;

	*tar = NULL;
	*len = 0;
	buf_init(&b, ARTIFACTS_MAX_TAR);
	dir = artifacts_dir(root, job, task, attempt);
	artifacts_walk(dir, "", 0, &w);
	if (w.n == 0) {
		rv = 1;
		goto out;
	}
	qsort(w.v, w.n, sizeof *w.v, artifacts_cmp);
	if ((a = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &b, NULL, artifacts_tar_write, NULL) !=
	    ARCHIVE_OK) {
		*cause = xasprintf("artifacts: %s", a != NULL ?
		    archive_error_string(a) : "out of memory");
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		full = xasprintf("%s/%s", dir, w.v[i].path);
		name = xasprintf("%s/%s", prefix, w.v[i].path);
		rv = artifacts_tar_file(a, e, full, name, cause);
		free(full);
		free(name);
		if (rv != 0) {
			rv = -1;
			goto out;
		}
	}
	rv = -1;
	if (archive_write_close(a) != ARCHIVE_OK) {
		*cause = xasprintf("artifacts: %s", archive_error_string(a));
		goto out;
	}
	*tar = buf_steal(&b, len);
	rv = 0;
out:
	if (e != NULL)
		archive_entry_free(e);
	if (a != NULL)
		archive_write_free(a);
	buf_free(&b);
	artifacts_walk_free(&w);
	free(dir);
	return (rv);
}
