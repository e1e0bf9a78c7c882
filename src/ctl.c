/* ctl.c: the control socket server: pmtrctl's requests, answered without ever blocking. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_read.h"
#include "ctl_status.h"
#include "cgroup.h"
#include "ctlproto.h"
#include "joblog.h"
#include "log.h"
#include "logfile.h"
#include "util.h"

struct ctl_client {
	struct loop_watcher w;		/* first: the loop hands back this pointer */
	struct ctl *ctl;
	struct ctl_client *next;
	uid_t uid;
	int64_t deadline;		/* 0: a follower, which stays as long as it likes */
	char in[CTL_REQUEST_MAX + 1];
	size_t in_len;
	char *out;			/* the reply, once the request is answered */
	size_t out_len, out_done, out_cap;
	struct ctl_reader reader;	/* logs and follow: what it reads */
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

/* A job with a check: "starting" until a check of this run ended while it is
 * ready, then what the last one said. */
static void add_status(struct reply *r, const struct job *job, int64_t now, int version,
		       bool details)
{
	char *line = ctl_status_line(job, now, version, details);

	if (line)
		reply_add(r, line, strlen(line));
	else
		r->failed = true;
	free(line);
}

static bool is_reader(const struct ctl_client *c)
{
	return c->reader.readings != NULL;
}

/* Say where a job's output goes when pmtr does not see it. */
static void add_output_files(struct reply *r, const struct job *job)
{
	const char *const paths[] = { job->conf->out, job->conf->err };
	const char *const streams[] = { "out", "err" };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char *path = paths[i] ? ctl_escape(paths[i]) : NULL;

		if (path)
			reply_printf(r, "output %s %s %s\n", job->conf->name, streams[i], path);
		else if (paths[i])
			r->failed = true;
		free(path);
	}
}

/* logs and follow: the jobs named, or every job when none is. */
static void start_reading(struct ctl_client *c, const struct ctl_request *req,
			  struct job **found, struct reply *r)
{
	struct ctl *ctl = c->ctl;

	if (req->command == CTL_FOLLOW && ctl->n_followers >= CTL_MAX_FOLLOWERS) {
		reply_error(r, CTL_ERR_REFUSED, "too many followers, try again");
		return;
	}
	if (ctl_reader_start(&c->reader, ctl->jobs, req, found) < 0) {
		reply_error(r, CTL_ERR_REFUSED, "out of memory");
		return;
	}
	reply_add(r, "ok\n", 3);
	for (size_t i = 0; i < req->n_names; i++) {
		bool again = false;

		for (size_t j = 0; j < i; j++)
			again = again || found[j] == found[i];
		if (found[i] && !again)
			add_output_files(r, found[i]);
	}
	if (req->command == CTL_FOLLOW) {
		c->deadline = 0;
		ctl->n_followers++;
	}
}

static void send_signal(const struct ctl_request *req, struct job **found, struct reply *r)
{
	struct reply idle = { 0 };
	char name[32], msg[1200];
	size_t n_idle = 0;

	util_signame((int)req->arg, name, sizeof(name));
	for (size_t i = 0; i < req->n_names; i++) {
		if (found[i]->pid)
			continue;
		reply_printf(&idle, "%s%s (%s)", n_idle ? ", " : "", found[i]->conf->name,
			     job_state_name(found[i]->state));
		n_idle++;
	}
	if (n_idle) {
		snprintf(msg, sizeof(msg), "not running: %s; nothing done", idle.buf ? idle.buf : "?");
		reply_error(r, CTL_ERR_REFUSED, msg);
		free(idle.buf);
		return;
	}
	for (size_t i = 0; i < req->n_names; i++) {
		struct job *job = found[i];

		log_info("control: %s to job %s [%d]", name, job->conf->name, (int)job->pid);
		if (kill(job->pid, (int)req->arg) < 0) {
			log_warn("control: %s to job %s [%d]", name, job->conf->name, (int)job->pid);
			snprintf(msg, sizeof(msg), "%s to job %s [%d]: %s", name, job->conf->name,
				 (int)job->pid, strerror(errno));
			reply_error(r, CTL_ERR_REFUSED, msg);
			return;
		}
	}
	reply_add(r, "ok\n", 3);
}

/* Whether the peer may run the request; if not, the refusal is the reply. */
static bool allowed(const struct ctl_client *c, const struct ctl_request *req, struct reply *r)
{
	char msg[128];

	if (!ctl_command_mutates(req->command))
		return true;
	if (c->uid != 0 && c->uid != geteuid()) {
		snprintf(msg, sizeof(msg), "%s needs root or uid %u", ctl_command_name(req->command),
			 (unsigned)geteuid());
		reply_error(r, CTL_ERR_REFUSED, msg);
		return false;
	}
	if (c->ctl->refuse_changes) {
		reply_error(r, CTL_ERR_REFUSED, "pmtr is shutting down");
		return false;
	}
	return true;
}

/* The jobs the request names, in its order (CTL_PMTR_LOG: NULL); NULL when one
 * is unknown (then the reply says which) or memory ran out (*failed). */
static struct job **find_named(struct ctl *ctl, const struct ctl_request *req,
			       struct reply *r, bool *failed)
{
	struct job **found = calloc(req->n_names ? req->n_names : 1, sizeof(*found));
	struct reply unknown = { 0 };
	size_t n_unknown = 0;
	char msg[1200];

	*failed = !found;
	if (!found) {
		reply_error(r, CTL_ERR_REFUSED, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < req->n_names; i++) {
		if (ctl_is_pmtr_log(req->names[i]))
			continue;
		/* a job on its way out can still be looked at, but no longer acted on */
		found[i] = jobs_find(ctl->jobs, req->names[i], !ctl_command_mutates(req->command));
		if (found[i])
			continue;
		reply_printf(&unknown, "%s\"%s\"", n_unknown ? ", " : "", req->names[i]);
		n_unknown++;
	}
	if (!n_unknown)
		return found;
	snprintf(msg, sizeof(msg), "no such job%s: %s%s", n_unknown > 1 ? "s" : "",
		 unknown.buf ? unknown.buf : "", ctl_command_mutates(req->command) ?
		 "; nothing done" : "");
	reply_error(r, CTL_ERR_UNKNOWN, msg);
	free(unknown.buf);
	free(found);
	*failed = true;
	return NULL;
}

void ctl_conf_report_clear(struct ctl_conf_report *report)
{
	for (size_t i = 0; i < report->n_errors; i++)
		free(report->errors[i]);
	free(report->errors);
	*report = (struct ctl_conf_report){ 0 };
}

void ctl_conf_report_set(struct ctl_conf_report *report, char *const *errors, size_t n)
{
	long long since = report->since ? report->since : (long long)time(NULL);

	ctl_conf_report_clear(report);
	if (!n)
		return;
	report->since = since;
	report->errors = calloc(n, sizeof(*report->errors));
	for (size_t i = 0; report->errors && i < n; i++)
		if ((report->errors[report->n_errors] = strdup(errors[i])))
			report->n_errors++;
}

/* The errors of a configuration file that cannot be used, one body line each. */
static void add_config_errors(struct ctl *ctl, struct reply *r)
{
	const struct ctl_conf_report *conf = ctl->conf;

	for (size_t i = 0; conf && conf->since && i < conf->n_errors; i++) {
		char *line = ctl_format_config_error(conf->since, conf->errors[i]);

		if (!line) {
			r->failed = true;
			return;
		}
		reply_add(r, line, strlen(line));
		free(line);
	}
}

static void send_status(struct ctl *ctl, const struct ctl_request *req, struct job **found,
			struct reply *r)
{
	int64_t now = util_now_ms();
	bool details = req->command == CTL_DETAILS;

	reply_add(r, "ok\n", 3);
	if (req->version >= 2)
		add_config_errors(ctl, r);
	if (req->n_names) {
		for (size_t i = 0; i < req->n_names; i++)
			add_status(r, found[i], now, req->version, details);
		return;
	}
	for (size_t i = 0; i < jobs_count(ctl->jobs); i++)
		if (!job_is_gone(jobs_at(ctl->jobs, i)))
			add_status(r, jobs_at(ctl->jobs, i), now, req->version, details);
}

/* start, stop, restart, enable, disable: one event to each job named. */
static void act_on_jobs(struct ctl *ctl, const struct ctl_request *req, struct job **found,
			struct reply *r)
{
	static const enum job_event events[] = {
		[CTL_START] = JOB_EV_RUN, [CTL_ENABLE] = JOB_EV_START,
		[CTL_STOP] = JOB_EV_STOP, [CTL_DISABLE] = JOB_EV_STOP,
		[CTL_RESTART] = JOB_EV_RESTART,
	};

	for (size_t i = 0; i < req->n_names; i++) {
		log_info("control: %s job %s", ctl_command_name(req->command),
			 found[i]->conf->name);
		job_event(ctl->jobs, found[i], events[req->command]);
	}
	reply_add(r, "ok\n", 3);
}

/* The log files of the jobs named, or of every job. */
static void reopen_logs(struct ctl *ctl, const struct ctl_request *req, struct job **found,
			struct reply *r)
{
	size_t n = req->n_names ? req->n_names : jobs_count(ctl->jobs);

	log_info("control: reopen%s", req->n_names ? "" : " every log file");
	for (size_t i = 0; i < n; i++)
		logfile_reopen(req->n_names ? found[i]->logfile : jobs_at(ctl->jobs, i)->logfile);
	reply_add(r, "ok\n", 3);
}

static void execute(struct ctl_client *c, const struct ctl_request *req, struct reply *r)
{
	struct ctl *ctl = c->ctl;
	struct job **found;
	char why[512] = "not supported here";
	bool failed;

	if (!allowed(c, req, r))
		return;
	found = find_named(ctl, req, r, &failed);
	if (failed)
		return;
	switch (req->command) {
	case CTL_STATUS:
	case CTL_DETAILS:
		send_status(ctl, req, found, r);
		break;
	case CTL_LOGS:
	case CTL_FOLLOW:
		start_reading(c, req, found, r);
		break;
	case CTL_SIGNAL:
		send_signal(req, found, r);
		break;
	case CTL_REOPEN:
		reopen_logs(ctl, req, found, r);
		break;
	case CTL_REEXEC:
		log_info("control: reexec");
		if (ctl->reexec_cb)
			ctl->reexec_cb(ctl->arg, c->w.fd, why, sizeof(why));
		reply_error(r, CTL_ERR_REFUSED, why);
		break;
	case CTL_RELOAD:
		log_info("control: reload");
		if (ctl->reload_cb(ctl->arg) < 0) {
			reply_error(r, CTL_ERR_REFUSED, "the configuration on disk cannot be used: "
				    "the jobs run on the one read before");
			add_config_errors(ctl, r);
		} else {
			reply_add(r, "ok\n", 3);
		}
		break;
	default:
		act_on_jobs(ctl, req, found, r);
		break;
	}
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
	if (!c->deadline)
		ctl->n_followers--;
	loop_del(ctl->loop, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	free(c->out);
	c->out = NULL;
	ctl_reader_free(&c->reader);
	loop_free_later(ctl->loop, c);
}

static size_t queued(const struct ctl_client *c)
{
	return c->out_len - c->out_done;
}

/* Append to a reader's queue; -1 on ENOMEM. */
static int queue_add(struct ctl_client *c, const char *text, size_t len)
{
	if (c->out_done && c->out_done == c->out_len)
		c->out_done = c->out_len = 0;
	if (c->out_len + len > c->out_cap && c->out_done) {
		memmove(c->out, c->out + c->out_done, queued(c));
		c->out_len -= c->out_done;
		c->out_done = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 16384;
		char *bigger;

		while (cap < c->out_len + len)
			cap *= 2;
		bigger = realloc(c->out, cap);
		if (!bigger)
			return -1;
		c->out = bigger;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	return 0;
}

static int queue_put(void *arg, const char *text, size_t len)
{
	return queue_add(arg, text, len);
}

static bool queue_full(void *arg)
{
	return queued(arg) >= CTL_QUEUE_MAX;
}

/* Fill a reader's queue up to CTL_QUEUE_MAX bytes (unbounded: every line of only,
 * a job that is leaving). */
static int fill(struct ctl_client *c, const struct job *only)
{
	const struct ctl_sink sink = { queue_put, queue_full, c };

	return ctl_reader_fill(&c->reader, only, &sink);
}

/* A reader is done when its queue is empty and no line can come any more. */
static bool reader_done(const struct ctl_client *c)
{
	return !queued(c) && (c->deadline || !ctl_reader_open(&c->reader));
}

static void client_flush(struct ctl_client *c)
{
	for (;;) {
		while (c->out_done < c->out_len) {
			ssize_t n = send(c->w.fd, c->out + c->out_done, c->out_len - c->out_done,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					if (loop_mod(c->ctl->loop, &c->w, EPOLLOUT) < 0)
						log_warn("control: epoll_ctl");
					return;
				}
				log_debug("control: client gone: %s", strerror(errno));
				client_close(c);
				return;
			}
			c->out_done += (size_t)n;
		}
		if (!is_reader(c))
			break;
		if (fill(c, NULL) < 0) {
			log_warnx("control: out of memory for a reader of job output");
			break;
		}
		if (!queued(c)) {
			if (reader_done(c))
				break;
			/* Nothing to send until a job writes: only a hang-up wakes us. */
			if (loop_mod(c->ctl->loop, &c->w, 0) < 0)
				log_warn("control: epoll_ctl");
			return;
		}
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
	/* Answered in the client's version; a request we cannot read, in ours. */
	if (rc == 0)
		reply_printf(&r, "pmtr-ctl %d\n", req.version);
	else
		reply_printf(&r, "%s\n", CTL_HELLO);
	if (rc > 0) {
		reply_error(&r, CTL_ERR_USAGE, eof ? "incomplete request" : "request too long");
	} else if (rc < 0) {
		log_debug("control: bad request: %s", why);
		reply_error(&r, CTL_ERR_USAGE, why);
	} else {
		execute(c, &req, &r);
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
	c->out_cap = r.cap;
	c->out_done = 0;
	client_flush(c);
}

static void client_cb(struct loop_watcher *w, uint32_t events)
{
	struct ctl_client *c = (struct ctl_client *)w;
	ssize_t n;

	if (c->out) {
		/* A follower waiting for lines wakes only to hang up. */
		if (is_reader(c) && !queued(c) && (events & (EPOLLHUP | EPOLLERR))) {
			client_close(c);
			return;
		}
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

/* A job leaves the table: its readers get its last lines, then the word that it left. */
static void job_freed_cb(void *arg, struct job *job)
{
	struct ctl *ctl = arg;
	struct ctl_client *c = ctl->clients;

	while (c) {
		struct ctl_client *following = c->next;
		const struct ctl_sink sink = { queue_put, queue_full, c };

		if (ctl_reader_job_gone(&c->reader, job, &sink) && c->out_len > 0)
			client_flush(c);
		c = following;
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

static int listen_on(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path,
		     int fd)
{
	ctl->path = strdup(path);
	ctl->listener.fd = fd;
	ctl->listener.cb = listener_cb;
	jobs->freed_cb = job_freed_cb;
	jobs->freed_arg = ctl;
	return ctl->path && loop_add(loop, &ctl->listener, EPOLLIN) == 0 ? 0 : -1;
}

static void ctl_reset(struct ctl *ctl, struct loop *loop, struct jobs *jobs,
		      int (*reload_cb)(void *arg), void *arg)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->listener.fd = -1;
	ctl->loop = loop;
	ctl->jobs = jobs;
	ctl->reload_cb = reload_cb;
	ctl->arg = arg;
	ctl->fed_seq = joblog_next_seq();
}

COLD int ctl_adopt(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path, int fd,
	      int (*reload_cb)(void *arg), void *arg)
{
	ctl_reset(ctl, loop, jobs, reload_cb, arg);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || listen_on(ctl, loop, jobs, path, fd) < 0) {
		free(ctl->path);
		ctl->path = NULL;
		ctl->listener.fd = -1;
		close(fd);
		return -1;
	}
	return 0;
}

COLD void ctl_answer_reexec(int fd, const char *version)
{
	char answer[128];
	int len = snprintf(answer, sizeof(answer), "%s\nok\nversion %s\n", CTL_HELLO, version);

	/* a short answer to a client that waits for it: one write */
	if (write(fd, answer, (size_t)len) != len)
		log_warn("re-exec: answering pmtrctl");
	close(fd);
}

int ctl_init(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path,
	     int (*reload_cb)(void *arg), void *arg, char *why, size_t why_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, rc;

	ctl_reset(ctl, loop, jobs, reload_cb, arg);
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
	if (listen_on(ctl, loop, jobs, path, fd) < 0) {
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
	bool new_lines = joblog_next_seq() != ctl->fed_seq;
	struct ctl_client *c = ctl->clients;

	ctl->fed_seq = joblog_next_seq();
	while (c) {
		struct ctl_client *following = c->next;

		if (!c->deadline) {
			ctl_reader_adopt(&c->reader, ctl->jobs);
			/* A follower with an empty queue waits for lines; the others for
			 * their socket to take more. */
			if (new_lines && c->out && !queued(c))
				client_flush(c);
		} else if (c->deadline <= now) {
			log_debug("control: client took more than %d ms: dropped", CTL_CLIENT_TIMEOUT_MS);
			client_close(c);
		} else if (!next || c->deadline < next) {
			next = c->deadline;
		}
		c = following;
	}
	return next;
}

/* A group by name or number; -1 when there is none. */
static int group_id(const char *group, gid_t *gid)
{
	char *end;
	unsigned long n;
	struct group *gr;

	errno = 0;
	n = strtoul(group, &end, 10);
	if (*group && !*end && !errno && n < (gid_t)-1) {
		*gid = (gid_t)n;
		return 0;
	}
	gr = getgrnam(group);
	if (!gr)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

int ctl_set_access(struct ctl *ctl, const char *group, mode_t mode, char *why, size_t why_len)
{
	gid_t gid = getegid();

	if (!ctl->path || ctl->listener.fd < 0)
		return 0;
	if (!mode)
		mode = CONF_DEFAULT_CONTROL_MODE;
	if (group && group_id(group, &gid) < 0) {
		snprintf(why, why_len, "control socket group %s: %s", group,
			 errno ? strerror(errno) : "no such group");
		return -1;
	}
	if (gid == ctl->group && mode == ctl->mode)
		return 0;
	if (chown(ctl->path, (uid_t)-1, gid) < 0 || chmod(ctl->path, mode) < 0) {
		snprintf(why, why_len, "control socket %s: %s", ctl->path, strerror(errno));
		return -1;
	}
	/* the first setting of the defaults is no news */
	if (ctl->mode || group || mode != CONF_DEFAULT_CONTROL_MODE)
		log_info("control socket %s: group %u, mode %04o", ctl->path, (unsigned)gid,
			 (unsigned)mode);
	ctl->group = gid;
	ctl->mode = mode;
	return 0;
}
