/* log.c: pmtr's log: stderr in the foreground, syslog otherwise, never blocking on syslog. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "joblog.h"
#include "log.h"
#include "util.h"

/* Room for a job's output line of 1024 bytes, each shown as \xHH, and its prefix. */
#define LOG_LINE_MAX 4608

static struct {
	enum log_target target;
	int verbosity;
	int syslog_fd;		/* -1 until connected */
	pid_t pid;		/* as of log_init: a line costs no getpid */
	bool timestamps;	/* on stderr, each line after its local time */
	struct joblog *kept;	/* for pmtrctl logs --pmtr */
} logger = { LOG_TO_STDERR, 0, -1, 0, false, NULL };

void log_init(enum log_target target, int verbosity)
{
	logger.target = target;
	logger.verbosity = verbosity;
	logger.pid = getpid();
}

void log_exit(void)
{
	if (logger.syslog_fd >= 0)
		close(logger.syslog_fd);
	logger.syslog_fd = -1;
	joblog_free(logger.kept);
	logger.kept = NULL;
}

const struct joblog *log_kept_lines(void)
{
	return logger.kept;
}

void log_set_timestamps(bool on)
{
	logger.timestamps = on;
}

int log_verbosity(void)
{
	return logger.verbosity;
}

/* The syslog socket is connected lazily and again after an error, so that a syslog
 * daemon started (or restarted) after pmtr is found. */
static int syslog_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* tag and pid name the sender: pmtr itself, or the job whose output it is. */
static void syslog_send(int priority, const char *tag, int pid, const char *msg)
{
	char line[LOG_LINE_MAX + 64], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int len;

	if (logger.syslog_fd < 0)
		logger.syslog_fd = syslog_connect();
	if (logger.syslog_fd < 0)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	len = snprintf(line, sizeof(line), "<%d>%s %s[%d]: %s", LOG_DAEMON | priority,
		       stamp, tag, pid, msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	/* MSG_DONTWAIT: a busy syslog daemon costs us the line, never a stall. */
	if (send(logger.syslog_fd, line, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN) {
		close(logger.syslog_fd);
		logger.syslog_fd = -1;
	}
}

static void emit(int priority, const char *msg)
{
	if (logger.target == LOG_TO_SYSLOG) {
		syslog_send(priority, "pmtr", (int)logger.pid, msg);
		return;
	}
	char line[LOG_LINE_MAX + 64], now[40];
	int len = logger.timestamps ?
		  snprintf(line, sizeof(line), "%s pmtr[%d]: %s\n",
			   util_local_time_text(now, sizeof(now)), (int)logger.pid, msg) :
		  snprintf(line, sizeof(line), "pmtr[%d]: %s\n", (int)logger.pid, msg);

	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	/* One write per line keeps lines whole when stderr is shared. */
	while (write(STDERR_FILENO, line, (size_t)len) < 0 && errno == EINTR)
		;
}

static void vlog(int priority, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int len = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (len < 0)
		return;
	if (errnum && (size_t)len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - (size_t)len, ": %s", strerror(errnum));
	/* the ring has room of its own; when it cannot be made, lines are only logged.
	 * It stays at its first 8 KiB: a few hundred lines, and 1000 jobs' start
	 * lines cost pmtr no more. */
	if (priority != LOG_DEBUG) {
		int saved = errno;

		joblog_add_within(&logger.kept, JOBLOG_MIN, logger.pid, util_now_wall_ms(), msg,
				  strlen(msg));
		errno = saved;
	}
	emit(priority, msg);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (logger.verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void log_trace(const char *fmt, ...)
{
	va_list ap;

	if (logger.verbosity < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void log_job_line(const char *name, int pid, const char *text)
{
	char msg[LOG_LINE_MAX];

	/* Tagged with the job's name, syslog and journald file the line under the job. */
	if (logger.target == LOG_TO_SYSLOG) {
		syslog_send(LOG_NOTICE, name, pid, text);
		return;
	}
	snprintf(msg, sizeof(msg), "%s[%d]: %s", name, pid, text);
	emit(LOG_NOTICE, msg);
}
