/* floor-idle.c: the idle floor: a process that only waits in epoll_wait (on a
 * signalfd, so that SIGTERM ends it). SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;
	int ep, sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		return 1;
	while (epoll_wait(ep, &ev, 1, -1) != 1)
		;
	return 0;
}
