/* dockerignore.h -- .dockerignore and .containerignore rules as Podman's builder applies them. */
#ifndef DAEMON_DOCKERIGNORE_H
#define DAEMON_DOCKERIGNORE_H

#include <stddef.h>

/*
 * Ignore-file rules (.dockerignore, .containerignore) as Podman's builder
 * reads and matches them.  Parse returns NULL with *why (caller frees) for
 * text it reads otherwise or refuses (a regular-expression character the
 * builder would pass on, a bad class, a lone "!"): then nothing may be taken
 * as left out.  Free with dockerignore_free (NULL is fine).
 */
struct dockerignore;
struct dockerignore *dockerignore_parse(const char *text, size_t len,
	    char **why);
/* 1 when path (relative, clean) is left out of the context under every
 * reading the builder may have (a rule on a parent directory included). */
int	dockerignore_excluded(const struct dockerignore *,
	    const char *path);
void	dockerignore_free(struct dockerignore *);

#endif
