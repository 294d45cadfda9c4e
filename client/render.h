/* render.h -- human output: job tables, job details, results, task graphs. */
#ifndef CLIENT_RENDER_H
#define CLIENT_RENDER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "proto/taskfile.h"

/* obj[key] as a string, or NULL when absent or not a string. */
const char	*render_jstr(const cJSON *obj, const char *key);
/* obj[key] as an integer: 0, or -1 when absent, null or not a number. */
int		 render_jint(const cJSON *obj, const char *key, int64_t *out);
/* obj's "id" (number or string) as text; caller frees; NULL when none. */
char		*render_jid(const cJSON *obj);
/* Parse an RFC 3339 time into Unix ms: 0, or -1. */
int		 render_time_ms(const char *, int64_t *);

/* The jobs of an ls answer as a table, newest first as given. */
void		 render_ls(const cJSON *list);
/* A job with its tasks and steps. */
void		 render_show(const cJSON *job);
/*
 * One result line per task ("'build' succeeded in 1.2s").  Returns 0 when
 * every task succeeded or was skipped, or failed with allow_failures (from
 * the task's JSON or, failing that, tf, which may be NULL); 1 otherwise.
 * Prints nothing unless print is set.
 */
int		 render_results(const cJSON *job, const struct taskfile *tf,
		    int print);
/*
 * The header a step marker (doc/log-format.md) stands for:
 * "--- build_script" at its begin, "--- build_script succeeded in 1.2s" or
 * "--- build_script failed in 1.2s (exit code 2)" at its end.
 */
void		 render_step_header(const cJSON *marker, char *out, size_t len);
/* The parsed task graph, as validate prints it. */
void		 render_validate(const struct taskfile *);

#endif
