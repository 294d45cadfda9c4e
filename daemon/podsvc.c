/* podsvc.c -- locates or spawns the Podman REST service. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/podman.h"
#include "daemon/podsvc.h"
#include "proto/log.h"
#include "proto/util.h"

extern char **environ;

/* True when a Podman service answers at url. */
static int
podsvc_answers(const char *url)
{
	struct podman	*p;
	char		*cause = NULL;
	int		 ok = 0;

	if (podman_open(url, &p, &cause) == 0) {
		ok = podman_ping(p, &cause) == 0;
		podman_close(p);
	}
	free(cause);
	return (ok);
}

/* Spawn `podman system service --time=0 URL` and wait for it to answer. */
static int
podsvc_spawn(struct podsvc *ps, char **cause)
{
	char			*argv[] = { "podman", "system", "service",
				    "--time=0", ps->url, NULL };
	posix_spawn_file_actions_t fa;
	pid_t			 pid;
	int			 r, i, status;

	/* The service outlives a killed stratusd: it must hold none of our
	 * descriptors (a test's output pipe, a socket from systemd). */
	if ((r = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (r = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0) {
		*cause = xasprintf("posix_spawn_file_actions: %s", strerror(r));
		return (-1);
	}
	r = posix_spawnp(&pid, "podman", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		*cause = xasprintf("cannot start 'podman system service': %s "
		    "(is podman installed?)", strerror(r));
		return (-1);
	}
	ps->pid = pid;
	for (i = 0; i < 200; i++) {	/* up to 10 s */
		if (podsvc_answers(ps->url)) {
			log_info("started podman system service (pid %ld) on %s",
			    (long)pid, ps->url);
			return (0);
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ps->pid = 0;
			*cause = xasprintf("'podman system service' exited at "
			    "once (status %d); run 'podman info' to see why",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return (-1);
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	*cause = xasprintf("podman system service on %s did not answer in 10 s",
	    ps->url);
	return (-1);
}

int
podsvc_start(struct podsvc *ps, const char *url, const char *state_dir,
    char **cause)
{
	const char	*rt = getenv("XDG_RUNTIME_DIR");
	char		*candidate;

	memset(ps, 0, sizeof *ps);
	if (url != NULL) {
		ps->url = xstrdup(url);
		if (!podsvc_answers(url)) {
			*cause = xasprintf("no Podman service answers at %s",
			    url);
			return (-1);
		}
		return (0);
	}
	if (rt != NULL && *rt == '/') {
		candidate = xasprintf("unix://%s/podman/podman.sock", rt);
		if (podsvc_answers(candidate)) {
			ps->url = candidate;
			return (0);
		}
		free(candidate);
	}
	ps->own_dir = xasprintf("%s/podman", state_dir);
	if (mkdir_p(ps->own_dir, 0700) == -1) {
		*cause = xasprintf("cannot create %s: %s", ps->own_dir,
		    strerror(errno));
		return (-1);
	}
	ps->url = xasprintf("unix://%s/podman.sock", ps->own_dir);
	/* One left by an earlier stratusd that was killed: use it. */
	if (podsvc_answers(ps->url))
		return (0);
	return (podsvc_spawn(ps, cause));
}

int
podsvc_ensure(struct podsvc *ps, char **cause)
{
	int	 status;

	if (podsvc_answers(ps->url))
		return (0);
	if (ps->own_dir == NULL) {
		*cause = xasprintf("Podman does not answer at %s", ps->url);
		return (-1);
	}
	if (ps->pid != 0) {
		kill(ps->pid, SIGTERM);
		if (waitpid(ps->pid, &status, 0) == -1)
			log_warn("waitpid podman service");
		ps->pid = 0;
	}
	log_warnx("podman service gone; starting it again");
	return (podsvc_spawn(ps, cause));
}

void
podsvc_stop(struct podsvc *ps)
{
	int	 status, i;

	if (ps->pid != 0) {
		kill(ps->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(ps->pid, &status, WNOHANG) != 0)
				break;
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		}
		if (i == 100) {
			kill(ps->pid, SIGKILL);
			waitpid(ps->pid, &status, 0);
		}
		ps->pid = 0;
	}
	free(ps->url);
	free(ps->own_dir);
	ps->url = ps->own_dir = NULL;
}
