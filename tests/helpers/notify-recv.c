/* notify-recv.c: test helper: receive sd_notify datagrams on a unix socket and print each one. SPDX-License-Identifier: MIT
 *
 * Usage: notify-recv [-n] PATH     (PATH, or @NAME for an abstract socket)
 * Binds a SOCK_DGRAM unix socket, prints "listening" on stderr once bound, then
 * prints every datagram to stdout (a newline added when it lacks one), flushed,
 * until killed. With -n it never reads: a stuck peer whose queue fills up.
 * Exit 2 on a usage or socket error. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n;
	char buf[65536];
	int fd, no_read = 0;

	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		no_read = 1;
		argv++;
		argc--;
	}
	if (argc != 2 || !argv[1][0]) {
		fprintf(stderr, "usage: notify-recv [-n] PATH|@NAME\n");
		return 2;
	}
	n = strlen(argv[1]);
	if (n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify-recv: path too long\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], n);
	if (argv[1][0] == '@')
		sa.sun_path[0] = '\0';	/* abstract: the name is exactly the n bytes */
	salen = offsetof(struct sockaddr_un, sun_path) + n + (argv[1][0] == '@' ? 0 : 1);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		fprintf(stderr, "notify-recv: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	fprintf(stderr, "listening\n");
	fflush(stderr);
	while (no_read)
		pause();
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify-recv: recv: %s\n", strerror(errno));
			return 2;
		}
		fwrite(buf, 1, (size_t)r, stdout);
		if (r == 0 || buf[r - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
}
