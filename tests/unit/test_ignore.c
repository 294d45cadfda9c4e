/* test_ignore.c -- gitignore rules and "**" globs decide what a snapshot holds. */
#include <string.h>

#include <criterion/criterion.h>

#include "client/ignore.h"
#include "proto/glob.h"
#include "proto/util.h"

static struct ignore *
rules(const char *base, const char *text)
{
	struct ignore	*ig = ignore_new();

	ignore_add_text(ig, base, text, strlen(text));
	return (ig);
}

Test(glob, double_star)
{
	cr_assert(glob_match("build/**/*.txt", "build/a.txt"));
	cr_assert(glob_match("build/**/*.txt", "build/x/y/a.txt"));
	cr_assert(!glob_match("build/**/*.txt", "build/x/y/a.c"));
	cr_assert(!glob_match("build/*.txt", "build/x/a.txt"));
	cr_assert(glob_match("**/a.txt", "a.txt"));
	cr_assert(glob_match("**/a.txt", "p/q/a.txt"));
	cr_assert(glob_match("a/**", "a/b/c"));
	cr_assert(glob_match("./out/*", "out/f"));
	cr_assert(!glob_match("out", "out/f"));
}

Test(glob, static_prefix)
{
	char	*p;

	p = glob_static_prefix("build/out/**/*.txt");
	cr_assert_str_eq(p, "build/out");
	free(p);
	p = glob_static_prefix("*.log");
	cr_assert_str_eq(p, "");
	free(p);
	p = glob_static_prefix("dist/app.bin");
	cr_assert_str_eq(p, "dist/app.bin");
	free(p);
}

Test(ignore, basename_anywhere)
{
	struct ignore	*ig = rules("", "*.o\n# comment\n\nnode_modules/\n");

	cr_assert(ignore_match(ig, "a.o", 0));
	cr_assert(ignore_match(ig, "src/deep/a.o", 0));
	cr_assert(!ignore_match(ig, "a.c", 0));
	cr_assert(ignore_match(ig, "node_modules", 1));
	cr_assert(ignore_match(ig, "x/node_modules", 1));
	/* dir-only: a file of that name stays */
	cr_assert(!ignore_match(ig, "node_modules", 0));
	cr_assert(!ignore_match(ig, "# comment", 0));
	ignore_free(ig);
}

Test(ignore, negation_last_wins)
{
	struct ignore	*ig = rules("", "*.log\n!keep.log\n");

	cr_assert(ignore_match(ig, "a.log", 0));
	cr_assert(!ignore_match(ig, "keep.log", 0));
	cr_assert(!ignore_match(ig, "sub/keep.log", 0));
	ignore_free(ig);
}

Test(ignore, anchored)
{
	struct ignore	*ig = rules("", "/build\ndoc/*.html\n");

	cr_assert(ignore_match(ig, "build", 1));
	cr_assert(!ignore_match(ig, "src/build", 1));
	cr_assert(ignore_match(ig, "doc/a.html", 0));
	cr_assert(!ignore_match(ig, "x/doc/a.html", 0));
	cr_assert(!ignore_match(ig, "doc/sub/a.html", 0));
	ignore_free(ig);
}

Test(ignore, double_star_patterns)
{
	struct ignore	*ig = rules("", "**/tmp\nlogs/**\na/**/z\n");

	cr_assert(ignore_match(ig, "tmp", 1));
	cr_assert(ignore_match(ig, "x/y/tmp", 0));
	cr_assert(ignore_match(ig, "logs/a/b", 0));
	cr_assert(ignore_match(ig, "a/z", 0));
	cr_assert(ignore_match(ig, "a/b/c/z", 0));
	cr_assert(!ignore_match(ig, "b/z", 0));
	ignore_free(ig);
}

Test(ignore, nested_file_scoped_and_overrides)
{
	struct ignore	*ig = rules("", "*.tmp\n");

	ignore_add_text(ig, "sub", "!keep.tmp\n/local\n", 17);
	cr_assert(ignore_match(ig, "x.tmp", 0));
	cr_assert(ignore_match(ig, "sub/x.tmp", 0));
	cr_assert(!ignore_match(ig, "sub/keep.tmp", 0));
	cr_assert(ignore_match(ig, "keep.tmp", 0));
	cr_assert(ignore_match(ig, "sub/local", 0));
	cr_assert(!ignore_match(ig, "local", 0));
	cr_assert(!ignore_match(ig, "other/local", 0));
	ignore_free(ig);
}

Test(ignore, escapes_and_crlf)
{
	struct ignore	*ig = rules("", "\\#hash\r\n\\!bang\ntrail   \n");

	cr_assert(ignore_match(ig, "#hash", 0));
	cr_assert(ignore_match(ig, "!bang", 0));
	cr_assert(ignore_match(ig, "trail", 0));
	ignore_free(ig);
}
