/* conffile.c -- stratusd's configuration file (YAML): parse, check, defaults. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "daemon/conffile.h"
#include "proto/util.h"

/* One parse: the document, and where to report. */
struct cfparse {
	const char	*name;
	yaml_document_t	*doc;
	char		**cause;
};

char *
conffile_default_path(void)
{
	return (xdg_path("XDG_CONFIG_HOME", ".config", "stratus/stratusd.yml"));
}

void
conffile_init(struct conffile *c)
{
	memset(c, 0, sizeof *c);
	c->jobs = -1;
	c->grace_s = -1;
	c->log_cap = -1;
	c->keep = -1;
	c->keep_days = -1;
	c->exit_idle_s = -1;
	c->cache_max_mb = -1;
}

void
conffile_free(struct conffile *c)
{
	size_t	 i;

	free(c->path);
	free(c->socket);
	free(c->state_dir);
	free(c->podman);
	free(c->network);
	free(c->listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tokens);
	for (i = 0; i < c->nprojects; i++)
		free(c->projects[i].name);
	free(c->projects);
	conffile_init(c);
}

/* Report "name:line:column: message" at node n; always -1. */
static int __attribute__((format(printf, 3, 4)))
cf_error(struct cfparse *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	*p->cause = xasprintf("%s:%zu:%zu: %s", p->name,
	    n->start_mark.line + 1, n->start_mark.column + 1, msg);
	free(msg);
	return (-1);
}

static const char *
cf_scalar(const yaml_node_t *n)
{
	return ((const char *)n->data.scalar.value);
}

/* A scalar that is a string (not a mapping or list) into *out. */
static int
cf_string(struct cfparse *p, const char *key, yaml_node_t *n, char **out)
{
	if (n->type != YAML_SCALAR_NODE || *cf_scalar(n) == '\0')
		return (cf_error(p, n, "%s: expected a string", key));
	free(*out);
	*out = xstrdup(cf_scalar(n));
	return (0);
}

/* A whole number from lo to hi into *out. */
static int
cf_int(struct cfparse *p, const char *key, yaml_node_t *n, int64_t lo,
    int64_t hi, int64_t *out)
{
	if (n->type != YAML_SCALAR_NODE ||
	    parse_int64(cf_scalar(n), lo, hi, out) == -1)
		return (cf_error(p, n, "%s: expected a whole number from "
		    "%lld to %lld", key, (long long)lo, (long long)hi));
	return (0);
}

/* A size in bytes with an optional K, M or G suffix (powers of 1024). */
static int
cf_size(struct cfparse *p, const char *key, yaml_node_t *n, int64_t *out)
{
	const char	*s;
	char		*num = NULL;
	size_t		 len;
	int		 shift = 0, rv = -1;

	if (n->type != YAML_SCALAR_NODE)
		goto bad;
	s = cf_scalar(n);
	len = strlen(s);
	if (len > 0) {
		switch (toupper((unsigned char)s[len - 1])) {
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		}
	}
	num = xstrndup(s, shift != 0 ? len - 1 : len);
	if (parse_int64(num, 0, INT64_C(1) << 40 >> shift, out) == -1)
		goto bad;
	*out <<= shift;
	rv = 0;
	goto out;
bad:
	cf_error(p, n, "%s: expected a size in bytes, optionally with K, M "
	    "or G (at most 1T)", key);
out:
	free(num);
	return (rv);
}

/* projects: {NAME: {jobs: N}} */
static int
cf_projects(struct cfparse *p, yaml_node_t *n, struct conffile *c)
{
	yaml_node_pair_t	*pr, *qr;
	yaml_node_t		*k, *v, *k2, *v2;
	struct conffile_project	*cp;
	int64_t			 x;
	size_t			 i;

	if (n->type != YAML_MAPPING_NODE)
		return (cf_error(p, n, "projects: expected a mapping of "
		    "project names"));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	    pr++) {
		k = yaml_document_get_node(p->doc, pr->key);
		v = yaml_document_get_node(p->doc, pr->value);
		if (k->type != YAML_SCALAR_NODE || *cf_scalar(k) == '\0')
			return (cf_error(p, k, "projects: a project name must "
			    "be a string"));
		for (i = 0; i < c->nprojects; i++) {
			if (strcmp(c->projects[i].name, cf_scalar(k)) == 0)
				return (cf_error(p, k, "projects: '%s' appears "
				    "twice", cf_scalar(k)));
		}
		if (v->type != YAML_MAPPING_NODE)
			return (cf_error(p, v, "projects: %s: expected a "
			    "mapping", cf_scalar(k)));
		c->projects = xreallocarray(c->projects, c->nprojects + 1,
		    sizeof *c->projects);
		cp = &c->projects[c->nprojects++];
		cp->name = xstrdup(cf_scalar(k));
		cp->jobs = 0;
		for (qr = v->data.mapping.pairs.start;
		    qr < v->data.mapping.pairs.top; qr++) {
			k2 = yaml_document_get_node(p->doc, qr->key);
			v2 = yaml_document_get_node(p->doc, qr->value);
			if (k2->type != YAML_SCALAR_NODE ||
			    strcmp(cf_scalar(k2), "jobs") != 0)
				return (cf_error(p, k2, "projects: %s: unknown "
				    "key '%s' (known: jobs)", cp->name,
				    k2->type == YAML_SCALAR_NODE ?
				    cf_scalar(k2) : "?"));
			if (cf_int(p, "jobs", v2, 1, 1024, &x) == -1)
				return (-1);
			cp->jobs = (int)x;
		}
	}
	return (0);
}

#define CF_KEYS "socket, state_dir, podman, network, jobs, grace, " \
	"log_cap, keep, keep_days, exit_idle_time, cache_max_mb, listen, " \
	"tls_cert, tls_key, tokens, projects"

/* One top-level key. */
static int
cf_key(struct cfparse *p, yaml_node_t *k, yaml_node_t *v, struct conffile *c)
{
	const char	*key = cf_scalar(k);
	int64_t		 x;

	if (strcmp(key, "socket") == 0)
		return (cf_string(p, key, v, &c->socket));
	if (strcmp(key, "state_dir") == 0)
		return (cf_string(p, key, v, &c->state_dir));
	if (strcmp(key, "podman") == 0)
		return (cf_string(p, key, v, &c->podman));
	if (strcmp(key, "network") == 0)
		return (cf_string(p, key, v, &c->network));
	if (strcmp(key, "listen") == 0)
		return (cf_string(p, key, v, &c->listen));
	if (strcmp(key, "tls_cert") == 0)
		return (cf_string(p, key, v, &c->tls_cert));
	if (strcmp(key, "tls_key") == 0)
		return (cf_string(p, key, v, &c->tls_key));
	if (strcmp(key, "tokens") == 0)
		return (cf_string(p, key, v, &c->tokens));
	if (strcmp(key, "log_cap") == 0)
		return (cf_size(p, key, v, &c->log_cap));
	if (strcmp(key, "projects") == 0)
		return (cf_projects(p, v, c));
	if (strcmp(key, "jobs") == 0) {
		if (cf_int(p, key, v, 1, 1024, &x) == -1)
			return (-1);
		c->jobs = (int)x;
		return (0);
	}
	if (strcmp(key, "grace") == 0) {
		if (cf_int(p, key, v, 0, 86400, &x) == -1)
			return (-1);
		c->grace_s = (int)x;
		return (0);
	}
	if (strcmp(key, "keep") == 0) {
		if (cf_int(p, key, v, 0, 1000000, &x) == -1)
			return (-1);
		c->keep = (int)x;
		return (0);
	}
	if (strcmp(key, "keep_days") == 0) {
		if (cf_int(p, key, v, 0, 36500, &x) == -1)
			return (-1);
		c->keep_days = (int)x;
		return (0);
	}
	if (strcmp(key, "cache_max_mb") == 0)
		return (cf_int(p, key, v, 0, INT64_MAX >> 20, &c->cache_max_mb));
	if (strcmp(key, "exit_idle_time") == 0) {
		if (cf_int(p, key, v, 0, 86400, &x) == -1)
			return (-1);
		c->exit_idle_s = (int)x;
		return (0);
	}
	return (cf_error(p, k, "unknown key '%s' (known: " CF_KEYS ")", key));
}

int
conffile_parse(const char *name, const char *buf, size_t len, struct conffile *c,
    char **cause)
{
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	yaml_node_t		*root, *k, *v;
	yaml_node_pair_t	*pr, *qr;
	struct cfparse		 p;
	int			 rv = -1, have_doc = 0;

	conffile_init(c);
	if (!yaml_parser_initialize(&parser)) {
		*cause = xasprintf("%s: cannot initialise the YAML parser",
		    name);
		return (-1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		*cause = xasprintf("%s:%zu:%zu: %s%s%s", name,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem != NULL ? parser.problem : "YAML error",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		goto out;
	}
	have_doc = 1;
	p.name = name;
	p.doc = &doc;
	p.cause = cause;
	if ((root = yaml_document_get_root_node(&doc)) == NULL) {
		rv = 0;		/* an empty file: every default */
		goto out;
	}
	if (root->type == YAML_SCALAR_NODE && *cf_scalar(root) == '\0') {
		rv = 0;
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cf_error(&p, root, "expected a mapping of settings (key: value)");
		goto out;
	}
	for (pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(&doc, pr->key);
		v = yaml_document_get_node(&doc, pr->value);
		if (k->type != YAML_SCALAR_NODE) {
			cf_error(&p, k, "a setting's name must be a string");
			goto out;
		}
		for (qr = root->data.mapping.pairs.start; qr < pr; qr++) {
			if (strcmp(cf_scalar(yaml_document_get_node(&doc,
			    qr->key)), cf_scalar(k)) == 0) {
				cf_error(&p, k, "'%s' is set twice",
				    cf_scalar(k));
				goto out;
			}
		}
		if (cf_key(&p, k, v, c) == -1)
			goto out;
	}
	rv = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rv == -1)
		conffile_free(c);
	return (rv);
}

int
conffile_load(const char *path, int must_exist, struct conffile *c, char **cause)
{
	char	*buf;
	size_t	 len;

	conffile_init(c);
	if ((buf = read_file(path, CONFFILE_MAX_FILE, &len)) == NULL) {
		if (errno == ENOENT && !must_exist)
			return (1);
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (conffile_parse(path, buf, len, c, cause) == -1) {
		free(buf);
		return (-1);
	}
	free(buf);
	c->path = xstrdup(path);
	return (0);
}
