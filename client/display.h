/* display.h -- what stratus run shows while a job runs: TTY, plain, GitHub. */
#ifndef CLIENT_DISPLAY_H
#define CLIENT_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum display_mode {
	DISPLAY_TTY,		/* redrawn lines: state, spinner, last lines */
	DISPLAY_SIMPLE,		/* prefixed lines, Started and result lines */
	DISPLAY_GITHUB		/* ::group:: per task, ::error:: on failure */
};

#define DISPLAY_TAIL		3	/* lines shown under a running task */
#define DISPLAY_KEEP		10	/* lines kept for a failed task */
#define DISPLAY_GROUP_MAX	(4u << 20)	/* bytes held per task */

struct display;

/* mode from its name ("tty", "simple", "github-actions"): 0, or -1. */
int		 display_mode_parse(const char *, enum display_mode *);
/* A display writing to stdout; columns is the terminal width. */
struct display	*display_new(enum display_mode, int color, int columns);
void		 display_free(struct display *);
/* The job as fetched at now (monotonic ms): task states and durations. */
void		 display_job(struct display *, const cJSON *job, int64_t now);
/* One complete log line of task. */
void		 display_line(struct display *, const char *task,
		    const char *text, size_t len);
/* A step marker of task (doc/log-format.md). */
void		 display_step(struct display *, const char *task,
		    const cJSON *marker);
/* Redraw the terminal display (spinner, elapsed); no-op in other modes. */
void		 display_draw(struct display *, int64_t now);
/* The job has ended: final screen, failed tasks with their last lines. */
void		 display_end(struct display *, const cJSON *job, int64_t now);

#endif
