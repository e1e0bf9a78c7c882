/* pmtrctl_client.c: pmtrctl's side of the control socket: send a request, read its answer whole or line by line, ask again across a reexec. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pmtrctl_client.h"
#include "pmtrctl_output.h"
#include "util.h"
#include "ctlstatus.h"

/* Internal results of one exchange: the daemon speaks only version 1 (ask again in
 * it); closed with not a byte of answer (pmtr was executing itself anew and had not
 * read the request). */
#define RETRY_V1 (-1)
#define UNANSWERED (-2)

/* The whole exchange, connect included, must end within this. */
#define ANSWER_TIMEOUT_S 10
/* Larger than any status of a real table (1000 jobs take about 100 KB). */
#define REPLY_MAX (64u << 20)
/* How long a request that changes nothing is sent again while pmtr executes itself
 * anew: REEXEC_RETRIES times REEXEC_RETRY_NS. */
#define REEXEC_RETRIES 40

/* ---- interrupts --------------------------------------------------------------- */

/* Whether Ctrl-C (or SIGTERM) asked a follower to stop. */
static volatile sig_atomic_t interrupted;
/* Once they are caught: the signal mask inside ppoll, the caught ones unblocked. */
static bool catching;
static sigset_t waiting_mask;

static void interrupt_cb(int sig)
{
	(void)sig;
	interrupted = 1;
}

void client_catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = interrupt_cb };
	sigset_t caught;

	sigemptyset(&caught);
	sigaddset(&caught, SIGINT);
	sigaddset(&caught, SIGTERM);
	/* Blocked first: one that comes now waits for ppoll. */
	sigprocmask(SIG_BLOCK, &caught, &waiting_mask);
	sigdelset(&waiting_mask, SIGINT);
	sigdelset(&waiting_mask, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	catching = true;
}

bool client_interrupted(void)
{
	sigset_t pending;

	/* One that came while they are blocked is pending until the next ppoll. */
	if (!interrupted && catching && sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1))
		interrupted = 1;
	return interrupted;
}

/* ---- the exchange ------------------------------------------------------------- */

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - util_now_ms();

	return left > 0 ? (int)left : 0;
}

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *bigger;

	if (b->len + more + 1 <= b->cap)
		return 0;
	if (b->len + more + 1 > REPLY_MAX) {
		errno = EFBIG;
		return -1;
	}
	cap = b->cap ? b->cap : 16384;
	while (cap < b->len + more + 1)
		cap *= 2;
	bigger = realloc(b->data, cap);
	if (!bigger)
		return -1;
	b->data = bigger;
	b->cap = cap;
	return 0;
}

void client_stream_restart(struct stream *st)
{
	st->version = 0;
	st->ok = st->endless = false;
}

static int server_error(const char *path, char *rest)
{
	char *msg = strchr(rest, ' '), *text;
	int kind, status;

	if (msg)
		*msg++ = '\0';
	kind = ctl_error_from_name(rest);
	/* A kind this client does not know: the daemon could not do it. */
	status = kind < 0 ? ctl_error_exit_status(CTL_ERR_REFUSED) :
			    ctl_error_exit_status((enum ctl_error)kind);
	text = out_printable(msg && *msg ? msg : rest);
	if (!text) {
		out_complain("%s: %s", path, strerror(errno));
		return status;
	}
	if (msg && *msg)
		out_complain("%s", text);
	else
		out_complain("%s: the daemon gave a \"%s\" error", path, text);
	free(text);
	return status;
}

/* A daemon of version 1 refusing our hello. */
static bool is_version_refusal(const char *line)
{
	return strncmp(line, "error usage unsupported protocol version ", 41) == 0;
}

/* The hello and "ok" (or "error ...") lines of a streamed answer. */
static int stream_head(struct stream *st, char *line)
{
	if (!st->version) {
		st->version = ctl_parse_hello(line, strlen(line));
		if (st->version < 0) {
			out_complain("%s: not a pmtr control socket (no hello)", st->path);
			return EXIT_UNREACHABLE;
		}
		return EXIT_OK;
	}
	if (st->version == 1 && is_version_refusal(line))
		return RETRY_V1;
	if (strncmp(line, "error ", 6) == 0)
		return server_error(st->path, line + 6);
	if (st->version != CTL_VERSION || strcmp(line, "ok") != 0) {
		out_complain("%s: malformed answer from the daemon", st->path);
		return EXIT_UNREACHABLE;
	}
	st->ok = true;
	st->endless = st->command == CTL_FOLLOW;
	return EXIT_OK;
}

/* Hand the complete lines of reply to the stream, keeping a partial one. */
static int stream_lines(struct stream *st, struct buf *reply)
{
	char *start = reply->data, *end = reply->data + reply->len, *nl;
	int rc = EXIT_OK;

	while (rc == EXIT_OK && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		if (memchr(start, '\0', (size_t)(nl - start))) {
			out_complain("%s: malformed answer from the daemon", st->path);
			return EXIT_UNREACHABLE;
		}
		rc = st->ok ? st->line_cb(st, start) : stream_head(st, start);
		start = nl + 1;
	}
	reply->len = (size_t)(end - start);
	memmove(reply->data, start, reply->len);
	if (st->endless && fflush(stdout) != 0)
		rc = EXIT_USAGE;
	return rc;
}

static const char *hint;

void client_set_hint(const char *text)
{
	hint = text;
}

/* A socket connected to path, or -1 after the message saying why not, with the
 * exit status in *rc. */
static int connect_to(const char *path, const struct stream *stream, int *rc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	int fd;

	*rc = EXIT_UNREACHABLE;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		out_complain("cannot connect to %s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		out_complain("socket: %s", strerror(errno));
		return -1;
	}
	/* A daemon whose backlog is full makes connect wait: at most the time limit. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (stream && stream->resumed && (errno == ECONNREFUSED || errno == ENOENT))
			*rc = DAEMON_GONE;	/* pmtr stopped: the follow ends as it would have */
		else if (errno == EAGAIN || errno == EINPROGRESS)
			out_complain("no answer from %s within %d s", path, ANSWER_TIMEOUT_S);
		else
			out_complain("cannot connect to %s: %s", path, strerror(errno));
		if (hint && *rc == EXIT_UNREACHABLE)
			out_complain("(%s; choose a socket with -s PATH or PMTR_SOCKET)", hint);
		close(fd);
		return -1;
	}
	if (util_set_nonblock(fd) < 0) {
		out_complain("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One exchange on a connected socket. */
struct talk {
	int fd;
	const char *path;
	const char *request;
	size_t sent, len;
	bool writing, answered;
	struct buf *reply;
	struct stream *stream;
};

static void send_some(struct talk *t)
{
	ssize_t w = send(t->fd, t->request + t->sent, t->len - t->sent, MSG_NOSIGNAL);

	if (w >= 0)
		t->sent += (size_t)w;
	else if (errno != EAGAIN && errno != EINTR)
		t->sent = t->len;	/* the daemon stopped reading: its answer says why */
	if (t->sent == t->len) {
		t->writing = false;
		shutdown(t->fd, SHUT_WR);
	}
}

/* Read what came: 1 to go on, else 0 with the result in *rc. */
static int receive_some(struct talk *t, int *rc)
{
	ssize_t r;

	if (buf_reserve(t->reply, 65536) < 0) {
		out_complain("%s: reply too large: %s", t->path, strerror(errno));
		return 0;
	}
	r = recv(t->fd, t->reply->data + t->reply->len, t->reply->cap - t->reply->len - 1, 0);
	if (r > 0) {
		t->answered = true;
		t->reply->len += (size_t)r;
		t->reply->data[t->reply->len] = '\0';
		if (t->stream && (*rc = stream_lines(t->stream, t->reply)) != EXIT_OK)
			return 0;
		*rc = EXIT_UNREACHABLE;
		return 1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	/* A reset after the answer (our request unread when it closed) ends it too. */
	if (r == 0 || errno == ECONNRESET || errno == EPIPE) {
		*rc = t->answered ? EXIT_OK : UNANSWERED;
		if (t->stream && t->reply->len) {
			out_complain("%s: incomplete or malformed answer", t->path);
			*rc = EXIT_UNREACHABLE;
		}
		return 0;
	}
	out_complain("cannot read from %s: %s", t->path, strerror(errno));
	return 0;
}

/* Wait for the socket, or until deadline unless the answer is endless. The caught
 * signals are unblocked only in here, so a Ctrl-C that came while a line was
 * printed is taken at once rather than after the next line. */
static int wait_for(struct talk *t, struct pollfd *pfd, int64_t deadline)
{
	int ms = remaining_ms(deadline);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	bool endless = t->stream && t->stream->endless;

	return ppoll(pfd, 1, endless ? NULL : &ts, catching ? &waiting_mask : NULL);
}

/* Send the request and read the whole reply, or hand it to stream as it arrives.
 * EXIT_OK, or the exit status after the message saying why not. */
static int exchange(const char *path, const char *request, struct buf *reply,
		    struct stream *stream)
{
	int64_t deadline = util_now_ms() + ANSWER_TIMEOUT_S * 1000;
	struct talk t = {
		.path = path, .request = request, .len = strlen(request), .writing = true,
		.reply = reply, .stream = stream,
	};
	int rc;

	t.fd = connect_to(path, stream, &rc);
	if (t.fd < 0)
		return rc;
	for (;;) {
		struct pollfd pfd = { .fd = t.fd, .events = POLLIN | (t.writing ? POLLOUT : 0) };
		int n;

		if (interrupted) {
			rc = EXIT_OK;
			break;
		}
		n = wait_for(&t, &pfd, deadline);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			out_complain("poll: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			out_complain("no answer from %s within %d s", path, ANSWER_TIMEOUT_S);
			break;
		}
		if (t.writing && (pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
			send_some(&t);
		if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) && !receive_some(&t, &rc))
			break;
	}
	close(t.fd);
	return rc;
}

/* Next line of the reply (its "\n" replaced by NUL), or NULL at the end. */
static char *next_line(char **pos, char *end)
{
	char *line = *pos, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (!nl)
		return NULL;
	*nl = '\0';
	*pos = nl + 1;
	return line;
}

/* Read the reply: hello, "ok" or "error KIND message", the body, whose job lines go
 * into *jobs; nothing is printed but a failure. Returns the exit status, or
 * RETRY_V1. */
void client_jobs_free(struct job_list *jobs)
{
	free(jobs->v);
	free(jobs->config.errors);
	*jobs = (struct job_list){ 0 };
}

/* Whether line is a config-error line; then it is kept in config (unless
 * memory runs out: a note is not worth failing for). */
static bool add_config_error(struct out_config *config, char *line)
{
	long long since;
	char *text;

	if (ctl_parse_config_error(line, &since, &text) < 0)
		return false;
	if (config->n == config->cap) {
		size_t cap = config->cap ? 2 * config->cap : 8;
		char **bigger = realloc(config->errors, cap * sizeof(*bigger));

		if (!bigger)
			return true;
		config->errors = bigger;
		config->cap = cap;
	}
	config->since = since;
	config->errors[config->n++] = text;
	return true;
}

static int read_answer(const char *path, int asked, enum ctl_command command,
		       struct buf *reply, struct job_list *jobs)
{
	char *pos = reply->data, *end = reply->data + reply->len, *line;
	int version;

	jobs->n = 0;
	jobs->config.since = 0;
	jobs->config.n = 0;
	if (!reply->len) {
		out_complain("%s: the daemon closed the connection without an answer", path);
		return EXIT_UNREACHABLE;
	}
	if (reply->data[reply->len - 1] != '\n' || memchr(reply->data, '\0', reply->len)) {
		out_complain("%s: incomplete or malformed answer", path);
		return EXIT_UNREACHABLE;
	}
	line = next_line(&pos, end);
	version = ctl_parse_hello(line, strlen(line));
	if (version < 0) {
		out_complain("%s: not a pmtr control socket (no hello)", path);
		return EXIT_UNREACHABLE;
	}
	line = next_line(&pos, end);
	if (version == 1 && line && is_version_refusal(line))
		return RETRY_V1;
	if (line && strncmp(line, "error ", 6) == 0) {
		int rc = server_error(path, line + 6);

		/* a refused reload: the errors of the file */
		while ((line = next_line(&pos, end)))
			add_config_error(&jobs->config, line);
		out_config_errors(&jobs->config);
		return rc;
	}
	if (version != asked) {
		out_complain("%s: the daemon speaks protocol version %d, not %d", path, version,
			 asked);
		return EXIT_UNREACHABLE;
	}
	if (!line || strcmp(line, "ok") != 0) {
		out_complain("%s: malformed answer from the daemon", path);
		return EXIT_UNREACHABLE;
	}
	if (command == CTL_REEXEC) {
		/* the new pmtr says what it is */
		while ((line = next_line(&pos, end)))
			if (strncmp(line, "version ", 8) == 0)
				printf("%s\n", line + 8);
		return EXIT_OK;
	}
	if (command != CTL_STATUS && command != CTL_DETAILS)
		return EXIT_OK;
	/* Body lines of a kind this client does not know are for newer clients. */
	while ((line = next_line(&pos, end))) {
		if (add_config_error(&jobs->config, line))
			continue;
		if (strncmp(line, "job ", 4) != 0)
			continue;
		if (jobs->n == jobs->cap) {
			size_t bigger_cap = jobs->cap ? jobs->cap * 2 : 64;
			struct ctl_job_status *bigger = realloc(jobs->v, bigger_cap * sizeof(*bigger));

			if (!bigger) {
				out_complain("%s", strerror(errno));
				return EXIT_UNREACHABLE;
			}
			jobs->v = bigger;
			jobs->cap = bigger_cap;
		}
		if (ctl_parse_status(line, &jobs->v[jobs->n]) < 0) {
			out_complain("%s: malformed status line from the daemon", path);
			return EXIT_UNREACHABLE;
		}
		jobs->n++;
	}
	return EXIT_OK;
}

int client_request(const char *path, struct ctl_request *req, struct buf *reply,
		   struct stream *stream, struct job_list *jobs)
{
	struct ctl_request check;
	char *text, why[256];
	int rc;

	for (;;) {
		text = ctl_format_request(req);
		if (!text) {
			out_complain("%s", strerror(errno));
			return EXIT_USAGE;
		}
		/* The daemon's own rules, checked here first: a bad request never leaves
		 * this host. */
		if (ctl_parse_request(text, strlen(text), &check, why, sizeof(why)) != 0) {
			char *shown = out_printable(why);

			out_complain("%s", shown ? shown : why);
			free(shown);
			free(text);
			return EXIT_USAGE;
		}
		ctl_request_free(&check);
		reply->len = 0;
		rc = exchange(path, text, reply, stream);
		/* A request that changes nothing is sent again. */
		for (int tries = 0; rc == UNANSWERED && !ctl_command_mutates(req->command) &&
		     tries < REEXEC_RETRIES; tries++) {
			nanosleep(&(struct timespec){ 0, REEXEC_RETRY_NS }, NULL);
			reply->len = 0;
			if (stream)
				client_stream_restart(stream);
			rc = exchange(path, text, reply, stream);
		}
		if (rc == UNANSWERED) {
			out_complain("%s: the daemon closed the connection without an answer", path);
			rc = EXIT_UNREACHABLE;
		}
		free(text);
		if (rc == EXIT_OK && !stream)
			rc = read_answer(path, req->version, req->command, reply, jobs);
		if (rc != RETRY_V1)
			return rc;
		/* A pmtr from before version 2 still answers what version 1 has;
		 * details is status there, without the usage. */
		if (req->command == CTL_DETAILS)
			req->command = CTL_STATUS;
		if (ctl_command_info(req->command)->since > 1) {
			out_complain("%s: this pmtr is older than pmtrctl (protocol version 1) and has no %s command",
				 path, ctl_command_name(req->command));
			return ctl_error_exit_status(CTL_ERR_REFUSED);
		}
		req->version = 1;
	}
}
