/* gitobj.c -- git repositories read without git: discovery, refs, loose and packed objects. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "client/gitobj.h"
#include "proto/util.h"

#define GIT_MAX_FILE	(4u << 20)	/* HEAD, refs, config, packed-refs */
#define GIT_MAX_DEPTH	64		/* delta chain, symbolic refs */

enum {
	PACK_COMMIT = 1, PACK_TREE = 2, PACK_BLOB = 3, PACK_TAG = 4,
	PACK_OFS_DELTA = 6, PACK_REF_DELTA = 7
};

/* The pack indexes of objects/pack, read on the first packed lookup. */
struct gitobj_packs {
	int		 loaded;
	size_t		 n;
	char		**pack;		/* path of each .pack */
	unsigned char	**idx;		/* its .idx, whole */
	size_t		*len;
};

static const char *const pack_types[] = {
	NULL, "commit", "tree", "blob", "tag", NULL, NULL, NULL
};

char *
gitobj_read_file(const char *dir, const char *name)
{
	char	*path, *s;
	size_t	 len = 0;

	path = xasprintf("%s/%s", dir, name);
	s = read_file(path, GIT_MAX_FILE, &len);
	free(path);
	if (s == NULL)
		return (NULL);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return (s);
}

int
gitobj_is_sha(const char *s)
{
	return (strspn(s, "0123456789abcdef") >= GITOBJ_SHA_LEN);
}

int
gitobj_find(const char *start, struct gitrepo *g)
{
	struct stat	 sb;
	char		*d, *gd, *s, *p;

	memset(g, 0, sizeof *g);
	d = xstrdup(start);
	for (;;) {
		gd = xasprintf("%s/.git", d);
		if (stat(gd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			g->dir = gd;
			break;
		}
		free(gd);
		/* A worktree or submodule: ".git" is "gitdir: PATH". */
		if ((s = gitobj_read_file(d, ".git")) != NULL &&
		    strncmp(s, "gitdir: ", 8) == 0) {
			g->dir = s[8] == '/' ? xstrdup(s + 8) :
			    xasprintf("%s/%s", d, s + 8);
			free(s);
			break;
		}
		free(s);
		if (*d == '\0' || (p = strrchr(d, '/')) == NULL) {
			free(d);
			return (0);
		}
		*p = '\0';
	}
	g->top = *d != '\0' ? d : (free(d), xstrdup("/"));
	g->packs = xcalloc(1, sizeof *g->packs);
	if ((s = gitobj_read_file(g->dir, "commondir")) != NULL && *s != '\0') {
		g->common = *s == '/' ? xstrdup(s) :
		    xasprintf("%s/%s", g->dir, s);
	} else
		g->common = xstrdup(g->dir);
	free(s);
	return (1);
}

void
gitobj_close(struct gitrepo *g)
{
	size_t	i;

	if (g->packs != NULL) {
		for (i = 0; i < g->packs->n; i++) {
			free(g->packs->pack[i]);
			free(g->packs->idx[i]);
		}
		free(g->packs->pack);
		free(g->packs->idx);
		free(g->packs->len);
		free(g->packs);
	}
	free(g->top);
	free(g->dir);
	free(g->common);
	memset(g, 0, sizeof *g);
}

static char *
gitobj_resolve1(const struct gitrepo *g, const char *ref, int depth)
{
	char	*s, *line, *next, *sha = NULL;
	size_t	 n = strlen(ref);

	if (depth > 5)
		return (NULL);
	if ((s = gitobj_read_file(g->dir, ref)) == NULL)
		s = gitobj_read_file(g->common, ref);
	if (s != NULL && strncmp(s, "ref: ", 5) == 0) {
		sha = gitobj_resolve1(g, s + 5, depth + 1);
		free(s);
		return (sha);
	}
	if (s != NULL && gitobj_is_sha(s)) {
		s[GITOBJ_SHA_LEN] = '\0';
		return (s);
	}
	free(s);
	if ((s = gitobj_read_file(g->common, "packed-refs")) == NULL)
		return (NULL);
	for (line = s; line != NULL && sha == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (gitobj_is_sha(line) && line[GITOBJ_SHA_LEN] == ' ' &&
		    strncmp(line + GITOBJ_SHA_LEN + 1, ref, n) == 0 &&
		    line[GITOBJ_SHA_LEN + 1 + n] == '\0')
			sha = xstrndup(line, GITOBJ_SHA_LEN);
	}
	free(s);
	return (sha);
}

char *
gitobj_resolve(const struct gitrepo *g, const char *ref)
{
	return (gitobj_resolve1(g, ref, 0));
}

/* Split inflated "TYPE SIZE\0BODY" (n bytes) into type and a body copy. */
static char *
gitobj_split(const char *raw, size_t n, char *type, size_t *len)
{
	const char	*sp, *nul;
	char		*body;

	if ((nul = memchr(raw, '\0', n)) == NULL ||
	    (sp = memchr(raw, ' ', (size_t)(nul - raw))) == NULL ||
	    sp - raw >= 16)
		return (NULL);
	memcpy(type, raw, (size_t)(sp - raw));
	type[sp - raw] = '\0';
	*len = n - (size_t)(nul + 1 - raw);
	body = xmalloc(*len + 1);
	memcpy(body, nul + 1, *len);
	body[*len] = '\0';
	return (body);
}

/* A loose object; NULL when there is none or it is unreadable. */
static char *
gitobj_loose(const struct gitrepo *g, const char *sha, char *type,
    size_t *len)
{
	z_stream	 zs;
	char		*path, *raw, *out = NULL, *body = NULL;
	size_t		 rawlen = 0;
	int		 zr;

	path = xasprintf("%s/objects/%.2s/%.38s", g->common, sha, sha + 2);
	raw = read_file(path, GITOBJ_MAX, &rawlen);
	free(path);
	if (raw == NULL)
		return (NULL);
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		goto out;
	out = xmalloc(GITOBJ_MAX + 64);
	zs.next_in = (unsigned char *)raw;
	zs.avail_in = (uInt)rawlen;
	zs.next_out = (unsigned char *)out;
	zs.avail_out = GITOBJ_MAX + 64;
	zr = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zr == Z_STREAM_END)
		body = gitobj_split(out, zs.total_out, type, len);
out:
	free(out);
	free(raw);
	return (body);
}

/* Big-endian 32 bits at p. */
static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* The offset of raw (20 bytes) in pack index idx (v2), or -1. */
static int64_t
gitobj_idx_find(const unsigned char *idx, size_t len, const unsigned char *raw)
{
	uint32_t	 n, lo, hi, mid, off;
	const unsigned char *names, *offs, *big;
	int		 c;

	if (len < 8 + 256 * 4 || memcmp(idx, "\377tOc", 4) != 0 ||
	    be32(idx + 4) != 2)
		return (-1);
	n = be32(idx + 8 + 255 * 4);
	if ((uint64_t)len < 8 + 1024 + (uint64_t)n * 28 + 40)
		return (-1);
	names = idx + 8 + 1024;
	offs = names + (size_t)n * 24;		/* after names and crcs */
	big = offs + (size_t)n * 4;
	lo = raw[0] == 0 ? 0 : be32(idx + 8 + (raw[0] - 1) * 4);
	hi = be32(idx + 8 + raw[0] * 4);
	if (hi > n || lo > hi)
		return (-1);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(names + (size_t)mid * 20, raw, 20);
		if (c == 0) {
			off = be32(offs + (size_t)mid * 4);
			if (!(off & 0x80000000u))
				return (off);
			off &= 0x7fffffffu;
			if ((size_t)(big - idx) + ((size_t)off + 1) * 8 > len)
				return (-1);
			return ((int64_t)((uint64_t)be32(big + off * 8) << 32 |
			    be32(big + off * 8 + 4)) & INT64_MAX);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (-1);
}

/* Inflate exactly want bytes of the zlib stream at off in fd; caller
 * frees.  NULL on any trouble. */
static unsigned char *
gitobj_inflate_at(int fd, int64_t off, size_t want)
{
	z_stream	 zs;
	unsigned char	 in[16384], *out;
	ssize_t		 n;
	int		 zr = Z_OK;

	if (want > GITOBJ_MAX)
		return (NULL);
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return (NULL);
	out = xmalloc(want + 1);
	zs.next_out = out;
	zs.avail_out = (uInt)want + 1;
	while (zr == Z_OK) {
		if ((n = pread(fd, in, sizeof in, off)) <= 0)
			break;
		off += n;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0 && (zr = inflate(&zs, Z_NO_FLUSH)) ==
		    Z_OK && zs.avail_out > 0)
			;
		if (zs.avail_out == 0)
			break;
	}
	inflateEnd(&zs);
	if (zr != Z_STREAM_END || zs.total_out != want) {
		free(out);
		return (NULL);
	}
	out[want] = '\0';
	return (out);
}

/* A little-endian base-128 size from a delta; 0 and *p moved, or -1. */
static int
gitobj_delta_size(const unsigned char **p, const unsigned char *end,
    size_t *size)
{
	unsigned	shift = 0;
	unsigned char	c;

	*size = 0;
	do {
		if (*p >= end || shift > 56)
			return (-1);
		c = *(*p)++;
		*size |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return (0);
}

/* Apply delta (n bytes) to base; the result or NULL; caller frees. */
static unsigned char *
gitobj_patch(const unsigned char *base, size_t blen,
    const unsigned char *d, size_t n, size_t *outlen)
{
	const unsigned char	*end = d + n;
	unsigned char		*out = NULL, op;
	size_t			 srclen, dstlen, o = 0, off, sz;
	int			 i;

	if (gitobj_delta_size(&d, end, &srclen) == -1 || srclen != blen ||
	    gitobj_delta_size(&d, end, &dstlen) == -1 || dstlen > GITOBJ_MAX)
		return (NULL);
	out = xmalloc(dstlen + 1);
	while (d < end) {
		op = *d++;
		if (op & 0x80) {
			off = sz = 0;
			for (i = 0; i < 4; i++)
				if (op & (1 << i)) {
					if (d >= end)
						goto bad;
					off |= (size_t)*d++ << (8 * i);
				}
			for (i = 0; i < 3; i++)
				if (op & (0x10 << i)) {
					if (d >= end)
						goto bad;
					sz |= (size_t)*d++ << (8 * i);
				}
			if (sz == 0)
				sz = 0x10000;
			if (off > blen || sz > blen - off || sz > dstlen - o)
				goto bad;
			memcpy(out + o, base + off, sz);
			o += sz;
		} else if (op != 0) {
			if ((size_t)(end - d) < op || op > dstlen - o)
				goto bad;
			memcpy(out + o, d, op);
			d += op;
			o += op;
		} else
			goto bad;
	}
	if (o != dstlen)
		goto bad;
	out[o] = '\0';
	*outlen = o;
	return (out);
bad:
	free(out);
	return (NULL);
}

static char *gitobj_packed(const struct gitrepo *, const unsigned char *,
    char *, size_t *, int);

/* The object at off in pack fd (whose index is idx); see gitobj_read. */
static unsigned char *
gitobj_pack_at(const struct gitrepo *g, int fd, const unsigned char *idx,
    size_t idxlen, int64_t off, char *type, size_t *len, int depth)
{
	unsigned char	 hdr[32], *delta = NULL, *base = NULL, *out = NULL;
	unsigned char	 c;
	size_t		 size, blen, i = 0;
	unsigned	 shift = 4;
	int64_t		 boff;
	ssize_t		 n;
	int		 kind;

	if (depth > GIT_MAX_DEPTH ||
	    (n = pread(fd, hdr, sizeof hdr, off)) < 2)
		return (NULL);
	c = hdr[i++];
	kind = (c >> 4) & 7;
	size = c & 15;
	while (c & 0x80) {
		if (i >= (size_t)n || shift > 56)
			return (NULL);
		c = hdr[i++];
		size |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	}
	if (kind >= PACK_COMMIT && kind <= PACK_TAG) {
		if ((out = gitobj_inflate_at(fd, off + (int64_t)i, size)) ==
		    NULL)
			return (NULL);
		snprintf(type, 16, "%s", pack_types[kind]);
		*len = size;
		return (out);
	}
	if (kind == PACK_OFS_DELTA) {
		if (i >= (size_t)n)
			return (NULL);
		c = hdr[i++];
		boff = c & 0x7f;
		while (c & 0x80) {
			if (i >= (size_t)n || boff > (INT64_MAX >> 8))
				return (NULL);
			c = hdr[i++];
			boff = ((boff + 1) << 7) | (c & 0x7f);
		}
		if (boff <= 0 || boff > off)
			return (NULL);
		base = gitobj_pack_at(g, fd, idx, idxlen, off - boff, type,
		    &blen, depth + 1);
	} else if (kind == PACK_REF_DELTA) {
		if (i + 20 > (size_t)n)
			return (NULL);
		if ((boff = gitobj_idx_find(idx, idxlen, hdr + i)) >= 0)
			base = gitobj_pack_at(g, fd, idx, idxlen, boff, type,
			    &blen, depth + 1);
		else
			base = (unsigned char *)gitobj_packed(g, hdr + i, type,
			    &blen, depth + 1);
		i += 20;
	} else
		return (NULL);
	if (base == NULL ||
	    (delta = gitobj_inflate_at(fd, off + (int64_t)i, size)) == NULL)
		goto out;
	out = gitobj_patch(base, blen, delta, size, len);
out:
	free(base);
	free(delta);
	return (out);
}

/* Read the repository's pack indexes once. */
static void
gitobj_packs_load(const struct gitrepo *g)
{
	struct gitobj_packs	*ps = g->packs;
	DIR			*d;
	struct dirent		*de;
	char			*dir, *path;
	unsigned char		*idx;
	size_t			 len, nl;

	ps->loaded = 1;
	dir = xasprintf("%s/objects/pack", g->common);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".idx") != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		idx = (unsigned char *)read_file(path, 1u << 30, &len);
		free(path);
		if (idx == NULL)
			continue;
		ps->pack = xreallocarray(ps->pack, ps->n + 1, sizeof *ps->pack);
		ps->idx = xreallocarray(ps->idx, ps->n + 1, sizeof *ps->idx);
		ps->len = xreallocarray(ps->len, ps->n + 1, sizeof *ps->len);
		ps->pack[ps->n] = xasprintf("%s/%.*spack", dir, (int)(nl - 3),
		    de->d_name);
		ps->idx[ps->n] = idx;
		ps->len[ps->n++] = len;
	}
	closedir(d);
	free(dir);
}

/* Look raw (20 bytes) up in every pack of the repository. */
static char *
gitobj_packed(const struct gitrepo *g, const unsigned char *raw, char *type,
    size_t *len, int depth)
{
	struct gitobj_packs	*ps = g->packs;
	char			*body = NULL;
	size_t			 i;
	int64_t			 off;
	int			 fd;

	if (ps == NULL)
		return (NULL);
	if (!ps->loaded)
		gitobj_packs_load(g);
	for (i = 0; i < ps->n && body == NULL; i++) {
		if ((off = gitobj_idx_find(ps->idx[i], ps->len[i], raw)) < 0)
			continue;
		if ((fd = open(ps->pack[i], O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		body = (char *)gitobj_pack_at(g, fd, ps->idx[i], ps->len[i],
		    off, type, len, depth);
		close(fd);
	}
	return (body);
}

char *
gitobj_read(const struct gitrepo *g, const char *sha, char *type, size_t *len)
{
	unsigned char	 raw[20];
	char		*body;
	unsigned	 v;
	int		 i;

	if (!gitobj_is_sha(sha))
		return (NULL);
	if ((body = gitobj_loose(g, sha, type, len)) != NULL)
		return (body);
	for (i = 0; i < 20; i++) {
		if (sscanf(sha + 2 * i, "%2x", &v) != 1)
			return (NULL);
		raw[i] = (unsigned char)v;
	}
	return (gitobj_packed(g, raw, type, len, 0));
}
