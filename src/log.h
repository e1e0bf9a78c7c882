/* log.h: pmtr's log: stderr in the foreground, syslog otherwise, never blocking on syslog. SPDX-License-Identifier: MIT */
#ifndef PMTR_LOG_H
#define PMTR_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TO_STDERR,		/* "pmtr[PID]: message" on stderr */
	LOG_TO_SYSLOG,		/* datagrams to /dev/log, dropped when nobody listens */
};

/* verbosity: 0 info, 1 debug (-v), 2 parse trace (-vv). */
void log_init(enum log_target target, int verbosity);
void log_exit(void);
int log_verbosity(void);
/* Lines on stderr start with their local time ("2026-12-07T23:49:48.123+01:00"):
 * for a terminal, or -T; journald and docker add their own. */
void log_set_timestamps(bool on);

/* Informational event. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A problem; log_warn appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only shown with -v. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only shown with -vv: parser trace. */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pmtr's own recent lines (info and warnings, not debug, not jobs' output),
 * in a ring of JOBLOG_MAX bytes for pmtrctl logs --pmtr; NULL before the first. */
struct joblog;
const struct joblog *log_kept_lines(void);

/* A line of a job's output, with its own priority: tagged "name[pid]" in syslog,
 * after pmtr's own prefix on stderr. */
void log_job_line(const char *name, int pid, const char *text);

#endif
