/* podpod.h -- Podman pods (one network for a task's containers) and exec,
 * over the libpod REST API. */
#ifndef DAEMON_PODPOD_H
#define DAEMON_PODPOD_H

#include <stddef.h>

#include "daemon/podman.h"

struct podman_pod {
	char	*id;
	char	*task;		/* its stratus.task label, "" without */
};

/*
 * Create a pod with the NULL-terminated "k=v" labels (its infra container
 * carries them too) in network mode netns (NULL: Podman's default); *id is
 * the caller's.  Containers join it with podman_spec.pod and then share
 * its network: they reach each other on localhost.  0, or -1 with cause.
 */
int	podman_pod_create(struct podman *, const char *const *labels,
	    const char *netns, char **id, char **cause);
/* Kill every container of the pod (SIGKILL: no stop timeout to sit out),
 * then remove it with them.  A pod that is gone is no error. */
int	podman_pod_remove(struct podman *, const char *id, char **cause);
/* Pods with every label of the NULL-terminated list, into *out (free with
 * podman_pods_free) and *n. */
int	podman_pod_list(struct podman *, const char *const *labels,
	    struct podman_pod **out, size_t *n, char **cause);
void	podman_pods_free(struct podman_pod *, size_t);

/*
 * Run the NULL-terminated argv in the running container id, attached, for
 * at most timeout_s seconds; its output goes to cb (stream 1 or 2) as it
 * comes.  0 with *exit_code once it ended; -1 with cause when Podman
 * failed or the time ran out (the process is then left to the container).
 */
int	podman_exec(struct podman *, const char *id, const char *const *argv,
	    long timeout_s, podman_output_cb cb, void *arg, int *exit_code,
	    char **cause);

#endif
