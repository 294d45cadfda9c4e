/* frame.h -- Podman's multiplexed stream framing, decoded incrementally. */
#ifndef PROTO_FRAME_H
#define PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Frames are [stream, 0, 0, 0, uint32 big-endian length] then length bytes.
 * Stream 0 stdin, 1 stdout, 2 stderr.  Input arrives in arbitrary chunks: a
 * header may be split across calls.
 */
#define FRAME_MAX_PAYLOAD	(16u << 20)	/* cap on a peer-supplied length */

typedef int (*frame_cb)(int stream, const char *data, size_t len, void *arg);

struct frame_decoder {
	unsigned char	 hdr[8];
	size_t		 hdrlen;	/* header bytes held */
	uint32_t	 remaining;	/* payload bytes still due in this frame */
	int		 stream;
	int		 error;		/* sticky: bad header seen */
};

void	frame_init(struct frame_decoder *);
/*
 * Feed len bytes; cb is called for each run of payload as it arrives (a frame
 * may be delivered in several calls).  Returns 0, or -1 on a malformed header
 * (stream > 2, nonzero padding, length > FRAME_MAX_PAYLOAD) or when cb
 * returns nonzero.
 */
int	frame_feed(struct frame_decoder *, const char *, size_t, frame_cb,
	    void *);
/* True when the decoder stopped between frames (no partial frame held). */
int	frame_idle(const struct frame_decoder *);

#endif
