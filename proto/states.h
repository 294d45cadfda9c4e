/* states.h -- the task state table shared by SQL, JSON and the client. */
#ifndef PROTO_STATES_H
#define PROTO_STATES_H

/* X(enum, name, finished).  Bump API_VERSION in api.h when these change. */
#define TASK_STATES(X)					\
	X(TASK_QUEUED,		"queued",	0)	\
	X(TASK_RUNNING,		"running",	0)	\
	X(TASK_SUCCEEDED,	"succeeded",	1)	\
	X(TASK_FAILED,		"failed",	1)	\
	X(TASK_CANCELLED,	"cancelled",	1)	\
	X(TASK_SKIPPED,		"skipped",	1)	\
	X(TASK_ERRORED,		"errored",	1)

enum task_state {
#define X(e, n, f) e,
	TASK_STATES(X)
#undef X
	TASK_NSTATES
};

/* Step states reuse the task table (a step is queued/running/succeeded/...). */

const char	*state_name(enum task_state);
/* Return the state for a name, or -1 when unknown. */
int		 state_from_name(const char *);
int		 state_finished(enum task_state);
/* Derive a job's state from its tasks' states: running if any runs, queued
 * while any waits and none runs, else errored > failed > cancelled >
 * succeeded (skipped tasks count as succeeded when others succeeded). */
enum task_state	 state_job(const enum task_state *, const int *allow_failures,
		    int ntasks);

#endif
