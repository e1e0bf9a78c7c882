/* loop.c: the one event loop: an epoll set plus one CLOCK_MONOTONIC timerfd. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define LOOP_BATCH 64

static void timer_cb(struct loop_watcher *w, uint32_t events)
{
	uint64_t expirations;

	(void)events;
	/* The expiry itself carries no information: whoever owns deadlines checks the
	 * clock after every batch. Reading only clears the readiness. */
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("timerfd read");
}

int loop_init(struct loop *loop)
{
	loop->armed_ms = 0;
	loop->timer_fd = -1;
	loop->graveyard = NULL;
	loop->n_graveyard = loop->cap_graveyard = 0;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0)
		return -1;
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->timer_fd < 0)
		goto fail;
	loop->timer.fd = loop->timer_fd;
	loop->timer.cb = timer_cb;
	if (loop_add(loop, &loop->timer, EPOLLIN) < 0)
		goto fail;
	return 0;
fail:
	loop_exit(loop);
	return -1;
}

static void bury(struct loop *loop)
{
	for (size_t i = 0; i < loop->n_graveyard; i++)
		free(loop->graveyard[i]);
	loop->n_graveyard = 0;
}

void loop_free_later(struct loop *loop, void *ptr)
{
	if (loop->n_graveyard == loop->cap_graveyard) {
		size_t cap = loop->cap_graveyard ? loop->cap_graveyard * 2 : 16;
		void **bigger = realloc(loop->graveyard, cap * sizeof(*bigger));

		if (!bigger) {
			/* Leaking beats a use-after-free; this only happens out of memory. */
			log_warn("cannot defer a free");
			return;
		}
		loop->graveyard = bigger;
		loop->cap_graveyard = cap;
	}
	loop->graveyard[loop->n_graveyard++] = ptr;
}

void loop_exit(struct loop *loop)
{
	bury(loop);
	free(loop->graveyard);
	loop->graveyard = NULL;
	loop->cap_graveyard = 0;
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	loop->timer_fd = loop->epoll_fd = -1;
}

int loop_add(struct loop *loop, struct loop_watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, w->fd, &ev);
}

int loop_mod(struct loop *loop, struct loop_watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_del(struct loop *loop, struct loop_watcher *w)
{
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL) < 0)
		log_warn("epoll_ctl del fd %d", w->fd);
}

void loop_set_deadline(struct loop *loop, int64_t deadline_ms)
{
	struct itimerspec its = { 0 };

	if (deadline_ms == loop->armed_ms)
		return;
	if (deadline_ms > 0) {
		its.it_value.tv_sec = deadline_ms / 1000;
		its.it_value.tv_nsec = (deadline_ms % 1000) * 1000000;
	}
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_warn("timerfd_settime");
		return;
	}
	loop->armed_ms = deadline_ms;
}

int loop_run_once(struct loop *loop)
{
	struct epoll_event events[LOOP_BATCH];
	int n, i;

	n = epoll_wait(loop->epoll_fd, events, LOOP_BATCH, -1);
	loop->stirred = false;
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		struct loop_watcher *w = events[i].data.ptr;

		if (w->fd >= 0) {
			loop->stirred |= !w->quiet;
			w->cb(w, events[i].events);
		}
	}
	bury(loop);
	return 0;
}
