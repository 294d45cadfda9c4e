/* secrets.h -- the user's named secrets: stored 0600, resolved into tasks, masked in logs. */
#ifndef DAEMON_SECRETS_H
#define DAEMON_SECRETS_H

#include <stddef.h>

#define SECRETS_MAX_VALUE	(64u << 10)
#define SECRETS_MAX_NAME	256
#define SECRETS_MASK		"[MASKED]"
#define SECRETS_MASK_MAX	4096	/* values one mask hides */

/*
 * Secrets live in dir (created 0700), one 0600 file per secret whose name
 * is the hex of the secret's name, so any name is a safe file name.  Names
 * are 1..SECRETS_MAX_NAME bytes without control characters.  Every function
 * returns 0, or -1 with cause (caller frees); get and remove return 1 when
 * there is no such secret.
 */
int	secrets_valid_name(const char *);
int	secrets_set(const char *dir, const char *name, const void *value,
	    size_t len, char **cause);
int	secrets_get(const char *dir, const char *name, char **value,
	    char **cause);
int	secrets_remove(const char *dir, const char *name, char **cause);
/* Names, sorted, into *names (caller frees each and the array). */
int	secrets_list(const char *dir, char ***names, size_t *n, char **cause);

/*
 * If value is a reference, ENCRYPTED[NAME] or VAULT[NAME] (whole value,
 * spaces around NAME ignored), set *name (caller frees) and return 1; else
 * 0.
 */
int	secrets_reference(const char *value, char **name);

/*
 * Replaces secret values by SECRETS_MASK in a stream of output cut at
 * arbitrary places: up to the longest value minus one byte is held back
 * until more output or a flush decides it.
 */
struct secrets_mask;
typedef void (*secrets_out_cb)(const char *, size_t, void *);

struct secrets_mask *secrets_mask_new(secrets_out_cb, void *arg);
/* Add a value to hide (copied); empty values, values already there and
 * values past the first SECRETS_MASK_MAX are ignored. */
void	secrets_mask_add(struct secrets_mask *, const char *value);
void	secrets_mask_feed(struct secrets_mask *, const char *, size_t);
void	secrets_mask_flush(struct secrets_mask *);
/* Flushes, then frees; NULL is fine. */
void	secrets_mask_free(struct secrets_mask *);

#endif
