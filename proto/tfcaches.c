/* tfcaches.c -- upload_caches: the cache names it lists, and their check. */

#include <stdlib.h>
#include <string.h>

#include "proto/taskfile.h"
#include "proto/tfcaches.h"
#include "proto/util.h"
#include "proto/yamltree.h"

/* Append upload_caches' names to s and their nodes to *refs; see tfcaches.h. */
int
tfcaches_parse(struct yamltree_ctx *yt, const struct node *k,
    const struct node *v, struct tf_step *s, const struct node ***refs,
    size_t *nrefs)
{
	const struct node	*e;
	size_t			 i, n;

	if (yamltree_is_null(v))
		return (yamltree_error(yt, k, "upload_caches names no cache"));
	if (v->type != N_SCALAR && v->type != N_SEQ)
		return (yamltree_error(yt, v, "upload_caches must be a cache "
		    "name or a list of them"));
	n = v->type == N_SCALAR ? 1 : v->nitems;
	for (i = 0; i < n; i++) {
		e = v->type == N_SCALAR ? v : v->items[i];
		if (e->type != N_SCALAR || yamltree_is_null(e))
			return (yamltree_error(yt, e, "upload_caches must be "
			    "a cache name or a list of them"));
		s->caches = xreallocarray(s->caches, s->ncaches + 1,
		    sizeof *s->caches);
		s->caches[s->ncaches++] = xstrdup(e->str);
		*refs = xreallocarray(*refs, *nrefs + 1, sizeof **refs);
		(*refs)[(*nrefs)++] = e;
	}
	return (0);
}

/* Every name in refs is a cache of t; see tfcaches.h. */
int
tfcaches_check(struct yamltree_ctx *yt, const struct tf_task *t,
    const struct node *const *refs, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t->nsteps; j++) {
			if (t->steps[j].kind == STEP_CACHE &&
			    strcmp(t->steps[j].name, refs[i]->str) == 0)
				break;
		}
		if (j == t->nsteps)
			return (yamltree_error(yt, refs[i], "upload_caches: "
			    "task '%s' has no cache '%s' (no %s_cache "
			    "instruction)", t->name, refs[i]->str,
			    refs[i]->str));
	}
	return (0);
}
