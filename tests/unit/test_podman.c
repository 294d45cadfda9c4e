/* test_podman.c -- the libpod client against a real rootless Podman. */

/*
 * Needs STRATUS_TEST_PODMAN=/path/to/podman.sock of a running
 * "podman system service" and the image localhost/stratus-busybox:latest;
 * every test is skipped without it.  Containers get the label
 * stratus.test=PID-N so that leftovers are easy to find.
 */

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "daemon/podman.h"
#include "proto/util.h"

#define IMAGE	"localhost/stratus-busybox:latest"
#define PODMAN_POLL_MS_TEST	100	/* poll_cb period podman.h promises */

static struct podman	*pm;

static void
setup(void)
{
	const char	*sock;
	char		*cause = NULL;

	if ((sock = getenv("STRATUS_TEST_PODMAN")) == NULL || *sock == '\0')
		cr_skip_test("STRATUS_TEST_PODMAN not set");
	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	cr_assert_eq(podman_open(sock, &pm, &cause), 0, "%s", cause);
}

static void
teardown(void)
{
	podman_close(pm);
	pm = NULL;
	curl_global_cleanup();
}

TestSuite(podman, .init = setup, .fini = teardown, .timeout = 120);

/* What a container printed, and for seq output a running check. */
struct out {
	struct buf	o;
	struct buf	e;
	int		counting;	/* check "1\n2\n..." instead of keeping */
	long		next;		/* next number expected */
	long		bad;		/* lines out of order or garbled */
	char		part[32];
	size_t		partlen;
	int		polls;
	int		stop_after;	/* poll_cb says stop on this call */
	pid_t		kill_pid;	/* poll_cb kills it once output came */
	int		slow_us;	/* pause per callback: a slow reader */
	int		warnings;
};

static void
out_init(struct out *o)
{
	memset(o, 0, sizeof *o);
	buf_init(&o->o, 1 << 20);
	buf_init(&o->e, 1 << 20);
	o->next = 1;
}

static void
out_free(struct out *o)
{
	buf_free(&o->o);
	buf_free(&o->e);
}

static int
out_cb(int stream, const char *data, size_t len, void *arg)
{
	struct out	*o = arg;
	size_t		 i;

	if (stream == 2)
		return (buf_add(&o->e, data, len));
	cr_assert_eq(stream, 1);
	if (!o->counting)
		return (buf_add(&o->o, data, len));
	if (o->slow_us > 0)
		usleep(o->slow_us);
	for (i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (o->partlen < sizeof o->part - 1)
				o->part[o->partlen++] = data[i];
			continue;
		}
		o->part[o->partlen] = '\0';
		if (strtol(o->part, NULL, 10) != o->next)
			o->bad++;
		o->next++;
		o->partlen = 0;
	}
	return (0);
}

static int
poll_cb(void *arg)
{
	struct out	*o = arg;

	o->polls++;
	if (o->kill_pid > 0 && o->o.len > 0) {
		kill(o->kill_pid, SIGKILL);
		o->kill_pid = 0;
	}
	return (o->stop_after != 0 && o->polls >= o->stop_after);
}

static void
warn_cb(const char *w, void *arg)
{
	struct out	*o = arg;

	cr_log_info("create warning: %s", w);
	o->warnings++;
}

/* The nproc we may ask for: never above our own hard limit. */
static int64_t
nproc_limit(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < 4096)
		return ((int64_t)rl.rlim_max);
	return (4096);
}

/* Create a container running argv with a per-test label; caller frees. */
static char *
create(const char *const *argv, const char *label, struct out *o)
{
	struct podman_spec	 s;
	const char		*labels[] = { label, "stratus.kind=test", NULL };
	const char		*env[] = { "GREETING=hi there", NULL };
	char			*id = NULL, *cause = NULL;

	memset(&s, 0, sizeof s);
	s.image = IMAGE;
	s.command = argv;
	s.env = env;
	s.labels = labels;
	s.work_dir = "/work/src";
	s.netns = "none";
	s.nofile = 1024;
	s.nproc = nproc_limit();
	s.stop_timeout = 1;
	cr_assert_eq(podman_container_create(pm, &s, &id, warn_cb, o, &cause),
	    0, "%s", cause);
	cr_assert_not_null(id);
	return (id);
}

static char *
test_label(const char *what)
{
	return (xasprintf("stratus.test=%ld-%s", (long)getpid(), what));
}

static void
remove_container(const char *id)
{
	char	*cause = NULL;

	cr_assert_eq(podman_container_remove(pm, id, &cause), 0, "%s", cause);
}

Test(podman, ping)
{
	char	*cause = NULL;
	int64_t	 t0 = now_mono_ms();

	cr_assert_eq(podman_ping(pm, &cause), 0, "%s", cause);
	cr_assert_eq(podman_ping(pm, &cause), 0, "%s", cause);
	cr_log_info("two pings: %lld ms", (long long)(now_mono_ms() - t0));
}

Test(podman, bad_socket)
{
	struct podman	*p;
	char		*cause = NULL;

	cr_assert_eq(podman_open("tcp://localhost:1", &p, &cause), -1);
	free(cause);
	cause = NULL;
	cr_assert_eq(podman_open("unix:///nonexistent/podman.sock", &p,
	    &cause), 0);
	cr_assert_eq(podman_ping(p, &cause), -1);
	cr_assert_not_null(strstr(cause, "/nonexistent/podman.sock"), "%s",
	    cause);
	free(cause);
	podman_close(p);
}

Test(podman, image_exists)
{
	char	*cause = NULL;
	int	 exists = -1;

	cr_assert_eq(podman_image_exists(pm, IMAGE, &exists, &cause), 0,
	    "%s", cause);
	cr_assert_eq(exists, 1);
	cr_assert_eq(podman_image_exists(pm, "localhost/stratus-no-such:1",
	    &exists, &cause), 0, "%s", cause);
	cr_assert_eq(exists, 0);
}

Test(podman, image_id)
{
	char	*cause = NULL, *id = NULL, *again = NULL;

	cr_assert_eq(podman_image_id(pm, IMAGE, &id, &cause), 0, "%s", cause);
	cr_assert_not_null(id);
	cr_assert_eq(strspn(id, "0123456789abcdef"), 64, "id %s", id);
	cr_assert_eq(podman_image_id(pm, IMAGE, &again, &cause), 0, "%s",
	    cause);
	cr_assert_str_eq(id, again);
	free(again);
	free(id);
	cr_assert_eq(podman_image_id(pm, "localhost/stratus-no-such:1", &id,
	    &cause), 0, "%s", cause);
	cr_assert_null(id);
}

static void
pull_line(const char *line, void *arg)
{
	int	*n = arg;

	cr_log_info("pull: %s", line);
	(*n)++;
}

Test(podman, pull_present_image)
{
	char	*cause = NULL;
	int	 lines = 0;

	cr_assert_eq(podman_image_pull(pm, IMAGE, pull_line, &lines, &cause),
	    0, "%s", cause);
}

Test(podman, pull_missing_image_fails)
{
	const char	*img = "docker.io/library/stratus-no-such-image:1";
	char		*cause = NULL;
	int		 lines = 0;
	int64_t		 t0, ms;

	t0 = now_mono_ms();
	cr_assert_eq(podman_image_pull(pm, img, pull_line, &lines, &cause),
	    -1);
	ms = now_mono_ms() - t0;
	cr_log_info("failed pull took %lld ms: %s", (long long)ms, cause);
	cr_assert_not_null(strstr(cause, "stratus-no-such-image"), "%s",
	    cause);
	cr_assert_lt(ms, 60000);
	free(cause);
}

Test(podman, create_missing_image_fails)
{
	struct podman_spec	 s;
	const char		*argv[] = { "true", NULL };
	char			*id = NULL, *cause = NULL;

	memset(&s, 0, sizeof s);
	s.image = "localhost/stratus-no-such:1";
	s.command = argv;
	cr_assert_eq(podman_container_create(pm, &s, &id, NULL, NULL, &cause),
	    -1);
	cr_assert_null(id);
	cr_log_info("%s", cause);
	cr_assert_not_null(strstr(cause, "create container: 500: "), "%s",
	    cause);
	free(cause);
}

Test(podman, run_exit_code_and_streams)
{
	const char	*argv[] = { "sh", "-c",
	    "echo out; echo err >&2; echo \"$GREETING\" in \"$(pwd)\"; exit 3",
	    NULL };
	struct out	 o;
	struct podman_container c;
	char		*id, *label, *cause = NULL;
	int		 code = -1;
	int64_t		 t0;

	out_init(&o);
	label = test_label("run");
	t0 = now_mono_ms();
	id = create(argv, label, &o);
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, poll_cb, 1,
	    &o, &code, &cause), 0, "%s", cause);
	cr_log_info("create+run: %lld ms", (long long)(now_mono_ms() - t0));
	cr_assert_eq(code, 3);
	cr_assert_str_eq(o.o.data, "out\nhi there in /work/src\n");
	cr_assert_str_eq(o.e.data, "err\n");

	cr_assert_eq(podman_container_inspect(pm, id, &c, &cause), 0, "%s",
	    cause);
	cr_assert_str_eq(c.id, id);
	cr_assert_str_eq(c.state, "exited");
	cr_assert_eq(c.exit_code, 3);
	podman_container_clear(&c);

	/* The recorded output is there for recovery. */
	buf_reset(&o.o);
	buf_reset(&o.e);
	cr_assert_eq(podman_container_logs(pm, id, out_cb, &o, &cause), 0,
	    "%s", cause);
	cr_assert_str_eq(o.o.data, "out\nhi there in /work/src\n");
	cr_assert_str_eq(o.e.data, "err\n");

	remove_container(id);
	free(id);
	free(label);
	out_free(&o);
}

/* Run seq 300000 and check every line arrived once, in order. */
static void
many_lines(int slow_us)
{
	const char	*argv[] = { "seq", "300000", NULL };
	struct out	 o;
	char		*id, *label, *cause = NULL;
	int		 code = -1;
	int64_t		 t0, ms;

	out_init(&o);
	o.counting = 1;
	o.slow_us = slow_us;
	label = test_label("seq");
	id = create(argv, label, &o);
	t0 = now_mono_ms();
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, poll_cb, 1,
	    &o, &code, &cause), 0, "%s", cause);
	cr_log_info("300000 lines (reader pause %d us): %lld ms, %d polls",
	    slow_us, (long long)(now_mono_ms() - t0), o.polls);
	ms = now_mono_ms() - t0;
	cr_assert_eq(code, 0);
	/* poll_cb keeps its pace even while the reader is busy. */
	if (ms > 1000)
		cr_assert_geq(o.polls, ms / PODMAN_POLL_MS_TEST / 2,
		    "%d polls in %lld ms", o.polls, (long long)ms);
	cr_assert_eq(o.next - 1, 300000, "got %ld lines", o.next - 1);
	cr_assert_eq(o.bad, 0, "%ld lines out of order", o.bad);
	cr_assert_eq(o.partlen, 0);
	cr_assert_eq(o.e.len, 0);
	remove_container(id);
	free(id);
	free(label);
	out_free(&o);
}

Test(podman, many_lines_complete)
{
	many_lines(0);
}

/* A reader slower than the writer (a busy disk) must lose nothing. */
Test(podman, many_lines_slow_reader)
{
	many_lines(5000);
}

/* Append a ustar member for a regular file to b. */
static void
tar_add(struct buf *b, const char *name, const char *data, size_t len)
{
	unsigned char	 h[512];
	unsigned int	 sum = 0;
	size_t		 i;
	static const char zero[512];

	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011zo", len);
	memcpy(h + 136, "00000000000", 12);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	cr_assert_eq(buf_add(b, h, sizeof h), 0);
	cr_assert_eq(buf_add(b, data, len), 0);
	if (len % 512 != 0)
		cr_assert_eq(buf_add(b, zero, 512 - len % 512), 0);
}

Test(podman, put_archive_then_cat)
{
	const char	*argv[] = { "cat", "/work/src/hello.txt", NULL };
	const char	*text = "hello from a tar\n";
	static const char zero[1024];
	struct out	 o;
	struct buf	 tar;
	char		*id, *label, *cause = NULL;
	int		 code = -1;

	out_init(&o);
	buf_init(&tar, 0);
	tar_add(&tar, "hello.txt", text, strlen(text));
	cr_assert_eq(buf_add(&tar, zero, sizeof zero), 0);
	label = test_label("archive");
	id = create(argv, label, &o);
	cr_assert_eq(podman_container_put_archive(pm, id, "/work/src",
	    tar.data, tar.len, &cause), 0, "%s", cause);
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, NULL, 1,
	    &o, &code, &cause), 0, "%s", cause);
	cr_assert_eq(code, 0, "stderr: %s", o.e.data ? o.e.data : "");
	cr_assert_str_eq(o.o.data, text);
	remove_container(id);
	free(id);
	free(label);
	buf_free(&tar);
	out_free(&o);
}

Test(podman, poll_stops_container)
{
	const char	*argv[] = { "sh", "-c", "echo started; sleep 60", NULL };
	struct out	 o;
	struct podman_container *list = NULL;
	char		*id, *label, *cause = NULL;
	const char	*labels[] = { NULL, "stratus.kind=test", NULL };
	size_t		 n = 0, i;
	int		 code = -1, found = 0;
	int64_t		 t0, ms;

	out_init(&o);
	o.stop_after = 5;	/* about half a second in */
	label = test_label("stop");
	labels[0] = label;
	id = create(argv, label, &o);
	t0 = now_mono_ms();
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, poll_cb, 1,
	    &o, &code, &cause), 0, "%s", cause);
	ms = now_mono_ms() - t0;
	cr_log_info("stopped sleep 60 after %lld ms, exit %d",
	    (long long)ms, code);
	cr_assert_lt(ms, 10000);
	cr_assert_neq(code, 0);
	cr_assert_str_eq(o.o.data, "started\n");

	cr_assert_eq(podman_container_list(pm, labels, &list, &n, &cause), 0,
	    "%s", cause);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i].id, id) == 0) {
			found = 1;
			cr_assert_str_eq(list[i].state, "exited");
			cr_assert_eq(list[i].exit_code, code);
		}
	}
	cr_assert_eq(n, 1);
	cr_assert(found);
	podman_containers_free(list, n);

	remove_container(id);
	cr_assert_eq(podman_container_list(pm, labels, &list, &n, &cause), 0,
	    "%s", cause);
	cr_assert_eq(n, 0);
	podman_containers_free(list, n);
	free(id);
	free(label);
	out_free(&o);
}

Test(podman, start_wait_kill)
{
	const char	*argv[] = { "sleep", "60", NULL };
	struct out	 o;
	char		*id, *label, *cause = NULL;
	int		 code = -1;

	out_init(&o);
	label = test_label("kill");
	id = create(argv, label, &o);
	cr_assert_eq(podman_container_start(pm, id, &cause), 0, "%s", cause);
	cr_assert_eq(podman_container_kill(pm, id, "KILL", &cause), 0, "%s",
	    cause);
	cr_assert_eq(podman_container_wait(pm, id, &code, &cause), 0, "%s",
	    cause);
	cr_assert_eq(code, 137);
	cr_assert_eq(podman_container_stop(pm, id, 1, &cause), 0, "%s",
	    cause);
	remove_container(id);
	free(id);
	free(label);
	out_free(&o);
}

Test(podman, limits_warning)
{
	struct podman_spec	 s;
	const char		*argv[] = { "true", NULL };
	struct out		 o;
	char			*id = NULL, *cause = NULL;

	out_init(&o);
	memset(&s, 0, sizeof s);
	s.image = IMAGE;
	s.command = argv;
	s.netns = "none";
	s.nofile = 1024;
	s.nproc = nproc_limit();
	s.memory_bytes = 256 << 20;
	s.cpu_quota = 50000;
	cr_assert_eq(podman_container_create(pm, &s, &id, warn_cb, &o,
	    &cause), 0, "%s", cause);
	/* cgroup v1 rootless ignores limits and says so (PODMAN.md). */
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0)
		cr_assert_geq(o.warnings, 1);
	remove_container(id);
	free(id);
	out_free(&o);
}

Test(podman, missing_container)
{
	struct podman_container	 c;
	struct out		 o;
	char			*cause = NULL;
	int			 code;

	cr_assert_eq(podman_container_inspect(pm, "stratus-no-such-ctr", &c,
	    &cause), 1);
	cr_assert_null(c.id);
	cr_assert_eq(podman_container_remove(pm, "stratus-no-such-ctr",
	    &cause), 0, "%s", cause);
	out_init(&o);
	cr_assert_eq(podman_container_run_attached(pm, "stratus-no-such-ctr",
	    out_cb, NULL, 1, &o, &code, &cause), -1);
	cr_log_info("%s", cause);
	cr_assert_not_null(strstr(cause, "404"), "%s", cause);
	free(cause);
	cr_assert_eq(podman_container_start(pm, "stratus-no-such-ctr",
	    &cause), -1);
	cr_assert_not_null(strstr(cause, "404"), "%s", cause);
	free(cause);
	out_free(&o);
}

/* Start a private "podman system service" on sock; returns its pid once
 * it answers. */
static pid_t
service_start(const char *sock)
{
	struct podman	*p;
	char		*url, *cause = NULL;
	pid_t		 pid;
	int		 i, ok = 0;

	url = xasprintf("unix://%s", sock);
	unlink(sock);
	if ((pid = fork()) == 0) {
		execlp("podman", "podman", "system", "service", "--time=0",
		    url, (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(podman_open(url, &p, &cause), 0, "%s", cause);
	for (i = 0; i < 100 && !ok; i++) {
		if (podman_ping(p, &cause) == 0)
			ok = 1;
		else {
			free(cause);
			cause = NULL;
			usleep(100000);
		}
	}
	podman_close(p);
	free(url);
	cr_assert(ok, "private podman service did not answer on %s", sock);
	return (pid);
}

static void
service_stop(pid_t pid, int sig)
{
	int	status;

	kill(pid, sig);
	waitpid(pid, &status, 0);
}

static int
count_lines(const struct buf *b)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return (n);
}

Test(podman, service_dies_mid_stream)
{
	const char	*argv[] = { "sh", "-c",
	    "i=0; while [ $i -lt 20 ]; do echo $i; i=$((i+1)); sleep 0.1; "
	    "done; exit 4", NULL };
	struct podman	*saved = pm;
	struct out	 o;
	char		 dir[] = "/tmp/stratus-podtest.XXXXXX";
	char		*sock, *url, *id, *label, *cause = NULL;
	pid_t		 pid;
	int		 code = -1;
	int64_t		 t0;

	cr_assert_not_null(mkdtemp(dir));
	sock = xasprintf("%s/podman.sock", dir);
	url = xasprintf("unix://%s", sock);
	pid = service_start(sock);
	cr_assert_eq(podman_open(url, &pm, &cause), 0, "%s", cause);

	out_init(&o);
	label = test_label("gone");
	id = create(argv, label, &o);
	o.kill_pid = pid;
	t0 = now_mono_ms();
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, poll_cb, 1,
	    &o, &code, &cause), -1);
	cr_log_info("after %lld ms: %s", (long long)(now_mono_ms() - t0),
	    cause);
	cr_assert_not_null(strstr(cause, "Podman went away"), "%s", cause);
	free(cause);
	cause = NULL;
	waitpid(pid, NULL, 0);
	cr_assert_lt(count_lines(&o.o), 20);

	/* The container lives on under conmon: a new service adopts it. */
	pid = service_start(sock);
	cr_assert_eq(podman_container_wait(pm, id, &code, &cause), 0, "%s",
	    cause);
	cr_assert_eq(code, 4);
	buf_reset(&o.o);
	cr_assert_eq(podman_container_logs(pm, id, out_cb, &o, &cause), 0,
	    "%s", cause);
	cr_assert_eq(count_lines(&o.o), 20, "%s", o.o.data);
	remove_container(id);
	podman_close(pm);
	pm = saved;
	service_stop(pid, SIGTERM);
	unlink(sock);
	rmdir(dir);
	free(id);
	free(label);
	free(url);
	free(sock);
	out_free(&o);
}

/* Stop while the output never pauses and the reader is slow: the stop
 * must still go out within about one poll period. */
Test(podman, poll_stops_busy_container)
{
	const char	*argv[] = { "sh", "-c", "while :; do seq 1000; done",
	    NULL };
	struct out	 o;
	char		*id, *label, *cause = NULL;
	int		 code = -1;
	int64_t		 t0, ms;

	out_init(&o);
	o.counting = 1;		/* never stores: output is unbounded */
	o.slow_us = 5000;
	o.stop_after = 5;
	label = test_label("busy");
	id = create(argv, label, &o);
	t0 = now_mono_ms();
	cr_assert_eq(podman_container_run_attached(pm, id, out_cb, poll_cb, 1,
	    &o, &code, &cause), 0, "%s", cause);
	ms = now_mono_ms() - t0;
	cr_log_info("stopped busy container after %lld ms, %ld lines, "
	    "exit %d", (long long)ms, o.next - 1, code);
	cr_assert_lt(ms, 10000);
	cr_assert_neq(code, 0);
	remove_container(id);
	free(id);
	free(label);
	out_free(&o);
}
