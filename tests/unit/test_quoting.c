/* test_quoting.c -- property test: the runner passes task-file text through byte for byte and runs none of it. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/runner.h"
#include "proto/util.h"

#define NCASES		240
#define MAXDEF		3	/* deferred variables in a case */
#define MAXFILES	3	/* file steps with from_contents */
#define MAXSCRIPTS	2	/* script steps writing a file */
#define MAXSTEPS	(MAXDEF + MAXFILES + MAXSCRIPTS + 2)
#define ARGSTR_MAX	131072	/* Linux MAX_ARG_STRLEN, with the NUL */
#define LONG_LEN	(100 * 1024)

/*
 * Variables the random text names: set ones whose values would run
 * commands if the shell read them as code, unset ones, and the deferred
 * ones a case defines (STRATUS_Q_D0...).  Random text has no upper case
 * letters or '_' of its own, so it never names the runner's variables
 * ($__d, $CIRRUS_ENV) or the shell's ($IFS, $PWD) by chance.
 */
static const char *const set_vars[][2] = {
	{ "STRATUS_Q_A", "a $(touch CANARY) `touch CANARY`; touch CANARY *?" },
	{ "STRATUS_Q_B", "'\"\\$HOME ${HOME} ~ \n\t|&<>#!%\n" },
	{ "STRATUS_Q_EMPTY", "" },
};
static const char *const unset_vars[] = { "STRATUS_Q_UNSET", "STRATUS_Q_U9" };
static const char *const def_names[MAXDEF] = {
	"STRATUS_Q_D0", "STRATUS_Q_D1", "STRATUS_Q_D2",
};

/* Commands that leave a file named CANARY in the working directory, or
 * HOME, when the shell runs them. */
static const char *const canaries[] = {
	"$(touch CANARY)", "`touch CANARY`", "; touch CANARY", "&& touch CANARY",
	"| touch CANARY", "\ntouch CANARY\n", "'; touch CANARY; '",
	"\"; touch CANARY; \"", "$(touch${IFS}CANARY)", "\\\ntouch CANARY",
	"${HOME:+$(touch CANARY)}", "$((0))$(touch CANARY)", "> CANARY",
	"'$(touch CANARY)'", "\"`touch CANARY`\"", "\\$(touch CANARY)",
	"\\\\$(touch CANARY)", "$(touch \"$HOME/CANARY\")", "&touch CANARY&",
	"\"'\"'$(touch CANARY)", "${STRATUS_Q_A}$(touch CANARY)",
};

/* Forms the shell knows but the runner must leave alone. */
static const char *const oddities[] = {
	"$", "${", "${}", "$1", "$$", "$?", "$@", "$*", "$#", "$-", "$!", "$0",
	"${#STRATUS_Q_A}", "${STRATUS_Q_A:-x}", "${STRATUS_Q_A", "$STRATUS_Q_Ax",
	"$STRATUS_Q_A_", "$STRATUS_Q_A[0]", "${STRATUS_Q_A}}", "$'\\n'", "\\'",
	"''", "\\", "\\\\", "\\\n", "$(", "`", "\001", "\036", "\036stratus:",
	"\177", "\200", "\377", "\303\251", "..", ".", "/../", "-", "--", "=",
	"${HOME}", "$HOME", "~/", "~", "*", "[a-z]", "{a,b}", "$((1+1))",
};

static const char meta[] = "'\"`$(){}\\;&|<>*?[]~#!\n\t %-/=:";
static const char plain[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static uint64_t	 rng_s;

/* splitmix64: a fixed seed makes every run the same. */
static uint64_t
rng(void)
{
	uint64_t	 z = (rng_s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static size_t
pick(size_t n)
{
	return ((size_t)(rng() % n));
}

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

/* Random text of about len bytes; for a path, none with '.' (no way
 * out of the test's directory) and no deferred variables. */
static void
gen(struct buf *b, size_t len, int path, int ndef)
{
	const char	*s, *name;
	size_t		 start = b->len, r;

	while (b->len - start < len) {
		r = pick(100);
		if (r < 50)
			buf_add(b, &meta[pick(sizeof meta - 1)], 1);
		else if (r < 75)
			buf_add(b, &plain[pick(sizeof plain - 1)], 1);
		else if (r < 87) {
			r = pick(4 + NELEM(set_vars) + NELEM(unset_vars));
			if (r < NELEM(set_vars))
				name = set_vars[r][0];
			else if ((r -= NELEM(set_vars)) < NELEM(unset_vars))
				name = unset_vars[r];
			else if (!path && ndef > 0 && r > NELEM(unset_vars))
				name = def_names[pick((size_t)ndef)];
			else
				name = "HOME";
			buf_printf(b, pick(2) ? "$%s" : "${%s}", name);
		} else if (r < 94)
			buf_addstr(b, canaries[pick(NELEM(canaries))]);
		else {
			s = oddities[pick(NELEM(oddities))];
			if (!path || strchr(s, '.') == NULL)
				buf_addstr(b, s);
		}
	}
}

static size_t
name_len(const char *s)
{
	size_t	 n;

	for (n = 0; (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' &&
	    s[n] <= 'z') || s[n] == '_' || (n > 0 && s[n] >= '0' &&
	    s[n] <= '9'); n++)
		;
	return (n);
}

/* Variables defined by the runner before the text is expanded. */
struct scope {
	const char	*names[MAXDEF];
	const char	*vals[MAXDEF];
	size_t		 n;
};

static const char *
lookup(const struct scope *sc, const char *name, size_t len)
{
	const char	*v;
	char		*tmp;
	size_t		 i;

	for (i = 0; sc != NULL && i < sc->n; i++) {
		if (strlen(sc->names[i]) == len &&
		    memcmp(sc->names[i], name, len) == 0)
			return (sc->vals[i]);
	}
	/* The shell's own, which the text may name. */
	if (len == 3 && memcmp(name, "IFS", 3) == 0)
		return (" \t\n");
	tmp = xstrndup(name, len);
	v = getenv(tmp);
	free(tmp);
	return (v != NULL ? v : "");
}

/*
 * The oracle: s with $NAME and ${NAME} replaced by values (empty when
 * unset) and, with tilde, a leading "~/" or lone "~" by $HOME; nothing
 * else changes.  Returns how many references there were.
 */
static size_t
expand(struct buf *out, const char *s, int tilde, const struct scope *sc)
{
	size_t	 n, refs = 0;

	if (tilde && s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		buf_addstr(out, lookup(NULL, "HOME", 4));
		s++;
	}
	while (*s != '\0') {
		if (s[0] == '$' && (n = name_len(s + 1)) > 0) {
			buf_addstr(out, lookup(sc, s + 1, n));
			s += 1 + n;
			refs++;
		} else if (s[0] == '$' && s[1] == '{' &&
		    (n = name_len(s + 2)) > 0 && s[2 + n] == '}') {
			buf_addstr(out, lookup(sc, s + 2, n));
			s += 3 + n;
			refs++;
		} else
			buf_add(out, s++, 1);
	}
	if (out->data == NULL)
		buf_add(out, "", 0);
	return (refs);
}

/* s as a C literal (cut at 400 bytes), for failure messages; static. */
static const char *
show(const char *s)
{
	static struct buf	 b;
	size_t			 i;

	buf_free(&b);
	buf_addstr(&b, "\"");
	for (i = 0; s[i] != '\0' && i < 400; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_printf(&b, "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			buf_printf(&b, "\\%03o", (unsigned char)s[i]);
		else
			buf_add(&b, &s[i], 1);
	}
	buf_addstr(&b, s[i] != '\0' ? "\"..." : "\"");
	return (b.data);
}

struct seen {
	struct buf	 out;
	char		 steps[512];
};

static void
seen_out(const char *s, size_t n, void *arg)
{
	struct seen	*sn = arg;

	buf_add(&sn->out, s, n);
}

static void
seen_step(int idx, int begin, int rc, void *arg)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->steps);

	snprintf(sn->steps + len, sizeof sn->steps - len, "%c%d:%d ",
	    begin ? 'b' : 'e', idx, rc);
}

/*
 * Run t's runner script with shell in cwd, as stratusd does (sh -c
 * SCRIPT); collect output and step markers.  A script too long for one
 * argument goes in a file (outside cwd) instead: see the long test.
 */
static int
run_script(const char *shell, const char *cwd, const struct tf_task *t,
    char *const *deferred, struct seen *sn)
{
	char			 nonce[RUNNER_NONCE_LEN + 1], chunk[4096];
	char			 file[] = "/tmp/test_quoting.script.XXXXXX";
	char			*script;
	struct runner_parser	 p;
	int			 fds[2], status, fd = -1;
	ssize_t			 n;
	pid_t			 pid;

	runner_nonce(nonce);
	script = runner_script(t, nonce, deferred);
	if (strlen(script) >= ARGSTR_MAX) {
		cr_assert((fd = mkstemp(file)) != -1);
		cr_assert(write_all(fd, script, strlen(script)) == 0);
		close(fd);
	}
	cr_assert(pipe(fds) == 0);
	pid = fork();
	cr_assert(pid != -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		closefrom(3);
		if (chdir(cwd) == -1)
			_exit(126);
		if (fd != -1)
			execl(shell, "sh", file, (char *)NULL);
		else
			execl(shell, "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	runner_parser_init(&p, nonce, seen_out, seen_step, sn);
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
		runner_parser_feed(&p, 1, chunk, (size_t)n);
	runner_parser_flush(&p);
	close(fds[0]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	if (fd != -1)
		unlink(file);
	free(script);
	cr_assert(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* A file the run must leave, with its bytes. */
struct expect {
	char		*path;
	struct buf	 want;
	struct stat	 st;	/* the file found: paths may differ ("//") */
};

static struct expect	 expects[MAXSTEPS + 1];
static size_t		 nexpects;
static struct buf	 stray;		/* files no step wrote, each and '\n' */

static int
walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t	 i;

	if (flag != FTW_F)
		return (0);
	if (strcmp(path + ftw->base, "CANARY") == 0) {
		buf_printf(&stray, "%s\n", show(path));
		return (0);
	}
	if (strcmp(path + ftw->base, "GLOBME") == 0)
		return (0);
	for (i = 0; i < nexpects; i++) {
		if (expects[i].st.st_dev == st->st_dev &&
		    expects[i].st.st_ino == st->st_ino)
			return (0);
	}
	buf_printf(&stray, "%s\n", show(path));
	return (0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* A fresh directory for a run, with HOME inside it under a name that
 * would run a command if the runner left $HOME unquoted; caller frees. */
static char *
make_workdir(void)
{
	char	 tmpl[] = "/tmp/test_quoting.XXXXXX";
	char	*dir, *home;
	int	 fd;

	cr_assert(mkdtemp(tmpl) != NULL);
	dir = xstrdup(tmpl);
	home = xasprintf("%s/home $(touch CANARY) `touch CANARY` '\"* ~", dir);
	cr_assert(mkdir(home, 0700) == 0);
	cr_assert(setenv("HOME", home, 1) == 0);
	free(home);
	/* So a glob that expanded would show. */
	home = xasprintf("%s/GLOBME", dir);
	cr_assert((fd = open(home, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	free(home);
	return (dir);
}

static void
expect_add(const char *dir, const char *path, const struct buf *want)
{
	struct expect	*e = &expects[nexpects++];

	e->path = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir,
	    path);
	buf_init(&e->want, 0);
	buf_add(&e->want, want->data, want->len);
}

/* Check every expected file and that nothing else was written; empty
 * the list and remove dir. */
static void
check_files(const char *dir, const char *what)
{
	char	*got;
	size_t	 i, len;

	for (i = 0; i < nexpects; i++) {
		got = read_file(expects[i].path, 0, &len);
		cr_assert_not_null(got, "%s: %s: %s", what,
		    show(expects[i].path), strerror(errno));
		cr_assert(len == expects[i].want.len &&
		    memcmp(got, expects[i].want.data, len) == 0,
		    "%s: %s holds %s, not %s", what, expects[i].path, show(got),
		    show(expects[i].want.data));
		free(got);
		cr_assert(stat(expects[i].path, &expects[i].st) == 0);
	}
	buf_free(&stray);
	cr_assert_eq(nftw(dir, walk_one, 16, FTW_PHYS), 0);
	cr_assert_eq(stray.len, 0, "%s: stray files (a command ran?): %s",
	    what, stray.data);
	for (i = 0; i < nexpects; i++) {
		free(expects[i].path);
		buf_free(&expects[i].want);
	}
	nexpects = 0;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(set_vars); i++)
		cr_assert(setenv(set_vars[i][0], set_vars[i][1], 1) == 0);
	for (i = 0; i < NELEM(unset_vars); i++)
		cr_assert(unsetenv(unset_vars[i]) == 0);
	for (i = 0; i < MAXDEF; i++)
		cr_assert(unsetenv(def_names[i]) == 0);
	unsetenv("CIRRUS_ENV_SENSITIVE");
}

TestSuite(quoting, .init = setup, .timeout = 120);

/* The step "printf '%s' TEXT" with TEXT single-quoted; caller frees. */
static char *
printf_script(const char *text, const char *redirect)
{
	char	*q, *s;

	q = shell_quote(text);
	s = xasprintf("printf '%%s' %s%s", q, redirect);
	free(q);
	return (s);
}

/* Owned strings of one case. */
struct strs {
	char	*v[4 * MAXSTEPS];
	size_t	 n;
};

static char *
keep(struct strs *k, char *s)
{
	cr_assert(k->n < NELEM(k->v));
	k->v[k->n++] = s;
	return (s);
}

static void
strs_free(struct strs *k)
{
	while (k->n > 0)
		free(k->v[--k->n]);
}

/*
 * One random case: deferred variables (each printed by a step), file
 * steps with from_contents and paths, one with variable_name, script
 * steps printing literal text to a file and to stdout; all run by shell.
 */
static void
one_case(int idx, const char *shell)
{
	struct tf_step	 steps[MAXSTEPS];
	struct tf_task	 t = { .name = "t", .steps = steps };
	char		*deferred[MAXDEF + 1];
	struct scope	 sc;
	struct buf	 text, want, wout;
	struct strs	 k = { .n = 0 };
	struct seen	 sn;
	char		*dir, *s, what[64], msteps[512];
	size_t		 ndef, nfiles, nscripts, i, refs;
	int		 rc;

	memset(steps, 0, sizeof steps);
	memset(&sn, 0, sizeof sn);
	memset(&sc, 0, sizeof sc);
	buf_init(&text, 0);
	buf_init(&want, 0);
	buf_init(&wout, 0);
	buf_init(&sn.out, 0);
	snprintf(what, sizeof what, "case %d (%s)", idx, shell);
	dir = make_workdir();
	ndef = pick(MAXDEF + 1);
	nfiles = pick(MAXFILES + 1);
	nscripts = pick(MAXSCRIPTS + 1);

	/* Deferred variables, each naming earlier ones. */
	for (i = 0; i < ndef; i++) {
		buf_reset(&text);
		buf_reset(&want);
		gen(&text, pick(60), 0, (int)i + 1);
		refs = expand(&want, text.data != NULL ? text.data : "", 0, &sc);
		cr_assert_eq(shell_has_vars(text.data != NULL ? text.data : ""),
		    refs > 0, "%s: shell_has_vars(%s)", what, show(text.data));
		deferred[i] = keep(&k, xasprintf("%s=%s", def_names[i],
		    text.data != NULL ? text.data : ""));
		sc.names[i] = def_names[i];
		sc.vals[i] = keep(&k, xstrdup(want.data));
		sc.n++;
		steps[t.nsteps].kind = STEP_SCRIPT;
		steps[t.nsteps++].script = keep(&k, xasprintf(
		    "printf '%%s' \"$%s\" > d%zu.out", def_names[i], i));
		expect_add(dir, keep(&k, xasprintf("d%zu.out", i)), &want);
	}
	deferred[ndef] = NULL;

	/* File steps: path (~, $HOME, relative) and contents expand. */
	for (i = 0; i < nfiles; i++) {
		buf_reset(&text);
		switch (pick(4)) {
		case 0:
			buf_addstr(&text, "~/");
			break;
		case 1:
			buf_addstr(&text, pick(2) ? "$HOME/" : "${HOME}/");
			break;
		case 2:
			buf_addstr(&text, "~");	/* literal unless "~/" */
			break;
		default:
			break;
		}
		gen(&text, pick(30), 1, 0);
		/* Never the root, nor a variable that might be empty first. */
		if (text.data == NULL || text.data[0] == '/' ||
		    text.data[0] == '$') {
			s = xasprintf("p%s", text.data != NULL ? text.data : "");
			buf_reset(&text);
			buf_addstr(&text, s);
			free(s);
		}
		buf_printf(&text, ".f%zu", t.nsteps);
		steps[t.nsteps].kind = STEP_FILE;
		steps[t.nsteps].file_path = keep(&k, xstrdup(text.data));
		buf_reset(&want);
		expand(&want, text.data, 1, &sc);
		s = keep(&k, xstrdup(want.data));
		buf_reset(&text);
		buf_reset(&want);
		gen(&text, pick(80), 0, (int)ndef);
		steps[t.nsteps].from_contents = keep(&k, xstrdup(text.data));
		expand(&want, text.data, 0, &sc);
		expect_add(dir, s, &want);
		t.nsteps++;
	}

	/* A file step from a deferred variable: its value as it is. */
	if (ndef > 0) {
		steps[t.nsteps].kind = STEP_FILE;
		steps[t.nsteps].file_path = "~/v.out";
		steps[t.nsteps++].variable_name = (char *)def_names[ndef - 1];
		buf_reset(&want);
		buf_addstr(&want, sc.vals[ndef - 1]);
		s = keep(&k, xasprintf("%s/v.out", getenv("HOME")));
		expect_add(dir, s, &want);
	}

	/* Scripts: single-quoted text is printed as it is. */
	for (i = 0; i < nscripts; i++) {
		buf_reset(&text);
		gen(&text, pick(80), 0, (int)ndef);
		s = keep(&k, xasprintf(" > s%zu.out", i));
		steps[t.nsteps].kind = STEP_SCRIPT;
		steps[t.nsteps++].script = keep(&k, printf_script(
		    text.data != NULL ? text.data : "", s));
		expect_add(dir, s + 3, &text);
	}

	/* Last, one to stdout, which the parser must pass as it is. */
	buf_reset(&text);
	gen(&text, pick(80), 0, (int)ndef);
	steps[t.nsteps].kind = STEP_SCRIPT;
	steps[t.nsteps++].script = keep(&k, printf_script(
	    text.data != NULL ? text.data : "", ""));
	buf_add(&wout, text.data != NULL ? text.data : "", text.len);
	/* The parser ends a line cut by a marker. */
	if (text.len > 0 && text.data[text.len - 1] != '\n')
		buf_addstr(&wout, "\n");

	msteps[0] = '\0';
	for (i = 0; i < t.nsteps; i++)
		snprintf(msteps + strlen(msteps), sizeof msteps -
		    strlen(msteps), "b%zu:0 e%zu:0 ", i, i);
	rc = run_script(shell, dir, &t, deferred, &sn);
	cr_assert_eq(rc, 0, "%s: exit %d, output %s", what, rc,
	    show(sn.out.data != NULL ? sn.out.data : ""));
	cr_assert_str_eq(sn.steps, msteps, "%s: output %s", what,
	    show(sn.out.data != NULL ? sn.out.data : ""));
	cr_assert(sn.out.len == wout.len && (wout.len == 0 ||
	    memcmp(sn.out.data, wout.data, wout.len) == 0),
	    "%s: stdout %s, not %s", what,
	    show(sn.out.data != NULL ? sn.out.data : ""), show(wout.data));
	check_files(dir, what);
	free(dir);
	strs_free(&k);
	buf_free(&text);
	buf_free(&want);
	buf_free(&wout);
	buf_free(&sn.out);
}

static const char *const shells[] = {
	"/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/busybox",
};

Test(quoting, random_text_passes_through_and_never_runs)
{
	const char	*have[NELEM(shells)];
	size_t		 nhave = 0, i;

	for (i = 0; i < NELEM(shells); i++) {
		if (access(shells[i], X_OK) == 0)
			have[nhave++] = shells[i];
	}
	cr_assert_gt(nhave, 0);
	rng_s = 20240611;
	for (i = 0; i < NCASES; i++)
		one_case((int)i, have[i % nhave]);
}

/* shell_has_vars says whether there is anything for the runner to
 * expand, and shell_is_name what it may export, as the oracle does. */
Test(quoting, has_vars_and_is_name_agree_with_the_rule)
{
	struct buf	 text, want;
	size_t		 i, refs;

	buf_init(&text, 0);
	buf_init(&want, 0);
	rng_s = 77;
	for (i = 0; i < 20000; i++) {
		buf_reset(&text);
		buf_reset(&want);
		gen(&text, pick(12), 0, MAXDEF);
		if (text.data == NULL)
			continue;
		refs = expand(&want, text.data, 0, NULL);
		cr_assert_eq(shell_has_vars(text.data), refs > 0, "%s",
		    show(text.data));
		cr_assert_eq(shell_is_name(text.data), text.len > 0 &&
		    name_len(text.data) == text.len, "%s", show(text.data));
	}
	buf_free(&text);
	buf_free(&want);
}

/*
 * Variables whose names are not shell names cannot be exported by the
 * shell; such a name must not become code either.
 */
Test(quoting, deferred_names_never_run)
{
	struct tf_step	 steps[1] = {
		{ .name = "a", .kind = STEP_SCRIPT,
		  .script = "printf '%s' \"$STRATUS_Q_OK\" > ok.out" },
	};
	char		*deferred[] = {
		"STRATUS_Q_K;touch CANARY;STRATUS_Q_X=$HOME",
		"$(touch CANARY)=$HOME", "`touch CANARY`=${HOME}",
		"STRATUS_Q_K touch CANARY=$HOME", "STRATUS_Q_K>CANARY=$HOME",
		"=$HOME", "STRATUS_Q_OK=${HOME}x", NULL,
	};
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 1 };
	struct seen	 sn;
	struct buf	 want;
	char		*dir;
	size_t		 i;

	for (i = 0; i < NELEM(shells); i++) {
		if (access(shells[i], X_OK) != 0)
			continue;
		memset(&sn, 0, sizeof sn);
		buf_init(&sn.out, 0);
		buf_init(&want, 0);
		dir = make_workdir();
		buf_printf(&want, "%sx", getenv("HOME"));
		expect_add(dir, "ok.out", &want);
		cr_assert_eq(run_script(shells[i], dir, &t, deferred, &sn), 0,
		    "%s: %s", shells[i], show(sn.out.data != NULL ?
		    sn.out.data : ""));
		check_files(dir, shells[i]);
		free(dir);
		buf_free(&want);
		buf_free(&sn.out);
	}
}

/* 100 KB of such text, deferred, as file contents and as a script. */
Test(quoting, long_values_pass_through)
{
	struct tf_step	 steps[3];
	struct tf_task	 t = { .name = "t", .steps = steps, .nsteps = 3 };
	struct scope	 sc = { .names = { "STRATUS_Q_D0" }, .n = 0 };
	struct buf	 text, want;
	struct seen	 sn;
	char		*deferred[2], *dir, *v;

	rng_s = 4242;
	memset(steps, 0, sizeof steps);
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.out, 0);
	buf_init(&text, 0);
	buf_init(&want, 0);
	dir = make_workdir();

	gen(&text, LONG_LEN, 0, 1);
	expand(&want, text.data, 0, &sc);
	deferred[0] = xasprintf("STRATUS_Q_D0=%s", text.data);
	deferred[1] = NULL;
	cr_assert_geq(want.len, LONG_LEN / 2);
	v = xstrdup(want.data);
	sc.vals[0] = v;
	sc.n = 1;
	steps[0].kind = STEP_SCRIPT;
	steps[0].script = "printf '%s' \"$STRATUS_Q_D0\" > d0.out";
	expect_add(dir, "d0.out", &want);

	buf_reset(&text);
	buf_reset(&want);
	gen(&text, LONG_LEN, 0, 1);
	expand(&want, text.data, 0, &sc);
	steps[1].kind = STEP_FILE;
	steps[1].file_path = "~/long.out";
	steps[1].from_contents = xstrdup(text.data);
	v = xasprintf("%s/long.out", getenv("HOME"));
	expect_add(dir, v, &want);
	free(v);

	buf_reset(&text);
	gen(&text, LONG_LEN, 0, 1);
	steps[2].kind = STEP_SCRIPT;
	steps[2].script = printf_script(text.data, " > s0.out");
	expect_add(dir, "s0.out", &text);

	cr_assert_eq(run_script("/bin/sh", dir, &t, deferred, &sn), 0, "%s",
	    show(sn.out.data != NULL ? sn.out.data : ""));
	cr_assert_str_eq(sn.steps, "b0:0 e0:0 b1:0 e1:0 b2:0 e2:0 ");
	cr_assert_eq(sn.out.len, 0);
	check_files(dir, "long");
	free(dir);
	free((char *)sc.vals[0]);
	free(deferred[0]);
	free(steps[1].from_contents);
	free(steps[2].script);
	buf_free(&text);
	buf_free(&want);
	buf_free(&sn.out);
}
