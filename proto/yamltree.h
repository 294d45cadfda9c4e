/* yamltree.h -- a YAML document as a tree of our own nodes, with budgets. */
#ifndef PROTO_YAMLTREE_H
#define PROTO_YAMLTREE_H

#include <stdarg.h>
#include <stddef.h>

#include "proto/taskfile.h"

#define YAMLTREE_MAX_DEPTH	64		/* YAML nesting */
#define YAMLTREE_MAX_NODES	200000		/* after alias/matrix copies */
#define YAMLTREE_MAX_BYTES	(32u << 20)	/* scalar bytes, likewise */

/* Aliases copied, merge keys applied, duplicate keys kept in order,
 * positions 1-based. */
enum ntype {
	N_SCALAR,
	N_SEQ,
	N_MAP
};

struct node;
struct npair {
	struct node	*k;		/* always a scalar */
	struct node	*v;
};

struct node {
	enum ntype	 type;
	char		*str;		/* scalar */
	int		 plain;		/* scalar was unquoted */
	int		 shared;	/* anchored and aliased elsewhere */
	struct node    **items;		/* sequence */
	size_t		 nitems;
	struct npair	*pairs;		/* mapping */
	size_t		 npairs;
	int		 line, column;
};

/*
 * What building and copying trees share: the first error, and the node and
 * byte counts that every new or copied node is charged against.
 */
struct yamltree_ctx {
	struct tf_error	*err;		/* the first error lands here */
	int		 failed;	/* err holds an error */
	size_t		 nodes;
	size_t		 bytes;
	/* Where a second document starts (0: none); only the first is read. */
	int		 more_line, more_column;
	/* While loading: how often each libyaml node is referred to. */
	int		*refs;
	size_t		 nrefs;
	/* Where warnings go (may be NULL): the node and the message. */
	void		(*warn)(void *, const struct node *, const char *);
	void		*warn_arg;
};

/* Record the first error at n's position (or 0:0 when n is NULL); -1. */
int		 yamltree_error(struct yamltree_ctx *, const struct node *n,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
int		 yamltree_verror(struct yamltree_ctx *, const struct node *n,
		    const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
/* A warning about n, to yt->warn when set. */
void		 yamltree_warn(struct yamltree_ctx *, const struct node *n,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
/* Charge one node of len scalar bytes; -1 with the error set when over. */
int		 yamltree_budget(struct yamltree_ctx *, const struct node *at,
		    size_t len);

/* Load len bytes of text into *root (the caller's, free with
 * yamltree_free); *root is NULL for an empty document.  0 or -1. */
int		 yamltree_load(struct yamltree_ctx *, const char *text,
		    size_t len, struct node **root);
void		 yamltree_free(struct node *);
/* Free n trees and the array v holding them. */
void		 yamltree_freev(struct node **v, size_t n);
/* Deep copy of n, the caller's; charged without a check (the caller
 * checks with yamltree_budget). */
struct node	*yamltree_copy(struct yamltree_ctx *, const struct node *n);
/* Append the pair k: v to mapping m, which takes both. */
void		 yamltree_map_add(struct node *m, struct node *k,
		    struct node *v);

/* A plain null ("", "~", "null"). */
int		 yamltree_is_null(const struct node *);
/* A YAML boolean: 0 or 1, or -1 when n is not one. */
int		 yamltree_bool(const struct node *n);
/* A scalar's text into *out (freed first, then the caller's); what names
 * the field in the error. */
int		 yamltree_want_scalar(struct yamltree_ctx *,
		    const struct node *, const char *what, char **out);
/* A script: a string, or a list of strings joined with newlines; *out as
 * for yamltree_want_scalar. */
int		 yamltree_want_script(struct yamltree_ctx *,
		    const struct node *, const char *what, char **out);
/* A string or list of strings, copies appended to *v. */
int		 yamltree_want_list(struct yamltree_ctx *, const struct node *,
		    const char *what, char ***v, size_t *nv);

#endif
