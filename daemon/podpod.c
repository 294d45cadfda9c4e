/* podpod.c -- Podman pods (one network for a task's containers) and exec,
 * over the libpod REST API. */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/podman.h"
#include "daemon/podman_int.h"
#include "daemon/podpod.h"
#include "proto/frame.h"
#include "proto/log.h"
#include "proto/util.h"

#define PODPOD_ERROR_MAX	(64u << 10)	/* cap on an exec error body */

/* Path "/pods/{id}{suffix}", escaped; caller frees. */
static char *
podpod_path(const char *id, const char *suffix)
{
	char	*eid, *s;

	eid = podman_escape(id, NULL);
	s = xasprintf("/pods/%s%s", eid, suffix);
	free(eid);
	return (s);
}

/* Add "k=v" strings as members of obj (a bare "k" has value ""). */
static void
podpod_labels(cJSON *obj, const char *const *kv)
{
	const char	*eq;
	char		*k;

	for (; kv != NULL && *kv != NULL; kv++) {
		if ((eq = strchr(*kv, '=')) == NULL) {
			podman_jcheck(cJSON_AddStringToObject(obj, *kv, ""));
			continue;
		}
		k = xstrndup(*kv, eq - *kv);
		podman_jcheck(cJSON_AddStringToObject(obj, k, eq + 1));
		free(k);
	}
}

/* The "Id" of a create answer, the caller's; NULL when there is none. */
static char *
podpod_id(const struct buf *body)
{
	cJSON		*j;
	const cJSON	*v;
	char		*id = NULL;

	j = cJSON_ParseWithLength(body->data != NULL ? body->data : "",
	    body->len);
	v = cJSON_GetObjectItemCaseSensitive(j, "Id");
	if (cJSON_IsString(v) && v->valuestring != NULL &&
	    *v->valuestring != '\0')
		id = xstrdup(v->valuestring);
	cJSON_Delete(j);
	return (id);
}

/* POST /pods/create: 201 {"Id"}. */
int
podman_pod_create(struct podman *p, const char *const *labels,
    const char *netns, char **id, char **cause)
{
	struct reply	 r;
	cJSON		*j, *o;
	char		*body;
	const char	*what = "create pod";
	int		 ret = -1;

	*id = NULL;
	j = podman_jcheck(cJSON_CreateObject());
	o = podman_jcheck(cJSON_AddObjectToObject(j, "labels"));
	podpod_labels(o, labels);
	if (netns != NULL) {
		o = podman_jcheck(cJSON_AddObjectToObject(j, "netns"));
		podman_jcheck(cJSON_AddStringToObject(o, "nsmode", netns));
	}
	if ((body = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("cJSON: out of memory");
	cJSON_Delete(j);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_request(p, "POST", "/pods/create", p->json_hdrs, body,
	    strlen(body), PODMAN_CALL_S, 201, 0, &r, what, cause) != 0)
		goto out;
	if ((*id = podpod_id(&r.body)) == NULL) {
		*cause = xasprintf("podman: %s: answer has no Id", what);
		goto out;
	}
	ret = 0;
out:
	cJSON_free(body);
	buf_free(&r.body);
	return (ret);
}

/* Kill (200; 409 when nothing runs), then DELETE ?force=true (200); 404
 * from either is a pod already gone. */
int
podman_pod_remove(struct podman *p, const char *id, char **cause)
{
	struct reply	 r;
	char		*path, *what, sid[PODMAN_SID];
	int		 ret = -1;

	what = xasprintf("remove pod %s", podman_short(id, sid, sizeof sid));
	path = podpod_path(id, "/kill?signal=KILL");
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, "POST", path, NULL, NULL, 0, PODMAN_CALL_S, &r,
	    what, cause) != 0)
		goto out;
	if (r.status != 200 && r.status != 409 && r.status != 404) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	free(path);
	path = podpod_path(id, "?force=true");
	ret = podman_simple(p, "DELETE", path, PODMAN_CALL_S, 200, 404, what,
	    cause);
out:
	buf_free(&r.body);
	free(path);
	free(what);
	return (ret);
}

void
podman_pods_free(struct podman_pod *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].task);
	}
	free(v);
}

/* GET /pods/json?filters={"label":[labels...]}. */
int
podman_pod_list(struct podman *p, const char *const *labels,
    struct podman_pod **out, size_t *nout, char **cause)
{
	struct reply		 r;
	struct podman_pod	*v = NULL;
	cJSON			*f, *a, *j = NULL;
	const cJSON		*e, *id, *task;
	char			*fs, *efs, *path;
	const char		*what = "list pods";
	size_t			 n = 0, i;
	int			 ret = -1;

	*out = NULL;
	*nout = 0;
	f = podman_jcheck(cJSON_CreateObject());
	a = podman_jcheck(cJSON_AddArrayToObject(f, "label"));
	for (i = 0; labels[i] != NULL; i++)
		cJSON_AddItemToArray(a,
		    podman_jcheck(cJSON_CreateString(labels[i])));
	if ((fs = cJSON_PrintUnformatted(f)) == NULL)
		fatalx("cJSON: out of memory");
	cJSON_Delete(f);
	efs = podman_escape(fs, NULL);
	cJSON_free(fs);
	path = xasprintf("/pods/json?filters=%s", efs);
	free(efs);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_request(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, 200,
	    0, &r, what, cause) != 0)
		goto out;
	j = cJSON_ParseWithLength(r.body.data != NULL ? r.body.data : "",
	    r.body.len);
	/* 4.3 answers [] when no pod matches; null would mean the same. */
	if (cJSON_IsNull(j)) {
		ret = 0;
		goto out;
	}
	if (!cJSON_IsArray(j)) {
		*cause = xasprintf("podman: %s: answer is not a list", what);
		goto out;
	}
	v = xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof *v);
	cJSON_ArrayForEach(e, j) {
		id = cJSON_GetObjectItemCaseSensitive(e, "Id");
		if (!cJSON_IsString(id) || id->valuestring == NULL)
			continue;
		task = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(e, "Labels"),
		    "stratus.task");
		v[n].id = xstrdup(id->valuestring);
		v[n].task = xstrdup(cJSON_IsString(task) &&
		    task->valuestring != NULL ? task->valuestring : "");
		n++;
	}
	*out = v;
	*nout = n;
	v = NULL;
	ret = 0;
out:
	podman_pods_free(v, n);
	cJSON_Delete(j);
	buf_free(&r.body);
	free(path);
	return (ret);
}

/* An attached exec's output: frames on 200, else the error body. */
struct podpod_exec {
	CURL			*easy;
	struct frame_decoder	 fd;
	podman_output_cb	 cb;
	void			*arg;
	struct buf		 err;
	int			 bad;		/* malformed or cb said stop */
};

static int
podpod_exec_frame(int stream, const char *s, size_t n, void *arg)
{
	struct podpod_exec	*x = arg;

	return (x->cb(stream, s, n, x->arg));
}

static size_t
podpod_exec_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct podpod_exec	*x = arg;
	size_t			 n = size * nmemb;
	long			 status = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status != 200) {
		buf_add(&x->err, ptr, n);	/* the message is at the start */
		return (n);
	}
	if (frame_feed(&x->fd, ptr, n, podpod_exec_frame, x) != 0) {
		x->bad = 1;
		return (0);
	}
	return (n);
}

/* POST /exec/{eid}/start {"Detach":false}: the output until it ends. */
static int
podpod_exec_start(struct podman *p, const char *eid, long timeout_s,
    struct podpod_exec *x, const char *what, char **cause)
{
	static const char	 body[] = "{\"Detach\":false}";
	char			 errbuf[CURL_ERROR_SIZE];
	char			*path, *e;
	long			 status = 0;
	CURLcode		 rc;
	int			 ret = -1;

	e = podman_escape(eid, NULL);
	path = xasprintf("/exec/%s/start", e);
	free(e);
	curl_easy_reset(p->easy);
	if (podman_setup(p, p->easy, "POST", path, p->json_hdrs, body,
	    sizeof body - 1, timeout_s, podpod_exec_write, x, errbuf, what,
	    cause) != 0)
		goto out;
	rc = curl_easy_perform(p->easy);
	if (x->bad) {
		*cause = xasprintf("podman: %s: malformed output", what);
		goto out;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		*cause = xasprintf("%s: still running after %ld s", what,
		    timeout_s);
		goto out;
	}
	if (rc != CURLE_OK) {
		*cause = podman_curl_cause(p, what, rc, errbuf);
		goto out;
	}
	if ((rc = curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE,
	    &status)) != CURLE_OK) {
		*cause = xasprintf("podman: %s: %s", what,
		    curl_easy_strerror(rc));
		goto out;
	}
	if (status != 200) {
		*cause = podman_status_cause(what, status, &x->err);
		goto out;
	}
	ret = 0;
out:
	free(path);
	return (ret);
}

int
podman_exec(struct podman *p, const char *id, const char *const *argv,
    long timeout_s, podman_output_cb cb, void *arg, int *exit_code,
    char **cause)
{
	struct podpod_exec	 x;
	struct reply		 r;
	cJSON			*j, *a;
	const cJSON		*v;
	char			*body = NULL, *path = NULL, *eid = NULL, *e;
	char			*what, sid[PODMAN_SID];
	int			 ret = -1;

	memset(&x, 0, sizeof x);
	x.easy = p->easy;
	x.cb = cb;
	x.arg = arg;
	frame_init(&x.fd);
	buf_init(&x.err, PODPOD_ERROR_MAX);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	what = xasprintf("exec %s in container %s", argv[0],
	    podman_short(id, sid, sizeof sid));

	j = podman_jcheck(cJSON_CreateObject());
	a = podman_jcheck(cJSON_AddArrayToObject(j, "Cmd"));
	for (; *argv != NULL; argv++)
		cJSON_AddItemToArray(a, podman_jcheck(cJSON_CreateString(*argv)));
	podman_jcheck(cJSON_AddTrueToObject(j, "AttachStdout"));
	podman_jcheck(cJSON_AddTrueToObject(j, "AttachStderr"));
	if ((body = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("cJSON: out of memory");
	cJSON_Delete(j);
	path = podman_cpath(id, "/exec");
	if (podman_request(p, "POST", path, p->json_hdrs, body, strlen(body),
	    PODMAN_CALL_S, 201, 0, &r, what, cause) != 0)
		goto out;
	if ((eid = podpod_id(&r.body)) == NULL) {
		*cause = xasprintf("podman: %s: answer has no Id", what);
		goto out;
	}
	if (podpod_exec_start(p, eid, timeout_s, &x, what, cause) != 0)
		goto out;

	/* Detached exec never tells its exit code in 4.3 (PODMAN.md);
	 * attached, it is there as soon as the output ended. */
	free(path);
	e = podman_escape(eid, NULL);
	path = xasprintf("/exec/%s/json", e);
	free(e);
	buf_reset(&r.body);
	if (podman_request(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, 200,
	    0, &r, what, cause) != 0)
		goto out;
	j = cJSON_ParseWithLength(r.body.data != NULL ? r.body.data : "",
	    r.body.len);
	v = cJSON_GetObjectItemCaseSensitive(j, "ExitCode");
	if (!cJSON_IsNumber(v) || v->valuedouble < INT_MIN ||
	    v->valuedouble > INT_MAX) {
		cJSON_Delete(j);
		*cause = xasprintf("podman: %s: answer has no ExitCode", what);
		goto out;
	}
	*exit_code = (int)v->valuedouble;
	cJSON_Delete(j);
	ret = 0;
out:
	cJSON_free(body);
	buf_free(&r.body);
	buf_free(&x.err);
	free(path);
	free(eid);
	free(what);
	return (ret);
}
