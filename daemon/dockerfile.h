/* dockerfile.h -- read a Dockerfile for the build-context paths its COPY and ADD take. */
#ifndef DAEMON_DOCKERFILE_H
#define DAEMON_DOCKERFILE_H

#include <stddef.h>

/*
 * The context sources of a Dockerfile: each is a path relative to the
 * context root with no ".", ".." or empty segment ("" is the root itself),
 * to be matched per path with proto/glob.h (a literal path matches itself;
 * a directory brings everything below it).  line is where its instruction
 * starts.  Sources of COPY --from=..., URLs of ADD and ONBUILD instructions
 * are not from the context and are left out.
 */
struct dockerfile_src {
	char		*path;
	unsigned	 line;
};

struct dockerfile_srcs {
	struct dockerfile_src	*v;
	size_t			 n;
	/* The images FROM builds on, each once, in order: not "scratch", not
	 * an earlier stage, none holding a variable (those are left out). */
	char			**bases;
	size_t			 nbases;
	char			**stages;	/* FROM ... AS name, so far */
	size_t			 nstages;
};

/*
 * Parse the Dockerfile text (len bytes; need not end in NUL) as the builder
 * does: parser directives (escape), comments, line continuations, case-
 * insensitive instructions, flags, JSON and shell forms.  0 and *srcs filled
 * (free with dockerfile_srcs_free), or -1 with *why (caller frees) naming the
 * line that cannot be analysed for sure: a variable in a source, a heredoc,
 * RUN --mount of the context, an unknown instruction, and so on.
 */
int	dockerfile_sources(const char *text, size_t len,
	    struct dockerfile_srcs *srcs, char **why);
/*
 * Clean a path as the builders do: relative to the context root (a leading
 * "/" means the root), without empty, "." or ".." segments ("" for the root).
 * Caller frees; NULL when ".." would leave the context.
 */
char	*dockerfile_clean(const char *path);
/* Free what dockerfile_sources filled in; the struct itself is the caller's. */
void	dockerfile_srcs_free(struct dockerfile_srcs *);

#endif
