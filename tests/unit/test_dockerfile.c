/* test_dockerfile.c -- the context sources read out of a Dockerfile, and the lines that cannot be read for sure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/dockerfile.h"
#include "proto/util.h"

static char	 got[4096];

/* Parse text: the sources joined by '|', or NULL when it falls back (the
 * reason is then in got). */
static const char *
sources(const char *text)
{
	struct dockerfile_srcs	 s;
	char			*why = (char *)1;
	size_t			 i;

	got[0] = '\0';
	if (dockerfile_sources(text, strlen(text), &s, &why) == -1) {
		cr_assert_not_null(why);
		cr_assert_eq(s.n, 0);
		snprintf(got, sizeof got, "%s", why);
		free(why);
		return (NULL);
	}
	cr_assert_null(why);
	for (i = 0; i < s.n; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
		    i > 0 ? "|" : "", s.v[i].path);
	dockerfile_srcs_free(&s);
	return (got);
}

/* Assert text reads as the sources want ('|'-joined). */
#define SRCS(text, want) do {						\
	const char *g_ = sources(text);					\
	cr_assert_not_null(g_, "fell back: %s", got);			\
	cr_assert_str_eq(g_, want);					\
} while (0)

/* Assert text falls back with a reason holding part. */
#define FALLS(text, part) do {						\
	cr_assert_null(sources(text), "read as %s", got);		\
	cr_assert(strstr(got, part) != NULL, "reason: %s", got);	\
} while (0)

Test(dockerfile, plain_copy_and_add)
{
	SRCS("FROM x\nCOPY a.txt /a\nADD b /b/\n", "a.txt|b");
	SRCS("FROM x\nRUN echo hi\nCMD [\"sh\"]\n", "");
}

Test(dockerfile, case_insensitive_instructions)
{
	SRCS("from x\ncopy a /a\nAdd b /b\ncOpY c /c\n", "a|b|c");
}

Test(dockerfile, several_sources_and_destination)
{
	SRCS("FROM x\nCOPY a b c/d /dest/\n", "a|b|c/d");
}

Test(dockerfile, paths_are_cleaned)
{
	SRCS("FROM x\nCOPY ./src/ /a\nCOPY /abs//x/./y /b\n"
	    "COPY . /c\nCOPY d/../e /d\n", "src|abs/x/y||e");
	FALLS("FROM x\nCOPY ../up /a\n", "leaves the context");
}

Test(dockerfile, comments_and_blank_lines)
{
	SRCS("# a comment\n\nFROM x\n   # indented comment\n\t\n"
	    "COPY a /a # not a comment\n", "a|a|#|not|a");
}

Test(dockerfile, line_continuations)
{
	SRCS("FROM x\nCOPY a \\\n  b \\\n# a comment inside\n\n"
	    "  c /dest/\n", "a|b|c");
	/* Whitespace after the backslash still continues the line. */
	SRCS("FROM x\nCOPY a \\  \n /d\nCOPY e /e\n", "a|e");
	/* CRLF line ends. */
	SRCS("FROM x\r\nCOPY a \\\r\n b /d\r\n", "a|b");
}

Test(dockerfile, escape_directive)
{
	SRCS("# escape=`\nFROM x\nCOPY a `\n b /d\n", "a|b");
	/* With the backtick escape a backslash ends no line. */
	FALLS("# escape=`\nFROM x\nCOPY a\\ \\\nb /d\n", "escape");
	SRCS("#ESCAPE = `\nFROM x\nCOPY a `\n b /d\n", "a|b");
	/* Not on the first line: a comment like any other. */
	SRCS("FROM x\n# escape=`\nCOPY a `\nCOPY b /d\n", "a|b");
	/* After another directive the two parsers disagree. */
	FALLS("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n",
	    "after another directive");
	SRCS("# syntax=docker/dockerfile:1\nFROM x\nCOPY a /a\n", "a");
	FALLS("# escape=x\nFROM x\n", "invalid escape");
}

Test(dockerfile, flags)
{
	SRCS("FROM x\nCOPY --chown=1:1 --chmod=755 --link a /a\n", "a");
	SRCS("FROM x\nADD --checksum=sha256:00 --keep-git-dir=true b /b\n",
	    "b");
	SRCS("FROM x\nCOPY --chown=\"a b\" c /c\n", "c");
	SRCS("FROM x\nCOPY -- --weird /d\n", "--weird");
}

Test(dockerfile, copy_from_a_stage_is_not_context)
{
	SRCS("FROM x AS build\nRUN make\nFROM y\n"
	    "COPY --from=build /out /out\nCOPY --FROM=0 /a /a\n"
	    "COPY --chown=0 --from=docker.io/library/busybox /b /b\n"
	    "COPY c /c\n", "c");
	FALLS("FROM x\nCOPY --from build /a /a\n", "--from without a value");
}

Test(dockerfile, json_form)
{
	SRCS("FROM x\nCOPY [\"a b\", \"c\", \"/dest dir/\"]\n", "a b|c");
	SRCS("FROM x\nCOPY --chown=1 [\"a\",\"/d\"]\n", "a");
	/* Not JSON: the shell form, so a glob class. */
	SRCS("FROM x\nCOPY [ab].txt /d/\n", "[ab].txt");
	FALLS("FROM x\nCOPY [\"a\", 1, \"/d\"]\n", "JSON");
}

Test(dockerfile, shell_quotes)
{
	SRCS("FROM x\nCOPY \"a.txt\" 'b' /d\n", "a.txt|b");
	/* The older parser splits before it unquotes: unsure. */
	FALLS("FROM x\nCOPY \"a b\" /d\n", "quote");
	FALLS("FROM x\nCOPY \"a /d\n", "quote");
}

Test(dockerfile, wildcards_kept_as_patterns)
{
	SRCS("FROM x\nCOPY *.go src/**/*.c ?.h /d/\n", "*.go|src/**/*.c|?.h");
}

Test(dockerfile, add_urls_are_not_context)
{
	SRCS("FROM x\nADD https://example.com/a.tgz http://e/b /d/\n"
	    "ADD local.tgz /l\n", "local.tgz");
}

Test(dockerfile, onbuild_is_not_for_this_build)
{
	SRCS("FROM x\nONBUILD COPY . /app\nONBUILD ADD x /x\n", "");
}

Test(dockerfile, variables_fall_back)
{
	FALLS("FROM x\nARG SRC=a\nCOPY $SRC /d\n", "variable");
	FALLS("FROM x\nCOPY ${SRC}/b /d\n", "variable");
	/* In the destination a variable changes nothing taken. */
	SRCS("FROM x\nENV APP=/app\nCOPY . $APP\n", "");
}

Test(dockerfile, escapes_in_sources_fall_back)
{
	FALLS("FROM x\nCOPY a\\ b /d\n", "escape");
}

Test(dockerfile, heredocs_fall_back)
{
	FALLS("FROM x\nCOPY <<EOF /f\nhello\nEOF\n", "heredoc");
	FALLS("FROM x\nRUN <<EOF\necho hi\nEOF\n", "heredoc");
}

Test(dockerfile, run_mount_of_the_context_falls_back)
{
	FALLS("FROM x\nRUN --mount=target=/src make\n", "RUN --mount");
	FALLS("FROM x\nRUN --mount=type=bind,source=a,target=/a cat /a\n",
	    "RUN --mount");
	SRCS("FROM x\nRUN --mount=type=cache,target=/root/.cache make\n"
	    "RUN --mount=type=bind,from=build,target=/b ls\n"
	    "RUN --network=none --mount=type=tmpfs,target=/t ls\n", "");
}

Test(dockerfile, odd_lines_fall_back)
{
	FALLS("FROM x\nCOPYY a /a\n", "unknown instruction");
	FALLS("FROM x\nCOPY a\n", "needs a source and a destination");
	FALLS("FROM x\nCOPY \"\" /a\n", "empty source");
}

Test(dockerfile, nul_falls_back)
{
	struct dockerfile_srcs	 s;
	char			*why;

	cr_assert_eq(dockerfile_sources("FROM x\n\0COPY a /a\n", 17, &s,
	    &why), -1);
	cr_assert(strstr(why, "NUL") != NULL);
	free(why);
}

Test(dockerfile, lines_are_reported)
{
	FALLS("FROM x\n\nRUN a \\\n b\nCOPY $X /d\n", "line 5:");
}

Test(dockerfile, byte_order_mark)
{
	SRCS("\xef\xbb\xbf" "FROM x\nCOPY a /a\n", "a");
}

Test(dockerfile, clean)
{
	char	*p;

	p = dockerfile_clean("./a//b/./c/");
	cr_assert_str_eq(p, "a/b/c");
	free(p);
	p = dockerfile_clean("/");
	cr_assert_str_eq(p, "");
	free(p);
	p = dockerfile_clean("a/b/../../c");
	cr_assert_str_eq(p, "c");
	free(p);
	cr_assert_null(dockerfile_clean("a/../../c"));
}

/* The bases of text, '|'-joined. */
static const char *
bases(const char *text)
{
	struct dockerfile_srcs	 s;
	char			*why = NULL;
	size_t			 i;

	got[0] = '\0';
	cr_assert_eq(dockerfile_sources(text, strlen(text), &s, &why), 0,
	    "fell back: %s", why);
	for (i = 0; i < s.nbases; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
		    i > 0 ? "|" : "", s.bases[i]);
	dockerfile_srcs_free(&s);
	return (got);
}

Test(dockerfile, from_names_the_base_images)
{
	cr_assert_str_eq(bases("FROM debian:12\n"), "debian:12");
	/* Stages are no images; scratch and variables are left out. */
	cr_assert_str_eq(bases("FROM golang:1 AS build\nRUN make\n"
	    "from --platform=linux/amd64 alpine:3 as run\nFROM build\n"
	    "FROM BUILD AS again\nFROM scratch\nARG B=x\nFROM $B\n"
	    "FROM golang:1\n"), "golang:1|alpine:3");
	FALLS("FROM a b\n", "FROM takes an image");
}
