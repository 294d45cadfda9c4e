/* test_states.c -- the state table and a job's derived state. */
#include <criterion/criterion.h>

#include "proto/apierr.h"
#include "proto/states.h"

Test(states, names_round_trip)
{
	int	 i;

	for (i = 0; i < TASK_NSTATES; i++)
		cr_assert_eq(state_from_name(state_name(i)), i);
	cr_assert_eq(state_from_name("bogus"), -1);
	cr_assert_str_eq(state_name(TASK_ERRORED), "errored");
	cr_assert(state_finished(TASK_SKIPPED));
	cr_assert(!state_finished(TASK_RUNNING));
}

Test(states, job_state_is_derived)
{
	enum task_state	 a[] = { TASK_SUCCEEDED, TASK_RUNNING, TASK_QUEUED };
	enum task_state	 b[] = { TASK_SUCCEEDED, TASK_QUEUED };
	enum task_state	 c[] = { TASK_SUCCEEDED, TASK_FAILED, TASK_ERRORED };
	enum task_state	 d[] = { TASK_SUCCEEDED, TASK_FAILED, TASK_SKIPPED };
	enum task_state	 e[] = { TASK_SUCCEEDED, TASK_SKIPPED };
	int		 allow[] = { 0, 1, 0 };

	cr_assert_eq(state_job(a, NULL, 3), TASK_RUNNING);
	cr_assert_eq(state_job(b, NULL, 2), TASK_QUEUED);
	cr_assert_eq(state_job(c, NULL, 3), TASK_ERRORED);
	cr_assert_eq(state_job(d, NULL, 3), TASK_FAILED);
	cr_assert_eq(state_job(d, allow, 3), TASK_SUCCEEDED);
	cr_assert_eq(state_job(e, NULL, 2), TASK_SUCCEEDED);
}

Test(states, api_errors_have_codes_and_statuses)
{
	cr_assert_str_eq(apierr_code(APIERR_BAD_JSON), "bad_json");
	cr_assert_eq(apierr_status(APIERR_TOO_LARGE), 413);
	cr_assert_eq(apierr_status(APIERR_NOT_FOUND), 404);
	cr_assert_eq(apierr_status(APIERR_N), 500);
}
