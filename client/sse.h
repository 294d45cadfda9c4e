/* sse.h -- a Server-Sent Events parser fed with bytes as they arrive. */
#ifndef CLIENT_SSE_H
#define CLIENT_SSE_H

#include <stddef.h>

#include "proto/util.h"

#define SSE_MAX_EVENT	(1u << 20)	/* longer events are dropped */

/* One dispatched event: type ("message" when none), id (or NULL), data. */
typedef void (*sse_fn)(const char *type, const char *id, const char *data,
    void *arg);

struct sse {
	struct buf	 line;		/* the partial line */
	struct buf	 data;		/* data lines so far, \n-joined */
	char		*type;
	char		*id;
	int		 cr;		/* the last byte was \r */
	int		 toolong;	/* this event is dropped */
};

void	sse_init(struct sse *);
void	sse_free(struct sse *);
/* Parse len bytes, calling fn for every event completed by a blank line. */
void	sse_feed(struct sse *, const char *bytes, size_t len, sse_fn fn,
	    void *arg);

#endif
