/* test_secrets.c -- secrets are stored privately and masked across chunk cuts. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/secrets.h"
#include "proto/util.h"

static struct buf	out;

static void
collect(const char *s, size_t n, void *arg)
{
	(void)arg;
	cr_assert(buf_add(&out, s, n) == 0);
}

Test(secrets, mask_split_everywhere)
{
	const char		*text = "token=hunter2-xyz; again hunter2-xyz!";
	struct secrets_mask	*m;
	size_t			 cut, len = strlen(text);

	for (cut = 0; cut <= len; cut++) {
		buf_init(&out, 0);
		m = secrets_mask_new(collect, NULL);
		secrets_mask_add(m, "hunter2-xyz");
		secrets_mask_add(m, "");
		secrets_mask_feed(m, text, cut);
		secrets_mask_feed(m, text + cut, len - cut);
		secrets_mask_free(m);
		cr_assert_str_eq(out.data,
		    "token=[MASKED]; again [MASKED]!", "cut %zu", cut);
		buf_free(&out);
	}
}

Test(secrets, mask_bytewise)
{
	const char		*text = "aXsecretYsecre";
	struct secrets_mask	*m;
	size_t			 i;

	buf_init(&out, 0);
	m = secrets_mask_new(collect, NULL);
	secrets_mask_add(m, "secret");
	for (i = 0; text[i] != '\0'; i++)
		secrets_mask_feed(m, text + i, 1);
	secrets_mask_free(m);
	cr_assert_str_eq(out.data, "aX[MASKED]Ysecre");
	buf_free(&out);
}

/* A finished line is never held back: a checkpoint at a line's end must
 * find the log complete, or a restart would replay half a secret. */
Test(secrets, mask_holds_nothing_at_a_line_end)
{
	struct secrets_mask	*m;

	buf_init(&out, 0);
	m = secrets_mask_new(collect, NULL);
	secrets_mask_add(m, "long-secret-value");
	secrets_mask_feed(m, "x long-secret-value y\n", 22);
	cr_assert_eq(out.len, 13);
	cr_assert_str_eq(out.data, "x [MASKED] y\n");
	secrets_mask_feed(m, "long-se", 7);
	cr_assert_eq(out.len, 13, "a possible start of a secret is held");
	secrets_mask_feed(m, "cret-value\n", 11);
	secrets_mask_free(m);
	cr_assert_str_eq(out.data, "x [MASKED] y\n[MASKED]\n");
	buf_free(&out);

	/* A value with a newline may span lines: held as before. */
	buf_init(&out, 0);
	m = secrets_mask_new(collect, NULL);
	secrets_mask_add(m, "two\nlines");
	secrets_mask_feed(m, "ab\n", 3);
	cr_assert_eq(out.len, 0);
	secrets_mask_feed(m, "two\nlines\n", 10);
	secrets_mask_free(m);
	cr_assert_str_eq(out.data, "ab\n[MASKED]\n");
	buf_free(&out);
}

/* CIRRUS_ENV values are added again before every step: kept once, and a
 * task cannot grow its mask without bound. */
Test(secrets, mask_add_keeps_values_once_and_caps_them)
{
	struct secrets_mask	*m;
	const char		*text;
	char			 v[32];
	size_t			 i;

	buf_init(&out, 0);
	m = secrets_mask_new(collect, NULL);
	for (i = 0; i < SECRETS_MASK_MAX + 10; i++) {
		secrets_mask_add(m, "s3cr3t-value-123");
		snprintf(v, sizeof v, "value-%zu;", i);
		secrets_mask_add(m, v);
	}
	text = "s3cr3t-value-123 value-0; value-4094; value-4095;\n";
	secrets_mask_feed(m, text, strlen(text));
	secrets_mask_free(m);
	cr_assert_str_eq(out.data, "[MASKED] [MASKED] [MASKED] value-4095;\n");
	buf_free(&out);
}

Test(secrets, store_roundtrip)
{
	char	 dir[] = "/tmp/stratus-test-secrets-XXXXXX", *sub, *v, *cause;
	char	**names;
	size_t	 n, i;
	struct stat st;

	cr_assert(mkdtemp(dir) != NULL);
	sub = xasprintf("%s/secrets", dir);
	cause = NULL;
	cr_assert(secrets_set(sub, "API_TOKEN", "s3cr3t", 6, &cause) == 0);
	cr_assert(secrets_set(sub, "vault/path key", "v", 1, &cause) == 0);
	cr_assert(secrets_get(sub, "API_TOKEN", &v, &cause) == 0);
	cr_assert_str_eq(v, "s3cr3t");
	free(v);
	cr_assert(secrets_get(sub, "NOPE", &v, &cause) == 1);
	cr_assert(secrets_list(sub, &names, &n, &cause) == 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(names[0], "API_TOKEN");
	cr_assert_str_eq(names[1], "vault/path key");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cr_assert(stat(sub, &st) == 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert(secrets_remove(sub, "API_TOKEN", &cause) == 0);
	cr_assert(secrets_remove(sub, "API_TOKEN", &cause) == 1);
	cr_assert(secrets_set(sub, "bad\nname", "x", 1, &cause) == -1);
	free(cause);
	v = xasprintf("rm -rf %s", dir);
	cr_assert(system(v) == 0);
	free(v);
	free(sub);
}

Test(secrets, reference)
{
	char	*name;

	cr_assert(secrets_reference("ENCRYPTED[TOKEN]", &name) == 1);
	cr_assert_str_eq(name, "TOKEN");
	free(name);
	cr_assert(secrets_reference("VAULT[ secret/x key ]", &name) == 1);
	cr_assert_str_eq(name, "secret/x key");
	free(name);
	cr_assert(secrets_reference("plain", &name) == 0);
	cr_assert(secrets_reference("ENCRYPTED[x", &name) == 0);
}
