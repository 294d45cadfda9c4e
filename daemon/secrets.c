/* secrets.c -- named secrets in the state directory, and their masking in logs. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/secrets.h"
#include "proto/util.h"

int
secrets_valid_name(const char *name)
{
	const unsigned char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > SECRETS_MAX_NAME)
		return (0);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return (0);
	}
	return (1);
}

/* dir/HEX(name); caller frees. */
static char *
secrets_path(const char *dir, const char *name)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	buf_printf(&b, "%s/", dir);
	for (i = 0; name[i] != '\0'; i++)
		buf_printf(&b, "%02x", (unsigned char)name[i]);
	return (buf_steal(&b, NULL));
}

/* Check a name, or say why not. */
static int
secrets_check(const char *name, char **cause)
{
	if (secrets_valid_name(name))
		return (0);
	*cause = xstrdup("a secret's name is 1 to 256 characters without "
	    "control characters");
	return (-1);
}

int
secrets_set(const char *dir, const char *name, const void *value, size_t len,
    char **cause)
{
	char	*path = NULL, *tmp = NULL;
	int	 fd = -1, rv = -1;

	if (secrets_check(name, cause) != 0)
		return (-1);
	if (len > SECRETS_MAX_VALUE) {
		*cause = xasprintf("a secret's value is at most %u bytes",
		    SECRETS_MAX_VALUE);
		return (-1);
	}
	if (mkdir_p(dir, 0700) != 0) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return (-1);
	}
	path = secrets_path(dir, name);
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 ||
	    fchmod(fd, 0600) != 0 || write_all(fd, value, len) != 0 ||
	    fsync(fd) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	if (rv != 0)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	return (rv);
}

int
secrets_get(const char *dir, const char *name, char **value, char **cause)
{
	char	*path;
	size_t	 len;

	*value = NULL;
	if (secrets_check(name, cause) != 0)
		return (-1);
	path = secrets_path(dir, name);
	if ((*value = read_file(path, SECRETS_MAX_VALUE, &len)) == NULL) {
		if (errno == ENOENT) {
			free(path);
			return (1);
		}
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	return (0);
}

int
secrets_remove(const char *dir, const char *name, char **cause)
{
	char	*path;
	int	 rv = 0;

	if (secrets_check(name, cause) != 0)
		return (-1);
	path = secrets_path(dir, name);
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			rv = 1;
		else {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			rv = -1;
		}
	}
	free(path);
	return (rv);
}

/* Decode a hex file name; NULL when it is not one of ours. */
static char *
secrets_unhex(const char *s)
{
	size_t		 n = strlen(s), i;
	unsigned int	 c;
	char		*out;

	if (n == 0 || n % 2 != 0 || strspn(s, "0123456789abcdef") != n)
		return (NULL);
	out = xcalloc(n / 2 + 1, 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &c) != 1) {
			free(out);
			return (NULL);
		}
		out[i] = (char)c;
	}
	if (!secrets_valid_name(out)) {
		free(out);
		return (NULL);
	}
	return (out);
}

static int
secrets_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
secrets_list(const char *dir, char ***names, size_t *n, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*name;
	size_t		 size = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return (0);
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if ((name = secrets_unhex(de->d_name)) == NULL)
			continue;
		if (*n == size) {
			size = size ? size * 2 : 16;
			*names = xreallocarray(*names, size, sizeof **names);
		}
		(*names)[(*n)++] = name;
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof **names, secrets_cmp);
	return (0);
}

int
secrets_reference(const char *value, char **name)
{
	const char	*p;
	size_t		 n;

	*name = NULL;
	if (strncmp(value, "ENCRYPTED[", 10) == 0)
		p = value + 10;
	else if (strncmp(value, "VAULT[", 6) == 0)
		p = value + 6;
	else
		return (0);
	n = strlen(p);
	if (n == 0 || p[n - 1] != ']')
		return (0);
	n--;
	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	while (n > 0 && p[n - 1] == ' ')
		n--;
	*name = xstrndup(p, n);
	return (1);
}

struct secrets_mask {
	char		**v;
	size_t		  n;
	size_t		  longest;
	int		  multiline;	/* a value holds a newline */
	struct buf	  held;		/* bytes not yet decided */
	secrets_out_cb	  out;
	void		 *arg;
};

struct secrets_mask *
secrets_mask_new(secrets_out_cb out, void *arg)
{
	struct secrets_mask	*m;

	m = xcalloc(1, sizeof *m);
	buf_init(&m->held, 0);
	m->out = out;
	m->arg = arg;
	return (m);
}

void
secrets_mask_add(struct secrets_mask *m, const char *value)
{
	size_t	n = strlen(value), i;

	if (n == 0 || m->n >= SECRETS_MASK_MAX)
		return;
	/* CIRRUS_ENV values come again before every step. */
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i], value) == 0)
			return;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n++] = xstrdup(value);
	if (strchr(value, '\n') != NULL)
		m->multiline = 1;
	if (n > m->longest)
		m->longest = n;
}

/* Length of the secret starting at s (n bytes available), 0 if none. */
static size_t
secrets_mask_at(const struct secrets_mask *m, const char *s, size_t n)
{
	size_t	i, l, best = 0;

	for (i = 0; i < m->n; i++) {
		l = strlen(m->v[i]);
		if (l <= n && l > best && memcmp(s, m->v[i], l) == 0)
			best = l;
	}
	return (best);
}

/*
 * Emit what can be decided; keep the last longest-1 bytes unless final.
 * Without multi-line values nothing spans a newline, so all up to the last
 * one is decided: a checkpoint at a line's end then finds nothing held.
 */
static void
secrets_mask_run(struct secrets_mask *m, int final)
{
	struct buf	 out;
	const char	*d = m->held.data, *nl;
	size_t		 len = m->held.len, keep, i = 0, l, decided = 0;

	keep = final || m->longest == 0 ? 0 : m->longest - 1;
	if (!m->multiline && len > 0 && (nl = memrchr(d, '\n', len)) != NULL)
		decided = (size_t)(nl - d) + 1;
	buf_init(&out, 0);
	while (i < len) {
		if ((l = secrets_mask_at(m, d + i, len - i)) > 0) {
			buf_addstr(&out, SECRETS_MASK);
			i += l;
			continue;
		}
		if (len - i <= keep && i >= decided)
			break;
		buf_add(&out, d + i, 1);
		i++;
	}
	if (out.len > 0)
		m->out(out.data, out.len, m->arg);
	buf_free(&out);
	memmove(m->held.data, d + i, len - i);
	m->held.len = len - i;
	m->held.data[m->held.len] = '\0';
}

void
secrets_mask_feed(struct secrets_mask *m, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (m->n == 0) {
		m->out(s, n, m->arg);
		return;
	}
	buf_add(&m->held, s, n);
	secrets_mask_run(m, 0);
}

void
secrets_mask_flush(struct secrets_mask *m)
{
	if (m->held.len > 0)
		secrets_mask_run(m, 1);
}

void
secrets_mask_free(struct secrets_mask *m)
{
	if (m == NULL)
		return;
	secrets_mask_flush(m);
	strv_free(m->v, m->n);
	buf_free(&m->held);
	free(m);
}
