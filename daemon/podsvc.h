/* podsvc.h -- finds a Podman service, or starts one the daemon owns. */
#ifndef DAEMON_PODSVC_H
#define DAEMON_PODSVC_H

#include <sys/types.h>

struct podsvc {
	char	*url;		/* "unix:///path", owned */
	char	*own_dir;	/* directory of a socket we made, or NULL */
	pid_t	 pid;		/* podman system service we started, or 0 */
};

/*
 * Choose the Podman endpoint: url when given; else the user's
 * $XDG_RUNTIME_DIR/podman/podman.sock when it answers; else start
 * `podman system service` on a socket under state_dir and wait until it
 * answers.  0, or -1 with cause.
 */
int	podsvc_start(struct podsvc *, const char *url, const char *state_dir,
	    char **cause);
/* If the service we own has died, start it again; 0 when Podman answers. */
int	podsvc_ensure(struct podsvc *, char **cause);
/* Stop the service we started, if any, and free. */
void	podsvc_stop(struct podsvc *);

#endif
