/* cmd_ws.c -- the artifacts, secret and cache commands, and --env-file. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd_ws.h"
#include "client/http.h"
#include "proto/api.h"
#include "proto/log.h"
#include "proto/util.h"

#define CMD_WS_ENV_FILE_MAX	(1u << 20)

static int
cmd_ws_usage(const char *name, const char *usage)
{
	fprintf(stderr, "usage: stratus %s %s\n", name, usage);
	return (CMD_EXIT_ERROR);
}

/* method path (freed here) with body; with --json, print the answer. */
static int
cmd_ws_call(struct cmd_global *g, const char *method, char *path,
    const cJSON *body)
{
	cJSON	*res = NULL;
	char	*cause = NULL;
	int	 rv;

	if (http_json(g->h, method, path, body, &res, &cause) != 0)
		rv = cmd_fail(g, cause);
	else
		rv = g->json ? cmd_print_json(res) : CMD_EXIT_OK;
	free(path);
	cJSON_Delete(res);
	return (rv);
}

/* A path from the daemon that must stay below the output directory. */
static int
cmd_ws_safe(const char *p)
{
	const char	*s;

	if (*p == '\0' || *p == '/')
		return (0);
	for (s = p; s != NULL; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return (0);
	}
	return (1);
}

/* Percent-encode each segment of a path, keeping its slashes. */
static char *
cmd_ws_escape_path(const char *path)
{
	struct buf	 b;
	char		*seg, *e;
	size_t		 n;

	buf_init(&b, 0);
	while (*path != '\0') {
		n = strcspn(path, "/");
		seg = xstrndup(path, n);
		e = http_escape(seg);
		buf_addstr(&b, e);
		free(e);
		free(seg);
		path += n;
		if (*path == '/') {
			buf_addstr(&b, "/");
			path++;
		}
	}
	return (buf_steal(&b, NULL));
}

struct cmd_ws_dl {
	FILE	*f;
	int	 error;
};

static int
cmd_ws_dl_write(const char *s, size_t n, void *arg)
{
	struct cmd_ws_dl	*d = arg;

	if (fwrite(s, 1, n, d->f) != n) {
		d->error = errno;
		return (1);
	}
	return (0);
}

/* GET path into file (directories made as needed). */
static int
cmd_ws_download(struct http *h, const char *path, const char *file,
    char **cause)
{
	struct http_multi	*m;
	struct http_done	 done;
	struct cmd_ws_dl	 d;
	char			*dir, *slash;
	int			 r, rv = -1;

	dir = xstrdup(file);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (*dir != '\0' && mkdir_p(dir, 0755) != 0) {
			*cause = xasprintf("%s: %s", dir, strerror(errno));
			free(dir);
			return (-1);
		}
	}
	free(dir);
	memset(&d, 0, sizeof d);
	if ((d.f = fopen(file, "wb")) == NULL) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		return (-1);
	}
	memset(&done, 0, sizeof done);
	m = http_multi_new(h);
	if (http_multi_add(m, path, cmd_ws_dl_write, &d, cause) != 0)
		goto out;
	while ((r = http_multi_poll(m, 1000, cause)) > 0)
		;
	if (r < 0)
		goto out;
	if (http_multi_next(m, &done) != 1 || !done.complete) {
		*cause = done.cause != NULL ? done.cause :
		    xasprintf("%s: download failed", path);
		done.cause = NULL;
		goto out;
	}
	if (d.error != 0) {
		*cause = xasprintf("%s: %s", file, strerror(d.error));
		goto out;
	}
	rv = 0;
out:
	free(done.cause);
	http_multi_free(m);
	if (fclose(d.f) != 0 && rv == 0) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		rv = -1;
	}
	return (rv);
}

/* stratus artifacts JOB [TASK] [-o DIR] */
int
cmd_artifacts(struct cmd_global *g, int argc, char **argv)
{
	static const char	*usage = "JOB [TASK] [-o DIR]";
	const char		*jid = NULL, *task = NULL, *dir = NULL;
	int			 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, "+o:h")) != -1) {
		if (ch == 'o')
			dir = optarg;
		else
			return (cmd_ws_usage(argv[0], usage));
	}
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "-o") == 0 && optind + 1 < argc)
			dir = argv[++optind];
		else if (jid == NULL)
			jid = argv[optind];
		else if (task == NULL)
			task = argv[optind];
		else
			return (cmd_ws_usage(argv[0], usage));
	}
	if (jid == NULL)
		return (cmd_ws_usage(argv[0], usage));
	return (cmd_artifacts_get(g, jid, task, dir, 0));
}

int
cmd_artifacts_get(struct cmd_global *g, const char *jid, const char *task,
    const char *dir, int quiet)
{
	cJSON			*job = NULL, *out = NULL, *t, *a, *f, *o;
	const cJSON		*name, *path, *size;
	char			*p = NULL, *cause = NULL, *file, *ej, *et, *ep;
	int			 rv = CMD_EXIT_ERROR, n = 0;

	ej = http_escape(jid);
	p = xasprintf("%s/jobs/%s", API_PREFIX, ej);
	if (http_json(g->h, "GET", p, NULL, &job, &cause) != 0) {
		free(ej);
		free(p);
		return (cmd_fail(g, cause));
	}
	free(p);
	p = NULL;
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(job, "tasks")) {
		name = cJSON_GetObjectItemCaseSensitive(t, "name");
		if (!cJSON_IsString(name) || (task != NULL &&
		    strcmp(task, name->valuestring) != 0))
			continue;
		n++;
		a = cJSON_GetObjectItemCaseSensitive(t, "artifacts");
		cJSON_ArrayForEach(f, a) {
			path = cJSON_GetObjectItemCaseSensitive(f, "path");
			size = cJSON_GetObjectItemCaseSensitive(f, "size");
			if (!cJSON_IsString(path) || !cJSON_IsNumber(size))
				continue;
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "task", name->valuestring);
			cJSON_AddStringToObject(o, "path", path->valuestring);
			cJSON_AddNumberToObject(o, "size", size->valuedouble);
			cJSON_AddItemToArray(out, o);
			if (dir == NULL)
				continue;
			if (!cmd_ws_safe(path->valuestring)) {
				fprintf(stderr, "stratus: refusing artifact "
				    "path '%s'\n", path->valuestring);
				continue;
			}
			file = task != NULL ? xasprintf("%s/%s", dir,
			    path->valuestring) : xasprintf("%s/%s/%s", dir,
			    name->valuestring, path->valuestring);
			et = http_escape(name->valuestring);
			ep = cmd_ws_escape_path(path->valuestring);
			p = xasprintf("%s/jobs/%s/tasks/%s/artifacts/%s",
			    API_PREFIX, ej, et, ep);
			free(et);
			free(ep);
			if (cmd_ws_download(g->h, p, file, &cause) != 0) {
				free(file);
				free(p);
				free(ej);
				rv = cmd_fail(g, cause);
				goto out;
			}
			free(p);
			p = NULL;
			if (!g->json && !quiet)
				printf("%s\n", file);
			free(file);
		}
	}
	free(ej);
	if (task != NULL && n == 0) {
		fprintf(stderr, "stratus: job %s has no task '%s'\n", jid,
		    task);
		goto out;
	}
	if (quiet) {
		if (!g->json)
			fprintf(stderr, "stratus: %d artifact(s) in %s\n",
			    cJSON_GetArraySize(out), dir);
		rv = CMD_EXIT_OK;
	} else if (g->json) {
		if ((o = cJSON_CreateObject()) == NULL)
			fatalx("out of memory");
		cJSON_AddItemReferenceToObject(o, "artifacts", out);
		rv = cmd_print_json(o);
		cJSON_Delete(o);
	} else {
		if (dir == NULL) {
			cJSON_ArrayForEach(o, out) {
				printf("%-16s %10.0f  %s\n",
				    cJSON_GetObjectItem(o, "task")->valuestring,
				    cJSON_GetObjectItem(o, "size")->valuedouble,
				    cJSON_GetObjectItem(o, "path")->valuestring);
			}
		}
		rv = CMD_EXIT_OK;
	}
out:
	cJSON_Delete(out);
	cJSON_Delete(job);
	return (rv);
}

/* The value of a secret from stdin: one trailing newline dropped. */
static char *
cmd_secret_read(char **cause)
{
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;

	buf_init(&b, 64u << 10);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (buf_add(&b, chunk, n) != 0) {
			buf_free(&b);
			*cause = xstrdup("secret longer than 64 KiB");
			return (NULL);
		}
	}
	if (ferror(stdin)) {
		buf_free(&b);
		*cause = xasprintf("stdin: %s", strerror(errno));
		return (NULL);
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}

/* stratus secret set NAME | ls | rm NAME */
int
cmd_secret(struct cmd_global *g, int argc, char **argv)
{
	static const char	*usage = "set NAME (value on stdin) | ls | rm NAME";
	cJSON			*body = NULL, *res = NULL, *it;
	char			*value, *cause = NULL, *p, *en;
	int			 rv = CMD_EXIT_ERROR;

	if (argc == 3 && strcmp(argv[1], "set") == 0) {
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "value of %s (end with Ctrl-D): ",
			    argv[2]);
		if ((value = cmd_secret_read(&cause)) == NULL)
			return (cmd_fail(g, cause));
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "name", argv[2]);
		cJSON_AddStringToObject(body, "value", value);
		explicit_bzero(value, strlen(value));
		free(value);
		rv = cmd_ws_call(g, "PUT", xasprintf("%s/secrets", API_PREFIX),
		    body);
	} else if (argc == 2 && strcmp(argv[1], "ls") == 0) {
		p = xasprintf("%s/secrets", API_PREFIX);
		if (http_json(g->h, "GET", p, NULL, &res, &cause) != 0)
			rv = cmd_fail(g, cause);
		else if (g->json)
			rv = cmd_print_json(res);
		else {
			cJSON_ArrayForEach(it,
			    cJSON_GetObjectItemCaseSensitive(res, "secrets")) {
				if (cJSON_IsString(it))
					printf("%s\n", it->valuestring);
			}
			rv = CMD_EXIT_OK;
		}
		free(p);
	} else if (argc == 3 && strcmp(argv[1], "rm") == 0) {
		en = http_escape(argv[2]);
		rv = cmd_ws_call(g, "DELETE", xasprintf("%s/secrets/%s",
		    API_PREFIX, en), NULL);
		free(en);
	} else
		rv = cmd_ws_usage(argv[0], usage);
	cJSON_Delete(body);
	cJSON_Delete(res);
	return (rv);
}

/* stratus cache ls | rm KEY [--project P] */
int
cmd_cache(struct cmd_global *g, int argc, char **argv)
{
	static const char	*usage = "ls | rm KEY [--project P]";
	cJSON			*res = NULL, *it;
	char			*cause = NULL, *p, *ek, *ep;
	int			 rv = CMD_EXIT_ERROR;

	if (argc == 2 && strcmp(argv[1], "ls") == 0) {
		p = xasprintf("%s/caches", API_PREFIX);
		if (http_json(g->h, "GET", p, NULL, &res, &cause) != 0)
			rv = cmd_fail(g, cause);
		else if (g->json)
			rv = cmd_print_json(res);
		else {
			cJSON_ArrayForEach(it,
			    cJSON_GetObjectItemCaseSensitive(res, "caches")) {
				printf("%-20s %10.0f  %s\n",
				    cJSON_GetObjectItem(it, "project")->valuestring,
				    cJSON_GetObjectItem(it, "size")->valuedouble,
				    cJSON_GetObjectItem(it, "key")->valuestring);
			}
			rv = CMD_EXIT_OK;
		}
		free(p);
	} else if ((argc == 3 || (argc == 5 &&
	    strcmp(argv[3], "--project") == 0)) && strcmp(argv[1], "rm") == 0) {
		ek = http_escape(argv[2]);
		if (argc == 5) {
			ep = http_escape(argv[4]);
			p = xasprintf("%s/caches/%s?project=%s", API_PREFIX, ek,
			    ep);
			free(ep);
		} else
			p = xasprintf("%s/caches/%s", API_PREFIX, ek);
		free(ek);
		rv = cmd_ws_call(g, "DELETE", p, NULL);
	} else
		rv = cmd_ws_usage(argv[0], usage);
	cJSON_Delete(res);
	return (rv);
}

int
cmd_env_file(const char *path, cJSON *env, struct tf_env *tfenv,
    char **cause)
{
	char	*text, *line, *next, *eq, *key, *v;
	size_t	 len, n;
	int	 lineno = 0, rv = -1;

	if ((text = read_file(path, CMD_WS_ENV_FILE_MAX, &len)) == NULL) {
		*cause = xasprintf("--env-file %s: %s", path, strerror(errno));
		return (-1);
	}
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		if ((eq = strchr(line, '=')) == NULL || eq == line) {
			*cause = xasprintf("%s:%d: want KEY=VALUE", path,
			    lineno);
			goto out;
		}
		key = xstrndup(line, (size_t)(eq - line));
		v = eq + 1;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (cJSON_GetObjectItemCaseSensitive(env, key) == NULL) {
			cJSON_AddStringToObject(env, key, v);
			tf_env_set(tfenv, key, v);
		}
		free(key);
	}
	rv = 0;
out:
	free(text);
	return (rv);
}
