/* sdnotify.c -- systemd integration: a passed socket, notify, watchdog, status, idle exit. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/scheduler.h"
#include "daemon/sdnotify.h"
#include "daemon/store.h"
#include "proto/log.h"
#include "proto/util.h"

#define SDN_FDS_START	3	/* SD_LISTEN_FDS_START */
#define SDN_TICK_MS	1000	/* status and idle checks */

struct sdn_monitor {
	struct sdn_env	 env;
	uint64_t	 wd_usec;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 stopping;
};

/*
 * How many fds LISTEN_PID/LISTEN_FDS pass to the process self: 0 when none
 * (absent, or meant for another process), -1 when malformed.
 */
#ifndef HAVE_SYSTEMD
static int
sdn_parse_listen(const char *pid, const char *fds, long self, int *n)
{
	int64_t	 p, f;

	*n = 0;
	if (pid == NULL || fds == NULL)
		return (0);
	if (parse_int64(pid, 1, INT32_MAX, &p) == -1 ||
	    parse_int64(fds, 0, 1024, &f) == -1)
		return (-1);
	if (p != self)
		return (0);
	*n = (int)f;
	return (0);
}
#endif

int
sdn_listen_fd(int *fd, char **cause)
{
	struct sockaddr_un	 sa;
	socklen_t		 len;
	struct stat		 sb;
	int			 n, v, flags;

	*fd = -1;
#ifdef HAVE_SYSTEMD
	if ((n = sd_listen_fds(1)) < 0) {
		*cause = xasprintf("LISTEN_FDS: %s", strerror(-n));
		return (-1);
	}
#else
	if (sdn_parse_listen(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    (long)getpid(), &n) == -1) {
		*cause = xasprintf("LISTEN_PID/LISTEN_FDS are malformed");
		return (-1);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
#endif
	if (n == 0)
		return (0);
	if (n != 1) {
		*cause = xasprintf("systemd passed %d sockets; stratusd takes "
		    "one (a single ListenStream= in stratus.socket)", n);
		return (-1);
	}
	if (fstat(SDN_FDS_START, &sb) == -1 || !S_ISSOCK(sb.st_mode)) {
		*cause = xasprintf("fd %d from systemd is not a socket",
		    SDN_FDS_START);
		return (-1);
	}
	len = sizeof v;
	if (getsockopt(SDN_FDS_START, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM) {
		*cause = xasprintf("the socket from systemd is not a stream "
		    "socket");
		return (-1);
	}
	len = sizeof v;
	if (getsockopt(SDN_FDS_START, SOL_SOCKET, SO_ACCEPTCONN, &v,
	    &len) == -1 || v == 0) {
		*cause = xasprintf("the socket from systemd is not listening");
		return (-1);
	}
	len = sizeof sa;
	if (getsockname(SDN_FDS_START, (struct sockaddr *)&sa, &len) == -1 ||
	    sa.sun_family != AF_UNIX) {
		*cause = xasprintf("the socket from systemd is not a unix "
		    "socket");
		return (-1);
	}
	if ((flags = fcntl(SDN_FDS_START, F_GETFD)) == -1 ||
	    fcntl(SDN_FDS_START, F_SETFD, flags | FD_CLOEXEC) == -1) {
		*cause = xasprintf("fcntl: %s", strerror(errno));
		return (-1);
	}
	*fd = SDN_FDS_START;
	return (0);
}

#ifndef HAVE_SYSTEMD
/* sd_notify(3) without libsystemd: one datagram to NOTIFY_SOCKET. */
static int
sdn_send(const char *state)
{
	struct sockaddr_un	 sa;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	size_t			 plen;
	int			 fd, rv = -1;

	if (path == NULL || *path == '\0')
		return (0);
	plen = strlen(path);
	if ((*path != '/' && *path != '@') || plen >= sizeof sa.sun_path) {
		errno = EINVAL;
		return (-1);
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (*path == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, len) >= 0)
		rv = 0;
	close(fd);
	return (rv);
}
#endif

void
sdn_notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	int	 r;

	if ((r = sd_notify(0, state)) < 0)
		log_warnx("sd_notify: %s", strerror(-r));
#else
	if (sdn_send(state) == -1)
		log_warn("sd_notify");
#endif
}

uint64_t
sdn_watchdog_usec(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return (0);
	return (usec);
#else
	const char	*s = getenv("WATCHDOG_USEC"), *p;
	int64_t		 usec, pid;

	if (s == NULL || parse_int64(s, 1, INT64_MAX, &usec) == -1)
		return (0);
	if ((p = getenv("WATCHDOG_PID")) != NULL &&
	    (parse_int64(p, 1, INT32_MAX, &pid) == -1 || pid != getpid()))
		return (0);
	return ((uint64_t)usec);
#endif
}

/* Queued tasks now, or -1 when the store does not answer. */
static int
sdn_queued(struct store *st)
{
	struct store_task	*tasks = NULL;
	size_t			 n = 0;
	char			*cause = NULL;

	if (store_tasks_in_state(st, TASK_QUEUED, &tasks, &n, &cause) == -1) {
		log_warnx("status: %s", cause);
		free(cause);
		return (-1);
	}
	store_tasks_free(tasks, n);
	return (n > INT32_MAX ? INT32_MAX : (int)n);
}

static void *
sdn_monitor_main(void *arg)
{
	struct sdn_monitor	*m = arg;
	struct timespec		 ts;
	int64_t			 now, tick_ms, last_wd = 0, idle_since;
	int			 running, queued, last_r = -1, last_q = -1;
	char			*status;

	tick_ms = SDN_TICK_MS;
	if (m->wd_usec > 0 && (int64_t)(m->wd_usec / 2000) < tick_ms)
		tick_ms = (int64_t)(m->wd_usec / 2000) > 0 ?
		    (int64_t)(m->wd_usec / 2000) : 1;
	idle_since = now_mono_ms();
	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		pthread_mutex_unlock(&m->lock);
		now = now_mono_ms();
		running = m->env.sched != NULL ? sched_running(m->env.sched) : 0;
		queued = sdn_queued(m->env.store);
		if (queued >= 0 && (running != last_r || queued != last_q)) {
			status = xasprintf("STATUS=%d running, %d queued",
			    running, queued);
			sdn_notify(status);
			free(status);
			last_r = running;
			last_q = queued;
		}
		/* A store that stops answering is what the watchdog is for. */
		if (m->wd_usec > 0 && queued >= 0 &&
		    (now - last_wd) * 2000 >= (int64_t)m->wd_usec) {
			sdn_notify("WATCHDOG=1");
			last_wd = now;
		}
		if (running != 0 || queued != 0)
			idle_since = now;
		else if (m->env.idle_exit_s > 0 &&
		    now - idle_since >= (int64_t)m->env.idle_exit_s * 1000) {
			log_info("idle for %ds with nothing queued or running: "
			    "exiting (the socket starts me again)",
			    m->env.idle_exit_s);
			idle_since = INT64_MAX / 2;	/* say it once */
			if (kill(getpid(), SIGTERM) == -1)
				log_warn("kill");
		}

		pthread_mutex_lock(&m->lock);
		if (m->stopping)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += tick_ms / 1000;
		ts.tv_nsec += (tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!m->stopping &&
		    pthread_cond_timedwait(&m->cond, &m->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&m->lock);
	return (NULL);
}

int
sdn_monitor_start(const struct sdn_env *env, struct sdn_monitor **out,
    char **cause)
{
	struct sdn_monitor	*m;
	pthread_condattr_t	 ca;
	int			 r;

	m = xcalloc(1, sizeof *m);
	m->env = *env;
	m->wd_usec = sdn_watchdog_usec();
	if (m->wd_usec > 0)
		log_info("systemd watchdog every %" PRIu64 " ms",
		    m->wd_usec / 1000);
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((r = pthread_create(&m->thread, NULL, sdn_monitor_main, m)) != 0) {
		*cause = xasprintf("cannot start the status thread: %s",
		    strerror(r));
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return (-1);
	}
	*out = m;
	return (0);
}

void
sdn_monitor_stop(struct sdn_monitor *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
