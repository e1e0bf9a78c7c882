/* notify.c: the sd_notify protocol, spoken without libsystemd: to systemd, and heard from jobs. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

/* Bad datagrams are said at most this often. */
#define IGNORED_SAY_MS 10000

static struct {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* as NOTIFY_SOCKET said */
} notifier = { .fd = -1 };

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path)
		return 0;
	len = strlen(path);
	if (len == 0 || len >= sizeof(notifier.addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
		log_warnx("NOTIFY_SOCKET \"%s\" is not a usable socket address: ignored", path);
		unsetenv("NOTIFY_SOCKET");
		return 0;
	}
	notifier.addr.sun_family = AF_UNIX;
	memcpy(notifier.path, path, len + 1);
	memcpy(notifier.addr.sun_path, path, len);
	if (path[0] == '@')
		notifier.addr.sun_path[0] = '\0';	/* abstract namespace */
	notifier.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	unsetenv("NOTIFY_SOCKET");
	notifier.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (notifier.fd < 0) {
		log_warn("notify socket");
		return -1;
	}
	return 0;
}

const char *notify_socket(void)
{
	return notifier.fd >= 0 ? notifier.path : NULL;
}

void notify_exit(void)
{
	if (notifier.fd >= 0)
		close(notifier.fd);
	notifier.fd = -1;
}

void notify_send(const char *state)
{
	if (notifier.fd < 0)
		return;
	if (sendto(notifier.fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&notifier.addr, notifier.addr_len) < 0)
		log_debug("sd_notify \"%s\": %s", state, strerror(errno));
}

int notify_parse_message(const char *buf, size_t len, struct notify_message *msg)
{
	const char *p = buf, *end = buf + len;

	memset(msg, 0, sizeof(*msg));
	if (len == 0 || len > NOTIFY_MESSAGE_MAX || memchr(buf, '\0', len))
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		size_t n = (size_t)(line_end - p);

		if (n == 0 && !nl)
			break;
		if (!memchr(p, '=', n))
			return -1;
		if (n == 7 && memcmp(p, "READY=1", 7) == 0) {
			msg->ready = true;
		} else if (n >= 7 && memcmp(p, "STATUS=", 7) == 0) {
			size_t o = 0;

			for (const char *c = p + 7; c < line_end && o < sizeof(msg->status) - 1; c++)
				if ((unsigned char)*c >= 0x20 && *c != 0x7f)
					msg->status[o++] = *c;
			msg->status[o] = '\0';
			msg->has_status = true;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void notify_ignored(struct notify_listener *l, pid_t sender, const char *why)
{
	int64_t now = util_now_ms();

	l->ignored++;
	if (l->said_ms && now - l->said_ms < IGNORED_SAY_MS)
		return;
	log_warnx("notify socket: ignored %lu datagram%s (last: from pid %d, %s)", l->ignored,
		  l->ignored == 1 ? "" : "s", (int)sender, why);
	l->ignored = 0;
	l->said_ms = now;
}

/* Descriptors sent along (FDSTORE=1 and the like) are not kept: closed at once. */
static void close_passed_fds(struct cmsghdr *c)
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
		close(fd);
	}
}

static void listener_cb(struct loop_watcher *w, uint32_t events)
{
	struct notify_listener *l = (struct notify_listener *)w;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	char buf[NOTIFY_MESSAGE_MAX + 1];

	(void)events;
	/* A bounded batch: a flood cannot hold the loop. */
	for (int i = 0; i < 64; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = &control, .msg_controllen = sizeof(control) };
		struct notify_message msg;
		struct cmsghdr *c;
		pid_t sender = 0;
		ssize_t n = recvmsg(l->w.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("notify socket: recvmsg");
			return;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cred;

				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				sender = cred.pid;
			} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				close_passed_fds(c);
			}
		}
		if (sender <= 0)
			notify_ignored(l, sender, "no credentials");
		else if ((size_t)n > NOTIFY_MESSAGE_MAX || notify_parse_message(buf, (size_t)n, &msg) < 0)
			notify_ignored(l, sender, "not a notify message");
		else
			l->message_cb(l->arg, sender, &msg);
	}
}

int notify_listen(struct notify_listener *l, struct loop *loop,
		  void (*message_cb)(void *arg, pid_t sender, const struct notify_message *msg),
		  void *arg, int inherited)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(addr);
	int on = 1, fd = inherited;

	memset(l, 0, sizeof(*l));
	l->w.fd = -1;
	if (fd >= 0) {
		/* a re-exec: jobs know its name; it stays */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
			goto fail;
	} else {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
		/* An address of the family alone: the kernel picks a free abstract name. */
		if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
		    bind(fd, (struct sockaddr *)&addr, sizeof(sa_family_t)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
			goto fail;
	}
	len -= (socklen_t)offsetof(struct sockaddr_un, sun_path);
	if (len < 2 || len >= sizeof(l->name) || addr.sun_path[0] != '\0') {
		errno = EINVAL;
		goto fail;
	}
	l->name[0] = '@';
	memcpy(l->name + 1, addr.sun_path + 1, len - 1);
	l->name[len] = '\0';
	l->w.fd = fd;
	l->w.cb = listener_cb;
	l->message_cb = message_cb;
	l->arg = arg;
	if (loop_add(loop, &l->w, EPOLLIN) < 0)
		goto fail;
	return 0;
fail:
	l->w.fd = -1;
	close(fd);
	return -1;
}

void notify_listen_exit(struct notify_listener *l, struct loop *loop)
{
	if (l->w.fd < 0)
		return;
	loop_del(loop, &l->w);
	close(l->w.fd);
	l->w.fd = -1;
}
