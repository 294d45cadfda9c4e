/* util.h -- allocation, strings and capped buffers shared by every program. */
#ifndef PROTO_UTIL_H
#define PROTO_UTIL_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The number of elements of an array (not a pointer). */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Allocators that abort with a message on exhaustion: out of memory is a
 * broken invariant for a build daemon, not a recoverable error. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Free n strings and the array holding them; NULL is fine. */
void	 strv_free(char **, size_t n);
/* Return a newly allocated formatted string; caller frees. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list);

/* Growable byte buffer with a hard cap (curl's dynbuf idea).  Always NUL
 * terminated after the data so text can be used as a C string. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	size_t	 cap;	/* maximum len; 0 means no cap */
};
void	 buf_init(struct buf *, size_t cap);
/* Append; returns 0, or -1 when the cap would be exceeded (nothing appended). */
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char	*buf_steal(struct buf *, size_t *);
void	 buf_free(struct buf *);

/* Monotonic and wall clocks in milliseconds. */
int64_t	 now_mono_ms(void);
int64_t	 now_wall_ms(void);
/* Format a wall-clock ms time as RFC 3339 UTC into out (at least 32 bytes). */
void	 format_time(int64_t, char *, size_t);
/* Format a duration in ms as "1.2s", "3m04s" into out. */
void	 format_duration(int64_t, char *, size_t);

/* Parse a whole decimal integer in [min, max]; 0 or -1 (errno set). */
int	 parse_int64(const char *, int64_t, int64_t, int64_t *);
/* Create a directory and its parents with mode; 0 or -1. */
int	 mkdir_p(const char *, int mode);
/* mkdir_p, then check that the path is a directory: 0, or -1 with errno
 * and *cause (caller frees) naming the path. */
int	 mkdir_dir(const char *, int mode, char **cause);
/* $var/sub when $var is an absolute path, else $HOME/fallback/sub (the
 * password file's home when $HOME is unset): XDG base directories.
 * Caller frees. */
char	*xdg_path(const char *var, const char *fallback, const char *sub);
/* Read a whole file up to cap bytes; returns malloc'd data or NULL (errno). */
char	*read_file(const char *, size_t cap, size_t *);
/* Write all bytes to fd, retrying on EINTR and short writes; 0 or -1. */
int	 write_all(int, const void *, size_t);
/* pread size bytes at off, fewer only at end of file, retrying on EINTR
 * and short reads; the bytes read, or -1. */
ssize_t	 pread_all(int, void *, size_t, int64_t);
/* Single-quote a string for /bin/sh; caller frees. */
char	*shell_quote(const char *);
/*
 * Double-quote a string for /bin/sh so that only $NAME and ${NAME} expand
 * (no commands, no other parameter forms); with tilde, a leading "~/" or a
 * lone "~" becomes $HOME.  Caller frees.
 */
char	*shell_quote_vars(const char *, int tilde);
/* 1 when s names a variable as shell_quote_vars expands them. */
int	 shell_has_vars(const char *s);
/* 1 when the n bytes at s are a log line stamp as stratusd writes them:
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (api.h API_STAMP_LEN). */
int	 stamp_is_valid(const char *s, size_t n);
/* 1 when s is a shell variable name: [A-Za-z_][A-Za-z0-9_]*. */
int	 shell_is_name(const char *s);

#endif
