/* test_expr.c -- unit tests of only_if/skip expressions and expansion. */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proto/expr.h"
#include "proto/taskfile.h"

static struct tf_env		 ctxenv, taskenv, baseenv;
static const char		*changed[] = { "docs/index.md", "src/a/b.c",
				    "README.md" };
static struct tf_context	 ctx = { &ctxenv, changed, 3, &baseenv };

static void
setup(void)
{
	tf_env_set(&ctxenv, "CIRRUS_BRANCH", "main");
	tf_env_set(&ctxenv, "CIRRUS_PR", "");
	tf_env_set(&ctxenv, "MSG", "Fix bug [skip ci]");
	tf_env_set(&ctxenv, "SHARED", "from-context");
	tf_env_set(&taskenv, "SHARED", "from-task");
	tf_env_set(&taskenv, "OWN", "task");
	tf_env_set(&taskenv, "REF", "x-${OWN}");
	tf_env_set(&baseenv, "CIRRUS_OS", "linux");
	tf_env_set(&baseenv, "OWN", "built-in");
	tf_env_set(&baseenv, "SHARED", "built-in");
}

static void
teardown(void)
{
	tf_env_free(&ctxenv);
	tf_env_free(&taskenv);
	tf_env_free(&baseenv);
}

/* Evaluate an expression that must be valid. */
static int
ev(const char *e)
{
	char	*cause = NULL;
	int	 r = -1;

	cr_assert_eq(expr_eval(e, &taskenv, &ctx, &r, &cause, NULL), 0,
	    "%s: %s", e, cause);
	return r;
}

/* Evaluate an invalid expression; returns the offset of the error. */
static size_t
everr(const char *e, const char *want)
{
	char	*cause = NULL;
	int	 r;
	size_t	 off = 99;

	cr_assert_eq(expr_eval(e, &taskenv, &ctx, &r, &cause, &off), -1, "%s",
	    e);
	cr_assert_not_null(cause);
	cr_assert(strstr(cause, want) != NULL, "%s: got '%s'", e, cause);
	free(cause);
	return off;
}

TestSuite(expr, .init = setup, .fini = teardown);

Test(expr, literals)
{
	cr_assert_eq(ev("true"), 1);
	cr_assert_eq(ev("false"), 0);
	cr_assert_eq(ev("TRUE"), 1);
	cr_assert_eq(ev("'true'"), 1);
	cr_assert_eq(ev("\"x\""), 0);
}

Test(expr, equality)
{
	cr_assert_eq(ev("$CIRRUS_BRANCH == 'main'"), 1);
	cr_assert_eq(ev("${CIRRUS_BRANCH} == \"main\""), 1);
	cr_assert_eq(ev("$CIRRUS_BRANCH != 'main'"), 0);
	cr_assert_eq(ev("$CIRRUS_PR == ''"), 1);
	cr_assert_eq(ev("$UNSET == ''"), 1);
	cr_assert_eq(ev("'it\\'s' == \"it's\""), 1);
}

Test(expr, context_then_task_variables)
{
	cr_assert_eq(ev("$OWN == 'task'"), 1);
	cr_assert_eq(ev("$SHARED == 'from-context'"), 1);
}

/* Built-ins are seen, but the task's env overrides them (as in Cirrus). */
Test(expr, task_variables_override_builtins)
{
	char	*s;

	cr_assert_eq(ev("$CIRRUS_OS == 'linux'"), 1);
	cr_assert_eq(ev("$OWN == 'task'"), 1);
	cr_assert_eq(ev("$SHARED == 'from-context'"), 1);
	s = expr_expand("$CIRRUS_OS-$OWN", &taskenv, &ctx);
	cr_assert_str_eq(s, "linux-task");
	free(s);
}

Test(expr, regex_whole_string)
{
	cr_assert_eq(ev("$CIRRUS_BRANCH =~ 'ma.*'"), 1);
	cr_assert_eq(ev("$CIRRUS_BRANCH =~ 'ai'"), 0, "must match whole");
	/* Cirrus's regular expressions ignore case, with or without (?i). */
	cr_assert_eq(ev("$CIRRUS_BRANCH =~ 'MAIN'"), 1);
	cr_assert_eq(ev("$CIRRUS_BRANCH =~ '(?i)MAIN'"), 1);
	cr_assert_eq(ev("$MSG =~ '.*\\[skip ci\\].*'"), 1);
	cr_assert_eq(ev("$CIRRUS_BRANCH =~ 'main|release'"), 1);
	cr_assert_eq(ev("'v12' =~ 'v\\d+'"), 1);
	cr_assert_eq(ev("$CIRRUS_BRANCH !=~ 'ma.*'"), 0);
	cr_assert_eq(ev("'a\nb' =~ 'a.b'"), 1, "'.' matches a newline");
}

/* As Cirrus's boolevator: either side of =~ may be the pattern, "in" is
 * "contained in", and a variable's value is seen expanded. */
Test(expr, cirrus_operators)
{
	cr_assert_eq(ev("'release-.*' =~ 'release-2018.1'"), 1);
	cr_assert_eq(ev("'release-.*' !=~ 'release-2018.1'"), 0);
	cr_assert_eq(ev("'a(b' =~ 'x'"), 0, "a bad pattern on the left is "
	    "no match, not an error");
	cr_assert_eq(ev("'foo' in 'foobar'"), 1);
	cr_assert_eq(ev("'baz' in 'foobar'"), 0);
	cr_assert_eq(ev("'ci' in $MSG && $OWN == 'task'"), 1);
	cr_assert_eq(ev("$REF == 'x-task'"), 1);
	cr_assert_eq(ev("$invalid == ''"), 1);
}

Test(expr, bad_regex)
{
	everr("$A =~ '('", "invalid regular expression");
}

Test(expr, boolean_operators_and_precedence)
{
	cr_assert_eq(ev("true && false"), 0);
	cr_assert_eq(ev("true || false"), 1);
	cr_assert_eq(ev("false || true && false"), 0);
	cr_assert_eq(ev("(false || true) && true"), 1);
	cr_assert_eq(ev("!false"), 1);
	cr_assert_eq(ev("!($CIRRUS_BRANCH == 'main')"), 0);
	cr_assert_eq(ev("!$CIRRUS_BRANCH == 'x'"), 1);
	cr_assert_eq(ev("$CIRRUS_PR != '' || $CIRRUS_BRANCH == 'main'"), 1);
}

Test(expr, changes_include)
{
	cr_assert_eq(ev("changesInclude('docs/**')"), 1);
	cr_assert_eq(ev("changesInclude('*.md')"), 1);
	cr_assert_eq(ev("changesInclude('*.c')"), 0, "* stays in one dir");
	cr_assert_eq(ev("changesInclude('**/*.c')"), 1);
	cr_assert_eq(ev("changesInclude('**.c')"), 1);
	cr_assert_eq(ev("changesInclude('lib/**', 'src/**/*.c')"), 1);
	cr_assert_eq(ev("changesIncludeOnly('**.md')"), 0);
	cr_assert_eq(ev("changesIncludeOnly('**.md', 'src/**')"), 1);
}

Test(expr, changes_unknown_is_false)
{
	struct tf_context	 c = { &ctxenv, NULL, 0, NULL };
	char			*cause = NULL;
	int			 r = -1;

	cr_assert_eq(expr_eval("changesInclude('**')", NULL, &c, &r, &cause,
	    NULL), 0);
	cr_assert_eq(r, 0);
	cr_assert_eq(expr_eval("changesIncludeOnly('**')", NULL, NULL, &r,
	    &cause, NULL), 0);
	cr_assert_eq(r, 0);
}

Test(expr, parse_errors_with_offsets)
{
	cr_assert_eq(everr("", "empty expression"), 0);
	cr_assert_eq(everr("$A == 'x", "unterminated string"), 6);
	cr_assert_eq(everr("($A == 'x'", "expected ')'"), 10);
	cr_assert_eq(everr("$A == 'x' 'y'", "unexpected '''"), 10);
	cr_assert_eq(everr("$A ==", "unexpected end"), 5);
	cr_assert_eq(everr("${A == 'x'", "expected '}'"), 3);
	cr_assert_eq(everr("foo('x')", "unknown function 'foo'"), 0);
	cr_assert_eq(everr("$ == 1", "expected a variable name"), 1);
	everr("changesInclude('a' 'b')", "expected ',' or ')'");
}

Test(expr, nesting_capped)
{
	char	buf[300];

	memset(buf, '(', 200);
	strcpy(buf + 200, "true");
	everr(buf, "nested too deeply");
	memset(buf, '!', 200);
	strcpy(buf + 200, "true");
	everr(buf, "nested too deeply");
}

Test(expr, expand)
{
	char	*s;

	s = expr_expand("$CIRRUS_BRANCH/${OWN}/%OWN%/$NOPE/${NOPE}/%NOPE%/$/%",
	    &taskenv, &ctx);
	cr_assert_str_eq(s, "main/task/task/$NOPE/${NOPE}/%NOPE%/$/%");
	free(s);
	s = expr_expand("$REF", &taskenv, &ctx);
	cr_assert_str_eq(s, "x-task", "values are expanded too");
	free(s);
	s = expr_expand("plain", NULL, NULL);
	cr_assert_str_eq(s, "plain");
	free(s);
}

Test(expr, expand_self_reference_terminates)
{
	struct tf_env	 e = { NULL, 0 };
	char		*s;

	tf_env_set(&e, "P", "$P:/bin");
	tf_env_set(&e, "Q", "$Q$Q$Q$Q$Q$Q$Q$Q");
	s = expr_expand("$P", &e, NULL);
	cr_assert_str_eq(s, "$P:/bin");
	free(s);
	s = expr_expand("$Q", &e, NULL);
	cr_assert_not_null(s);
	free(s);
	tf_env_free(&e);
}

Test(glob, match)
{
	cr_assert(expr_glob_match("*.c", "a.c"));
	cr_assert(!expr_glob_match("*.c", "d/a.c"));
	cr_assert(expr_glob_match("**/*.c", "a.c"));
	cr_assert(expr_glob_match("**/*.c", "x/y/a.c"));
	cr_assert(expr_glob_match("docs/**", "docs/a/b"));
	cr_assert(!expr_glob_match("docs/**", "doc/a"));
	cr_assert(expr_glob_match("src/**/test_*.py", "src/test_a.py"));
	cr_assert(expr_glob_match("src/**/test_*.py", "src/x/y/test_a.py"));
	cr_assert(expr_glob_match("?.[ch]", "a.h"));
	cr_assert(!expr_glob_match("?.[!ch]", "a.h"));
	cr_assert(expr_glob_match("[a-c]x", "bx"));
	cr_assert(expr_glob_match("\\*", "*"));
	cr_assert(!expr_glob_match("?", "/"));
	cr_assert(expr_glob_match("[", "["));
}

Test(glob, pathological_is_fast)
{
	char	pat[200], path[4000];

	memset(pat, 0, sizeof pat);
	for (int i = 0; i < 60; i++)
		strcat(pat, "*a");
	strcat(pat, "b");
	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	cr_assert(!expr_glob_match(pat, path));
}
