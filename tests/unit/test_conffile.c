/* test_conffile.c -- stratusd.yml: settings, defaults, and errors at exact positions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conffile.h"

/* Parse s; return the error message (caller frees) or NULL on success. */
static char *
parse(const char *s, struct conffile *c)
{
	char	*cause = NULL;

	if (conffile_parse("t.yml", s, strlen(s), c, &cause) == 0)
		return (NULL);
	cr_assert_not_null(cause);
	return (cause);
}

static void
expect_error(const char *yaml, const char *want)
{
	struct conffile	 c;
	char		*cause;

	cause = parse(yaml, &c);
	cr_assert_not_null(cause, "no error for: %s", yaml);
	cr_assert_str_eq(cause, want);
	free(cause);
	/* Failure leaves c unset and owning nothing. */
	cr_assert_null(c.socket);
	cr_assert_eq(c.jobs, -1);
}

Test(conffile, every_setting)
{
	struct conffile	 c;

	cr_assert_null(parse(
	    "# stratusd settings\n"
	    "socket: /run/x/s.sock\n"
	    "state_dir: /var/tmp/st\n"
	    "podman: unix:///run/p.sock\n"
	    "network: none\n"
	    "jobs: 3\n"
	    "grace: 0\n"
	    "log_cap: 64M\n"
	    "keep: 100\n"
	    "keep_days: 30\n"
	    "exit_idle_time: 30\n"
	    "projects:\n"
	    "  web: {jobs: 1}\n"
	    "  lib:\n"
	    "    jobs: 2\n", &c));
	cr_assert_str_eq(c.socket, "/run/x/s.sock");
	cr_assert_str_eq(c.state_dir, "/var/tmp/st");
	cr_assert_str_eq(c.podman, "unix:///run/p.sock");
	cr_assert_str_eq(c.network, "none");
	cr_assert_eq(c.jobs, 3);
	cr_assert_eq(c.grace_s, 0);
	cr_assert_eq(c.log_cap, 64 << 20);
	cr_assert_eq(c.keep, 100);
	cr_assert_eq(c.keep_days, 30);
	cr_assert_eq(c.exit_idle_s, 30);
	cr_assert_eq(c.nprojects, 2);
	cr_assert_str_eq(c.projects[0].name, "web");
	cr_assert_eq(c.projects[0].jobs, 1);
	cr_assert_str_eq(c.projects[1].name, "lib");
	cr_assert_eq(c.projects[1].jobs, 2);
	conffile_free(&c);
	cr_assert_null(c.socket);
}

Test(conffile, empty_file_is_all_defaults)
{
	struct conffile	 c;

	cr_assert_null(parse("", &c));
	cr_assert_null(c.socket);
	cr_assert_eq(c.jobs, -1);
	cr_assert_eq(c.grace_s, -1);
	cr_assert_eq(c.log_cap, -1);
	cr_assert_eq(c.keep, -1);
	cr_assert_eq(c.keep_days, -1);
	conffile_free(&c);
	cr_assert_null(parse("# only a comment\n", &c));
	conffile_free(&c);
}

Test(conffile, sizes)
{
	struct conffile	 c;

	cr_assert_null(parse("log_cap: 1048576\n", &c));
	cr_assert_eq(c.log_cap, 1048576);
	conffile_free(&c);
	cr_assert_null(parse("log_cap: 2k\n", &c));
	cr_assert_eq(c.log_cap, 2048);
	conffile_free(&c);
	cr_assert_null(parse("log_cap: 1G\n", &c));
	cr_assert_eq(c.log_cap, 1 << 30);
	conffile_free(&c);
}

Test(conffile, unknown_key_at_its_position)
{
	struct conffile	 c;
	const char	*want = "t.yml:3:1: unknown key 'sokcet' (known: "
	    "socket, state_dir, podman, network, jobs, grace, log_cap, keep, "
	    "keep_days, ";
	char		*cause;

	/* The list goes on with keys added later; its head is fixed. */
	cause = parse("jobs: 2\n  \nsokcet: /x\n", &c);
	cr_assert_not_null(cause);
	cr_assert_eq(strncmp(cause, want, strlen(want)), 0, "%s", cause);
	cr_assert_not_null(strstr(cause, "exit_idle_time"), "%s", cause);
	cr_assert_not_null(strstr(cause, "projects)"), "%s", cause);
	free(cause);
	cr_assert_null(c.socket);
}

Test(conffile, remote_listener_keys)
{
	struct conffile	 c;
	char		*cause;

	cause = parse("listen: 127.0.0.1:8420\ntls_cert: /c.pem\n"
	    "tls_key: /k.pem\ntokens: /t\n", &c);
	cr_assert_null(cause, "%s", cause);
	cr_assert_str_eq(c.listen, "127.0.0.1:8420");
	cr_assert_str_eq(c.tls_cert, "/c.pem");
	cr_assert_str_eq(c.tls_key, "/k.pem");
	cr_assert_str_eq(c.tokens, "/t");
	conffile_free(&c);
}

Test(conffile, wrong_types_at_the_value)
{
	expect_error("keep_days: -1\n",
	    "t.yml:1:12: keep_days: expected a whole number from 0 to 36500");
	expect_error("jobs: many\n",
	    "t.yml:1:7: jobs: expected a whole number from 1 to 1024");
	expect_error("grace: 5\njobs: 0\n",
	    "t.yml:2:7: jobs: expected a whole number from 1 to 1024");
	expect_error("socket: [a, b]\n",
	    "t.yml:1:9: socket: expected a string");
	expect_error("log_cap: lots\n",
	    "t.yml:1:10: log_cap: expected a size in bytes, optionally with "
	    "K, M or G (at most 1T)");
	expect_error("grace: -1\n",
	    "t.yml:1:8: grace: expected a whole number from 0 to 86400");
}

Test(conffile, projects_errors)
{
	expect_error("projects: 3\n",
	    "t.yml:1:11: projects: expected a mapping of project names");
	expect_error("projects:\n  web:\n    jobz: 1\n",
	    "t.yml:3:5: projects: web: unknown key 'jobz' (known: jobs)");
	expect_error("projects:\n  web: {jobs: 0}\n",
	    "t.yml:2:15: jobs: expected a whole number from 1 to 1024");
	expect_error("projects:\n  web: 1\n",
	    "t.yml:2:8: projects: web: expected a mapping");
}

Test(conffile, duplicate_key)
{
	expect_error("jobs: 1\ngrace: 2\njobs: 3\n",
	    "t.yml:3:1: 'jobs' is set twice");
}

Test(conffile, not_a_mapping)
{
	expect_error("- jobs: 1\n",
	    "t.yml:1:1: expected a mapping of settings (key: value)");
}

Test(conffile, yaml_syntax_error_position)
{
	struct conffile	 c;
	char		*cause;

	cause = parse("jobs: 2\nsocket: \"unterminated\n", &c);
	cr_assert_not_null(cause);
	cr_assert(strncmp(cause, "t.yml:3:1: ", 11) == 0, "got %s", cause);
	free(cause);
	cause = parse("jobs: 2\n grace: 1\n", &c);
	cr_assert_not_null(cause);
	cr_assert(strncmp(cause, "t.yml:2:7: ", 11) == 0, "got %s", cause);
	free(cause);
}

Test(conffile, load_missing_and_present)
{
	struct conffile	 c;
	char		 path[] = "/tmp/stratus-conffile.XXXXXX";
	char		*cause = NULL;
	int		 fd;

	cr_assert_eq(conffile_load("/nonexistent/stratusd.yml", 0, &c,
	    &cause), 1);
	cr_assert_eq(conffile_load("/nonexistent/stratusd.yml", 1, &c,
	    &cause), -1);
	cr_assert_str_eq(cause, "/nonexistent/stratusd.yml: No such file or "
	    "directory");
	free(cause);
	cause = NULL;

	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_eq(write(fd, "jobs: 4\n", 8), 8);
	close(fd);
	cr_assert_eq(conffile_load(path, 1, &c, &cause), 0);
	cr_assert_eq(c.jobs, 4);
	cr_assert_str_eq(c.path, path);
	conffile_free(&c);
	unlink(path);
}

Test(conffile, default_path_follows_xdg)
{
	char	*p;

	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	p = conffile_default_path();
	cr_assert_str_eq(p, "/x/conf/stratus/stratusd.yml");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = conffile_default_path();
	cr_assert_str_eq(p, "/home/u/.config/stratus/stratusd.yml");
	free(p);
}
