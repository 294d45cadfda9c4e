/* runner.h -- the shell program that runs a task's steps inside its
 * container, and the parser that takes its step markers back out. */
#ifndef DAEMON_RUNNER_H
#define DAEMON_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "proto/taskfile.h"
#include "proto/util.h"

/*
 * Steps report progress on stdout as marker lines
 * "\036stratus:NONCE:b:IDX:MS" (begin) and "\036stratus:NONCE:e:IDX:RC:MS"
 * (end), and a timeout as "\036stratus:NONCE:t:MS"; MS is a millisecond
 * clock of the runner's (only differences mean anything) and may be absent.
 * The nonce is random per run so a task's own output cannot forge them.
 *
 * With CIRRUS_ENV_SENSITIVE=true (after loading CIRRUS_ENV), before each
 * step the runner reports the CIRRUS_ENV file's bytes hex-encoded (od -tx1,
 * spaces allowed) in lines "\036stratus:NONCE:v:HEX", then
 * "\036stratus:NONCE:V"; the parser then hands each value of a K=V line
 * to be masked.  Values shorter than RUNNER_ENV_MASK_MIN bytes are not:
 * CIRRUS_ENV carries flags like 1, on or yes beside the secrets, masking
 * every such string would garble the log, and a value that short hides
 * nothing.  CIRRUS_ENV_SENSITIVE's own value is not either.  A task that
 * forges these markers (it can read its nonce in /proc) only masks more
 * of its own log.
 */
#define RUNNER_NONCE_LEN	16
#define RUNNER_ARG_MAX		(64 * 1024)	/* longer scripts go via a file */
/* Put by stratusd, with the cache step's index: all its folders were
 * restored, so its populate_script does not run. */
#define RUNNER_RESTORED_MARK	"/tmp/.stratus-restored-"
#define RUNNER_ENV_MASK_MIN	4
#define RUNNER_ENV_MAX		1048576		/* bytes of CIRRUS_ENV looked at */

/*
 * Return the /bin/sh program that runs t's steps; caller frees.  It
 * enforces t's timeout itself: a watchdog ends the steps (every process
 * but itself when it is the container's PID 1), then the on_timeout steps
 * and the always steps not yet begun run, and it exits 124.  CIRRUS_ENV is
 * a file in a private directory under /tmp, removed at the end.  deferred
 * (NULL-terminated "K=V", may be NULL) are variables whose values name
 * others ($X, ${X}): the program exports them first, expanded by the
 * container's shell.
 */
char	*runner_script(const struct tf_task *t, const char *nonce,
	    char *const *deferred);
/*
 * Whether a variable named key can be handed to runner_script as deferred:
 * a shell name that is neither IFS nor one of the runner's own (__*).
 */
int	 runner_deferrable(const char *key);
/* Fill nonce (RUNNER_NONCE_LEN + 1 bytes) with random hex. */
void	 runner_nonce(char *nonce);

typedef void (*runner_output_cb)(const char *, size_t, void *);
typedef void (*runner_step_cb)(int idx, int begin, int exit_code, void *);
typedef void (*runner_value_cb)(const char *value, void *);

struct runner_parser {
	char		 prefix[32 + RUNNER_NONCE_LEN];
	size_t		 prefixlen;
	char		 pending[128];	/* a possible marker line */
	size_t		 npending;
	int		 at_bol;	/* last output byte was '\n' (or none) */
	int64_t		 ts_ms;		/* clock of the last marker, -1: none */
	int		 timed_out;	/* the runner reported a timeout */
	runner_output_cb out;
	runner_step_cb	 step;
	runner_value_cb	 value;		/* set after init; NULL: ignored */
	struct buf	 env;		/* CIRRUS_ENV bytes being reported */
	void		*arg;
};

void	runner_parser_init(struct runner_parser *, const char *nonce,
	    runner_output_cb, runner_step_cb, void *);
/* Feed container output (stream 1 stdout, 2 stderr); step is called for
 * each begin/end marker with ts_ms already set, value (if set) for each
 * value of a CIRRUS_ENV report. */
void	runner_parser_feed(struct runner_parser *, int stream, const char *,
	    size_t);
/* Pass on anything held back and free what the parser holds; call once
 * the stream has ended. */
void	runner_parser_flush(struct runner_parser *);

#endif
