/* sock.h -- the daemon's private unix socket and default paths. */
#ifndef DAEMON_SOCK_H
#define DAEMON_SOCK_H

/* Default socket path ($XDG_RUNTIME_DIR/stratus/stratus.sock, else
 * /tmp/stratus-UID/stratus.sock); caller frees. */
char	*sock_default_path(void);
/* Default state dir ($XDG_STATE_HOME/stratus, else ~/.local/state/stratus);
 * caller frees. */
char	*sock_default_state_dir(void);
/*
 * Create and listen on path.  Its directory is created 0700 if missing and
 * must be owned by us and not group/world-writable (else -1 and cause).  A
 * stale socket (nobody answering) is replaced; a live one is an error.
 * Returns the listening fd or -1 with *cause (caller frees).
 */
int	sock_listen(const char *path, char **cause);

#endif
