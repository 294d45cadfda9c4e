/* podman.c -- the connection to Podman and the request plumbing shared by
 * podcontainer.c, podimage.c and podstream.c. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/podman.h"
#include "daemon/podman_int.h"
#include "proto/log.h"
#include "proto/util.h"

#define PODMAN_BASE		"http://d/v4.0.0/libpod"
#define PODMAN_CONNECT_S	10L

#define SETOPT(e, opt, val) do {					\
	if ((rc = curl_easy_setopt((e), (opt), (val))) != CURLE_OK)	\
		goto setopt_fail;					\
} while (0)

/* A cJSON allocation failure is out of memory: a broken invariant. */
cJSON *
podman_jcheck(cJSON *j)
{
	if (j == NULL)
		fatalx("cJSON: out of memory");
	return (j);
}

/* Percent-encode s, keeping unreserved bytes and those in keep; caller
 * frees. */
char *
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
const char *
podman_short(const char *id, char *out, size_t len)
{
	if (strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64)
		snprintf(out, len, "%.12s", id);
	else
		snprintf(out, len, "%.64s", id);
	return (out);
}

/* Cause for a failed transfer; caller frees. */
char *
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
char *
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
size_t
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

/*
 * Set the options common to every request on e: socket, URL (path is
 * relative to the libpod base), method and body.  body is not copied: it
 * must outlive the transfer.  timeout_s 0 means none (streams, wait).
 */
int
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
int
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

void
podman_reply_init(struct reply *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body, cap);
}

/*
 * podman_call, then judge the status: 0 when it is ok1 or ok2 (0: none),
 * else -1 with Podman's message.  r must be initialised; the caller frees
 * r->body.
 */
int
podman_request(struct podman *p, const char *method, const char *path,
    struct curl_slist *hdrs, const void *body, size_t len, long timeout_s,
    long ok1, long ok2, struct reply *r, const char *what, char **cause)
{
	if (podman_call(p, method, path, hdrs, body, len, timeout_s, r, what,
	    cause) != 0)
		return (-1);
	if (r->status != ok1 && (ok2 == 0 || r->status != ok2)) {
		*cause = podman_status_cause(what, r->status, &r->body);
		return (-1);
	}
	return (0);
}

/* A body-less call whose only result is its status (podman_request). */
int
podman_simple(struct podman *p, const char *method, const char *path,
    long timeout_s, long ok1, long ok2, const char *what, char **cause)
{
	struct reply	r;
	int		ret;

	podman_reply_init(&r, PODMAN_REPLY_MAX);
	ret = podman_request(p, method, path, NULL, NULL, 0, timeout_s, ok1,
	    ok2, &r, what, cause);
	buf_free(&r.body);
	return (ret);
}

/* Path "/containers/{id}{suffix}", escaped; caller frees. */

char *
podman_cpath(const char *id, const char *suffix)
{
	char	*eid, *s;

	eid = podman_escape(id, NULL);
	s = xasprintf("/containers/%s%s", eid, suffix);
	free(eid);
	return (s);
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
