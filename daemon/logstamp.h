/* logstamp.h -- a task log read with the time each line arrived before it. */
#ifndef DAEMON_LOGSTAMP_H
#define DAEMON_LOGSTAMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/logtimes.h"

struct logstore;
struct logstamp;

/* Bytes put before each line: a stamp (logtimes_format) and a space. */
#define LOGSTAMP_PREFIX	(LOGTIMES_STAMP_LEN + 1)

/*
 * Read the log of a task attempt from byte off with each line that starts
 * at or after off prefixed by the time stratusd received its first byte
 * (doc/log-format.md, "Timestamps").  The store must outlive the reader.
 */
struct logstamp	*logstamp_new(struct logstore *, int64_t job, int64_t task,
		    int attempt, int64_t off);
void		 logstamp_free(struct logstamp *);
/*
 * As logstore_read, but from where the last read stopped: up to max bytes
 * of stamped output into buf (0: none now, *finished as there), or -1
 * with errno.
 */
ssize_t		 logstamp_read(struct logstamp *, char *buf, size_t max,
		    int wait_ms, int *finished);

#endif
