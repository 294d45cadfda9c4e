/* util.c -- allocation, strings, capped buffers, time and file helpers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* vasprintf */
#endif
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/log.h"
#include "proto/util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory allocating %zu bytes", n);
	return (p);
}

void *
xcalloc(size_t nmemb, size_t n)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", nmemb, n);
	return (p);
}

void *
xrealloc(void *p, size_t n)
{
	void	*q;

	if ((q = realloc(p, n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory reallocating %zu bytes", n);
	return (q);
}

void *
xreallocarray(void *p, size_t nmemb, size_t n)
{
	if (n != 0 && nmemb > SIZE_MAX / n)
		fatalx("array of %zu x %zu bytes overflows", nmemb, n);
	return (xrealloc(p, nmemb * n));
}

void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory formatting a string");
	return (s);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return (s);
}

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->cap = cap;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t	 want;

	if (b->cap != 0 && (n > b->cap || b->len > b->cap - n))
		return (-1);
	if (b->len + n + 1 > b->size) {
		want = b->size == 0 ? 256 : b->size;
		while (want < b->len + n + 1)
			want *= 2;
		b->data = xrealloc(b->data, want);
		b->size = want;
	}
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addstr(struct buf *b, const char *s)
{
	return (buf_add(b, s, strlen(s)));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 r;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	r = buf_addstr(b, s);
	free(s);
	return (r);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char	*p;

	if (b->data == NULL)
		buf_add(b, "", 0);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->size = 0;
	return (p);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

int64_t
now_mono_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int64_t
now_wall_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
format_time(int64_t ms, char *out, size_t len)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "?");
}

void
format_duration(int64_t ms, char *out, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(out, len, "%" PRId64 ".%" PRId64 "s", ms / 1000,
		    (ms % 1000) / 100);
	else if (ms < 3600000)
		snprintf(out, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000,
		    (ms % 60000) / 1000);
	else
		snprintf(out, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000,
		    (ms % 3600000) / 60000);
}

int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return (-1);
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return (-1);
	}
	*out = v;
	return (0);
}

int
mkdir_p(const char *path, int mode)
{
	char	*p, *s;
	int	 r = -1, saved;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		saved = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) == -1 && errno != EEXIST)
			goto out;
		*s = (char)saved;
		if (saved == '\0')
			break;
	}
	r = 0;
out:
	saved = errno;
	free(p);
	errno = saved;
	return (r);
}

int
mkdir_dir(const char *dir, int mode, char **cause)
{
	struct stat	 st;

	if (mkdir_p(dir, mode) != 0) {
		*cause = xasprintf("mkdir %s: %s", dir, strerror(errno));
		return (-1);
	}
	if (stat(dir, &st) != 0) {
		*cause = xasprintf("stat %s: %s", dir, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s: not a directory", dir);
		errno = ENOTDIR;
		return (-1);
	}
	return (0);
}

char *
read_file(const char *path, size_t cap, size_t *lenp)
{
	struct buf	 b;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf_init(&b, cap);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	return (buf_steal(&b, lenp));
fail:
	saved = errno;
	close(fd);
	buf_free(&b);
	errno = saved;
	return (NULL);
}

int
write_all(int fd, const void *p, size_t len)
{
	const char	*s = p;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		s += n;
		len -= (size_t)n;
	}
	return (0);
}

ssize_t
pread_all(int fd, void *buf, size_t size, int64_t off)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < size) {
		n = pread(fd, (char *)buf + done, size - done,
		    (off_t)(off + (int64_t)done));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return ((ssize_t)done);
}

char *
shell_quote(const char *s)
{
	struct buf	 b;

	buf_init(&b, 0);
	buf_addstr(&b, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_addstr(&b, "'\\''");
		else
			buf_add(&b, s, 1);
	}
	buf_addstr(&b, "'");
	return (buf_steal(&b, NULL));
}

int
stamp_is_valid(const char *s, size_t n)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t			 i;

	if (n != sizeof shape - 1)
		return (0);
	for (i = 0; i < n; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return (0);
	}
	return (1);
}

/* Length of the variable name at s, 0 when none starts there. */
static size_t
shell_name_len(const char *s)
{
	size_t	 n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return (0);
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return (n);
}

int
shell_is_name(const char *s)
{
	size_t	 n = shell_name_len(s);

	return (n > 0 && s[n] == '\0');
}

int
shell_has_vars(const char *s)
{
	size_t	n;

	for (; (s = strchr(s, '$')) != NULL; s++) {
		if (shell_name_len(s + 1) > 0)
			return (1);
		if (s[1] == '{' && (n = shell_name_len(s + 2)) > 0 &&
		    s[n + 2] == '}')
			return (1);
	}
	return (0);
}

char *
shell_quote_vars(const char *s, int tilde)
{
	struct buf	 b;
	size_t		 n;

	buf_init(&b, 0);
	if (tilde && s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		buf_addstr(&b, "\"$HOME\"");
		s++;
	}
	buf_addstr(&b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '$' && (n = shell_name_len(s + 1)) > 0) {
			buf_add(&b, s, n + 1);
			s += n;
		} else if (*s == '$' && s[1] == '{' &&
		    (n = shell_name_len(s + 2)) > 0 && s[n + 2] == '}') {
			buf_add(&b, s, n + 3);
			s += n + 2;
		} else {
			if (strchr("$`\"\\", *s) != NULL)
				buf_addstr(&b, "\\");
			buf_add(&b, s, 1);
		}
	}
	buf_addstr(&b, "\"");
	return (buf_steal(&b, NULL));
}

char *
xdg_path(const char *var, const char *fallback, const char *sub)
{
	const char	*s = getenv(var), *home;
	struct passwd	*pw;

	if (s != NULL && *s == '/')
		return (xasprintf("%s/%s", s, sub));
	home = getenv("HOME");
	if ((home == NULL || *home != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL)
		home = "/";
	return (xasprintf("%s/%s/%s", home, fallback, sub));
}
