/* pack.h -- the project directory as a deterministic tar with its digest. */
#ifndef CLIENT_PACK_H
#define CLIENT_PACK_H

#include <stdint.h>

#include "proto/sha256.h"

/* Largest project the client will pack: what the daemon accepts. */
#define PACK_MAX_SIZE	(1024ull << 20)

struct pack {
	char		*path;		/* temporary tar file; owned */
	char		 sha[SHA256_HEXLEN + 1];
	uint64_t	 size;		/* bytes in the tar */
	uint64_t	 nentries;
};

/*
 * Pack dir into a tar in $TMPDIR (else /tmp): entries sorted by path, owner
 * 0:0 without names, mode and whole-second mtime kept; regular files,
 * directories and symlinks only; every ".git" skipped.  In a git work tree
 * what the index tracks is packed even when an ignore rule matches it;
 * untracked files go by the ignore rules.  Returns 0 and fills p
 * (release with pack_free), or -1 with cause (caller frees).
 */
int	pack_dir(const char *dir, struct pack *p, char **cause);
/*
 * The files below a work tree's top that git would call untracked and not
 * ignored, relative to top and sorted, into *v (caller frees each and the
 * array) and *n.  0, or -1 with cause (caller frees).
 */
int	pack_untracked(const char *top, char ***v, size_t *n, char **cause);
/* Remove the temporary file and free p's members. */
void	pack_free(struct pack *p);

#endif
