/* clock.h: tells pmtr when the wall clock is set (a step, a resume from suspend) or the local time zone file changes, without a periodic wake-up. SPDX-License-Identifier: MIT */
#ifndef PMTR_CLOCK_H
#define PMTR_CLOCK_H

#include <stdbool.h>

#include "loop.h"

struct clock_watch {
	struct loop *loop;
	/* a CLOCK_REALTIME timerfd set far ahead with TFD_TIMER_CANCEL_ON_SET: the
	 * kernel cancels it whenever the clock is set */
	struct loop_watcher timer;
	/* inotify on /etc/localtime's directory; fd -1 when TZ is set */
	struct loop_watcher zone;
	void (*changed_cb)(void *arg, bool zone);
	void *arg;
};

/* Watch; changed_cb(arg, false) after the clock was set, changed_cb(arg, true)
 * after /etc/localtime changed (tzset() has read it again by then). A part that
 * cannot be made is logged and left out: 0 all the same. */
int clock_watch_init(struct clock_watch *cw, struct loop *loop,
		     void (*changed_cb)(void *arg, bool zone), void *arg);
void clock_watch_exit(struct clock_watch *cw);

#endif
