/* podstream.c -- Podman's streams: attach-before-start, logs, archives. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "daemon/podman.h"
#include "daemon/podman_int.h"
#include "proto/frame.h"
#include "proto/util.h"

#define PODMAN_ERROR_MAX	(64u << 10)	/* cap on an error body of a stream */
#define PODMAN_POLL_MS		100
#define PODMAN_ATTACH_MS	60000		/* attach must answer by then */
#define PODMAN_STOP_GRACE_MS	30000		/* output must end after stop */


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

/* Set up a body-less stream request on e: frames go to st, headers tell
 * when the stream is in place. */
static int
podman_stream_setup(struct podman *p, CURL *e, const char *method,
    const char *path, struct stream *st, const char *what, char **cause)
{
	CURLcode	rc;

	if (podman_setup(p, e, method, path, NULL, NULL, 0, 0,
	    podman_stream_write, st, st->errbuf, what, cause) != 0)
		return (-1);
	if ((rc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION,
	    podman_stream_header)) != CURLE_OK ||
	    (rc = curl_easy_setopt(e, CURLOPT_HEADERDATA, st)) != CURLE_OK) {
		*cause = xasprintf("podman: %s: curl_easy_setopt: %s", what,
		    curl_easy_strerror(rc));
		return (-1);
	}
	return (0);
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
	r = podman_stream_setup(p, att, "POST", path, &st, what, cause);
	free(path);
	if (r != 0)
		goto out;
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
		/* Not while the start is in flight: a stop that reaches Podman
		 * before the container runs does nothing, and it then runs. */
		if (st.stop_wanted && !stop_sent && start_ok) {
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
	if (podman_stream_setup(p, p->easy, "GET", path, &st, what,
	    cause) != 0)
		goto out;
	rc = curl_easy_perform(p->easy);
	ret = podman_stream_result(p, &st, rc, what, cause);
out:
	buf_free(&st.err);
	free(what);
	free(path);
	return (ret);
}

/*
 * GET or PUT /containers/{id}/archive?path=path with r (initialised by the
 * caller, who frees its body).  A PUT's tar is typed x-tar, else Podman
 * copies nothing and still answers 200.  0 on 200, 1 when a GET finds no
 * such path, else -1.
 */
static int
podman_archive(struct podman *p, const char *method, const char *id,
    const char *path, const void *tar, size_t len, struct reply *r,
    char **cause)
{
	char	*epath, *suffix, *url, *what, sid[PODMAN_SID];
	int	 put, ret = -1;

	put = strcmp(method, "PUT") == 0;
	epath = podman_escape(path, "/");
	suffix = xasprintf("/archive?path=%s", epath);
	url = podman_cpath(id, suffix);
	what = xasprintf("copy %s %s:%s", put ? "to" : "from",
	    podman_short(id, sid, sizeof sid), path);
	if (podman_call(p, method, url, put ? p->tar_hdrs : NULL, tar, len, 0,
	    r, what, cause) != 0)
		goto out;
	if (!put && r->status == 404)
		ret = 1;
	else if (r->status != 200)
		*cause = podman_status_cause(what, r->status, &r->body);
	else
		ret = 0;
out:
	free(what);
	free(url);
	free(suffix);
	free(epath);
	return (ret);
}

/* PUT archive: extract the tar at path. */
int
podman_container_put_archive(struct podman *p, const char *id,
    const char *path, const void *tar, size_t len, char **cause)
{
	struct reply	r;
	int		ret;

	podman_reply_init(&r, PODMAN_REPLY_MAX);
	ret = podman_archive(p, "PUT", id, path, tar, len, &r, cause);
	buf_free(&r.body);
	return (ret);
}

/* GET archive: the tar of path, up to max bytes; 404 sets *missing. */
int
podman_container_get_archive(struct podman *p, const char *id,
    const char *path, size_t max, void **tar, size_t *len, int *missing,
    char **cause)
{
	struct reply	r;
	int		ret;

	*tar = NULL;
	*len = 0;
	*missing = 0;
	podman_reply_init(&r, max);
	if ((ret = podman_archive(p, "GET", id, path, NULL, 0, &r,
	    cause)) == 1) {
		*missing = 1;
		ret = 0;
	} else if (ret == 0)
		*tar = buf_steal(&r.body, len);
	buf_free(&r.body);
	return (ret);
}
