/* jobenv.c -- checks a submission's git variables and merges them into tasks. */
#include <stdlib.h>
#include <string.h>

#include "daemon/jobenv.h"
#include "proto/util.h"

int
jobenv_git(const cJSON *git, struct tf_env *out, char **cause)
{
	const cJSON	*it;
	const char	*k;
	size_t		 n = 0;

	if (git == NULL || cJSON_IsNull(git))
		return (0);
	if (!cJSON_IsObject(git)) {
		*cause = xstrdup("'git' must be an object of strings");
		return (-1);
	}
	cJSON_ArrayForEach(it, git) {
		k = it->string;
		if (++n > JOBENV_MAX_VARS) {
			*cause = xasprintf("'git' has more than %d variables",
			    JOBENV_MAX_VARS);
			return (-1);
		}
		if (k == NULL || strncmp(k, "CIRRUS_", 7) != 0 ||
		    k[7] == '\0' || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_") != strlen(k)) {
			*cause = xasprintf("'git' variable '%s' is not a "
			    "CIRRUS_ name", k != NULL ? k : "");
			return (-1);
		}
		if (!cJSON_IsString(it) ||
		    strlen(it->valuestring) > JOBENV_MAX_VALUE) {
			*cause = xasprintf("'git' variable %s must be a string "
			    "of at most %u bytes", k, JOBENV_MAX_VALUE);
			return (-1);
		}
	}
	cJSON_ArrayForEach(it, git)
		tf_env_set(out, it->string, it->valuestring);
	return (0);
}

void
jobenv_prepend(struct tf_task *t, const struct tf_env *pre)
{
	struct tf_env	 env = { NULL, 0 };
	size_t		 i;

	if (pre->n == 0)
		return;
	for (i = 0; i < pre->n; i++)
		tf_env_set(&env, pre->v[i].key, pre->v[i].value);
	for (i = 0; i < t->env.n; i++)
		tf_env_set(&env, t->env.v[i].key, t->env.v[i].value);
	tf_env_free(&t->env);
	t->env = env;
}
