/* test_dockerignore.c -- ignore rules read and matched as Podman's builder does, and refused where it is unsure. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/dockerignore.h"

/* Is path excluded by the ignore text?  -1 when the text is refused. */
static int
ignored(const char *text, const char *path)
{
	struct dockerignore	*ig;
	char			*w = NULL;
	int			 r;

	if ((ig = dockerignore_parse(text, strlen(text), &w)) == NULL) {
		cr_assert_not_null(w);
		free(w);
		return (-1);
	}
	cr_assert_null(w);
	r = dockerignore_excluded(ig, path);
	dockerignore_free(ig);
	return (r);
}

Test(dockerignore, rules)
{
	cr_assert_eq(ignored("*.txt\n!a.txt\n", "b.txt"), 1);
	cr_assert_eq(ignored("*.txt\n!a.txt\n", "a.txt"), 0);
	cr_assert_eq(ignored("*.txt\n", "d/b.txt"), 0, "* stays in one dir");
	cr_assert_eq(ignored("build\n", "build/x/y"), 1, "a parent counts");
	cr_assert_eq(ignored("*\n", "a/b"), 1);
	cr_assert_eq(ignored("**/*.o\n", "a/b/c.o"), 1);
	cr_assert_eq(ignored("**/*.o\n", "c.o"), 1);
	cr_assert_eq(ignored("docs/**\n", "docs/a/b"), 1);
	cr_assert_eq(ignored("/c.txt/\n", "c.txt"), 1);
	cr_assert_eq(ignored("  c.txt  \r\n", "c.txt"), 1);
	cr_assert_eq(ignored("./a/../c.txt\n", "c.txt"), 1);
	cr_assert_eq(ignored("# c.txt\n", "# c.txt"), 0);
	cr_assert_eq(ignored("?.c\n", "\xc3\xa9.c"), 1, "? is a character");
	cr_assert_eq(ignored("[a-c].txt\n", "b.txt"), 1);
	cr_assert_eq(ignored("[^a-c].txt\n", "b.txt"), 0);
	cr_assert_eq(ignored("[!a].txt\n", "a.txt"), 1, "a regexp class");
	cr_assert_eq(ignored("a.c\n", "abc"), 0, "'.' is no wildcard");
	cr_assert_eq(ignored("a\\*\n", "a*"), 1);
	cr_assert_eq(ignored("a\\*\n", "ab"), 0);
	cr_assert_eq(ignored("", "a"), 0);
}

Test(dockerignore, rules_read_two_ways_are_not_trusted)
{
	/* Only a parent with as many parts as the rule counts in some
	 * versions: not left out for sure. */
	cr_assert_eq(ignored("**/x\n", "a/b/x/y"), 0);
	cr_assert_eq(ignored("**/x\n", "a/x"), 1);
}

Test(dockerignore, rules_refused)
{
	cr_assert_eq(ignored("a+b\n", "a"), -1);
	cr_assert_eq(ignored("(a|b)\n", "a"), -1);
	cr_assert_eq(ignored("!\n", "a"), -1);
	cr_assert_eq(ignored("!/a\n", "a"), -1, "parsers disagree");
	cr_assert_eq(ignored("[a-]\n", "a"), -1);
	cr_assert_eq(ignored("[\n", "a"), -1);
	cr_assert_eq(ignored("\\d\n", "a"), -1);
	cr_assert_eq(ignored("caf\xc3\xa9\n", "a"), -1);
}

Test(dockerignore, rules_are_linear)
{
	char	 rule[300], path[300];

	memset(rule, 0, sizeof rule);
	memset(path, 'a', 200);
	path[200] = '\0';
	strcpy(rule, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n");
	cr_assert_eq(ignored(rule, path), 0);
}
