/* tfcaches.h -- upload_caches: the cache names it lists, and their check. */
#ifndef PROTO_TFCACHES_H
#define PROTO_TFCACHES_H

#include <stddef.h>

#include "proto/taskfile.h"
#include "proto/yamltree.h"

/*
 * The names that upload_caches instruction k: v lists (one string or a
 * list of them), appended to s->caches; their nodes are appended to *refs
 * (the caller's array, pointing into v's tree, valid while it is) for
 * tfcaches_check.  0, or -1 with the error set in yt.
 */
int	 tfcaches_parse(struct yamltree_ctx *yt, const struct node *k,
	    const struct node *v, struct tf_step *s, const struct node ***refs,
	    size_t *nrefs);
/*
 * Once every instruction of t is read (a cache may come after the
 * upload_caches naming it): each of the n names in refs must be the name
 * of a NAME_cache instruction of t.  0, or -1 with the error at the name.
 */
int	 tfcaches_check(struct yamltree_ctx *yt, const struct tf_task *t,
	    const struct node *const *refs, size_t n);

#endif
