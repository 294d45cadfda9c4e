/* doctor.h -- `stratus doctor`: is this machine ready for rootless builds? */
#ifndef CLIENT_DOCTOR_H
#define CLIENT_DOCTOR_H

#include "client/cmd.h"

/* stratus doctor [--podman URL]: 0 when nothing failed, 1 otherwise. */
int	cmd_doctor(struct cmd_global *, int argc, char **argv);

#ifdef UNITTEST
struct doctor_ulimit {
	char		name[16];
	long long	soft, hard;
};
int	doctor_parse_ulimits(const char *text, struct doctor_ulimit *, int max);
int	doctor_subid_count(const char *text, const char *user, unsigned uid,
	    unsigned long long *count);
#endif

#endif
