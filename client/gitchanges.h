/* gitchanges.h -- the files a submit changed, for changesInclude(). */
#ifndef CLIENT_GITCHANGES_H
#define CLIENT_GITCHANGES_H

#include <stddef.h>

/*
 * The files changed in the git work tree holding dir, relative to its top,
 * sorted and unique: those the HEAD commit changed against its first parent
 * (every file of a root commit), those whose index entry differs from HEAD,
 * those whose work tree content differs from the index, and untracked files
 * not ignored.  0 with *v (caller frees each and the array) and *n; -1 when
 * it cannot be known (no repository, an unreadable object).
 */
int	gitchanges_list(const char *dir, char ***v, size_t *n);

/* Add "changed_files": [...] to a job submission when the list is known. */
struct cJSON;
void	gitchanges_to_json(const char *dir, struct cJSON *body);

#endif
