/* jobapi.c -- job submission over the HTTP API: parse, select, insert. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/api.h"
#include "daemon/apiresp.h"
#include "daemon/blobstore.h"
#include "daemon/events.h"
#include "daemon/jobapi.h"
#include "daemon/jobenv.h"
#include "daemon/jobjson.h"
#include "daemon/queueapi.h"
#include "daemon/scheduler.h"
#include "daemon/store.h"
#include "daemon/wsapi.h"
#include "proto/log.h"
#include "proto/taskfile.h"
#include "proto/tfjson.h"
#include "proto/util.h"

mhd_result
jobapi_show(const struct api_env *env, struct MHD_Connection *c, int64_t id,
    int status)
{
	struct store_job	*j = NULL;
	cJSON			*o;
	char			*cause = NULL;
	int			 r;

	if ((r = store_job_get(env->store, id, &j, &cause)) == -1)
		return (apiresp_store_error(c, cause));
	if (r == 1)
		return (apiresp_error(c, APIERR_NOT_FOUND, "no job %" PRId64, id));
	o = jobjson_job(j);
	wsapi_annotate_job(env->state_dir, j, o);
	r = apiresp_json(c, status, o);
	store_job_free(j);
	return (r);
}

/* Case-insensitive prefix match of a TASK argument against name or alias. */
static int
jobapi_task_matches(const struct tf_task *t, const char *want)
{
	size_t	 n = strlen(want);

	return (strncasecmp(t->name, want, n) == 0 ||
	    (t->alias != NULL && strncasecmp(t->alias, want, n) == 0));
}

/* Mark task i and (unless only) what it depends on as selected. */
static void
jobapi_select(const struct taskfile *tf, size_t i, int *sel, int only)
{
	size_t		 d, k;

	if (sel[i])
		return;
	sel[i] = 1;
	if (only)
		return;
	for (d = 0; d < tf->tasks[i].ndepends; d++) {
		for (k = 0; k < tf->ntasks; k++) {
			if (strcmp(tf->tasks[k].name,
			    tf->tasks[i].depends_on[d]) == 0)
				jobapi_select(tf, k, sel, 0);
		}
	}
}

/* Build and insert the job; answers the request.  tf and body are ours. */
static mhd_result
jobapi_insert(const struct api_env *env, struct MHD_Connection *c, cJSON *body,
    struct taskfile *tf, int *sel)
{
	struct store_new_job	 nj;
	struct store_new_task	*nt;
	const char	      ***names, ***kinds;
	size_t			**deps, i, k, d, n = 0, *map;
	char			**specs, *cause = NULL, *envtext = NULL;
	char			*project = NULL;
	cJSON			*it, *spec;
	int64_t			 id;
	mhd_result		 r;

	nt = xcalloc(tf->ntasks, sizeof *nt);
	specs = xcalloc(tf->ntasks, sizeof *specs);
	names = xcalloc(tf->ntasks, sizeof *names);
	kinds = xcalloc(tf->ntasks, sizeof *kinds);
	deps = xcalloc(tf->ntasks, sizeof *deps);
	map = xcalloc(tf->ntasks, sizeof *map);
	for (i = 0; i < tf->ntasks; i++)
		map[i] = sel[i] ? n++ : SIZE_MAX;
	for (i = 0; i < tf->ntasks; i++) {
		const struct tf_task	*t = &tf->tasks[i];
		struct store_new_task	*x;

		if (!sel[i])
			continue;
		x = &nt[map[i]];
		spec = tfjson_task(t);
		specs[i] = cJSON_PrintUnformatted(spec);
		cJSON_Delete(spec);
		x->name = t->name;
		x->spec = specs[i];
		x->allow_failures = t->allow_failures;
		x->state = t->skip_reason != NULL ? TASK_SKIPPED : TASK_QUEUED;
		x->reason = t->skip_reason;
		names[i] = xcalloc(t->nsteps + 1, sizeof *names[i]);
		kinds[i] = xcalloc(t->nsteps + 1, sizeof *kinds[i]);
		for (k = 0; k < t->nsteps; k++) {
			names[i][k] = t->steps[k].name;
			kinds[i][k] = tf_step_kind_name(t->steps[k].kind);
		}
		x->step_names = names[i];
		x->step_kinds = kinds[i];
		x->nsteps = t->nsteps;
		deps[i] = xcalloc(t->ndepends + 1, sizeof *deps[i]);
		for (d = 0; d < t->ndepends; d++) {
			for (k = 0; k < tf->ntasks; k++) {
				if (sel[k] && strcmp(tf->tasks[k].name,
				    t->depends_on[d]) == 0)
					deps[i][x->ndeps++] = map[k];
			}
		}
		x->deps = deps[i];
	}
	memset(&nj, 0, sizeof nj);
	if (queueapi_job_project(env->store, body, &project, &cause) == -1) {
		r = apiresp_store_error(c, cause);
		goto out;
	}
	nj.project = project;
	it = cJSON_GetObjectItemCaseSensitive(body, "taskfile_name");
	nj.taskfile_name = cJSON_IsString(it) ? it->valuestring : ".cirrus.yml";
	it = cJSON_GetObjectItemCaseSensitive(body, "blob");
	nj.blob = cJSON_IsString(it) ? it->valuestring : NULL;
	it = cJSON_GetObjectItemCaseSensitive(body, "dirty_path");
	nj.dirty_path = cJSON_IsString(it) ? it->valuestring : NULL;
	it = cJSON_GetObjectItemCaseSensitive(body, "priority");
	nj.priority = cJSON_IsNumber(it) ? it->valueint : 0;
	it = cJSON_GetObjectItemCaseSensitive(body, "env");
	envtext = it != NULL ? cJSON_PrintUnformatted(it) : xstrdup("{}");
	nj.env = envtext;
	nj.tasks = nt;
	nj.ntasks = n;

	if (store_job_insert(env->store, &nj, &id, &cause) == -1)
		r = apiresp_store_error(c, cause);
	else {
		log_info("job %" PRId64 " queued: project %s, %zu task(s)", id,
		    nj.project, n);
		events_publish_job(env->store, id);
		sched_wake(env->sched);
		r = jobapi_show(env, c, id, 201);
	}
out:
	free(project);
	for (i = 0; i < tf->ntasks; i++) {
		cJSON_free(specs[i]);
		free(names[i]);
		free(kinds[i]);
		free(deps[i]);
	}
	free(specs);
	free(names);
	free(kinds);
	free(deps);
	free(map);
	free(nt);
	cJSON_free(envtext);
	return (r);
}

mhd_result
jobapi_submit(const struct api_env *ae, struct MHD_Connection *c,
    const char *data, size_t len)
{
	cJSON			*body = NULL, *it, *tfj, *only;
	struct taskfile		*tf = NULL;
	struct tf_error		 err;
	struct tf_env		 env = { NULL, 0 }, git = { NULL, 0 };
	struct tf_env		 base = { NULL, 0 };
	struct tf_context	 ctx = { NULL, NULL, 0, NULL };
	const char		*name, *blob, **changed = NULL;
	char			 msg[1024], *why = NULL;
	int			*sel = NULL, any;
	size_t			 i;
	mhd_result		 r;

	if ((body = cJSON_ParseWithLength(data, len)) == NULL ||
	    !cJSON_IsObject(body)) {
		r = apiresp_error(c, APIERR_BAD_JSON,
		    "request body is not a JSON object");
		goto out;
	}
	tfj = cJSON_GetObjectItemCaseSensitive(body, "taskfile");
	if (!cJSON_IsString(tfj)) {
		r = apiresp_error(c, APIERR_BAD_REQUEST,
		    "'taskfile' (the task file's text) is required");
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "taskfile_name");
	name = cJSON_IsString(it) ? it->valuestring : ".cirrus.yml";
	it = cJSON_GetObjectItemCaseSensitive(body, "project");
	if (it != NULL && !cJSON_IsString(it)) {
		r = apiresp_error(c, APIERR_BAD_REQUEST, "'project' must be a string");
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "blob");
	if (it != NULL && !cJSON_IsNull(it)) {
		blob = cJSON_IsString(it) ? it->valuestring : "";
		if (!blobstore_has(ae->blobs, blob)) {
			r = apiresp_error(c, APIERR_BAD_REQUEST, "blob '%s' is not "
			    "stored: PUT it to /v1/blobs/%s first", blob, blob);
			goto out;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "dirty_path");
	if (it != NULL && !cJSON_IsNull(it) &&
	    (!cJSON_IsString(it) || it->valuestring[0] != '/')) {
		r = apiresp_error(c, APIERR_BAD_REQUEST,
		    "'dirty_path' must be an absolute path");
		goto out;
	}
	/* What only_if/skip see: built-ins and the git tree's, which the
	 * task's env overrides, and -e, which overrides that. */
	tf_env_builtins(&base);
	if (jobenv_git(cJSON_GetObjectItemCaseSensitive(body, "git"), &git,
	    &why) == -1) {
		r = apiresp_error(c, APIERR_BAD_REQUEST, "%s", why);
		free(why);
		goto out;
	}
	for (i = 0; i < git.n; i++)
		tf_env_set(&base, git.v[i].key, git.v[i].value);
	it = cJSON_GetObjectItemCaseSensitive(body, "env");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsObject(it)) {
			r = apiresp_error(c, APIERR_BAD_REQUEST,
			    "'env' must be an object of strings");
			goto out;
		}
		for (it = it->child; it != NULL; it = it->next) {
			if (!cJSON_IsString(it)) {
				r = apiresp_error(c, APIERR_BAD_REQUEST,
				    "env '%s' must be a string", it->string);
				goto out;
			}
			tf_env_set(&env, it->string, it->valuestring);
		}
	}
	ctx.env = &env;
	ctx.base = &base;
	/* The client's changed-file list, for changesInclude(); borrowed. */
	it = cJSON_GetObjectItemCaseSensitive(body, "changed_files");
	if (cJSON_IsArray(it)) {
		changed = xcalloc((size_t)cJSON_GetArraySize(it) + 1,
		    sizeof *changed);
		for (it = it->child; it != NULL; it = it->next) {
			if (!cJSON_IsString(it)) {
				r = apiresp_error(c, APIERR_BAD_REQUEST,
				    "'changed_files' must be a list of paths");
				goto out;
			}
			changed[ctx.nchanged++] = it->valuestring;
		}
		ctx.changed = changed;
	}
	if (taskfile_parse(name, tfj->valuestring, strlen(tfj->valuestring),
	    &ctx, &tf, &err) == -1) {
		tf_error_format(&err, msg, sizeof msg);
		r = apiresp_error(c, APIERR_BAD_TASKFILE, "%s", msg);
		goto out;
	}
	sel = xcalloc(tf->ntasks + 1, sizeof *sel);
	only = cJSON_GetObjectItemCaseSensitive(body, "only");
	if (cJSON_IsArray(only) && cJSON_GetArraySize(only) > 0) {
		cJSON_ArrayForEach(it, only) {
			if (!cJSON_IsString(it)) {
				r = apiresp_error(c, APIERR_BAD_REQUEST,
				    "'only' must be a list of task names");
				goto out;
			}
			any = 0;
			for (i = 0; i < tf->ntasks; i++) {
				if (jobapi_task_matches(&tf->tasks[i],
				    it->valuestring)) {
					jobapi_select(tf, i, sel, cJSON_IsTrue(
					    cJSON_GetObjectItemCaseSensitive(
					    body, "only_exact")));
					any = 1;
				}
			}
			if (!any) {
				r = apiresp_error(c, APIERR_BAD_REQUEST,
				    "no task matches '%s'", it->valuestring);
				goto out;
			}
		}
	} else {
		for (i = 0; i < tf->ntasks; i++)
			sel[i] = 1;
	}
	if (tf->ntasks == 0) {
		r = apiresp_error(c, APIERR_BAD_TASKFILE, "%s: no tasks to run", name);
		goto out;
	}
	/* In the container the task file's env overrides the git tree's. */
	for (i = 0; i < tf->ntasks; i++)
		jobenv_prepend(&tf->tasks[i], &git);
	r = jobapi_insert(ae, c, body, tf, sel);
out:
	free(changed);
	free(sel);
	tf_env_free(&git);
	tf_env_free(&env);
	tf_env_free(&base);
	taskfile_free(tf);
	cJSON_Delete(body);
	return (r);
}
