/* fuzz_taskfile.c -- libFuzzer target for taskfile_parse and tfjson. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "proto/taskfile.h"
#include "proto/tfjson.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse, and on success exercise the JSON round trip of every task. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*changed[] = { "src/a.c", "docs/x.md" };
	struct tf_env		 env = { NULL, 0 };
	struct tf_context	 ctx = { &env, changed, 2, NULL };
	struct taskfile		*tf = NULL;
	struct tf_error		 err;
	struct tf_task		 back;
	cJSON			*j;
	char			*cause = NULL, msg[1024];
	size_t			 i;

	tf_env_set(&env, "CIRRUS_BRANCH", "main");
	if (taskfile_parse("fuzz.yml", (const char *)data, size, &ctx, &tf,
	    &err) == 0) {
		for (i = 0; i < tf->ntasks; i++) {
			j = tfjson_task(&tf->tasks[i]);
			if (tfjson_task_parse(j, &back, &cause) == 0)
				tf_task_free(&back);
			else
				abort();	/* our own output must parse */
			cJSON_Delete(j);
		}
		j = tfjson_taskfile(tf);
		cJSON_Delete(j);
		taskfile_free(tf);
	} else
		tf_error_format(&err, msg, sizeof msg);
	tf_env_free(&env);
	return 0;
}
