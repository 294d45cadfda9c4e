/* tarsafe.c -- refuse hostile entries while extracting a container's tar. */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/tarsafe.h"
#include "proto/util.h"

int
tarsafe_check_name(const char *name, const char **why)
{
	const char	*p, *seg;
	size_t		 n;

	if (name == NULL || *name == '\0') {
		*why = "empty name";
		return (-1);
	}
	if (*name == '/') {
		*why = "absolute path";
		return (-1);
	}
	for (p = name; *p != '\0'; p = seg + n) {
		seg = p;
		while (*seg == '/')
			seg++;
		n = strcspn(seg, "/");
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			*why = "path with '..'";
			return (-1);
		}
	}
	if (strlen(name) >= 4096) {
		*why = "path too long";
		return (-1);
	}
	return (0);
}

int
tarsafe_check_link(const char *name, const char *target, const char **why)
{
	const char	*p, *seg;
	size_t		 n;
	long		 depth = 0;

	if (target == NULL || *target == '\0') {
		*why = "symlink without a target";
		return (-1);
	}
	if (*target == '/') {
		*why = "symlink to an absolute path";
		return (-1);
	}
	/* Depth of the directory holding the link. */
	for (p = name; *p != '\0'; p = seg + n) {
		seg = p;
		while (*seg == '/')
			seg++;
		n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		depth++;
	}
	depth--;	/* the link itself */
	for (p = target; *p != '\0'; p = seg + n) {
		seg = p;
		while (*seg == '/')
			seg++;
		n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (--depth < 0) {
				*why = "symlink pointing outside";
				return (-1);
			}
		} else
			depth++;
	}
	return (0);
}

/*
 * Open the directory that will hold path's last component, creating the
 * directories on the way without following any symlink.  Returns a
 * directory fd and *last, or -1.
 */
static int
tarsafe_parent(int root, const char *path, const char **last)
{
	char		 seg[256];
	const char	*p = path, *s;
	size_t		 n;
	int		 fd, next;

	if ((fd = dup(root)) == -1)
		return (-1);
	for (;;) {
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		s = p + n;
		while (*s == '/')
			s++;
		if (*s == '\0') {
			*last = p;
			return (fd);
		}
		if (n >= sizeof seg || n == 0) {
			close(fd);
			errno = ENAMETOOLONG;
			return (-1);
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (strcmp(seg, ".") != 0) {
			if (mkdirat(fd, seg, 0755) == -1 && errno != EEXIST) {
				close(fd);
				return (-1);
			}
			next = openat(fd, seg, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			close(fd);
			if (next == -1)
				return (-1);
			fd = next;
		}
		p = s;
	}
}

/* Copy the current entry's data to fd, at most max bytes. */
static int
tarsafe_copy(struct archive *a, int fd, char **cause)
{
	char	buf[65536];
	ssize_t	n;

	for (;;) {
		n = archive_read_data(a, buf, sizeof buf);
		if (n == 0)
			return (0);
		if (n < 0) {
			*cause = xasprintf("archive: %s",
			    archive_error_string(a));
			return (-1);
		}
		if (write_all(fd, buf, (size_t)n) != 0) {
			*cause = xasprintf("write: %s", strerror(errno));
			return (-1);
		}
	}
}

/* Write one accepted entry below root: 0, -1 with cause, or -2 when its
 * directory is reached only through a symlink or a file. */
static int
tarsafe_write(struct archive *a, struct archive_entry *e, int root,
    const char *path, char **cause)
{
	const char	*last;
	char		 name[256];
	mode_t		 type = archive_entry_filetype(e);
	int		 dfd, fd = -1, rv = -1;

	if ((dfd = tarsafe_parent(root, path, &last)) == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			return (-2);	/* through a symlink or a file */
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (strlen(last) >= sizeof name) {
		*cause = xasprintf("%s: name too long", path);
		goto out;
	}
	(void)snprintf(name, sizeof name, "%s", last);
	name[strcspn(name, "/")] = '\0';
	if (type == AE_IFDIR) {
		if ((*name != '\0' && strcmp(name, ".") != 0) &&
		    mkdirat(dfd, name, 0755) == -1 && errno != EEXIST) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
	} else if (type == AE_IFLNK) {
		(void)unlinkat(dfd, name, 0);
		if (symlinkat(archive_entry_symlink(e), dfd, name) == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
	} else {
		if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC,
		    (archive_entry_perm(e) & 0111) ? 0755 : 0644)) == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (tarsafe_copy(a, fd, cause) != 0)
			goto out;
		if (close(fd) != 0) {
			fd = -1;
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		fd = -1;
	}
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	close(dfd);
	return (rv);
}

int
tarsafe_extract(const void *buf, size_t len, const char *dir,
    const struct tarsafe_opts *o, struct tarsafe_stats *st, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	const char		*name, *why;
	char			*path = NULL;
	mode_t			 type;
	int64_t			 size;
	uint64_t		 n = 0;
	int			 root = -1, r, rv = -1;

	memset(st, 0, sizeof *st);
	if ((a = archive_read_new()) == NULL) {
		*cause = xstrdup("libarchive: out of memory");
		return (-1);
	}
	if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		*cause = xasprintf("archive: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			*cause = xasprintf("archive: %s",
			    archive_error_string(a));
			goto out;
		}
		if (o->max_entries > 0 && ++n > o->max_entries) {
			*cause = xasprintf("archive: more than %llu entries",
			    (unsigned long long)o->max_entries);
			goto out;
		}
		name = archive_entry_pathname(e);
		type = archive_entry_filetype(e);
		size = archive_entry_size(e);
		free(path);
		path = NULL;
		why = NULL;
		if (tarsafe_check_name(name, &why) != 0)
			;
		else if (archive_entry_hardlink(e) != NULL)
			why = "hard link";
		else if (type != AE_IFREG && type != AE_IFDIR &&
		    type != AE_IFLNK)
			why = "device, fifo or socket";
		else if (type == AE_IFLNK && tarsafe_check_link(name,
		    archive_entry_symlink(e), &why) != 0)
			;
		else if (type == AE_IFREG && o->max_entry > 0 &&
		    (uint64_t)size > o->max_entry)
			why = "file larger than the per-file limit";
		if (why != NULL) {
			st->rejected++;
			if (o->reject != NULL)
				o->reject(name != NULL ? name : "", why,
				    o->arg);
			continue;
		}
		path = o->map != NULL ? o->map(name, type == AE_IFDIR,
		    o->arg) : xstrdup(name);
		if (path == NULL)
			continue;
		if (tarsafe_check_name(path, &why) != 0 || (type == AE_IFLNK &&
		    tarsafe_check_link(path, archive_entry_symlink(e),
		    &why) != 0)) {
			st->rejected++;
			if (o->reject != NULL)
				o->reject(name, why, o->arg);
			continue;
		}
		if (type == AE_IFREG && o->max_total > 0 &&
		    st->bytes + (uint64_t)size > o->max_total) {
			*cause = xasprintf("archive: more than %llu bytes in "
			    "all", (unsigned long long)o->max_total);
			goto out;
		}
		if ((r = tarsafe_write(a, e, root, path, cause)) == -2) {
			st->rejected++;
			if (o->reject != NULL)
				o->reject(name, "path through a symlink",
				    o->arg);
			continue;
		}
		if (r != 0)
			goto out;
		if (type == AE_IFREG) {
			st->files++;
			st->bytes += (uint64_t)size;
		}
	}
	rv = 0;
out:
	free(path);
	if (root != -1)
		close(root);
	archive_read_free(a);
	return (rv);
}
