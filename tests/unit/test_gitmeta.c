/* test_gitmeta.c -- CIRRUS_BRANCH & co. read from real repositories made by git. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/gitmeta.h"
#include "proto/util.h"

static char	 repo[] = "/tmp/test_gitmeta.XXXXXX";

static void
sh(const char *fmt, const char *arg)
{
	char	*cmd;

	cmd = xasprintf(fmt, arg, arg, arg, arg);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
}

static void
setup(void)
{
	cr_assert(mkdtemp(repo) != NULL);
	sh("cd %s && git init -q -b feature/x . && "
	    "git -c user.name=t -c user.email=t@t commit -q --allow-empty "
	    "-m 'Title line' -m 'Body text' && "
	    "git remote add origin git@github.com:acme/widgets.git && "
	    "mkdir -p sub/dir", repo);
}

static void
teardown(void)
{
	sh("rm -rf %s", repo);
}

static char *
head_sha(void)
{
	char	*cmd, *out, *path;
	size_t	 len;

	path = xasprintf("%s/.sha", repo);
	cmd = xasprintf("git -C %s rev-parse HEAD > %s", repo, path);
	cr_assert_eq(system(cmd), 0);
	out = read_file(path, 4096, &len);
	cr_assert(out != NULL && len >= 40);
	out[40] = '\0';
	free(cmd);
	free(path);
	return (out);
}

Test(gitmeta, reads_branch_commit_message_and_remote, .init = setup,
    .fini = teardown)
{
	struct tf_env	 env = { NULL, 0 };
	char		*sha = head_sha(), *sub;

	sub = xasprintf("%s/sub/dir", repo);
	cr_assert_eq(gitmeta_read(sub, &env), 1);
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_BRANCH"), "feature/x");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_CHANGE_IN_REPO"), sha);
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_CHANGE_MESSAGE"),
	    "Title line\n\nBody text");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_CHANGE_TITLE"), "Title line");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_REPO_OWNER"), "acme");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_REPO_NAME"), "widgets");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_REPO_FULL_NAME"),
	    "acme/widgets");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_DEFAULT_BRANCH"), "feature/x");
	cr_assert_null(tf_env_get(&env, "CIRRUS_TAG"));
	tf_env_free(&env);
	free(sub);
	free(sha);
}

Test(gitmeta, tags_loose_packed_and_annotated, .init = setup,
    .fini = teardown)
{
	struct tf_env	 env = { NULL, 0 };

	sh("cd %s && git -c user.name=t -c user.email=t@t tag -a -m m v1.0 "
	    "&& git checkout -q -b main", repo);
	cr_assert_eq(gitmeta_read(repo, &env), 1);
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_TAG"), "v1.0");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_BRANCH"), "main");
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_DEFAULT_BRANCH"), "main");
	tf_env_free(&env);

	/* Packed refs and objects: what cannot be read is left out. */
	sh("cd %s && git pack-refs --all && git gc -q", repo);
	cr_assert_eq(gitmeta_read(repo, &env), 1);
	cr_assert_str_eq(tf_env_get(&env, "CIRRUS_TAG"), "v1.0");
	cr_assert_not_null(tf_env_get(&env, "CIRRUS_CHANGE_IN_REPO"));
	tf_env_free(&env);
}

Test(gitmeta, no_repository_no_variables)
{
	struct tf_env	 env = { NULL, 0 };

	cr_assert_eq(gitmeta_read("/proc/self", &env), 0);
	cr_assert_eq(env.n, 0);
}

Test(gitmeta, repo_names_from_urls)
{
	static const struct { const char *url, *owner, *name; } c[] = {
		{ "https://github.com/acme/widgets.git", "acme", "widgets" },
		{ "git@github.com:acme/widgets", "acme", "widgets" },
		{ "ssh://git@host/acme/widgets/", "acme", "widgets" },
		{ "/srv/git/widgets.git", "git", "widgets" },
		{ "widgets", NULL, "widgets" },
	};
	char	*owner, *name;
	size_t	 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		cr_assert_eq(gitmeta_repo_name(c[i].url, &owner, &name), 0);
		cr_assert_str_eq(name, c[i].name, "%s", c[i].url);
		if (c[i].owner == NULL)
			cr_assert_null(owner, "%s", c[i].url);
		else
			cr_assert_str_eq(owner, c[i].owner, "%s", c[i].url);
		free(owner);
		free(name);
	}
	cr_assert_eq(gitmeta_repo_name("https://host/", &owner, &name), 0);
	free(owner);
	free(name);
}
