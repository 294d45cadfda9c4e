/* auth.c -- bearer tokens with scopes: the tokens file, lookup and routes. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "proto/api.h"
#include "proto/sha256.h"
#include "proto/util.h"

/* Tokens are kept as digests: compared in fixed size, never as text. */
struct auth_token {
	unsigned char	 digest[SHA256_LEN];
	int		 scopes;	/* with implied scopes */
};

struct auth {
	struct auth_token	*tokens;	/* owned */
	size_t			 n;
};

char *
auth_default_path(void)
{
	return (xdg_path("XDG_CONFIG_HOME", ".config", "stratus/tokens"));
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->tokens != NULL)
		explicit_bzero(a->tokens, a->n * sizeof *a->tokens);
	free(a->tokens);
	free(a);
}

size_t
auth_count(const struct auth *a)
{
	return (a->n);
}

const char *
auth_scope_name(int s)
{
	if (s & AUTH_ADMIN)
		return ("admin");
	if (s & AUTH_SUBMIT)
		return ("submit");
	return ("read");
}

/* "read,submit" into scope bits with implied scopes; -1 on a bad name. */
static int
auth_parse_scopes(const char *s, size_t len, int *out, char **bad)
{
	const char	*end = s + len, *comma;
	size_t		 n;
	int		 bits = 0;

	while (s < end) {
		comma = memchr(s, ',', (size_t)(end - s));
		n = comma != NULL ? (size_t)(comma - s) : (size_t)(end - s);
		if (n == 4 && strncmp(s, "read", 4) == 0)
			bits |= AUTH_READ;
		else if (n == 6 && strncmp(s, "submit", 6) == 0)
			bits |= AUTH_SUBMIT | AUTH_READ;
		else if (n == 5 && strncmp(s, "admin", 5) == 0)
			bits |= AUTH_ADMIN | AUTH_SUBMIT | AUTH_READ;
		else {
			*bad = xstrndup(s, n);
			return (-1);
		}
		s += n + (comma != NULL);
	}
	if (bits == 0) {
		*bad = xstrdup("");
		return (-1);
	}
	*out = bits;
	return (0);
}

int
auth_parse(const char *name, const char *buf, size_t len, struct auth **out,
    char **cause)
{
	struct auth	*a;
	const char	*p = buf, *end = buf + len, *nl, *tok, *sc;
	char		*bad = NULL;
	size_t		 line = 0, ll, tlen, slen, cap = 0;
	int		 bits;

	a = xcalloc(1, sizeof *a);
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		tok = p;
		p = nl != NULL ? nl + 1 : end;
		if (ll > 0 && tok[ll - 1] == '\r')
			ll--;
		while (ll > 0 && (*tok == ' ' || *tok == '\t')) {
			tok++;
			ll--;
		}
		while (ll > 0 && (tok[ll - 1] == ' ' || tok[ll - 1] == '\t'))
			ll--;
		if (ll == 0 || *tok == '#')
			continue;
		for (tlen = 0; tlen < ll && tok[tlen] != ' ' &&
		    tok[tlen] != '\t'; tlen++)
			;
		sc = tok + tlen;
		while (sc < tok + ll && (*sc == ' ' || *sc == '\t'))
			sc++;
		slen = (size_t)(tok + ll - sc);
		if (slen == 0) {
			*cause = xasprintf("%s:%zu: want 'TOKEN SCOPE[,SCOPE]' "
			    "with scopes read, submit or admin", name, line);
			goto fail;
		}
		if (memchr(sc, ' ', slen) != NULL ||
		    memchr(sc, '\t', slen) != NULL) {
			*cause = xasprintf("%s:%zu: spaces in the scope list; "
			    "write scopes as read,submit", name, line);
			goto fail;
		}
		if (tlen < 16) {
			*cause = xasprintf("%s:%zu: token shorter than 16 "
			    "characters; make one with 'openssl rand -hex 32'",
			    name, line);
			goto fail;
		}
		if (auth_parse_scopes(sc, slen, &bits, &bad) == -1) {
			*cause = xasprintf("%s:%zu: unknown scope '%s' (want "
			    "read, submit or admin)", name, line, bad);
			free(bad);
			goto fail;
		}
		if (a->n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			a->tokens = xreallocarray(a->tokens, cap,
			    sizeof *a->tokens);
		}
		sha256(tok, tlen, a->tokens[a->n].digest);
		a->tokens[a->n].scopes = bits;
		a->n++;
	}
	*out = a;
	return (0);
fail:
	auth_free(a);
	return (-1);
}

int
auth_load(const char *path, struct auth **out, char **cause)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len;
	int		 fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*cause = xasprintf("%s: %s; create it (mode 0600) with lines "
		    "'TOKEN SCOPE[,SCOPE]'", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		*cause = xasprintf("%s: mode %04o lets others read the tokens; "
		    "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 07777),
		    path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		*cause = xasprintf("%s: owned by uid %u, not by us (uid %u)",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if ((data = read_file(path, AUTH_MAX_FILE, &len)) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	r = auth_parse(path, data, len, out, cause);
	explicit_bzero(data, len);
out:
	free(data);
	if (close(fd) == -1 && r == 0) {
		auth_free(*out);
		*out = NULL;
		*cause = xasprintf("close %s: %s", path, strerror(errno));
		r = -1;
	}
	return (r);
}

int
auth_lookup(const struct auth *a, const char *token)
{
	unsigned char	 d[SHA256_LEN];
	size_t		 i, j;
	unsigned int	 diff, match;
	int		 scopes = 0;

	sha256(token, strlen(token), d);
	for (i = 0; i < a->n; i++) {
		diff = 0;
		for (j = 0; j < SHA256_LEN; j++)
			diff |= (unsigned int)(a->tokens[i].digest[j] ^ d[j]);
		/* all ones when diff is 0, else 0: no branch on the bytes */
		match = ((diff - 1) >> 8) & 1;
		scopes |= (int)(0U - match) & a->tokens[i].scopes;
	}
	explicit_bzero(d, sizeof d);
	return (scopes);
}

int
auth_scope_for(const char *method, const char *url)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return (AUTH_READ);
	if (strcmp(method, "POST") == 0 && (strcmp(url, API_PREFIX
	    "/jobs") == 0 || strcmp(url, API_PREFIX "/jobs/") == 0))
		return (AUTH_SUBMIT);
	if (strcmp(method, "PUT") == 0 && strncmp(url, API_PREFIX "/blobs/",
	    sizeof(API_PREFIX "/blobs/") - 1) == 0)
		return (AUTH_SUBMIT);
	return (AUTH_ADMIN);
}

int
auth_check(const struct auth *a, const char *authorization,
    const char *method, const char *url, enum apierr *code, char **cause)
{
	const char	*tok;
	int		 need, have;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ",
	    7) != 0) {
		*code = APIERR_UNAUTHORIZED;
		*cause = xstrdup("this listener needs a token: send "
		    "'Authorization: Bearer TOKEN' (stratus: set STRATUS_TOKEN "
		    "or pass --token-file FILE)");
		return (-1);
	}
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	need = auth_scope_for(method, url);
	if ((have = auth_lookup(a, tok)) == 0) {
		*code = APIERR_UNAUTHORIZED;
		*cause = xstrdup("unknown token: check STRATUS_TOKEN or "
		    "--token-file against the daemon's tokens file");
		return (-1);
	}
	if ((have & need) == 0) {
		*code = APIERR_FORBIDDEN;
		*cause = xasprintf("%s %s needs a token with the %s scope",
		    method, url, auth_scope_name(need));
		return (-1);
	}
	return (0);
}
