/* apierr.c -- codes and HTTP statuses of the API error table. */
#include "proto/apierr.h"

static const struct {
	const char	*code;
	int		 status;
} apierrs[] = {
#define X(e, c, s) { c, s },
	API_ERRORS(X)
#undef X
};

const char *
apierr_code(enum apierr e)
{
	if ((int)e < 0 || e >= APIERR_N)
		return ("internal");
	return (apierrs[e].code);
}

int
apierr_status(enum apierr e)
{
	if ((int)e < 0 || e >= APIERR_N)
		return (500);
	return (apierrs[e].status);
}
