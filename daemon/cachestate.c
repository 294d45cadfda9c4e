/* cachestate.c -- a task attempt's cache keys and restored folders as JSON, kept for a stratusd that re-adopts it. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cachestate.h"
#include "proto/log.h"
#include "proto/util.h"

/*
 * [{"name": N, "key": K, "folders": [{"path": P, "restored": SHA|null}]}]
 * The folders are kept with their paths so that a state recorded for
 * other folders than the spec's is never taken for its own.
 */
char *
cachestate_encode(const struct cachestate *cs, size_t n)
{
	cJSON	*arr, *o, *folders, *f;
	char	*s;
	size_t	 i, j;

	if ((arr = cJSON_CreateArray()) == NULL)
		fatalx("cachestate: out of memory");
	for (i = 0; i < n; i++) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o) ||
		    cJSON_AddStringToObject(o, "name", cs[i].name) == NULL ||
		    cJSON_AddStringToObject(o, "key", cs[i].key) == NULL ||
		    (folders = cJSON_AddArrayToObject(o, "folders")) == NULL)
			fatalx("cachestate: out of memory");
		for (j = 0; j < cs[i].npaths; j++) {
			if ((f = cJSON_CreateObject()) == NULL ||
			    !cJSON_AddItemToArray(folders, f) ||
			    cJSON_AddStringToObject(f, "path",
			    cs[i].paths[j]) == NULL ||
			    (cs[i].restored[j] != NULL ?
			    cJSON_AddStringToObject(f, "restored",
			    cs[i].restored[j]) :
			    cJSON_AddNullToObject(f, "restored")) == NULL)
				fatalx("cachestate: out of memory");
		}
	}
	if ((s = cJSON_PrintUnformatted(arr)) == NULL)
		fatalx("cachestate: out of memory");
	cJSON_Delete(arr);
	return (s);
}

/* Whether o's folders are exactly paths; fills restored (borrowed). */
static int
cachestate_folders(const cJSON *o, char *const *paths, size_t npaths,
    const char **restored)
{
	const cJSON	*folders, *f, *p, *r;
	size_t		 j = 0;

	folders = cJSON_GetObjectItemCaseSensitive(o, "folders");
	if (!cJSON_IsArray(folders))
		return (0);
	cJSON_ArrayForEach(f, folders) {
		if (j == npaths)
			return (0);
		p = cJSON_GetObjectItemCaseSensitive(f, "path");
		r = cJSON_GetObjectItemCaseSensitive(f, "restored");
		if (!cJSON_IsString(p) || strcmp(p->valuestring,
		    paths[j]) != 0 || (!cJSON_IsString(r) && !cJSON_IsNull(r)))
			return (0);
		restored[j++] = cJSON_IsString(r) ? r->valuestring : NULL;
	}
	return (j == npaths);
}

int
cachestate_find(const char *json, const char *name, char *const *paths,
    size_t npaths, char **key, char **restored, char **cause)
{
	const cJSON	*o, *n, *k;
	const char     **r;
	cJSON		*arr;
	size_t		 j;
	int		 rv = 1;

	*key = NULL;
	for (j = 0; j < npaths; j++)
		restored[j] = NULL;
	if ((arr = cJSON_Parse(json)) == NULL || !cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		*cause = xstrdup("the recorded cache state does not parse");
		return (-1);
	}
	r = xcalloc(npaths + 1, sizeof *r);
	cJSON_ArrayForEach(o, arr) {
		n = cJSON_GetObjectItemCaseSensitive(o, "name");
		k = cJSON_GetObjectItemCaseSensitive(o, "key");
		if (!cJSON_IsString(n) || !cJSON_IsString(k) ||
		    strcmp(n->valuestring, name) != 0 ||
		    !cachestate_folders(o, paths, npaths, r))
			continue;
		*key = xstrdup(k->valuestring);
		for (j = 0; j < npaths; j++)
			restored[j] = r[j] != NULL ? xstrdup(r[j]) : NULL;
		rv = 0;
		break;
	}
	free(r);
	cJSON_Delete(arr);
	return (rv);
}
