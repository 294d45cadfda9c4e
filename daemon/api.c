/* api.c -- maps the /v1 HTTP routes onto the store, scheduler and logs. */
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/apiresp.h"
#include "daemon/auth.h"
#include "daemon/blobstore.h"
#include "daemon/events.h"
#include "daemon/jobapi.h"
#include "daemon/jobjson.h"
#include "daemon/logstamp.h"
#include "daemon/logstore.h"
#include "daemon/queueapi.h"
#include "daemon/remote.h"
#include "daemon/scheduler.h"
#include "daemon/store.h"
#include "daemon/wsapi.h"
#include "proto/api.h"
#include "proto/apierr.h"
#include "proto/log.h"
#include "proto/util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

struct api {
	struct api_env		 env;
	struct MHD_Daemon	*mhd;
	atomic_int		 stopping;
	const struct auth	*auth;	/* TCP: tokens needed; borrowed */
};

/* One request, from its headers to its answer. */
struct req {
	struct api		*api;
	int			 is_blob;	/* PUT /v1/blobs/{sha} */
	struct blob_writer	*writer;
	char			*error;		/* body rejected: why */
	enum apierr		 error_code;
	struct buf		 body;		/* capped JSON body */
	int			 too_large;
};

/* A log being streamed to a client. */
struct logstream {
	struct api	*api;
	int64_t		 job, task;
	int		 attempt;
	int64_t		 offset;
	int		 follow;
	struct logstamp	*stamp;		/* ?timestamps=1, else NULL */
};

/* Parse a positive decimal id from a path segment of length n. */
static int
api_parse_id(const char *s, size_t n, int64_t *id)
{
	char	 tmp[24];

	if (n == 0 || n >= sizeof tmp)
		return (-1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return (parse_int64(tmp, 1, INT64_MAX, id));
}

static mhd_result
api_health(struct api *a, struct MHD_Connection *c)
{
	cJSON	*o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(o, "api", API_VERSION);
	cJSON_AddNumberToObject(o, "running", sched_running(a->env.sched));
	return (apiresp_json(c, 200, o));
}

static mhd_result
api_job_list(struct api *a, struct MHD_Connection *c)
{
	struct store_filter	 f;
	struct store_job	*jobs = NULL;
	const char		*v;
	size_t			 n = 0, i;
	int64_t			 next = 0, num;
	char			*cause = NULL;
	cJSON			*o, *arr;

	memset(&f, 0, sizeof f);
	f.state = -1;
	f.limit = 20;
	f.project = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "project");
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "state")) != NULL && (f.state = state_from_name(v)) == -1)
		return (apiresp_error(c, APIERR_BAD_REQUEST,
		    "unknown state '%s'", v));
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit")) != NULL) {
		if (parse_int64(v, 1, 1000, &num) == -1)
			return (apiresp_error(c, APIERR_BAD_REQUEST,
			    "limit must be a number from 1 to 1000"));
		f.limit = (int)num;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "cursor")) != NULL && parse_int64(v, 1, INT64_MAX,
	    &f.before_id) == -1)
		return (apiresp_error(c, APIERR_BAD_REQUEST, "bad cursor '%s'", v));
	if (store_job_list(a->env.store, &f, &jobs, &n, &next, &cause) == -1)
		return (apiresp_store_error(c, cause));
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "jobs");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, jobjson_job(&jobs[i]));
	if (next > 0)
		cJSON_AddNumberToObject(o, "next", (double)next);
	else
		cJSON_AddNullToObject(o, "next");
	store_jobs_free(jobs, n);
	return (apiresp_json(c, 200, o));
}

static mhd_result
api_job_cancel(struct api *a, struct MHD_Connection *c, int64_t id)
{
	int64_t		*running = NULL;
	size_t		 n = 0, i;
	char		*cause = NULL;

	if (store_job_cancel(a->env.store, id, "cancelled by user", &running,
	    &n, &cause) == -1)
		return (apiresp_store_error(c, cause));
	for (i = 0; i < n; i++)
		sched_cancel_task(a->env.sched, running[i]);
	free(running);
	events_publish_job(a->env.store, id);
	sched_wake(a->env.sched);
	return (jobapi_show(&a->env, c, id, 200));
}

static mhd_result
api_job_retry(struct api *a, struct MHD_Connection *c, int64_t id)
{
	char	*cause = NULL;
	int	 r;

	if ((r = store_job_retry(a->env.store, id, &cause)) == -1) {
		r = apiresp_error(c, APIERR_CONFLICT, "%s", cause);
		free(cause);
		return (r);
	}
	if (r == 1)
		return (apiresp_error(c, APIERR_CONFLICT,
		    "job %" PRId64 " has nothing to retry", id));
	events_publish_job(a->env.store, id);
	sched_wake(a->env.sched);
	return (jobapi_show(&a->env, c, id, 200));
}

/* The next bytes of a log stream, raw or stamped (logstore_read). */
static ssize_t
api_log_chunk(struct logstream *ls, char *buf, size_t max, int wait_ms,
    int *finished)
{
	ssize_t	n;

	if (ls->stamp != NULL)
		return (logstamp_read(ls->stamp, buf, max, wait_ms, finished));
	n = logstore_read(ls->api->env.logs, ls->job, ls->task, ls->attempt,
	    ls->offset, buf, max, wait_ms, finished);
	if (n > 0)
		ls->offset += n;
	return (n);
}

static void
api_log_free(void *arg)
{
	struct logstream	*ls = arg;

	logstamp_free(ls->stamp);
	free(ls);
}

/* MHD pulls the log through here; blocks while following a live task. */
static ssize_t
api_log_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct logstream	*ls = arg;
	struct store_task	*t = NULL;
	char			*cause = NULL;
	ssize_t			 n;
	uint64_t		 gen;
	int			 finished, done;

	for (;;) {
		if (atomic_load(&ls->api->stopping))
			return (MHD_CONTENT_READER_END_OF_STREAM);
		n = api_log_chunk(ls, buf, max, ls->follow ? 1000 : 0,
		    &finished);
		if (n == -1)
			return (MHD_CONTENT_READER_END_WITH_ERROR);
		if (n > 0)
			return (n);
		if (!ls->follow)
			return (MHD_CONTENT_READER_END_OF_STREAM);
		if (!finished)
			continue;
		gen = logstore_generation(ls->api->env.logs);
		/* Not live: over once the task has ended (or is gone). */
		if (store_task_get(ls->api->env.store, ls->task, &t,
		    &cause) != 0) {
			free(cause);
			return (MHD_CONTENT_READER_END_OF_STREAM);
		}
		done = state_finished(t->state) || t->attempt != ls->attempt;
		store_task_free(t);
		if (done) {
			/* Bytes appended just before the end. */
			if ((n = api_log_chunk(ls, buf, max, 0,
			    &finished)) > 0)
				return (n);
			return (MHD_CONTENT_READER_END_OF_STREAM);
		}
		/* Queued: sleep until its log goes live (or a second passes,
		 * for a task that ends without ever running). */
		logstore_wait_live(ls->api->env.logs, ls->job, ls->task,
		    ls->attempt, gen, 1000);
	}
	(void)pos;
}

static mhd_result
api_task_log(struct api *a, struct MHD_Connection *c, int64_t job,
    const char *task)
{
	struct store_task	*t = NULL;
	struct logstream	*ls;
	struct MHD_Response	*r;
	const char		*v;
	char			*cause = NULL;
	int64_t			 num;
	int			 rc;
	mhd_result		 ret;

	if ((rc = store_task_find(a->env.store, job, task, &t, &cause)) == -1)
		return (apiresp_store_error(c, cause));
	if (rc == 1)
		return (apiresp_error(c, APIERR_NOT_FOUND,
		    "job %" PRId64 " has no task '%s'", job, task));
	ls = xcalloc(1, sizeof *ls);
	ls->api = a;
	ls->job = job;
	ls->task = t->id;
	ls->attempt = t->attempt;
	store_task_free(t);
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "offset")) != NULL) {
		if (parse_int64(v, 0, INT64_MAX, &num) == -1) {
			free(ls);
			return (apiresp_error(c, APIERR_BAD_REQUEST,
			    "offset must be a byte count"));
		}
		ls->offset = num;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "attempt")) != NULL) {
		if (parse_int64(v, 1, ls->attempt, &num) == -1) {
			rc = ls->attempt;
			free(ls);
			return (apiresp_error(c, APIERR_BAD_REQUEST,
			    "attempt must be from 1 to %d", rc));
		}
		ls->attempt = (int)num;
	}
	v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
	ls->follow = v != NULL && (strcmp(v, "1") == 0 ||
	    strcmp(v, "true") == 0);
	v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timestamps");
	if (v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0))
		ls->stamp = logstamp_new(a->env.logs, job, ls->task,
		    ls->attempt, ls->offset);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
	    api_log_read, ls, api_log_free);
	if (r == NULL) {
		api_log_free(ls);
		return (MHD_NO);
	}
	if (MHD_add_response_header(r, "Content-Type",
	    "text/plain; charset=utf-8") == MHD_NO) {
		MHD_destroy_response(r);
		return (MHD_NO);
	}
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return (ret);
}

/* GET /v1/events: job and task state changes as Server-Sent Events. */
static mhd_result
api_events(struct api *a, struct MHD_Connection *c, const char *method)
{
	char	*cause = NULL;
	int	 r;

	if (strcmp(method, "GET") != 0)
		return (apiresp_error(c, APIERR_METHOD, "use GET"));
	if ((r = events_serve(c, &a->stopping, &cause)) == -1) {
		r = apiresp_error(c, APIERR_BAD_REQUEST, "%s", cause);
		free(cause);
	}
	return ((mhd_result)r);
}

/* Route /v1/jobs/... : rest is what follows "/v1/jobs". */
static mhd_result
api_route_jobs(struct api *a, struct MHD_Connection *c, const char *method,
    const char *rest, struct req *rq)
{
	const char	*seg, *slash;
	int64_t		 id;
	char		 task[256];

	if (*rest == '\0' || strcmp(rest, "/") == 0) {
		if (strcmp(method, "GET") == 0)
			return (api_job_list(a, c));
		if (strcmp(method, "POST") == 0)
			return (jobapi_submit(&a->env, c, rq->body.data,
			    rq->body.len));
		return (apiresp_error(c, APIERR_METHOD, "use GET or POST"));
	}
	seg = rest + 1;
	slash = strchr(seg, '/');
	if (api_parse_id(seg, slash != NULL ? (size_t)(slash - seg) :
	    strlen(seg), &id) == -1)
		return (apiresp_error(c, APIERR_NOT_FOUND, "bad job id in %s", rest));
	if (slash == NULL) {
		if (strcmp(method, "GET") != 0)
			return (apiresp_error(c, APIERR_METHOD, "use GET"));
		return (jobapi_show(&a->env, c, id, 200));
	}
	if (strcmp(slash, "/cancel") == 0 || strcmp(slash, "/retry") == 0) {
		if (strcmp(method, "POST") != 0)
			return (apiresp_error(c, APIERR_METHOD, "use POST"));
		if (slash[1] == 'c')
			return (api_job_cancel(a, c, id));
		return (api_job_retry(a, c, id));
	}
	if (strncmp(slash, "/tasks/", 7) == 0) {
		seg = slash + 7;
		slash = strchr(seg, '/');
		if (slash != NULL && strcmp(slash, "/log") == 0 &&
		    (size_t)(slash - seg) < sizeof task && slash != seg) {
			if (strcmp(method, "GET") != 0)
				return (apiresp_error(c, APIERR_METHOD, "use GET"));
			memcpy(task, seg, (size_t)(slash - seg));
			task[slash - seg] = '\0';
			return (api_task_log(a, c, id, task));
		}
	}
	return (apiresp_error(c, APIERR_NOT_FOUND, "no route %s %s/jobs%s", method,
	    API_PREFIX, rest));
}

/* Artifacts, secrets and caches (wsapi.c). */
static mhd_result
api_route_ws(struct api *a, struct MHD_Connection *c, const char *method,
    const char *rest, struct req *rq)
{
	return (wsapi_handle(c, a->env.state_dir, a->env.store, method, rest,
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "project"),
	    rq->body.data, rq->body.len));
}

/* Projects, queue pause and gc (queueapi.c). */
static mhd_result
api_route_queue(struct api *a, struct MHD_Connection *c, const char *method,
    const char *rest, struct req *rq)
{
	cJSON	*o = NULL;
	int	 status;

	status = queueapi_handle(&a->env, method, rest, rq->body.data,
	    rq->body.len, &o);
	return (apiresp_json(c, status, o));
}

static mhd_result
api_route_blob(struct api *a, struct MHD_Connection *c, const char *method,
    const char *sha, struct req *rq)
{
	char	*cause = NULL, *body;
	int	 r;

	if (strcmp(method, "HEAD") == 0 || strcmp(method, "GET") == 0) {
		if (blobstore_has(a->env.blobs, sha))
			return (apiresp_send(c, 200, "application/json",
			    xstrdup("{}"), 2));
		return (apiresp_error(c, APIERR_NOT_FOUND, "no blob %s", sha));
	}
	if (strcmp(method, "PUT") != 0)
		return (apiresp_error(c, APIERR_METHOD, "use HEAD or PUT"));
	if (rq->writer == NULL)
		return (apiresp_error(c, APIERR_BAD_REQUEST, "empty upload"));
	r = blobstore_put_commit(rq->writer, &cause);
	rq->writer = NULL;
	if (r == -1) {
		r = apiresp_error(c, APIERR_BAD_DIGEST, "%s", cause);
		free(cause);
		return (r);
	}
	body = xasprintf("{\"blob\":\"%s\"}", sha);
	return (apiresp_send(c, 201, "application/json", body, strlen(body)));
}

/* Take a chunk of request body: JSON into a capped buffer, blobs to disk. */
static void
api_take_body(struct req *rq, const char *data, size_t len)
{
	char	*cause = NULL;

	if (rq->error != NULL)
		return;
	if (rq->is_blob) {
		if (rq->writer != NULL && blobstore_put_write(rq->writer, data,
		    len, &cause) == -1) {
			rq->error = cause;
			rq->error_code = APIERR_TOO_LARGE;
			blobstore_put_abort(rq->writer);
			rq->writer = NULL;
		}
		return;
	}
	if (buf_add(&rq->body, data, len) == -1) {
		rq->error = xasprintf("request body larger than %u bytes",
		    API_MAX_JSON_BODY);
		rq->error_code = APIERR_TOO_LARGE;
		buf_free(&rq->body);
	}
}

static mhd_result
api_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct api	*a = cls;
	struct req	*rq = *con_cls;
	const char	*rest;
	char		*cause = NULL;
	mhd_result	 r;

	if (rq == NULL) {
		rq = xcalloc(1, sizeof *rq);
		rq->api = a;
		buf_init(&rq->body, API_MAX_JSON_BODY);
		*con_cls = rq;
		if (a->auth != NULL && auth_check(a->auth,
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION), method, url,
		    &rq->error_code, &rq->error) == -1)
			return (MHD_YES);	/* body dropped, then refused */
		if (strncmp(url, API_PREFIX "/blobs/", 10) == 0 &&
		    strcmp(method, "PUT") == 0) {
			rq->is_blob = 1;
			if (blobstore_put_begin(a->env.blobs, url + 10,
			    API_MAX_BLOB, &rq->writer, &cause) == -1) {
				rq->error = cause;
				rq->error_code = APIERR_BAD_REQUEST;
			}
		}
		*con_cls = rq;
		return (MHD_YES);
	}
	if (*upload_data_size != 0) {
		api_take_body(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return (MHD_YES);
	}
	if (rq->error != NULL)
		return (apiresp_error(c, rq->error_code, "%s", rq->error));

	if (strncmp(url, API_PREFIX, 3) != 0)
		return (apiresp_error(c, APIERR_NOT_FOUND, "no route %s %s; the API "
		    "lives under %s/", method, url, API_PREFIX));
	rest = url + 3;
	if (strcmp(rest, "/health") == 0)
		r = api_health(a, c);
	else if (strcmp(rest, "/events") == 0)
		r = api_events(a, c, method);
	else if (strncmp(rest, "/blobs/", 7) == 0)
		r = api_route_blob(a, c, method, rest + 7, rq);
	else if (wsapi_match(rest))
		r = api_route_ws(a, c, method, rest, rq);
	else if (queueapi_match(rest))
		r = api_route_queue(a, c, method, rest, rq);
	else if (strncmp(rest, "/jobs", 5) == 0 &&
	    (rest[5] == '\0' || rest[5] == '/'))
		r = api_route_jobs(a, c, method, rest + 5, rq);
	else
		r = apiresp_error(c, APIERR_NOT_FOUND, "no route %s %s", method,
		    url);
	(void)version;
	return (r);
}

/* Free a request's state whatever way it ended. */
static void
api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req	*rq = *con_cls;

	if (rq == NULL)
		return;
	blobstore_put_abort(rq->writer);
	buf_free(&rq->body);
	free(rq->error);
	free(rq);
	*con_cls = NULL;
	(void)cls;
	(void)c;
	(void)toe;
}

/* libmicrohttpd's own complaints go to our log. */
static void
api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	*s;

	s = xvasprintf(fmt, ap);
	s[strcspn(s, "\n")] = '\0';
	log_warnx("http: %s", s);
	free(s);
	(void)cls;
}

/* Serve on fd; with rem (TCP), with its tokens and, given a cert, TLS. */
static int
api_start_on(const struct api_env *env, int fd, const struct remote *rem,
    struct api **out, char **cause)
{
	struct MHD_OptionItem	 tls[3];
	struct api		*a;
	unsigned int		 flags;

	a = xcalloc(1, sizeof *a);
	a->env = *env;
	atomic_init(&a->stopping, 0);
	flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	memset(tls, 0, sizeof tls);
	tls[0].option = tls[1].option = tls[2].option = MHD_OPTION_END;
	if (rem != NULL) {
		a->auth = rem->auth;
		if (rem->cert_pem != NULL) {
			flags |= MHD_USE_TLS;
			tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
			tls[0].ptr_value = rem->cert_pem;
			tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
			tls[1].ptr_value = rem->key_pem;
		}
	}
	a->mhd = MHD_start_daemon(flags, 0,
	    NULL, NULL, api_handle, a,
	    MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, a,	/* first, as MHD asks */
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_END);
	if (a->mhd == NULL) {
		*cause = xasprintf("cannot start the HTTP server%s",
		    rem != NULL ? " on the TCP listener (a bad TLS "
		    "certificate or key?)" : "");
		free(a);
		return (-1);
	}
	*out = a;
	return (0);
}

int
api_start(const struct api_env *env, int fd, struct api **out, char **cause)
{
	return (api_start_on(env, fd, NULL, out, cause));
}

int
api_start_remote(const struct api_env *env, const struct remote *rem,
    struct api **out, char **cause)
{
	return (api_start_on(env, rem->fd, rem, out, cause));
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	atomic_store(&a->stopping, 1);
	events_wake();
	MHD_stop_daemon(a->mhd);
	free(a);
}
