/* stratusd.c -- the Stratus daemon: start-up, recovery, signals, shutdown. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

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

#include "daemon/api.h"
#include "daemon/blobstore.h"
#include "daemon/cache.h"
#include "daemon/conffile.h"
#include "daemon/executor.h"
#include "daemon/gc.h"
#include "daemon/logstore.h"
#include "daemon/podman.h"
#include "daemon/podsvc.h"
#include "daemon/recovery.h"
#include "daemon/remote.h"
#include "daemon/runner.h"
#include "daemon/scheduler.h"
#include "daemon/sdnotify.h"
#include "daemon/sock.h"
#include "daemon/store.h"
#include "daemon/sweep.h"
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
	const char	*listen;	/* TCP listener: remote.h */
	const char	*tls_cert, *tls_key, *tokens;
	int		 insecure_listen;
	int		 jobs;
	int		 grace_s;
	int		 check;
	int		 verbose;
	int		 exit_idle_s;
	int		 keep;		/* finished jobs per project */
	int64_t		 keep_age_s;	/* finished jobs' age; -1: unset */
	int64_t		 log_cap;
	int64_t		 cache_max_mb;	/* -1: unset */
	struct conffile	 cf;	/* the file's settings, kept for SIGHUP */
	/* Set on the command line: wins over the file, also on SIGHUP. */
	int		 jobs_flag, grace_flag, keep_flag, keep_age_flag;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: stratusd [-d|--foreground] [-n|--check-config] "
	    "[--config FILE]\n"
	    "                [--socket PATH] [--state-dir DIR] [--podman URL] "
	    "[--jobs N]\n"
	    "                [--grace SECONDS] [--network MODE] "
	    "[--exit-idle-time SECONDS] "
	    "[--log-cap BYTES] [--keep N]\n"
	    "                [--keep-days N] [--cache-max-mb MB] [-v]\n"
	    "                [--listen ADDR:PORT [--tls-cert FILE --tls-key FILE]"
	    " [--tokens FILE]\n"
	    "                [--insecure-listen]]\n");
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
		{ "exit-idle-time", required_argument,	NULL, 'I' },
		{ "log-cap",	required_argument,	NULL, 'L' },
		{ "keep",	required_argument,	NULL, 'K' },
		{ "keep-days",	required_argument,	NULL, 'D' },
		{ "cache-max-mb", required_argument,	NULL, 'M' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "tls-cert",	required_argument,	NULL, 'C' },
		{ "tls-key",	required_argument,	NULL, 'k' },
		{ "tokens",	required_argument,	NULL, 'T' },
		{ "insecure-listen", no_argument,	NULL, 'i' },
		/* For tests: retention by age in seconds. */
		{ "keep-seconds", required_argument,	NULL, 'A' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t	 n;
	int	 ch;

	memset(o, 0, sizeof *o);
	o->grace_s = -1;	/* unset: the file or the default decides */
	o->exit_idle_s = -1;
	o->log_cap = -1;
	o->keep = -1;
	o->keep_age_s = -1;
	o->cache_max_mb = -1;
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
		case 'l':
			o->listen = optarg;
			break;
		case 'C':
			o->tls_cert = optarg;
			break;
		case 'k':
			o->tls_key = optarg;
			break;
		case 'T':
			o->tokens = optarg;
			break;
		case 'i':
			o->insecure_listen = 1;
			break;
		case 'j':
			if (parse_int64(optarg, 1, 1024, &n) == -1)
				fatalx("--jobs takes a number from 1 to 1024, "
				    "not '%s'", optarg);
			o->jobs = (int)n;
			o->jobs_flag = 1;
			break;
		case 'g':
			if (parse_int64(optarg, 0, 86400, &n) == -1)
				fatalx("--grace takes seconds (0 to 86400), "
				    "not '%s'", optarg);
			o->grace_s = (int)n;
			o->grace_flag = 1;
			break;
		case 'I':
			if (parse_int64(optarg, 0, 86400, &n) == -1)
				fatalx("--exit-idle-time takes seconds (0 to "
				    "86400), not '%s'", optarg);
			o->exit_idle_s = (int)n;
			break;
		case 'L':
			if (parse_int64(optarg, 1, INT64_MAX, &n) == -1)
				fatalx("--log-cap takes bytes per task log, "
				    "not '%s'", optarg);
			o->log_cap = n;
			break;
		case 'K':
			if (parse_int64(optarg, 0, INT32_MAX, &n) == -1)
				fatalx("--keep takes a number of finished jobs "
				    "per project, not '%s'", optarg);
			o->keep = (int)n;
			o->keep_flag = 1;
			break;
		case 'D':
			if (parse_int64(optarg, 0, 36500, &n) == -1)
				fatalx("--keep-days takes a number of days "
				    "(0 to 36500), not '%s'", optarg);
			o->keep_age_s = n * 86400;
			o->keep_age_flag = 1;
			break;
		case 'M':
			if (parse_int64(optarg, 0, INT64_MAX >> 20, &n) == -1)
				fatalx("--cache-max-mb takes the cache budget "
				    "in MiB, not '%s'", optarg);
			o->cache_max_mb = n;
			break;
		case 'A':
			if (parse_int64(optarg, 0, INT32_MAX, &n) == -1)
				fatalx("--keep-seconds takes seconds, not '%s'",
				    optarg);
			o->keep_age_s = n;
			o->keep_age_flag = 1;
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
}

/*
 * Read the configuration file (--config, else the default path when it
 * exists) into o->cf; 0, or -1 with cause "file:line:column: message".
 */
static int
load_config(struct options *o, struct conffile *cf, char **cause)
{
	char	*path;
	int	 r;

	path = o->config != NULL ? xstrdup(o->config) : conffile_default_path();
	r = conffile_load(path, o->config != NULL, cf, cause);
	free(path);
	return (r == -1 ? -1 : 0);
}

/* The file's value, else the default: for start-up and SIGHUP alike. */
static int
conf_grace(const struct conffile *cf)
{
	return (cf->grace_s >= 0 ? cf->grace_s : 30);
}

static int
conf_keep(const struct conffile *cf)
{
	return (cf->keep >= 0 ? cf->keep : GC_DEFAULT_KEEP);
}

static int64_t
conf_keep_age(const struct conffile *cf)
{
	return (cf->keep_days > 0 ? (int64_t)cf->keep_days * 86400 : 0);
}

/* Fill what the command line left unset from the file, then defaults. */
static void
apply_config(struct options *o)
{
	const struct conffile	*cf = &o->cf;
	long			 ncpu;

	if (o->socket == NULL && cf->socket != NULL)
		o->socket = xstrdup(cf->socket);
	if (o->socket == NULL)
		o->socket = sock_default_path();
	if (o->state_dir == NULL && cf->state_dir != NULL)
		o->state_dir = xstrdup(cf->state_dir);
	if (o->state_dir == NULL)
		o->state_dir = sock_default_state_dir();
	if (o->podman == NULL)
		o->podman = cf->podman;
	if (o->network == NULL)
		o->network = cf->network;
	if (o->listen == NULL)
		o->listen = cf->listen;
	if (o->tls_cert == NULL)
		o->tls_cert = cf->tls_cert;
	if (o->tls_key == NULL)
		o->tls_key = cf->tls_key;
	if (o->tokens == NULL)
		o->tokens = cf->tokens;
	if (o->jobs == 0)
		o->jobs = cf->jobs;
	if (o->jobs <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		o->jobs = ncpu > 0 ? (int)ncpu : 1;
	}
	if (o->grace_s < 0)
		o->grace_s = conf_grace(cf);
	if (o->exit_idle_s < 0)
		o->exit_idle_s = cf->exit_idle_s >= 0 ? cf->exit_idle_s : 0;
	if (o->log_cap < 0)
		o->log_cap = cf->log_cap >= 0 ? cf->log_cap : 0;
	if (o->keep < 0)
		o->keep = conf_keep(cf);
	if (o->keep_age_s < 0)
		o->keep_age_s = conf_keep_age(cf);
	if (o->cache_max_mb < 0)
		o->cache_max_mb = cf->cache_max_mb;
	if (o->cache_max_mb >= 0)
		cache_set_budget((uint64_t)o->cache_max_mb << 20);
}

/*
 * The file's per-project limits (projects: {NAME: {jobs: N}}) into the
 * projects table; a project that old (the file before SIGHUP, or NULL)
 * limited and cf no longer names goes back to no limit of its own.
 */
static void
apply_projects(struct store *store, const struct conffile *old,
    const struct conffile *cf)
{
	const struct conffile_project	*p;
	char				*cause = NULL;
	size_t				 i, j;

	for (i = 0; i < cf->nprojects; i++) {
		p = &cf->projects[i];
		if (store_project_set(store, p->name, p->jobs, -1,
		    &cause) == -1) {
			log_warnx("project %s: %s", p->name, cause);
			free(cause);
			cause = NULL;
		}
	}
	for (i = 0; old != NULL && i < old->nprojects; i++) {
		for (j = 0; j < cf->nprojects; j++)
			if (strcmp(cf->projects[j].name,
			    old->projects[i].name) == 0)
				break;
		if (j < cf->nprojects)
			continue;
		if (store_project_set(store, old->projects[i].name, 0, -1,
		    &cause) == -1) {
			log_warnx("project %s: %s", old->projects[i].name,
			    cause);
			free(cause);
			cause = NULL;
		}
	}
}

/*
 * SIGHUP: retention from the file (where no flag set it); when that
 * changed, gc runs at once so a lower keep applies now, not at the next
 * finished job.
 */
static void
reload_retention(struct options *o, const struct conffile *cf,
    struct gc_policy *gcp, const struct exec_env *ge)
{
	struct gc_result	 res;
	char			*cause = NULL;

	if (!o->keep_flag && conf_keep(cf) != o->keep) {
		log_info("SIGHUP: keep %d -> %d", o->keep, conf_keep(cf));
		o->keep = conf_keep(cf);
	}
	if (!o->keep_age_flag && conf_keep_age(cf) != o->keep_age_s) {
		log_info("SIGHUP: keep_days %" PRId64 " -> %" PRId64,
		    o->keep_age_s / 86400, conf_keep_age(cf) / 86400);
		o->keep_age_s = conf_keep_age(cf);
	}
	if (!o->grace_flag && conf_grace(cf) != o->grace_s) {
		log_info("SIGHUP: grace %d -> %d", o->grace_s, conf_grace(cf));
		o->grace_s = conf_grace(cf);
	}
	if (!gc_policy_set(gcp, o->keep, o->keep_age_s * 1000))
		return;
	if (gc_run(ge->store, ge->logs, ge->blobs, gcp, &res, &cause) == -1) {
		log_warnx("SIGHUP: gc: %s", cause);
		free(cause);
	}
}

/* SIGHUP: read the file again and apply what can change while running. */
static void
reload_config(struct options *o, struct sched *sched, struct gc_policy *gcp,
    const struct exec_env *ge)
{
	struct conffile_project	*pv;
	struct conffile		 cf;
	char			*cause = NULL;
	size_t			 pn;

	if (load_config(o, &cf, &cause) == -1) {
		log_warnx("SIGHUP: %s; keeping the running configuration",
		    cause);
		free(cause);
		return;
	}
	if (!o->jobs_flag && cf.jobs > 0 && cf.jobs != o->jobs) {
		log_info("SIGHUP: jobs %d -> %d", o->jobs, cf.jobs);
		o->jobs = cf.jobs;
		sched_set_max_jobs(sched, o->jobs);
	}
	apply_projects(ge->store, &o->cf, &cf);
	reload_retention(o, &cf, gcp, ge);
	sched_wake(sched);
	log_info("SIGHUP: reloaded %s (socket, state_dir, podman, network, "
	    "log_cap, cache_max_mb and listen apply at the next start)",
	    cf.path != NULL ? cf.path : "defaults: no configuration file");
	/* o borrows strings from the start-up file: keep that one, but with
	 * the projects now applied, for the next SIGHUP. */
	pv = o->cf.projects;
	pn = o->cf.nprojects;
	o->cf.projects = cf.projects;
	o->cf.nprojects = cf.nprojects;
	cf.projects = pv;
	cf.nprojects = pn;
	conffile_free(&cf);
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

/*
 * This state directory's id, made once: containers carry it as a label so
 * that daemons of one user on different state directories (tests, say)
 * never take each other's containers.  Caller frees.
 */
static char *
instance_id(const char *dir)
{
	char	 id[RUNNER_NONCE_LEN + 1], *path, *data;
	size_t	 len;
	int	 fd;

	path = xasprintf("%s/instance", dir);
	if ((data = read_file(path, 64, &len)) != NULL && len >= 8 &&
	    strspn(data, "0123456789abcdef") == len) {
		free(path);
		return (data);
	}
	free(data);
	runner_nonce(id);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write_all(fd, id, strlen(id)) == -1 ||
	    fsync(fd) == -1)
		fatal("write %s", path);
	close(fd);
	free(path);
	return (xstrdup(id));
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
	struct sdn_monitor	*mon = NULL;
	struct sdn_env		 senv;
	struct api		*api = NULL, *rapi = NULL;
	struct remote		 rem;
	struct exec_env		 env;
	struct api_env		 aenv;
	struct gc_policy	 gcp;
	sigset_t		 set;
	char			*cause = NULL, *path, *instance, *artifacts;
	int			 fd, lockfd, sig, activated;
	CURLcode		 cc;

	log_init("stratusd", 0);
	parse_options(argc, argv, &o);
	log_init("stratusd", o.verbose);
	if (getenv("JOURNAL_STREAM") != NULL)
		log_set_journal(1);
	if (load_config(&o, &o.cf, &cause) == -1) {
		if (o.check) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			free(o.socket);
			free(o.state_dir);
			return (1);
		}
		fatalx("%s", cause);
	}
	apply_config(&o);
	if (o.check) {
		printf("%s: configuration OK\n", o.cf.path != NULL ?
		    o.cf.path : "no configuration file, defaults");
		conffile_free(&o.cf);
		free(o.socket);
		free(o.state_dir);
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
	instance = instance_id(o.state_dir);
	path = xasprintf("%s/stratus.db", o.state_dir);
	if (store_open(path, &store, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);
	path = xasprintf("%s/logs", o.state_dir);
	if (logstore_open(path, o.log_cap, &logs, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);
	path = xasprintf("%s/blobs", o.state_dir);
	if (blobstore_open(path, &blobs, &cause) == -1)
		fatalx("%s: %s", path, cause);
	free(path);
	apply_projects(store, NULL, &o.cf);

	if (sdn_listen_fd(&fd, &cause) == -1)
		fatalx("%s", cause);
	activated = fd != -1;
	if (activated) {
		free(o.socket);
		o.socket = xstrdup("the socket from systemd");
	} else if ((fd = sock_listen(o.socket, &cause)) == -1)
		fatalx("%s", cause);
	memset(&rem, 0, sizeof rem);
	rem.fd = -1;
	if (o.listen != NULL && remote_open(o.listen, o.tls_cert, o.tls_key,
	    o.tokens, o.insecure_listen, &rem, &cause) == -1)
		fatalx("%s", cause);
	if (o.exit_idle_s > 0 && !activated) {
		log_warnx("--exit-idle-time applies only under socket "
		    "activation: ignored");
		o.exit_idle_s = 0;
	}
	if (podsvc_start(&ps, o.podman, o.state_dir, &cause) == -1)
		fatalx("podman: %s", cause);
	log_info("podman at %s", ps.url);

	memset(&env, 0, sizeof env);
	env.store = store;
	env.logs = logs;
	env.blobs = blobs;
	env.podman_url = ps.url;
	env.netns = o.network;
	/* The runner is PID 1 and ignores SIGTERM: a long wait only delays
	 * cancel and shutdown. */
	env.stop_timeout_s = 2;
	env.state_dir = o.state_dir;
	env.instance = instance;
	memset(&gcp, 0, sizeof gcp);
	(void)gc_policy_set(&gcp, o.keep, o.keep_age_s * 1000);
	gcp.artifacts = artifacts = xasprintf("%s/artifacts", o.state_dir);
	env.gc = &gcp;
	if (sched_start(&env, &ps, o.jobs, &sched, &cause) == -1)
		fatalx("%s", cause);
	recovery_run(&env, sched);
	if (sweep_run(&env, &cause) == -1) {
		log_warnx("sweep: %s", cause);
		free(cause);
		cause = NULL;
	}
	memset(&aenv, 0, sizeof aenv);
	aenv.store = store;
	aenv.logs = logs;
	aenv.blobs = blobs;
	aenv.sched = sched;
	aenv.state_dir = o.state_dir;
	aenv.gc = &gcp;
	if (api_start(&aenv, fd, &api, &cause) == -1)
		fatalx("%s", cause);
	if (rem.fd != -1) {
		if (api_start_remote(&aenv, &rem, &rapi, &cause) == -1)
			fatalx("%s", cause);
		log_info("listening on %s://%s", rem.cert_pem != NULL ?
		    "https" : "http", rem.addr);
	}
	log_info("stratusd %s listening on %s (state %s, %d job slot(s))",
	    PACKAGE_VERSION, o.socket, o.state_dir, o.jobs);
	sdn_notify("READY=1\nSTATUS=accepting jobs");
	memset(&senv, 0, sizeof senv);
	senv.store = store;
	senv.sched = sched;
	senv.idle_exit_s = o.exit_idle_s;
	if (sdn_monitor_start(&senv, &mon, &cause) == -1)
		fatalx("%s", cause);

	for (;;) {
		if ((errno = sigwait(&set, &sig)) != 0)
			fatal("sigwait");
		if (sig == SIGHUP) {
			reload_config(&o, sched, &gcp, &env);
			continue;
		}
		break;
	}
	log_info("%s: shutting down", strsignal(sig));
	sdn_notify("STOPPING=1");
	sdn_monitor_stop(mon);
	api_stop(rapi);
	remote_free(&rem);
	api_stop(api);
	/* MHD closed the listening socket it was given; systemd owns its. */
	if (!activated && unlink(o.socket) == -1)
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
	free(instance);
	free(artifacts);
	conffile_free(&o.cf);
	log_info("stopped");
	return (0);
}
