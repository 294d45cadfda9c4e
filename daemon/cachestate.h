/* cachestate.h -- a task attempt's cache keys and restored folders as JSON, kept for a stratusd that re-adopts it. */
#ifndef DAEMON_CACHESTATE_H
#define DAEMON_CACHESTATE_H

#include <stddef.h>

/* One cache step of a task attempt, as workspace.c worked it out before
 * the steps ran.  Borrowed pointers. */
struct cachestate {
	const char		*name;		/* the cache step's */
	const char		*key;
	char *const		*paths;		/* its folders */
	char *const		*restored;	/* per folder: restored tar's
						 * SHA-256 hex, or NULL */
	size_t			 npaths;
};

/* The JSON text of n caches; caller frees. */
char	*cachestate_encode(const struct cachestate *, size_t n);

/*
 * In json (cachestate_encode's), the cache named name with exactly the
 * folders paths: *key and restored[0..npaths-1] (each NULL or the
 * caller's, like *key).  0; 1 when json has no such cache; -1 with cause
 * (caller frees) when json does not parse.
 */
int	 cachestate_find(const char *json, const char *name,
	    char *const *paths, size_t npaths, char **key, char **restored,
	    char **cause);

#endif
