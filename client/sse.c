/* sse.c -- parse a text/event-stream into events (WHATWG HTML, 9.2.6). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "client/sse.h"

void
sse_init(struct sse *s)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->line, SSE_MAX_EVENT);
	buf_init(&s->data, SSE_MAX_EVENT);
}

void
sse_free(struct sse *s)
{
	buf_free(&s->line);
	buf_free(&s->data);
	free(s->type);
	free(s->id);
	memset(s, 0, sizeof *s);
}

/* A blank line: hand over the event, if it has data, and start anew. */
static void
sse_dispatch(struct sse *s, sse_fn fn, void *arg)
{
	if (!s->toolong && s->data.len > 0) {
		if (s->data.data[s->data.len - 1] == '\n')
			s->data.data[--s->data.len] = '\0';
		fn(s->type != NULL ? s->type : "message", s->id,
		    s->data.data, arg);
	}
	buf_reset(&s->data);
	free(s->type);
	s->type = NULL;
	s->toolong = 0;
	/* The id stays: it is the stream's last event id. */
}

/* One whole line (without its end). */
static void
sse_line(struct sse *s, sse_fn fn, void *arg)
{
	const char	*l = s->line.data != NULL ? s->line.data : "";
	const char	*colon, *v;
	size_t		 n;

	if (s->line.len == 0) {
		sse_dispatch(s, fn, arg);
		return;
	}
	if (*l == ':')
		return;			/* a comment: keepalive */
	if ((colon = strchr(l, ':')) != NULL) {
		n = (size_t)(colon - l);
		v = colon + 1;
		if (*v == ' ')
			v++;
	} else {
		n = strlen(l);
		v = "";
	}
	if (n == 4 && strncmp(l, "data", 4) == 0) {
		if (buf_addstr(&s->data, v) != 0 ||
		    buf_add(&s->data, "\n", 1) != 0)
			s->toolong = 1;
	} else if (n == 5 && strncmp(l, "event", 5) == 0) {
		free(s->type);
		s->type = xstrdup(v);
	} else if (n == 2 && strncmp(l, "id", 2) == 0) {
		free(s->id);
		s->id = xstrdup(v);
	}
}

/* Feed bytes; see sse.h. */
void
sse_feed(struct sse *s, const char *p, size_t len, sse_fn fn, void *arg)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && s->cr) {
			s->cr = 0;	/* the \n of a \r\n */
			continue;
		}
		s->cr = p[i] == '\r';
		if (p[i] == '\n' || p[i] == '\r') {
			sse_line(s, fn, arg);
			buf_reset(&s->line);
			continue;
		}
		if (buf_add(&s->line, p + i, 1) != 0)
			s->toolong = 1;	/* the rest of the line is lost */
	}
}
