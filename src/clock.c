/* clock.c: tells pmtr when the wall clock is set (a step, a resume from suspend) or the local time zone file changes, without a periodic wake-up. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "util.h"

#define ZONE_DIR "/etc"
#define ZONE_NAME "localtime"
/* How far ahead the timer is set: it is there to be cancelled, not to fire. */
#define FAR_AHEAD_S (366 * 24 * 3600)

static int arm(int fd)
{
	struct itimerspec its = { 0 };
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	its.it_value.tv_sec = now.tv_sec + FAR_AHEAD_S;
	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

static void timer_cb(struct loop_watcher *w, uint32_t events)
{
	struct clock_watch *cw = container_of(w, struct clock_watch, timer);
	uint64_t n;
	bool set;

	(void)events;
	set = read(w->fd, &n, sizeof(n)) < 0 && errno == ECANCELED;
	if (arm(w->fd) < 0)
		log_warn("clock timer");
	if (set)
		cw->changed_cb(cw->arg, false);
}

static bool is_zone_file(const void *arg, const struct inotify_event *ev)
{
	(void)arg;
	return ev->len && strcmp(ev->name, ZONE_NAME) == 0;
}

static void zone_cb(struct loop_watcher *w, uint32_t events)
{
	struct clock_watch *cw = container_of(w, struct clock_watch, zone);
	int error;
	bool changed = util_inotify_any(w->fd, is_zone_file, NULL, &error);

	(void)events;
	if (error) {
		errno = error;
		log_warn("inotify read on %s", ZONE_DIR);
	}
	if (!changed)
		return;
	tzset();
	cw->changed_cb(cw->arg, true);
}

static void watch_timer(struct clock_watch *cw)
{
	cw->timer.fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (cw->timer.fd >= 0 && arm(cw->timer.fd) == 0 &&
	    loop_add(cw->loop, &cw->timer, EPOLLIN) == 0)
		return;
	log_warn("watching the clock: a step of it is seen only at the next due time");
	if (cw->timer.fd >= 0)
		close(cw->timer.fd);
	cw->timer.fd = -1;
}

/* TZ in the environment decides alone: /etc/localtime does not matter then. */
static void watch_zone(struct clock_watch *cw)
{
	if (getenv("TZ"))
		return;
	cw->zone.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cw->zone.fd >= 0 &&
	    inotify_add_watch(cw->zone.fd, ZONE_DIR, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE |
			      IN_DELETE | IN_ONLYDIR) >= 0 &&
	    loop_add(cw->loop, &cw->zone, EPOLLIN) == 0)
		return;
	log_debug("not watching %s/%s: %s", ZONE_DIR, ZONE_NAME, strerror(errno));
	if (cw->zone.fd >= 0)
		close(cw->zone.fd);
	cw->zone.fd = -1;
}

int clock_watch_init(struct clock_watch *cw, struct loop *loop,
		     void (*changed_cb)(void *arg, bool zone), void *arg)
{
	*cw = (struct clock_watch){
		.loop = loop,
		.timer = { .fd = -1, .cb = timer_cb },
		.zone = { .fd = -1, .cb = zone_cb },
		.changed_cb = changed_cb,
		.arg = arg,
	};
	tzset();
	watch_timer(cw);
	watch_zone(cw);
	return 0;
}

void clock_watch_exit(struct clock_watch *cw)
{
	struct loop_watcher *w[] = { &cw->timer, &cw->zone };

	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		if (w[i]->fd < 0)
			continue;
		loop_del(cw->loop, w[i]);
		close(w[i]->fd);
		w[i]->fd = -1;
	}
}
