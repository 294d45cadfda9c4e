/* sha256.h -- SHA-256 (FIPS 180-4) for blob digests. */
#ifndef PROTO_SHA256_H
#define PROTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_HEXLEN	64	/* without the NUL */

struct sha256_ctx {
	uint32_t	 h[8];
	uint64_t	 nbytes;	/* message length so far */
	unsigned char	 block[64];
	size_t		 nblock;	/* bytes held in block */
};

void	sha256_init(struct sha256_ctx *);
void	sha256_update(struct sha256_ctx *, const void *, size_t);
/* Write the digest to out; the context must be initialised again to reuse. */
void	sha256_final(struct sha256_ctx *, unsigned char out[SHA256_LEN]);
/* One-shot digest of len bytes. */
void	sha256(const void *, size_t, unsigned char out[SHA256_LEN]);
/* Lowercase hex of a digest into out (SHA256_HEXLEN + 1 bytes). */
void	sha256_hex(const unsigned char in[SHA256_LEN],
	    char out[SHA256_HEXLEN + 1]);
/* True when s is exactly 64 lowercase hex digits (a blob name). */
int	sha256_hex_valid(const char *s);

#endif
