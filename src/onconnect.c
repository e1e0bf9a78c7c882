/* onconnect.c: listen on a TCP port and run a program for each connection, with the connection on fd 3. SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/*
 * Signals, all taken through a signalfd:
 *   SIGTERM, SIGINT, SIGQUIT  close the listener, SIGTERM every child's process group,
 *                             SIGKILL what is left after STOP_TIMEOUT_MS, exit 0;
 *                             a second one sends SIGKILL at once
 *   SIGCHLD                   reap children (waitpid WNOHANG until none is left)
 *   SIGHUP                    ignored: onconnect has nothing to re-read
 *   SIGPIPE                   ignored: a closed stderr must not end the listener
 * Children start with every signal at its default and an empty mask.
 */
static const int handled_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };

/* How long children have to exit after SIGTERM, then after SIGKILL. */
#define STOP_TIMEOUT_MS 5000
#define KILL_TIMEOUT_MS 1000
/* Accepting pauses this long after an error that would repeat at once (EMFILE). */
#define ACCEPT_PAUSE_MS 100
/* Connections taken per wakeup, so that signals are seen during a flood. */
#define ACCEPT_BATCH 64
/* At most one line per this interval for errors a peer or a flood can repeat. */
#define ERROR_LOG_INTERVAL_MS 1000
#define LOG_LINE_MAX 1024
/* "[" address "]:" port, for IPv6 with room to spare. */
#define PEER_MAX (INET6_ADDRSTRLEN + 16)
/* The fd that PROGRAM finds its connection on. */
#define CONN_FD 3

struct options {
	bool verbose;
	const char *addr;	/* NULL: all addresses */
	unsigned port;
	char **argv;		/* PROGRAM ARGS..., NULL-terminated (main's argv) */
};

struct child {
	pid_t pid;
	int64_t started_ms;
	char peer[PEER_MAX];
};

enum state {
	ACCEPTING,	/* listener in the epoll set */
	PAUSED,		/* listener out of the set until the timer fires */
	STOPPING,	/* listener closed, children sent SIGTERM, timer = stop deadline */
	KILLING,	/* children sent SIGKILL, timer = last wait */
};

static struct {
	struct options opt;
	pid_t pid;
	enum state state;
	int listen_fd, epoll_fd, signal_fd, timer_fd;
	unsigned max_fd;	/* highest fd to close in a child when close_range is missing */
	struct child *children;
	size_t n_children, cap_children;
	int64_t next_error_log_ms;
	unsigned errors_suppressed;
	bool done;
} oc = { .listen_fd = -1, .epoll_fd = -1, .signal_fd = -1, .timer_fd = -1 };

/* ---- messages ------------------------------------------------------------------ */

static void usage(FILE *to)
{
	fprintf(to,
		"usage: onconnect [-v] [-a ADDR] -p PORT PROGRAM [ARGS...]\n"
		"run PROGRAM for each TCP connection, with the connection on file descriptor 3\n"
		"  -a ADDR  listen on this IPv4 or IPv6 address only (default: all)\n"
		"  -p PORT  TCP port to listen on, 1 to 65535\n"
		"  -v       log each connection and each exit on standard error\n"
		"  -h       this help\n"
		"  -V       version\n"
		"PROGRAM is an absolute path; it is not looked up in PATH.\n");
}

static __attribute__((noreturn, format(printf, 2, 3)))
void startup_error(bool show_usage, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("onconnect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (show_usage)
		usage(stderr);
	exit(1);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* One line "onconnect[PID]: ..." on stderr, in one write. */
static __attribute__((format(printf, 1, 2))) void say(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t len;
	int n;
	va_list ap;

	n = snprintf(line, sizeof(line), "onconnect[%d]: ", (int)oc.pid);
	if (n < 0)
		return;
	len = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	write_all(STDERR_FILENO, line, len);
}

/* For errors that a peer or a flood can repeat: the first one is logged, then at
 * most one per ERROR_LOG_INTERVAL_MS with the count of those left out. */
static __attribute__((format(printf, 1, 2))) void say_limited(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	int64_t now = util_now_ms();
	va_list ap;

	if (now < oc.next_error_log_ms) {
		oc.errors_suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (oc.errors_suppressed)
		say("%s (%u similar errors not logged)", msg, oc.errors_suppressed);
	else
		say("%s", msg);
	oc.errors_suppressed = 0;
	oc.next_error_log_ms = now + ERROR_LOG_INTERVAL_MS;
}

/* ---- options ------------------------------------------------------------------- */

static unsigned parse_port(const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return 0;
	return (unsigned)v;
}

static void check_program(const char *path)
{
	struct stat st;

	if (path[0] != '/')
		startup_error(true, "PROGRAM must be an absolute path: %s", path);
	if (stat(path, &st) < 0)
		startup_error(true, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		startup_error(true, "%s: not a regular file", path);
	if (access(path, X_OK) < 0)
		startup_error(true, "%s: not executable: %s", path, strerror(errno));
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	const char *port = NULL;
	int c;

	*opt = (struct options){ 0 };
	opterr = 0;
	/* "+": options end at PROGRAM, so that its own options are left to it. */
	while ((c = getopt(argc, argv, "+:a:hp:Vv")) != -1) {
		switch (c) {
		case 'a': opt->addr = optarg; break;
		case 'p': port = optarg; break;
		case 'v': opt->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("onconnect %s\n", PACKAGE_VERSION); exit(0);
		case ':': startup_error(true, "option -%c needs an argument", optopt);
		default: startup_error(true, "unknown option -%c", optopt);
		}
	}
	if (!port)
		startup_error(true, "missing -p PORT");
	opt->port = parse_port(port);
	if (!opt->port)
		startup_error(true, "bad port \"%s\": expected a number from 1 to 65535", port);
	if (optind >= argc)
		startup_error(true, "missing PROGRAM");
	check_program(argv[optind]);
	opt->argv = argv + optind;
}

/* ---- addresses ----------------------------------------------------------------- */

/* "1.2.3.4:80" or "[::1]:80"; an IPv4 client of a dual-stack socket shows as IPv4. */
static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		if (!inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)))
			snprintf(host, sizeof(host), "?");
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (!inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host, sizeof(host)))
				snprintf(host, sizeof(host), "?");
			snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(sin6->sin6_port));
		} else {
			if (!inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)))
				snprintf(host, sizeof(host), "?");
			snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
		}
	} else {
		snprintf(buf, len, "address family %d", sa->sa_family);
	}
}

/* A numeric IPv4 address in dotted-quad form, or an IPv6 address with an optional
 * %scope, in brackets or not. Names are refused, so that start-up never waits for a
 * resolver. */
static void resolve_addr(const char *addr, unsigned port, struct sockaddr_storage *ss,
			 socklen_t *ss_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char host[INET6_ADDRSTRLEN + 64], serv[8];
	size_t n = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*ss_len = sizeof(*sin);
		return;
	}
	/* getaddrinfo, limited to IPv6, for the scope ("fe80::1%eth0"). */
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), addr + 1);
	else
		snprintf(host, sizeof(host), "%s", addr);
	snprintf(serv, sizeof(serv), "%u", port);
	if (n == 0 || n >= sizeof(host) || getaddrinfo(host, serv, &hints, &res) != 0 || !res ||
	    res->ai_addrlen > sizeof(*ss)) {
		if (res)
			freeaddrinfo(res);
		startup_error(true, "bad address \"%s\": expected an IPv4 or IPv6 address", addr);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ss_len = res->ai_addrlen;
	freeaddrinfo(res);
}

/* A listening socket on sa; -1 with errno set and *what naming the failed call. */
static int listen_on(const struct sockaddr *sa, socklen_t len, int v6only, const char **what)
{
	static const int one = 1;
	int fd, saved;

	*what = "socket";
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	*what = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (sa->sa_family == AF_INET6 && v6only >= 0) {
		*what = "IPV6_V6ONLY";
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			goto fail;
	}
	*what = "bind";
	if (bind(fd, sa, len) < 0)
		goto fail;
	*what = "listen";
	if (listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Without -a: [::] with IPV6_V6ONLY off serves IPv4 and IPv6 on one socket; a kernel
 * without IPv6 gets 0.0.0.0 instead. With -a: that address only; "::" then means
 * IPv6 only, "0.0.0.0" IPv4 only (other IPv6 addresses keep the system's default).
 */
static void open_listener(const struct options *opt, char *where, size_t where_len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	const char *what;
	int fd;

	if (opt->addr) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)&ss;
		int v6only = -1;

		resolve_addr(opt->addr, opt->port, &ss, &len);
		if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			v6only = 1;
		format_addr((struct sockaddr *)&ss, where, where_len);
		fd = listen_on((struct sockaddr *)&ss, len, v6only, &what);
	} else {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
					     .sin6_port = htons((uint16_t)opt->port) };
		struct sockaddr_in any4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
					    .sin_port = htons((uint16_t)opt->port) };

		format_addr((struct sockaddr *)&any6, where, where_len);
		fd = listen_on((struct sockaddr *)&any6, sizeof(any6), 0, &what);
		if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL ||
			       strcmp(what, "IPV6_V6ONLY") == 0)) {
			format_addr((struct sockaddr *)&any4, where, where_len);
			fd = listen_on((struct sockaddr *)&any4, sizeof(any4), -1, &what);
		}
	}
	if (fd < 0)
		startup_error(false, "%s %s: %s", what, where, strerror(errno));
	oc.listen_fd = fd;
}

/* ---- the child ----------------------------------------------------------------- */

/* Text of an errno value for use after fork: glibc's table entry, with no locale
 * and no allocation; elsewhere strerror, safe enough in this one-thread program. */
static const char *errno_text(int err)
{
	const char *s = NULL;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	s = strerrordesc_np(err);
#else
	s = strerror(err);
#endif
	return s ? s : "unknown error";
}

/* glibc refuses to change the two real-time signals it keeps for itself, but they
 * may arrive ignored (GNU make leaves them so) and exec would keep them ignored.
 * The kernel's sigaction, all zero, is SIG_DFL with no flags and an empty mask. */
static int default_reserved_signal(int sig)
{
	static const unsigned long kernel_dfl[8];

	return (int)syscall(SYS_rt_sigaction, sig, kernel_dfl, NULL, (size_t)(_NSIG / 8));
}

/* prefix + step + ": " + reason on stderr, then the exit status of a failed start:
 * 127 when the program is not there, 126 for anything else. */
static __attribute__((noreturn)) void child_fail(const char *prefix, const char *step,
						 bool exec)
{
	int err = errno;
	const char *text = errno_text(err);
	struct iovec iov[] = {
		{ (void *)prefix, strlen(prefix) }, { (void *)step, strlen(step) },
		{ (void *)": ", 2 }, { (void *)text, strlen(text) }, { (void *)"\n", 1 },
	};
	ssize_t ignored = writev(STDERR_FILENO, iov, (int)ARRAY_SIZE(iov));

	(void)ignored;
	_exit(exec && err == ENOENT ? 127 : 126);
}

/* Between fork and exec: system calls on data prepared by the parent, nothing else. */
static __attribute__((noreturn)) void run_program(int conn, const char *prefix,
						  const char *exec_step)
{
	extern char **environ;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* Its own process group, so that stopping it reaches what it started too. */
	if (setpgid(0, 0) < 0)
		child_fail(prefix, "setpgid", false);
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &dfl, NULL) < 0 && default_reserved_signal(sig) < 0)
			child_fail(prefix, "signal dispositions", false);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(prefix, "signal mask", false);
	if (conn == CONN_FD) {
		if (fcntl(CONN_FD, F_SETFD, 0) < 0)
			child_fail(prefix, "fd 3", false);
	} else if (dup2(conn, CONN_FD) < 0) {
		child_fail(prefix, "fd 3", false);
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, CONN_FD + 1U, ~0U, 0U) < 0)
#endif
	{
		for (unsigned fd = CONN_FD + 1; fd <= oc.max_fd; fd++)
			close((int)fd);
	}
	execve(oc.opt.argv[0], oc.opt.argv, environ);
	child_fail(prefix, exec_step, true);
}

/* ---- children ------------------------------------------------------------------ */

static int reserve_child(void)
{
	struct child *bigger;
	size_t cap;

	if (oc.n_children < oc.cap_children)
		return 0;
	cap = oc.cap_children ? oc.cap_children * 2 : 16;
	bigger = realloc(oc.children, cap * sizeof(*bigger));
	if (!bigger)
		return -1;
	oc.children = bigger;
	oc.cap_children = cap;
	return 0;
}

static struct child *find_child(pid_t pid)
{
	for (size_t i = 0; i < oc.n_children; i++)
		if (oc.children[i].pid == pid)
			return &oc.children[i];
	return NULL;
}

static void signal_children(int sig)
{
	for (size_t i = 0; i < oc.n_children; i++) {
		pid_t pid = oc.children[i].pid;

		/* The group is the child's own (set in both processes); a child that
		 * has not got that far yet is signalled alone. */
		if (kill(-pid, sig) < 0 && errno == ESRCH)
			kill(pid, sig);
	}
}

static void pause_accepting(void);

/* Run PROGRAM for one accepted connection; conn is closed here in every case. */
static void start_child(int conn, const char *peer)
{
	char prefix[LOG_LINE_MAX], exec_step[LOG_LINE_MAX];
	struct child *c;
	pid_t pid;

	if (reserve_child() < 0) {
		say_limited("connection from %s: refused: %s", peer, strerror(errno));
		close(conn);
		pause_accepting();
		return;
	}
	snprintf(prefix, sizeof(prefix), "onconnect[%d]: connection from %s: ", (int)oc.pid, peer);
	snprintf(exec_step, sizeof(exec_step), "exec %s", oc.opt.argv[0]);
	pid = fork();
	if (pid == 0)
		run_program(conn, prefix, exec_step);
	close(conn);
	if (pid < 0) {
		say_limited("connection from %s: fork: %s", peer, strerror(errno));
		pause_accepting();
		return;
	}
	/* Also set here, so that a stop right after this finds the group. EACCES: the
	 * child has already exec'd, after setting it itself. */
	if (setpgid(pid, pid) < 0 && errno != EACCES && errno != ESRCH)
		say("connection from %s: setpgid [%d]: %s", peer, (int)pid, strerror(errno));
	c = &oc.children[oc.n_children++];
	c->pid = pid;
	c->started_ms = util_now_ms();
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	if (oc.opt.verbose)
		say("connection from %s: started [%d]", peer, (int)pid);
}

static void reap(void)
{
	char how[64], took[32];
	struct child *c;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno != ECHILD)
			say("waitpid: %s", strerror(errno));
		if (pid <= 0)
			break;
		c = find_child(pid);
		if (!c)
			continue;	/* inherited from whoever exec'd us: reaped all the same */
		if (oc.opt.verbose)
			say("connection from %s: [%d] exited after %s: %s", c->peer, (int)pid,
			    util_describe_ms(util_now_ms() - c->started_ms, took, sizeof(took)),
			    util_describe_status(status, how, sizeof(how)));
		*c = oc.children[--oc.n_children];
	}
	if (oc.state >= STOPPING && oc.n_children == 0)
		oc.done = true;
}

/* ---- the loop ------------------------------------------------------------------ */

static int arm_timer(int64_t ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
						 .tv_nsec = (long)(ms % 1000) * 1000000 } };

	if (timerfd_settime(oc.timer_fd, 0, &its, NULL) < 0) {
		say("timerfd_settime: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int watch_listener(uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = oc.listen_fd };

	return epoll_ctl(oc.epoll_fd, EPOLL_CTL_MOD, oc.listen_fd, &ev);
}

/* An error that would come back at once (out of fds, memory or processes): wait
 * ACCEPT_PAUSE_MS before accepting again, rather than spin on it. */
static void pause_accepting(void)
{
	if (oc.state != ACCEPTING)
		return;
	if (arm_timer(ACCEPT_PAUSE_MS) < 0)
		return;
	if (watch_listener(0) < 0) {
		say("epoll_ctl: %s", strerror(errno));
		return;
	}
	oc.state = PAUSED;
}

static void resume_accepting(void)
{
	if (watch_listener(EPOLLIN) < 0) {
		say("epoll_ctl: %s: trying again", strerror(errno));
		arm_timer(ACCEPT_PAUSE_MS);
		return;
	}
	oc.state = ACCEPTING;
}

static void accept_ready(void)
{
	struct sockaddr_storage ss;
	char peer[PEER_MAX];

	for (int i = 0; i < ACCEPT_BATCH && oc.state == ACCEPTING; i++) {
		socklen_t len = sizeof(ss);
		/* No SOCK_NONBLOCK: PROGRAM gets an ordinary blocking socket. */
		int conn = accept4(oc.listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);

		if (conn < 0) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			case EINTR:
				continue;
			/* Gone before we took it, or a network error passed on by accept:
			 * the next connection is unaffected. */
			case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN:
			case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
			case EOPNOTSUPP: case ENETUNREACH: case ETIMEDOUT:
				say_limited("accept: %s", strerror(errno));
				continue;
			default:
				say_limited("accept: %s: pausing %d ms", strerror(errno),
					    ACCEPT_PAUSE_MS);
				pause_accepting();
				return;
			}
		}
		format_addr((struct sockaddr *)&ss, peer, sizeof(peer));
		start_child(conn, peer);
	}
}

static void begin_stop(int sig)
{
	char name[32];

	util_signame(sig, name, sizeof(name));
	if (oc.opt.verbose)
		say("stopping (%s): %zu connection%s open", name, oc.n_children,
		    oc.n_children == 1 ? "" : "s");
	close(oc.listen_fd);
	oc.listen_fd = -1;
	oc.state = STOPPING;
	signal_children(SIGTERM);
	arm_timer(STOP_TIMEOUT_MS);
	if (oc.n_children == 0)
		oc.done = true;
}

static void kill_children(const char *why, const char *more)
{
	if (oc.n_children)
		say("%s%s: %zu child%s still running: sending SIGKILL", why, more, oc.n_children,
		    oc.n_children == 1 ? "" : "ren");
	signal_children(SIGKILL);
	oc.state = KILLING;
	arm_timer(KILL_TIMEOUT_MS);
}

static void signal_ready(void)
{
	struct signalfd_siginfo si;
	char name[32];
	bool child_exited = false;
	ssize_t n;

	while ((n = read(oc.signal_fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			child_exited = true;
			break;
		case SIGTERM: case SIGINT: case SIGQUIT:
			if (oc.state == ACCEPTING || oc.state == PAUSED)
				begin_stop((int)si.ssi_signo);
			else if (oc.state == STOPPING)
				kill_children(util_signame((int)si.ssi_signo, name, sizeof(name)),
					      " again");
			break;
		case SIGHUP:
			if (oc.opt.verbose)
				say("SIGHUP: ignored");
			break;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		say("read signalfd: %s", strerror(errno));
	if (child_exited)
		reap();
}

static void timer_ready(void)
{
	char why[64], took[32];
	uint64_t expirations;

	if (read(oc.timer_fd, &expirations, sizeof(expirations)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			say("read timerfd: %s", strerror(errno));
		return;
	}
	switch (oc.state) {
	case ACCEPTING:
		break;
	case PAUSED:
		resume_accepting();
		break;
	case STOPPING:
		snprintf(why, sizeof(why), "stop timeout of %s",
			 util_describe_ms(STOP_TIMEOUT_MS, took, sizeof(took)));
		kill_children(why, "");
		break;
	case KILLING:
		say("%zu child%s not gone after SIGKILL: exiting anyway", oc.n_children,
		    oc.n_children == 1 ? "" : "ren");
		oc.done = true;
		break;
	}
}

static int run(void)
{
	struct epoll_event events[8];
	int n;

	while (!oc.done) {
		n = epoll_wait(oc.epoll_fd, events, (int)ARRAY_SIZE(events), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			say("epoll_wait: %s: stopping every child", strerror(errno));
			signal_children(SIGKILL);
			return 1;
		}
		for (int i = 0; i < n && !oc.done; i++) {
			int fd = events[i].data.fd;

			if (fd == oc.signal_fd)
				signal_ready();
			else if (fd == oc.timer_fd)
				timer_ready();
			else if (fd == oc.listen_fd && oc.listen_fd >= 0)
				accept_ready();
		}
	}
	if (oc.opt.verbose)
		say("exiting");
	return 0;
}

/* ---- start-up ------------------------------------------------------------------ */

/* PROGRAM inherits fds 0-2, so each must be open, and nothing of ours may land there. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR | O_NOCTTY);

		if (null < 0)
			exit(1);
		if (null != fd) {
			close(null);
			exit(1);
		}
	}
}

static void add_fd(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(oc.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		startup_error(false, "epoll_ctl: %s", strerror(errno));
}

static void setup(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	struct rlimit rl;
	sigset_t set;
	char where[PEER_MAX];

	oc.pid = getpid();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (1U << 20))
		oc.max_fd = (unsigned)rl.rlim_cur;
	else
		oc.max_fd = 1U << 20;

	/* First, so that a port in use or a bad address costs nothing else. */
	open_listener(&oc.opt, where, sizeof(where));

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++)
		sigaddset(&set, handled_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		startup_error(false, "sigprocmask: %s", strerror(errno));
	/* Blocked, they wait in the signalfd; ignored, they would be lost: a shell
	 * starts background commands with SIGINT and SIGQUIT ignored, and an ignored
	 * SIGCHLD would have the kernel reap children behind our back. */
	for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++)
		if (sigaction(handled_signals[i], &dfl, NULL) < 0)
			startup_error(false, "sigaction: %s", strerror(errno));
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		startup_error(false, "sigaction SIGPIPE: %s", strerror(errno));
	oc.signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (oc.signal_fd < 0)
		startup_error(false, "signalfd: %s", strerror(errno));
	oc.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (oc.timer_fd < 0)
		startup_error(false, "timerfd_create: %s", strerror(errno));
	oc.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (oc.epoll_fd < 0)
		startup_error(false, "epoll_create1: %s", strerror(errno));

	add_fd(oc.signal_fd);
	add_fd(oc.timer_fd);
	add_fd(oc.listen_fd);
	oc.state = ACCEPTING;
	if (oc.opt.verbose)
		say("listening on %s for %s", where, oc.opt.argv[0]);
}

static void teardown(void)
{
	int *fds[] = { &oc.listen_fd, &oc.epoll_fd, &oc.signal_fd, &oc.timer_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(oc.children);
	oc.children = NULL;
	oc.n_children = oc.cap_children = 0;
}

int main(int argc, char *argv[])
{
	int rc;

	ensure_std_fds();
	parse_options(argc, argv, &oc.opt);
	setup();
	rc = run();
	teardown();
	return rc;
}
