/* glob.c -- segment-wise path globs with "**" on top of fnmatch(3). */
#include <fnmatch.h>
#include <string.h>

#include "proto/glob.h"
#include "proto/util.h"

/* Skip any leading "./" and extra slashes. */
static const char *
glob_skip(const char *s)
{
	for (;;) {
		if (s[0] == '.' && s[1] == '/')
			s += 2;
		else if (s[0] == '/')
			s++;
		else
			return (s);
	}
}

/* Length of the first segment of s. */
static size_t
glob_seglen(const char *s)
{
	const char	*slash;

	return ((slash = strchr(s, '/')) != NULL ? (size_t)(slash - s) :
	    strlen(s));
}

/* Match the segment pattern p (n bytes) against the segment s (m bytes). */
static int
glob_segment(const char *p, size_t n, const char *s, size_t m)
{
	char	pb[1024], sb[1024];

	if (n >= sizeof pb || m >= sizeof sb)
		return (0);
	memcpy(pb, p, n);
	pb[n] = '\0';
	memcpy(sb, s, m);
	sb[m] = '\0';
	return (fnmatch(pb, sb, 0) == 0);
}

/* Recursive matcher; depth bounds the work of many "**". */
static int
glob_rec(const char *p, const char *s, int depth)
{
	size_t	pn, sn;

	if (depth > 64)
		return (0);
	p = glob_skip(p);
	s = glob_skip(s);
	if (*p == '\0')
		return (*s == '\0');
	pn = glob_seglen(p);
	if (pn == 2 && p[0] == '*' && p[1] == '*') {
		/* Zero segments, or eat one and try again. */
		if (glob_rec(p + 2, s, depth + 1))
			return (1);
		if (*s == '\0')
			return (0);
		return (glob_rec(p, s + glob_seglen(s), depth + 1));
	}
	if (*s == '\0')
		return (0);
	sn = glob_seglen(s);
	if (!glob_segment(p, pn, s, sn))
		return (0);
	return (glob_rec(p + pn, s + sn, depth + 1));
}

int
glob_match(const char *pattern, const char *path)
{
	return (glob_rec(pattern, path, 0));
}

char *
glob_static_prefix(const char *pattern)
{
	const char	*p, *end;
	size_t		 n;

	p = glob_skip(pattern);
	end = p;
	while (*end != '\0') {
		n = glob_seglen(end);
		if (strcspn(end, "*?[\\") < n)
			break;
		end += n;
		while (*end == '/')
			end++;
	}
	n = (size_t)(end - p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return (xstrndup(p, n));
}
