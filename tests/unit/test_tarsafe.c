/* test_tarsafe.c -- hostile archives from a container are refused entry by entry. */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/tarsafe.h"
#include "proto/util.h"

static char	 root[] = "/tmp/stratus-test-tarsafe-XXXXXX";
static char	 dest[4096];
static struct buf tb;
static char	 rejects[4096];

static la_ssize_t
wr(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	(void)arg;
	cr_assert(buf_add(&tb, p, n) == 0);
	return ((la_ssize_t)n);
}

static struct archive *
tar_begin(void)
{
	struct archive	*a = archive_write_new();

	buf_init(&tb, 0);
	cr_assert(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	cr_assert(archive_write_open(a, NULL, NULL, wr, NULL) == ARCHIVE_OK);
	return (a);
}

/* Add an entry: type 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' device. */
static void
tar_add(struct archive *a, int type, const char *name, const char *data)
{
	struct archive_entry	*e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_perm(e, 0644);
	switch (type) {
	case 'f':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)strlen(data));
		break;
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, data);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, data);
		break;
	case 'c':
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_rdev(e, 0x0101);
		break;
	}
	cr_assert(archive_write_header(a, e) == ARCHIVE_OK);
	if (type == 'f')
		cr_assert(archive_write_data(a, data, strlen(data)) ==
		    (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

static void
tar_end(struct archive *a)
{
	cr_assert(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

static void
on_reject(const char *name, const char *why, void *arg)
{
	(void)arg;
	snprintf(rejects + strlen(rejects), sizeof rejects - strlen(rejects),
	    "%s: %s\n", name, why);
}

static int
extract(uint64_t max_entry, struct tarsafe_stats *st)
{
	struct tarsafe_opts	 o;
	char			*cause = NULL;
	int			 rv;

	memset(&o, 0, sizeof o);
	o.max_entry = max_entry;
	o.reject = on_reject;
	rejects[0] = '\0';
	rv = tarsafe_extract(tb.data, tb.len, dest, &o, st, &cause);
	if (rv != 0)
		cr_log_info("cause: %s", cause);
	free(cause);
	return (rv);
}

static int
exists(const char *p)
{
	struct stat	 st;
	char		 path[8192];

	snprintf(path, sizeof path, "%s", p);
	return (lstat(path, &st) == 0);
}

static void
setup(void)
{
	cr_assert(mkdtemp(root) != NULL);
	snprintf(dest, sizeof dest, "%s/dest", root);
	cr_assert(mkdir(dest, 0700) == 0);
}

static void
teardown(void)
{
	char	*q = shell_quote(root), *cmd = xasprintf("rm -rf %s", q);

	cr_assert(system(cmd) == 0);
	free(cmd);
	free(q);
	buf_free(&tb);
}

TestSuite(tarsafe, .init = setup, .fini = teardown);

Test(tarsafe, good_archive_extracts)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;
	char			*p;
	size_t			 len;

	tar_add(a, 'd', "out/", NULL);
	tar_add(a, 'f', "out/a.txt", "hello\n");
	tar_add(a, 'f', "deep/x/y.txt", "y\n");
	tar_add(a, 'l', "out/link", "a.txt");
	tar_add(a, 'l', "out/up", "../deep/x/y.txt");
	tar_end(a);
	cr_assert(extract(0, &st) == 0);
	cr_assert_eq(st.files, 2);
	cr_assert_eq(st.rejected, 0);
	p = xasprintf("%s/out/a.txt", dest);
	free(read_file(p, 0, &len));
	cr_assert_eq(len, 6);
	free(p);
}

Test(tarsafe, dotdot_rejected)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;
	char			 p[8192];

	tar_add(a, 'f', "../evil", "x");
	tar_add(a, 'f', "ok/../../evil2", "x");
	tar_end(a);
	cr_assert(extract(0, &st) == 0);
	cr_assert_eq(st.rejected, 2);
	cr_assert_eq(st.files, 0);
	snprintf(p, sizeof p, "%s/evil", root);
	cr_assert(!exists(p));
	cr_assert(strstr(rejects, "../evil: path with '..'") != NULL,
	    "%s", rejects);
}

Test(tarsafe, absolute_rejected)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;
	char			 p[8192];

	snprintf(p, sizeof p, "%s/abs", root);
	tar_add(a, 'f', p, "x");
	tar_end(a);
	cr_assert(extract(0, &st) == 0);
	cr_assert_eq(st.rejected, 1);
	cr_assert(!exists(p));
	cr_assert(strstr(rejects, "absolute path") != NULL, "%s", rejects);
}

Test(tarsafe, symlink_out_rejected_and_never_followed)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;
	char			 p[8192];

	tar_add(a, 'l', "esc", "..");
	tar_add(a, 'l', "abs", "/etc");
	tar_add(a, 'l', "d/e", "../../x");
	/* Even a link that stays inside is never written through. */
	tar_add(a, 'l', "in", "sub");
	tar_add(a, 'd', "sub", NULL);
	tar_add(a, 'f', "esc/pwned", "x");
	tar_end(a);
	cr_assert(extract(0, &st) == 0);
	cr_assert_eq(st.rejected, 3, "%s", rejects);
	snprintf(p, sizeof p, "%s/pwned", root);
	cr_assert(!exists(p));
	cr_assert(strstr(rejects, "symlink pointing outside") != NULL);
	cr_assert(strstr(rejects, "symlink to an absolute path") != NULL);
}

Test(tarsafe, write_through_inside_link_refused)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;
	char			*cause = NULL;
	struct tarsafe_opts	 o;

	tar_add(a, 'd', "sub", NULL);
	tar_add(a, 'l', "in", "sub");
	tar_add(a, 'f', "in/f", "x");
	tar_end(a);
	memset(&o, 0, sizeof o);
	o.reject = on_reject;
	rejects[0] = '\0';
	cr_assert(tarsafe_extract(tb.data, tb.len, dest, &o, &st,
	    &cause) == 0);
	cr_assert_eq(st.rejected, 1);
	cr_assert(strstr(rejects, "in/f: path through a symlink") != NULL,
	    "%s", rejects);
}

Test(tarsafe, devices_and_hardlinks_rejected)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;

	tar_add(a, 'c', "dev", NULL);
	tar_add(a, 'h', "hl", "/etc/passwd");
	tar_end(a);
	cr_assert(extract(0, &st) == 0);
	cr_assert_eq(st.rejected, 2);
	cr_assert(strstr(rejects, "dev: device, fifo or socket") != NULL,
	    "%s", rejects);
	cr_assert(strstr(rejects, "hl: hard link") != NULL, "%s", rejects);
}

Test(tarsafe, oversized_rejected)
{
	struct archive		*a = tar_begin();
	struct tarsafe_stats	 st;

	tar_add(a, 'f', "big", "0123456789");
	tar_add(a, 'f', "small", "01");
	tar_end(a);
	cr_assert(extract(5, &st) == 0);
	cr_assert_eq(st.rejected, 1);
	cr_assert_eq(st.files, 1);
	cr_assert(strstr(rejects, "big: file larger") != NULL, "%s", rejects);
}

Test(tarsafe, garbage_is_an_error)
{
	struct tarsafe_stats	 st;
	char			*cause = NULL;
	struct tarsafe_opts	 o;

	memset(&o, 0, sizeof o);
	cr_assert(tarsafe_extract("not a tar at all, no no no", 26, dest,
	    &o, &st, &cause) == -1);
	free(cause);
}
