/* apiresp.c -- how every API route answers: bodies, JSON and error objects. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/apiresp.h"
#include "proto/log.h"
#include "proto/util.h"

mhd_result
apiresp_send(struct MHD_Connection *c, int status, const char *type, char *body,
    size_t len)
{
	struct MHD_Response	*r;
	mhd_result		 ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return (MHD_NO);
	}
	if (MHD_add_response_header(r, "Content-Type", type) == MHD_NO) {
		MHD_destroy_response(r);
		return (MHD_NO);
	}
	ret = MHD_queue_response(c, (unsigned int)status, r);
	MHD_destroy_response(r);
	return (ret);
}

mhd_result
apiresp_json(struct MHD_Connection *c, int status, cJSON *o)
{
	char	*s;

	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return (MHD_NO);
	return (apiresp_send(c, status, "application/json", s, strlen(s)));
}

int
apiresp_error_jsonv(cJSON **o, enum apierr code, const char *fmt, va_list ap)
{
	cJSON	*e;
	char	*msg;

	msg = xvasprintf(fmt, ap);
	*o = cJSON_CreateObject();
	e = cJSON_AddObjectToObject(*o, "error");
	cJSON_AddStringToObject(e, "code", apierr_code(code));
	cJSON_AddStringToObject(e, "message", msg);
	free(msg);
	return (apierr_status(code));
}

int
apiresp_error_json(cJSON **o, enum apierr code, const char *fmt, ...)
{
	va_list	 ap;
	int	 status;

	va_start(ap, fmt);
	status = apiresp_error_jsonv(o, code, fmt, ap);
	va_end(ap);
	return (status);
}

mhd_result
apiresp_error(struct MHD_Connection *c, enum apierr code, const char *fmt, ...)
{
	cJSON	*o;
	va_list	 ap;
	int	 status;

	va_start(ap, fmt);
	status = apiresp_error_jsonv(&o, code, fmt, ap);
	va_end(ap);
	return (apiresp_json(c, status, o));
}

mhd_result
apiresp_store_error(struct MHD_Connection *c, char *cause)
{
	mhd_result	 r;

	log_warnx("store: %s", cause);
	r = apiresp_error(c, APIERR_INTERNAL, "store: %s", cause);
	free(cause);
	return (r);
}
