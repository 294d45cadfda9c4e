/* test_util.c -- capped buffers, number parsing, quoting, paths. */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/util.h"

Test(util, buf_grows_and_stays_terminated)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(buf_add(&b, "abc", 3), 0);
	cr_assert_eq(b.len, 3000);
	cr_assert_eq(b.data[3000], '\0');
	cr_assert_eq(strncmp(b.data + 2997, "abc", 3), 0);
	buf_free(&b);
}

Test(util, buf_cap_refuses_and_keeps_contents)
{
	struct buf	 b;
	char		*s;
	size_t		 len;

	buf_init(&b, 5);
	cr_assert_eq(buf_addstr(&b, "1234"), 0);
	cr_assert_eq(buf_addstr(&b, "56"), -1);
	cr_assert_eq(buf_addstr(&b, "5"), 0);
	cr_assert_eq(buf_add(&b, "x", SIZE_MAX), -1);
	s = buf_steal(&b, &len);
	cr_assert_str_eq(s, "12345");
	cr_assert_eq(len, 5);
	cr_assert_null(b.data);
	free(s);
}

Test(util, parse_int64_bounds)
{
	int64_t	 v;

	cr_assert_eq(parse_int64("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(parse_int64("101", 0, 100, &v), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(parse_int64("4x", 0, 100, &v), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(parse_int64("", 0, 100, &v), -1);
	cr_assert_eq(parse_int64("99999999999999999999", 0, INT64_MAX, &v), -1);
}

Test(util, shell_quote_survives_single_quotes)
{
	char	*q;

	q = shell_quote("it's $HOME");
	cr_assert_str_eq(q, "'it'\\''s $HOME'");
	free(q);
}

Test(util, format_duration_units)
{
	char	 b[32];

	format_duration(1234, b, sizeof b);
	cr_assert_str_eq(b, "1.2s");
	format_duration(64000, b, sizeof b);
	cr_assert_str_eq(b, "1m04s");
	format_duration(3600000 + 120000, b, sizeof b);
	cr_assert_str_eq(b, "1h02m");
	format_time(0, b, sizeof b);
	cr_assert_str_eq(b, "1970-01-01T00:00:00Z");
}

Test(util, mkdir_p_and_read_file)
{
	char		 tmpl[] = "/tmp/stratus-util.XXXXXX", *dir, *path, *data;
	char		 rd[8];
	struct stat	 sb;
	size_t		 len;
	FILE		*f;
	int		 fd;

	dir = mkdtemp(tmpl);
	cr_assert_not_null(dir);
	path = xasprintf("%s/a/b/c", dir);
	cr_assert_eq(mkdir_p(path, 0700), 0);
	cr_assert_eq(mkdir_p(path, 0700), 0);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert(S_ISDIR(sb.st_mode));
	free(path);
	path = xasprintf("%s/a/f", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("hello", f);
	fclose(f);
	data = read_file(path, 100, &len);
	cr_assert_str_eq(data, "hello");
	cr_assert_eq(len, 5);
	free(data);
	fd = open(path, O_RDONLY);
	cr_assert_neq(fd, -1);
	cr_assert_eq(pread_all(fd, rd, 3, 1), 3);
	cr_assert_eq(memcmp(rd, "ell", 3), 0);
	cr_assert_eq(pread_all(fd, rd, sizeof rd, 2), 3, "short at the end");
	cr_assert_eq(pread_all(fd, rd, sizeof rd, 9), 0);
	close(fd);
	cr_assert_eq(pread_all(fd, rd, 1, 0), -1);
	cr_assert_eq(errno, EBADF);
	cr_assert_null(read_file(path, 3, &len));
	cr_assert_eq(errno, EFBIG);
	data = NULL;
	cr_assert_eq(mkdir_dir(path, 0700, &data), -1, "a file is no directory");
	cr_assert_eq(errno, ENOTDIR);
	cr_assert_not_null(strstr(data, "not a directory"));
	free(data);
	unlink(path);
	free(path);
	path = xasprintf("%s/a/b/c", dir);
	rmdir(path);
	free(path);
	path = xasprintf("%s/a/b", dir);
	rmdir(path);
	free(path);
	path = xasprintf("%s/a", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

Test(util, shell_quote_vars_expands_only_variables)
{
	char	*q;

	q = shell_quote_vars("a=$A ${B} $(x) `y` \"q\" \\ $ ${C:-d} $1 $", 0);
	cr_assert_str_eq(q, "\"a=$A ${B} \\$(x) \\`y\\` \\\"q\\\" \\\\ \\$ "
	    "\\${C:-d} \\$1 \\$\"");
	free(q);
	q = shell_quote_vars("~/x", 1);
	cr_assert_str_eq(q, "\"$HOME\"\"/x\"");
	free(q);
	q = shell_quote_vars("~x", 1);
	cr_assert_str_eq(q, "\"~x\"");
	free(q);
	cr_assert(shell_is_name("_A1"));
	cr_assert(!shell_is_name("1A"));
	cr_assert(!shell_is_name("A-B"));
	cr_assert(!shell_is_name(""));
}

Test(util, stamp_is_valid_takes_only_the_daemons_shape)
{
	cr_assert(stamp_is_valid("2026-11-29T17:20:01.123Z", 24));
	cr_assert(!stamp_is_valid("2026-11-29T17:20:01.123Z", 23));
	cr_assert(!stamp_is_valid("2026-11-29 17:20:01.123Z", 24));
	cr_assert(!stamp_is_valid("line 1 of the plain log.", 24));
	cr_assert(!stamp_is_valid("2026-11-29T17:20:01.12xZ", 24));
}
