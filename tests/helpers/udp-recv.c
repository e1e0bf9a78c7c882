/* udp-recv.c: test helper: receive UDP datagrams on 127.0.0.1 and print each, followed by a line "--". SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* usage: udp-recv PORT (0: any free port); prints "listening PORT" on stderr. */
int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	char buf[65536];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: udp-recv PORT\n");
		return 1;
	}
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		perror("udp-recv");
		return 1;
	}
	fprintf(stderr, "listening %d\n", ntohs(addr.sin_port));
	fflush(stderr);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			perror("udp-recv: recv");
			return 1;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		printf("--\n");
		fflush(stdout);
	}
}
