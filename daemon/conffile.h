/* conffile.h -- stratusd's configuration file (YAML): parse, check, defaults. */
#ifndef DAEMON_CONFFILE_H
#define DAEMON_CONFFILE_H

#include <stddef.h>
#include <stdint.h>

/* Largest configuration file read. */
#define CONFFILE_MAX_FILE	(1u << 20)

struct conffile_project {
	char	*name;
	int	 jobs;		/* tasks of this project at once; 0: no limit */
};

/* Every field is "unset" (NULL or -1) until the file sets it. */
struct conffile {
	char			*path;		/* the file read, or NULL */
	char			*socket;
	char			*state_dir;
	char			*podman;
	char			*network;
	char			*listen;	/* TCP ADDR:PORT */
	char			*tls_cert;
	char			*tls_key;
	char			*tokens;	/* tokens file */
	int			 jobs;
	int			 grace_s;
	int64_t			 log_cap;	/* bytes per task log */
	int			 keep;		/* finished jobs kept */
	int			 keep_days;	/* finished jobs' age */
	int			 exit_idle_s;
	int64_t			 cache_max_mb;	/* cache budget; -1 unset */
	struct conffile_project	*projects;
	size_t			 nprojects;
};

/* $XDG_CONFIG_HOME/stratus/stratusd.yml (else ~/.config/...); caller frees. */
char	*conffile_default_path(void);
/* Set every field of c to unset. */
void	conffile_init(struct conffile *);
/*
 * Read path into c (initialised here).  A missing file is 1 (c left unset)
 * when !must_exist.  Errors are -1 with cause "path:line:column: message"
 * (caller frees); c is then freed.
 */
int	conffile_load(const char *path, int must_exist, struct conffile *,
	    char **cause);
/* Parse len bytes of YAML named name (for messages) into c; as above. */
int	conffile_parse(const char *name, const char *buf, size_t len,
	    struct conffile *, char **cause);
/* Free what c owns and set it unset. */
void	conffile_free(struct conffile *);

#endif
