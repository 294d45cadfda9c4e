/* taskfile.c -- parses, expands and validates .cirrus.yml task files. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <yaml.h>

#include "proto/api.h"
#include "proto/expr.h"
#include "proto/taskfile.h"
#include "proto/util.h"

#define TF_MAX_DEPTH		64		/* YAML nesting */
#define TF_MAX_NODES		200000		/* after alias/matrix copies */
#define TF_MAX_BYTES		(32u << 20)	/* scalar bytes, likewise */
#define TF_MAX_TASKS		1024		/* after matrix expansion */
#define TF_MAX_WARNINGS		256
#define TF_MAX_TIMEOUT_S	(7 * 24 * 3600)

/* A YAML tree of our own: aliases copied, merge keys applied, duplicate
 * keys kept in order, positions 1-based. */
enum ntype {
	N_SCALAR,
	N_SEQ,
	N_MAP
};

struct node;
struct npair {
	struct node	*k;
	struct node	*v;
};

struct node {
	enum ntype	 type;
	char		*str;		/* scalar */
	int		 plain;		/* scalar was unquoted */
	struct node    **items;		/* sequence */
	size_t		 nitems;
	struct npair	*pairs;		/* mapping */
	size_t		 npairs;
	int		 line, column;
};

/* The container settings shared by a top-level container: and tasks. */
struct cont {
	char		*image;
	char		*dockerfile;
	char	       **dargs;
	size_t		 ndargs;
	double		 cpu;
	int64_t		 memory_mb;
};

struct dep {
	char	*name;
	int	 line, column;
};

/* A task while it is built; t moves into the taskfile at the end. */
struct ptask {
	struct tf_task	 t;
	char		*base;		/* name before it was made unique */
	struct dep	*deps;		/* as written */
	size_t		 ndeps;
	int		*dline, *dcol;	/* position of each t.depends_on */
	int		 dropped;	/* only_if was false */
};

struct tp {
	const char		*file;
	const struct tf_context	*ctx;
	struct tf_error		*err;
	struct taskfile		*tf;
	size_t			 nodes;
	size_t			 bytes;
	int			 failed;
	struct tf_env		 topenv;
	struct cont		 topcont;
	int			 havetopcont;
	const char		*topinstance;	/* other top-level instance */
	struct ptask		*pt;
	size_t			 npt;
};

static const char *instance_keys[] = {
	"windows_container", "arm_container", "freebsd_instance",
	"macos_instance", "osx_instance", "gce_instance",
	"compute_engine_instance", "ec2_instance", "eks_container",
	"gke_container", "azure_container_instance", "persistent_worker",
	"anka_instance", "prepared_instance", NULL
};

/* Record the first error at n's position (or 0:0); returns -1. */
static int
tp_error(struct tp *tp, const struct node *n, const char *fmt, ...)
{
	va_list	ap;

	if (tp->failed)
		return (-1);
	tp->failed = 1;
	tp->err->line = n != NULL ? n->line : 0;
	tp->err->column = n != NULL ? n->column : 0;
	va_start(ap, fmt);
	vsnprintf(tp->err->message, sizeof tp->err->message, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Append "file:line:column: message" unless the same text is there. */
static void
tp_warn(struct tp *tp, const struct node *n, const char *fmt, ...)
{
	struct taskfile	*tf = tp->tf;
	va_list		 ap;
	char		*msg, *w;
	size_t		 i;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	w = xasprintf("%s:%d:%d: %s", tp->file, n->line, n->column, msg);
	free(msg);
	for (i = 0; i < tf->nwarnings; i++) {
		if (strcmp(tf->warnings[i], w) == 0)
			break;
	}
	if (i < tf->nwarnings || tf->nwarnings >= TF_MAX_WARNINGS) {
		free(w);
		return;
	}
	tf->warnings = xreallocarray(tf->warnings, tf->nwarnings + 1,
	    sizeof *tf->warnings);
	tf->warnings[tf->nwarnings++] = w;
}

static void
node_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	free(n->str);
	for (i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	for (i = 0; i < n->npairs; i++) {
		node_free(n->pairs[i].k);
		node_free(n->pairs[i].v);
	}
	free(n->pairs);
	free(n);
}

/* Count a new node of len scalar bytes against the caps; -1 when over. */
static int
tp_budget(struct tp *tp, const struct node *at, size_t len)
{
	tp->nodes++;
	tp->bytes += len;
	if (tp->nodes > TF_MAX_NODES || tp->bytes > TF_MAX_BYTES)
		return (tp_error(tp, at, "document too large after expanding "
		    "aliases and matrices"));
	return (0);
}

/* Deep copy of n; counts against the budget (checked by the caller). */
static struct node *
node_copy(struct tp *tp, const struct node *n)
{
	struct node	*c;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	c->type = n->type;
	c->plain = n->plain;
	c->line = n->line;
	c->column = n->column;
	tp->nodes++;
	if (n->str != NULL) {
		c->str = xstrdup(n->str);
		tp->bytes += strlen(n->str);
	}
	if (n->nitems != 0) {
		c->items = xcalloc(n->nitems, sizeof *c->items);
		for (i = 0; i < n->nitems; i++)
			c->items[c->nitems++] = node_copy(tp, n->items[i]);
	}
	if (n->npairs != 0) {
		c->pairs = xcalloc(n->npairs, sizeof *c->pairs);
		for (i = 0; i < n->npairs; i++) {
			c->pairs[i].k = node_copy(tp, n->pairs[i].k);
			c->pairs[i].v = node_copy(tp, n->pairs[i].v);
			c->npairs++;
		}
	}
	return (c);
}

static void
map_add(struct node *m, struct node *k, struct node *v)
{
	m->pairs = xreallocarray(m->pairs, m->npairs + 1, sizeof *m->pairs);
	m->pairs[m->npairs].k = k;
	m->pairs[m->npairs].v = v;
	m->npairs++;
}

static int	 conv_map_pairs(struct tp *, yaml_document_t *, yaml_node_t *,
		    struct node *, int);

/* Convert a libyaml node to ours, or NULL with the error set. */
static struct node *
conv(struct tp *tp, yaml_document_t *doc, yaml_node_t *y, int depth)
{
	struct node	*n;
	yaml_node_item_t *it;
	yaml_node_t	*c;

	n = xcalloc(1, sizeof *n);
	n->line = (int)y->start_mark.line + 1;
	n->column = (int)y->start_mark.column + 1;
	if (depth > TF_MAX_DEPTH) {
		tp_error(tp, n, "nesting deeper than %d levels", TF_MAX_DEPTH);
		goto fail;
	}
	switch (y->type) {
	case YAML_SCALAR_NODE:
		n->type = N_SCALAR;
		if (tp_budget(tp, n, y->data.scalar.length) == -1)
			goto fail;
		n->str = xstrndup((const char *)y->data.scalar.value,
		    y->data.scalar.length);
		n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n->type = N_SEQ;
		if (tp_budget(tp, n, 0) == -1)
			goto fail;
		for (it = y->data.sequence.items.start;
		    it < y->data.sequence.items.top; it++) {
			if ((c = yaml_document_get_node(doc, *it)) == NULL) {
				tp_error(tp, n, "broken YAML document");
				goto fail;
			}
			n->items = xreallocarray(n->items, n->nitems + 1,
			    sizeof *n->items);
			n->items[n->nitems] = conv(tp, doc, c, depth + 1);
			if (n->items[n->nitems] == NULL)
				goto fail;
			n->nitems++;
		}
		break;
	case YAML_MAPPING_NODE:
		n->type = N_MAP;
		if (tp_budget(tp, n, 0) == -1)
			goto fail;
		if (conv_map_pairs(tp, doc, y, n, depth) == -1)
			goto fail;
		break;
	default:
		tp_error(tp, n, "empty YAML node");
		goto fail;
	}
	return (n);
fail:
	node_free(n);
	return (NULL);
}

/* Append the pairs of a merge source (a mapping) to m, marked by src. */
static int
merge_source(struct tp *tp, yaml_document_t *doc, yaml_node_t *y,
    struct node *m, int **srcs, int src, int depth)
{
	struct node	*s;
	size_t		 i;

	if (y->type != YAML_MAPPING_NODE) {
		s = conv(tp, doc, y, depth + 1);
		if (s != NULL)
			tp_error(tp, s, "merge key '<<' needs a mapping or a "
			    "list of mappings");
		node_free(s);
		return (-1);
	}
	if ((s = conv(tp, doc, y, depth + 1)) == NULL)
		return (-1);
	for (i = 0; i < s->npairs; i++) {
		map_add(m, s->pairs[i].k, s->pairs[i].v);
		*srcs = xreallocarray(*srcs, m->npairs, sizeof **srcs);
		(*srcs)[m->npairs - 1] = src;
	}
	s->npairs = 0;
	node_free(s);
	return (0);
}

/*
 * Convert a mapping's pairs into n, applying "<<" merge keys as YAML does:
 * a key written in the mapping wins over a merged one, and an earlier merge
 * source wins over a later one.  Keys written twice are both kept.
 */
static int
conv_map_pairs(struct tp *tp, yaml_document_t *doc, yaml_node_t *y,
    struct node *n, int depth)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v, *c;
	yaml_node_item_t	*it;
	struct node		*kn, *vn;
	int			*srcs = NULL;	/* 0 written, else merge src */
	int			 nsrc = 0, rc = -1, drop;
	size_t			 i, j, w;

	for (p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(doc, p->key);
		v = yaml_document_get_node(doc, p->value);
		if (k == NULL || v == NULL) {
			tp_error(tp, n, "broken YAML document");
			goto out;
		}
		if (k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    k->data.scalar.length == 2 &&
		    memcmp(k->data.scalar.value, "<<", 2) == 0) {
			if (v->type == YAML_SEQUENCE_NODE) {
				for (it = v->data.sequence.items.start;
				    it < v->data.sequence.items.top; it++) {
					c = yaml_document_get_node(doc, *it);
					if (c == NULL) {
						tp_error(tp, n,
						    "broken YAML document");
						goto out;
					}
					if (merge_source(tp, doc, c, n, &srcs,
					    ++nsrc, depth) == -1)
						goto out;
				}
			} else if (merge_source(tp, doc, v, n, &srcs, ++nsrc,
			    depth) == -1)
				goto out;
			continue;
		}
		if ((kn = conv(tp, doc, k, depth + 1)) == NULL)
			goto out;
		if (kn->type != N_SCALAR) {
			tp_error(tp, kn, "mapping keys must be scalars");
			node_free(kn);
			goto out;
		}
		if ((vn = conv(tp, doc, v, depth + 1)) == NULL) {
			node_free(kn);
			goto out;
		}
		map_add(n, kn, vn);
		srcs = xreallocarray(srcs, n->npairs, sizeof *srcs);
		srcs[n->npairs - 1] = 0;
	}
	/* Drop merged pairs overridden by a written key or an earlier source;
	 * mark first (srcs[i] = -1) so that comparisons see every key. */
	for (i = 0; i < n->npairs; i++) {
		drop = 0;
		for (j = 0; srcs[i] > 0 && j < n->npairs && !drop; j++) {
			if (j == i || strcmp(n->pairs[j].k->str,
			    n->pairs[i].k->str) != 0)
				continue;
			if (srcs[j] == 0 || (j < i && srcs[j] != srcs[i]))
				drop = 1;
		}
		if (drop)
			srcs[i] = -srcs[i];
	}
	for (i = 0, w = 0; i < n->npairs; i++) {
		if (srcs[i] < 0) {
			node_free(n->pairs[i].k);
			node_free(n->pairs[i].v);
			continue;
		}
		n->pairs[w++] = n->pairs[i];
	}
	n->npairs = w;
	rc = 0;
out:
	free(srcs);
	return (rc);
}

/* Load text into our tree; NULL root for an empty document. */
static int
load_yaml(struct tp *tp, const char *text, size_t len, struct node **root)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*y;
	int		 rc = -1;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return (tp_error(tp, NULL, "cannot initialise YAML parser"));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		tp->err->line = (int)parser.problem_mark.line + 1;
		tp->err->column = (int)parser.problem_mark.column + 1;
		snprintf(tp->err->message, sizeof tp->err->message, "%s",
		    parser.problem != NULL ? parser.problem :
		    parser.error == YAML_MEMORY_ERROR ? "out of memory" :
		    "invalid YAML");
		tp->failed = 1;
		yaml_parser_delete(&parser);
		return (-1);
	}
	if ((y = yaml_document_get_root_node(&doc)) == NULL)
		rc = 0;
	else if ((*root = conv(tp, &doc, y, 0)) != NULL)
		rc = 0;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return (rc);
}

static int
is_null(const struct node *n)
{
	if (n->type != N_SCALAR || !n->plain)
		return (0);
	return (n->str[0] == '\0' || strcmp(n->str, "~") == 0 ||
	    strcasecmp(n->str, "null") == 0);
}

/* A YAML boolean; 0 or 1, or -1 when n is not one. */
static int
scalar_bool(const struct node *n)
{
	static const char	*yes[] = { "true", "yes", "on", NULL };
	static const char	*no[] = { "false", "no", "off", NULL };
	int			 i;

	if (n->type != N_SCALAR)
		return (-1);
	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(n->str, yes[i]) == 0)
			return (1);
		if (strcasecmp(n->str, no[i]) == 0)
			return (0);
	}
	return (-1);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return (ls >= lx && strcmp(s + ls - lx, suffix) == 0);
}

/* The name a suffixed key gives: "build" for build_script, else "main". */
static char *
key_prefix(const char *key, const char *suffix)
{
	size_t	n = strlen(key) - strlen(suffix);

	if (n == 0)
		return (xstrdup("main"));
	return (xstrndup(key, n));
}

/* A scalar's text, or an error naming what was expected. */
static int
want_scalar(struct tp *tp, const struct node *n, const char *what,
    char **out)
{
	if (n->type != N_SCALAR)
		return (tp_error(tp, n, "%s must be a string", what));
	free(*out);
	*out = xstrdup(n->str);
	return (0);
}

/* A script: a string, or a list of strings joined with newlines. */
static int
want_script(struct tp *tp, const struct node *n, const char *what,
    char **out)
{
	struct buf	b;
	size_t		i;

	if (n->type == N_SCALAR) {
		free(*out);
		*out = xstrdup(is_null(n) ? "" : n->str);
		return (0);
	}
	if (n->type != N_SEQ)
		return (tp_error(tp, n, "%s must be a string or a list of "
		    "strings", what));
	buf_init(&b, 0);
	for (i = 0; i < n->nitems; i++) {
		if (n->items[i]->type != N_SCALAR) {
			buf_free(&b);
			return (tp_error(tp, n->items[i], "%s must be a string "
			    "or a list of strings", what));
		}
		if (i != 0)
			buf_add(&b, "\n", 1);
		buf_addstr(&b, n->items[i]->str);
	}
	free(*out);
	*out = buf_steal(&b, NULL);
	return (0);
}

/* A string or list of strings appended to *v. */
static int
want_list(struct tp *tp, const struct node *n, const char *what,
    char ***v, size_t *nv)
{
	size_t	i;

	if (n->type == N_SCALAR) {
		*v = xreallocarray(*v, *nv + 1, sizeof **v);
		(*v)[(*nv)++] = xstrdup(n->str);
		return (0);
	}
	if (n->type != N_SEQ)
		return (tp_error(tp, n, "%s must be a string or a list of "
		    "strings", what));
	for (i = 0; i < n->nitems; i++) {
		if (n->items[i]->type != N_SCALAR)
			return (tp_error(tp, n->items[i], "%s must be a string "
			    "or a list of strings", what));
		*v = xreallocarray(*v, *nv + 1, sizeof **v);
		(*v)[(*nv)++] = xstrdup(n->items[i]->str);
	}
	return (0);
}

/* Parse "30s", "5m", "1h", "1h30m" or minutes; 0 or -1. */
static int
parse_timeout(const char *s, int64_t *out)
{
	int64_t		 total = 0, v, mult;
	const char	*p = s;

	if (*p == '\0')
		return (-1);
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return (-1);
		for (v = 0; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > TF_MAX_TIMEOUT_S)
				return (-1);
		}
		switch (*p) {
		case 's':
			mult = 1;
			p++;
			break;
		case 'm':
			mult = 60;
			p++;
			break;
		case 'h':
			mult = 3600;
			p++;
			break;
		case '\0':
			if (p - s != (ptrdiff_t)strlen(s) || total != 0)
				return (-1);
			mult = 60;	/* bare number: minutes */
			break;
		default:
			return (-1);
		}
		total += v * mult;
		if (total > TF_MAX_TIMEOUT_S)
			return (-1);
	}
	if (total <= 0)
		return (-1);
	*out = total;
	return (0);
}

/* Parse "4G", "512Mi", "2048" (MB) into MB; 0 or -1. */
static int
parse_memory(const char *s, int64_t *out)
{
	char	*end;
	double	 v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v <= 0 ||
	    !isdigit((unsigned char)*s))
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mult = 1.0 / 1024;
		end++;
		break;
	case 'M':
	case 'm':
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1024;
		end++;
		break;
	case 'T':
	case 't':
		mult = 1024 * 1024;
		end++;
		break;
	default:
		return (-1);
	}
	if (*end == 'i' || *end == 'B' || *end == 'b')
		end++;
	if (*end != '\0')
		return (-1);
	v *= mult;
	if (v < 1 || v > 64.0 * 1024 * 1024)
		return (-1);
	*out = (int64_t)v;
	return (0);
}

static void
cont_free(struct cont *c)
{
	size_t	i;

	free(c->image);
	free(c->dockerfile);
	for (i = 0; i < c->ndargs; i++)
		free(c->dargs[i]);
	free(c->dargs);
	memset(c, 0, sizeof *c);
}

/* Parse a container: mapping into c. */
static int
parse_container(struct tp *tp, const struct node *n, struct cont *c)
{
	const struct node	*k, *v, *dk, *dv;
	const char		*key;
	char			*end, *s;
	size_t			 i, j;

	if (n->type != N_MAP)
		return (tp_error(tp, n, "container must be a mapping"));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		key = k->str;
		if (strcmp(key, "image") == 0) {
			if (want_scalar(tp, v, "image", &c->image) == -1)
				return (-1);
		} else if (strcmp(key, "dockerfile") == 0) {
			if (want_scalar(tp, v, "dockerfile",
			    &c->dockerfile) == -1)
				return (-1);
		} else if (strcmp(key, "cpu") == 0) {
			if (v->type != N_SCALAR)
				return (tp_error(tp, v, "invalid cpu"));
			errno = 0;
			c->cpu = strtod(v->str, &end);
			if (end == v->str || *end != '\0' || errno != 0 ||
			    !isfinite(c->cpu) || c->cpu <= 0 || c->cpu > 1024)
				return (tp_error(tp, v, "invalid cpu '%s'",
				    v->str));
		} else if (strcmp(key, "memory") == 0) {
			if (v->type != N_SCALAR ||
			    parse_memory(v->str, &c->memory_mb) == -1)
				return (tp_error(tp, v, "invalid memory '%s'",
				    v->type == N_SCALAR ? v->str : ""));
		} else if (strcmp(key, "docker_arguments") == 0) {
			if (v->type != N_MAP)
				return (tp_error(tp, v, "docker_arguments must "
				    "be a mapping"));
			for (j = 0; j < v->npairs; j++) {
				dk = v->pairs[j].k;
				dv = v->pairs[j].v;
				if (dv->type != N_SCALAR)
					return (tp_error(tp, dv, "docker "
					    "argument '%s' must be a string",
					    dk->str));
				s = xasprintf("%s=%s", dk->str, dv->str);
				c->dargs = xreallocarray(c->dargs,
				    c->ndargs + 1, sizeof *c->dargs);
				c->dargs[c->ndargs++] = s;
			}
		} else if (strcmp(key, "additional_containers") == 0)
			tp_warn(tp, k, "additional_containers not supported, "
			    "ignored");
		else
			tp_warn(tp, k, "unknown key '%s' ignored", key);
	}
	return (0);
}

/* Copy container settings into a task. */
static void
cont_apply(const struct cont *c, struct tf_task *t)
{
	size_t	i;

	free(t->instance);
	t->instance = xstrdup("container");
	t->image = c->image != NULL ? xstrdup(c->image) : NULL;
	t->dockerfile = c->dockerfile != NULL ? xstrdup(c->dockerfile) : NULL;
	t->cpu = c->cpu;
	t->memory_mb = c->memory_mb;
	if (c->ndargs != 0) {
		t->docker_arguments = xcalloc(c->ndargs,
		    sizeof *t->docker_arguments);
		for (i = 0; i < c->ndargs; i++)
			t->docker_arguments[i] = xstrdup(c->dargs[i]);
		t->ndocker_arguments = c->ndargs;
	}
}

/* Set variables from an env: mapping. */
static int
parse_env(struct tp *tp, const struct node *n, struct tf_env *env)
{
	const struct node	*k, *v;
	size_t			 i;

	if (is_null(n))
		return (0);
	if (n->type != N_MAP)
		return (tp_error(tp, n, "env must be a mapping"));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		if (v->type != N_SCALAR)
			return (tp_error(tp, v, "value of '%s' must be a "
			    "string", k->str));
		tf_env_set(env, k->str, is_null(v) ? "" : v->str);
	}
	return (0);
}

static struct tf_step *
step_new(struct tf_task *t, const char *name, enum tf_step_kind kind,
    enum tf_when when, const struct node *at)
{
	struct tf_step	*s;

	t->steps = xreallocarray(t->steps, t->nsteps + 1, sizeof *t->steps);
	s = &t->steps[t->nsteps++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->kind = kind;
	s->when = when;
	s->line = at->line;
	s->column = at->column;
	return (s);
}

/* The fields of a cache, artifacts or file instruction. */
static int
parse_step_map(struct tp *tp, struct tf_step *s, const struct node *n)
{
	const struct node	*k, *v;
	const char		*key, *kind = tf_step_kind_name(s->kind);
	size_t			 i;
	int			 b;

	if (n->type != N_MAP)
		return (tp_error(tp, n, "%s '%s' must be a mapping", kind,
		    s->name));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		key = k->str;
		if (s->kind == STEP_CACHE && (strcmp(key, "folder") == 0 ||
		    strcmp(key, "folders") == 0)) {
			if (want_list(tp, v, key, &s->paths, &s->npaths) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "fingerprint_script") == 0) {
			if (want_script(tp, v, key,
			    &s->fingerprint_script) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "fingerprint_key") == 0) {
			if (want_scalar(tp, v, key, &s->fingerprint_key) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "populate_script") == 0) {
			if (want_script(tp, v, key, &s->populate_script) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "reupload_on_changes") == 0) {
			if ((b = scalar_bool(v)) == -1)
				return (tp_error(tp, v, "reupload_on_changes "
				    "must be true or false"));
			s->reupload_on_changes = b;
		} else if (s->kind == STEP_ARTIFACTS &&
		    (strcmp(key, "path") == 0 || strcmp(key, "paths") == 0)) {
			if (want_list(tp, v, key, &s->paths, &s->npaths) == -1)
				return (-1);
		} else if (s->kind == STEP_ARTIFACTS &&
		    strcmp(key, "type") == 0) {
			if (want_scalar(tp, v, key, &s->artifact_type) == -1)
				return (-1);
		} else if (s->kind == STEP_ARTIFACTS &&
		    strcmp(key, "format") == 0) {
			if (want_scalar(tp, v, key, &s->artifact_format) == -1)
				return (-1);
		} else if (s->kind == STEP_FILE && strcmp(key, "path") == 0) {
			if (want_scalar(tp, v, key, &s->file_path) == -1)
				return (-1);
		} else if (s->kind == STEP_FILE &&
		    strcmp(key, "variable_name") == 0) {
			if (want_scalar(tp, v, key, &s->variable_name) == -1)
				return (-1);
		} else
			tp_warn(tp, k, "unknown key '%s' ignored", key);
	}
	if (s->kind != STEP_FILE && s->npaths == 0)
		return (tp_error(tp, n, "%s '%s' has no %s", kind, s->name,
		    s->kind == STEP_CACHE ? "folder" : "path"));
	if (s->kind == STEP_FILE && s->file_path == NULL)
		return (tp_error(tp, n, "file '%s' has no path", s->name));
	return (0);
}

/* An instruction key; 1 when it was one, 0 when not, -1 on error. */
static int
parse_instruction(struct tp *tp, struct tf_task *t, const struct node *k,
    const struct node *v, enum tf_when when)
{
	static const struct {
		const char		*suffix;
		enum tf_step_kind	 kind;
	} kinds[] = {
		{ "background_script", STEP_BACKGROUND },
		{ "script", STEP_SCRIPT },
		{ "_cache", STEP_CACHE },
		{ "_artifacts", STEP_ARTIFACTS },
		{ "_file", STEP_FILE },
	};
	struct tf_step	*s;
	const char	*key = k->str;
	char		*name;
	size_t		 i, n;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (kinds[i].kind == STEP_SCRIPT ||
		    kinds[i].kind == STEP_BACKGROUND) {
			n = strlen(kinds[i].suffix);
			if (strcmp(key, kinds[i].suffix) == 0)
				break;
			if (strlen(key) > n && ends_with(key,
			    kinds[i].suffix) && key[strlen(key) - n - 1] == '_')
				break;
		} else if (strlen(key) > strlen(kinds[i].suffix) &&
		    ends_with(key, kinds[i].suffix))
			break;
	}
	if (i == sizeof kinds / sizeof kinds[0])
		return (0);
	if (kinds[i].kind == STEP_SCRIPT || kinds[i].kind == STEP_BACKGROUND) {
		n = strlen(key) - strlen(kinds[i].suffix);
		name = n == 0 ? xstrdup("main") : xstrndup(key, n - 1);
	} else
		name = key_prefix(key, kinds[i].suffix);
	s = step_new(t, name, kinds[i].kind, when, k);
	free(name);
	if (kinds[i].kind == STEP_SCRIPT || kinds[i].kind == STEP_BACKGROUND)
		return (want_script(tp, v, key, &s->script) == -1 ? -1 : 1);
	return (parse_step_map(tp, s, v) == -1 ? -1 : 1);
}

static int
is_instance_key(const char *key)
{
	size_t	i;

	for (i = 0; instance_keys[i] != NULL; i++) {
		if (strcmp(key, instance_keys[i]) == 0)
			return (1);
	}
	return (ends_with(key, "_instance") || (ends_with(key, "_container") &&
	    strcmp(key, "additional_container") != 0));
}

static int
has_matrix(const struct node *n)
{
	size_t	i;

	for (i = 0; i < n->nitems; i++) {
		if (has_matrix(n->items[i]))
			return (1);
	}
	for (i = 0; i < n->npairs; i++) {
		if (strcmp(n->pairs[i].k->str, "matrix") == 0 ||
		    has_matrix(n->pairs[i].v))
			return (1);
	}
	return (0);
}

static void
nodes_free(struct node **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		node_free(v[i]);
	free(v);
}

static void
nodes_add(struct node ***v, size_t *n, struct node *x)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = x;
}

#define TF_MAX_MATRIX	256

static int	variants(struct tp *, const struct node *, struct node ***,
		    size_t *);

/* The alternatives of a matrix: value: mappings whose pairs get inlined. */
static int
matrix_alternatives(struct tp *tp, const struct node *m, struct node ***alts,
    size_t *nalts)
{
	struct node	*one;
	size_t		 i;
	int		 rc;

	if (m->type == N_SEQ) {
		for (i = 0; i < m->nitems; i++) {
			if (m->items[i]->type != N_MAP)
				return (tp_error(tp, m->items[i], "matrix "
				    "entries must be mappings"));
			if (variants(tp, m->items[i], alts, nalts) == -1)
				return (-1);
		}
	} else if (m->type == N_MAP) {
		/* Map form: each key: value pair is one alternative. */
		for (i = 0; i < m->npairs; i++) {
			one = xcalloc(1, sizeof *one);
			one->type = N_MAP;
			one->line = m->pairs[i].k->line;
			one->column = m->pairs[i].k->column;
			map_add(one, node_copy(tp, m->pairs[i].k),
			    node_copy(tp, m->pairs[i].v));
			rc = variants(tp, one, alts, nalts);
			node_free(one);
			if (rc == -1)
				return (-1);
		}
	} else
		return (tp_error(tp, m, "matrix must be a list or a mapping"));
	if (*nalts == 0)
		return (tp_error(tp, m, "matrix has no entries"));
	return (0);
}

/*
 * Every combination of the matrices inside n, appended to *out as new
 * trees.  A matrix: pair is replaced in turn by each alternative's pairs,
 * as Cirrus does; several matrices multiply.
 */
static int
variants(struct tp *tp, const struct node *n, struct node ***out,
    size_t *nout)
{
	struct node	**part = NULL, **next = NULL, **alts = NULL, *q;
	size_t		  npart = 0, nnext = 0, nalts = 0, i, a, b, j;
	const struct node *k, *v;
	int		  rc = -1, ismatrix;

	if (!has_matrix(n) || n->type == N_SCALAR) {
		nodes_add(out, nout, node_copy(tp, n));
		return (tp_budget(tp, n, 0));
	}
	q = xcalloc(1, sizeof *q);
	q->type = n->type;
	q->line = n->line;
	q->column = n->column;
	nodes_add(&part, &npart, q);
	for (i = 0; i < (n->type == N_MAP ? n->npairs : n->nitems); i++) {
		k = n->type == N_MAP ? n->pairs[i].k : NULL;
		v = n->type == N_MAP ? n->pairs[i].v : n->items[i];
		ismatrix = k != NULL && strcmp(k->str, "matrix") == 0;
		if (ismatrix) {
			if (matrix_alternatives(tp, v, &alts, &nalts) == -1)
				goto out;
		} else if (variants(tp, v, &alts, &nalts) == -1)
			goto out;
		if (npart * nalts > TF_MAX_MATRIX) {
			tp_error(tp, v, "matrix expands to more than %d "
			    "combinations", TF_MAX_MATRIX);
			goto out;
		}
		for (a = 0; a < npart; a++) {
			for (b = 0; b < nalts; b++) {
				q = node_copy(tp, part[a]);
				nodes_add(&next, &nnext, q);
				if (ismatrix) {
					for (j = 0; j < alts[b]->npairs; j++)
						map_add(q, node_copy(tp,
						    alts[b]->pairs[j].k),
						    node_copy(tp,
						    alts[b]->pairs[j].v));
				} else if (k != NULL)
					map_add(q, node_copy(tp, k),
					    node_copy(tp, alts[b]));
				else
					nodes_add(&q->items, &q->nitems,
					    node_copy(tp, alts[b]));
				if (tp_budget(tp, v, 0) == -1)
					goto out;
			}
		}
		nodes_free(part, npart);
		nodes_free(alts, nalts);
		part = next;
		npart = nnext;
		next = alts = NULL;
		nnext = nalts = 0;
	}
	for (a = 0; a < npart; a++)
		nodes_add(out, nout, part[a]);
	npart = 0;
	rc = 0;
out:
	nodes_free(part, npart);
	nodes_free(next, nnext);
	nodes_free(alts, nalts);
	return (rc);
}

static void
ptask_free(struct ptask *p)
{
	size_t	i;

	tf_task_free(&p->t);
	free(p->base);
	for (i = 0; i < p->ndeps; i++)
		free(p->deps[i].name);
	free(p->deps);
	free(p->dline);
	free(p->dcol);
	memset(p, 0, sizeof *p);
}

/* Parse depends_on: a name or a list of names, positions kept. */
static int
parse_depends(struct tp *tp, struct ptask *p, const struct node *v)
{
	const struct node	*e;
	size_t			 i, n;

	if (v->type != N_SCALAR && v->type != N_SEQ)
		return (tp_error(tp, v, "depends_on must be a string or a "
		    "list of strings"));
	n = v->type == N_SCALAR ? 1 : v->nitems;
	for (i = 0; i < n; i++) {
		e = v->type == N_SCALAR ? v : v->items[i];
		if (e->type != N_SCALAR)
			return (tp_error(tp, e, "depends_on must be a string "
			    "or a list of strings"));
		p->deps = xreallocarray(p->deps, p->ndeps + 1,
		    sizeof *p->deps);
		p->deps[p->ndeps].name = xstrdup(e->str);
		p->deps[p->ndeps].line = e->line;
		p->deps[p->ndeps].column = e->column;
		p->ndeps++;
	}
	return (0);
}

/* Evaluate an expression found at n with the task's variables. */
static int
eval_at(struct tp *tp, const struct node *n, const char *what,
    const struct tf_task *t, int *result)
{
	char	*cause = NULL;
	size_t	 off = 0;

	if (n->type != N_SCALAR)
		return (tp_error(tp, n, "%s must be a string", what));
	if (expr_eval(n->str, &t->env, tp->ctx, result, &cause, &off) == 0)
		return (0);
	tp_error(tp, n, "%s: %s at offset %zu", what, cause != NULL ? cause :
	    "invalid expression", off);
	free(cause);
	return (-1);
}

/* Replace *s by its expansion with the task's variables. */
static void
expand_field(struct tp *tp, const struct tf_task *t, char **s)
{
	char	*x;

	if (*s == NULL || (x = expr_expand(*s, &t->env, tp->ctx)) == NULL)
		return;
	free(*s);
	*s = x;
}

enum tkind {
	TK_TASK,
	TK_DOCKER_BUILDER,
	TK_PIPE
};

static const struct {
	const char	*key;
	enum tf_when	 when;
} when_keys[] = {
	{ "on_success", WHEN_ON_SUCCESS },
	{ "on_failure", WHEN_ON_FAILURE },
	{ "always", WHEN_ALWAYS },
	{ "on_timeout", WHEN_ON_TIMEOUT },
};

/* One pair of a task mapping; 0 or -1. */
static int
task_pair(struct tp *tp, struct ptask *p, const struct node *k,
    const struct node *v, const struct node **last)
{
	struct tf_task		*t = &p->t;
	const char		*key = k->str;
	const struct node	*bk;
	size_t			 i, j;
	int			 r;

	if (strcmp(key, "name") == 0 || strcmp(key, "alias") == 0 ||
	    strcmp(key, "only_if") == 0 || strcmp(key, "skip") == 0 ||
	    strcmp(key, "allow_failures") == 0) {
		if (v->type != N_SCALAR)
			return (tp_error(tp, v, "%s must be a string", key));
		if (strcmp(key, "name") == 0)
			last[0] = v;
		else if (strcmp(key, "alias") == 0)
			want_scalar(tp, v, key, &t->alias);
		else if (strcmp(key, "only_if") == 0)
			last[1] = v;
		else if (strcmp(key, "skip") == 0)
			last[2] = v;
		else
			last[3] = v;
		return (0);
	}
	if (strcmp(key, "depends_on") == 0)
		return (parse_depends(tp, p, v));
	if (strcmp(key, "timeout_in") == 0) {
		if (v->type != N_SCALAR ||
		    parse_timeout(v->str, &t->timeout_s) == -1)
			return (tp_error(tp, v, "invalid timeout_in '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		return (0);
	}
	if (strcmp(key, "env") == 0 || strcmp(key, "environment") == 0)
		return (parse_env(tp, v, &t->env));
	if (strcmp(key, "container") == 0 || is_instance_key(key)) {
		last[4] = k;
		last[5] = v;
		return (0);
	}
	if (strcmp(key, "additional_containers") == 0) {
		tp_warn(tp, k, "additional_containers not supported, ignored");
		return (0);
	}
	for (i = 0; i < sizeof when_keys / sizeof when_keys[0]; i++) {
		if (strcmp(key, when_keys[i].key) != 0)
			continue;
		if (v->type != N_MAP)
			return (tp_error(tp, v, "%s must be a mapping", key));
		for (j = 0; j < v->npairs; j++) {
			bk = v->pairs[j].k;
			r = parse_instruction(tp, t, bk, v->pairs[j].v,
			    when_keys[i].when);
			if (r == -1)
				return (-1);
			if (r == 0)
				tp_warn(tp, bk, "unknown key '%s' ignored",
				    bk->str);
		}
		return (0);
	}
	if ((r = parse_instruction(tp, t, k, v, WHEN_ON_SUCCESS)) == -1)
		return (-1);
	if (r == 0)
		tp_warn(tp, k, "unknown key '%s' ignored", key);
	return (0);
}

/* Build one task (one matrix combination) from its mapping tn. */
static int
build_task(struct tp *tp, const struct node *kn, const struct node *tn,
    const char *defname, enum tkind kind)
{
	struct ptask		*p;
	struct tf_task		*t;
	struct cont		 c;
	const struct node	*last[6] = { NULL };	/* see task_pair */
	const char		*key;
	size_t			 i;
	int			 b, rc = -1;

	memset(&c, 0, sizeof c);
	if (tp->npt >= TF_MAX_TASKS)
		return (tp_error(tp, kn, "more than %d tasks", TF_MAX_TASKS));
	tp->pt = xreallocarray(tp->pt, tp->npt + 1, sizeof *tp->pt);
	p = &tp->pt[tp->npt++];
	memset(p, 0, sizeof *p);
	t = &p->t;
	t->line = kn->line;
	t->column = kn->column;
	t->timeout_s = TF_DEFAULT_TIMEOUT_S;
	for (i = 0; i < tp->topenv.n; i++)
		tf_env_set(&t->env, tp->topenv.v[i].key, tp->topenv.v[i].value);

	for (i = 0; i < tn->npairs; i++) {
		key = tn->pairs[i].k->str;
		if (kind == TK_PIPE && strcmp(key, "steps") == 0)
			continue;
		if (task_pair(tp, p, tn->pairs[i].k, tn->pairs[i].v,
		    last) == -1)
			goto out;
	}

	if (kind == TK_DOCKER_BUILDER || kind == TK_PIPE) {
		key = kind == TK_PIPE ? "pipe" : "docker_builder";
		t->instance = xstrdup(key);
		t->skip_reason = xasprintf("unsupported: %s", key);
	} else if (last[4] != NULL && strcmp(last[4]->str, "container") == 0) {
		if (parse_container(tp, last[5], &c) == -1)
			goto out;
		cont_apply(&c, t);
	} else if (last[4] != NULL) {
		t->instance = xstrdup(last[4]->str);
		t->skip_reason = xasprintf("unsupported instance type %s",
		    last[4]->str);
	} else if (tp->havetopcont)
		cont_apply(&tp->topcont, t);
	else if (tp->topinstance != NULL) {
		t->instance = xstrdup(tp->topinstance);
		t->skip_reason = xasprintf("unsupported instance type %s",
		    tp->topinstance);
	} else
		t->instance = xstrdup("container");
	expand_field(tp, t, &t->image);
	expand_field(tp, t, &t->dockerfile);

	t->name = xstrdup(last[0] != NULL && !is_null(last[0]) ?
	    last[0]->str : defname);
	expand_field(tp, t, &t->name);
	p->base = xstrdup(t->name);

	if (last[1] != NULL) {
		t->only_if = xstrdup(last[1]->str);
		if (eval_at(tp, last[1], "only_if", t, &b) == -1)
			goto out;
		if (!b) {
			p->dropped = 1;
			rc = 0;
			goto out;
		}
	}
	if (last[2] != NULL) {
		t->skip = xstrdup(last[2]->str);
		if (eval_at(tp, last[2], "skip", t, &b) == -1)
			goto out;
		if (b && t->skip_reason == NULL)
			t->skip_reason = xasprintf("skipped by skip: %s",
			    t->skip);
	}
	if (last[3] != NULL) {
		if ((b = scalar_bool(last[3])) == -1 &&
		    eval_at(tp, last[3], "allow_failures", t, &b) == -1)
			goto out;
		t->allow_failures = b;
	}
	if (t->skip_reason == NULL && t->image == NULL &&
	    t->dockerfile == NULL) {
		tp_error(tp, kn, "task '%s' has no container image", t->name);
		goto out;
	}
	rc = 0;
out:
	cont_free(&c);
	return (rc);
}

/* A task key's kind and default name; 0 when key is not a task. */
static int
task_key(const char *key, enum tkind *kind, char **defname)
{
	static const struct {
		const char	*word;
		const char	*suffix;
		enum tkind	 kind;
	} keys[] = {
		{ "task", "_task", TK_TASK },
		{ "docker_builder", "_docker_builder", TK_DOCKER_BUILDER },
		{ "pipe", "_pipe", TK_PIPE },
	};
	size_t	i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(key, keys[i].word) == 0) {
			*kind = keys[i].kind;
			*defname = xstrdup("main");
			return (1);
		}
		if (ends_with(key, keys[i].suffix)) {
			*kind = keys[i].kind;
			*defname = key_prefix(key, keys[i].suffix);
			return (1);
		}
	}
	return (0);
}

/* Make names unique: matrix siblings get their differing variables. */
static void
uniquify(struct tp *tp)
{
	struct ptask	*p, *q;
	size_t		*grp, ngrp, i, j, g, e, n;
	struct buf	 b;
	const char	*key, *v0, *v;
	char		**suffix;
	int		 differ, imgdiff, first;

	grp = xcalloc(tp->npt, sizeof *grp);
	suffix = xcalloc(tp->npt, sizeof *suffix);
	for (i = 0; i < tp->npt; i++) {
		p = &tp->pt[i];
		if (p->dropped || suffix[i] != NULL)
			continue;
		ngrp = 0;
		for (j = i; j < tp->npt; j++) {
			q = &tp->pt[j];
			if (!q->dropped && strcmp(q->t.name, p->t.name) == 0)
				grp[ngrp++] = j;
		}
		if (ngrp < 2)
			continue;
		imgdiff = 0;
		for (g = 0; g < ngrp; g++) {
			buf_init(&b, 0);
			q = &tp->pt[grp[g]];
			first = 1;
			for (e = 0; e < q->t.env.n; e++) {
				key = q->t.env.v[e].key;
				v0 = q->t.env.v[e].value;
				differ = 0;
				for (n = 0; n < ngrp && !differ; n++) {
					v = tf_env_get(&tp->pt[grp[n]].t.env,
					    key);
					differ = v == NULL ||
					    strcmp(v, v0) != 0;
				}
				if (!differ)
					continue;
				buf_printf(&b, "%s%s=%s", first ? "" : ", ",
				    key, v0);
				first = 0;
			}
			suffix[grp[g]] = buf_steal(&b, NULL);
		}
		imgdiff = 0;
		for (g = 1; g < ngrp; g++) {
			v = tp->pt[grp[g]].t.image;
			v0 = tp->pt[grp[0]].t.image;
			if ((v == NULL) != (v0 == NULL) ||
			    (v != NULL && strcmp(v, v0) != 0))
				imgdiff = 1;
		}
		for (g = 0; imgdiff && g < ngrp; g++) {
			q = &tp->pt[grp[g]];
			v = q->t.image != NULL ? q->t.image : "no image";
			key = suffix[grp[g]];
			suffix[grp[g]] = xasprintf("%s%s%s", v,
			    key[0] != '\0' ? ", " : "", key);
			free((char *)key);
		}
	}
	for (i = 0; i < tp->npt; i++) {
		p = &tp->pt[i];
		if (suffix[i] != NULL && suffix[i][0] != '\0') {
			free(p->t.name);
			p->t.name = xasprintf("%s (%s)", p->base, suffix[i]);
		}
		free(suffix[i]);
	}
	/* Whatever still collides is numbered. */
	for (i = 0; i < tp->npt; i++) {
		p = &tp->pt[i];
		key = NULL;
		for (n = 2; !p->dropped; n++) {
			for (j = 0; j < i; j++) {
				q = &tp->pt[j];
				if (!q->dropped &&
				    strcmp(q->t.name, p->t.name) == 0)
					break;
			}
			if (j == i)
				break;
			if (key == NULL)
				key = p->t.name;
			else
				free(p->t.name);
			p->t.name = xasprintf("%s #%zu", key, n);
		}
		free((char *)key);
	}
	free(suffix);
	free(grp);
}

/* Resolve depends_on by name or alias into task names. */
static int
resolve_depends(struct tp *tp)
{
	struct ptask	*p, *q;
	struct dep	*d;
	struct node	 at;
	size_t		 i, j, k, m;
	int		 found;

	for (i = 0; i < tp->npt; i++) {
		p = &tp->pt[i];
		if (p->dropped)
			continue;
		for (j = 0; j < p->ndeps; j++) {
			d = &p->deps[j];
			found = 0;
			for (k = 0; k < tp->npt; k++) {
				q = &tp->pt[k];
				if (strcmp(q->base, d->name) != 0 &&
				    strcmp(q->t.name, d->name) != 0 &&
				    (q->t.alias == NULL ||
				    strcmp(q->t.alias, d->name) != 0))
					continue;
				found = 1;
				if (q->dropped)
					continue;	/* only_if removed it */
				for (m = 0; m < p->t.ndepends; m++) {
					if (strcmp(p->t.depends_on[m],
					    q->t.name) == 0)
						break;
				}
				if (m < p->t.ndepends)
					continue;
				m = p->t.ndepends + 1;
				p->t.depends_on = xreallocarray(
				    p->t.depends_on, m, sizeof (char *));
				p->dline = xreallocarray(p->dline, m,
				    sizeof *p->dline);
				p->dcol = xreallocarray(p->dcol, m,
				    sizeof *p->dcol);
				p->t.depends_on[m - 1] = xstrdup(q->t.name);
				p->dline[m - 1] = d->line;
				p->dcol[m - 1] = d->column;
				p->t.ndepends = m;
			}
			if (!found) {
				memset(&at, 0, sizeof at);
				at.line = d->line;
				at.column = d->column;
				return (tp_error(tp, &at, "task '%s' depends "
				    "on unknown task '%s'", p->t.name,
				    d->name));
			}
		}
	}
	return (0);
}

static ssize_t
find_ptask(struct tp *tp, const char *name)
{
	size_t	i;

	for (i = 0; i < tp->npt; i++) {
		if (!tp->pt[i].dropped && strcmp(tp->pt[i].t.name, name) == 0)
			return ((ssize_t)i);
	}
	return (-1);
}

/* Depth-first search for a cycle from task i; -1 when one is found. */
static int
cycle_visit(struct tp *tp, size_t i, int *colour, size_t *stack,
    size_t depth)
{
	struct ptask	*p = &tp->pt[i];
	struct buf	 b;
	ssize_t		 j;
	size_t		 e, s;
	int		 line, column;

	colour[i] = 1;
	stack[depth] = i;
	for (e = 0; e < p->t.ndepends; e++) {
		if ((j = find_ptask(tp, p->t.depends_on[e])) == -1)
			continue;
		if (colour[j] == 2)
			continue;
		if (colour[j] == 1) {
			buf_init(&b, 0);
			for (s = 0; stack[s] != (size_t)j; s++)
				;
			for (; s <= depth; s++)
				buf_printf(&b, "%s -> ",
				    tp->pt[stack[s]].t.name);
			buf_addstr(&b, tp->pt[j].t.name);
			line = p->dline[e];
			column = p->dcol[e];
			tp_error(tp, NULL, "dependency cycle: %s", b.data);
			tp->err->line = line;
			tp->err->column = column;
			buf_free(&b);
			return (-1);
		}
		if (cycle_visit(tp, (size_t)j, colour, stack, depth + 1) == -1)
			return (-1);
	}
	colour[i] = 2;
	return (0);
}

static int
check_cycles(struct tp *tp)
{
	int	*colour;
	size_t	*stack, i;
	int	 rc = 0;

	colour = xcalloc(tp->npt + 1, sizeof *colour);
	stack = xcalloc(tp->npt + 1, sizeof *stack);
	for (i = 0; i < tp->npt && rc == 0; i++) {
		if (!tp->pt[i].dropped && colour[i] == 0)
			rc = cycle_visit(tp, i, colour, stack, 0);
	}
	free(stack);
	free(colour);
	return (rc);
}

/* Read the top level: defaults first, then every task in order. */
static int
build(struct tp *tp, const struct node *root)
{
	const struct node	*k, *v, *at;
	struct node		**vars = NULL;
	size_t			 nvars = 0, i, j, ntaskkeys = 0;
	enum tkind		 kind;
	char			*defname = NULL;
	int			 rc = -1;

	if (root == NULL || is_null(root))
		return (tp_error(tp, NULL, "no tasks found"));
	if (root->type != N_MAP)
		return (tp_error(tp, root, "expected a mapping of tasks"));
	for (i = 0; i < root->npairs; i++) {
		k = root->pairs[i].k;
		v = root->pairs[i].v;
		if (strcmp(k->str, "env") == 0 ||
		    strcmp(k->str, "environment") == 0) {
			if (parse_env(tp, v, &tp->topenv) == -1)
				return (-1);
		} else if (strcmp(k->str, "container") == 0) {
			cont_free(&tp->topcont);
			if (parse_container(tp, v, &tp->topcont) == -1)
				return (-1);
			tp->havetopcont = 1;
			tp->topinstance = NULL;
		} else if (is_instance_key(k->str)) {
			tp->topinstance = k->str;
			tp->havetopcont = 0;
		}
	}
	for (i = 0; i < root->npairs; i++) {
		k = root->pairs[i].k;
		v = root->pairs[i].v;
		if (!task_key(k->str, &kind, &defname)) {
			if (strcmp(k->str, "env") != 0 &&
			    strcmp(k->str, "environment") != 0 &&
			    strcmp(k->str, "container") != 0 &&
			    !is_instance_key(k->str))
				tp_warn(tp, k, "unknown key '%s' ignored",
				    k->str);
			continue;
		}
		ntaskkeys++;
		if (v->type != N_MAP) {
			at = is_null(v) ? k : v;
			tp_error(tp, at, "task '%s' must be a mapping",
			    k->str);
			goto out;
		}
		if (variants(tp, v, &vars, &nvars) == -1)
			goto out;
		for (j = 0; j < nvars; j++) {
			if (build_task(tp, k, vars[j], defname, kind) == -1)
				goto out;
		}
		nodes_free(vars, nvars);
		vars = NULL;
		nvars = 0;
		free(defname);
		defname = NULL;
	}
	if (ntaskkeys == 0) {
		tp_error(tp, NULL, "no tasks found");
		goto out;
	}
	uniquify(tp);
	if (resolve_depends(tp) == -1 || check_cycles(tp) == -1)
		goto out;
	rc = 0;
out:
	nodes_free(vars, nvars);
	free(defname);
	return (rc);
}

/* Parse a task file; see taskfile.h.  *out is the caller's on success. */
int
taskfile_parse(const char *name, const char *text, size_t len,
    const struct tf_context *ctx, struct taskfile **out,
    struct tf_error *err)
{
	struct tp	 tp;
	struct node	*root = NULL;
	struct taskfile	*tf;
	size_t		 i, n;
	int		 rc = -1;

	*out = NULL;
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", name);
	memset(&tp, 0, sizeof tp);
	tp.file = name;
	tp.ctx = ctx;
	tp.err = err;
	tp.tf = tf = xcalloc(1, sizeof *tf);
	tf->name = xstrdup(name);
	if (len > API_MAX_TASKFILE) {
		tp_error(&tp, NULL, "task file larger than %u bytes",
		    API_MAX_TASKFILE);
		goto out;
	}
	if (load_yaml(&tp, text != NULL ? text : "", len, &root) == -1)
		goto out;
	if (build(&tp, root) == -1)
		goto out;
	for (i = 0, n = 0; i < tp.npt; i++)
		n += !tp.pt[i].dropped;
	tf->tasks = xcalloc(n + 1, sizeof *tf->tasks);
	for (i = 0; i < tp.npt; i++) {
		if (tp.pt[i].dropped)
			continue;
		tf->tasks[tf->ntasks++] = tp.pt[i].t;
		memset(&tp.pt[i].t, 0, sizeof tp.pt[i].t);
	}
	*out = tf;
	tf = NULL;
	rc = 0;
out:
	if (rc == -1 && err->line == 0 && err->message[0] != '\0' &&
	    strcmp(err->message, "no tasks found") == 0) {
		err->line = 1;
		err->column = 1;
	}
	for (i = 0; i < tp.npt; i++)
		ptask_free(&tp.pt[i]);
	free(tp.pt);
	tf_env_free(&tp.topenv);
	cont_free(&tp.topcont);
	node_free(root);
	taskfile_free(tf);
	return (rc);
}

void
taskfile_free(struct taskfile *tf)
{
	size_t	i;

	if (tf == NULL)
		return;
	for (i = 0; i < tf->ntasks; i++)
		tf_task_free(&tf->tasks[i]);
	free(tf->tasks);
	for (i = 0; i < tf->nwarnings; i++)
		free(tf->warnings[i]);
	free(tf->warnings);
	free(tf->name);
	free(tf);
}

struct tf_task *
taskfile_find(const struct taskfile *tf, const char *name)
{
	size_t	i;

	for (i = 0; i < tf->ntasks; i++) {
		if (strcmp(tf->tasks[i].name, name) == 0)
			return (&tf->tasks[i]);
	}
	return (NULL);
}

void
tf_error_format(const struct tf_error *e, char *out, size_t len)
{
	if (e->line == 0)
		snprintf(out, len, "%s: %s", e->file, e->message);
	else
		snprintf(out, len, "%s:%d:%d: %s", e->file, e->line,
		    e->column, e->message);
}

const char *
tf_step_kind_name(enum tf_step_kind k)
{
	switch (k) {
	case STEP_SCRIPT:
		return ("script");
	case STEP_BACKGROUND:
		return ("background_script");
	case STEP_CACHE:
		return ("cache");
	case STEP_ARTIFACTS:
		return ("artifacts");
	case STEP_FILE:
		return ("file");
	}
	return ("unknown");
}

const char *
tf_when_name(enum tf_when w)
{
	switch (w) {
	case WHEN_ON_SUCCESS:
		return ("on_success");
	case WHEN_ON_FAILURE:
		return ("on_failure");
	case WHEN_ALWAYS:
		return ("always");
	case WHEN_ON_TIMEOUT:
		return ("on_timeout");
	}
	return ("unknown");
}

/* Set key to a copy of value, in place when key is already there. */
void
tf_env_set(struct tf_env *env, const char *key, const char *value)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		if (strcmp(env->v[i].key, key) == 0) {
			free(env->v[i].value);
			env->v[i].value = xstrdup(value);
			return;
		}
	}
	env->v = xreallocarray(env->v, env->n + 1, sizeof *env->v);
	env->v[env->n].key = xstrdup(key);
	env->v[env->n].value = xstrdup(value);
	env->n++;
}

/* The value of key, owned by env; NULL when unset. */
const char *
tf_env_get(const struct tf_env *env, const char *key)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		if (strcmp(env->v[i].key, key) == 0)
			return (env->v[i].value);
	}
	return (NULL);
}

void
tf_env_free(struct tf_env *env)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		free(env->v[i].key);
		free(env->v[i].value);
	}
	free(env->v);
	env->v = NULL;
	env->n = 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
strv_copy(char *const *v, size_t n)
{
	char	**c;
	size_t	  i;

	if (n == 0)
		return (NULL);
	c = xcalloc(n, sizeof *c);
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return (c);
}

static char *
str_copy(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* Free the members of one step. */
static void
tf_step_free(struct tf_step *s)
{
	free(s->name);
	free(s->script);
	strv_free(s->paths, s->npaths);
	free(s->fingerprint_script);
	free(s->fingerprint_key);
	free(s->populate_script);
	free(s->file_path);
	free(s->variable_name);
	free(s->artifact_type);
	free(s->artifact_format);
}

/* Free the members of t (not t itself) and zero it. */
void
tf_task_free(struct tf_task *t)
{
	size_t	i;

	free(t->name);
	free(t->alias);
	free(t->instance);
	free(t->image);
	free(t->dockerfile);
	strv_free(t->docker_arguments, t->ndocker_arguments);
	tf_env_free(&t->env);
	for (i = 0; i < t->nsteps; i++)
		tf_step_free(&t->steps[i]);
	free(t->steps);
	strv_free(t->depends_on, t->ndepends);
	free(t->only_if);
	free(t->skip);
	free(t->skip_reason);
	memset(t, 0, sizeof *t);
}

/* Deep copy src into dst; the caller frees dst's members with
 * tf_task_free. */
void
tf_task_copy(struct tf_task *dst, const struct tf_task *src)
{
	const struct tf_step	*s;
	struct tf_step		*d;
	size_t			 i;

	memset(dst, 0, sizeof *dst);
	dst->name = str_copy(src->name);
	dst->alias = str_copy(src->alias);
	dst->instance = str_copy(src->instance);
	dst->image = str_copy(src->image);
	dst->dockerfile = str_copy(src->dockerfile);
	dst->docker_arguments = strv_copy(src->docker_arguments,
	    src->ndocker_arguments);
	dst->ndocker_arguments = src->ndocker_arguments;
	dst->cpu = src->cpu;
	dst->memory_mb = src->memory_mb;
	for (i = 0; i < src->env.n; i++)
		tf_env_set(&dst->env, src->env.v[i].key, src->env.v[i].value);
	if (src->nsteps != 0)
		dst->steps = xcalloc(src->nsteps, sizeof *dst->steps);
	for (i = 0; i < src->nsteps; i++) {
		s = &src->steps[i];
		d = &dst->steps[i];
		*d = *s;
		d->name = str_copy(s->name);
		d->script = str_copy(s->script);
		d->paths = strv_copy(s->paths, s->npaths);
		d->fingerprint_script = str_copy(s->fingerprint_script);
		d->fingerprint_key = str_copy(s->fingerprint_key);
		d->populate_script = str_copy(s->populate_script);
		d->file_path = str_copy(s->file_path);
		d->variable_name = str_copy(s->variable_name);
		d->artifact_type = str_copy(s->artifact_type);
		d->artifact_format = str_copy(s->artifact_format);
	}
	dst->nsteps = src->nsteps;
	dst->depends_on = strv_copy(src->depends_on, src->ndepends);
	dst->ndepends = src->ndepends;
	dst->allow_failures = src->allow_failures;
	dst->timeout_s = src->timeout_s;
	dst->only_if = str_copy(src->only_if);
	dst->skip = str_copy(src->skip);
	dst->skip_reason = str_copy(src->skip_reason);
	dst->line = src->line;
	dst->column = src->column;
}
