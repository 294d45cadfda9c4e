/* artifacts.h -- files a task leaves behind: collected, stored, listed, passed on. */
#ifndef DAEMON_ARTIFACTS_H
#define DAEMON_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct podman;
struct tf_task;

#define ARTIFACTS_MAX_TAR	(512u << 20)	/* one archive from a container */
#define ARTIFACTS_MAX_FILE	(256u << 20)	/* one artifact file */

/*
 * A task attempt's artifacts live in root/JOB/TASK.ATTEMPT/ (files by their
 * path below CIRRUS_WORKING_DIR) with the manifest root/JOB/TASK.ATTEMPT.json
 * (the artifacts steps with their type, format and files).
 */
char	*artifacts_dir(const char *root, int64_t job, int64_t task,
	    int attempt);

/* Where collect reports refused entries and other news for the task log. */
typedef void (*artifacts_say_cb)(void *, const char *);

/*
 * After the steps: fetch what the artifacts steps of spec that ran name
 * from container id, through tarsafe, into artifacts_dir.  Those that ran:
 * reached[i] for spec step i, or when reached is NULL, by their when and
 * succeeded.  Nothing to collect is not an error.  0, or -1 with cause.
 */
int	artifacts_collect(struct podman *, const char *id, const char *workdir,
	    const struct tf_task *spec, const int *reached, int succeeded,
	    const char *root,
	    int64_t job, int64_t task, int attempt, artifacts_say_cb, void *arg,
	    char **cause);

/*
 * The manifest of an attempt as JSON: [{"path","size"}...] of every file,
 * sorted; an empty array when there is none.  Caller frees.
 */
cJSON	*artifacts_list(const char *root, int64_t job, int64_t task,
	    int attempt);

/*
 * A tar of an attempt's artifacts below prefix ("/.artifacts/NAME" style,
 * no leading slash), into *tar (caller frees).  1 when the attempt has none,
 * 0, or -1 with cause.
 */
int	artifacts_pack(const char *root, int64_t job, int64_t task, int attempt,
	    const char *prefix, void **tar, size_t *len, char **cause);

#endif
