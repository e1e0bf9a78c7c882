/* notify.c: the sd_notify protocol, spoken without libsystemd. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
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
