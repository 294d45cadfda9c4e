/* yamltree.c -- our YAML tree built from libyaml: aliases, merges, budgets. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "proto/util.h"
#include "proto/yamltree.h"

/* Record the first error at n's position (or 0:0); returns -1. */
int
yamltree_verror(struct yamltree_ctx *yt, const struct node *n,
    const char *fmt, va_list ap)
{
	if (yt->failed)
		return (-1);
	yt->failed = 1;
	yt->err->line = n != NULL ? n->line : 0;
	yt->err->column = n != NULL ? n->column : 0;
	vsnprintf(yt->err->message, sizeof yt->err->message, fmt, ap);
	return (-1);
}

/* As yamltree_verror. */
int
yamltree_error(struct yamltree_ctx *yt, const struct node *n,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	yamltree_verror(yt, n, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Free n and everything under it. */
void
yamltree_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	free(n->str);
	for (i = 0; i < n->nitems; i++)
		yamltree_free(n->items[i]);
	free(n->items);
	for (i = 0; i < n->npairs; i++) {
		yamltree_free(n->pairs[i].k);
		yamltree_free(n->pairs[i].v);
	}
	free(n->pairs);
	free(n);
}

/* Count a new node of len scalar bytes against the caps; -1 when over. */
int
yamltree_budget(struct yamltree_ctx *yt, const struct node *at, size_t len)
{
	yt->nodes++;
	yt->bytes += len;
	if (yt->nodes > YAMLTREE_MAX_NODES || yt->bytes > YAMLTREE_MAX_BYTES)
		return (yamltree_error(yt, at, "document too large after "
		    "expanding aliases and matrices"));
	return (0);
}

/* Deep copy of n; counts against the budget (checked by the caller). */
struct node *
yamltree_copy(struct yamltree_ctx *yt, const struct node *n)
{
	struct node	*c;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	c->type = n->type;
	c->plain = n->plain;
	c->shared = n->shared;
	c->line = n->line;
	c->column = n->column;
	yt->nodes++;
	if (n->str != NULL) {
		c->str = xstrdup(n->str);
		yt->bytes += strlen(n->str);
	}
	if (n->nitems != 0) {
		c->items = xcalloc(n->nitems, sizeof *c->items);
		for (i = 0; i < n->nitems; i++)
			c->items[c->nitems++] = yamltree_copy(yt, n->items[i]);
	}
	if (n->npairs != 0) {
		c->pairs = xcalloc(n->npairs, sizeof *c->pairs);
		for (i = 0; i < n->npairs; i++) {
			c->pairs[i].k = yamltree_copy(yt, n->pairs[i].k);
			c->pairs[i].v = yamltree_copy(yt, n->pairs[i].v);
			c->npairs++;
		}
	}
	return (c);
}

/* Append k: v to m, which takes both. */
void
yamltree_map_add(struct node *m, struct node *k, struct node *v)
{
	m->pairs = xreallocarray(m->pairs, m->npairs + 1, sizeof *m->pairs);
	m->pairs[m->npairs].k = k;
	m->pairs[m->npairs].v = v;
	m->npairs++;
}

static int	 conv_map_pairs(struct yamltree_ctx *, yaml_document_t *,
		    yaml_node_t *, struct node *, int);

/* A plain "<<" key. */
static int
is_merge_key(const yaml_node_t *k)
{
	return (k->type == YAML_SCALAR_NODE &&
	    k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    k->data.scalar.length == 2 &&
	    memcmp(k->data.scalar.value, "<<", 2) == 0);
}

/*
 * The sequence of y when y is a mapping of only "<<" to a sequence that
 * holds something other than mappings, or any sequence when any; else
 * NULL.
 */
static yaml_node_t *
merged_list(yaml_document_t *doc, yaml_node_t *y, int any)
{
	yaml_node_pair_t	*p = y->data.mapping.pairs.start;
	yaml_node_item_t	*it;
	yaml_node_t		*k, *v, *c;

	if (y->data.mapping.pairs.top - p != 1 ||
	    (k = yaml_document_get_node(doc, p->key)) == NULL ||
	    (v = yaml_document_get_node(doc, p->value)) == NULL ||
	    !is_merge_key(k) || v->type != YAML_SEQUENCE_NODE)
		return (NULL);
	if (any)
		return (v);
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		if ((c = yaml_document_get_node(doc, *it)) != NULL &&
		    c->type != YAML_MAPPING_NODE)
			return (v);
	}
	return (NULL);
}

/* Convert a libyaml node to ours, or NULL with the error set. */
static struct node *
conv(struct yamltree_ctx *yt, yaml_document_t *doc, yaml_node_t *y,
    int depth)
{
	struct node	*n;
	yaml_node_item_t *it;
	yaml_node_t	*c;

	n = xcalloc(1, sizeof *n);
	n->line = (int)y->start_mark.line + 1;
	n->column = (int)y->start_mark.column + 1;
	if (y >= doc->nodes.start &&
	    (size_t)(y - doc->nodes.start) < yt->nrefs)
		n->shared = yt->refs[y - doc->nodes.start] > 1;
	if (depth > YAMLTREE_MAX_DEPTH) {
		yamltree_error(yt, n, "nesting deeper than %d levels",
		    YAMLTREE_MAX_DEPTH);
		goto fail;
	}
	switch (y->type) {
	case YAML_SCALAR_NODE:
		n->type = N_SCALAR;
		if (yamltree_budget(yt, n, y->data.scalar.length) == -1)
			goto fail;
		n->str = xstrndup((const char *)y->data.scalar.value,
		    y->data.scalar.length);
		n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n->type = N_SEQ;
		if (yamltree_budget(yt, n, 0) == -1)
			goto fail;
		for (it = y->data.sequence.items.start;
		    it < y->data.sequence.items.top; it++) {
			if ((c = yaml_document_get_node(doc, *it)) == NULL) {
				yamltree_error(yt, n, "broken YAML document");
				goto fail;
			}
			n->items = xreallocarray(n->items, n->nitems + 1,
			    sizeof *n->items);
			n->items[n->nitems] = conv(yt, doc, c, depth + 1);
			if (n->items[n->nitems] == NULL)
				goto fail;
			n->nitems++;
		}
		break;
	case YAML_MAPPING_NODE:
		/* "<<: *list" alone, a list of strings: Cirrus takes the
		 * list (files merge script lines so). */
		if ((c = merged_list(doc, y, 0)) != NULL) {
			free(n);
			return (conv(yt, doc, c, depth + 1));
		}
		n->type = N_MAP;
		if (yamltree_budget(yt, n, 0) == -1)
			goto fail;
		if (conv_map_pairs(yt, doc, y, n, depth) == -1)
			goto fail;
		break;
	default:
		yamltree_error(yt, n, "empty YAML node");
		goto fail;
	}
	return (n);
fail:
	yamltree_free(n);
	return (NULL);
}

/* Move from's pairs after to's; from is left empty. */
static void
map_absorb_tail(struct node *to, struct node *from)
{
	to->pairs = xreallocarray(to->pairs, to->npairs + from->npairs + 1,
	    sizeof *to->pairs);
	if (from->npairs != 0)
		memcpy(to->pairs + to->npairs, from->pairs,
		    from->npairs * sizeof *to->pairs);
	to->npairs += from->npairs;
	free(from->pairs);
	from->pairs = NULL;
	from->npairs = 0;
}

/* A list of mappings made one mapping, pairs in order (env: lists). */
static void
seq_to_map(struct node *n)
{
	size_t	i;

	if (n->type != N_SEQ)
		return;
	for (i = 0; i < n->nitems; i++)
		if (n->items[i]->type != N_MAP)
			return;
	n->type = N_MAP;
	for (i = 0; i < n->nitems; i++) {
		map_absorb_tail(n, n->items[i]);
		yamltree_free(n->items[i]);
	}
	free(n->items);
	n->items = NULL;
	n->nitems = 0;
}

/* Move from's pairs in front of to's; from is left empty. */
static void
map_absorb(struct node *to, struct node *from)
{
	struct npair	*p;

	p = xreallocarray(NULL, to->npairs + from->npairs + 1, sizeof *p);
	if (from->npairs != 0)
		memcpy(p, from->pairs, from->npairs * sizeof *p);
	if (to->npairs != 0)
		memcpy(p + from->npairs, to->pairs, to->npairs * sizeof *p);
	free(to->pairs);
	free(from->pairs);
	to->pairs = p;
	to->npairs += from->npairs;
	from->pairs = NULL;
	from->npairs = 0;
}

/* Append the pairs of a merge source (a mapping) to m, marked by src. */
static int
merge_source(struct yamltree_ctx *yt, yaml_document_t *doc,
    yaml_node_t *y, struct node *m, int **srcs, int src, int depth)
{
	struct node	*s;
	size_t		 i;

	if (y->type != YAML_MAPPING_NODE) {
		s = conv(yt, doc, y, depth + 1);
		if (s != NULL)
			yamltree_error(yt, s, "merge key '<<' needs a mapping "
			    "or a list of mappings");
		yamltree_free(s);
		return (-1);
	}
	if ((s = conv(yt, doc, y, depth + 1)) == NULL)
		return (-1);
	for (i = 0; i < s->npairs; i++) {
		yamltree_map_add(m, s->pairs[i].k, s->pairs[i].v);
		*srcs = xreallocarray(*srcs, m->npairs, sizeof **srcs);
		(*srcs)[m->npairs - 1] = src;
	}
	s->npairs = 0;
	yamltree_free(s);
	return (0);
}

/*
 * Convert a mapping's pairs into n, applying "<<" merge keys as YAML does:
 * a key written in the mapping wins over a merged one, and an earlier merge
 * source wins over a later one.  Keys written twice are both kept.
 */
static int
conv_map_pairs(struct yamltree_ctx *yt, yaml_document_t *doc,
    yaml_node_t *y, struct node *n, int depth)
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
			yamltree_error(yt, n, "broken YAML document");
			goto out;
		}
		if (is_merge_key(k)) {
			if (v->type == YAML_SEQUENCE_NODE) {
				for (it = v->data.sequence.items.start;
				    it < v->data.sequence.items.top; it++) {
					c = yaml_document_get_node(doc, *it);
					if (c == NULL) {
						yamltree_error(yt, n,
						    "broken YAML document");
						goto out;
					}
					if (merge_source(yt, doc, c, n, &srcs,
					    ++nsrc, depth) == -1)
						goto out;
				}
			} else if (merge_source(yt, doc, v, n, &srcs, ++nsrc,
			    depth) == -1)
				goto out;
			continue;
		}
		if ((kn = conv(yt, doc, k, depth + 1)) == NULL)
			goto out;
		if (kn->type != N_SCALAR) {
			yamltree_error(yt, kn, "mapping keys must be scalars");
			yamltree_free(kn);
			goto out;
		}
		/* "matrix: {<<: *rows}": Cirrus takes the rows as the
		 * matrix, not one mapping merged from them. */
		if (v->type == YAML_MAPPING_NODE &&
		    strcmp(kn->str, "matrix") == 0 &&
		    (c = merged_list(doc, v, 1)) != NULL)
			v = c;
		if ((vn = conv(yt, doc, v, depth + 1)) == NULL) {
			yamltree_free(kn);
			goto out;
		}
		yamltree_map_add(n, kn, vn);
		srcs = xreallocarray(srcs, n->npairs, sizeof *srcs);
		srcs[n->npairs - 1] = 0;
	}
	/*
	 * Drop merged pairs overridden by a written key or an earlier source;
	 * mark first (srcs[i] = -1) so that comparisons see every key.  As
	 * Cirrus does, a written mapping takes in the merged one's pairs
	 * first, its own after them (so they win): "<<: *base" then
	 * "container: {memory: 2G}" keeps the base's image.
	 */
	for (i = 0; i < n->npairs; i++) {
		drop = 0;
		for (j = 0; srcs[i] > 0 && j < n->npairs && !drop; j++) {
			if (j == i || strcmp(n->pairs[j].k->str,
			    n->pairs[i].k->str) != 0)
				continue;
			if (srcs[j] == 0 || (j < i && srcs[j] != srcs[i]))
				drop = 1;
			if (srcs[j] != 0)
				continue;
			/* env: lists of mappings merge as Cirrus's do */
			if (strcmp(n->pairs[i].k->str, "env") == 0 ||
			    strcmp(n->pairs[i].k->str, "environment") == 0) {
				seq_to_map(n->pairs[i].v);
				seq_to_map(n->pairs[j].v);
			}
			if (n->pairs[i].v->type == N_MAP &&
			    n->pairs[j].v->type == N_MAP)
				map_absorb(n->pairs[j].v, n->pairs[i].v);
		}
		if (drop)
			srcs[i] = -srcs[i];
	}
	for (i = 0, w = 0; i < n->npairs; i++) {
		if (srcs[i] < 0) {
			yamltree_free(n->pairs[i].k);
			yamltree_free(n->pairs[i].v);
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

/*
 * After the first document: note where a second one with content starts
 * (or where text that is not one begins), since it is ignored.
 */
static void
yamltree_more(struct yamltree_ctx *yt, yaml_parser_t *parser)
{
	yaml_document_t	 doc;
	yaml_node_t	*y;

	if (!yaml_parser_load(parser, &doc)) {
		yt->more_line = (int)parser->problem_mark.line + 1;
		yt->more_column = (int)parser->problem_mark.column + 1;
		return;
	}
	/* A lone "---" is a document holding an empty scalar. */
	if ((y = yaml_document_get_root_node(&doc)) != NULL &&
	    (y->type != YAML_SCALAR_NODE || y->data.scalar.length > 0)) {
		yt->more_line = (int)doc.start_mark.line + 1;
		yt->more_column = (int)doc.start_mark.column + 1;
	}
	yaml_document_delete(&doc);
}

/* Pass a warning about n to the caller's hook, if any. */
void
yamltree_warn(struct yamltree_ctx *yt, const struct node *n,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (yt->warn == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	yt->warn(yt->warn_arg, n, msg);
	free(msg);
}

/* Count the references to each node of doc (aliases make more than 1). */
static void
count_refs(struct yamltree_ctx *yt, yaml_document_t *doc)
{
	yaml_node_t		*y;
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;
	size_t			 n;

	n = (size_t)(doc->nodes.top - doc->nodes.start);
	yt->refs = xcalloc(n + 1, sizeof *yt->refs);
	yt->nrefs = n;
#define REF(i)	do { if ((i) >= 1 && (size_t)(i) <= n) yt->refs[(i) - 1]++; \
		} while (0)
	for (y = doc->nodes.start; y < doc->nodes.top; y++) {
		if (y->type == YAML_SEQUENCE_NODE) {
			for (it = y->data.sequence.items.start;
			    it < y->data.sequence.items.top; it++)
				REF(*it);
		} else if (y->type == YAML_MAPPING_NODE) {
			for (p = y->data.mapping.pairs.start;
			    p < y->data.mapping.pairs.top; p++) {
				REF(p->key);
				REF(p->value);
			}
		}
	}
#undef REF
}

/* The 1-based line and column (in bytes) of byte off of text. */
static void
offset_position(const char *text, size_t len, size_t off, int *line,
    int *column)
{
	size_t	i, bol = 0;
	int	l = 1;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	*line = l;
	*column = (int)(off - bol) + 1;
}

/* Load text into our tree; NULL root for an empty document. */
int
yamltree_load(struct yamltree_ctx *yt, const char *text, size_t len,
    struct node **root)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*y;
	int		 rc = -1;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return (yamltree_error(yt, NULL,
		    "cannot initialise YAML parser"));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		yt->err->line = (int)parser.problem_mark.line + 1;
		yt->err->column = (int)parser.problem_mark.column + 1;
		/* Reader errors (bad UTF-8, control characters) give a byte
		 * offset, not a mark. */
		if (parser.error == YAML_READER_ERROR)
			offset_position(text, len, parser.problem_offset,
			    &yt->err->line, &yt->err->column);
		snprintf(yt->err->message, sizeof yt->err->message, "%s",
		    parser.problem != NULL ? parser.problem :
		    parser.error == YAML_MEMORY_ERROR ? "out of memory" :
		    "invalid YAML");
		yt->failed = 1;
		yaml_parser_delete(&parser);
		return (-1);
	}
	count_refs(yt, &doc);
	if ((y = yaml_document_get_root_node(&doc)) == NULL)
		rc = 0;
	else if ((*root = conv(yt, &doc, y, 0)) != NULL)
		rc = 0;
	free(yt->refs);
	yt->refs = NULL;
	yt->nrefs = 0;
	yaml_document_delete(&doc);
	if (rc == 0)
		yamltree_more(yt, &parser);
	yaml_parser_delete(&parser);
	return (rc);
}

/* A plain null: "", "~" or "null". */
int
yamltree_is_null(const struct node *n)
{
	if (n->type != N_SCALAR || !n->plain)
		return (0);
	return (n->str[0] == '\0' || strcmp(n->str, "~") == 0 ||
	    strcasecmp(n->str, "null") == 0);
}

/* A YAML boolean; 0 or 1, or -1 when n is not one. */
int
yamltree_bool(const struct node *n)
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

/* A scalar's text, or an error naming what was expected. */
int
yamltree_want_scalar(struct yamltree_ctx *yt, const struct node *n,
    const char *what, char **out)
{
	if (n->type != N_SCALAR)
		return (yamltree_error(yt, n, "%s must be a string", what));
	free(*out);
	*out = xstrdup(n->str);
	return (0);
}

/* A script: a string, or a list of strings joined with newlines. */
int
yamltree_want_script(struct yamltree_ctx *yt, const struct node *n,
    const char *what, char **out)
{
	const struct node *it;
	struct buf	 b;
	char		*q;
	size_t		 i;

	if (n->type == N_SCALAR) {
		free(*out);
		*out = xstrdup(yamltree_is_null(n) ? "" : n->str);
		return (0);
	}
	if (n->type != N_SEQ)
		return (yamltree_error(yt, n, "%s must be a string or a "
		    "list of strings", what));
	buf_init(&b, 0);
	for (i = 0; i < n->nitems; i++) {
		it = n->items[i];
		if (i != 0)
			buf_add(&b, "\n", 1);
		if (it->type == N_SCALAR) {
			buf_addstr(&b, it->str);
			continue;
		}
		/* Cirrus's "- ps: COMMAND" runs a PowerShell line. */
		if (it->type == N_MAP && it->npairs == 1 &&
		    strcmp(it->pairs[0].k->str, "ps") == 0 &&
		    it->pairs[0].v->type == N_SCALAR) {
			q = shell_quote(it->pairs[0].v->str);
			buf_printf(&b, "pwsh -NoLogo -NonInteractive -Command %s",
			    q);
			free(q);
			continue;
		}
		/* "- echo a: b" unquoted: YAML reads a mapping; Cirrus CI
		 * runs such files, so take the line its author wrote. */
		if (it->type == N_MAP && it->npairs == 1 &&
		    it->pairs[0].v->type == N_SCALAR && it->pairs[0].k->plain &&
		    it->pairs[0].v->plain) {
			buf_printf(&b, "%s: %s", it->pairs[0].k->str,
			    it->pairs[0].v->str);
			yamltree_warn(yt, it, "%s: YAML reads this line as a "
			    "mapping (it has an unquoted ': '); it runs as the "
			    "line it is, but quote it", what);
			continue;
		}
		buf_free(&b);
		if (it->type == N_MAP)
			return (yamltree_error(yt, it, "%s: this line is read "
			    "as a mapping, not a command (YAML takes an "
			    "unquoted ': ' as a key): quote the line", what));
		return (yamltree_error(yt, it, "%s must be a string or a list "
		    "of strings", what));
	}
	free(*out);
	*out = buf_steal(&b, NULL);
	return (0);
}

/* A string or list of strings appended to *v. */
int
yamltree_want_list(struct yamltree_ctx *yt, const struct node *n,
    const char *what, char ***v, size_t *nv)
{
	size_t	i;

	if (n->type == N_SCALAR) {
		*v = xreallocarray(*v, *nv + 1, sizeof **v);
		(*v)[(*nv)++] = xstrdup(n->str);
		return (0);
	}
	if (n->type != N_SEQ)
		return (yamltree_error(yt, n, "%s must be a string or a "
		    "list of strings", what));
	for (i = 0; i < n->nitems; i++) {
		if (n->items[i]->type != N_SCALAR)
			return (yamltree_error(yt, n->items[i], "%s must be "
			    "a string or a list of strings", what));
		*v = xreallocarray(*v, *nv + 1, sizeof **v);
		(*v)[(*nv)++] = xstrdup(n->items[i]->str);
	}
	return (0);
}

/* Free n trees and the array holding them. */
void
yamltree_freev(struct node **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		yamltree_free(v[i]);
	free(v);
}
