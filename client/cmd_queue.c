/* cmd_queue.c -- the projects, project, pause, resume and gc commands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/cmd_queue.h"
#include "client/http.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/util.h"

/* An integer member of o, or def when missing or not a number. */
static int
cmd_queue_int(const cJSON *o, const char *key, int def)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	return (cJSON_IsNumber(it) ? it->valueint : def);
}

/* One project as a line of the listing. */
static void
cmd_queue_print_project(const cJSON *p)
{
	const cJSON	*name = cJSON_GetObjectItemCaseSensitive(p, "name");
	char		 max[16];
	int		 m;

	if ((m = cmd_queue_int(p, "max_running", 0)) > 0)
		snprintf(max, sizeof max, "%d", m);
	else
		snprintf(max, sizeof max, "-");
	printf("%-24s %-11s %-6s %6d %7d %5d\n",
	    cJSON_IsString(name) ? name->valuestring : "?", max,
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "paused")) ?
	    "yes" : "no", cmd_queue_int(p, "queued", 0),
	    cmd_queue_int(p, "running", 0), cmd_queue_int(p, "jobs", 0));
}

/* Only -h/--help; returns -1 to go on, else the exit code. */
static int
cmd_queue_noopts(const char *name, int argc, char **argv, int *rv)
{
	static const struct option	 longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int				 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			*rv = cmd_help(name);
			return (0);
		}
		*rv = cmd_badopt(name, argc, argv);
		return (0);
	}
	return (-1);
}

/* stratus projects: every project with its settings and counts. */
int
cmd_projects(struct cmd_global *g, int argc, char **argv)
{
	cJSON		*ans = NULL;
	const cJSON	*arr, *p;
	char		*cause = NULL;
	int		 rv;

	if (cmd_queue_noopts("projects", argc, argv, &rv) == 0)
		return (rv);
	if (optind != argc)
		return (cmd_usage("projects", "unexpected argument '%s'",
		    argv[optind]));
	if (http_json(g->h, "GET", API_PREFIX "/projects", NULL, &ans,
	    &cause) != 0)
		return (cmd_fail(g, cause));
	if (g->json) {
		rv = cmd_print_json(ans);
		cJSON_Delete(ans);
		return (rv);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "paused")))
		printf("queue paused: nothing new starts until "
		    "'stratus resume'\n");
	printf("%-24s %-11s %-6s %6s %7s %5s\n", "PROJECT", "MAX_RUNNING",
	    "PAUSED", "QUEUED", "RUNNING", "JOBS");
	arr = cJSON_GetObjectItemCaseSensitive(ans, "projects");
	cJSON_ArrayForEach(p, arr)
		cmd_queue_print_project(p);
	cJSON_Delete(ans);
	return (CMD_EXIT_OK);
}

/* PUT /v1/projects/NAME with body (consumed); prints the project. */
static int
cmd_queue_put_project(struct cmd_global *g, const char *name, cJSON *body)
{
	cJSON	*ans = NULL;
	char	*path, *esc, *cause = NULL;
	int	 rv;

	esc = http_escape(name);
	path = xasprintf("%s/projects/%s", API_PREFIX, esc);
	free(esc);
	rv = http_json(g->h, "PUT", path, body, &ans, &cause);
	free(path);
	cJSON_Delete(body);
	if (rv != 0)
		return (cmd_fail(g, cause));
	if (g->json)
		rv = cmd_print_json(ans);
	else
		cmd_queue_print_project(ans);
	cJSON_Delete(ans);
	return (rv);
}

/* stratus project set NAME --max-running N|none */
int
cmd_project(struct cmd_global *g, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "max-running", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*max = NULL;
	cJSON				*body;
	int64_t				 n = 0;
	int				 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			max = optarg;
			break;
		case 'h':
			return (cmd_help("project"));
		default:
			return (cmd_badopt("project", argc, argv));
		}
	}
	if (optind + 2 != argc || strcmp(argv[optind], "set") != 0)
		return (cmd_usage("project", "wants 'set NAME'%s", ""));
	if (max == NULL)
		return (cmd_usage("project", "nothing to set%s", ""));
	if (strcmp(max, "none") != 0 &&
	    parse_int64(max, 0, 100000, &n) == -1)
		return (cmd_usage("project", "--max-running takes a number "
		    "(0 or none: no limit), not '%s'", max));
	if ((body = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(body, "max_running", (double)n) == NULL)
		fatalx("out of memory");
	return (cmd_queue_put_project(g, argv[optind + 1], body));
}

/* pause and resume, of the queue or of one project (--project). */
static int
cmd_queue_pause(struct cmd_global *g, const char *name, int argc,
    char **argv, int paused)
{
	static const struct option	 longopts[] = {
		{ "project", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*project = NULL;
	cJSON				*body, *ans = NULL;
	char				*cause = NULL;
	int				 ch, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			project = optarg;
			break;
		case 'h':
			return (cmd_help(name));
		default:
			return (cmd_badopt(name, argc, argv));
		}
	}
	if (optind != argc)
		return (cmd_usage(name, "unexpected argument '%s'",
		    argv[optind]));
	if (project != NULL) {
		if ((body = cJSON_CreateObject()) == NULL ||
		    cJSON_AddBoolToObject(body, "paused", paused) == NULL)
			fatalx("out of memory");
		return (cmd_queue_put_project(g, project, body));
	}
	if (http_json(g->h, "POST", paused ? API_PREFIX "/queue/pause" :
	    API_PREFIX "/queue/resume", NULL, &ans, &cause) != 0)
		return (cmd_fail(g, cause));
	if (g->json)
		rv = cmd_print_json(ans);
	else {
		printf("queue %s\n", paused ? "paused: running tasks go on, "
		    "nothing new starts" : "resumed");
		rv = CMD_EXIT_OK;
	}
	cJSON_Delete(ans);
	return (rv);
}

int
cmd_pause(struct cmd_global *g, int argc, char **argv)
{
	return (cmd_queue_pause(g, "pause", argc, argv, 1));
}

int
cmd_resume(struct cmd_global *g, int argc, char **argv)
{
	return (cmd_queue_pause(g, "resume", argc, argv, 0));
}

/* stratus gc: retention now. */
int
cmd_gc(struct cmd_global *g, int argc, char **argv)
{
	cJSON	*ans = NULL;
	char	*cause = NULL;
	int	 rv;

	if (cmd_queue_noopts("gc", argc, argv, &rv) == 0)
		return (rv);
	if (optind != argc)
		return (cmd_usage("gc", "unexpected argument '%s'",
		    argv[optind]));
	if (http_json(g->h, "POST", API_PREFIX "/gc", NULL, &ans,
	    &cause) != 0)
		return (cmd_fail(g, cause));
	if (g->json)
		rv = cmd_print_json(ans);
	else {
		printf("removed %d job(s) and %d snapshot(s)\n",
		    cmd_queue_int(ans, "jobs_removed", 0),
		    cmd_queue_int(ans, "blobs_removed", 0));
		rv = CMD_EXIT_OK;
	}
	cJSON_Delete(ans);
	return (rv);
}

char *
cmd_default_project(const char *cwd, const struct tf_env *git)
{
	const char	*name, *slash;

	if ((name = tf_env_get(git, "CIRRUS_REPO_NAME")) != NULL &&
	    *name != '\0' && strchr(name, '/') == NULL)
		return (xstrdup(name));
	slash = strrchr(cwd, '/');
	return (xstrdup(slash != NULL && slash[1] != '\0' ? slash + 1 :
	    "root"));
}
