/* remote.c -- the optional TCP listener: address, TLS material, tokens. */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/remote.h"
#include "proto/util.h"

/* Largest certificate or key file read. */
#define REMOTE_MAX_PEM	(1u << 20)

void
remote_free(struct remote *r)
{
	free(r->addr);
	free(r->cert_pem);
	if (r->key_pem != NULL)
		explicit_bzero(r->key_pem, strlen(r->key_pem));
	free(r->key_pem);
	auth_free(r->auth);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

/* Split "HOST:PORT" or "[HOST]:PORT"; host and port are caller-freed. */
static int
remote_split(const char *addr, char **host, char **port, char **cause)
{
	const char	*colon, *close;

	if (addr[0] == '[') {
		if ((close = strchr(addr, ']')) == NULL || close[1] != ':') {
			*cause = xasprintf("--listen '%s': want [ADDRESS]:PORT",
			    addr);
			return (-1);
		}
		*host = xstrndup(addr + 1, (size_t)(close - addr - 1));
		colon = close + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL) {
			*cause = xasprintf("--listen '%s': want ADDRESS:PORT, "
			    "e.g. 127.0.0.1:8420", addr);
			return (-1);
		}
		*host = xstrndup(addr, (size_t)(colon - addr));
	}
	if (colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1)) {
		*cause = xasprintf("--listen '%s': the port must be a number",
		    addr);
		free(*host);
		*host = NULL;
		return (-1);
	}
	*port = xstrdup(colon + 1);
	return (0);
}

static int
remote_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return ((ntohl(s4->sin_addr.s_addr) >> 24) == 127);
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	}
	return (0);
}

/* Bind and listen on addr; the fd, or -1 with cause. */
static int
remote_listen(const char *addr, int tls, int insecure, char **cause)
{
	struct addrinfo	 hints, *res = NULL;
	char		*host = NULL, *port = NULL;
	int		 fd = -1, on = 1, rc;

	if (remote_split(addr, &host, &port, cause) == -1)
		return (-1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(*host != '\0' ? host : NULL, port, &hints,
	    &res)) != 0) {
		*cause = xasprintf("--listen %s: %s", addr, gai_strerror(rc));
		goto out;
	}
	if (!tls && !insecure && !remote_is_loopback(res->ai_addr)) {
		*cause = xasprintf("--listen %s is reachable from other "
		    "machines, and without TLS its tokens and logs would cross "
		    "the network in clear text: give --tls-cert and --tls-key, "
		    "or --insecure-listen if the network is trusted", addr);
		goto out;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol)) == -1) {
		*cause = xasprintf("--listen %s: socket: %s", addr,
		    strerror(errno));
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		*cause = xasprintf("--listen %s: %s%s", addr, strerror(errno),
		    errno == EADDRINUSE ? " (another program has this port; "
		    "pick another)" : "");
		close(fd);
		fd = -1;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return (fd);
}

static char *
remote_read_pem(const char *what, const char *path, char **cause)
{
	char	*data;
	size_t	 len;

	if ((data = read_file(path, REMOTE_MAX_PEM, &len)) == NULL) {
		*cause = xasprintf("%s %s: %s", what, path, strerror(errno));
		return (NULL);
	}
	if (strlen(data) != len || strstr(data, "-----BEGIN ") == NULL) {
		*cause = xasprintf("%s %s: not a PEM file", what, path);
		free(data);
		return (NULL);
	}
	return (data);
}

int
remote_open(const char *addr, const char *cert, const char *key,
    const char *tokens, int insecure, struct remote *r, char **cause)
{
	char	*path = NULL;
	int	 ret = -1;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	if ((cert == NULL) != (key == NULL)) {
		*cause = xstrdup("TLS needs both --tls-cert and --tls-key");
		return (-1);
	}
	if (cert != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) !=
	    MHD_YES) {
		*cause = xstrdup("--tls-cert: this libmicrohttpd was built "
		    "without TLS (GnuTLS); install one with HTTPS support or "
		    "listen on loopback without TLS");
		return (-1);
	}
	r->addr = xstrdup(addr);
	if (cert != NULL &&
	    ((r->cert_pem = remote_read_pem("--tls-cert", cert,
	    cause)) == NULL ||
	    (r->key_pem = remote_read_pem("--tls-key", key, cause)) == NULL))
		goto out;
	path = tokens != NULL ? xstrdup(tokens) : auth_default_path();
	if (auth_load(path, &r->auth, cause) == -1)
		goto out;
	if (auth_count(r->auth) == 0) {
		*cause = xasprintf("%s holds no tokens: add lines 'TOKEN "
		    "SCOPE[,SCOPE]' (scopes read, submit, admin)", path);
		goto out;
	}
	if ((r->fd = remote_listen(addr, cert != NULL, insecure,
	    cause)) == -1)
		goto out;
	ret = 0;
out:
	free(path);
	if (ret == -1)
		remote_free(r);
	return (ret);
}
