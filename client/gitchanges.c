/* gitchanges.c -- which files a submit changed: HEAD against its parent, index and work tree. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/gitchanges.h"
#include "client/gitindex.h"
#include "client/gitobj.h"
#include "client/pack.h"
#include "client/strlist.h"
#include "proto/log.h"
#include "proto/sha1.h"
#include "proto/util.h"

#define MODE_TREE	040000
#define MODE_GITLINK	0160000
#define TREE_MAX_DEPTH	256
#define GITCHANGES_MAX_JSON	(2u << 20)	/* half of API_MAX_JSON_BODY */

struct gc_tentry {
	const char	*name;		/* into the tree's body */
	uint32_t	 mode;
	char		 sha[GITOBJ_SHA_LEN + 1];
};

static int
gc_cmp_entry(const void *a, const void *b)
{
	return (strcmp(((const struct gc_tentry *)a)->name,
	    ((const struct gc_tentry *)b)->name));
}

/* Parse tree sha into *v (names point into *body, which caller frees). */
static int
gc_tree(const struct gitrepo *g, const char *sha, char **body,
    struct gc_tentry **v, size_t *n)
{
	char		 type[16], *p, *end, *sp, *nul;
	size_t		 len;
	struct gc_tentry *e;

	*v = NULL;
	*n = 0;
	if ((*body = gitobj_read(g, sha, type, &len)) == NULL ||
	    strcmp(type, "tree") != 0)
		return (-1);
	p = *body;
	end = p + len;
	while (p < end) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
		    (nul = memchr(sp, '\0', (size_t)(end - sp))) == NULL ||
		    end - nul < 21)
			return (-1);
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		e = &(*v)[(*n)++];
		e->mode = (uint32_t)strtoul(p, NULL, 8);
		e->name = sp + 1;
		sha1_hex((unsigned char *)nul + 1, e->sha);
		p = nul + 21;
	}
	if (*n > 1)
		qsort(*v, *n, sizeof **v, gc_cmp_entry);
	return (0);
}

/* Add the files that differ between trees a and b (either may be NULL). */
static int
gc_diff(const struct gitrepo *g, const char *a, const char *b,
    const char *prefix, int depth, struct strlist *out)
{
	struct gc_tentry	*va = NULL, *vb = NULL, *x, *y;
	char			*ba = NULL, *bb = NULL, *path;
	size_t			 na = 0, nb = 0, i = 0, j = 0;
	int			 c, rv = -1, xt, yt;

	if (a != NULL && b != NULL && strcmp(a, b) == 0)
		return (0);
	if (depth > TREE_MAX_DEPTH ||
	    (a != NULL && gc_tree(g, a, &ba, &va, &na) == -1) ||
	    (b != NULL && gc_tree(g, b, &bb, &vb, &nb) == -1))
		goto out;
	while (i < na || j < nb) {
		x = i < na ? &va[i] : NULL;
		y = j < nb ? &vb[j] : NULL;
		c = x == NULL ? 1 : y == NULL ? -1 : strcmp(x->name, y->name);
		if (c < 0)
			y = NULL;
		else if (c > 0)
			x = NULL;
		path = xasprintf("%s%s", prefix, x != NULL ? x->name : y->name);
		xt = x != NULL && x->mode == MODE_TREE;
		yt = y != NULL && y->mode == MODE_TREE;
		if (xt || yt) {
			free(path);
			path = xasprintf("%s%s/", prefix, x != NULL ? x->name :
			    y->name);
			if (gc_diff(g, xt ? x->sha : NULL, yt ? y->sha : NULL,
			    path, depth + 1, out) == -1) {
				free(path);
				goto out;
			}
			free(path);
			path = NULL;
			/* A file on the other side became a directory. */
			if ((x != NULL && !xt) || (y != NULL && !yt))
				path = xasprintf("%s%s", prefix, x != NULL &&
				    !xt ? x->name : y->name);
		} else if (x != NULL && y != NULL && x->mode == y->mode &&
		    strcmp(x->sha, y->sha) == 0) {
			free(path);
			path = NULL;
		}
		if (path != NULL)
			strlist_add(out, path);
		if (x != NULL)
			i++;
		if (y != NULL)
			j++;
	}
	rv = 0;
out:
	free(va);
	free(vb);
	free(ba);
	free(bb);
	return (rv);
}

/* The tree and first parent of commit sha (either NULL when absent). */
static int
gc_commit(const struct gitrepo *g, const char *sha, char **tree,
    char **parent)
{
	char	 type[16], *body, *p;
	size_t	 len;

	*tree = *parent = NULL;
	if ((body = gitobj_read(g, sha, type, &len)) == NULL ||
	    strcmp(type, "commit") != 0) {
		free(body);
		return (-1);
	}
	if (strncmp(body, "tree ", 5) == 0 && gitobj_is_sha(body + 5))
		*tree = xstrndup(body + 5, GITOBJ_SHA_LEN);
	if ((p = strstr(body, "\nparent ")) != NULL && gitobj_is_sha(p + 8) &&
	    (strstr(body, "\n\n") == NULL || p < strstr(body, "\n\n")))
		*parent = xstrndup(p + 8, GITOBJ_SHA_LEN);
	free(body);
	return (*tree != NULL ? 0 : -1);
}

/* Every file of tree sha with its object name, "path\tsha", into out. */
static int
gc_flatten(const struct gitrepo *g, const char *sha, const char *prefix,
    int depth, struct strlist *out)
{
	struct gc_tentry	*v = NULL;
	char			*body = NULL, *sub;
	size_t			 n = 0, i;
	int			 rv = -1;

	if (depth > TREE_MAX_DEPTH || gc_tree(g, sha, &body, &v, &n) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (v[i].mode != MODE_TREE) {
			strlist_add(out, xasprintf("%s%s\t%s", prefix,
			    v[i].name, v[i].sha));
			continue;
		}
		sub = xasprintf("%s%s/", prefix, v[i].name);
		rv = gc_flatten(g, v[i].sha, sub, depth + 1, out);
		free(sub);
		if (rv == -1)
			goto out;
	}
	rv = 0;
out:
	free(v);
	free(body);
	return (rv);
}

/* Index entries that differ from tree (staged changes), into out. */
static int
gc_staged(const struct gitrepo *g, const char *tree,
    const struct gitindex *ix, struct strlist *out)
{
	struct strlist	 flat = STRLIST_INITIALIZER;
	const struct gitindex_entry *e;
	char		*tab;
	size_t		 i;

	if (gc_flatten(g, tree, "", 0, &flat) == -1) {
		strlist_free(&flat);
		return (-1);
	}
	for (i = 0; i < flat.n; i++) {
		tab = strchr(flat.v[i], '\t');
		*tab = '\0';
		if ((e = gitindex_find(ix, flat.v[i])) == NULL ||
		    strcmp(e->sha, tab + 1) != 0)
			/* deleted or staged */
			strlist_add(out, xstrdup(flat.v[i]));
	}
	if (flat.n > 1)		/* "a/x" sorts after "a.txt" */
		qsort(flat.v, flat.n, sizeof *flat.v, strlist_cmp);
	for (i = 0; i < ix->n; i++) {
		/* Added to the index: not in the tree at all. */
		if (bsearch(&ix->v[i].path, flat.v, flat.n, sizeof *flat.v,
		    strlist_cmp) == NULL)
			strlist_add(out, xstrdup(ix->v[i].path));
	}
	strlist_free(&flat);
	return (0);
}

/* The object name git would give path's content; -1 when unreadable. */
static int
gc_hash_file(const char *path, const struct stat *st, char *hex)
{
	struct sha1_ctx	 c;
	unsigned char	 d[SHA1_LEN];
	char		 buf[65536], hdr[64];
	ssize_t		 r;
	int		 fd, hl;

	sha1_init(&c);
	if (S_ISLNK(st->st_mode)) {
		if ((r = readlink(path, buf, sizeof buf)) == -1)
			return (-1);
		hl = snprintf(hdr, sizeof hdr, "blob %zd", r);
		sha1_update(&c, hdr, (size_t)hl + 1);
		sha1_update(&c, buf, (size_t)r);
	} else {
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
			return (-1);
		hl = snprintf(hdr, sizeof hdr, "blob %jd",
		    (intmax_t)st->st_size);
		sha1_update(&c, hdr, (size_t)hl + 1);
		while ((r = read(fd, buf, sizeof buf)) != 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1) {
				close(fd);
				return (-1);
			}
			sha1_update(&c, buf, (size_t)r);
		}
		close(fd);
	}
	sha1_final(&c, d);
	sha1_hex(d, hex);
	return (0);
}

/* Index entries whose work tree file differs, into out. */
static void
gc_worktree(const struct gitrepo *g, const struct gitindex *ix,
    struct strlist *out)
{
	const struct gitindex_entry *e;
	struct stat	 st;
	char		*full, hex[SHA1_HEXLEN + 1];
	size_t		 i;
	int		 same;

	for (i = 0; i < ix->n; i++) {
		e = &ix->v[i];
		if (e->mode == MODE_GITLINK || e->mode == MODE_TREE)
			continue;
		if (e->stage != 0) {
			/* conflicted */
			strlist_add(out, xstrdup(e->path));
			continue;
		}
		full = xasprintf("%s/%s", g->top, e->path);
		if (lstat(full, &st) != 0 ||
		    (S_ISLNK(st.st_mode) != ((e->mode & 0170000) == 0120000)) ||
		    (S_ISREG(st.st_mode) &&
		    ((st.st_mode & 0100) != 0) != ((e->mode & 0100) != 0)))
			same = 0;
		else if ((uint32_t)st.st_size == e->size &&
		    (uint32_t)st.st_mtim.tv_sec == e->mtime_s &&
		    (uint32_t)st.st_mtim.tv_nsec == e->mtime_ns)
			same = 1;	/* as git: stat data unchanged */
		else
			same = gc_hash_file(full, &st, hex) == 0 &&
			    strcmp(hex, e->sha) == 0;
		if (!same)
			strlist_add(out, xstrdup(e->path));
		free(full);
	}
}

int
gitchanges_list(const char *dir, char ***v, size_t *n)
{
	struct gitrepo	 g;
	struct gitindex	 ix;
	struct strlist	 out = STRLIST_INITIALIZER;
	char		*head = NULL, *tree = NULL, *parent = NULL;
	char		*ptree = NULL, *pp = NULL, *cause = NULL, **u = NULL;
	size_t		 nu = 0, i, k;
	int		 rv = -1;

	*v = NULL;
	*n = 0;
	memset(&ix, 0, sizeof ix);
	if (!gitobj_find(dir, &g))
		return (-1);
	if (gitindex_read_repo(&g, &ix, &cause) == -1)
		goto out;
	/* An unborn branch: everything in the index and work tree is new. */
	if ((head = gitobj_resolve(&g, "HEAD")) != NULL) {
		if (gc_commit(&g, head, &tree, &parent) == -1)
			goto out;
		if (parent != NULL && gc_commit(&g, parent, &ptree, &pp) == -1)
			goto out;
		if (gc_diff(&g, ptree, tree, "", 0, &out) == -1 ||
		    gc_staged(&g, tree, &ix, &out) == -1)
			goto out;
	} else {
		for (i = 0; i < ix.n; i++)
			strlist_add(&out, xstrdup(ix.v[i].path));
	}
	gc_worktree(&g, &ix, &out);
	if (pack_untracked(g.top, &u, &nu, &cause) == -1)
		goto out;
	for (i = 0; i < nu; i++)
		strlist_add(&out, u[i]);
	free(u);
	if (out.n > 1)
		qsort(out.v, out.n, sizeof *out.v, strlist_cmp);
	for (i = k = 0; i < out.n; i++) {
		if (k > 0 && strcmp(out.v[k - 1], out.v[i]) == 0)
			free(out.v[i]);
		else
			out.v[k++] = out.v[i];
	}
	out.n = k;
	*v = out.v;
	*n = out.n;
	out.v = NULL;
	out.n = 0;
	rv = 0;
out:
	strlist_free(&out);
	free(cause);
	free(head);
	free(tree);
	free(parent);
	free(ptree);
	free(pp);
	gitindex_free(&ix);
	gitobj_close(&g);
	return (rv);
}

void
gitchanges_to_json(const char *dir, cJSON *body)
{
	cJSON	*arr;
	char	**v;
	size_t	 n, i, bytes = 0;

	if (gitchanges_list(dir, &v, &n) == -1)
		return;		/* unknown: changesInclude() is false */
	for (i = 0; i < n; i++)
		bytes += strlen(v[i]) + 4;
	/* Past the cap the request would be refused: say "unknown". */
	arr = bytes <= GITCHANGES_MAX_JSON ?
	    cJSON_AddArrayToObject(body, "changed_files") : NULL;
	for (i = 0; i < n; i++) {
		if (arr != NULL &&
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(v[i])))
			fatalx("out of memory");
		free(v[i]);
	}
	free(v);
}
