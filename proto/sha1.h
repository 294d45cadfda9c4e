/* sha1.h -- SHA-1 (FIPS 180-4), only to name git objects; not for security. */
#ifndef PROTO_SHA1_H
#define PROTO_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN	20
#define SHA1_HEXLEN	40	/* without the NUL */

struct sha1_ctx {
	uint32_t	 h[5];
	uint64_t	 nbytes;
	unsigned char	 block[64];
	size_t		 nblock;
};

void	sha1_init(struct sha1_ctx *);
void	sha1_update(struct sha1_ctx *, const void *, size_t);
void	sha1_final(struct sha1_ctx *, unsigned char out[SHA1_LEN]);
/* Lowercase hex of a digest into out (SHA1_HEXLEN + 1 bytes). */
void	sha1_hex(const unsigned char in[SHA1_LEN], char out[SHA1_HEXLEN + 1]);

#endif
