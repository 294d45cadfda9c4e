/* gitindex.c -- parses a git index (versions 2, 3 and 4) without git. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/gitindex.h"
#include "proto/sha1.h"
#include "proto/util.h"

#define INDEX_MAX	(1u << 30)	/* largest index read */
#define INDEX_ENTRY	62		/* fixed part of an entry */
#define INDEX_EXTENDED	0x4000		/* flags: two more flag bytes */

static uint32_t
ix_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Version 4's prefix length to strip: git's offset varint. */
static int
ix_varint(const unsigned char **p, const unsigned char *end, size_t *val)
{
	unsigned char	c;

	if (*p >= end)
		return (-1);
	c = *(*p)++;
	*val = c & 0x7f;
	while (c & 0x80) {
		if (*p >= end || *val > (SIZE_MAX >> 8))
			return (-1);
		c = *(*p)++;
		*val = ((*val + 1) << 7) | (c & 0x7f);
	}
	return (0);
}

static int
ix_parse(const unsigned char *d, size_t len, struct gitindex *ix,
    char **cause)
{
	const unsigned char	*p, *end = d + len, *nul;
	struct gitindex_entry	*e;
	uint32_t		 version, n, i;
	uint16_t		 flags;
	size_t			 strip, plen, start, prevlen = 0;
	char			*prev = NULL;

	if (len < 12 + SHA1_LEN || memcmp(d, "DIRC", 4) != 0) {
		*cause = xstrdup("not a git index");
		return (-1);
	}
	version = ix_be32(d + 4);
	n = ix_be32(d + 8);
	if (version < 2 || version > 4) {
		*cause = xasprintf("git index version %u is not supported",
		    version);
		return (-1);
	}
	if (n > len / INDEX_ENTRY) {
		*cause = xstrdup("git index truncated");
		return (-1);
	}
	ix->v = xcalloc(n > 0 ? n : 1, sizeof *ix->v);
	p = d + 12;
	end -= SHA1_LEN;	/* the trailing checksum */
	for (i = 0; i < n; i++) {
		start = (size_t)(p - d);
		if ((size_t)(end - p) < INDEX_ENTRY)
			goto trunc;
		e = &ix->v[ix->n];
		e->mtime_s = ix_be32(p + 8);
		e->mtime_ns = ix_be32(p + 12);
		e->mode = ix_be32(p + 24);
		e->size = ix_be32(p + 36);
		sha1_hex(p + 40, e->sha);
		flags = (uint16_t)(p[60] << 8 | p[61]);
		e->stage = (flags >> 12) & 3;
		p += INDEX_ENTRY;
		if (version >= 3 && (flags & INDEX_EXTENDED)) {
			if (end - p < 2)
				goto trunc;
			p += 2;
		}
		if (version == 4) {
			if (ix_varint(&p, end, &strip) == -1 || strip > prevlen)
				goto trunc;
		} else
			strip = prevlen = 0;
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			goto trunc;
		plen = (size_t)(nul - p);
		e->path = xmalloc(prevlen - strip + plen + 1);
		if (prevlen > strip)
			memcpy(e->path, prev, prevlen - strip);
		memcpy(e->path + prevlen - strip, p, plen);
		e->path[prevlen - strip + plen] = '\0';
		ix->n++;
		prev = e->path;
		prevlen = strlen(prev);
		p = nul + 1;
		if (version < 4) {
			/* NUL padded to a multiple of eight bytes. */
			plen = (size_t)(p - d) - start;
			plen = (plen + 7) & ~(size_t)7;
			if (start + plen > (size_t)(end - d))
				goto trunc;
			p = d + start + plen;
		}
	}
	return (0);
trunc:
	*cause = xstrdup("git index truncated or corrupt");
	return (-1);
}

int
gitindex_read(const char *path, struct gitindex *ix, char **cause)
{
	unsigned char	*d;
	size_t		 len;
	char		*why = NULL;
	int		 rv;

	memset(ix, 0, sizeof *ix);
	if ((d = (unsigned char *)read_file(path, INDEX_MAX, &len)) == NULL) {
		if (errno == ENOENT)
			return (0);
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((rv = ix_parse(d, len, ix, &why)) == -1) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		gitindex_free(ix);
	}
	free(d);
	return (rv);
}

int
gitindex_read_repo(const struct gitrepo *r, struct gitindex *ix, char **cause)
{
	char	*path;
	int	 rv;

	path = xasprintf("%s/index", r->dir);
	rv = gitindex_read(path, ix, cause);
	free(path);
	return (rv);
}

void
gitindex_free(struct gitindex *ix)
{
	size_t	i;

	for (i = 0; i < ix->n; i++)
		free(ix->v[i].path);
	free(ix->v);
	memset(ix, 0, sizeof *ix);
}

/* Index of the first entry whose path is not below key (memcmp order). */
static size_t
ix_lower(const struct gitindex *ix, const char *key)
{
	size_t	lo = 0, hi = ix->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ix->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

const struct gitindex_entry *
gitindex_find(const struct gitindex *ix, const char *path)
{
	size_t	i = ix_lower(ix, path);

	if (i < ix->n && strcmp(ix->v[i].path, path) == 0)
		return (&ix->v[i]);
	return (NULL);
}

int
gitindex_has_dir(const struct gitindex *ix, const char *dir)
{
	char	*key;
	size_t	 i, n;
	int	 r;

	key = xasprintf("%s/", dir);
	n = strlen(key);
	i = ix_lower(ix, key);
	r = i < ix->n && strncmp(ix->v[i].path, key, n) == 0;
	free(key);
	return (r);
}
