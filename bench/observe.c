/* observe.c: the benchmark's stopwatch, built on the kernel's process events
 * connector (root), with a /proc fallback. SPDX-License-Identifier: MIT
 *
 * Jobs are recognised by a marker: a command-line argument (e.g. "86400.12345",
 * unique to a benchmark run) that no other process on the machine carries.
 *
 *   observe [opts] start CMD...     fork, setsid, exec CMD; wait for -n marker
 *                                   processes; print "PID MS" (MS from the exec of
 *                                   CMD to the exec of the last of them)
 *   observe [opts] act ACTION [; ACTION]...
 *                                   do the actions, wait for -n new marker processes;
 *                                   print MS from before the first action
 *   observe [opts] gone PID... [; ACTION]...
 *                                   do the actions, wait until PIDs and every marker
 *                                   process are gone; print "MS LEFT" where LEFT is
 *                                   the marker processes still alive at the end
 *   observe [opts] crashes MS PID...  count children of PIDs that exit with status 1
 *                                   during MS milliseconds; print the count
 *   observe markers PREFIX          print the pids of processes with an argument that
 *                                   starts with PREFIX, oldest first
 *   observe tree PID [MARKER]       print PID and its descendants, minus marker ones
 *   observe usage PID...            print "RSS_KB PSS_KB CPU_NS VCSW NVCSW" summed
 *   observe time REPEATS CMD...     run CMD (output to /dev/null); print the median
 *                                   wall time in ms
 * ACTION: append FILE TEXT | rename SRC DST | kill PID SIGNO | run CMD... (not waited)
 *       | runwait CMD... (waited)
 * opts: -o LOG (start: CMD's stdout and stderr), -m MARKER, -n COUNT (default 1), -t TIMEOUT_MS (default 60000), -P (no
 *       connector: poll /proc, less precise)
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

static const char *marker;
static long want = 1;
static long timeout_ms = 60000;
static bool force_poll;
static const char *logpath = "/dev/null";
static int nl = -1;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "observe: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- a small set of pids ---- */
struct pidset {
	int *v;
	int64_t *t;
	size_t n, cap;
};

static long pidset_find(const struct pidset *s, int pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return (long)i;
	return -1;
}

static void pidset_add(struct pidset *s, int pid, int64_t t)
{
	if (pidset_find(s, pid) >= 0)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		s->t = realloc(s->t, s->cap * sizeof(*s->t));
		if (!s->v || !s->t)
			die("realloc");
	}
	s->v[s->n] = pid;
	s->t[s->n++] = t;
}

/* ---- /proc ---- */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static bool has_marker(int pid)
{
	char path[64], buf[4096];
	ssize_t n;

	if (!marker || pid == getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small(path, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strcmp(buf + i, marker) == 0)
			return true;
	return false;
}

/* Alive means present and not a zombie. */
static bool alive(int pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return false;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] != 'Z' && p[2] != 'X';
}

static int ppid_of(int pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	return p ? atoi(p + 4) : -1;
}

static void scan_markers(struct pidset *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		die("/proc");
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) && has_marker(atoi(e->d_name)) &&
		    alive(atoi(e->d_name)))
			pidset_add(s, atoi(e->d_name), 0);
	closedir(d);
}

/* ---- the connector ---- */
static int connector_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
	struct {
		struct nlmsghdr nh;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req;
	int fd, size = 64 << 20;

	if (force_poll)
		return -1;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLMSG_DONE;
	req.nh.nlmsg_pid = (unsigned)getpid();
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(enum proc_cn_mcast_op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof(req), 0) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* One event at a time; returns 0 on timeout. */
typedef void event_fn(const struct proc_event *ev, void *arg);

static int connector_pump(int timeout, event_fn *fn, void *arg)
{
	char buf[1 << 16];
	struct pollfd pfd = { .fd = nl, .events = POLLIN };
	int got = 0;

	if (poll(&pfd, 1, timeout) <= 0)
		return 0;
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS) {
				fprintf(stderr, "observe: connector overflow, events lost\n");
				continue;
			}
			break;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct cn_msg *cn = NLMSG_DATA(nh);

			if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_NOOP)
				continue;
			fn((struct proc_event *)cn->data, arg);
			got++;
		}
	}
	return got ? got : 1;
}

/* ---- waiting for marker execs ---- */
struct execwait {
	struct pidset known;	/* marker pids present before, or counted */
	long counted;
	int64_t last_ns;	/* kernel time of the last counted exec */
	int root;		/* for start: the supervisor's pid, whose exec is t0 */
	int64_t root_ns;
};

static void exec_event(const struct proc_event *ev, void *arg)
{
	struct execwait *w = arg;
	int pid;
	long i;

	if (ev->what != PROC_EVENT_EXEC)
		return;
	pid = ev->event_data.exec.process_tgid;
	if (pid == w->root) {
		if (!w->root_ns)
			w->root_ns = (int64_t)ev->timestamp_ns;
		return;
	}
	i = pidset_find(&w->known, pid);
	if (i >= 0) {
		/* a later exec of a counted pid (sh, then sleep): the later one is the job */
		if (w->known.t[i])
			w->known.t[i] = (int64_t)ev->timestamp_ns;
		return;
	}
	if (!has_marker(pid))
		return;
	pidset_add(&w->known, pid, (int64_t)ev->timestamp_ns);
	w->counted++;
}

static bool wait_execs(struct execwait *w, int64_t t0)
{
	int64_t deadline = now_ns() + timeout_ms * 1000000;

	while (w->counted < want) {
		int64_t left = (deadline - now_ns()) / 1000000;

		if (left <= 0)
			return false;
		if (nl >= 0) {
			connector_pump((int)(left > 100 ? 100 : left), exec_event, w);
		} else {
			struct pidset now = { 0 };

			scan_markers(&now);
			for (size_t i = 0; i < now.n; i++)
				if (pidset_find(&w->known, now.v[i]) < 0) {
					pidset_add(&w->known, now.v[i], now_ns());
					w->counted++;
				}
			free(now.v);
			free(now.t);
			usleep(1000);
		}
	}
	if (nl >= 0)	/* pending execs of pids already counted */
		while (connector_pump(0, exec_event, w) > 1)
			;
	w->last_ns = t0;
	for (size_t i = 0; i < w->known.n; i++)
		if (w->known.t[i] > w->last_ns)
			w->last_ns = w->known.t[i];
	return true;
}

/* ---- actions ---- */
static pid_t spawn(char **argv, bool quiet)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (nl >= 0)
			close(nl);
		if (quiet) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* argv up to ";" or the end; returns the index after it */
static int do_actions(int argc, char **argv, int i)
{
	while (i < argc) {
		int end = i;

		while (end < argc && strcmp(argv[end], ";") != 0)
			end++;
		argv[end < argc ? end : argc] = NULL;
		if (strcmp(argv[i], "append") == 0 && end - i == 3) {
			int fd = open(argv[i + 1], O_WRONLY | O_APPEND);

			if (fd < 0 || write(fd, argv[i + 2], strlen(argv[i + 2])) < 0 || close(fd) < 0)
				die(argv[i + 1]);
		} else if (strcmp(argv[i], "rename") == 0 && end - i == 3) {
			if (rename(argv[i + 1], argv[i + 2]) < 0)
				die(argv[i + 1]);
		} else if (strcmp(argv[i], "kill") == 0 && end - i == 3) {
			if (atoi(argv[i + 1]) <= 1) {	/* never a process group, never init */
				fprintf(stderr, "observe: kill: bad pid \"%s\"\n", argv[i + 1]);
				exit(2);
			}
			if (kill(atoi(argv[i + 1]), atoi(argv[i + 2])) < 0)
				die("kill");
		} else if (strcmp(argv[i], "run") == 0 && end - i >= 2) {
			spawn(argv + i + 1, true);
		} else if (strcmp(argv[i], "runwait") == 0 && end - i >= 2) {
			waitpid(spawn(argv + i + 1, true), NULL, 0);
		} else {
			fprintf(stderr, "observe: bad action %s\n", argv[i]);
			exit(2);
		}
		i = end + 1;
	}
	return i;
}

/* ---- modes ---- */
static int mode_start(char **argv)
{
	struct execwait w = { 0 };
	int64_t t0;
	pid_t pid;

	scan_markers(&w.known);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (nl >= 0)
			close(nl);
		int in = open("/dev/null", O_RDONLY), out = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

		setsid();
		if (in < 0 || out < 0)
			die(logpath);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		if (in > 2)
			close(in);
		if (out > 2)
			close(out);
		execvp(argv[0], argv);
		_exit(127);
	}
	w.root = pid;
	if (!wait_execs(&w, t0)) {
		printf("%d timeout %ld\n", (int)pid, w.counted);
		return 1;
	}
	if (w.root_ns)
		t0 = w.root_ns;
	printf("%d %.3f\n", (int)pid, (double)(w.last_ns - t0) / 1e6);
	return 0;
}

static int mode_act(int argc, char **argv, int i)
{
	struct execwait w = { 0 };
	int64_t t0;

	scan_markers(&w.known);
	t0 = now_ns();
	do_actions(argc, argv, i);
	if (!wait_execs(&w, t0)) {
		printf("timeout %ld\n", w.counted);
		return 1;
	}
	printf("%.3f\n", (double)(w.last_ns - t0) / 1e6);
	return 0;
}

struct gonewait {
	struct pidset watched;
	size_t n_alive;
	int64_t last_ns;
};

static void exit_event(const struct proc_event *ev, void *arg)
{
	struct gonewait *g = arg;
	long i;

	if (ev->what != PROC_EVENT_EXIT ||
	    ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid)
		return;
	i = pidset_find(&g->watched, ev->event_data.exit.process_tgid);
	if (i < 0 || g->watched.t[i])
		return;
	g->watched.t[i] = (int64_t)ev->timestamp_ns;
	g->n_alive--;
	g->last_ns = (int64_t)ev->timestamp_ns;
}

static int mode_gone(int argc, char **argv, int i)
{
	struct gonewait g = { 0 };
	int64_t t0, deadline;
	size_t left = 0;

	for (; i < argc && strcmp(argv[i], ";") != 0; i++)
		pidset_add(&g.watched, atoi(argv[i]), 0);
	scan_markers(&g.watched);
	for (size_t k = 0; k < g.watched.n; k++)
		g.watched.t[k] = 0;
	g.n_alive = g.watched.n;
	t0 = now_ns();
	do_actions(argc, argv, i + 1);
	deadline = t0 + timeout_ms * 1000000;
	while (g.n_alive > 0 && now_ns() < deadline) {
		if (nl >= 0) {
			connector_pump(50, exit_event, &g);
			continue;
		}
		for (size_t k = 0; k < g.watched.n; k++)
			if (!g.watched.t[k] && !alive(g.watched.v[k])) {
				g.watched.t[k] = g.last_ns = now_ns();
				g.n_alive--;
			}
		usleep(1000);
	}
	/* Check the stragglers the slow way, then count markers left anywhere. */
	for (size_t k = 0; k < g.watched.n; k++)
		if (!g.watched.t[k] && !alive(g.watched.v[k]))
			g.n_alive--;
	{
		struct pidset still = { 0 };

		scan_markers(&still);
		left = still.n;
		free(still.v);
		free(still.t);
	}
	printf("%.3f %zu\n", g.n_alive ? -1.0 : (double)(g.last_ns - t0) / 1e6, left);
	return g.n_alive ? 1 : 0;
}

struct crashcount {
	struct pidset parents;
	long n;
};

static void crash_event(const struct proc_event *ev, void *arg)
{
	struct crashcount *c = arg;

	if (ev->what == PROC_EVENT_EXIT &&
	    ev->event_data.exit.process_pid == ev->event_data.exit.process_tgid &&
	    ev->event_data.exit.exit_code == 256 &&
	    pidset_find(&c->parents, ev->event_data.exit.parent_tgid) >= 0)
		c->n++;
}

static int mode_crashes(int argc, char **argv, int i)
{
	struct crashcount c = { 0 };
	int64_t deadline = now_ns() + atol(argv[i++]) * 1000000;

	if (nl < 0) {
		fprintf(stderr, "observe: crashes needs the process events connector\n");
		printf("-1\n");
		return 1;
	}
	for (; i < argc; i++)
		pidset_add(&c.parents, atoi(argv[i]), 0);
	for (int64_t left; (left = (deadline - now_ns()) / 1000000) > 0;)
		connector_pump((int)left, crash_event, &c);
	printf("%ld\n", c.n);
	return 0;
}

static int mode_tree(int argc, char **argv)
{
	struct pidset tree = { 0 };
	DIR *d;
	struct dirent *e;
	bool grew = true;

	if (argc > 3)
		marker = argv[3];
	pidset_add(&tree, atoi(argv[2]), 0);
	while (grew) {
		grew = false;
		if (!(d = opendir("/proc")))
			die("/proc");
		while ((e = readdir(d))) {
			int pid = atoi(e->d_name);

			if (pid <= 0 || pidset_find(&tree, pid) >= 0)
				continue;
			if (pidset_find(&tree, ppid_of(pid)) >= 0) {
				pidset_add(&tree, pid, 0);
				grew = true;
			}
		}
		closedir(d);
	}
	for (size_t i = 0; i < tree.n; i++)
		if (!has_marker(tree.v[i]) && alive(tree.v[i]))
			printf("%d\n", tree.v[i]);
	return 0;
}

static long long start_time(int pid)
{
	char path[64], buf[1024], *p;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	for (; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return atoll(p);
}

struct aged {
	int pid;
	long long start;
};

static int by_age(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Oldest first. */
static int mode_markers(const char *prefix)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], buf[4096];
	struct aged *v = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		die("/proc");
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		ssize_t len;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		len = read_small(path, buf, sizeof(buf));
		for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1) {
			if (strncmp(buf + i, prefix, strlen(prefix)) != 0)
				continue;
			if (n == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v))))
				die("realloc");
			v[n].pid = pid;
			v[n++].start = start_time(pid);
			break;
		}
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_age);
	for (size_t i = 0; i < n; i++)
		printf("%d\n", v[i].pid);
	return 0;
}

static long long field_kb(const char *buf, const char *name)
{
	const char *p = strstr(buf, name);

	return p ? atoll(p + strlen(name)) : 0;
}

static int mode_usage(int argc, char **argv)
{
	long long rss = 0, pss = 0, cpu = 0, vcsw = 0, nvcsw = 0;
	char path[64], buf[8192];

	for (int i = 2; i < argc; i++) {
		int pid = atoi(argv[i]);

		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			rss += field_kb(buf, "\nRss:");
			pss += field_kb(buf, "\nPss:");
		}
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
		if (read_small(path, buf, sizeof(buf)) > 0)
			cpu += atoll(buf);
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			vcsw += field_kb(buf, "\nvoluntary_ctxt_switches:");
			nvcsw += field_kb(buf, "\nnonvoluntary_ctxt_switches:");
		}
	}
	printf("%lld %lld %lld %lld %lld\n", rss, pss, cpu, vcsw, nvcsw);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int mode_time(int argc, char **argv)
{
	int repeats = atoi(argv[2]);
	int64_t *t;
	int status = 0;

	if (repeats < 1 || argc < 4)
		return 2;
	t = calloc((size_t)repeats, sizeof(*t));
	for (int i = 0; i < repeats; i++) {
		int64_t t0 = now_ns();

		waitpid(spawn(argv + 3, true), &status, 0);
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)repeats, sizeof(*t), cmp_i64);
	printf("%.3f %d\n", (double)t[repeats / 2] / 1e6,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	signal(SIGCHLD, SIG_DFL);
	if (argc > 2 && strcmp(argv[1], "tree") == 0)
		return mode_tree(argc, argv);
	if (argc > 2 && strcmp(argv[1], "markers") == 0)
		return mode_markers(argv[2]);
	if (argc > 1 && strcmp(argv[1], "usage") == 0)
		return mode_usage(argc, argv);
	if (argc > 3 && strcmp(argv[1], "time") == 0)
		return mode_time(argc, argv);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-P") == 0)
			force_poll = true;
		else if (i + 1 < argc && strcmp(argv[i], "-m") == 0)
			marker = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			want = atol(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "-o") == 0)
			logpath = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-t") == 0)
			timeout_ms = atol(argv[++i]);
		else
			break;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: see the comment at the top of bench/observe.c\n");
		return 2;
	}
	nl = connector_open();
	if (nl < 0 && !force_poll)
		fprintf(stderr, "observe: no process events connector (%s): polling /proc\n",
			strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[i], "start") == 0)
		return mode_start(argv + i + 1);
	if (strcmp(argv[i], "act") == 0)
		return mode_act(argc, argv, i + 1);
	if (strcmp(argv[i], "gone") == 0)
		return mode_gone(argc, argv, i + 1);
	if (strcmp(argv[i], "crashes") == 0)
		return mode_crashes(argc, argv, i + 1);
	fprintf(stderr, "observe: unknown mode %s\n", argv[i]);
	return 2;
}
