/* dockerctx.c -- what a Dockerfile build takes from the snapshot, hashed to name its image. */
#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dockerctx.h"
#include "daemon/dockerfile.h"
#include "daemon/dockerignore.h"
#include "proto/glob.h"
#include "proto/util.h"

#define DC_MAX_TEXT	(1u << 20)	/* bytes of a Dockerfile or ignore file */

/* One entry of the context the build takes. */
struct dc_entry {
	char		*name;
	size_t		 seq;		/* position in the tar: duplicates */
	char		 type;		/* 'f', 'd' or 'l' */
	unsigned	 perm;
	char		*target;	/* 'l' */
	unsigned char	 sum[SHA256_LEN];	/* 'f' */
};

/* Open the tar in memory: the archive, or NULL with why. */
static struct archive *
dc_open(const void *tar, size_t len, char **why)
{
	struct archive	*a;

	if ((a = archive_read_new()) == NULL) {
		*why = xstrdup("libarchive: out of memory");
		return (NULL);
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, tar, len) != ARCHIVE_OK) {
		*why = xasprintf("snapshot: %s", archive_error_string(a));
		archive_read_free(a);
		return (NULL);
	}
	return (a);
}

/* The next entry but the root, with its clean name (caller frees): 1, 0 at
 * the end, -1 with why. */
static int
dc_next(struct archive *a, struct archive_entry **e, char **name, char **why)
{
	const char	*raw;
	int		 r;

	for (;;) {
		r = archive_read_next_header(a, e);
		if (r == ARCHIVE_EOF)
			return (0);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			*why = xasprintf("snapshot: %s",
			    archive_error_string(a));
			return (-1);
		}
		if ((raw = archive_entry_pathname(*e)) == NULL ||
		    raw[0] == '/' || (*name = dockerfile_clean(raw)) == NULL) {
			*why = xasprintf("snapshot: an entry named %s",
			    raw != NULL ? raw : "in an unknown encoding");
			return (-1);
		}
		if (**name != '\0')
			return (1);
		free(*name);
	}
}

/* Read the current entry's data into b (capped) or into the digest c.  0,
 * or -1 with why. */
static int
dc_data(struct archive *a, const char *name, struct buf *b,
    struct sha256_ctx *c, char **why)
{
	char		 chunk[16384];
	la_ssize_t	 n;

	while ((n = archive_read_data(a, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			*why = xasprintf("snapshot: %s: %s", name,
			    archive_error_string(a));
			return (-1);
		}
		if (c != NULL)
			sha256_update(c, chunk, (size_t)n);
		else if (buf_add(b, chunk, (size_t)n) == -1) {
			*why = xasprintf("%s: larger than %u bytes", name,
			    DC_MAX_TEXT);
			return (-1);
		}
	}
	return (0);
}

/* Is path beyond what glob_match answers for (it gives up past 64 levels
 * of pattern and path together, and on segments of 1 KiB)?  A path that is
 * is taken to match, which is safe; a source that is, refused. */
static int
dc_odd(const char *path)
{
	size_t	n = 0, len = 0;

	for (; *path != '\0'; path++) {
		len = *path == '/' ? 0 : len + 1;
		if ((*path == '/' && ++n > 24) || len > 255)
			return (1);
	}
	return (0);
}

/* Does a source take the entry name: match it, or a directory above it? */
static int
dc_used(const struct dockerfile_srcs *srcs, const char *name)
{
	char	*p = xstrdup(name), save;
	size_t	 i, k = 0;
	int	 used = dc_odd(name);

	for (i = 0; i < srcs->n; i++)
		if (srcs->v[i].path[0] == '\0')
			used = 1;
	while (!used) {
		while (p[k] != '\0' && p[k] != '/')
			k++;
		save = p[k];
		p[k] = '\0';
		for (i = 0; i < srcs->n && !used; i++)
			used = glob_match(srcs->v[i].path, p);
		p[k] = save;
		if (save == '\0')
			break;
		k++;
	}
	free(p);
	return (used);
}

/* Does a source reach through the symbolic link: match it with all or its
 * leading parts?  What it takes then depends on where the link points. */
static const char *
dc_through(const struct dockerfile_srcs *srcs, const char *link)
{
	char	*p, save;
	size_t	 i, k;
	int	 hit = 0;

	for (i = 0; i < srcs->n && !hit; i++) {
		p = xstrdup(srcs->v[i].path);
		for (k = 0; p[0] != '\0' && !hit; k++) {
			if (p[k] != '/' && p[k] != '\0')
				continue;
			save = p[k];
			p[k] = '\0';
			hit = glob_match(p, link);
			p[k] = save;
			if (save == '\0')
				break;
		}
		free(p);
	}
	if (!hit && srcs->n > 0 && dc_odd(link))
		return (srcs->v[0].path);
	return (hit ? srcs->v[i - 1].path : NULL);
}

/* Hash a length and the bytes, so that no two lists of fields run into
 * each other. */
static void
dc_field(struct sha256_ctx *c, const void *p, size_t n)
{
	unsigned char	l[8];
	int		i;

	for (i = 0; i < 8; i++)
		l[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	sha256_update(c, l, sizeof l);
	if (n > 0)
		sha256_update(c, p, n);
}

/* Order entries by name, then by position in the tar. */
static int
dc_cmp(const void *a, const void *b)
{
	const struct dc_entry	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return (r);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/*
 * What the first pass finds: the Dockerfile's text, the ignore files
 * Podman looks for, in its order (<dockerfile>.containerignore and
 * .dockerignore, then .containerignore, then .dockerignore), and the
 * symbolic links.
 */
struct dc_scan {
	char		*dockerfile;
	struct buf	 text;
	int		 have;		/* the Dockerfile: 0 absent, 1, -1 odd */
	char		*igname[4];
	struct buf	 igtext[4];
	int		 ig[4];		/* as have */
	char	       **links;
	size_t		 nlinks;
};

/* Is the current entry a plain regular file (no hard link)? */
static int
dc_plain(struct archive_entry *e)
{
	return (archive_entry_filetype(e) == AE_IFREG &&
	    archive_entry_hardlink(e) == NULL);
}

/* The first pass.  0, or -1 with why. */
static int
dc_scan(const void *tar, size_t len, struct dc_scan *sc, char **why)
{
	struct archive		*a;
	struct archive_entry	*e;
	char			*name;
	int			 i, r, rv = -1;

	if ((a = dc_open(tar, len, why)) == NULL)
		return (-1);
	while ((r = dc_next(a, &e, &name, why)) == 1) {
		if (strcmp(name, sc->dockerfile) == 0) {
			buf_reset(&sc->text);
			sc->have = dc_plain(e) ? 1 : -1;
			if (sc->have == 1 && dc_data(a, name, &sc->text, NULL,
			    why) == -1)
				r = -1;
		}
		for (i = 0; i < 4; i++) {
			if (strcmp(name, sc->igname[i]) != 0)
				continue;
			buf_reset(&sc->igtext[i]);
			sc->ig[i] = dc_plain(e) ? 1 : -1;
			if (sc->ig[i] == 1 && dc_data(a, name, &sc->igtext[i],
			    NULL, why) == -1)
				r = -1;
		}
		if (archive_entry_filetype(e) == AE_IFLNK) {
			sc->links = xreallocarray(sc->links, sc->nlinks + 1,
			    sizeof *sc->links);
			sc->links[sc->nlinks++] = name;
		} else
			free(name);
		if (r == -1)
			goto out;
	}
	if (r == -1)
		goto out;
	if (sc->have != 1) {
		*why = xasprintf("%s is %s in the snapshot", sc->dockerfile,
		    sc->have == 0 ? "not" : "no regular file");
		goto out;
	}
	rv = 0;
out:
	archive_read_free(a);
	return (rv);
}

/* The ignore rules Podman applies, or NULL for none surely applied. */
static struct dockerignore *
dc_ignore(const struct dc_scan *sc)
{
	char	*why = NULL;
	int	 k;
	struct dockerignore *ig;

	if (sc->ig[0] != 0 && sc->ig[1] != 0)
		return (NULL);	/* which of the two wins has changed */
	for (k = 0; k < 4 && sc->ig[k] == 0; k++)
		;
	if (k == 4 || sc->ig[k] != 1)
		return (NULL);
	ig = dockerignore_parse(sc->igtext[k].len > 0 ?
	    sc->igtext[k].data : "", sc->igtext[k].len, &why);
	free(why);
	return (ig);
}

/* The second pass: the context entries the sources take, with their
 * digests.  0, or -1 with why. */
static int
dc_collect(const void *tar, size_t len, const struct dockerfile_srcs *srcs,
    const struct dockerignore *ig, struct dc_entry **v, size_t *n,
    char **why)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct dc_entry		*d;
	struct sha256_ctx	 c;
	char			*name;
	size_t			 seq = 0;
	mode_t			 type;
	int			 r;

	if ((a = dc_open(tar, len, why)) == NULL)
		return (-1);
	while ((r = dc_next(a, &e, &name, why)) == 1) {
		seq++;
		if ((ig != NULL && dockerignore_excluded(ig, name)) ||
		    !dc_used(srcs, name)) {
			free(name);
			continue;
		}
		type = archive_entry_filetype(e);
		if (archive_entry_hardlink(e) != NULL || (type != AE_IFREG &&
		    type != AE_IFDIR && type != AE_IFLNK)) {
			*why = xasprintf("%s is a hard link or special file",
			    name);
			free(name);
			r = -1;
			break;
		}
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		d = &(*v)[(*n)++];
		memset(d, 0, sizeof *d);
		d->name = name;
		d->seq = seq;
		d->perm = (unsigned)archive_entry_perm(e);
		d->type = type == AE_IFREG ? 'f' : type == AE_IFDIR ? 'd' : 'l';
		if (type == AE_IFLNK)
			d->target = xstrdup(archive_entry_symlink(e) != NULL ?
			    archive_entry_symlink(e) : "");
		if (type == AE_IFREG) {
			sha256_init(&c);
			if (dc_data(a, name, NULL, &c, why) == -1) {
				r = -1;
				break;
			}
			sha256_final(&c, d->sum);
		}
	}
	archive_read_free(a);
	return (r);
}

/* The precise digest: 0 with d and *nused, or -1 with why. */
static int
dc_precise(const void *tar, size_t len, const char *dockerfile,
    const char *const *args, size_t nargs, unsigned char d[SHA256_LEN],
    size_t *nused, struct dockerctx_bases *bases, char **why)
{
	struct dc_scan		 sc;
	struct dockerfile_srcs	 srcs = { 0 };
	struct dockerignore	*ig = NULL;
	struct dc_entry		*v = NULL;
	struct sha256_ctx	 c;
	const char		*via;
	char			*pwhy = NULL, num[32];
	size_t			 n = 0, i;
	int			 k, rv = -1;

	memset(&sc, 0, sizeof sc);
	buf_init(&sc.text, DC_MAX_TEXT);
	for (k = 0; k < 4; k++)
		buf_init(&sc.igtext[k], DC_MAX_TEXT);
	if ((sc.dockerfile = dockerfile_clean(dockerfile)) == NULL ||
	    dockerfile[0] == '/' || sc.dockerfile[0] == '\0') {
		*why = xasprintf("%s is no path in the context", dockerfile);
		goto out;
	}
	sc.igname[0] = xasprintf("%s.containerignore", sc.dockerfile);
	sc.igname[1] = xasprintf("%s.dockerignore", sc.dockerfile);
	sc.igname[2] = xstrdup(".containerignore");
	sc.igname[3] = xstrdup(".dockerignore");
	if (dc_scan(tar, len, &sc, why) == -1)
		goto out;
	/* An empty file's buffer holds no allocation. */
	if (dockerfile_sources(sc.text.len > 0 ? sc.text.data : "",
	    sc.text.len, &srcs, &pwhy) == -1) {
		*why = xasprintf("%s %s", sc.dockerfile, pwhy);
		goto out;
	}
	for (i = 0; i < srcs.n; i++)
		if (dc_odd(srcs.v[i].path)) {
			*why = xasprintf("%s line %u: source %s is too deep",
			    sc.dockerfile, srcs.v[i].line, srcs.v[i].path);
			goto out;
		}
	ig = dc_ignore(&sc);
	for (i = 0; i < sc.nlinks; i++) {
		if (ig != NULL && dockerignore_excluded(ig, sc.links[i]))
			continue;
		if ((via = dc_through(&srcs, sc.links[i])) != NULL) {
			*why = xasprintf("source %s reaches through the "
			    "symbolic link %s", via, sc.links[i]);
			goto out;
		}
	}
	if (dc_collect(tar, len, &srcs, ig, &v, &n, why) == -1)
		goto out;
	if (n > 0)
		qsort(v, n, sizeof *v, dc_cmp);

	sha256_init(&c);
	dc_field(&c, "stratus-dockerctx 1", 19);
	dc_field(&c, sc.text.data, sc.text.len);
	snprintf(num, sizeof num, "%zu", nargs);
	dc_field(&c, num, strlen(num));
	for (i = 0; i < nargs; i++)
		dc_field(&c, args[i], strlen(args[i]));
	snprintf(num, sizeof num, "%zu", n);
	dc_field(&c, num, strlen(num));
	for (i = 0; i < n; i++) {
		dc_field(&c, &v[i].type, 1);
		dc_field(&c, v[i].name, strlen(v[i].name));
		snprintf(num, sizeof num, "%o", v[i].perm);
		dc_field(&c, num, strlen(num));
		if (v[i].type == 'f')
			dc_field(&c, v[i].sum, sizeof v[i].sum);
		else if (v[i].type == 'l')
			dc_field(&c, v[i].target, strlen(v[i].target));
	}
	sha256_final(&c, d);
	*nused = n;
	if (bases != NULL) {
		bases->v = srcs.bases;
		bases->n = srcs.nbases;
		srcs.bases = NULL;
		srcs.nbases = 0;
	}
	rv = 0;
out:
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].target);
	}
	free(v);
	dockerignore_free(ig);
	dockerfile_srcs_free(&srcs);
	free(pwhy);
	strv_free(sc.links, sc.nlinks);
	for (k = 0; k < 4; k++) {
		free(sc.igname[k]);
		buf_free(&sc.igtext[k]);
	}
	buf_free(&sc.text);
	free(sc.dockerfile);
	return (rv);
}

int
dockerctx_digest(const void *tar, size_t len, const char *snapshot,
    const char *dockerfile, const char *const *args, size_t nargs,
    char hex[SHA256_HEXLEN + 1], size_t *nused,
    struct dockerctx_bases *bases, char **why)
{
	struct sha256_ctx	 c;
	unsigned char		 d[SHA256_LEN];
	size_t			 i;

	*why = NULL;
	*nused = 0;
	if (bases != NULL)
		memset(bases, 0, sizeof *bases);
	if (dc_precise(tar, len, dockerfile, args, nargs, d, nused, bases,
	    why) == 0) {
		sha256_hex(d, hex);
		return (1);
	}
	/* As before this module: the snapshot's name covers it all. */
	sha256_init(&c);
	sha256_update(&c, dockerfile, strlen(dockerfile) + 1);
	for (i = 0; i < nargs; i++)
		sha256_update(&c, args[i], strlen(args[i]) + 1);
	sha256_update(&c, snapshot, strlen(snapshot));
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return (0);
}

void
dockerctx_bases_free(struct dockerctx_bases *b)
{
	strv_free(b->v, b->n);
	b->v = NULL;
	b->n = 0;
}
