/* tfcont.c -- container: settings of task files, merged and applied to tasks. */

#include <stdlib.h>
#include <string.h>

#include "proto/expr.h"
#include "proto/tfcont.h"
#include "proto/tfsidecar.h"
#include "proto/tfunits.h"
#include "proto/util.h"
#include "proto/yamltree.h"

/*
 * Keys Cirrus CI's service reads and that mean nothing to a local runner:
 * accepted with a word, not called unknown.
 */
static const char *service_keys[] = {
	"auto_cancellation", "stateful", "use_compute_credits",
	"trigger_type", "execution_lock", "required_pr_labels",
	"experimental", "labels", "gcp_credentials", "aws_credentials",
	"azure_credentials",
	/* container: and docker_builder: settings of Cirrus's machines */
	"kvm", "greedy", "registry_config", "use_in_memory_disk",
	"use_static_ip", "platform", "os_version", "architecture", NULL
};

void
tfcont_free(struct tf_cont *c)
{
	free(c->image);
	free(c->dockerfile);
	strv_free(c->dargs, c->ndargs);
	tf_sidecars_free(c->sidecars, c->nsidecars);
	memset(c, 0, sizeof *c);
}

/* Whether a value names a variable ($X, ${X} or %X%), to expand per task. */
static int
has_variable(const char *s)
{
	return (strchr(s, '$') != NULL || strchr(s, '%') != NULL);
}

void
tfcont_ignored(struct yamltree_ctx *yt, const struct node *k)
{
	size_t	i;

	for (i = 0; service_keys[i] != NULL; i++) {
		if (strcmp(k->str, service_keys[i]) == 0) {
			yamltree_warn(yt, k, "'%s' is a Cirrus CI service "
			    "setting; it has no effect here", k->str);
			return;
		}
	}
	yamltree_warn(yt, k, "unknown key '%s' ignored", k->str);
}

int
tfcont_parse(struct yamltree_ctx *yt, const struct node *n, struct tf_cont *c)
{
	const struct node	*k, *v, *dk, *dv;
	const char		*key;
	char			*s;
	size_t			 i, j;

	if (yamltree_is_null(n))	/* "container:" alone: inherits */
		return (0);
	if (n->type != N_MAP)
		return (yamltree_error(yt, n, "container must be a mapping"));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		key = k->str;
		if (strcmp(key, "image") == 0) {
			if (yamltree_want_scalar(yt, v, "image",
			    &c->image) == -1)
				return (-1);
		} else if (strcmp(key, "dockerfile") == 0) {
			if (yamltree_want_scalar(yt, v, "dockerfile",
			    &c->dockerfile) == -1)
				return (-1);
		} else if (strcmp(key, "cpu") == 0) {
			if (v->type != N_SCALAR)
				return (yamltree_error(yt, v, "invalid cpu"));
			c->cpu_var = has_variable(v->str) ? v : NULL;
			if (c->cpu_var == NULL &&
			    tfunits_cpu(v->str, &c->cpu) == -1)
				return (yamltree_error(yt, v, "invalid cpu '%s'",
				    v->str));
		} else if (strcmp(key, "memory") == 0) {
			if (v->type != N_SCALAR)
				return (yamltree_error(yt, v, "invalid memory"));
			c->memory_var = has_variable(v->str) ? v : NULL;
			if (c->memory_var == NULL &&
			    tfunits_memory(v->str, &c->memory_mb) == -1)
				return (yamltree_error(yt, v, "invalid memory '%s'",
				    v->str));
		} else if (strcmp(key, "docker_arguments") == 0) {
			if (v->type != N_MAP)
				return (yamltree_error(yt, v, "docker_arguments must "
				    "be a mapping"));
			for (j = 0; j < c->ndargs; j++)
				free(c->dargs[j]);
			c->ndargs = 0;
			for (j = 0; j < v->npairs; j++) {
				dk = v->pairs[j].k;
				dv = v->pairs[j].v;
				if (dv->type != N_SCALAR)
					return (yamltree_error(yt, dv, "docker "
					    "argument '%s' must be a string",
					    dk->str));
				s = xasprintf("%s=%s", dk->str, dv->str);
				c->dargs = xreallocarray(c->dargs,
				    c->ndargs + 1, sizeof *c->dargs);
				c->dargs[c->ndargs++] = s;
			}
		} else if (strcmp(key, "additional_containers") == 0) {
			tf_sidecars_free(c->sidecars, c->nsidecars);
			c->sidecars = NULL;
			c->nsidecars = 0;
			if (tfsidecar_parse(yt, v, yt->warn, yt->warn_arg,
			    &c->sidecars, &c->nsidecars) == -1)
				return (-1);
		} else
			tfcont_ignored(yt, k);
	}
	return (0);
}

void
tfcont_copy(struct tf_cont *dst, const struct tf_cont *src)
{
	size_t	i;

	*dst = *src;
	dst->image = src->image != NULL ? xstrdup(src->image) : NULL;
	dst->dockerfile = src->dockerfile != NULL ? xstrdup(src->dockerfile) :
	    NULL;
	dst->dargs = src->ndargs != 0 ? xcalloc(src->ndargs,
	    sizeof *dst->dargs) : NULL;
	for (i = 0; i < src->ndargs; i++)
		dst->dargs[i] = xstrdup(src->dargs[i]);
	dst->sidecars = tf_sidecars_copy(src->sidecars, src->nsidecars);
}

/* Copy the settings, as they are, into a task. */
static void
cont_apply(const struct tf_cont *c, struct tf_task *t)
{
	size_t	i;

	free(t->instance);
	t->instance = xstrdup("container");
	t->image = c->image != NULL ? xstrdup(c->image) : NULL;
	t->dockerfile = c->dockerfile != NULL ? xstrdup(c->dockerfile) : NULL;
	t->cpu = c->cpu;
	t->memory_mb = c->memory_mb;
	t->sidecars = tf_sidecars_copy(c->sidecars, c->nsidecars);
	t->nsidecars = c->nsidecars;
	if (c->ndargs != 0) {
		t->docker_arguments = xcalloc(c->ndargs,
		    sizeof *t->docker_arguments);
		for (i = 0; i < c->ndargs; i++)
			t->docker_arguments[i] = xstrdup(c->dargs[i]);
		t->ndocker_arguments = c->ndargs;
	}
}


int
tfcont_apply(struct yamltree_ctx *yt, const struct tf_cont *c,
    struct tf_task *t, const struct tf_context *ctx)
{
	char	*x;
	int	 rc = 0;

	cont_apply(c, t);
	if (c->cpu_var != NULL) {
		x = expr_expand(c->cpu_var->str, &t->env, ctx);
		if (x == NULL || tfunits_cpu(x, &t->cpu) == -1)
			rc = yamltree_error(yt, c->cpu_var, "invalid cpu '%s' (it "
			    "expands to '%s')", c->cpu_var->str, x != NULL ?
			    x : "");
		free(x);
	}
	if (rc == 0 && c->memory_var != NULL) {
		x = expr_expand(c->memory_var->str, &t->env, ctx);
		if (x == NULL || tfunits_memory(x, &t->memory_mb) == -1)
			rc = yamltree_error(yt, c->memory_var, "invalid memory '%s' "
			    "(it expands to '%s')", c->memory_var->str,
			    x != NULL ? x : "");
		free(x);
	}
	return (rc);
}
