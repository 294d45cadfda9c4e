/* pack.c -- pack a project directory into a reproducible tar (libarchive). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/gitindex.h"
#include "client/gitobj.h"
#include "client/ignore.h"
#include "client/pack.h"
#include "client/strlist.h"
#include "proto/util.h"

#define PACK_MAX_DEPTH	256

/* Where archive bytes go: the temporary file, digested on the way. */
struct pack_sink {
	int			 fd;
	uint64_t		 size;
	struct sha256_ctx	 sha;
	int			 error;		/* errno of a failed write */
	int			 toobig;
};

/* What a walk knows: the rules, the git index and where the lists go. */
struct pack_walk {
	const char		*root;
	struct ignore		*ig;
	const struct gitindex	*ix;		/* NULL outside a git work tree */
	size_t			 strip;		/* of "sub/" when root is above */
	struct strlist		*l;		/* everything packed */
	struct strlist		*untracked;	/* files not in ix, or NULL */
};

/* Whether rel (below the root) is tracked, or holds tracked files. */
static int
pack_tracked(const struct pack_walk *w, const char *rel, int isdir)
{
	if (w->ix == NULL)
		return (0);
	return (isdir ? gitindex_has_dir(w->ix, rel) :
	    gitindex_find(w->ix, rel) != NULL);
}

/*
 * Collect the entries below root/rel (rel "" is the root itself).  Below
 * an ignored directory (ignored set) only tracked files are taken: git's
 * "tracked, or untracked and not ignored".
 */
static int
pack_walk(struct pack_walk *w, const char *rel, int depth, int ignored,
    char **cause)
{
	DIR		*d = NULL;
	struct dirent	*de;
	struct stat	 st;
	char		*dirpath, *full = NULL, *child = NULL;
	int		 rv = -1, isdir, ign;

	if (depth > PACK_MAX_DEPTH) {
		*cause = xasprintf("%s/%s: directories nested too deep",
		    w->root, rel);
		return (-1);
	}
	dirpath = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	if (!ignored && ignore_load_dir(w->ig, w->root, rel, cause) != 0)
		goto out;
	if ((d = opendir(dirpath)) == NULL) {
		*cause = xasprintf("%s: %s", dirpath, strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				*cause = xasprintf("%s: %s", dirpath,
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		free(full);
		free(child);
		child = *rel ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		full = xasprintf("%s/%s", w->root, child);
		if (lstat(full, &st) != 0) {
			if (errno == ENOENT)	/* removed while we walk */
				continue;
			*cause = xasprintf("%s: %s", full, strerror(errno));
			goto out;
		}
		isdir = S_ISDIR(st.st_mode);
		ign = ignored || ignore_match(w->ig, child, isdir);
		if (ign && !pack_tracked(w, child, isdir))
			continue;
		if (isdir) {
			strlist_add(w->l, xstrdup(child + w->strip));
			if (pack_walk(w, child, depth + 1, ign, cause) != 0)
				goto out;
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			strlist_add(w->l, xstrdup(child + w->strip));
			if (w->untracked != NULL && !ign &&
			    !pack_tracked(w, child, 0))
				strlist_add(w->untracked,
				    xstrdup(child + w->strip));
		}
		/* Sockets, fifos and devices do not belong in a snapshot. */
	}
	rv = 0;
out:
	if (d != NULL)
		closedir(d);
	free(dirpath);
	free(full);
	free(child);
	return (rv);
}

/*
 * Below the top of a git work tree, walk from the top (rel the part of dir
 * below it) so that the rules of the directories above apply.  Load them,
 * and say whether dir itself lies in an ignored directory.
 */
static int
pack_above(struct pack_walk *w, const char *rel, int *ignored, char **cause)
{
	char	*p, *s, *slash;
	int	 rv;

	*ignored = 0;
	p = xstrdup(rel);
	rv = ignore_load_dir(w->ig, w->root, "", cause);
	for (s = p; rv == 0; s = slash + 1) {
		if ((slash = strchr(s, '/')) != NULL)
			*slash = '\0';
		/* p is "a", then "a/b", up to rel itself. */
		if (ignore_match(w->ig, p, 1))
			*ignored = 1;
		if (slash == NULL)
			break;		/* rel's own rules: pack_walk's job */
		rv = ignore_load_dir(w->ig, w->root, p, cause);
		*slash = '/';
	}
	free(p);
	return (rv);
}

/* Walk dir into l (and untracked, when not NULL), sorted. */
static int
pack_collect(const char *dir, struct strlist *l, struct strlist *untracked,
    char **cause)
{
	struct pack_walk	 w;
	struct gitrepo		 repo;
	struct gitindex		 ix;
	const char		*rel = "";
	char			*why = NULL;
	size_t			 tl;
	int			 git, ignored = 0, rv = -1;

	memset(&w, 0, sizeof w);
	memset(&ix, 0, sizeof ix);
	w.root = dir;
	w.l = l;
	w.untracked = untracked;
	w.ig = ignore_new();
	/* In a git work tree: what git tracks is in, ignored or not. */
	if ((git = gitobj_find(dir, &repo)) != 0) {
		/* An index git cannot read either: the ignore rules alone. */
		if (gitindex_read_repo(&repo, &ix, &why) == 0)
			w.ix = &ix;
		free(why);
		/* Index paths and ignore rules start at the top. */
		tl = strlen(repo.top);
		if (strcmp(repo.top, "/") == 0 && dir[1] != '\0')
			rel = dir + 1;
		else if (strncmp(dir, repo.top, tl) == 0 && dir[tl] == '/')
			rel = dir + tl + 1;
		if (*rel != '\0') {
			w.root = repo.top;
			w.strip = strlen(rel) + 1;
			if (pack_above(&w, rel, &ignored, cause) != 0)
				goto out;
		}
	}
	rv = pack_walk(&w, rel, 0, ignored, cause);
	if (rv == 0 && l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, strlist_cmp);
	if (rv == 0 && untracked != NULL && untracked->n > 1)
		qsort(untracked->v, untracked->n, sizeof *untracked->v,
		    strlist_cmp);
out:
	ignore_free(w.ig);
	if (git) {
		gitindex_free(&ix);
		gitobj_close(&repo);
	}
	return (rv);
}

int
pack_untracked(const char *top, char ***v, size_t *n, char **cause)
{
	struct strlist		l = STRLIST_INITIALIZER;
	struct strlist		u = STRLIST_INITIALIZER;
	int			rv;

	*v = NULL;
	*n = 0;
	rv = pack_collect(top, &l, &u, cause);
	strlist_free(&l);
	if (rv != 0) {
		strlist_free(&u);
		return (-1);
	}
	*v = u.v;
	*n = u.n;
	return (0);
}

/* libarchive write callback: to the file and the digest. */
static la_ssize_t
pack_sink_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct pack_sink	*s = arg;

	if (s->size + len > PACK_MAX_SIZE) {
		s->toobig = 1;
		archive_set_error(a, EFBIG, "project larger than %llu bytes",
		    (unsigned long long)PACK_MAX_SIZE);
		return (-1);
	}
	if (write_all(s->fd, buf, len) != 0) {
		s->error = errno;
		archive_set_error(a, errno, "write: %s", strerror(errno));
		return (-1);
	}
	sha256_update(&s->sha, buf, len);
	s->size += len;
	return ((la_ssize_t)len);
}

/* Copy exactly size bytes of fd into the archive (zeros if it shrank). */
static int
pack_copy(struct archive *a, int fd, const char *full, int64_t size,
    char **cause)
{
	char	buf[65536];
	ssize_t	n;
	size_t	want;

	while (size > 0) {
		want = size > (int64_t)sizeof buf ? sizeof buf : (size_t)size;
		n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", full, strerror(errno));
			return (-1);
		}
		if (n == 0) {
			/* Truncated under us: keep the header honest. */
			memset(buf, 0, want);
			n = (ssize_t)want;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			*cause = xasprintf("%s: %s", full,
			    archive_error_string(a));
			return (-1);
		}
		size -= n;
	}
	return (0);
}

/* Write one entry for root/rel. */
static int
pack_entry(struct archive *a, struct archive_entry *e, const char *root,
    const char *rel, char **cause)
{
	struct stat	 st;
	char		*full, target[PATH_MAX];
	ssize_t		 n;
	int		 fd = -1, rv = -1;

	full = xasprintf("%s/%s", root, rel);
	if (lstat(full, &st) != 0) {
		*cause = xasprintf("%s: %s", full, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) != 0) {
			*cause = xasprintf("%s: %s", full, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			*cause = xasprintf("%s: changed while packing", full);
			goto out;
		}
	}

	archive_entry_clear(e);
	archive_entry_set_pathname(e, rel);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_perm(e, st.st_mode & 07777);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (S_ISDIR(st.st_mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_size(e, 0);
	} else if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(full, target, sizeof target - 1)) == -1) {
			*cause = xasprintf("%s: %s", full, strerror(errno));
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISREG(st.st_mode)) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, st.st_size);
	} else {
		rv = 0;		/* became something else: leave it out */
		goto out;
	}

	if (archive_write_header(a, e) != ARCHIVE_OK) {
		*cause = xasprintf("%s: %s", full, archive_error_string(a));
		goto out;
	}
	if (fd != -1 && pack_copy(a, fd, full, st.st_size, cause) != 0)
		goto out;
	if (archive_write_finish_entry(a) != ARCHIVE_OK) {
		*cause = xasprintf("%s: %s", full, archive_error_string(a));
		goto out;
	}
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	free(full);
	return (rv);
}

/* Pack dir into a temporary tar; see pack.h. */
int
pack_dir(const char *dir, struct pack *p, char **cause)
{
	struct strlist		 l = STRLIST_INITIALIZER;
	struct pack_sink	 sink;
	struct archive		*a = NULL;
	struct archive_entry	*e = NULL;
	unsigned char		 digest[SHA256_LEN];
	const char		*tmpdir;
	size_t			 i;
	int			 rv = -1, saved;

	memset(p, 0, sizeof *p);
	memset(&sink, 0, sizeof sink);
	sink.fd = -1;
	sha256_init(&sink.sha);

	if (pack_collect(dir, &l, NULL, cause) != 0)
		goto out;

	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	p->path = xasprintf("%s/stratus-pack-XXXXXX", tmpdir);
	if ((sink.fd = mkstemp(p->path)) == -1) {
		*cause = xasprintf("%s: %s", p->path, strerror(errno));
		free(p->path);
		p->path = NULL;
		goto out;
	}

	if ((a = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL) {
		*cause = xstrdup("libarchive: out of memory");
		goto out;
	}
	/*
	 * No padding after the end-of-archive blocks: Podman's archive upload
	 * stops reading there and, under load, fails the copy with "broken
	 * pipe" while padding is still being sent.
	 */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &sink, NULL, pack_sink_write, NULL) !=
	    ARCHIVE_OK) {
		*cause = xasprintf("libarchive: %s", archive_error_string(a));
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (pack_entry(a, e, dir, l.v[i], cause) != 0)
			goto out;
		p->nentries++;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		*cause = xasprintf("libarchive: %s", archive_error_string(a));
		goto out;
	}
	if (close(sink.fd) != 0) {
		sink.fd = -1;
		*cause = xasprintf("%s: %s", p->path, strerror(errno));
		goto out;
	}
	sink.fd = -1;

	sha256_final(&sink.sha, digest);
	sha256_hex(digest, p->sha);
	p->size = sink.size;
	rv = 0;
out:
	saved = errno;
	if (rv != 0 && sink.toobig) {
		free(*cause);
		*cause = xasprintf("%s: project larger than %llu MiB", dir,
		    (unsigned long long)(PACK_MAX_SIZE >> 20));
	}
	if (e != NULL)
		archive_entry_free(e);
	if (a != NULL)
		archive_write_free(a);
	if (sink.fd != -1)
		close(sink.fd);
	if (rv != 0)
		pack_free(p);
	strlist_free(&l);
	errno = saved;
	return (rv);
}

/* Remove the temporary tar and free p's members. */
void
pack_free(struct pack *p)
{
	if (p->path != NULL) {
		unlink(p->path);
		free(p->path);
	}
	memset(p, 0, sizeof *p);
}
