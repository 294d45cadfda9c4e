/* tfgraph.h -- the tasks of one file: unique names, depends_on, cycles. */
#ifndef PROTO_TFGRAPH_H
#define PROTO_TFGRAPH_H

#include <stddef.h>

#include "proto/taskfile.h"
#include "proto/yamltree.h"

/* One depends_on entry as written. */
struct dep {
	char	*name;
	int	 line, column;
};

/* A task while it is built; t moves into the taskfile at the end. */
struct ptask {
	struct tf_task	 t;
	char		*base;		/* name before it was made unique */
	struct dep	*deps;		/* as written */
	size_t		 ndeps;
	int		*dline, *dcol;	/* position of each t.depends_on */
	int		 dropped;	/* only_if was false */
};

/* Free the members of p (not p itself) and zero it. */
void	 tfgraph_ptask_free(struct ptask *p);
/* Append depends_on v (a name or a list of names) to p->deps, positions
 * kept; 0, or -1 with the error set in yt. */
int	 tfgraph_depends(struct yamltree_ctx *yt, struct ptask *p,
	    const struct node *v);
/*
 * As Cirrus: expand variables in p's depends_on names with its variables
 * and ctx's; one that expands to "[a, b]" names several tasks.
 */
void	 tfgraph_expand_deps(struct ptask *p, const struct tf_context *ctx);
/* Make the names of the tasks kept unique: matrix siblings get the
 * variables (and image) they differ in, what still collides a number. */
void	 tfgraph_uniquify(struct ptask *pt, size_t npt);
/* Resolve deps by name or alias into t.depends_on; 0, or -1 with the
 * error set in yt. */
int	 tfgraph_resolve(struct yamltree_ctx *yt, struct ptask *pt,
	    size_t npt);
/* Refuse a dependency cycle among the kept tasks; 0, or -1 with the
 * error set in yt. */
int	 tfgraph_check_cycles(struct yamltree_ctx *yt, struct ptask *pt,
	    size_t npt);

#endif
