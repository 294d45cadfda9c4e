/* stratus.c -- the stratus client: global options, socket path, dispatch. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/http.h"
#include "proto/util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0.1.0"
#endif

/* Print the overall usage to f. */
static void
usage(FILE *f)
{
	const struct cmd_entry	*c;

	fprintf(f, "usage: stratus [--socket PATH | --url URL [--token-file FILE]"
	    " [--cacert FILE]]\n              [--json] COMMAND ...\n\n");
	for (c = cmd_table; c->name != NULL; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->usage);
	fprintf(f, "\nSTRATUS_SOCKET overrides the default socket; "
	    "--socket overrides both.\n"
	    "STRATUS_URL, STRATUS_TOKEN and STRATUS_CACERT stand for --url, "
	    "the token and --cacert.\n");
}

/* "--name VALUE" or "--name=VALUE" at argv[*i] into *dst: 1, 0 when not
 * this option, -1 when its value is missing. */
static int
take_opt(int argc, char **argv, int *i, const char *name, char **dst)
{
	size_t	 n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return (0);
	if (argv[*i][n] == '=') {
		free(*dst);
		*dst = xstrdup(argv[*i] + n + 1);
		return (1);
	}
	if (argv[*i][n] != '\0')
		return (0);
	if (*i + 1 >= argc || *argv[*i + 1] == '\0') {
		fprintf(stderr, "stratus: %s wants a value\n", name);
		return (-1);
	}
	free(*dst);
	*dst = xstrdup(argv[++*i]);
	return (1);
}

/* The TCP URL, token and CA file from options and the environment. */
static int
setup_remote(struct http *h, const char *url, const char *token_file,
    const char *cacert)
{
	char	*tok = NULL;
	size_t	 len;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://",
	    8) != 0) {
		fprintf(stderr, "stratus: --url wants http://HOST:PORT or "
		    "https://HOST:PORT, not '%s'\n", url);
		return (-1);
	}
	if (token_file != NULL) {
		if ((tok = read_file(token_file, 4096, &len)) == NULL) {
			fprintf(stderr, "stratus: --token-file %s: %s\n",
			    token_file, strerror(errno));
			return (-1);
		}
		tok[strcspn(tok, "\r\n")] = '\0';
	} else if (getenv("STRATUS_TOKEN") != NULL)
		tok = xstrdup(getenv("STRATUS_TOKEN"));
	if (cacert == NULL)
		cacert = getenv("STRATUS_CACERT");
	http_set_remote(h, url, tok != NULL && *tok != '\0' ? tok : NULL,
	    cacert);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	return (0);
}

/* Options of commands that take an argument: never global options. */
static int
takes_arg(const char *opt)
{
	static const char	*opts[] = {
		"-f", "-e", "--file", "--env", "--env-file", "--project",
		"--state", "--priority", "--max-running",
		"--limit", "-p", "-s", "-n", NULL
	};
	int			 i;

	for (i = 0; opts[i] != NULL; i++) {
		if (strcmp(opt, opts[i]) == 0)
			return (1);
	}
	return (0);
}

/* The default socket; caller frees.  Sets *tmp for the /tmp fallback. */
static char *
default_socket(int *tmp)
{
	const char	*s;

	*tmp = 0;
	if ((s = getenv("STRATUS_SOCKET")) != NULL && *s != '\0')
		return (xstrdup(s));
	if ((s = getenv("XDG_RUNTIME_DIR")) != NULL && *s != '\0')
		return (xasprintf("%s/stratus/stratus.sock", s));
	*tmp = 1;
	return (xasprintf("/tmp/stratus-%u/stratus.sock", (unsigned)getuid()));
}

/* Refuse a shared-/tmp socket directory that another user could control. */
static int
check_tmp_dir(void)
{
	struct stat	 st;
	char		*dir;
	int		 rv = 0;

	dir = xasprintf("/tmp/stratus-%u", (unsigned)getuid());
	if (lstat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0)) {
		fprintf(stderr, "stratus: %s is not a private directory of "
		    "yours; not connecting\n", dir);
		rv = -1;
	}
	free(dir);
	return (rv);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*c;
	struct cmd_global	 g;
	char			**args, *sock = NULL, *url = NULL;
	char			 *token_file = NULL, *cacert = NULL;
	int			  nargs = 0, i, tmp = 0, rv, cmdseen = 0;

	memset(&g, 0, sizeof g);
	args = xcalloc((size_t)argc + 1, sizeof *args);

	/* Pull global options out wherever they are, up to "--". */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			for (; i < argc; i++)
				args[nargs++] = argv[i];
			break;
		}
		if (strcmp(argv[i], "--json") == 0) {
			g.json = 1;
			continue;
		}
		if ((rv = take_opt(argc, argv, &i, "--url", &url)) != 0 ||
		    (rv = take_opt(argc, argv, &i, "--token-file",
		    &token_file)) != 0 ||
		    (rv = take_opt(argc, argv, &i, "--cacert", &cacert)) != 0) {
			if (rv == -1) {
				rv = 2;
				goto out;
			}
			continue;
		}
		if (strcmp(argv[i], "--socket") == 0) {
			if (i + 1 >= argc || *argv[i + 1] == '\0') {
				fprintf(stderr, "stratus: --socket wants a "
				    "path\n");
				rv = 2;
				goto out;
			}
			free(sock);
			sock = xstrdup(argv[++i]);
			continue;
		}
		if (strncmp(argv[i], "--socket=", 9) == 0) {
			free(sock);
			sock = xstrdup(argv[i] + 9);
			continue;
		}
		if (!cmdseen && (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)) {
			usage(stdout);
			rv = 0;
			goto out;
		}
		if (!cmdseen && strcmp(argv[i], "--version") == 0) {
			printf("stratus %s\n", PACKAGE_VERSION);
			rv = 0;
			goto out;
		}
		if (!cmdseen && argv[i][0] == '-') {
			fprintf(stderr, "stratus: unknown option '%s'\n",
			    argv[i]);
			usage(stderr);
			rv = 2;
			goto out;
		}
		cmdseen = 1;
		args[nargs++] = argv[i];
		if (takes_arg(argv[i]) && i + 1 < argc)
			args[nargs++] = argv[++i];
	}
	if (nargs == 0) {
		usage(stderr);
		rv = 2;
		goto out;
	}
	if ((c = cmd_find(args[0])) == NULL) {
		fprintf(stderr, "stratus: unknown command '%s'\n", args[0]);
		usage(stderr);
		rv = 2;
		goto out;
	}

	if (url == NULL && sock == NULL && getenv("STRATUS_URL") != NULL &&
	    *getenv("STRATUS_URL") != '\0')
		url = xstrdup(getenv("STRATUS_URL"));
	if (url == NULL && sock == NULL) {
		sock = default_socket(&tmp);
		if (tmp && check_tmp_dir() != 0) {
			rv = 2;
			goto out;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "stratus: cannot initialise libcurl\n");
		rv = 2;
		goto out;
	}
	g.h = http_new(url != NULL ? url : sock);
	if (url != NULL && setup_remote(g.h, url, token_file, cacert) == -1)
		rv = 2;
	else
		rv = c->fn(&g, nargs, args);
	http_free(g.h);
	curl_global_cleanup();
out:
	free(sock);
	free(url);
	free(token_file);
	free(cacert);
	free(args);
	if (fflush(stdout) == EOF && rv == 0)
		rv = 2;
	return (rv);
}
