/* test_sse.c -- the client's text/event-stream parser (client/sse.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "client/sse.h"
#include "proto/util.h"

static struct buf	got;

static void
collect(const char *type, const char *id, const char *data, void *arg)
{
	(void)arg;
	buf_printf(&got, "[%s|%s|%s]", type, id != NULL ? id : "-", data);
}

static const char *
feed_in_pieces(const char *text, size_t piece)
{
	struct sse	 s;
	size_t		 i, n, len = strlen(text);

	buf_free(&got);
	buf_init(&got, 0);
	sse_init(&s);
	for (i = 0; i < len; i += n) {
		n = len - i < piece ? len - i : piece;
		sse_feed(&s, text + i, n, collect, NULL);
	}
	sse_free(&s);
	return (got.data != NULL ? got.data : "");
}

Test(sse, events_with_ids_types_and_comments_in_any_split)
{
	static const char	*text =
	    ": keepalive\n\n"
	    "id: 1\nevent: task\ndata: {\"a\":1}\n\n"
	    "id: 2\r\nevent: job\r\ndata: x\r\ndata:y\r\n\r\n"
	    "event: gap\ndata: {}\n\n"
	    "data: no blank line yet";
	size_t			 piece;

	for (piece = 1; piece <= strlen(text); piece++)
		cr_assert_str_eq(feed_in_pieces(text, piece),
		    "[task|1|{\"a\":1}][job|2|x\ny][gap|2|{}]",
		    "piece %zu", piece);
	buf_free(&got);
}

Test(sse, an_event_without_data_is_not_dispatched)
{
	cr_assert_str_eq(feed_in_pieces("event: x\n\nid: 7\n\ndata\n\n", 3),
	    "[message|7|]");
	buf_free(&got);
}

Test(sse, an_oversized_event_is_dropped_and_the_next_one_kept)
{
	struct buf	 big;
	size_t		 i;

	buf_init(&big, 0);
	buf_addstr(&big, "data: ");
	for (i = 0; i < SSE_MAX_EVENT + 10; i++)
		buf_add(&big, "z", 1);
	buf_addstr(&big, "\n\ndata: ok\n\n");
	cr_assert_str_eq(feed_in_pieces(big.data, 4096), "[message|-|ok]");
	buf_free(&big);
	buf_free(&got);
}
