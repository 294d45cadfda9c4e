/* podman.h -- Podman's libpod REST API over libcurl. */
#ifndef DAEMON_PODMAN_H
#define DAEMON_PODMAN_H

#include <stddef.h>
#include <stdint.h>

/*
 * A connection to one Podman service.  Not shared between threads: each
 * executor thread opens its own with podman_open (cheap: one curl handle).
 * Every int function returns 0 on success, -1 on failure with *cause set
 * (caller frees) naming the call and what Podman said.
 */
struct podman;

struct podman_mount {
	const char	*source;	/* host path (bind) */
	const char	*destination;
	int		 readonly;
};

struct podman_spec {
	const char		*image;
	const char		*name;		/* NULL: Podman picks */
	const char *const	*command;	/* NULL-terminated argv */
	const char *const	*env;		/* NULL-terminated "K=V" */
	const char		*work_dir;	/* created if missing */
	const char *const	*labels;	/* NULL-terminated "k=v" */
	const char		*netns;		/* "none", "slirp4netns", "host", NULL default */
	const char		*pod;		/* join this pod and its network
						 * (netns is then ignored); NULL */
	const struct podman_mount *mounts;
	size_t			 nmounts;
	int64_t			 memory_bytes;	/* 0: unset */
	int64_t			 cpu_quota;	/* with period 100000; 0: unset */
	int64_t			 nofile;	/* r_limits nofile soft=hard; 0: unset */
	int64_t			 nproc;		/* r_limits nproc soft=hard; 0: unset */
	int			 stop_timeout;	/* seconds */
};

struct podman_container {
	char	*id;
	char	*state;		/* "running", "exited", "created", ... */
	int	 exit_code;
	int	 pid;		/* inspect: its process on the host; 0 none */
};

/* url: "unix:///path/to/podman.sock" or a plain socket path. */
int	podman_open(const char *url, struct podman **, char **cause);
void	podman_close(struct podman *);

/* GET /_ping: 0 when the service answers. */
int	podman_ping(struct podman *, char **cause);

/* 0 and *exists set, or -1. */
int	podman_image_exists(struct podman *, const char *image, int *exists,
	    char **cause);
/* The image's id into *id (caller frees), or NULL when there is no such
 * image.  0, or -1. */
int	podman_image_id(struct podman *, const char *image, char **id,
	    char **cause);
/* Pull with policy=missing; each progress line is passed to cb (may be
 * NULL).  -1 with Podman's error text when the pull fails. */
int	podman_image_pull(struct podman *, const char *image,
	    void (*cb)(const char *line, void *), void *arg, char **cause);

/* Create a container; *id is malloc'd (caller frees).  Warnings Podman
 * returns (e.g. limits ignored on cgroup v1) go to warn_cb. */
int	podman_container_create(struct podman *, const struct podman_spec *,
	    char **id, void (*warn_cb)(const char *, void *), void *arg,
	    char **cause);
/* PUT archive: extract the tar (len bytes) at path in the container. */
int	podman_container_put_archive(struct podman *, const char *id,
	    const char *path, const void *tar, size_t len, char **cause);
/* Put one file, name (len bytes of data, permissions mode), into dir in
 * the container. */
int	podman_container_put_file(struct podman *, const char *id,
	    const char *dir, const char *name, const void *data, size_t len,
	    int mode, char **cause);
/* GET archive: the tar of path in the container (running or not), at most
 * max bytes, into *tar (caller frees).  A missing path sets *missing. */
int	podman_container_get_archive(struct podman *, const char *id,
	    const char *path, size_t max, void **tar, size_t *len, int *missing,
	    char **cause);
/* Build tag from the context tar (len bytes) with the Dockerfile at
 * dockerfile inside it and nbuildargs "K=V" buildargs;
 * each output line goes to cb. */
int	podman_image_build(struct podman *, const char *dockerfile,
	    const char *tag, const char *const *buildargs, size_t nbuildargs,
	    const void *tar, size_t len, void (*cb)(const char *, void *),
	    void *arg, char **cause);
int	podman_container_start(struct podman *, const char *id, char **cause);
/* Wait until exited or stopped; *exit_code set. */
int	podman_container_wait(struct podman *, const char *id, int *exit_code,
	    char **cause);
int	podman_container_stop(struct podman *, const char *id, int timeout_s,
	    char **cause);
int	podman_container_kill(struct podman *, const char *id,
	    const char *signal, char **cause);
/* DELETE ?force=true&volumes=true; a missing container is not an error. */
int	podman_container_remove(struct podman *, const char *id, char **cause);
/* Containers with every label of the NULL-terminated list ("key=value");
 * caller frees with podman_containers_free. */
int	podman_container_list(struct podman *, const char *const *labels,
	    struct podman_container **, size_t *, char **cause);
void	podman_containers_free(struct podman_container *, size_t);
/* Inspect one container: state and exit code.  1 when it does not exist.
 * On 0 the struct's strings are malloc'd: free them with
 * podman_container_clear. */
int	podman_container_inspect(struct podman *, const char *id,
	    struct podman_container *, char **cause);
/* Free the strings of one container (not the struct) and NULL them. */
void	podman_container_clear(struct podman_container *);

/*
 * Output streams.  data_cb receives demultiplexed payload (stream 1 stdout,
 * 2 stderr) as it arrives; a nonzero return aborts the stream.
 */
typedef int (*podman_output_cb)(int stream, const char *, size_t, void *);

/*
 * Attach to a created container, then start it, then deliver its whole
 * output until it exits, then wait for its exit code.  This is the order that
 * loses nothing (logs?follow=true drops lines under load, PODMAN.md).
 * poll_cb, if set, is called about every 100 ms while the container runs;
 * when it returns nonzero the container is stopped (stop_timeout_s) and the
 * call goes on reading until the output ends.  *exit_code set on success.
 */
int	podman_container_run_attached(struct podman *, const char *id,
	    podman_output_cb, int (*poll_cb)(void *), int stop_timeout_s,
	    void *arg, int *exit_code, char **cause);
/* GET logs (no follow): the recorded output, for recovery after a crash. */
int	podman_container_logs(struct podman *, const char *id,
	    podman_output_cb, void *arg, char **cause);

#endif
