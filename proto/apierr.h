/* apierr.h -- API error codes: one table for the daemon and the client. */
#ifndef PROTO_APIERR_H
#define PROTO_APIERR_H

/* X(enum, code string, HTTP status) */
#define API_ERRORS(X)						\
	X(APIERR_BAD_REQUEST,	"bad_request",		400)	\
	X(APIERR_BAD_JSON,	"bad_json",		400)	\
	X(APIERR_BAD_TASKFILE,	"bad_taskfile",		422)	\
	X(APIERR_UNAUTHORIZED,	"unauthorized",		401)	\
	X(APIERR_FORBIDDEN,	"forbidden",		403)	\
	X(APIERR_NOT_FOUND,	"not_found",		404)	\
	X(APIERR_METHOD,	"method_not_allowed",	405)	\
	X(APIERR_CONFLICT,	"conflict",		409)	\
	X(APIERR_TOO_LARGE,	"payload_too_large",	413)	\
	X(APIERR_BAD_DIGEST,	"digest_mismatch",	422)	\
	X(APIERR_INTERNAL,	"internal",		500)	\
	X(APIERR_UNAVAILABLE,	"unavailable",		503)

enum apierr {
#define X(e, c, s) e,
	API_ERRORS(X)
#undef X
	APIERR_N
};

const char	*apierr_code(enum apierr);
int		 apierr_status(enum apierr);

#endif
