/* expr.h -- Cirrus only_if/skip expressions and $VAR expansion. */
#ifndef PROTO_EXPR_H
#define PROTO_EXPR_H

#include <stddef.h>

#include "proto/taskfile.h"

#define EXPR_MAX_LEN	4096	/* longest expression accepted */
#define EXPR_MAX_DEPTH	64	/* deepest parenthesis/negation nesting */

/*
 * Variables are looked up in ctx->env first (the user's -e, which overrides
 * the file), then in env (the task's own), then in ctx->base (built-ins,
 * which the file may override); unknown variables are "".  A value is true in a boolean context when it is "true" in any
 * case.
 */

/*
 * Evaluate expr.  Returns 0 and *result (0 or 1), or -1 with a message in
 * *cause (caller frees) and, when offset is not NULL, the byte offset in expr
 * where the problem was found.  env and ctx may be NULL.
 */
int	 expr_eval(const char *expr, const struct tf_env *env,
	    const struct tf_context *ctx, int *result, char **cause,
	    size_t *offset);

/*
 * Expand $VAR, ${VAR} and %VAR% in s from ctx->env, env, ctx->base; unknown
 * variables are left as written.  Returns a new string the caller frees, or
 * NULL when the result would exceed EXPR_MAX_EXPAND bytes.
 */
#define EXPR_MAX_EXPAND	65536
char	*expr_expand(const char *s, const struct tf_env *env,
	    const struct tf_context *ctx);

/* Match path against a glob where "**" crosses '/'; 1 on match, else 0. */
int	 expr_glob_match(const char *pattern, const char *path);

#endif
