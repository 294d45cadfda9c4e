/* http.h -- libcurl to stratusd over its unix socket: JSON calls and streams. */
#ifndef CLIENT_HTTP_H
#define CLIENT_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Cap on any JSON answer and on an error body; anything larger is refused. */
#define HTTP_MAX_RESPONSE	(32u << 20)
#define HTTP_MAX_ERROR_BODY	(64u << 10)

struct http;

/* Connect to socket_path (copied) for each request; free with http_free. */
struct http	*http_new(const char *socket_path);
void		 http_free(struct http *);
const char	*http_socket(const struct http *);
/* Talk to url (http or https://HOST:PORT) over TCP instead, sending token
 * (or none) as a bearer token and trusting the CA file cacert (or the
 * system's); all copied. */
void		 http_set_remote(struct http *, const char *url,
		    const char *token, const char *cacert);
/* True when the last failure was that nothing answered on the socket. */
int		 http_unreachable(const struct http *);

/* Percent-encode one path or query component; caller frees. */
char		*http_escape(const char *);

/*
 * method path with an optional JSON body (NULL for none).  A 2xx answer whose
 * body is a JSON object returns 0 and *out (caller frees with cJSON_Delete).
 * Anything else returns -1 and cause (caller frees): the daemon's error
 * message, or what went wrong with the connection.
 */
int		 http_json(struct http *, const char *method, const char *path,
		    const cJSON *body, cJSON **out, char **cause);
/* HEAD path: 0 and *status for 200 and 404, else -1 with cause. */
int		 http_head(struct http *, const char *path, long *status,
		    char **cause);
/* PUT path with the contents of file streamed as body: 0 on 2xx. */
int		 http_put_file(struct http *, const char *path, const char *file,
		    const char *content_type, char **cause);

/*
 * Streaming GETs run side by side in one curl multi handle.  cb gets the body
 * of a 2xx answer as it arrives and returns 0, or nonzero to abort that
 * transfer.  Error bodies are kept aside and become http_done's cause.
 */
typedef int (*http_data_cb)(const char *, size_t, void *);

struct http_multi;

struct http_done {
	void	*arg;		/* as given to http_multi_add */
	int	 complete;	/* 2xx answer received to its end */
	int	 dropped;	/* connection failed or broke: worth retrying */
	int	 aborted;	/* cb returned nonzero */
	long	 status;	/* 0 when no answer */
	char	*cause;		/* when !complete; caller frees */
};

struct http_multi	*http_multi_new(struct http *);
/* Start GET path; 0, or -1 with cause (caller frees). */
int		 http_multi_add(struct http_multi *, const char *path,
		    http_data_cb, void *arg, char **cause);
/* Move data for up to timeout_ms; returns the transfers still running or -1. */
int		 http_multi_poll(struct http_multi *, int timeout_ms,
		    char **cause);
/* Take one ended transfer into d: 1, or 0 when none has ended. */
int		 http_multi_next(struct http_multi *, struct http_done *d);
/* Abort whatever still runs and free. */
void		 http_multi_free(struct http_multi *);

#endif
