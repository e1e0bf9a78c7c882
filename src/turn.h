/* turn.h: a turn of pmtr's loop for the jobs: reaped children, changed files, notify datagrams and due timers become events; then pending jobs start and removed ones go. SPDX-License-Identifier: MIT */
#ifndef PMTR_TURN_H
#define PMTR_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobs.h"

/* Collect every exited child without blocking (jobs and orphans alike). */
void jobs_reap(struct jobs *jobs);

/* Re-hash dependency files: restart running jobs whose files changed, retry jobs
 * held by a missing file. */
void jobs_check_depends(struct jobs *jobs);

/* Run due deadlines, start what may start, free removed jobs. Returns the next
 * deadline (CLOCK_MONOTONIC ms) or 0 when none. Call after every batch of events;
 * stirred: the batch ran more than job output readers (loop.stirred). After a batch
 * that was not, before the next deadline, it costs nothing per job. */
int64_t jobs_tick(struct jobs *jobs, bool stirred);

/* Stop every job (kill_now: with SIGKILL at once); pmtr exits when jobs->n is 0. */
void jobs_shutdown(struct jobs *jobs, bool kill_now);
/* The wall clock was set (or the machine resumed), or the local time zone changed
 * (zone): scheduled jobs' due times follow (schedule.h), logged when it was a step. */
void jobs_clock_changed(struct jobs *jobs, bool zone);

struct notify_message;
/* A datagram from sender on the notify socket: READY=1 or STATUS= of the job it
 * belongs to (by process group, or cgroup); anything else is counted and ignored.
 * Returns false when sender is of no job that waits for it. */
bool jobs_notify(struct jobs *jobs, pid_t sender, const struct notify_message *msg);

/* Whether every job that should be running is up and ready, or failed to be (for
 * pmtr's own READY=1). */
bool jobs_settled(const struct jobs *jobs);

/* One line for people and sd_notify: "3 jobs: 2 running, 1 disabled". */
void jobs_summary(const struct jobs *jobs, char *buf, size_t len);

#endif
