/* sdnotify.h -- systemd integration: a passed socket, notify, watchdog, status, idle exit. */
#ifndef DAEMON_SDNOTIFY_H
#define DAEMON_SDNOTIFY_H

#include <stdint.h>

struct sched;
struct store;

/*
 * The listening unix stream socket systemd passed (LISTEN_FDS/LISTEN_PID),
 * made close-on-exec; the variables are removed from the environment.
 * 0 and *fd = -1 when none was passed, 0 and *fd, or -1 with cause (caller
 * frees) when what was passed is unusable.
 */
int	sdn_listen_fd(int *fd, char **cause);
/* Send state (e.g. "READY=1") to NOTIFY_SOCKET; nothing when unset. */
void	sdn_notify(const char *state);
/* The watchdog interval systemd asked for, in microseconds; 0 when none. */
uint64_t sdn_watchdog_usec(void);

struct sdn_env {
	struct store	*store;
	struct sched	*sched;
	int		 idle_exit_s;	/* 0: never exit when idle */
};

struct sdn_monitor;

/*
 * Start the thread that keeps systemd told: STATUS= with the running and
 * queued counts when they change, WATCHDOG=1 at half the interval while the
 * store answers, and after idle_exit_s quiet seconds with nothing queued or
 * running, SIGTERM to ourselves.  env is copied.  0, or -1 with cause.
 */
int	sdn_monitor_start(const struct sdn_env *, struct sdn_monitor **,
	    char **cause);
/* Stop and free the thread (NULL is fine). */
void	sdn_monitor_stop(struct sdn_monitor *);

#endif
