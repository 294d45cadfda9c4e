/* gitindex.h -- a git work tree's index (.git/index, DIRC 2, 3 and 4): what is tracked. */
#ifndef CLIENT_GITINDEX_H
#define CLIENT_GITINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "client/gitobj.h"

struct gitindex_entry {
	char		*path;		/* relative to the work tree; owned */
	uint32_t	 mode;		/* 0100644, 0100755, 0120000, 0160000 */
	uint32_t	 size;		/* low 32 bits of the size, as git keeps */
	uint32_t	 mtime_s;
	uint32_t	 mtime_ns;
	int		 stage;		/* 0, or 1-3 while merging */
	char		 sha[GITOBJ_SHA_LEN + 1];
};

struct gitindex {
	struct gitindex_entry	*v;	/* sorted by path, as git keeps them */
	size_t			 n;
};

/*
 * Read the index file at path into ix (release with gitindex_free).  A
 * missing file is an empty index.  0, or -1 with cause (caller frees) when
 * it is unreadable or not an index of version 2, 3 or 4.
 */
int	gitindex_read(const char *path, struct gitindex *ix, char **cause);
/* Read the index of repository r (its git directory's "index"). */
int	gitindex_read_repo(const struct gitrepo *r, struct gitindex *ix,
	    char **cause);
void	gitindex_free(struct gitindex *ix);

/* The first entry for path, or NULL when path is not tracked. */
const struct gitindex_entry *gitindex_find(const struct gitindex *ix,
	    const char *path);
/* 1 when some tracked path lies below directory dir ("a/b"), else 0. */
int	gitindex_has_dir(const struct gitindex *ix, const char *dir);

#endif
