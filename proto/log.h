/* log.h -- daemon and client diagnostics (OpenSMTPD style). */
#ifndef PROTO_LOG_H
#define PROTO_LOG_H

#include <stdarg.h>

/* Prefix every line with name; verbose enables log_debug. */
void	log_init(const char *name, int verbose);
/* Under systemd: syslog priority prefixes "<3>", no timestamps. */
void	log_set_journal(int);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures and broken invariants only: exit(1). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
