/* test_cachestate.c -- cache keys and restored folders recorded as JSON. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "daemon/cachestate.h"

static char *const	 two[] = { "deps", "~/.cache/pip" };
static char *const	 sha[] = { "ab12", NULL };
static const struct cachestate	 sample[] = {
	{ "deps", "deps:k1", two, sha, 2 },
	{ "other", "other:task t", two, (char *const[]){ NULL, NULL }, 1 },
};

Test(cachestate, round_trips_keys_and_restored_folders)
{
	char	*json, *key = NULL, *r[2] = { NULL, NULL }, *cause = NULL;

	json = cachestate_encode(sample, 2);
	cr_assert_eq(cachestate_find(json, "deps", two, 2, &key, r, &cause),
	    0, "%s", cause);
	cr_assert_str_eq(key, "deps:k1");
	cr_assert_str_eq(r[0], "ab12");
	cr_assert_null(r[1], "not restored stays null");
	free(key);
	free(r[0]);
	cr_assert_eq(cachestate_find(json, "other", two, 1, &key, r, &cause),
	    0, "%s", cause);
	cr_assert_str_eq(key, "other:task t");
	cr_assert_null(r[0]);
	free(key);
	free(json);
}

Test(cachestate, other_names_or_folders_are_not_found)
{
	char	*json, *key = NULL, *r[2] = { NULL, NULL }, *cause = NULL;

	json = cachestate_encode(sample, 2);
	cr_assert_eq(cachestate_find(json, "nope", two, 2, &key, r, &cause), 1);
	cr_assert_null(key);
	/* The same name with other folders (a different spec). */
	cr_assert_eq(cachestate_find(json, "deps", two, 1, &key, r, &cause), 1);
	cr_assert_eq(cachestate_find(json, "other", two, 2, &key, r, &cause),
	    1);
	cr_assert_eq(cachestate_find(json, "deps", (char *const[]){ "x",
	    "~/.cache/pip" }, 2, &key, r, &cause), 1);
	cr_assert_null(key);
	cr_assert_null(r[0]);
	free(json);
	json = cachestate_encode(NULL, 0);
	cr_assert_str_eq(json, "[]");
	cr_assert_eq(cachestate_find(json, "deps", two, 2, &key, r, &cause), 1);
	free(json);
}

Test(cachestate, unparsable_state_fails_with_a_cause)
{
	static const char *const bad[] = { "", "{", "{\"name\":\"deps\"}",
	    "null" };
	char	*key = NULL, *r[2] = { NULL, NULL }, *cause = NULL;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(cachestate_find(bad[i], "deps", two, 2, &key, r,
		    &cause), -1, "%s", bad[i]);
		cr_assert_str_eq(cause, "the recorded cache state does not "
		    "parse");
		free(cause);
		cause = NULL;
		cr_assert_null(key);
	}
	/* Entries of the wrong shape are skipped, not trusted. */
	cr_assert_eq(cachestate_find("[1,{\"name\":\"deps\",\"key\":2},"
	    "{\"name\":\"deps\",\"key\":\"k\",\"folders\":[{\"path\":\"deps\","
	    "\"restored\":7},{\"path\":\"~/.cache/pip\"}]}]", "deps", two, 2,
	    &key, r, &cause), 1);
	cr_assert_null(key);
}
