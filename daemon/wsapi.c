/* wsapi.c -- artifacts, secrets and caches over the HTTP API. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/apiresp.h"
#include "daemon/artifacts.h"
#include "daemon/cache.h"
#include "daemon/secrets.h"
#include "daemon/store.h"
#include "daemon/tarsafe.h"
#include "daemon/wsapi.h"
#include "proto/util.h"

int
wsapi_match(const char *rest)
{
	const char	*p;

	if (strcmp(rest, "/secrets") == 0 || strncmp(rest, "/secrets/", 9) == 0 ||
	    strcmp(rest, "/caches") == 0 || strncmp(rest, "/caches/", 8) == 0)
		return (1);
	if (strncmp(rest, "/jobs/", 6) != 0 ||
	    (p = strstr(rest, "/tasks/")) == NULL ||
	    (p = strchr(p + 7, '/')) == NULL)
		return (0);
	return (strcmp(p, "/artifacts") == 0 ||
	    strncmp(p, "/artifacts/", 11) == 0);
}

/* GET /jobs/{id}/tasks/{task}/artifacts[/{path}] */
static mhd_result
wsapi_artifacts(struct MHD_Connection *c, const char *state_dir,
    struct store *store, const char *rest)
{
	struct store_task	*t = NULL;
	const char		*seg, *slash, *path, *why;
	char			*tname = NULL, *root, *dir = NULL, *file = NULL;
	char			*cause = NULL, *data;
	int64_t			 job;
	size_t			 len;
	cJSON			*o;
	int			 r;
	mhd_result		 ret;

	seg = rest + 6;
	slash = strchr(seg, '/');
	tname = xstrndup(seg, (size_t)(slash - seg));
	r = parse_int64(tname, 1, INT64_MAX, &job);
	free(tname);
	if (r != 0) {
		return (apiresp_error(c, APIERR_NOT_FOUND, "bad job id"));
	}
	seg = slash + 7;
	slash = strchr(seg, '/');
	tname = xstrndup(seg, (size_t)(slash - seg));
	path = slash + 10;	/* "/artifacts" */
	root = xasprintf("%s/artifacts", state_dir);
	if ((r = store_task_find(store, job, tname, &t, &cause)) != 0) {
		if (r == 1)
			ret = apiresp_error(c, APIERR_NOT_FOUND, "no task %s in job %"
			    PRId64, tname, job);
		else
			ret = apiresp_error(c, APIERR_INTERNAL, "store: %s", cause);
		goto out;
	}
	if (*path == '\0') {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "task", (double)t->id);
		cJSON_AddStringToObject(o, "name", t->name);
		cJSON_AddNumberToObject(o, "attempt", t->attempt);
		cJSON_AddItemToObject(o, "artifacts", artifacts_list(root,
		    job, t->id, t->attempt));
		ret = apiresp_json(c, 200, o);
		goto out;
	}
	path++;
	if (tarsafe_check_name(path, &why) != 0) {
		ret = apiresp_error(c, APIERR_BAD_REQUEST, "artifact path: %s", why);
		goto out;
	}
	dir = artifacts_dir(root, job, t->id, t->attempt);
	file = xasprintf("%s/%s", dir, path);
	if ((data = read_file(file, ARTIFACTS_MAX_FILE, &len)) == NULL) {
		if (errno == ENOENT || errno == EISDIR || errno == ENOTDIR)
			ret = apiresp_error(c, APIERR_NOT_FOUND, "no artifact %s of "
			    "task %s", path, t->name);
		else
			ret = apiresp_error(c, APIERR_INTERNAL, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	ret = apiresp_send(c, 200, "application/octet-stream", data, len);
out:
	free(cause);
	free(file);
	free(dir);
	free(root);
	free(tname);
	store_task_free(t);
	return (ret);
}

static mhd_result
wsapi_secrets(struct MHD_Connection *c, const char *state_dir,
    const char *method, const char *rest, const char *body, size_t len)
{
	cJSON		*j = NULL, *o, *arr;
	const cJSON	*n, *v;
	char		*dir, *cause = NULL, **names = NULL;
	size_t		 i, nn = 0;
	int		 r;
	mhd_result	 ret;

	dir = xasprintf("%s/secrets", state_dir);
	if (strcmp(rest, "/secrets") == 0 && strcmp(method, "GET") == 0) {
		if (secrets_list(dir, &names, &nn, &cause) == -1) {
			ret = apiresp_error(c, APIERR_INTERNAL, "%s", cause);
			goto out;
		}
		o = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(o, "secrets");
		for (i = 0; i < nn; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
		ret = apiresp_json(c, 200, o);
	} else if (strcmp(rest, "/secrets") == 0 &&
	    strcmp(method, "PUT") == 0) {
		j = cJSON_ParseWithLength(body != NULL ? body : "", len);
		n = cJSON_GetObjectItemCaseSensitive(j, "name");
		v = cJSON_GetObjectItemCaseSensitive(j, "value");
		if (!cJSON_IsString(n) || !cJSON_IsString(v)) {
			ret = apiresp_error(c, APIERR_BAD_JSON, "want {\"name\": "
			    "string, \"value\": string}");
			goto out;
		}
		if (secrets_set(dir, n->valuestring, v->valuestring,
		    strlen(v->valuestring), &cause) == -1) {
			ret = apiresp_error(c, APIERR_BAD_REQUEST, "%s", cause);
			goto out;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", n->valuestring);
		ret = apiresp_json(c, 200, o);
	} else if (strncmp(rest, "/secrets/", 9) == 0 &&
	    strcmp(method, "DELETE") == 0) {
		if ((r = secrets_remove(dir, rest + 9, &cause)) == -1)
			ret = apiresp_error(c, APIERR_BAD_REQUEST, "%s", cause);
		else if (r == 1)
			ret = apiresp_error(c, APIERR_NOT_FOUND, "no secret %s",
			    rest + 9);
		else
			ret = apiresp_json(c, 200, cJSON_CreateObject());
	} else
		ret = apiresp_error(c, APIERR_METHOD, "use GET or PUT /v1/secrets, "
		    "DELETE /v1/secrets/NAME");
out:
	strv_free(names, nn);
	cJSON_Delete(j);
	free(cause);
	free(dir);
	return (ret);
}

static mhd_result
wsapi_caches(struct MHD_Connection *c, const char *state_dir,
    const char *method, const char *rest, const char *project)
{
	cJSON		*o;
	char		*root, *cause = NULL;
	int		 r;
	mhd_result	 ret;

	root = xasprintf("%s/caches", state_dir);
	if (strcmp(rest, "/caches") == 0 && strcmp(method, "GET") == 0) {
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "caches", cache_list(root));
		cJSON_AddNumberToObject(o, "budget", (double)cache_budget());
		ret = apiresp_json(c, 200, o);
	} else if (strncmp(rest, "/caches/", 8) == 0 &&
	    strcmp(method, "DELETE") == 0) {
		if ((r = cache_remove(root, project, rest + 8, &cause)) == 1)
			ret = apiresp_error(c, APIERR_NOT_FOUND, "no cache %s",
			    rest + 8);
		else if (r == -1)
			ret = apiresp_error(c, APIERR_INTERNAL, "%s", cause);
		else
			ret = apiresp_json(c, 200, cJSON_CreateObject());
	} else
		ret = apiresp_error(c, APIERR_METHOD, "use GET /v1/caches or DELETE "
		    "/v1/caches/KEY");
	free(cause);
	free(root);
	return (ret);
}

mhd_result
wsapi_handle(struct MHD_Connection *c, const char *state_dir,
    struct store *store, const char *method, const char *rest,
    const char *project, const char *body, size_t len)
{
	if (strncmp(rest, "/secrets", 8) == 0)
		return (wsapi_secrets(c, state_dir, method, rest, body, len));
	if (strncmp(rest, "/caches", 7) == 0)
		return (wsapi_caches(c, state_dir, method, rest, project));
	if (strcmp(method, "GET") != 0)
		return (apiresp_error(c, APIERR_METHOD, "use GET"));
	return (wsapi_artifacts(c, state_dir, store, rest));
}

void
wsapi_annotate_job(const char *state_dir, const struct store_job *j,
    cJSON *jobj)
{
	cJSON	*tasks, *t;
	char	*root;
	size_t	 i = 0;

	tasks = cJSON_GetObjectItemCaseSensitive(jobj, "tasks");
	if (!cJSON_IsArray(tasks))
		return;
	root = xasprintf("%s/artifacts", state_dir);
	cJSON_ArrayForEach(t, tasks) {
		if (i >= j->ntasks)
			break;
		cJSON_AddItemToObject(t, "artifacts", artifacts_list(root,
		    j->id, j->tasks[i].id, j->tasks[i].attempt));
		i++;
	}
	free(root);
}
