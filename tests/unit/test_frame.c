/* test_frame.c -- the stream frame decoder against split and hostile input. */

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"

/* Collects what the decoder delivered, per stream, plus call count. */
struct sink {
	char	out[4096];
	size_t	outlen;
	char	err[4096];
	size_t	errlen;
	int	calls;
	int	abort_after;	/* return nonzero on this call number; 0: never */
};

static int
sink_cb(int stream, const char *data, size_t len, void *arg)
{
	struct sink	*s = arg;

	s->calls++;
	if (stream == 1) {
		cr_assert_leq(s->outlen + len, sizeof s->out);
		memcpy(s->out + s->outlen, data, len);
		s->outlen += len;
	} else if (stream == 2) {
		cr_assert_leq(s->errlen + len, sizeof s->err);
		memcpy(s->err + s->errlen, data, len);
		s->errlen += len;
	} else
		cr_assert_fail("unexpected stream %d", stream);
	if (s->abort_after != 0 && s->calls >= s->abort_after)
		return (1);
	return (0);
}

/* Append one frame to p; returns bytes written. */
static size_t
mkframe(unsigned char *p, int stream, const char *payload, size_t len)
{
	p[0] = (unsigned char)stream;
	p[1] = p[2] = p[3] = 0;
	p[4] = (unsigned char)(len >> 24);
	p[5] = (unsigned char)(len >> 16);
	p[6] = (unsigned char)(len >> 8);
	p[7] = (unsigned char)len;
	memcpy(p + 8, payload, len);
	return (8 + len);
}

/* Three frames: stdout "hello\n", empty stdout, stderr "oops\n". */
static size_t
sample(unsigned char *p)
{
	size_t	n = 0;

	n += mkframe(p + n, 1, "hello\n", 6);
	n += mkframe(p + n, 1, "", 0);
	n += mkframe(p + n, 2, "oops\n", 5);
	n += mkframe(p + n, 1, "bye\n", 4);
	return (n);
}

static void
check_sample(const struct sink *s)
{
	cr_assert_eq(s->outlen, 10);
	cr_assert_arr_eq(s->out, "hello\nbye\n", 10);
	cr_assert_eq(s->errlen, 5);
	cr_assert_arr_eq(s->err, "oops\n", 5);
}

Test(frame, single)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[64];
	size_t			n;

	frame_init(&fd);
	cr_assert(frame_idle(&fd));
	n = mkframe(buf, 1, "abc", 3);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), 0);
	cr_assert_eq(s.calls, 1);
	cr_assert_eq(s.outlen, 3);
	cr_assert_arr_eq(s.out, "abc", 3);
	cr_assert(frame_idle(&fd));
}

Test(frame, several_in_one_chunk)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[256];
	size_t			n;

	frame_init(&fd);
	n = sample(buf);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), 0);
	check_sample(&s);
	cr_assert_eq(s.calls, 3);	/* the empty frame makes no call */
	cr_assert(frame_idle(&fd));
}

Test(frame, header_split_everywhere)
{
	struct frame_decoder	fd;
	struct sink		s;
	unsigned char		buf[256];
	size_t			n, cut;

	n = sample(buf);
	for (cut = 0; cut <= n; cut++) {
		memset(&s, 0, sizeof s);
		frame_init(&fd);
		cr_assert_eq(frame_feed(&fd, (char *)buf, cut, sink_cb, &s), 0);
		cr_assert_eq(frame_feed(&fd, (char *)buf + cut, n - cut,
		    sink_cb, &s), 0, "cut at %zu", cut);
		check_sample(&s);
		cr_assert(frame_idle(&fd));
	}
}

Test(frame, split_header_is_not_idle)
{
	struct frame_decoder	fd;
	unsigned char		buf[64];
	size_t			n, cut;

	n = mkframe(buf, 2, "xy", 2);
	for (cut = 1; cut < n; cut++) {
		frame_init(&fd);
		cr_assert_eq(frame_feed(&fd, (char *)buf, cut, NULL, NULL), 0);
		cr_assert_not(frame_idle(&fd), "cut at %zu", cut);
	}
}

Test(frame, payload_split)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[64];
	size_t			n;

	frame_init(&fd);
	n = mkframe(buf, 1, "0123456789", 10);
	cr_assert_eq(frame_feed(&fd, (char *)buf, 11, sink_cb, &s), 0);
	cr_assert_eq(s.outlen, 3);
	cr_assert_not(frame_idle(&fd));
	cr_assert_eq(frame_feed(&fd, (char *)buf + 11, 4, sink_cb, &s), 0);
	cr_assert_eq(frame_feed(&fd, (char *)buf + 15, n - 15, sink_cb, &s),
	    0);
	cr_assert_eq(s.calls, 3);
	cr_assert_arr_eq(s.out, "0123456789", 10);
	cr_assert(frame_idle(&fd));
}

Test(frame, one_byte_at_a_time)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[256];
	size_t			n, i;

	frame_init(&fd);
	n = sample(buf);
	for (i = 0; i < n; i++)
		cr_assert_eq(frame_feed(&fd, (char *)buf + i, 1, sink_cb, &s),
		    0);
	check_sample(&s);
	cr_assert_eq(s.calls, 15);
	cr_assert(frame_idle(&fd));
}

Test(frame, zero_length)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[64];
	size_t			n;

	frame_init(&fd);
	n = mkframe(buf, 1, "", 0);
	n += mkframe(buf + n, 2, "", 0);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), 0);
	cr_assert_eq(s.calls, 0);
	cr_assert(frame_idle(&fd));
	cr_assert_eq(frame_feed(&fd, (char *)buf, 0, sink_cb, &s), 0);
}

Test(frame, stdin_stream_accepted)
{
	struct frame_decoder	fd;
	unsigned char		buf[64];
	size_t			n;

	frame_init(&fd);
	n = mkframe(buf, 0, "in", 2);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, NULL, NULL), 0);
	cr_assert(frame_idle(&fd));
}

Test(frame, bad_stream_rejected)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[64];
	size_t			n;

	frame_init(&fd);
	n = mkframe(buf, 3, "abc", 3);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), -1);
	cr_assert_eq(s.calls, 0);
	cr_assert_not(frame_idle(&fd));
	/* Sticky: a good frame afterwards is refused too. */
	n = mkframe(buf, 1, "abc", 3);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), -1);
	cr_assert_eq(s.calls, 0);
}

Test(frame, bad_padding_rejected)
{
	struct frame_decoder	fd;
	unsigned char		buf[64];
	size_t			n;
	int			i;

	for (i = 1; i <= 3; i++) {
		frame_init(&fd);
		n = mkframe(buf, 1, "abc", 3);
		buf[i] = 0x01;
		cr_assert_eq(frame_feed(&fd, (char *)buf, n, NULL, NULL), -1,
		    "padding byte %d", i);
	}
}

Test(frame, text_is_not_a_frame)
{
	struct frame_decoder	fd;
	const char		*s = "{\"message\":\"no such container\"}";

	frame_init(&fd);
	cr_assert_eq(frame_feed(&fd, s, strlen(s), NULL, NULL), -1);
}

Test(frame, oversized_rejected)
{
	struct frame_decoder	fd;
	unsigned char		hdr[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	uint32_t		len = FRAME_MAX_PAYLOAD + 1;

	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
	frame_init(&fd);
	cr_assert_eq(frame_feed(&fd, (char *)hdr, 8, NULL, NULL), -1);

	/* Exactly the cap is allowed. */
	len = FRAME_MAX_PAYLOAD;
	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
	frame_init(&fd);
	cr_assert_eq(frame_feed(&fd, (char *)hdr, 8, NULL, NULL), 0);
	cr_assert_not(frame_idle(&fd));
	cr_assert_eq(fd.remaining, FRAME_MAX_PAYLOAD);

	hdr[4] = hdr[5] = hdr[6] = hdr[7] = 0xff;
	frame_init(&fd);
	cr_assert_eq(frame_feed(&fd, (char *)hdr, 8, NULL, NULL), -1);
}

Test(frame, callback_abort)
{
	struct frame_decoder	fd;
	struct sink		s = { 0 };
	unsigned char		buf[256];
	size_t			n;

	frame_init(&fd);
	n = sample(buf);
	s.abort_after = 2;
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), -1);
	cr_assert_eq(s.calls, 2);
	cr_assert_eq(frame_feed(&fd, (char *)buf, n, sink_cb, &s), -1);
	cr_assert_eq(s.calls, 2);
}
