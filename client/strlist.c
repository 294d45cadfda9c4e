/* strlist.c -- a growing list of owned strings, for file lists. */
#include <stdlib.h>
#include <string.h>

#include "client/strlist.h"
#include "proto/util.h"

void
strlist_add(struct strlist *l, char *s)
{
	if (l->n == l->size) {
		l->size = l->size ? l->size * 2 : 64;
		l->v = xreallocarray(l->v, l->size, sizeof *l->v);
	}
	l->v[l->n++] = s;
}

void
strlist_free(struct strlist *l)
{
	strv_free(l->v, l->n);
	memset(l, 0, sizeof *l);
}

int
strlist_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}
