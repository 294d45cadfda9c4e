/* tfsidecar.c -- container: additional_containers: parsed, to and from
 * JSON. */

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/taskfile.h"
#include "proto/tfsidecar.h"
#include "proto/tfunits.h"
#include "proto/util.h"
#include "proto/yamltree.h"

/* The argv a command string stands for: sh -c TEXT; *argv the caller's. */
static void
sc_shell(const char *text, char ***argv, size_t *n)
{
	*argv = xcalloc(3, sizeof **argv);
	(*argv)[0] = xstrdup("/bin/sh");
	(*argv)[1] = xstrdup("-c");
	(*argv)[2] = xstrdup(text);
	*n = 3;
}

/* A port: "3306" or "HOST:CONTAINER", each 1 to 65535; 0 or -1. */
static int
sc_port(const char *s, int *host, int *port)
{
	const char	*colon;
	char		*h;
	int64_t		 a, b;
	int		 r;

	if ((colon = strchr(s, ':')) == NULL) {
		if (parse_int64(s, 1, 65535, &b) == -1)
			return (-1);
		*host = 0;
		*port = (int)b;
		return (0);
	}
	h = xstrndup(s, colon - s);
	r = parse_int64(h, 1, 65535, &a);
	free(h);
	if (r == -1 || parse_int64(colon + 1, 1, 65535, &b) == -1)
		return (-1);
	*host = (int)a;
	*port = (int)b;
	return (0);
}

/* A command: a string runs under sh -c, a list is the argv itself. */
static int
sc_command(struct yamltree_ctx *yt, const struct node *v, const char *what,
    char ***argv, size_t *n)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		free((*argv)[i]);
	free(*argv);
	*argv = NULL;
	*n = 0;
	if (v->type == N_SCALAR) {
		if (yamltree_is_null(v) || *v->str == '\0')
			return (yamltree_error(yt, v, "%s is empty", what));
		sc_shell(v->str, argv, n);
		return (0);
	}
	if (yamltree_want_list(yt, v, what, argv, n) == -1)
		return (-1);
	if (*n == 0)
		return (yamltree_error(yt, v, "%s is empty", what));
	return (0);
}

/* A name Podman labels and log lines can carry as they are. */
static int
sc_name_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > TFSIDECAR_NAME_MAX || strcmp(s, "main") == 0)
		return (0);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return (0);
	}
	return (1);
}

/* One key of an entry. */
static int
sc_pair(struct yamltree_ctx *yt, struct tf_sidecar *s, const struct node *k,
    const struct node *v, void (*warn)(void *, const struct node *,
    const char *), void *warnarg)
{
	const char	*key = k->str;
	char		*msg;
	size_t		 i;

	if (strcmp(key, "name") == 0 || strcmp(key, "image") == 0) {
		if (v->type != N_SCALAR || yamltree_is_null(v))
			return (yamltree_error(yt, v, "%s must be a string",
			    key));
		return (yamltree_want_scalar(yt, v, key, key[0] == 'n' ?
		    &s->name : &s->image));
	}
	if (strcmp(key, "port") == 0) {
		if (v->type != N_SCALAR || sc_port(v->str, &s->host_port,
		    &s->port) == -1)
			return (yamltree_error(yt, v, "invalid port '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		if (s->host_port != 0 && s->host_port != s->port) {
			msg = xasprintf("port %s: no host port mapping here, "
			    "the service is on localhost:%d", v->str, s->port);
			warn(warnarg, v, msg);
			free(msg);
		}
		return (0);
	}
	if (strcmp(key, "cpu") == 0) {
		if (v->type != N_SCALAR || tfunits_cpu(v->str, &s->cpu) == -1)
			return (yamltree_error(yt, v, "invalid cpu '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		return (0);
	}
	if (strcmp(key, "memory") == 0) {
		if (v->type != N_SCALAR ||
		    tfunits_memory(v->str, &s->memory_mb) == -1)
			return (yamltree_error(yt, v, "invalid memory '%s'",
			    v->type == N_SCALAR ? v->str : ""));
		return (0);
	}
	if (strcmp(key, "env") == 0 || strcmp(key, "environment") == 0) {
		if (yamltree_is_null(v))
			return (0);
		if (v->type != N_MAP)
			return (yamltree_error(yt, v, "env must be a mapping"));
		for (i = 0; i < v->npairs; i++) {
			if (v->pairs[i].v->type != N_SCALAR)
				return (yamltree_error(yt, v->pairs[i].v,
				    "value of '%s' must be a string",
				    v->pairs[i].k->str));
			tf_env_set(&s->env, v->pairs[i].k->str,
			    yamltree_is_null(v->pairs[i].v) ? "" :
			    v->pairs[i].v->str);
		}
		return (0);
	}
	if (strcmp(key, "command") == 0)
		return (sc_command(yt, v, key, &s->command, &s->ncommand));
	if (strcmp(key, "readiness_command") == 0)
		return (sc_command(yt, v, key, &s->readiness, &s->nreadiness));
	msg = xasprintf("unknown key '%s' ignored", key);
	warn(warnarg, k, msg);
	free(msg);
	return (0);
}

/* One entry into s (zeroed by the caller). */
static int
sc_entry(struct yamltree_ctx *yt, const struct node *n, struct tf_sidecar *s,
    void (*warn)(void *, const struct node *, const char *), void *warnarg)
{
	size_t	i;

	if (n->type != N_MAP)
		return (yamltree_error(yt, n, "additional container must be "
		    "a mapping"));
	s->line = n->line;
	s->column = n->column;
	for (i = 0; i < n->npairs; i++) {
		if (sc_pair(yt, s, n->pairs[i].k, n->pairs[i].v, warn,
		    warnarg) == -1)
			return (-1);
	}
	if (s->name == NULL)
		return (yamltree_error(yt, n, "additional container has no "
		    "name"));
	if (!sc_name_ok(s->name))
		return (yamltree_error(yt, n, "additional container name "
		    "'%s' is invalid: use letters, digits, '-' and '_' (and "
		    "not 'main')", s->name));
	if (s->image == NULL)
		return (yamltree_error(yt, n, "additional container '%s' has "
		    "no image", s->name));
	return (0);
}

int
tfsidecar_parse(struct yamltree_ctx *yt, const struct node *n,
    void (*warn)(void *, const struct node *, const char *), void *warnarg,
    struct tf_sidecar **v, size_t *nv)
{
	struct tf_sidecar	*s;
	size_t			 i, j;

	if (yamltree_is_null(n))
		return (0);
	if (n->type != N_SEQ)
		return (yamltree_error(yt, n, "additional_containers must be "
		    "a list"));
	for (i = 0; i < n->nitems; i++) {
		if (*nv >= TFSIDECAR_MAX)
			return (yamltree_error(yt, n->items[i], "more than %d "
			    "additional containers", TFSIDECAR_MAX));
		*v = xreallocarray(*v, *nv + 1, sizeof **v);
		s = &(*v)[(*nv)++];
		memset(s, 0, sizeof *s);
		if (sc_entry(yt, n->items[i], s, warn, warnarg) == -1)
			return (-1);
		for (j = 0; j + 1 < *nv; j++) {
			if (strcmp((*v)[j].name, s->name) == 0)
				return (yamltree_error(yt, n->items[i],
				    "additional container '%s' named twice",
				    s->name));
		}
	}
	return (0);
}

static void
sc_add_strv(cJSON *o, const char *key, char *const *v, size_t n)
{
	cJSON	*a;
	size_t	 i;

	if (v == NULL) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	a = cJSON_AddArrayToObject(o, key);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

cJSON *
tfsidecar_json(const struct tf_sidecar *v, size_t n)
{
	cJSON	*a, *o, *e;
	size_t	 i, j;

	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "image", v[i].image);
		cJSON_AddNumberToObject(o, "port", v[i].port);
		cJSON_AddNumberToObject(o, "host_port", v[i].host_port);
		e = cJSON_AddObjectToObject(o, "env");
		for (j = 0; j < v[i].env.n; j++)
			cJSON_AddStringToObject(e, v[i].env.v[j].key,
			    v[i].env.v[j].value);
		cJSON_AddNumberToObject(o, "cpu", v[i].cpu);
		cJSON_AddNumberToObject(o, "memory_mb",
		    (double)v[i].memory_mb);
		sc_add_strv(o, "command", v[i].command, v[i].ncommand);
		sc_add_strv(o, "readiness_command", v[i].readiness,
		    v[i].nreadiness);
		cJSON_AddNumberToObject(o, "line", v[i].line);
		cJSON_AddNumberToObject(o, "column", v[i].column);
	}
	return (a);
}

/* Set *cause (caller frees) and return -1. */
static int
sc_fail(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
	return (-1);
}

/* A number member within [min, max], 0 when absent. */
static int
sc_num(const cJSON *o, const char *key, double min, double max, double *out,
    char **cause)
{
	const cJSON	*v;

	*out = 0;
	v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (v == NULL)
		return (0);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max)
		return (sc_fail(cause, "additional container: '%s' out of "
		    "range", key));
	*out = v->valuedouble;
	return (0);
}

/* A string array member, or null/absent for none. */
static int
sc_strv(const cJSON *o, const char *key, char ***out, size_t *n,
    char **cause)
{
	const cJSON	*a, *e;

	a = cJSON_GetObjectItemCaseSensitive(o, key);
	if (a == NULL || cJSON_IsNull(a))
		return (0);
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
		return (sc_fail(cause, "additional container: '%s' must be a "
		    "list of strings", key));
	*out = xcalloc((size_t)cJSON_GetArraySize(a), sizeof **out);
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			return (sc_fail(cause, "additional container: '%s' "
			    "must be a list of strings", key));
		(*out)[(*n)++] = xstrdup(e->valuestring);
	}
	return (0);
}

/* One entry of tfsidecar_json's array into s (zeroed). */
static int
sc_from_json(const cJSON *o, struct tf_sidecar *s, char **cause)
{
	const cJSON	*name, *image, *env, *e;
	double		 d;

	name = cJSON_GetObjectItemCaseSensitive(o, "name");
	image = cJSON_GetObjectItemCaseSensitive(o, "image");
	if (!cJSON_IsString(name) || name->valuestring == NULL ||
	    !sc_name_ok(name->valuestring) || !cJSON_IsString(image) ||
	    image->valuestring == NULL)
		return (sc_fail(cause, "additional container: no valid name "
		    "and image"));
	s->name = xstrdup(name->valuestring);
	s->image = xstrdup(image->valuestring);
	if (sc_num(o, "port", 0, 65535, &d, cause) == -1)
		return (-1);
	s->port = (int)d;
	if (sc_num(o, "host_port", 0, 65535, &d, cause) == -1)
		return (-1);
	s->host_port = (int)d;
	if (sc_num(o, "cpu", 0, 1024, &s->cpu, cause) == -1 ||
	    sc_num(o, "memory_mb", 0, 64.0 * 1024 * 1024, &d, cause) == -1)
		return (-1);
	s->memory_mb = (int64_t)d;
	if (sc_num(o, "line", 0, INT32_MAX, &d, cause) == -1)
		return (-1);
	s->line = (int)d;
	if (sc_num(o, "column", 0, INT32_MAX, &d, cause) == -1)
		return (-1);
	s->column = (int)d;
	env = cJSON_GetObjectItemCaseSensitive(o, "env");
	if (env != NULL && !cJSON_IsNull(env)) {
		if (!cJSON_IsObject(env))
			return (sc_fail(cause, "additional container: 'env' "
			    "must be an object"));
		cJSON_ArrayForEach(e, env) {
			if (!cJSON_IsString(e) || e->string == NULL)
				return (sc_fail(cause, "additional container: "
				    "env values must be strings"));
			tf_env_set(&s->env, e->string, e->valuestring);
		}
	}
	if (sc_strv(o, "command", &s->command, &s->ncommand, cause) == -1 ||
	    sc_strv(o, "readiness_command", &s->readiness, &s->nreadiness,
	    cause) == -1)
		return (-1);
	return (0);
}

int
tfsidecar_json_parse(const cJSON *a, struct tf_sidecar **v, size_t *nv,
    char **cause)
{
	const cJSON	*o;
	size_t		 n;

	*v = NULL;
	*nv = 0;
	if (a == NULL || cJSON_IsNull(a))
		return (0);
	if (!cJSON_IsArray(a))
		return (sc_fail(cause, "'additional_containers' must be an "
		    "array"));
	n = (size_t)cJSON_GetArraySize(a);
	if (n == 0)
		return (0);
	if (n > TFSIDECAR_MAX)
		return (sc_fail(cause, "more than %d additional containers",
		    TFSIDECAR_MAX));
	*v = xcalloc(n, sizeof **v);
	cJSON_ArrayForEach(o, a) {
		/* Counted first so that a failure frees it. */
		(*nv)++;
		if (!cJSON_IsObject(o) ||
		    sc_from_json(o, &(*v)[*nv - 1], cause) == -1) {
			if (!cJSON_IsObject(o))
				sc_fail(cause, "additional container must be "
				    "an object");
			tf_sidecars_free(*v, *nv);
			*v = NULL;
			*nv = 0;
			return (-1);
		}
	}
	return (0);
}
