/* stratusd.c -- the Stratus daemon: start-up, recovery, signals, shutdown. */
#include <sys/file.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/api.h"
#include "daemon/blobstore.h"
#include "daemon/executor.h"
#include "daemon/logstore.h"
#include "daemon/podman.h"
#include "daemon/podsvc.h"
#include "daemon/recovery.h"
#include "daemon/scheduler.h"
#include "daemon/sock.h"
#include "daemon/store.h"
#include "proto/log.h"
#include "proto/util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

struct options {
	const char	*config;
	char		*socket;
	char		*state_dir;
	const char	*podman;
	const char	*network;
	int		 jobs;
	int		 grace_s;
	int		 check;
	int		 verbose;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: stratusd [-d|--foreground] [-n|--check-config] "
	    "[--config FILE]\n"
	    "                [--socket PATH] [--state-dir DIR] [--podman URL] "
	    "[--jobs N]\n"
	    "                [--grace SECONDS] [--network MODE] [-v]\n");
	exit(status);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground",	no_argument,		NULL, 'd' },
		{ "check-config", no_argument,		NULL, 'n' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "socket",	required_argument,	NULL, 's' },
		{ "state-dir",	required_argument,	NULL, 'S' },
		{ "podman",	required_argument,	NULL, 'p' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "grace",	required_argument,	NULL, 'g' },
		{ "network",	required_argument,	NULL, 'N' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t	 n;
	long	 ncpu;
	int	 ch;

	memset(o, 0, sizeof *o);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = ncpu > 0 ? (int)ncpu : 1;
	o->grace_s = 30;
	while ((ch = getopt_long(argc, argv, "dnvhj:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			break;	/* always in the foreground: systemd's way */
		case 'n':
			o->check = 1;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->socket = xstrdup(optarg);
			break;
		case 'S':
			o->state_dir = xstrdup(optarg);
			break;
		case 'p':
			o->podman = optarg;
			break;
		case 'N':
			o->network = optarg;
			break;
		case 'j':
			if (parse_int64(optarg, 1, 1024, &n) == -1)
				fatalx("--jobs takes a number from 1 to 1024, "
				    "not '%s'", optarg);
			o->jobs = (int)n;
			break;
		case 'g':
			if (parse_int64(optarg, 0, 86400, &n) == -1)
				fatalx("--grace takes seconds (0 to 86400), "
				    "not '%s'", optarg);
			o->grace_s = (int)n;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'V':
			printf("stratusd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (o->socket == NULL)
		o->socket = sock_default_path();
	if (o->state_dir == NULL)
		o->state_dir = sock_default_state_dir();
}

/* Hold an exclusive lock on the state directory for our lifetime. */
static int
lock_state(const char *dir)
{
	char	*path;
	int	 fd;

	path = xasprintf("%s/stratusd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		fatal("open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("another stratusd is using %s (lock %s held); "
			    "stop it first or pass another --state-dir", dir,
			    path);
		fatal("flock %s", path);
	}
	free(path);
	return (fd);
}

static void
notify(const char *what)
{
#ifdef HAVE_SYSTEMD
	int	 r;

	if ((r = sd_notify(0, what)) < 0)
		log_warnx("sd_notify: %s", strerror(-r));
#else
	(void)what;
#endif
}

int
main(int argc, char **argv)
{
	struct options		 o;
	struct store		*store = NULL;
	struct logstore		*logs = NULL;
	struct blobstore	*blobs = NULL;
	struct podsvc		 ps;
	struct sched		*sched = NULL;
	struct api		*api = NULL;
	struct exec_env		 env;
	struct api_env		 aenv;
	sigset_t		 set;
	char			*cause = NULL, *path;
	int			 fd, lockfd, sig;
	CURLcode		 cc;

	log_init("stratusd", 0);
	parse_options(argc, argv, &o);
	log_init("stratusd", o.verbose);
	if (getenv("JOURNAL_STREAM") != NULL)
		log_set_journal(1);
	if (o.check) {
		printf("configuration OK\n");
		return (0);
	}

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((errno = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
		fatal("pthread_sigmask");
	if ((cc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("curl_global_init: %s", curl_easy_strerror(cc));

	if (mkdir_p(o.state_dir, 0700) == -1)
		fatal("cannot create state directory %s", o.state_dir);
	lockfd = lock_state(o.state_dir);
	path = xasprintf("%s/stratus.db", o.state_dir);
	if (store_open(path, &store, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);
	path = xasprintf("%s/logs", o.state_dir);
	if (logstore_open(path, 0, &logs, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);
	path = xasprintf("%s/blobs", o.state_dir);
	if (blobstore_open(path, &blobs, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);

	if ((fd = sock_listen(o.socket, &cause)) == -1)
		fatalx("%s", cause);
	if (podsvc_start(&ps, o.podman, o.state_dir, &cause) == -1)
		fatalx("podman: %s", cause);
	log_info("podman at %s", ps.url);

	memset(&env, 0, sizeof env);
	env.store = store;
	env.logs = logs;
	env.blobs = blobs;
	env.podman_url = ps.url;
	env.netns = o.network;
	env.stop_timeout_s = 10;
	if (sched_start(&env, &ps, o.jobs, &sched, &cause) == -1)
		fatalx("%s", cause);
	recovery_run(&env, sched);
	memset(&aenv, 0, sizeof aenv);
	aenv.store = store;
	aenv.logs = logs;
	aenv.blobs = blobs;
	aenv.sched = sched;
	if (api_start(&aenv, fd, &api, &cause) == -1)
		fatalx("%s", cause);
	log_info("stratusd %s listening on %s (state %s, %d job slot(s))",
	    PACKAGE_VERSION, o.socket, o.state_dir, o.jobs);
	notify("READY=1\nSTATUS=accepting jobs");

	for (;;) {
		if ((errno = sigwait(&set, &sig)) != 0)
			fatal("sigwait");
		if (sig == SIGHUP) {
			log_info("SIGHUP: nothing to reload yet");
			continue;
		}
		break;
	}
	log_info("%s: shutting down", strsignal(sig));
	notify("STOPPING=1");
	api_stop(api);
	/* MHD closed the listening socket it was given. */
	if (unlink(o.socket) == -1)
		log_warn("unlink %s", o.socket);
	sched_stop(sched, o.grace_s);
	podsvc_stop(&ps);
	blobstore_close(blobs);
	logstore_close(logs);
	store_close(store);
	close(lockfd);
	curl_global_cleanup();
	free(o.socket);
	free(o.state_dir);
	log_info("stopped");
	return (0);
}
