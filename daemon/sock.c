/* sock.c -- creates the daemon's unix socket inside a checked private directory. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/sock.h"
#include "proto/util.h"

char *
sock_default_path(void)
{
	const char	*rt = getenv("XDG_RUNTIME_DIR");

	if (rt != NULL && *rt == '/')
		return (xasprintf("%s/stratus/stratus.sock", rt));
	return (xasprintf("/tmp/stratus-%u/stratus.sock", (unsigned)getuid()));
}

char *
sock_default_state_dir(void)
{
	return (xdg_path("XDG_STATE_HOME", ".local/state", "stratus"));
}

/* Check (creating if missing) that dir is ours and private, as tmux does. */
static int
sock_check_dir(const char *dir, char **cause)
{
	struct stat	 sb;

	if (mkdir_p(dir, 0700) == -1) {
		*cause = xasprintf("cannot create %s: %s", dir, strerror(errno));
		return (-1);
	}
	if (lstat(dir, &sb) == -1) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("%s is not a directory", dir);
		return (-1);
	}
	if (sb.st_uid != getuid()) {
		*cause = xasprintf("%s is owned by uid %u, not by us (uid %u); "
		    "remove it or choose another --socket", dir,
		    (unsigned)sb.st_uid, (unsigned)getuid());
		return (-1);
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		*cause = xasprintf("%s is writable by others (mode %03o); "
		    "run 'chmod 700 %s'", dir, (unsigned)(sb.st_mode & 0777),
		    dir);
		return (-1);
	}
	return (0);
}

int
sock_listen(const char *path, char **cause)
{
	struct sockaddr_un	 sa;
	char			*copy = NULL;
	int			 fd = -1, probe = -1;
	mode_t			 old;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		*cause = xasprintf("socket path too long: %s", path);
		goto fail;
	}
	strcpy(sa.sun_path, path);
	copy = xstrdup(path);
	if (sock_check_dir(dirname(copy), cause) == -1)
		goto fail;

	/* A socket file that still answers belongs to a running daemon. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
		*cause = xasprintf("another stratusd is listening on %s", path);
		goto fail;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xasprintf("cannot remove stale %s: %s", path,
		    strerror(errno));
		goto fail;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		goto fail;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		umask(old);
		*cause = xasprintf("bind %s: %s", path, strerror(errno));
		goto fail;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(fd, 128) == -1) {
		*cause = xasprintf("listen %s: %s", path, strerror(errno));
		goto fail;
	}
	close(probe);
	free(copy);
	return (fd);
fail:
	if (probe != -1)
		close(probe);
	if (fd != -1)
		close(fd);
	free(copy);
	return (-1);
}
