/* matrix.c -- expands Cirrus matrix: keys into one tree per combination. */

#include <stdlib.h>
#include <string.h>

#include "proto/matrix.h"
#include "proto/util.h"
#include "proto/yamltree.h"

/* Whether a matrix: key is anywhere inside n. */
static int
has_matrix(const struct node *n)
{
	size_t	i;

	for (i = 0; i < n->nitems; i++) {
		if (has_matrix(n->items[i]))
			return (1);
	}
	for (i = 0; i < n->npairs; i++) {
		if (strcmp(n->pairs[i].k->str, "matrix") == 0 ||
		    has_matrix(n->pairs[i].v))
			return (1);
	}
	return (0);
}

/* Append x to *v, which takes it. */
static void
nodes_add(struct node ***v, size_t *n, struct node *x)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = x;
}

/* The alternatives of a matrix: value: mappings whose pairs get inlined. */
static int
matrix_alternatives(struct yamltree_ctx *yt, const struct node *m,
    struct node ***alts, size_t *nalts)
{
	struct node	*one;
	size_t		 i;
	int		 rc;

	if (m->type == N_SEQ) {
		for (i = 0; i < m->nitems; i++) {
			if (m->items[i]->type != N_MAP)
				return (yamltree_error(yt, m->items[i],
				    "matrix entries must be mappings"));
			if (matrix_expand(yt, m->items[i], alts, nalts) == -1)
				return (-1);
		}
	} else if (m->type == N_MAP) {
		/* Map form: each key: value pair is one alternative. */
		for (i = 0; i < m->npairs; i++) {
			one = xcalloc(1, sizeof *one);
			one->type = N_MAP;
			one->line = m->pairs[i].k->line;
			one->column = m->pairs[i].k->column;
			yamltree_map_add(one,
			    yamltree_copy(yt, m->pairs[i].k),
			    yamltree_copy(yt, m->pairs[i].v));
			rc = matrix_expand(yt, one, alts, nalts);
			yamltree_free(one);
			if (rc == -1)
				return (-1);
		}
	} else
		return (yamltree_error(yt, m, "matrix must be a list or a "
		    "mapping"));
	if (*nalts == 0)
		return (yamltree_error(yt, m, "matrix has no entries"));
	return (0);
}

/* Every combination of the matrices inside n; see matrix.h. */
int
matrix_expand(struct yamltree_ctx *yt, const struct node *n,
    struct node ***out, size_t *nout)
{
	struct node	**part = NULL, **next = NULL, **alts = NULL, *q;
	size_t		  npart = 0, nnext = 0, nalts = 0, i, a, b, j;
	const struct node *k, *v;
	int		  rc = -1, ismatrix;

	if (!has_matrix(n) || n->type == N_SCALAR) {
		nodes_add(out, nout, yamltree_copy(yt, n));
		return (yamltree_budget(yt, n, 0));
	}
	q = xcalloc(1, sizeof *q);
	q->type = n->type;
	q->line = n->line;
	q->column = n->column;
	nodes_add(&part, &npart, q);
	for (i = 0; i < (n->type == N_MAP ? n->npairs : n->nitems); i++) {
		k = n->type == N_MAP ? n->pairs[i].k : NULL;
		v = n->type == N_MAP ? n->pairs[i].v : n->items[i];
		ismatrix = k != NULL && strcmp(k->str, "matrix") == 0;
		if (ismatrix) {
			if (matrix_alternatives(yt, v, &alts, &nalts) == -1)
				goto out;
		} else if (matrix_expand(yt, v, &alts, &nalts) == -1)
			goto out;
		if (npart * nalts > MATRIX_MAX) {
			yamltree_error(yt, v, "matrix expands to more than %d "
			    "combinations", MATRIX_MAX);
			goto out;
		}
		for (a = 0; a < npart; a++) {
			for (b = 0; b < nalts; b++) {
				q = yamltree_copy(yt, part[a]);
				nodes_add(&next, &nnext, q);
				if (ismatrix) {
					for (j = 0; j < alts[b]->npairs; j++)
						yamltree_map_add(q,
						    yamltree_copy(yt,
						    alts[b]->pairs[j].k),
						    yamltree_copy(yt,
						    alts[b]->pairs[j].v));
				} else if (k != NULL)
					yamltree_map_add(q,
					    yamltree_copy(yt, k),
					    yamltree_copy(yt, alts[b]));
				else
					nodes_add(&q->items, &q->nitems,
					    yamltree_copy(yt, alts[b]));
				if (yamltree_budget(yt, v, 0) == -1)
					goto out;
			}
		}
		yamltree_freev(part, npart);
		yamltree_freev(alts, nalts);
		part = next;
		npart = nnext;
		next = alts = NULL;
		nnext = nalts = 0;
	}
	for (a = 0; a < npart; a++)
		nodes_add(out, nout, part[a]);
	npart = 0;
	rc = 0;
out:
	yamltree_freev(part, npart);
	yamltree_freev(next, nnext);
	yamltree_freev(alts, nalts);
	return (rc);
}
