/* tfsidecar.h -- container: additional_containers: parsed, to and from
 * JSON. */
#ifndef PROTO_TFSIDECAR_H
#define PROTO_TFSIDECAR_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "proto/taskfile.h"

#define TFSIDECAR_MAX		16	/* additional containers per task */
#define TFSIDECAR_NAME_MAX	63

struct node;
struct yamltree_ctx;

/*
 * Append the entries of an additional_containers: sequence n to *v / *nv
 * (the caller's: free with tf_sidecars_free).  Errors go to yt with their
 * position (-1); what is parsed but not used here goes to warn (its text
 * is the caller's to copy).
 */
int	tfsidecar_parse(struct yamltree_ctx *yt, const struct node *n,
	    void (*warn)(void *, const struct node *, const char *),
	    void *warnarg, struct tf_sidecar **v, size_t *nv);

/* Every field, as an array; the caller frees with cJSON_Delete. */
cJSON	*tfsidecar_json(const struct tf_sidecar *v, size_t n);
/* Rebuild from tfsidecar_json's output (NULL or null: none) into *v /
 * *nv; 0, or -1 with cause (caller frees) and nothing allocated. */
int	tfsidecar_json_parse(const cJSON *a, struct tf_sidecar **v,
	    size_t *nv, char **cause);

#endif
