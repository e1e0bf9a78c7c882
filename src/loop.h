/* loop.h: the one event loop: an epoll set plus one CLOCK_MONOTONIC timerfd. SPDX-License-Identifier: MIT */
#ifndef PMTR_LOOP_H
#define PMTR_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* Embedded by whoever owns a descriptor; cb runs when epoll reports it. */
struct loop_watcher {
	int fd;
	bool quiet;		/* its callback changes no job (job output): see stirred */
	void (*cb)(struct loop_watcher *w, uint32_t events);
};

struct loop {
	int epoll_fd;
	int timer_fd;
	int64_t armed_ms;	/* deadline the timerfd is set to, 0 when disarmed */
	struct loop_watcher timer;
	void **graveyard;	/* freed after the current batch of events */
	size_t n_graveyard, cap_graveyard;
	bool stirred;		/* the last batch ran a watcher that is not quiet */
};

int loop_init(struct loop *loop);
void loop_exit(struct loop *loop);

/* Watch w->fd for events (EPOLLIN...); 0 or -1 with errno. */
int loop_add(struct loop *loop, struct loop_watcher *w, uint32_t events);
/* Watch for other events now (EPOLLIN to EPOLLOUT, say). */
int loop_mod(struct loop *loop, struct loop_watcher *w, uint32_t events);
/* Stop watching; the caller still owns and closes the fd. */
void loop_del(struct loop *loop, struct loop_watcher *w);

/* Free ptr (which holds a watcher already removed and with fd set to -1) once the
 * current batch is dispatched: a later event of the same batch may still name it. */
void loop_free_later(struct loop *loop, void *ptr);

/* Arm the timer for a CLOCK_MONOTONIC deadline in ms (0: no deadline). Re-arms only
 * when the deadline changed, so an idle pmtr makes no system calls. */
void loop_set_deadline(struct loop *loop, int64_t deadline_ms);

/* Wait for events and run their callbacks; returns after one batch. EINTR is not an
 * error. 0 or -1 with errno. */
int loop_run_once(struct loop *loop);

#endif
