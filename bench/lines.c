/* lines.c: the log-file benchmark's writer, timer and checker (issue 26). SPDX-License-Identifier: MIT */
/*
 *   lines write N [STARTFILE]    write N numbered 100-byte lines to stdout in
 *                                1 MB write(2)s; STARTFILE gets the monotonic
 *                                time (ns) just before the first write
 *   lines wait N DIR STARTFILE PID [TIMEOUT_S]
 *                                wait for STARTFILE, then until the log files in
 *                                DIR hold N lines' bytes; print "WALL_MS CPU_MS"
 *                                (CPU: PID's user+sys from STARTFILE to the end),
 *                                or "timeout BYTES" (also when PID is gone)
 *   lines pipe N DIR LOGGER [ARG...]
 *                                the writer piped into LOGGER (run in DIR);
 *                                print "WALL_MS CPU_MS" (CPU: LOGGER's user+sys,
 *                                from wait4, after it exits at the end of input),
 *                                or "timeout BYTES" (also when LOGGER is gone)
 *   lines check N FILE...        print "LINES BAD DUP MISSING LAST" over the
 *                                files: LAST is 1 when line N-1 is there
 *
 * A line is a 10-digit number, a space, 88 'x' and a newline. The log files of
 * DIR are "current" and "@..." (svlogd, s6-log) and any name starting "job.log"
 * (pmtr's PATH and PATH.N); svlogd's and s6-log's lock, state and config files
 * are not counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE 100
#define DIGITS 10
#define PER_WRITE 10000	/* lines: 1,000,000 bytes per write(2) */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int write_lines(uint64_t n, const char *startfile)
{
	static char buf[PER_WRITE * LINE];
	char digits[DIGITS + 1];
	uint64_t i = 0;

	for (size_t k = 0; k < PER_WRITE; k++) {
		memset(buf + k * LINE, 'x', LINE - 1);
		buf[k * LINE + DIGITS] = ' ';
		buf[k * LINE + LINE - 1] = '\n';
	}
	memset(digits, '0', DIGITS);
	if (startfile) {
		FILE *f = fopen(startfile, "w");

		if (!f || fprintf(f, "%" PRId64 "\n", now_ns()) < 0 || fclose(f) != 0)
			die(startfile);
	}
	while (i < n) {
		size_t k, len;

		for (k = 0; k < PER_WRITE && i < n; k++, i++) {
			memcpy(buf + k * LINE, digits, DIGITS);
			for (int d = DIGITS - 1; d >= 0 && ++digits[d] > '9'; d--)
				digits[d] = '0';
		}
		len = k * LINE;
		for (size_t off = 0; off < len;) {
			ssize_t w = write(1, buf + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die("write");
			off += (size_t)w;
		}
	}
	return 0;
}

static bool is_log(const char *name)
{
	return strcmp(name, "current") == 0 || name[0] == '@' ||
	       strncmp(name, "job.log", 7) == 0;
}

static uint64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	uint64_t sum = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (is_log(e->d_name) && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(d);
	return sum;
}

/* user+sys of PID in ns, from /proc/PID/stat (clock ticks) */
static int64_t cpu_ns(pid_t pid)
{
	char path[64], text[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');	/* the name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (int64_t)(ut + st) * (1000000000 / sysconf(_SC_CLK_TCK));
}

/* Is PID still running? A child of ours is looked at without being reaped (wait4
 * still gets its usage); another process may be a zombie of its own parent. */
static bool running(pid_t pid, bool child)
{
	char path[64], text[512], *p;
	siginfo_t si;
	FILE *f;
	size_t n;

	if (child) {
		si.si_pid = 0;
		return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Poll every 2 ms until DIR holds BYTES; returns the time, or -1 at the deadline
 * or when the logger PID is gone without having written them. */
static int64_t wait_bytes(const char *dir, uint64_t bytes, int64_t deadline, pid_t pid, bool child)
{
	const struct timespec tick = { 0, 2000000 };

	while (dir_bytes(dir) < bytes) {
		if (now_ns() > deadline || (!running(pid, child) && dir_bytes(dir) < bytes))
			return -1;
		nanosleep(&tick, NULL);
	}
	return now_ns();
}

static int wait_mode(uint64_t n, const char *dir, const char *startfile, pid_t pid, int timeout)
{
	const struct timespec tick = { 0, 1000000 };
	int64_t begin = now_ns(), deadline = begin + (int64_t)timeout * 1000000000;
	int64_t start = 0, end, c0, c1;
	FILE *f;

	while (!(f = fopen(startfile, "r")) || fscanf(f, "%" SCNd64, &start) != 1) {
		if (f)
			fclose(f);
		if (now_ns() > deadline || now_ns() > begin + (int64_t)30 * 1000000000 ||
		    !running(pid, false)) {
			puts("timeout start");
			return 1;
		}
		nanosleep(&tick, NULL);
	}
	fclose(f);
	c0 = cpu_ns(pid);
	end = wait_bytes(dir, n * LINE, deadline, pid, false);
	c1 = cpu_ns(pid);
	if (end < 0) {
		printf("timeout %" PRIu64 "\n", dir_bytes(dir));
		return 1;
	}
	printf("%.1f %.1f\n", (end - start) / 1e6, (c1 - c0) / 1e6);
	return 0;
}

static int pipe_mode(uint64_t n, const char *dir, char **logger)
{
	int fd[2], status;
	pid_t lpid, wpid;
	int64_t start, end;
	struct rusage ru;

	if (pipe(fd) < 0)
		die("pipe");
	lpid = fork();
	if (lpid < 0)
		die("fork");
	if (lpid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		if (chdir(dir) < 0)
			die(dir);
		execvp(logger[0], logger);
		die(logger[0]);
	}
	close(fd[0]);
	start = now_ns();
	wpid = fork();
	if (wpid < 0)
		die("fork");
	if (wpid == 0) {
		dup2(fd[1], 1);
		close(fd[1]);
		exit(write_lines(n, NULL));
	}
	close(fd[1]);
	end = wait_bytes(dir, n * LINE, start + (int64_t)600 * 1000000000, lpid, true);
	if (end < 0)
		kill(wpid, SIGKILL);	/* the logger is gone: the writer would block */
	waitpid(wpid, &status, 0);
	if (wait4(lpid, &status, 0, &ru) < 0)
		die("wait4");
	if (end < 0) {
		printf("timeout %" PRIu64 "\n", dir_bytes(dir));
		return 1;
	}
	printf("%.1f %.1f\n", (end - start) / 1e6,
	       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return 0;
}

/* Parse one file's lines into the bitmap; a line split by a rotation is bad. */
static void check_file(const char *path, uint64_t n, uint8_t *seen, uint64_t c[3])
{
	static char buf[1 << 20];
	char line[LINE];
	size_t have = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			char ch = buf[i];
			uint64_t v = 0;
			bool ok = true;

			if (ch != '\n') {
				if (have < LINE)
					line[have] = ch;
				have++;
				continue;
			}
			c[0]++;
			if (have != LINE - 1 || line[DIGITS] != ' ')
				ok = false;
			for (int d = 0; ok && d < DIGITS; d++) {
				if (line[d] < '0' || line[d] > '9')
					ok = false;
				v = v * 10 + (uint64_t)(line[d] - '0');
			}
			if (ok && v < n) {
				if (seen[v / 8] & (1u << (v % 8)))
					c[2]++;
				seen[v / 8] |= (uint8_t)(1u << (v % 8));
			} else {
				c[1]++;
			}
			have = 0;
		}
	}
	if (have)
		c[1]++;	/* an unterminated last line */
	close(fd);
}

static int check_mode(uint64_t n, int nfiles, char **files)
{
	uint8_t *seen = calloc(n / 8 + 1, 1);
	uint64_t c[3] = { 0, 0, 0 }, missing = 0;

	if (!seen)
		die("calloc");
	for (int i = 0; i < nfiles; i++)
		check_file(files[i], n, seen, c);
	for (uint64_t v = 0; v < n; v++)
		missing += !(seen[v / 8] & (1u << (v % 8)));
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d\n", c[0], c[1], c[2], missing,
	       n > 0 && (seen[(n - 1) / 8] & (1u << ((n - 1) % 8))) ? 1 : 0);
	free(seen);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;

	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return write_lines(n, argc > 3 ? argv[3] : NULL);
	if (argc >= 6 && strcmp(argv[1], "wait") == 0)
		return wait_mode(n, argv[3], argv[4], (pid_t)atoi(argv[5]),
				 argc > 6 ? atoi(argv[6]) : 600);
	if (argc >= 5 && strcmp(argv[1], "pipe") == 0)
		return pipe_mode(n, argv[3], argv + 4);
	if (argc >= 3 && strcmp(argv[1], "check") == 0)
		return check_mode(n, argc - 3, argv + 3);
	fprintf(stderr, "usage: see the comment at the top of bench/lines.c\n");
	return 2;
}
