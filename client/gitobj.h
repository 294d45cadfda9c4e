/* gitobj.h -- a git repository read without git: discovery, refs and objects. */
#ifndef CLIENT_GITOBJ_H
#define CLIENT_GITOBJ_H

#include <stddef.h>

#define GITOBJ_SHA_LEN	40	/* hex digits of an object name */
#define GITOBJ_MAX	(16u << 20)	/* largest object read, inflated */

struct gitobj_packs;

struct gitrepo {
	char			*top;		/* the work tree */
	char			*dir;		/* its git directory */
	char			*common;	/* refs and objects (worktrees) */
	struct gitobj_packs	*packs;		/* pack indexes, read once */
};

/* Find the repository holding start (start or a parent); 1 and r filled
 * (release with gitobj_close), else 0. */
int	 gitobj_find(const char *start, struct gitrepo *r);
void	 gitobj_close(struct gitrepo *r);

/* dir/name without trailing white space, NULL if unreadable; caller frees. */
char	*gitobj_read_file(const char *dir, const char *name);
/* Whether s begins with a full hexadecimal object name. */
int	 gitobj_is_sha(const char *s);
/* The object name ref ("HEAD", "refs/heads/x") points to, following
 * symbolic refs and packed-refs; NULL when unknown.  Caller frees. */
char	*gitobj_resolve(const struct gitrepo *r, const char *ref);

/*
 * Object sha (hex), loose or in a pack (deltas resolved): its type
 * ("commit", "tree", "blob", "tag") into type (16 bytes), its length into
 * *len, and its body, NUL terminated, as the return value (caller frees).
 * NULL when it cannot be read.
 */
char	*gitobj_read(const struct gitrepo *r, const char *sha, char *type,
	    size_t *len);

#endif
