/* tfunits.c -- Cirrus quantities: timeout_in durations, memory sizes, CPUs. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tfunits.h"

/* Parse "30s", "5m", "1h", "1h30m" or minutes; 0 or -1. */
int
tfunits_timeout(const char *s, int64_t *out)
{
	int64_t		 total = 0, v, mult;
	const char	*p = s;

	if (*p == '\0')
		return (-1);
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return (-1);
		for (v = 0; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > TFUNITS_MAX_TIMEOUT_S)
				return (-1);
		}
		switch (*p) {
		case 's':
			mult = 1;
			p++;
			break;
		case 'm':
			mult = 60;
			p++;
			break;
		case 'h':
			mult = 3600;
			p++;
			break;
		case '\0':
			if (p - s != (ptrdiff_t)strlen(s) || total != 0)
				return (-1);
			mult = 60;	/* bare number: minutes */
			break;
		default:
			return (-1);
		}
		total += v * mult;
		if (total > TFUNITS_MAX_TIMEOUT_S)
			return (-1);
	}
	if (total <= 0)
		return (-1);
	*out = total;
	return (0);
}

/* Parse "4G", "512Mi", "2048" (MB) into MB; 0 or -1. */
int
tfunits_memory(const char *s, int64_t *out)
{
	char	*end;
	double	 v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v <= 0 ||
	    !isdigit((unsigned char)*s))
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mult = 1.0 / 1024;
		end++;
		break;
	case 'M':
	case 'm':
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1024;
		end++;
		break;
	case 'T':
	case 't':
		mult = 1024 * 1024;
		end++;
		break;
	default:
		return (-1);
	}
	if (*end == 'i' || *end == 'B' || *end == 'b')
		end++;
	if (*end != '\0')
		return (-1);
	v *= mult;
	if (v < 1 || v > 64.0 * 1024 * 1024)
		return (-1);
	*out = (int64_t)v;
	return (0);
}

/* Parse a number of CPUs; 0 or -1. */
int
tfunits_cpu(const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v <= 0 || v > 1024)
		return (-1);
	*out = v;
	return (0);
}
