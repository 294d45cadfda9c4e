/* cache.h -- task caches: tars by project and key, with a size budget and LRU eviction. */
#ifndef DAEMON_CACHE_H
#define DAEMON_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CACHE_DEFAULT_BUDGET	(2048ull << 20)
#define CACHE_MAX_TAR		(1024u << 20)	/* one cache entry */

/*
 * An entry is root/ID.tar with root/ID.json ({"project","key","size"}),
 * ID the SHA-256 of project NUL key: keys of two projects never meet.  The
 * tar's mtime is its last use.  Functions return 0, or -1 with cause
 * (caller frees); 1 means "no such entry".
 */

/* The budget: what cache_set_budget set (stratusd --cache-max-mb or
 * cache_max_mb:), else $STRATUSD_CACHE_MAX_MB, else the default. */
uint64_t cache_budget(void);
/* Set the budget at start-up, before tasks run (0: the newest entry only). */
void	cache_set_budget(uint64_t bytes);

/* Read the entry into *tar (caller frees) and mark it used. */
int	cache_get(const char *root, const char *project, const char *key,
	    void **tar, size_t *len, char *sha_hex, char **cause);
/* Store (replace) an entry, then evict least recently used entries until
 * the total fits budget (the new one last). */
int	cache_put(const char *root, const char *project, const char *key,
	    const void *tar, size_t len, uint64_t budget, char **cause);
/* Every entry: [{"project","key","size","used_at"}], most recent first. */
cJSON	*cache_list(const char *root);
/* Remove one entry (project NULL: any project's entries with key). */
int	cache_remove(const char *root, const char *project, const char *key,
	    char **cause);
/* Evict LRU entries until the total is within budget; how many went. */
int	cache_evict(const char *root, uint64_t budget);

#endif
