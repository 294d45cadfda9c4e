/* sha1.c -- SHA-1 for git object names (what the index and trees record). */
#include <string.h>

#include "proto/sha1.h"

#define ROL(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))

/* One 64-byte block into the state. */
static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t	w[80], a, b, c, d, e, f, k, t;
	int		i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1_ctx *c)
{
	static const uint32_t	iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
	    0x10325476, 0xc3d2e1f0 };

	memset(c, 0, sizeof *c);
	memcpy(c->h, iv, sizeof iv);
}

void
sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 n;

	c->nbytes += len;
	while (len > 0) {
		n = 64 - c->nblock;
		if (n > len)
			n = len;
		memcpy(c->block + c->nblock, p, n);
		c->nblock += n;
		p += n;
		len -= n;
		if (c->nblock == 64) {
			sha1_block(c->h, c->block);
			c->nblock = 0;
		}
	}
}

void
sha1_final(struct sha1_ctx *c, unsigned char out[SHA1_LEN])
{
	unsigned char	pad[72];
	uint64_t	bits = c->nbytes * 8;
	size_t		n, i;

	n = c->nblock < 56 ? 56 - c->nblock : 120 - c->nblock;
	memset(pad, 0, sizeof pad);
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(c, pad, n + 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void
sha1_hex(const unsigned char in[SHA1_LEN], char out[SHA1_HEXLEN + 1])
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < SHA1_LEN; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[SHA1_HEXLEN] = '\0';
}
