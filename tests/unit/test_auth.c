/* test_auth.c -- tokens file parsing, scopes, lookup and route scopes. */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/auth.h"

#define TOK_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TOK_S	"ssssssssssssssssssssssssssssssss"
#define TOK_R	"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"

static struct auth *
parse_ok(const char *text)
{
	struct auth	*a = NULL;
	char		*cause = NULL;

	cr_assert_eq(auth_parse("tokens", text, strlen(text), &a, &cause), 0,
	    "%s", cause != NULL ? cause : "");
	return (a);
}

static void
parse_bad(const char *text, const char *want)
{
	struct auth	*a = NULL;
	char		*cause = NULL;

	cr_assert_eq(auth_parse("tokens", text, strlen(text), &a, &cause),
	    -1);
	cr_assert_not_null(strstr(cause, want), "got '%s', want '%s'", cause,
	    want);
	free(cause);
}

Test(auth, scopes_imply)
{
	struct auth	*a;

	a = parse_ok("# comment\n\n" TOK_A " admin\n" TOK_S
	    "\tsubmit\r\n  " TOK_R " read  \n");
	cr_assert_eq(auth_count(a), 3);
	cr_assert_eq(auth_lookup(a, TOK_A), AUTH_READ | AUTH_SUBMIT |
	    AUTH_ADMIN);
	cr_assert_eq(auth_lookup(a, TOK_S), AUTH_READ | AUTH_SUBMIT);
	cr_assert_eq(auth_lookup(a, TOK_R), AUTH_READ);
	auth_free(a);
}

Test(auth, lookup_exact)
{
	struct auth	*a;

	a = parse_ok(TOK_R " read,submit\n");
	cr_assert_eq(auth_lookup(a, TOK_R), AUTH_READ | AUTH_SUBMIT);
	cr_assert_eq(auth_lookup(a, ""), 0);
	cr_assert_eq(auth_lookup(a, TOK_R "r"), 0);
	cr_assert_eq(auth_lookup(a, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"), 0);
	cr_assert_eq(auth_lookup(a, "Rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"), 0);
	cr_assert_eq(auth_lookup(a, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrR"), 0);
	auth_free(a);
}

Test(auth, errors_with_lines)
{
	parse_bad(TOK_A " admin\n" TOK_R "\n", "tokens:2: want 'TOKEN SCOPE");
	parse_bad("\n\n" TOK_A " root\n", "tokens:3: unknown scope 'root'");
	parse_bad(TOK_A " read,,admin\n", "tokens:1: unknown scope ''");
	parse_bad("short read\n", "tokens:1: token shorter than 16");
	parse_bad(TOK_A " read, admin\n", "tokens:1: spaces in the scope");
}

Test(auth, empty_file)
{
	struct auth	*a;

	a = parse_ok("");
	cr_assert_eq(auth_count(a), 0);
	cr_assert_eq(auth_lookup(a, TOK_A), 0);
	auth_free(a);
}

Test(auth, route_scopes)
{
	cr_assert_eq(auth_scope_for("GET", "/v1/jobs"), AUTH_READ);
	cr_assert_eq(auth_scope_for("HEAD", "/v1/blobs/ab"), AUTH_READ);
	cr_assert_eq(auth_scope_for("POST", "/v1/jobs"), AUTH_SUBMIT);
	cr_assert_eq(auth_scope_for("PUT", "/v1/blobs/ab"), AUTH_SUBMIT);
	cr_assert_eq(auth_scope_for("POST", "/v1/jobs/1/cancel"), AUTH_ADMIN);
	cr_assert_eq(auth_scope_for("POST", "/v1/jobs/1/retry"), AUTH_ADMIN);
	cr_assert_eq(auth_scope_for("PUT", "/v1/projects/p"), AUTH_ADMIN);
	cr_assert_eq(auth_scope_for("DELETE", "/v1/secrets/X"), AUTH_ADMIN);
}

Test(auth, check_codes)
{
	struct auth	*a;
	enum apierr	 code;
	char		*cause = NULL;

	a = parse_ok(TOK_R " read\n" TOK_A " admin\n");
	cr_assert_eq(auth_check(a, NULL, "GET", "/v1/jobs", &code, &cause),
	    -1);
	cr_assert_eq(code, APIERR_UNAUTHORIZED);
	cr_assert_not_null(strstr(cause, "STRATUS_TOKEN"));
	free(cause);
	cr_assert_eq(auth_check(a, "Bearer nope", "GET", "/v1/jobs", &code,
	    &cause), -1);
	cr_assert_eq(code, APIERR_UNAUTHORIZED);
	free(cause);
	cr_assert_eq(auth_check(a, "Bearer " TOK_R, "GET", "/v1/jobs", &code,
	    &cause), 0);
	cr_assert_eq(auth_check(a, "Bearer " TOK_R, "POST", "/v1/jobs", &code,
	    &cause), -1);
	cr_assert_eq(code, APIERR_FORBIDDEN);
	cr_assert_not_null(strstr(cause, "submit scope"));
	free(cause);
	cr_assert_eq(auth_check(a, "Bearer " TOK_A, "POST", "/v1/jobs/1/cancel",
	    &code, &cause), 0);
	auth_free(a);
}

Test(auth, file_mode)
{
	char		 path[] = "/tmp/test_auth.XXXXXX";
	struct auth	*a = NULL;
	char		*cause = NULL;
	int		 fd;

	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_eq(write(fd, TOK_A " admin\n", strlen(TOK_A) + 7),
	    (ssize_t)strlen(TOK_A) + 7);
	close(fd);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(auth_load(path, &a, &cause), -1);
	cr_assert_not_null(strstr(cause, "chmod 600"), "%s", cause);
	free(cause);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(auth_load(path, &a, &cause), 0);
	cr_assert_eq(auth_lookup(a, TOK_A), AUTH_READ | AUTH_SUBMIT |
	    AUTH_ADMIN);
	auth_free(a);
	unlink(path);
}
