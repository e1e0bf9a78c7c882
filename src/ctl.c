/* ctl.c: the control socket server: pmtrctl's requests, answered without ever blocking. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "ctlproto.h"
#include "log.h"
#include "util.h"

struct ctl_client {
	struct loop_watcher w;		/* first: the loop hands back this pointer */
	struct ctl *ctl;
	struct ctl_client *next;
	uid_t uid;
	int64_t deadline;
	char in[CTL_REQUEST_MAX + 1];
	size_t in_len;
	char *out;			/* the whole reply, once the request is answered */
	size_t out_len, out_done;
};

/* A growing reply buffer; on allocation failure it stays NULL and the reply is lost. */
struct reply {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void reply_add(struct reply *r, const char *text, size_t len)
{
	if (r->failed)
		return;
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		char *bigger;

		while (cap < r->len + len + 1)
			cap *= 2;
		bigger = realloc(r->buf, cap);
		if (!bigger) {
			r->failed = true;
			return;
		}
		r->buf = bigger;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, text, len);
	r->len += len;
	r->buf[r->len] = '\0';
}

static void reply_printf(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply_printf(struct reply *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reply_add(r, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void reply_error(struct reply *r, enum ctl_error kind, const char *msg)
{
	reply_printf(r, "error %s %s\n", ctl_error_name(kind), msg);
}

static void add_status(struct reply *r, const struct job *job, int64_t now)
{
	struct ctl_job_status st = {
		.name = job->conf->name,
		.state = (char *)job_state_name(job->state),
		.pid = job->pid,
		.uptime = job->pid ? (now - job->started_ms) / 1000 : 0,
		.restarts = job->restarts,
		.exit_code = -1,
		.exit_signal = -1,
	};
	char *line;

	if (job->has_exited && WIFEXITED(job->last_status))
		st.exit_code = WEXITSTATUS(job->last_status);
	else if (job->has_exited && WIFSIGNALED(job->last_status))
		st.exit_signal = WTERMSIG(job->last_status);
	st.command = conf_job_command(job->conf);
	line = st.command ? ctl_format_status(&st) : NULL;
	if (line)
		reply_add(r, line, strlen(line));
	else
		r->failed = true;
	free(line);
	free(st.command);
}

/* A job on its way out can still be looked at, but no longer acted on. */
static struct job *find_job(struct jobs *jobs, const char *name, bool removed_too)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->state == JOB_GONE || (!removed_too && job_is_removed(job)))
			continue;
		if (strcmp(job->conf->name, name) == 0)
			return job;
	}
	return NULL;
}

static void execute(struct ctl *ctl, const struct ctl_request *req, uid_t uid, struct reply *r)
{
	struct job **found = NULL;
	struct reply unknown = { 0 };
	size_t n_unknown = 0;
	int64_t now = util_now_ms();

	if (ctl_command_mutates(req->command) && uid != 0 && uid != geteuid()) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s needs root or uid %u", ctl_command_name(req->command),
			 (unsigned)geteuid());
		reply_error(r, CTL_ERR_REFUSED, msg);
		return;
	}
	if (ctl_command_mutates(req->command) && ctl->refuse_changes) {
		reply_error(r, CTL_ERR_REFUSED, "pmtr is shutting down");
		return;
	}
	if (req->n_names) {
		found = calloc(req->n_names, sizeof(*found));
		if (!found) {
			reply_error(r, CTL_ERR_REFUSED, "out of memory");
			return;
		}
	}
	for (size_t i = 0; i < req->n_names; i++) {
		found[i] = find_job(ctl->jobs, req->names[i], req->command == CTL_STATUS);
		if (found[i])
			continue;
		reply_printf(&unknown, "%s\"%s\"", n_unknown ? ", " : "", req->names[i]);
		n_unknown++;
	}
	if (n_unknown) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "no such job%s: %s%s", n_unknown > 1 ? "s" : "",
			 unknown.buf ? unknown.buf : "", ctl_command_mutates(req->command) ?
			 "; nothing done" : "");
		reply_error(r, CTL_ERR_UNKNOWN, msg);
		goto done;
	}
	switch (req->command) {
	case CTL_STATUS:
		reply_add(r, "ok\n", 3);
		if (req->n_names) {
			for (size_t i = 0; i < req->n_names; i++)
				add_status(r, found[i], now);
		} else {
			for (size_t i = 0; i < ctl->jobs->n; i++)
				if (ctl->jobs->v[i]->state != JOB_GONE)
					add_status(r, ctl->jobs->v[i], now);
		}
		break;
	case CTL_RELOAD:
		log_info("control: reload");
		ctl->reload_cb(ctl->arg);
		reply_add(r, "ok\n", 3);
		break;
	default: {
		static const enum job_event events[] = {
			[CTL_START] = JOB_EV_START, [CTL_ENABLE] = JOB_EV_START,
			[CTL_STOP] = JOB_EV_STOP, [CTL_DISABLE] = JOB_EV_STOP,
			[CTL_RESTART] = JOB_EV_RESTART,
		};

		for (size_t i = 0; i < req->n_names; i++) {
			log_info("control: %s job %s", ctl_command_name(req->command),
				 found[i]->conf->name);
			job_event(ctl->jobs, found[i], events[req->command]);
		}
		reply_add(r, "ok\n", 3);
		break;
	}
	}
done:
	free(unknown.buf);
	free(found);
}

static void client_close(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	for (struct ctl_client **p = &ctl->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	ctl->n_clients--;
	loop_del(ctl->loop, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	free(c->out);
	c->out = NULL;
	loop_free_later(ctl->loop, c);
}

static void client_flush(struct ctl_client *c)
{
	while (c->out_done < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + c->out_done, c->out_len - c->out_done,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			log_debug("control: client gone: %s", strerror(errno));
			client_close(c);
			return;
		}
		c->out_done += (size_t)n;
	}
	client_close(c);
}

/* eof: the client has stopped writing, so an incomplete request is all there is. */
static void client_answer(struct ctl_client *c, bool eof)
{
	struct ctl_request req;
	struct reply r = { 0 };
	char why[256];
	int rc;

	rc = ctl_parse_request(c->in, c->in_len, &req, why, sizeof(why));
	if (rc > 0 && !eof && c->in_len <= CTL_REQUEST_MAX)
		return;		/* read more */
	reply_printf(&r, "%s\n", CTL_HELLO);
	if (rc > 0) {
		reply_error(&r, CTL_ERR_USAGE, eof ? "incomplete request" : "request too long");
	} else if (rc < 0) {
		log_debug("control: bad request: %s", why);
		reply_error(&r, CTL_ERR_USAGE, why);
	} else {
		execute(c->ctl, &req, c->uid, &r);
		ctl_request_free(&req);
	}
	if (r.failed) {
		log_warnx("control: out of memory for a reply");
		free(r.buf);
		client_close(c);
		return;
	}
	c->out = r.buf;
	c->out_len = r.len;
	c->out_done = 0;
	if (loop_mod(c->ctl->loop, &c->w, EPOLLOUT) < 0)
		log_warn("control: epoll_ctl");
	client_flush(c);
}

static void client_cb(struct loop_watcher *w, uint32_t events)
{
	struct ctl_client *c = (struct ctl_client *)w;
	ssize_t n;

	if (c->out) {
		client_flush(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(w->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				client_close(c);
			return;
		}
		if (n == 0) {
			/* The client stopped writing: answer what we have, or drop it. */
			if (c->in_len == 0) {
				client_close(c);
				return;
			}
			client_answer(c, true);
			return;
		}
		c->in_len += (size_t)n;
		client_answer(c, false);
	}
}

static void refuse_busy(int fd)
{
	static const char busy[] = CTL_HELLO "\nerror refused too many clients, try again\n";
	ssize_t ignored = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)ignored;
	close(fd);
}

static void listener_cb(struct loop_watcher *w, uint32_t events)
{
	struct ctl *ctl = container_of(w, struct ctl, listener);
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);

	(void)events;
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		if (ctl->n_clients >= CTL_MAX_CLIENTS) {
			log_debug("control: %d clients already: refusing one", CTL_MAX_CLIENTS);
			refuse_busy(fd);
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) {
			log_warn("control: SO_PEERCRED");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			log_warn("control: client");
			close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.cb = client_cb;
		c->ctl = ctl;
		c->uid = cred.uid;
		c->deadline = util_now_ms() + CTL_CLIENT_TIMEOUT_MS;
		if (loop_add(ctl->loop, &c->w, EPOLLIN) < 0) {
			log_warn("control: epoll_ctl");
			close(fd);
			free(c);
			continue;
		}
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

/* A socket file that nobody answers on was left by a pmtr that died: replace it. */
static int claim_path(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc;

	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (rc == 0 || errno == EAGAIN) {
		errno = EADDRINUSE;
		return -1;
	}
	if (errno == ECONNREFUSED) {
		struct stat st;

		if (lstat(addr->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(addr->sun_path) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

int ctl_init(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path,
	     void (*reload_cb)(void *arg), void *arg, char *why, size_t why_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, rc;

	memset(ctl, 0, sizeof(*ctl));
	ctl->listener.fd = -1;
	ctl->loop = loop;
	ctl->jobs = jobs;
	ctl->reload_cb = reload_cb;
	ctl->arg = arg;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(why, why_len, "%s: path too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (claim_path(&addr) < 0) {
		if (errno == EADDRINUSE)
			snprintf(why, why_len, "another pmtr is running on %s", path);
		else if (errno == EEXIST)
			snprintf(why, why_len, "%s exists and is not a socket", path);
		else
			snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	/* The file is born 0660: there is no moment where others could connect. */
	old_umask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (rc < 0 || listen(fd, 16) < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		if (errno == EADDRINUSE)
			snprintf(why, why_len, "another pmtr is running on %s", path);
		close(fd);
		return -1;
	}
	ctl->path = strdup(path);
	ctl->listener.fd = fd;
	ctl->listener.cb = listener_cb;
	if (!ctl->path || loop_add(loop, &ctl->listener, EPOLLIN) < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		ctl_exit(ctl);
		return -1;
	}
	return 0;
}

void ctl_exit(struct ctl *ctl)
{
	while (ctl->clients)
		client_close(ctl->clients);
	if (ctl->listener.fd >= 0) {
		loop_del(ctl->loop, &ctl->listener);
		close(ctl->listener.fd);
		ctl->listener.fd = -1;
		if (ctl->path && unlink(ctl->path) < 0 && errno != ENOENT)
			log_warn("cannot remove %s", ctl->path);
	}
	free(ctl->path);
	ctl->path = NULL;
}

int64_t ctl_tick(struct ctl *ctl)
{
	int64_t now = util_now_ms(), next = 0;
	struct ctl_client *c = ctl->clients;

	while (c) {
		struct ctl_client *following = c->next;

		if (c->deadline <= now) {
			log_debug("control: client took more than %d ms: dropped", CTL_CLIENT_TIMEOUT_MS);
			client_close(c);
		} else if (!next || c->deadline < next) {
			next = c->deadline;
		}
		c = following;
	}
	return next;
}
