/* tcp-listen.c: test helper: a TCP port that opens late, for the ready tcp probe. SPDX-License-Identifier: MIT
 *
 * Usage: tcp-listen [-d MS] PORT
 * Sleeps MS milliseconds (default 0), then listens on 127.0.0.1:PORT with
 * SO_REUSEADDR, prints "listening PORT" on stderr (the port the kernel chose when
 * PORT is 0), and accepts and closes every connection until killed.
 * Exit 1 with a message on a usage or socket error.
 * Built by make check, or by tests/lib.sh's helper with a bare cc (no config.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: tcp-listen [-d MS] PORT\n");
	return 1;
}

/* A number from 0 to max, digits only; -1 otherwise. */
static long parse_num(const char *s, long max)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	long delay = 0, port;
	int opt, fd, one = 1;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		switch (opt) {
		case 'd':
			delay = parse_num(optarg, 86400000L);
			if (delay < 0) {
				fprintf(stderr, "tcp-listen: -d %s: not a number of milliseconds\n",
					optarg);
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	port = parse_num(argv[optind], 65535);
	if (port < 0) {
		fprintf(stderr, "tcp-listen: %s: not a port\n", argv[optind]);
		return 1;
	}

	if (delay > 0)
		sleep_ms(delay);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		fprintf(stderr, "tcp-listen: 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return 1;
	}
	fprintf(stderr, "listening %u\n", (unsigned)ntohs(sin.sin_port));
	fflush(stderr);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0) {
			close(c);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			break;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			sleep_ms(10);	/* out of something: wait instead of spinning */
			break;
		default:
			fprintf(stderr, "tcp-listen: accept: %s\n", strerror(errno));
			return 1;
		}
	}
}
