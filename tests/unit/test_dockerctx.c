/* test_dockerctx.c -- the Dockerfile image digest covers what COPY and ADD take from the snapshot, and only that. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/dockerctx.h"
#include "proto/util.h"

#define SNAP	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The project as a list of entries: 'f' file, 'x' executable file, 'd'
 * directory, 'l' symlink (data: target), 'h' hard link (data: target). */
struct ent {
	int		 type;
	char		 name[128];
	char		 data[512];
};

static struct ent	 proj[64];
static size_t		 nproj;
static struct buf	 tb;
static char		*why;
static size_t		 nused;

/* Add or replace the entry name. */
static void
put(int type, const char *name, const char *data)
{
	size_t	i;

	for (i = 0; i < nproj; i++)
		if (strcmp(proj[i].name, name) == 0)
			break;
	cr_assert(i < sizeof proj / sizeof proj[0]);
	if (i == nproj)
		nproj++;
	proj[i].type = type;
	snprintf(proj[i].name, sizeof proj[i].name, "%s", name);
	snprintf(proj[i].data, sizeof proj[i].data, "%s", data);
}

/* Remove the entry name. */
static void
del(const char *name)
{
	size_t	i;

	for (i = 0; i < nproj; i++)
		if (strcmp(proj[i].name, name) == 0) {
			proj[i] = proj[--nproj];
			return;
		}
	cr_assert_fail("no entry %s", name);
}

static la_ssize_t
wr(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	(void)arg;
	cr_assert(buf_add(&tb, p, n) == 0);
	return ((la_ssize_t)n);
}

/* The project as a tar in tb. */
static void
pack(void)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	size_t			 i, n;

	buf_free(&tb);
	buf_init(&tb, 0);
	cr_assert(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	cr_assert(archive_write_open(a, NULL, NULL, wr, NULL) == ARCHIVE_OK);
	for (i = 0; i < nproj; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, proj[i].name);
		archive_entry_set_perm(e, proj[i].type == 'x' ||
		    proj[i].type == 'd' ? 0755 : 0644);
		n = 0;
		switch (proj[i].type) {
		case 'f':
		case 'x':
			archive_entry_set_filetype(e, AE_IFREG);
			n = strlen(proj[i].data);
			archive_entry_set_size(e, (la_int64_t)n);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, proj[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, proj[i].data);
			break;
		}
		cr_assert(archive_write_header(a, e) == ARCHIVE_OK);
		if (n > 0)
			cr_assert(archive_write_data(a, proj[i].data, n) ==
			    (la_ssize_t)n);
		archive_entry_free(e);
	}
	cr_assert(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

/* The digest of the project (its first 16 hex digits, in a static
 * buffer) with the Dockerfile df and arguments; precise tells which kind
 * is expected. */
static const char *
digest_args(const char *df, const char *const *args, size_t nargs,
    int precise)
{
	static char	 out[8][SHA256_HEXLEN + 1];
	static int	 k;
	char		*hex = out[k++ % 8];
	int		 r;

	pack();
	free(why);
	r = dockerctx_digest(tb.data, tb.len, SNAP, df, args, nargs, hex,
	    &nused, NULL, &why);
	if (precise)
		cr_assert_eq(r, 1, "fell back: %s", why ? why : "?");
	else
		cr_assert_eq(r, 0, "did not fall back");
	cr_assert_eq(r == 0, why != NULL);
	cr_assert_eq(strlen(hex), SHA256_HEXLEN);
	return (hex);
}

static const char *
digest(int precise)
{
	return (digest_args("Dockerfile", NULL, 0, precise));
}

static void
setup(void)
{
	nproj = 0;
	why = NULL;
	buf_init(&tb, 0);
}

static void
teardown(void)
{
	free(why);
	buf_free(&tb);
}

TestSuite(dockerctx, .init = setup, .fini = teardown);

Test(dockerctx, unrelated_edits_keep_the_digest)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x\nCOPY app.c /src/\n");
	put('f', "app.c", "int main;\n");
	put('f', "README", "one\n");
	a = digest(1);
	cr_assert_eq(nused, 1);
	put('f', "README", "two\n");
	put('f', "NEWS", "new\n");
	b = digest(1);
	cr_assert_str_eq(a, b);
}

Test(dockerctx, copied_files_change_the_digest)
{
	const char	*a, *b, *c;

	put('f', "Dockerfile", "FROM x\nCOPY app.c /src/\n");
	put('f', "app.c", "int main;\n");
	a = digest(1);
	put('f', "app.c", "int main(void);\n");
	b = digest(1);
	cr_assert_str_neq(a, b);
	put('x', "app.c", "int main(void);\n");
	c = digest(1);
	cr_assert_str_neq(b, c, "the mode counts");
}

Test(dockerctx, dockerfile_and_arguments_count)
{
	const char	*args1[] = { "A=1" }, *args2[] = { "A=2" };
	const char	*a, *b, *c, *d;

	put('f', "Dockerfile", "FROM x\nARG A\n");
	a = digest_args("Dockerfile", args1, 1, 1);
	b = digest_args("Dockerfile", args2, 1, 1);
	c = digest_args("Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(a, b);
	cr_assert_str_neq(a, c);
	put('f', "Dockerfile", "FROM x\nARG A\nRUN true\n");
	d = digest_args("Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(c, d);
	cr_assert_eq(nused, 0);
}

Test(dockerctx, directories_bring_everything_below)
{
	const char	*a, *b, *c;

	put('f', "ci/Dockerfile", "FROM x\nCOPY lib/ /lib/\n");
	put('d', "lib", "");
	put('f', "lib/a.c", "a");
	put('f', "lib/deep/er/b.c", "b");
	put('f', "libfoo.c", "not below lib/");
	a = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_eq(nused, 3);
	put('f', "lib/deep/er/b.c", "B");
	b = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(a, b);
	put('f', "libfoo.c", "still not");
	c = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_eq(b, c);
	put('f', "lib/new.c", "n");
	c = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(b, c, "a new file below counts");
}

Test(dockerctx, whole_context)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x\nCOPY . /app\n");
	put('f', "a", "a");
	a = digest(1);
	cr_assert_eq(nused, 2);
	put('f', "z/b", "b");
	b = digest(1);
	cr_assert_str_neq(a, b);
}

Test(dockerctx, wildcards_match_per_path)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x\nCOPY *.go [xy].txt /src/\n");
	put('f', "main.go", "package main");
	put('f', "x.txt", "x");
	put('f', "z.txt", "z");
	put('f', "sub/deep.go", "not matched: * stays in its directory");
	a = digest(1);
	cr_assert_eq(nused, 2);
	put('f', "sub/deep.go", "changed");
	put('f', "z.txt", "changed");
	b = digest(1);
	cr_assert_str_eq(a, b);
	put('f', "x.txt", "changed");
	b = digest(1);
	cr_assert_str_neq(a, b);
	put('f', "new.go", "added");
	a = digest(1);
	cr_assert_str_neq(a, b);
}

Test(dockerctx, wildcard_directories_and_double_star)
{
	put('f', "Dockerfile", "FROM x\nCOPY pkg* src/**/*.h /d/\n");
	put('f', "pkg1/a", "a");
	put('f', "pkg2/b/c", "c");
	put('f', "src/x.h", "x");
	put('f', "src/k/l/y.h", "y");
	put('f', "src/k/l/y.c", "no");
	put('f', "other", "no");
	digest(1);
	cr_assert_eq(nused, 4);
}

Test(dockerctx, copy_from_a_stage_takes_nothing)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x AS b\nFROM y\nCOPY --from=b /a /a\n");
	put('f', "a", "a");
	a = digest(1);
	cr_assert_eq(nused, 0);
	put('f', "a", "b");
	b = digest(1);
	cr_assert_str_eq(a, b);
}

Test(dockerctx, dockerignore_leaves_files_out)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x\nCOPY . /app\n");
	put('f', ".dockerignore", "# generated\n*.log\nbuild\n!keep.log\n");
	put('f', "main.c", "m");
	put('f', "x.log", "1");
	put('f', "keep.log", "k");
	put('f', "build/out/o", "o");
	a = digest(1);
	cr_assert_eq(nused, 4, "Dockerfile, .dockerignore, main.c, keep.log");
	put('f', "x.log", "2");
	put('f', "build/out/o", "p");
	b = digest(1);
	cr_assert_str_eq(a, b);
	put('f', "keep.log", "changed");
	b = digest(1);
	cr_assert_str_neq(a, b);
}

Test(dockerctx, ignore_file_precedence)
{
	const char	*a, *b;

	put('f', "ci/Dockerfile", "FROM x\nCOPY . /app\n");
	put('f', ".dockerignore", "a\n");
	put('f', "a", "1");
	put('f', "b", "1");
	/* .containerignore wins over .dockerignore. */
	put('f', ".containerignore", "b\n");
	a = digest_args("ci/Dockerfile", NULL, 0, 1);
	put('f', "b", "2");
	b = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_eq(a, b);
	put('f', "a", "2");
	b = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(a, b);
	/* <Dockerfile>.dockerignore wins over both. */
	put('f', "ci/Dockerfile.dockerignore", "a\nb\n");
	a = digest_args("ci/Dockerfile", NULL, 0, 1);
	put('f', "a", "3");
	put('f', "b", "3");
	b = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_eq(a, b);
	/* Both kinds beside the Dockerfile: no rule is surely applied. */
	put('f', "ci/Dockerfile.containerignore", "a\nb\n");
	a = digest_args("ci/Dockerfile", NULL, 0, 1);
	put('f', "a", "4");
	b = digest_args("ci/Dockerfile", NULL, 0, 1);
	cr_assert_str_neq(a, b);
}

Test(dockerctx, an_unreadable_ignore_file_leaves_nothing_out)
{
	const char	*a, *b;

	put('f', "Dockerfile", "FROM x\nCOPY . /app\n");
	put('f', ".dockerignore", "*.log\na+b\n");
	put('f', "x.log", "1");
	a = digest(1);
	put('f', "x.log", "2");
	b = digest(1);
	cr_assert_str_neq(a, b);
}

Test(dockerctx, symlinks)
{
	const char	*a, *b;

	/* Inside a copied directory a link is copied as a link. */
	put('f', "Dockerfile", "FROM x\nCOPY d /d\n");
	put('l', "d/l", "target");
	a = digest(1);
	put('l', "d/l", "elsewhere");
	b = digest(1);
	cr_assert_str_neq(a, b);
	/* A source through a link depends on where it points. */
	put('f', "Dockerfile", "FROM x\nCOPY d/l/f /f\n");
	digest(0);
	cr_assert(strstr(why, "symbolic link d/l") != NULL, "%s", why);
	put('f', "Dockerfile", "FROM x\nCOPY d/* /f\n");
	digest(0);
	/* Unless the link is ignored. */
	put('f', ".dockerignore", "d/l\n");
	digest(1);
	del(".dockerignore");
	/* A Dockerfile that is a link is followed by the builder. */
	put('f', "real", "FROM x\n");
	del("Dockerfile");
	put('l', "Dockerfile", "real");
	digest(0);
}

Test(dockerctx, fallback_covers_the_snapshot)
{
	const char	*args[] = { "A=1" };
	struct sha256_ctx c;
	unsigned char	 d[SHA256_LEN];
	char		 want[SHA256_HEXLEN + 1];
	const char	*a;

	put('f', "Dockerfile", "FROM x\nARG S\nCOPY $S /s\n");
	a = digest_args("Dockerfile", args, 1, 0);
	cr_assert(strstr(why, "Dockerfile line 3: source $S holds a "
	    "variable") != NULL, "%s", why);
	/* The formula from before, so earlier images stay valid. */
	sha256_init(&c);
	sha256_update(&c, "Dockerfile", 11);
	sha256_update(&c, "A=1", 4);
	sha256_update(&c, SNAP, 64);
	sha256_final(&c, d);
	sha256_hex(d, want);
	cr_assert_str_eq(a, want);
}

Test(dockerctx, odd_snapshots_fall_back)
{
	put('f', "Dockerfile", "FROM x\nCOPY . /\n");
	put('h', "hard", "Dockerfile");
	digest(0);
	cr_assert(strstr(why, "hard link") != NULL, "%s", why);
	del("hard");
	digest_args("missing/Dockerfile", NULL, 0, 0);
	cr_assert(strstr(why, "not in the snapshot") != NULL, "%s", why);
	digest_args("../Dockerfile", NULL, 0, 0);
	digest_args("/etc/Dockerfile", NULL, 0, 0);
	buf_free(&tb);
	free(why);
	cr_assert_eq(dockerctx_digest("junk", 4, SNAP, "Dockerfile", NULL, 0,
	    (char [SHA256_HEXLEN + 1]){ 0 }, &nused, NULL, &why), 0);
}

Test(dockerctx, hard_link_outside_the_sources_is_fine)
{
	put('f', "Dockerfile", "FROM x\nCOPY a /a\n");
	put('f', "a", "a");
	put('h', "h", "a");
	digest(1);
}

Test(dockerctx, paths_too_deep_to_match_count)
{
	char	deep[128] = "", df[192];
	int	i;

	for (i = 0; i < 30; i++)
		strcat(deep, "d/");
	strcat(deep, "f");
	put('f', "Dockerfile", "FROM x\nCOPY a /a\n");
	put('f', "a", "a");
	put('f', deep, "deep");
	digest(1);
	cr_assert_eq(nused, 2, "the deep file is taken to match");
	snprintf(df, sizeof df, "FROM x\nCOPY %s /a\n", deep);
	put('f', "Dockerfile", df);
	digest(0);
	cr_assert(strstr(why, "too deep") != NULL, "%s", why);
}
