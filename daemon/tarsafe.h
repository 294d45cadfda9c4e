/* tarsafe.h -- extract archives that come out of containers without trusting them. */
#ifndef DAEMON_TARSAFE_H
#define DAEMON_TARSAFE_H

#include <stddef.h>
#include <stdint.h>

/*
 * What an extraction accepts and where its verdicts go.  map turns an entry
 * name into the path (relative to the destination) it is written to, or
 * NULL to leave it out (silently); NULL map keeps names as they are.  Its
 * result is malloc'd and freed by tarsafe.  reject hears every refused entry
 * with a sentence saying why.
 */
struct tarsafe_opts {
	uint64_t	  max_entry;	/* bytes of one file; 0: no cap */
	uint64_t	  max_total;	/* bytes written in all; 0: no cap */
	uint64_t	  max_entries;	/* 0: no cap */
	char		*(*map)(const char *name, int isdir, void *arg);
	void		 (*reject)(const char *name, const char *why, void *arg);
	void		 *arg;
};

struct tarsafe_stats {
	uint64_t	 files;		/* regular files written */
	uint64_t	 bytes;
	uint64_t	 rejected;
};

/*
 * Check one entry name: relative, no "..", no empty name.  0, or -1 with a
 * static reason in *why.
 */
int	tarsafe_check_name(const char *name, const char **why);
/* Check that a symlink at name with target stays below the root: 0 or -1. */
int	tarsafe_check_link(const char *name, const char *target,
	    const char **why);

/*
 * Extract the tar in buf (len bytes) below the existing directory dir.
 * Entries with absolute names, "..", links leaving dir, hard links, devices,
 * fifos, or files above max_entry are refused (reject is told) and the rest
 * goes on.  Nothing is ever written through a symlink.  0 with *st filled,
 * or -1 with cause (caller frees) when the archive is unreadable, the total
 * cap or entry cap is passed, or the disk fails.
 */
int	tarsafe_extract(const void *buf, size_t len, const char *dir,
	    const struct tarsafe_opts *, struct tarsafe_stats *st, char **cause);

#endif
