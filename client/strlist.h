/* strlist.h -- a growing list of owned strings, for file lists. */
#ifndef CLIENT_STRLIST_H
#define CLIENT_STRLIST_H

#include <stddef.h>

struct strlist {
	char	**v;
	size_t	  n;
	size_t	  size;
};

#define STRLIST_INITIALIZER	{ NULL, 0, 0 }

/* Append s, which the list takes over. */
void	strlist_add(struct strlist *, char *s);
/* Free the list and its strings; it is empty again after. */
void	strlist_free(struct strlist *);
/* strcmp of two char * elements, for qsort and bsearch. */
int	strlist_cmp(const void *, const void *);

#endif
