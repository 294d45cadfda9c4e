/* dockerignore.c -- .dockerignore and .containerignore rules as Podman's builder applies them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dockerignore.h"
#include "proto/util.h"

#define DI_MAX_TOKENS	1024		/* of one rule */

/*
 * Ignore rules.  Podman's builder (Buildah) reads the file with
 * openshift/imagebuilder (skip lines starting with '#', trim '/' at both
 * ends), then Docker's fileutils pattern matcher (trim spaces, path.Clean,
 * '!' for an exception) turns each rule into a regular expression: "**"
 * any number of directories, '*' and '?' within one, other characters
 * mostly passed on as they are.  Whether a rule on a parent directory
 * counts for the files below it has changed between versions: a path is
 * only taken as left out when every reading agrees, so that a rule can make
 * an image digest cover too much, never too little.
 */
enum { DI_LIT, DI_ANY, DI_STAR, DI_DSTAR_END, DI_DSTAR_MID, DI_CLASS };

struct di_tok {
	int		 type;
	unsigned char	 c;		/* DI_LIT */
	int		 neg;		/* DI_CLASS */
	unsigned char	 set[16];	/* DI_CLASS: bitmap of ASCII */
};

struct di_rule {
	struct di_tok	*t;
	size_t		 n;
	int		 exception;	/* "!rule": put back */
	size_t		 ndirs;		/* '/'-separated parts of the rule */
};

struct dockerignore {
	struct di_rule	*v;
	size_t		 n;
};

/* Go's strings.TrimSpace, for ASCII. */
static int
di_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
	    c == '\f' || c == '\r');
}

/* Go's path.Clean: the shortest equivalent path; "." for nothing.  Caller
 * frees. */
static char *
di_clean(const char *p)
{
	size_t	 n = strlen(p), i = 0, len = 0, dotdot;
	char	*out = xmalloc(n + 2);
	int	 rooted = p[0] == '/';

	if (rooted)
		out[len++] = '/';
	dotdot = len;
	while (i < n) {
		if (p[i] == '/')
			i++;
		else if (p[i] == '.' && (i + 1 == n || p[i + 1] == '/'))
			i++;
		else if (p[i] == '.' && p[i + 1] == '.' &&
		    (i + 2 == n || p[i + 2] == '/')) {
			i += 2;
			if (len > dotdot) {
				len--;
				while (len > dotdot && out[len] != '/')
					len--;
			} else if (!rooted) {
				if (len > 0)
					out[len++] = '/';
				out[len++] = '.';
				out[len++] = '.';
				dotdot = len;
			}
		} else {
			if ((rooted && len != 1) || (!rooted && len != 0))
				out[len++] = '/';
			while (i < n && p[i] != '/')
				out[len++] = p[i++];
		}
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return (out);
}

/* Parse the class at p (just after '['), as a Go regular expression reads
 * it, into t; the length eaten, or 0 for a class refused. */
static size_t
di_class(const char *p, struct di_tok *t)
{
	size_t		i = 0;
	unsigned char	lo, hi, c;

	t->type = DI_CLASS;
	if (p[i] == '^') {
		t->neg = 1;
		i++;
	}
	if (p[i] == ']')
		return (0);
	while (p[i] != ']') {
		lo = (unsigned char)p[i];
		if (lo == '\0' || lo == '\\' || lo == '[' || lo == '-' ||
		    lo >= 0x80)
			return (0);
		hi = lo;
		if (p[i + 1] == '-') {
			hi = (unsigned char)p[i + 2];
			if (hi == '\0' || hi == '\\' || hi == '[' ||
			    hi == ']' || hi == '-' || hi >= 0x80 || hi < lo)
				return (0);
			i += 2;
		}
		i++;
		for (c = lo; ; c++) {
			t->set[c / 8] |= (unsigned char)(1u << (c % 8));
			if (c == hi)
				break;
		}
	}
	return (i + 1);
}

/* Turn one cleaned rule into tokens.  0, or -1 when the builder would read
 * it as a regular expression with more in it than a glob. */
static int
di_compile(struct di_rule *r, const char *p)
{
	struct di_tok	 t;
	size_t		 i = 0, k;

	r->ndirs = 1;
	for (k = 0; p[k] != '\0'; k++)
		if (p[k] == '/')
			r->ndirs++;
	while (p[i] != '\0') {
		if (r->n >= DI_MAX_TOKENS)
			return (-1);
		memset(&t, 0, sizeof t);
		if (p[i] == '*' && p[i + 1] == '*') {
			i += 2;
			if (p[i] == '/')
				i++;
			t.type = p[i] == '\0' ? DI_DSTAR_END : DI_DSTAR_MID;
		} else if (p[i] == '*') {
			t.type = DI_STAR;
			i++;
		} else if (p[i] == '?') {
			t.type = DI_ANY;
			i++;
		} else if (p[i] == '\\') {
			/* "\d" and such are classes to a regular expression. */
			if (!ispunct((unsigned char)p[i + 1]))
				return (-1);
			t.type = DI_LIT;
			t.c = (unsigned char)p[i + 1];
			i += 2;
		} else if (p[i] == '[') {
			if ((k = di_class(p + i + 1, &t)) == 0)
				return (-1);
			i += 1 + k;
		} else if (strchr("+(){}|^", p[i]) != NULL)
			return (-1);
		else {
			t.type = DI_LIT;
			t.c = (unsigned char)p[i++];
		}
		r->t = xreallocarray(r->t, r->n + 1, sizeof *r->t);
		r->t[r->n++] = t;
	}
	return (0);
}

/* Bytes of the UTF-8 character at s (1 for a stray byte). */
static size_t
di_runelen(const unsigned char *s, size_t left)
{
	size_t	n, i;

	n = s[0] < 0xc0 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > left)
		return (1);
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (1);
	return (n);
}

/* Does the text s[j..len) hold no newline (which '.' does not match)? */
static int
di_nonl(const char *s, size_t j, size_t k)
{
	return (memchr(s + j, '\n', k - j) == NULL);
}

/* Match tokens i.. of r against s[j..len).  memo has a bit per (i, j)
 * known to fail, which keeps the work to tokens times length. */
static int
di_rec(const struct di_rule *r, size_t i, const char *s, size_t j,
    size_t len, unsigned char *memo)
{
	const struct di_tok	*t;
	size_t			 k, bit, n;
	unsigned char		 c;
	int			 in;

	for (;;) {
		if (i == r->n)
			return (j == len);
		bit = i * (len + 1) + j;
		if (memo[bit / 8] & (1u << (bit % 8)))
			return (0);
		t = &r->t[i];
		switch (t->type) {
		case DI_LIT:
			if (j >= len || (unsigned char)s[j] != t->c)
				goto fail;
			i++;
			j++;
			continue;
		case DI_ANY:
		case DI_CLASS:
			if (j >= len || (t->type == DI_ANY && s[j] == '/'))
				goto fail;
			c = (unsigned char)s[j];
			n = di_runelen((const unsigned char *)s + j, len - j);
			if (t->type == DI_CLASS) {
				in = c < 0x80 && (t->set[c / 8] & (1u << (c % 8)));
				if (in == t->neg)
					goto fail;
			}
			i++;
			j += n;
			continue;
		case DI_STAR:
			for (k = j; ; k++) {
				if (di_rec(r, i + 1, s, k, len, memo))
					return (1);
				if (k >= len || s[k] == '/')
					break;
			}
			goto fail;
		case DI_DSTAR_END:
			return (di_nonl(s, j, len));
		case DI_DSTAR_MID:
			if (di_rec(r, i + 1, s, j, len, memo))
				return (1);
			for (k = j; k < len && s[k] != '\n'; k++)
				if (s[k] == '/' &&
				    di_rec(r, i + 1, s, k + 1, len, memo))
					return (1);
			goto fail;
		}
fail:
		memo[bit / 8] |= (unsigned char)(1u << (bit % 8));
		return (0);
	}
}

/* Does rule r match the first len bytes of path? */
static int
di_match(const struct di_rule *r, const char *path, size_t len)
{
	unsigned char	 small[512], *memo;
	size_t		 bytes = ((r->n + 1) * (len + 1) + 7) / 8;
	int		 m;

	memo = bytes <= sizeof small ? small : xmalloc(bytes);
	memset(memo, 0, bytes);
	m = di_rec(r, 0, path, 0, len, memo);
	if (memo != small)
		free(memo);
	return (m);
}

/*
 * Does r hit path: itself, or (as fileutils does) a parent directory —
 * any parent (any_parent), or only the one with as many parts as r?
 */
static int
di_hit(const struct di_rule *r, const char *path, int any_parent)
{
	size_t	len = strlen(path), k, nslash = 0;

	if (di_match(r, path, len))
		return (1);
	for (k = 0; k < len; k++)
		if (path[k] == '/')
			nslash++;
	if (nslash == 0 || (!any_parent && r->ndirs > nslash))
		return (0);
	for (k = 0, nslash = 0; k < len; k++) {
		if (path[k] != '/')
			continue;
		nslash++;
		if (any_parent && di_match(r, path, k))
			return (1);
		if (!any_parent && nslash == r->ndirs)
			return (di_match(r, path, k));
	}
	return (0);
}

/*
 * A rule as imagebuilder then fileutils read it (0 and *rule, caller frees;
 * 1 for no rule), checked against BuildKit's reading (trim spaces, '!',
 * path.Clean, one leading '/' off): -1 with why where they differ.
 */
static int
di_rule_text(const char *b, const char *e, unsigned line, char **rule,
    char **why)
{
	const char	*s;
	char		*a = NULL, *x, *bk = NULL, *t;
	int		 rv = -1;

	while (b < e && *b == '/')
		b++;
	while (e > b && e[-1] == '/')
		e--;
	while (b < e && di_space((unsigned char)*b))
		b++;
	while (e > b && di_space((unsigned char)e[-1]))
		e--;
	if (b == e)
		return (1);
	if ((unsigned char)*b >= 0x80 || (unsigned char)e[-1] >= 0x80 ||
	    memchr(b, '\0', (size_t)(e - b)) != NULL) {
		*why = xasprintf("line %u: a rule beginning or ending in a "
		    "character outside ASCII", line);
		return (-1);
	}
	t = xstrndup(b, (size_t)(e - b));
	a = di_clean(t);
	free(t);
	/* BuildKit's reading of the same line. */
	s = b;
	if (*s == '!')
		for (s++; s < e && di_space((unsigned char)*s); s++)
			;
	t = xstrndup(s, (size_t)(e - s));
	x = di_clean(t);
	free(t);
	bk = xasprintf("%s%s", *b == '!' ? "!" : "",
	    x[0] == '/' && x[1] != '\0' ? x + 1 : x);
	free(x);
	if (strcmp(a, "!") == 0)
		*why = xasprintf("line %u: a lone \"!\"", line);
	else if (strcmp(a, bk) != 0)
		*why = xasprintf("line %u: a rule read as %s or as %s", line,
		    a, bk);
	else {
		*rule = a;
		a = NULL;
		rv = 0;
	}
	free(a);
	free(bk);
	return (rv);
}

struct dockerignore *
dockerignore_parse(const char *text, size_t len, char **why)
{
	struct dockerignore	*ig = xcalloc(1, sizeof *ig);
	struct di_rule		*r;
	const char		*s = text, *end = text + len, *nl;
	char			*rule;
	unsigned		 line = 0;
	int			 k;

	*why = NULL;
	for (; s <= end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		line++;
		if (nl == s || *s == '#')
			continue;
		if ((k = di_rule_text(s, nl, line, &rule, why)) == -1)
			goto fail;
		if (k == 1)
			continue;
		ig->v = xreallocarray(ig->v, ig->n + 1, sizeof *ig->v);
		r = &ig->v[ig->n++];
		memset(r, 0, sizeof *r);
		r->exception = rule[0] == '!';
		k = di_compile(r, rule + r->exception);
		if (k == -1)
			*why = xasprintf("line %u: rule %s is a regular "
			    "expression to the builder", line, rule);
		free(rule);
		if (k == -1)
			goto fail;
	}
	return (ig);
fail:
	dockerignore_free(ig);
	return (NULL);
}

int
dockerignore_excluded(const struct dockerignore *ig, const char *path)
{
	size_t	i;
	int	any = 0, same = 0;

	for (i = 0; i < ig->n; i++) {
		if (di_hit(&ig->v[i], path, 1))
			any = !ig->v[i].exception;
		if (di_hit(&ig->v[i], path, 0))
			same = !ig->v[i].exception;
	}
	return (any && same);
}

void
dockerignore_free(struct dockerignore *ig)
{
	size_t	i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++)
		free(ig->v[i].t);
	free(ig->v);
	free(ig);
}
