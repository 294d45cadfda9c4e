/* test_sha256.c -- SHA-256 against the NIST FIPS 180-4 example vectors. */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proto/sha256.h"

static void
hex_of(const void *data, size_t len, char out[SHA256_HEXLEN + 1])
{
	unsigned char	d[SHA256_LEN];

	sha256(data, len, d);
	sha256_hex(d, out);
}

Test(sha256, empty)
{
	char	h[SHA256_HEXLEN + 1];

	hex_of("", 0, h);
	cr_assert_str_eq(h,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc)
{
	char	h[SHA256_HEXLEN + 1];

	hex_of("abc", 3, h);
	cr_assert_str_eq(h,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, two_blocks)
{
	const char	*m =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char		 h[SHA256_HEXLEN + 1];

	hex_of(m, strlen(m), h);
	cr_assert_str_eq(h,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, long_896_bits)
{
	const char	*m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
	    "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char		 h[SHA256_HEXLEN + 1];

	hex_of(m, strlen(m), h);
	cr_assert_str_eq(h,
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, million_a)
{
	char	*m;
	char	 h[SHA256_HEXLEN + 1];

	m = malloc(1000000);
	cr_assert_not_null(m);
	memset(m, 'a', 1000000);
	hex_of(m, 1000000, h);
	free(m);
	cr_assert_str_eq(h,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, incremental_matches_oneshot)
{
	struct sha256_ctx	 ctx;
	unsigned char		 a[SHA256_LEN], b[SHA256_LEN], buf[1000];
	size_t			 i, off, step;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	sha256(buf, sizeof buf, a);
	/* Odd chunk sizes cross every block boundary position. */
	for (step = 1; step < 130; step++) {
		sha256_init(&ctx);
		for (off = 0; off < sizeof buf; off += step)
			sha256_update(&ctx, buf + off,
			    off + step > sizeof buf ? sizeof buf - off : step);
		sha256_final(&ctx, b);
		cr_assert(memcmp(a, b, SHA256_LEN) == 0, "step %zu", step);
	}
}

Test(sha256, million_a_incremental)
{
	struct sha256_ctx	ctx;
	unsigned char		d[SHA256_LEN];
	char			h[SHA256_HEXLEN + 1], chunk[1000];
	int			i;

	memset(chunk, 'a', sizeof chunk);
	sha256_init(&ctx);
	for (i = 0; i < 1000; i++)
		sha256_update(&ctx, chunk, sizeof chunk);
	sha256_final(&ctx, d);
	sha256_hex(d, h);
	cr_assert_str_eq(h,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, padding_edges)
{
	unsigned char	buf[64];
	char		h[SHA256_HEXLEN + 1];

	/* 55 bytes fit the length in one block, 56 need a second. */
	memset(buf, 'a', sizeof buf);
	hex_of(buf, 55, h);
	cr_assert_str_eq(h,
	    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	hex_of(buf, 56, h);
	cr_assert_str_eq(h,
	    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	hex_of(buf, 64, h);
	cr_assert_str_eq(h,
	    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

Test(sha256, hex_valid)
{
	cr_assert(sha256_hex_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	cr_assert(!sha256_hex_valid(
	    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	cr_assert(!sha256_hex_valid("e3b0"));
	cr_assert(!sha256_hex_valid(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8551"));
	cr_assert(!sha256_hex_valid(
	    "../0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	cr_assert(!sha256_hex_valid(""));
}
