/* portprobe.c -- whether a process's network namespace has a TCP port
 * listening, read from /proc. */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/portprobe.h"
#include "proto/util.h"

#define PORTPROBE_MAX	(8u << 20)	/* cap on one table (~50k sockets) */
#define PORTPROBE_LISTEN 0x0a		/* TCP_LISTEN in the st column */

#ifndef UNITTEST
static
#endif
int
portprobe_scan(const char *text, size_t len, int port)
{
	const char	*p = text, *end = text + len, *nl;
	char		 line[512];
	unsigned int	 lport, st;
	size_t		 n;

	/* "  sl  local_address rem_address   st ...", then one socket a
	 * line: "   0: 0100007F:1F90 00000000:0000 0A ...". */
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (sscanf(line, " %*[0-9]: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x "
		    "%x", &lport, &st) != 2)
			continue;
		if (lport == (unsigned int)port && st == PORTPROBE_LISTEN)
			return (1);
	}
	return (0);
}

int
portprobe_listening(pid_t pid, int port, int *listening, char **cause)
{
	static const char	*tables[] = { "tcp", "tcp6" };
	char			*path, *text;
	size_t			 len, i;

	*listening = 0;
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		path = xasprintf("/proc/%ld/net/%s", (long)pid, tables[i]);
		if ((text = read_file(path, PORTPROBE_MAX, &len)) == NULL) {
			/* Gone, or a kernel without IPv6: nothing listens. */
			if (errno == ENOENT || errno == ESRCH) {
				free(path);
				continue;
			}
			*cause = xasprintf("%s: %s", path, strerror(errno));
			free(path);
			return (-1);
		}
		free(path);
		*listening = portprobe_scan(text, len, port);
		free(text);
		if (*listening)
			break;
	}
	return (0);
}
