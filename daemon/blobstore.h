/* blobstore.h -- content-addressed store of snapshots, named by SHA-256. */
#ifndef DAEMON_BLOBSTORE_H
#define DAEMON_BLOBSTORE_H

#include <stddef.h>

/*
 * A blob lives at dir/XX/HEX where HEX is the 64 lowercase hex digits of its
 * SHA-256 and XX the first two of them.  Every function that takes a name
 * rejects anything but exactly 64 lowercase hex digits, so a name can never
 * reach outside dir.  All functions may be called from any thread.
 */
struct blobstore;
struct blob_writer;

/* Open (creating, mode 0700) a store under dir.  Leftover temporary files of
 * an interrupted put are removed.  0, or -1 with cause (caller frees). */
int	blobstore_open(const char *dir, struct blobstore **, char **cause);
/* Close a store; no writer may still be open on it. */
void	blobstore_close(struct blobstore *);

/* 1 when the blob is stored, 0 when not or when sha_hex is not a name. */
int	blobstore_has(struct blobstore *, const char *sha_hex);

/* Return the path of a blob (stored or not) for the caller to free, or NULL
 * (errno EINVAL) when sha_hex is not a valid name. */
char	*blobstore_path(struct blobstore *, const char *sha_hex);

/*
 * Store a blob by streaming it: begin, write any number of times, then
 * commit or abort.  Data goes to a temporary file beside the blob; commit
 * checks its SHA-256 against sha_hex, fsyncs it and renames it into place,
 * so a blob is either whole or absent.  Putting a blob that is already
 * stored succeeds (the data is still checked, but not written).
 *
 * begin: max_bytes caps the blob (0: no cap).  0 and *w, or -1 with cause.
 * write: 0, or -1 with cause (more than max_bytes, or a write error); the
 *   writer then only accepts abort.
 * commit: always consumes w.  0, or -1 with cause, e.g. "digest mismatch:
 *   expected X, got Y"; on failure nothing is stored.
 * abort: consumes w and removes the temporary file; w may be NULL.
 */
int	blobstore_put_begin(struct blobstore *, const char *sha_hex,
	    size_t max_bytes, struct blob_writer **w, char **cause);
int	blobstore_put_write(struct blob_writer *, const void *, size_t,
	    char **cause);
int	blobstore_put_commit(struct blob_writer *, char **cause);
void	blobstore_put_abort(struct blob_writer *);

/* Remove a blob (retention): 1 removed, 0 not stored, -1 with cause. */
int	blobstore_remove(struct blobstore *, const char *sha_hex, char **cause);

/* One-shot put of a whole buffer; as begin + write + commit. */
int	blobstore_put(struct blobstore *, const char *sha_hex, const void *,
	    size_t, char **cause);

/*
 * Read a whole blob into a malloc'd buffer (*data, caller frees; a NUL
 * follows the len bytes).  Fails when larger than max (0: no cap), when its
 * content no longer matches its name, or when it is not stored (errno
 * ENOENT, so callers can answer "not found").  0, or -1 with cause.
 */
int	blobstore_read(struct blobstore *, const char *sha_hex, void **data,
	    size_t *len, size_t max, char **cause);

#endif
