/* taskfile.c -- parses, expands and validates .cirrus.yml task files. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/api.h"
#include "proto/expr.h"
#include "proto/matrix.h"
#include "proto/taskfile.h"
#include "proto/tfcaches.h"
#include "proto/tfcont.h"
#include "proto/tfgraph.h"
#include "proto/tfsidecar.h"
#include "proto/tfunits.h"
#include "proto/util.h"
#include "proto/yamltree.h"

#define TF_MAX_TASKS		1024		/* after matrix expansion */
#define TF_MAX_WARNINGS		256

struct tp {
	const char		*file;
	const struct tf_context	*ctx;
	struct yamltree_ctx	 yt;		/* error and node budget */
	struct taskfile		*tf;
	struct tf_env		 topenv;
	struct tf_cont		 topcont;
	int			 havetopcont;
	const char		*topinstance;	/* other top-level instance */
	const struct node	*topcond[3];	/* only_if, skip, allow_failures */
	int64_t			 toptimeout_s;	/* timeout_in, or the default */
	struct ptask		*pt;
	size_t			 npt;
	const struct node     **uprefs;	/* the task's upload_caches names */
	size_t			 nuprefs;
};

static const char *instance_keys[] = {
	"windows_container", "arm_container", "freebsd_instance",
	"macos_instance", "osx_instance", "gce_instance",
	"compute_engine_instance", "ec2_instance", "eks_container",
	"gke_container", "azure_container_instance", "persistent_worker",
	"anka_instance", "prepared_instance", NULL
};

static int	tp_error(struct tp *, const struct node *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	tp_warn(struct tp *, const struct node *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Record the first error at n's position (or 0:0); returns -1. */
static int
tp_error(struct tp *tp, const struct node *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	yamltree_verror(&tp->yt, n, fmt, ap);
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

/* Warnings from yamltree and its helpers (tfcont, tfsidecar). */
static void
tp_warn_cb(void *arg, const struct node *n, const char *msg)
{
	tp_warn(arg, n, "%s", msg);
}

/* Set variables from an env: mapping. */
static int
parse_env(struct tp *tp, const struct node *n, struct tf_env *env)
{
	const struct node	*k, *v;
	char			*s = NULL;
	size_t			 i;

	if (yamltree_is_null(n))
		return (0);
	if (n->type == N_SEQ) {		/* a list of mappings, in order */
		for (i = 0; i < n->nitems; i++) {
			if (n->items[i]->type != N_MAP)
				return (tp_error(tp, n->items[i], "env must be "
				    "a mapping or a list of mappings"));
			if (parse_env(tp, n->items[i], env) == -1)
				return (-1);
		}
		return (0);
	}
	if (n->type != N_MAP)
		return (tp_error(tp, n, "env must be a mapping or a list of "
		    "mappings"));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		/* As Cirrus: a list of strings is its lines. */
		if (v->type == N_MAP || yamltree_want_script(&tp->yt, v,
		    k->str, &s) == -1) {
			free(s);
			return (tp_error(tp, v, "value of '%s' must be a "
			    "string or a list of strings", k->str));
		}
		tf_env_set(env, k->str, s);
	}
	free(s);
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

/* "$X" or "${X}" (X a name) becomes "X", in place; else s is left. */
static void
strip_dollar(char *s)
{
	size_t	n = strlen(s);

	if (n > 3 && s[0] == '$' && s[1] == '{' && s[n - 1] == '}') {
		s[n - 1] = '\0';
		if (shell_is_name(s + 2))
			memmove(s, s + 2, n - 2);
		else
			s[n - 1] = '}';
	} else if (n > 1 && s[0] == '$' && shell_is_name(s + 1))
		memmove(s, s + 1, n);
}

/* The fields of a cache, artifacts or file instruction. */
static int
parse_step_map(struct tp *tp, struct tf_step *s, const struct node *n)
{
	const struct node	*k, *v;
	const char		*key, *kind = tf_step_kind_name(s->kind);
	size_t			 i;
	int			 b, reupload = -1;

	if (n->type != N_MAP)
		return (tp_error(tp, n, "%s '%s' must be a mapping", kind,
		    s->name));
	for (i = 0; i < n->npairs; i++) {
		k = n->pairs[i].k;
		v = n->pairs[i].v;
		key = k->str;
		if (s->kind == STEP_CACHE && (strcmp(key, "folder") == 0 ||
		    strcmp(key, "folders") == 0)) {
			if (yamltree_want_list(&tp->yt, v, key,
			    &s->paths, &s->npaths) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "fingerprint_script") == 0) {
			if (yamltree_want_script(&tp->yt, v, key,
			    &s->fingerprint_script) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "fingerprint_key") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->fingerprint_key) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "populate_script") == 0) {
			if (yamltree_want_script(&tp->yt, v, key,
			    &s->populate_script) == -1)
				return (-1);
		} else if (s->kind == STEP_CACHE &&
		    strcmp(key, "reupload_on_changes") == 0) {
			if ((b = yamltree_bool(v)) == -1)
				return (tp_error(tp, v, "reupload_on_changes "
				    "must be true or false"));
			reupload = b;
		} else if (s->kind == STEP_ARTIFACTS &&
		    (strcmp(key, "path") == 0 || strcmp(key, "paths") == 0)) {
			if (yamltree_want_list(&tp->yt, v, key,
			    &s->paths, &s->npaths) == -1)
				return (-1);
		} else if (s->kind == STEP_ARTIFACTS &&
		    strcmp(key, "type") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->artifact_type) == -1)
				return (-1);
		} else if (s->kind == STEP_ARTIFACTS &&
		    strcmp(key, "format") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->artifact_format) == -1)
				return (-1);
		} else if (s->kind == STEP_FILE && strcmp(key, "path") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->file_path) == -1)
				return (-1);
		} else if (s->kind == STEP_FILE &&
		    strcmp(key, "variable_name") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->variable_name) == -1)
				return (-1);
			strip_dollar(s->variable_name);	/* as Cirrus */
			if (!shell_is_name(s->variable_name))
				return (tp_error(tp, v, "variable_name '%s' is "
				    "not a variable name", s->variable_name));
		} else if (s->kind == STEP_FILE &&
		    strcmp(key, "from_contents") == 0) {
			if (yamltree_want_scalar(&tp->yt, v, key,
			    &s->from_contents) == -1)
				return (-1);
		} else
			tp_warn(tp, k, "unknown key '%s' ignored", key);
	}
	/* As Cirrus: without a fingerprint a changed folder is uploaded
	 * again, with one it is a new key instead (unless said otherwise). */
	if (s->kind == STEP_CACHE)
		s->reupload_on_changes = reupload != -1 ? reupload :
		    s->fingerprint_script == NULL && s->fingerprint_key == NULL;
	if (s->kind != STEP_FILE && s->npaths == 0)
		return (tp_error(tp, n, "%s '%s' has no %s", kind, s->name,
		    s->kind == STEP_CACHE ? "folder" : "path"));
	if (s->kind == STEP_FILE && s->file_path == NULL)
		return (tp_error(tp, n, "file '%s' has no path", s->name));
	if (s->kind == STEP_FILE &&
	    (s->variable_name == NULL) == (s->from_contents == NULL))
		return (tp_error(tp, n, "file '%s' needs one of variable_name "
		    "and from_contents", s->name));
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
		{ "cache", STEP_CACHE },
		{ "artifacts", STEP_ARTIFACTS },
		{ "file", STEP_FILE },
	};
	struct tf_step	*s;
	const char	*key = k->str;
	char		*name;
	size_t		 i, n;

	if (strcmp(key, "upload_caches") == 0) {
		s = step_new(t, key, STEP_UPLOAD_CACHES, when, k);
		return (tfcaches_parse(&tp->yt, k, v, s, &tp->uprefs,
		    &tp->nuprefs) == -1 ? -1 : 1);
	}
	/* As Cirrus: any key ending so, named by what comes before
	 * ("build_script", "ccache"), "main" when nothing does. */
	for (i = 0; i < nitems(kinds); i++)
		if (ends_with(key, kinds[i].suffix))
			break;
	if (i == nitems(kinds))
		return (0);
	n = strlen(key) - strlen(kinds[i].suffix);
	if (n > 0 && key[n - 1] == '_')
		n--;
	name = n == 0 ? xstrdup("main") : xstrndup(key, n);
	if (kinds[i].kind != STEP_SCRIPT && kinds[i].kind != STEP_BACKGROUND &&
	    v->type != N_MAP) {
		/* As Cirrus: said, and the instruction left out. */
		tp_warn(tp, v, "%s '%s' must be a mapping; it is ignored",
		    tf_step_kind_name(kinds[i].kind), name);
		free(name);
		return (1);
	}
	s = step_new(t, name, kinds[i].kind, when, k);
	free(name);
	if (kinds[i].kind == STEP_SCRIPT || kinds[i].kind == STEP_BACKGROUND)
		return (yamltree_want_script(&tp->yt, v, key,
		    &s->script) == -1 ? -1 : 1);
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

/* Evaluate an expression found at n with the task's variables. */
static int
eval_at(struct tp *tp, const struct node *n, const char *what,
    const struct tf_task *t, int *result)
{
	struct tf_context	 ctx = { NULL, NULL, 0, NULL };
	struct tf_env		 base = { NULL, 0 };
	char			*cause = NULL;
	size_t			 off = 0, i;
	int			 rc;

	if (n->type != N_SCALAR)
		return (tp_error(tp, n, "%s must be a string", what));
	/* As Cirrus: the task's name is known to its expressions. */
	if (tp->ctx != NULL)
		ctx = *tp->ctx;
	for (i = 0; ctx.base != NULL && i < ctx.base->n; i++)
		tf_env_set(&base, ctx.base->v[i].key, ctx.base->v[i].value);
	tf_env_set(&base, "CIRRUS_TASK_NAME", t->name);
	ctx.base = &base;
	rc = expr_eval(n->str, &t->env, &ctx, result, &cause, &off);
	tf_env_free(&base);
	if (rc == 0)
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
			yamltree_want_scalar(&tp->yt, v, key, &t->alias);
		else if (strcmp(key, "only_if") == 0)
			last[1] = v;
		else if (strcmp(key, "skip") == 0)
			last[2] = v;
		else
			last[3] = v;
		return (0);
	}
	if (strcmp(key, "depends_on") == 0)
		return (tfgraph_depends(&tp->yt, p, v));
	if (strcmp(key, "timeout_in") == 0) {
		if (v->type != N_SCALAR ||
		    tfunits_timeout(v->str, &t->timeout_s) == -1)
			return (tp_error(tp, v, "invalid timeout_in '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		return (0);
	}
	if (strcmp(key, "env") == 0 || strcmp(key, "environment") == 0)
		return (parse_env(tp, v, &t->env));
	if (strcmp(key, "container") == 0 || is_instance_key(key)) {
		last[4] = k;	/* the last instance key decides the kind */
		return (0);
	}
	if (strcmp(key, "additional_containers") == 0) {
		tp_warn(tp, k, "additional_containers belongs under "
		    "container:, ignored");
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
		tfcont_ignored(&tp->yt, k);
	return (0);
}

/* Build one task (one matrix combination) from its mapping tn. */
static int
build_task(struct tp *tp, const struct node *kn, const struct node *tn,
    const char *defname, enum tkind kind)
{
	struct ptask		*p;
	struct tf_task		*t;
	struct tf_cont		 c;
	const struct node	*last[5] = { NULL };	/* see task_pair */
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
	t->timeout_s = tp->toptimeout_s;
	for (i = 0; i < nitems(tp->topcond); i++)
		last[i + 1] = tp->topcond[i];	/* the task's own win */
	for (i = 0; i < tp->topenv.n; i++)
		tf_env_set(&t->env, tp->topenv.v[i].key, tp->topenv.v[i].value);
	tp->nuprefs = 0;

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
		/*
		 * As Cirrus: the task's container: keys (its own, a merge
		 * key's, a matrix entry's) merge in order over the top-level
		 * one, field by field.
		 */
		if (tp->havetopcont)
			tfcont_copy(&c, &tp->topcont);
		for (i = 0; i < tn->npairs; i++) {
			if (strcmp(tn->pairs[i].k->str, "container") == 0 &&
			    tfcont_parse(&tp->yt, tn->pairs[i].v, &c) == -1)
				goto out;
		}
		if (tfcont_apply(&tp->yt, &c, t, tp->ctx) == -1)
			goto out;
	} else if (last[4] != NULL) {
		t->instance = xstrdup(last[4]->str);
		t->skip_reason = xasprintf("unsupported instance type %s",
		    last[4]->str);
	} else if (tp->havetopcont) {
		if (tfcont_apply(&tp->yt, &tp->topcont, t, tp->ctx) == -1)
			goto out;
	} else if (tp->topinstance != NULL) {
		t->instance = xstrdup(tp->topinstance);
		t->skip_reason = xasprintf("unsupported instance type %s",
		    tp->topinstance);
	} else
		t->instance = xstrdup("container");
	expand_field(tp, t, &t->image);
	expand_field(tp, t, &t->dockerfile);
	for (i = 0; i < t->nsidecars; i++)
		expand_field(tp, t, &t->sidecars[i].image);

	t->name = xstrdup(last[0] != NULL && !yamltree_is_null(last[0]) ?
	    last[0]->str : defname);
	expand_field(tp, t, &t->name);
	p->base = xstrdup(t->name);
	tfgraph_expand_deps(p, tp->ctx);
	if (tfcaches_check(&tp->yt, t, tp->uprefs, tp->nuprefs) == -1)
		goto out;

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
		if ((b = yamltree_bool(last[3])) == -1 &&
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
	tfcont_free(&c);
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

static const char *top_conds[] = { "only_if", "skip", "allow_failures" };

/* Whether key is a task setting that, at the top level, every task takes. */
static int
is_top_default(const char *key)
{
	size_t	i;

	for (i = 0; i < nitems(top_conds); i++)
		if (strcmp(key, top_conds[i]) == 0)
			return (1);
	return (strcmp(key, "timeout_in") == 0);
}

/*
 * A top-level only_if, skip, allow_failures or timeout_in: the default of
 * every task, which a task's own overrides (Cirrus's "collectible"
 * fields).  Conditions are evaluated per task, with its variables.
 */
static int
top_default(struct tp *tp, const struct node *k, const struct node *v)
{
	size_t	i;

	if (strcmp(k->str, "timeout_in") == 0) {
		if (v->type != N_SCALAR ||
		    tfunits_timeout(v->str, &tp->toptimeout_s) == -1)
			return (tp_error(tp, v, "invalid timeout_in '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		return (0);
	}
	for (i = 0; i < nitems(top_conds); i++) {
		if (strcmp(k->str, top_conds[i]) != 0)
			continue;
		if (v->type != N_SCALAR)
			return (tp_error(tp, v, "%s must be a string",
			    k->str));
		tp->topcond[i] = v;
	}
	return (0);
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

	if ((root == NULL || yamltree_is_null(root)) && tp->yt.more_line > 0)
		return (tp_error(tp, NULL, "no tasks found: the first YAML "
		    "document is empty, and only it is read (another starts "
		    "at line %d)", tp->yt.more_line));
	if (root == NULL || yamltree_is_null(root))
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
			tfcont_free(&tp->topcont);
			if (tfcont_parse(&tp->yt, v, &tp->topcont) == -1)
				return (-1);
			tp->havetopcont = 1;
			tp->topinstance = NULL;
		} else if (is_instance_key(k->str)) {
			tp->topinstance = k->str;
			tp->havetopcont = 0;
		} else if (top_default(tp, k, v) == -1)
			return (-1);
	}
	for (i = 0; i < root->npairs; i++) {
		k = root->pairs[i].k;
		v = root->pairs[i].v;
		if (!task_key(k->str, &kind, &defname)) {
			if (strcmp(k->str, "env") != 0 &&
			    strcmp(k->str, "environment") != 0 &&
			    strcmp(k->str, "container") != 0 &&
			    !is_instance_key(k->str) &&
			    !is_top_default(k->str) && !v->shared)
				tfcont_ignored(&tp->yt, k);	/* not a template */
			continue;
		}
		ntaskkeys++;
		if (v->type != N_MAP) {
			at = yamltree_is_null(v) ? k : v;
			tp_error(tp, at, "task '%s' must be a mapping",
			    k->str);
			goto out;
		}
		if (matrix_expand(&tp->yt, v, &vars, &nvars) == -1)
			goto out;
		for (j = 0; j < nvars; j++) {
			if (build_task(tp, k, vars[j], defname, kind) == -1)
				goto out;
		}
		yamltree_freev(vars, nvars);
		vars = NULL;
		nvars = 0;
		free(defname);
		defname = NULL;
	}
	if (ntaskkeys == 0) {
		tp_error(tp, NULL, "no tasks found");
		goto out;
	}
	tfgraph_uniquify(tp->pt, tp->npt);
	if (tfgraph_resolve(&tp->yt, tp->pt, tp->npt) == -1 ||
	    tfgraph_check_cycles(&tp->yt, tp->pt, tp->npt) == -1)
		goto out;
	rc = 0;
out:
	yamltree_freev(vars, nvars);
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
	struct node	*root = NULL, at;
	struct taskfile	*tf;
	size_t		 i, n;
	int		 rc = -1;

	*out = NULL;
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", name);
	memset(&tp, 0, sizeof tp);
	tp.toptimeout_s = TF_DEFAULT_TIMEOUT_S;
	tp.yt.warn = tp_warn_cb;
	tp.yt.warn_arg = &tp;
	tp.file = name;
	tp.ctx = ctx;
	tp.yt.err = err;
	tp.tf = tf = xcalloc(1, sizeof *tf);
	tf->name = xstrdup(name);
	if (len > API_MAX_TASKFILE) {
		tp_error(&tp, NULL, "task file larger than %u bytes",
		    API_MAX_TASKFILE);
		goto out;
	}
	if (yamltree_load(&tp.yt, text != NULL ? text : "", len, &root) == -1)
		goto out;
	if (tp.yt.more_line > 0) {
		memset(&at, 0, sizeof at);
		at.line = tp.yt.more_line;
		at.column = tp.yt.more_column;
		tp_warn(&tp, &at, "only the first YAML document is read; "
		    "the rest is ignored");
	}
	if (build(&tp, root) == -1)
		goto out;
	for (i = 0, n = 0; i < tp.npt; i++)
		n += !tp.pt[i].dropped;
	tf->tasks = xcalloc(n + 1, sizeof *tf->tasks);
	tf->dropped = xcalloc(tp.npt - n + 1, sizeof *tf->dropped);
	for (i = 0; i < tp.npt; i++) {
		if (tp.pt[i].dropped) {
			tf->dropped[tf->ndropped].name = tp.pt[i].t.name;
			tf->dropped[tf->ndropped++].only_if =
			    tp.pt[i].t.only_if;
			tp.pt[i].t.name = tp.pt[i].t.only_if = NULL;
			continue;
		}
		tf->tasks[tf->ntasks++] = tp.pt[i].t;
		memset(&tp.pt[i].t, 0, sizeof tp.pt[i].t);
	}
	*out = tf;
	tf = NULL;
	rc = 0;
out:
	if (rc == -1 && err->line == 0 && err->message[0] != '\0' &&
	    strncmp(err->message, "no tasks found", 14) == 0) {
		err->line = 1;
		err->column = 1;
	}
	for (i = 0; i < tp.npt; i++)
		tfgraph_ptask_free(&tp.pt[i]);
	free(tp.pt);
	free(tp.uprefs);
	tf_env_free(&tp.topenv);
	tfcont_free(&tp.topcont);
	yamltree_free(root);
	taskfile_free(tf);
	return (rc);
}
