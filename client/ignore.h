/* ignore.h -- .gitignore / .stratusignore rules deciding what a snapshot holds. */
#ifndef CLIENT_IGNORE_H
#define CLIENT_IGNORE_H

/*
 * The gitignore(5) syntax: blank lines and "#" comments skipped, "!"
 * negates, a trailing "/" matches directories only, a "/" at the start or in
 * the middle anchors the pattern to the directory of its file (else it
 * matches a name at any depth below), "**" spans directories, "\" escapes a
 * leading "#" or "!".  Later rules win; rules of a deeper directory come
 * after those of its parents.
 */
struct ignore;

/* An empty rule set; free with ignore_free. */
struct ignore	*ignore_new(void);
void		 ignore_free(struct ignore *);

/* Add the rules in text (len bytes) found in directory base (relative to the
 * project root, "" for the root itself). */
void		 ignore_add_text(struct ignore *, const char *base,
		    const char *text, size_t len);
/*
 * Add the rules of root/base/.gitignore and root/base/.stratusignore (and at
 * the root, root/.git/info/exclude first) when they exist.  0, or -1 with
 * cause (caller frees) when one exists but cannot be read.
 */
int		 ignore_load_dir(struct ignore *, const char *root,
		    const char *base, char **cause);

/* 1 when path (relative to the root) is excluded, else 0. */
int		 ignore_match(const struct ignore *, const char *path, int isdir);

#endif
