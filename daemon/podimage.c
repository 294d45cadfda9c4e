/* podimage.c -- Podman images: exists, pull, build. */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/podman.h"
#include "daemon/podman_int.h"
#include "proto/util.h"

/* GET /images/{name}/exists: 204 yes, 404 no. */
int
podman_image_exists(struct podman *p, const char *image, int *exists,
    char **cause)
{
	struct reply	 r;
	char		*name, *path, *what;
	int		 ret = -1;

	name = podman_escape(image, "/:@");
	path = xasprintf("/images/%s/exists", name);
	what = xasprintf("image exists %s", image);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, &r,
	    what, cause) != 0)
		goto out;
	if (r.status == 204)
		*exists = 1;
	else if (r.status == 404)
		*exists = 0;
	else {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.body);
	free(what);
	free(path);
	free(name);
	return (ret);
}

/* GET /images/{name}/json: its "Id", or 404. */
int
podman_image_id(struct podman *p, const char *image, char **id,
    char **cause)
{
	struct reply	 r;
	cJSON		*j = NULL;
	const cJSON	*v;
	char		*name, *path, *what;
	int		 ret = -1;

	*id = NULL;
	name = podman_escape(image, "/:@");
	path = xasprintf("/images/%s/json", name);
	what = xasprintf("image inspect %s", image);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, &r,
	    what, cause) != 0)
		goto out;
	if (r.status == 404) {
		ret = 0;
		goto out;
	}
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	if (r.body.len == 0 || (j = cJSON_ParseWithLength(r.body.data,
	    r.body.len)) == NULL ||
	    !cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(j, "Id")) ||
	    v->valuestring == NULL || *v->valuestring == '\0') {
		*cause = xasprintf("%s: an answer without an Id", what);
		goto out;
	}
	*id = xstrdup(v->valuestring);
	ret = 0;
out:
	cJSON_Delete(j);
	buf_free(&r.body);
	free(what);
	free(path);
	free(name);
	return (ret);
}

/* State of a pull while its JSON lines arrive. */
struct pull {
	void	(*cb)(const char *, void *);
	void	*arg;
	char	*error;		/* last {"error"}, owned */
	int	 done;		/* {"images"} or {"id"} seen */
};

/* One JSON line of pull progress. */
static int
podman_pull_line(char *line, void *arg)
{
	struct pull	*pl = arg;
	cJSON		*j;
	const cJSON	*v;
	size_t		 n;

	if ((j = cJSON_Parse(line)) == NULL)
		return (0);	/* not JSON: ignore */
	v = cJSON_GetObjectItemCaseSensitive(j, "stream");
	if (cJSON_IsString(v) && v->valuestring != NULL && pl->cb != NULL) {
		n = strlen(v->valuestring);
		while (n > 0 && v->valuestring[n - 1] == '\n')
			v->valuestring[--n] = '\0';
		pl->cb(v->valuestring, pl->arg);
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(v) && v->valuestring != NULL) {
		free(pl->error);
		pl->error = xstrdup(v->valuestring);
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "id") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(j, "images") != NULL)
		pl->done = 1;
	cJSON_Delete(j);
	return (0);
}

/*
 * POST path (with a body typed by hdrs, or none) whose answer is JSON
 * progress lines; their "stream" text goes to cb.  -1 with the last
 * "error" line, or when need_result and no line carried a result.
 */
static int
podman_progress(struct podman *p, const char *path, struct curl_slist *hdrs,
    const void *body, size_t len, void (*cb)(const char *, void *), void *arg,
    int need_result, const char *what, char **cause)
{
	struct reply	 r;
	struct pull	 pl;
	int		 ret = -1;

	memset(&pl, 0, sizeof pl);
	pl.cb = cb;
	pl.arg = arg;
	podman_reply_init(&r, PODMAN_LINE_MAX);
	r.line_cb = podman_pull_line;
	r.line_arg = &pl;
	if (podman_request(p, "POST", path, hdrs, body, len, 0, 200, 0, &r,
	    what, cause) != 0)
		goto out;
	/* The last line may lack its newline. */
	if (r.body.len > 0)
		podman_pull_line(r.body.data, &pl);
	if (pl.error != NULL) {
		*cause = xasprintf("podman: %s: %s", what, pl.error);
		goto out;
	}
	if (need_result && !pl.done) {
		*cause = xasprintf("podman: %s: answer ended without a result",
		    what);
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.body);
	free(pl.error);
	return (ret);
}

/* POST /images/pull?policy=missing: always 200, result in the last line. */
int
podman_image_pull(struct podman *p, const char *image,
    void (*cb)(const char *, void *), void *arg, char **cause)
{
	char	*ref, *path, *what;
	int	 ret;

	ref = podman_escape(image, NULL);
	path = xasprintf("/images/pull?reference=%s&policy=missing", ref);
	what = xasprintf("pull %s", image);
	ret = podman_progress(p, path, NULL, NULL, 0, cb, arg, 1, what, cause);
	free(what);
	free(path);
	free(ref);
	return (ret);
}

/* POST /build with the context tar; output lines go to cb. */
int
podman_image_build(struct podman *p, const char *dockerfile,
    const char *tag, const char *const *buildargs, size_t nbuildargs,
    const void *tar, size_t len, void (*cb)(const char *, void *), void *arg,
    char **cause)
{
	cJSON		*args = NULL;
	char		*edf = NULL, *etag = NULL, *eargs = NULL, *js = NULL;
	char		*path = NULL, *what, *key;
	const char	*eq;
	size_t		 i;
	int		 ret = -1;

	what = xasprintf("build %s", tag);
	args = cJSON_CreateObject();
	for (i = 0; i < nbuildargs; i++) {
		if ((eq = strchr(buildargs[i], '=')) == NULL)
			continue;
		key = xstrndup(buildargs[i], (size_t)(eq - buildargs[i]));
		cJSON_AddStringToObject(args, key, eq + 1);
		free(key);
	}
	if ((js = cJSON_PrintUnformatted(args)) == NULL) {
		*cause = xasprintf("podman: %s: out of memory", what);
		goto out;
	}
	edf = podman_escape(dockerfile, NULL);
	etag = podman_escape(tag, NULL);
	eargs = podman_escape(js, NULL);
	path = xasprintf("/build?dockerfile=%s&t=%s&buildargs=%s&rm=true",
	    edf, etag, eargs);
	ret = podman_progress(p, path, p->tar_hdrs, tar, len, cb, arg, 0, what,
	    cause);
out:
	cJSON_Delete(args);
	free(js);
	free(path);
	free(eargs);
	free(etag);
	free(edf);
	free(what);
	return (ret);
}
