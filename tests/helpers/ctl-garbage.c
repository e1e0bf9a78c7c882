/* ctl-garbage.c: test helper: hostile or plain clients of pmtr's control socket, many at once. SPDX-License-Identifier: MIT
 *
 * Usage: ctl-garbage [-n COUNT] [-r BYTES [-x SEED] | -l BYTES | -i | -f FILE] [-S] [-H SECONDS] [-q | -a] PATH
 *        ctl-garbage -L [-f FILE] [-H SECONDS] PATH
 *   -n COUNT    open COUNT connections at once (default 1)
 *   -r BYTES    send BYTES pseudo-random bytes on each (seeded by -x, default 1)
 *   -l BYTES    send a hello, then "status " and a line of BYTES letters
 *   -i          send standard input (read once, sent on every connection)
 *   -f FILE     send the content of FILE
 *               (none of these: send nothing at all)
 *   -S          shut down writing once everything is sent
 *   -H SECONDS  wait at most SECONDS for the daemon to answer and close (default 5)
 * Once every connection is open it prints "connected COUNT" on stderr. At the end it
 * prints one line per connection on stdout: "closed after MS ms: LINE" where LINE is
 * the answer's line after the hello ("-" when none came), or "open after MS ms: ..."
 * when the daemon kept the connection past the hold time; -q prints only a summary
 * "closed N open M"; -a prints each whole answer instead (its first REPLY_KEEP bytes). Exit 0, or 2 on a usage or connect error.
 * With -L it is a mute daemon instead: it listens on PATH (prints "listening" on
 * stderr), accepts every client and never answers, for SECONDS (default 5). With -L
 * -f FILE it is a pmtr of protocol version 1: it prints each request ("request "
 * and its text) and answers a version 1 request with FILE, any other with the
 * refusal of its version.
 * It builds without config.h too: tests/lib.sh compiles it alone when it is not built. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_KEEP 4096

struct conn {
	int fd;
	size_t sent;
	bool writing, closed;
	int64_t closed_ms;
	char reply[REPLY_KEEP + 1];
	size_t reply_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die_usage(void)
{
	fprintf(stderr, "usage: ctl-garbage [-n COUNT] [-r BYTES [-x SEED] | -l BYTES | -i | -f FILE] [-S] "
		"[-H SECONDS] [-q | -a] PATH\n       ctl-garbage -L [-f FILE] [-H SECONDS] PATH\n");
	exit(2);
}

/* A pmtr of protocol version 1 as a newer client meets it: a version 1 request gets
 * the answer in old_answer, any other the refusal of its version. */
static void answer_as_old(int fd, const char *old_answer, size_t old_len)
{
	static const char refusal[] = "pmtr-ctl 1\nerror usage unsupported protocol version ";
	char req[4096], out[128];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(req) - 1 && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0)
		len += (size_t)n;
	req[len] = '\0';
	printf("request %s", req);
	if (strncmp(req, "pmtr-ctl 1\n", 11) == 0) {
		n = write(fd, old_answer, old_len);
	} else {
		snprintf(out, sizeof(out), "%s%d\n", refusal, atoi(req + 9));
		n = write(fd, out, strlen(out));
	}
	(void)n;
}

/* A daemon that accepts and never answers: what a hung pmtr looks like to a client.
 * With old_answer, an old pmtr instead (answer_as_old). */
static int mute_server(const struct sockaddr_un *sa, double hold, const char *old_answer,
		       size_t old_len)
{
	int64_t deadline = now_ms() + (int64_t)(hold * 1000);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), held = 0;

	if (fd < 0 || bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "ctl-garbage: %s: %s\n", sa->sun_path, strerror(errno));
		return 2;
	}
	fprintf(stderr, "listening\n");
	fflush(stderr);
	for (int64_t left; (left = deadline - now_ms()) > 0;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		int client;

		if (poll(&pfd, 1, (int)left) <= 0 || (client = accept(fd, NULL, NULL)) < 0)
			continue;
		if (!old_answer) {
			held++;	/* kept open, never read, never written */
			continue;
		}
		answer_as_old(client, old_answer, old_len);
		close(client);
		fflush(stdout);
	}
	unlink(sa->sun_path);
	printf("held %d\n", held);
	return 0;
}

static char *read_all(int fd, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	*len = 0;
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (buf && (n = read(fd, buf + *len, cap - *len)) > 0) {
		*len += (size_t)n;
		if (*len == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	return buf;
}

/* The line after the hello in a reply, or "-". */
static void print_answer(const struct conn *c, int64_t t0, bool open, bool whole)
{
	const char *line = "-";
	char *nl, copy[REPLY_KEEP + 1];

	if (whole) {
		fwrite(c->reply, 1, c->reply_len, stdout);
		return;
	}
	memcpy(copy, c->reply, c->reply_len + 1);
	nl = strchr(copy, '\n');
	if (nl && nl[1]) {
		line = nl + 1;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
	}
	printf("%s after %lld ms: %s\n", open ? "open" : "closed",
	       (long long)((open ? now_ms() : c->closed_ms) - t0), line);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t count = 1, len = 0, left;
	unsigned long long seed = 1;
	double hold = 5;
	bool shut = false, quiet = false, mute = false, whole = false;
	char *data = NULL, mode = 0;
	const char *file = NULL;
	struct conn *conns;
	struct pollfd *pfd;
	int64_t t0, deadline;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:x:l:if:SH:qLa")) != -1) {
		switch (opt) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'x': seed = strtoull(optarg, NULL, 10); break;
		case 'r': case 'l': len = strtoul(optarg, NULL, 10); mode = (char)opt; break;
		case 'i': mode = 'i'; break;
		case 'f': mode = 'f'; file = optarg; break;
		case 'S': shut = true; break;
		case 'H': hold = strtod(optarg, NULL); break;
		case 'q': quiet = true; break;
		case 'a': whole = true; break;
		case 'L': mute = true; break;
		default: die_usage();
		}
	}
	if (optind != argc - 1 || count == 0 || strlen(argv[optind]) >= sizeof(sa.sun_path))
		die_usage();
	strcpy(sa.sun_path, argv[optind]);
	if (mute && mode != 'f')
		return mute_server(&sa, hold, NULL, 0);

	/* What to send: made once, sent on every connection. */
	if (mode == 'r') {
		data = malloc(len + 1);
		for (size_t i = 0; data && i < len; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			data[i] = (char)(seed >> 56);
		}
	} else if (mode == 'l') {
		static const char head[] = "pmtr-ctl 1\nstatus ";
		size_t n = len;

		len = sizeof(head) - 1 + n + 1;
		data = malloc(len);
		if (data) {
			memcpy(data, head, sizeof(head) - 1);
			memset(data + sizeof(head) - 1, 'a', n);
			data[len - 1] = '\n';
		}
	} else if (mode == 'i' || mode == 'f') {
		int fd = mode == 'i' ? 0 : open(file, O_RDONLY | O_CLOEXEC);

		data = read_all(fd, &len);
		if (!data) {
			fprintf(stderr, "ctl-garbage: cannot read %s: %s\n", mode == 'i' ? "stdin" : file,
				strerror(errno));
			return 2;
		}
		if (fd > 0)
			close(fd);
		if (mute)
			return mute_server(&sa, hold, data, len);
	} else {
		data = malloc(1);
		len = 0;
	}
	conns = calloc(count, sizeof(*conns));
	pfd = calloc(count, sizeof(*pfd));
	if (!data || !conns || !pfd) {
		fprintf(stderr, "ctl-garbage: out of memory\n");
		return 2;
	}

	for (size_t i = 0; i < count; i++) {
		struct conn *c = &conns[i];

		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			fprintf(stderr, "ctl-garbage: socket: %s\n", strerror(errno));
			return 2;
		}
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "ctl-garbage: connect %zu of %zu: %s\n", i + 1, count,
				strerror(errno));
			return 2;
		}
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		c->writing = len > 0 || shut;
	}
	fprintf(stderr, "connected %zu\n", count);
	fflush(stderr);

	t0 = now_ms();
	deadline = t0 + (int64_t)(hold * 1000);
	left = count;
	while (left) {
		int64_t wait_ms = deadline - now_ms();

		if (wait_ms <= 0)
			break;
		for (size_t i = 0; i < count; i++) {
			pfd[i].fd = conns[i].closed ? -1 : conns[i].fd;
			pfd[i].events = POLLIN | (conns[i].writing ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, count, (int)wait_ms) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < count; i++) {
			struct conn *c = &conns[i];

			if (c->closed)
				continue;
			if (c->writing && (pfd[i].revents & POLLOUT)) {
				ssize_t n = c->sent < len ? send(c->fd, data + c->sent, len - c->sent,
								 MSG_NOSIGNAL) : 0;

				if (n > 0)
					c->sent += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || c->sent == len) {
					c->writing = false;
					if (shut)
						shutdown(c->fd, SHUT_WR);
				}
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				char buf[4096];
				ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

				if (n > 0) {
					size_t keep = REPLY_KEEP - c->reply_len;

					if ((size_t)n < keep)
						keep = (size_t)n;
					memcpy(c->reply + c->reply_len, buf, keep);
					c->reply_len += keep;
					c->reply[c->reply_len] = '\0';
				} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
					c->closed = true;
					c->closed_ms = now_ms();
					left--;
				}
			}
		}
	}
	if (quiet)
		printf("closed %zu open %zu\n", count - left, left);
	for (size_t i = 0; i < count; i++) {
		if (!quiet)
			print_answer(&conns[i], t0, !conns[i].closed, whole);
		close(conns[i].fd);
	}
	free(pfd);
	free(conns);
	free(data);
	return 0;
}
