/* auth.h -- bearer tokens with scopes for the TCP listener. */
#ifndef DAEMON_AUTH_H
#define DAEMON_AUTH_H

#include <stddef.h>

#include "proto/apierr.h"

/* Scopes, as bits; admin implies submit, submit implies read. */
#define AUTH_READ	0x1
#define AUTH_SUBMIT	0x2
#define AUTH_ADMIN	0x4

/* Largest tokens file read. */
#define AUTH_MAX_FILE	(1u << 20)

struct auth;

/* $XDG_CONFIG_HOME/stratus/tokens (else ~/.config/...); caller frees. */
char	*auth_default_path(void);
/*
 * Read the tokens file at path: it must be a regular file of mode 0600 (no
 * group or other bits).  Lines are "TOKEN SCOPE[,SCOPE]"; blank lines and
 * lines starting with # are skipped.  0 and *out (free with auth_free), or
 * -1 with cause "path:line: message" (caller frees).
 */
int	auth_load(const char *path, struct auth **out, char **cause);
/* Parse len bytes named name (for messages); as auth_load without the mode
 * check. */
int	auth_parse(const char *name, const char *buf, size_t len,
	    struct auth **out, char **cause);
void	auth_free(struct auth *);
/* Number of tokens held. */
size_t	auth_count(const struct auth *);
/*
 * The scope bits (with implied scopes) of token, or 0 when no token matches.
 * Compares against every token in constant time per token, whatever the
 * input: no early exit.
 */
int	auth_lookup(const struct auth *, const char *token);
/* The scope a request needs: AUTH_READ, AUTH_SUBMIT or AUTH_ADMIN. */
int	auth_scope_for(const char *method, const char *url);
/*
 * Check a request's Authorization header value (NULL when absent) against
 * the scope the route needs.  0 when allowed, else -1 with *code
 * (APIERR_UNAUTHORIZED or APIERR_FORBIDDEN) and cause (caller frees).
 */
int	auth_check(const struct auth *, const char *authorization,
	    const char *method, const char *url, enum apierr *code,
	    char **cause);
/* "read", "submit" or "admin" for one scope bit. */
const char *auth_scope_name(int);

#endif
