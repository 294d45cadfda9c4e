/* states.c -- names and job derivation of the shared task state table. */
#include <string.h>

#include "proto/states.h"

static const struct {
	const char	*name;
	int		 finished;
} states[] = {
#define X(e, n, f) { n, f },
	TASK_STATES(X)
#undef X
};

const char *
state_name(enum task_state s)
{
	if ((int)s < 0 || s >= TASK_NSTATES)
		return ("unknown");
	return (states[s].name);
}

int
state_from_name(const char *name)
{
	int	 i;

	for (i = 0; i < TASK_NSTATES; i++) {
		if (strcmp(states[i].name, name) == 0)
			return (i);
	}
	return (-1);
}

int
state_finished(enum task_state s)
{
	if ((int)s < 0 || s >= TASK_NSTATES)
		return (0);
	return (states[s].finished);
}

enum task_state
state_job(const enum task_state *t, const int *allow_failures, int n)
{
	int	 i, running = 0, queued = 0, errored = 0, failed = 0;
	int	 cancelled = 0;

	for (i = 0; i < n; i++) {
		switch (t[i]) {
		case TASK_RUNNING:
			running++;
			break;
		case TASK_QUEUED:
			queued++;
			break;
		case TASK_ERRORED:
			if (allow_failures == NULL || !allow_failures[i])
				errored++;
			break;
		case TASK_FAILED:
			if (allow_failures == NULL || !allow_failures[i])
				failed++;
			break;
		case TASK_CANCELLED:
			cancelled++;
			break;
		default:
			break;
		}
	}
	if (running)
		return (TASK_RUNNING);
	if (queued)
		return (TASK_QUEUED);
	if (errored)
		return (TASK_ERRORED);
	if (failed)
		return (TASK_FAILED);
	if (cancelled)
		return (TASK_CANCELLED);
	return (TASK_SUCCEEDED);
}
