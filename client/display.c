/* display.c -- stratus run's progress: a redrawn terminal view or plain lines. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/display.h"
#include "client/render.h"
#include "proto/log.h"
#include "proto/states.h"
#include "proto/util.h"

#define C_RESET		"\033[0m"
#define C_GREEN		"\033[32m"
#define C_RED		"\033[31m"
#define C_YELLOW	"\033[33m"
#define C_DIM		"\033[2m"

/* What the display knows of one task. */
struct dtask {
	char		*name;
	int		 state;		/* enum task_state, -1 unknown */
	int		 started;	/* "Started" printed / group open */
	int		 ended;		/* result printed */
	int64_t		 dur_ms;	/* as of fetched */
	int64_t		 fetched;
	char		*last[DISPLAY_KEEP];	/* ring of last lines */
	size_t		 nlast, lastpos;
	struct buf	 group;		/* GitHub: lines until the task ends */
	int		 group_full;
	char		*failed_step;
};

struct display {
	enum display_mode	 mode;
	int			 color;
	int			 columns;
	struct dtask		*tasks;
	size_t			 ntasks;
	int			 drawn;		/* lines on screen to redraw */
};

/* Parse a mode name; see display.h. */
int
display_mode_parse(const char *s, enum display_mode *m)
{
	if (strcmp(s, "tty") == 0 || strcmp(s, "interactive") == 0)
		*m = DISPLAY_TTY;
	else if (strcmp(s, "simple") == 0)
		*m = DISPLAY_SIMPLE;
	else if (strcmp(s, "github-actions") == 0)
		*m = DISPLAY_GITHUB;
	else
		return (-1);
	return (0);
}

/* A display on stdout; see display.h. */
struct display *
display_new(enum display_mode mode, int color, int columns)
{
	struct display	*d;

	d = xcalloc(1, sizeof *d);
	d->mode = mode;
	d->color = color;
	d->columns = columns >= 20 ? columns : 80;
	return (d);
}

void
display_free(struct display *d)
{
	size_t	i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->ntasks; i++) {
		free(d->tasks[i].name);
		for (j = 0; j < d->tasks[i].nlast; j++)
			free(d->tasks[i].last[j]);
		buf_free(&d->tasks[i].group);
		free(d->tasks[i].failed_step);
	}
	free(d->tasks);
	free(d);
}

/* The task called name, added when new. */
static struct dtask *
display_task(struct display *d, const char *name)
{
	struct dtask	*t;
	size_t		 i;

	for (i = 0; i < d->ntasks; i++) {
		if (strcmp(d->tasks[i].name, name) == 0)
			return (&d->tasks[i]);
	}
	d->tasks = xreallocarray(d->tasks, d->ntasks + 1, sizeof *d->tasks);
	t = &d->tasks[d->ntasks++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->state = -1;
	buf_init(&t->group, DISPLAY_GROUP_MAX);
	return (t);
}

/* Print the result line of one task, as render_results words it. */
static void
display_result(const cJSON *task)
{
	cJSON	*job, *tasks;

	if ((job = cJSON_CreateObject()) == NULL ||
	    (tasks = cJSON_AddArrayToObject(job, "tasks")) == NULL)
		fatalx("out of memory");
	cJSON_AddItemReferenceToArray(tasks, (cJSON *)task);
	(void)render_results(job, NULL, 1);
	cJSON_Delete(job);
}

/* The name of the step that failed (or was cut short) in task, or NULL. */
static char *
display_failed_step(const cJSON *task)
{
	const cJSON	*steps, *s;
	const char	*st, *name;

	steps = cJSON_GetObjectItemCaseSensitive(task, "steps");
	cJSON_ArrayForEach(s, steps) {
		st = render_jstr(s, "state");
		name = render_jstr(s, "name");
		if (st != NULL && name != NULL && strcmp(st, "succeeded") != 0 &&
		    strcmp(st, "skipped") != 0 && strcmp(st, "queued") != 0)
			return (xstrdup(name));
	}
	return (NULL);
}

/* A task ended: close its GitHub group and say how it went. */
static void
display_ended(struct display *d, struct dtask *t, const cJSON *task)
{
	const char	*reason;

	t->ended = 1;
	free(t->failed_step);
	t->failed_step = NULL;
	if (t->state != TASK_SUCCEEDED && t->state != TASK_SKIPPED)
		t->failed_step = display_failed_step(task);
	if (d->mode == DISPLAY_TTY)
		return;
	if (d->mode == DISPLAY_GITHUB) {
		printf("::group::%s\n", t->name);
		if (t->group.len != 0)
			fwrite(t->group.data, 1, t->group.len, stdout);
		if (t->group_full)
			printf("[stratus] output past %u bytes not shown here; "
			    "see stratus logs\n", DISPLAY_GROUP_MAX);
		printf("::endgroup::\n");
		buf_free(&t->group);
	}
	display_result(task);
	if (d->mode == DISPLAY_GITHUB && (t->state == TASK_FAILED ||
	    t->state == TASK_ERRORED)) {
		reason = render_jstr(task, "reason");
		printf("::error title=%s::task '%s' %s%s%s%s%s\n", t->name,
		    t->name, state_name((enum task_state)t->state),
		    t->failed_step != NULL ? " in step " : "",
		    t->failed_step != NULL ? t->failed_step : "",
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	}
}

/* Take in the job's task states; see display.h. */
void
display_job(struct display *d, const cJSON *job, int64_t now)
{
	const cJSON	*tasks, *task;
	const char	*name, *state;
	struct dtask	*t;
	int64_t		 ms;
	int		 st;

	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	cJSON_ArrayForEach(task, tasks) {
		if ((name = render_jstr(task, "name")) == NULL ||
		    (state = render_jstr(task, "state")) == NULL)
			continue;
		t = display_task(d, name);
		st = state_from_name(state);
		t->state = st;
		t->fetched = now;
		t->dur_ms = render_jint(task, "duration_ms", &ms) == 0 ? ms : 0;
		if (st == -1)
			continue;
		if (!t->started && st != TASK_QUEUED && st != TASK_SKIPPED &&
		    render_jstr(task, "started_at") != NULL) {
			t->started = 1;
			if (d->mode == DISPLAY_SIMPLE)
				printf("Started '%s'\n", name);
		}
		if (!t->ended && state_finished((enum task_state)st))
			display_ended(d, t, task);
	}
	fflush(stdout);
}

/* Copy text without control characters or escape sequences, to fit. */
static char *
display_clean(const char *text, size_t len, size_t width)
{
	struct buf	 b;
	size_t		 i, cols = 0;
	unsigned char	 c;

	buf_init(&b, 0);
	for (i = 0; i < len && cols < width; i++) {
		c = (unsigned char)text[i];
		if (c == '\033') {
			/* CSI: ESC [ params final; others: ESC and one byte. */
			if (i + 1 < len && text[i + 1] == '[') {
				for (i += 2; i < len && !((unsigned char)
				    text[i] >= 0x40 && (unsigned char)text[i] <=
				    0x7e); i++)
					;
			} else
				i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if (c == '\t') {
				(void)buf_add(&b, " ", 1);
				cols++;
			}
			continue;
		}
		(void)buf_add(&b, &text[i], 1);
		if ((c & 0xc0) != 0x80)
			cols++;
	}
	/* Do not end inside a UTF-8 sequence. */
	while (b.len > 0 && (i < len && ((unsigned char)text[i] & 0xc0) ==
	    0x80)) {
		while (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xc0) ==
		    0x80)
			b.len--;
		if (b.len > 0)
			b.len--;
		break;
	}
	(void)buf_add(&b, "", 0);
	return (buf_steal(&b, NULL));
}

/* Take a log line; see display.h. */
void
display_line(struct display *d, const char *task, const char *text,
    size_t len)
{
	struct dtask	*t = display_task(d, task);

	switch (d->mode) {
	case DISPLAY_SIMPLE:
		if (!t->started) {
			t->started = 1;
			printf("Started '%s'\n", task);
		}
		printf("%s | %.*s\n", task, (int)len, text);
		break;
	case DISPLAY_GITHUB:
		if (buf_add(&t->group, text, len) == -1 ||
		    buf_add(&t->group, "\n", 1) == -1)
			t->group_full = 1;
		break;
	case DISPLAY_TTY:
		if (t->nlast < DISPLAY_KEEP)
			t->last[t->nlast++] = display_clean(text, len,
			    (size_t)d->columns);
		else {
			free(t->last[t->lastpos]);
			t->last[t->lastpos] = display_clean(text, len,
			    (size_t)d->columns);
			t->lastpos = (t->lastpos + 1) % DISPLAY_KEEP;
		}
		break;
	}
}

/* Take a step marker; see display.h. */
void
display_step(struct display *d, const char *task, const cJSON *marker)
{
	char	hdr[512];

	render_step_header(marker, hdr, sizeof hdr);
	display_line(d, task, hdr, strlen(hdr));
}

/* The i-th of the last n lines of t, oldest first. */
static const char *
display_last(const struct dtask *t, size_t n, size_t i)
{
	size_t	first = t->nlast - n;

	return (t->last[(t->lastpos + first + i) % t->nlast]);
}

/* The symbol and colour of a state. */
static void
display_symbol(int st, int64_t now, int final, char *sym, const char **col)
{
	static const char	spin[] = "|/-\\";

	*col = C_DIM;
	switch (st) {
	case TASK_RUNNING:
		*sym = final ? '?' : spin[(now / 100) % 4];
		*col = C_YELLOW;
		break;
	case TASK_SUCCEEDED:
		*sym = '+';
		*col = C_GREEN;
		break;
	case TASK_FAILED:
	case TASK_ERRORED:
		*sym = 'x';
		*col = C_RED;
		break;
	case TASK_CANCELLED:
		*sym = '!';
		*col = C_RED;
		break;
	default:
		*sym = st == TASK_SKIPPED ? '-' : '.';
		break;
	}
}

/* Draw every task's line (and a running task's last lines). */
static void
display_paint(struct display *d, int64_t now, int final)
{
	struct dtask	*t;
	const char	*col;
	char		 sym, dur[32];
	size_t		 i, j, n, namew = 4;
	int		 lines = 0;
	int64_t		 ms;

	for (i = 0; i < d->ntasks; i++) {
		if (strlen(d->tasks[i].name) > namew)
			namew = strlen(d->tasks[i].name);
	}
	if (namew > (size_t)d->columns / 2)
		namew = (size_t)d->columns / 2;
	if (d->drawn > 0)
		printf("\033[%dF", d->drawn);
	for (i = 0; i < d->ntasks; i++) {
		t = &d->tasks[i];
		display_symbol(t->state, now, final, &sym, &col);
		ms = t->dur_ms;
		if (t->state == TASK_RUNNING && !final && now > t->fetched)
			ms += now - t->fetched;
		if (t->state == TASK_QUEUED || t->state == -1 ||
		    t->state == TASK_SKIPPED)
			dur[0] = '\0';
		else
			format_duration(ms, dur, sizeof dur);
		printf("\033[K%s%c%s %-*.*s %-10s %s\n", d->color ? col : "",
		    sym, d->color ? C_RESET : "", (int)namew, (int)namew,
		    t->name, t->state >= 0 ? state_name((enum task_state)
		    t->state) : "?", dur);
		lines++;
		if (t->state != TASK_RUNNING || final)
			continue;
		n = t->nlast < DISPLAY_TAIL ? t->nlast : DISPLAY_TAIL;
		for (j = 0; j < n; j++) {
			printf("\033[K%s    %.*s%s\n", d->color ? C_DIM : "",
			    d->columns - 5, display_last(t, n, j),
			    d->color ? C_RESET : "");
			lines++;
		}
	}
	if (lines < d->drawn)
		printf("\033[J");
	d->drawn = final ? 0 : lines;
	fflush(stdout);
}

/* Redraw; see display.h. */
void
display_draw(struct display *d, int64_t now)
{
	if (d->mode == DISPLAY_TTY)
		display_paint(d, now, 0);
}

/* The end; see display.h. */
void
display_end(struct display *d, const cJSON *job, int64_t now)
{
	const cJSON	*tasks, *task;
	struct dtask	*t;
	size_t		 i, j;
	const char	*name;

	display_job(d, job, now);
	if (d->mode != DISPLAY_TTY)
		return;
	display_paint(d, now, 1);
	tasks = cJSON_GetObjectItemCaseSensitive(job, "tasks");
	cJSON_ArrayForEach(task, tasks) {
		if ((name = render_jstr(task, "name")) == NULL)
			continue;
		t = display_task(d, name);
		if (t->state != TASK_FAILED && t->state != TASK_ERRORED &&
		    t->state != TASK_CANCELLED)
			continue;
		printf("\n%s", d->color ? C_RED : "");
		display_result(task);
		if (t->failed_step != NULL)
			printf("in step '%s'\n", t->failed_step);
		printf("%s", d->color ? C_RESET : "");
		for (i = 0; i < t->nlast; i++) {
			j = (t->lastpos + i) % t->nlast;
			printf("    %s\n", t->last[j]);
		}
	}
	fflush(stdout);
}
