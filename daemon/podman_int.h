/* podman_int.h -- plumbing shared by podman.c, podcontainer.c, podimage.c
 * and podstream.c; not for other modules. */
#ifndef DAEMON_PODMAN_INT_H
#define DAEMON_PODMAN_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "proto/util.h"

#define PODMAN_REPLY_MAX	(4u << 20)	/* cap on a non-stream body */
#define PODMAN_LINE_MAX		(1u << 20)	/* cap on one pull progress line */
#define PODMAN_CALL_S		120L		/* quick calls: start, create... */
#define PODMAN_SID		65		/* podman_short buffer */

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

cJSON		*podman_jcheck(cJSON *);
char		*podman_escape(const char *, const char *);
const char	*podman_short(const char *, char *, size_t);
char		*podman_curl_cause(struct podman *, const char *, CURLcode,
		    const char *);
char		*podman_status_cause(const char *, long, const struct buf *);
size_t		 podman_reply_write(char *, size_t, size_t, void *);
int		 podman_setup(struct podman *, CURL *, const char *,
		    const char *, struct curl_slist *, const void *, size_t,
		    long, curl_write_callback, void *, char *, const char *,
		    char **);
void		 podman_reply_init(struct reply *, size_t);
int		 podman_call(struct podman *, const char *, const char *,
		    struct curl_slist *, const void *, size_t, long,
		    struct reply *, const char *, char **);
int		 podman_request(struct podman *, const char *, const char *,
		    struct curl_slist *, const void *, size_t, long, long,
		    long, struct reply *, const char *, char **);
int		 podman_simple(struct podman *, const char *, const char *,
		    long, long, long, const char *, char **);
char		*podman_cpath(const char *, const char *);

/* podcontainer.c */
int		 podman_wait(struct podman *, const char *, int *, int *,
		    char **);

#endif
