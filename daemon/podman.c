/* podman.c -- Podman's libpod REST API over libcurl on a unix socket. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/podman.h"
#include "proto/frame.h"
#include "proto/log.h"
#include "proto/util.h"

#define PODMAN_BASE		"http://d/v4.0.0/libpod"
#define PODMAN_REPLY_MAX	(4u << 20)	/* cap on a non-stream body */
#define PODMAN_LINE_MAX		(1u << 20)	/* cap on one pull progress line */
#define PODMAN_ERROR_MAX	(64u << 10)	/* cap on an error body of a stream */
#define PODMAN_CONNECT_S	10L
#define PODMAN_CALL_S		120L		/* quick calls: start, create... */
#define PODMAN_POLL_MS		100
#define PODMAN_ATTACH_MS	60000		/* attach must answer by then */
#define PODMAN_SID		65		/* podman_short buffer */
#define PODMAN_STOP_GRACE_MS	30000		/* output must end after stop */

struct podman {
	char			*sock;		/* socket path, owned */
	CURL			*easy;		/* sequential calls; keeps its
						 * connection between them */
	struct curl_slist	*json_hdrs;	/* Content-Type: json, no Expect */
	struct curl_slist	*tar_hdrs;	/* Content-Type: x-tar, no Expect */
};

/* A non-stream response: capped body, optionally split into lines. */
struct reply {
	struct buf	 body;
	long		 status;
	CURLcode	 rc;		/* of the transfer */
	int		 overflow;
	int		 aborted;	/* line_cb asked to stop */
	int		(*line_cb)(char *, void *);
	void		*line_arg;
	char		 errbuf[CURL_ERROR_SIZE];
};

/* A framed output stream (attach or logs). */
struct stream {
	struct frame_decoder	 fd;
	podman_output_cb	 cb;
	void			*arg;
	long			 status;	/* last status line seen */
	int			 established;	/* final headers complete */
	int			 aborted;	/* cb returned nonzero */
	int			 malformed;	/* frame decoder refused */
	struct buf		 err;		/* body of a non-200 answer */
	int			(*poll_cb)(void *);
	int			 polling;	/* start sent: poll_cb is due */
	int64_t			 last_poll;
	int			 stop_wanted;	/* poll_cb said stop */
	int			 paused;	/* transfer paused to say so */
	char			 errbuf[CURL_ERROR_SIZE];
};

#define SETOPT(e, opt, val) do {					\
	if ((rc = curl_easy_setopt((e), (opt), (val))) != CURLE_OK)	\
		goto setopt_fail;					\
} while (0)

/* A cJSON allocation failure is out of memory: a broken invariant. */
static cJSON *
jcheck(cJSON *j)
{
	if (j == NULL)
		fatalx("cJSON: out of memory");
	return (j);
}

/* Percent-encode s, keeping unreserved bytes and those in keep; caller
 * frees. */
static char *
podman_escape(const char *s, const char *keep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b;
	unsigned char		 c;
	char			 enc[3];

	buf_init(&b, 0);
	buf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep != NULL &&
		    strchr(keep, c) != NULL))
			buf_add(&b, s, 1);
		else {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 0xf];
			buf_add(&b, enc, 3);
		}
	}
	return (buf_steal(&b, NULL));
}

/* An id or name for messages: a full 64-hex id is cut to 12 like the
 * podman command does, a name is kept (up to 64).  Returns out. */
static const char *
podman_short(const char *id, char *out, size_t len)
{
	if (strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64)
		snprintf(out, len, "%.12s", id);
	else
		snprintf(out, len, "%.64s", id);
	return (out);
}

/* Cause for a failed transfer; caller frees. */
static char *
podman_curl_cause(struct podman *p, const char *what, CURLcode rc,
    const char *errbuf)
{
	const char	*detail;

	detail = (errbuf != NULL && *errbuf != '\0') ? errbuf :
	    curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return (xasprintf("podman: %s: cannot connect to %s "
		    "(Podman not running?): %s", what, p->sock, detail));
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return (xasprintf("podman: %s: Podman went away: %s", what,
		    detail));
	case CURLE_OPERATION_TIMEDOUT:
		return (xasprintf("podman: %s: no answer from Podman: %s",
		    what, detail));
	default:
		return (xasprintf("podman: %s: %s", what, detail));
	}
}

/* Cause for an unexpected status, with Podman's "message" when the body
 * has one; caller frees. */
static char *
podman_status_cause(const char *what, long status, const struct buf *body)
{
	cJSON		*j = NULL;
	const cJSON	*m;
	char		*s;
	size_t		 n;

	if (body->data == NULL || body->len == 0)
		return (xasprintf("podman: %s: %ld", what, status));
	j = cJSON_ParseWithLength(body->data, body->len);
	m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (cJSON_IsString(m) && m->valuestring != NULL)
		s = xasprintf("podman: %s: %ld: %s", what, status,
		    m->valuestring);
	else {
		n = body->len;
		while (n > 0 && (body->data[n - 1] == '\n' ||
		    body->data[n - 1] == '\r'))
			n--;
		if (n > 200)
			n = 200;
		s = xasprintf("podman: %s: %ld: %.*s", what, status, (int)n,
		    body->data);
	}
	cJSON_Delete(j);
	return (s);
}

/* Capped write callback for struct reply; splits lines when asked. */
static size_t
podman_reply_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct reply	*r = arg;
	size_t		 n = size * nmemb, used;
	char		*nl;

	if (buf_add(&r->body, ptr, n) != 0) {
		r->overflow = 1;
		return (0);
	}
	if (r->line_cb == NULL)
		return (n);
	used = 0;
	while ((nl = memchr(r->body.data + used, '\n',
	    r->body.len - used)) != NULL) {
		*nl = '\0';
		if (r->line_cb(r->body.data + used, r->line_arg) != 0) {
			r->aborted = 1;
			return (0);
		}
		used = nl + 1 - r->body.data;
	}
	if (used > 0) {
		memmove(r->body.data, r->body.data + used,
		    r->body.len - used + 1);
		r->body.len -= used;
	}
	return (n);
}

/* Hand one run of frame payload to the caller, noting an abort. */
static int
podman_stream_frame(int stream, const char *data, size_t len, void *arg)
{
	struct stream	*st = arg;

	if (st->cb(stream, data, len, st->arg) != 0) {
		st->aborted = 1;
		return (-1);
	}
	return (0);
}

/* Call poll_cb when it is due; true the first time it says stop. */
static int
podman_stream_poll(struct stream *st)
{
	int64_t	now;

	if (st->poll_cb == NULL || !st->polling || st->stop_wanted)
		return (0);
	now = now_mono_ms();
	if (now - st->last_poll < PODMAN_POLL_MS)
		return (0);
	st->last_poll = now;
	if (st->poll_cb(st->arg) == 0)
		return (0);
	st->stop_wanted = 1;
	return (1);
}

/* Write callback for a stream: frames on 200, else collect the error. */
static size_t
podman_stream_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct stream	*st = arg;
	size_t		 n = size * nmemb;

	if (st->status != 200) {
		/* Keep what fits; the message is at the start. */
		buf_add(&st->err, ptr, n);
		return (n);
	}
	/* A slow cb can keep curl in one perform for seconds: poll here
	 * too, and pause so that the stop goes out at once. */
	if (podman_stream_poll(st)) {
		st->paused = 1;
		return (CURL_WRITEFUNC_PAUSE);
	}
	if (frame_feed(&st->fd, ptr, n, podman_stream_frame, st) != 0) {
		if (!st->aborted)
			st->malformed = 1;
		return (0);
	}
	return (n);
}

/* Header callback for a stream: note the status and the end of headers,
 * which for attach means the stream is in place. */
static size_t
podman_stream_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct stream	*st = arg;
	size_t		 n = size * nmemb;
	long		 status;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		if (sscanf(ptr, "HTTP/%*s %ld", &status) == 1)
			st->status = status;
		st->established = 0;
	} else if ((n == 2 && ptr[0] == '\r' && ptr[1] == '\n') ||
	    (n == 1 && ptr[0] == '\n')) {
		if (st->status >= 200)
			st->established = 1;
	}
	return (n);
}

static void
podman_stream_init(struct stream *st, podman_output_cb cb, void *arg)
{
	memset(st, 0, sizeof *st);
	frame_init(&st->fd);
	st->cb = cb;
	st->arg = arg;
	buf_init(&st->err, PODMAN_ERROR_MAX);
}

/*
 * Set the options common to every request on e: socket, URL (path is
 * relative to the libpod base), method and body.  body is not copied: it
 * must outlive the transfer.  timeout_s 0 means none (streams, wait).
 */
static int
podman_setup(struct podman *p, CURL *e, const char *method, const char *path,
    struct curl_slist *hdrs, const void *body, size_t len, long timeout_s,
    curl_write_callback wfn, void *wdata, char *errbuf, const char *what,
    char **cause)
{
	CURLcode	 rc;
	char		*url;

	url = xasprintf("%s%s", PODMAN_BASE, path);
	errbuf[0] = '\0';
	SETOPT(e, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(e, CURLOPT_UNIX_SOCKET_PATH, p->sock);
	SETOPT(e, CURLOPT_URL, url);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_CONNECTTIMEOUT, PODMAN_CONNECT_S);
	SETOPT(e, CURLOPT_TIMEOUT, timeout_s);
	SETOPT(e, CURLOPT_WRITEFUNCTION, wfn);
	SETOPT(e, CURLOPT_WRITEDATA, wdata);
	if (strcmp(method, "GET") == 0)
		SETOPT(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "DELETE") == 0) {
		SETOPT(e, CURLOPT_HTTPGET, 1L);
		SETOPT(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		/* POST or PUT: always a typed body, maybe empty (PODMAN.md:
		 * an untyped body reads as nothing). */
		SETOPT(e, CURLOPT_POST, 1L);
		SETOPT(e, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? len : 0));
		SETOPT(e, CURLOPT_HTTPHEADER,
		    hdrs != NULL ? hdrs : p->json_hdrs);
		if (strcmp(method, "POST") != 0)
			SETOPT(e, CURLOPT_CUSTOMREQUEST, method);
	}
	free(url);
	return (0);

setopt_fail:
	free(url);
	*cause = xasprintf("podman: %s: curl_easy_setopt: %s", what,
	    curl_easy_strerror(rc));
	return (-1);
}

/*
 * Perform one request on the shared handle.  0 with r->status set (any
 * status: the caller judges it), or -1 when no complete answer came.
 * r must be initialised; the caller frees r->body.
 */
static int
podman_call(struct podman *p, const char *method, const char *path,
    struct curl_slist *hdrs, const void *body, size_t len, long timeout_s,
    struct reply *r, const char *what, char **cause)
{
	CURLcode	rc;

	curl_easy_reset(p->easy);
	if (podman_setup(p, p->easy, method, path, hdrs, body, len, timeout_s,
	    podman_reply_write, r, r->errbuf, what, cause) != 0)
		return (-1);
	rc = r->rc = curl_easy_perform(p->easy);
	if (rc != CURLE_OK) {
		if (r->overflow)
			*cause = xasprintf("podman: %s: answer larger than "
			    "%zu bytes", what, r->body.cap);
		else
			*cause = podman_curl_cause(p, what, rc, r->errbuf);
		return (-1);
	}
	rc = curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc != CURLE_OK) {
		*cause = xasprintf("podman: %s: %s", what,
		    curl_easy_strerror(rc));
		return (-1);
	}
	return (0);
}

static void
podman_reply_init(struct reply *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body, cap);
}

/*
 * A call whose only result is its status: 0 when the status is ok1 or
 * ok2 (0: none), else -1 with Podman's message.
 */
static int
podman_simple(struct podman *p, const char *method, const char *path,
    long timeout_s, long ok1, long ok2, const char *what, char **cause)
{
	struct reply	r;
	int		ret = -1;

	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, method, path, NULL, NULL, 0, timeout_s, &r, what,
	    cause) != 0)
		goto out;
	if (r.status != ok1 && (ok2 == 0 || r.status != ok2)) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.body);
	return (ret);
}

/* Open a client for the socket at url; *pp freed with podman_close. */
int
podman_open(const char *url, struct podman **pp, char **cause)
{
	struct podman		*p;
	struct curl_slist	*l;

	*pp = NULL;
	if (strncmp(url, "unix://", 7) == 0)
		url += 7;
	else if (strstr(url, "://") != NULL) {
		*cause = xasprintf("podman: %s: only unix:// sockets are "
		    "supported", url);
		return (-1);
	}
	if (*url != '/') {
		*cause = xasprintf("podman: socket path \"%s\" is not "
		    "absolute", url);
		return (-1);
	}
	p = xcalloc(1, sizeof *p);
	p->sock = xstrdup(url);
	if ((p->easy = curl_easy_init()) == NULL) {
		*cause = xstrdup("podman: curl_easy_init failed");
		goto fail;
	}
	if ((l = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL)
		goto nomem;
	p->json_hdrs = l;
	if ((l = curl_slist_append(p->json_hdrs, "Expect:")) == NULL)
		goto nomem;
	if ((l = curl_slist_append(NULL, "Content-Type: application/x-tar")) ==
	    NULL)
		goto nomem;
	p->tar_hdrs = l;
	if ((l = curl_slist_append(p->tar_hdrs, "Expect:")) == NULL)
		goto nomem;
	*pp = p;
	return (0);

nomem:
	*cause = xstrdup("podman: curl_slist_append failed");
fail:
	podman_close(p);
	return (-1);
}

/* Free a client and close its connection. */
void
podman_close(struct podman *p)
{
	if (p == NULL)
		return;
	if (p->easy != NULL)
		curl_easy_cleanup(p->easy);
	curl_slist_free_all(p->json_hdrs);
	curl_slist_free_all(p->tar_hdrs);
	free(p->sock);
	free(p);
}

/* GET /_ping. */
int
podman_ping(struct podman *p, char **cause)
{
	return (podman_simple(p, "GET", "/_ping", 10, 200, 0, "ping", cause));
}

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

/* POST /images/pull?policy=missing: always 200, result in the last line. */
int
podman_image_pull(struct podman *p, const char *image,
    void (*cb)(const char *, void *), void *arg, char **cause)
{
	struct reply	 r;
	struct pull	 pl;
	char		*ref, *path, *what;
	int		 ret = -1;

	memset(&pl, 0, sizeof pl);
	pl.cb = cb;
	pl.arg = arg;
	ref = podman_escape(image, NULL);
	path = xasprintf("/images/pull?reference=%s&policy=missing", ref);
	what = xasprintf("pull %s", image);
	podman_reply_init(&r, PODMAN_LINE_MAX);
	r.line_cb = podman_pull_line;
	r.line_arg = &pl;
	if (podman_call(p, "POST", path, NULL, NULL, 0, 0, &r, what,
	    cause) != 0)
		goto out;
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	/* The last line may lack its newline. */
	if (r.body.len > 0)
		podman_pull_line(r.body.data, &pl);
	if (pl.error != NULL) {
		*cause = xasprintf("podman: %s: %s", what, pl.error);
		goto out;
	}
	if (!pl.done) {
		*cause = xasprintf("podman: %s: answer ended without a result",
		    what);
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.body);
	free(pl.error);
	free(what);
	free(path);
	free(ref);
	return (ret);
}

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
			jcheck(cJSON_AddStringToObject(obj, *kv, ""));
			continue;
		}
		k = xstrndup(*kv, eq - *kv);
		if (cJSON_GetObjectItemCaseSensitive(obj, k) != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
		jcheck(cJSON_AddStringToObject(obj, k, eq + 1));
		free(k);
	}
	return (0);
}

/* Add one r_limits entry with soft = hard. */
static void
podman_add_rlimit(cJSON *arr, const char *type, int64_t v)
{
	cJSON	*o;

	o = jcheck(cJSON_CreateObject());
	jcheck(cJSON_AddStringToObject(o, "type", type));
	jcheck(cJSON_AddNumberToObject(o, "soft", (double)v));
	jcheck(cJSON_AddNumberToObject(o, "hard", (double)v));
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

	j = jcheck(cJSON_CreateObject());
	jcheck(cJSON_AddStringToObject(j, "image", s->image));
	if (s->name != NULL)
		jcheck(cJSON_AddStringToObject(j, "name", s->name));
	if (s->command != NULL) {
		a = jcheck(cJSON_AddArrayToObject(j, "command"));
		for (v = s->command; *v != NULL; v++)
			cJSON_AddItemToArray(a, jcheck(cJSON_CreateString(*v)));
	}
	if (s->env != NULL) {
		o = jcheck(cJSON_AddObjectToObject(j, "env"));
		if (podman_add_pairs(o, s->env, 1, "env entry", cause) != 0)
			goto out;
	}
	if (s->work_dir != NULL) {
		jcheck(cJSON_AddStringToObject(j, "work_dir", s->work_dir));
		jcheck(cJSON_AddTrueToObject(j, "create_working_dir"));
	}
	if (s->labels != NULL) {
		o = jcheck(cJSON_AddObjectToObject(j, "labels"));
		if (podman_add_pairs(o, s->labels, 0, "label", cause) != 0)
			goto out;
	}
	if (s->netns != NULL) {
		o = jcheck(cJSON_AddObjectToObject(j, "netns"));
		jcheck(cJSON_AddStringToObject(o, "nsmode", s->netns));
	}
	if (s->nmounts > 0) {
		a = jcheck(cJSON_AddArrayToObject(j, "mounts"));
		for (i = 0; i < s->nmounts; i++) {
			o = jcheck(cJSON_CreateObject());
			cJSON_AddItemToArray(a, o);
			jcheck(cJSON_AddStringToObject(o, "destination",
			    s->mounts[i].destination));
			jcheck(cJSON_AddStringToObject(o, "type", "bind"));
			jcheck(cJSON_AddStringToObject(o, "source",
			    s->mounts[i].source));
			m = jcheck(cJSON_AddArrayToObject(o, "options"));
			cJSON_AddItemToArray(m,
			    jcheck(cJSON_CreateString("rbind")));
			if (s->mounts[i].readonly)
				cJSON_AddItemToArray(m,
				    jcheck(cJSON_CreateString("ro")));
		}
	}
	if (s->memory_bytes > 0 || s->cpu_quota > 0) {
		lim = jcheck(cJSON_AddObjectToObject(j, "resource_limits"));
		if (s->memory_bytes > 0) {
			o = jcheck(cJSON_AddObjectToObject(lim, "memory"));
			jcheck(cJSON_AddNumberToObject(o, "limit",
			    (double)s->memory_bytes));
		}
		if (s->cpu_quota > 0) {
			o = jcheck(cJSON_AddObjectToObject(lim, "cpu"));
			jcheck(cJSON_AddNumberToObject(o, "quota",
			    (double)s->cpu_quota));
			jcheck(cJSON_AddNumberToObject(o, "period", 100000));
		}
	}
	if (s->nofile > 0 || s->nproc > 0) {
		a = jcheck(cJSON_AddArrayToObject(j, "r_limits"));
		if (s->nofile > 0)
			podman_add_rlimit(a, "nofile", s->nofile);
		if (s->nproc > 0)
			podman_add_rlimit(a, "nproc", s->nproc);
	}
	if (s->stop_timeout > 0)
		jcheck(cJSON_AddNumberToObject(j, "stop_timeout",
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
	if (podman_call(p, "POST", "/containers/create", p->json_hdrs, body,
	    strlen(body), PODMAN_CALL_S, &r, what, cause) != 0)
		goto out;
	if (r.status != 201) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
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

/* PUT /containers/{id}/archive?path=: the tar is typed x-tar, else Podman
 * copies nothing and still answers 200. */
int
podman_container_put_archive(struct podman *p, const char *id,
    const char *path, const void *tar, size_t len, char **cause)
{
	struct reply	 r;
	char		*eid, *epath, *url, *what, sid[PODMAN_SID];
	int		 ret = -1;

	eid = podman_escape(id, NULL);
	epath = podman_escape(path, "/");
	url = xasprintf("/containers/%s/archive?path=%s", eid, epath);
	what = xasprintf("copy to %s:%s", podman_short(id, sid, sizeof sid),
	    path);
	podman_reply_init(&r, PODMAN_REPLY_MAX);
	if (podman_call(p, "PUT", url, p->tar_hdrs, tar, len, 0, &r, what,
	    cause) != 0)
		goto out;
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	ret = 0;
out:
	buf_free(&r.body);
	free(what);
	free(url);
	free(epath);
	free(eid);
	return (ret);
}

/* Path "/containers/{id}{suffix}", escaped; caller frees. */
/* GET archive: the tar of path, up to max bytes; 404 sets *missing. */
int
podman_container_get_archive(struct podman *p, const char *id,
    const char *path, size_t max, void **tar, size_t *len, int *missing,
    char **cause)
{
	struct reply	 r;
	char		*eid, *epath, *url, *what, sid[PODMAN_SID];
	int		 ret = -1;

	*tar = NULL;
	*len = 0;
	*missing = 0;
	eid = podman_escape(id, NULL);
	epath = podman_escape(path, "/");
	url = xasprintf("/containers/%s/archive?path=%s", eid, epath);
	what = xasprintf("copy from %s:%s", podman_short(id, sid, sizeof sid),
	    path);
	podman_reply_init(&r, max);
	if (podman_call(p, "GET", url, NULL, NULL, 0, 0, &r, what,
	    cause) != 0)
		goto out;
	if (r.status == 404) {
		*missing = 1;
		ret = 0;
		goto out;
	}
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
	*tar = buf_steal(&r.body, len);
	ret = 0;
out:
	buf_free(&r.body);
	free(what);
	free(url);
	free(epath);
	free(eid);
	return (ret);
}

/* POST /build with the context tar; output lines go to cb. */
int
podman_image_build(struct podman *p, const char *dockerfile,
    const char *tag, const char *const *buildargs, size_t nbuildargs,
    const void *tar, size_t len, void (*cb)(const char *, void *), void *arg,
    char **cause)
{
	struct reply	 r;
	struct pull	 pl;
	cJSON		*args = NULL;
	char		*edf = NULL, *etag = NULL, *eargs = NULL, *js = NULL;
	char		*path = NULL, *what, *key;
	const char	*eq;
	size_t		 i;
	int		 ret = -1;

	memset(&pl, 0, sizeof pl);
	pl.cb = cb;
	pl.arg = arg;
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
	podman_reply_init(&r, PODMAN_LINE_MAX);
	r.line_cb = podman_pull_line;
	r.line_arg = &pl;
	if (podman_call(p, "POST", path, p->tar_hdrs, tar, len, 0, &r, what,
	    cause) != 0)
		goto done;
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto done;
	}
	if (r.body.len > 0)
		podman_pull_line(r.body.data, &pl);
	if (pl.error != NULL) {
		*cause = xasprintf("podman: %s: %s", what, pl.error);
		goto done;
	}
	ret = 0;
done:
	buf_free(&r.body);
out:
	cJSON_Delete(args);
	free(pl.error);
	free(js);
	free(path);
	free(eargs);
	free(etag);
	free(edf);
	free(what);
	return (ret);
}

static char *
podman_cpath(const char *id, const char *suffix)
{
	char	*eid, *s;

	eid = podman_escape(id, NULL);
	s = xasprintf("/containers/%s%s", eid, suffix);
	free(eid);
	return (s);
}

/* Path "/containers/{id}/stop?timeout=N"; caller frees. */
static char *
podman_stop_path(const char *id, int timeout_s)
{
	char	*suffix, *s;

	suffix = xasprintf("/stop?timeout=%d", timeout_s);
	s = podman_cpath(id, suffix);
	free(suffix);
	return (s);
}

/* Judge a start or stop run in the multi handle: 204 or 304 is done. */
static int
podman_done(struct podman *p, CURL *e, struct reply *r, CURLcode rc,
    const char *verb, const char *sid, char **cause)
{
	char	*what;
	int	 ret = -1;

	what = xasprintf("%s %s", verb, sid);
	if (rc != CURLE_OK) {
		*cause = podman_curl_cause(p, what, rc, r->errbuf);
		goto out;
	}
	if ((rc = curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status)) !=
	    CURLE_OK) {
		*cause = xasprintf("podman: %s: %s", what,
		    curl_easy_strerror(rc));
		goto out;
	}
	if (r->status != 204 && r->status != 304) {
		*cause = podman_status_cause(what, r->status, &r->body);
		goto out;
	}
	ret = 0;
out:
	free(what);
	return (ret);
}

/* POST start: 204, or 304 when already running. */
int
podman_container_start(struct podman *p, const char *id, char **cause)
{
	char	*path, *what, sid[PODMAN_SID];
	int	 ret;

	path = podman_cpath(id, "/start");
	what = xasprintf("start container %s",
	    podman_short(id, sid, sizeof sid));
	ret = podman_simple(p, "POST", path, PODMAN_CALL_S, 204, 304, what,
	    cause);
	free(what);
	free(path);
	return (ret);
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
static int
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
	char	*path, *what, sid[PODMAN_SID];
	int	 ret;

	if (timeout_s < 0)
		timeout_s = 0;
	path = podman_stop_path(id, timeout_s);
	what = xasprintf("stop container %s",
	    podman_short(id, sid, sizeof sid));
	ret = podman_simple(p, "POST", path, PODMAN_CALL_S + timeout_s, 204,
	    304, what, cause);
	free(what);
	free(path);
	return (ret);
}

/* POST kill?signal=S: 204. */
int
podman_container_kill(struct podman *p, const char *id, const char *signal,
    char **cause)
{
	char	*path, *sig, *suffix, *what, sid[PODMAN_SID];
	int	 ret;

	sig = podman_escape(signal, NULL);
	suffix = xasprintf("/kill?signal=%s", sig);
	path = podman_cpath(id, suffix);
	what = xasprintf("kill container %s",
	    podman_short(id, sid, sizeof sid));
	ret = podman_simple(p, "POST", path, PODMAN_CALL_S, 204, 0, what,
	    cause);
	free(what);
	free(path);
	free(suffix);
	free(sig);
	return (ret);
}

/* DELETE ?force=true&volumes=true: 200, and 404 is fine too. */
int
podman_container_remove(struct podman *p, const char *id, char **cause)
{
	char	*path, *what, sid[PODMAN_SID];
	int	 ret;

	path = podman_cpath(id, "?force=true&volumes=true");
	what = xasprintf("remove container %s",
	    podman_short(id, sid, sizeof sid));
	ret = podman_simple(p, "DELETE", path, PODMAN_CALL_S, 200, 404, what,
	    cause);
	free(what);
	free(path);
	return (ret);
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
	f = jcheck(cJSON_CreateObject());
	a = jcheck(cJSON_AddArrayToObject(f, "label"));
	for (i = 0; labels[i] != NULL; i++)
		cJSON_AddItemToArray(a, jcheck(cJSON_CreateString(labels[i])));
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
	if (podman_call(p, "GET", path, NULL, NULL, 0, PODMAN_CALL_S, &r,
	    what, cause) != 0)
		goto out;
	if (r.status != 200) {
		*cause = podman_status_cause(what, r.status, &r.body);
		goto out;
	}
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
	ret = 0;
out:
	cJSON_Delete(j);
	buf_free(&r.body);
	free(what);
	free(path);
	return (ret);
}

/* Judge a finished stream transfer; 0 or -1 with cause. */
static int
podman_stream_result(struct podman *p, struct stream *st, CURLcode rc,
    const char *what, char **cause)
{
	if (st->aborted) {
		*cause = xasprintf("podman: %s: output callback aborted",
		    what);
		return (-1);
	}
	if (st->malformed) {
		*cause = xasprintf("podman: %s: malformed stream frame", what);
		return (-1);
	}
	if (rc != CURLE_OK) {
		*cause = podman_curl_cause(p, what, rc, st->errbuf);
		return (-1);
	}
	if (st->status != 200) {
		*cause = podman_status_cause(what, st->status, &st->err);
		return (-1);
	}
	if (!frame_idle(&st->fd)) {
		*cause = xasprintf("podman: %s: Podman went away: output "
		    "ended inside a frame", what);
		return (-1);
	}
	return (0);
}

/* Set up a body-less POST on e and add it to multi; e stays owned by the
 * caller and must be removed from multi before it is freed. */
static int
podman_multi_post(struct podman *p, CURLM *multi, CURL *e, const char *path,
    long timeout_s, struct reply *r, const char *verb, const char *sid,
    char **cause)
{
	CURLMcode	 mc;
	char		*what;
	int		 ret = -1;

	what = xasprintf("%s %s", verb, sid);
	if (podman_setup(p, e, "POST", path, NULL, NULL, 0, timeout_s,
	    podman_reply_write, r, r->errbuf, what, cause) != 0)
		goto out;
	if ((mc = curl_multi_add_handle(multi, e)) != CURLM_OK) {
		*cause = xasprintf("podman: %s: %s", what,
		    curl_multi_strerror(mc));
		goto out;
	}
	ret = 0;
out:
	free(what);
	return (ret);
}

/*
 * The order that loses nothing: attach (and see its headers), start, read
 * until the server closes, then wait.  Start and any stop run on their own
 * handles in the same multi so that output keeps flowing meanwhile.
 */
int
podman_container_run_attached(struct podman *p, const char *id,
    podman_output_cb cb, int (*poll_cb)(void *), int stop_timeout_s,
    void *arg, int *exit_code, char **cause)
{
	struct stream	 st;
	struct reply	 start_r, stop_r;
	CURLM		*multi = NULL;
	CURL		*att = NULL, *stop = NULL, *done;
	CURLMsg		*msg;
	CURLMcode	 mc;
	CURLcode	 att_rc = CURLE_OK, rc;
	char		*path, *what, *wcause, sid[PODMAN_SID];
	int		 running, left, gone = 0, r, ret = -1;
	int		 att_done = 0, start_busy = 0, start_ok = 0;
	int		 stop_busy = 0, stop_sent = 0;
	int64_t		 t0, now, stop_done_at = 0;

	podman_stream_init(&st, cb, arg);
	podman_reply_init(&start_r, PODMAN_REPLY_MAX);
	podman_reply_init(&stop_r, PODMAN_REPLY_MAX);
	podman_short(id, sid, sizeof sid);
	what = xasprintf("attach to container %s", sid);
	if (stop_timeout_s < 0)
		stop_timeout_s = 0;

	if ((multi = curl_multi_init()) == NULL ||
	    (att = curl_easy_init()) == NULL) {
		*cause = xasprintf("podman: %s: curl init failed", what);
		goto out;
	}
	path = podman_cpath(id,
	    "/attach?stream=true&stdout=true&stderr=true&stdin=false");
	r = podman_setup(p, att, "POST", path, NULL, NULL, 0, 0,
	    podman_stream_write, &st, st.errbuf, what, cause);
	free(path);
	if (r != 0)
		goto out;
	if (curl_easy_setopt(att, CURLOPT_HEADERFUNCTION,
	    podman_stream_header) != CURLE_OK ||
	    curl_easy_setopt(att, CURLOPT_HEADERDATA, &st) != CURLE_OK) {
		*cause = xasprintf("podman: %s: curl_easy_setopt failed",
		    what);
		goto out;
	}
	if ((mc = curl_multi_add_handle(multi, att)) != CURLM_OK)
		goto multi_fail;

	st.poll_cb = poll_cb;
	t0 = st.last_poll = now_mono_ms();
	for (;;) {
		if ((mc = curl_multi_perform(multi, &running)) != CURLM_OK)
			goto multi_fail;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			/* msg dies with remove_handle: copy first. */
			done = msg->easy_handle;
			rc = msg->data.result;
			if (done == att) {
				att_done = 1;
				att_rc = rc;
				continue;
			}
			curl_multi_remove_handle(multi, done);
			if (done == p->easy) {
				start_busy = 0;
				if (podman_done(p, done, &start_r, rc,
				    "start container", sid, cause) != 0)
					goto out;
				start_ok = 1;
			} else if (done == stop) {
				stop_busy = 0;
				if (podman_done(p, done, &stop_r, rc,
				    "stop container", sid, cause) != 0)
					goto out;
				stop_done_at = now_mono_ms();
			}
		}
		if (att_done && !start_busy && !stop_busy)
			break;

		/* Attach answered 200 and its headers are in: start. */
		if (!att_done && st.established && st.status == 200 &&
		    !start_busy && !start_ok) {
			curl_easy_reset(p->easy);
			path = podman_cpath(id, "/start");
			r = podman_multi_post(p, multi, p->easy, path,
			    PODMAN_CALL_S, &start_r, "start container", sid,
			    cause);
			free(path);
			if (r != 0)
				goto out;
			start_busy = 1;
			st.polling = 1;
			continue;	/* perform at once */
		}

		now = now_mono_ms();
		if (!st.established && now - t0 > PODMAN_ATTACH_MS) {
			*cause = xasprintf("podman: %s: no answer after %d s",
			    what, PODMAN_ATTACH_MS / 1000);
			goto out;
		}
		podman_stream_poll(&st);
		if (st.stop_wanted && !stop_sent) {
			stop_sent = 1;
			if ((stop = curl_easy_init()) == NULL) {
				*cause = xasprintf("podman: stop container "
				    "%s: curl init failed", sid);
				goto out;
			}
			path = podman_stop_path(id, stop_timeout_s);
			r = podman_multi_post(p, multi, stop, path,
			    PODMAN_CALL_S + stop_timeout_s, &stop_r,
			    "stop container", sid, cause);
			free(path);
			if (r != 0)
				goto out;
			stop_busy = 1;
		}
		if (st.paused) {
			/* May deliver the held chunk right here. */
			st.paused = 0;
			if ((rc = curl_easy_pause(att, CURLPAUSE_CONT)) !=
			    CURLE_OK) {
				*cause = xasprintf("podman: %s: unpause: %s",
				    what, curl_easy_strerror(rc));
				goto out;
			}
		}
		if (stop_done_at != 0 && !att_done &&
		    now - stop_done_at > PODMAN_STOP_GRACE_MS) {
			*cause = xasprintf("podman: %s: output still open %d s "
			    "after stop", what, PODMAN_STOP_GRACE_MS / 1000);
			goto out;
		}
		if ((mc = curl_multi_poll(multi, NULL, 0, PODMAN_POLL_MS,
		    NULL)) != CURLM_OK)
			goto multi_fail;
	}

	if (podman_stream_result(p, &st, att_rc, what, cause) != 0)
		goto out;
	if (!start_ok) {
		*cause = xasprintf("podman: %s: output ended before start",
		    what);
		goto out;
	}
	/* A hijacked stream has no length: a service that dies looks like
	 * the end of the output, and only the wait tells. */
	if (podman_wait(p, id, exit_code, &gone, &wcause) != 0) {
		if (gone) {
			*cause = xasprintf("podman: container %s: Podman went "
			    "away as its output ended (%s)", sid, wcause);
			free(wcause);
		} else
			*cause = wcause;
		goto out;
	}
	ret = 0;
	goto out;

multi_fail:
	*cause = xasprintf("podman: %s: %s", what, curl_multi_strerror(mc));
out:
	if (multi != NULL) {
		if (att != NULL)
			curl_multi_remove_handle(multi, att);
		if (stop != NULL)
			curl_multi_remove_handle(multi, stop);
		curl_multi_remove_handle(multi, p->easy);
	}
	if (att != NULL)
		curl_easy_cleanup(att);
	if (stop != NULL)
		curl_easy_cleanup(stop);
	if (multi != NULL)
		curl_multi_cleanup(multi);
	buf_free(&st.err);
	buf_free(&start_r.body);
	buf_free(&stop_r.body);
	free(what);
	return (ret);
}

/* GET logs without follow: the recorded output, framed. */
int
podman_container_logs(struct podman *p, const char *id, podman_output_cb cb,
    void *arg, char **cause)
{
	struct stream	 st;
	CURLcode	 rc;
	char		*path, *what, sid[PODMAN_SID];
	int		 ret = -1;

	podman_stream_init(&st, cb, arg);
	path = podman_cpath(id, "/logs?stdout=true&stderr=true");
	what = xasprintf("logs of container %s",
	    podman_short(id, sid, sizeof sid));
	curl_easy_reset(p->easy);
	if (podman_setup(p, p->easy, "GET", path, NULL, NULL, 0, 0,
	    podman_stream_write, &st, st.errbuf, what, cause) != 0)
		goto out;
	if ((rc = curl_easy_setopt(p->easy, CURLOPT_HEADERFUNCTION,
	    podman_stream_header)) != CURLE_OK ||
	    (rc = curl_easy_setopt(p->easy, CURLOPT_HEADERDATA, &st)) !=
	    CURLE_OK) {
		*cause = xasprintf("podman: %s: curl_easy_setopt: %s", what,
		    curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(p->easy);
	ret = podman_stream_result(p, &st, rc, what, cause);
out:
	buf_free(&st.err);
	free(what);
	free(path);
	return (ret);
}
