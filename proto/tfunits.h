/* tfunits.h -- Cirrus quantities: timeout_in durations, memory sizes, CPUs. */
#ifndef PROTO_TFUNITS_H
#define PROTO_TFUNITS_H

#include <stdint.h>

#define TFUNITS_MAX_TIMEOUT_S	(7 * 24 * 3600)

/* "30s", "5m", "1h", "1h30m" or bare minutes into seconds, at most
 * TFUNITS_MAX_TIMEOUT_S; 0, or -1 with *out untouched. */
int	 tfunits_timeout(const char *, int64_t *out);
/* "4G", "512Mi", "2048" (MB) into MB; 0, or -1 with *out untouched. */
int	 tfunits_memory(const char *, int64_t *out);
/* "0.5", "4" CPUs, above 0 and at most 1024; 0, or -1 with *out
 * untouched. */
int	 tfunits_cpu(const char *, double *out);

#endif
