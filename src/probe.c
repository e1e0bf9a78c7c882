/* probe.c: readiness and health probes: a TCP connect, or a command run in the job's context, never blocking pmtr. SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "spawn.h"
#include "util.h"

void probe_init(struct probe *probe, struct loop *loop,
		void (*done_cb)(struct probe *probe, bool ok, const char *why), void *arg)
{
	memset(probe, 0, sizeof(*probe));
	probe->sock.fd = probe->out.fd = -1;
	probe->loop = loop;
	probe->done_cb = done_cb;
	probe->arg = arg;
}

static void close_watcher(struct probe *probe, struct loop_watcher *w)
{
	if (w->fd < 0)
		return;
	loop_del(probe->loop, w);
	close(w->fd);
	w->fd = -1;
}

static void finish(struct probe *probe, bool ok, const char *why)
{
	close_watcher(probe, &probe->sock);
	close_watcher(probe, &probe->out);
	probe->deadline = 0;
	probe->done_cb(probe, ok, why);
}

static void sock_cb(struct loop_watcher *w, uint32_t events)
{
	struct probe *probe = container_of(w, struct probe, sock);
	socklen_t len = sizeof(int);
	char why[160];
	int err = 0;

	(void)events;
	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		finish(probe, true, NULL);
		return;
	}
	snprintf(why, sizeof(why), "connect: %s", strerror(err));
	finish(probe, false, why);
}

int probe_tcp(struct probe *probe, const char *host, int port, int64_t timeout_ms,
	      char *why, size_t why_len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	} else {
		snprintf(why, why_len, "bad address %s", host);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		snprintf(why, why_len, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	/* Even a connect done at once is said through the loop, never from here. */
	probe->sock.fd = fd;
	probe->sock.cb = sock_cb;
	if (loop_add(probe->loop, &probe->sock, EPOLLOUT) < 0) {
		snprintf(why, why_len, "epoll: %s", strerror(errno));
		close(fd);
		probe->sock.fd = -1;
		return -1;
	}
	probe->timeout_ms = timeout_ms;
	probe->deadline = util_now_ms() + timeout_ms;
	return 0;
}

/* Keep the first line the command writes; read and drop the rest. */
static void out_cb(struct loop_watcher *w, uint32_t events)
{
	struct probe *probe = container_of(w, struct probe, out);
	char buf[512];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	(void)events;
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			close_watcher(probe, &probe->out);
		return;
	}
	for (ssize_t i = 0; i < n && !probe->line_done; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n' || probe->first_len + 1 >= sizeof(probe->first_line))
			probe->line_done = true;
		else if (c >= 0x20 && c != 0x7f)
			probe->first_line[probe->first_len++] = (char)c;
	}
	probe->first_line[probe->first_len] = '\0';
}

int probe_cmd(struct probe *probe, const struct conf_job *job, char *const *argv,
	      int cgroup_fd, int64_t timeout_ms, char *why, size_t why_len)
{
	struct conf_job ctx = *job;
	struct conf_job_more more = *CONF_MORE(job);
	struct spawned child;

	/* The job's context (its dir and env file too), but the probe's command, its
	 * output to pmtr, and no NOTIFY_SOCKET: only the job itself says it is ready. */
	ctx.argv = (char **)argv;
	ctx.out = ctx.err = NULL;
	more.in = NULL;
	more.ready = CONF_READY_STARTED;
	ctx.more = &more;
	if (spawn_job(&ctx, cgroup_fd, &child, why, why_len) < 0)
		return -1;
	if (child.report_fd >= 0)
		close(child.report_fd);
	probe->pid = child.pid;
	probe->first_len = 0;
	probe->first_line[0] = '\0';
	probe->line_done = false;
	if (child.output_fd >= 0) {
		probe->out.fd = child.output_fd;
		probe->out.cb = out_cb;
		if (loop_add(probe->loop, &probe->out, EPOLLIN) < 0) {
			close(child.output_fd);
			probe->out.fd = -1;
		}
	}
	probe->timeout_ms = timeout_ms;
	probe->deadline = util_now_ms() + timeout_ms;
	return 0;
}

bool probe_reaped(struct probe *probe, pid_t pid, int status)
{
	char how[64], why[256];

	if (!probe->pid || pid != probe->pid)
		return false;
	probe->pid = 0;
	/* What it wrote last is in the pipe already. */
	if (probe->out.fd >= 0)
		out_cb(&probe->out, EPOLLIN);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		finish(probe, true, NULL);
		return true;
	}
	util_describe_status(status, how, sizeof(how));
	if (probe->first_len)
		snprintf(why, sizeof(why), "%s: %s", how, probe->first_line);
	else
		snprintf(why, sizeof(why), "%s", how);
	finish(probe, false, why);
	return true;
}

void probe_cancel(struct probe *probe)
{
	if (probe->pid > 0 && kill(-probe->pid, SIGKILL) < 0 && errno != ESRCH)
		kill(probe->pid, SIGKILL);
	probe->pid = 0;
	probe->deadline = 0;
	close_watcher(probe, &probe->sock);
	close_watcher(probe, &probe->out);
}

void probe_expire(struct probe *probe)
{
	char took[32], why[64];

	snprintf(why, sizeof(why), "timed out after %s",
		 util_describe_ms(probe->timeout_ms, took, sizeof(took)));
	probe_cancel(probe);
	probe->done_cb(probe, false, why);
}
