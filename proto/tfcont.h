/* tfcont.h -- container: settings of task files, merged and applied to tasks. */
#ifndef PROTO_TFCONT_H
#define PROTO_TFCONT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/taskfile.h"

struct node;
struct yamltree_ctx;

/* The container settings shared by a top-level container: and tasks. */
struct tf_cont {
	char		*image;
	char		*dockerfile;
	char	       **dargs;		/* docker_arguments, "K=V" */
	size_t		 ndargs;
	double		 cpu;
	int64_t		 memory_mb;
	const struct node *cpu_var;	/* cpu: naming variables, for later */
	const struct node *memory_var;	/* memory: likewise */
	struct tf_sidecar *sidecars;	/* additional_containers */
	size_t		 nsidecars;
};

/*
 * Parse the container: mapping n over c: the keys it has replace c's, the
 * others stay (Cirrus merges container: keys field by field).  Errors go
 * to yt with their position (-1); warnings to yt's warn hook.  c borrows
 * nodes of n's tree (cpu_var, memory_var) until tfcont_vars.
 */
int	tfcont_parse(struct yamltree_ctx *yt, const struct node *n,
	    struct tf_cont *c);
/* dst (empty) becomes a deep copy of src. */
void	tfcont_copy(struct tf_cont *dst, const struct tf_cont *src);
void	tfcont_free(struct tf_cont *c);
/*
 * Copy c into t, expanding cpu:/memory: that name variables with t's
 * variables and ctx's; 0, or -1 with the error in yt.
 */
int	tfcont_apply(struct yamltree_ctx *yt, const struct tf_cont *c,
	    struct tf_task *t, const struct tf_context *ctx);

/* Warn, through yt's hook, of a key nothing here reads: a Cirrus CI
 * service setting ("no effect here") or an unknown key. */
void	tfcont_ignored(struct yamltree_ctx *yt, const struct node *k);

#endif
