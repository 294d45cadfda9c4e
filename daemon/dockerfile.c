/* dockerfile.c -- read a Dockerfile for the build-context paths its COPY and ADD take. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/dockerfile.h"
#include "proto/util.h"

#define DF_MAX_LINE	(1u << 20)	/* bytes of one logical line */

/*
 * Both parsers a build may meet are followed: BuildKit's and the older one
 * that Buildah (so Podman) vendors through openshift/imagebuilder.  Where
 * they disagree about what a line takes from the context, the line cannot
 * be analysed for sure and the caller falls back to the whole context.
 */

/* The text being read, one physical line at a time. */
struct df_reader {
	const char	*p, *end;
	unsigned	 lineno;	/* of the line last read */
	char		 esc;		/* '\\' or '`', from "# escape=" */
};

static const char *df_known[] = {
	"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from",
	"healthcheck", "label", "maintainer", "onbuild", "run", "shell",
	"stopsignal", "user", "volume", "workdir", NULL
};

/* Whitespace as the builders' regular expressions see it. */
static int
df_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r');
}

/* Read the next physical line into s and n (no newline, no '\r' before
 * it): 1, or 0 at the end of the text. */
static int
df_line(struct df_reader *r, const char **s, size_t *n)
{
	const char	*nl;

	if (r->p >= r->end)
		return (0);
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	*s = r->p;
	*n = (size_t)((nl != NULL ? nl : r->end) - r->p);
	r->p = nl != NULL ? nl + 1 : r->end;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	r->lineno++;
	return (1);
}

/* Skip leading whitespace of s (n bytes). */
static void
df_ltrim(const char **s, size_t *n)
{
	while (*n > 0 && df_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
}

/* True for a comment line: '#' after optional whitespace. */
static int
df_comment(const char *s, size_t n)
{
	df_ltrim(&s, &n);
	return (n > 0 && *s == '#');
}

/* True for a line of nothing but whitespace. */
static int
df_blank(const char *s, size_t n)
{
	df_ltrim(&s, &n);
	return (n == 0);
}

/* Cut a trailing escape character (and whitespace after it) off the line:
 * 1 when the line continues on the next one. */
static int
df_continues(const char *s, size_t *n, char esc)
{
	size_t	i = *n;

	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	if (i == 0 || s[i - 1] != esc)
		return (0);
	*n = i - 1;
	return (1);
}

/*
 * A parser directive "#name=value" (spaces allowed around each part, as
 * ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$): 1 with the lowercased name
 * and the value (both caller frees), else 0.
 */
static int
df_directive(const char *s, size_t n, char **name, char **value)
{
	const char	*end = s + n, *k, *v;
	size_t		 kn, i;

	if (n == 0 || *s != '#')
		return (0);
	for (s++; s < end && df_space((unsigned char)*s); s++)
		;
	k = s;
	if (s == end || !isalpha((unsigned char)*s))
		return (0);
	while (s < end && isalnum((unsigned char)*s))
		s++;
	kn = (size_t)(s - k);
	while (s < end && df_space((unsigned char)*s))
		s++;
	if (s == end || *s != '=')
		return (0);
	for (s++; s < end && df_space((unsigned char)*s); s++)
		;
	v = s;
	while (end > v && df_space((unsigned char)end[-1]))
		end--;
	if (end == v)
		return (0);
	*name = xstrndup(k, kn);
	for (i = 0; i < kn; i++)
		(*name)[i] = (char)tolower((unsigned char)(*name)[i]);
	*value = xstrndup(v, (size_t)(end - v));
	return (1);
}

/*
 * Read the parser directives at the top of the text and set the escape
 * character.  BuildKit honours "# escape=" after other directives, the older
 * parser only on the first line: there they disagree.  0, or -1 with why.
 */
static int
df_directives(struct df_reader *r, char **why)
{
	struct df_reader	 save;
	const char		*s;
	size_t			 n;
	char			*name, *value;
	int			 first = 1, rv = 0;

	for (;;) {
		save = *r;
		if (!df_line(r, &s, &n))
			break;
		if (!df_directive(s, n, &name, &value)) {
			*r = save;
			break;
		}
		if (strcmp(name, "escape") == 0) {
			if (!first)
				*why = xasprintf("line %u: an escape directive "
				    "after another directive", r->lineno);
			else if (strcmp(value, "\\") != 0 &&
			    strcmp(value, "`") != 0)
				*why = xasprintf("line %u: invalid escape "
				    "directive", r->lineno);
			else
				r->esc = value[0];
		}
		free(name);
		free(value);
		if (*why != NULL) {
			rv = -1;
			break;
		}
		first = 0;
	}
	return (rv);
}

/*
 * The next flag ("--name" or "--name=value") at the start of *args into
 * *flag (caller frees), advancing *args past it: 1, or 0 when the flags are
 * over ("--" alone ends them and is eaten).
 */
static int
df_flag(const char **args, char **flag)
{
	const char	*s = *args, *w;
	char		 q = 0;

	while (df_space((unsigned char)*s))
		s++;
	*args = s;
	if (strncmp(s, "--", 2) != 0)
		return (0);
	for (w = s; *s != '\0' && (q != 0 || !df_space((unsigned char)*s));
	    s++) {
		if (q != 0 && *s == q)
			q = 0;
		else if (q == 0 && (*s == '"' || *s == '\''))
			q = *s;
	}
	*args = s;
	if (s - w == 2)
		return (0);
	*flag = xstrndup(w + 2, (size_t)(s - w - 2));
	return (1);
}

/* True when flag (without "--") is name, with or without a value. */
static int
df_flag_is(const char *flag, const char *name)
{
	size_t	n = strlen(name);

	return (strncasecmp(flag, name, n) == 0 &&
	    (flag[n] == '\0' || flag[n] == '='));
}

/*
 * RUN --mount=type=bind (the default type) without from= mounts the build
 * context: what it reads is unknown.  0, or -1 with why.
 */
static int
df_run(const char *args, unsigned line, char **why)
{
	char	*flag, *opts, *tok, *save;
	int	 bind, from;

	while (df_flag(&args, &flag)) {
		if (df_flag_is(flag, "mount")) {
			bind = 1;
			from = 0;
			opts = xstrdup(flag + strlen("mount") +
			    (flag[5] == '='));
			for (tok = strtok_r(opts, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (strncasecmp(tok, "type=", 5) == 0)
					bind = strcasecmp(tok + 5, "bind") == 0;
				else if (strncasecmp(tok, "from=", 5) == 0)
					from = 1;
			}
			free(opts);
			if (bind && !from)
				*why = xasprintf("line %u: RUN --mount of the "
				    "build context", line);
		}
		free(flag);
		if (*why != NULL)
			return (-1);
	}
	return (0);
}

char *
dockerfile_clean(const char *src)
{
	char	*out, *seg, *save, *copy;
	size_t	 len = 0, n;

	copy = xstrdup(src);
	out = xmalloc(strlen(src) + 1);
	out[0] = '\0';
	for (seg = strtok_r(copy, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (len == 0) {
				free(out);
				out = NULL;
				break;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		n = strlen(seg);
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, seg, n + 1);
		len += n;
	}
	free(copy);
	return (out);
}

/* Add one source word of a COPY or ADD.  0, or -1 with why. */
static int
df_source(struct dockerfile_srcs *srcs, const char *word, unsigned line,
    char esc, char **why)
{
	char	*path;

	if (strncmp(word, "http://", 7) == 0 ||
	    strncmp(word, "https://", 8) == 0)
		return (0);	/* ADD fetches it; COPY refuses it */
	if (*word == '\0') {
		*why = xasprintf("line %u: an empty source", line);
		return (-1);
	}
	if (strchr(word, '$') != NULL) {
		*why = xasprintf("line %u: source %s holds a variable", line,
		    word);
		return (-1);
	}
	if (strchr(word, '\\') != NULL || strchr(word, esc) != NULL) {
		*why = xasprintf("line %u: source %s holds an escape", line,
		    word);
		return (-1);
	}
	if ((path = dockerfile_clean(word)) == NULL) {
		*why = xasprintf("line %u: source %s leaves the context", line,
		    word);
		return (-1);
	}
	srcs->v = xreallocarray(srcs->v, srcs->n + 1, sizeof *srcs->v);
	srcs->v[srcs->n].path = path;
	srcs->v[srcs->n].line = line;
	srcs->n++;
	return (0);
}

/*
 * The JSON form ["src", ..., "dest"] into words (caller frees each and
 * the array): 1 when rest is one, 0 when it is no JSON (the shell form
 * then), -1 with why when it is JSON but not an array of strings.
 */
static int
df_json(const char *rest, unsigned line, char ***words, size_t *n,
    char **why)
{
	cJSON	*a, *e;
	int	 rv = 1;

	if (*rest != '[' ||
	    (a = cJSON_ParseWithOpts(rest, NULL, 0)) == NULL)
		return (0);
	if (!cJSON_IsArray(a)) {
		cJSON_Delete(a);
		return (0);
	}
	*words = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof **words);
	*n = 0;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e)) {
			*why = xasprintf("line %u: a JSON array of more than "
			    "strings", line);
			rv = -1;
			break;
		}
		(*words)[(*n)++] = xstrdup(e->valuestring);
	}
	cJSON_Delete(a);
	return (rv);
}

/*
 * The shell form into words (caller frees each and the array).  The older
 * parser splits at whitespace before it removes quotes, BuildKit after:
 * quoted whitespace, or a quote left open in a word, is refused (-1 with
 * why).  Quotes are removed; 0.
 */
static int
df_words(const char *rest, unsigned line, char ***words, size_t *n,
    char **why)
{
	const char	*s = rest;
	char		*w, q;
	size_t		 len;

	*words = NULL;
	*n = 0;
	for (;;) {
		while (df_space((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		w = xmalloc(strlen(s) + 1);
		len = 0;
		q = 0;
		for (; *s != '\0' && !df_space((unsigned char)*s); s++) {
			if (q != 0 && *s == q)
				q = 0;
			else if (q == 0 && (*s == '"' || *s == '\''))
				q = *s;
			else
				w[len++] = *s;
		}
		w[len] = '\0';
		*words = xreallocarray(*words, *n + 1, sizeof **words);
		(*words)[(*n)++] = w;
		if (q != 0) {
			*why = xasprintf("line %u: a quote holding whitespace "
			    "or left open", line);
			return (-1);
		}
	}
	return (0);
}

/* The sources of one COPY or ADD (args after the instruction word).  0, or
 * -1 with why. */
static int
df_copy(struct dockerfile_srcs *srcs, const char *args, unsigned line,
    char esc, const char *cmd, char **why)
{
	char	**words = NULL, *flag;
	size_t	  n = 0, i;
	int	  from = 0, r, rv = -1;

	while (df_flag(&args, &flag)) {
		if (df_flag_is(flag, "from")) {
			if (strchr(flag, '=') == NULL)
				*why = xasprintf("line %u: --from without a "
				    "value", line);
			from = 1;
		}
		free(flag);
		if (*why != NULL)
			return (-1);
	}
	if (from)
		return (0);
	if ((r = df_json(args, line, &words, &n, why)) == 0)
		r = df_words(args, line, &words, &n, why);
	if (r == -1)
		goto out;
	if (n < 2) {
		*why = xasprintf("line %u: %s needs a source and a destination",
		    line, cmd);
		goto out;
	}
	for (i = 0; i + 1 < n; i++)
		if (df_source(srcs, words[i], line, esc, why) == -1)
			goto out;
	rv = 0;
out:
	strv_free(words, n);
	return (rv);
}

/* 1 when name is in v (case-insensitive, as stage names are). */
static int
df_listed(char *const *v, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], name) == 0)
			return (1);
	return (0);
}

/* FROM [--platform=...] IMAGE [AS NAME]: note the base and the stage. */
static int
df_from(struct dockerfile_srcs *srcs, const char *args, unsigned line,
    char **why)
{
	char	**words = NULL, *flag;
	size_t	  n = 0;
	int	  rv = -1;

	while (df_flag(&args, &flag))
		free(flag);
	if (df_words(args, line, &words, &n, why) == -1)
		goto out;
	if (n != 1 && !(n == 3 && strcasecmp(words[1], "as") == 0)) {
		*why = xasprintf("line %u: FROM takes an image and perhaps "
		    "AS name", line);
		goto out;
	}
	if (strchr(words[0], '$') == NULL &&
	    strcasecmp(words[0], "scratch") != 0 &&
	    !df_listed(srcs->stages, srcs->nstages, words[0]) &&
	    !df_listed(srcs->bases, srcs->nbases, words[0])) {
		srcs->bases = xreallocarray(srcs->bases, srcs->nbases + 1,
		    sizeof *srcs->bases);
		srcs->bases[srcs->nbases++] = xstrdup(words[0]);
	}
	if (n == 3) {
		srcs->stages = xreallocarray(srcs->stages, srcs->nstages + 1,
		    sizeof *srcs->stages);
		srcs->stages[srcs->nstages++] = xstrdup(words[2]);
	}
	rv = 0;
out:
	strv_free(words, n);
	return (rv);
}

/* One logical line (leading whitespace gone).  0, or -1 with why. */
static int
df_instruction(struct dockerfile_srcs *srcs, const char *text,
    unsigned line, char esc, char **why)
{
	char		*cmd;
	const char	*args;
	size_t		 n, i;
	int		 rv = 0;

	for (n = 0; text[n] != '\0' && !df_space((unsigned char)text[n]); n++)
		;
	cmd = xstrndup(text, n);
	for (i = 0; i < n; i++)
		cmd[i] = (char)tolower((unsigned char)cmd[i]);
	for (args = text + n; df_space((unsigned char)*args); args++)
		;
	for (i = 0; df_known[i] != NULL; i++)
		if (strcmp(cmd, df_known[i]) == 0)
			break;
	if (df_known[i] == NULL) {
		*why = xasprintf("line %u: unknown instruction %.32s", line,
		    cmd);
		rv = -1;
	} else if ((strcmp(cmd, "run") == 0 || strcmp(cmd, "copy") == 0 ||
	    strcmp(cmd, "add") == 0) && strstr(args, "<<") != NULL) {
		*why = xasprintf("line %u: a heredoc", line);
		rv = -1;
	} else if (strcmp(cmd, "run") == 0)
		rv = df_run(args, line, why);
	else if (strcmp(cmd, "from") == 0)
		rv = df_from(srcs, args, line, why);
	else if (strcmp(cmd, "copy") == 0 || strcmp(cmd, "add") == 0)
		rv = df_copy(srcs, args, line, esc,
		    cmd[0] == 'c' ? "COPY" : "ADD", why);
	free(cmd);
	return (rv);
}

int
dockerfile_sources(const char *text, size_t len, struct dockerfile_srcs *srcs,
    char **why)
{
	struct df_reader	 r;
	struct buf		 lb;
	const char		*s;
	size_t			 n;
	unsigned		 start = 0;
	int			 more, rv = -1;

	memset(srcs, 0, sizeof *srcs);
	*why = NULL;
	buf_init(&lb, DF_MAX_LINE);
	if (memchr(text, '\0', len) != NULL) {
		*why = xstrdup("a NUL byte in the text");
		goto out;
	}
	r.p = text;
	r.end = text + len;
	r.lineno = 0;
	r.esc = '\\';
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	if (df_directives(&r, why) == -1)
		goto out;
	while (df_line(&r, &s, &n)) {
		if (df_comment(s, n))
			continue;
		df_ltrim(&s, &n);
		start = r.lineno;
		buf_reset(&lb);
		more = df_continues(s, &n, r.esc);
		if (!more && n == 0)
			continue;
		if (buf_add(&lb, s, n) == -1)
			goto toolong;
		/* Comments and blank lines inside a continuation are skipped. */
		while (more && df_line(&r, &s, &n)) {
			if (df_comment(s, n) || df_blank(s, n))
				continue;
			more = df_continues(s, &n, r.esc);
			if (buf_add(&lb, s, n) == -1)
				goto toolong;
		}
		if (lb.len == 0 || df_blank(lb.data, lb.len))
			continue;
		if (df_instruction(srcs, lb.data, start, r.esc, why) == -1)
			goto out;
	}
	rv = 0;
	goto out;
toolong:
	*why = xasprintf("line %u: longer than %u bytes", start, DF_MAX_LINE);
out:
	buf_free(&lb);
	if (rv == -1)
		dockerfile_srcs_free(srcs);
	return (rv);
}

void
dockerfile_srcs_free(struct dockerfile_srcs *srcs)
{
	size_t	i;

	for (i = 0; i < srcs->n; i++)
		free(srcs->v[i].path);
	free(srcs->v);
	srcs->v = NULL;
	srcs->n = 0;
	strv_free(srcs->bases, srcs->nbases);
	srcs->bases = NULL;
	srcs->nbases = 0;
	strv_free(srcs->stages, srcs->nstages);
	srcs->stages = NULL;
	srcs->nstages = 0;
}
