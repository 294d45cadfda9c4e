/* http.c -- stratusd's HTTP API over its unix socket, with libcurl. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/http.h"
#include "proto/util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0.1.0"
#endif

#define HTTP_BASE		"http://localhost"
#define HTTP_CONNECT_TIMEOUT	10L

struct http {
	char	*socket;	/* or the URL, with url set */
	char	*url;		/* TCP base URL; NULL: the unix socket */
	char	*token;		/* bearer token, or NULL */
	char	*cacert;	/* CA file for https, or NULL */
	int	 unreachable;
};

/* One streaming GET inside a multi handle. */
struct http_xfer {
	CURL			*easy;
	http_data_cb		 cb;
	void			*arg;
	struct buf		 err;		/* error body, capped */
	int			 aborted;
	char			 errbuf[CURL_ERROR_SIZE];
	struct curl_slist	*headers;
	struct http_xfer	*next;
};

struct http_multi {
	struct http		*h;
	CURLM			*m;
	struct http_xfer	*xfers;
};

/* What a blocking request collects. */
struct http_sink {
	struct buf	body;
	int		toobig;
};

/* Create a client for socket_path; the path is copied. */
struct http *
http_new(const char *socket_path)
{
	struct http	*h;

	h = xcalloc(1, sizeof *h);
	h->socket = xstrdup(socket_path);
	return (h);
}

/* Free a client. */
void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	free(h->socket);
	free(h->url);
	if (h->token != NULL)
		explicit_bzero(h->token, strlen(h->token));
	free(h->token);
	free(h->cacert);
	free(h);
}

void
http_set_remote(struct http *h, const char *url, const char *token,
    const char *cacert)
{
	size_t	 n;

	free(h->socket);
	h->socket = xstrdup(url);
	h->url = xstrdup(url);
	n = strlen(h->url);
	while (n > 0 && h->url[n - 1] == '/')
		h->url[--n] = '\0';
	h->token = token != NULL ? xstrdup(token) : NULL;
	h->cacert = cacert != NULL ? xstrdup(cacert) : NULL;
}

const char *
http_socket(const struct http *h)
{
	return (h->socket);
}

int
http_unreachable(const struct http *h)
{
	return (h->unreachable);
}

/* Percent-encode s for use as one path segment or query value. */
char *
http_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	out = o = xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
	}
	*o = '\0';
	return (out);
}

/* Body collector for blocking requests; refuses more than the cap. */
static size_t
http_sink_write(char *data, size_t size, size_t n, void *arg)
{
	struct http_sink	*s = arg;

	if (buf_add(&s->body, data, size * n) != 0) {
		s->toobig = 1;
		return (0);
	}
	return (size * n);
}

/* A fresh easy handle for path on h's socket, or NULL. */
static CURL *
http_easy(struct http *h, const char *path, char *errbuf)
{
	CURL	*e;
	char	*url;
	int	 ok;

	if ((e = curl_easy_init()) == NULL)
		return (NULL);
	url = xasprintf("%s%s", h->url != NULL ? h->url : HTTP_BASE, path);
	errbuf[0] = '\0';
	ok = (h->url != NULL || curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH,
	    h->socket) == CURLE_OK) &&
	    (h->token == NULL || (curl_easy_setopt(e, CURLOPT_HTTPAUTH,
	    (long)CURLAUTH_BEARER) == CURLE_OK && curl_easy_setopt(e,
	    CURLOPT_XOAUTH2_BEARER, h->token) == CURLE_OK)) &&
	    (h->cacert == NULL || curl_easy_setopt(e, CURLOPT_CAINFO,
	    h->cacert) == CURLE_OK) &&
	    curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT) ==
	    CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "stratus/" PACKAGE_VERSION) ==
	    CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	free(url);
	if (!ok) {
		curl_easy_cleanup(e);
		return (NULL);
	}
	return (e);
}

/* Explain a failed transfer; notes when nothing was listening. */
static char *
http_transport_cause(struct http *h, CURL *e, CURLcode code,
    const char *errbuf)
{
	long	oserr = 0;

	if (curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr) != CURLE_OK)
		oserr = 0;
	if (code == CURLE_COULDNT_CONNECT) {
		h->unreachable = 1;
		return (xasprintf("cannot connect to stratusd at %s: %s",
		    h->socket, oserr != 0 ? strerror((int)oserr) :
		    curl_easy_strerror(code)));
	}
	return (xasprintf("stratusd at %s: %s", h->socket,
	    *errbuf != '\0' ? errbuf : curl_easy_strerror(code)));
}

/* The daemon's error message from an error body, or a generic one. */
static char *
http_error_cause(long status, const char *body, size_t len)
{
	cJSON		*j, *err, *msg;
	char		*cause = NULL;

	if (len != 0 && (j = cJSON_ParseWithLength(body, len)) != NULL) {
		err = cJSON_GetObjectItemCaseSensitive(j, "error");
		msg = cJSON_IsObject(err) ?
		    cJSON_GetObjectItemCaseSensitive(err, "message") : NULL;
		if (cJSON_IsString(msg) && msg->valuestring != NULL &&
		    *msg->valuestring != '\0')
			cause = xstrdup(msg->valuestring);
		cJSON_Delete(j);
	}
	if (cause == NULL)
		cause = xasprintf("stratusd answered HTTP %ld", status);
	return (cause);
}

/* Perform e, then sort the answer into success or cause. */
static int
http_finish(struct http *h, CURL *e, const char *errbuf,
    struct http_sink *sink, long *status, char **cause)
{
	CURLcode	code;

	*status = 0;
	h->unreachable = 0;
	code = curl_easy_perform(e);
	if (sink->toobig) {
		*cause = xasprintf("stratusd sent more than %u bytes",
		    (unsigned)HTTP_MAX_RESPONSE);
		return (-1);
	}
	if (code != CURLE_OK) {
		*cause = http_transport_cause(h, e, code, errbuf);
		return (-1);
	}
	if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status) != CURLE_OK) {
		*cause = xstrdup("libcurl: no response code");
		return (-1);
	}
	return (0);
}

/* method path with an optional JSON body; see http.h. */
int
http_json(struct http *h, const char *method, const char *path,
    const cJSON *body, cJSON **out, char **cause)
{
	CURL			*e = NULL;
	struct curl_slist	*hdrs = NULL, *t;
	struct http_sink	 sink;
	char			 errbuf[CURL_ERROR_SIZE], *text = NULL;
	const char		*hnames[] = {
		"Accept: application/json", "Content-Type: application/json",
		"Expect:"
	};
	cJSON			*j = NULL;
	long			 status;
	size_t			 i;
	int			 rv = -1, ok;

	*out = NULL;
	buf_init(&sink.body, HTTP_MAX_RESPONSE);
	sink.toobig = 0;
	if ((e = http_easy(h, path, errbuf)) == NULL) {
		*cause = xstrdup("libcurl: cannot set up a request");
		goto out;
	}
	for (i = 0; i < sizeof hnames / sizeof hnames[0]; i++) {
		if ((t = curl_slist_append(hdrs, hnames[i])) == NULL) {
			*cause = xstrdup("libcurl: out of memory");
			goto out;
		}
		hdrs = t;
	}
	ok = curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_sink_write) ==
	    CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink) == CURLE_OK;
	if (ok && strcmp(method, "GET") == 0)
		ok = curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
	else if (ok) {
		if (body != NULL &&
		    (text = cJSON_PrintUnformatted(body)) == NULL) {
			*cause = xstrdup("cannot encode the request");
			goto out;
		}
		ok = curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    text != NULL ? text : "") == CURLE_OK &&
		    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(text != NULL ? strlen(text) : 0)) == CURLE_OK;
		if (ok && strcmp(method, "POST") != 0)
			ok = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
			    method) == CURLE_OK;
	}
	if (!ok) {
		*cause = xstrdup("libcurl: cannot set up a request");
		goto out;
	}
	if (http_finish(h, e, errbuf, &sink, &status, cause) != 0)
		goto out;
	if (status < 200 || status > 299) {
		*cause = http_error_cause(status, sink.body.data, sink.body.len);
		goto out;
	}
	j = cJSON_ParseWithLength(sink.body.data, sink.body.len);
	if (!cJSON_IsObject(j)) {
		*cause = xstrdup("stratusd sent an answer that is not a "
		    "JSON object");
		goto out;
	}
	*out = j;
	j = NULL;
	rv = 0;
out:
	cJSON_Delete(j);
	if (text != NULL)
		cJSON_free(text);
	curl_slist_free_all(hdrs);
	if (e != NULL)
		curl_easy_cleanup(e);
	buf_free(&sink.body);
	return (rv);
}

/* HEAD path; see http.h. */
int
http_head(struct http *h, const char *path, long *status, char **cause)
{
	CURL			*e;
	struct http_sink	 sink;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 rv = -1;

	buf_init(&sink.body, HTTP_MAX_ERROR_BODY);
	sink.toobig = 0;
	if ((e = http_easy(h, path, errbuf)) == NULL ||
	    curl_easy_setopt(e, CURLOPT_NOBODY, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_sink_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink) != CURLE_OK) {
		*cause = xstrdup("libcurl: cannot set up a request");
		goto out;
	}
	if (http_finish(h, e, errbuf, &sink, status, cause) != 0)
		goto out;
	if (*status != 200 && *status != 404) {
		*cause = xasprintf("stratusd answered HTTP %ld to HEAD %s",
		    *status, path);
		goto out;
	}
	rv = 0;
out:
	if (e != NULL)
		curl_easy_cleanup(e);
	buf_free(&sink.body);
	return (rv);
}

/* Upload reader: the next bytes of the file. */
static size_t
http_read_file(char *data, size_t size, size_t n, void *arg)
{
	FILE	*f = arg;
	size_t	 got;

	got = fread(data, 1, size * n, f);
	if (got == 0 && ferror(f))
		return (CURL_READFUNC_ABORT);
	return (got);
}

/* PUT the contents of file to path; see http.h. */
int
http_put_file(struct http *h, const char *path, const char *file,
    const char *content_type, char **cause)
{
	CURL			*e = NULL;
	FILE			*f = NULL;
	struct stat		 st;
	struct curl_slist	*hdrs = NULL, *t;
	struct http_sink	 sink;
	char			 errbuf[CURL_ERROR_SIZE], *ctype;
	long			 status;
	int			 rv = -1;

	buf_init(&sink.body, HTTP_MAX_ERROR_BODY);
	sink.toobig = 0;
	ctype = xasprintf("Content-Type: %s", content_type);
	if ((f = fopen(file, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		goto out;
	}
	if ((t = curl_slist_append(hdrs, ctype)) == NULL) {
		*cause = xstrdup("libcurl: out of memory");
		goto out;
	}
	hdrs = t;
	/* The daemon answers at once; waiting for 100-continue only slows. */
	if ((t = curl_slist_append(hdrs, "Expect:")) == NULL) {
		*cause = xstrdup("libcurl: out of memory");
		goto out;
	}
	hdrs = t;
	if ((e = http_easy(h, path, errbuf)) == NULL ||
	    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READFUNCTION, http_read_file) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READDATA, f) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)st.st_size) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_sink_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink) != CURLE_OK) {
		*cause = xstrdup("libcurl: cannot set up a request");
		goto out;
	}
	if (http_finish(h, e, errbuf, &sink, &status, cause) != 0)
		goto out;
	if (status < 200 || status > 299) {
		*cause = http_error_cause(status, sink.body.data, sink.body.len);
		goto out;
	}
	rv = 0;
out:
	if (e != NULL)
		curl_easy_cleanup(e);
	if (f != NULL)
		fclose(f);
	curl_slist_free_all(hdrs);
	free(ctype);
	buf_free(&sink.body);
	return (rv);
}

/* Create a multi handle for streaming GETs on h; NULL if libcurl fails. */
struct http_multi *
http_multi_new(struct http *h)
{
	struct http_multi	*hm;

	hm = xcalloc(1, sizeof *hm);
	hm->h = h;
	if ((hm->m = curl_multi_init()) == NULL) {
		free(hm);
		return (NULL);
	}
	return (hm);
}

/* Free one transfer (already out of the multi handle). */
static void
http_xfer_free(struct http_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	buf_free(&x->err);
	free(x);
}

/* Streaming write callback: body to cb on 2xx, else aside as error. */
static size_t
http_xfer_write(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;
	long			 status = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	if (status >= 200 && status <= 299) {
		if (x->cb(data, size * n, x->arg) != 0) {
			x->aborted = 1;
			return (0);
		}
		return (size * n);
	}
	(void)buf_add(&x->err, data, size * n);	/* past the cap: dropped */
	return (size * n);
}

/* Start a streaming GET; see http.h. */
int
http_multi_add(struct http_multi *hm, const char *path, http_data_cb cb,
    void *arg, char **cause)
{
	struct http_xfer	*x;
	struct curl_slist	*t;

	x = xcalloc(1, sizeof *x);
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->err, HTTP_MAX_ERROR_BODY);
	if ((t = curl_slist_append(NULL, "Accept: text/plain")) == NULL)
		goto fail;
	x->headers = t;
	if ((x->easy = http_easy(hm->h, path, x->errbuf)) == NULL ||
	    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers) !=
	    CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, http_xfer_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x) != CURLE_OK)
		goto fail;
	if (curl_multi_add_handle(hm->m, x->easy) != CURLM_OK)
		goto fail;
	x->next = hm->xfers;
	hm->xfers = x;
	return (0);
fail:
	*cause = xstrdup("libcurl: cannot start a log request");
	http_xfer_free(x);
	return (-1);
}

/* Drive transfers; see http.h. */
int
http_multi_poll(struct http_multi *hm, int timeout_ms, char **cause)
{
	CURLMcode	mc;
	int		running = 0;

	if ((mc = curl_multi_perform(hm->m, &running)) != CURLM_OK)
		goto fail;
	if (running == 0)
		return (0);
	if ((mc = curl_multi_poll(hm->m, NULL, 0, timeout_ms, NULL)) !=
	    CURLM_OK)
		goto fail;
	if ((mc = curl_multi_perform(hm->m, &running)) != CURLM_OK)
		goto fail;
	return (running);
fail:
	*cause = xasprintf("libcurl: %s", curl_multi_strerror(mc));
	return (-1);
}

/* Report one ended transfer and free it; see http.h. */
int
http_multi_next(struct http_multi *hm, struct http_done *d)
{
	struct http_xfer	*x, **px;
	CURLMsg			*msg;
	CURLcode		 code;
	char			*priv = NULL;
	int			 left;

	memset(d, 0, sizeof *d);
	for (;;) {
		if ((msg = curl_multi_info_read(hm->m, &left)) == NULL)
			return (0);
		if (msg->msg == CURLMSG_DONE)
			break;
	}
	code = msg->data.result;
	if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) !=
	    CURLE_OK || priv == NULL)
		return (0);	/* not ours: cannot happen */
	x = (struct http_xfer *)priv;
	curl_multi_remove_handle(hm->m, x->easy);
	for (px = &hm->xfers; *px != NULL; px = &(*px)->next) {
		if (*px == x) {
			*px = x->next;
			break;
		}
	}

	d->arg = x->arg;
	hm->h->unreachable = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &d->status) !=
	    CURLE_OK)
		d->status = 0;
	if (x->aborted) {
		d->aborted = 1;
		d->cause = xstrdup("aborted");
	} else if (code != CURLE_OK) {
		switch (code) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_PARTIAL_FILE:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_OPERATION_TIMEDOUT:
			d->dropped = 1;
			break;
		default:
			break;
		}
		d->cause = http_transport_cause(hm->h, x->easy, code, x->errbuf);
	} else if (d->status < 200 || d->status > 299)
		d->cause = http_error_cause(d->status, x->err.data, x->err.len);
	else
		d->complete = 1;
	http_xfer_free(x);
	return (1);
}

/* Abort and free every transfer, then the multi handle. */
void
http_multi_free(struct http_multi *hm)
{
	struct http_xfer	*x;

	if (hm == NULL)
		return;
	while ((x = hm->xfers) != NULL) {
		hm->xfers = x->next;
		curl_multi_remove_handle(hm->m, x->easy);
		http_xfer_free(x);
	}
	curl_multi_cleanup(hm->m);
	free(hm);
}
