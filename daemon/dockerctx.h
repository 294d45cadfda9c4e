/* dockerctx.h -- what a Dockerfile build takes from the snapshot, hashed to name its image. */
#ifndef DAEMON_DOCKERCTX_H
#define DAEMON_DOCKERCTX_H

#include <stddef.h>

#include "proto/sha256.h"

/* The images a Dockerfile builds on (dockerfile.h's bases). */
struct dockerctx_bases {
	char	**v;
	size_t	  n;
};

void	dockerctx_bases_free(struct dockerctx_bases *);

/*
 * The digest naming the image built from dockerfile (a path in the context)
 * with build arguments args ("K=V") and the snapshot tar (len bytes) as its
 * context.  It covers the Dockerfile's content, the arguments, and the
 * names, modes and contents of exactly the context files its COPY and ADD
 * instructions take, after the ignore file: other edits to the project
 * reuse the image.  When that set cannot be known for sure, the digest
 * covers the Dockerfile's path, the arguments and snapshot (the blob's
 * name) instead, and *why (caller frees) says why.  Returns 1 for the
 * first kind with *nused the number of context entries covered, 0 for the
 * second.  With the first kind, *bases (unless NULL; free with
 * dockerctx_bases_free) lists the images FROM names, for the caller to
 * cover their identity too; with the second it is empty.
 */
int	dockerctx_digest(const void *tar, size_t len, const char *snapshot,
	    const char *dockerfile, const char *const *args, size_t nargs,
	    char hex[SHA256_HEXLEN + 1], size_t *nused,
	    struct dockerctx_bases *bases, char **why);

#endif
