/* portprobe.h -- whether a process's network namespace has a TCP port
 * listening, read from /proc. */
#ifndef DAEMON_PORTPROBE_H
#define DAEMON_PORTPROBE_H

#include <sys/types.h>

/*
 * Whether a TCP socket listens on port (any address, IPv4 or IPv6) in the
 * network namespace of process pid: /proc/PID/net/tcp and tcp6, which the
 * process's owner can read without entering the namespace.  A listening
 * socket is one the kernel completes connections for.  0 with *listening;
 * a process that is gone is not listening.  -1 with cause (caller frees)
 * when the tables cannot be read.
 */
int	portprobe_listening(pid_t pid, int port, int *listening,
	    char **cause);

#ifdef UNITTEST
/* 1 when the table text (of len bytes) has port in state LISTEN. */
int	portprobe_scan(const char *text, size_t len, int port);
#endif

#endif
