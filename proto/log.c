/* log.c -- diagnostics to stderr, journal-aware. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/log.h"

static const char	*log_name = "stratus";
static int		 log_verbose;
static int		 log_journal;
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
}

void
log_set_journal(int on)
{
	log_journal = on;
}

/* Write one line: "<3>msg" under the journal, else "time name: msg". */
static void
log_vline(int prio, const char *fmt, va_list ap, const char *err)
{
	char		 stamp[32] = "";
	struct tm	 tm;
	time_t		 t;

	pthread_mutex_lock(&log_lock);
	if (log_journal)
		fprintf(stderr, "<%d>", prio);
	else {
		t = time(NULL);
		if (localtime_r(&t, &tm) != NULL)
			strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S ", &tm);
		fprintf(stderr, "%s%s: ", stamp, log_name);
	}
	vfprintf(stderr, fmt, ap);
	if (err != NULL)
		fprintf(stderr, ": %s", err);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vline(4, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(4, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(6, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(7, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vline(2, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(2, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
