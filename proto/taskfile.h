/* taskfile.h -- the .cirrus.yml task file: parsed, expanded, validated. */
#ifndef PROTO_TASKFILE_H
#define PROTO_TASKFILE_H

#include <stddef.h>
#include <stdint.h>

#define TF_DEFAULT_TIMEOUT_S	3600

enum tf_step_kind {
	STEP_SCRIPT,		/* NAME_script */
	STEP_BACKGROUND,	/* NAME_background_script */
	STEP_CACHE,		/* NAME_cache */
	STEP_ARTIFACTS,		/* NAME_artifacts */
	STEP_FILE,		/* NAME_file */
	STEP_UPLOAD_CACHES	/* upload_caches */
};

enum tf_when {
	WHEN_ON_SUCCESS,	/* default, and on_success: blocks */
	WHEN_ON_FAILURE,
	WHEN_ALWAYS,
	WHEN_ON_TIMEOUT
};

const char	*tf_step_kind_name(enum tf_step_kind);	/* "script", ... */
const char	*tf_when_name(enum tf_when);		/* "on_success", ... */

struct tf_kv {
	char	*key;
	char	*value;
};

/* An ordered list of variables; a later set of the same key replaces it. */
struct tf_env {
	struct tf_kv	*v;
	size_t		 n;
};
void		 tf_env_set(struct tf_env *, const char *, const char *);
const char	*tf_env_get(const struct tf_env *, const char *);
void		 tf_env_free(struct tf_env *);
/* Add the variables Cirrus sets for every task that are known before any
 * task runs (CI, CIRRUS_CI, CIRRUS_OS, ...). */
void		 tf_env_builtins(struct tf_env *);

struct tf_step {
	char		*name;		/* "build" for build_script */
	enum tf_step_kind kind;
	enum tf_when	 when;
	char		*script;	/* script/background: commands, "\n" joined */
	char	       **paths;		/* artifacts paths / cache folders */
	size_t		 npaths;
	char		*fingerprint_script;	/* cache */
	char		*fingerprint_key;	/* cache */
	char		*populate_script;	/* cache */
	int		 reupload_on_changes;	/* cache */
	char		*file_path;		/* file */
	char		*variable_name;		/* file: its contents, or */
	char		*from_contents;		/* file: this, $VARs expanded */
	char		*artifact_type;		/* artifacts */
	char		*artifact_format;	/* artifacts */
	char	       **caches;	/* upload_caches: names of cache steps */
	size_t		 ncaches;
	int		 line, column;
};

/* One of container: additional_containers: (a sidecar service sharing the
 * task's network; tfsidecar.h). */
struct tf_sidecar {
	char		*name;		/* letters, digits, '-', '_'; not "main" */
	char		*image;
	int		 port;		/* container port waited for; 0 none */
	int		 host_port;	/* "8080:3306" gives 8080; 0 none */
	struct tf_env	 env;		/* its own env: only */
	double		 cpu;		/* 0 when unset */
	int64_t		 memory_mb;	/* 0 when unset */
	char	       **command;	/* argv; NULL: the image's own */
	size_t		 ncommand;
	char	       **readiness;	/* readiness_command argv, or NULL */
	size_t		 nreadiness;
	int		 line, column;
};

struct tf_task {
	char		*name;		/* unique within the file after matrix */
	char		*alias;		/* NULL when none */
	char		*instance;	/* "container", or the unsupported key */
	char		*image;		/* NULL when the task has none */
	char		*dockerfile;	/* container: dockerfile: */
	char	       **docker_arguments;	/* "K=V" */
	size_t		 ndocker_arguments;
	double		 cpu;		/* 0 when unset */
	int64_t		 memory_mb;	/* 0 when unset */
	struct tf_sidecar *sidecars;	/* additional_containers, in order */
	size_t		 nsidecars;
	struct tf_env	 env;		/* top-level then task's own, in order */
	struct tf_step	*steps;
	size_t		 nsteps;
	char	       **depends_on;	/* names of tasks in this file */
	size_t		 ndepends;
	int		 allow_failures;
	int64_t		 timeout_s;
	char		*only_if;	/* raw expression or NULL */
	char		*skip;		/* raw expression or NULL */
	char		*skip_reason;	/* non-NULL: reported skipped, not run */
	int		 line, column;
};

/* A task that only_if removed, for validate to show. */
struct tf_dropped {
	char		*name;
	char		*only_if;
};

struct taskfile {
	char		*name;		/* file name used in messages */
	struct tf_task	*tasks;
	size_t		 ntasks;
	char	       **warnings;	/* "file:line:column: message" */
	size_t		 nwarnings;
	struct tf_dropped *dropped;	/* in file order */
	size_t		 ndropped;
};

struct tf_error {
	char	file[256];
	int	line;		/* 1-based; 0 when not about a position */
	int	column;		/* 1-based */
	char	message[512];
};

/*
 * Variables and changes known when evaluating only_if/skip expressions.
 * Lowest precedence first: base, the task's own env, then env.
 */
struct tf_context {
	const struct tf_env	 *env;		/* the user's -e, may be NULL */
	const char *const	 *changed;	/* files changed, or NULL if unknown */
	size_t			  nchanged;
	const struct tf_env	 *base;		/* built-ins, may be NULL */
};

/*
 * Parse text (len bytes, need not be NUL terminated) named name.  On success
 * returns 0 and *out, which the caller frees with taskfile_free.  On failure
 * returns -1 and fills err with the first error's position and message.
 */
int		 taskfile_parse(const char *name, const char *text, size_t len,
		    const struct tf_context *, struct taskfile **out,
		    struct tf_error *err);
void		 taskfile_free(struct taskfile *);
/* Find a task by exact name; NULL when none. */
struct tf_task	*taskfile_find(const struct taskfile *, const char *);
/* "file:line:column: message" into out. */
void		 tf_error_format(const struct tf_error *, char *out, size_t);

/* Free n additional containers and the array holding them; NULL is fine. */
void		 tf_sidecars_free(struct tf_sidecar *, size_t n);
/* A deep copy of n additional containers, the caller's; NULL when n is 0. */
struct tf_sidecar *tf_sidecars_copy(const struct tf_sidecar *, size_t n);

/* Deep copy / free of one task (used by tfjson and the daemon). */
void		 tf_task_free(struct tf_task *);
/* Deep copy src into dst (overwritten); free dst's members with
 * tf_task_free. */
void		 tf_task_copy(struct tf_task *dst, const struct tf_task *src);

#endif
