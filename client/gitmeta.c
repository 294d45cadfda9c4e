/* gitmeta.c -- reads branch, commit, tag and remote of a work tree from its .git. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/gitmeta.h"
#include "client/gitobj.h"
#include "proto/util.h"

#define GIT_SHA_LEN	GITOBJ_SHA_LEN

/* The commit a tag object of name sha points to, else a copy of sha. */
static char *
git_peel(const struct gitrepo *g, const char *sha)
{
	char	 type[16], *body;
	char	*peeled = NULL;
	size_t	 len;

	if ((body = gitobj_read(g, sha, type, &len)) != NULL &&
	    strcmp(type, "tag") == 0 && strncmp(body, "object ", 7) == 0 &&
	    gitobj_is_sha(body + 7))
		peeled = xstrndup(body + 7, GIT_SHA_LEN);
	free(body);
	return (peeled != NULL ? peeled : xstrdup(sha));
}

/* A tag naming commit sha, loose or packed; caller frees. */
static char *
git_tag(const struct gitrepo *g, const char *sha)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *s, *line, *next, *p, *tag = NULL, *last = NULL;

	dir = xasprintf("%s/refs/tags", g->common);
	if ((d = opendir(dir)) != NULL) {
		while (tag == NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((s = gitobj_read_file(dir, de->d_name)) == NULL)
				continue;
			if (gitobj_is_sha(s)) {
				p = git_peel(g, s);
				if (strncmp(p, sha, GIT_SHA_LEN) == 0)
					tag = xstrdup(de->d_name);
				free(p);
			}
			free(s);
		}
		closedir(d);
	}
	free(dir);
	if (tag != NULL || (s = gitobj_read_file(g->common, "packed-refs")) == NULL)
		return (tag);
	/* "SHA refs/tags/NAME", then "^PEELED" for an annotated tag. */
	for (line = s; line != NULL && tag == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '^' && last != NULL &&
		    strncmp(line + 1, sha, GIT_SHA_LEN) == 0)
			tag = xstrdup(last);
		last = NULL;
		if (gitobj_is_sha(line) && strncmp(line + GIT_SHA_LEN,
		    " refs/tags/", 11) == 0) {
			last = line + GIT_SHA_LEN + 11;
			if (strncmp(line, sha, GIT_SHA_LEN) == 0)
				tag = xstrdup(last);
		}
	}
	free(s);
	return (tag);
}

/* remote "origin"'s url from the repository's config; caller frees. */
static char *
git_origin_url(const struct gitrepo *g)
{
	char	*s, *line, *next, *p, *url = NULL;
	int	 in = 0;

	if ((s = gitobj_read_file(g->common, "config")) == NULL)
		return (NULL);
	for (line = s; line != NULL && url == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line += strspn(line, " \t");
		if (*line == '[') {
			in = strncmp(line, "[remote \"origin\"]", 17) == 0;
			continue;
		}
		if (!in || strncasecmp(line, "url", 3) != 0)
			continue;
		p = line + 3 + strspn(line + 3, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		url = xstrdup(p);
		for (p = url + strlen(url); p > url && isspace(
		    (unsigned char)p[-1]); p--)
			p[-1] = '\0';
	}
	free(s);
	return (url);
}

int
gitmeta_repo_name(const char *url, char **owner, char **name)
{
	char	*u, *p, *end;

	*owner = *name = NULL;
	u = xstrdup(url);
	end = u + strlen(u);
	while (end > u && end[-1] == '/')
		*--end = '\0';
	if (end - u > 4 && strcmp(end - 4, ".git") == 0)
		*(end -= 4) = '\0';
	for (p = end; p > u && p[-1] != '/' && p[-1] != ':'; p--)
		;
	if (*p == '\0') {
		free(u);
		return (-1);
	}
	*name = xstrdup(p);
	if (p > u) {
		*--p = '\0';
		for (end = p; p > u && p[-1] != '/' && p[-1] != ':'; p--)
			;
		if (*p != '\0')
			*owner = xstrdup(p);
	}
	free(u);
	return (0);
}

/* The branch Cirrus would call the default one. */
static char *
git_default_branch(const struct gitrepo *g, const char *branch)
{
	char	*s, *r;

	if ((s = gitobj_read_file(g->common, "refs/remotes/origin/HEAD")) != NULL &&
	    strncmp(s, "ref: refs/remotes/origin/", 25) == 0) {
		r = xstrdup(s + 25);
		free(s);
		return (r);
	}
	free(s);
	if ((s = gitobj_resolve(g, "refs/heads/main")) != NULL) {
		free(s);
		return (xstrdup("main"));
	}
	if ((s = gitobj_resolve(g, "refs/heads/master")) != NULL) {
		free(s);
		return (xstrdup("master"));
	}
	return (branch != NULL ? xstrdup(branch) : NULL);
}

/* Commit sha's message and title. */
static void
git_message(const struct gitrepo *g, const char *sha, struct tf_env *out)
{
	char	 type[16], *body, *msg, *nl;
	size_t	 len;

	if ((body = gitobj_read(g, sha, type, &len)) == NULL)
		return;
	if (strcmp(type, "commit") == 0 &&
	    (msg = strstr(body, "\n\n")) != NULL) {
		msg += 2;
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		tf_env_set(out, "CIRRUS_CHANGE_MESSAGE", msg);
		if ((nl = strchr(msg, '\n')) != NULL)
			*nl = '\0';
		tf_env_set(out, "CIRRUS_CHANGE_TITLE", msg);
	}
	free(body);
}

int
gitmeta_read(const char *dir, struct tf_env *out)
{
	struct gitrepo	 g;
	char		*head, *branch = NULL, *sha = NULL, *s;
	char		*owner = NULL, *name = NULL, *full;

	if (!gitobj_find(dir, &g))
		return (0);
	if ((head = gitobj_read_file(g.dir, "HEAD")) != NULL) {
		if (strncmp(head, "ref: refs/heads/", 16) == 0)
			branch = xstrdup(head + 16);
		if (strncmp(head, "ref: ", 5) == 0)
			sha = gitobj_resolve(&g, head + 5);
		else if (gitobj_is_sha(head))
			sha = xstrndup(head, GIT_SHA_LEN);
	}
	if (branch != NULL)
		tf_env_set(out, "CIRRUS_BRANCH", branch);
	if (sha != NULL) {
		tf_env_set(out, "CIRRUS_CHANGE_IN_REPO", sha);
		if ((s = git_tag(&g, sha)) != NULL)
			tf_env_set(out, "CIRRUS_TAG", s);
		free(s);
		git_message(&g, sha, out);
	}
	if ((s = git_origin_url(&g)) != NULL)
		gitmeta_repo_name(s, &owner, &name);
	free(s);
	if (name == NULL && (s = strrchr(g.top, '/')) != NULL && s[1] != '\0')
		name = xstrdup(s + 1);
	if (name != NULL) {
		tf_env_set(out, "CIRRUS_REPO_NAME", name);
		if (owner != NULL) {
			tf_env_set(out, "CIRRUS_REPO_OWNER", owner);
			full = xasprintf("%s/%s", owner, name);
			tf_env_set(out, "CIRRUS_REPO_FULL_NAME", full);
			free(full);
		} else
			tf_env_set(out, "CIRRUS_REPO_FULL_NAME", name);
	}
	if ((s = git_default_branch(&g, branch)) != NULL)
		tf_env_set(out, "CIRRUS_DEFAULT_BRANCH", s);
	free(s);
	free(owner);
	free(name);
	free(head);
	free(branch);
	free(sha);
	gitobj_close(&g);
	return (1);
}
