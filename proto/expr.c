/* expr.c -- evaluates Cirrus only_if/skip expressions and expands $VAR. */

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/expr.h"
#include "proto/util.h"

#define GLOB_MAX_PATTERN	1024
#define GLOB_MAX_PATH		4096
#define EXPAND_MAX_DEPTH	4

struct ex {
	const char		*s;
	size_t			 len;
	size_t			 pos;
	const struct tf_env	*env;
	const struct tf_context	*ctx;
	int			 depth;
	char			*cause;		/* first error; owned */
	size_t			 errpos;
};

static char	*ex_or(struct ex *);
static int	 expand_into(struct buf *, const char *, const struct tf_env *,
		    const struct tf_context *, int, const char *);

/* Record the first error at the current position; always returns NULL. */
static void *
ex_fail(struct ex *e, const char *fmt, ...)
{
	va_list	ap;

	if (e->cause == NULL) {
		va_start(ap, fmt);
		e->cause = xvasprintf(fmt, ap);
		va_end(ap);
		e->errpos = e->pos;
	}
	return (NULL);
}

/* Look up a variable: -e first, then the task's, then the built-ins. */
static const char *
ex_lookup(const struct tf_env *env, const struct tf_context *ctx,
    const char *name)
{
	const char	*v;

	if (ctx != NULL && ctx->env != NULL &&
	    (v = tf_env_get(ctx->env, name)) != NULL)
		return (v);
	if (env != NULL && (v = tf_env_get(env, name)) != NULL)
		return (v);
	if (ctx != NULL && ctx->base != NULL)
		return (tf_env_get(ctx->base, name));
	return (NULL);
}

static int
ex_true(const char *v)
{
	return (strcasecmp(v, "true") == 0);
}

static char *
ex_bool(int b)
{
	return (xstrdup(b ? "true" : "false"));
}

static void
ex_space(struct ex *e)
{
	while (e->pos < e->len && isspace((unsigned char)e->s[e->pos]))
		e->pos++;
}

/* Consume tok when it is next (after spaces); 1 if consumed. */
static int
ex_accept(struct ex *e, const char *tok)
{
	size_t	n = strlen(tok);

	ex_space(e);
	if (e->len - e->pos >= n && memcmp(e->s + e->pos, tok, n) == 0) {
		e->pos += n;
		return (1);
	}
	return (0);
}

static int
ex_namechar(int c)
{
	return (isalnum((unsigned char)c) || c == '_');
}

/* A quoted literal; the quote is at e->pos.  Backslash escapes only the
 * quote and itself so that regular expressions keep their backslashes. */
static char *
ex_string(struct ex *e)
{
	struct buf	b;
	char		q = e->s[e->pos];
	size_t		start = e->pos;

	buf_init(&b, EXPR_MAX_LEN);
	e->pos++;
	while (e->pos < e->len && e->s[e->pos] != q) {
		if (e->s[e->pos] == '\\' && e->pos + 1 < e->len &&
		    (e->s[e->pos + 1] == q || e->s[e->pos + 1] == '\\'))
			e->pos++;
		buf_add(&b, e->s + e->pos, 1);
		e->pos++;
	}
	if (e->pos >= e->len) {
		buf_free(&b);
		e->pos = start;
		return (ex_fail(e, "unterminated string"));
	}
	e->pos++;
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}

/* $NAME or ${NAME}; e->pos is at '$'. */
static char *
ex_var(struct ex *e)
{
	struct buf	 b;
	size_t		 start, n;
	int		 brace = 0;
	char		*name;
	const char	*v;

	e->pos++;
	if (e->pos < e->len && e->s[e->pos] == '{') {
		brace = 1;
		e->pos++;
	}
	start = e->pos;
	while (e->pos < e->len && ex_namechar(e->s[e->pos]))
		e->pos++;
	n = e->pos - start;
	if (n == 0)
		return (ex_fail(e, "expected a variable name"));
	if (brace) {
		if (e->pos >= e->len || e->s[e->pos] != '}')
			return (ex_fail(e, "expected '}'"));
		e->pos++;
	}
	name = xstrndup(e->s + start, n);
	v = ex_lookup(e->env, e->ctx, name);
	/* As Cirrus: a value naming variables is seen expanded. */
	buf_init(&b, EXPR_MAX_EXPAND);
	if (v != NULL && expand_into(&b, v, e->env, e->ctx, 1, name) == -1) {
		buf_free(&b);
		free(name);
		return (ex_fail(e, "variable too long once expanded"));
	}
	free(name);
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}

/* changesInclude(...) / changesIncludeOnly(...): arguments are values. */
static char *
ex_changes(struct ex *e, int only)
{
	char	**pats = NULL, *v;
	size_t	  npats = 0, i, j;
	int	  result = 0, any;

	if (!ex_accept(e, "("))
		return (ex_fail(e, "expected '('"));
	if (!ex_accept(e, ")")) {
		for (;;) {
			if ((v = ex_or(e)) == NULL)
				goto out;
			pats = xreallocarray(pats, npats + 1, sizeof *pats);
			pats[npats++] = v;
			if (ex_accept(e, ")"))
				break;
			if (!ex_accept(e, ",")) {
				ex_fail(e, "expected ',' or ')'");
				goto out;
			}
		}
	}
	if (e->ctx == NULL || e->ctx->changed == NULL)
		goto done;
	if (only && e->ctx->nchanged == 0)
		goto done;
	result = only;
	for (i = 0; i < e->ctx->nchanged; i++) {
		any = 0;
		for (j = 0; j < npats && !any; j++)
			any = expr_glob_match(pats[j], e->ctx->changed[i]);
		if (only && !any) {
			result = 0;
			break;
		}
		if (!only && any) {
			result = 1;
			break;
		}
	}
done:
	strv_free(pats, npats);
	return (ex_bool(result));
out:
	strv_free(pats, npats);
	return (NULL);
}

static char *
ex_primary(struct ex *e)
{
	size_t	 start, n;
	char	*v, c;

	ex_space(e);
	if (e->pos >= e->len)
		return (ex_fail(e, "unexpected end of expression"));
	c = e->s[e->pos];
	if (c == '(') {
		if (++e->depth > EXPR_MAX_DEPTH)
			return (ex_fail(e, "expression nested too deeply"));
		e->pos++;
		if ((v = ex_or(e)) == NULL)
			return (NULL);
		if (!ex_accept(e, ")")) {
			free(v);
			return (ex_fail(e, "expected ')'"));
		}
		e->depth--;
		return (v);
	}
	if (c == '\'' || c == '"')
		return (ex_string(e));
	if (c == '$')
		return (ex_var(e));
	start = e->pos;
	while (e->pos < e->len && (ex_namechar(e->s[e->pos]) ||
	    e->s[e->pos] == '-' || e->s[e->pos] == '.' ||
	    e->s[e->pos] == '/'))
		e->pos++;
	n = e->pos - start;
	if (n == 0)
		return (ex_fail(e, "unexpected '%c'", c));
	if (n == 14 && memcmp(e->s + start, "changesInclude", n) == 0)
		return (ex_changes(e, 0));
	if (n == 18 && memcmp(e->s + start, "changesIncludeOnly", n) == 0)
		return (ex_changes(e, 1));
	ex_space(e);
	if (e->pos < e->len && e->s[e->pos] == '(') {
		e->pos = start;
		return (ex_fail(e, "unknown function '%.*s'", (int)n,
		    e->s + start));
	}
	/* A bare word (true, false, master) is its own text. */
	return (xstrndup(e->s + start, n));
}

/* Translate Perl-style classes that POSIX ERE lacks and anchor the whole. */
static char *
ex_regex_translate(const char *p)
{
	struct buf	 b;

	buf_init(&b, 0);
	buf_addstr(&b, "^(");
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			switch (p[1]) {
			case 'd':
				buf_addstr(&b, "[0-9]");
				break;
			case 'D':
				buf_addstr(&b, "[^0-9]");
				break;
			case 'w':
				buf_addstr(&b, "[[:alnum:]_]");
				break;
			case 'W':
				buf_addstr(&b, "[^[:alnum:]_]");
				break;
			case 's':
				buf_addstr(&b, "[[:space:]]");
				break;
			case 'S':
				buf_addstr(&b, "[^[:space:]]");
				break;
			default:
				buf_add(&b, p, 2);
				break;
			}
			p++;
			continue;
		}
		buf_add(&b, p, 1);
	}
	buf_addstr(&b, ")$");
	return (buf_steal(&b, NULL));
}

/*
 * Whole-string match of value against a Cirrus regex, which ignores case
 * as Cirrus's does ("(?i)" is allowed and changes nothing); -1 on a bad
 * one, said in e unless e is NULL.
 */
static int
ex_regex(struct ex *e, const char *value, const char *pattern)
{
	regex_t	 re;
	int	 flags = REG_EXTENDED | REG_NOSUB | REG_ICASE, rc, matched;
	char	*full, msg[128];

	if (strncmp(pattern, "(?i)", 4) == 0)
		pattern += 4;
	full = ex_regex_translate(pattern);
	rc = regcomp(&re, full, flags);
	free(full);
	if (rc != 0) {
		regerror(rc, &re, msg, sizeof msg);
		if (e != NULL)
			ex_fail(e, "invalid regular expression '%s': %s",
			    pattern, msg);
		return (-1);
	}
	matched = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	return (matched);
}

static char *
ex_cmp(struct ex *e)
{
	char	*l, *r = NULL, *v = NULL;
	int	 op, m;
	size_t	 oppos;

	if ((l = ex_primary(e)) == NULL)
		return (NULL);
	ex_space(e);
	oppos = e->pos;
	if (ex_accept(e, "=="))
		op = 1;
	else if (ex_accept(e, "!=~"))
		op = 4;
	else if (ex_accept(e, "!="))
		op = 2;
	else if (ex_accept(e, "=~"))
		op = 3;
	else if (e->len - e->pos >= 2 && memcmp(e->s + e->pos, "in", 2) == 0 &&
	    (e->len - e->pos == 2 || !ex_namechar(e->s[e->pos + 2]))) {
		e->pos += 2;
		op = 5;
	} else
		return (l);
	if ((r = ex_primary(e)) == NULL)
		goto out;
	switch (op) {
	case 1:
		v = ex_bool(strcmp(l, r) == 0);
		break;
	case 2:
		v = ex_bool(strcmp(l, r) != 0);
		break;
	case 5:		/* a in b: b contains a */
		v = ex_bool(strstr(r, l) != NULL);
		break;
	default:
		/* As Cirrus: either side may be the pattern. */
		if ((m = ex_regex(e, l, r)) == -1) {
			e->errpos = oppos;
			goto out;
		}
		if (!m)
			m = ex_regex(NULL, r, l) == 1;
		v = ex_bool(op == 3 ? m : !m);
		break;
	}
out:
	free(l);
	free(r);
	return (v);
}

static char *
ex_unary(struct ex *e)
{
	char	*v;
	int	 b;

	ex_space(e);
	if (e->pos < e->len && e->s[e->pos] == '!' &&
	    (e->pos + 1 >= e->len || e->s[e->pos + 1] != '=')) {
		e->pos++;
		if (++e->depth > EXPR_MAX_DEPTH)
			return (ex_fail(e, "expression nested too deeply"));
		if ((v = ex_unary(e)) == NULL)
			return (NULL);
		e->depth--;
		b = ex_true(v);
		free(v);
		return (ex_bool(!b));
	}
	return (ex_cmp(e));
}

static char *
ex_and(struct ex *e)
{
	char	*l, *r;
	int	 b;

	if ((l = ex_unary(e)) == NULL)
		return (NULL);
	while (ex_accept(e, "&&")) {
		if ((r = ex_unary(e)) == NULL) {
			free(l);
			return (NULL);
		}
		b = ex_true(l) && ex_true(r);
		free(l);
		free(r);
		l = ex_bool(b);
	}
	return (l);
}

static char *
ex_or(struct ex *e)
{
	char	*l, *r;
	int	 b;

	if ((l = ex_and(e)) == NULL)
		return (NULL);
	while (ex_accept(e, "||")) {
		if ((r = ex_and(e)) == NULL) {
			free(l);
			return (NULL);
		}
		b = ex_true(l) || ex_true(r);
		free(l);
		free(r);
		l = ex_bool(b);
	}
	return (l);
}

/* Evaluate a whole expression; see expr.h. */
int
expr_eval(const char *expr, const struct tf_env *env,
    const struct tf_context *ctx, int *result, char **cause, size_t *offset)
{
	struct ex	 e;
	char		*v;

	memset(&e, 0, sizeof e);
	e.s = expr;
	e.len = strlen(expr);
	e.env = env;
	e.ctx = ctx;
	if (e.len > EXPR_MAX_LEN) {
		ex_fail(&e, "expression longer than %d bytes", EXPR_MAX_LEN);
		goto fail;
	}
	ex_space(&e);
	if (e.pos == e.len) {
		ex_fail(&e, "empty expression");
		goto fail;
	}
	if ((v = ex_or(&e)) == NULL)
		goto fail;
	ex_space(&e);
	if (e.pos != e.len) {
		free(v);
		ex_fail(&e, "unexpected '%c'", e.s[e.pos]);
		goto fail;
	}
	*result = ex_true(v);
	free(v);
	return (0);
fail:
	if (offset != NULL)
		*offset = e.errpos;
	if (cause != NULL)
		*cause = e.cause;
	else
		free(e.cause);
	return (-1);
}

/* Append s to b with variables substituted; -1 when b's cap is hit. */
static int
expand_into(struct buf *b, const char *s, const struct tf_env *env,
    const struct tf_context *ctx, int depth, const char *self)
{
	const char	*p = s, *v, *start;
	char		*name;
	size_t		 n;
	int		 brace, pct, rc;

	while (*p != '\0') {
		if (*p != '$' && *p != '%') {
			if (buf_add(b, p++, 1) == -1)
				return (-1);
			continue;
		}
		pct = *p == '%';
		brace = !pct && p[1] == '{';
		start = p + 1 + brace;
		n = 0;
		if (isalpha((unsigned char)start[0]) || start[0] == '_')
			while (ex_namechar(start[n]))
				n++;
		if (n == 0 || (brace && start[n] != '}') ||
		    (pct && start[n] != '%')) {
			if (buf_add(b, p++, 1) == -1)
				return (-1);
			continue;
		}
		name = xstrndup(start, n);
		v = ex_lookup(env, ctx, name);
		if (v == NULL || (self != NULL && strcmp(self, name) == 0)) {
			free(name);
			if (buf_add(b, p++, 1) == -1)
				return (-1);
			continue;
		}
		if (depth < EXPAND_MAX_DEPTH)
			rc = expand_into(b, v, env, ctx, depth + 1, name);
		else
			rc = buf_addstr(b, v);
		free(name);
		if (rc == -1)
			return (-1);
		p = start + n + (brace || pct);
	}
	return (0);
}

/* Expand variables in s; see expr.h.  Caller frees the result. */
char *
expr_expand(const char *s, const struct tf_env *env,
    const struct tf_context *ctx)
{
	struct buf	b;

	buf_init(&b, EXPR_MAX_EXPAND);
	if (expand_into(&b, s, env, ctx, 0, NULL) == -1) {
		buf_free(&b);
		return (NULL);
	}
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}

struct glob {
	const char	*p, *s;
	size_t		 plen, slen;
	unsigned char	*memo;		/* 0 unknown, 1 no, 2 yes */
};

/* Match a [...] class at p[pi] against c; sets *next past ']'.  Returns -1
 * when the class is not closed (then '[' is literal). */
static int
glob_class(const char *p, size_t plen, size_t pi, char c, size_t *next)
{
	size_t	i = pi + 1;
	int	neg = 0, hit = 0;

	if (i < plen && (p[i] == '!' || p[i] == '^')) {
		neg = 1;
		i++;
	}
	if (i < plen && p[i] == ']') {
		hit |= c == ']';
		i++;
	}
	for (; i < plen && p[i] != ']'; i++) {
		if (i + 2 < plen && p[i + 1] == '-' && p[i + 2] != ']') {
			if (c >= p[i] && c <= p[i + 2])
				hit = 1;
			i += 2;
		} else if (p[i] == c)
			hit = 1;
	}
	if (i >= plen)
		return (-1);
	*next = i + 1;
	return (hit != neg);
}

static int
glob_at(struct glob *g, size_t pi, size_t si)
{
	unsigned char	*m = &g->memo[pi * (g->slen + 1) + si];
	size_t		 k, next;
	int		 r = 0, c;

	if (*m != 0)
		return (*m == 2);
	if (pi == g->plen) {
		r = si == g->slen;
		goto out;
	}
	if (g->p[pi] == '*' && pi + 1 < g->plen && g->p[pi + 1] == '*') {
		if (pi + 2 < g->plen && g->p[pi + 2] == '/') {
			/* "**" followed by '/' also matches no directory. */
			if ((r = glob_at(g, pi + 3, si)) != 0)
				goto out;
			for (k = si; k < g->slen && !r; k++)
				if (g->s[k] == '/')
					r = glob_at(g, pi + 3, k + 1);
			goto out;
		}
		for (k = si; k <= g->slen && !r; k++)
			r = glob_at(g, pi + 2, k);
		goto out;
	}
	if (g->p[pi] == '*') {
		for (k = si; k <= g->slen && !r; k++) {
			r = glob_at(g, pi + 1, k);
			if (k < g->slen && g->s[k] == '/')
				break;
		}
		goto out;
	}
	if (si == g->slen)
		goto out;
	if (g->p[pi] == '?') {
		r = g->s[si] != '/' && glob_at(g, pi + 1, si + 1);
		goto out;
	}
	if (g->p[pi] == '[') {
		c = glob_class(g->p, g->plen, pi, g->s[si], &next);
		if (c != -1) {
			r = c && g->s[si] != '/' && glob_at(g, next, si + 1);
			goto out;
		}
	}
	if (g->p[pi] == '\\' && pi + 1 < g->plen) {
		r = g->s[si] == g->p[pi + 1] && glob_at(g, pi + 2, si + 1);
		goto out;
	}
	r = g->s[si] == g->p[pi] && glob_at(g, pi + 1, si + 1);
out:
	*m = r ? 2 : 1;
	return (r);
}

/* Glob match with "**"; see expr.h.  Memoised, so linear in the product of
 * the lengths whatever the pattern. */
int
expr_glob_match(const char *pattern, const char *path)
{
	struct glob	g;
	int		r;

	g.p = pattern;
	g.s = path;
	g.plen = strlen(pattern);
	g.slen = strlen(path);
	if (g.plen > GLOB_MAX_PATTERN || g.slen > GLOB_MAX_PATH)
		return (0);
	g.memo = xcalloc(g.plen + 1, g.slen + 1);
	r = glob_at(&g, 0, 0);
	free(g.memo);
	return (r);
}
