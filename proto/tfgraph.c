/* tfgraph.c -- the tasks of one file: unique names, depends_on, cycles. */

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "proto/expr.h"
#include "proto/tfgraph.h"
#include "proto/util.h"
#include "proto/yamltree.h"

/* The tasks being checked and where an error goes. */
struct graph {
	struct yamltree_ctx	*yt;
	struct ptask		*pt;
	size_t			 npt;
};

/* Free the members of p and zero it. */
void
tfgraph_ptask_free(struct ptask *p)
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
int
tfgraph_depends(struct yamltree_ctx *yt, struct ptask *p,
    const struct node *v)
{
	const struct node	*e;
	size_t			 i, n;

	if (v->type != N_SCALAR && v->type != N_SEQ)
		return (yamltree_error(yt, v, "depends_on must be a string or "
		    "a list of strings"));
	n = v->type == N_SCALAR ? 1 : v->nitems;
	for (i = 0; i < n; i++) {
		e = v->type == N_SCALAR ? v : v->items[i];
		if (e->type != N_SCALAR)
			return (yamltree_error(yt, e, "depends_on must be a "
			    "string or a list of strings"));
		p->deps = xreallocarray(p->deps, p->ndeps + 1,
		    sizeof *p->deps);
		p->deps[p->ndeps].name = xstrdup(e->str);
		p->deps[p->ndeps].line = e->line;
		p->deps[p->ndeps].column = e->column;
		p->ndeps++;
	}
	return (0);
}

/* See tfgraph.h. */
void
tfgraph_expand_deps(struct ptask *p, const struct tf_context *ctx)
{
	struct dep	*d, *out = NULL;
	size_t		 i, nout = 0, n;
	char		*x, *w, *next;

	for (i = 0; i < p->ndeps; i++) {
		d = &p->deps[i];
		if ((x = expr_expand(d->name, &p->t.env, ctx)) == NULL)
			x = xstrdup(d->name);
		n = strlen(x);
		if (strcmp(x, d->name) == 0 || n < 2 || x[0] != '[' ||
		    x[n - 1] != ']') {
			out = xreallocarray(out, nout + 1, sizeof *out);
			out[nout] = *d;
			out[nout++].name = x;
			free(d->name);
			continue;
		}
		x[n - 1] = '\0';
		for (w = x + 1; w != NULL; w = next) {
			if ((next = strchr(w, ',')) != NULL)
				*next++ = '\0';
			w += strspn(w, " \t");
			n = strlen(w);
			while (n > 0 && (w[n - 1] == ' ' || w[n - 1] == '\t'))
				w[--n] = '\0';
			if (n == 0)
				continue;
			out = xreallocarray(out, nout + 1, sizeof *out);
			out[nout] = *d;
			out[nout++].name = xstrdup(w);
		}
		free(x);
		free(d->name);
	}
	free(p->deps);
	p->deps = out;
	p->ndeps = nout;
}

/* Make names unique: matrix siblings get their differing variables. */
void
tfgraph_uniquify(struct ptask *pt, size_t npt)
{
	struct ptask	*p, *q;
	size_t		*grp, ngrp, i, j, g, e, n;
	struct buf	 b;
	const char	*key, *v0, *v;
	char		**suffix;
	int		 differ, imgdiff, first;

	grp = xcalloc(npt, sizeof *grp);
	suffix = xcalloc(npt, sizeof *suffix);
	for (i = 0; i < npt; i++) {
		p = &pt[i];
		if (p->dropped || suffix[i] != NULL)
			continue;
		ngrp = 0;
		for (j = i; j < npt; j++) {
			q = &pt[j];
			if (!q->dropped && strcmp(q->t.name, p->t.name) == 0)
				grp[ngrp++] = j;
		}
		if (ngrp < 2)
			continue;
		imgdiff = 0;
		for (g = 0; g < ngrp; g++) {
			buf_init(&b, 0);
			q = &pt[grp[g]];
			first = 1;
			for (e = 0; e < q->t.env.n; e++) {
				key = q->t.env.v[e].key;
				v0 = q->t.env.v[e].value;
				differ = 0;
				for (n = 0; n < ngrp && !differ; n++) {
					v = tf_env_get(&pt[grp[n]].t.env,
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
			v = pt[grp[g]].t.image;
			v0 = pt[grp[0]].t.image;
			if ((v == NULL) != (v0 == NULL) ||
			    (v != NULL && strcmp(v, v0) != 0))
				imgdiff = 1;
		}
		for (g = 0; imgdiff && g < ngrp; g++) {
			q = &pt[grp[g]];
			v = q->t.image != NULL ? q->t.image : "no image";
			key = suffix[grp[g]];
			suffix[grp[g]] = xasprintf("%s%s%s", v,
			    key[0] != '\0' ? ", " : "", key);
			free((char *)key);
		}
	}
	for (i = 0; i < npt; i++) {
		p = &pt[i];
		if (suffix[i] != NULL && suffix[i][0] != '\0') {
			free(p->t.name);
			p->t.name = xasprintf("%s (%s)", p->base, suffix[i]);
		}
		free(suffix[i]);
	}
	/* Whatever still collides is numbered. */
	for (i = 0; i < npt; i++) {
		p = &pt[i];
		key = NULL;
		for (n = 2; !p->dropped; n++) {
			for (j = 0; j < i; j++) {
				q = &pt[j];
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
int
tfgraph_resolve(struct yamltree_ctx *yt, struct ptask *pt, size_t npt)
{
	struct ptask	*p, *q;
	struct dep	*d;
	struct node	 at;
	size_t		 i, j, k, m;
	int		 found;

	for (i = 0; i < npt; i++) {
		p = &pt[i];
		if (p->dropped)
			continue;
		for (j = 0; j < p->ndeps; j++) {
			d = &p->deps[j];
			found = 0;
			for (k = 0; k < npt; k++) {
				q = &pt[k];
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
				return (yamltree_error(yt, &at, "task '%s' "
				    "depends on unknown task '%s'", p->t.name,
				    d->name));
			}
		}
	}
	return (0);
}

/* The index of the kept task named name, or -1. */
static ssize_t
find_ptask(struct graph *g, const char *name)
{
	size_t	i;

	for (i = 0; i < g->npt; i++) {
		if (!g->pt[i].dropped && strcmp(g->pt[i].t.name, name) == 0)
			return ((ssize_t)i);
	}
	return (-1);
}

/* Depth-first search for a cycle from task i; -1 when one is found. */
static int
cycle_visit(struct graph *g, size_t i, int *colour, size_t *stack,
    size_t depth)
{
	struct ptask	*p = &g->pt[i];
	struct buf	 b;
	ssize_t		 j;
	size_t		 e, s;
	int		 line, column;

	colour[i] = 1;
	stack[depth] = i;
	for (e = 0; e < p->t.ndepends; e++) {
		if ((j = find_ptask(g, p->t.depends_on[e])) == -1)
			continue;
		if (colour[j] == 2)
			continue;
		if (colour[j] == 1) {
			buf_init(&b, 0);
			for (s = 0; stack[s] != (size_t)j; s++)
				;
			for (; s <= depth; s++)
				buf_printf(&b, "%s -> ",
				    g->pt[stack[s]].t.name);
			buf_addstr(&b, g->pt[j].t.name);
			line = p->dline[e];
			column = p->dcol[e];
			yamltree_error(g->yt, NULL, "dependency cycle: %s",
			    b.data);
			g->yt->err->line = line;
			g->yt->err->column = column;
			buf_free(&b);
			return (-1);
		}
		if (cycle_visit(g, (size_t)j, colour, stack, depth + 1) == -1)
			return (-1);
	}
	colour[i] = 2;
	return (0);
}

/* Refuse a dependency cycle; see tfgraph.h. */
int
tfgraph_check_cycles(struct yamltree_ctx *yt, struct ptask *pt, size_t npt)
{
	struct graph	 gr = { yt, pt, npt }, *g = &gr;
	int		*colour;
	size_t		*stack, i;
	int		 rc = 0;

	colour = xcalloc(g->npt + 1, sizeof *colour);
	stack = xcalloc(g->npt + 1, sizeof *stack);
	for (i = 0; i < g->npt && rc == 0; i++) {
		if (!g->pt[i].dropped && colour[i] == 0)
			rc = cycle_visit(g, i, colour, stack, 0);
	}
	free(stack);
	free(colour);
	return (rc);
}
