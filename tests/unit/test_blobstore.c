/* test_blobstore.c -- the snapshot store: digests checked, names confined. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* nftw */
#endif

#include <sys/stat.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/blobstore.h"
#include "proto/sha256.h"
#include "proto/util.h"

static char		 tmpdir[64];
static char		*blobdir;
static struct blobstore	*bs;

/* SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
#define ABC_HEX \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* nftw callback: remove one file or (depth first) directory. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

/* Give each test a fresh store in its own temporary directory. */
static void
setup(void)
{
	char	*cause = NULL;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_blobstore.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	blobdir = xasprintf("%s/blobs", tmpdir);
	cr_assert_eq(blobstore_open(blobdir, &bs, &cause), 0, "%s", cause);
}

static void
teardown(void)
{
	blobstore_close(bs);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH|FTW_PHYS);
	free(blobdir);
}

TestSuite(blobstore, .init = setup, .fini = teardown, .timeout = 30);

/* Hex digest of a buffer into out. */
static void
hexof(const void *p, size_t len, char out[SHA256_HEXLEN + 1])
{
	unsigned char	md[SHA256_LEN];

	sha256(p, len, md);
	sha256_hex(md, out);
}

/* Count the files, temporary ones included, under the store. */
static int	nfiles_count;

static int
nfiles_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F)
		nfiles_count++;
	return (0);
}

static int
nfiles(void)
{
	nfiles_count = 0;
	cr_assert_eq(nftw(blobdir, nfiles_cb, 16, FTW_PHYS), 0);
	return (nfiles_count);
}

Test(blobstore, streaming_round_trip)
{
	struct blob_writer	*w;
	char			*cause = NULL, *path, hex[SHA256_HEXLEN + 1];
	unsigned char		*big;
	void			*data;
	size_t			 len, i, off, n;
	struct stat		 st;

	big = xmalloc(300000);
	for (i = 0; i < 300000; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	hexof(big, 300000, hex);

	cr_assert_eq(blobstore_has(bs, hex), 0);
	cr_assert_eq(blobstore_put_begin(bs, hex, 300000, &w, &cause), 0, "%s",
	    cause);
	for (off = 0; off < 300000; off += n) {
		n = 1 + off % 4099;
		if (n > 300000 - off)
			n = 300000 - off;
		cr_assert_eq(blobstore_put_write(w, big + off, n, &cause), 0,
		    "%s", cause);
	}
	cr_assert_eq(blobstore_put_commit(w, &cause), 0, "%s", cause);
	cr_assert_eq(blobstore_has(bs, hex), 1);

	cr_assert_eq(blobstore_read(bs, hex, &data, &len, 0, &cause), 0, "%s",
	    cause);
	cr_assert_eq(len, 300000);
	cr_assert_eq(memcmp(data, big, len), 0);
	free(data);

	path = blobstore_path(bs, hex);
	cr_assert_not_null(path);
	cr_assert_eq(strncmp(path + strlen(blobdir), "/", 1), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 300000);
	cr_assert_eq(st.st_mode & 0777, 0600);
	free(path);
	cr_assert_eq(nfiles(), 1, "no temporary file left behind");
	free(big);
}

Test(blobstore, known_digest_and_one_shot_put)
{
	char	*cause = NULL, *path, *want;
	void	*data;
	size_t	 len;

	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0, "%s",
	    cause);
	cr_assert_eq(blobstore_read(bs, ABC_HEX, &data, &len, 3, &cause), 0,
	    "%s", cause);
	cr_assert_eq(len, 3);
	cr_assert_str_eq(data, "abc");	/* NUL terminated */
	free(data);

	path = blobstore_path(bs, ABC_HEX);
	want = xasprintf("%s/ba/%s", blobdir, ABC_HEX);
	cr_assert_str_eq(path, want);
	free(want);
	free(path);
}

Test(blobstore, digest_mismatch_stores_nothing)
{
	struct blob_writer	*w;
	char			*cause = NULL, want[200];
	void			*data = NULL;
	size_t			 len;
	char			 got[SHA256_HEXLEN + 1];

	hexof("abd", 3, got);
	cr_assert_eq(blobstore_put_begin(bs, ABC_HEX, 0, &w, &cause), 0);
	cr_assert_eq(blobstore_put_write(w, "abd", 3, &cause), 0);
	cr_assert_eq(blobstore_put_commit(w, &cause), -1);
	snprintf(want, sizeof want, "digest mismatch: expected %s, got %s",
	    ABC_HEX, got);
	cr_assert_str_eq(cause, want);
	free(cause);

	cr_assert_eq(blobstore_has(bs, ABC_HEX), 0);
	cr_assert_eq(blobstore_has(bs, got), 0);
	cr_assert_eq(nfiles(), 0, "temporary file removed");
	cr_assert_eq(blobstore_read(bs, ABC_HEX, &data, &len, 0, &cause), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(data);
	free(cause);
}

Test(blobstore, bad_names_rejected)
{
	static const char *bad[] = {
		"",
		"abc",
		"../../../../../../../../../../../../../../../../../etc/passwd",
		/* uppercase */
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		/* 63 and 65 digits */
		"a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
		/* a slash inside */
		"ba/816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n",
	};
	struct blob_writer	*w = NULL;
	char			*cause;
	void			*data;
	size_t			 i, len;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(blobstore_has(bs, bad[i]), 0, "%zu", i);
		errno = 0;
		cr_assert_null(blobstore_path(bs, bad[i]), "%zu", i);
		cr_assert_eq(errno, EINVAL);

		cause = NULL;
		cr_assert_eq(blobstore_put_begin(bs, bad[i], 0, &w, &cause),
		    -1, "%zu", i);
		cr_assert_null(w);
		cr_assert_not_null(cause);
		free(cause);

		cause = NULL;
		cr_assert_eq(blobstore_read(bs, bad[i], &data, &len, 0,
		    &cause), -1, "%zu", i);
		cr_assert_not_null(cause);
		free(cause);
	}
	cr_assert_eq(blobstore_has(bs, NULL), 0);
	cr_assert_eq(nfiles(), 0);
}

Test(blobstore, second_put_is_fine)
{
	struct blob_writer	*w;
	char			*cause = NULL;
	void			*data;
	size_t			 len;

	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0, "%s",
	    cause);
	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0, "%s",
	    cause);
	cr_assert_eq(nfiles(), 1);

	/* Even an existing blob's data is checked. */
	cr_assert_eq(blobstore_put_begin(bs, ABC_HEX, 0, &w, &cause), 0);
	cr_assert_eq(blobstore_put_write(w, "xyz", 3, &cause), 0);
	cr_assert_eq(blobstore_put_commit(w, &cause), -1);
	cr_assert_not_null(strstr(cause, "digest mismatch"));
	free(cause);

	cr_assert_eq(blobstore_read(bs, ABC_HEX, &data, &len, 0, &cause), 0);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(data, "abc", 3), 0);
	free(data);
}

Test(blobstore, over_max_rejected)
{
	struct blob_writer	*w;
	char			*cause = NULL;
	void			*data;
	size_t			 len;

	cr_assert_eq(blobstore_put_begin(bs, ABC_HEX, 2, &w, &cause), 0);
	cr_assert_eq(blobstore_put_write(w, "ab", 2, &cause), 0);
	cr_assert_eq(blobstore_put_write(w, "c", 1, &cause), -1);
	cr_assert_str_eq(cause, "blob exceeds 2 bytes");
	free(cause);
	/* The writer is spent: commit fails too, and frees it. */
	cr_assert_eq(blobstore_put_commit(w, &cause), -1);
	free(cause);
	cr_assert_eq(blobstore_has(bs, ABC_HEX), 0);
	cr_assert_eq(nfiles(), 0);

	/* And on read. */
	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0);
	cr_assert_eq(blobstore_read(bs, ABC_HEX, &data, &len, 2, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
}

Test(blobstore, abort_removes_temporary)
{
	struct blob_writer	*w;
	char			*cause = NULL;

	cr_assert_eq(blobstore_put_begin(bs, ABC_HEX, 0, &w, &cause), 0);
	cr_assert_eq(blobstore_put_write(w, "ab", 2, &cause), 0);
	cr_assert_eq(nfiles(), 1);
	blobstore_put_abort(w);
	cr_assert_eq(nfiles(), 0);
	cr_assert_eq(blobstore_has(bs, ABC_HEX), 0);
	blobstore_put_abort(NULL);
}

Test(blobstore, open_sweeps_leftover_temporaries)
{
	char	*cause = NULL, *p;
	int	 fd;

	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0);
	p = xasprintf("%s/ba/.tmp-crashed", blobdir);
	cr_assert_neq(fd = open(p, O_WRONLY|O_CREAT, 0600), -1);
	close(fd);
	free(p);
	cr_assert_eq(nfiles(), 2);
	blobstore_close(bs);
	cr_assert_eq(blobstore_open(blobdir, &bs, &cause), 0, "%s", cause);
	cr_assert_eq(nfiles(), 1);
	cr_assert_eq(blobstore_has(bs, ABC_HEX), 1);
}

Test(blobstore, corrupt_blob_detected_on_read)
{
	char	*cause = NULL, *p;
	void	*data;
	size_t	 len;
	int	 fd;

	cr_assert_eq(blobstore_put(bs, ABC_HEX, "abc", 3, &cause), 0);
	p = blobstore_path(bs, ABC_HEX);
	cr_assert_neq(fd = open(p, O_WRONLY), -1);
	cr_assert_eq(pwrite(fd, "x", 1, 1), 1);
	close(fd);
	free(p);
	cr_assert_eq(blobstore_read(bs, ABC_HEX, &data, &len, 0, &cause), -1);
	cr_assert_not_null(strstr(cause, "corrupt"));
	free(cause);
}
