/* test_pack.c -- the project tar is deterministic, complete and clean. */

#include <sys/stat.h>
#include <sys/time.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "client/pack.h"
#include "proto/util.h"

static char	tmproot[] = "/tmp/stratus-test-pack-XXXXXX";

static void
put(const char *rel, const char *text, mode_t mode)
{
	char	*path;
	int	 fd;

	path = xasprintf("%s/%s", tmproot, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert(fd != -1, "%s: %s", path, strerror(errno));
	cr_assert(write_all(fd, text, strlen(text)) == 0);
	close(fd);
	cr_assert(chmod(path, mode) == 0);
	free(path);
}

static void
mkd(const char *rel)
{
	char	*path;

	path = xasprintf("%s/%s", tmproot, rel);
	cr_assert(mkdir(path, 0755) == 0, "%s: %s", path, strerror(errno));
	free(path);
}

static void
setup(void)
{
	char	*p;

	cr_assert(mkdtemp(tmproot) != NULL);
	mkd("src");
	mkd("src/sub");
	mkd(".git");
	mkd(".git/objects");
	put("README", "hello\n", 0644);
	put("build.sh", "#!/bin/sh\necho hi\n", 0755);
	put("src/main.c", "int main(void) { return 0; }\n", 0644);
	put("src/sub/z.txt", "z\n", 0600);
	put("src/a-b", "dash\n", 0644);
	put(".git/HEAD", "ref: refs/heads/main\n", 0644);
	put(".git/objects/x", "blob\n", 0644);
	p = xasprintf("%s/link", tmproot);
	cr_assert(symlink("src/main.c", p) == 0);
	free(p);
}

static void
teardown(void)
{
	char	*cmd;

	cmd = shell_quote(tmproot);
	cr_assert_not_null(cmd);
	{
		char	*rm = xasprintf("rm -rf %s", cmd);

		cr_assert(system(rm) == 0);
		free(rm);
	}
	free(cmd);
	memcpy(tmproot + strlen(tmproot) - 6, "XXXXXX", 6);
}

static void
pack_ok(struct pack *p)
{
	char	*cause = NULL;
	int	 rv;

	rv = pack_dir(tmproot, p, &cause);
	cr_assert(rv == 0, "pack_dir: %s", cause ? cause : "?");
	cr_assert(sha256_hex_valid(p->sha));
}

/* Digest of a file read back independently of the packer. */
static void
file_sha(const char *path, char out[SHA256_HEXLEN + 1])
{
	struct sha256_ctx	 ctx;
	unsigned char		 d[SHA256_LEN];
	char			 buf[4096];
	ssize_t			 n;
	int			 fd;

	fd = open(path, O_RDONLY);
	cr_assert(fd != -1);
	sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(&ctx, buf, (size_t)n);
	cr_assert(n == 0);
	close(fd);
	sha256_final(&ctx, d);
	sha256_hex(d, out);
}

TestSuite(pack, .init = setup, .fini = teardown);

Test(pack, same_tree_same_sha)
{
	struct pack	a, b;
	char		h[SHA256_HEXLEN + 1];
	struct stat	st;

	pack_ok(&a);
	pack_ok(&b);
	cr_assert_str_eq(a.sha, b.sha);
	cr_assert_eq(a.nentries, 8);
	file_sha(a.path, h);
	cr_assert_str_eq(h, a.sha);
	cr_assert(stat(a.path, &st) == 0);
	cr_assert_eq((uint64_t)st.st_size, a.size);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, archive_ends_at_its_end_marker)
{
	struct pack	 a;
	unsigned char	 tail[1536];
	size_t		 i, zeros = 0;
	int		 fd;

	pack_ok(&a);
	cr_assert_eq(a.size % 512, 0);
	cr_assert_geq(a.size, sizeof tail);
	fd = open(a.path, O_RDONLY);
	cr_assert(fd != -1);
	cr_assert_eq(pread(fd, tail, sizeof tail, (off_t)(a.size -
	    sizeof tail)), (ssize_t)sizeof tail);
	close(fd);
	for (i = 512; i < sizeof tail; i++)
		zeros += tail[i] == 0;
	cr_assert_eq(zeros, 1024, "two zero blocks end the archive");
	for (i = 0, zeros = 0; i < 512; i++)
		zeros += tail[i] == 0;
	cr_assert_lt(zeros, 512, "no padding after the end marker");
	pack_free(&a);
}

Test(pack, temp_file_removed)
{
	struct pack	 a;
	char		*path;

	pack_ok(&a);
	path = xstrdup(a.path);
	pack_free(&a);
	cr_assert(access(path, F_OK) != 0 && errno == ENOENT);
	free(path);
}

Test(pack, changed_file_changes_sha)
{
	struct pack	a, b;

	pack_ok(&a);
	put("src/main.c", "int main(void) { return 1; }\n", 0644);
	pack_ok(&b);
	cr_assert_str_neq(a.sha, b.sha);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, mode_change_changes_sha)
{
	struct pack	 a, b;
	char		*p;

	pack_ok(&a);
	p = xasprintf("%s/README", tmproot);
	cr_assert(chmod(p, 0600) == 0);
	free(p);
	pack_ok(&b);
	cr_assert_str_neq(a.sha, b.sha);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, git_is_ignored)
{
	struct pack	a, b;

	pack_ok(&a);
	put(".git/HEAD", "ref: refs/heads/other\n", 0644);
	put(".git/index", "new\n", 0644);
	pack_ok(&b);
	cr_assert_str_eq(a.sha, b.sha);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, access_time_does_not_matter)
{
	struct pack	 a, b;
	struct timeval	 tv[2];
	char		*p;

	pack_ok(&a);
	p = xasprintf("%s/README", tmproot);
	tv[0].tv_sec = 12345;
	tv[0].tv_usec = 0;
	tv[1].tv_sec = 1700000000;	/* mtime kept in the header */
	tv[1].tv_usec = 0;
	cr_assert(utimes(p, tv) == 0);
	pack_ok(&b);
	cr_assert_str_neq(a.sha, b.sha);
	pack_free(&b);
	tv[0].tv_sec = 99999;
	cr_assert(utimes(p, tv) == 0);
	pack_ok(&b);
	pack_free(&a);
	pack_ok(&a);
	cr_assert_str_eq(a.sha, b.sha);
	free(p);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, contents_read_back)
{
	static const char	*want[] = {
		"README", "build.sh", "link", "src/", "src/a-b", "src/main.c",
		"src/sub/", "src/sub/z.txt"
	};
	struct pack		 p;
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 i = 0;
	const char		*name;
	char			 data[128];
	la_ssize_t		 n;

	pack_ok(&p);
	a = archive_read_new();
	cr_assert_not_null(a);
	cr_assert(archive_read_support_format_tar(a) == ARCHIVE_OK);
	cr_assert(archive_read_open_filename(a, p.path, 10240) == ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		cr_assert(i < sizeof want / sizeof want[0], "extra %s", name);
		cr_assert_str_eq(name, want[i], "entry %zu", i);
		cr_assert(strncmp(name, ".git", 4) != 0);
		cr_assert_eq(archive_entry_uid(e), 0);
		cr_assert_eq(archive_entry_gid(e), 0);
		cr_assert(archive_entry_uname(e) == NULL ||
		    *archive_entry_uname(e) == '\0');
		cr_assert(archive_entry_gname(e) == NULL ||
		    *archive_entry_gname(e) == '\0');
		if (strcmp(name, "link") == 0) {
			cr_assert_eq(archive_entry_filetype(e), AE_IFLNK);
			cr_assert_str_eq(archive_entry_symlink(e), "src/main.c");
		} else if (strcmp(name, "src/") == 0 ||
		    strcmp(name, "src/sub/") == 0)
			cr_assert_eq(archive_entry_filetype(e), AE_IFDIR);
		else
			cr_assert_eq(archive_entry_filetype(e), AE_IFREG);
		if (strcmp(name, "build.sh") == 0) {
			cr_assert_eq(archive_entry_perm(e), 0755);
			n = archive_read_data(a, data, sizeof data - 1);
			cr_assert(n >= 0);
			data[n] = '\0';
			cr_assert_str_eq(data, "#!/bin/sh\necho hi\n");
		}
		if (strcmp(name, "src/sub/z.txt") == 0)
			cr_assert_eq(archive_entry_perm(e), 0600);
		i++;
	}
	cr_assert_eq(i, sizeof want / sizeof want[0]);
	cr_assert(archive_read_free(a) == ARCHIVE_OK);
	pack_free(&p);
}

Test(pack, long_names_are_deterministic)
{
	struct pack	 a, b;
	char		 name[200];

	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	{
		char	*rel = xasprintf("src/%s", name);

		put(rel, "long\n", 0644);
		free(rel);
	}
	pack_ok(&a);
	pack_ok(&b);
	cr_assert_str_eq(a.sha, b.sha);
	cr_assert_eq(a.nentries, 9);
	pack_free(&a);
	pack_free(&b);
}

Test(pack, missing_dir_fails)
{
	struct pack	 p;
	char		*cause = NULL;

	cr_assert(pack_dir("/nonexistent/stratus", &p, &cause) == -1);
	cr_assert_not_null(cause);
	cr_assert_not_null(strstr(cause, "/nonexistent/stratus"));
	cr_assert_null(p.path);
	free(cause);
}
