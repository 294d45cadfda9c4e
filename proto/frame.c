/* frame.c -- incremental decoder for Podman's multiplexed stream frames. */

#include <string.h>

#include "proto/frame.h"

/* Reset a decoder to expect a header. */
void
frame_init(struct frame_decoder *fd)
{
	memset(fd, 0, sizeof *fd);
}

/* Check a complete header and set up the frame it announces. */
static int
frame_header(struct frame_decoder *fd)
{
	const unsigned char	*h = fd->hdr;
	uint32_t		 len;

	if (h[0] > 2 || h[1] != 0 || h[2] != 0 || h[3] != 0)
		return (-1);
	len = ((uint32_t)h[4] << 24) | ((uint32_t)h[5] << 16) |
	    ((uint32_t)h[6] << 8) | (uint32_t)h[7];
	if (len > FRAME_MAX_PAYLOAD)
		return (-1);
	fd->stream = h[0];
	fd->remaining = len;
	fd->hdrlen = 0;
	return (0);
}

/*
 * Feed a chunk.  Between frames hdrlen counts header bytes held; once a
 * header is complete, remaining counts payload bytes due.  A zero-length
 * frame is consumed without a callback.
 */
int
frame_feed(struct frame_decoder *fd, const char *data, size_t len,
    frame_cb cb, void *arg)
{
	size_t	n;

	if (fd->error)
		return (-1);
	while (len > 0) {
		if (fd->remaining == 0) {
			n = sizeof fd->hdr - fd->hdrlen;
			if (n > len)
				n = len;
			memcpy(fd->hdr + fd->hdrlen, data, n);
			fd->hdrlen += n;
			data += n;
			len -= n;
			if (fd->hdrlen < sizeof fd->hdr)
				break;
			if (frame_header(fd) != 0) {
				fd->error = 1;
				return (-1);
			}
			continue;
		}
		n = fd->remaining;
		if (n > len)
			n = len;
		if (cb != NULL && cb(fd->stream, data, n, arg) != 0) {
			fd->error = 1;
			return (-1);
		}
		fd->remaining -= n;
		data += n;
		len -= n;
	}
	return (0);
}

/* True when no partial header or payload is held. */
int
frame_idle(const struct frame_decoder *fd)
{
	return (!fd->error && fd->hdrlen == 0 && fd->remaining == 0);
}
