/* ignore.c -- a gitignore(5) matcher for the snapshot packer. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "client/ignore.h"
#include "proto/glob.h"
#include "proto/util.h"

#define IGNORE_FILE_MAX	(4u << 20)	/* cap on one ignore file */

struct ignore_rule {
	char	*base;		/* directory of the file, "" or "a/b" */
	char	*pattern;	/* without !, leading / and trailing / */
	int	 negate;
	int	 dironly;
	int	 anchored;	/* matched against the path below base */
};

struct ignore {
	struct ignore_rule	*v;
	size_t			 n;
	size_t			 size;
};

struct ignore *
ignore_new(void)
{
	return (xcalloc(1, sizeof (struct ignore)));
}

void
ignore_free(struct ignore *ig)
{
	size_t	i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++) {
		free(ig->v[i].base);
		free(ig->v[i].pattern);
	}
	free(ig->v);
	free(ig);
}

/* Parse one line (NUL-terminated, may be modified) into a rule. */
static void
ignore_add_line(struct ignore *ig, const char *base, char *line)
{
	struct ignore_rule	 r;
	size_t			 n;

	memset(&r, 0, sizeof r);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	/* Trailing spaces go unless escaped. */
	while (n > 0 && line[n - 1] == ' ' && !(n > 1 && line[n - 2] == '\\'))
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return;
	if (line[0] == '!') {
		r.negate = 1;
		line++;
		n--;
	} else if (line[0] == '\\' && (line[1] == '#' || line[1] == '!')) {
		line++;
		n--;
	}
	if (n > 0 && line[n - 1] == '/') {
		r.dironly = 1;
		line[--n] = '\0';
	}
	if (n == 0)
		return;
	if (strchr(line, '/') != NULL)
		r.anchored = 1;
	while (*line == '/')
		line++;
	if (*line == '\0')
		return;
	r.base = xstrdup(base);
	r.pattern = xstrdup(line);
	if (ig->n == ig->size) {
		ig->size = ig->size ? ig->size * 2 : 16;
		ig->v = xreallocarray(ig->v, ig->size, sizeof *ig->v);
	}
	ig->v[ig->n++] = r;
}

void
ignore_add_text(struct ignore *ig, const char *base, const char *text,
    size_t len)
{
	char	*copy, *line, *next;

	copy = xstrndup(text, len);
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		ignore_add_line(ig, base, line);
	}
	free(copy);
}

/* Add the rules of one file if it exists. */
static int
ignore_load_file(struct ignore *ig, const char *base, const char *path,
    char **cause)
{
	char	*text;
	size_t	 len;

	if ((text = read_file(path, IGNORE_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (0);
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	ignore_add_text(ig, base, text, len);
	free(text);
	return (0);
}

int
ignore_load_dir(struct ignore *ig, const char *root, const char *base,
    char **cause)
{
	static const char	*names[] = { ".gitignore", ".stratusignore" };
	char			*path;
	size_t			 i;
	int			 rv = 0;

	if (*base == '\0') {
		path = xasprintf("%s/.git/info/exclude", root);
		rv = ignore_load_file(ig, "", path, cause);
		free(path);
	}
	for (i = 0; rv == 0 && i < sizeof names / sizeof *names; i++) {
		path = *base != '\0' ? xasprintf("%s/%s/%s", root, base,
		    names[i]) : xasprintf("%s/%s", root, names[i]);
		rv = ignore_load_file(ig, base, path, cause);
		free(path);
	}
	return (rv);
}

/* Does rule r match path (below the root)? */
static int
ignore_rule_match(const struct ignore_rule *r, const char *path, int isdir)
{
	const char	*rel, *name;
	size_t		 blen;

	if (r->dironly && !isdir)
		return (0);
	blen = strlen(r->base);
	if (blen > 0) {
		if (strncmp(path, r->base, blen) != 0 || path[blen] != '/')
			return (0);
		rel = path + blen + 1;
	} else
		rel = path;
	if (r->anchored)
		return (glob_match(r->pattern, rel));
	name = strrchr(rel, '/');
	name = name != NULL ? name + 1 : rel;
	return (fnmatch(r->pattern, name, 0) == 0);
}

int
ignore_match(const struct ignore *ig, const char *path, int isdir)
{
	size_t	i;

	for (i = ig->n; i > 0; i--) {
		if (ignore_rule_match(&ig->v[i - 1], path, isdir))
			return (!ig->v[i - 1].negate);
	}
	return (0);
}
