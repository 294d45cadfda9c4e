/* gitmeta.c -- reads branch, commit, tag and remote of a work tree from its .git. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "client/gitmeta.h"
#include "proto/util.h"

#define GIT_MAX_FILE	(4u << 20)	/* HEAD, refs, config, packed-refs */
#define GIT_MAX_OBJECT	(1u << 20)	/* a commit or tag, inflated */
#define GIT_SHA_LEN	40

struct git {
	char	*top;		/* the work tree */
	char	*dir;		/* its git directory */
	char	*common;	/* where refs and objects live (worktrees) */
};

/* Read dir/name as a string without trailing white space; NULL if
 * unreadable.  Caller frees. */
static char *
git_read(const char *dir, const char *name)
{
	char	*path, *s;
	size_t	 len = 0;

	path = xasprintf("%s/%s", dir, name);
	s = read_file(path, GIT_MAX_FILE, &len);
	free(path);
	if (s == NULL)
		return (NULL);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return (s);
}

/* Whether s begins with a full hexadecimal object name. */
static int
git_is_sha(const char *s)
{
	return (strspn(s, "0123456789abcdef") >= GIT_SHA_LEN);
}

/* Find the repository holding start; 1 when found. */
static int
git_find(const char *start, struct git *g)
{
	struct stat	 sb;
	char		*d, *gd, *s, *p;

	memset(g, 0, sizeof *g);
	d = xstrdup(start);
	for (;;) {
		gd = xasprintf("%s/.git", d);
		if (stat(gd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			g->dir = gd;
			break;
		}
		free(gd);
		/* A worktree or submodule: ".git" is "gitdir: PATH". */
		if ((s = git_read(d, ".git")) != NULL &&
		    strncmp(s, "gitdir: ", 8) == 0) {
			g->dir = s[8] == '/' ? xstrdup(s + 8) :
			    xasprintf("%s/%s", d, s + 8);
			free(s);
			break;
		}
		free(s);
		if (*d == '\0' || (p = strrchr(d, '/')) == NULL) {
			free(d);
			return (0);
		}
		*p = '\0';
	}
	g->top = d;
	if ((s = git_read(g->dir, "commondir")) != NULL && *s != '\0') {
		g->common = *s == '/' ? xstrdup(s) :
		    xasprintf("%s/%s", g->dir, s);
	} else
		g->common = xstrdup(g->dir);
	free(s);
	return (1);
}

static void
git_free(struct git *g)
{
	free(g->top);
	free(g->dir);
	free(g->common);
}

/* The object name ref points to, following symbolic refs; caller frees. */
static char *
git_resolve(const struct git *g, const char *ref, int depth)
{
	char	*s, *line, *next, *sha = NULL;
	size_t	 n = strlen(ref);

	if (depth > 5)
		return (NULL);
	if ((s = git_read(g->dir, ref)) == NULL)
		s = git_read(g->common, ref);
	if (s != NULL && strncmp(s, "ref: ", 5) == 0) {
		sha = git_resolve(g, s + 5, depth + 1);
		free(s);
		return (sha);
	}
	if (s != NULL && git_is_sha(s)) {
		s[GIT_SHA_LEN] = '\0';
		return (s);
	}
	free(s);
	if ((s = git_read(g->common, "packed-refs")) == NULL)
		return (NULL);
	for (line = s; line != NULL && sha == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (git_is_sha(line) && line[GIT_SHA_LEN] == ' ' &&
		    strncmp(line + GIT_SHA_LEN + 1, ref, n) == 0 &&
		    line[GIT_SHA_LEN + 1 + n] == '\0')
			sha = xstrndup(line, GIT_SHA_LEN);
	}
	free(s);
	return (sha);
}

/*
 * Inflate loose object sha: its type into type (16 bytes) and its body,
 * NUL terminated, as the return value (caller frees); NULL when it is not
 * a readable loose object (packed ones are not read).
 */
static char *
git_object(const struct git *g, const char *sha, char *type)
{
	z_stream	 zs;
	char		*path, *raw, *out = NULL, *body = NULL, *sp;
	size_t		 rawlen = 0;
	int		 zr;

	path = xasprintf("%s/objects/%.2s/%.38s", g->common, sha, sha + 2);
	raw = read_file(path, GIT_MAX_OBJECT, &rawlen);
	free(path);
	if (raw == NULL)
		return (NULL);
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		goto out;
	out = xmalloc(GIT_MAX_OBJECT + 1);
	zs.next_in = (unsigned char *)raw;
	zs.avail_in = (uInt)rawlen;
	zs.next_out = (unsigned char *)out;
	zs.avail_out = GIT_MAX_OBJECT;
	zr = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zr != Z_STREAM_END)
		goto out;
	out[zs.total_out] = '\0';
	/* "TYPE SIZE\0BODY" */
	if ((sp = memchr(out, ' ', zs.total_out)) == NULL || sp - out >= 16 ||
	    strlen(out) + 1 > zs.total_out)
		goto out;
	memcpy(type, out, (size_t)(sp - out));
	type[sp - out] = '\0';
	body = xstrdup(out + strlen(out) + 1);
out:
	free(out);
	free(raw);
	return (body);
}

/* The commit a tag object of name sha points to, else a copy of sha. */
static char *
git_peel(const struct git *g, const char *sha)
{
	char	 type[16], *body;
	char	*peeled = NULL;

	if ((body = git_object(g, sha, type)) != NULL &&
	    strcmp(type, "tag") == 0 && strncmp(body, "object ", 7) == 0 &&
	    git_is_sha(body + 7))
		peeled = xstrndup(body + 7, GIT_SHA_LEN);
	free(body);
	return (peeled != NULL ? peeled : xstrdup(sha));
}

/* A tag naming commit sha, loose or packed; caller frees. */
static char *
git_tag(const struct git *g, const char *sha)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *s, *line, *next, *p, *tag = NULL, *last = NULL;

	dir = xasprintf("%s/refs/tags", g->common);
	if ((d = opendir(dir)) != NULL) {
		while (tag == NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((s = git_read(dir, de->d_name)) == NULL)
				continue;
			if (git_is_sha(s)) {
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
	if (tag != NULL || (s = git_read(g->common, "packed-refs")) == NULL)
		return (tag);
	/* "SHA refs/tags/NAME", then "^PEELED" for an annotated tag. */
	for (line = s; line != NULL && tag == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '^' && last != NULL &&
		    strncmp(line + 1, sha, GIT_SHA_LEN) == 0)
			tag = xstrdup(last);
		last = NULL;
		if (git_is_sha(line) && strncmp(line + GIT_SHA_LEN,
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
git_origin_url(const struct git *g)
{
	char	*s, *line, *next, *p, *url = NULL;
	int	 in = 0;

	if ((s = git_read(g->common, "config")) == NULL)
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
git_default_branch(const struct git *g, const char *branch)
{
	char	*s, *r;

	if ((s = git_read(g->common, "refs/remotes/origin/HEAD")) != NULL &&
	    strncmp(s, "ref: refs/remotes/origin/", 25) == 0) {
		r = xstrdup(s + 25);
		free(s);
		return (r);
	}
	free(s);
	if ((s = git_resolve(g, "refs/heads/main", 0)) != NULL) {
		free(s);
		return (xstrdup("main"));
	}
	if ((s = git_resolve(g, "refs/heads/master", 0)) != NULL) {
		free(s);
		return (xstrdup("master"));
	}
	return (branch != NULL ? xstrdup(branch) : NULL);
}

/* Commit sha's message and title, when it is a loose object. */
static void
git_message(const struct git *g, const char *sha, struct tf_env *out)
{
	char	 type[16], *body, *msg, *nl;
	size_t	 len;

	if ((body = git_object(g, sha, type)) == NULL)
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
	struct git	 g;
	char		*head, *branch = NULL, *sha = NULL, *s;
	char		*owner = NULL, *name = NULL, *full;

	if (!git_find(dir, &g))
		return (0);
	if ((head = git_read(g.dir, "HEAD")) != NULL) {
		if (strncmp(head, "ref: refs/heads/", 16) == 0)
			branch = xstrdup(head + 16);
		if (strncmp(head, "ref: ", 5) == 0)
			sha = git_resolve(&g, head + 5, 0);
		else if (git_is_sha(head))
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
	git_free(&g);
	return (1);
}
