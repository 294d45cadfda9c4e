/* api.h -- the daemon's HTTP API (libmicrohttpd) on its unix socket. */
#ifndef DAEMON_API_H
#define DAEMON_API_H

struct store;
struct logstore;
struct blobstore;
struct gc_policy;
struct sched;
struct api;
struct remote;

struct api_env {
	struct store		*store;
	struct logstore		*logs;
	struct blobstore	*blobs;
	struct sched		*sched;
	const char		*state_dir;	/* artifacts, caches, secrets */
	const struct gc_policy	*gc;		/* retention (gc.h) */
};

/* Serve the API on the listening socket fd (taken over).  0, or -1 with
 * cause. */
int	api_start(const struct api_env *, int fd, struct api **, char **cause);
/* Serve the same routes on the TCP listener rem (its fd taken over), each
 * request needing a token of rem->auth (kept by the caller until api_stop);
 * as api_start. */
int	api_start_remote(const struct api_env *, const struct remote *rem,
	    struct api **, char **cause);
/* End log followers, stop serving and free. */
void	api_stop(struct api *);

#endif
