/* cache.c -- the cache store: per-project keyed tars, size budget, LRU eviction. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cache.h"
#include "proto/sha256.h"
#include "proto/util.h"

/* One lock for the whole store: puts and evictions are rare and short. */
static pthread_mutex_t	cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Set once at start-up, before any task runs. */
static uint64_t		cache_budget_bytes;
static int		cache_budget_isset;

void
cache_set_budget(uint64_t bytes)
{
	cache_budget_bytes = bytes;
	cache_budget_isset = 1;
}

uint64_t
cache_budget(void)
{
	const char	*s;
	int64_t		 mb;

	if (cache_budget_isset)
		return (cache_budget_bytes);
	if ((s = getenv("STRATUSD_CACHE_MAX_MB")) != NULL &&
	    parse_int64(s, 0, INT64_MAX >> 20, &mb) == 0)
		return ((uint64_t)mb << 20);
	return (CACHE_DEFAULT_BUDGET);
}

/* root/ID with suffix; caller frees. */
static char *
cache_path(const char *root, const char *project, const char *key,
    const char *suffix)
{
	struct sha256_ctx	 c;
	unsigned char		 d[SHA256_LEN];
	char			 hex[SHA256_HEXLEN + 1];

	sha256_init(&c);
	sha256_update(&c, project, strlen(project) + 1);
	sha256_update(&c, key, strlen(key));
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return (xasprintf("%s/%s%s", root, hex, suffix));
}

int
cache_get(const char *root, const char *project, const char *key, void **tar,
    size_t *len, char *sha_hex, char **cause)
{
	struct sha256_ctx	 c;
	unsigned char		 d[SHA256_LEN];
	char			*path;
	int			 rv = -1;

	*tar = NULL;
	path = cache_path(root, project, key, ".tar");
	pthread_mutex_lock(&cache_lock);
	if ((*tar = read_file(path, CACHE_MAX_TAR, len)) == NULL) {
		if (errno == ENOENT)
			rv = 1;
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	(void)utimensat(AT_FDCWD, path, NULL, 0);	/* last used: now */
	sha256_init(&c);
	sha256_update(&c, *tar, *len);
	sha256_final(&c, d);
	sha256_hex(d, sha_hex);
	rv = 0;
out:
	pthread_mutex_unlock(&cache_lock);
	free(path);
	return (rv);
}

/* Write len bytes to path through a temporary file and rename. */
static int
cache_write(const char *path, const void *data, size_t len, char **cause)
{
	char	*tmp;
	int	 fd, rv = -1;

	tmp = xasprintf("%s.tmp-XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	rv = 0;
out:
	free(tmp);
	return (rv);
}

int
cache_put(const char *root, const char *project, const char *key,
    const void *tar, size_t len, uint64_t budget, char **cause)
{
	cJSON	*meta;
	char	*tpath, *mpath, *text = NULL;
	int	 rv = -1;

	tpath = cache_path(root, project, key, ".tar");
	mpath = cache_path(root, project, key, ".json");
	meta = cJSON_CreateObject();
	cJSON_AddStringToObject(meta, "project", project);
	cJSON_AddStringToObject(meta, "key", key);
	cJSON_AddNumberToObject(meta, "size", (double)len);
	if ((text = cJSON_PrintUnformatted(meta)) == NULL) {
		*cause = xstrdup("cache: out of memory");
		goto out;
	}
	pthread_mutex_lock(&cache_lock);
	if (mkdir_p(root, 0700) != 0) {
		*cause = xasprintf("%s: %s", root, strerror(errno));
		pthread_mutex_unlock(&cache_lock);
		goto out;
	}
	rv = cache_write(mpath, text, strlen(text), cause);
	if (rv == 0)
		rv = cache_write(tpath, tar, len, cause);
	pthread_mutex_unlock(&cache_lock);
	if (rv == 0)
		(void)cache_evict(root, budget);
out:
	cJSON_Delete(meta);
	free(text);
	free(mpath);
	free(tpath);
	return (rv);
}

/* One entry found on disk. */
struct cache_ent {
	char		*id;		/* file name without suffix */
	cJSON		*meta;
	uint64_t	 size;
	struct timespec	 used;
};

static int
cache_cmp_recent(const void *a, const void *b)
{
	const struct cache_ent	*x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return (x->used.tv_sec > y->used.tv_sec ? -1 : 1);
	if (x->used.tv_nsec != y->used.tv_nsec)
		return (x->used.tv_nsec > y->used.tv_nsec ? -1 : 1);
	return (strcmp(x->id, y->id));
}

/* Entries, most recently used first; caller frees with cache_ents_free. */
static struct cache_ent *
cache_scan(const char *root, size_t *n)
{
	DIR			*d;
	struct dirent		*de;
	struct stat		 st;
	struct cache_ent	*v = NULL;
	char			*tpath, *mpath, *text;
	size_t			 size = 0, l, tl;

	*n = 0;
	if ((d = opendir(root)) == NULL)
		return (NULL);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l != SHA256_HEXLEN + 4 ||
		    strcmp(de->d_name + SHA256_HEXLEN, ".tar") != 0)
			continue;
		tpath = xasprintf("%s/%s", root, de->d_name);
		mpath = xasprintf("%s/%.*s.json", root, SHA256_HEXLEN,
		    de->d_name);
		if (stat(tpath, &st) == 0 && (text = read_file(mpath,
		    65536, &tl)) != NULL) {
			if (*n == size) {
				size = size ? size * 2 : 16;
				v = xreallocarray(v, size, sizeof *v);
			}
			v[*n].id = xstrndup(de->d_name, SHA256_HEXLEN);
			v[*n].meta = cJSON_Parse(text);
			v[*n].size = (uint64_t)st.st_size;
			v[*n].used = st.st_mtim;
			if (v[*n].meta != NULL)
				(*n)++;
			else
				free(v[*n].id);
			free(text);
		}
		free(tpath);
		free(mpath);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof *v, cache_cmp_recent);
	return (v);
}

static void
cache_ents_free(struct cache_ent *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		cJSON_Delete(v[i].meta);
	}
	free(v);
}

/* Remove the files of one entry. */
static void
cache_unlink(const char *root, const char *id)
{
	char	*p;

	p = xasprintf("%s/%s.tar", root, id);
	(void)unlink(p);
	free(p);
	p = xasprintf("%s/%s.json", root, id);
	(void)unlink(p);
	free(p);
}

int
cache_evict(const char *root, uint64_t budget)
{
	struct cache_ent	*v;
	uint64_t		 total = 0;
	size_t			 n, i;
	int			 gone = 0;

	pthread_mutex_lock(&cache_lock);
	v = cache_scan(root, &n);
	for (i = 0; i < n; i++) {
		total += v[i].size;
		/* The most recent entry stays even alone over budget. */
		if (total > budget && i > 0) {
			cache_unlink(root, v[i].id);
			gone++;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	cache_ents_free(v, n);
	return (gone);
}

cJSON *
cache_list(const char *root)
{
	struct cache_ent	*v;
	cJSON			*arr, *o, *it;
	size_t			 n, i;

	pthread_mutex_lock(&cache_lock);
	v = cache_scan(root, &n);
	pthread_mutex_unlock(&cache_lock);
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		it = cJSON_GetObjectItemCaseSensitive(v[i].meta, "project");
		cJSON_AddStringToObject(o, "project", cJSON_IsString(it) ?
		    it->valuestring : "");
		it = cJSON_GetObjectItemCaseSensitive(v[i].meta, "key");
		cJSON_AddStringToObject(o, "key", cJSON_IsString(it) ?
		    it->valuestring : "");
		cJSON_AddNumberToObject(o, "size", (double)v[i].size);
		cJSON_AddNumberToObject(o, "used_at",
		    (double)v[i].used.tv_sec * 1000 +
		    (double)(v[i].used.tv_nsec / 1000000));
		cJSON_AddItemToArray(arr, o);
	}
	cache_ents_free(v, n);
	return (arr);
}

int
cache_remove(const char *root, const char *project, const char *key,
    char **cause)
{
	struct cache_ent	*v;
	const cJSON		*p, *k;
	size_t			 n, i;
	int			 found = 0;

	(void)cause;
	pthread_mutex_lock(&cache_lock);
	v = cache_scan(root, &n);
	for (i = 0; i < n; i++) {
		p = cJSON_GetObjectItemCaseSensitive(v[i].meta, "project");
		k = cJSON_GetObjectItemCaseSensitive(v[i].meta, "key");
		if (!cJSON_IsString(p) || !cJSON_IsString(k) ||
		    strcmp(k->valuestring, key) != 0 ||
		    (project != NULL && strcmp(p->valuestring, project) != 0))
			continue;
		cache_unlink(root, v[i].id);
		found++;
	}
	pthread_mutex_unlock(&cache_lock);
	cache_ents_free(v, n);
	return (found > 0 ? 0 : 1);
}
