/* apiresp.h -- how every API route answers: bodies, JSON and error objects. */
#ifndef DAEMON_APIRESP_H
#define DAEMON_APIRESP_H

#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "proto/apierr.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

/* Answer with body (malloc'd, handed over even on failure) of type. */
mhd_result	apiresp_send(struct MHD_Connection *, int status,
		    const char *type, char *body, size_t len);
/* Answer with JSON o (consumed). */
mhd_result	apiresp_json(struct MHD_Connection *, int status, cJSON *o);
/* Answer {"error":{"code","message"}} with the code's status. */
mhd_result	apiresp_error(struct MHD_Connection *, enum apierr code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The answer for a store failure, logged: cause consumed. */
mhd_result	apiresp_store_error(struct MHD_Connection *, char *cause);

/* Set *o to the object {"error":{"code","message"}} (caller deletes) and
 * return the code's HTTP status: for routes that answer without a
 * connection. */
int		apiresp_error_json(cJSON **o, enum apierr code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int		apiresp_error_jsonv(cJSON **o, enum apierr code, const char *fmt,
		    va_list ap) __attribute__((format(printf, 3, 0)));

#endif
