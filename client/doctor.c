/* doctor.c -- `stratus doctor`: is this machine ready for rootless builds? */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/doctor.h"
#include "client/http.h"
#include "proto/util.h"

#ifndef UNITTEST
struct doctor_ulimit {
	char		name[16];
	long long	soft, hard;
};
#define DOCTOR_STATIC static
#else
#define DOCTOR_STATIC
#endif

#define DOCTOR_MAX_FILE		(1u << 20)
#define DOCTOR_MAX_ULIMITS	16
#define CGROUP2_MAGIC		0x63677270

enum doctor_status { DOC_OK, DOC_WARN, DOC_FAIL };
static const char *doctor_status_names[] = { "ok", "warn", "fail" };

struct doctor {
	cJSON	*checks;	/* [{name, status, detail, fix}] */
	int	 json;
	int	 failed;
	int	 warned;
};

/* Record and (unless --json) print one finding. */
static void __attribute__((format(printf, 5, 6)))
doctor_say(struct doctor *d, const char *name, enum doctor_status st,
    const char *fix, const char *fmt, ...)
{
	cJSON	*o;
	va_list	 ap;
	char	*detail;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	if (st == DOC_FAIL)
		d->failed++;
	else if (st == DOC_WARN)
		d->warned++;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "status", doctor_status_names[st]);
	cJSON_AddStringToObject(o, "detail", detail);
	if (fix != NULL && st != DOC_OK)
		cJSON_AddStringToObject(o, "fix", fix);
	else
		cJSON_AddNullToObject(o, "fix");
	cJSON_AddItemToArray(d->checks, o);
	if (!d->json) {
		printf("%-4s  %-9s %s\n", st == DOC_OK ? "ok" :
		    st == DOC_WARN ? "WARN" : "FAIL", name, detail);
		if (fix != NULL && st != DOC_OK)
			printf("      %-9s fix: %s\n", "", fix);
	}
	free(detail);
}

/* A string member at a dotted path of o, or NULL. */
static const char *
doctor_str(const cJSON *o, const char *a, const char *b, const char *c)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

/* The Podman socket: --podman, $CONTAINER_HOST, else the rootless default. */
static char *
doctor_podman_socket(const char *url)
{
	const char	*s;

	if (url == NULL && (s = getenv("CONTAINER_HOST")) != NULL && *s != '\0')
		url = s;
	if (url != NULL)
		return (xstrdup(strncmp(url, "unix://", 7) == 0 ?
		    url + 7 : url));
	if ((s = getenv("XDG_RUNTIME_DIR")) != NULL && *s == '/')
		return (xasprintf("%s/podman/podman.sock", s));
	return (xasprintf("/tmp/podman-run-%u/podman/podman.sock",
	    (unsigned)getuid()));
}

/* "unified", "hybrid" or "legacy": how /sys/fs/cgroup is mounted. */
static const char *
doctor_cgroup_layout(void)
{
	struct statfs	 sf;

	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_MAGIC)
		return ("unified");
	if (statfs("/sys/fs/cgroup/unified", &sf) == 0 &&
	    sf.f_type == CGROUP2_MAGIC)
		return ("hybrid");
	return ("legacy");
}

/* Podman's answer, its runtime, cgroups and storage. */
static void
doctor_podman(struct doctor *d, const char *url)
{
	struct http	*h;
	cJSON		*info = NULL, *ctl;
	const char	*ver, *rt, *cgv, *drv, *layout;
	char		*sock, *cause = NULL, *fix = NULL;
	long		 status = 0;
	int		 rootless, has_cpu = 0, has_mem = 0;

	sock = doctor_podman_socket(url);
	h = http_new(sock);
	if (http_head(h, "/_ping", &status, &cause) == -1 || status != 200 ||
	    http_json(h, "GET", "/v4.0.0/libpod/info", NULL, &info,
	    &cause) == -1) {
		doctor_say(d, "podman", DOC_FAIL, "systemctl --user enable "
		    "--now podman.socket (or install podman and run 'podman "
		    "system service --time=0 &')", "Podman does not answer at "
		    "%s: %s", sock, cause != NULL ? cause : "no /_ping");
		goto out;
	}
	ver = doctor_str(info, "version", "Version", NULL);
	doctor_say(d, "podman", ver != NULL && strtol(ver, NULL, 10) >= 4 ?
	    DOC_OK : DOC_WARN, "install Podman 4 or later",
	    "Podman %s answers at %s", ver != NULL ? ver : "(version unknown)",
	    sock);

	layout = doctor_cgroup_layout();
	rt = doctor_str(info, "host", "ociRuntime", "name");
	if (rt == NULL)
		doctor_say(d, "runtime", DOC_WARN, NULL, "Podman did not name "
		    "its OCI runtime");
	else if (strcmp(rt, "crun") == 0 && strcmp(layout, "unified") != 0)
		doctor_say(d, "runtime", DOC_FAIL, "install runc and set "
		    "runtime = \"runc\" under [engine] in "
		    "~/.config/containers/containers.conf", "crun on a %s "
		    "cgroup layout: containers fail to start", layout);
	else
		doctor_say(d, "runtime", DOC_OK, NULL, "%s on a %s cgroup "
		    "layout", rt, layout);

	cgv = doctor_str(info, "host", "cgroupVersion", NULL);
	rootless = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    info, "host"), "security"), "rootless"));
	ctl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    info, "host"), "cgroupControllers");
	if (cJSON_IsArray(ctl)) {
		const cJSON	*c;

		cJSON_ArrayForEach(c, ctl) {
			if (!cJSON_IsString(c))
				continue;
			has_cpu |= strcmp(c->valuestring, "cpu") == 0;
			has_mem |= strcmp(c->valuestring, "memory") == 0;
		}
	}
	if (cgv == NULL)
		doctor_say(d, "cgroups", DOC_WARN, NULL, "Podman did not tell "
		    "its cgroup version");
	else if (strcmp(cgv, "v1") == 0 && rootless)
		doctor_say(d, "cgroups", DOC_WARN, "boot with "
		    "systemd.unified_cgroup_hierarchy=1 and delegate cpu and "
		    "memory to users (Delegate=yes in user@.service)",
		    "cgroup v1, rootless: cpu and memory limits are ignored");
	else if (strcmp(cgv, "v2") == 0 && rootless && (!has_cpu || !has_mem))
		doctor_say(d, "cgroups", DOC_WARN, "add Delegate=cpu cpuset "
		    "io memory pids to a drop-in for user@.service",
		    "cgroup v2 without the %s controller delegated: those "
		    "limits are ignored", !has_cpu ? "cpu" : "memory");
	else
		doctor_say(d, "cgroups", DOC_OK, NULL, "cgroup %s: cpu and "
		    "memory limits apply", cgv);

	drv = doctor_str(info, "store", "graphDriverName", NULL);
	if (drv == NULL)
		doctor_say(d, "storage", DOC_WARN, NULL, "Podman did not name "
		    "its storage driver");
	else if (strcmp(drv, "vfs") == 0) {
		fix = xasprintf("install fuse-overlayfs and set driver = "
		    "\"overlay\" in ~/.config/containers/storage.conf, then "
		    "'podman system reset'");
		doctor_say(d, "storage", DOC_WARN, fix, "vfs: every layer is a "
		    "full copy (slow, large)");
	} else
		doctor_say(d, "storage", DOC_OK, NULL, "%s", drv);
out:
	free(fix);
	free(cause);
	cJSON_Delete(info);
	http_free(h);
	free(sock);
}

/* Sum of the ranges in /etc/subuid-style text for user (or uid). */
DOCTOR_STATIC int
doctor_subid_count(const char *text, const char *user, unsigned uid,
    unsigned long long *count)
{
	const char		*p, *e;
	char			 uidstr[16], *line, *f1, *f2, *f3, *save;
	unsigned long long	 n;
	int			 found = 0;

	*count = 0;
	snprintf(uidstr, sizeof uidstr, "%u", uid);
	for (p = text; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		line = xstrndup(p, (size_t)(e - p));
		save = NULL;
		f1 = strtok_r(line, ":", &save);
		f2 = strtok_r(NULL, ":", &save);
		f3 = strtok_r(NULL, ":\r", &save);
		if (f1 != NULL && f2 != NULL && f3 != NULL &&
		    (strcmp(f1, user) == 0 || strcmp(f1, uidstr) == 0)) {
			n = strtoull(f3, NULL, 10);
			*count += n;
			found = 1;
		}
		free(line);
	}
	return (found);
}

static void
doctor_subids(struct doctor *d, const char *file, const char *user)
{
	unsigned long long	 n = 0;
	size_t			 len;
	char			*text, *fix;

	fix = xasprintf("sudo usermod --add-sub%cids 100000-165535 %s",
	    file[strlen(file) - 3], user);
	if ((text = read_file(file, DOCTOR_MAX_FILE, &len)) == NULL)
		doctor_say(d, file + 5, DOC_FAIL, fix, "cannot read %s: %s",
		    file, strerror(errno));
	else if (!doctor_subid_count(text, user, (unsigned)getuid(), &n))
		doctor_say(d, file + 5, DOC_FAIL, fix, "no range for %s in "
		    "%s", user, file);
	else if (n < 65536)
		doctor_say(d, file + 5, DOC_WARN, fix, "%llu ids for %s in %s; "
		    "images with users above that fail to unpack", n, user,
		    file);
	else
		doctor_say(d, file + 5, DOC_OK, NULL, "%llu ids for %s", n,
		    user);
	free(text);
	free(fix);
}

/* The ulimits of a containers.conf default_ulimits list in text. */
DOCTOR_STATIC int
doctor_parse_ulimits(const char *text, struct doctor_ulimit *u, int max)
{
	const char	*p, *q, *end;
	char		 item[64];
	size_t		 len;
	int		 n = 0;
	long long	 s, h;

	if ((p = strstr(text, "default_ulimits")) == NULL)
		return (0);
	if ((p = strchr(p, '[')) == NULL || (end = strchr(p, ']')) == NULL)
		return (0);
	for (p++; p < end && n < max; p = q + 1) {
		if ((p = strchr(p, '"')) == NULL || p >= end)
			break;
		p++;
		if ((q = strchr(p, '"')) == NULL || q > end)
			break;
		len = (size_t)(q - p);
		if (len >= sizeof item)
			continue;
		memcpy(item, p, len);
		item[len] = '\0';
		if (sscanf(item, "%15[a-z]=%lld:%lld", u[n].name, &s, &h) == 3) {
			u[n].soft = s;
			u[n].hard = h;
			n++;
		}
	}
	return (n);
}

static void
doctor_ulimits(struct doctor *d)
{
	struct doctor_ulimit	 u[DOCTOR_MAX_ULIMITS];
	struct rlimit		 rl;
	const char		*files[3], *from = NULL;
	char			*user_conf, *text, *fix = NULL;
	size_t			 len;
	int			 i, n = 0, res, bad = 0;

	user_conf = xdg_path("XDG_CONFIG_HOME", ".config",
	    "containers/containers.conf");
	files[0] = "/usr/share/containers/containers.conf";
	files[1] = "/etc/containers/containers.conf";
	files[2] = user_conf;
	/* The last file that sets default_ulimits wins. */
	for (i = 0; i < 3; i++) {
		struct doctor_ulimit	 t[DOCTOR_MAX_ULIMITS];
		int			 m;

		if ((text = read_file(files[i], DOCTOR_MAX_FILE, &len)) ==
		    NULL)
			continue;
		if ((m = doctor_parse_ulimits(text, t,
		    DOCTOR_MAX_ULIMITS)) > 0) {
			memcpy(u, t, sizeof t);
			n = m;
			from = files[i];
		}
		free(text);
	}
	if (n == 0) {
		doctor_say(d, "ulimits", DOC_OK, NULL, "containers.conf sets "
		    "no default_ulimits");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(u[i].name, "nofile") == 0)
			res = RLIMIT_NOFILE;
		else if (strcmp(u[i].name, "nproc") == 0)
			res = RLIMIT_NPROC;
		else
			continue;
		if (getrlimit(res, &rl) == -1)
			continue;
		if (rl.rlim_max != RLIM_INFINITY &&
		    (u[i].hard > (long long)rl.rlim_max ||
		    u[i].soft > (long long)rl.rlim_max)) {
			free(fix);
			fix = xasprintf("lower %s in default_ulimits of %s to at "
			    "most %llu (the hard limit), or raise the hard "
			    "limit in /etc/security/limits.conf", u[i].name,
			    from, (unsigned long long)rl.rlim_max);
			doctor_say(d, "ulimits", DOC_FAIL, fix, "default_ulimits "
			    "%s=%lld:%lld exceeds the hard limit %llu: "
			    "'podman run' fails", u[i].name, u[i].soft,
			    u[i].hard, (unsigned long long)rl.rlim_max);
			bad++;
		}
	}
	if (bad == 0)
		doctor_say(d, "ulimits", DOC_OK, NULL, "default_ulimits in %s "
		    "are within the hard limits", from);
out:
	free(fix);
	free(user_conf);
}

static void
doctor_tun(struct doctor *d)
{
	if (access("/dev/net/tun", R_OK | W_OK) == 0)
		doctor_say(d, "tun", DOC_OK, NULL, "/dev/net/tun is usable "
		    "(slirp4netns networking works)");
	else
		doctor_say(d, "tun", DOC_WARN, "sudo chmod 0666 /dev/net/tun "
		    "(or load the tun module), or give tasks no network "
		    "(stratusd --network none)", "/dev/net/tun: %s: rootless "
		    "containers get no network", strerror(errno));
}

static void
doctor_daemon(struct doctor *d, struct http *h)
{
	cJSON		*o = NULL;
	const char	*ver;
	char		*cause = NULL;

	if (http_json(h, "GET", "/v1/health", NULL, &o, &cause) == -1) {
		doctor_say(d, "stratusd", DOC_FAIL, "systemctl --user enable "
		    "--now stratus.socket (or run stratusd)", "%s", cause);
		free(cause);
		return;
	}
	ver = doctor_str(o, "version", NULL, NULL);
	doctor_say(d, "stratusd", DOC_OK, NULL, "stratusd %s answers at %s",
	    ver != NULL ? ver : "(version unknown)", http_socket(h));
	cJSON_Delete(o);
}

int
cmd_doctor(struct cmd_global *g, int argc, char **argv)
{
	struct doctor	 d;
	struct passwd	*pw;
	const char	*podman = NULL;
	char		*user, *s;
	cJSON		*out;
	int		 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--podman") == 0 && i + 1 < argc)
			podman = argv[++i];
		else if (strncmp(argv[i], "--podman=", 9) == 0)
			podman = argv[i] + 9;
		else {
			fprintf(stderr, "usage: stratus doctor [--podman URL]"
			    "\n");
			return (CMD_EXIT_ERROR);
		}
	}
	memset(&d, 0, sizeof d);
	d.json = g->json;
	d.checks = cJSON_CreateArray();
	pw = getpwuid(getuid());
	user = xstrdup(pw != NULL ? pw->pw_name : "?");

	doctor_podman(&d, podman);
	doctor_subids(&d, "/etc/subuid", user);
	doctor_subids(&d, "/etc/subgid", user);
	doctor_ulimits(&d);
	doctor_tun(&d);
	doctor_daemon(&d, g->h);

	if (d.json) {
		out = cJSON_CreateObject();
		cJSON_AddBoolToObject(out, "ok", d.failed == 0);
		cJSON_AddItemToObject(out, "checks", d.checks);
		s = cJSON_PrintUnformatted(out);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(out);
	} else {
		printf("%d problem(s), %d warning(s)\n", d.failed, d.warned);
		cJSON_Delete(d.checks);
	}
	free(user);
	return (d.failed == 0 ? CMD_EXIT_OK : 1);
}
