/* podcontainer.c -- Podman containers: create, start, wait, stop, kill,
 * remove, list, inspect. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/podman.h"
#include "daemon/podman_int.h"
#include "proto/log.h"
#include "proto/util.h"

/* Add "k=v" strings as members of an object; -1 when one has no '='
 * and need_eq is set. */
static int
podman_add_pairs(cJSON *obj, const char *const *kv, int need_eq,
    const char *what, char **cause)
{
	const char	*eq;
	char		*k;

	for (; kv != NULL && *kv != NULL; kv++) {
		if ((eq = strchr(*kv, '=')) == NULL) {
			if (need_eq) {
				*cause = xasprintf("podman: create container: "
				    "%s \"%s\" has no '='", what, *kv);
				return (-1);
			}
			podman_jcheck(cJSON_AddStringToObject(obj, *kv, ""));
			continue;
		}
		k = xstrndup(*kv, eq - *kv);
		if (cJSON_GetObjectItemCaseSensitive(obj, k) != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
		podman_jcheck(cJSON_AddStringToObject(obj, k, eq + 1));
		free(k);
	}
	return (0);
}

/* Add one r_limits entry with soft = hard. */
static void
podman_add_rlimit(cJSON *arr, const char *type, int64_t v)
{
	cJSON	*o;

	o = podman_jcheck(cJSON_CreateObject());
	podman_jcheck(cJSON_AddStringToObject(o, "type", type));
	podman_jcheck(cJSON_AddNumberToObject(o, "soft", (double)v));
	podman_jcheck(cJSON_AddNumberToObject(o, "hard", (double)v));
	cJSON_AddItemToArray(arr, o);
}

/* Build the SpecGenerator JSON; caller frees with cJSON_free. */
static char *
podman_spec_json(const struct podman_spec *s, char **cause)
{
	cJSON		*j, *o, *a, *m, *lim;
	const char	*const *v;
	char		*out = NULL;
	size_t		 i;

	j = podman_jcheck(cJSON_CreateObject());
	podman_jcheck(cJSON_AddStringToObject(j, "image", s->image));
	if (s->name != NULL)
		podman_jcheck(cJSON_AddStringToObject(j, "name", s->name));
	if (s->command != NULL) {
		a = podman_jcheck(cJSON_AddArrayToObject(j, "command"));
		for (v = s->command; *v != NULL; v++)
			cJSON_AddItemToArray(a, podman_jcheck(cJSON_CreateString(*v)));
	}
	if (s->env != NULL) {
		o = podman_jcheck(cJSON_AddObjectToObject(j, "env"));
		if (podman_add_pairs(o, s->env, 1, "env entry", cause) != 0)
			goto out;
	}
	if (s->work_dir != NULL) {
		podman_jcheck(cJSON_AddStringToObject(j, "work_dir", s->work_dir));
		podman_jcheck(cJSON_AddTrueToObject(j, "create_working_dir"));
	}
	if (s->labels != NULL) {
		o = podman_jcheck(cJSON_AddObjectToObject(j, "labels"));
		if (podman_add_pairs(o, s->labels, 0, "label", cause) != 0)
			goto out;
	}
	if (s->pod != NULL)
		podman_jcheck(cJSON_AddStringToObject(j, "pod", s->pod));
	/* A netns of its own would leave the pod's network (localhost). */
	if (s->netns != NULL && s->pod == NULL) {
		o = podman_jcheck(cJSON_AddObjectToObject(j, "netns"));
		podman_jcheck(cJSON_AddStringToObject(o, "nsmode", s->netns));
	}
	if (s->nmounts > 0) {
		a = podman_jcheck(cJSON_AddArrayToObject(j, "mounts"));
		for (i = 0; i < s->nmounts; i++) {
			o = podman_jcheck(cJSON_CreateObject());
			cJSON_AddItemToArray(a, o);
			podman_jcheck(cJSON_AddStringToObject(o, "destination",
			    s->mounts[i].destination));
			podman_jcheck(cJSON_AddStringToObject(o, "type", "bind"));
			podman_jcheck(cJSON_AddStringToObject(o, "source",
			    s->mounts[i].source));
			m = podman_jcheck(cJSON_AddArrayToObject(o, "options"));
			cJSON_AddItemToArray(m,
			    podman_jcheck(cJSON_CreateString("rbind")));
			if (s->mounts[i].readonly)
				cJSON_AddItemToArray(m,
				    podman_jcheck(cJSON_CreateString("ro")));
		}
	}
	if (s->memory_bytes > 0 || s->cpu_quota > 0) {
		lim = podman_jcheck(cJSON_AddObjectToObject(j, "resource_limits"));
		if (s->memory_bytes > 0) {
			o = podman_jcheck(cJSON_AddObjectToObject(lim, "memory"));
			podman_jcheck(cJSON_AddNumberToObject(o, "limit",
			    (double)s->memory_bytes));
		}
		if (s->cpu_quota > 0) {
			o = podman_jcheck(cJSON_AddObjectToObject(lim, "cpu"));
			podman_jcheck(cJSON_AddNumberToObject(o, "quota",
			    (double)s->cpu_quota));
			podman_jcheck(cJSON_AddNumberToObject(o, "period", 100000));
		}
	}
	if (s->nofile > 0 || s->nproc > 0) {
		a = podman_jcheck(cJSON_AddArrayToObject(j, "r_limits"));
		if (s->nofile > 0)
			podman_add_rlimit(a, "nofile", s->nofile);
		if (s->nproc > 0)
			podman_add_rlimit(a, "nproc", s->nproc);
	}
	if (s->stop_timeout > 0)
		podman_jcheck(cJSON_AddNumberToObject(j, "stop_timeout",
		    s->stop_timeout));
	if ((out = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("cJSON: out of memory");
out:
	cJSON_Delete(j);
	return (out);
}

/* POST /containers/create: 201 {"Id","Warnings"}. */
int
podman_container_create(struct podman *p, const struct podman_spec *s,
    char **id, void (*warn_cb)(const char *, void *), void *arg,
    char **cause)
{
	struct reply	 r;
	cJSON		*j = NULL;
	const cJSON	*v, *w;
	char		*body;
	const char	*what = "create container";
	int		 ret = -1;

	*id = NULL;
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (s->image == NULL) {
		*cause = xasprintf("podman: %s: no image", what);
		return (-1);
	}
	if ((body = podman_spec_json(s, cause)) == NULL)
		return (-1);
	if (podman_request(p, "POST", "/containers/create", p->json_hdrs, body,
	    strlen(body), PODMAN_CALL_S, 201, 0, &r, what, cause) != 0)
		goto out;
	j = cJSON_ParseWithLength(r.body.data, r.body.len);
	v = cJSON_GetObjectItemCaseSensitive(j, "Id");
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    *v->valuestring == '\0') {
		*cause = xasprintf("podman: %s: answer has no Id", what);
		goto out;
	}
	w = cJSON_GetObjectItemCaseSensitive(j, "Warnings");
	cJSON_ArrayForEach(v, w) {
		if (cJSON_IsString(v) && v->valuestring != NULL &&
		    warn_cb != NULL)
			warn_cb(v->valuestring, arg);
	}
	*id = xstrdup(cJSON_GetObjectItemCaseSensitive(j, "Id")->valuestring);
	ret = 0;
out:
	cJSON_Delete(j);
	cJSON_free(body);
	buf_free(&r.body);
	return (ret);
}

/* A body-less call on /containers/{id}{suffix} whose only result is its
 * status, ok1 or ok2 (0: none); verb names it in a cause. */
static int
podman_container_call(struct podman *p, const char *method, const char *id,
    const char *suffix, long timeout_s, long ok1, long ok2, const char *verb,
    char **cause)
{
	char	*path, *what, sid[PODMAN_SID];
	int	 ret;

	path = podman_cpath(id, suffix);
	what = xasprintf("%s container %s", verb,
	    podman_short(id, sid, sizeof sid));
	ret = podman_simple(p, method, path, timeout_s, ok1, ok2, what, cause);
	free(what);
	free(path);
	return (ret);
}

/* POST start: 204, or 304 when already running. */
int
podman_container_start(struct podman *p, const char *id, char **cause)
{
	return (podman_container_call(p, "POST", id, "/start", PODMAN_CALL_S,
	    204, 304, "start", cause));
}

/* True for transfer errors that mean the service is gone. */
static int
podman_gone(CURLcode rc)
{
	return (rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING ||
	    rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_SEND_ERROR);
}

/* POST wait: 200 with the exit code as plain text.  *gone set when the
 * service could not be reached. */
int
podman_wait(struct podman *p, const char *id, int *exit_code, int *gone,
    char **cause)
{
	struct reply	 r;
	char		*path, *what, *end, sid[PODMAN_SID];
	long		 v;
	int		 ret = -1;

	path = podman_cpath(id,
	    "/wait?condition=exited&condition=stopped&interval=10ms");
	what = xasprintf("wait for container %s",
	    podman_short(id, sid, sizeof sid));
	podman_reply_init(&r, 4096);
	if (podman_call(p, "POST", path, NULL, NULL, 0, 0, &r, what,
	    cause) != 0) {
		*gone = podman_gone(r.rc);
		goto out;
	}
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	errno = 0;
	v = r.body.data != NULL ? strtol(r.body.data, &end, 10) : 0;
	if (r.body.data == NULL || end == r.body.data || errno != 0 ||
	    v < INT_MIN || v > INT_MAX ||
	    end[strspn(end, " \t\r\n")] != '\0') {
		*cause = xasprintf("podman: %s: bad exit code \"%.40s\"",
		    what, r.body.data != NULL ? r.body.data : "");
		goto out;
	}
	*exit_code = (int)v;
	ret = 0;
out:
	buf_free(&r.body);
	free(what);
	free(path);
	return (ret);
}

/* Wait until exited or stopped. */
int
podman_container_wait(struct podman *p, const char *id, int *exit_code,
    char **cause)
{
	int	gone = 0;

	return (podman_wait(p, id, exit_code, &gone, cause));
}

/* POST stop?timeout=N: 204, or 304 when already stopped. */
int
podman_container_stop(struct podman *p, const char *id, int timeout_s,
    char **cause)
{
	char	*suffix;
	int	 ret;

	if (timeout_s < 0)
		timeout_s = 0;
	suffix = xasprintf("/stop?timeout=%d", timeout_s);
	ret = podman_container_call(p, "POST", id, suffix,
	    PODMAN_CALL_S + timeout_s, 204, 304, "stop", cause);
	free(suffix);
	return (ret);
}

/* POST kill?signal=S: 204. */
int
podman_container_kill(struct podman *p, const char *id, const char *signal,
    char **cause)
{
	char	*sig, *suffix;
	int	 ret;

	sig = podman_escape(signal, NULL);
	suffix = xasprintf("/kill?signal=%s", sig);
	ret = podman_container_call(p, "POST", id, suffix, PODMAN_CALL_S, 204,
	    0, "kill", cause);
	free(suffix);
	free(sig);
	return (ret);
}

/* DELETE ?force=true&volumes=true: 200, and 404 is fine too. */
int
podman_container_remove(struct podman *p, const char *id, char **cause)
{
	return (podman_container_call(p, "DELETE", id,
	    "?force=true&volumes=true", PODMAN_CALL_S, 200, 404, "remove",
	    cause));
}

/* Free the strings of one container, not the struct itself. */
void
podman_container_clear(struct podman_container *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->state);
	c->id = c->state = NULL;
}

/* Free a list from podman_container_list. */
void
podman_containers_free(struct podman_container *c, size_t n)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++)
		podman_container_clear(&c[i]);
	free(c);
}

/* Copy a string member or "" when absent; caller frees. */
static char *
podman_jstr(const cJSON *o, const char *name)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsString(v) && v->valuestring != NULL)
		return (xstrdup(v->valuestring));
	return (xstrdup(""));
}

/* Integer member or 0 when absent. */
static int
podman_jint(const cJSON *o, const char *name)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsNumber(v) && v->valuedouble >= INT_MIN &&
	    v->valuedouble <= INT_MAX)
		return ((int)v->valuedouble);
	return (0);
}

/* GET /containers/json?all=true&filters={"label":[labels...]}. */
int
podman_container_list(struct podman *p, const char *const *labels,
    struct podman_container **out, size_t *nout, char **cause)
{
	struct reply		 r;
	struct podman_container	*c = NULL;
	cJSON			*f, *a, *j = NULL;
	const cJSON		*e;
	char			*fs, *efs, *path, *what;
	size_t			 n = 0, i;
	int			 ret = -1;

	*out = NULL;
	*nout = 0;
	f = podman_jcheck(cJSON_CreateObject());
	a = podman_jcheck(cJSON_AddArrayToObject(f, "label"));
	for (i = 0; labels[i] != NULL; i++)
		cJSON_AddItemToArray(a, podman_jcheck(cJSON_CreateString(labels[i])));
	if ((fs = cJSON_PrintUnformatted(f)) == NULL)
		fatalx("cJSON: out of memory");
	cJSON_Delete(f);
	efs = podman_escape(fs, NULL);
	cJSON_free(fs);
	path = xasprintf("/containers/json?all=true&filters=%s", efs);
	free(efs);
	what = xasprintf("list containers %s", labels[0] != NULL ? labels[0] :
	    "(all)");
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_request(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, 200,
	    0, &r, what, cause) != 0)
		goto out;
	j = cJSON_ParseWithLength(r.body.data, r.body.len);
	if (!cJSON_IsArray(j)) {
		*cause = xasprintf("podman: %s: answer is not a list", what);
		goto out;
	}
	n = cJSON_GetArraySize(j);
	c = xcalloc(n > 0 ? n : 1, sizeof *c);
	i = 0;
	cJSON_ArrayForEach(e, j) {
		if (i == n)
			break;
		c[i].id = podman_jstr(e, "Id");
		c[i].state = podman_jstr(e, "State");
		c[i].exit_code = podman_jint(e, "ExitCode");
		i++;
	}
	*out = c;
	*nout = i;
	c = NULL;
	ret = 0;
out:
	free(c);
	cJSON_Delete(j);
	buf_free(&r.body);
	free(what);
	free(path);
	return (ret);
}

/* GET /containers/{id}/json: 1 when there is no such container. */
int
podman_container_inspect(struct podman *p, const char *id,
    struct podman_container *c, char **cause)
{
	struct reply	 r;
	cJSON		*j = NULL;
	const cJSON	*st;
	char		*path, *what, sid[PODMAN_SID];
	int		 ret = -1;

	memset(c, 0, sizeof *c);
	path = podman_cpath(id, "/json");
	what = xasprintf("inspect container %s",
	    podman_short(id, sid, sizeof sid));
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, &r,
	    what, cause) != 0)
		goto out;
	/* 4.3 answers 500 "no such container" for one removed moments ago. */
	if (r.status == 404 || (r.status == 500 && r.body.data != NULL &&
	    strstr(r.body.data, "no such container") != NULL)) {
		ret = 1;
		goto out;
	}
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	j = cJSON_ParseWithLength(r.body.data, r.body.len);
	st = cJSON_GetObjectItemCaseSensitive(j, "State");
	if (!cJSON_IsObject(st)) {
		*cause = xasprintf("podman: %s: answer has no State", what);
		goto out;
	}
	c->id = podman_jstr(j, "Id");
	c->state = podman_jstr(st, "Status");
	c->exit_code = podman_jint(st, "ExitCode");
	c->pid = podman_jint(st, "Pid");
	ret = 0;
out:
	cJSON_Delete(j);
	buf_free(&r.body);
	free(what);
	free(path);
	return (ret);
}
