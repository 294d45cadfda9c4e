/* test_gitindex.c -- the git index, tracked-but-ignored snapshots and changed files, against repositories made by git. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/gitchanges.h"
#include "client/gitindex.h"
#include "client/gitmeta.h"
#include "client/pack.h"
#include "proto/util.h"

static char	repo[] = "/tmp/test_gitindex.XXXXXX";

#define GIT	"git -c user.name=t -c user.email=t@t -c core.autocrlf=false " \
		"-c gc.auto=0 "

/* Run a shell command in the repository. */
static void
sh(const char *cmd)
{
	char	*full;

	full = xasprintf("cd %s && %s", repo, cmd);
	cr_assert_eq(system(full), 0, "%s", full);
	free(full);
}

static void
setup(void)
{
	cr_assert(mkdtemp(repo) != NULL);
	sh("git init -q -b main . && mkdir -p src/deep docs build && "
	    "printf 'build/\\n*.log\\n' > .gitignore && "
	    "echo a > src/a.c && echo b > src/deep/b.c && echo d > docs/x.md && "
	    "echo keep > build/keep.txt && echo log > keep.log && "
	    "git add .gitignore src docs && git add -f build/keep.txt keep.log && "
	    GIT "commit -q -m first && "
	    "echo y > docs/y.md && git add docs/y.md && "
	    GIT "commit -q -m 'docs only' -m 'with a body'");
}

static void
teardown(void)
{
	char	*cmd;

	cmd = xasprintf("rm -rf %s", repo);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

/* The paths of the index as one comma-joined string; caller frees. */
static char *
index_paths(void)
{
	struct gitindex	 ix;
	struct buf	 b;
	char		*path, *cause = NULL;
	size_t		 i;

	path = xasprintf("%s/.git/index", repo);
	cr_assert_eq(gitindex_read(path, &ix, &cause), 0, "%s", cause);
	buf_init(&b, 0);
	for (i = 0; i < ix.n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", ix.v[i].path);
	cr_assert_not_null(gitindex_find(&ix, "src/deep/b.c"));
	cr_assert_null(gitindex_find(&ix, "src/deep"));
	cr_assert(gitindex_has_dir(&ix, "src/deep"));
	cr_assert(!gitindex_has_dir(&ix, "src/dee"));
	gitindex_free(&ix);
	free(path);
	return (buf_steal(&b, NULL));
}

#define ALL	".gitignore,build/keep.txt,docs/x.md,docs/y.md,keep.log," \
		"src/a.c,src/deep/b.c"

Test(gitindex, versions_2_3_and_4, .init = setup, .fini = teardown)
{
	char	*s;

	sh("git update-index --index-version 2");
	s = index_paths();
	cr_assert_str_eq(s, ALL);
	free(s);
	/* An intent-to-add entry carries extended flags: version 3. */
	sh("echo n > src/new.c && git add -N src/new.c && "
	    "git update-index --index-version 3 && "
	    "od -An -tx1 -j7 -N1 .git/index | grep -q 03");
	s = index_paths();
	cr_assert_str_eq(s, ".gitignore,build/keep.txt,docs/x.md,docs/y.md,"
	    "keep.log,src/a.c,src/deep/b.c,src/new.c");
	free(s);
	/* Version 4 compresses each path against the one before. */
	sh("git rm -q --cached src/new.c && git update-index --index-version 4");
	s = index_paths();
	cr_assert_str_eq(s, ALL);
	free(s);
}

Test(gitindex, garbage_is_an_error, .init = setup, .fini = teardown)
{
	struct gitindex	 ix;
	char		*path, *cause = NULL;

	sh("printf 'DIRC\\0\\0\\0\\002\\0\\0\\0\\011xxxxxxxxxxxxxxxxxxxxxxxxxxx' "
	    "> bad");
	path = xasprintf("%s/bad", repo);
	cr_assert_eq(gitindex_read(path, &ix, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
	free(path);
}

/* The names in the tar of a pack, comma-joined; caller frees. */
static char *
tar_names(const char *dir)
{
	struct pack		 p;
	struct archive		*a;
	struct archive_entry	*e;
	struct buf		 b;
	char			*cause = NULL;

	cr_assert_eq(pack_dir(dir, &p, &cause), 0, "%s", cause);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	cr_assert_eq(archive_read_open_filename(a, p.path, 10240), ARCHIVE_OK);
	buf_init(&b, 0);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		buf_printf(&b, "%s%s", b.len ? "," : "",
		    archive_entry_pathname(e));
	archive_read_free(a);
	pack_free(&p);
	return (buf_steal(&b, NULL));
}

Test(gitindex, tracked_files_are_packed_even_when_ignored, .init = setup,
    .fini = teardown)
{
	char	*s, *sub;

	sh("echo junk > build/junk.txt && echo x > other.log && "
	    "mkdir -p build/sub && echo z > build/sub/z && echo u > untracked.c");
	s = tar_names(repo);
	cr_assert_str_eq(s, ".gitignore,build/,build/keep.txt,docs/,docs/x.md,"
	    "docs/y.md,keep.log,src/,src/a.c,src/deep/,src/deep/b.c,"
	    "untracked.c");
	free(s);
	/* From a subdirectory, index paths are still found. */
	sub = xasprintf("%s/build", repo);
	s = tar_names(sub);
	cr_assert_str_eq(s, "keep.txt");
	free(s);
	free(sub);
}

/* gitchanges_list as a comma-joined string, "unknown" for -1. */
static char *
changes(void)
{
	struct buf	 b;
	char		**v;
	size_t		 n, i;

	if (gitchanges_list(repo, &v, &n) == -1)
		return (xstrdup("unknown"));
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? "," : "", v[i]);
		free(v[i]);
	}
	free(v);
	buf_addstr(&b, "");
	return (buf_steal(&b, NULL));
}

Test(gitchanges, head_index_work_tree_and_untracked, .init = setup,
    .fini = teardown)
{
	char	*s;

	s = changes();
	cr_assert_str_eq(s, "docs/y.md");
	free(s);
	/* Same size, new content; a staged file; untracked and ignored. */
	sh("echo A > src/a.c && echo s > src/deep/s.c && git add src/deep/s.c && "
	    "echo u > new.txt && echo i > ignored.log && rm docs/x.md");
	s = changes();
	cr_assert_str_eq(s, "docs/x.md,docs/y.md,new.txt,src/a.c,src/deep/s.c");
	free(s);
}

Test(gitchanges, root_commit_and_packed_objects, .init = setup,
    .fini = teardown)
{
	struct tf_env	 env = { NULL, 0 };
	char		*s, *before;

	/* Deltas: a bigger file changed a little in each commit. */
	sh("seq 1 2000 > docs/big.txt && git add docs/big.txt && "
	    GIT "commit -q -m big && seq 1 2001 > docs/big.txt && "
	    GIT "commit -q -am 'big again' -m body");
	before = changes();
	cr_assert_str_eq(before, "docs/big.txt");
	sh(GIT "repack -q -a -d -f && " GIT "prune && "
	    "test -z \"$(find .git/objects -type f -path '*/[0-9a-f][0-9a-f]/*')\"");
	s = changes();
	cr_assert_str_eq(s, before);
	free(s);
	cr_assert_eq(gitmeta_read(repo, &env), 1);
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_CHANGE_MESSAGE"),
	    "big again\n\nbody");
	tf_env_free(&env);
	free(before);
	/* A root commit changes every file it holds. */
	sh("git checkout -q --orphan fresh && " GIT "commit -q -m root");
	s = changes();
	cr_assert_str_eq(s, ".gitignore,build/keep.txt,docs/big.txt,docs/x.md,"
	    "docs/y.md,keep.log,src/a.c,src/deep/b.c");
	free(s);
}
