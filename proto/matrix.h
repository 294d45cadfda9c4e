/* matrix.h -- expands Cirrus matrix: keys into one tree per combination. */
#ifndef PROTO_MATRIX_H
#define PROTO_MATRIX_H

#include <stddef.h>

#include "proto/yamltree.h"

#define MATRIX_MAX	256		/* combinations within one tree */

/*
 * Append to *out every combination of the matrices inside n, each a new
 * tree (n itself copied when it has none): a matrix: pair is replaced in
 * turn by each alternative's pairs, as Cirrus does; several matrices
 * multiply.  The trees and *out are the caller's, freed with
 * yamltree_freev, also on error.  0, or -1 with the error set in yt.
 */
int	 matrix_expand(struct yamltree_ctx *yt, const struct node *n,
	    struct node ***out, size_t *nout);

#endif
