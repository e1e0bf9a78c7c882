/* util.c: small helpers shared by pmtr, its client programs and the tests. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *util_local_time_text(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[32], zone[8];

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !localtime_r(&ts.tv_sec, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) ||
	    !strftime(zone, sizeof(zone), "%z", &tm) || strlen(zone) != 5) {
		snprintf(buf, len, "-");
		return buf;
	}
	/* "+0100" as RFC 3339 writes it, "+01:00" */
	snprintf(buf, len, "%s.%03ld%.3s:%s", date, ts.tv_nsec / 1000000, zone, zone + 3);
	return buf;
}

int64_t util_now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t util_hash(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int util_hash_file(const char *path, uint64_t *hash)
{
	char buf[8192];
	uint64_t h = UTIL_HASH_INIT;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		h = util_hash(h, buf, (size_t)n);
	}
	close(fd);
	*hash = h;
	return 0;
}

char *util_read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	size_t cap, used = 0;
	char *buf = NULL, *bigger;
	ssize_t n;
	int fd, saved;

	/* O_NONBLOCK: a FIFO put in place of the file must not stall the caller. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf)
		goto fail;
	for (;;) {
		if (used == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			bigger = realloc(buf, cap * 2 + 1);
			if (!bigger)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	*len = used;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int util_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t digit = (uint64_t)(*s - '0');

		/* v * 10 + digit <= max, without overflow (digit may exceed max) */
		if (digit > max || v > (max - digit) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int util_parse_duration(const char *text, int64_t max_ms, int64_t *ms)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "ms", 1 },
	};
	size_t digits = 0;
	uint64_t v = 0;

	if (!text)
		return -1;
	while (text[digits] >= '0' && text[digits] <= '9')
		digits++;
	if (digits == 0)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(text + digits, units[i].suffix) != 0)
			continue;
		if (v > (uint64_t)max_ms / units[i].ms)
			return -1;
		*ms = (int64_t)(v * units[i].ms);
		return 0;
	}
	return -1;
}

char *util_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int util_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

const char *util_signame(int sig, char *buf, size_t len)
{
	const char *name = NULL;

#ifdef HAVE_SIGABBREV_NP
	name = sigabbrev_np(sig);
#endif
	if (name)
		snprintf(buf, len, "SIG%s", name);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* Linux's signal names, as kill(1) knows them; "IOT", "CLD" and "POLL" are
 * other names of ABRT, CHLD and IO. */
static const struct { const char *name; int sig; } signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
	{ "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N", within the real-time range. */
static int realtime_signal(const char *s)
{
	uint64_t n = 0;
	int base, sign;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		sign = 1;
	} else if (strncasecmp(s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		sign = -1;
	} else {
		return -1;
	}
	s += 5;
	if (*s) {
		if (*s != (sign > 0 ? '+' : '-') ||
		    util_parse_u64(s + 1, (uint64_t)(SIGRTMAX - SIGRTMIN), &n) < 0)
			return -1;
	}
	return base + sign * (int)n;
}

int util_parse_signal(const char *text)
{
	const char *name = text;
	uint64_t n;

	if (!text || !*text)
		return -1;
	if (util_parse_u64(text, (uint64_t)SIGRTMAX, &n) == 0)
		return n > 0 ? (int)n : -1;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;
	return realtime_signal(name);
}

const char *util_describe_status(int status, char *buf, size_t len)
{
	char sig[32];

	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %s%s", util_signame(WTERMSIG(status), sig, sizeof(sig)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}

const char *util_describe_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000 && ms % 1000)
		snprintf(buf, len, "%lld ms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%lld sec", (long long)(ms / 1000));
	else if (ms < 3600000 && ms / 1000 % 60)
		snprintf(buf, len, "%lld min %lld sec", (long long)(ms / 60000),
			 (long long)(ms / 1000 % 60));
	else if (ms < 3600000)
		snprintf(buf, len, "%lld min", (long long)(ms / 60000));
	else if (ms / 60000 % 60)
		snprintf(buf, len, "%lld h %lld min", (long long)(ms / 3600000),
			 (long long)(ms / 60000 % 60));
	else
		snprintf(buf, len, "%lld h", (long long)(ms / 3600000));
	return buf;
}

bool util_inotify_any(int fd, bool (*match)(const void *arg, const struct inotify_event *ev),
		      const void *arg, int *error)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			any |= match(arg, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	*error = n < 0 && errno != EAGAIN && errno != EINTR ? errno : 0;
	return any;
}
