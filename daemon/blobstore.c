/* blobstore.c -- content-addressed store of snapshots, named by SHA-256. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* mkostemp */
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/blobstore.h"
#include "proto/log.h"
#include "proto/sha256.h"
#include "proto/util.h"

#define BLOBSTORE_TMP	".tmp-"

struct blobstore {
	char			*dir;
};

struct blob_writer {
	struct blobstore	*bs;
	char			 hex[SHA256_HEXLEN + 1];
	char			*path;		/* final name */
	char			*tmp;		/* NULL when the blob exists */
	int			 fd;		/* -1 when the blob exists */
	struct sha256_ctx	 ctx;
	size_t			 len;
	size_t			 max;		/* 0: no cap */
	int			 failed;	/* a write failed: abort only */
};

/* Return 0 when s is a blob name, else -1 with errno EINVAL and cause. */
static int
blobstore_check(const char *s, char **cause)
{
	if (s != NULL && sha256_hex_valid(s))
		return (0);
	if (cause != NULL)
		*cause = xstrdup("bad blob name: want 64 lowercase hex digits");
	errno = EINVAL;
	return (-1);
}

/* Return the fan-out directory of a valid name; caller frees. */
static char *
blobstore_subdir(struct blobstore *bs, const char *hex)
{
	return (xasprintf("%s/%.2s", bs->dir, hex));
}

/* fsync a directory so that a rename in it survives a crash. */
static int
blobstore_sync_dir(const char *dir)
{
	int	fd, rv = 0, saved_errno;

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1)
		return (-1);
	if (fsync(fd) != 0)
		rv = -1;
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (rv);
}

/* Remove temporary files an interrupted put left in one fan-out directory. */
static void
blobstore_sweep_one(const char *sub)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(sub)) == NULL) {
		log_warn("opendir %s", sub);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, BLOBSTORE_TMP,
		    strlen(BLOBSTORE_TMP)) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0)
			log_warn("unlink %s/%s", sub, de->d_name);
	}
	closedir(d);
}

/* Sweep every fan-out directory; the daemon is the only writer. */
static void
blobstore_sweep(struct blobstore *bs)
{
	struct dirent	*de;
	DIR		*d;
	char		*sub;
	const char	*n;

	if ((d = opendir(bs->dir)) == NULL) {
		log_warn("opendir %s", bs->dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		n = de->d_name;
		if (strlen(n) != 2 || strspn(n, "0123456789abcdef") != 2)
			continue;
		sub = xasprintf("%s/%s", bs->dir, n);
		blobstore_sweep_one(sub);
		free(sub);
	}
	closedir(d);
}

/* Open a store under dir.  0, or -1 with cause. */
int
blobstore_open(const char *dir, struct blobstore **bsp, char **cause)
{
	struct blobstore	*bs;

	*bsp = NULL;
	if (mkdir_dir(dir, 0700, cause) != 0)
		return (-1);
	bs = xcalloc(1, sizeof *bs);
	bs->dir = xstrdup(dir);
	blobstore_sweep(bs);
	*bsp = bs;
	return (0);
}

/* Close a store. */
void
blobstore_close(struct blobstore *bs)
{
	if (bs == NULL)
		return;
	free(bs->dir);
	free(bs);
}

/* Return a blob's path; caller frees.  NULL (EINVAL) for a bad name. */
char *
blobstore_path(struct blobstore *bs, const char *hex)
{
	if (blobstore_check(hex, NULL) != 0)
		return (NULL);
	return (xasprintf("%s/%.2s/%s", bs->dir, hex, hex));
}

/* Return 1 when a blob is stored. */
int
blobstore_has(struct blobstore *bs, const char *hex)
{
	struct stat	 st;
	char		*path;
	int		 rv;

	if ((path = blobstore_path(bs, hex)) == NULL)
		return (0);
	rv = (stat(path, &st) == 0 && S_ISREG(st.st_mode));
	free(path);
	return (rv);
}

/* Start a put.  The writer is the caller's until commit or abort. */
int
blobstore_put_begin(struct blobstore *bs, const char *hex, size_t max,
    struct blob_writer **wp, char **cause)
{
	struct blob_writer	*w;
	char			*sub = NULL;
	int			 rv = -1, saved_errno = 0;

	*wp = NULL;
	if (blobstore_check(hex, cause) != 0)
		return (-1);

	w = xcalloc(1, sizeof *w);
	w->bs = bs;
	memcpy(w->hex, hex, sizeof w->hex);
	w->path = blobstore_path(bs, hex);
	w->fd = -1;
	w->max = max;
	sha256_init(&w->ctx);

	/* Already stored: check the data as it streams by, write nothing. */
	if (blobstore_has(bs, hex)) {
		rv = 0;
		goto out;
	}

	sub = blobstore_subdir(bs, hex);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
		saved_errno = errno;
		*cause = xasprintf("mkdir %s: %s", sub, strerror(errno));
		goto out;
	}
	w->tmp = xasprintf("%s/" BLOBSTORE_TMP "XXXXXX", sub);
	if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) == -1) {
		saved_errno = errno;
		*cause = xasprintf("mkstemp %s: %s", w->tmp, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		goto out;
	}
	rv = 0;

out:
	free(sub);
	if (rv != 0) {
		blobstore_put_abort(w);
		errno = saved_errno;
		return (-1);
	}
	*wp = w;
	return (0);
}

/* Add bytes to a put. */
int
blobstore_put_write(struct blob_writer *w, const void *data, size_t size,
    char **cause)
{
	if (w->failed) {
		*cause = xstrdup("blob write already failed");
		errno = EINVAL;
		return (-1);
	}
	if (w->max != 0 && size > w->max - w->len) {
		w->failed = 1;
		*cause = xasprintf("blob exceeds %zu bytes", w->max);
		errno = EFBIG;
		return (-1);
	}
	if (w->fd != -1 && write_all(w->fd, data, size) != 0) {
		w->failed = 1;
		*cause = xasprintf("write %s: %s", w->tmp, strerror(errno));
		return (-1);
	}
	sha256_update(&w->ctx, data, size);
	w->len += size;
	return (0);
}

/* Check, sync and rename a put into place; consumes w. */
int
blobstore_put_commit(struct blob_writer *w, char **cause)
{
	unsigned char	 md[SHA256_LEN];
	char		 got[SHA256_HEXLEN + 1], *sub = NULL;
	int		 rv = -1, saved_errno = 0, fd;

	if (w->failed) {
		*cause = xstrdup("blob write already failed");
		saved_errno = EINVAL;
		goto out;
	}
	sha256_final(&w->ctx, md);
	sha256_hex(md, got);
	if (strcmp(got, w->hex) != 0) {
		*cause = xasprintf("digest mismatch: expected %s, got %s",
		    w->hex, got);
		saved_errno = EINVAL;
		goto out;
	}
	if (w->fd == -1) {		/* was already stored */
		rv = 0;
		goto out;
	}

	/* The data must be on disk before the name that promises it is. */
	if (fsync(w->fd) != 0) {
		saved_errno = errno;
		*cause = xasprintf("fsync %s: %s", w->tmp, strerror(errno));
		goto out;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0) {
		saved_errno = errno;
		*cause = xasprintf("close %s: %s", w->tmp, strerror(errno));
		goto out;
	}
	/* A racing put of the same blob renames identical bytes: harmless. */
	if (rename(w->tmp, w->path) != 0) {
		saved_errno = errno;
		*cause = xasprintf("rename %s: %s", w->path, strerror(errno));
		goto out;
	}
	free(w->tmp);
	w->tmp = NULL;
	sub = blobstore_subdir(w->bs, w->hex);
	if (blobstore_sync_dir(sub) != 0) {
		saved_errno = errno;
		*cause = xasprintf("fsync %s: %s", sub, strerror(errno));
		goto out;
	}
	rv = 0;

out:
	free(sub);
	blobstore_put_abort(w);
	if (rv != 0)
		errno = saved_errno;
	return (rv);
}

/* Drop a put and its temporary file; consumes w. */
void
blobstore_put_abort(struct blob_writer *w)
{
	int	saved_errno = errno;

	if (w == NULL)
		return;
	if (w->fd != -1 && close(w->fd) != 0)
		log_warn("close %s", w->tmp);
	if (w->tmp != NULL && unlink(w->tmp) != 0)
		log_warn("unlink %s", w->tmp);
	free(w->tmp);
	free(w->path);
	free(w);
	errno = saved_errno;
}

/* Store a whole buffer. */
int
blobstore_put(struct blobstore *bs, const char *hex, const void *data,
    size_t size, char **cause)
{
	struct blob_writer	*w;

	if (blobstore_put_begin(bs, hex, 0, &w, cause) != 0)
		return (-1);
	if (blobstore_put_write(w, data, size, cause) != 0) {
		blobstore_put_abort(w);
		return (-1);
	}
	return (blobstore_put_commit(w, cause));
}

/* Read a whole blob, checking it against its name; *data is the caller's. */
int
blobstore_read(struct blobstore *bs, const char *hex, void **datap,
    size_t *lenp, size_t max, char **cause)
{
	unsigned char	 md[SHA256_LEN];
	char		 got[SHA256_HEXLEN + 1], *path = NULL, *data = NULL;
	struct stat	 st;
	size_t		 len, done = 0;
	ssize_t		 n;
	int		 fd = -1, rv = -1, saved_errno = 0;

	*datap = NULL;
	*lenp = 0;
	if ((path = blobstore_path(bs, hex)) == NULL) {
		*cause = xstrdup("bad blob name: want 64 lowercase hex digits");
		return (-1);
	}
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		saved_errno = errno;
		if (errno == ENOENT)
			*cause = xasprintf("no such blob %s", hex);
		else
			*cause = xasprintf("open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		saved_errno = errno;
		*cause = xasprintf("fstat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		saved_errno = EINVAL;
		*cause = xasprintf("%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size >= SIZE_MAX ||
	    (max != 0 && (uint64_t)st.st_size > (uint64_t)max)) {
		saved_errno = EFBIG;
		*cause = xasprintf("blob %s is %lld bytes, over %zu", hex,
		    (long long)st.st_size, max);
		goto out;
	}
	len = (size_t)st.st_size;
	data = xmalloc(len + 1);
	while (done < len) {
		n = read(fd, data + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved_errno = errno;
			*cause = xasprintf("read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	data[done] = '\0';

	/* Snapshots feed builds: a flipped bit must not pass silently. */
	sha256(data, done, md);
	sha256_hex(md, got);
	if (done != len || strcmp(got, hex) != 0) {
		saved_errno = EIO;
		*cause = xasprintf("blob %s is corrupt (digest %s)", hex, got);
		goto out;
	}
	*datap = data;
	*lenp = done;
	data = NULL;
	rv = 0;

out:
	if (fd != -1)
		close(fd);
	free(data);
	free(path);
	if (rv != 0)
		errno = saved_errno;
	return (rv);
}

/* Remove a blob: 1 removed, 0 not stored, -1 with cause. */
int
blobstore_remove(struct blobstore *bs, const char *hex, char **cause)
{
	char	*path;
	int	 rv = 1;

	if (blobstore_check(hex, cause) != 0)
		return (-1);
	path = blobstore_path(bs, hex);
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			rv = 0;
		else {
			*cause = xasprintf("unlink %s: %s", path,
			    strerror(errno));
			rv = -1;
		}
	}
	free(path);
	return (rv);
}
