/* notify-send.c: test helper: send one sd_notify datagram, as a job's process would. SPDX-License-Identifier: MIT
 *
 * Usage: notify-send [-s SOCKET] [-d MS] [-w MS] TEXT...
 * Sends the TEXT arguments joined by "\n" (nothing appended) as one datagram to
 * SOCKET, or to $NOTIFY_SOCKET: a path, or @NAME for the abstract namespace (the
 * "@" becomes a NUL byte and the address is exactly as long as the name). With -d,
 * sleeps MS milliseconds first, in the same process: the datagram comes from the
 * pid that was started. With -w, lives MS milliseconds more after sending, as a
 * daemon does: the receiver can still see whose process it is. An empty TEXT is sent as it is (an empty datagram is a
 * test case too). Exit 0 when the datagram was sent, 1 with a message otherwise.
 * Built by make check, or by tests/lib.sh's helper with a bare cc (no config.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: notify-send [-s SOCKET] [-d MS] [-w MS] TEXT...\n");
	return 1;
}

/* Milliseconds 0 to 24 hours, digits only; -1 otherwise. */
static long parse_ms(const char *s)
{
	char *end;
	long ms;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	ms = strtol(s, &end, 10);
	if (errno || *end || ms > 86400000L)
		return -1;
	return ms;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n, total = 0, at = 0;
	char *text;
	long delay = 0, linger = 0;
	ssize_t sent;
	int opt, fd, i;

	while ((opt = getopt(argc, argv, "+s:d:w:")) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			delay = parse_ms(optarg);
			if (delay < 0) {
				fprintf(stderr, "notify-send: -d %s: not a number of milliseconds\n",
					optarg);
				return 1;
			}
			break;
		case 'w':
			linger = parse_ms(optarg);
			if (linger < 0) {
				fprintf(stderr, "notify-send: -w %s: not a number of milliseconds\n",
					optarg);
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if (!sock)
		sock = getenv("NOTIFY_SOCKET");
	if (!sock || !sock[0]) {
		fprintf(stderr, "notify-send: no -s SOCKET and no NOTIFY_SOCKET\n");
		return 1;
	}
	n = strlen(sock);
	if (n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify-send: %s: socket address too long\n", sock);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, n);
	if (sock[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract: the name is exactly the n bytes */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (sock[0] == '@' ? 0 : 1));

	for (i = optind; i < argc; i++)
		total += strlen(argv[i]) + 1;
	text = malloc(total);
	if (!text) {
		fprintf(stderr, "notify-send: out of memory\n");
		return 1;
	}
	for (i = optind; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (i > optind)
			text[at++] = '\n';
		memcpy(text + at, argv[i], len);
		at += len;
	}

	if (delay > 0)
		sleep_ms(delay);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "notify-send: socket: %s\n", strerror(errno));
		free(text);
		return 1;
	}
	do
		sent = sendto(fd, text, at, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		fprintf(stderr, "notify-send: %s: %s\n", sock, strerror(errno));
		close(fd);
		free(text);
		return 1;
	}
	close(fd);
	free(text);
	if (linger > 0)
		sleep_ms(linger);
	return 0;
}
