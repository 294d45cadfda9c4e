/* sdpass.c -- test helper: start a program as systemd would, with a listening socket and NOTIFY_SOCKET. */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * usage: sdpass LISTEN_PATH NOTIFY_PATH PROGRAM [ARG...]
 * Binds and listens on LISTEN_PATH, binds a datagram socket at NOTIFY_PATH,
 * runs PROGRAM with the listening socket as fd 3, LISTEN_FDS=1,
 * LISTEN_PID=its pid and NOTIFY_SOCKET=NOTIFY_PATH.  Prints "pid N", then
 * every notification as "notify: LINE", then "exit N" when PROGRAM ends.
 */

static int
bind_unix(const char *path, int type)
{
	struct sockaddr_un	 sa;
	int			 fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "sdpass: path too long: %s\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, type, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 16) == -1)) {
		fprintf(stderr, "sdpass: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return (fd);
}

/* Print each line of one datagram. */
static void
drain(int nfd)
{
	char	 buf[4096], *line, *save = NULL;
	ssize_t	 n;

	while ((n = recv(nfd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			printf("notify: %s\n", line);
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	struct pollfd	 pfd;
	char		 num[32];
	pid_t		 pid, w;
	int		 lfd, nfd, status;

	if (argc < 4) {
		fprintf(stderr, "usage: sdpass LISTEN_PATH NOTIFY_PATH "
		    "PROGRAM [ARG...]\n");
		return (2);
	}
	lfd = bind_unix(argv[1], SOCK_STREAM);
	nfd = bind_unix(argv[2], SOCK_DGRAM);
	if ((pid = fork()) == -1) {
		perror("sdpass: fork");
		return (2);
	}
	if (pid == 0) {
		close(nfd);
		if (lfd != 3 && (dup2(lfd, 3) == -1 || close(lfd) == -1)) {
			perror("sdpass: dup2");
			_exit(127);
		}
		snprintf(num, sizeof num, "%ld", (long)getpid());
		if (setenv("LISTEN_PID", num, 1) == -1 ||
		    setenv("LISTEN_FDS", "1", 1) == -1 ||
		    setenv("NOTIFY_SOCKET", argv[2], 1) == -1) {
			perror("sdpass: setenv");
			_exit(127);
		}
		execv(argv[3], argv + 3);
		perror("sdpass: exec");
		_exit(127);
	}
	close(lfd);
	printf("pid %ld\n", (long)pid);
	fflush(stdout);
	for (;;) {
		pfd.fd = nfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR) {
			perror("sdpass: poll");
			return (2);
		}
		drain(nfd);
		if ((w = waitpid(pid, &status, WNOHANG)) == -1) {
			perror("sdpass: waitpid");
			return (2);
		}
		if (w == pid)
			break;
	}
	drain(nfd);
	printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
	return (0);
}
