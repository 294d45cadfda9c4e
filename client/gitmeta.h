/* gitmeta.h -- what Cirrus calls CIRRUS_BRANCH & co., read from a .git directory. */
#ifndef CLIENT_GITMETA_H
#define CLIENT_GITMETA_H

#include "proto/taskfile.h"

/*
 * Find the git repository holding dir (dir itself or a parent) and add to
 * out what can be read from it without running git: CIRRUS_BRANCH,
 * CIRRUS_TAG, CIRRUS_CHANGE_IN_REPO, CIRRUS_CHANGE_MESSAGE and
 * CIRRUS_CHANGE_TITLE (loose or packed commits), CIRRUS_REPO_NAME,
 * CIRRUS_REPO_OWNER, CIRRUS_REPO_FULL_NAME (from remote "origin"'s URL) and
 * CIRRUS_DEFAULT_BRANCH.  Best effort: what cannot be read is left out.
 * Returns 1 when a repository was found, else 0.
 */
int	gitmeta_read(const char *dir, struct tf_env *out);

/*
 * Split a remote URL ("https://host/owner/name.git", "git@host:owner/name",
 * "/srv/git/name.git") into owner (NULL when none) and name; 0, or -1
 * when it has no name.  Caller frees both.
 */
int	gitmeta_repo_name(const char *url, char **owner, char **name);

#endif
