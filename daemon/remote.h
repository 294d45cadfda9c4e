/* remote.h -- the optional TCP listener: address, TLS material, tokens. */
#ifndef DAEMON_REMOTE_H
#define DAEMON_REMOTE_H

struct auth;

/* What the TCP listener serves with; see remote_open. */
struct remote {
	int		 fd;		/* listening socket */
	char		*addr;		/* as given, for messages */
	char		*cert_pem;	/* NULL: plain HTTP */
	char		*key_pem;
	struct auth	*auth;
};

/*
 * Listen on addr ("HOST:PORT", "[V6]:PORT") with TLS from cert and key
 * (PEM files; both or neither) and the tokens file tokens.  A host that is
 * not loopback needs TLS unless insecure.  0 with r filled (free with
 * remote_free), or -1 with cause (caller frees).
 */
int	remote_open(const char *addr, const char *cert, const char *key,
	    const char *tokens, int insecure, struct remote *r, char **cause);
/* Free what r holds; the fd is not closed (MHD takes it over). */
void	remote_free(struct remote *);

#endif
